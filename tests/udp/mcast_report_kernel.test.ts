// The group reports a join and a leave send (IGMPv3, RFC 3376 4.2; MLDv2, RFC 3810 5.2), against the
// kernel. In a namespace pair this file creates (wx-udpgaps-…: H with the wxdp fixture's addresses, the
// link-local one from the MAC on both, P on the other end of the veth), a Python socket in H joins and leaves groups
// while P captures; the first report after each call is compared with the frame wxdp sends for the
// same call, byte for byte. Nothing is masked: the kernel gives a report IP ID 0 (DF and no socket) and
// an MLD report flow label 0. The kernel repeats each report (robustness 2) within 1 s, wxdp on its
// stack clock (mcast_report_repeat_kernel.test.ts): only the first is compared, and the calls are 1.2 s apart on the kernel's side: a
// report also carries the records of earlier changes whose repeats are still due, which wxdp's do not.

import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { useNamespaces } from '../support/netns.js';
import { Fixture, stackUnready, hex } from '../net/support.js';
import { H_MAC, LINKS, NEIGH, R_MAC } from './support.js';
import type { MembershipOp } from '../../src/control/sockets.js';

const nsa = useNamespaces('udpgaps');
const unready = await stackUnready();
const py = spawnSync('/usr/bin/python3', ['-c', 'import socket; socket.IP_ADD_MEMBERSHIP; socket.IPV6_JOIN_GROUP']).status === 0;
const skip = !nsa.available.ok || unready !== '' || !py;
if (!py) it.skip('python3 with socket.IP_ADD_MEMBERSHIP is missing', () => {});

/** [op, group, source]: the calls, in order, on one socket of each family. */
type Call = [MembershipOp, string, string?];
const CALLS: Call[] = [
  ['join', '239.1.2.3'],
  ['join', '239.1.2.4'],
  ['leave', '239.1.2.3'],
  ['joinSource', '232.1.2.3', '192.0.2.2'],
  ['leaveSource', '232.1.2.3', '192.0.2.2'],
  ['join', 'ff0e::1:3'],
  ['leave', 'ff0e::1:3'],
  ['joinSource', 'ff3e::8000:3', '2001:db8:1::2'],
];

const CODE = `
import ctypes, json, os, select, socket, struct, sys, time
cfg = json.loads(sys.argv[1])
libc = ctypes.CDLL(None, use_errno=True)
home = os.open('/proc/self/ns/net', os.O_RDONLY)
probe = os.open('/run/netns/' + cfg['probe'], os.O_RDONLY)
assert libc.setns(probe, 0x40000000) == 0
cap = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
cap.bind(('eth0', 0))
assert libc.setns(home, 0x40000000) == 0
idx = socket.if_nametoindex('eth0')
s4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
time.sleep(2.5)  # the reports of H's own addresses (solicited-node groups) are over
def report(f):
    if f[12:14] == b'\\x08\\x00' and f[23] == 2:
        return True
    return f[12:14] == b'\\x86\\xdd' and f[20] == 0 and f[62] == 143
out = []
for op, group, source in cfg['calls']:
    while select.select([cap], [], [], 0)[0]:
        cap.recv(65535)
    v6 = ':' in group
    if not v6:
        g, i = socket.inet_aton(group), socket.inet_aton('192.0.2.1')
        if op in ('join', 'leave'):
            s4.setsockopt(0, 35 if op == 'join' else 36, g + i)
        else:
            s4.setsockopt(0, 39 if op == 'joinSource' else 40, g + i + socket.inet_aton(source))
    else:
        g = socket.inet_pton(socket.AF_INET6, group)
        if op in ('join', 'leave'):
            s6.setsockopt(41, 20 if op == 'join' else 21, g + struct.pack('@I', idx))
        else:
            st = lambda a: struct.pack('@H', 10) + b'\\0' * 6 + socket.inet_pton(socket.AF_INET6, a) + b'\\0' * 104
            s6.setsockopt(41, 46, struct.pack('@I', idx) + b'\\0' * 4 + st(group) + st(source))
    first = None
    t0 = time.monotonic()
    end = t0 + 0.3
    while first is None and time.monotonic() < end:
        if select.select([cap], [], [], 0.05)[0]:
            f, a = cap.recvfrom(65535)
            if report(f):
                first = f.hex()
    out.append(first)
    # the repeats (robustness 2, within 1 s each) done before the next call: a report names one change
    time.sleep(max(0, t0 + 1.2 - time.monotonic()))
print(json.dumps(out))
`;

describe.skipIf(skip)('IGMPv3 and MLDv2 reports on join and leave, against the kernel', () => {
  it('the first report after each call is the kernel\'s, byte for byte', async () => {
    const h = nsa.set.create();
    const p = nsa.set.create();
    h.sysctl({ 'net.ipv6.conf.all.accept_dad': 0, 'net.ipv6.conf.default.accept_dad': 0, 'net.ipv6.conf.default.router_solicitations': 0 });
    p.sysctl({ 'net.ipv6.conf.default.disable_ipv6': 1 });
    nsa.set.veth({ ns: h, name: 'eth0', mac: R_MAC }, { ns: p, name: 'eth0', mac: H_MAC });
    h.batch(['addr add 192.0.2.1/24 brd + dev eth0', 'addr add 198.51.100.1/24 brd + dev eth0', 'addr add 2001:db8:1::1/64 dev eth0 nodad'].join('\n'));
    const r = h.spawn(['/usr/bin/python3', '-c', CODE, JSON.stringify({ probe: p.name, calls: CALLS.map(([o, g, s]) => [o, g, s ?? null]) })], { timeoutMs: 80_000 });
    if (r.status !== 0) throw new Error(`python: ${r.stderr}`);
    const kernel = JSON.parse(r.stdout) as Array<string | null>;
    // the kernel reported: joins and leaves of a group alone, the first source of a source-specific join;
    // a source-specific group left by its last source (BLOCK) too
    expect(kernel.map((k) => k !== null), 'which calls the kernel reported').toEqual([true, true, true, true, true, true, true, true]);

    const fx = await Fixture.create(LINKS, [], NEIGH);
    fx.tx();
    const t = fx.dp.socketTable;
    const s4 = t.create({ family: 'inet' });
    const s6 = t.create({ family: 'inet6' });
    const eth0 = fx.devs.get('eth0')!.ifindex;
    const ours = CALLS.map(([op, group, source]) => {
      const v6 = group.includes(':');
      t.membership(v6 ? s6 : s4, op, group, { source, iface: v6 ? eth0 : '192.0.2.1' });
      const f = (fx.tx().get('eth0') ?? []).find((x) => (x[12] === 8 && x[23] === 2) || (x[12] === 0x86 && x[20] === 0 && x[62] === 143));
      return f ? hex(f) : null;
    });
    CALLS.forEach((c, i) => expect(ours[i], c.join(' ')).toEqual(kernel[i]));
  }, 90_000);
});
