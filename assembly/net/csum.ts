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
