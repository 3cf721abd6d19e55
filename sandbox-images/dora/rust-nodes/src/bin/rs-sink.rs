//! rs-sink: input `data` straight from the Python sender. Checks every message arrived in
//! order with the right bytes and seq metadata, then prints one summary line; exits 1 on any
//! mismatch (at the first one, or at the end if messages are missing).
use dora_node_api::{get_integer_param, DoraNode, Event};
use sandbox_dora_nodes::{head, make_message, message_count};

fn main() {
    if let Err(e) = run() {
        println!("rs-sink: FAILED: {e:#}");
        std::process::exit(1);
    }
}

fn run() -> eyre::Result<()> {
    let total = message_count();
    let (_node, mut events) = DoraNode::init_from_env()?;
    let (mut n, mut large) = (0u64, 0u64);
    while let Some(event) = events.recv() {
        match event {
            Event::Input { id, metadata, data } => {
                eyre::ensure!(id.as_str() == "data", "unexpected input {id}");
                let bytes: &[u8] = (&data).try_into()?;
                let seq = get_integer_param(&metadata.parameters, "seq");
                eyre::ensure!(seq == Some(n as i64), "message {n}: seq metadata is {seq:?}");
                let want = make_message(n);
                eyre::ensure!(
                    bytes == want.as_slice(),
                    "message {n}: got {} bytes {}, expected {} bytes {}",
                    bytes.len(), head(bytes), want.len(), head(&want)
                );
                if bytes.len() >= 4096 {
                    large += 1;
                }
                n += 1;
            }
            Event::Stop(_) => break,
            _ => {}
        }
    }
    eyre::ensure!(n == total, "got {n} of {total} messages");
    println!("rs-sink: {n} messages in order, content ok ({large} of 64 KiB)");
    Ok(())
}
