# Runs inside a test's network namespace (ip netns exec NS python3 sk_prog_maps_kernel.py < spec.json):
# socket maps (SOCKMAP, SOCKHASH, REUSEPORT_SOCKARRAY) made and changed with bpf(2) from user space, as
# the kernel answers each step.
#
# spec: { "sockets": [{ "proto": "udp" | "udplite", "addr": "192.0.2.1", "port": 7007 | null (unbound),
#                       "reuseport": bool }],
#         "ops": [ ["create", name, type, key_size, value_size, max_entries, flags],
#                  ["update", name, key (int, or [bytes]), socket index | {"raw": n}, flags],
#                  ["delete", name, key], ["lookup", name, key] ] }
# out:  { "results": [ "ok" | "cookie:<socket index>" | "cookie:?" | errno name ] }
import json, os, socket, struct, sys

spec = json.load(sys.stdin)
sys.dont_write_bytecode = True  # no __pycache__ beside the tests
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sk_prog_bpf import BPF_MAP_CREATE, bpf, ename, map_delete, map_lookup, map_update  # noqa: E402

SO_COOKIE = 57
IPPROTO_UDPLITE = 136

socks = []
for s in spec["sockets"]:
    so = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, IPPROTO_UDPLITE if s.get("proto") == "udplite" else 0)
    if s.get("reuseport"):
        so.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    if s.get("port") is not None:
        so.bind((s.get("addr", ""), s["port"]))
    socks.append(so)
cookies = [struct.unpack("<Q", so.getsockopt(socket.SOL_SOCKET, SO_COOKIE, 8))[0] for so in socks]
maps = {}
sizes = {}
results = []


def keybytes(key):
    return bytes(key) if isinstance(key, list) else struct.pack("<I", key)


for op in spec["ops"]:
    kind, name = op[0], op[1]
    if kind == "create":
        _, _, t, ks, vs, n, flags = op
        r = bpf(BPF_MAP_CREATE, struct.pack("<IIIII", t, ks, vs, n, flags))
        if r >= 0:
            maps[name] = r
            sizes[name] = (ks, vs)
            results.append("ok")
        else:
            results.append(ename(-r))
        continue
    fd = maps[name]
    ks, vs = sizes[name]
    k = keybytes(op[2])
    if kind == "update":
        v = op[3]
        raw = v["raw"] if isinstance(v, dict) else socks[v].fileno()
        r = map_update(fd, k, raw, op[4], ks, vs)
        results.append("ok" if r >= 0 else ename(-r))
    elif kind == "delete":
        r = map_delete(fd, k, ks)
        results.append("ok" if r >= 0 else ename(-r))
    elif kind == "lookup":
        r, val = map_lookup(fd, k, 8, ks)
        if r < 0:
            results.append(ename(-r))
        else:
            c = struct.unpack("<Q", val)[0]
            results.append(f"cookie:{cookies.index(c)}" if c in cookies else "cookie:?")
print(json.dumps({"results": results}))
