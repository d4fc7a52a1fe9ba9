// Bob Jenkins' lookup3 hash exactly as the kernel has it (include/linux/jhash.h): the hash maps use
// jhash2() over u32 words when the key size is a multiple of 4 and jhash() over bytes otherwise
// (htab_map_hash), so with BPF_F_ZERO_SEED buckets, and get_next_key order, match the kernel's.
// Loads are little-endian, as the kernel's on x86 and arm64.

const JHASH_INITVAL: u32 = 0xdeadbeef;

/** __jhash_final: the last mix, whose result is c. */
@inline function jhashFinal(a: u32, b: u32, c: u32): u32 {
  c ^= b; c -= rotl<u32>(b, 14);
  a ^= c; a -= rotl<u32>(c, 11);
  b ^= a; b -= rotl<u32>(a, 25);
  c ^= b; c -= rotl<u32>(b, 16);
  a ^= c; a -= rotl<u32>(c, 4);
  b ^= a; b -= rotl<u32>(a, 14);
  c ^= b; c -= rotl<u32>(b, 24);
  return c;
}

/** jhash(): `length` bytes at `key`. */
export function jhash(key: usize, length: u32, initval: u32): u32 {
  let a: u32 = JHASH_INITVAL + length + initval;
  let b: u32 = a;
  let c: u32 = a;
  let k = key;
  while (length > 12) {
    a += load<u32>(k);
    b += load<u32>(k, 4);
    c += load<u32>(k, 8);
    // __jhash_mix
    a -= c; a ^= rotl<u32>(c, 4); c += b;
    b -= a; b ^= rotl<u32>(a, 6); a += c;
    c -= b; c ^= rotl<u32>(b, 8); b += a;
    a -= c; a ^= rotl<u32>(c, 16); c += b;
    b -= a; b ^= rotl<u32>(a, 19); a += c;
    c -= b; c ^= rotl<u32>(b, 4); b += a;
    length -= 12;
    k += 12;
  }
  if (length == 0) return c;
  switch (length) {
    case 12: c += <u32>load<u8>(k, 11) << 24;
    case 11: c += <u32>load<u8>(k, 10) << 16;
    case 10: c += <u32>load<u8>(k, 9) << 8;
    case 9: c += <u32>load<u8>(k, 8);
    case 8: b += <u32>load<u8>(k, 7) << 24;
    case 7: b += <u32>load<u8>(k, 6) << 16;
    case 6: b += <u32>load<u8>(k, 5) << 8;
    case 5: b += <u32>load<u8>(k, 4);
    case 4: a += <u32>load<u8>(k, 3) << 24;
    case 3: a += <u32>load<u8>(k, 2) << 16;
    case 2: a += <u32>load<u8>(k, 1) << 8;
    default: a += <u32>load<u8>(k);
  }
  return jhashFinal(a, b, c);
}

/** jhash2(): `length` u32 words at `key`. */
export function jhash2(key: usize, length: u32, initval: u32): u32 {
  let a: u32 = JHASH_INITVAL + (length << 2) + initval;
  let b: u32 = a;
  let c: u32 = a;
  let k = key;
  while (length > 3) {
    a += load<u32>(k);
    b += load<u32>(k, 4);
    c += load<u32>(k, 8);
    a -= c; a ^= rotl<u32>(c, 4); c += b;
    b -= a; b ^= rotl<u32>(a, 6); a += c;
    c -= b; c ^= rotl<u32>(b, 8); b += a;
    a -= c; a ^= rotl<u32>(c, 16); c += b;
    b -= a; b ^= rotl<u32>(a, 19); a += c;
    c -= b; c ^= rotl<u32>(b, 4); b += a;
    length -= 3;
    k += 12;
  }
  if (length == 0) return c;
  if (length == 3) c += load<u32>(k, 8);
  if (length >= 2) b += load<u32>(k, 4);
  a += load<u32>(k);
  return jhashFinal(a, b, c);
}

/** jhash2() of one word, unrolled: 4-byte keys. */
@inline export function jhash1w(k0: u32, initval: u32): u32 {
  let a: u32 = JHASH_INITVAL + 4 + initval + k0;
  let b: u32 = JHASH_INITVAL + 4 + initval;
  let c: u32 = b;
  return jhashFinal(a, b, c);
}

/** jhash2() of two words, unrolled: 8-byte keys. */
@inline export function jhash2w(k0: u32, k1: u32, initval: u32): u32 {
  let a: u32 = JHASH_INITVAL + 8 + initval + k0;
  let b: u32 = JHASH_INITVAL + 8 + initval + k1;
  let c: u32 = JHASH_INITVAL + 8 + initval;
  return jhashFinal(a, b, c);
}

/** jhash2() of four words, unrolled: 16-byte keys (one mix, then the last word and the final). */
@inline export function jhash4w(k0: u32, k1: u32, k2: u32, k3: u32, initval: u32): u32 {
  const iv: u32 = JHASH_INITVAL + 16 + initval;
  let a: u32 = iv + k0;
  let b: u32 = iv + k1;
  let c: u32 = iv + k2;
  a -= c; a ^= rotl<u32>(c, 4); c += b;
  b -= a; b ^= rotl<u32>(a, 6); a += c;
  c -= b; c ^= rotl<u32>(b, 8); b += a;
  a -= c; a ^= rotl<u32>(c, 16); c += b;
  b -= a; b ^= rotl<u32>(a, 19); a += c;
  c -= b; c ^= rotl<u32>(b, 4); b += a;
  return jhashFinal(a + k3, b, c);
}

/** jhash_3words(a, b, c, initval) (jhash.h: __jhash_nwords with initval + JHASH_INITVAL + 12). */
@inline export function jhash3w(a: u32, b: u32, c: u32, initval: u32): u32 {
  const iv: u32 = JHASH_INITVAL + 12 + initval;
  return jhashFinal(a + iv, b + iv, c + iv);
}

/** htab_map_hash(). */
@inline export function htabHash(key: usize, keySize: u32, seed: u32): u32 {
  return (keySize & 3) == 0 ? jhash2(key, keySize >> 2, seed) : jhash(key, keySize, seed);
}

/**
 * A 32-bit integer finaliser (lowbias32: xorshift-multiply, full avalanche) for wxdp's own tables
 * where the kernel's hash does not decide an observable order (neighbour buckets, socket hash2 slots).
 */
@inline export function mix32(x: u32): u32 {
  x ^= x >> 16;
  x *= 0x7feb352d;
  x ^= x >> 15;
  x *= 0x846ca68b;
  x ^= x >> 16;
  return x;
}
