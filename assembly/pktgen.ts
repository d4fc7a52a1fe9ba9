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
// fields and lengths, checksum the headers only: the payload's sum is precomputed per size entry.
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
//   +104 frame buffer for pg_next               +108 .. +127 reserved
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

/**
 * Allocate a generator for `flows` flows, `nsizes` size entries and bursts of up to `burst` frames
 * (the scratch arrays TypeScript fills), with a Zipf CDF table when `zipf` is set. Returns its
 * address, or 0 when the memory cannot grow.
 */
export function pg_create(flows: u32, nsizes: u32, burst: u32, zipf: bool): u32 {
  const cdfBytes: u64 = zipf ? <u64>flows * 4 : 0;
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
  // Checksum fields stay zero in the template: each frame's sums run over them.
  store<u16>(t + l4off + (l4 == IPPROTO_TCP ? 16 : l4 == IPPROTO_UDP ? 6 : 2), 0);
  if (l3 == 4) store<u16>(t + ETH_HLEN + 10, 0);
  const sizes = load<u32>(g + PG_SIZES);
  const n = load<u32>(g + PG_NSIZES);
  for (let i: u32 = 0; i < n; i++) {
    const e = sizes + i * PG_SIZE_ENTRY;
    const len = load<u32>(e);
    if (len < hdr || len > PG_FRAME_MAX) return 1;
    store<u32>(e + 4, <u32>bswap<u16>(<u16>csumPartial(t + hdr, len - hdr, 0)));
  }
  const cdf = load<u32>(g + PG_CDF);
  if (dist == PG_DIST_ZIPF && cdf != 0) zipfTable(cdf, load<u32>(g + PG_FLOWS), zipfS);
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

/** The smallest k with cdf[k] > u (the last entry when none is). */
@inline function zipfPick(cdf: u32, n: u32, u: u32): u32 {
  let lo: u32 = 0;
  let hi: u32 = n - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (load<u32>(cdf + mid * 4) > u) hi = mid;
    else lo = mid + 1;
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
  const flows = load<u32>(g + PG_FLOWS);
  const dist = load<u32>(g + PG_DIST);
  const vary = load<u32>(g + PG_VARY);
  const l3 = load<u32>(g + PG_L3);
  const l4 = load<u32>(g + PG_L4);
  const l4off = load<u32>(g + PG_L4_OFF);
  const hdr = load<u32>(g + PG_HDR_LEN);
  const srcIp = load<u32>(g + PG_BASE_SRC_IP);
  const dstIp = load<u32>(g + PG_BASE_DST_IP);
  const srcPort = load<u32>(g + PG_BASE_SRC_PORT);
  const dstPort = load<u32>(g + PG_BASE_DST_PORT);
  let pos = load<u32>(g + PG_SIZE_POS);
  let seq = load<u32>(g + PG_SEQ);
  let rng = load<u64>(g + PG_RNG);
  let packets = load<u64>(g + PG_PACKETS);
  let bytes = load<u64>(g + PG_BYTES);

  const v4 = l3 == 4;
  const srcIpAt: u32 = v4 ? ETH_HLEN + 12 : ETH_HLEN + 20;
  const dstIpAt: u32 = v4 ? ETH_HLEN + 16 : ETH_HLEN + 36;
  const icmp = l4 == IPPROTO_ICMP || l4 == IPPROTO_ICMPV6;
  const portAt: u32 = icmp ? l4off + 4 : l4off;
  const csumAt: u32 = l4off + (l4 == IPPROTO_TCP ? 16 : l4 == IPPROTO_UDP ? 6 : 2);
  const l4hdr = hdr - l4off;
  const pseudo = l4 != IPPROTO_ICMP; // ICMPv4 alone has no pseudo-header
  const protoLE: u64 = <u64>be16(l4);

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
      f = dist == PG_DIST_ZIPF ? zipfPick(cdf, flows, u) : <u32>((<u64>u * flows) >> 32);
    }

    if (len <= 128) copyBytes(dst, t, len);
    else memory.copy(dst, t, len);
    if (vary & PG_VARY_SRC_IP) store<u32>(dst + srcIpAt, bswap<u32>(srcIp + f));
    if (vary & PG_VARY_DST_IP) store<u32>(dst + dstIpAt, bswap<u32>(dstIp + f));
    if (vary & PG_VARY_SRC_PORT) store<u16>(dst + portAt, bswap<u16>(<u16>(srcPort + f)));
    if (vary & PG_VARY_DST_PORT) store<u16>(dst + portAt + 2, bswap<u16>(<u16>(dstPort + f)));

    // Lengths first: the sums below run over them.
    const l4len = len - l4off;
    if (v4) {
      store<u16>(dst + ETH_HLEN + 2, <u16>be16(len - ETH_HLEN));
      store<u16>(dst + ETH_HLEN + 4, <u16>be16(<u32>packets)); // IPv4 identification
    } else {
      store<u16>(dst + ETH_HLEN + 4, <u16>be16(l4len));
    }
    if (l4 == IPPROTO_UDP) store<u16>(dst + l4off + 4, <u16>be16(l4len));

    let sum: u64 = <u64>load<u32>(e + 4) + sumLE(dst + l4off, l4hdr);
    if (v4) {
      store<u16>(dst + ETH_HLEN + 10, <u16>~fold16(sumLE(dst + ETH_HLEN, 20)));
      if (pseudo) sum += sumLE(dst + ETH_HLEN + 12, 8);
    } else {
      sum += sumLE(dst + ETH_HLEN + 8, 32);
    }
    if (pseudo) sum += protoLE + <u64>be16(l4len);
    let c = ~fold16(sum) & 0xffff;
    if (c == 0 && l4 == IPPROTO_UDP) c = 0xffff;
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
