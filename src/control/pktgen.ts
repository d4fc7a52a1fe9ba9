// The packet generator's control side: builds the template frame and the size cycle, sets up the
// generator in the fast path (assembly/pktgen.ts) and drives it. The frames themselves are written by
// the AssemblyScript module, a burst per call:
//
//   const gen = new PacketGenerator(dp.fastPath, { template: { l3: 'ipv4', l4: 'udp' }, size: 'imix',
//                                                  flows: 1024, distribution: 'zipf', zipfS: 1.1, seed: 1 });
//   gen.fillStrided(umemBase, 2048, 64, lensAddr);   // 64 frames into wasm memory, no JS per frame
//   const frame = gen.next();                         // one frame, as a copy, for JS
//
// Sizes are Ethernet frame sizes on the wire, FCS included (as RFC 2544, IMIX and DPDK's pktgen count
// them); the frame written is 4 bytes shorter, since XDP frames carry no FCS, and never shorter than
// its headers (IPv6 + TCP needs 74 bytes: a '64-byte' IPv6 frame is as long as its headers).

import { WxdpError } from '../errors.js';
import type { FastPath } from '../runtime/fastpath.js';
import { ipv4Bytes, ipv6Bytes, macBytes } from './addresses.js';

export interface PacketTemplate {
  /** Default 'ipv4'. */
  l3?: 'ipv4' | 'ipv6';
  /** Default 'udp'. 'icmp' is ICMPv6 over IPv6; both send echo requests. */
  l4?: 'udp' | 'tcp' | 'icmp';
  /** Default 02:00:00:00:00:01. */
  srcMac?: string;
  /** Default 02:00:00:00:00:02. */
  dstMac?: string;
  /** Default 10.0.0.1 / fd00::1. Varied flows count up from here (the last 32 bits). */
  srcIp?: string;
  /** Default 10.0.0.2 / fd00::2. */
  dstIp?: string;
  /** Default 1024. ICMP: the echo identifier. */
  srcPort?: number;
  /** Default 9 (discard). ICMP: the echo sequence number. */
  dstPort?: number;
  /** TTL / hop limit, default 64. */
  ttl?: number;
}

export type VariedField = 'srcIp' | 'dstIp' | 'srcPort' | 'dstPort';
export type FlowDistribution = 'seq' | 'random' | 'zipf';

export interface PacketGeneratorOptions {
  template?: PacketTemplate;
  /** A frame size on the wire (default 64), 'imix' (7:4:1 of 64, 570, 1518), or a cycle of sizes. */
  size?: number | 'imix' | readonly number[];
  /** Flows: flow f sets each varied field to its template value + f. Default 1. */
  flows?: number;
  /** How each frame's flow is drawn: in order, uniformly, or by Zipf's law (flow 0 the most frequent). Default 'seq'. */
  distribution?: FlowDistribution;
  /** Zipf exponent s: P(flow k) ∝ 1/(k+1)^s. Default 1. */
  zipfS?: number;
  /** PRNG seed (xorshift64*). Default 1. */
  seed?: number | bigint;
  /** Fields a flow changes. Default ['srcIp', 'srcPort']. */
  vary?: readonly VariedField[];
  /** The largest burst `fill` passes in one call (scratch arrays in wasm memory). Default 256. */
  maxBurst?: number;
}

/** IMIX (the "simple IMIX" of 7:4:1), interleaved so that no size comes in runs. */
export const IMIX_SIZES: readonly number[] = [64, 570, 64, 64, 570, 64, 1518, 64, 570, 64, 64, 570];
const ETH_FCS = 4;

type Fn = (...args: number[]) => number;

export class PacketGenerator {
  /** The generator's address in wasm memory. */
  readonly address: number;
  /** Frame lengths in memory (no FCS), in the order frames cycle through them. */
  readonly frameLengths: readonly number[];
  /** Ethernet + IP + L4 header bytes. */
  readonly headerLength: number;
  readonly maxBurst: number;
  private readonly fp: FastPath;
  private readonly pgFill: Fn;
  private readonly pgFillStrided: Fn;
  private readonly pgNext: Fn;
  private readonly pgInit: () => number;
  private readonly scratch: number;
  private readonly frameBuf: number;

  constructor(fastPath: FastPath, opts: PacketGeneratorOptions = {}) {
    this.fp = fastPath;
    const g = (name: string) => fastPath.global(name) >>> 0;
    const t = opts.template ?? {};
    const v6 = (t.l3 ?? 'ipv4') === 'ipv6';
    const l4 = t.l4 ?? 'udp';
    const proto = l4 === 'udp' ? 17 : l4 === 'tcp' ? 6 : v6 ? 58 : 1;
    const frameMax = g('PG_FRAME_MAX');
    this.headerLength = 14 + (v6 ? 40 : 20) + (l4 === 'tcp' ? 20 : 8);
    const sizes = opts.size === 'imix' ? IMIX_SIZES : typeof opts.size === 'object' ? opts.size : [opts.size ?? 64];
    if (sizes.length === 0) throw new WxdpError('USAGE', 'pktgen: the size cycle is empty');
    for (const s of sizes) {
      if (!Number.isInteger(s) || s < 1 || s > frameMax + ETH_FCS) throw new WxdpError('USAGE', `pktgen: size ${s} is not an integer in 1..${frameMax + ETH_FCS}`);
    }
    this.frameLengths = sizes.map((s) => Math.max(s - ETH_FCS, this.headerLength));
    const flows = opts.flows ?? 1;
    if (!Number.isInteger(flows) || flows < 1 || flows > 0xffffffff) throw new WxdpError('USAGE', `pktgen: flows ${flows} is not an integer in 1..2^32-1`);
    const dist = opts.distribution ?? 'seq';
    const distCode = { seq: g('PG_DIST_SEQ'), random: g('PG_DIST_RANDOM'), zipf: g('PG_DIST_ZIPF') }[dist];
    if (distCode === undefined) throw new WxdpError('USAGE', `pktgen: unknown distribution '${String(dist)}'`);
    const zipfS = opts.zipfS ?? 1;
    if (!(zipfS > 0 && Number.isFinite(zipfS))) throw new WxdpError('USAGE', `pktgen: zipfS ${zipfS} is not a positive number`);
    if (dist === 'zipf' && flows > 1 << 24) throw new WxdpError('USAGE', `pktgen: ${flows} Zipf flows exceed the 2^24 the CDF table holds`);
    const varyBits: Record<VariedField, number> = {
      srcIp: g('PG_VARY_SRC_IP'),
      dstIp: g('PG_VARY_DST_IP'),
      srcPort: g('PG_VARY_SRC_PORT'),
      dstPort: g('PG_VARY_DST_PORT'),
    };
    let vary = 0;
    for (const f of opts.vary ?? ['srcIp', 'srcPort']) {
      if (!(f in varyBits)) throw new WxdpError('USAGE', `pktgen: cannot vary '${String(f)}'`);
      vary |= varyBits[f];
    }
    this.maxBurst = opts.maxBurst ?? 256;
    if (!Number.isInteger(this.maxBurst) || this.maxBurst < 1 || this.maxBurst > 1 << 20) throw new WxdpError('USAGE', `pktgen: maxBurst ${this.maxBurst} is not in 1..2^20`);
    const seed = BigInt.asUintN(64, BigInt(opts.seed ?? 1));

    const addr = fastPath.fn<Fn>('pg_create')(flows >>> 0, this.frameLengths.length, this.maxBurst, dist === 'zipf' ? 1 : 0) >>> 0;
    if (addr === 0) throw new WxdpError('MAP_NO_MEMORY', `pktgen: no memory for a generator of ${flows} flows: ${fastPath.memory.limitReached()}`);
    this.address = addr;
    const dv = fastPath.memory.view();
    const template = dv.getUint32(addr + g('PG_TEMPLATE'), true);
    this.scratch = dv.getUint32(addr + g('PG_SCRATCH'), true);
    this.frameBuf = dv.getUint32(addr + g('PG_FRAME'), true);
    const sizeTable = dv.getUint32(addr + g('PG_SIZES'), true);
    this.frameLengths.forEach((len, i) => dv.setUint32(sizeTable + i * g('PG_SIZE_ENTRY'), len, true));
    fastPath.memory.bytes().set(buildTemplate(t, v6, proto, frameMax), template);

    const init = fastPath.fn<Fn>('pg_init');
    const l3 = v6 ? 6 : 4;
    this.pgInit = () => init(addr, l3, proto, vary, distCode, zipfS, Number(seed & 0xffffffffn), Number(seed >> 32n));
    if (this.pgInit() !== 0) throw new WxdpError('USAGE', 'pktgen: the fast path refused the template');
    this.pgFill = fastPath.fn<Fn>('pg_fill');
    this.pgFillStrided = fastPath.fn<Fn>('pg_fill_strided');
    this.pgNext = fastPath.fn<Fn>('pg_next');
  }

  /** Raw burst: `n` frames at the u32 addresses stored at `addrs`, lengths to the u32s at `lens` (0: none). */
  fillAt(addrs: number, lens: number, n: number): number {
    return this.pgFill(this.address, addrs, lens, n) >>> 0;
  }

  /** `n` frames at base, base + stride, ... (UMEM frames); lengths to the u32s at `lens` (0: none). */
  fillStrided(base: number, stride: number, n: number, lens = 0): number {
    return this.pgFillStrided(this.address, base, stride, lens, n) >>> 0;
  }

  /** Frames at the given wasm-memory addresses; their lengths into `lengthsOut` when given. Returns the count. */
  fill(addresses: ArrayLike<number>, lengthsOut?: Uint32Array): number {
    const total = addresses.length;
    const addrs = this.scratch;
    const lens = this.scratch + this.maxBurst * 4;
    for (let done = 0; done < total; ) {
      const n = Math.min(this.maxBurst, total - done);
      const buf = this.fp.memory.memory.buffer;
      const a = new Uint32Array(buf, addrs, n);
      for (let i = 0; i < n; i++) a[i] = addresses[done + i]!;
      this.pgFill(this.address, addrs, lengthsOut ? lens : 0, n);
      if (lengthsOut) lengthsOut.set(new Uint32Array(buf, lens, n), done);
      done += n;
    }
    return total;
  }

  /** The next frame, as a copy. */
  next(): Uint8Array {
    const len = this.pgNext(this.address) >>> 0;
    return this.fp.memory.bytes().slice(this.frameBuf, this.frameBuf + len);
  }

  /** Frames generated since construction or the last reset(). */
  get packets(): number {
    return Number(this.fp.memory.view().getBigUint64(this.address + this.fp.global('PG_PACKETS'), true));
  }

  /** Bytes generated (frame lengths, no FCS). */
  get bytes(): number {
    return Number(this.fp.memory.view().getBigUint64(this.address + this.fp.global('PG_BYTES'), true));
  }

  /** Start again: first size, flow 0, the seed's PRNG state, counters at zero. */
  reset(): void {
    this.pgInit();
  }
}

/** Headers with zero checksums and lengths (the fast path writes them per frame), then a byte pattern. */
function buildTemplate(t: PacketTemplate, v6: boolean, proto: number, frameMax: number): Uint8Array {
  const b = new Uint8Array(frameMax);
  const dv = new DataView(b.buffer);
  b.set(macBytes(t.dstMac ?? '02:00:00:00:00:02'), 0);
  b.set(macBytes(t.srcMac ?? '02:00:00:00:00:01'), 6);
  const ttl = t.ttl ?? 64;
  const port = (p: number | undefined, d: number) => {
    const v = p ?? d;
    if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new WxdpError('USAGE', `pktgen: port ${v} is not in 0..65535`);
    return v;
  };
  let l4: number;
  if (v6) {
    dv.setUint16(12, 0x86dd);
    dv.setUint32(14, 0x6000_0000); // version 6, traffic class 0, flow label 0
    b[14 + 6] = proto;
    b[14 + 7] = ttl;
    b.set(ipv6Bytes(t.srcIp ?? 'fd00::1'), 14 + 8);
    b.set(ipv6Bytes(t.dstIp ?? 'fd00::2'), 14 + 24);
    l4 = 54;
  } else {
    dv.setUint16(12, 0x0800);
    b[14] = 0x45;
    dv.setUint16(14 + 6, 0x4000); // DF
    b[14 + 8] = ttl;
    b[14 + 9] = proto;
    b.set(ipv4Bytes(t.srcIp ?? '10.0.0.1'), 14 + 12);
    b.set(ipv4Bytes(t.dstIp ?? '10.0.0.2'), 14 + 16);
    l4 = 34;
  }
  const src = port(t.srcPort, 1024);
  const dst = port(t.dstPort, 9);
  let payload: number;
  if (proto === 6) {
    dv.setUint16(l4, src);
    dv.setUint16(l4 + 2, dst);
    dv.setUint32(l4 + 4, 1); // sequence number
    b[l4 + 12] = 5 << 4; // data offset: 5 words
    b[l4 + 13] = 0x02; // SYN
    dv.setUint16(l4 + 14, 65535); // window
    payload = l4 + 20;
  } else if (proto === 17) {
    dv.setUint16(l4, src);
    dv.setUint16(l4 + 2, dst);
    payload = l4 + 8;
  } else {
    b[l4] = proto === 58 ? 128 : 8; // echo request
    dv.setUint16(l4 + 4, src);
    dv.setUint16(l4 + 6, dst);
    payload = l4 + 8;
  }
  for (let i = payload; i < frameMax; i++) b[i] = (i - payload) & 0xff;
  return b;
}
