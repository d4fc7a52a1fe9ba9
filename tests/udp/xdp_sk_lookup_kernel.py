# Runs inside a test's network namespace (ip netns exec NS python3 xdp_sk_lookup_kernel.py < spec.json):
# BPF_PROG_TEST_RUN of programs/xdp_sk_lookup.o (bpf_sk_lookup_udp from XDP) on each frame, with the
# test's UDP sockets open, as the kernel answers it.
#
# spec: { "dir": bpffs mount point, "obj": path,
#         "sockets": [{ "family": 4 | 6, "addr", "port", "reuseport", "connect": [addr, port] }],
#         "cases": [{ "frame": hex, "netns_id": int, "flags": int }] }
# out:  { "results": [ "retval:<n> found:<the found map's value, hex>" | errno name ] }
import ctypes, json, os, struct, subprocess, sys

spec = json.load(sys.stdin)
sys.dont_write_bytecode = True  # no __pycache__ beside the tests
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sk_prog_bpf import BPF_MAP_UPDATE_ELEM, BPF_PROG_TEST_RUN, bpf, bpf_buf, ename, map_lookup, obj_get, open_udp_sockets  # noqa: E402

d = spec["dir"]
os.makedirs(d, exist_ok=True)
subprocess.run(["mount", "-t", "bpf", "bpf", d], check=True)
try:
    socks = open_udp_sockets(spec["sockets"])
    subprocess.run(["bpftool", "prog", "loadall", spec["obj"], f"{d}/p", "type", "xdp", "pinmaps", f"{d}/m"], check=True)
    prog = obj_get(f"{d}/p/xdp_sk_lookup")
    config = obj_get(f"{d}/m/config")
    found = obj_get(f"{d}/m/found")
    results = []
    for c in spec["cases"]:
        k = ctypes.create_string_buffer(struct.pack("<I", 0), 4)
        v = ctypes.create_string_buffer(struct.pack("<QQ", c.get("netns_id", 0xFFFFFFFF), c.get("flags", 0)), 16)
        if bpf(BPF_MAP_UPDATE_ELEM, struct.pack("<IIQQQ", config, 0, ctypes.addressof(k), ctypes.addressof(v), 0)) < 0:
            raise OSError("config update")
        data = bytes.fromhex(c["frame"])
        din = ctypes.create_string_buffer(data, len(data))
        dout = ctypes.create_string_buffer(len(data) + 256)
        attr = ctypes.create_string_buffer(struct.pack("<IIIIQQIIIIQQIII", prog, 0, len(data), len(data) + 256, ctypes.addressof(din), ctypes.addressof(dout), 1, 0, 0, 0, 0, 0, 0, 0, 0), 128)
        r = bpf_buf(BPF_PROG_TEST_RUN, attr)
        if r < 0:
            results.append(ename(-r))
            continue
        retval = struct.unpack_from("<I", attr.raw, 4)[0]
        results.append(f"retval:{retval} found:{map_lookup(found, 0, 60)[1].hex()}")
    print(json.dumps({"results": results}))
finally:
    subprocess.run(["umount", d])
    os.rmdir(d)
