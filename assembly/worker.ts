// A worker thread's side of the fast path: src/control/workers.ts starts N worker_threads, each with its
// own instance of this module over the one shared memory (the shared build, build/fastpath.shared.wasm).
// wasm globals are per instance, memory is not: what a worker must not share lives in its own area,
// which the control plane allocates from the arena and hands to worker_init once.
//
// Reads: the device table (DP_DEVS), each device's queue count. Sets: this instance's CTX_BASE, RUN_BASE,
// DP_BURST and stack scratch (globals), the worker's run state (RUN_CPU = w, RUN_NCPUS = N), its
// quiescent counter (net/reclaim.ts) once per round.
// Frames go: queue k of every device is polled by worker k mod N (napi_poll), nowhere else; frames
// redirected to cpumap entry w are drained by worker w (napi.ts cpumap_poll) at the top of its round.
//
// A worker's area (WK_SIZE bytes, WK_ALIGN-aligned):
//
//   +0      eBPF stacks, MAX_FRAMES × STACK_SIZE: frame 0's r10 = area + WK_STACK_TOP (JIT'd for this worker)
//   +4096   xdp_md + xdp_buff (CTX_SIZE, room to 256)
//   +4352   run state (RUN_SIZE, room to 256)
//   +4608   burst results: BURST_MAX × BURST_RECORD_SIZE
//   +6656   control words the main thread and the worker share (u32 each, Atomics on both sides):
//             +0 state: 0 run, 1 stop        +4 wake: bumped (and notified) when there is work or a message
//             +8 rounds made                 +12 frames polled (wraps)
//             +16 the last control message applied (acknowledged)   +20 faults caught in the loop
//             +24 hold: nonzero while the worker must not poll (Workers.hold: frames wait, then all start at once)
//             +32 the length of the frame the packet generator wrote last (device.ts rxPost), this worker's
//   +6720   tracepoint arguments (TP_ARGS_SIZE): the events this worker raises (tracepoints.ts)
//   +6848   link.ts's flow keys (LINK_KEYS_SIZE): the outer source port's hash input, this worker's
//   +7168   napi.ts's host-ring gathering (HOST_BUF_SIZE): the frames a poll passes to a host ring
//   +8192   the stack's SNMP counters as this worker counts them (MIB_COUNT × u64), then its drop
//           counters (NDROP_COUNT × u64): per CPU as the kernel's SNMP_INC_STATS / per-cpu drop
//           counters are, summed by the reader (src/control/stack.ts) — no cache line bounces between
//           workers and no lost increments
//   +12288  device.ts's transmit bulks (TXB_BYTES): the frames a poll transmits, per target queue,
//           pushed onto the rings a bulk at a time (xdp_do_flush's per-CPU bulk queues)
//   +14656  netdev.ts's held forwards (PEND_BUF_SIZE), then napi.ts's gathered redirects (REDIR_BUF_SIZE):
//           the frames a burst sends to one TX queue, handed to transmitBurst together
//   +WK_FRAME_CACHE  umem.ts's frame cache (FC_BYTES): the frames this worker freed, taken again first
//   +WK_SIZE  end

import {
  BURST_MAX, BURST_RECORD_SIZE, DEV_NQUEUES, DP_DEVS, MAX_DEVICES, MAX_FRAMES, NAPI_BUDGET, RUN_CPU, RUN_NCPUS,
  RUN_PRANDOM, RUN_SIZE, STACK_SIZE, abiWorkerAreas,
} from './abi';
import { devGenLenSet, devTxBulkSet, TXB_BYTES } from './device';
import { linkKeysSet } from './link';
import { cpumapWorkersSet } from './maps/cpumap';
import { cpumap_poll, napi_poll, napiHostBufSet, napiRedirBufSet, REDIR_BUF_SIZE } from './napi';
import { MIB_COUNT, NDROP_COUNT } from './net/abi';
import { netCountersSet, netScratchSet } from './net/core';
import { netdevPendBufSet, PEND_BUF_SIZE } from './net/netdev';
import { netLockIdSet } from './net/lock';
import { tpArgsSet, TP_ARGS_SIZE } from './tracepoints';
import { FC_BYTES, frameCacheDrain, frameCacheSet } from './umem';
import { net_quiescent, net_worker_offline, net_worker_online } from './net/reclaim';

export const WK_STACK: u32 = 0;
export const WK_STACK_TOP: u32 = MAX_FRAMES * STACK_SIZE;
export const WK_CTX: u32 = 4096;
export const WK_RUN: u32 = 4352;
export const WK_BURST: u32 = 4608;
export const WK_CONTROL: u32 = WK_BURST + BURST_MAX * BURST_RECORD_SIZE;
export const WK_STATE: u32 = 0;
export const WK_WAKE: u32 = 4;
export const WK_ROUNDS: u32 = 8;
export const WK_FRAMES: u32 = 12;
export const WK_ACK: u32 = 16;
export const WK_FAULTS: u32 = 20;
export const WK_TP_ARGS: u32 = WK_CONTROL + 64;
export const WK_LINK_KEYS: u32 = WK_TP_ARGS + TP_ARGS_SIZE;
export const WK_HOST_BUF: u32 = 7168;
export const WK_MIB: u32 = 8192;
export const WK_DROPS: u32 = WK_MIB + MIB_COUNT * 8;
export const WK_TXB: u32 = (WK_DROPS + NDROP_COUNT * 8 + 4095) & ~4095;
export const WK_PEND_BUF: u32 = (WK_TXB + TXB_BYTES + 63) & ~63;
export const WK_REDIR_BUF: u32 = WK_PEND_BUF + PEND_BUF_SIZE;
export const WK_FRAME_CACHE: u32 = (WK_REDIR_BUF + REDIR_BUF_SIZE + 63) & ~63;
export const WK_SIZE: u32 = (WK_FRAME_CACHE + FC_BYTES + 4095) & ~4095;
export const WK_ALIGN: u32 = 64;

/** This instance is worker `w` of `n`: its per-run areas in `area`, its stack scratch at `scratch` (0: the root's). */
export function worker_init(w: u32, n: u32, area: u32, scratch: u32): void {
  abiWorkerAreas(area + WK_CTX, area + WK_RUN, area + WK_BURST);
  memory.fill(area + WK_RUN, 0, RUN_SIZE);
  store<u32>(area + WK_RUN + RUN_CPU, w);
  store<u32>(area + WK_RUN + RUN_NCPUS, n);
  // each worker its own prandom sequence (bpf_get_prandom_u32 seeds a zero state itself)
  store<u64>(area + WK_RUN + RUN_PRANDOM, 0x9e3779b97f4a7c15 * <u64>(w + 1));
  if (scratch != 0) netScratchSet(scratch);
  netLockIdSet(w);
  tpArgsSet(area + WK_TP_ARGS);
  linkKeysSet(area + WK_LINK_KEYS);
  napiHostBufSet(area + WK_HOST_BUF);
  devGenLenSet(area + WK_CONTROL + 32);
  devTxBulkSet(area + WK_TXB);
  netdevPendBufSet(area + WK_PEND_BUF);
  napiRedirBufSet(area + WK_REDIR_BUF);
  frameCacheSet(w, area + WK_FRAME_CACHE);
  memory.fill(area + WK_MIB, 0, WK_SIZE - WK_MIB);
  netCountersSet(area + WK_MIB, area + WK_DROPS);
  cpumapWorkersSet(n);
  net_worker_online(w);
}

/** Worker `w` stops reading tables (before it exits). */
export function worker_exit(w: u32): void {
  net_worker_offline(w);
  frameCacheDrain();
}

/**
 * One NAPI round of worker `w` of `n`: queue k of every device when k mod n == w, each up to `budget`
 * frames (0: NAPI_BUDGET), then a quiescent point. Returns the frames processed.
 */
export function dp_poll_worker(budget: u32, w: u32, n: u32): u32 {
  const b = budget == 0 ? NAPI_BUDGET : budget;
  // frames other workers redirected to this one's cpumap entries first, as the kthread would run them
  let total: u32 = cpumap_poll(w, b);
  for (let i: u32 = 1; i < MAX_DEVICES; i++) {
    const dev = load<u32>(DP_DEVS + (i << 2));
    if (dev == 0) continue;
    const nq = load<u32>(dev, DEV_NQUEUES);
    for (let k: u32 = w; k < nq; k += n) total += napi_poll(dev, k, b);
  }
  net_quiescent(w);
  return total;
}

// The control plane frees the cpumap queues workers have let go of (src/control/workers.ts), and marks
// the queued frames of a device it removes (src/control/datapath.ts removeDevice).
export { cpumap_forget_device, cpumap_free_all, cpumap_reclaim } from './maps/cpumap';
