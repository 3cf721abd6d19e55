//! TCP echo server: every byte a client sends comes back to it.
//! Usage: echo-tcp [ADDR]   (default 127.0.0.1:8080)

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let listener = TcpListener::bind(sandbox_tokio::arg_or(1, "127.0.0.1:8080")).await?;
    sandbox_tokio::announce(listener.local_addr()?);

    loop {
        let (mut socket, peer) = listener.accept().await?;
        tokio::spawn(async move {
            let mut buf = vec![0u8; 4096];
            loop {
                match socket.read(&mut buf).await {
                    Ok(0) => break, // the client closed its side
                    Ok(n) => {
                        if let Err(e) = socket.write_all(&buf[..n]).await {
                            eprintln!("write to {peer}: {e}");
                            break;
                        }
                    }
                    Err(e) => {
                        eprintln!("read from {peer}: {e}");
                        break;
                    }
                }
            }
        });
    }
}
