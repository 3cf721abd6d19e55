"""What the dataflow's messages look like; the same rules as ../rust-nodes/src/lib.rs."""
import os

import numpy as np

LARGE = 64 * 1024  # every 5th message, above dora's 4096-byte zero-copy threshold


def message_count():
    """How many messages the sender sends: $DORA_SMOKE_MESSAGES, default 50."""
    return int(os.environ.get("DORA_SMOKE_MESSAGES", "50"))


def message_len(i):
    return LARGE if i % 5 == 4 else 100 + i % 13


def make_message(i):
    """Message i: 4 bytes of i (little-endian), then (i * 7 + k) % 251 for k = 4, 5, ..."""
    k = np.arange(4, message_len(i), dtype=np.uint64)
    body = ((i * 7 + k) % 251).astype(np.uint8)
    return np.concatenate([np.frombuffer((i & 0xFFFFFFFF).to_bytes(4, "little"), dtype=np.uint8), body])


def py_transform(data):
    """The Python transformer: add 1 to every byte (mod 256)."""
    return (data.astype(np.uint16) + 1).astype(np.uint8)


def rs_transform(data):
    """The Rust transformer: XOR every byte with 0x5A, then append b"RS"."""
    return np.concatenate([data ^ np.uint8(0x5A), np.frombuffer(b"RS", dtype=np.uint8)])


def head(data):
    return data[:8].tobytes().hex() + ("..." if len(data) > 8 else "")
