//! Server that prints each chunk of bytes as it arrives, per connection.
//! Usage: print_each_packet [ADDR]   (default 127.0.0.1:8080)

use futures::StreamExt;
use tokio::net::TcpListener;
use tokio_util::codec::{BytesCodec, FramedRead};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let listener = TcpListener::bind(sandbox_tokio::arg_or(1, "127.0.0.1:8080")).await?;
    sandbox_tokio::announce(listener.local_addr()?);

    loop {
        let (socket, peer) = listener.accept().await?;
        tokio::spawn(async move {
            // BytesCodec hands over whatever each read returned, as one chunk.
            let mut chunks = FramedRead::new(socket, BytesCodec::new());
            while let Some(chunk) = chunks.next().await {
                match chunk {
                    Ok(bytes) => println!("bytes: {bytes:?}"),
                    Err(e) => println!("error from {peer}: {e}"),
                }
            }
        });
    }
}
