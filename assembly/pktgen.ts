// Packet generator (like the kernel's pktgen and DPDK's pktgen): writes Ethernet + IPv4/IPv6 +
// UDP/TCP/ICMP(v6) frames into memory at addresses the caller gives, a burst per call, so an RX ring
// or a UMEM can be refilled without JS per packet.
//
// Reads:   a generator (below), set up by src/control/pktgen.ts: a template frame holding every header
//          field and the payload, a table of frame sizes cycled through (one entry, or IMIX's 12).
// Sets:    per frame, the varied fields (source/destination address, ports or ICMP echo id/sequence)
//          from a flow index drawn sequentially, uniformly or by Zipf; the length fields; the IPv4
//          header checksum and the L4 checksum (UDP/TCP/ICMPv6 over the pseudo-header).
// Next:    whatever consumes the frames (the RX ring, a test, a pcap writer).
//
// Per frame: copy the template (word by word up to 128 bytes, memory.copy above), write the varied
// fields and lengths, and the checksums, summed from values in registers: the template's constant
// header words are summed once (pg_init), the payload per size entry. Nothing written is read back:
// a 4-byte load across two 8-byte stores just made misses store-to-load forwarding (~2x slower).
// Zipf flows: a binary search of the CDF, narrowed first by a guide table (Chen and Asau's cutpoints:
// guide[j] = first rank whose CDF exceeds j/G), so the search stays within a few entries.
// No allocation per packet; the generator's state lives in memory (one allocation from the map arena),
// so any instance over a shared memory can drive it.
//
// The generator, at the address pg_create returns (all u32 unless noted; addresses are absolute):
//
//   +0  template   +4  sizes     +8  nsizes     +12 cdf (0 unless Zipf)
//   +16 flows      +20 dist      +24 vary mask  +28 l3 (4|6)
//   +32 l4 proto   +36 l4 offset +40 header len +44 size position (next size entry)
//   +48 seq (next flow for 'seq')               +56 u64 xorshift64* state
//   +64 u64 packets                             +72 u64 bytes
//   +80 base src ip  +84 base dst ip  +88 base src port  +92 base dst port   (host order, from the template)
//   +96 scratch (burst × u32 addresses, then burst × u32 lengths)            +100 burst
//   +104 frame buffer for pg_next               +108 IPv4 header's constant sum (LE words, folded)
//   +112 L4 header's (+ pseudo-header's) constant sum                       +116 guide table (0 unless Zipf)
//   +120 guide shift (32 - log2 G)              +124 reserved
//
//   template: PG_FRAME_MAX bytes. size entry (PG_SIZE_ENTRY bytes): +0 u32 frame length (bytes in
//   memory, no FCS), +4 u32 payload sum (one's-complement, little-endian words, folded to 16 bits).

import { copyBytes } from './bytes';
import { csumPartial } from './checksum';
import { arena_alloc } from './maps/arena';

export const PG_TEMPLATE: u32 = 0;
export const PG_SIZES: u32 = 4;
export const PG_NSIZES: u32 = 8;
export const PG_CDF: u32 = 12;
export const PG_FLOWS: u32 = 16;
export const PG_DIST: u32 = 20;
export const PG_VARY: u32 = 24;
export const PG_L3: u32 = 28;
export const PG_L4: u32 = 32;
export const PG_L4_OFF: u32 = 36;
export const PG_HDR_LEN: u32 = 40;
export const PG_SIZE_POS: u32 = 44;
export const PG_SEQ: u32 = 48;
export const PG_RNG: u32 = 56;
export const PG_PACKETS: u32 = 64;
export const PG_BYTES: u32 = 72;
export const PG_BASE_SRC_IP: u32 = 80;
export const PG_BASE_DST_IP: u32 = 84;
export const PG_BASE_SRC_PORT: u32 = 88;
export const PG_BASE_DST_PORT: u32 = 92;
export const PG_SCRATCH: u32 = 96;
export const PG_BURST: u32 = 100;
export const PG_FRAME: u32 = 104;
export const PG_IP_SUM: u32 = 108;
export const PG_L4_SUM: u32 = 112;
export const PG_GUIDE: u32 = 116;
export const PG_GUIDE_SHIFT: u32 = 120;
export const PG_STRUCT_SIZE: u32 = 128;

export const PG_FRAME_MAX: u32 = 2048;
export const PG_SIZE_ENTRY: u32 = 8;

export const PG_DIST_SEQ: u32 = 0;
export const PG_DIST_RANDOM: u32 = 1;
export const PG_DIST_ZIPF: u32 = 2;

export const PG_VARY_SRC_IP: u32 = 1;
export const PG_VARY_DST_IP: u32 = 2;
export const PG_VARY_SRC_PORT: u32 = 4; // ICMP: the echo identifier
export const PG_VARY_DST_PORT: u32 = 8; // ICMP: the echo sequence number

const ETH_HLEN: u32 = 14;
const IPPROTO_ICMP: u32 = 1;
const IPPROTO_TCP: u32 = 6;
const IPPROTO_UDP: u32 = 17;
const IPPROTO_ICMPV6: u32 = 58;
/** Most guide-table entries (4 MiB): G is the power of two at or above the flow count, up to this. */
const GUIDE_MAX_LOG2: u32 = 20;

/** log2 of the guide table's size for `flows` flows. */
function guideLog2(flows: u32): u32 {
  let k: u32 = 0;
  while (k < GUIDE_MAX_LOG2 && (<u64>1 << k) < <u64>flows) k++;
  return k;
}

/**
 * Allocate a generator for `flows` flows, `nsizes` size entries and bursts of up to `burst` frames
 * (the scratch arrays TypeScript fills), with a Zipf CDF table when `zipf` is set. Returns its
 * address, or 0 when the memory cannot grow.
 */
export function pg_create(flows: u32, nsizes: u32, burst: u32, zipf: bool): u32 {
  const cdfBytes: u64 = zipf ? <u64>flows * 4 + (<u64>4 << guideLog2(flows)) : 0;
  const total: u64 = <u64>PG_STRUCT_SIZE + 2 * <u64>PG_FRAME_MAX + <u64>nsizes * PG_SIZE_ENTRY + <u64>burst * 8 + cdfBytes;
  if (flows == 0 || nsizes == 0 || total >= 0x8000_0000) return 0;
  const g = arena_alloc(<u32>total, 64);
  if (g == 0) return 0;
  let p = g + PG_STRUCT_SIZE;
  store<u32>(g + PG_TEMPLATE, p);
  p += PG_FRAME_MAX;
  store<u32>(g + PG_FRAME, p);
  p += PG_FRAME_MAX;
  store<u32>(g + PG_SIZES, p);
  store<u32>(g + PG_NSIZES, nsizes);
  p += nsizes * PG_SIZE_ENTRY;
  store<u32>(g + PG_SCRATCH, p);
  store<u32>(g + PG_BURST, burst);
  p += burst * 8;
  store<u32>(g + PG_CDF, zipf ? p : 0);
  store<u32>(g + PG_GUIDE, zipf ? p + flows * 4 : 0);
  store<u32>(g + PG_GUIDE_SHIFT, 32 - guideLog2(flows));
  store<u32>(g + PG_FLOWS, flows);
  return g;
}

/**
 * Finish setting up `g` once TypeScript has written the template and the frame lengths: the header
 * layout, the base values of the varied fields, the payload sums, the Zipf CDF (exponent `zipfS`),
 * the PRNG seed. Returns 0, or 1 for a bad layout (l3 not 4/6, unknown l4, a frame shorter than its
 * headers or longer than PG_FRAME_MAX).
 */
export function pg_init(g: u32, l3: u32, l4: u32, vary: u32, dist: u32, zipfS: f64, seedLo: u32, seedHi: u32): u32 {
  const l4off: u32 = l3 == 4 ? ETH_HLEN + 20 : l3 == 6 ? ETH_HLEN + 40 : 0;
  const l4len: u32 = l4 == IPPROTO_TCP ? 20 : l4 == IPPROTO_UDP || l4 == IPPROTO_ICMP || l4 == IPPROTO_ICMPV6 ? 8 : 0;
  if (l4off == 0 || l4len == 0) return 1;
  const hdr = l4off + l4len;
  store<u32>(g + PG_L3, l3);
  store<u32>(g + PG_L4, l4);
  store<u32>(g + PG_L4_OFF, l4off);
  store<u32>(g + PG_HDR_LEN, hdr);
  store<u32>(g + PG_VARY, vary);
  store<u32>(g + PG_DIST, dist);
  const t = load<u32>(g + PG_TEMPLATE);
  // The varied fields' base values: the last 32 bits of each address, the ports (ICMP: id, sequence).
  const srcIpAt: u32 = l3 == 4 ? ETH_HLEN + 12 : ETH_HLEN + 20;
  const dstIpAt: u32 = l3 == 4 ? ETH_HLEN + 16 : ETH_HLEN + 36;
  const portAt: u32 = l4 == IPPROTO_ICMP || l4 == IPPROTO_ICMPV6 ? l4off + 4 : l4off;
  store<u32>(g + PG_BASE_SRC_IP, bswap<u32>(load<u32>(t + srcIpAt)));
  store<u32>(g + PG_BASE_DST_IP, bswap<u32>(load<u32>(t + dstIpAt)));
  store<u32>(g + PG_BASE_SRC_PORT, <u32>bswap<u16>(load<u16>(t + portAt)));
  store<u32>(g + PG_BASE_DST_PORT, <u32>bswap<u16>(load<u16>(t + portAt + 2)));
  // Checksum fields stay zero in the template.
  store<u16>(t + l4off + (l4 == IPPROTO_TCP ? 16 : l4 == IPPROTO_UDP ? 6 : 2), 0);
  if (l3 == 4) store<u16>(t + ETH_HLEN + 10, 0);
  // The constant sums: the headers with every field a frame sets (lengths, IPv4 id, varied fields) zeroed.
  const h = load<u32>(g + PG_FRAME);
  memory.copy(h, t, hdr);
  if (l3 == 4) store<u32>(h + ETH_HLEN + 2, 0); // total length, identification
  else store<u16>(h + ETH_HLEN + 4, 0); //          payload length
  if (l4 == IPPROTO_UDP) store<u16>(h + l4off + 4, 0);
  if (vary & PG_VARY_SRC_IP) store<u32>(h + srcIpAt, 0);
  if (vary & PG_VARY_DST_IP) store<u32>(h + dstIpAt, 0);
  if (vary & PG_VARY_SRC_PORT) store<u16>(h + portAt, 0);
  if (vary & PG_VARY_DST_PORT) store<u16>(h + portAt + 2, 0);
  store<u32>(g + PG_IP_SUM, l3 == 4 ? fold16(sumLE(h + ETH_HLEN, 20)) : 0);
  let l4sum = sumLE(h + l4off, hdr - l4off);
  if (l4 != IPPROTO_ICMP) l4sum += (l3 == 4 ? sumLE(h + ETH_HLEN + 12, 8) : sumLE(h + ETH_HLEN + 8, 32)) + <u64>be16(l4);
  store<u32>(g + PG_L4_SUM, fold16(l4sum));
  const sizes = load<u32>(g + PG_SIZES);
  const n = load<u32>(g + PG_NSIZES);
  for (let i: u32 = 0; i < n; i++) {
    const e = sizes + i * PG_SIZE_ENTRY;
    const len = load<u32>(e);
    if (len < hdr || len > PG_FRAME_MAX) return 1;
    store<u32>(e + 4, <u32>bswap<u16>(<u16>csumPartial(t + hdr, len - hdr, 0)));
  }
  const cdf = load<u32>(g + PG_CDF);
  if (dist == PG_DIST_ZIPF && cdf != 0) {
    const flows = load<u32>(g + PG_FLOWS);
    zipfTable(cdf, flows, zipfS);
    guideTable(load<u32>(g + PG_GUIDE), load<u32>(g + PG_GUIDE_SHIFT), cdf, flows);
  }
  let seed = (<u64>seedHi << 32) | seedLo;
  if (seed == 0) seed = 0x9e3779b97f4a7c15; // xorshift's state must not be zero
  store<u64>(g + PG_RNG, seed);
  store<u32>(g + PG_SEQ, 0);
  store<u32>(g + PG_SIZE_POS, 0);
  store<u64>(g + PG_PACKETS, 0);
  store<u64>(g + PG_BYTES, 0);
  return 0;
}

/** cdf[k] = 2^32 · P(rank ≤ k) for P(k) ∝ 1/(k+1)^s; the last entry saturates. */
function zipfTable(cdf: u32, n: u32, s: f64): void {
  let total: f64 = 0;
  for (let k: u32 = 0; k < n; k++) total += Math.pow(<f64>(k + 1), -s);
  let acc: f64 = 0;
  for (let k: u32 = 0; k < n; k++) {
    acc += Math.pow(<f64>(k + 1), -s);
    const v = (acc / total) * 4294967296.0;
    store<u32>(cdf + k * 4, v >= 4294967295.0 ? 0xffffffff : <u32>v);
  }
  store<u32>(cdf + (n - 1) * 4, 0xffffffff);
}

/** guide[j] = the first rank whose CDF exceeds j · 2^shift: where a search for any u in bucket j starts. */
function guideTable(guide: u32, shift: u32, cdf: u32, n: u32): void {
  const g: u32 = <u32>(<u64>1 << (32 - shift));
  let i: u32 = 0;
  for (let j: u32 = 0; j < g; j++) {
    const threshold = <u64>j << shift;
    while (i < n - 1 && <u64>load<u32>(cdf + i * 4) <= threshold) i++;
    store<u32>(guide + j * 4, i);
  }
}

/** The smallest k with cdf[k] > u (the last entry when none is), searched between two cutpoints. */
@inline function zipfPick(cdf: u32, guide: u32, shift: u32, n: u32, u: u32): u32 {
  const j = shift == 32 ? 0 : u >> shift; // wasm masks a shift by 32 to 0
  let lo = load<u32>(guide + j * 4);
  const hi0: u32 = shift == 32 || j + 1 == <u32>(<u64>1 << (32 - shift)) ? n - 1 : load<u32>(guide + (j + 1) * 4);
  let hi = hi0;
  // Branch-free halving (selects, not branches): which way a search goes is random by design.
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const right = load<u32>(cdf + mid * 4) <= u;
    lo = select<u32>(mid + 1, lo, right);
    hi = select<u32>(hi, mid, right);
  }
  return lo;
}

/** One's-complement sum of `len` bytes (a multiple of 4) as little-endian words, unfolded. */
@inline function sumLE(p: usize, len: u32): u64 {
  let s: u64 = 0;
  for (let i: u32 = 0; i < len; i += 4) s += load<u32>(p + i);
  return s;
}

@inline function fold16(x: u64): u32 {
  let s = (x & 0xffffffff) + (x >> 32);
  s = (s & 0xffff) + (s >> 16);
  s = (s & 0xffff) + (s >> 16);
  s = (s & 0xffff) + (s >> 16);
  return <u32>s;
}

@inline function be16(v: u32): u32 {
  return <u32>bswap<u16>(<u16>v);
}

/**
 * Write `n` frames, the i-th at load<u32>(addrs + 4i) (or, when addrs is 0, at base + i·stride),
 * storing its length at lens + 4i when lens is not 0. Returns n.
 */
function fillBurst(g: u32, addrs: u32, base: u32, stride: u32, lens: u32, n: u32): u32 {
  const t = load<u32>(g + PG_TEMPLATE);
  const sizes = load<u32>(g + PG_SIZES);
  const nsizes = load<u32>(g + PG_NSIZES);
  const cdf = load<u32>(g + PG_CDF);
  const guide = load<u32>(g + PG_GUIDE);
  const shift = load<u32>(g + PG_GUIDE_SHIFT);
  const flows = load<u32>(g + PG_FLOWS);
  const dist = load<u32>(g + PG_DIST);
  const vary = load<u32>(g + PG_VARY);
  const l4 = load<u32>(g + PG_L4);
  const l4off = load<u32>(g + PG_L4_OFF);
  const srcIp = load<u32>(g + PG_BASE_SRC_IP);
  const dstIp = load<u32>(g + PG_BASE_DST_IP);
  const srcPort = load<u32>(g + PG_BASE_SRC_PORT);
  const dstPort = load<u32>(g + PG_BASE_DST_PORT);
  const ipConst: u64 = load<u32>(g + PG_IP_SUM);
  const l4Const: u64 = load<u32>(g + PG_L4_SUM);
  let pos = load<u32>(g + PG_SIZE_POS);
  let seq = load<u32>(g + PG_SEQ);
  let rng = load<u64>(g + PG_RNG);
  let packets = load<u64>(g + PG_PACKETS);
  let bytes = load<u64>(g + PG_BYTES);

  const v4 = load<u32>(g + PG_L3) == 4;
  const srcIpAt: u32 = v4 ? ETH_HLEN + 12 : ETH_HLEN + 20;
  const dstIpAt: u32 = v4 ? ETH_HLEN + 16 : ETH_HLEN + 36;
  const icmp = l4 == IPPROTO_ICMP || l4 == IPPROTO_ICMPV6;
  const udp = l4 == IPPROTO_UDP;
  const portAt: u32 = icmp ? l4off + 4 : l4off;
  const csumAt: u32 = l4off + (l4 == IPPROTO_TCP ? 16 : udp ? 6 : 2);
  const pseudo = l4 != IPPROTO_ICMP; // ICMPv4 alone has no pseudo-header

  for (let i: u32 = 0; i < n; i++) {
    const dst: usize = addrs != 0 ? <usize>load<u32>(addrs + i * 4) : <usize>(base + i * stride);
    const e = sizes + pos * PG_SIZE_ENTRY;
    if (++pos == nsizes) pos = 0;
    const len = load<u32>(e);

    let f: u32;
    if (dist == PG_DIST_SEQ) {
      f = seq;
      if (++seq == flows) seq = 0;
    } else {
      // xorshift64* (Vigna): the high 32 bits of the scrambled state.
      rng ^= rng >> 12;
      rng ^= rng << 25;
      rng ^= rng >> 27;
      const u = <u32>((rng * 0x2545f4914f6cdd1d) >> 32);
      f = dist == PG_DIST_ZIPF ? zipfPick(cdf, guide, shift, flows, u) : <u32>((<u64>u * flows) >> 32);
    }

    if (len <= 128) copyBytes(dst, t, len);
    else memory.copy(dst, t, len);

    // Sums in little-endian 16-bit words (see sumLE): a u32 stored as is adds as itself.
    let ipSum = ipConst;
    let l4Sum = l4Const + <u64>load<u32>(e + 4);
    if (vary & PG_VARY_SRC_IP) {
      const a = bswap<u32>(srcIp + f);
      store<u32>(dst + srcIpAt, a);
      ipSum += a;
      if (pseudo) l4Sum += a;
    }
    if (vary & PG_VARY_DST_IP) {
      const a = bswap<u32>(dstIp + f);
      store<u32>(dst + dstIpAt, a);
      ipSum += a;
      if (pseudo) l4Sum += a;
    }
    if (vary & PG_VARY_SRC_PORT) {
      const p = bswap<u16>(<u16>(srcPort + f));
      store<u16>(dst + portAt, p);
      l4Sum += p;
    }
    if (vary & PG_VARY_DST_PORT) {
      const p = bswap<u16>(<u16>(dstPort + f));
      store<u16>(dst + portAt + 2, p);
      l4Sum += p;
    }
    const l4len = be16(len - l4off);
    if (pseudo) l4Sum += l4len;
    if (udp) {
      store<u16>(dst + l4off + 4, <u16>l4len);
      l4Sum += l4len;
    }
    if (v4) {
      const totLen = be16(len - ETH_HLEN);
      const id = be16(<u32>packets); // IPv4 identification
      store<u32>(dst + ETH_HLEN + 2, totLen | (id << 16));
      store<u16>(dst + ETH_HLEN + 10, <u16>~fold16(ipSum + totLen + id));
    } else {
      store<u16>(dst + ETH_HLEN + 4, <u16>l4len);
    }
    let c = ~fold16(l4Sum) & 0xffff;
    if (c == 0 && udp) c = 0xffff;
    store<u16>(dst + csumAt, <u16>c);

    if (lens != 0) store<u32>(lens + i * 4, len);
    packets++;
    bytes += len;
  }
  store<u32>(g + PG_SIZE_POS, pos);
  store<u32>(g + PG_SEQ, seq);
  store<u64>(g + PG_RNG, rng);
  store<u64>(g + PG_PACKETS, packets);
  store<u64>(g + PG_BYTES, bytes);
  return n;
}

/** A burst at the addresses in the u32 array `addrs`; lengths to `lens` (0: not wanted). */
export function pg_fill(g: u32, addrs: u32, lens: u32, n: u32): u32 {
  return fillBurst(g, addrs, 0, 0, lens, n);
}

/** A burst at base, base + stride, ... (contiguous UMEM frames); lengths to `lens` (0: not wanted). */
export function pg_fill_strided(g: u32, base: u32, stride: u32, lens: u32, n: u32): u32 {
  return fillBurst(g, 0, base, stride, lens, n);
}

/** One frame into the generator's own frame buffer; returns its length. */
export function pg_next(g: u32): u32 {
  const lens = load<u32>(g + PG_SCRATCH) + load<u32>(g + PG_BURST) * 4;
  fillBurst(g, 0, load<u32>(g + PG_FRAME), 0, lens, 1);
  return load<u32>(lens);
}
