// Internet checksum (RFC 1071) over linear memory, as the kernel's csum_partial.

/**
 * One's-complement sum of `len` bytes at `ptr` folded into `seed`: 16-bit big-endian words, an odd
 * trailing byte padded with zero.
 */
export function csumPartial(ptr: usize, len: u32, seed: u32): u32 {
  let sum: u64 = seed;
  let i: u32 = 0;
  for (; i + 1 < len; i += 2) {
    sum += (<u64>load<u8>(ptr + i) << 8) | load<u8>(ptr + i + 1);
  }
  if (i < len) sum += <u64>load<u8>(ptr + i) << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return <u32>sum;
}

/** The folded, complemented checksum as written into headers. */
export function csumFold(sum: u32): u32 {
  let s = sum;
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return ~s & 0xffff;
}
