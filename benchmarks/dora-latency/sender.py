"""Sends BENCH_ROUNDS messages of each size, one per tick, stamped with time.monotonic_ns()."""
import os
import time

import numpy as np
import pyarrow as pa
from dora import Node

SIZES = [8, 4096, 65536, 1 << 20, 4 << 20]
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "20"))
WARMUP = 50  # small messages first, not counted: the sink's startup would skew them
payloads = [pa.array(np.zeros(n, dtype=np.uint8)) for n in SIZES]
node = Node()
i = 0
for event in node:
    if event["type"] == "STOP":
        break
    if event["type"] != "INPUT":
        continue
    if i == WARMUP + len(SIZES) * ROUNDS:
        break
    if i < WARMUP:
        node.send_output("data", payloads[0], {"size": 0, "sent_ns": time.monotonic_ns()})
    else:
        size = (i - WARMUP) // ROUNDS
        node.send_output("data", payloads[size], {"size": SIZES[size], "sent_ns": time.monotonic_ns()})
    i += 1
