// BPF_MAP_TYPE_BLOOM_FILTER (kernel/bpf/bloom_filter.c): a bitset of a power of two bits (at least 64)
// and nr_hash_funcs hashes of each value. Push sets every value's bits, peek answers 0 when they are
// all set (false positives possible, false negatives not) and -ENOENT otherwise. No keys, no delete.
//
//   header +32 u32 bitset_mask   bits - 1 (U32_MAX for the 2^32-bit cap)
//          +36 u32 hash_seed     get_random_u32() at creation (map_hash_seed()'s value), 0 with BPF_F_ZERO_SEED
//          +40 u32 nr_hash_funcs map_extra's low 4 bits, 0 → 5
//   MAP_DATA  the bitset, as the kernel's unsigned long[] lies in little-endian memory: bit h is bit
//             h & 7 of byte h >> 3 (u32 word h >> 5, bit h & 31)
//
// Bits are set with an atomic or (the kernel's set_bit), so workers of the shared build may push
// while others peek; like the kernel's, a peek racing a push may miss the value being pushed.

import { MAP_DATA, MAP_VALUE_SIZE } from '../abi';
import { allocMap, nextHashSeed } from './arena';
import { jhash, jhash2 } from './jhash';
import { accessFlagsOk, BPF_ANY, BPF_F_ACCESS_MASK, BPF_F_NUMA_NODE, BPF_F_ZERO_SEED, E2BIG, EINVAL, ENOENT, ENOMEM } from './uapi';

const BF_MASK: u32 = 32;
const BF_SEED: u32 = 36;
const BF_NHASH: u32 = 40;

const BLOOM_CREATE_FLAG_MASK: u32 = BPF_F_NUMA_NODE | BPF_F_ZERO_SEED | BPF_F_ACCESS_MASK;
const KMALLOC_MAX_SIZE: u32 = 1 << 22;
const BITS_PER_LONG: u32 = 64;

/** bloom_map_alloc_check() then bloom_map_alloc(); `extra` is the attribute's u64 map_extra. */
export function bloomCreate(type: u32, keySize: u32, valueSize: u32, maxEntries: u32, flags: u32, id: u32, extra: u64): i64 {
  if (valueSize > KMALLOC_MAX_SIZE) return -E2BIG;
  if (keySize != 0 || valueSize == 0 || maxEntries == 0 || (flags & ~BLOOM_CREATE_FLAG_MASK) != 0 ||
      !accessFlagsOk(flags) || (extra & ~<u64>0xf) != 0) return -EINVAL;
  let nrHash = <u32>extra;
  if (nrHash == 0) nrHash = 5;
  // check_mul_overflow(max_entries, nr_hash_funcs) and (nr_bits / 5) × 7 in u32, capped at 2^31 bits
  // beyond which the bitset has 2^32 bits: BITS_TO_BYTES(U32_MAX) bytes and the mask U32_MAX.
  let bytes: u64;
  let mask: u32;
  const n1 = <u64>maxEntries * nrHash;
  const n2 = (n1 / 5) * 7;
  if (n1 > 0xffff_ffff || n2 > 0xffff_ffff || n2 > (<u64>1 << 31)) {
    bytes = (<u64>0xffff_ffff + 7) >> 3;
    mask = 0xffff_ffff;
  } else {
    let bits = <u32>n2;
    // roundup_pow_of_two
    bits = bits <= BITS_PER_LONG ? BITS_PER_LONG : <u32>(<u64>1 << (32 - clz<u32>(bits - 1)));
    bytes = <u64>(bits >> 3);
    mask = bits - 1;
  }
  bytes = (bytes + 7) & ~<u64>7;
  const m = allocMap(type, keySize, valueSize, maxEntries, flags, id, bytes, 8);
  if (m == 0) return -ENOMEM;
  store<u32>(m, mask, BF_MASK);
  store<u32>(m, (flags & BPF_F_ZERO_SEED) != 0 ? 0 : nextHashSeed(), BF_SEED);
  store<u32>(m, nrHash, BF_NHASH);
  return m;
}

/** hash(): jhash2 over u32 words when value_size is a multiple of 4, else jhash; seed + index; masked. */
@inline function bloomHash(m: u32, value: u32, vs: u32, index: u32): u32 {
  const seed = load<u32>(m, BF_SEED) + index;
  const h = (vs & 3) == 0 ? jhash2(value, vs >> 2, seed) : jhash(value, vs, seed);
  return h & load<u32>(m, BF_MASK);
}

/** bloom_map_push_elem(): flags other than BPF_ANY are -EINVAL. */
export function bloomPush(m: u32, value: u32, flags: u64): i32 {
  if (flags != BPF_ANY) return -EINVAL;
  const n = load<u32>(m, BF_NHASH);
  const vs = load<u32>(m, MAP_VALUE_SIZE);
  const data = load<u32>(m, MAP_DATA);
  for (let i: u32 = 0; i < n; i++) {
    const h = bloomHash(m, value, vs, i);
    const w = data + ((h >> 5) << 2);
    const bit: u32 = 1 << (h & 31);
    if (ASC_FEATURE_THREADS) {
      if ((atomic.load<u32>(w) & bit) == 0) atomic.or<u32>(w, bit);
    } else {
      store<u32>(w, load<u32>(w) | bit);
    }
  }
  return 0;
}

/** bloom_map_peek_elem(): 0 when every bit of the value is set, else -ENOENT. */
export function bloomPeek(m: u32, value: u32): i32 {
  const n = load<u32>(m, BF_NHASH);
  const vs = load<u32>(m, MAP_VALUE_SIZE);
  const data = load<u32>(m, MAP_DATA);
  for (let i: u32 = 0; i < n; i++) {
    const h = bloomHash(m, value, vs, i);
    if ((load<u32>(data + ((h >> 5) << 2)) & (<u32>1 << (h & 31))) == 0) return -ENOENT;
  }
  return 0;
}
