// XDP helpers on the xdp_buff at CTX_BASE, with the kernel's checks and return values
// (net/core/filter.c). Each program-facing helper has the JIT's helper signature: five u64 arguments
// (pointers are 32-bit linear addresses), one u64 result; negative errnos are returned sign-extended.
//
// The buffer, as BPF_PROG_TEST_RUN lays it out for XDP:
//
//   hard_start                                                           frame_end
//   | xdp_frame (40) | headroom ... | meta | data ............ | tailroom | shinfo (320) |
//                                   ^data_meta ^data           ^data_end
//
// Reads: CTX_* fields at CTX_BASE. Sets: data, data_meta, data_end, redirect target fields.

import {
  CTX_BASE,
  CTX_DATA,
  CTX_DATA_END,
  CTX_DATA_META,
  CTX_FRAGS_HEAD,
  CTX_FRAGS_LEN,
  CTX_FRAME_END,
  CTX_HARD_START,
  CTX_REDIRECT_FLAGS,
  CTX_REDIRECT_IFINDEX,
  CTX_REDIRECT_MAP,
  CTX_RX_QUEUE_INDEX,
  FRAG_SIZE,
  FRAGS_BASE,
  FRAME_TAILROOM_RESERVED,
  RUN_BASE,
  RUN_CPU,
  RUN_PRANDOM,
  RUN_TAIL_CALLS,
  XDP_FRAME_STRUCT,
} from './abi';
import { copyBytes, fillBytes } from './bytes';

const EINVAL: i64 = 22;
const EACCES: i64 = 13;
const EFAULT: i64 = 14;
const ETH_HLEN: u32 = 14;
const XDP_ABORTED: u64 = 0;
const XDP_REDIRECT: u64 = 4;

@inline function ctxGet(field: u32): u32 {
  return load<u32>(CTX_BASE + field);
}
@inline function ctxSet(field: u32, v: u32): void {
  store<u32>(CTX_BASE + field, v);
}
@inline function err(e: i64): u64 {
  return <u64>-e;
}

/**
 * Lay out a frame for one run (the test_run setup): `len` bytes of packet at hard_start + headroom,
 * `metaLen` bytes of metadata in front of them (already copied by the caller), frame of `frameSize`.
 */
export function xdp_setup(hardStart: u32, frameSize: u32, headroom: u32, len: u32, metaLen: u32, ifindex: u32, rxQueue: u32, fragsLen: u32): void {
  xdpSetup(hardStart, frameSize, headroom, len, metaLen, ifindex, rxQueue, fragsLen);
}

/** xdp_setup inlined: the NAPI poll's per-frame setup, one call less a frame. */
@inline export function xdpSetup(hardStart: u32, frameSize: u32, headroom: u32, len: u32, metaLen: u32, ifindex: u32, rxQueue: u32, fragsLen: u32): void {
  xdpSetupAt(CTX_BASE, RUN_BASE, hardStart, frameSize, headroom, len, metaLen, ifindex, rxQueue, fragsLen);
}

/**
 * xdpSetup on the context at `ctx` and run state at `run` (this instance's CTX_BASE and RUN_BASE, which
 * a poll reads once: as globals they are read again for every store), the fields written in pairs that
 * are adjacent (xdp_md's u32s at +0..+23, hard start and frame end, the redirect's ifindex and map).
 * data and data_end as two u32 stores instead (a program's first loads read each half of the u64 store,
 * and a stall showed there in perf): the same, 53.7 ns a frame both (xdp router 10k, 12-06, 8
 * interleaved rounds, load 12-15).
 */
@inline export function xdpSetupAt(ctx: u32, run: u32, hardStart: u32, frameSize: u32, headroom: u32, len: u32, metaLen: u32, ifindex: u32, rxQueue: u32, fragsLen: u32): void {
  const data = hardStart + headroom;
  store<u64>(ctx + CTX_DATA, <u64>data | (<u64>(data + len) << 32)); //                  data, data_end
  store<u64>(ctx + CTX_DATA_META, <u64>(data - metaLen) | (<u64>ifindex << 32)); //      data_meta, ingress_ifindex
  store<u64>(ctx + CTX_RX_QUEUE_INDEX, <u64>rxQueue); //                                rx_queue_index, egress_ifindex 0
  store<u64>(ctx + CTX_HARD_START, <u64>hardStart | (<u64>(hardStart + frameSize) << 32)); // hard start, frame end
  store<u64>(ctx + CTX_REDIRECT_IFINDEX, 0); //                                          redirect ifindex, map
  store<u64>(ctx + CTX_REDIRECT_FLAGS, 0);
  store<u64>(ctx + CTX_FRAGS_LEN, <u64>fragsLen); //                                   frags length, head 0
  store<u32>(run + RUN_TAIL_CALLS, 0);
}

/**
 * Fragments are FRAG_SIZE pages filled in order, their bytes kept contiguously at FRAGS_BASE: every
 * fragment but the last is full (shrinking frees from the end, growing only extends the last) except
 * that the first may start CTX_FRAGS_HEAD bytes into its page (bpf_xdp_pull_data took them, as
 * bpf_xdp_shrink_data moves a fragment's offset), so the total length and that head say everything:
 * byte i of the fragments is at i + head of the page grid (bpf_xdp_frags_shrink_tail / _increase_tail).
 */
@inline function fragsLen(): u32 {
  return ctxGet(CTX_FRAGS_LEN);
}

/** Copy `n` bytes between the buffer at packet offset `off` (linear part, then fragments) and `mem`. */
function copyPacket(off: u32, mem: usize, n: u32, toPacket: bool): void {
  const data = ctxGet(CTX_DATA);
  const linear = ctxGet(CTX_DATA_END) - data;
  while (n > 0) {
    let at: usize;
    let chunk: u32;
    if (off < linear) {
      at = data + off;
      chunk = min(n, linear - off);
    } else {
      at = FRAGS_BASE + (off - linear);
      chunk = n;
    }
    if (toPacket) copyBytes(at, mem, chunk);
    else copyBytes(mem, at, chunk);
    off += chunk;
    mem += chunk;
    n -= chunk;
  }
}

/** bpf_xdp_adjust_head (44): move data by `offset` (may be negative: grow into the headroom). */
export function bpf_xdp_adjust_head(ctx: u64, offset: u64, r3: u64, r4: u64, r5: u64): u64 {
  const off = <i32>offset;
  const dataNow = ctxGet(CTX_DATA);
  const meta = ctxGet(CTX_DATA_META);
  const metalen = dataNow - meta;
  const frameEnd = ctxGet(CTX_HARD_START) + XDP_FRAME_STRUCT;
  const data = <i64>dataNow + off;
  if (data < <i64>(frameEnd + metalen) || data > <i64>ctxGet(CTX_DATA_END) - ETH_HLEN) return err(EINVAL);
  if (metalen) copyBytes(<usize>(<i64>meta + off), meta, metalen);
  ctxSet(CTX_DATA_META, <u32>(<i64>meta + off));
  ctxSet(CTX_DATA, <u32>data);
  return 0;
}

/**
 * bpf_xdp_adjust_meta (54): move data_meta. Metadata must be a multiple of 4 bytes (else -EACCES) and
 * fit between the xdp_frame and data (else -EINVAL). Linux 6.18 no longer caps it at 32 bytes (probed:
 * 216 bytes of metadata are accepted); the u8 metadata length still bounds it.
 */
export function bpf_xdp_adjust_meta(ctx: u64, offset: u64, r3: u64, r4: u64, r5: u64): u64 {
  const off = <i32>offset;
  const frameEnd = ctxGet(CTX_HARD_START) + XDP_FRAME_STRUCT;
  const data = ctxGet(CTX_DATA);
  const meta = <i64>ctxGet(CTX_DATA_META) + off;
  if (meta < <i64>frameEnd || meta > <i64>data) return err(EINVAL);
  const metalen = <u32>(<i64>data - meta);
  if ((metalen & 3) != 0 || metalen > 255) return err(EACCES);
  ctxSet(CTX_DATA_META, <u32>meta);
  return 0;
}

/**
 * bpf_xdp_adjust_tail (65): move data_end; growth is zero-filled, up to the reserved tailroom. With
 * fragments the tail is the last fragment's: shrinking frees fragments from the end and, once they are
 * all gone, takes the rest from the linear part; growing fills the last fragment's page.
 */
export function bpf_xdp_adjust_tail(ctx: u64, offset: u64, r3: u64, r4: u64, r5: u64): u64 {
  const off = <i32>offset;
  const frags = fragsLen();
  if (frags != 0) {
    const linear = ctxGet(CTX_DATA_END) - ctxGet(CTX_DATA);
    if (off < 0) {
      const shrink = <u32>(-off);
      if (<i64>shrink > <i64>(linear + frags) - ETH_HLEN) return err(EINVAL);
      const fromFrags = min(shrink, frags);
      ctxSet(CTX_FRAGS_LEN, frags - fromFrags);
      if (frags == fromFrags) ctxSet(CTX_DATA_END, ctxGet(CTX_DATA_END) - (shrink - fromFrags));
      return 0;
    }
    const last = ((ctxGet(CTX_FRAGS_HEAD) + frags - 1) % FRAG_SIZE) + 1;
    if (<u32>off > FRAG_SIZE - last) return err(EINVAL);
    fillBytes(FRAGS_BASE + frags, 0, <usize>off);
    ctxSet(CTX_FRAGS_LEN, frags + <u32>off);
    return 0;
  }
  const hardEnd = <i64>ctxGet(CTX_FRAME_END) - FRAME_TAILROOM_RESERVED;
  const oldEnd = ctxGet(CTX_DATA_END);
  const dataEnd = <i64>oldEnd + off;
  if (dataEnd > hardEnd) return err(EINVAL);
  if (dataEnd < <i64>ctxGet(CTX_DATA) + ETH_HLEN) return err(EINVAL);
  if (off > 0) fillBytes(oldEnd, 0, <usize>off);
  ctxSet(CTX_DATA_END, <u32>dataEnd);
  return 0;
}

/**
 * bpf_xdp_pull_data (kfunc, Linux 6.18 net/core/filter.c): make the first `len` bytes linear. Nothing
 * to do when they already are; -EINVAL past the whole frame, or when the tailroom and the headroom
 * (down to the xdp_frame) together are short of what must come in. The tailroom is taken first; what
 * it lacks moves metadata and data down. The bytes come from the fragments' start, a fragment emptied
 * is freed: the page grid's head moves on (fragsLen's comment). Packet pointers are stale after it
 * (the verifier's clear_all_pkt_pointers, as after bpf_xdp_adjust_head).
 */
export function bpf_xdp_pull_data(ctx: u64, length: u64, r3: u64, r4: u64, r5: u64): u64 {
  const len = <u32>length;
  const data = ctxGet(CTX_DATA);
  const end = ctxGet(CTX_DATA_END);
  const linear = end - data;
  if (len <= linear) return 0;
  const frags = fragsLen();
  if (<u64>len > <u64>linear + <u64>frags) return err(EINVAL);
  // xdp_data_meta_unsupported is never true here: the metadata (maybe empty) moves with the data
  const meta = ctxGet(CTX_DATA_META);
  const headroom = <i64>meta - <i64>(ctxGet(CTX_HARD_START) + XDP_FRAME_STRUCT);
  const tailroom = <i64>ctxGet(CTX_FRAME_END) - FRAME_TAILROOM_RESERVED - <i64>end;
  const delta = len - linear;
  if (<i64>delta > tailroom + headroom) return err(EINVAL);
  const shift = <i64>delta - tailroom;
  let at = end;
  if (shift > 0) {
    const s = <u32>shift;
    copyBytes(meta - s, meta, end - meta);
    ctxSet(CTX_DATA_META, meta - s);
    ctxSet(CTX_DATA, data - s);
    at = end - s;
  }
  copyBytes(at, FRAGS_BASE, delta);
  ctxSet(CTX_DATA_END, at + delta);
  const left = frags - delta;
  copyBytes(FRAGS_BASE, FRAGS_BASE + delta, left);
  ctxSet(CTX_FRAGS_LEN, left);
  ctxSet(CTX_FRAGS_HEAD, left != 0 ? (ctxGet(CTX_FRAGS_HEAD) + delta) % FRAG_SIZE : 0);
  return 0;
}

/** bpf_xdp_get_buff_len (188): the linear part plus the fragments. */
export function bpf_xdp_get_buff_len(ctx: u64, r2: u64, r3: u64, r4: u64, r5: u64): u64 {
  return <u64>(ctxGet(CTX_DATA_END) - ctxGet(CTX_DATA) + fragsLen());
}

/** bpf_xdp_load_bytes (189): copy `len` bytes at packet `offset` (across fragments) to `buf`. */
export function bpf_xdp_load_bytes(ctx: u64, offset: u64, buf: u64, len: u64, r5: u64): u64 {
  const size = ctxGet(CTX_DATA_END) - ctxGet(CTX_DATA) + fragsLen();
  const off = <u32>offset;
  const n = <u32>len;
  // The kernel rejects len 0 in the verifier (ARG_CONST_SIZE); at run time bpf_xdp_pointer refuses an
  // offset or length past 0xffff (-EFAULT) before it compares the span with the frame (-EINVAL).
  if (off > 0xffff || n > 0xffff) return err(EFAULT);
  if (<u64>off + <u64>n > <u64>size) return err(EINVAL);
  copyPacket(off, <usize>(<u32>buf), n, false);
  return 0;
}

/** bpf_xdp_store_bytes (190): copy `len` bytes from `buf` into the packet at `offset` (across fragments). */
export function bpf_xdp_store_bytes(ctx: u64, offset: u64, buf: u64, len: u64, r5: u64): u64 {
  const size = ctxGet(CTX_DATA_END) - ctxGet(CTX_DATA) + fragsLen();
  const off = <u32>offset;
  const n = <u32>len;
  if (off > 0xffff || n > 0xffff) return err(EFAULT);
  if (<u64>off + <u64>n > <u64>size) return err(EINVAL);
  copyPacket(off, <usize>(<u32>buf), n, true);
  return 0;
}

/**
 * bpf_csum_diff (28), 6.18's (filter.c): with both spans csum_sub(csum_partial(to, to_size, seed),
 * csum_partial(from, from_size, 0)); `to` alone csum_partial(to, to_size, seed); `from` alone
 * ~csum_partial(from, from_size, ~seed); neither the seed; then csum_from32to16. Any sizes (the verifier
 * bounds the spans); 6.18 no longer refuses sizes that are not multiples of 4 or larger than 512 bytes
 * together with -EINVAL (the scratch buffer went).
 *
 * The sums are ones' complement ones with two zeros (0 and all ones), and which one comes out is part of
 * the answer (a span of zeros alone: the kernel's 0, where a sum modulo 0xffff gave 0xffff), so
 * csumPartial follows x86's csum_partial (arch/x86/lib/csum-partial_64.c) step by step.
 */
export function bpf_csum_diff(from: u64, fromSize: u64, to: u64, toSize: u64, seed: u64): u64 {
  const fs = <u32>fromSize;
  const ts = <u32>toSize;
  let ret = <u32>seed;
  if (fs != 0 && ts != 0) ret = csumAdd(csumPartial(<usize>(<u32>to), ts, ret), ~csumPartial(<usize>(<u32>from), fs, 0));
  else if (ts != 0) ret = csumPartial(<usize>(<u32>to), ts, ret);
  else if (fs != 0) ret = ~csumPartial(<usize>(<u32>from), fs, ~ret);
  // csum_from32to16: sum += ror32(sum, 16); the high half
  return <u64>((ret + ((ret >> 16) | (ret << 16))) >> 16);
}

/** csum_add: 32-bit addition with the carry added back. */
@inline function csumAdd(a: u32, b: u32): u32 {
  const r = a + b;
  return r + <u32>(r < b);
}

/**
 * x86-64's csum_partial: 64-bit little-endian words added in adc chains (update_csum_40b's five words
 * then `adc $0`, two such lanes over each 80 bytes joined by add + adc $0, then the 40, 32, 16 and 8-byte
 * steps, the last 1..7 bytes as a zero-padded word), folded to 32 bits by csum_finalize_sum. Each chain's
 * final `adc $0` drops a carry the way the processor does (all-ones words can leave one).
 */
function csumPartial(buf: usize, len: u32, sum: u32): u32 {
  let t: u64 = <u64>sum;
  if (len >= 80) {
    let t2: u64 = 0;
    do {
      t = adcChain(t, buf, 5);
      t2 = adcChain(t2, buf + 40, 5);
      buf += 80;
      len -= 80;
    } while (len >= 80);
    const r = t + t2;
    t = r + <u64>(r < t2);
  }
  if (len >= 40) {
    t = adcChain(t, buf, 5);
    len -= 40;
    if (len == 0) return csumFinalize(t);
    buf += 40;
  }
  if (len & 32) {
    t = adcChain(t, buf, 4);
    buf += 32;
  }
  if (len & 16) {
    t = adcChain(t, buf, 2);
    buf += 16;
  }
  if (len & 8) {
    t = adcChain(t, buf, 1);
    buf += 8;
  }
  const tail = len & 7;
  if (tail != 0) {
    let w: u64 = 0;
    for (let i: u32 = 0; i < tail; i++) w |= <u64>load<u8>(buf + i) << (<u64>i * 8);
    const r = t + w;
    t = r + <u64>(r < w);
  }
  return csumFinalize(t);
}

/** `add w0; adc w1; …; adc $0` over `n` words at `p`: the carry runs through, the last one is added once. */
@inline function adcChain(t: u64, p: usize, n: u32): u64 {
  let c: u64 = 0;
  for (let i: u32 = 0; i < n; i++) {
    const w = load<u64>(p + (<usize>i << 3));
    const a = t + w;
    const c1 = <u64>(a < w);
    const b = a + c;
    c = c1 | <u64>(b < a);
    t = b;
  }
  return t + c;
}

/** csum_finalize_sum: (t + ror64(t, 32)) >> 32. */
@inline function csumFinalize(t: u64): u32 {
  return <u32>((t + ((t >> 32) | (t << 32))) >> 32);
}

/** bpf_redirect (23): redirect to `ifindex`; any flag is invalid for XDP. */
export function bpf_redirect(ifindex: u64, flags: u64, r3: u64, r4: u64, r5: u64): u64 {
  if (flags != 0) return XDP_ABORTED;
  store<u64>(CTX_BASE + CTX_REDIRECT_IFINDEX, ifindex & 0xffffffff); // ifindex, no map: one store (src/jit/emit.ts addBurst loads the pair as one)
  store<u64>(CTX_BASE + CTX_REDIRECT_FLAGS, flags);
  return XDP_REDIRECT;
}

/** bpf_get_prandom_u32 (7): xorshift64* state in the run area. */
export function bpf_get_prandom_u32(r1: u64, r2: u64, r3: u64, r4: u64, r5: u64): u64 {
  let x = load<u64>(RUN_BASE + RUN_PRANDOM);
  if (x == 0) x = 0x9e3779b97f4a7c15;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  store<u64>(RUN_BASE + RUN_PRANDOM, x);
  return (x * 0x2545f4914f6cdd1d) >> 32;
}

/** bpf_get_smp_processor_id (8). */
export function bpf_get_smp_processor_id(r1: u64, r2: u64, r3: u64, r4: u64, r5: u64): u64 {
  return <u64>load<u32>(RUN_BASE + RUN_CPU);
}
