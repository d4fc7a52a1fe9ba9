// The lean local receive (assembly/net/udp_lean.ts) takes a datagram for this host's UDP in one step
// once the local input memo knows its destination; what it gives a datagram must be what the full path
// (stack_rx → ipv4_rcv → ip_local_deliver → udp_rcv) gives it, and every frame at its edges must still
// get the full path's answer. Each case first delivers one datagram through the full path (the memo
// then holds 192.0.2.1), then sends the frame under test. Expected values from the kernel's code
// paths (net/ipv4/ip_input.c, route.c, udp.c) as each test names them.

import { describe, expect, it } from 'vitest';
import { Fixture, stackUnready, eth, ipv4, ipv6, udp4, udp6 } from '../net/support.js';
import { H_MAC, LINKS, NEIGH, R_MAC } from './support.js';

const unready = await stackUnready();
const payload = Uint8Array.from([1, 2, 3, 4]);
const PORT = 5300;
const frame = (o: { src?: string; dstMac?: string; options?: number[]; mf?: boolean; check?: number; data?: Uint8Array } = {}): Uint8Array => {
  const src = o.src ?? '192.0.2.2';
  const data = o.data ?? payload;
  return eth(
    { dst: o.dstMac ?? R_MAC, src: H_MAC, type: 0x0800 },
    ipv4({ src, dst: '192.0.2.1', proto: 17, ...(o.options ? { options: o.options } : {}), ...(o.mf ? { mf: true } : {}), ...(o.check !== undefined ? { check: o.check } : {}) },
      udp4(src, '192.0.2.1', 40000, PORT, data)),
  );
};

async function warmed() {
  const fx = await Fixture.create(LINKS, [], NEIGH);
  const t = fx.dp.socketTable;
  const s = t.create({ family: 'inet' });
  t.bind(s, '0.0.0.0', PORT);
  const before = fx.nonzero();
  fx.rx('eth0', frame());
  const first = delta(fx, before);
  expect(t.recv(s)?.data).toEqual(payload);
  return { fx, t, s, first };
}

/** The counters that moved since `before`. */
function delta(fx: Fixture, before: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(fx.nonzero())) if (v !== (before[k] ?? 0)) out[k] = v - (before[k] ?? 0);
  return out;
}

describe.skipIf(unready !== '')('the lean local receive answers as the full path', () => {
  it('a datagram it takes is counted and queued as the first one (full path) was: Ip:InReceives, Ip:InDelivers, the source', async () => {
    const { fx, t, s, first } = await warmed();
    expect(first).toEqual({ 'Ip:InReceives': 1, 'Ip:InDelivers': 1 });
    const before = fx.nonzero();
    const rx0 = fx.devs.get('eth0')!.stats();
    const f = frame();
    fx.rx('eth0', f);
    expect(delta(fx, before)).toEqual(first);
    const d = t.recv(s)!;
    expect([d.data, d.address, d.port, d.ifindex]).toEqual([payload, '192.0.2.2', 40000, fx.devs.get('eth0')!.ifindex]);
    expect(fx.devs.get('eth0')!.stats().rxPackets - rx0.rxPackets).toBe(1);
    // udp_recvmsg counts it when it is read
    expect(fx.mib()['Udp:InDatagrams']).toBe(2);
  });

  it('IP options (a 24-byte header: the full path, ip_rcv_options) give the same counters and datagram', async () => {
    const { fx, t, s, first } = await warmed();
    const before = fx.nonzero();
    fx.rx('eth0', frame({ options: [1, 1, 1, 0] })); // NOP, NOP, NOP, end of list
    expect(delta(fx, before)).toEqual(first);
    expect(t.recv(s)?.data).toEqual(payload);
  });

  it('Ethernet padding is not part of the datagram (ip_rcv_core trims to the total length)', async () => {
    const { fx, t, s } = await warmed();
    const f = frame({ data: Uint8Array.of(7) }); // 14 + 20 + 8 + 1 = 43 bytes: padded to 60
    const padded = new Uint8Array(60);
    padded.set(f);
    padded.fill(0xee, f.length);
    fx.rx('eth0', padded);
    const d = t.recv(s)!;
    expect([d.data, d.size]).toEqual([Uint8Array.of(7), 1]);
  });

  it('a registered input rule still sees it: nft drops it at LOCAL_IN (Ip:InReceives, NETFILTER_DROP, no InDelivers)', async () => {
    const { fx, t, s } = await warmed();
    fx.dp.nft(`table ip t { chain c { type filter hook input priority 0; policy accept; udp dport ${PORT} drop; }; }`);
    const before = fx.nonzero();
    fx.rx('eth0', frame());
    expect(t.recv(s)).toBeUndefined();
    expect(delta(fx, before)).toEqual({ 'Ip:InReceives': 1, 'drop:NETFILTER_DROP': 1 });
  });

  it('a unicast datagram in a link-layer broadcast frame is delivered (drop_unicast_in_l2_multicast is 0)', async () => {
    const { fx, t, s, first } = await warmed();
    const before = fx.nonzero();
    fx.rx('eth0', frame({ dstMac: 'ff:ff:ff:ff:ff:ff' }));
    expect(delta(fx, before)).toEqual(first);
    expect(t.recv(s)?.data).toEqual(payload);
  });

  it('a bad header checksum is ip_rcv_core\'s: IpExt:InCsumErrors, InHdrErrors, IP_CSUM', async () => {
    const { fx, t, s } = await warmed();
    const before = fx.nonzero();
    fx.rx('eth0', frame({ check: 0x1234 }));
    expect(t.recv(s)).toBeUndefined();
    expect(delta(fx, before)).toEqual({ 'Ip:InReceives': 1, 'IpExt:InCsumErrors': 1, 'Ip:InHdrErrors': 1, 'drop:IP_CSUM': 1 });
  });

  it('a first fragment waits for reassembly (ip_defrag): nothing queued', async () => {
    const { fx, t, s } = await warmed();
    const before = fx.nonzero();
    fx.rx('eth0', frame({ mf: true, data: new Uint8Array(16) }));
    expect(t.recv(s)).toBeUndefined();
    expect(delta(fx, before)).toEqual({ 'Ip:InReceives': 1, 'Ip:ReasmReqds': 1 });
  });

  it('our own address as the source is a martian (fib_validate_source: IP_LOCAL_SOURCE)', async () => {
    const { fx, t, s } = await warmed();
    const before = fx.nonzero();
    fx.rx('eth0', frame({ src: '198.51.100.1' }));
    expect(t.recv(s)).toBeUndefined();
    expect(delta(fx, before)).toEqual({ 'Ip:InReceives': 1, 'drop:IP_LOCAL_SOURCE': 1 });
  });

  it('the UDP checksum on the burst path: odd lengths summed right, a wrong one counted as udp_rcv counts it', async () => {
    const { fx, t, s } = await warmed();
    // every length the short sum takes (UDP lengths 8-63) and two past it; each one's last byte changed
    // after the checksum was computed is an error (the tail of every length is summed)
    const n0 = fx.nonzero()['Udp:InCsumErrors'] ?? 0;
    for (let n = 0; n <= 57; n++) {
      const data = Uint8Array.from({ length: n }, (_, k) => (k * 29 + n) & 0xff);
      const f = frame({ data });
      fx.rx('eth0', f);
      expect(t.recv(s)?.data).toEqual(data);
      if (n === 0) continue;
      f[14 + 20 + 8 + n - 1]! ^= 0x21; // the last payload byte (the frame may be padded past it)
      fx.rx('eth0', f);
      expect(t.recv(s)).toBeUndefined();
    }
    expect((fx.nonzero()['Udp:InCsumErrors'] ?? 0) - n0).toBe(57);
    const bad = frame();
    bad[14 + 20 + 6] ^= 0x40; // the checksum field
    const before = fx.nonzero();
    fx.rx('eth0', bad);
    expect(t.recv(s)).toBeUndefined();
    expect(delta(fx, before)).toEqual({ 'Ip:InReceives': 1, 'Ip:InDelivers': 1, 'Udp:InCsumErrors': 1, 'Udp:InErrors': 1, 'drop:UDP_CSUM': 1 });
  });

  it('in one burst, our own source among foreign ones is still IP_LOCAL_SOURCE (each source asked)', async () => {
    const { fx, t, s } = await warmed();
    const d = fx.devs.get('eth0')!;
    const srcs = ['192.0.2.2', '192.0.2.2', '198.51.100.1', '192.0.2.2', '192.0.2.1', '192.0.2.9'];
    const before = fx.nonzero();
    for (const src of srcs) if (!d.inject(frame({ src }))) throw new Error('inject failed');
    d.poll();
    let n = 0;
    while (t.recv(s)) n++;
    expect(n).toBe(4);
    expect(delta(fx, before)).toEqual({ 'Ip:InReceives': 6, 'Ip:InDelivers': 4, 'Udp:InDatagrams': 4, 'drop:IP_LOCAL_SOURCE': 2 });
  });

  it('UDP consumed by the protocol table (PH_CONSUME): delivered to no socket, Ip:InDelivers counted', async () => {
    const { fx, t, s, first } = await warmed();
    const x = fx.dp.fastPath.exports as unknown as { net_proto_set(f: number, p: number, h: number): number };
    expect(x.net_proto_set(2, 17, 4)).toBe(0);
    const before = fx.nonzero();
    fx.rx('eth0', frame());
    expect(delta(fx, before)).toEqual(first);
    expect(t.recv(s)).toBeUndefined();
  });
});

// The burst's staged lookup (udp4_burst_demux, udp6_burst_demux) against udp_rcv's / udpv6_rcv's own
// (udp4_lookup_fast / __udp4_lib_lookup, __udp6_lib_lookup) on the same tables: with rp_filter on (loose,
// a route back exists; IPv6: a netfilter hook registered) nothing takes the lean path, so the same frames
// then go through the full one. Past SOCKS_DEEP (32768 live sockets) the levels are loaded ahead and
// taken a pass each; below it a frame's levels in one pass: both sizes, each family, each with reuseport
// groups, a lone socket, a head that does not score (bound to another device, the wildcard socket of its
// port then answers), and a port with no socket.
describe.skipIf(unready !== '')('the burst lookup picks the socket udp_rcv picks', () => {
  for (const v6 of [false, true]) for (const groups of [16, 2200]) {
    it(`${v6 ? 'IPv6' : 'IPv4'}: ${groups} reuseport groups of 16 (${groups * 16 + 3} sockets): every flow of a burst reaches the same socket either way`, async () => {
      const fx = await Fixture.create(LINKS, [], NEIGH);
      const t = fx.dp.socketTable;
      t.setHashSecret(0x5eed);
      t.setRmem({ default: 1 << 22, max: 1 << 22 });
      const family = v6 ? 'inet6' : 'inet';
      const local = v6 ? '2001:db8:1::1' : '192.0.2.1';
      const BASE = 20000;
      const all: number[] = [];
      for (let g = 0; g < groups; g++) {
        for (let k = 0; k < 16; k++) {
          const id = t.create({ family, reusePort: true });
          t.bind(id, local, BASE + g);
          all.push(id);
        }
      }
      const lone = t.create({ family });
      t.bind(lone, local, 9000);
      const wild = t.create({ family, reuseAddr: true });
      t.bind(wild, v6 ? '::' : '0.0.0.0', 9001);
      const other = t.create({ family, reuseAddr: true });
      t.setOption(other, 'SO_BINDTODEVICE', 1); // loopback: compute_score −1 for eth0
      t.bind(other, local, 9001);
      all.push(lone, wild, other);
      const frames: Uint8Array[] = [];
      for (let k = 0; k < 60; k++) {
        const dport = k < 48 ? BASE + ((k * 37) % groups) : [9000, 9001, 9002][k % 3]!;
        // the neighbour the port unreachables go to (the flow hash varies by source port)
        const src = v6 ? '2001:db8:1::2' : '192.0.2.2';
        const d = Uint8Array.of(k);
        frames.push(v6
          ? eth({ dst: R_MAC, src: H_MAC, type: 0x86dd }, ipv6({ src, dst: local, nh: 17 }, udp6(src, local, 41000 + k, dport, d)))
          : eth({ dst: R_MAC, src: H_MAC, type: 0x0800 }, ipv4({ src, dst: local, proto: 17 }, udp4(src, local, 41000 + k, dport, d))));
      }
      const round = (): number[] => {
        fx.advance(10_000); // the ICMP rate limit's tokens back (icmp_global_allow, the per-host bucket)
        const d = fx.devs.get('eth0')!;
        for (const f of frames) if (!d.inject(f)) throw new Error('inject failed');
        d.poll();
        const got = new Array<number>(frames.length).fill(-1);
        for (const id of all) for (let m = t.recv(id); m; m = t.recv(id)) got[m.data[0]!] = id;
        return got;
      };
      // the memo learns the local address (no socket on PORT: port unreachable)
      fx.rx('eth0', v6 ? frames[50]! : frame({ data: Uint8Array.of(0) }));
      for (const id of all) while (t.recv(id));
      const before = fx.nonzero();
      const lean = round();
      const leanCounts = delta(fx, before);
      if (v6) fx.dp.nft('table inet full { chain c { type filter hook prerouting priority 0; policy accept; }; }');
      else fx.dp.sysctl('net.ipv4.conf.eth0.rp_filter', 2);
      const before2 = fx.nonzero();
      const full = round();
      expect(lean).toEqual(full);
      expect(leanCounts).toEqual(delta(fx, before2));
      // 9000: the lone socket; 9001: the wildcard one; 9002: nobody (NoPorts, port unreachable)
      expect(lean.slice(48).filter((_, j) => (48 + j) % 3 === 0).every((id) => id === lone)).toBe(true);
      expect(lean.slice(48).filter((_, j) => (48 + j) % 3 === 1).every((id) => id === wild)).toBe(true);
      expect(lean.slice(48).filter((_, j) => (48 + j) % 3 === 2).every((id) => id === -1)).toBe(true);
      expect(leanCounts[v6 ? 'Udp6:NoPorts' : 'Udp:NoPorts']).toBe(4);
      expect(lean.slice(0, 48).every((id) => id !== -1)).toBe(true);
    }, 60_000);
  }
});
