//! TCP proxy: forwards each client connection to SERVER, both directions.
//! Usage: proxy [LISTEN [SERVER]]   (defaults 127.0.0.1:8081 and 127.0.0.1:8080)

use tokio::io::copy_bidirectional;
use tokio::net::{TcpListener, TcpStream};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let listener = TcpListener::bind(sandbox_tokio::arg_or(1, "127.0.0.1:8081")).await?;
    let server = sandbox_tokio::arg_or(2, "127.0.0.1:8080");
    sandbox_tokio::announce(listener.local_addr()?);
    println!("proxying to {server}");

    loop {
        let (mut inbound, peer) = listener.accept().await?;
        let server = server.clone();
        tokio::spawn(async move {
            let result = match TcpStream::connect(&server).await {
                Ok(mut outbound) => copy_bidirectional(&mut inbound, &mut outbound).await,
                Err(e) => Err(e),
            };
            match result {
                Ok((up, down)) => println!("{peer}: {up} bytes up, {down} bytes down"),
                Err(e) => println!("{peer}: {e}"),
            }
        });
    }
}
