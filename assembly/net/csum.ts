// The Internet checksum (RFC 1071) as the stack's stages need it: word-wise over linear memory.
//
// The one's-complement sum does not depend on byte order (RFC 1071 §2(B)): summing the 16-bit words as
// they load on this little-endian machine gives the byte-swapped sum, and storing its complement with a
// little-endian store writes the right bytes. So nothing here swaps bytes: a sum from csumAdd() is only
// ever folded, complemented and stored, or compared with 0xffff (a valid header sums to all ones).
// 32-bit words are summed into 64 bits and folded at the end (the carries wrap around the same way).
//
// Reads: the bytes given. Sets: nothing (callers store the result).

/** Sum of `len` bytes at `p` added to `seed` (unfolded, 64-bit). An odd trailing byte is padded with zero. */
export function csumAdd(p: u32, len: u32, seed: u64): u64 {
  let s = seed;
  let i: u32 = 0;
  for (; i + 8 <= len; i += 8) {
    const w = load<u64>(p + i);
    s += (w & 0xffffffff) + (w >> 32);
  }
  if (i + 4 <= len) {
    s += <u64>load<u32>(p + i);
    i += 4;
  }
  if (i + 2 <= len) {
    s += <u64>load<u16>(p + i);
    i += 2;
  }
  if (i < len) s += <u64>load<u8>(p + i); // the padded byte is the word's first (low when loaded LE)
  return s;
}

/**
 * Fold a 64-bit sum to 16 bits (end-around carries), as the kernel's csum_fold does 32 → 16: the sum of a
 * word and its halves swapped has in its upper half the two halves' sum with the carry out of the lower
 * half added back in — the end-around sum, which cannot carry again. 64 → 32, then 32 → 16, the same way.
 * 0 only for 0 (a sum of words that are not all zero folds to 1..0xffff), as folding carries repeatedly.
 */
@inline export function csumFold16(s: u64): u32 {
  const t = <u32>((s + rotr<u64>(s, 32)) >> 32);
  return (t + rotr<u32>(t, 16)) >>> 16;
}

/** The checksum field's value (as a little-endian u16 store writes it) for a sum. */
@inline export function csumFinish(s: u64): u32 {
  return ~csumFold16(s) & 0xffff;
}

/** ip_fast_csum(iph, ihl) == 0: the IPv4 header of `hlen` bytes at `p` sums to all ones. */
@inline export function ipHeaderValid(p: u32, hlen: u32): bool {
  if (hlen == 20) {
    // the usual header, straight-line: two 8-byte words and one 4-byte word
    const a = load<u64>(p);
    const b = load<u64>(p, 8);
    const s = (a & 0xffffffff) + (a >> 32) + (b & 0xffffffff) + (b >> 32) + <u64>load<u32>(p, 16);
    return csumFold16(s) == 0xffff;
  }
  return csumFold16(csumAdd(p, hlen, 0)) == 0xffff;
}

/** Write the IPv4 header checksum of the `hlen`-byte header at `p` (its field zeroed first). */
@inline export function ipSendCheck(p: u32, hlen: u32): void {
  store<u16>(p + 10, 0);
  store<u16>(p + 10, csumFinish(csumAdd(p, hlen, 0)));
}

/**
 * The IPv6 pseudo-header sum (RFC 8200 §8.1): source and destination (16 bytes each at `saddr`, `daddr`),
 * upper-layer length and next header, as 32-bit big-endian words.
 */
export function csumIpv6Pseudo(saddr: u32, daddr: u32, len: u32, proto: u32): u64 {
  let s = csumAdd(saddr, 16, 0);
  s = csumAdd(daddr, 16, s);
  // the big-endian words len and proto, as a little-endian load would see them
  s += <u64>bswap<u32>(len);
  s += <u64>bswap<u32>(proto);
  return s;
}

/** Byte i of a v128 is i: what byte masks compare against (`n` bytes kept: iota < splat(n)). */
const IOTA: v128 = i8x16(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);

/**
 * Shortest UDP datagram and longest one ipUdp4ShortOk checks: 12 bytes fill the second vector of the
 * header's (the destination address, then the UDP header and 4 bytes); 44 end the fourth.
 */
export const IPUDP_SHORT_MIN: u32 = 12;
export const IPUDP_SHORT_MAX: u32 = 44;

/**
 * ip_fast_csum of the 20-byte IPv4 header at `ip` and the UDP checksum (pseudo header RFC 768, as
 * udp4_csum_init / __skb_checksum_complete verify it) of the `ulen`-byte datagram after it — its
 * checksum field not zero, `ulen` within IPUDP_SHORT_MIN..MAX — both right, in one pass: the 20 + ulen
 * bytes load as four vectors (the last two cut at the datagram's end; the frame's buffer holds them:
 * FRAME_SIZE), their 16-bit words add pairwise into 32-bit lanes, and the two sums — the header's
 * (its 10 words), the datagram's (the addresses, which end the header's, its words, length and
 * protocol) — are folded side by side in two lanes. Equal to ipHeaderValid(ip, 20) &&
 * csumFold16(pseudo + csumAdd(ip + 20, ulen)) == 0xffff (the sums are the same ones-complement sums
 * mod 0xffff; an odd last byte pads with zero as csumAdd's does), with one fold and compare instead of
 * two and one branch on the length (the fourth vector's: ulen > 28).
 */
@inline export function ipUdp4ShortOk(ip: u32, ulen: u32): bool {
  return ipUdp4ShortOkK(ip, ulen, IOTA, i32x4.splat(0xffff));
}

/**
 * IOTA and i32x4.splat(0xffff) in memory, for a loop to load once (csumIota, csumM16) and pass to
 * ipUdp4ShortOkK: V8 builds a v128 constant in the loop at each use (two to four instructions each),
 * where a value loaded before the loop stays in a register or one reload away. Measured 12-07 (spu57;
 * bench udp's demux workload, the builds in one process, ~150 ms blocks in turns, data path ns, both
 * orders since the second Datapath of a process reads up to 3 % apart from the first in an A/A run,
 * load 10-22): 10 sockets 26.5 → 25.6 (12/12 blocks won) and 26.3 → 25.7 (10/10); 10k 45.2 → 44.1
 * (11/12) and 45.7 → 44.7 (14/16), once even (47.5 / 47.9, 7/12); 100k 55.4 → 54.9 (8/10); the stack
 * without L4 24.8 → 25.7 (0/10) one way, 24.8 / 24.9 (even) the other.
 */
const CSUM_CONSTS: usize = memory.data<u8>([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
  0xff, 0xff, 0, 0, 0xff, 0xff, 0, 0, 0xff, 0xff, 0, 0, 0xff, 0xff, 0, 0], 16);

/** IOTA, from memory (CSUM_CONSTS). */
@inline export function csumIota(): v128 {
  return v128.load(<u32>CSUM_CONSTS);
}

/** i32x4.splat(0xffff), from memory (CSUM_CONSTS). */
@inline export function csumM16(): v128 {
  return v128.load(<u32>CSUM_CONSTS, 16);
}

/** ipUdp4ShortOk with its constants given: `iota` IOTA, `m16` i32x4.splat(0xffff) (csumIota, csumM16). */
@inline export function ipUdp4ShortOkK(ip: u32, ulen: u32, iota: v128, m16: v128): bool {
  return ipUdp4ShortOkV(ip, v128.load(ip), v128.load(ip, 16), ulen, iota, m16);
}

/**
 * ipUdp4ShortOkK with the datagram's first 32 bytes given as loaded (`h0` the 16 at `ip`, `h1` the 16
 * at ip + 16), for a caller that compared them already (udp_lean.ts lastFlow).
 */
@inline export function ipUdp4ShortOkV(ip: u32, h0: v128, h1: v128, ulen: u32, iota: v128, m16: v128): bool {
  // lanes of p: header bytes 0-3, 4-7, 8-11, 12-15 (the source address); of e: 16-19 (the
  // destination address), UDP 0-3, 4-7, 8-11; of r: UDP 12-27 and 28-43 as far as ulen goes
  const p = i32x4.extadd_pairwise_i16x8_u(h0);
  const e = i32x4.extadd_pairwise_i16x8_u(h1);
  const n = <i8>(ulen - IPUDP_SHORT_MIN);
  const r1 = v128.and(v128.load(ip, 32), i8x16.lt_s(iota, i8x16.splat(n)));
  // the fourth vector only when the datagram reaches it (ulen > 28): else its lanes are all masked off,
  // and ip + 48..63 is the frame's second line (Ethernet + 62..77), which a 60-byte frame never wrote —
  // cold with a socket's 1024 queued frames between reuses, a miss a datagram for nothing (perf, bench
  // udp 10k: 35 % of udp4Demux's samples on it). Loaded from ip + 32 instead, then masked to zero.
  // Measured (12-07, in one process, data path ns, 6 rounds at load ~12): 10k 107.8 → 92.1 (5/6 won),
  // 100k 122.9 → 110.4 (6/6); the rounds at load ~2: 10k 64.6 → 56.7, 100k 78.2 → 70.7.
  // Then not at all below 29 (a branch: a flow's datagrams are mostly one length, so it is predicted)
  // rather than loaded from ip + 32 and masked to zero: ~8 instructions a datagram of the common 64-byte
  // frame's (ulen 26). Measured 12-08 (spu58; bench udp's demux workload, the builds in one process,
  // ~150 ms blocks in turns, data path ns, both creation orders, load ~17): 10 sockets 27.0 → 26.2
  // (15/16 blocks won) and 29.7 → 28.6 (15/16); 10k 47.8 → 48.1 (10/16), 49.4 → 48.2 (9/16); 100k even
  // (60.3 → 60.5, 61.1 → 60.3).
  let q = i32x4.add(e, i32x4.extadd_pairwise_i16x8_u(r1));
  if (ulen > 28) {
    const r2 = v128.and(v128.load(ip, 48), i8x16.lt_s(iota, i8x16.splat(n - 16)));
    q = i32x4.add(q, i32x4.extadd_pairwise_i16x8_u(r2));
  }
  // lane 0: the sum of p's lanes; lane 1: the sum of q's
  const s = i32x4.add(v128.shuffle<i32>(p, q, 0, 4, 2, 6), v128.shuffle<i32>(p, q, 1, 5, 3, 7));
  let t = i32x4.add(s, v128.shuffle<i32>(s, s, 2, 3, 0, 1));
  // the header's destination address (e's lane 0); the pseudo header's source address (p's lane 3),
  // its length and protocol words (big-endian 16-bit words as they load: ulen < 256)
  t = i32x4.add(t, v128.shuffle<i32>(e, p, 0, 7, 0, 0));
  t = i32x4.add(t, i32x4(0, <i32>((ulen << 8) + (IPPROTO_UDP_CSUM << 8)), 0, 0));
  // two end-around folds (lanes stay under 2^22): 16 bits, all ones for a right sum
  t = i32x4.add(v128.and(t, m16), i32x4.shr_u(t, 16));
  t = i32x4.add(v128.and(t, m16), i32x4.shr_u(t, 16));
  return (i32x4.bitmask(i32x4.eq(t, m16)) & 3) == 3;
}

/** IPPROTO_UDP for the pseudo header's protocol word (inet.ts has it; csum.ts imports nothing). */
const IPPROTO_UDP_CSUM: u32 = 17;
