//! TCP client: copies stdin to the socket and the socket to stdout.
//! At EOF of stdin it shuts down its sending side, then exits once the server
//! has closed the connection (so an echo server's answer is fully drained).
//! Usage: connect-tcp ADDR

use tokio::io::{self, AsyncWriteExt};
use tokio::net::TcpStream;

async fn run(addr: &str) -> io::Result<()> {
    let (mut from_server, mut to_server) = TcpStream::connect(addr).await?.into_split();

    let upload = tokio::spawn(async move {
        io::copy(&mut io::stdin(), &mut to_server).await?;
        to_server.shutdown().await // tell the server we are done
    });

    let mut stdout = io::stdout();
    io::copy(&mut from_server, &mut stdout).await?;
    stdout.flush().await?;

    // The server closed. If stdin is still open there is nobody left to send it to.
    if upload.is_finished() {
        upload.await??;
    }
    Ok(())
}

#[tokio::main]
async fn main() {
    let addr = std::env::args().nth(1).expect("usage: connect-tcp ADDR");
    let status = match run(&addr).await {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("connect-tcp: {e}");
            1
        }
    };
    // tokio reads stdin on a blocking thread that cannot be cancelled, and the
    // runtime would wait for it on shutdown: exit without waiting.
    std::process::exit(status);
}
