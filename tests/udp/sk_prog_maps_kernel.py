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
import ctypes, errno, json, os, socket, struct, sys

spec = json.load(sys.stdin)
libc = ctypes.CDLL(None, use_errno=True)
SYS_bpf = 321
BPF_MAP_CREATE, BPF_MAP_LOOKUP_ELEM, BPF_MAP_UPDATE_ELEM, BPF_MAP_DELETE_ELEM = 0, 1, 2, 3
SO_COOKIE = 57
IPPROTO_UDPLITE = 136
NAMES = {524: "ENOTSUPP", 95: "EOPNOTSUPP"}


def bpf(cmd, attr):
    buf = ctypes.create_string_buffer(attr, 128)
    r = libc.syscall(SYS_bpf, cmd, buf, 128)
    if r < 0:
        e = ctypes.get_errno()
        return -e
    return r


def ename(e):
    return NAMES.get(e) or errno.errorcode.get(e, f"errno {e}")


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


def keybuf(name, key):
    ks = sizes[name][0]
    b = bytes(key) if isinstance(key, list) else struct.pack("<I", key)
    return ctypes.create_string_buffer(b.ljust(ks, b"\0")[:ks], ks)


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
    k = keybuf(name, op[2])
    if kind == "update":
        v = op[3]
        raw = v["raw"] if isinstance(v, dict) else socks[v].fileno()
        vb = ctypes.create_string_buffer(struct.pack("<Q", raw)[:vs], vs)
        r = bpf(BPF_MAP_UPDATE_ELEM, struct.pack("<IIQQQ", fd, 0, ctypes.addressof(k), ctypes.addressof(vb), op[4]))
        results.append("ok" if r >= 0 else ename(-r))
    elif kind == "delete":
        r = bpf(BPF_MAP_DELETE_ELEM, struct.pack("<IIQ", fd, 0, ctypes.addressof(k)))
        results.append("ok" if r >= 0 else ename(-r))
    elif kind == "lookup":
        vb = ctypes.create_string_buffer(8)
        r = bpf(BPF_MAP_LOOKUP_ELEM, struct.pack("<IIQQQ", fd, 0, ctypes.addressof(k), ctypes.addressof(vb), 0))
        if r < 0:
            results.append(ename(-r))
        else:
            c = struct.unpack("<Q", vb.raw)[0]
            results.append(f"cookie:{cookies.index(c)}" if c in cookies else "cookie:?")
print(json.dumps({"results": results}))
