# bpf(2) from Python for the socket-program tests' kernel scripts (sk_prog_*_kernel.py): the syscall
# with a 128-byte attribute, pinned objects, map updates with a socket's file descriptor.
import ctypes, errno, socket, struct

libc = ctypes.CDLL(None, use_errno=True)
SYS_bpf = 321  # x86-64
BPF_MAP_CREATE, BPF_MAP_LOOKUP_ELEM, BPF_MAP_UPDATE_ELEM, BPF_MAP_DELETE_ELEM = 0, 1, 2, 3
BPF_OBJ_GET, BPF_PROG_TEST_RUN, BPF_LINK_CREATE = 7, 10, 28
NAMES = {524: "ENOTSUPP", 95: "EOPNOTSUPP"}


def bpf(cmd, attr):
    """The syscall: its result, or -errno."""
    buf = ctypes.create_string_buffer(bytes(attr), 128)
    r = libc.syscall(SYS_bpf, cmd, buf, 128)
    return -ctypes.get_errno() if r < 0 else r


def bpf_buf(cmd, buf):
    """The syscall on a caller's attribute buffer (to read what the kernel writes back)."""
    r = libc.syscall(SYS_bpf, cmd, buf, len(buf))
    return -ctypes.get_errno() if r < 0 else r


def ename(e):
    return NAMES.get(e) or errno.errorcode.get(e, f"errno {e}")


def obj_get(path):
    p = ctypes.create_string_buffer(path.encode())
    r = bpf(BPF_OBJ_GET, struct.pack("<Q", ctypes.addressof(p)))
    if r < 0:
        raise OSError(-r, f"BPF_OBJ_GET {path}")
    return r


def map_update(map_fd, key, value, flags=0, key_size=4, value_size=8):
    """BPF_MAP_UPDATE_ELEM: `key` an int (u32) or bytes, `value` an int of value_size bytes."""
    kb = key if isinstance(key, bytes) else struct.pack("<I", key)
    k = ctypes.create_string_buffer(kb.ljust(key_size, b"\0")[:key_size], key_size)
    v = ctypes.create_string_buffer(struct.pack("<Q", value)[:value_size], value_size)
    return bpf(BPF_MAP_UPDATE_ELEM, struct.pack("<IIQQQ", map_fd, 0, ctypes.addressof(k), ctypes.addressof(v), flags))


def map_delete(map_fd, key, key_size=4):
    kb = key if isinstance(key, bytes) else struct.pack("<I", key)
    k = ctypes.create_string_buffer(kb.ljust(key_size, b"\0")[:key_size], key_size)
    return bpf(BPF_MAP_DELETE_ELEM, struct.pack("<IIQ", map_fd, 0, ctypes.addressof(k)))


def map_lookup(map_fd, key, value_size, key_size=4):
    """BPF_MAP_LOOKUP_ELEM: (0, value bytes) or (-errno, None)."""
    kb = key if isinstance(key, bytes) else struct.pack("<I", key)
    k = ctypes.create_string_buffer(kb.ljust(key_size, b"\0")[:key_size], key_size)
    v = ctypes.create_string_buffer(max(value_size, 8))
    r = bpf(BPF_MAP_LOOKUP_ELEM, struct.pack("<IIQQQ", map_fd, 0, ctypes.addressof(k), ctypes.addressof(v), 0))
    return (r, None) if r < 0 else (0, v.raw[:value_size])


def open_udp_sockets(specs):
    """The test's UDP sockets: [{ "family": 4 | 6, "addr", "port", "reuseport", "mark", "connect": [addr, port] }],
    an AF_INET6 one dual-stack (IPV6_V6ONLY 0). Returns them open, in order."""
    socks = []
    for s in specs:
        v6 = s.get("family") == 6
        so = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET, socket.SOCK_DGRAM)
        if v6:
            so.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        if s.get("reuseport"):
            so.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        if s.get("mark"):
            so.setsockopt(socket.SOL_SOCKET, socket.SO_MARK, s["mark"])
        so.bind((s.get("addr", ""), s["port"]))
        if s.get("connect"):
            so.connect(tuple(s["connect"]))
        socks.append(so)
    return socks
