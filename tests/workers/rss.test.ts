// RSS: the Toeplitz hash against the verification values of Microsoft's RSS specification ("Verifying
// the RSS Hash Calculation": its key, five IPv4 and three IPv6 flows, hashed over the 2-tuple and the
// 4-tuple), then the frames themselves: the queue each lands on (indirection table entry hash mod 128,
// spread round-robin as ethtool's default) and the hash and type in the frame head.

import { describe, expect, it } from 'vitest';
import { Datapath } from '../../src/control/datapath.js';
import { refusal } from './support.js';
import { RSS, RSS_DEFAULT_KEY } from '../../src/control/rss.js';
import { RING } from '../../src/runtime/memory.js';
import { codec } from '../../src/maps/index.js';

const RX_HASH = new URL('../../programs/xdp_rx_hash.o', import.meta.url).pathname;
const ENODATA = -61;

const v4 = (a: string): number[] => a.split('.').map(Number);
function v6(a: string): number[] {
  const [head, tail] = a.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const words = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t].map((w) => parseInt(w, 16));
  return words.flatMap((w) => [w >> 8, w & 0xff]);
}
const be16 = (p: number): number[] => [p >> 8, p & 0xff];

// Destination, source (address, port), the 2-tuple hash and the 4-tuple (TCP) hash, as the specification lists them.
const IPV4: Array<[string, number, string, number, number, number]> = [
  ['161.142.100.80', 1766, '66.9.149.187', 2794, 0x323e8fc2, 0x51ccc178],
  ['65.69.140.83', 4739, '199.92.111.2', 14230, 0xd718262a, 0xc626b0ea],
  ['12.22.207.184', 38024, '24.19.198.95', 12898, 0xd2d0a5de, 0x5c2b394a],
  ['209.142.163.6', 2217, '38.27.205.30', 48228, 0x82989176, 0xafc7327f],
  ['202.188.127.2', 1303, '153.39.163.191', 44251, 0x5d1809c5, 0x10e828a2],
];
const IPV6: Array<[string, number, string, number, number, number]> = [
  ['3ffe:2501:200:3::1', 1766, '3ffe:2501:200:1fff::7', 2794, 0x2cc18cd5, 0x40207d3d],
  ['ff02::1', 4739, '3ffe:501:8::260:97ff:fe40:efab', 14230, 0x0f0c461c, 0xdde51bbf],
  ['fe80::200:f8ff:fe21:67cf', 38024, '3ffe:1900:4545:3:200:f8ff:fe21:67cf', 44251, 0x4b61e985, 0x02d1feef],
];

/** An Ethernet frame carrying IPv4 or IPv6 with a TCP (6) or UDP (17) header from src:sport to dst:dport. */
function ipFrame(family: 4 | 6, src: number[], dst: number[], proto: number, sport: number, dport: number, fragment = false): Uint8Array {
  const eth = [2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, ...(family === 4 ? [0x08, 0x00] : [0x86, 0xdd])];
  const l4 = [...be16(sport), ...be16(dport), ...Array(16).fill(0)];
  const ip =
    family === 4
      ? [0x45, 0, 0, 40, 0, 1, fragment ? 0x20 : 0, 0, 64, proto, 0, 0, ...src, ...dst]
      : [0x60, 0, 0, 0, 0, 20, proto, 64, ...src, ...dst];
  return Uint8Array.from([...eth, ...ip, ...l4]);
}

/** The hash words the NIC side left in the head of the frame waiting on queue q's RX ring (entry `i`). */
function rxHead(dp: Datapath, dev: ReturnType<Datapath['addDevice']>, q: number, i = 0): { hash: number; type: number } {
  const rx = dev.rings(q).rx;
  const v = dp.memory.view();
  const entries = v.getUint32(rx.address + RING.ENTRIES, true);
  const addr = Number(v.getBigUint64(entries + 16 * ((rx.consumer + i) & (v.getUint32(rx.address + RING.MASK, true))), true));
  const head = addr & ~4095;
  return { hash: v.getUint32(head + RSS.RX_HASH, true), type: v.getUint32(head + RSS.RX_HASH_TYPE, true) };
}

describe('the Toeplitz hash (the specification verification values)', async () => {
  const dp = await Datapath.create();
  const eth0 = dp.addDevice({ name: 'eth0', queues: 4, rss: true });

  it.each(IPV4)('IPv4 %s:%i ← %s:%i: 2-tuple and 4-tuple hashes', (dst, dport, src, sport, h2, h4) => {
    expect(eth0.rss!.key).toEqual(RSS_DEFAULT_KEY);
    expect(eth0.rssHash(Uint8Array.from([...v4(src), ...v4(dst)]))).toBe(h2);
    expect(eth0.rssHash(Uint8Array.from([...v4(src), ...v4(dst), ...be16(sport), ...be16(dport)]))).toBe(h4);
  });

  it.each(IPV6)('IPv6 [%s]:%i ← [%s]:%i: 2-tuple and 4-tuple hashes', (dst, dport, src, sport, h2, h4) => {
    expect(eth0.rssHash(Uint8Array.from([...v6(src), ...v6(dst)]))).toBe(h2);
    expect(eth0.rssHash(Uint8Array.from([...v6(src), ...v6(dst), ...be16(sport), ...be16(dport)]))).toBe(h4);
  });
});

describe('RSS on receive', () => {
  it('the package exports the RSS defaults and the worker pool', async () => {
    const wxdp = await import('../../src/index.js');
    expect(wxdp.RSS_DEFAULT_KEY).toBe(RSS_DEFAULT_KEY);
    expect(wxdp.RSS_DEFAULT_ENTRIES).toBe(128);
    expect(wxdp.MAX_WORKERS).toBe(64);
    expect(typeof wxdp.Workers).toBe('function');
  });

  it('a TCP frame lands on indirection entry (hash mod 128), its hash and type (L4 IPv4 TCP) in the frame head', async () => {
    const dp = await Datapath.create();
    const eth0 = dp.addDevice({ name: 'eth0', queues: 4, rss: true });
    expect(eth0.rss!.indirection).toEqual(Array.from({ length: 128 }, (_, i) => i % 4));
    for (const [dst, dport, src, sport, , h4] of IPV4) {
      const q = (h4 & 127) % 4;
      const before = eth0.rings(q).rx.available();
      expect(eth0.inject(ipFrame(4, v4(src), v4(dst), 6, sport, dport))).toBe(true);
      expect(eth0.rings(q).rx.available()).toBe(before + 1);
      // include/net/xdp.h: XDP_RSS_TYPE_L4_IPV4_TCP = XDP_RSS_L3_IPV4 (bit 0) | XDP_RSS_L4 (bit 3) | XDP_RSS_L4_TCP (bit 4)
      expect(rxHead(dp, eth0, q, before)).toEqual({ hash: h4, type: (RSS.RX_HASH_VALID | 0x19) >>> 0 });
    }
    for (const [dst, dport, src, sport, , h4] of IPV6) {
      const q = (h4 & 127) % 4;
      const before = eth0.rings(q).rx.available();
      expect(eth0.inject(ipFrame(6, v6(src), v6(dst), 6, sport, dport))).toBe(true);
      // XDP_RSS_TYPE_L4_IPV6_TCP = XDP_RSS_L3_IPV6 (bit 1) | XDP_RSS_L4 | XDP_RSS_L4_TCP
      expect(rxHead(dp, eth0, q, before)).toEqual({ hash: h4, type: (RSS.RX_HASH_VALID | 0x1a) >>> 0 });
    }
  });

  it('UDP hashes its ports unless udpPorts is false; an IPv4 fragment hashes the 2-tuple; ARP goes to queue 0 with no hash', async () => {
    const dp = await Datapath.create();
    const eth0 = dp.addDevice({ name: 'eth0', queues: 4, rss: true });
    const [dst, dport, src, sport, h2, h4] = IPV4[0]!;
    const one = (f: Uint8Array): { hash: number; type: number; q: number } => {
      const avail = [0, 1, 2, 3].map((q) => eth0.rings(q).rx.available());
      expect(eth0.inject(f)).toBe(true);
      const q = [0, 1, 2, 3].find((k) => eth0.rings(k).rx.available() > avail[k]!)!;
      return { ...rxHead(dp, eth0, q, avail[q]), q };
    };
    // XDP_RSS_TYPE_L4_IPV4_UDP = L3_IPV4 | L4 | L4_UDP (bit 5); XDP_RSS_TYPE_L3_IPV4 = L3_IPV4
    expect(one(ipFrame(4, v4(src), v4(dst), 17, sport, dport))).toEqual({ hash: h4, type: (RSS.RX_HASH_VALID | 0x29) >>> 0, q: (h4 & 127) % 4 });
    expect(one(ipFrame(4, v4(src), v4(dst), 6, sport, dport, true))).toEqual({ hash: h2, type: (RSS.RX_HASH_VALID | 0x1) >>> 0, q: (h2 & 127) % 4 });
    eth0.setRss({ udpPorts: false });
    expect(one(ipFrame(4, v4(src), v4(dst), 17, sport, dport))).toEqual({ hash: h2, type: (RSS.RX_HASH_VALID | 0x1) >>> 0, q: (h2 & 127) % 4 });
    const arp = Uint8Array.from([...Array(12).fill(0xff), 0x08, 0x06, ...Array(28).fill(0)]);
    expect(one(arp)).toEqual({ hash: 0, type: 0, q: 0 });
    // an explicit queue bypasses RSS, and the frame head says there is no hash
    expect(eth0.inject(ipFrame(4, v4(src), v4(dst), 6, sport, dport), { queue: 2 })).toBe(true);
    expect(rxHead(dp, eth0, 2, eth0.rings(2).rx.available() - 1)).toEqual({ hash: 0, type: 0 });
  });

  it('the indirection table and key are settable: every flow to queue 3, then a zero key (every hash 0 → entry 0)', async () => {
    const dp = await Datapath.create();
    const eth0 = dp.addDevice({ name: 'eth0', queues: 4, rss: true });
    eth0.setRss({ indirection: Array(64).fill(3) });
    for (const [dst, dport, src, sport] of IPV4) eth0.inject(ipFrame(4, v4(src), v4(dst), 6, sport, dport));
    expect([0, 1, 2, 3].map((q) => eth0.rings(q).rx.available())).toEqual([0, 0, 0, 5]);
    eth0.setRss({ key: new Uint8Array(40), indirection: [1, 2] });
    expect(eth0.rss!.indirection).toEqual([1, 2]);
    eth0.inject(ipFrame(4, v4('192.0.2.1'), v4('198.51.100.1'), 6, 1, 2));
    expect(eth0.rings(1).rx.available()).toBe(1);
  });

  it('refuses a key that is not 40 bytes, a table whose size is not a power of two, an entry past the queues', async () => {
    const dp = await Datapath.create();
    const eth0 = dp.addDevice({ name: 'eth0', queues: 4 });
    expect(eth0.rss).toBeUndefined();
    expect(refusal(() => eth0.setRss({ key: new Uint8Array(39) }))).toMatch(/^USAGE: device eth0: the RSS key must be 40 bytes/);
    expect(refusal(() => eth0.setRss({ indirection: [0, 1, 2] }))).toMatch(/^USAGE: .*power-of-two/);
    expect(refusal(() => eth0.setRss({ indirection: [0, 4] }))).toMatch(/^USAGE: .*entry 1 is queue 4; the device has queues 0..3/);
    expect(eth0.rss).toBeUndefined();
  });
});

describe('bpf_xdp_metadata_rx_hash: the hash RSS computed, on the worker the frame went to', () => {
  /** ipFrame with the frame's number `n` in the TCP sequence number's first byte (xdp_rx_hash.c reads it). */
  const numbered = (f: Uint8Array, n: number, family: 4 | 6): Uint8Array => {
    f[14 + (family === 4 ? 20 : 40) + 4] = n;
    return f;
  };

  it.each([0, 2])('%i workers: each specification flow answers 0, its 4-tuple hash and type; a frame queued by hand -ENODATA', async (workers) => {
    const dp = await Datapath.create(workers ? { workers } : {});
    try {
      const eth0 = dp.addDevice({ name: 'eth0', queues: 2, rss: true });
      const obj = await dp.loadObject(RX_HASH, { devBound: eth0.ifindex });
      eth0.attachXdp(obj.program('xdp_rx_hash'));
      const flows = [...IPV4.map((v) => [4, ...v] as const), ...IPV6.map((v) => [6, ...v] as const)];
      flows.forEach(([family, dst, dport, src, sport], n) => {
        const a = family === 4 ? [v4(src), v4(dst)] : [v6(src), v6(dst)];
        expect(eth0.inject(numbered(ipFrame(family, a[0]!, a[1]!, 6, sport, dport), n, family))).toBe(true);
      });
      // an explicit queue bypasses RSS: no hash, the outputs left as they were (0)
      expect(eth0.inject(numbered(ipFrame(4, v4('192.0.2.1'), v4('198.51.100.1'), 6, 1, 2), 15, 4), { queue: 1 })).toBe(true);
      if (dp.workers) dp.workers.settle(3);
      else while (dp.poll() !== 0) {}
      const seen = obj.map('seen');
      const at = (n: number) => {
        const v = new DataView(seen.lookup(codec.u32.encode(n))!.buffer);
        return { ret: v.getInt32(0, true), hash: v.getUint32(4, true), type: v.getUint32(8, true), cpu: v.getUint32(12, true) };
      };
      flows.forEach(([family, , , , , , h4], n) => {
        // include/net/xdp.h: XDP_RSS_TYPE_L4_IPV4_TCP 0x19, XDP_RSS_TYPE_L4_IPV6_TCP 0x1a; the queue is
        // indirection entry (hash mod 128) → queue (entry mod 2), polled by worker (queue mod 2)
        expect(at(n)).toEqual({ ret: 0, hash: h4, type: family === 4 ? 0x19 : 0x1a, cpu: workers ? (h4 & 127) % 2 : 0 });
      });
      expect(at(15)).toEqual({ ret: ENODATA, hash: 0, type: 0, cpu: workers ? 1 : 0 });
      expect(eth0.stats().verdicts.XDP_DROP).toBe(flows.length + 1);
    } finally {
      await dp.close();
    }
  });
});
