//! UDP client: sends each chunk read from stdin as a datagram to ADDR and
//! prints every datagram that comes back. After EOF of stdin it waits until
//! as many bytes came back as were sent (or 2 s of silence), then exits.
//! Usage: connect-udp ADDR

use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{self, AsyncReadExt, AsyncWriteExt};
use tokio::net::UdpSocket;
use tokio::time::timeout;

async fn run(addr: SocketAddr) -> io::Result<()> {
    let local = if addr.is_ipv4() { "0.0.0.0:0" } else { "[::]:0" };
    let socket = UdpSocket::bind(local).await?;
    socket.connect(addr).await?;

    let (mut stdin, mut stdout) = (io::stdin(), io::stdout());
    let mut input = vec![0u8; 1472]; // one datagram per chunk read
    let mut reply = vec![0u8; 65536];
    let (mut sent, mut received, mut stdin_open) = (0usize, 0usize, true);

    while stdin_open || received < sent {
        tokio::select! {
            r = stdin.read(&mut input), if stdin_open => match r? {
                0 => stdin_open = false,
                n => sent += socket.send(&input[..n]).await?,
            },
            r = timeout(Duration::from_secs(2), socket.recv(&mut reply)) => match r {
                Ok(n) => {
                    let n = n?;
                    received += n;
                    stdout.write_all(&reply[..n]).await?;
                    stdout.flush().await?;
                }
                Err(_) if !stdin_open => {
                    eprintln!("connect-udp: only {received} of {sent} bytes came back");
                    break;
                }
                Err(_) => {} // quiet, but stdin is still open: keep going
            },
        }
    }
    Ok(())
}

#[tokio::main]
async fn main() {
    let addr = std::env::args().nth(1).expect("usage: connect-udp ADDR");
    let addr: SocketAddr = addr.parse().expect("ADDR must be IP:PORT");
    let status = match run(addr).await {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("connect-udp: {e}");
            1
        }
    };
    // tokio reads stdin on a blocking thread that cannot be cancelled: exit without waiting.
    std::process::exit(status);
}
