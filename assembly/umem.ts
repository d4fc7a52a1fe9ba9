// UMEM: the frames every device receives into, FRAME_SIZE bytes each and FRAME_SIZE-aligned, so a
// frame's start (hard_start) is any of its addresses with the low bits cleared. A frame as the XDP
// hook sees it is laid out as BPF_PROG_TEST_RUN's (assembly/xdp.ts):
//
//   hard_start                                                                 hard_start + FRAME_SIZE
//   | xdp_frame (40) | headroom (256 in all) | meta | data ........ | tailroom | skb_shared_info (320) |
//
// Frames not on any ring sit on the pool, a stack of u32 frame addresses (DP_POOL): device queues take
// their fill rings from it at creation and give back what transmit completion and the host ring free.
//
// Reads/sets: DP_BASE's pool fields.

import {
  DP_BASE, DP_MAGIC, DP_POOL, DP_POOL_CAP, DP_POOL_FREE, DP_UMEM_BASE, DP_UMEM_FRAMES, DP_DEVS, DP_XSKS, DP_TRACE,
  FRAME_SIZE, MAX_DEVICES, MAX_XSKS, TRACE_SLOTS, TRACE_EVENT_SIZE,
} from './abi';
import { arena_alloc } from './maps/arena';

const DP_MAGIC_VALUE: u32 = 0x50445857; // 'WXDP'

/** Set up the data path with a UMEM of `frames` frames. 0, or -12 (ENOMEM), -17 (EEXIST: done before). */
export function dp_init(frames: u32): i32 {
  if (load<u32>(DP_BASE + DP_MAGIC) == DP_MAGIC_VALUE) return -17;
  const umem = arena_alloc(frames * FRAME_SIZE, FRAME_SIZE);
  const pool = arena_alloc(frames * 4, 8);
  if (umem == 0 || pool == 0) return -12;
  for (let i: u32 = 0; i < frames; i++) store<u32>(pool + i * 4, umem + (frames - 1 - i) * FRAME_SIZE);
  memory.fill(DP_DEVS, 0, MAX_DEVICES * 4);
  memory.fill(DP_XSKS, 0, MAX_XSKS * 4);
  memory.fill(DP_TRACE, 0, 4 + TRACE_SLOTS * TRACE_EVENT_SIZE);
  store<u32>(DP_BASE + DP_POOL, pool);
  store<u32>(DP_BASE + DP_POOL_FREE, frames);
  store<u32>(DP_BASE + DP_POOL_CAP, frames);
  store<u32>(DP_BASE + DP_UMEM_BASE, umem);
  store<u32>(DP_BASE + DP_UMEM_FRAMES, frames);
  store<u32>(DP_BASE + DP_MAGIC, DP_MAGIC_VALUE);
  return 0;
}

/** A free frame's address, or 0 when the pool is empty. */
@inline export function frameAlloc(): u32 {
  const n = load<u32>(DP_BASE + DP_POOL_FREE);
  if (n == 0) return 0;
  store<u32>(DP_BASE + DP_POOL_FREE, n - 1);
  return load<u32>(load<u32>(DP_BASE + DP_POOL) + (n - 1) * 4);
}

/** Give a frame (any address inside it) back to the pool. */
@inline export function frameFree(addr: u32): void {
  const n = load<u32>(DP_BASE + DP_POOL_FREE);
  store<u32>(load<u32>(DP_BASE + DP_POOL) + n * 4, addr & ~(FRAME_SIZE - 1));
  store<u32>(DP_BASE + DP_POOL_FREE, n + 1);
}

export function frame_free(addr: u32): void {
  frameFree(addr);
}

/** Frames on the pool (tests: every frame is accounted for). */
export function dp_pool_free(): u32 {
  return load<u32>(DP_BASE + DP_POOL_FREE);
}
