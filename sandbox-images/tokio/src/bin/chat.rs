//! Chat server: each client first gives a name, then every line it sends is
//! broadcast as "name: line" to all other clients, with join/leave notices.
//! Usage: chat [ADDR]   (default 127.0.0.1:6142)

use futures::{SinkExt, StreamExt};
use std::net::SocketAddr;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::broadcast;
use tokio_util::codec::{Framed, LinesCodec};

/// A message for everybody but `from`.
type Msg = (SocketAddr, String);

async fn serve(socket: TcpStream, peer: SocketAddr, hub: broadcast::Sender<Msg>) {
    let mut lines = Framed::new(socket, LinesCodec::new());
    if lines.send("Please enter your username:").await.is_err() {
        return;
    }
    let name = match lines.next().await {
        Some(Ok(name)) => name,
        _ => return println!("{peer}: left before giving a name"),
    };

    let mut inbox = hub.subscribe();
    let _ = hub.send((peer, format!("{name} has joined the chat")));
    println!("{peer}: {name} has joined the chat");

    loop {
        tokio::select! {
            line = lines.next() => match line {
                Some(Ok(line)) => { let _ = hub.send((peer, format!("{name}: {line}"))); }
                Some(Err(e)) => { println!("{peer}: {e}"); break; }
                None => break,
            },
            msg = inbox.recv() => match msg {
                Ok((from, text)) if from != peer => {
                    if lines.send(text).await.is_err() { break; }
                }
                Ok(_) => {} // our own line
                Err(broadcast::error::RecvError::Lagged(n)) => println!("{peer}: missed {n} messages"),
                Err(broadcast::error::RecvError::Closed) => break,
            },
        }
    }

    let _ = hub.send((peer, format!("{name} has left the chat")));
    println!("{peer}: {name} has left the chat");
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let listener = TcpListener::bind(sandbox_tokio::arg_or(1, "127.0.0.1:6142")).await?;
    sandbox_tokio::announce(listener.local_addr()?);
    let (hub, _) = broadcast::channel(1024);

    loop {
        let (socket, peer) = listener.accept().await?;
        tokio::spawn(serve(socket, peer, hub.clone()));
    }
}
