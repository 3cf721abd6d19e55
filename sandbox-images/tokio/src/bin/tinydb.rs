//! A tiny key-value server, one command per line:
//!   GET key          -> "key = value"  or  "error: no key key"
//!   SET key value    -> "set key = `value`, previous: Some(\"old\")" (or None)
//! anything else     -> "error: ..."
//! The database starts with foo = bar and is shared by all clients.
//! Usage: tinydb [ADDR]   (default 127.0.0.1:8080)

use futures::{SinkExt, StreamExt};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::net::TcpListener;
use tokio_util::codec::{Framed, LinesCodec};

type Db = Arc<Mutex<HashMap<String, String>>>;

fn answer(line: &str, db: &Db) -> String {
    let mut words = line.splitn(3, ' ');
    let mut db = db.lock().unwrap();
    match (words.next(), words.next(), words.next()) {
        (Some("GET"), Some(key), None) => match db.get(key) {
            Some(value) => format!("{key} = {value}"),
            None => format!("error: no key {key}"),
        },
        (Some("GET"), None, _) => "error: GET must be followed by a key".into(),
        (Some("GET"), Some(_), Some(_)) => "error: GET's key must not be followed by anything".into(),
        (Some("SET"), Some(key), Some(value)) => {
            let previous = db.insert(key.to_string(), value.to_string());
            format!("set {key} = `{value}`, previous: {previous:?}")
        }
        (Some("SET"), None, _) => "error: SET must be followed by a key".into(),
        (Some("SET"), Some(_), None) => "error: SET needs a value".into(),
        (Some(cmd), _, _) => format!("error: unknown command: {cmd}"),
        (None, _, _) => "error: empty input".into(),
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let listener = TcpListener::bind(sandbox_tokio::arg_or(1, "127.0.0.1:8080")).await?;
    sandbox_tokio::announce(listener.local_addr()?);
    let db: Db = Arc::new(Mutex::new(HashMap::from([("foo".to_string(), "bar".to_string())])));

    loop {
        let (socket, peer) = listener.accept().await?;
        let db = db.clone();
        tokio::spawn(async move {
            let mut lines = Framed::new(socket, LinesCodec::new());
            while let Some(line) = lines.next().await {
                let reply = match line {
                    Ok(line) => answer(&line, &db),
                    Err(e) => {
                        println!("{peer}: bad input: {e}");
                        break;
                    }
                };
                if let Err(e) = lines.send(reply).await {
                    println!("{peer}: cannot send: {e}");
                    break;
                }
            }
        });
    }
}
