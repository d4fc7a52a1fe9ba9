// The kernel's multipath hash (net/ipv4/route.c fib_multipath_hash, net/ipv6/route.c
// rt6_multipath_hash) for lookups that carry a flow key and no packet, as bpf_fib_lookup and the
// stack's own output do: a struct flow_keys filled as the kernel fills it, made direction-independent
// (__flow_hash_consistentify) and hashed with SipHash-2-4 keyed by net.ipv4.fib_multipath_hash_seed
// (key[0] = key[1] = seed << 32 | seed, fib_multipath_hash_construct_key), then >> 1. Checked against
// the kernel's choices (tests/net/fib_kernel.test.ts).
//
// Reads: a flow key (FL_*), or for a hash over the addresses alone the two addresses (mp_hash4_addrs,
// worked out in registers), the sysctls. Sets: nothing but its scratch struct (80 bytes in the worker's
// scratch area, SCR_FIB + 320) and mp_hash4_addrs' last answer (wasm globals, per worker). Next:
// fib_select_multipath (fib.ts).
//
// struct flow_keys as hashed (the kernel hashes from `basic`, 8-aligned, to the end of the address
// family's addresses plus the struct's tail padding: 48 bytes for IPv4, 72 for IPv6):
//
//   +0  control (not hashed)  +8 basic: n_proto u16, ip_proto u8, pad  +12 tags: flow_label u32
//   +16 vlan (8)  +24 cvlan (8)  +32 keyid u32  +36 ports: src u16, dst u16  +40 icmp (4)
//   +44 addrs: v4 src, dst (8) | v6 src, dst (32)        sizeof = 80

import { copyBytes, fillBytes } from '../bytes';
import { jhash2w } from '../maps/jhash';
import { netScratch, sysctl } from './core';
import {
  FL_DPORT, FL_DST, FL_LABEL, FL_PROTO, FL_SPORT, FL_SRC, SCR_FIB, SYSCTL_FIB6_MULTIPATH_HASH_POLICY,
  SYSCTL_FIB6_MULTIPATH_HASH_FIELDS, SYSCTL_FIB_MULTIPATH_HASH_FIELDS, SYSCTL_FIB_MULTIPATH_HASH_POLICY,
  SYSCTL_FIB_MULTIPATH_HASH_SEED,
} from './abi';

const FK_SIZE: u32 = 80;
const FK_HASH_START: u32 = 8;
const FK_IP_PROTO: u32 = 10;
const FK_FLOW_LABEL: u32 = 12;
const FK_PORT_SRC: u32 = 36;
const FK_PORT_DST: u32 = 38;
const FK_ADDRS: u32 = 44;

// the key, 8-aligned, in the worker's scratch area (a static area would be shared by every worker)
@inline function keyBuf(): u32 {
  return netScratch() + SCR_FIB + 320;
}

/**
 * A worker-scratch buffer (48 bytes, 8-aligned) for a message siphash() reads: free between calls (the
 * multipath hash and the SYN cookie helpers, syncookies.ts, write their words there).
 */
@inline export function siphashBuf(): u32 {
  return keyBuf();
}

/** SipHash-2-4 of `len` bytes (a multiple of 8 here) at `p`, keyed (k0, k1): the kernel's siphash(). */
export function siphash(p: usize, len: u32, k0: u64, k1: u64): u64 {
  let v0: u64 = 0x736f6d6570736575 ^ k0;
  let v1: u64 = 0x646f72616e646f6d ^ k1;
  let v2: u64 = 0x6c7967656e657261 ^ k0;
  let v3: u64 = 0x7465646279746573 ^ k1;
  const end = p + (len & ~7);
  for (let q = p; q < end; q += 8) {
    const m = load<u64>(q);
    v3 ^= m;
    for (let i = 0; i < 2; i++) {
      v0 += v1; v1 = rotl<u64>(v1, 13); v1 ^= v0; v0 = rotl<u64>(v0, 32);
      v2 += v3; v3 = rotl<u64>(v3, 16); v3 ^= v2;
      v0 += v3; v3 = rotl<u64>(v3, 21); v3 ^= v0;
      v2 += v1; v1 = rotl<u64>(v1, 17); v1 ^= v2; v2 = rotl<u64>(v2, 32);
    }
    v0 ^= m;
  }
  let b: u64 = <u64>len << 56;
  const left = len & 7;
  for (let i: u32 = 0; i < left; i++) b |= <u64>load<u8>(end + i) << (<u64>i << 3);
  return sipFinish(v0, v1, v2, v3, b);
}

/**
 * Two SipHash-2-4 at once, of `len` bytes (a multiple of 8) at `p`: lane a keyed (ka0, ka1) over the
 * message as it is, lane b keyed (kb0, kb1) over the same message with `bx` xored into its word `bw`
 * (the two cookie hashes of a SYN differ only in the count word). Answers siphash()'s for each lane;
 * the rounds of the two lanes interleaved, as one SipRound waits on its own previous step (four
 * dependent steps a round) and leaves the CPU's other ports idle. Lane a's hash is returned, lane b's
 * left in sipPairB.
 */
export let sipPairB: u64 = 0;

export function siphashPair(p: usize, len: u32, ka0: u64, ka1: u64, kb0: u64, kb1: u64, bw: u32, bx: u64): u64 {
  let a0: u64 = 0x736f6d6570736575 ^ ka0;
  let a1: u64 = 0x646f72616e646f6d ^ ka1;
  let a2: u64 = 0x6c7967656e657261 ^ ka0;
  let a3: u64 = 0x7465646279746573 ^ ka1;
  let b0: u64 = 0x736f6d6570736575 ^ kb0;
  let b1: u64 = 0x646f72616e646f6d ^ kb1;
  let b2: u64 = 0x6c7967656e657261 ^ kb0;
  let b3: u64 = 0x7465646279746573 ^ kb1;
  const end = p + (len & ~7);
  const qb = p + (<usize>bw << 3);
  for (let q = p; q < end; q += 8) {
    const ma = load<u64>(q);
    const mb = q == qb ? ma ^ bx : ma;
    a3 ^= ma;
    b3 ^= mb;
    // two SipRounds of each lane, interleaved and written out: the message words' loop is the hot part,
    // and a back edge a round there measured 1.5% of xdp_syncookie (the finalization's loops: none)
    a0 += a1; a1 = rotl<u64>(a1, 13); a1 ^= a0; a0 = rotl<u64>(a0, 32);
    b0 += b1; b1 = rotl<u64>(b1, 13); b1 ^= b0; b0 = rotl<u64>(b0, 32);
    a2 += a3; a3 = rotl<u64>(a3, 16); a3 ^= a2;
    b2 += b3; b3 = rotl<u64>(b3, 16); b3 ^= b2;
    a0 += a3; a3 = rotl<u64>(a3, 21); a3 ^= a0;
    b0 += b3; b3 = rotl<u64>(b3, 21); b3 ^= b0;
    a2 += a1; a1 = rotl<u64>(a1, 17); a1 ^= a2; a2 = rotl<u64>(a2, 32);
    b2 += b1; b1 = rotl<u64>(b1, 17); b1 ^= b2; b2 = rotl<u64>(b2, 32);
    a0 += a1; a1 = rotl<u64>(a1, 13); a1 ^= a0; a0 = rotl<u64>(a0, 32);
    b0 += b1; b1 = rotl<u64>(b1, 13); b1 ^= b0; b0 = rotl<u64>(b0, 32);
    a2 += a3; a3 = rotl<u64>(a3, 16); a3 ^= a2;
    b2 += b3; b3 = rotl<u64>(b3, 16); b3 ^= b2;
    a0 += a3; a3 = rotl<u64>(a3, 21); a3 ^= a0;
    b0 += b3; b3 = rotl<u64>(b3, 21); b3 ^= b0;
    a2 += a1; a1 = rotl<u64>(a1, 17); a1 ^= a2; a2 = rotl<u64>(a2, 32);
    b2 += b1; b1 = rotl<u64>(b1, 17); b1 ^= b2; b2 = rotl<u64>(b2, 32);
    a0 ^= ma;
    b0 ^= mb;
  }
  const last: u64 = <u64>len << 56;
  a3 ^= last;
  b3 ^= last;
  for (let i = 0; i < 2; i++) {
    a0 += a1; a1 = rotl<u64>(a1, 13); a1 ^= a0; a0 = rotl<u64>(a0, 32);
    b0 += b1; b1 = rotl<u64>(b1, 13); b1 ^= b0; b0 = rotl<u64>(b0, 32);
    a2 += a3; a3 = rotl<u64>(a3, 16); a3 ^= a2;
    b2 += b3; b3 = rotl<u64>(b3, 16); b3 ^= b2;
    a0 += a3; a3 = rotl<u64>(a3, 21); a3 ^= a0;
    b0 += b3; b3 = rotl<u64>(b3, 21); b3 ^= b0;
    a2 += a1; a1 = rotl<u64>(a1, 17); a1 ^= a2; a2 = rotl<u64>(a2, 32);
    b2 += b1; b1 = rotl<u64>(b1, 17); b1 ^= b2; b2 = rotl<u64>(b2, 32);
  }
  a0 ^= last;
  b0 ^= last;
  a2 ^= 0xff;
  b2 ^= 0xff;
  for (let i = 0; i < 4; i++) {
    a0 += a1; a1 = rotl<u64>(a1, 13); a1 ^= a0; a0 = rotl<u64>(a0, 32);
    b0 += b1; b1 = rotl<u64>(b1, 13); b1 ^= b0; b0 = rotl<u64>(b0, 32);
    a2 += a3; a3 = rotl<u64>(a3, 16); a3 ^= a2;
    b2 += b3; b3 = rotl<u64>(b3, 16); b3 ^= b2;
    a0 += a3; a3 = rotl<u64>(a3, 21); a3 ^= a0;
    b0 += b3; b3 = rotl<u64>(b3, 21); b3 ^= b0;
    a2 += a1; a1 = rotl<u64>(a1, 17); a1 ^= a2; a2 = rotl<u64>(a2, 32);
    b2 += b1; b1 = rotl<u64>(b1, 17); b1 ^= b2; b2 = rotl<u64>(b2, 32);
  }
  sipPairB = (b0 ^ b1) ^ (b2 ^ b3);
  return (a0 ^ a1) ^ (a2 ^ a3);
}

/** SipHash-2-4's end: the last block `b` (length byte and tail), two compression and four finalization rounds. */
@inline function sipFinish(v0: u64, v1: u64, v2: u64, v3: u64, b: u64): u64 {
  v3 ^= b;
  for (let i = 0; i < 2; i++) {
    v0 += v1; v1 = rotl<u64>(v1, 13); v1 ^= v0; v0 = rotl<u64>(v0, 32);
    v2 += v3; v3 = rotl<u64>(v3, 16); v3 ^= v2;
    v0 += v3; v3 = rotl<u64>(v3, 21); v3 ^= v0;
    v2 += v1; v1 = rotl<u64>(v1, 17); v1 ^= v2; v2 = rotl<u64>(v2, 32);
  }
  v0 ^= b;
  v2 ^= 0xff;
  for (let i = 0; i < 4; i++) {
    v0 += v1; v1 = rotl<u64>(v1, 13); v1 ^= v0; v0 = rotl<u64>(v0, 32);
    v2 += v3; v3 = rotl<u64>(v3, 16); v3 ^= v2;
    v0 += v3; v3 = rotl<u64>(v3, 21); v3 ^= v0;
    v2 += v1; v1 = rotl<u64>(v1, 17); v1 ^= v2; v2 = rotl<u64>(v2, 32);
  }
  return (v0 ^ v1) ^ (v2 ^ v3);
}

// SipHash-2-4's state after four zero message words under key (seed, seed), for the last seed asked
// (per worker: wasm globals): an IPv4 flow key that hashes the addresses alone (policies 0 and 2)
// starts with 32 zero bytes, so its hash needs the rounds of the last two words only.
let zSeed: u64 = 0;
let zReady = false;
let z0: u64 = 0;
let z1: u64 = 0;
let z2: u64 = 0;
let z3: u64 = 0;

/** The state after the zero words for `seed` into z0..z3 (kept until the seed changes). */
@inline function zerosFor(seed: u64): void {
  if (!zReady || zSeed != seed) {
    let a0: u64 = 0x736f6d6570736575 ^ seed;
    let a1: u64 = 0x646f72616e646f6d ^ seed;
    let a2: u64 = 0x6c7967656e657261 ^ seed;
    let a3: u64 = 0x7465646279746573 ^ seed;
    for (let w = 0; w < 4; w++) {
      // m = 0: v3 ^= m and v0 ^= m change nothing
      for (let i = 0; i < 2; i++) {
        a0 += a1; a1 = rotl<u64>(a1, 13); a1 ^= a0; a0 = rotl<u64>(a0, 32);
        a2 += a3; a3 = rotl<u64>(a3, 16); a3 ^= a2;
        a0 += a3; a3 = rotl<u64>(a3, 21); a3 ^= a0;
        a2 += a1; a1 = rotl<u64>(a1, 17); a1 ^= a2; a2 = rotl<u64>(a2, 32);
      }
    }
    z0 = a0;
    z1 = a1;
    z2 = a2;
    z3 = a3;
    zSeed = seed;
    zReady = true;
  }
}

/**
 * siphash(key, 48, seed, seed) of a 48-byte key whose first 32 bytes are zero and whose last 16 are
 * the words `m0`, `m1`: the same value, from the state after the zero words (kept per seed).
 */
function sip48AfterZeros(m0: u64, m1: u64, seed: u64): u64 {
  zerosFor(seed);
  let v0 = z0;
  let v1 = z1;
  let v2 = z2;
  let v3 = z3;
  for (let w = 0; w < 2; w++) {
    const m = w == 0 ? m0 : m1;
    v3 ^= m;
    for (let i = 0; i < 2; i++) {
      v0 += v1; v1 = rotl<u64>(v1, 13); v1 ^= v0; v0 = rotl<u64>(v0, 32);
      v2 += v3; v3 = rotl<u64>(v3, 16); v3 ^= v2;
      v0 += v3; v3 = rotl<u64>(v3, 21); v3 ^= v0;
      v2 += v1; v1 = rotl<u64>(v1, 17); v1 ^= v2; v2 = rotl<u64>(v2, 32);
    }
    v0 ^= m;
  }
  const b: u64 = <u64>48 << 56;
  return sipFinish(v0, v1, v2, v3, b);
}

/** flow_hash_from_keys_seed over the key at `fk` (already filled): consistentify, siphash, never 0. */
function flowHash(v6: bool): u32 {
  const fk = keyBuf();
  // __flow_hash_consistentify: the smaller address (compared as the kernel's native u32 / memcmp)
  // first, and independently the smaller port first.
  if (!v6) {
    const s = load<u32>(fk + FK_ADDRS);
    const d = load<u32>(fk + FK_ADDRS + 4);
    if (d < s) {
      store<u32>(fk + FK_ADDRS, d);
      store<u32>(fk + FK_ADDRS + 4, s);
    }
  } else {
    let diff = 0;
    for (let i: u32 = 0; i < 16; i++) {
      const a = load<u8>(fk + FK_ADDRS + 16 + i);
      const b = load<u8>(fk + FK_ADDRS + i);
      if (a != b) {
        diff = a < b ? -1 : 1;
        break;
      }
    }
    if (diff < 0) {
      for (let i: u32 = 0; i < 16; i += 4) {
        const s = load<u32>(fk + FK_ADDRS + i);
        store<u32>(fk + FK_ADDRS + i, load<u32>(fk + FK_ADDRS + 16 + i));
        store<u32>(fk + FK_ADDRS + 16 + i, s);
      }
    }
  }
  const ps = load<u16>(fk + FK_PORT_SRC);
  const pd = load<u16>(fk + FK_PORT_DST);
  if (pd < ps) {
    store<u16>(fk + FK_PORT_SRC, pd);
    store<u16>(fk + FK_PORT_DST, ps);
  }
  // fib_multipath_hash_construct_key: the 32-bit seed in both halves of both key words
  const s32 = <u64>sysctl(SYSCTL_FIB_MULTIPATH_HASH_SEED);
  const seed = (s32 << 32) | s32;
  const len: u32 = v6 ? 72 : 48;
  // an IPv4 key hashing addresses only starts with four zero words: their rounds are the seed's alone
  const zeros = !v6 && (load<u64>(fk + 8) | load<u64>(fk + 16) | load<u64>(fk + 24) | load<u64>(fk + 32)) == 0;
  let h = zeros ? <u32>sip48AfterZeros(load<u64>(fk + 40), load<u64>(fk + 48), seed) : <u32>siphash(fk + FK_HASH_START, len, seed, seed);
  if (h == 0) h = 1;
  return h;
}

// net.ipv4.fib_multipath_hash_fields bits (policy 3)
const HF_SRC_IP: u32 = 0x1;
const HF_DST_IP: u32 = 0x2;
const HF_IP_PROTO: u32 = 0x4;
const HF_FLOWLABEL: u32 = 0x8;
const HF_SRC_PORT: u32 = 0x10;
const HF_DST_PORT: u32 = 0x20;
// FIB_MULTIPATH_HASH_FIELD_OUTER_MASK: the fields above (the rest are the inner header's, 0x40-0x800)
const HF_OUTER: u32 = 0x3f;

/**
 * fib_multipath_hash for an IPv4 flow key without a packet: policy 0 and 2 (L3: addresses), 1 (L4:
 * the 5-tuple), 3 (the fields of fib_multipath_hash_fields), as the kernel hashes a flow with no skb.
 */
export function mp_hash4(fl: u32): u32 {
  if (pktHashOn) return pktHash;
  const f = hashFields4();
  // fib_multipath_custom_hash_fl4 (policy 3, no packet): 0 when no outer field is asked for (policies 0-2 always
  // hash the addresses, so only policy 3 gets here)
  if ((f & HF_OUTER) == 0) return 0;
  const fk = keyBuf();
  fillBytes(fk, 0, FK_SIZE); // words: memory.fill is a runtime call in V8 (bytes.ts)
  if (f & HF_SRC_IP) store<u32>(fk + FK_ADDRS, load<u32>(fl + FL_SRC));
  if (f & HF_DST_IP) store<u32>(fk + FK_ADDRS + 4, load<u32>(fl + FL_DST));
  if (f & HF_IP_PROTO) store<u8>(fk + FK_IP_PROTO, load<u8>(fl + FL_PROTO));
  if (f & HF_SRC_PORT) store<u16>(fk + FK_PORT_SRC, load<u16>(fl + FL_SPORT));
  if (f & HF_DST_PORT) store<u16>(fk + FK_PORT_DST, load<u16>(fl + FL_DPORT));
  return flowHash(false) >> 1;
}

/**
 * The fields fib_multipath_hash reads of an IPv4 flow key under the policy in force (HF_* bits):
 * policies 0 and 2 the addresses, 1 the 5-tuple, 3 fib_multipath_hash_fields.
 */
@inline function hashFields4(): u32 {
  const policy = sysctl(SYSCTL_FIB_MULTIPATH_HASH_POLICY);
  if (policy == 1) return HF_SRC_IP | HF_DST_IP | HF_IP_PROTO | HF_SRC_PORT | HF_DST_PORT;
  if (policy == 3) return sysctl(SYSCTL_FIB_MULTIPATH_HASH_FIELDS);
  return HF_SRC_IP | HF_DST_IP;
}

/** The fields net.ipv6.fib_multipath_hash_policy `policy` hashes (0 and 2: addresses, flow label and next header). */
@inline function hashFields6(policy: u32): u32 {
  if (policy == 1) return HF_SRC_IP | HF_DST_IP | HF_IP_PROTO | HF_SRC_PORT | HF_DST_PORT;
  if (policy == 3) return sysctl(SYSCTL_FIB6_MULTIPATH_HASH_FIELDS);
  return HF_SRC_IP | HF_DST_IP | HF_IP_PROTO | HF_FLOWLABEL;
}

/** The IPv4 multipath hash reads no field of a flow key but its addresses (policies 0 and 2; 3 without protocol or ports). */
export function mp_hash4_addrs_only(): bool {
  return (hashFields4() & ~(HF_SRC_IP | HF_DST_IP)) == 0;
}

// mp_hash4_addrs' last answer (per worker: wasm globals): a burst's frames of one flow hash once
let memoSrc: u32 = 0;
let memoDst: u32 = 0;
let memoSeed: u32 = 0;
let memoHash: u32 = 0;
let memoSet = false;

/**
 * mp_hash4 of a flow key whose source and destination are `saddr` and `daddr`, when
 * mp_hash4_addrs_only(): the same value, worked out in registers — struct flow_keys for these fields
 * is zero but for the two addresses, so after __flow_hash_consistentify (the smaller, as a native u32,
 * first) its last 16 hashed bytes are the words (first << 32, second) and the rest the zero words
 * sip48AfterZeros starts after. The last answer is kept by (saddr, daddr, seed): the fields decide
 * with the policy, which the caller checked.
 */
export function mp_hash4_addrs(saddr: u32, daddr: u32): u32 {
  const f = hashFields4();
  const s = (f & HF_SRC_IP) != 0 ? saddr : 0;
  const d = (f & HF_DST_IP) != 0 ? daddr : 0;
  const s32 = sysctl(SYSCTL_FIB_MULTIPATH_HASH_SEED);
  if (memoSet && s == memoSrc && d == memoDst && s32 == memoSeed) return memoHash;
  const seed = (<u64>s32 << 32) | <u64>s32;
  const h = hashOut(<u32>sip48AfterZeros(addrWord0(s, d), addrWord1(s, d), seed));
  memoSrc = s;
  memoDst = d;
  memoSeed = s32;
  memoHash = h;
  memoSet = true;
  return h;
}

/**
 * mp_hash4_addrs of `n` (source, destination) pairs at once: the sources at `srcs` + j * `stride`,
 * the destinations at `dsts` + j * 4 (network order as the kernel's __be32), each hash into
 * `out` + j * `stride` — the same values, with no memo. Four at a time (sip48AfterZerosX4), the last
 * group filled up with its first pair. For a burst's walk whose routes are multipath.
 */
export function mp_hash4_addrs_many(srcs: u32, dsts: u32, n: u32, out: u32, stride: u32): void {
  const f = hashFields4();
  const ms: u32 = (f & HF_SRC_IP) != 0 ? 0xffffffff : 0;
  const md: u32 = (f & HF_DST_IP) != 0 ? 0xffffffff : 0;
  const s32 = sysctl(SYSCTL_FIB_MULTIPATH_HASH_SEED);
  const seed = (<u64>s32 << 32) | <u64>s32;
  for (let j: u32 = 0; j < n; j += 4) {
    const s0 = load<u32>(srcs + j * stride) & ms;
    const d0 = load<u32>(dsts + (j << 2)) & md;
    const s1 = j + 1 < n ? load<u32>(srcs + (j + 1) * stride) & ms : s0;
    const d1 = j + 1 < n ? load<u32>(dsts + ((j + 1) << 2)) & md : d0;
    const s2 = j + 2 < n ? load<u32>(srcs + (j + 2) * stride) & ms : s0;
    const d2 = j + 2 < n ? load<u32>(dsts + ((j + 2) << 2)) & md : d0;
    const s3 = j + 3 < n ? load<u32>(srcs + (j + 3) * stride) & ms : s0;
    const d3 = j + 3 < n ? load<u32>(dsts + ((j + 3) << 2)) & md : d0;
    const lo = sip48AfterZerosX4(
      i64x2.replace_lane(i64x2.splat(addrWord0(s0, d0)), 1, addrWord0(s1, d1)),
      i64x2.replace_lane(i64x2.splat(addrWord1(s0, d0)), 1, addrWord1(s1, d1)),
      i64x2.replace_lane(i64x2.splat(addrWord0(s2, d2)), 1, addrWord0(s3, d3)),
      i64x2.replace_lane(i64x2.splat(addrWord1(s2, d2)), 1, addrWord1(s3, d3)),
      seed,
    );
    const o = out + j * stride;
    store<u32>(o, hashOut(<u32>i64x2.extract_lane(lo, 0)));
    if (j + 1 < n) store<u32>(o + stride, hashOut(<u32>i64x2.extract_lane(lo, 1)));
    if (j + 2 < n) store<u32>(o + 2 * stride, hashOut(<u32>i64x2.extract_lane(x4Hi, 0)));
    if (j + 3 < n) store<u32>(o + 3 * stride, hashOut(<u32>i64x2.extract_lane(x4Hi, 1)));
  }
}

// SipHash's rotations on both 64-bit lanes of a v128: by 32 and 16 a byte shuffle, else two shifts.
@inline function rotlX2(x: v128, k: i32): v128 {
  return v128.or(i64x2.shl(x, k), i64x2.shr_u(x, 64 - k));
}
@inline function rotl32X2(x: v128): v128 {
  return i8x16.shuffle(x, x, 4, 5, 6, 7, 0, 1, 2, 3, 12, 13, 14, 15, 8, 9, 10, 11);
}
@inline function rotl16X2(x: v128): v128 {
  return i8x16.shuffle(x, x, 6, 7, 0, 1, 2, 3, 4, 5, 14, 15, 8, 9, 10, 11, 12, 13);
}

/** sip48AfterZerosX4's hashes 2 and 3 (lanes 0 and 1). */
let x4Hi: v128 = i64x2.splat(0);

/**
 * sip48AfterZeros of four message pairs under one seed: hash i's words are lane i & 1 of `a0`, `a1`
 * (i < 2) or of `b0`, `b1` (i ≥ 2). The four states are eight i64x2 vectors, two states a vector, and
 * each SipRound step is one vector operation for two of them, written out for both vector sets so that
 * their dependent chains run side by side: a SipHash is a chain a core cannot widen (one in scalar
 * registers leaves most of its ports idle; two spill, 8 state words and their temporaries), four this
 * way are little more than the time of one. The rounds as sip48AfterZeros and sipFinish run them: each
 * message word (the two words, then the length block) in before two compression rounds and out after
 * them, v2 ^= 0xff, four finalization rounds. Hashes 0 and 1 returned, 2 and 3 left in x4Hi.
 */
function sip48AfterZerosX4(a0: v128, a1: v128, b0: v128, b1: v128, seed: u64): v128 {
  zerosFor(seed);
  let v0 = i64x2.splat(z0);
  let v1 = i64x2.splat(z1);
  let v2 = i64x2.splat(z2);
  let v3 = i64x2.splat(z3);
  let w0 = v0;
  let w1 = v1;
  let w2 = v2;
  let w3 = v3;
  const len = i64x2.splat(<u64>48 << 56);
  let ma = len;
  let mb = len;
  for (let r = 0; r < 10; r++) {
    if (r < 6 && (r & 1) == 0) {
      ma = r == 0 ? a0 : r == 2 ? a1 : len;
      mb = r == 0 ? b0 : r == 2 ? b1 : len;
      v3 = v128.xor(v3, ma);
      w3 = v128.xor(w3, mb);
    }
    v0 = i64x2.add(v0, v1); w0 = i64x2.add(w0, w1);
    v1 = v128.xor(rotlX2(v1, 13), v0); w1 = v128.xor(rotlX2(w1, 13), w0);
    v0 = rotl32X2(v0); w0 = rotl32X2(w0);
    v2 = i64x2.add(v2, v3); w2 = i64x2.add(w2, w3);
    v3 = v128.xor(rotl16X2(v3), v2); w3 = v128.xor(rotl16X2(w3), w2);
    v0 = i64x2.add(v0, v3); w0 = i64x2.add(w0, w3);
    v3 = v128.xor(rotlX2(v3, 21), v0); w3 = v128.xor(rotlX2(w3, 21), w0);
    v2 = i64x2.add(v2, v1); w2 = i64x2.add(w2, w1);
    v1 = v128.xor(rotlX2(v1, 17), v2); w1 = v128.xor(rotlX2(w1, 17), w2);
    v2 = rotl32X2(v2); w2 = rotl32X2(w2);
    if (r < 6 && (r & 1) == 1) {
      v0 = v128.xor(v0, ma);
      w0 = v128.xor(w0, mb);
    }
    if (r == 5) {
      v2 = v128.xor(v2, i64x2.splat(0xff));
      w2 = v128.xor(w2, i64x2.splat(0xff));
    }
  }
  x4Hi = v128.xor(v128.xor(w0, w1), v128.xor(w2, w3));
  return v128.xor(v128.xor(v0, v1), v128.xor(v2, v3));
}

/** mp_hash4_addrs' hash word 0 of the addresses `s`, `d` after __flow_hash_consistentify: the smaller in its high half. */
@inline function addrWord0(s: u32, d: u32): u64 {
  return <u64>(d < s ? d : s) << 32;
}

/** ...and word 1: the larger in its low half. */
@inline function addrWord1(s: u32, d: u32): u64 {
  return <u64>(d < s ? s : d);
}

/** flow_hash_from_keys_seed's 32 bits of a SipHash (never 0), >> 1 as fib_multipath_hash returns it. */
@inline function hashOut(h: u32): u32 {
  return (h == 0 ? 1 : h) >> 1;
}

/**
 * rt6_multipath_hash for an IPv6 flow key without a packet: policy 0 hashes the addresses, the flow
 * label and the next header; policy 1 the addresses, ports and next header; policy 3 the outer fields asked for.
 */
export function mp_hash6(fl: u32): u32 {
  if (pktHashOn) return pktHash;
  const policy = sysctl(SYSCTL_FIB6_MULTIPATH_HASH_POLICY);
  const f = hashFields6(policy);
  // rt6_multipath_custom_hash_fl6 (policy 3, no packet): 0 when no outer field is asked for (router fuzz seeds 1488,
  // 1490: the router's own reset and echo reply under fields 0xfc0 left by the second next hop, Linux's by the first;
  // policies 0-2 always hash the addresses)
  if ((f & HF_OUTER) == 0) return 0;
  const fk = keyBuf();
  fillBytes(fk, 0, FK_SIZE); // words: memory.fill is a runtime call in V8 (bytes.ts)
  if (f & HF_SRC_IP) copyBytes(fk + FK_ADDRS, fl + FL_SRC, 16);
  if (f & HF_DST_IP) copyBytes(fk + FK_ADDRS + 16, fl + FL_DST, 16);
  if (f & HF_IP_PROTO) store<u8>(fk + FK_IP_PROTO, load<u8>(fl + FL_PROTO));
  // the 20-bit label, kept in network order as the kernel's __be32 (flowi6_get_flowlabel)
  if (f & HF_FLOWLABEL) store<u32>(fk + FK_FLOW_LABEL, load<u32>(fl + FL_LABEL) & 0xffff0f00);
  if (f & HF_SRC_PORT) store<u16>(fk + FK_PORT_SRC, load<u16>(fl + FL_SPORT));
  if (f & HF_DST_PORT) store<u16>(fk + FK_PORT_DST, load<u16>(fl + FL_DPORT));
  return flowHash(true) >> 1;
}

// ---- The hash of a packet (icmp_send, icmp6_send) ----
//
// An ICMP error's route is looked up with the packet it is about: icmp_route_lookup passes skb_in to
// ip_route_output_key_hash (fib_select_path → fib_multipath_hash(net, fl4, skb, NULL)), icmp6_send sets
// fl6.mp_hash = rt6_multipath_hash(net, &fl6, skb, NULL) first. With a packet the hash reads its keys,
// not the error's flow key: policy 1 the flow dissector's 5-tuple of it (the offending packet's ports
// and protocol, IPv6 past its extension headers), policy 0 its L3 keys (ip_multipath_l3_keys: its
// addresses; ip6_multipath_l3_keys: its addresses, flow label and first next header). An ICMP error is
// never the packet here (icmp_send and icmp6_send answer none), so their inner-header rule is left out.
// Policy 2 dissects the whole packet (skb_flow_dissect_flow_keys, no flags): IPv6's last next header and
// its flow label as the dissector keeps it, in host order (key_tags->flow_label = ntohl(...)). Policy 3
// (fib_multipath_custom_hash_skb, rt6_multipath_custom_hash_skb) hashes the outer fields asked for — none
// of them: 0 — and then jhash_2words(outer, inner, 0), inner 0 for a packet that is no tunnel's.
// mp_hash_pkt_begin works the hash out; mp_hash4 / mp_hash6 answer it until mp_hash_pkt_end.

let pktHashOn = false;
let pktHash: u32 = 0;

/** proto_ports_offset: where the flow dissector finds a protocol's 4 bytes of ports, -1 for none. */
function portsOffset(proto: u32): i32 {
  if (proto == 6 || proto == 17 || proto == 33 || proto == 50 || proto == 132 || proto == 136) return 0;
  return proto == 51 ? 4 : -1;
}

/** The ports at `at` of the packet `data`/`len` into the key, when they are there and the fields ask for them. */
function pktPorts(fk: u32, f: u32, data: u32, len: u32, at: i32): void {
  if (at < 0 || <u32>at + 4 > len) return;
  if (f & HF_SRC_PORT) store<u16>(fk + FK_PORT_SRC, load<u16>(data + <u32>at));
  if (f & HF_DST_PORT) store<u16>(fk + FK_PORT_DST, load<u16>(data + <u32>at + 2));
}

// ---- Policy 2: the flow dissector into tunnels ----
//
// fib_multipath_hash / rt6_multipath_hash policy 2 with the packet run skb_flow_dissect_flow_keys(skb, &keys, 0):
// no FLOW_DISSECTOR_F_STOP_AT_ENCAP, so __skb_flow_dissect goes on into IPIP (4), IPv6 (41) and GRE (47: version 0,
// no routing; its checksum, key and sequence skipped; transparent Ethernet bridging's inner Ethernet header;
// version 1 PPTP with a key, its PPP header naming IP or IPv6) and hashes the innermost addresses it reached —
// IPv4: the addresses; IPv6: the addresses, the last flow label that was not 0 (host order) and the last
// protocol. A header cut short (OUT_BAD) keeps what was read before it, as does a fragment (no
// FLOW_DISSECTOR_F_PARSE_1ST_FRAG) and MAX_FLOW_DISSECT_HDRS (15) protocol steps. (Inner VLAN tags are
// followed as one 4-byte tag each; MPLS is not: the dissector's own keys for it are not hashed, its inner
// packet not reached.)

let dAddrs: u32 = 0;
let dV6 = false;
let dLabel: u32 = 0;
let dProto: u32 = 0;
/** FLOW_DIS_ENCAPSULATION: the dissector went into (or at least through the header of) a tunnel. */
let dEncap = false;
/** The ports the last protocol step read (4 bytes as in the packet; 0: none, a fragment, cut short). */
let dPorts: u32 = 0;

/** __skb_flow_get_ports at `nh` for protocol `proto` of the packet `data`/`len`. */
@inline function portsAt(data: u32, len: u32, nh: u32, proto: u32): u32 {
  const po = portsOffset(proto);
  return po >= 0 && nh + <u32>po + 4 <= len ? load<u32>(data + nh + <u32>po) : 0;
}

/** __skb_flow_dissect (flags 0) over the IPv4 or IPv6 packet at `data` (`len` bytes): dAddrs, dV6, dLabel, dProto. */
function dissectEncap(data: u32, len: u32, v6: bool): void {
  let off: u32 = 0;
  let ethProto: u32 = v6 ? 0x86dd : 0x0800;
  let hdrs: u32 = 0;
  dAddrs = 0;
  dLabel = 0;
  dEncap = false;
  dPorts = 0;
  while (true) {
    // proto_again
    let proto: u32;
    let nh: u32;
    if (ethProto == 0x0800) {
      if (off + 20 > len || (<u32>load<u8>(data + off) & 15) < 5) return;
      proto = <u32>load<u8>(data + off + 9);
      dProto = proto;
      dAddrs = data + off + 12;
      dV6 = false;
      if ((ldBe16At(data + off + 6) & 0x3fff) != 0) return; // a fragment
      nh = off + ((<u32>load<u8>(data + off) & 15) << 2);
    } else if (ethProto == 0x86dd) {
      if (off + 40 > len) return;
      proto = <u32>load<u8>(data + off + 6);
      dProto = proto;
      dAddrs = data + off + 8;
      dV6 = true;
      const label = bswap<u32>(load<u32>(data + off)) & 0xfffff;
      if (label != 0) dLabel = label;
      nh = off + 40;
    } else if (ethProto == 0x8100 || ethProto == 0x88a8) {
      if (off + 4 > len) return;
      ethProto = ldBe16At(data + off + 2);
      off += 4;
      if (++hdrs > 15) return;
      continue;
    } else return; // OUT_BAD: what was read stays
    // ip_proto_again
    while (ethProto == 0x86dd && (proto == 0 || proto == 43 || proto == 60)) {
      if (nh + 2 > len) return;
      const next = <u32>load<u8>(data + nh);
      nh += (<u32>load<u8>(data + nh + 1) + 1) << 3;
      proto = next;
      dProto = proto;
      dPorts = portsAt(data, len, nh, proto);
      if (++hdrs > 15) return;
    }
    if (ethProto == 0x86dd && proto == 44) {
      if (nh + 8 <= len) dProto = <u32>load<u8>(data + nh);
      return;
    }
    dPorts = 0;
    if (proto == 4 || proto == 41) {
      dEncap = true;
      ethProto = proto == 4 ? 0x0800 : 0x86dd;
      off = nh;
    } else if (proto == 47) {
      if (nh + 4 > len) return;
      const f0 = <u32>load<u8>(data + nh);
      const f1 = <u32>load<u8>(data + nh + 1);
      if ((f0 & 0x40) != 0) return; // GRE_ROUTING
      const ver = f1 & 7;
      if (ver > 1) return;
      ethProto = ldBe16At(data + nh + 2);
      if (ver == 1 && !(ethProto == 0x880b && (f0 & 0x20) != 0)) return;
      let o: u32 = 4;
      if ((f0 & 0x80) != 0) o += 4; // GRE_CSUM
      if ((f0 & 0x20) != 0) {
        if (nh + o + 4 > len) return;
        o += 4; // GRE_KEY
      }
      if ((f0 & 0x10) != 0) o += 4; // GRE_SEQ
      if (ver == 0) {
        if (ethProto == 0x6558) {
          if (nh + o + 14 > len) return;
          ethProto = ldBe16At(data + nh + o + 12);
          o += 14;
        }
      } else {
        if ((f1 & 0x80) != 0) o += 4; // GRE_ACK
        if (nh + o + 4 > len) return;
        const ppp = ldBe16At(data + nh + o + 2);
        if (ppp == 0x21) ethProto = 0x0800;
        else if (ppp == 0x57) ethProto = 0x86dd;
        o += 4;
      }
      dEncap = true;
      off = nh + o;
    } else {
      dPorts = portsAt(data, len, nh, proto);
      return;
    }
    if (++hdrs > 15) return;
  }
}

/** Policy 2's hash of the packet at `data` (`len` bytes, IPv4 or IPv6 by `v6`): its innermost keys (dissectEncap). */
function hashInner(data: u32, len: u32, v6: bool): u32 {
  const fk = keyBuf();
  dissectEncap(data, len, v6);
  if (dAddrs == 0) return 0;
  if (!dV6) {
    store<u32>(fk + FK_ADDRS, load<u32>(dAddrs));
    store<u32>(fk + FK_ADDRS + 4, load<u32>(dAddrs + 4));
    return flowHash(false);
  }
  copyBytes(fk + FK_ADDRS, dAddrs, 32);
  store<u32>(fk + FK_FLOW_LABEL, dLabel);
  store<u8>(fk + FK_IP_PROTO, <u8>dProto);
  return flowHash(true);
}

/** Hash the stack's next route lookups by the IPv4 (`v6` false) or IPv6 packet at `data` (`len` bytes from its IP header). */
export function mp_hash_pkt_begin(data: u32, len: u32, v6: bool): void {
  const fk = keyBuf();
  fillBytes(fk, 0, FK_SIZE);
  if (sysctl(v6 ? SYSCTL_FIB6_MULTIPATH_HASH_POLICY : SYSCTL_FIB_MULTIPATH_HASH_POLICY) == 2) {
    pktHash = hashInner(data, len, v6) >> 1;
    pktHashOn = true;
    return;
  }
  if (!v6) {
    const f = hashFields4();
    const proto = <u32>load<u8>(data + 9);
    // ip_multipath_l3_keys (policy 0): an ICMP error (not a later fragment) hashes the header it quotes
    let a = data;
    const hl = (<u32>load<u8>(data) & 15) << 2;
    if (proto == 1 && sysctl(SYSCTL_FIB_MULTIPATH_HASH_POLICY) == 0 && (ldBe16At(data + 6) & 0x1fff) == 0 && hl + 28 <= len) {
      const t = <u32>load<u8>(data + hl);
      if (t == 3 || t == 4 || t == 11 || t == 12) a = data + hl + 8;
    }
    if (f & HF_SRC_IP) store<u32>(fk + FK_ADDRS, load<u32>(a + 12));
    if (f & HF_DST_IP) store<u32>(fk + FK_ADDRS + 4, load<u32>(a + 16));
    if (f & HF_IP_PROTO) store<u8>(fk + FK_IP_PROTO, <u8>proto);
    // any fragment: no ports (no FLOW_DISSECTOR_F_PARSE_1ST_FRAG)
    const frag = ((<u32>load<u8>(data + 6) << 8 | <u32>load<u8>(data + 7)) & 0x3fff) != 0;
    const off = portsOffset(proto);
    if (!frag && off >= 0) pktPorts(fk, f, data, len, <i32>((<u32>load<u8>(data) & 15) << 2) + off);
    pktHash = hashCustom(f, false, data, len) >> 1;
  } else {
    const policy = sysctl(SYSCTL_FIB6_MULTIPATH_HASH_POLICY);
    const f = hashFields6(policy);
    // ip6_multipath_l3_keys (policy 0): an ICMPv6 error right after the fixed header hashes the header it quotes
    if (policy == 0 && <u32>load<u8>(data + 6) == 58 && len >= 88 && <u32>load<u8>(data + 40) < 128) data += 48;
    if (f & HF_SRC_IP) copyBytes(fk + FK_ADDRS, data + 8, 16);
    if (f & HF_DST_IP) copyBytes(fk + FK_ADDRS + 16, data + 24, 16);
    // ip6_multipath_l3_keys (policy 0) keeps the label as the header holds it; the dissector (2, 3) in host order
    if (f & HF_FLOWLABEL) store<u32>(fk + FK_FLOW_LABEL, policy >= 2 ? bswap<u32>(load<u32>(data)) & 0xfffff : load<u32>(data) & 0xffff0f00);
    let nh = <u32>load<u8>(data + 6);
    let off: u32 = 40;
    let ports = true;
    // the flow dissector past hop-by-hop, routing and destination options; a Fragment header ends it
    // with its next header and no ports. Policy 0 keeps the first next header.
    while (policy != 0) {
      if (nh == 0 || nh == 43 || nh == 60) {
        if (off + 8 > len) break;
        const next = <u32>load<u8>(data + off);
        off += (<u32>load<u8>(data + off + 1) + 1) << 3;
        nh = next;
        continue;
      }
      if (nh == 44) {
        if (off + 8 <= len) nh = <u32>load<u8>(data + off);
        ports = false;
      }
      break;
    }
    if (f & HF_IP_PROTO) store<u8>(fk + FK_IP_PROTO, <u8>nh);
    const po = portsOffset(nh);
    if (ports && po >= 0 && (policy == 1 || policy == 3)) pktPorts(fk, f, data, len, <i32>off + po);
    pktHash = hashCustom(f, true, data, len) >> 1;
  }
  pktHashOn = true;
}

/**
 * mp_hash_pkt_begin for an ICMPv6 packet (by the dissector's protocol) under IPv6 policy 0 when rules need the flow
 * dissector (fib6_rules_early_flow_dissect): ip6_route_input hashes it then with those keys (rt6_multipath_hash's
 * flkeys), which ip6_multipath_l3_keys takes unless the packet is an ICMPv6 error right after the fixed header with a
 * header to quote: the addresses, the flow label in host order (the dissector's) and protocol `proto`, its last.
 */
export function mp_hash_pkt_flkeys6(data: u32, len: u32, proto: u32): void {
  if (<u32>load<u8>(data + 6) == 58 && len >= 88 && <u32>load<u8>(data + 40) - 1 < 4) {
    mp_hash_pkt_begin(data, len, true);
    return;
  }
  const fk = keyBuf();
  fillBytes(fk, 0, FK_SIZE);
  copyBytes(fk + FK_ADDRS, data + 8, 32);
  store<u32>(fk + FK_FLOW_LABEL, bswap<u32>(load<u32>(data)) & 0xfffff);
  store<u8>(fk + FK_IP_PROTO, <u8>proto);
  pktHash = flowHash(true) >> 1;
  pktHashOn = true;
}

/**
 * The packet's hash from the key filled for fields `f`: flowHash, but under policy 3 (the family's) the
 * custom hash of a packet — 0 when no outer field is asked for, then jhash_2words(outer, inner 0, 0).
 */
function hashCustom(f: u32, v6: bool, data: u32, len: u32): u32 {
  if (sysctl(v6 ? SYSCTL_FIB6_MULTIPATH_HASH_POLICY : SYSCTL_FIB_MULTIPATH_HASH_POLICY) != 3) return flowHash(v6);
  const outer = (f & HF_OUTER) != 0 ? flowHash(v6) : 0;
  return jhash2w(outer, hashCustomInner(f, v6, data, len), 0);
}

// the inner fields of fib_multipath_hash_fields (FIB_MULTIPATH_HASH_FIELD_INNER_*)
const HF_INNER_SRC_IP: u32 = 0x40;
const HF_INNER_DST_IP: u32 = 0x80;
const HF_INNER_IP_PROTO: u32 = 0x100;
const HF_INNER_FLOWLABEL: u32 = 0x200;
const HF_INNER_SRC_PORT: u32 = 0x400;
const HF_INNER_DST_PORT: u32 = 0x800;

/**
 * fib_multipath_custom_hash_inner / rt6_multipath_custom_hash_inner: 0 unless an inner field is asked for and the
 * dissector (flags 0: dissectEncap) met a tunnel (FLOW_DIS_ENCAPSULATION; the outer pass's has_inner says the
 * same, its first tunnel being this one's); then the innermost keys it reached, those fields of them.
 */
function hashCustomInner(f: u32, v6: bool, data: u32, len: u32): u32 {
  if ((f & 0xfc0) == 0) return 0;
  dissectEncap(data, len, v6);
  if (!dEncap || dAddrs == 0) return 0;
  const fk = keyBuf();
  fillBytes(fk, 0, FK_SIZE);
  if (!dV6) {
    if (f & HF_INNER_SRC_IP) store<u32>(fk + FK_ADDRS, load<u32>(dAddrs));
    if (f & HF_INNER_DST_IP) store<u32>(fk + FK_ADDRS + 4, load<u32>(dAddrs + 4));
  } else {
    if (f & HF_INNER_SRC_IP) copyBytes(fk + FK_ADDRS, dAddrs, 16);
    if (f & HF_INNER_DST_IP) copyBytes(fk + FK_ADDRS + 16, dAddrs + 16, 16);
    if (f & HF_INNER_FLOWLABEL) store<u32>(fk + FK_FLOW_LABEL, dLabel);
  }
  if (f & HF_INNER_IP_PROTO) store<u8>(fk + FK_IP_PROTO, <u8>dProto);
  if (f & HF_INNER_SRC_PORT) store<u16>(fk + FK_PORT_SRC, <u16>dPorts);
  if (f & HF_INNER_DST_PORT) store<u16>(fk + FK_PORT_DST, <u16>(dPorts >>> 16));
  return flowHash(dV6);
}

@inline function ldBe16At(p: u32): u32 {
  return <u32>bswap<u16>(load<u16>(p));
}

/** Back to hashing flow keys (after mp_hash_pkt_begin's lookups). */
export function mp_hash_pkt_end(): void {
  pktHashOn = false;
}
