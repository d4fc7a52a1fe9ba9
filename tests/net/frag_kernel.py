#!/usr/bin/env python3
"""Send Ethernet frames on an interface with AF_PACKET and collect what comes back, bounded in time.

Reads JSON on stdin: {"iface": "a0", "steps": [{"frame": "hex"} | {"sleep": ms}], "recv_ms": N}
Prints JSON: the hex of every frame received on the interface (not the ones it sent) until N ms
after the last step.
"""
import json
import select
import socket
import sys
import time

cfg = json.load(sys.stdin)
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
s.bind((cfg["iface"], 0))
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
for step in cfg["steps"]:
    if "frame" in step:
        s.send(bytes.fromhex(step["frame"]))
    else:
        time.sleep(step["sleep"] / 1000)
out = []
deadline = time.time() + cfg["recv_ms"] / 1000
while len(out) < 1000:
    left = deadline - time.time()
    if left <= 0:
        break
    r, _, _ = select.select([s], [], [], left)
    if not r:
        break
    pkt, addr = s.recvfrom(65535)
    if addr[2] == socket.PACKET_OUTGOING:
        continue
    out.append(pkt.hex())
print(json.dumps(out))
