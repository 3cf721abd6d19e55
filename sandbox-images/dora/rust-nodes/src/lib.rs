//! What the dataflow's messages look like; the same rules as ../common.py, so the Rust and
//! Python nodes agree byte for byte.

/// How many messages the sender sends: $DORA_SMOKE_MESSAGES, default 50.
pub fn message_count() -> u64 {
    std::env::var("DORA_SMOKE_MESSAGES").ok().and_then(|v| v.parse().ok()).unwrap_or(50)
}

/// Every 5th message (4, 9, 14, ...) is 64 KiB, above dora's 4096-byte zero-copy threshold.
pub const LARGE: usize = 64 * 1024;

pub fn message_len(i: u64) -> usize {
    if i % 5 == 4 { LARGE } else { 100 + (i as usize % 13) }
}

/// Message i as the sender makes it: 4 bytes of i (little-endian), then (i * 7 + k) % 251.
pub fn make_message(i: u64) -> Vec<u8> {
    let len = message_len(i);
    let mut v = Vec::with_capacity(len);
    v.extend_from_slice(&(i as u32).to_le_bytes());
    for k in 4..len as u64 {
        v.push(((i * 7 + k) % 251) as u8);
    }
    v
}

/// The Python transformer adds 1 to every byte (mod 256).
pub fn py_transform(data: &[u8]) -> Vec<u8> {
    data.iter().map(|b| b.wrapping_add(1)).collect()
}

/// The Rust transformer XORs every byte with 0x5A and appends b"RS".
pub fn rs_transform(data: &[u8]) -> Vec<u8> {
    let mut v: Vec<u8> = data.iter().map(|b| b ^ 0x5A).collect();
    v.extend_from_slice(b"RS");
    v
}

/// The first bytes of a message, for error reports.
pub fn head(data: &[u8]) -> String {
    let n = data.len().min(8);
    format!("{:02x?}{}", &data[..n], if data.len() > n { "..." } else { "" })
}
