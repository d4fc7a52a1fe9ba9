// The packet generator (assembly/pktgen.ts through src/control/pktgen.ts): every frame parses as what
// it claims (a parser written here), its checksums verify (an RFC 1071 sum written here), sizes and
// IMIX proportions are exact, sequential and random flows cover their range, and Zipf flows follow
// the law (chi-square at a fixed seed).

import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { IMIX_SIZES, PacketGenerator, type PacketGeneratorOptions, type PacketTemplate } from '../../src/control/pktgen.js';
import { WxdpError } from '../../src/errors.js';
import { writePcap } from '../../src/pcap/index.js';
import { FastPath } from '../../src/runtime/fastpath.js';
import { EngineMemory } from '../../src/runtime/memory.js';

const wasmPath = new URL('../../build/fastpath.wasm', import.meta.url);

function haveTshark(): boolean {
  try {
    execFileSync('tshark', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** RFC 1071: one's-complement sum of big-endian 16-bit words, odd byte padded, folded. */
function onesSum(bytes: Uint8Array, seed = 0): number {
  let s = seed;
  for (let i = 0; i < bytes.length; i += 2) s += (bytes[i]! << 8) | (bytes[i + 1] ?? 0);
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 65536);
  return s;
}

interface Parsed {
  ethertype: number;
  l3: 4 | 6;
  src: string;
  dst: string;
  /** IPv4: the last octet sum / IPv6: the last 32 bits, as a number (to read the flow back). */
  srcLow: number;
  dstLow: number;
  proto: number;
  ttl: number;
  l4: Uint8Array;
  srcPort: number;
  dstPort: number;
  ipHeaderOk: boolean;
  l4ChecksumOk: boolean;
  payload: Uint8Array;
}

/** Ethernet → IPv4/IPv6 → UDP/TCP/ICMP(v6), checking every length field against the frame's length. */
function parse(f: Uint8Array): Parsed {
  const dv = new DataView(f.buffer, f.byteOffset, f.byteLength);
  const ethertype = dv.getUint16(12);
  let l3: 4 | 6;
  let proto: number;
  let ttl: number;
  let l4start: number;
  let pseudo: Uint8Array;
  let ipHeaderOk = true;
  if (ethertype === 0x0800) {
    l3 = 4;
    expect(f[14]).toBe(0x45);
    expect(dv.getUint16(16)).toBe(f.length - 14); // total length
    expect(dv.getUint16(20) & 0x1fff).toBe(0); // not a fragment
    ttl = f[22]!;
    proto = f[23]!;
    ipHeaderOk = onesSum(f.subarray(14, 34)) === 0xffff;
    l4start = 34;
    pseudo = new Uint8Array(12);
    pseudo.set(f.subarray(26, 34), 0);
    pseudo[9] = proto;
    new DataView(pseudo.buffer).setUint16(10, f.length - l4start);
  } else if (ethertype === 0x86dd) {
    l3 = 6;
    expect(f[14]! >> 4).toBe(6);
    expect(dv.getUint16(18)).toBe(f.length - 54); // payload length
    proto = f[20]!;
    ttl = f[21]!;
    l4start = 54;
    pseudo = new Uint8Array(40);
    pseudo.set(f.subarray(22, 54), 0);
    new DataView(pseudo.buffer).setUint32(32, f.length - l4start);
    pseudo[39] = proto;
  } else {
    throw new Error(`ethertype 0x${ethertype.toString(16)}`);
  }
  const l4 = f.subarray(l4start);
  const l4dv = new DataView(l4.buffer, l4.byteOffset, l4.byteLength);
  let srcPort: number;
  let dstPort: number;
  let hdr: number;
  if (proto === 17) {
    expect(l4dv.getUint16(4)).toBe(l4.length); // UDP length
    expect(l4dv.getUint16(6)).not.toBe(0); // a computed checksum is never sent as 0
    srcPort = l4dv.getUint16(0);
    dstPort = l4dv.getUint16(2);
    hdr = 8;
  } else if (proto === 6) {
    expect(l4[12]! >> 4).toBe(5);
    srcPort = l4dv.getUint16(0);
    dstPort = l4dv.getUint16(2);
    hdr = 20;
  } else if (proto === 1 || proto === 58) {
    expect(l4[0]).toBe(proto === 1 ? 8 : 128);
    expect(l4[1]).toBe(0);
    srcPort = l4dv.getUint16(4);
    dstPort = l4dv.getUint16(6);
    hdr = 8;
  } else {
    throw new Error(`protocol ${proto}`);
  }
  const l4ChecksumOk = onesSum(l4, proto === 1 ? 0 : onesSum(pseudo)) === 0xffff;
  const ip = (b: Uint8Array) => (l3 === 4 ? [...b].join('.') : [...b].map((x) => x.toString(16).padStart(2, '0')).join(''));
  const addrLen = l3 === 4 ? 4 : 16;
  const srcAt = l3 === 4 ? 26 : 22;
  const dstAt = srcAt + addrLen;
  return {
    ethertype,
    l3,
    src: ip(f.subarray(srcAt, srcAt + addrLen)),
    dst: ip(f.subarray(dstAt, dstAt + addrLen)),
    srcLow: dv.getUint32(srcAt + addrLen - 4),
    dstLow: dv.getUint32(dstAt + addrLen - 4),
    proto,
    ttl,
    l4,
    srcPort,
    dstPort,
    ipHeaderOk,
    l4ChecksumOk,
    payload: l4.subarray(hdr),
  };
}

describe.skipIf(!existsSync(wasmPath))('PacketGenerator', () => {
  let fp: FastPath;
  beforeAll(async () => {
    fp = await FastPath.load(new EngineMemory());
  });
  const gen = (o: PacketGeneratorOptions) => new PacketGenerator(fp, o);

  const templates: [string, PacketTemplate, number][] = [
    ['IPv4/UDP', { l3: 'ipv4', l4: 'udp' }, 17],
    ['IPv4/TCP', { l3: 'ipv4', l4: 'tcp' }, 6],
    ['IPv4/ICMP', { l3: 'ipv4', l4: 'icmp' }, 1],
    ['IPv6/UDP', { l3: 'ipv6', l4: 'udp' }, 17],
    ['IPv6/TCP', { l3: 'ipv6', l4: 'tcp' }, 6],
    ['IPv6/ICMPv6', { l3: 'ipv6', l4: 'icmp' }, 58],
  ];

  describe.each(templates)('%s frames', (_name, template, proto) => {
    it.each([64, 128, 512, 1518])('size %i: parse as claimed, with valid IP and L4 checksums', (size) => {
      const g = gen({ template, size, flows: 300, distribution: 'random', seed: size });
      expect(g.frameLengths).toEqual([Math.max(size - 4, g.headerLength)]);
      for (let i = 0; i < 300; i++) {
        const f = g.next();
        expect(f.length).toBe(Math.max(size - 4, g.headerLength));
        const p = parse(f);
        expect(p.proto).toBe(proto);
        expect(p.ttl).toBe(64);
        expect(p.ipHeaderOk, `IPv4 header checksum of frame ${i}`).toBe(true);
        expect(p.l4ChecksumOk, `L4 checksum of frame ${i}`).toBe(true);
        expect([...f.subarray(0, 12)]).toEqual([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1]);
        // The payload is the template's byte pattern.
        expect(p.payload.every((b, j) => b === (j & 0xff))).toBe(true);
      }
    });
  });

  it('writes the template fields given: addresses, ports, TTL, MACs', () => {
    const f = gen({ template: { l3: 'ipv6', l4: 'udp', srcIp: '2001:db8::10', dstIp: '2001:db8:1::192.0.2.1', srcPort: 5000, dstPort: 53, ttl: 3, srcMac: 'aa:bb:cc:dd:ee:ff', dstMac: '01-02-03-04-05-06' } }).next();
    const p = parse(f);
    expect(p.src).toBe('20010db8000000000000000000000010');
    expect(p.dst).toBe('20010db80001000000000000c0000201');
    expect([p.srcPort, p.dstPort, p.ttl]).toEqual([5000, 53, 3]);
    expect([...f.subarray(0, 12)]).toEqual([1, 2, 3, 4, 5, 6, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff]);
  });

  it('cycles IMIX sizes 7:4:1 (64, 570, 1518 on the wire) and counts packets and bytes', () => {
    const g = gen({ size: 'imix' });
    const counts = new Map<number, number>();
    for (let i = 0; i < 1200; i++) {
      const f = g.next();
      counts.set(f.length, (counts.get(f.length) ?? 0) + 1);
      expect(parse(f).l4ChecksumOk).toBe(true);
    }
    expect(Object.fromEntries(counts)).toEqual({ 60: 700, 566: 400, 1514: 100 });
    expect(IMIX_SIZES.length).toBe(12);
    expect(g.packets).toBe(1200);
    expect(g.bytes).toBe(700 * 60 + 400 * 566 + 100 * 1514);
  });

  it('sequential flows: source address and port count up from the template and wrap at `flows`', () => {
    const g = gen({ flows: 100, distribution: 'seq' });
    const seen: number[] = [];
    for (let i = 0; i < 250; i++) {
      const p = parse(g.next());
      const f = p.srcLow - 0x0a000001;
      expect(p.srcPort - 1024).toBe(f);
      expect(p.dst).toBe('10.0.0.2');
      expect(p.dstPort).toBe(9);
      seen.push(f);
    }
    expect(seen).toEqual(Array.from({ length: 250 }, (_, i) => i % 100));
  });

  it('varies destination fields, and ICMP echo id/sequence in place of ports', () => {
    const g = gen({ template: { l4: 'icmp', srcPort: 7, dstPort: 100 }, flows: 5, vary: ['dstIp', 'dstPort'] });
    for (let i = 0; i < 10; i++) {
      const p = parse(g.next());
      expect(p.dstLow - 0x0a000002).toBe(i % 5);
      expect(p.dstPort - 100).toBe(i % 5); // echo sequence
      expect(p.srcPort).toBe(7); // echo id
      expect(p.src).toBe('10.0.0.1');
      expect(p.l4ChecksumOk).toBe(true);
    }
  });

  it('random flows: every flow appears and the counts are uniform (chi-square, 63 df, p > 0.001)', () => {
    const flows = 64;
    const n = flows * 300;
    const g = gen({ flows, distribution: 'random', seed: 42 });
    const counts = new Array<number>(flows).fill(0);
    for (let i = 0; i < n; i++) counts[parse(g.next()).srcLow - 0x0a000001]!++;
    expect(counts.every((c) => c > 0)).toBe(true);
    const e = n / flows;
    const chi2 = counts.reduce((s, c) => s + (c - e) ** 2 / e, 0);
    expect(chi2).toBeLessThan(103.4); // chi-square 0.999 quantile, 63 df
  });

  it('Zipf flows follow P(k) ∝ 1/(k+1)^s (chi-square, 99 df, p > 0.001) and rank by frequency', () => {
    const flows = 100;
    const s = 1.1;
    const n = 200_000;
    const g = gen({ flows, distribution: 'zipf', zipfS: s, seed: 7, size: 64 });
    const base = fp.fn<(size: number, align: number) => number>('arena_alloc')(2048 * 64, 64) >>> 0;
    const counts = new Array<number>(flows).fill(0);
    const view = () => new DataView(fp.memory.memory.buffer);
    for (let done = 0; done < n; done += 64) {
      g.fillStrided(base, 2048, 64);
      const dv = view();
      for (let i = 0; i < 64; i++) counts[dv.getUint32(base + i * 2048 + 26) - 0x0a000001]!++;
    }
    const h = Array.from({ length: flows }, (_, k) => (k + 1) ** -s);
    const total = h.reduce((a, b) => a + b, 0);
    const chi2 = counts.reduce((acc, c, k) => {
      const e = (n * h[k]!) / total;
      return acc + (c - e) ** 2 / e;
    }, 0);
    expect(chi2).toBeLessThan(148.2); // chi-square 0.999 quantile, 99 df
    expect(counts[0]).toBeGreaterThan(counts[1]!);
    expect(counts[1]).toBeGreaterThan(counts[5]!);
    expect(counts[0]! / counts[1]!).toBeCloseTo(2 ** s, 1);
  });

  it('Zipf over 1 flow and over 3 flows (guide tables of 1 and 4 entries) stays in range', () => {
    const one = gen({ flows: 1, distribution: 'zipf', seed: 3 });
    for (let i = 0; i < 100; i++) expect(parse(one.next()).srcLow).toBe(0x0a000001);
    const three = gen({ flows: 3, distribution: 'zipf', zipfS: 2, seed: 3 });
    const counts = [0, 0, 0];
    for (let i = 0; i < 3000; i++) counts[parse(three.next()).srcLow - 0x0a000001]!++;
    // P = 1, 1/4, 1/9 normalised: 0.735, 0.184, 0.082.
    expect(counts[0]! / 3000).toBeCloseTo(0.735, 1);
    expect(counts[2]! / 3000).toBeCloseTo(0.082, 1);
  });

  it('fill() writes at the addresses given, reports lengths, and touches nothing else', () => {
    const g = gen({ size: 'imix', flows: 4 });
    const arena = fp.fn<(size: number, align: number) => number>('arena_alloc')(4096 * 4, 64) >>> 0;
    const mem = () => fp.memory.bytes();
    mem().fill(0xee, arena, arena + 4096 * 4);
    const addrs = [arena + 3 * 4096 + 100, arena + 7, arena + 4096 + 2000];
    const lens = new Uint32Array(3);
    expect(g.fill(addrs, lens)).toBe(3);
    expect([...lens]).toEqual([60, 566, 60]);
    const written = new Uint8Array(4096 * 4);
    addrs.forEach((a, i) => written.fill(1, a - arena, a - arena + lens[i]!));
    const b = mem();
    for (let i = 0; i < written.length; i++) if (!written[i]) expect(b[arena + i]).toBe(0xee);
    addrs.forEach((a, i) => expect(parse(b.slice(a, a + lens[i]!)).srcLow - 0x0a000001).toBe(i));
  });

  it('fill() splits bursts larger than maxBurst', () => {
    const g = gen({ flows: 1000, maxBurst: 8 });
    const arena = fp.fn<(size: number, align: number) => number>('arena_alloc')(128 * 20, 64) >>> 0;
    const lens = new Uint32Array(20);
    g.fill(Array.from({ length: 20 }, (_, i) => arena + i * 128), lens);
    expect([...lens]).toEqual(new Array(20).fill(60));
    const b = fp.memory.bytes();
    for (let i = 0; i < 20; i++) expect(parse(b.slice(arena + i * 128, arena + i * 128 + 60)).srcLow - 0x0a000001).toBe(i);
  });

  it('is deterministic for a seed; reset() starts the same sequence again', () => {
    const a = gen({ flows: 1000, distribution: 'zipf', seed: 99 });
    const b = gen({ flows: 1000, distribution: 'zipf', seed: 99 });
    const c = gen({ flows: 1000, distribution: 'zipf', seed: 100 });
    const run = (g: PacketGenerator) => Array.from({ length: 50 }, () => Buffer.from(g.next()).toString('hex')).join();
    const ra = run(a);
    expect(run(b)).toBe(ra);
    expect(run(c)).not.toBe(ra);
    a.reset();
    expect(a.packets).toBe(0);
    expect(run(a)).toBe(ra);
  });

  it.skipIf(!haveTshark())(`tshark dissects every template and finds every checksum good${haveTshark() ? '' : ' (skipped: tshark is not installed)'}`, () => {
    const frames: Uint8Array[] = [];
    for (const [, template] of templates) {
      const g = gen({ template, size: 'imix', flows: 50, distribution: 'random' });
      for (let i = 0; i < 12; i++) frames.push(g.next());
    }
    const dir = mkdtempSync(join(tmpdir(), 'wxdp-pktgen-'));
    try {
      const file = join(dir, 'gen.pcap');
      writeFileSync(file, writePcap(frames.map((data) => ({ data }))));
      const checks = ['ip', 'udp', 'tcp'].flatMap((p) => ['-o', `${p}.check_checksum:TRUE`]);
      const fields = ['frame.len', 'ip.checksum.status', 'udp.checksum.status', 'tcp.checksum.status', 'icmp.checksum.status', 'icmpv6.checksum.status'];
      const out = execFileSync('tshark', ['-r', file, ...checks, '-T', 'fields', ...fields.flatMap((f) => ['-e', f])], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      const rows = out.trim().split('\n').map((l) => l.split('\t'));
      expect(rows.length).toBe(frames.length);
      rows.forEach(([len, ...status], i) => {
        expect(Number(len)).toBe(frames[i]!.length);
        // 1 is PROTO_CHECKSUM_E_GOOD; IPv4 frames have two checksums, IPv6 frames one.
        const present = status.filter((x) => x !== '');
        expect(present.length, `frame ${i}`).toBe(parse(frames[i]!).l3 === 4 ? 2 : 1);
        expect(present.every((x) => x === '1'), `frame ${i}: ${status.join(',')}`).toBe(true);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses bad options with USAGE', () => {
    for (const o of [{ size: 0 }, { size: 5000 }, { size: [] }, { flows: 0 }, { flows: 1.5 }, { zipfS: -1 }, { distribution: 'pareto' }, { vary: ['ttl'] }, { template: { srcIp: '10.0.0' } }, { template: { l3: 'ipv6' as const, srcIp: '1::2::3' } }, { template: { dstMac: '00:11' } }, { template: { srcPort: 70000 } }]) {
      expect(() => gen(o as PacketGeneratorOptions), JSON.stringify(o)).toThrow(WxdpError);
    }
  });
});
