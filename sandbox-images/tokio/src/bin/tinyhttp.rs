//! Minimal HTTP/1.1 server with keep-alive (and pipelining):
//!   /plaintext -> Hello, World!
//!   /json      -> {"message":"Hello, World!"}
//!   otherwise  -> 404
//! Usage: tinyhttp [ADDR]   (default 127.0.0.1:8080)

use std::time::{SystemTime, UNIX_EPOCH};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const MAX_HEAD: usize = 16 * 1024;

/// One parsed request head: what we answer and whether the connection stays open.
struct Request {
    path: String,
    keep_alive: bool,
    body_len: usize,
}

fn parse_head(head: &str) -> Option<Request> {
    let mut lines = head.split("\r\n");
    let mut parts = lines.next()?.split(' ');
    let (_method, path, version) = (parts.next()?, parts.next()?, parts.next()?);
    let mut keep_alive = version == "HTTP/1.1";
    let mut body_len = 0;
    for line in lines {
        let (name, value) = line.split_once(':')?;
        let value = value.trim();
        if name.eq_ignore_ascii_case("connection") {
            keep_alive = !value.eq_ignore_ascii_case("close")
                && (keep_alive || value.eq_ignore_ascii_case("keep-alive"));
        } else if name.eq_ignore_ascii_case("content-length") {
            body_len = value.parse().ok()?;
        }
    }
    Some(Request { path: path.to_string(), keep_alive, body_len })
}

/// The current time as an HTTP date, e.g. "Sun, 06 Nov 1994 08:49:37 GMT".
fn http_date() -> String {
    let secs = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86400), secs.rem_euclid(86400));
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719468;
    let (era, doe) = (z.div_euclid(146097), z.rem_euclid(146097));
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    format!(
        "{}, {day:02} {} {year} {:02}:{:02}:{:02} GMT",
        WEEKDAYS[days.rem_euclid(7) as usize],
        MONTHS[month as usize - 1],
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

fn respond(req: &Request) -> String {
    let (status, content_type, body) = match req.path.as_str() {
        "/plaintext" => ("200 OK", "text/plain", "Hello, World!"),
        "/json" => ("200 OK", "application/json", r#"{"message":"Hello, World!"}"#),
        _ => ("404 Not Found", "text/plain", "Not Found"),
    };
    let connection = if req.keep_alive { "keep-alive" } else { "close" };
    format!(
        "HTTP/1.1 {status}\r\nServer: sandbox-tokio\r\nContent-Type: {content_type}\r\n\
         Content-Length: {}\r\nConnection: {connection}\r\nDate: {}\r\n\r\n{body}",
        body.len(),
        http_date()
    )
}

async fn serve(mut socket: TcpStream) -> std::io::Result<()> {
    let mut buf: Vec<u8> = Vec::with_capacity(4096);
    loop {
        // Answer every complete request already buffered (pipelining), then read more.
        while let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).into_owned();
            let Some(req) = parse_head(&head) else {
                socket.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").await?;
                return Ok(());
            };
            if buf.len() < end + 4 + req.body_len {
                break; // the body (which we ignore) is not all here yet
            }
            buf.drain(..end + 4 + req.body_len);
            socket.write_all(respond(&req).as_bytes()).await?;
            if !req.keep_alive {
                return Ok(());
            }
        }
        if buf.len() > MAX_HEAD {
            return Ok(()); // a head that large is not for this server
        }
        if socket.read_buf(&mut buf).await? == 0 {
            return Ok(()); // the client closed the connection
        }
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let listener = TcpListener::bind(sandbox_tokio::arg_or(1, "127.0.0.1:8080")).await?;
    sandbox_tokio::announce(listener.local_addr()?);

    loop {
        let (socket, peer) = listener.accept().await?;
        tokio::spawn(async move {
            if let Err(e) = serve(socket).await {
                println!("{peer}: {e}");
            }
        });
    }
}
