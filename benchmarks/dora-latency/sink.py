"""Prints "SIZE MEDIAN_US" per message size once the sender is done."""
import statistics
import time

from dora import Node

node = Node()
lat = {}
for event in node:
    if event["type"] == "INPUT":
        now = time.monotonic_ns()
        m = event["metadata"]
        lat.setdefault(int(m["size"]), []).append((now - int(m["sent_ns"])) / 1000)
    elif event["type"] == "STOP":
        break
lat.pop(0, None)  # the warm-up messages
for size in sorted(lat):
    print(f"latency {size} {statistics.median(lat[size]):.0f}", flush=True)
