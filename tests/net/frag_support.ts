// Shared by the fragmentation and reassembly tests: packets built by hand (RFC 791 / 8200 layouts, the
// checksum computed here, not by wxdp), and a stack whose stage exports are driven directly.

import { Datapath } from '../../src/index.js';
import { NET_DROP_REASONS, NET_ROOT_PTR, SYSCTL } from '../../src/runtime/net_abi.js';

/** RFC 1071 over `b`: the one's-complement of the one's-complement sum of its 16-bit words. */
export function inetChecksum(b: Uint8Array): number {
  let s = 0;
  for (let i = 0; i + 1 < b.length; i += 2) s += (b[i] << 8) | b[i + 1];
  if (b.length & 1) s += b[b.length - 1] << 8;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

export interface V4 {
  src?: string;
  dst?: string;
  id?: number;
  proto?: number;
  ttl?: number;
  tos?: number;
  df?: boolean;
  mf?: boolean;
  /** Fragment offset in bytes (a multiple of 8). */
  offset?: number;
  options?: number[];
  payload: Uint8Array;
}

const ip4 = (s: string): number[] => s.split('.').map(Number);

/** An IPv4 packet: header (with options, padded by the caller to a multiple of 4) and payload. */
export function ipv4(p: V4): Uint8Array {
  const opts = p.options ?? [];
  if (opts.length % 4) throw new Error('options must fill whole 32-bit words');
  const hl = 20 + opts.length;
  const b = new Uint8Array(hl + p.payload.length);
  const v = new DataView(b.buffer);
  b[0] = 0x40 | (hl >> 2);
  b[1] = p.tos ?? 0;
  v.setUint16(2, b.length);
  v.setUint16(4, p.id ?? 0x1234);
  v.setUint16(6, ((p.offset ?? 0) >> 3) | (p.mf ? 0x2000 : 0) | (p.df ? 0x4000 : 0));
  b[8] = p.ttl ?? 64;
  b[9] = p.proto ?? 17;
  b.set(ip4(p.src ?? '192.0.2.1'), 12);
  b.set(ip4(p.dst ?? '192.0.2.2'), 16);
  b.set(opts, 20);
  b.set(p.payload, hl);
  v.setUint16(10, inetChecksum(b.subarray(0, hl)));
  return b;
}

/** `n` bytes of a pattern that differs at every position of a 64 KiB datagram. */
export function pattern(n: number, seed = 1): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7 + (i >> 8) * 13 + seed) & 0xff;
  return b;
}

/** The fragment of `whole` (an IPv4 header p and its payload) carrying payload [off, off + len). */
export function frag4(p: V4, off: number, len: number, last: boolean): Uint8Array {
  return ipv4({ ...p, offset: off, mf: !last || p.mf, payload: p.payload.subarray(off, off + len) });
}

export interface V6 {
  src?: string;
  dst?: string;
  tclass?: number;
  hlim?: number;
  /** Extension headers before the Fragment header: [nexthdr-less bodies], each a whole number of 8 bytes. */
  unfrag?: Array<{ type: number; body: Uint8Array }>;
  id?: number;
  nexthdr?: number; // what the Fragment header names (the first header of the fragmentable part)
  offset?: number;
  mf?: boolean;
  /** Override the Fragment header's reserved bits (RFC 8200: res and 2-bit res). */
  fragRes?: number;
  payload: Uint8Array;
}

function ip6bytes(s: string): number[] {
  const [head, tail] = s.split('::');
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const words = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t].map((w) => parseInt(w, 16));
  return words.flatMap((w) => [w >> 8, w & 0xff]);
}

/** An IPv6 fragment: header, the unfragmentable extension headers, a Fragment header, the payload. */
export function ipv6frag(p: V6): Uint8Array {
  const ext = p.unfrag ?? [];
  const extLen = ext.reduce((n, e) => n + e.body.length + 2, 0);
  const b = new Uint8Array(40 + extLen + 8 + p.payload.length);
  const v = new DataView(b.buffer);
  const tc = p.tclass ?? 0;
  v.setUint32(0, (6 << 28) | (tc << 20));
  v.setUint16(4, b.length - 40);
  b[7] = p.hlim ?? 64;
  b.set(ip6bytes(p.src ?? '2001:db8::1'), 8);
  b.set(ip6bytes(p.dst ?? '2001:db8::2'), 24);
  let nhPos = 6;
  let off = 40;
  for (const e of ext) {
    b[nhPos] = e.type;
    nhPos = off;
    b[off + 1] = (e.body.length + 2) / 8 - 1;
    b.set(e.body, off + 2);
    off += e.body.length + 2;
  }
  b[nhPos] = 44;
  b[off] = p.nexthdr ?? 17;
  v.setUint16(off + 2, (p.offset ?? 0) | (p.mf ? 1 : 0) | (p.fragRes ?? 0));
  v.setUint32(off + 4, p.id ?? 0xabcd0001);
  b.set(p.payload, off + 8);
  return b;
}

/** A UDP header + data (checksum left 0: reassembly never looks at it). */
export function udp(data: Uint8Array, sport = 4000, dport = 5000): Uint8Array {
  const b = new Uint8Array(8 + data.length);
  const v = new DataView(b.buffer);
  v.setUint16(0, sport);
  v.setUint16(2, dport);
  v.setUint16(4, b.length);
  b.set(data, 8);
  return b;
}

export const ETH_HDR = Uint8Array.from([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00]);
export const ETH_HDR6 = Uint8Array.from([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x86, 0xdd]);

type Fn = (...a: number[]) => number;

/** A stack with a UMEM, its stage exports and counters. */
export class Harness {
  readonly x: Record<string, Fn>;
  constructor(readonly dp: Datapath) {
    this.x = dp.fastPath.exports as unknown as Record<string, Fn>;
  }

  static async create(frames = 512): Promise<Harness> {
    const dp = await Datapath.create({ umemFrames: frames });
    void dp.stack; // net_init
    const h = new Harness(dp);
    const r = h.x.dp_init(frames);
    if (r !== 0 && r !== -17) throw new Error(`dp_init ${r}`);
    return h;
  }

  bytes(): Uint8Array {
    return this.dp.memory.bytes();
  }

  /** A pool frame holding `eth` + `l3` at the usual headroom; returns the L3 address. */
  place(l3: Uint8Array, eth = l3[0] >> 4 === 6 ? ETH_HDR6 : ETH_HDR): number {
    const f = this.x.frameAlloc() >>> 0;
    if (f === 0) throw new Error('no frame left');
    const m = this.bytes();
    m.set(eth, f + 256);
    m.set(l3, f + 270);
    return f + 270;
  }

  read(addr: number, len: number): Uint8Array {
    return this.bytes().slice(addr, addr + len);
  }

  /** ip_defrag on a placed copy of `l3`: the reassembled datagram's bytes, or null. */
  defrag4(l3: Uint8Array, ifindex = 2): Uint8Array | null {
    const a = this.x.ip_defrag(ifindex, 0, this.place(l3), l3.length) >>> 0;
    if (a === 0) return null;
    const out = this.read(a, this.x.reasmLen());
    this.lastEth = this.read(a - 14, 14);
    this.x.frame_free(a);
    return out;
  }

  lastEth: Uint8Array = new Uint8Array(0);

  /** ipv6_defrag on a placed copy of `l3` (the Fragment header at `fragOff`). */
  defrag6(l3: Uint8Array, fragOff: number, ifindex = 2): Uint8Array | null {
    const data = this.place(l3);
    const a = this.x.ipv6_defrag(ifindex, 0, data, l3.length, fragOff) >>> 0;
    if (a === 0) return null;
    const out = this.read(a, this.x.reasmLen());
    this.lastEth = this.read(a - 14, 14);
    this.x.frame_free(a);
    return out;
  }

  sysctl(name: keyof typeof SYSCTL, v: number): void {
    if (this.x.net_sysctl_set(SYSCTL[name], v) !== 0) throw new Error(`sysctl ${name}`);
  }

  mib(): Record<string, number> {
    return this.dp.stack.mib();
  }

  drops(): Record<string, number> {
    const d = this.dp.stack.drops();
    return Object.fromEntries(Object.entries(d).filter(([, n]) => n !== 0));
  }

  advance(ms: number): void {
    this.dp.stack.advance(ms);
  }

  poolFree(): number {
    return this.x.dp_pool_free();
  }

  /** A stack record for `ifindex` (only its existence matters to reassembly: IPv6 expiry). */
  fakeNetdev(ifindex: number): void {
    const rec = this.x.arena_alloc(512, 64) >>> 0;
    new DataView(this.dp.memory.memory.buffer).setUint32(rec, ifindex, true);
    this.x.netdevPublish(ifindex, rec);
  }

  root(): number {
    return new DataView(this.dp.memory.memory.buffer).getUint32(NET_ROOT_PTR, true);
  }
}

export const dropNames = NET_DROP_REASONS;
