// The NAPI poll: for one device queue, up to `budget` descriptors from the RX ring run through the
// attached XDP program and go where its verdict says. The program is JIT'd into another module; it is
// reached through the shared funcref table (call_indirect on the slot of its `run`), one slot read per
// burst, so a program replaced between bursts is seen whole or not at all.
//
// Per frame: xdp_setup (the BPF_PROG_TEST_RUN layout, assembly/xdp.ts) on the frame in UMEM, the
// program, then the descriptor follows data/data_end/data_meta (adjust_head/meta/tail act in place):
//   XDP_DROP      frame back to the fill ring
//   XDP_PASS      the stack (net/eth.ts) when the device is one of its links and up — gathered and
//                 handed over a burst at a time at the end of the poll (stack_rx_burst), as
//                 netif_receive_skb_list does — else the device's host ring (TypeScript reads it)
//   XDP_TX        this device's TX ring, same queue            (device.ts transmit; a worker's poll
//                 queues the frames it transmits and pushes them a bulk at a time: device.ts xmit)
//   XDP_REDIRECT  bpf_redirect: another device's TX ring; devmap/devmap_hash: the entry's device, after
//                 the entry's own program if it has one (egress_ifindex set; anything but XDP_PASS
//                 drops), BPF_F_BROADCAST: a copy to each entry's; xskmap: the bound socket's RX ring
//                 (xsk.ts); cpumap: the entry's queue, drained by its worker (cpumap_poll: the entry's
//                 program, then the host path); one thread: that at once on this CPU
//   XDP_ABORTED and anything else: counted, a trace event, dropped
// Every drop is counted with its reason on the queue. Nothing allocates, nothing throws.

import {
  CTX_BASE, CTX_DATA, CTX_DATA_END, RUN_BASE, CTX_DATA_META, CTX_EGRESS_IFINDEX, CTX_REDIRECT_FLAGS, CTX_REDIRECT_IFINDEX,
  CTX_REDIRECT_MAP, DEV_HOST_RING, DEV_PEER, DEV_IFINDEX, DEV_NQUEUES, DEV_PROG, DP_TRACE, DROP_DEVMAP_PROG,
  DROP_HOST_RING_FULL, DROP_REDIRECT_NO_DEVICE, DROP_REDIRECT_UNSUPPORTED, DROP_XDP_ABORTED, DROP_XDP_DROP,
  DROP_XSK_INVALID, FRAME_SIZE, MAP_ID, MAP_TYPE, MAP_VALUE_SIZE, MAX_DEVICES, NAPI_BUDGET, QSTAT_RX_BYTES,
  QSTAT_RX_PACKETS, QSTAT_XDP_ABORTED, QSTAT_XDP_DROP, QSTAT_XDP_INVALID, QSTAT_XDP_PASS, QSTAT_XDP_REDIRECT,
  QSTAT_XDP_TX, QSTAT_DROP_BASE, Q_RX, RING_CONSUMER, RING_MASK, RING_PRODUCER, TRACE_EVENT_SIZE, TRACE_SLOTS, XDP_DROP, XDP_PASS, XDP_REDIRECT, XDP_TX,
  DP_DEVS, DEV_BURST, MAP_DATA, MAP_MAX_ENTRIES, DROP_NO_BUFFER, DP_BURST, BURST_MAX, BURST_RECORD_SIZE, Q_OWNER, RING_ENTRIES, DESC_SIZE,
} from './abi';
import { copyBytes } from './bytes';
import { count, countDrop, devLookup, devQueue, OPT_META_MASK, queueRefill, recycle, recycleBatchBegin, recycleBatchEnd, transmitBurst, transmitRecords, txBulkBegin, txBulkEnd, xmit } from './device';
import { devmapHashLookupIdx, devmapLookupIdx } from './maps/devmap';
import { fdArrayLookupIdx } from './maps/fd_array';
import { CPUMAP_QUEUES, CQ_CONS, CQ_MAP, CQ_CPU, CQ_DRAINED, CQ_ENTRIES, CQ_ENTRY_SIZE, CQ_MASK, CQ_NEXT, CQ_PROD, CQ_PROG, cpumapEnqueue, cpumapLookupIdx, cpumapWorkers } from './maps/cpumap';
import { BPF_F_BROADCAST, BPF_F_EXCLUDE_INGRESS, BPF_MAP_TYPE_CPUMAP, BPF_MAP_TYPE_DEVMAP, BPF_MAP_TYPE_DEVMAP_HASH, BPF_MAP_TYPE_XSKMAP } from './maps/uapi';
import { ringConsumerAcquire, ringEntry, ringPeek, ringProducerLock, ringProducerRelease, ringProducerUnlock, ringPushDescShared, ringRelease } from './ring';
import { xdp_setup, xdpSetupAt } from './xdp';
import { xskDeliver } from './xsk';
import { frameAlloc, frameFree } from './umem';
import { netdevGet, netScratch } from './net/core';
import { netLockId } from './net/lock';
import { IFF_UP, ND_FLAGS, SCR_NAPI_SLOTS } from './net/abi';
import { stack_rx_burst, stackBurstBuf } from './net/eth';
import { fib4PrefetchDirAddr, fib4PrefetchDirAddrs, fib4PrefetchDirWord, fib4PrefetchDsts } from './net/fib_prefetch';
import { fibAnswersCommit, fibAnswersFrame, fibAnswersHits, fibAnswersVoid, fibAnswersWalk, fibHelperBurst, fibHelperBurstEnd, fibHelperCalls, fibHelperSlot } from './net/fib_helper';
import {
  tpBulkOn, tpCpumapFrame, tpCpumapKthread, tpDevmapFrame, tpFlush, tpOn, tpXdpException, tpXdpRedirect, tpXdpTxFrame, TP_XDP_BULK_TX, TP_XDP_EXCEPTION,
  TP_XDP_REDIRECT, TP_XDP_REDIRECT_ERR,
} from './tracepoints';

/**
 * Per ifindex: the device's program called bpf_fib_lookup in its last burst, so the FIB is warmed for
 * the next burst's IPv4 destinations before the program runs (fib_prefetch.ts: the lookups' memory
 * loaded for all frames at once instead of one dependent miss after another per frame). A hint only:
 * what the program sees is the same either way.
 */
const fibWarm = memory.data(MAX_DEVICES);

// Where the XDP router's frame goes on 1M prefixes (12-07, sp54r: perf cpu-clock 15 s over bench
// forward's rounds, load ~7, data path 48.7 ns a frame, ~0.93 ns per % of the samples): the JIT'd
// xdp_burst 15.7 % (~14.6 ns: set-up, parse, struct, inline lookup, count, TTL, MACs, redirect),
// fib4PrefetchWalk 9.0 % (~8.4 ns, three quarters of it the direct-entry load loop waiting on its misses),
// fibAnswersWalk 5.3 % (~5.0), napi_poll 5.2 % (~4.8, nearly half on its entry: the first stack stores and
// the queue's loads), warmRing 4.7 % (~4.4), queueRefill 3.7 % (~3.5), redirectWhole + transmitRecords
// 4.7 % (~4.4), framesFreeFrom 1.5 %. No helper call: the lookups are all inline (bpf_fib_lookup,
// ipv4Lean and fib4_burst_direct have no samples). On 10k prefixes (same run, data path ~46 ns) the walk
// is still 8.0 % (43 % of it the load loop): the LPM's misses cost the 1M table ~3-5 ns a frame, and the
// rest of the frame is fixed work, about as much on either table. bench fib's 'wxdp bpf_fib_lookup' row
// (53 ns a lookup on dpdk-1M) pays what the router does not: a helper call per destination with the
// DIRECT flags (ipv4Lean 23 % of its samples, fib4_burst_direct 20 %, its own loop and struct 17 %, the
// helper's entry 5 %; the walk 31 %).
// Again on 12-07 (spr57: perf cpu-clock 15 s over the rounds of one process, xdp router 1M, load 16-25,
// whole round ~75 ns, ~0.75 ns per %): the generator 29 % and rxPost 6.7 % (the harness), xdp_burst 20 %
// (~15 ns; a fifth of it on the frame's first header loads), fib4PrefetchWalk 16.5 % (~12 ns, 81 % of it
// the direct-entry loads), warmRing 6.1 % (a third on the header's first load), fibAnswersWalk 6.1 %,
// transmitRecords 3.4 % (a third on the TX descriptor's stores), redirectWhole 2.6 %, framesFreeFrom 1.6 %,
// queueRefill 1.2 %, napi_poll 0.8 %. In the same harness a 10k table's round was only ~5 ns shorter
// (69-71 vs 74-75 ns). Per burst, not per frame: rounds of 16 frames 80-82 ns a frame against 69-71 for 64
// (10k, load 23), ~235 ns a round fixed, of which the five empty JavaScript calls are 41.5 ns (timed alone):
// ~2.8 ns a frame of the data path's at 64. Tried the same day, one process, the variants switched per
// 0.4-s round, rounds alternated, paired medians of the whole round at load 21-26 (the spread of an A/A
// pair ±0.3 ns): redirectWhole's check loop and its bytes loop as one loop (the checks or-ed, one return
// after it) +0.31 ns (9/20 rounds faster); that and txRun's descriptor length and options as one u64 store
// +0.27 (9/20), +0.21 (11/30); both with fib_prefetch.ts's direct-entry loop unrolled by eight -0.59
// (13/20), -0.35 (23/30), -0.11 (18/30): none shown to pay, not kept. Nor V8's
// --experimental-wasm-inlining (off in Node 20): 10k, three pairs of alternated processes, medians 69.3 /
// 69.7, 70.3 / 70.2, 70.9 / 70.1 ns (without / with).

/**
 * Warm the FIB for the untagged IPv4 destinations of rx ring entries c .. c + k - 1 (k ≤ BURST_MAX),
 * then tell the helper the burst's walk is there (fibHelperBurst; each frame's slot: warmSlot), the
 * walk answering the common lookup for each of them ahead (fibAnswersWalk, for frames from
 * `ifindex`): both dispatches name each frame's slot, the per-frame one here, a program's burst loop
 * by reading warmSlots (napi_warm_slots; src/jit/emit.ts addBurst).
 *
 * perf annotate (12-07, xdp router 1M, after rt50's ROUTE_MEMO change, load ~8): 15 % of this function's
 * samples wait on the first load of a frame's Ethernet header (its type), 7 % of the JIT'd burst loop's
 * on its own first touch of the frame. Every frame starts FRAME_SIZE-aligned with the same headroom, so
 * the 64 header lines of a burst share one L1 set (12 ways) and each pass over the burst (generator,
 * this walk, the program, the transmit) finds them in L2. Spreading them measured even (12-07, rt51,
 * measurement hack not kept: rxPost put each frame's data ((frame >> 12) & 15) * 64 bytes further, 16
 * sets instead of one, toggled per round in one process, xdp router 1M, load 19-22, 20 rounds each:
 * whole round 0.969x (13/20 faster), then 1.019x (8/20)) — and a real offset would have to keep the
 * kernel's headroom and frame_sz as programs see them (bpf_xdp_adjust_head / _tail limits).
 */
function warmRing(rx: u32, c: u32, k: u32, ifindex: u32): void {
  const d = fib4PrefetchDsts();
  // the ring's geometry read once (ringEntry re-reads it for every entry)
  const ents = load<u32>(rx, RING_ENTRIES);
  const mask = load<u32>(rx, RING_MASK);
  // each destination's direct entry address too, with the direct table the last walk read (the walk
  // checks it is still main's)
  const dw = fib4PrefetchDirWord();
  const ws = warmSlots();
  let m: u32 = 0;
  for (let j: u32 = 0; j < k; j++) {
    const e = ents + ((c + j) & mask) * DESC_SIZE;
    const data = <u32>load<u64>(e);
    const len = load<u32>(e, 8);
    if (len >= 34 && load<u16>(data, 12) == 0x0008) {
      const dst = load<u32>(data, 30);
      store<u32>(d + (m << 2), dst);
      if (dw != 0) fib4PrefetchDirAddr(dw, m, dst);
      fibAnswersFrame(m, data, len);
      store<i8>(ws + j, <i8>m);
      m++;
    } else store<i8>(ws + j, -1);
  }
  fib4PrefetchDirAddrs(dw);
  fibAnswersWalk(ifindex, m);
  fibHelperBurst();
  fibAnswersCommit();
}
// Not done: loading the NEXT burst's direct entries (frames the producer had published past this
// burst, read-only) before this burst's program ran, or right after it, so that their misses would
// land during its work. Both slower (12-06, xdp router 1M, the bench's ring kept one burst ahead,
// in-process toggle, 8 alternated rounds, load 18-19: 1.047x and 1.051x, slower in 8/8 each): wasm
// has no prefetch, so a plain load that misses stops retirement once the reorder window behind it is
// full (~320 µops, a few ns of the program's work), and the walk's one tight loop already keeps the
// most misses in flight; the second read of each frame's header added its own.

/**
 * The slot warmRing gave each frame of its burst (i8 by the frame's place in the burst, -1: none): the
 * per-frame dispatch reads it here rather than from the frame's header again — a UMEM frame's header
 * lines share one L1 set with every other frame's (frames are FRAME_SIZE apart), so after the burst's
 * walk that read was an L2 access on the frame's critical path.
 */
@inline function warmSlots(): u32 {
  return netScratch() + SCR_NAPI_SLOTS; // per worker: every worker warms its own bursts
}

/** warmSlots' address on this thread: a program's burst loop reads each frame's slot there (src/jit/emit.ts addBurst). */
export function napi_warm_slots(): u32 {
  return warmSlots();
}

/**
 * Frame headers loaded one frame ahead of the program (their sum kept here): the next frame's header
 * line, evicted from L1 by the burst's other frames (see warmSlots), arrives while this one runs
 * (wasm has no prefetch instruction). Two frames ahead, or none, measured the same on 12-05 (xdp
 * router, 10k prefixes: +0.2 and +0.3 ns a frame, within the ±0.6 two copies of one build differ by;
 * interleaved, load 13-15). Nor did warmRing reading the burst's headers last frame first (the NIC's
 * last frames still in L1, its first left there for the program): -0.1 and +0.3 ns. Nor the load
 * placed after the program's call, before the verdict (its miss overlapping the verdict's work): -3.8,
 * +1.5 and +0.4 ns in three interleaved A/Bs of 8-12 rounds (12-06, load 12-18).
 */
let headSink: u32 = 0;

/** Frames of the burst in flight bound for the stack (at stackBurstBuf()), handed over a burst at a time. */
let stackN: u32 = 0;

/** The frames gathered for the stack go in (stack_rx_burst warms the FIB for them first). */
function stackFlush(ifindex: u32, q: u32, qi: u32): void {
  redirSettle(); // the frames redirected before these go out first
  fibAnswersVoid(); // the stack may change a neighbour or learn a PMTU the answers were made from
  const n = stackN;
  stackN = 0;
  stack_rx_burst(ifindex, q, qi, n);
}

/**
 * Attach (slot > 0), replace or detach (0) the program of a device: `slot` is its `run`, `burst` its
 * xdp_burst (0: none, call `run` per frame). A poll reads the burst slot once, the run slot once, so a
 * burst runs wholly under one program.
 */
export function dev_attach(dev: u32, slot: u32, burst: u32): void {
  // Aligned u32 stores are atomic in wasm; a poll never sees a torn slot.
  store<u32>(dev + DEV_BURST, 0);
  store<u32>(dev + DEV_PROG, slot);
  store<u32>(dev + DEV_BURST, burst);
}

function trace(ifindex: u32, qi: u32, act: u32, slot: u32): void {
  const w = load<u32>(DP_TRACE);
  const e = DP_TRACE + 4 + (w & (TRACE_SLOTS - 1)) * TRACE_EVENT_SIZE;
  store<u32>(e, ifindex);
  store<u32>(e, qi, 4);
  store<u32>(e, act, 8);
  store<u32>(e, slot, 12);
  store<u32>(DP_TRACE, w + 1);
}

@inline function runProg(slot: u32): u32 {
  return <u32>call_indirect<u64>(slot, <u64>CTX_BASE, <u64>0, <u64>0, <u64>0, <u64>0);
}

/**
 * To devmap entry `v` (struct bpf_devmap_val: ifindex, program slot): the entry's program first if it
 * has one (dev_map_bpf_prog_run: egress_ifindex set, anything but XDP_PASS drops), then the device.
 */
function toDevmapEntry(q: u32, dev: u32, qi: u32, map: u32, v: u32, data: u32, len: u32, meta: u32, opts: u32): void {
  const tif = load<u32>(v);
  const tdev = devLookup(tif);
  if (tdev == 0) {
    recycle(q, data);
    countDrop(q, DROP_REDIRECT_NO_DEVICE);
    return;
  }
  const prog: u32 = load<u32>(map, MAP_VALUE_SIZE) == 8 ? load<u32>(v, 4) : 0;
  if (prog != 0) {
    const hard = data & ~(FRAME_SIZE - 1);
    xdp_setup(hard, FRAME_SIZE, data - hard, len, meta, load<u32>(dev, DEV_IFINDEX), qi, 0);
    store<u32>(CTX_BASE + CTX_EGRESS_IFINDEX, tif);
    const act = runProg(prog);
    data = load<u32>(CTX_BASE + CTX_DATA);
    len = load<u32>(CTX_BASE + CTX_DATA_END) - data;
    meta = data - load<u32>(CTX_BASE + CTX_DATA_META);
    if (act != XDP_PASS) {
      recycle(q, data);
      countDrop(q, DROP_DEVMAP_PROG);
      if (tpBulkOn()) tpDevmapFrame(dev, tdev, false);
      return;
    }
  }
  const sent = xmit(q, tdev, qi, data, len, opts | meta, 0);
  if (tpBulkOn()) tpDevmapFrame(dev, tdev, sent);
}

/** A copy of the frame (and its metadata) in a frame from the pool, at the same headroom; 0 when none is free. */
function cloneFrame(data: u32, len: u32, meta: u32): u32 {
  const f = frameAlloc();
  if (f == 0) return 0;
  const nd = f + (data & (FRAME_SIZE - 1));
  copyBytes(nd - meta, data - meta, len + meta);
  return nd;
}

@inline function broadcastTo(q: u32, dev: u32, qi: u32, map: u32, v: u32, data: u32, len: u32, meta: u32, opts: u32, excludeIf: u32): void {
  const tif = load<u32>(v);
  if (tif == excludeIf || devLookup(tif) == 0) return;
  const c = cloneFrame(data, len, meta);
  if (c == 0) {
    countDrop(q, DROP_NO_BUFFER);
    return;
  }
  toDevmapEntry(q, dev, qi, map, v, c, len, meta, opts);
}

/**
 * BPF_F_BROADCAST (dev_map_enqueue_multi): a copy to every entry's device, the ingress device left out
 * with BPF_F_EXCLUDE_INGRESS; entries without a device are skipped. The original frame is then done.
 */
function broadcast(q: u32, dev: u32, qi: u32, map: u32, data: u32, len: u32, meta: u32, opts: u32): void {
  const exclude = (load<u64>(CTX_BASE + CTX_REDIRECT_FLAGS) & BPF_F_EXCLUDE_INGRESS) != 0 ? load<u32>(dev, DEV_IFINDEX) : 0;
  if (load<u32>(map, MAP_TYPE) == BPF_MAP_TYPE_DEVMAP) {
    const max = load<u32>(map, MAP_MAX_ENTRIES);
    for (let i: u32 = 0; i < max; i++) {
      const v = devmapLookupIdx(map, i);
      if (v != 0) broadcastTo(q, dev, qi, map, v, data, len, meta, opts, exclude);
    }
  } else {
    // devmap_hash: every chain (assembly/maps/devmap.ts: mask at +32, elements | next | key | value |)
    const mask = load<u32>(map, 32);
    const buckets = load<u32>(map, MAP_DATA);
    for (let i: u32 = 0; i <= mask; i++) {
      for (let e = load<u32>(buckets + (i << 2)); e != 0; e = load<u32>(e)) broadcastTo(q, dev, qi, map, e + 8, data, len, meta, opts, exclude);
    }
  }
  recycle(q, data);
}

/** XDP_REDIRECT: where the helper pointed the frame (the CTX_REDIRECT_* fields). Returns 0 or -errno. */
function redirectTo(q: u32, dev: u32, qi: u32, data: u32, len: u32, meta: u32, opts: u32): i32 {
  const map = load<u32>(CTX_BASE + CTX_REDIRECT_MAP);
  const key = load<u32>(CTX_BASE + CTX_REDIRECT_IFINDEX);
  if (map == 0) {
    const tdev = devLookup(key);
    if (tdev == 0) {
      recycle(q, data);
      countDrop(q, DROP_REDIRECT_NO_DEVICE);
      return -EINVAL;
    }
    const sent = xmit(q, tdev, qi, data, len, opts | meta, 0);
    if (tpBulkOn()) tpDevmapFrame(dev, tdev, sent);
    return 0;
  }
  const type = load<u32>(map, MAP_TYPE);
  if (type == BPF_MAP_TYPE_XSKMAP) {
    const s = fdArrayLookupIdx(map, key);
    if (s == 0) {
      recycle(q, data);
      countDrop(q, DROP_XSK_INVALID);
      return -EINVAL;
    }
    xskDeliver(q, load<u32>(s), load<u32>(dev, DEV_IFINDEX), qi, data, len);
    return 0;
  }
  if (type == BPF_MAP_TYPE_CPUMAP) {
    const c = cpumapLookupIdx(map, key);
    if (c == 0) {
      recycle(q, data);
      countDrop(q, DROP_REDIRECT_NO_DEVICE);
      return -EINVAL;
    }
    toCpumapEntry(q, dev, qi, map, key, c, data, len, meta, opts);
    return 0;
  }
  if (type != BPF_MAP_TYPE_DEVMAP && type != BPF_MAP_TYPE_DEVMAP_HASH) {
    // anything else bpf_redirect_map accepts but this data path has no target for
    recycle(q, data);
    countDrop(q, DROP_REDIRECT_UNSUPPORTED);
    return -EBADRQC;
  }
  if ((load<u64>(CTX_BASE + CTX_REDIRECT_FLAGS) & BPF_F_BROADCAST) != 0) {
    broadcast(q, dev, qi, map, data, len, meta, opts);
    return 0;
  }
  const v = type == BPF_MAP_TYPE_DEVMAP ? devmapLookupIdx(map, key) : devmapHashLookupIdx(map, key);
  if (v == 0) {
    recycle(q, data);
    countDrop(q, DROP_REDIRECT_NO_DEVICE);
    return -EINVAL;
  }
  toDevmapEntry(q, dev, qi, map, v, data, len, meta, opts);
  return 0;
}

const EINVAL: i32 = 22;
const EBADRQC: i32 = 56;

// bpf_redirect to a device's own TX ring: the frames of a poll that go
// to one TX queue in a row are gathered and handed to transmitBurst together — its checks, ring entries,
// counters and drops those of as many transmit calls in a row, with the ring's producer index and the
// queue's counters written once (the stack's lean forward sends its frames the same way, netdev.ts).
// Whatever else the poll does with a frame sends the gathered ones first (redirFlush), so frames reach
// every ring in the order they had; a poll ends with none gathered. Not with metadata (a TX descriptor
// carries its length: transmit), a veth peer, or the tracepoints that report each frame's transmit.
// (The shared build's polls bulk their other transmits, device.ts xmit: transmitBurst sends those first.)
// Per instance: the main thread's is a static, a worker's lies in its own area (worker_init).
export const REDIR_BUF_SIZE: u32 = BURST_MAX * 8;
let redirBuf: u32 = <u32>memory.data(REDIR_BUF_SIZE, 8);
let redirN: u32 = 0;
let redirDev: u32 = 0;
let redirKey: u32 = 0; // the ifindex redirDev is
let redirQ: u32 = 0;
let redirQi: u32 = 0;

/** worker_init: this instance's gathered redirects move to `a` (REDIR_BUF_SIZE bytes of its own area). */
export function napiRedirBufSet(a: u32): void {
  redirBuf = a;
}

/** The gathered redirects onto their TX ring. */
function redirFlush(): void {
  const n = redirN;
  redirN = 0;
  transmitBurst(redirQ, redirDev, redirQi, redirBuf, n);
}

/** Send what redirect gathered, before anything else is done with a frame of the poll. */
@inline function redirSettle(): void {
  if (redirN != 0) redirFlush();
}

/** Whether a bpf_redirect may be gathered (no tracepoint reports it): a poll checks it once. */
@inline function redirGatherOn(): bool {
  return !tpOn(TP_XDP_REDIRECT) && !tpBulkOn();
}

/** Ring device `key` when frames redirected to it may be sent in bulk (it exists and has no veth peer), else 0. */
@inline function gatherTarget(key: u32): u32 {
  const tdev = devLookup(key);
  return tdev != 0 && load<u32>(tdev, DEV_PEER) == 0 ? tdev : 0;
}

/**
 * bpf_redirect (no map) of a frame with no metadata to device `key`, when redirGatherOn: gathered for
 * transmitBurst. False (nothing done): a device that is missing or has a veth peer, for redirect.
 */
@inline function redirGather(q: u32, qi: u32, data: u32, len: u32, key: u32): bool {
  // the run gathered so far goes to `key` from this queue: its device was found for the run's first frame
  if (redirN == 0 || key != redirKey || q != redirQ || qi != redirQi) {
    const tdev = gatherTarget(key);
    if (tdev == 0) return false;
    if (redirN != 0) redirFlush();
    redirDev = tdev;
    redirKey = key;
    redirQ = q;
    redirQi = qi;
  }
  const b = redirBuf + (redirN << 3);
  store<u32>(b, data);
  store<u32>(b, len, 4);
  if (++redirN == BURST_MAX) redirFlush();
  return true;
}

/**
 * A burst of `k` frames (RX ring entries c ..) whose records all say bpf_redirect to one device with no
 * metadata, which redirGather would gather one by one: onto the device's ring in one transmitRecords,
 * from the records themselves, after what the poll gathered before. Returns the frames' RX bytes, or -1
 * (nothing done: the records are acted on one by one) for any other burst or a device that is missing
 * or has a veth peer. Exported so that it is not inlined into napi_poll (as it was: XDP_DROP 8.6 -> 9.4 ns).
 * Nor are its two loops worth folding into the program's burst loop (12-08, spr58: src/jit/emit.ts
 * addBurst, for a program that calls bpf_redirect, or-ing each record's verdict ^ XDP_REDIRECT, data_meta
 * ^ data, target ^ the first frame's and map into a word and summing the RX lengths, both left before
 * DP_BURST for this poll to take instead of the loops; the two programs attached in alternated windows
 * of rounds, load 15-17): xdp router 10k, 10th percentile of the whole round 77.13 -> 77.86 ns (faster in
 * 292/600 windows); 1M, on top of the ctx stores addBurst notes, 75.18 -> 75.70 (649/1500) where those
 * alone were 0.67 ns faster — the loop's extra loads and ors a frame cost more than the two loops here.
 */
export function redirectWhole(q: u32, qi: u32, ents: u32, mask: u32, c: u32, k: u32): i64 {
  const key = load<u32>(DP_BURST, 16);
  for (let j: u32 = 0; j < k; j++) {
    const r = DP_BURST + j * BURST_RECORD_SIZE;
    if ((load<u32>(r) ^ XDP_REDIRECT) | (load<u32>(r, 12) ^ load<u32>(r, 4)) | (load<u32>(r, 16) ^ key) | load<u32>(r, 20)) return -1;
  }
  const tdev = gatherTarget(key);
  if (tdev == 0) return -1;
  let bytes: u64 = 0;
  for (let j: u32 = 0; j < k; j++) bytes += load<u32>(ents + ((c + j) & mask) * DESC_SIZE, 8);
  redirSettle();
  transmitRecords(q, tdev, qi, DP_BURST, k);
  return <i64>bytes;
}

/**
 * A burst of `k` frames (RX ring entries c ..) whose records all say XDP_TX with no metadata, on a device
 * without a veth peer, which verdict would xmit one by one: onto the device's own TX ring in one
 * transmitRecords (the same checks, entries, counters and drops), after what the poll gathered
 * before. Returns the frames' RX bytes, or -1 (nothing done: the records are acted on one by one).
 * Only when redirGatherOn (no bulk tracepoint reports each frame's transmit). Measured 12-07 on the
 * xdp_lb row (bench datapath, 64 B, XDP_TX, pktgen refill in the figure; in-process toggle, alternated
 * 1-s rounds, thread CPU time, load 9-11): 124.0 -> 93.8 ns (8/8 rounds), 94.5 -> 87.2 (6/8),
 * 100.9 -> 88.3 (7/10); two builds alternated (4 pairs, 6 windows each, load 5): 111.4 -> 100.8 (4/4).
 * The router rows never reach it (their bursts are XDP_REDIRECT): 10k 89.2 -> 80.5 ns, noise.
 */
export function txWhole(q: u32, dev: u32, qi: u32, ents: u32, mask: u32, c: u32, k: u32): i64 {
  if (load<u32>(dev, DEV_PEER) != 0) return -1;
  for (let j: u32 = 0; j < k; j++) {
    const r = DP_BURST + j * BURST_RECORD_SIZE;
    if ((load<u32>(r) ^ XDP_TX) | (load<u32>(r, 12) ^ load<u32>(r, 4))) return -1;
  }
  let bytes: u64 = 0;
  for (let j: u32 = 0; j < k; j++) bytes += load<u32>(ents + ((c + j) & mask) * DESC_SIZE, 8);
  redirSettle();
  count(q, QSTAT_XDP_TX, k);
  transmitRecords(q, dev, qi, DP_BURST, k);
  return <i64>bytes;
}

/**
 * XDP_REDIRECT, then the tracepoint xdp_do_redirect raises: xdp_redirect once the frame is handed on,
 * xdp_redirect_err with the error when it is dropped (missing target: -EINVAL; a map type without a
 * target here: -EBADRQC, as the kernel's default case).
 */
function redirect(q: u32, dev: u32, qi: u32, data: u32, len: u32, meta: u32, opts: u32): i32 {
  if (meta == 0 && redirGatherOn() && load<u32>(CTX_BASE + CTX_REDIRECT_MAP) == 0 && redirGather(q, qi, data, len, load<u32>(CTX_BASE + CTX_REDIRECT_IFINDEX))) return 0;
  return redirectNow(q, dev, qi, data, len, meta, opts);
}

/** redirect without gathering: what was gathered goes first, then the frame to its target. */
function redirectNow(q: u32, dev: u32, qi: u32, data: u32, len: u32, meta: u32, opts: u32): i32 {
  const map = load<u32>(CTX_BASE + CTX_REDIRECT_MAP);
  const key = load<u32>(CTX_BASE + CTX_REDIRECT_IFINDEX);
  redirSettle();
  const err = redirectTo(q, dev, qi, data, len, meta, opts);
  if (tpOn(err < 0 ? TP_XDP_REDIRECT_ERR : TP_XDP_REDIRECT)) tpXdpRedirect(dev, load<u32>(dev + DEV_PROG), err < 0 ? 0 : redirectTarget(map, key), err, map, map == 0 ? 0 : load<u32>(map, MAP_TYPE), map == 0 ? 0 : load<u32>(map, MAP_ID), key);
  return err;
}

/**
 * The tracepoint's `tgt` of a redirect that was handed on (ri->tgt_value): NULL for bpf_redirect and a
 * broadcast, else the map's entry — here the target device's record for a devmap (so the classic
 * record's to_ifindex reads it), the cpumap entry, the AF_XDP socket.
 */
function redirectTarget(map: u32, key: u32): u32 {
  if (map == 0 || (load<u64>(CTX_BASE + CTX_REDIRECT_FLAGS) & BPF_F_BROADCAST) != 0) return 0;
  const type = load<u32>(map, MAP_TYPE);
  if (type == BPF_MAP_TYPE_XSKMAP) return fdArrayLookupIdx(map, key);
  if (type == BPF_MAP_TYPE_CPUMAP) return cpumapLookupIdx(map, key);
  if (type != BPF_MAP_TYPE_DEVMAP && type != BPF_MAP_TYPE_DEVMAP_HASH) return 0;
  const v = type == BPF_MAP_TYPE_DEVMAP ? devmapLookupIdx(map, key) : devmapHashLookupIdx(map, key);
  return v == 0 ? 0 : devLookup(load<u32>(v));
}

/** Whether ring device `ifindex` is one of the stack's links and up: what XDP_PASS hands the stack (toHost). */
@inline function stackUp(ifindex: u32): bool {
  const nd = netdevGet(ifindex);
  return nd != 0 && (load<u32>(nd, ND_FLAGS) & IFF_UP) != 0;
}

/**
 * XDP_PASS: a device the stack knows and that is up: into the stack (net/eth.ts). Otherwise the host
 * ring, for TypeScript to read.
 */
@inline function toHost(q: u32, dev: u32, qi: u32, ifindex: u32, data: u32, len: u32, meta: u32, gather: bool): void {
  const nd = netdevGet(ifindex);
  if (nd != 0 && (load<u32>(nd, ND_FLAGS) & IFF_UP) != 0) {
    const b = stackBurstBuf() + (stackN << 3);
    store<u32>(b, data);
    store<u32>(b, len, 4);
    if (++stackN == BURST_MAX) stackFlush(ifindex, q, qi);
  } else if (gather) {
    const h = hostBuf + (hostN << 4);
    store<u32>(h, data);
    store<u32>(h, len, 4);
    store<u32>(h, meta, 8);
    hostQ = q;
    hostDev = dev;
    if (++hostN == BURST_MAX) hostFlush();
  } else {
    if (hostN != 0) hostFlush(); // what the poll gathered goes first
    if (!ringPushDescShared(load<u32>(dev, DEV_HOST_RING), <u64>data, len, meta)) {
      recycle(q, data);
      countDrop(q, DROP_HOST_RING_FULL);
    }
  }
}

// The frames a poll passes to a device's host ring (no stack on the device): gathered, then pushed in
// one hold of the ring's producer lock and published with one store — per poll, not per frame (the
// ring has several producers: every worker's queues of the device). Per instance: the main thread's
// buffer is a static, a worker's lies in its own area (worker_init).
const HOST_ENTRY: u32 = 16;
export const HOST_BUF_SIZE: u32 = BURST_MAX * HOST_ENTRY;
let hostBuf: u32 = <u32>memory.data(HOST_BUF_SIZE, 16);
let hostN: u32 = 0;
let hostQ: u32 = 0;
let hostDev: u32 = 0;

/** worker_init: this instance's host-ring gathering moves to `a` (HOST_BUF_SIZE bytes of its own area). */
export function napiHostBufSet(a: u32): void {
  hostBuf = a;
}

/** The gathered frames onto the host ring; those it has no room for back to their queue, counted. */
function hostFlush(): void {
  const n = hostN;
  hostN = 0;
  const r = load<u32>(hostDev, DEV_HOST_RING);
  ringProducerLock(r);
  const p = load<u32>(r, RING_PRODUCER);
  const k = min(n, load<u32>(r, RING_MASK) + 1 - (p - ringConsumerAcquire(r)));
  for (let i: u32 = 0; i < k; i++) {
    const h = hostBuf + (i << 4);
    const e = ringEntry(r, p + i);
    store<u64>(e, <u64>load<u32>(h));
    store<u32>(e, load<u32>(h, 4), 8);
    store<u32>(e, load<u32>(h, 8), 12);
  }
  if (k != 0) ringProducerRelease(r, p + k);
  ringProducerUnlock(r);
  for (let i = k; i < n; i++) {
    recycle(hostQ, load<u32>(hostBuf + (i << 4)));
    countDrop(hostQ, DROP_HOST_RING_FULL);
  }
}

/**
 * To cpumap entry `v` (struct bpf_cpumap_val: qsize, program slot). Workers: onto the entry's queue for
 * its worker (cpumap.ts cpumapEnqueue; a full queue returns the frame here). One thread: the "remote
 * CPU" is this one, and the frame runs at once as cpumap_poll would run it.
 */
function toCpumapEntry(q: u32, dev: u32, qi: u32, map: u32, key: u32, v: u32, data: u32, len: u32, meta: u32, opts: u32): void {
  if (ASC_FEATURE_THREADS && cpumapWorkers != 0) {
    const queued = cpumapEnqueue(v, data, len, meta, load<u32>(dev, DEV_IFINDEX));
    if (!queued) recycle(q, data);
    if (tpBulkOn()) tpCpumapFrame(map, key, queued ? 3 : 4);
    return;
  }
  const outcome = cpumapRun(q, dev, qi, load<u32>(map, MAP_VALUE_SIZE) == 8 ? load<u32>(v, 4) : 0, data, len, meta, opts);
  if (tpBulkOn()) tpCpumapFrame(map, key, outcome);
}

/**
 * The CPU side of a cpumap entry: its program if it has one (cpu_map_bpf_prog_run_xdp: the frame's
 * ingress device, rx_queue_index 0), then XDP_PASS goes to the host path as the kthread's skb would,
 * XDP_REDIRECT where the program pointed it (not another cpumap), anything else is dropped. Returns
 * which of those it was (CPUMAP_PASS / _DROP / _REDIRECT).
 */
function cpumapRun(q: u32, dev: u32, qi: u32, prog: u32, data: u32, len: u32, meta: u32, opts: u32): u32 {
  const ifindex = load<u32>(dev, DEV_IFINDEX);
  if (prog != 0) {
    const hard = data & ~(FRAME_SIZE - 1);
    xdp_setup(hard, FRAME_SIZE, data - hard, len, meta, ifindex, 0, 0);
    const act = runProg(prog);
    data = load<u32>(CTX_BASE + CTX_DATA);
    len = load<u32>(CTX_BASE + CTX_DATA_END) - data;
    meta = data - load<u32>(CTX_BASE + CTX_DATA_META);
    if (act == XDP_REDIRECT) {
      const to = load<u32>(CTX_BASE + CTX_REDIRECT_MAP);
      if (to != 0 && load<u32>(to, MAP_TYPE) == BPF_MAP_TYPE_CPUMAP) {
        recycle(q, data);
        countDrop(q, DROP_REDIRECT_UNSUPPORTED);
        return CPUMAP_DROP;
      }
      return redirect(q, dev, qi, data, len, meta, opts) < 0 ? CPUMAP_DROP : CPUMAP_REDIRECT;
    }
    if (act != XDP_PASS) {
      recycle(q, data);
      countDrop(q, act == XDP_DROP ? DROP_XDP_DROP : DROP_XDP_ABORTED);
      return CPUMAP_DROP;
    }
  }
  toHost(q, dev, qi, ifindex, data, len, meta, false);
  return CPUMAP_PASS;
}

/** What a cpumap entry's CPU made of a frame (the kernel's struct xdp_cpumap_stats counters). */
const CPUMAP_PASS: u32 = 0;
const CPUMAP_DROP: u32 = 1;
const CPUMAP_REDIRECT: u32 = 2;
/** cpu_map_kthread_run's batch (CPUMAP_BATCH): one xdp_cpumap_kthread event per batch. */
const CPUMAP_BATCH: u32 = 8;

/**
 * Worker `cpu` drains the cpumap queues made for it (cpu_map_kthread_run), up to `budget` frames each.
 * A frame runs as cpumapRun on its ingress device's queue `cpu` (this worker's own: its fill ring takes
 * the frames this worker drops, its counters the drops); a frame whose device is gone, or has no queue
 * `cpu`, goes back to the pool. Shared build only (workers). Returns the frames drained.
 */
export function cpumap_poll(cpu: u32, budget: u32): u32 {
  if (!ASC_FEATURE_THREADS) return 0;
  let total: u32 = 0;
  txBulkBegin();
  for (let cq = atomic.load<u32>(CPUMAP_QUEUES); cq != 0; cq = load<u32>(cq, CQ_NEXT)) {
    if (load<u32>(cq, CQ_CPU) != cpu) continue;
    const c = load<u32>(cq, CQ_CONS);
    const n = min(atomic.load<u32>(cq + CQ_PROD) - c, budget);
    if (n == 0) continue;
    const prog = atomic.load<u32>(cq + CQ_PROG);
    const mask = load<u32>(cq, CQ_MASK);
    let lastIf: u32 = 0;
    let lastQ: u32 = 0;
    const bulk = tpBulkOn();
    let pass: u32 = 0;
    let drop: u32 = 0;
    let redir: u32 = 0;
    for (let i: u32 = 0; i < n; i++) {
      if (bulk && i != 0 && i % CPUMAP_BATCH == 0) {
        tpCpumapKthread(load<u32>(cq, CQ_MAP), CPUMAP_BATCH, pass, drop, redir);
        pass = drop = redir = 0;
      }
      const e = cq + CQ_ENTRIES + ((c + i) & mask) * CQ_ENTRY_SIZE;
      const data = load<u32>(e);
      const ifindex = load<u32>(e, 12);
      const dev = devLookup(ifindex);
      if (dev == 0 || cpu >= load<u32>(dev, DEV_NQUEUES)) {
        frameFree(data);
        drop++;
        continue;
      }
      const q = devQueue(dev, cpu);
      if (stackN != 0 && ifindex != lastIf) stackFlush(lastIf, lastQ, cpu);
      lastIf = ifindex;
      lastQ = q;
      const o = cpumapRun(q, dev, cpu, prog, data, load<u32>(e, 4), load<u32>(e, 8), 0);
      if (o == CPUMAP_PASS) pass++;
      else if (o == CPUMAP_DROP) drop++;
      else redir++;
    }
    if (bulk) tpCpumapKthread(load<u32>(cq, CQ_MAP), n - ((n - 1) / CPUMAP_BATCH) * CPUMAP_BATCH, pass, drop, redir);
    if (stackN != 0) stackFlush(lastIf, lastQ, cpu);
    // the slots go back to the producers only once read
    atomic.store<u32>(cq + CQ_CONS, c + n);
    atomic.store<u64>(cq + CQ_DRAINED, load<u64>(cq, CQ_DRAINED) + n);
    total += n;
  }
  txBulkEnd();
  tpFlush();
  return total;
}

/**
 * XDP_DROP: the frame goes back to the fill ring. The poll counts its drops once for all (dropCount): the
 * counters are read between polls, and two counter updates a frame, beside the shared build's batched
 * fill ring, left its loop short of registers (bench workers --quick, one worker, CPU time, medians of
 * 3 rounds: xdp_drop 69.9 -> 78.6 Mpps, xdp_parse 35.4 -> 38.5; the main thread's 74.4 -> 73.2, 39.5 -> 40.0).
 */
@inline function dropFrame(q: u32, data: u32): void {
  redirSettle();
  recycle(q, data);
}

/** The poll's `n` XDP_DROP verdicts counted (dropFrame). */
@inline function dropCount(q: u32, n: u64): void {
  if (n != 0) {
    count(q, QSTAT_XDP_DROP, n);
    count(q, QSTAT_DROP_BASE + DROP_XDP_DROP, n);
  }
}

/**
 * Act on one verdict other than XDP_DROP (dropFrame): the frame at data/len (meta bytes in front) goes
 * where `act` says. `gather`: redirGatherOn() as the poll found it (a bpf_redirect is gathered here,
 * without redirect's call).
 */
@inline function verdict(q: u32, dev: u32, qi: u32, ifindex: u32, slot: u32, act: u32, data: u32, len: u32, meta: u32, hops: u32, gather: bool): void {
  if (act != XDP_REDIRECT) redirSettle();
  if (act == XDP_PASS) {
    count(q, QSTAT_XDP_PASS, 1);
    toHost(q, dev, qi, ifindex, data, len, meta, true);
  } else if (act == XDP_TX) {
    count(q, QSTAT_XDP_TX, 1);
    const sent = xmit(q, dev, qi, data, len, hops | meta, 0);
    if (tpOn(TP_XDP_BULK_TX)) tpXdpTxFrame(dev, sent);
  } else if (act == XDP_REDIRECT) {
    // counted by the poll, once (napi_poll's redirs)
    if (!gather || meta != 0 || load<u32>(CTX_BASE + CTX_REDIRECT_MAP) != 0 || !redirGather(q, qi, data, len, load<u32>(CTX_BASE + CTX_REDIRECT_IFINDEX))) redirectNow(q, dev, qi, data, len, meta, hops);
  } else {
    count(q, act == 0 ? QSTAT_XDP_ABORTED : QSTAT_XDP_INVALID, 1);
    countDrop(q, DROP_XDP_ABORTED);
    trace(ifindex, qi, act, slot);
    if (tpOn(TP_XDP_EXCEPTION)) tpXdpException(dev, slot, act);
    recycle(q, data);
  }
}

/** Poll queue `qi` of device `dev`: up to `budget` frames. Returns how many were processed. */
export function napi_poll(dev: u32, qi: u32, budget: u32): u32 {
  const q = devQueue(dev, qi);
  // this thread is the queue's poller: frames the stack frees go back on its fill ring (net/core.ts netFree)
  if (ASC_FEATURE_THREADS) store<u32>(q, netLockId(), Q_OWNER);
  const rx = load<u32>(q, Q_RX);
  const n = ringPeek(rx, budget);
  if (n == 0) {
    queueRefill(q);
    return 0;
  }
  // the frames this poll gives back to the queue's fill ring are published together, the frames it
  // transmits pushed a bulk at a time (device.ts)
  recycleBatchBegin(q);
  txBulkBegin();
  const c = load<u32>(rx, RING_CONSUMER);
  const burst = load<u32>(dev + DEV_BURST);
  const slot = load<u32>(dev + DEV_PROG);
  const ifindex = load<u32>(dev, DEV_IFINDEX);
  const warm = slot != 0 && ifindex < MAX_DEVICES && load<u8>(fibWarm + ifindex) != 0;
  const ws = warmSlots();
  const fibCalls = fibHelperCalls;
  const fibHits = fibAnswersHits();
  const gather = redirGatherOn();
  let bytes: u64 = 0;
  let drops: u64 = 0;
  let redirs: u64 = 0; // XDP_REDIRECT verdicts, counted once a poll as the drops are
  if (burst != 0) {
    // The program's own loop runs a chunk, then the verdicts are acted on (VPP-style: one dispatch per burst).
    const ents = load<u32>(rx, RING_ENTRIES);
    const mask = load<u32>(rx, RING_MASK);
    // CTX_BASE, a global, read once a poll. DP_BURST (a global too, read at every frame) read once as
    // well measured slower (12-06, xdp router 10k 49.6 -> 50.6 ns, xdp drop 9.2 -> 10.3; 6 interleaved
    // rounds, load 23-25, slower in 4/6 each): one more live value in a loop already spilling.
    const ctx = CTX_BASE;
    for (let done: u32 = 0; done < n; ) {
      const k = min(n - done, BURST_MAX);
      // the program's own loop reads each frame's slot where warmRing wrote it (src/jit/emit.ts addBurst)
      if (warm) warmRing(rx, c + done, k, ifindex);
      call_indirect<void>(burst, rx, c + done, k, ifindex, qi, DP_BURST);
      // a burst the program redirected whole to one device (the router's) goes in one piece
      const act0 = gather ? load<u32>(DP_BURST) : XDP_DROP;
      const whole = act0 == XDP_REDIRECT ? redirectWhole(q, qi, ents, mask, c + done, k) : act0 == XDP_TX ? txWhole(q, dev, qi, ents, mask, c + done, k) : -1;
      if (whole >= 0) {
        bytes += <u64>whole;
        if (act0 == XDP_REDIRECT) redirs += k;
      } else {
        for (let j: u32 = 0; j < k; j++) {
          const e = ents + ((c + done + j) & mask) * DESC_SIZE;
          const r = DP_BURST + j * BURST_RECORD_SIZE;
          bytes += load<u32>(e, 8);
          const act = load<u32>(r);
          const data = load<u32>(r, 4);
          if (act == XDP_REDIRECT) {
            redirs++;
            // a bpf_redirect to a device, no metadata: gathered from the record itself (verdict's own
            // test, without the record's target copied into the context and read back from there)
            if (gather && load<u32>(r, 12) == data && load<u32>(r, 20) == 0 && redirGather(q, qi, data, load<u32>(r, 8) - data, load<u32>(r, 16))) continue;
            store<u32>(ctx + CTX_REDIRECT_IFINDEX, load<u32>(r, 16));
            store<u32>(ctx + CTX_REDIRECT_MAP, load<u32>(r, 20));
            store<u64>(ctx + CTX_REDIRECT_FLAGS, load<u64>(r, 24));
          }
          if (act == XDP_DROP) {
            dropFrame(q, data);
            drops++;
          } else verdict(q, dev, qi, ifindex, slot, act, data, load<u32>(r, 8) - data, data - load<u32>(r, 12), load<u32>(e, 12) & ~OPT_META_MASK, false); // a redirect here was not gathered above
        }
      }
      done += k;
    }
    if (warm) fibHelperBurstEnd();
  } else if (slot == 0 && stackUp(ifindex)) {
    // No program, a device the stack has up: every frame is XDP_PASS (counted once for the poll) and
    // goes to the stack, gathered as toHost gathers it.
    count(q, QSTAT_XDP_PASS, n);
    const ents = load<u32>(rx, RING_ENTRIES);
    const mask = load<u32>(rx, RING_MASK);
    // the gathering buffer and its count in locals (a global each, and the main thread's buffer behind
    // the net root: loads at every frame otherwise), the count written back before a flush and after
    const sb = stackBurstBuf();
    let m = stackN;
    for (let i: u32 = 0; i < n; i++) {
      const e = ents + ((c + i) & mask) * DESC_SIZE;
      const data = <u32>load<u64>(e);
      const len = load<u32>(e, 8);
      bytes += len;
      const b = sb + (m << 3);
      store<u32>(b, data);
      store<u32>(b, len, 4);
      if (++m == BURST_MAX) {
        stackN = m;
        stackFlush(ifindex, q, qi);
        m = 0;
      }
    }
    stackN = m;
  } else {
    // read once a poll: the ring's geometry (ringEntry reads it for every entry), this instance's
    // context and run state (globals, read again for every store otherwise)
    const ents = load<u32>(rx, RING_ENTRIES);
    const mask = load<u32>(rx, RING_MASK);
    const ctx = CTX_BASE;
    const run = RUN_BASE;
    for (let i: u32 = 0; i < n; i++) {
      if (warm && (i & (BURST_MAX - 1)) == 0) {
        warmRing(rx, c + i, min(n - i, BURST_MAX), ifindex);
      }
      const e = ents + ((c + i) & mask) * DESC_SIZE;
      let data = <u32>load<u64>(e);
      let len = load<u32>(e, 8);
      const opts = load<u32>(e, 12);
      let meta = opts & OPT_META_MASK;
      bytes += len;
      let act = XDP_PASS;
      if (warm) fibHelperSlot(<i32>load<i8>(ws + (i & (BURST_MAX - 1))));
      if (i + 1 < n) headSink += load<u32>(<u32>load<u64>(ents + ((c + i + 1) & mask) * DESC_SIZE), 12);
      if (slot != 0) {
        const hard = data & ~(FRAME_SIZE - 1);
        xdpSetupAt(ctx, run, hard, FRAME_SIZE, data - hard, len, meta, ifindex, qi, 0);
        act = runProg(slot);
        const dd = load<u64>(ctx + CTX_DATA); // data, data_end
        data = <u32>dd;
        len = <u32>(dd >> 32) - data;
        meta = data - load<u32>(ctx + CTX_DATA_META);
      }
      if (act == XDP_REDIRECT) redirs++;
      if (act == XDP_DROP) {
        dropFrame(q, data);
        drops++;
      } else verdict(q, dev, qi, ifindex, slot, act, data, len, meta, opts & ~OPT_META_MASK, gather);
    }
    if (warm) fibHelperBurstEnd();
  }
  dropCount(q, drops);
  if (redirs != 0) count(q, QSTAT_XDP_REDIRECT, redirs);
  redirSettle();
  if (stackN != 0) stackFlush(ifindex, q, qi);
  if (hostN != 0) hostFlush();
  txBulkEnd();
  tpFlush();
  if (slot != 0 && ifindex < MAX_DEVICES) {
    // written only when it changes: the hint is one static every worker polling the device reads, and a
    // store per poll would move its cache line between the workers' cores each time
    const w: u8 = fibHelperCalls != fibCalls || fibAnswersHits() != fibHits ? 1 : 0;
    if (load<u8>(fibWarm + ifindex) != w) store<u8>(fibWarm + ifindex, w);
  }
  ringRelease(rx, n);
  recycleBatchEnd();
  count(q, QSTAT_RX_PACKETS, n);
  count(q, QSTAT_RX_BYTES, bytes);
  // After the verdicts, as drivers refill after their poll: dropped frames are back on the fill ring
  // already, and only what went elsewhere is topped up from the pool.
  queueRefill(q);
  return n;
}

/**
 * One NAPI round over every device and queue: each queue up to `budget` frames (0: NAPI_BUDGET), so a
 * busy queue cannot starve the others. Returns the frames processed.
 */
export function dp_poll(budget: u32): u32 {
  const b = budget == 0 ? NAPI_BUDGET : budget;
  let total: u32 = 0;
  for (let i: u32 = 1; i < MAX_DEVICES; i++) {
    const dev = load<u32>(DP_DEVS + (i << 2));
    if (dev == 0) continue;
    const nq = load<u32>(dev, DEV_NQUEUES);
    for (let k: u32 = 0; k < nq; k++) total += napi_poll(dev, k, b);
  }
  return total;
}

export { cpumap_queue_stat } from './maps/cpumap';
