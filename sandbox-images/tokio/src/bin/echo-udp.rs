//! UDP echo server: every datagram goes back to its sender.
//! Usage: echo-udp [ADDR]   (default 127.0.0.1:8080)

use tokio::net::UdpSocket;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let socket = UdpSocket::bind(sandbox_tokio::arg_or(1, "127.0.0.1:8080")).await?;
    sandbox_tokio::announce(socket.local_addr()?);

    let mut buf = vec![0u8; 65536];
    loop {
        let (n, peer) = socket.recv_from(&mut buf).await?;
        let sent = socket.send_to(&buf[..n], peer).await?;
        println!("echoed {sent}/{n} bytes to {peer}");
    }
}
