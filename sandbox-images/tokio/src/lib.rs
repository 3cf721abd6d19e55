//! Bits shared by the programs in src/bin.

use std::io::Write;
use std::net::SocketAddr;

/// The address from argv[n], or `default` when it is absent.
pub fn arg_or(n: usize, default: &str) -> String {
    std::env::args().nth(n).unwrap_or_else(|| default.to_string())
}

/// Print `listening on ADDR` and flush, so a test can read the bound port (port 0 works).
pub fn announce(addr: SocketAddr) {
    let mut out = std::io::stdout().lock();
    writeln!(out, "listening on {addr}").and_then(|_| out.flush()).expect("stdout");
}
