# Runs inside a test's network namespace (ip netns exec NS python3 sk_prog_testrun_kernel.py < spec.json):
# BPF_PROG_TEST_RUN of programs/sk_lookup.o's programs with a struct bpf_sk_lookup as ctx_in, as the
# kernel answers it (bpf_prog_test_run_sk_lookup).
#
# spec: { "dir": bpffs mount point, "obj": path,
#         "sockets": [{ "family": 4 | 6, "addr", "port", "reuseport", "mark", "connect": [addr, port] }],
#         "cases": [{ "prog": name, "redir_map": { "0": socket index }, "ctx": { field: value },
#                    "dump": map name (its key 0 value, in hex, follows the result) }] }
#   ctx fields: sk, family, protocol, remote_ip4, remote_ip6, remote_port (host order; stored be16),
#   local_ip4, local_ip6, local_port, ingress_ifindex
# out:  { "results": [ "retval:<n> cookie:<s + socket index | none | ?>" | errno name ] }
import ctypes, ipaddress, json, os, socket, struct, subprocess, sys

spec = json.load(sys.stdin)
sys.dont_write_bytecode = True  # no __pycache__ beside the tests
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sk_prog_bpf import BPF_PROG_TEST_RUN, bpf_buf, ename, map_delete, map_lookup, map_update, obj_get, open_udp_sockets  # noqa: E402

SO_COOKIE = 57


d = spec["dir"]
os.makedirs(d, exist_ok=True)
subprocess.run(["mount", "-t", "bpf", "bpf", d], check=True)
try:
    socks = open_udp_sockets(spec["sockets"])
    cookies = [struct.unpack("<Q", so.getsockopt(socket.SOL_SOCKET, SO_COOKIE, 8))[0] for so in socks]
    subprocess.run(["bpftool", "prog", "loadall", spec["obj"], f"{d}/p", "type", "sk_lookup", "pinmaps", f"{d}/m"], check=True)
    redir = obj_get(f"{d}/m/redir_map")
    results = []
    for c in spec["cases"]:
        for k in range(4):
            map_delete(redir, k)
        for k, i in c.get("redir_map", {}).items():
            if map_update(redir, int(k), socks[i].fileno()) < 0:
                raise OSError("redir_map update")
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
        r = bpf_buf(BPF_PROG_TEST_RUN, attr)
        os.close(prog)
        if r < 0:
            results.append(ename(-r))
            continue
        retval = struct.unpack_from("<I", attr.raw, 4)[0]
        cookie = struct.unpack_from("<Q", cout.raw, 0)[0]
        who = "none" if cookie == 0 else (f"s{cookies.index(cookie)}" if cookie in cookies else "?")
        out = f"retval:{retval} cookie:{who}"
        if c.get("dump"):
            mfd = obj_get(f"{d}/m/{c['dump']}")
            out += " sk:" + map_lookup(mfd, 0, 80)[1].hex()
            os.close(mfd)
        results.append(out)
    print(json.dumps({"results": results}))
finally:
    subprocess.run(["umount", d])
    os.rmdir(d)
