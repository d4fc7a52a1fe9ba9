#!/usr/bin/python3
# The kernel side of tests/udp/udp_kernel.test.ts. Run inside the host namespace H (ip netns exec H):
# makes the sockets a case lists (Python sockets: SO_REUSEADDR, SO_REUSEPORT, IPV6_V6ONLY,
# SO_BINDTODEVICE, bind, connect) and reports each call's errno; then, from the probe namespace P
# (entered with setns, so the sockets stay H's), sends each frame out of P's veth with AF_PACKET and
# reports, per frame, what H sent back on that veth and which socket received what.
#
# argv[1] (or stdin when there is no argv[1]): JSON {"probe": P, "ifname": veth in P (and H's), "wait": seconds,
#                "echo": true to end each capture on an echo reply instead of "wait" (below), "sockets": [...],
#                "frames": [hex, ...], "sends": [[socket, addr|null, port, hex payload], ...]}
#   or {"probe", "ifname", "echo", "wait", "cases": [{"sockets", "frames", "sends"}, ...]}: the cases one after the
#   other in this one process (each case's sockets closed before the next's are made); stdout is then a list of
#   what one case prints
#   a socket: {"family": 4|6, "lite": IPPROTO_UDPLITE, "reuseaddr", "reuseport", "v6only", "broadcast", "dev": name|null, "rcvbuf": bytes|null,
#              "hold": read only after the last frame, "bind": [addr, port]|null, "connect": [addr, port]|null,
#              "mc": [[level, optname, hex option value]...] setsockopt calls after bind (multicast)}
# stdout: JSON {"calls": [[bind errno, connect errno, local port, [mc errno...]]...],
#               "results": [{"tx": [hex], "got": [[i, hex, addr, port]], "counters": {name: delta}}],
#               "sent": [{"err": errno name or "", "port": the sender's local port after it, "tx", "got", "counters"}
#                        per send, made before the frames]}
# With sends, H's transmit checksum offload is turned off first (ETHTOOL_STXCSUM through SIOCETHTOOL): with it
# on, a captured datagram carries the partial checksum a NIC would finish, not the one on the wire.
#
# When is the kernel done with a frame (or a send)? With "wait", after a fixed sleep. With "echo" (H must have
# a permanent neighbour entry for 192.0.2.2), this process is pinned to one CPU and, after the frame, P sends H
# an ICMP echo request and the capture reads until its reply: P's AF_PACKET send, H's sends and the
# loopback all queue on the sending CPU's backlog (veth_xmit and loopback_xmit -> __netif_rx, no RPS), which
# is processed in order, so what the frame makes H queue (its answer to P, an error through lo) is queued
# before the reply and read first. A second echo after the first covers a chain one queueing longer. What the
# echo itself moves in the counters (calibrated at the start, ICMP and IP ones outside the compared list) is
# taken off each result.
import array, ctypes, errno, fcntl, json, os, select, socket, struct, subprocess, sys, time

cfg = json.loads(sys.argv[1]) if len(sys.argv) > 1 else json.load(sys.stdin)
ECHO = bool(cfg.get('echo'))
libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNET = 0x40000000
hns = os.open('/proc/self/ns/net', os.O_RDONLY)  # H's: the sockets, ip's flushes and the ethtool ioctl are made here
if ECHO:
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # inherited by the ip processes below

# H's SNMP counters, through files opened here: /proc/net follows the reader's namespace
snmp = open('/proc/net/snmp')
snmp6 = open('/proc/net/snmp6')


def counters():
    out = {}
    snmp.seek(0)
    lines = snmp.read().splitlines()
    for head, vals in zip(lines[0::2], lines[1::2]):
        k, v = head.split(), vals.split()
        for a, b in zip(k[1:], v[1:]):
            out[k[0][:-1] + ':' + a] = int(b)
    snmp6.seek(0)
    for line in snmp6.read().splitlines():
        p = line.split()
        if len(p) == 2:
            for g in ('Udp6', 'UdpLite6', 'Icmp6', 'Ip6'):
                if p[0].startswith(g):
                    out[g + ':' + p[0][len(g):]] = int(p[1])
                    break
    return out


def delta(before, after):
    return {k: after[k] - before.get(k, 0) for k in after if after[k] != before.get(k, 0)}


# The probe's capture socket, made in P (entered with setns and left again: sockets keep the namespace
# they were made in, and the case's sockets and ip's flushes must be H's)
fd = os.open('/run/netns/' + cfg['probe'], os.O_RDONLY)
if libc.setns(fd, CLONE_NEWNET) != 0:
    raise OSError(ctypes.get_errno(), 'setns')
p = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
p.bind((cfg['ifname'], 0))
if libc.setns(hns, CLONE_NEWNET) != 0:
    raise OSError(ctypes.get_errno(), 'setns')
os.close(fd)


def noise(f):
    # what the kernel sends unprompted: IPv6 router solicitations and MLD reports, IGMP reports
    if len(f) > 23 and f[12:14] == b'\x08\x00' and f[23] == 2:
        return True
    return len(f) > 54 and f[12:14] == b'\x86\xdd' and ((f[20] == 58 and f[54] in (131, 133, 143)) or (f[20] == 0 and len(f) > 62 and f[62] == 143))


def csum(b):
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


ECHO_ID = 0x7e41
seq = [0]


def echo_request(n):
    # P (192.0.2.2, the MAC H's neighbour entry names) to H's 192.0.2.1; P's own MAC is the source
    mac = p.getsockname()[4]
    icmp = struct.pack('!BBHHH', 8, 0, 0, ECHO_ID, n) + b'wxdp-settle'
    icmp = icmp[:2] + struct.pack('!H', csum(icmp)) + icmp[4:]
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(icmp), n, 0, 64, 1, 0, socket.inet_aton('192.0.2.2'), socket.inet_aton('192.0.2.1'))
    ip = ip[:10] + struct.pack('!H', csum(ip)) + ip[12:]
    return bytes.fromhex(cfg.get('hmac', '020000000001').replace(':', '')) + mac + b'\x08\x00' + ip + icmp


def is_reply(f, n):
    return len(f) >= 42 and f[12:14] == b'\x08\x00' and f[23] == 1 and f[26:30] == socket.inet_aton('192.0.2.1') and f[34] == 0 and f[38:42] == struct.pack('!HH', ECHO_ID, n)


def capture_until_echo(tx):
    for _ in range(2):
        seq[0] = seq[0] % 0xffff + 1
        n = seq[0]
        p.send(echo_request(n))
        deadline = time.monotonic() + 20
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError('udp_kernel.py: no echo reply %d from H within 20 s' % n)
            if not select.select([p], [], [], left)[0]:
                continue
            f, a = p.recvfrom(65535)
            if a[2] == socket.PACKET_OUTGOING:
                continue
            if is_reply(f, n):
                break
            if not noise(f):
                tx.append(f.hex())


def settle():
    tx = []
    if ECHO:
        capture_until_echo(tx)
    else:
        time.sleep(cfg.get('wait', 0.05))
    while select.select([p], [], [], 0)[0]:
        f, a = p.recvfrom(65535)
        if a[2] != socket.PACKET_OUTGOING and not noise(f):
            tx.append(f.hex())
    return tx


def flush_capture():
    while select.select([p], [], [], 0)[0]:
        p.recv(65535)


# what a settle's echoes move in H's counters, taken off each result (two alike in a row: nothing else moved meanwhile)
echo_moves = {}
if ECHO:
    last = None
    for _ in range(10):
        flush_capture()
        before = counters()
        settle()
        d = delta(before, counters())
        if d == last:
            break
        last = d
    else:
        raise RuntimeError('udp_kernel.py: the echo\'s counters never repeated: %s' % last)
    echo_moves = last  # one settle's (its two echoes)


def moved(before, after):
    d = delta(before, after)
    for k, v in echo_moves.items():
        d[k] = d.get(k, 0) - v
    return {k: v for k, v in d.items() if v != 0}


def drain(i, k, got):
    while True:
        try:
            d, a = k.recvfrom(65535)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as e:
            got.append([i, 'error', errno.errorcode.get(e.errno, str(e.errno)), 0])
            continue
        got.append([i, d.hex(), a[0], a[1]])


def run_case(case):
    socks = []
    calls = []
    for s in case['sockets']:
        fam = socket.AF_INET6 if s['family'] == 6 else socket.AF_INET
        k = socket.socket(fam, socket.SOCK_DGRAM, 136 if s.get('lite') else 0)  # IPPROTO_UDPLITE
        if s.get('reuseaddr'):
            k.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if s.get('reuseport'):
            k.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        if s.get('broadcast'):
            k.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        if fam == socket.AF_INET6:
            k.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1 if s.get('v6only') else 0)
        if s.get('dev'):
            k.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, s['dev'].encode())
        if s.get('rcvbuf') is not None:
            k.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, s['rcvbuf'])
        be = ce = 0
        if s.get('bind') is not None:
            try:
                k.bind(tuple(s['bind']))
            except OSError as e:
                be = e.errno
        if s.get('connect') is not None:
            try:
                k.connect(tuple(s['connect']))
            except OSError as e:
                ce = e.errno
        me = []
        for level, name, val in s.get('mc', []):
            try:
                k.setsockopt(level, name, bytes.fromhex(val))
                me.append(0)
            except OSError as e:
                me.append(e.errno)
        k.setblocking(False)
        socks.append(k)
        calls.append([be, ce, k.getsockname()[1], me])

    if case.get('sends'):
        c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        buf = array.array('I', [0x17, 0])  # struct ethtool_value: ETHTOOL_STXCSUM, off
        ifr = struct.pack('16sP', cfg['ifname'].encode(), buf.buffer_info()[0])
        fcntl.ioctl(c, 0x8946, ifr)  # SIOCETHTOOL
        c.close()

    results = []
    sent = []
    if case.get('frames') or case.get('sends'):
        # H lives through every case of a file, wxdp's fixture is made anew: a PMTU exception an earlier
        # case's "fragmentation needed" or "packet too big" left (ipv4_sk_update_pmtu / ip6_sk_update_pmtu;
        # under 552 locked, so later sends lose DF) is flushed before this case's sends (route/flush bumps the
        # exceptions' genid; IPv6 deletes its cached routes)
        for fam in ('-4', '-6'):
            subprocess.run(['ip', fam, 'route', 'flush', 'cache'], check=True, capture_output=True)

        for i, addr, port, h in case.get('sends', []):
            flush_capture()
            before = counters()
            err = ''
            try:
                if addr is None:
                    socks[i].send(bytes.fromhex(h))
                else:
                    socks[i].sendto(bytes.fromhex(h), (addr, port))
            except OSError as e:
                err = errno.errorcode.get(e.errno, str(e.errno))
            tx = settle()
            got = []
            for j, k in enumerate(socks):
                drain(j, k, got)
            sent.append({'err': err, 'port': socks[i].getsockname()[1], 'tx': tx, 'got': got, 'counters': moved(before, counters())})

        if case.get('sends'):
            # A send to a peer with no neighbour entry leaves one INCOMPLETE: the kernel probes again every
            # second and after the last probe reports host unreachable to the sender (arp_error_report /
            # ndisc_error_report), later than any capture window here. Deleting those entries now ends it:
            # neigh_invalidate reports at once; that report, and what it leaves on the sockets, is nobody's
            # result (wxdp's clock stands still: its probe is never repeated).
            for fam in ('-4', '-6'):
                subprocess.run(['ip', fam, 'neigh', 'flush', 'dev', cfg['ifname'], 'nud', 'incomplete'], check=True, capture_output=True)
            settle()
            for j, k in enumerate(socks):
                drain(j, k, [])

        frames = case.get('frames', [])
        for n, h in enumerate(frames):
            flush_capture()
            before = counters()
            p.send(bytes.fromhex(h))
            tx = settle()
            got = []
            last = n == len(frames) - 1
            for i, k in enumerate(socks):
                # a socket marked "hold" is read only after the last frame (its queue fills meanwhile)
                if last or not case['sockets'][i].get('hold'):
                    drain(i, k, got)
            results.append({'tx': tx, 'got': got, 'counters': moved(before, counters())})

    for k in socks:
        k.close()
    return {'calls': calls, 'results': results, 'sent': sent}


if 'cases' in cfg:
    print(json.dumps([run_case(c) for c in cfg['cases']]))
else:
    print(json.dumps(run_case(cfg)))
