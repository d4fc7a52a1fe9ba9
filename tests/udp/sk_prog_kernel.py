# Runs inside a test's network namespace (ip netns exec NS python3 sk_prog_kernel.py < spec.json):
# the Linux kernel's sk_lookup and sk_reuseport programs from programs/sk_*.o steering datagrams to
# sockets, reported as which socket (by index) received each datagram.
#
# spec: { "dir": bpffs mount point to make, "lookup_obj": path, "reuseport_obj": path,
#         "sockets": [{ "addr": "192.0.2.1", "port": 7007, "reuseport": false, "family": 4 | 6, "v6only": false }],
#         "redir_map": { "0": socket index }, "reuseport_array": { "0": socket index },
#         "lookup_progs": [names, in attach order], "reuseport_prog": name or null (attached through socket
#         reuseport_attach), "reuseport_attach": socket index,
#         "send": [{ "dst": "192.0.2.1", "dport": 7007, "sport": 40000, "payload": [1, 2] }] }
# out:  { "received": [socket index or null, one per datagram] }
import ctypes, json, os, select, socket, struct, subprocess, sys, time

spec = json.load(sys.stdin)
libc = ctypes.CDLL(None, use_errno=True)
SYS_bpf = 321
BPF_MAP_UPDATE_ELEM, BPF_OBJ_GET, BPF_LINK_CREATE = 2, 7, 28
BPF_SK_LOOKUP = 36
SO_ATTACH_REUSEPORT_EBPF = 52


def bpf(cmd, attr):
    buf = ctypes.create_string_buffer(attr, 128)
    r = libc.syscall(SYS_bpf, cmd, buf, 128)
    if r < 0:
        e = ctypes.get_errno()
        raise OSError(e, f"bpf({cmd}): {os.strerror(e)}")
    return r


def obj_get(path):
    p = ctypes.create_string_buffer(path.encode())
    return bpf(BPF_OBJ_GET, struct.pack("<Q", ctypes.addressof(p)))


def map_update(map_fd, key, value):
    k = ctypes.create_string_buffer(struct.pack("<I", key), 4)
    v = ctypes.create_string_buffer(struct.pack("<Q", value), 8)
    bpf(BPF_MAP_UPDATE_ELEM, struct.pack("<IIQQQ", map_fd, 0, ctypes.addressof(k), ctypes.addressof(v), 0))


d = spec["dir"]
os.makedirs(d, exist_ok=True)
subprocess.run(["mount", "-t", "bpf", "bpf", d], check=True)
try:
    socks = []
    for s in spec["sockets"]:
        so = socket.socket(socket.AF_INET6 if s.get("family") == 6 else socket.AF_INET, socket.SOCK_DGRAM)
        if s.get("family") == 6:
            so.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1 if s.get("v6only") else 0)
        if s.get("reuseport"):
            so.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        so.bind((s.get("addr", ""), s["port"]))
        so.setblocking(False)
        socks.append(so)
    links = []
    if spec.get("lookup_progs"):
        subprocess.run(["bpftool", "prog", "loadall", spec["lookup_obj"], f"{d}/l", "type", "sk_lookup", "pinmaps", f"{d}/lm"], check=True)
        redir = obj_get(f"{d}/lm/redir_map")
        for k, i in spec.get("redir_map", {}).items():
            map_update(redir, int(k), socks[i].fileno())
        netns = os.open("/proc/self/ns/net", os.O_RDONLY)
        for name in spec["lookup_progs"]:
            links.append(bpf(BPF_LINK_CREATE, struct.pack("<IIII", obj_get(f"{d}/l/{name}"), netns, BPF_SK_LOOKUP, 0)))
    if spec.get("reuseport_prog"):
        subprocess.run(["bpftool", "prog", "loadall", spec["reuseport_obj"], f"{d}/r", "type", "sk_reuseport", "pinmaps", f"{d}/rm"], check=True)
        arr = obj_get(f"{d}/rm/reuseport_array")
        for k, i in spec.get("reuseport_array", {}).items():
            map_update(arr, int(k), socks[i].fileno())
        prog = obj_get(f"{d}/r/{spec['reuseport_prog']}")
        socks[spec["reuseport_attach"]].setsockopt(socket.SOL_SOCKET, SO_ATTACH_REUSEPORT_EBPF, struct.pack("i", prog))
    received = []
    for m in spec["send"]:
        v6 = ":" in m["dst"]
        c = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET, socket.SOCK_DGRAM)
        c.bind(("2001:db8:1::1" if v6 else "192.0.2.1", m.get("sport", 0)))
        c.sendto(bytes(m["payload"]), (m["dst"], m["dport"]))
        c.close()
        got = None
        ready, _, _ = select.select(socks, [], [], 0.2)
        for i, so in enumerate(socks):
            if so in ready:
                try:
                    so.recv(2048)
                    got = i
                except BlockingIOError:
                    pass
        received.append(got)
    print(json.dumps({"received": received}))
finally:
    subprocess.run(["umount", d])
