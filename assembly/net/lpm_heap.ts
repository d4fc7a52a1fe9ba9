// The LPM tables' header and their block heap (lpm4.ts, lpm6.ts; the structure in poptrie.ts, the
// rule knowledge in lpm_rib.ts). Control plane only: nothing here runs per packet.
//
// Each table owns its memory: small blocks (node arrays, leaf arrays, rule nodes; 8-byte units up to
// SMALL_MAX bytes) are carved from 64 KiB chunks of the arena with one exact-size free list per unit
// count (the structure's own lists apart from the rule nodes': its blocks are placed by cache line,
// lineFit); larger blocks (the direct table, temporary arrays) come whole from the arena, rounded to a
// power of two, with one free list per power. The arena never takes memory back, so a table keeps what
// it has grown to and reuses it.
//
// Blocks a reader may still hold are not freed but retired: a record (address, class, and the grace
// period of reclaim.ts it waits for, rc_stamp) goes to the retire log, and the block itself is left
// untouched, since a reader may still be walking it, until reclaim.ts says that grace period is over
// (rc_passed): the stack has one notion of "every reader has passed", and this heap only keeps its own
// pool (blocks packed per table, exact 8-byte classes) for locality. What has passed goes back to the
// free lists at the next update (heapReserve; with a stack root, whose rc_reclaim runs after every
// change) or at lpm_reclaim. An update reserves log room for every block it will retire before it
// publishes anything, so retiring never fails. Blocks never published (a build that failed half way,
// scratch) are freed at once.
//
// Retire log: a FIFO of LOG_PAGE-byte pages (+0 u32 next, +4 u32 read index, +8 u32 write index,
// +16 records: u32 address, u32 class << 24 | grace period (rc_stamp) & 0xffffff), oldest page first.
//
// Table header (HDR_* offsets; the header and its scratch are one arena block):
//
//   +0    u32 magic 'LPM4' | 'LPM6'
//   +4    u32 key bits W (32 | 128)
//   +8    u32 direct bits S (the direct table has 2^S u32 entries; the control plane's copy)
//   +12   u32 direct table word: its address | S (poptrie.ts; the one store that publishes a new S)
//   +16   u32 rule trie root (lpm_rib.ts)
//   +20   u32 rule node size
//   +24   u32 prefixes
//   +28   u32 generation: bumped by every published update (a count, for tests and stats)
//   +32   u32 chunk bump pointer      +36 u32 chunk end
//   +40   u32 dirty bitmap (batch mode: one u64 per 64 direct slots), 0 outside a batch
//   +44   u32 dirty words left to commit
//   +48   u64 live structure bytes (direct table, nodes, leaves)
//   +56   u64 live rule bytes
//   +64   u64 bytes taken from the arena
//   +72   u64 retired bytes (waiting for a quiescent point)
//   +80   u32 levels of scratch          +84 u32 scratch (build: the cover of the region just walked)
//   +88   u32 retire log: oldest page  +92 u32 page being written  +96 u32 last page
//   +100  u32 free record slots from the write position on
//   +104  u64 live retire-log bytes
//   +128  NCLASS × u32 free list heads (rule nodes, large blocks, retire-log pages)
//   +992  (SMALL_CLASSES + 1) × u32 free list heads of the small structure blocks (placed by lineFit)
//   +1920 path: MAX_LEVELS × u32 node address, MAX_LEVELS × u32 child index, MAX_LEVELS × u32 new
//         child array (what an update walks down, and what its path copy allocated on the way up)
//   +2304 u32 one new direct entry (an update of one slot)
//   +2432 per-level scratch, LEVEL_SCRATCH bytes each: 64 × u32 leaf values, 64 × u32 rule subtries

import { arena_alloc } from '../maps/arena';
import { netRoot } from './core';
import { rc_passed, rc_stamp } from './reclaim';

export const HDR_MAGIC: u32 = 0;
export const HDR_W: u32 = 4;
export const HDR_S: u32 = 8;
export const HDR_DIR: u32 = 12;
export const HDR_RIB: u32 = 16;
export const HDR_RIB_NODE: u32 = 20;
export const HDR_COUNT: u32 = 24;
export const HDR_GEN: u32 = 28;
const HDR_BUMP: u32 = 32;
const HDR_CHUNK_END: u32 = 36;
export const HDR_DIRTY: u32 = 40;
export const HDR_DIRTY_LEFT: u32 = 44;
export const HDR_LIVE_STRUCT: u32 = 48;
export const HDR_LIVE_RIB: u32 = 56;
export const HDR_HELD: u32 = 64;
export const HDR_RETIRED: u32 = 72;
export const HDR_LEVELS: u32 = 80;
export const HDR_COVER: u32 = 84;
const HDR_LOG_HEAD: u32 = 88;
const HDR_LOG_WRITE: u32 = 92;
const HDR_LOG_TAIL: u32 = 96;
const HDR_LOG_ROOM: u32 = 100;
const HDR_FREE: u32 = 128;
const HDR_FREE_LINE: u32 = 992;
export const HDR_PATH_NODE: u32 = 1920;
export const HDR_PATH_IDX: u32 = 2048;
export const HDR_PATH_NEW: u32 = 2176;
export const HDR_TMP_SLOT: u32 = 2304;
export const HDR_LEVEL0: u32 = 2432;
export const LEVEL_SCRATCH: u32 = 512;
export const LEVEL_SUBS: u32 = 256;
export const MAX_LEVELS: u32 = 32;

export const MAGIC4: u32 = 0x344d504c; // 'LPM4'
export const MAGIC6: u32 = 0x364d504c; // 'LPM6'

/** Block kinds, for the live-byte counters. */
export const KIND_STRUCT: u32 = 0;
export const KIND_RIB: u32 = 1;
const KIND_LOG: u32 = 2;
const HDR_LIVE_LOG: u32 = 104;

@inline function liveAt(t: u32, kind: u32): u32 {
  return t + (kind == KIND_LOG ? HDR_LIVE_LOG : HDR_LIVE_STRUCT + (kind << 3));
}

const CHUNK: u32 = 65536;
const SMALL_MAX: u32 = 1536; // past the largest node block (16 + 64 × 4 bytes)
const SMALL_CLASSES: u32 = SMALL_MAX >> 3; // classes 1..192 by 8-byte units
const LARGE_MIN_LOG: u32 = 11; // 2 KiB
const NCLASS: u32 = SMALL_CLASSES + 1 + 22; // 1..192, then 2^11 .. 2^32
const LOG_PAGE: u32 = 4096;
const LINE: u32 = 64; // a cache line
const LOG_HDR: u32 = 16;
const LOG_RECORDS: u32 = (LOG_PAGE - LOG_HDR) >> 3;

/** A new table header with `levels` scratch levels, or 0 (no memory). Everything else is the caller's. */
export function heapCreate(magic: u32, w: u32, s: u32, ribNode: u32, levels: u32): u32 {
  const t = arena_alloc(HDR_LEVEL0 + levels * LEVEL_SCRATCH, 64);
  if (t == 0) return 0;
  store<u32>(t + HDR_MAGIC, magic);
  store<u32>(t + HDR_W, w);
  store<u32>(t + HDR_S, s);
  store<u32>(t + HDR_RIB_NODE, ribNode);
  store<u32>(t + HDR_LEVELS, levels);
  store<u64>(t + HDR_HELD, <u64>(HDR_LEVEL0 + levels * LEVEL_SCRATCH));
  return t;
}

/** The size class of a block of `bytes`, and the bytes it really takes. */
@inline function classOf(bytes: u32): u32 {
  if (bytes <= SMALL_MAX) return (bytes + 7) >> 3;
  const lg: u32 = 32 - <u32>clz<u32>(bytes - 1);
  return SMALL_CLASSES + 1 + (lg < LARGE_MIN_LOG ? 0 : lg - LARGE_MIN_LOG);
}

@inline function classBytes(c: u32): u64 {
  if (c <= SMALL_CLASSES) return <u64>c << 3;
  return <u64>1 << <u64>(c - SMALL_CLASSES - 1 + LARGE_MIN_LOG);
}

/** Whether small blocks of `kind` are placed by line (lineFit): the lookup structure's. */
@inline function byLine(kind: u32): bool {
  return kind == KIND_STRUCT;
}

/** The head of the free list of class `c` for blocks of `kind` (small structure blocks have their own). */
@inline function freeHead(t: u32, c: u32, kind: u32): u32 {
  return t + (byLine(kind) && c <= SMALL_CLASSES ? HDR_FREE_LINE : HDR_FREE) + (c << 2);
}

/**
 * Where a small structure block of `size` bytes goes at or after `b`: a block of up to a cache line
 * never crosses one, a larger one starts on one. A lookup reads a node's vectors and then one of its
 * slots: this way the slot is in the vectors' line whenever the block is that small (or the slot that
 * near its start), one memory access instead of two. Every block on the structure's free lists obeys
 * it for its own size, so a block taken from them does too.
 */
@inline function lineFit(b: u32, size: u32): u32 {
  const inLine = b & (LINE - 1);
  if (inLine == 0 || (size <= LINE && inLine + size <= LINE)) return b;
  return (b + LINE - 1) & ~(LINE - 1);
}

/** Give `bytes` (8-byte units) at `b`, unused, to the structure's free lists, a line's part at a time. */
function freeGap(t: u32, b: u32, bytes: u32): void {
  let p = b;
  const end = b + bytes;
  while (p < end) {
    const next = min((p + LINE) & ~(LINE - 1), end);
    const c = (next - p) >> 3;
    const head = t + HDR_FREE_LINE + (c << 2);
    store<u32>(p, load<u32>(head));
    store<u32>(head, p);
    p = next;
  }
}

/**
 * `bytes` (> 0) of uninitialised memory, 8-aligned (64 for large blocks; small structure blocks as
 * lineFit places them), or 0 when the memory is full.
 */
export function heapAlloc(t: u32, bytes: u32, kind: u32): u32 {
  const c = classOf(bytes);
  const size = classBytes(c);
  const head = freeHead(t, c, kind);
  let b = load<u32>(head);
  if (b != 0) {
    store<u32>(head, load<u32>(b));
  } else if (c <= SMALL_CLASSES) {
    let bump = load<u32>(t + HDR_BUMP);
    let end = load<u32>(t + HDR_CHUNK_END);
    let at = byLine(kind) ? lineFit(bump, <u32>size) : bump;
    if (<u64>end < <u64>at + size) {
      // The tail of the old chunk goes to the free lists; a new chunk follows.
      const rest = end - bump;
      if (rest >= 8) freeGap(t, bump, rest);
      const chunk = arena_alloc(CHUNK, 64);
      if (chunk == 0) {
        store<u32>(t + HDR_BUMP, 0);
        store<u32>(t + HDR_CHUNK_END, 0);
        return 0;
      }
      store<u64>(t + HDR_HELD, load<u64>(t + HDR_HELD) + CHUNK);
      bump = chunk;
      at = chunk;
      end = chunk + CHUNK;
      store<u32>(t + HDR_CHUNK_END, end);
    } else if (at != bump) {
      freeGap(t, bump, at - bump);
    }
    b = at;
    store<u32>(t + HDR_BUMP, at + <u32>size);
  } else {
    if (size >= 0x1_0000_0000) return 0;
    b = arena_alloc(<u32>size, 64);
    if (b == 0) return 0;
    store<u64>(t + HDR_HELD, load<u64>(t + HDR_HELD) + size);
  }
  const live = liveAt(t, kind);
  store<u64>(live, load<u64>(live) + size);
  return b;
}

/** Give back a block no reader can hold (never published, or scratch). */
export function heapFree(t: u32, b: u32, bytes: u32, kind: u32): void {
  const c = classOf(bytes);
  const head = freeHead(t, c, kind);
  store<u32>(b, load<u32>(head));
  store<u32>(head, b);
  const live = liveAt(t, kind);
  store<u64>(live, load<u64>(live) - classBytes(c));
}

/**
 * Make room in the retire log for `n` more records (before an update publishes). False: no memory
 * (nothing published yet, the caller undoes its build).
 */
export function heapReserve(t: u32, n: u32): bool {
  // With a stack root, grace periods move whenever the control plane reclaims (fib, neigh, netdev):
  // take back what has passed. A bare table (no root, no workers) waits for lpm_reclaim.
  if (netRoot() != 0) heapReclaim(t);
  while (load<u32>(t + HDR_LOG_ROOM) < n) {
    const page = heapAlloc(t, LOG_PAGE, KIND_LOG);
    if (page == 0) return false;
    store<u32>(page, 0);
    store<u32>(page + 4, 0);
    store<u32>(page + 8, 0);
    const tail = load<u32>(t + HDR_LOG_TAIL);
    if (tail == 0) {
      store<u32>(t + HDR_LOG_HEAD, page);
      store<u32>(t + HDR_LOG_WRITE, page);
    } else {
      store<u32>(tail, page);
    }
    store<u32>(t + HDR_LOG_TAIL, page);
    store<u32>(t + HDR_LOG_ROOM, load<u32>(t + HDR_LOG_ROOM) + LOG_RECORDS);
  }
  return true;
}

/**
 * Retire a block a reader may still hold (room reserved by heapReserve): it is reused once reclaim.ts's
 * grace period open now is over. The block is not written.
 */
export function heapRetire(t: u32, b: u32, bytes: u32): void {
  const c = classOf(bytes);
  let page = load<u32>(t + HDR_LOG_WRITE);
  let w = load<u32>(page + 8);
  if (w == LOG_RECORDS) {
    page = load<u32>(page);
    store<u32>(t + HDR_LOG_WRITE, page);
    w = 0;
  }
  const rec = page + LOG_HDR + (w << 3);
  store<u32>(rec, b);
  store<u32>(rec + 4, (c << 24) | (rc_stamp() & 0xffffff));
  store<u32>(page + 8, w + 1);
  store<u32>(t + HDR_LOG_ROOM, load<u32>(t + HDR_LOG_ROOM) - 1);
  const size = classBytes(c);
  store<u64>(t + HDR_LIVE_STRUCT, load<u64>(t + HDR_LIVE_STRUCT) - size);
  store<u64>(t + HDR_RETIRED, load<u64>(t + HDR_RETIRED) + size);
}

/**
 * Blocks whose grace period is over (rc_passed: every reader has passed a quiescent point since they
 * were unlinked) go back to the free lists, oldest first. Returns the bytes still waiting.
 */
export function heapReclaim(t: u32): u64 {
  let page = load<u32>(t + HDR_LOG_HEAD);
  while (page != 0) {
    let r = load<u32>(page + 4);
    const w = load<u32>(page + 8);
    while (r < w) {
      const rec = page + LOG_HDR + (r << 3);
      const tag = load<u32>(rec + 4);
      if (!rc_passed(tag & 0xffffff)) break;
      const c = tag >> 24;
      const b = load<u32>(rec);
      const head = freeHead(t, c, KIND_STRUCT);
      store<u32>(b, load<u32>(head));
      store<u32>(head, b);
      store<u64>(t + HDR_RETIRED, load<u64>(t + HDR_RETIRED) - classBytes(c));
      r++;
    }
    store<u32>(page + 4, r);
    if (r < w) break;
    const wpage = load<u32>(t + HDR_LOG_WRITE);
    if (page == wpage) {
      // Everything written so far is reclaimed: the page starts over.
      store<u32>(t + HDR_LOG_ROOM, load<u32>(t + HDR_LOG_ROOM) + w);
      store<u32>(page + 4, 0);
      store<u32>(page + 8, 0);
      break;
    }
    if (w < LOG_RECORDS) break;
    // A full page wholly reclaimed: unlink it (the log itself is never read by the data path).
    const next = load<u32>(page);
    store<u32>(t + HDR_LOG_HEAD, next);
    heapFree(t, page, LOG_PAGE, KIND_LOG);
    page = next;
  }
  return load<u64>(t + HDR_RETIRED);
}

/** Bump the generation: one more update is about to be published. */
@inline export function heapNextGen(t: u32): void {
  store<u32>(t + HDR_GEN, load<u32>(t + HDR_GEN) + 1);
}

/** Level `l`'s scratch: 64 leaf values, then 64 rule subtrie roots. */
@inline export function levelVals(t: u32, l: u32): u32 {
  return t + HDR_LEVEL0 + l * LEVEL_SCRATCH;
}
