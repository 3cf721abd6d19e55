//! Client that connects to ADDR and writes "hello world\n".
//! Usage: hello_world [ADDR]   (default 127.0.0.1:6142)

use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mut stream = TcpStream::connect(sandbox_tokio::arg_or(1, "127.0.0.1:6142")).await?;
    println!("created stream");

    let result = stream.write_all(b"hello world\n").await;
    println!("wrote to stream; success={:?}", result.is_ok());
    result
}
