#!/usr/bin/env python3
"""BPF_PROG_TEST_RUN for many frames in one process, inside a network namespace.

Usage: test_run_batch.py PINNED_PROG NETNS  < frames (one hex line each)  > results

Opens the pinned program in the caller's mount namespace, then enters NETNS (setns on
/var/run/netns/NETNS), so the runs see that namespace's FIB, devices and neighbours, as a program
attached there would. Prints one line per frame: "<retval> <data_out hex>", or "ERR <errno>".
"""
import ctypes
import os
import struct
import sys

SYS_BPF = 321  # x86_64
BPF_OBJ_GET = 7
BPF_PROG_TEST_RUN = 10
CLONE_NEWNET = 0x40000000

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long


def bpf(cmd, attr):
    buf = ctypes.create_string_buffer(bytes(attr), len(attr))
    r = libc.syscall(SYS_BPF, cmd, buf, len(attr))
    if r < 0:
        return -ctypes.get_errno(), buf.raw
    return r, buf.raw


def main():
    path, netns = sys.argv[1], sys.argv[2]
    p = ctypes.create_string_buffer(path.encode())
    attr = struct.pack("<QIIi", ctypes.addressof(p), 0, 0, 0) + bytes(128 - 20)
    fd, _ = bpf(BPF_OBJ_GET, attr)
    if fd < 0:
        print(f"cannot open {path}: errno {-fd}", file=sys.stderr)
        sys.exit(1)
    nsfd = os.open(f"/var/run/netns/{netns}", os.O_RDONLY)
    if libc.setns(nsfd, CLONE_NEWNET) != 0:
        print(f"setns {netns}: errno {ctypes.get_errno()}", file=sys.stderr)
        sys.exit(1)
    out = []
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        data = bytes.fromhex(line)
        din = ctypes.create_string_buffer(data, len(data))
        dout = ctypes.create_string_buffer(len(data) + 256)
        attr = struct.pack(
            "<IIIIQQIIIIQQIII",
            fd, 0, len(data), len(dout), ctypes.addressof(din), ctypes.addressof(dout),
            1, 0, 0, 0, 0, 0, 0, 0, 0,
        ) + bytes(4)
        r, raw = bpf(BPF_PROG_TEST_RUN, attr)
        if r < 0:
            out.append(f"ERR {-r}")
            continue
        retval, = struct.unpack_from("<I", raw, 4)
        size_out, = struct.unpack_from("<I", raw, 12)
        out.append(f"{retval} {dout.raw[:size_out].hex()}")
    sys.stdout.write("\n".join(out) + "\n")


main()
