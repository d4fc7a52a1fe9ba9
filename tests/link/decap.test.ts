// A link's fast path against hand-built datagrams over loopback (no root needed): what vxlan_rcv and
// geneve_udp_encap_recv/geneve_rx accept and refuse, in their order, each refusal counted by reason;
// what the link sends (the header bytes RFC 7348 / RFC 8926 and Linux's vxlan_build_skb / geneve_build_skb
// write); the outer source port as udp_flow_src_port computes it. Bad input never throws and the link
// keeps working after it.

import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { Datapath } from '../../src/control/datapath.js';
import type { Device } from '../../src/control/device.js';
import { Poller } from '../../src/control/poller.js';
import type { Link, LinkSpec } from '../../src/control/link.js';
import { assemble } from '../../src/asm/index.js';
import { concat } from '../support/frames.js';

const DEV_MAC = [0x02, 0, 0, 0, 0, 0x02];
const PEER_MAC = [0x02, 0, 0, 0, 0, 0x01];

/** An Ethernet frame to the device: `type`, then `payload` bytes of a counting pattern. */
function frame(type: number, payload: number, src = PEER_MAC): Uint8Array {
  const f = new Uint8Array(14 + payload);
  f.set(DEV_MAC, 0);
  f.set(src, 6);
  f[12] = type >> 8;
  f[13] = type & 0xff;
  for (let i = 14; i < f.length; i++) f[i] = i & 0xff;
  return f;
}

const cat = (...parts: ArrayLike<number>[]): Uint8Array => concat(...parts.map((p) => Uint8Array.from(p)));

/** RFC 7348's header: flags (I = 0x08), 24 reserved bits, VNI, 8 reserved bits. */
const vxlanHdr = (vni: number, flags = 0x08, rsvd: number[] = [0, 0, 0], last = 0) => [flags, ...rsvd, vni >> 16, (vni >> 8) & 0xff, vni & 0xff, last];
/** RFC 8926's header: Ver(2) Opt Len(6) | O C Rsvd(6) | Protocol Type | VNI | Reserved. */
const geneveHdr = (vni: number, o: { ver?: number; optLen?: number; oam?: boolean; crit?: boolean; proto?: number } = {}) => [
  ((o.ver ?? 0) << 6) | (o.optLen ?? 0),
  (o.oam ? 0x80 : 0) | (o.crit ? 0x40 : 0),
  (o.proto ?? 0x6558) >> 8,
  (o.proto ?? 0x6558) & 0xff,
  vni >> 16,
  (vni >> 8) & 0xff,
  vni & 0xff,
  0,
];

async function until(cond: () => boolean, what: string, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function bindSocket(address: string, port = 0): Promise<Socket> {
  const s = createSocket('udp4');
  return new Promise((resolve, reject) => {
    s.once('error', reject);
    s.bind(port, address, () => resolve(s));
  });
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Env {
  dp: Datapath;
  dev: Device;
  link: Link;
  /** Sends from 127.0.0.1 (and from the remote, 127.0.0.2, for links that care who sends). */
  send(bytes: Uint8Array, from?: 'remote' | 'other'): Promise<void>;
  /** Datagrams the remote's socket received (127.0.0.2 at the link's destination port). */
  received: Array<{ data: Buffer; port: number; address: string }>;
}

async function env(spec: (remotePort: number) => LinkSpec): Promise<Env> {
  const dp = await Datapath.create();
  Poller.of(dp, { clock: 'manual' });
  const dev = dp.addDevice({ name: 'vx0', mac: Uint8Array.from(DEV_MAC), mtu: 1500, hostRingSize: 1024 }); // one read takes a 400-frame burst
  const remote = await bindSocket('127.0.0.2');
  const other = await bindSocket('127.0.0.1');
  cleanups.push(() => void remote.close(), () => void other.close());
  const received: Env['received'] = [];
  remote.on('message', (data, r) => received.push({ data, port: r.port, address: r.address }));
  const link = await dev.attachLink(spec(remote.address().port));
  cleanups.push(() => dev.detachLink());
  const to = link.address().port;
  const send = (bytes: Uint8Array, from: 'remote' | 'other' = 'remote') =>
    new Promise<void>((resolve, reject) => (from === 'remote' ? remote : other).send(bytes, to, '127.0.0.1', (e) => (e ? reject(e) : resolve())));
  return { dp, dev, link, send, received };
}

/** Send `datagrams` and wait until the link has looked at them all. */
async function feed(e: Env, datagrams: Uint8Array[], from?: 'remote' | 'other'): Promise<void> {
  const before = e.link.stats().rxDatagrams;
  for (const d of datagrams) await e.send(d, from);
  await until(() => e.link.stats().rxDatagrams === before + datagrams.length, `${datagrams.length} datagrams`);
  Poller.of(e.dp).run();
}

const zeroErrors = { HDR_TRUNC: 0, INVALID_HDR: 0, VNI_NOT_FOUND: 0, FOREIGN_SOURCE: 0, BAD_PROTO: 0, CRITICAL_OPTIONS: 0, LOCAL_MAC: 0, INNER_TRUNC: 0 };

describe('vxlan link: receive (vxlan_rcv)', () => {
  const vx = (port: number): LinkSpec => ({ type: 'vxlan', vni: 42, local: '127.0.0.1', port: 0, remote: '127.0.0.2', dstport: port });

  it('strips the header of a well-formed datagram and receives the inner frame on the device, byte for byte', async () => {
    const e = await env(vx);
    const f = frame(0x0800, 46);
    await feed(e, [cat(vxlanHdr(42), f)], 'other'); // VXLAN does not key on the sender (learning, not lookup)
    expect(e.dev.readHost().map((o) => [...o.data])).toEqual([[...f]]);
    expect(e.link.stats()).toMatchObject({ rxDatagrams: 1, rxPackets: 1, rxBytes: 60, rxDropped: 0, errors: zeroErrors });
  });

  it('counts each malformed datagram by the reason vxlan_rcv gives, and still receives the good one after them', async () => {
    const e = await env(vx);
    const good = frame(0x0806, 28);
    await feed(e, [
      Uint8Array.from(vxlanHdr(42).slice(0, 7)), // 7 bytes: no whole header
      cat(vxlanHdr(42, 0x00), good), // I flag clear
      cat(vxlanHdr(43), good), // another VNI
      cat(vxlanHdr(42, 0x08, [0, 0, 1]), good), // a reserved bit of the first word
      cat(vxlanHdr(42, 0x08, [0, 0, 0], 0x01), good), // the reserved byte after the VNI
      cat(vxlanHdr(42, 0x88), good), // G (GBP) on a device without GBP: unprocessed, so refused
      cat(vxlanHdr(42), good.subarray(0, 13)), // no inner Ethernet header
      cat(vxlanHdr(42, 0x08, [0, 0, 1]), good.subarray(0, 13)), // both: the pull comes first (INNER_TRUNC)
      cat(vxlanHdr(42), frame(0x0800, 19)), // IPv4 without a whole header
      cat(vxlanHdr(42), frame(0x86dd, 39)), // IPv6 without a whole header
      cat(vxlanHdr(42), frame(0x0806, 28, DEV_MAC)), // its own MAC as the source: a loop
      Uint8Array.from({ length: 64 }, (_, i) => (i * 7) & 0xfe), // a foreign datagram (first byte 0: no I flag)
      cat(vxlanHdr(42), good),
    ]);
    expect(e.link.stats()).toMatchObject({
      rxDatagrams: 13,
      rxPackets: 1,
      errors: { ...zeroErrors, HDR_TRUNC: 1, INVALID_HDR: 5, VNI_NOT_FOUND: 1, INNER_TRUNC: 4, LOCAL_MAC: 1 },
    });
    expect(e.dev.readHost().map((o) => [...o.data])).toEqual([[...good]]);
  });

  it('an inner frame longer than the device takes is the device drop (PKT_TOO_BIG) and the link rxDropped', async () => {
    const e = await env(vx);
    await feed(e, [cat(vxlanHdr(42), frame(0x0800, 1501))]);
    expect(e.link.stats()).toMatchObject({ rxPackets: 0, rxDropped: 1 });
    expect(e.dev.stats().drops.PKT_TOO_BIG).toBe(1);
  });

  it('a burst longer than the RX ring and the RX buffer waits instead of dropping: 400 datagrams of 1400 bytes', async () => {
    const e = await env(vx);
    const f = frame(0x0800, 1386);
    // 400 × 1408 bytes staged is over the 128 KiB buffer, 400 frames over the 256-entry ring: the link
    // posts what the ring takes, the poll makes room, the rest follows.
    await feed(e, Array.from({ length: 400 }, () => cat(vxlanHdr(42), f)));
    for (let i = 0; i < 20 && e.link.stats().rxPackets < 400; i++) Poller.of(e.dp).run();
    expect(e.link.stats()).toMatchObject({ rxDatagrams: 400, rxPackets: 400, rxDropped: 0, rxOverflow: 0 });
    const host = e.dev.readHost();
    expect(host.length).toBe(400);
    expect(host.every((o) => o.data.length === f.length)).toBe(true);
  });
});

describe('vxlan link: large datagrams', () => {
  it('datagrams of 60,000 bytes (three fill the RX buffer) are each looked at and counted: the device refuses them as too long', async () => {
    const e = await env((port) => ({ type: 'vxlan', vni: 42, local: '127.0.0.1', port: 0, remote: '127.0.0.2', dstport: port }));
    const big = cat(vxlanHdr(42), frame(0x0800, 60_000 - 22));
    await Promise.all(Array.from({ length: 5 }, () => e.send(big)));
    await until(() => e.link.stats().rxDatagrams === 5, 'five datagrams');
    Poller.of(e.dp).run();
    expect(e.link.stats()).toMatchObject({ rxDatagrams: 5, rxPackets: 0, rxDropped: 5, rxOverflow: 0 });
    expect(e.dev.stats().drops.PKT_TOO_BIG).toBe(5);
  });
});

describe('a link whose device is deleted', () => {
  it('closes itself at the next datagram: nothing is written to the freed device, the socket is released', async () => {
    const e = await env((port) => ({ type: 'vxlan', vni: 42, local: '127.0.0.1', port: 0, remote: '127.0.0.2', dstport: port }));
    const port = e.link.address().port;
    e.dp.removeDevice(e.dev);
    await e.send(cat(vxlanHdr(42), frame(0x0800, 46)));
    await until(() => e.dev.link === undefined, 'the link to close');
    expect(e.link.stats().rxPackets).toBe(0);
    const s = await bindSocket('127.0.0.1', port); // the port is free again
    s.close();
  });
});

describe('vxlan link: transmit', () => {
  it('sends each frame the device transmits behind the header RFC 7348 and vxlan_build_skb write, to remote:dstport', async () => {
    const e = await env((port) => ({ type: 'vxlan', vni: 0x123456, local: '127.0.0.1', port: 0, remote: '127.0.0.2', dstport: port }));
    e.dev.attachXdp(await e.dp.loadInsns(assemble('r0 = 3\nexit'))); // XDP_TX: every frame leaves by the device
    const f1 = frame(0x0800, 100);
    const f2 = frame(0x86dd, 1400);
    await feed(e, [cat(vxlanHdr(0x123456), f1), cat(vxlanHdr(0x123456), f2)]);
    await until(() => e.received.length === 2, 'two datagrams at the remote');
    expect(e.received.map((r) => [...r.data])).toEqual([
      [0x08, 0, 0, 0, 0x12, 0x34, 0x56, 0, ...f1],
      [0x08, 0, 0, 0, 0x12, 0x34, 0x56, 0, ...f2],
    ]);
    expect(e.received.every((r) => r.port === e.link.address().port && r.address === '127.0.0.1')).toBe(true);
    expect(e.link.stats()).toMatchObject({ txPackets: 2, txBytes: f1.length + f2.length, txErrors: 0 });
  });

  it('sending to a dead peer is counted as sent and never fails the data path', async () => {
    const dp = await Datapath.create();
    const dev = dp.addDevice({ name: 'vx0' });
    // Nothing listens at 127.0.0.3:9 (discard): the kernel answers port unreachable, which an unconnected socket ignores.
    const link = await dev.attachLink({ type: 'vxlan', vni: 1, local: '127.0.0.1', port: 0, remote: '127.0.0.3', dstport: 9 });
    cleanups.push(() => dev.detachLink());
    dev.attachXdp(await dp.loadInsns(assemble('r0 = 3\nexit')));
    for (let i = 0; i < 20; i++) dev.inject(frame(0x0800, 46));
    Poller.of(dp).run();
    await new Promise((r) => setTimeout(r, 50));
    Poller.of(dp).run();
    expect(link.stats()).toMatchObject({ txPackets: 20, txErrors: 0 });
  });
});

describe('outer UDP source port (udp_flow_src_port)', () => {
  /** include/net/udp.h: hash ^= hash << 16; port = ((u64)hash * (max - min)) >> 32) + min. */
  const kernelPort = (hash: number, min: number, max: number) => Number((BigInt((hash ^ (hash << 16)) >>> 0) * BigInt(max - min)) >> 32n) + min;

  it('scales the flow hash as the kernel does: VXLAN into [32768, 60999), GENEVE into [1, 65535)', async () => {
    const vx = await env((p) => ({ type: 'vxlan', vni: 1, local: '127.0.0.1', port: 0, remote: '127.0.0.2', dstport: p }));
    const gn = await (async () => {
      const dp = await Datapath.create();
      const dev = dp.addDevice({ name: 'gn0' });
      const link = await dev.attachLink({ type: 'geneve', vni: 1, local: '127.0.0.1', port: 0, remote: '127.0.0.2', dstport: 9 });
      cleanups.push(() => dev.detachLink());
      return link;
    })();
    for (const h of [0, 1, 0xffff, 0x10000, 0x12345678, 0x80000000, 0xdeadbeef, 0xffffffff]) {
      expect(vx.link.portOfHash(h)).toBe(kernelPort(h, 32768, 60999));
      expect(gn.portOfHash(h)).toBe(kernelPort(h, 1, 65535));
    }
  });

  it('one flow keeps one port whichever way it goes; flows spread over the range', async () => {
    const e = await env((p) => ({ type: 'vxlan', vni: 1, local: '127.0.0.1', port: 0, remote: '127.0.0.2', dstport: p }));
    const udp4 = (src: number, dst: number, sport: number, dport: number) => {
      const f = frame(0x0800, 28);
      f.set([0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0, 198, 51, 100, src, 203, 0, 113, dst, sport >> 8, sport & 0xff, dport >> 8, dport & 0xff], 14);
      return f;
    };
    const ports = new Set<number>();
    for (let i = 0; i < 64; i++) {
      const p = e.link.sourcePort(udp4(1, 2, 1000 + i, 53));
      expect(p).toBeGreaterThanOrEqual(32768);
      expect(p).toBeLessThan(60999);
      // the reply: addresses and ports swapped (__flow_hash_consistentify)
      const back = udp4(2, 1, 53, 1000 + i);
      back.set([203, 0, 113, 2, 198, 51, 100, 1], 26);
      expect(e.link.sourcePort(back)).toBe(p);
      ports.add(p);
    }
    expect(ports.size).toBeGreaterThan(48);
  });
});

describe('geneve link: receive (geneve_udp_encap_recv, geneve_rx)', () => {
  const gn = (port: number): LinkSpec => ({ type: 'geneve', vni: 42, local: '127.0.0.1', port: 0, remote: '127.0.0.2', dstport: port });

  it('receives a well-formed datagram from the remote, options skipped and the OAM bit ignored', async () => {
    const e = await env(gn);
    const f = frame(0x0800, 46);
    const opts = [0x01, 0x02, 0x03, 0x01, 0xaa, 0xbb, 0xcc, 0xdd]; // one option: class 0x0102, type 3, 4 bytes of data
    await feed(e, [cat(geneveHdr(42), f), cat(geneveHdr(42, { optLen: 2 }), opts, f), cat(geneveHdr(42, { oam: true }), f)]);
    expect(e.dev.readHost().map((o) => [...o.data])).toEqual([[...f], [...f], [...f]]);
    expect(e.link.stats()).toMatchObject({ rxPackets: 3, errors: zeroErrors });
  });

  it('counts what geneve refuses, in its order, and receives the good one after them', async () => {
    const e = await env(gn);
    const f = frame(0x0806, 28);
    await feed(e, [
      Uint8Array.from(geneveHdr(42).slice(0, 7)), // no whole header
      cat(geneveHdr(42, { ver: 1 }), f), // version 1
      cat(geneveHdr(7), f), // another VNI: geneve_lookup finds no device
      cat(geneveHdr(42, { proto: 0x0800 }), f), // not Ethernet (no inner_proto_inherit)
      cat(geneveHdr(42, { optLen: 63 }), f), // options past the end
      cat(geneveHdr(42, { optLen: 1 }), [0, 1, 2, 3], f.subarray(0, 13)), // options, then no whole Ethernet header
      cat(geneveHdr(42, { crit: true }), f), // a critical option
      cat(geneveHdr(42), frame(0x0806, 28, DEV_MAC)), // a loop
      cat(geneveHdr(42), frame(0x86dd, 20)), // IPv6 without a whole header
      cat(geneveHdr(42), f),
    ]);
    await feed(e, [cat(geneveHdr(42), f)], 'other'); // right VNI, but not from the remote
    expect(e.link.stats()).toMatchObject({
      rxDatagrams: 11,
      rxPackets: 1,
      errors: { ...zeroErrors, HDR_TRUNC: 2, INVALID_HDR: 1, VNI_NOT_FOUND: 1, BAD_PROTO: 1, CRITICAL_OPTIONS: 1, LOCAL_MAC: 1, INNER_TRUNC: 2, FOREIGN_SOURCE: 1 },
    });
    expect(e.dev.readHost().length).toBe(1);
  });

  it('sends behind the 8-byte header geneve_build_skb writes with no options: version 0, protocol 0x6558', async () => {
    const e = await env(gn);
    e.dev.attachXdp(await e.dp.loadInsns(assemble('r0 = 3\nexit')));
    const f = frame(0x0800, 46);
    await feed(e, [cat(geneveHdr(42), f)]);
    await until(() => e.received.length === 1, 'a datagram at the remote');
    expect([...e.received[0]!.data]).toEqual([0, 0, 0x65, 0x58, 0, 0, 42, 0, ...f]);
  });
});

describe('udp link (frames in datagrams)', () => {
  it('carries frames as they are, from the peer only', async () => {
    const e = await env((port) => ({ type: 'udp', local: '127.0.0.1', port: 0, remote: '127.0.0.2', remotePort: port }));
    e.dev.attachXdp(await e.dp.loadInsns(assemble('r0 = 3\nexit')));
    const f = frame(0x0800, 46);
    await feed(e, [f]);
    await feed(e, [frame(0x0800, 47)], 'other');
    await until(() => e.received.length === 1, 'the frame back at the peer');
    expect([...e.received[0]!.data]).toEqual([...f]);
    expect(e.link.stats()).toMatchObject({ rxDatagrams: 2, rxPackets: 1, txPackets: 1, errors: { ...zeroErrors, FOREIGN_SOURCE: 1 } });
  });
});
