#!/usr/bin/env python3
# The kernel's answers for bloom filter maps through bpf(2) itself (bpftool has no map_extra): reads
# {"creates": [[type, key, value, entries, flags, extra], …], "ops": {"map": [...], "seq": [[op, hex, flags], …]}}
# on stdin, prints {"creates": [errno…], "ops": [errno…]} (0 for success). Ops on one map created from
# "map": push (BPF_MAP_UPDATE_ELEM, key NULL), peek (BPF_MAP_LOOKUP_ELEM, key NULL, the value given),
# peek_key (the same with a 4-byte key), delete, getnext (key NULL), pop (LOOKUP_AND_DELETE).
# tests/maps/bloom_filter.test.ts runs it as root.
import ctypes, json, os, sys

libc = ctypes.CDLL(None, use_errno=True)
SYS_BPF = {'x86_64': 321, 'aarch64': 280}[os.uname().machine]
MAP_CREATE, LOOKUP, UPDATE, DELETE, GETNEXT, LOOKUP_AND_DELETE = 0, 1, 2, 3, 4, 21

def bpf(cmd, attr):
    r = libc.syscall(SYS_BPF, cmd, ctypes.byref(attr), ctypes.sizeof(attr))
    return r if r >= 0 else -ctypes.get_errno()

def create(t, k, v, n, flags, extra):
    a = (ctypes.c_uint8 * 72)()
    ctypes.memmove(a, (ctypes.c_uint32 * 5)(t, k, v, n, flags), 20)
    ctypes.memmove(ctypes.byref(a, 64), (ctypes.c_uint64 * 1)(extra), 8)
    return bpf(MAP_CREATE, a)

def elem(cmd, fd, key, value, flags):
    a = (ctypes.c_uint64 * 4)(fd, ctypes.addressof(key) if key is not None else 0,
                              ctypes.addressof(value) if value is not None else 0, flags)
    return bpf(cmd, a)

req = json.load(sys.stdin)
out = {'creates': [], 'ops': []}
for c in req.get('creates', []):
    fd = create(*c)
    out['creates'].append(0 if fd >= 0 else -fd)
    if fd >= 0:
        os.close(fd)
ops = req.get('ops')
if ops:
    fd = create(*ops['map'])
    if fd < 0:
        sys.exit('create: errno %d' % -fd)
    for op, hexv, flags in ops['seq']:
        b = bytes.fromhex(hexv)
        val = (ctypes.c_uint8 * max(len(b), 1)).from_buffer_copy(b or b'\0')
        key = (ctypes.c_uint8 * 8)()
        r = {'push': lambda: elem(UPDATE, fd, None, val, flags),
             'peek': lambda: elem(LOOKUP, fd, None, val, flags),
             'peek_key': lambda: elem(LOOKUP, fd, key, val, flags),
             'delete': lambda: elem(DELETE, fd, None, None, 0),
             'getnext': lambda: elem(GETNEXT, fd, None, key, 0),
             'pop': lambda: elem(LOOKUP_AND_DELETE, fd, None, val, 0)}[op]()
        out['ops'].append(0 if r >= 0 else -r)
    os.close(fd)
print(json.dumps(out))
