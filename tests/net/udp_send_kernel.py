#!/usr/bin/env python3
"""Send UDP datagrams with the kernel's sockets and capture the frames they leave as, on one interface.

Runs inside a network namespace (ip netns exec NS python3 udp_send_kernel.py < SPEC). Standard library only.
SPEC = {"ifname": "k0", "cases": [{"family": 4|6, "proto": 17|136, "dst": "...", "port": N, "size": N,
        "sport": N, "opts": {"pmtudisc": N, "dontfrag": 0|1, "ttl": N, "tos": N, "broadcast": 0|1,
        "nocheck": 0|1, "cscov": N, "v6only": 0|1, "mcttl": N, "bindaddr": "...", "bindtodevice": "k0", "connect": 0|1,
        "mcloop": 0|1, "mcif": address (IPv4) or device name (IPv6)}}]}
With "connect" the socket connects to dst/port and sends with send(); else sendto. With "listen": {"addr", "port"}
(and "join": a multicast group it joins on
the interface, first) a socket bound there first reports what it then receives: "received": [HEX, source address, source port] or null.
Prints [{"result": N or "ERRNO", "frames": [HEX, ...]}] — per case the sendto result (bytes or the errno
name) and the frames the interface sent (PACKET_OUTGOING), in order.

Transmit checksum offload is turned off on the interface first (ETHTOOL_STXCSUM through SIOCETHTOOL): with
it on, a captured frame carries the partial checksum a NIC would finish, not the one on the wire.
Bounded: a fixed number of cases.

When is a case's send done? Its frames leave in the sendto itself (k0 is a veth: no queue; a fragment train,
an ARP request for an unresolved neighbour: the same call), and a copy to this host (loopback, a multicast or
broadcast copy) is queued on the sending CPU's backlog (loopback_xmit / dev_loopback_xmit -> __netif_rx, no
RPS). So with this process pinned to one CPU, after the send a marker frame goes out of k0 (ethertype 0x88b5,
local experimental) and the case ends when it arrives at the far end of the veth ("probe": P's namespace,
"probeif": its device, captured there with AF_PACKET): the backlog is processed in order, so the copies queued
before it have reached their sockets, and the frames k0 sent are in the capture's queue. The listening socket
and the capture are then read without waiting.
"""

import array
import ctypes
import errno
import fcntl
import json
import os
import select
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
SIOCETHTOOL = 0x8946
ETHTOOL_STXCSUM = 0x00000017
IP_MTU_DISCOVER = 10
IPV6_MTU_DISCOVER = 23
IPV6_DONTFRAG = 62
IPV6_UNICAST_HOPS = 16
IPV6_TCLASS = 67
IPV6_V6ONLY = 26
SO_NO_CHECK = 11
SOL_UDPLITE = 136
UDPLITE_SEND_CSCOV = 10
MAX_CASES = 200
ETH_P_MARKER = 0x88b5
CLONE_NEWNET = 0x40000000


def tx_csum_off(ifname):
    val = array.array('B', struct.pack('II', ETHTOOL_STXCSUM, 0))
    addr, _ = val.buffer_info()
    ifr = struct.pack('16sP', ifname.encode(), addr)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        fcntl.ioctl(s.fileno(), SIOCETHTOOL, ifr)


class Settle:
    """The marker: sent out of `ifname` by its own packet socket, awaited at the veth's far end."""

    def __init__(self, spec):
        self.out = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_MARKER))
        self.out.bind((spec['ifname'], ETH_P_MARKER))
        libc = ctypes.CDLL(None, use_errno=True)
        home = os.open('/proc/self/ns/net', os.O_RDONLY)
        fd = os.open('/run/netns/' + spec['probe'], os.O_RDONLY)
        try:
            if libc.setns(fd, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), 'setns')
            # made in the probe's namespace, kept after the return home (a socket keeps its namespace)
            self.far = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_MARKER))
            self.far.bind((spec['probeif'], ETH_P_MARKER))
        finally:
            if libc.setns(home, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), 'setns')
            os.close(fd)
            os.close(home)
        self.seq = 0

    def marker(self):
        return b'\xff' * 6 + self.out.getsockname()[4] + struct.pack('!HI', ETH_P_MARKER, self.seq) + b'wxdp-settle'

    def wait(self):
        self.seq += 1
        m = self.marker()
        self.out.send(m)
        deadline = time.monotonic() + 20
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError('udp_send_kernel.py: marker %d not at the far end within 20 s' % self.seq)
            if select.select([self.far], [], [], left)[0] and self.far.recv(70000) == m:
                return m


def drain(cap, settle):
    m = settle.wait()
    frames = []
    while select.select([cap], [], [], 0)[0]:
        data, addr = cap.recvfrom(70000)
        if addr[2] == PACKET_OUTGOING and data != m:
            frames.append(data.hex())
    return frames


def send(case):
    fam = socket.AF_INET if case['family'] == 4 else socket.AF_INET6
    s = socket.socket(fam, socket.SOCK_DGRAM, case.get('proto', 17))
    try:
        o = case.get('opts', {})
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if fam == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, IPV6_V6ONLY, o.get('v6only', 0))
        if o.get('bindtodevice'):
            s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, o['bindtodevice'].encode())
        s.bind((o.get('bindaddr', '0.0.0.0' if fam == socket.AF_INET else '::'), case['sport']))
        if 'pmtudisc' in o:
            if fam == socket.AF_INET:
                s.setsockopt(socket.IPPROTO_IP, IP_MTU_DISCOVER, o['pmtudisc'])
            else:
                s.setsockopt(socket.IPPROTO_IPV6, IPV6_MTU_DISCOVER, o['pmtudisc'])
        if o.get('dontfrag'):
            s.setsockopt(socket.IPPROTO_IPV6, IPV6_DONTFRAG, 1)
        if 'ttl' in o:
            if fam == socket.AF_INET:
                s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, o['ttl'])
            else:
                s.setsockopt(socket.IPPROTO_IPV6, IPV6_UNICAST_HOPS, o['ttl'])
        if 'tos' in o:
            if fam == socket.AF_INET:
                s.setsockopt(socket.IPPROTO_IP, socket.IP_TOS, o['tos'])
            else:
                s.setsockopt(socket.IPPROTO_IPV6, IPV6_TCLASS, o['tos'])
        if 'mcttl' in o:
            s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, o['mcttl'])
        if 'mcloop' in o:
            if fam == socket.AF_INET:
                s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, o['mcloop'])
            else:
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_LOOP, o['mcloop'])
        if 'mcif' in o:
            if fam == socket.AF_INET:
                s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(o['mcif']))
            else:
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, socket.if_nametoindex(o['mcif']))
        if o.get('broadcast'):
            s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        if o.get('nocheck'):
            s.setsockopt(socket.SOL_SOCKET, SO_NO_CHECK, 1)
        if 'cscov' in o:
            s.setsockopt(SOL_UDPLITE, UDPLITE_SEND_CSCOV, o['cscov'])
        payload = bytes((i * 13 + case.get('seed', 0)) & 0xff for i in range(case['size']))
        try:
            if o.get('connect'):
                s.connect((case['dst'], case['port']))
                return s.send(payload)
            return s.sendto(payload, (case['dst'], case['port']))
        except OSError as e:
            return errno.errorcode.get(e.errno, str(e.errno))
    finally:
        s.close()


def listen(case):
    spec = case.get('listen')
    if not spec:
        return None
    fam = socket.AF_INET if case['family'] == 4 else socket.AF_INET6
    r = socket.socket(fam, socket.SOCK_DGRAM, case.get('proto', 17))
    r.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    r.bind((spec['addr'], spec['port']))
    if spec.get('join'):
        if fam == socket.AF_INET:
            r.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, socket.inet_aton(spec['join']) + socket.inet_aton(spec['joinif']))
        else:
            mreq = socket.inet_pton(socket.AF_INET6, spec['join']) + struct.pack('@I', socket.if_nametoindex(spec['joinif']))
            r.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, mreq)
    return r


def received(r):
    if r is None:
        return None
    try:
        # after the marker: a copy sent to it is there or was never sent
        data, src = r.recvfrom(70000, socket.MSG_DONTWAIT)
        return [data.hex(), src[0], src[1]]
    except BlockingIOError:
        return None
    finally:
        r.close()


def main():
    spec = json.load(sys.stdin)
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    tx_csum_off(spec['ifname'])
    settle = Settle(spec)
    cap = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    cap.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    cap.bind((spec['ifname'], ETH_P_ALL))
    drain(cap, settle)
    out = []
    for case in spec['cases'][:MAX_CASES]:
        r = listen(case)
        result = send(case)
        out.append({'result': result, 'frames': drain(cap, settle), 'received': received(r)})
    print(json.dumps(out))


if __name__ == '__main__':
    main()
