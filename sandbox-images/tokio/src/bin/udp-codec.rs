//! Two UDP sockets in one program playing ping-pong through tokio_util's
//! UdpFramed + BytesCodec: a sends PING, b answers PONG, a few rounds.
//! Usage: udp-codec [ADDR]   (default 127.0.0.1:0; both sockets bind there)

use bytes::Bytes;
use futures::{SinkExt, StreamExt};
use std::io;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::UdpSocket;
use tokio::time::timeout;
use tokio_util::codec::BytesCodec;
use tokio_util::udp::UdpFramed;

const ROUNDS: usize = 4;
const PATIENCE: Duration = Duration::from_secs(5);

async fn recv(socket: &mut UdpFramed<BytesCodec>) -> io::Result<(Bytes, SocketAddr)> {
    match timeout(PATIENCE, socket.next()).await {
        Ok(Some(Ok((bytes, from)))) => Ok((bytes.freeze(), from)),
        Ok(Some(Err(e))) => Err(e),
        Ok(None) => Err(io::Error::other("socket closed")),
        Err(_) => Err(io::Error::new(io::ErrorKind::TimedOut, "no datagram within 5 s")),
    }
}

async fn ping(mut a: UdpFramed<BytesCodec>, b_addr: SocketAddr) -> io::Result<()> {
    for _ in 0..ROUNDS {
        a.send((Bytes::from_static(b"PING"), b_addr)).await?;
        let (bytes, _) = recv(&mut a).await?;
        println!("[a] recv: {}", String::from_utf8_lossy(&bytes));
    }
    Ok(())
}

async fn pong(mut b: UdpFramed<BytesCodec>) -> io::Result<()> {
    for _ in 0..ROUNDS {
        let (bytes, from) = recv(&mut b).await?;
        println!("[b] recv: {}", String::from_utf8_lossy(&bytes));
        b.send((Bytes::from_static(b"PONG"), from)).await?;
    }
    Ok(())
}

#[tokio::main]
async fn main() -> io::Result<()> {
    let addr = sandbox_tokio::arg_or(1, "127.0.0.1:0");
    let a = UdpSocket::bind(&addr).await?;
    let b = UdpSocket::bind(&addr).await?;
    let b_addr = b.local_addr()?;
    println!("a on {}, b on {b_addr}", a.local_addr()?);

    let a = UdpFramed::new(a, BytesCodec::new());
    let b = UdpFramed::new(b, BytesCodec::new());
    tokio::try_join!(ping(a, b_addr), pong(b))?;
    println!("done!");
    Ok(())
}
