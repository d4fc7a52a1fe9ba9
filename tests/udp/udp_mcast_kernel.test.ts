// Multicast and broadcast delivery, against the kernel. In a namespace pair this file creates
// (wx-udpgaps-…: a host H with the wxdp fixture's addresses, a probe P on the other end of a veth), the
// same sockets join the same groups with Python (setsockopt IP_ADD_MEMBERSHIP, IP_ADD_SOURCE_MEMBERSHIP,
// IP_BLOCK_SOURCE, IP_MULTICAST_ALL, IPV6_ADD_MEMBERSHIP, MCAST_JOIN_SOURCE_GROUP) and with wxdp's
// SocketTable.membership, and compared: each option's errno, then for every frame P sends (AF_PACKET)
// which sockets receive it, with what source, and the UDP counters it moves (IgnoredMulti when no
// socket takes it; nothing at all when the device is not in the group: the input route drops it).
// tests/udp/udp_kernel.py runs the kernel's side.

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { useNamespaces, type Netns } from '../support/netns.js';
import { Fixture, stackUnready, concat, eth, fragments4, hex, inetChecksum, ipv4, ipv6, udp4 } from '../net/support.js';
import { H_MAC, LINKS, NEIGH, R_MAC, be16 } from './support.js';
import { ipv4Bytes, ipv6Bytes } from '../../src/control/addresses.js';
import { errnoName, type MembershipOp, type SocketTable } from '../../src/control/sockets.js';
import { mcSockopt as sockopt, socketErrno, type Mc } from './udp_kernel_support.js';

const SCRIPT = fileURLToPath(new URL('./udp_kernel.py', import.meta.url));
const SYSCTLS = { 'net.ipv4.icmp_ratelimit': 0, 'net.ipv6.icmp.ratelimit': 0 };

interface Sock {
  family: 4 | 6;
  bind: [string, number];
  mc: Mc[];
  reuseport?: boolean;
}
interface KernelOut {
  calls: Array<[number, number, number, number[]]>;
  results: Array<{ tx: string[]; got: Array<[number, string, string, number]>; counters: Record<string, number> }>;
}

const nsa = useNamespaces('udpgaps');
const unready = await stackUnready();
const py = spawnSync('/usr/bin/python3', ['-c', 'import socket; socket.IP_ADD_MEMBERSHIP']).status === 0;
const skip = !nsa.available.ok || unready !== '' || !py;
if (!py) it.skip('python3 with socket.IP_ADD_MEMBERSHIP is missing', () => {});

let host: Netns | undefined;
let probe: Netns | undefined;
function kernel(): { h: Netns; p: Netns } {
  if (host && probe) return { h: host, p: probe };
  const h = nsa.set.create();
  const p = nsa.set.create();
  h.sysctl({ 'net.ipv6.conf.all.accept_dad': 0, 'net.ipv6.conf.default.accept_dad': 0, 'net.ipv6.conf.default.router_solicitations': 0, ...SYSCTLS });
  p.sysctl({ 'net.ipv6.conf.default.disable_ipv6': 1 });
  nsa.set.veth({ ns: h, name: 'eth0', mac: R_MAC }, { ns: p, name: 'eth0', mac: H_MAC });
  h.batch(['addr add 192.0.2.1/24 brd + dev eth0', 'addr add 198.51.100.1/24 brd + dev eth0', 'addr add 2001:db8:1::1/64 dev eth0 nodad'].join('\n'));
  host = h;
  probe = p;
  return { h, p };
}

function runKernel(sockets: Sock[], frames: Uint8Array[]): KernelOut {
  const { h, p } = kernel();
  const ifindex = Number(h.exec(['cat', '/sys/class/net/eth0/ifindex']).trim());
  const spec = sockets.map((s) => ({ family: s.family, reuseaddr: true, reuseport: s.reuseport, bind: s.bind, mc: s.mc.map((m) => sockopt(m, ifindex)) }));
  const r = h.spawn(['/usr/bin/python3', SCRIPT, JSON.stringify({ probe: p.name, ifname: 'eth0', wait: 0.05, sockets: spec, frames: frames.map(hex) })], { timeoutMs: 60_000 });
  if (r.status !== 0) throw new Error(`udp_kernel.py: ${r.stderr}`);
  return JSON.parse(r.stdout) as KernelOut;
}

function makeWxdp(t: SocketTable, fx: Fixture, sockets: Sock[]): { ids: number[]; errs: number[][] } {
  const eth0 = fx.devs.get('eth0')!.ifindex;
  const ids: number[] = [];
  const errs: number[][] = [];
  for (const s of sockets) {
    const id = t.create({ family: s.family === 6 ? 'inet6' : 'inet', reuseAddr: true, reusePort: s.reuseport });
    t.bind(id, s.bind[0], s.bind[1]);
    errs.push(s.mc.map(([op, group, source, iface]) => socketErrno(() => {
      if (op === 'all-off') t.setOption(id, group?.includes(':') ? 'IPV6_MULTICAST_ALL' : 'IP_MULTICAST_ALL', 0);
      else t.membership(id, op, group!, { source, iface: iface === 'eth0' ? eth0 : iface });
    })));
    ids.push(id);
  }
  return { ids, errs };
}

// ---- frames ----
const payload = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 5 + seed) & 0xff);
const mac4 = (g: string): string => {
  const b = ipv4Bytes(g);
  return `01:00:5e:${(b[1]! & 0x7f).toString(16).padStart(2, '0')}:${b[2]!.toString(16).padStart(2, '0')}:${b[3]!.toString(16).padStart(2, '0')}`;
};
const mac6 = (g: string): string => `33:33:${[...ipv6Bytes(g).subarray(12)].map((x) => x.toString(16).padStart(2, '0')).join(':')}`;
let seq = 0;
function m4(group: string, dport: number, src = '192.0.2.2', dstMac = mac4(group)): Uint8Array {
  seq++;
  return eth({ dst: dstMac, src: H_MAC, type: 0x0800 }, ipv4({ src, dst: group, proto: 17, id: 0x2000 + seq, ttl: 1 }, udp4(src, group, 41000 + seq, dport, payload(10, seq))));
}
function m6(group: string, dport: number, src = '2001:db8:1::2'): Uint8Array {
  seq++;
  const data = payload(10, seq);
  const u = concat(Uint8Array.from([...be16(41000 + seq), ...be16(dport), ...be16(8 + data.length), 0, 0]), data);
  const c = inetChecksum(Uint8Array.from([...ipv6Bytes(src), ...ipv6Bytes(group), 0, 0, ...be16(u.length), 0, 0, 0, 17]), u) || 0xffff;
  u[6] = c >> 8;
  u[7] = c & 0xff;
  return eth({ dst: mac6(group), src: H_MAC, type: 0x86dd }, ipv6({ src, dst: group, nh: 17, hlim: 1 }, u));
}

const COUNTERS = [...['InDatagrams', 'NoPorts', 'InErrors', 'IgnoredMulti'].flatMap((n) => [`Udp:${n}`, `Udp6:${n}`]), 'Ip6:InDiscards', 'Ip6:InDelivers', 'Ip:InDelivers'];
const pick = (c: Record<string, number>): Record<string, number> => Object.fromEntries(COUNTERS.filter((n) => c[n]).map((n) => [n, c[n]!]));

describe.skipIf(skip)('multicast group membership and delivery, against the kernel', () => {
  const SOCKETS: Sock[] = [
    { family: 4, bind: ['0.0.0.0', 7300], mc: [['join', '239.1.1.1', undefined, '192.0.2.1']] }, //                0
    { family: 4, bind: ['0.0.0.0', 7300], mc: [] }, //                                                          1 IP_MULTICAST_ALL
    { family: 4, bind: ['239.1.1.1', 7300], mc: [['join', '239.1.1.1', undefined, 'eth0']] }, //                 2 bound to the group
    { family: 4, bind: ['0.0.0.0', 7300], mc: [['all-off'], ['join', '239.1.1.2', undefined, '192.0.2.1']] }, // 3
    { family: 4, bind: ['0.0.0.0', 7301], mc: [['joinSource', '232.1.1.1', '192.0.2.2', '192.0.2.1']] }, //     4 SSM
    { family: 4, bind: ['0.0.0.0', 7301], mc: [] }, //                                                          5
    { family: 4, bind: ['0.0.0.0', 7302], mc: [ //                                                              6 errors
      ['join', '239.2.2.2'], ['join', '239.2.2.2', undefined, '192.0.2.1'], ['join', '239.2.2.2', undefined, '192.0.2.1'],
      ['leave', '239.9.9.9', undefined, '192.0.2.1'], ['join', '192.0.2.1', undefined, '192.0.2.1'], ['join', '239.2.2.3', undefined, '203.0.113.1'],
      ['leaveSource', '239.2.2.2', '192.0.2.2', '192.0.2.1'], ['joinSource', '239.5.5.5', '192.0.2.2', '192.0.2.1'],
      ['joinSource', '239.5.5.5', '192.0.2.2', '192.0.2.1'], ['block', '239.5.5.5', '192.0.2.3', '192.0.2.1'],
    ] },
    { family: 4, bind: ['0.0.0.0', 7303], mc: [['join', '239.3.3.3', undefined, '192.0.2.1'], ['block', '239.3.3.3', '192.0.2.2', '192.0.2.1']] }, // 7
    { family: 4, bind: ['0.0.0.0', 7306], mc: [['join', '239.4.4.4', undefined, '192.0.2.1'], ['leave', '239.4.4.4', undefined, '192.0.2.1']] }, // 8
    { family: 6, bind: ['::', 7304], mc: [['join', 'ff12::1', undefined, 'eth0']] }, //                           9
    { family: 6, bind: ['::', 7304], mc: [] }, //                                                                10 IPV6_MULTICAST_ALL
    { family: 6, bind: ['::', 7305], mc: [['joinSource', 'ff32::8000:1', '2001:db8:1::2', 'eth0']] }, //        11 SSM
    { family: 6, bind: ['::', 7300], mc: [['join', '239.1.1.1', undefined, '192.0.2.1']] }, //                   12 dual-stack, IPv4 group
    { family: 6, bind: ['::', 7307], mc: [['join', 'ff12::2'], ['join', 'ff12::2', undefined, 'eth0'], ['leave', 'ff12::3'], ['join', '2001:db8:1::1']] }, // 13
    { family: 4, bind: ['0.0.0.0', 7308], mc: [ //                                                             14 unblocked again
      ['join', '239.3.3.4', undefined, '192.0.2.1'], ['block', '239.3.3.4', '192.0.2.2', '192.0.2.1'], ['block', '239.3.3.4', '192.0.2.3', '192.0.2.1'],
      ['unblock', '239.3.3.4', '192.0.2.2', '192.0.2.1'], ['unblock', '239.3.3.4', '192.0.2.9', '192.0.2.1'],
    ] },
    { family: 6, bind: ['::', 7309], mc: [ //                                                                 15 IPv6 sources: two, one left
      ['joinSource', 'ff3e::8000:9', '2001:db8:1::2', 'eth0'], ['joinSource', 'ff3e::8000:9', '2001:db8:1::3', 'eth0'],
      ['leaveSource', 'ff3e::8000:9', '2001:db8:1::3', 'eth0'], ['block', 'ff3e::8000:9', '2001:db8:1::3', 'eth0'],
    ] },
  ];
  const FRAMES: Array<[string, Uint8Array]> = [
    ['a joined group: its member, the wildcard sockets of the port (IP_MULTICAST_ALL), the one bound to the group', m4('239.1.1.1', 7300)],
    ['the other joined group: only IP_MULTICAST_ALL sockets and its member', m4('239.1.1.2', 7300)],
    ['a group nobody joined: dropped by the input route (no counter)', m4('239.7.7.7', 7300)],
    ['a joined group to a port with no socket: IgnoredMulti', m4('239.1.1.1', 7399)],
    ['source-specific: from the source', m4('232.1.1.1', 7301)],
    ['source-specific: from another source (the device filter refuses it)', m4('232.1.1.1', 7301, '192.0.2.3')],
    ['a blocked source', m4('239.3.3.3', 7303)],
    ['a source that is not blocked', m4('239.3.3.3', 7303, '192.0.2.3')],
    ['a group that was left', m4('239.4.4.4', 7306)],
    ['an IPv4 group to a dual-stack socket that joined it', m4('239.1.1.1', 7300, '192.0.2.4')],
    ['the group\'s address in the frame, but to the broadcast MAC', m4('239.1.1.1', 7300, '192.0.2.2', 'ff:ff:ff:ff:ff:ff')],
    ['IPv6: a joined group', m6('ff12::1', 7304)],
    ['IPv6: a group nobody joined', m6('ff12::9', 7304)],
    ['IPv6 SSM: from the source', m6('ff32::8000:1', 7305)],
    ['IPv6 SSM: from another source (the socket filter refuses it; the device takes the group)', m6('ff32::8000:1', 7305, '2001:db8:1::3')],
    ['unblocked again: from the source', m4('239.3.3.4', 7308)],
    ['still blocked: the other source', m4('239.3.3.4', 7308, '192.0.2.3')],
    ['IPv6 SSM with a source left: from the one that stays', m6('ff3e::8000:9', 7309)],
    ['IPv6 SSM with a source left: from the one that left', m6('ff3e::8000:9', 7309, '2001:db8:1::3')],
    ['subnet broadcast to the port: every socket of the port', m4('192.0.2.255', 7300, '192.0.2.2', 'ff:ff:ff:ff:ff:ff')],
    ['limited broadcast', m4('255.255.255.255', 7301, '192.0.2.2', 'ff:ff:ff:ff:ff:ff')],
  ];

  it('the same options succeed or fail with the same errno, and every frame reaches the same sockets', async () => {
    const k = runKernel(SOCKETS, FRAMES.map(([, f]) => f));
    const fx = await Fixture.create(LINKS, [], NEIGH, { sysctls: SYSCTLS });
    const t = fx.dp.socketTable;
    const w = makeWxdp(t, fx, SOCKETS);
    expect(w.errs.map((e) => e.map((x) => (x ? errnoName(x) : 'ok')))).toEqual(k.calls.map((c) => c[3].map((x) => (x ? errnoName(x) : 'ok'))));
    // not vacuous: most frames reached some socket on the kernel's side
    expect(k.results.filter((r) => r.got.length > 0).length).toBeGreaterThanOrEqual(10);
    FRAMES.forEach(([name, frame], i) => {
      const before = fx.mib();
      fx.rx('eth0', frame);
      const got: Array<[number, string, string, number]> = [];
      w.ids.forEach((id, j) => {
        for (let d = t.recv(id); d; d = t.recv(id)) got.push([j, hex(d.data), d.address, d.port]);
      });
      const kr = k.results[i]!;
      if (process.env.MC_DEBUG) console.log(name, JSON.stringify(kr.counters));
      expect(got, name).toEqual(kr.got);
      const after = fx.mib();
      const moved = Object.fromEntries(Object.keys(after).filter((n) => after[n] !== before[n]).map((n) => [n, after[n]! - (before[n] ?? 0)]));
      expect(pick(moved), `${name}: counters`).toEqual(pick(kr.counters));
    });
  });
});

// udp_v4_early_demux's multicast path (net/ipv4/udp.c): for a PACKET_MULTICAST frame to a group the
// device is in (ip_check_mc_rcu), __udp4_lib_mcast_demux_lookup takes the one socket of the port's
// slot that __udp_is_mcast_sock matches (none when two match or the slot holds more than 10 sockets);
// __udp4_lib_rcv then delivers to it as unicast (inet_steal_sock), and an unconnected socket in a
// reuseport group hands the datagram to the group's choice by hash (inet_lookup_reuseport): a member
// with IP_MULTICAST_ALL off that never joined the group gets some. __udp4_lib_mcast_deliver would give
// them all to the member that joined. The choice hashes with a boot secret: what is compared is that
// each datagram reaches exactly one socket, which sockets get any, and the counters (24 datagrams: the
// kernel's spreading them all over one member has odds of 2^-23).
// A datagram conntrack's defragmentation (nf_defrag_ipv4, at PRE_ROUTING) makes whole goes on through
// ip_rcv_finish with the head fragment's pkt_type (skb_morph): PACKET_MULTICAST, the same early demux.
describe.skipIf(skip)('IPv4 multicast early demux, against the kernel', () => {
  const SOCKETS: Sock[] = [
    { family: 4, bind: ['0.0.0.0', 7310], reuseport: true, mc: [['join', '239.1.1.5', undefined, '192.0.2.1']] }, // 0 joined
    { family: 4, bind: ['0.0.0.0', 7310], reuseport: true, mc: [['all-off']] }, //                                  1 never joined
    { family: 4, bind: ['0.0.0.0', 7311], reuseport: true, mc: [['join', '239.1.1.5', undefined, '192.0.2.1']] }, // 2 the same pair,
    { family: 4, bind: ['0.0.0.0', 7311], reuseport: true, mc: [['all-off']] }, //                                  3 with 9 more sockets
    ...Array.from({ length: 9 }, (): Sock => ({ family: 4, bind: ['0.0.0.0', 7311], mc: [['all-off']] })), //       on the port: no demux
  ];
  const N = 24;
  const receivers = (got: number[][], from: number, to: number): number[] => [...new Set(got.slice(from, to).flat())].sort((a, b) => a - b);

  /** wxdp's side: which sockets each frame reached, and the counters it moved. */
  async function wxdp(frames: Uint8Array[], k: KernelOut, nft?: string): Promise<{ got: number[][]; counters: Array<Record<string, number>> }> {
    const fx = await Fixture.create(LINKS, [], NEIGH, { sysctls: SYSCTLS });
    if (nft) fx.dp.nft(nft);
    const t = fx.dp.socketTable;
    const w = makeWxdp(t, fx, SOCKETS);
    expect(w.errs).toEqual(k.calls.map((c) => c[3]));
    const got: number[][] = [];
    const counters: Array<Record<string, number>> = [];
    for (const frame of frames) {
      const before = fx.mib();
      fx.rx('eth0', frame);
      const g: number[] = [];
      w.ids.forEach((id, j) => {
        for (let d = t.recv(id); d; d = t.recv(id)) g.push(j);
      });
      got.push(g);
      const after = fx.mib();
      counters.push(pick(Object.fromEntries(Object.keys(after).filter((n) => after[n] !== before[n]).map((n) => [n, after[n]! - (before[n] ?? 0)]))));
    }
    return { got, counters };
  }

  it('a datagram the only matching socket would take goes to its reuseport group\'s choice; not with more than 10 sockets on the port', async () => {
    const FRAMES = [...Array.from({ length: N }, () => m4('239.1.1.5', 7310)), ...Array.from({ length: N }, () => m4('239.1.1.5', 7311))];
    const k = runKernel(SOCKETS, FRAMES);
    const w = await wxdp(FRAMES, k);
    const kGot = k.results.map((r) => r.got.map(([j]) => j));
    for (const got of [kGot, w.got]) expect(got.map((g) => g.length)).toEqual(FRAMES.map(() => 1));
    expect(receivers(kGot, 0, N)).toEqual([0, 1]);
    expect(receivers(w.got, 0, N)).toEqual(receivers(kGot, 0, N));
    expect(receivers(kGot, N, 2 * N)).toEqual([2]);
    expect(receivers(w.got, N, 2 * N)).toEqual(receivers(kGot, N, 2 * N));
    expect(w.counters).toEqual(k.results.map((r) => pick(r.counters)));
  });

  it('a datagram conntrack reassembled at PRE_ROUTING takes the multicast early demux too', async () => {
    const NFT = 'add table ip ctdemux\nadd chain ip ctdemux pre { type filter hook prerouting priority 0; }\nadd rule ip ctdemux pre ct state new counter';
    // two fragments each: the first has no datagram (held), the second completes it
    const FRAMES = Array.from({ length: N }, () => {
      seq++;
      const src = '192.0.2.2';
      const ip = ipv4({ src, dst: '239.1.1.5', proto: 17, id: 0x3000 + seq, ttl: 1 }, udp4(src, '239.1.1.5', 42000 + seq, 7310, payload(200, seq)));
      return fragments4(ip, 148).map((f) => eth({ dst: mac4('239.1.1.5'), src: H_MAC, type: 0x0800 }, f));
    }).flat();
    const { h } = kernel();
    h.exec(['nft', '-f', '-'], { input: NFT });
    let k: KernelOut;
    try {
      k = runKernel(SOCKETS, FRAMES);
    } finally {
      h.exec(['nft', 'delete table ip ctdemux']);
    }
    const w = await wxdp(FRAMES, k, NFT);
    const kGot = k.results.map((r) => r.got.map(([j]) => j));
    for (const got of [kGot, w.got]) expect(got.map((g) => g.length)).toEqual(FRAMES.map((_f, i) => i % 2));
    expect(receivers(kGot, 0, 2 * N)).toEqual([0, 1]);
    expect(receivers(w.got, 0, 2 * N)).toEqual(receivers(kGot, 0, 2 * N));
    expect(w.counters).toEqual(k.results.map((r) => pick(r.counters)));
  });
});
