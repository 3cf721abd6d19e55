"""sender: on each tick of its dora timer input, sends the next numbered message on `data`
(metadata seq = its number), and returns after $DORA_SMOKE_MESSAGES (50) messages, which
closes its output so the rest of the dataflow winds down by itself."""
import sys

import pyarrow as pa
from dora import Node

from common import make_message, message_count

total = message_count()
node = Node()
sent = 0
for event in node:
    if event["type"] == "INPUT" and event["id"] == "tick":
        node.send_output("data", pa.array(make_message(sent)), {"seq": sent})
        sent += 1
        if sent == total:
            break
    elif event["type"] == "STOP":
        break
print(f"sender: sent {sent} messages", file=sys.stderr)
sys.exit(0 if sent == total else 1)
