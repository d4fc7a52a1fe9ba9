# Runs inside a test's network namespace (ip netns exec NS python3 sk_prog_testrun_kernel.py < spec.json):
# BPF_PROG_TEST_RUN of programs/sk_lookup.o's programs with a struct bpf_sk_lookup as ctx_in, as the
# kernel answers it (bpf_prog_test_run_sk_lookup).
#
# spec: { "dir": bpffs mount point, "obj": path, "sockets": [{ "addr", "port", "reuseport" }],
#         "cases": [{ "prog": name, "redir_map": { "0": socket index }, "ctx": { field: value } }] }
#   ctx fields: sk, family, protocol, remote_ip4, remote_ip6, remote_port (host order; stored be16),
#   local_ip4, local_ip6, local_port, ingress_ifindex
# out:  { "results": [ "retval:<n> cookie:<s + socket index | none | ?>" | errno name ] }
import ctypes, errno, ipaddress, json, os, socket, struct, subprocess, sys

spec = json.load(sys.stdin)
libc = ctypes.CDLL(None, use_errno=True)
SYS_bpf = 321
BPF_MAP_UPDATE_ELEM, BPF_MAP_DELETE_ELEM, BPF_OBJ_GET, BPF_PROG_TEST_RUN = 2, 3, 7, 10
SO_COOKIE = 57


def bpf(cmd, buf):
    r = libc.syscall(SYS_bpf, cmd, buf, len(buf))
    return -ctypes.get_errno() if r < 0 else r


def obj_get(path):
    p = ctypes.create_string_buffer(path.encode())
    r = bpf(BPF_OBJ_GET, ctypes.create_string_buffer(struct.pack("<Q", ctypes.addressof(p)), 128))
    if r < 0:
        raise OSError(-r, path)
    return r


d = spec["dir"]
os.makedirs(d, exist_ok=True)
subprocess.run(["mount", "-t", "bpf", "bpf", d], check=True)
try:
    socks = []
    for s in spec["sockets"]:
        so = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        if s.get("reuseport"):
            so.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        so.bind((s.get("addr", ""), s["port"]))
        socks.append(so)
    cookies = [struct.unpack("<Q", so.getsockopt(socket.SOL_SOCKET, SO_COOKIE, 8))[0] for so in socks]
    subprocess.run(["bpftool", "prog", "loadall", spec["obj"], f"{d}/p", "type", "sk_lookup", "pinmaps", f"{d}/m"], check=True)
    redir = obj_get(f"{d}/m/redir_map")
    results = []
    for c in spec["cases"]:
        for k in range(4):
            kb = ctypes.create_string_buffer(struct.pack("<I", k), 4)
            bpf(BPF_MAP_DELETE_ELEM, ctypes.create_string_buffer(struct.pack("<IIQ", redir, 0, ctypes.addressof(kb)), 128))
        for k, i in c.get("redir_map", {}).items():
            kb = ctypes.create_string_buffer(struct.pack("<I", int(k)), 4)
            vb = ctypes.create_string_buffer(struct.pack("<Q", socks[i].fileno()), 8)
            bpf(BPF_MAP_UPDATE_ELEM, ctypes.create_string_buffer(struct.pack("<IIQQQ", redir, 0, ctypes.addressof(kb), ctypes.addressof(vb), 0), 128))
        x = c["ctx"]
        ctx = bytearray(72)
        struct.pack_into("<QII", ctx, 0, x.get("sk", 0), x.get("family", 0), x.get("protocol", 17))
        if "remote_ip4" in x:
            ctx[16:20] = ipaddress.ip_address(x["remote_ip4"]).packed
        if "remote_ip6" in x:
            ctx[20:36] = ipaddress.ip_address(x["remote_ip6"]).packed
        struct.pack_into(">H", ctx, 36, x.get("remote_port", 0))
        if "local_ip4" in x:
            ctx[40:44] = ipaddress.ip_address(x["local_ip4"]).packed
        if "local_ip6" in x:
            ctx[44:60] = ipaddress.ip_address(x["local_ip6"]).packed
        struct.pack_into("<II", ctx, 60, x.get("local_port", 0), x.get("ingress_ifindex", 0))
        cin = ctypes.create_string_buffer(bytes(ctx), 72)
        cout = ctypes.create_string_buffer(72)
        prog = obj_get(f"{d}/p/{c['prog']}")
        attr = ctypes.create_string_buffer(struct.pack("<IIIIQQIIIIQQIII", prog, 0, 0, 0, 0, 0, 1, 0, 72, 72, ctypes.addressof(cin), ctypes.addressof(cout), 0, 0, 0), 128)
        r = bpf(BPF_PROG_TEST_RUN, attr)
        os.close(prog)
        if r < 0:
            results.append(errno.errorcode.get(-r, str(-r)).replace("ENOTSUP", "EOPNOTSUPP") if -r != 524 else "ENOTSUPP")
            continue
        retval = struct.unpack_from("<I", attr.raw, 4)[0]
        cookie = struct.unpack_from("<Q", cout.raw, 0)[0]
        who = "none" if cookie == 0 else (f"s{cookies.index(cookie)}" if cookie in cookies else "?")
        results.append(f"retval:{retval} cookie:{who}")
    print(json.dumps({"results": results}))
finally:
    subprocess.run(["umount", d])
