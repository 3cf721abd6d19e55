"""sink: input `data` (sender -> transform.py -> rs-transform). Checks that every message
arrived in order, with the right bytes and seq metadata, then prints one summary line:
"sink: N messages in order, content ok". Exits 1 on any mismatch."""
import sys

import numpy as np
from dora import Node

from common import head, make_message, message_count, py_transform, rs_transform


def fail(why):
    print(f"sink: FAILED: {why}", flush=True)
    sys.exit(1)


total = message_count()
node = Node()
n = large = 0
for event in node:
    if event["type"] == "INPUT":
        got = event["value"].to_numpy(zero_copy_only=False)
        if got.dtype != np.uint8:
            fail(f"message {n}: type {event['value'].type}, expected uint8")
        seq = event["metadata"].get("seq")
        if seq != n:
            fail(f"message {n}: seq metadata is {seq!r}")
        want = rs_transform(py_transform(make_message(n)))
        if not np.array_equal(got, want):
            fail(f"message {n}: got {len(got)} bytes {head(got)}, expected {len(want)} bytes {head(want)}")
        large += len(got) >= 4096
        n += 1
    elif event["type"] == "STOP":
        break
if n != total:
    fail(f"got {n} of {total} messages")
print(f"sink: {n} messages in order, content ok ({large} of 64 KiB)", flush=True)
