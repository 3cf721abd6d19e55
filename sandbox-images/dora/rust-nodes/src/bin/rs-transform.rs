//! rs-transform: input `in` (bytes from the Python transformer), output `out` =
//! rs_transform(in), with the sender's metadata (seq) passed on. Ends when its input closes.
use dora_node_api::{dora_core::config::DataId, DoraNode, Event};
use sandbox_dora_nodes::rs_transform;

fn main() -> eyre::Result<()> {
    let (mut node, mut events) = DoraNode::init_from_env()?;
    let out = DataId::from("out".to_owned());
    let mut n = 0u64;
    while let Some(event) = events.recv() {
        match event {
            Event::Input { id, metadata, data } if id.as_str() == "in" => {
                let bytes: &[u8] = (&data).try_into()?;
                node.send_output(out.clone(), metadata.parameters, rs_transform(bytes))?;
                n += 1;
            }
            Event::Input { id, .. } => eyre::bail!("rs-transform: unexpected input {id}"),
            Event::Stop(_) => break,
            _ => {}
        }
    }
    eprintln!("rs-transform: passed on {n} messages");
    Ok(())
}
