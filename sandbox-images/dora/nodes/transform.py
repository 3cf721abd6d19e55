"""transform: input `in` (from the sender), output `out` = py_transform(in) with the same
metadata. Ends when its input closes."""
import sys

import pyarrow as pa
from dora import Node

from common import py_transform

node = Node()
n = 0
for event in node:
    if event["type"] == "INPUT":
        data = event["value"].to_numpy(zero_copy_only=False)
        node.send_output("out", pa.array(py_transform(data)), event["metadata"])
        n += 1
    elif event["type"] == "STOP":
        break
print(f"transform: passed on {n} messages", file=sys.stderr)
