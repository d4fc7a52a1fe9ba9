// The XDP tracepoints wxdp raises (include/trace/events/xdp.h): tp_btf programs attached to one run on
// the event with the kernel's argument layout, an array of u64 (__bpf_trace_run: each argument cast to
// u64, ints sign-extended):
//
//   xdp_exception   (dev, xdp, u32 act)                          a verdict the data path cannot act on
//   xdp_redirect    (dev, xdp, tgt, int err = 0, map_type, map_id, index)   a redirect that was queued
//   xdp_redirect_err(dev, xdp, tgt, int err,     map_type, map_id, index)   one that failed
//
//   xdp_redirect_map, xdp_redirect_map_err: defined, never raised (the kernel's "not used anymore":
//                   a redirect through a map reports on xdp_redirect / xdp_redirect_err with its map)
//   xdp_devmap_xmit (from_dev, to_dev, int sent, int drops, int err)   one per bulk of frames to a device
//   xdp_bulk_tx     (dev, int sent, int drops, int err)          one per bulk of XDP_TX frames (veth's)
//   xdp_cpumap_enqueue (int map_id, u32 processed, u32 drops, int to_cpu)   one per bulk to a cpumap entry
//   xdp_cpumap_kthread (int map_id, u32 processed, u32 drops, int sched, struct xdp_cpumap_stats *)
//                   one per batch the entry's CPU ran (its program's pass / drop / redirect counts)
//   mem_connect (xa, rxq), mem_disconnect (xa)   a device queue's frame pool registered / unregistered
//
// Bulks, as the kernel's per-CPU bulk queues make them (kernel/bpf/devmap.c bq_enqueue, cpumap.c): frames
// redirected to a device (bpf_redirect or a devmap entry, after the entry's program) or to a cpumap
// entry are tallied per target during a NAPI poll; a tally is reported when it reaches the bulk size
// (DEV_MAP_BULK_SIZE 16, CPU_MAP_BULK_SIZE 8) and the rest when the poll ends (xdp_do_flush: devmap
// first, then cpumap; each list from its newest target to its oldest, as list_add leaves them). `sent`
// is the frames that reached a ring; `drops` the rest, the devmap program's drops among them, as
// bq_xmit_all counts them. A cpumap bulk is also its CPU's batch (the one thread runs an entry's frames
// at once; a worker reports its own batches of CPUMAP_BATCH): xdp_cpumap_kthread follows the enqueue
// with sched 0.
//
// XDP_TX, as veth bulks it (drivers/net/veth.c veth_xdp_tx, veth_xdp_flush_bq; wxdp's devices are
// software devices like veth, and a hardware driver raises no event at all): the frames a poll sends
// back out of its device are tallied, a tally of VETH_XDP_TX_BULK_SIZE (16) is reported before the next
// frame joins, and the rest after the poll's xdp_do_flush (veth_poll: xdp_do_flush, then veth_xdp_flush).
// `sent` is the frames that reached the TX ring, `drops` the rest; err stays 0 (veth's -ENXIO, a peer
// without NAPI, has no wxdp counterpart: a device's TX ring is always there).
//
// bpf_redirect (no map) reports map_type BPF_MAP_TYPE_UNSPEC, map_id INT_MAX, the ifindex as index and
// tgt NULL, as the kernel's _trace_xdp_redirect does; a map redirect its entry as tgt (napi.ts
// redirectTarget: a devmap's target device record), NULL for a broadcast or a failed redirect. `dev` is the wxdp device record: struct net_device in
// wxdp's BTF (src/control/tracepoints.ts) puts ifindex at DEV_IFINDEX, so dev->ifindex reads it. `xdp`
// (struct bpf_prog) has no readable fields; it is the program's table slot, for identity only.
//
// Attachments: TP_PROGS table slots per tracepoint, filled from the front (0 ends the list), written
// by tp_attach between bursts. An event with nothing attached costs one load.
//
// Two lists per tracepoint. tp_btf and raw tracepoint programs (raw_tp/NAME) take the argument array
// as ctx. Classic tracepoint programs (tracepoint/xdp/NAME) take the event's record as perf hands it to
// them, laid out as /sys/kernel/tracing/events/xdp/NAME/format lays it out (the TP_STRUCT__entry fields
// after the 8-byte common header, assigned as TP_fast_assign assigns them): tpRecord writes it, after
// the argument array, from the same arguments. The common header holds common_type = the tracepoint's
// id here (its index in src/elf/section_defs.ts XDP_TRACEPOINTS; tracefs numbers its events per boot)
// and zeros (flags, preempt count, pid: a NAPI poll runs in no task of its own). prog_id is the XDP
// program's table slot: wxdp's identity for a program (struct bpf_prog above). The control plane
// attaches a classic program only if its ctx reads end within the record (perf_event_set_bpf_prog's
// max_ctx_offset check), so what it reads is the record's own bytes.

import { DEV_IFINDEX, MAP_ID, RUN_BASE, RUN_CPU, XDP_REDIRECT, XDP_TX } from './abi';
import { cpumapWorkers } from './maps/cpumap';
import { BPF_MAP_TYPE_DEVMAP, BPF_MAP_TYPE_DEVMAP_HASH } from './maps/uapi';

/** Tracepoint ids: their index in src/elf/section_defs.ts XDP_TRACEPOINTS. */
export const TP_XDP_EXCEPTION: u32 = 0;
export const TP_XDP_BULK_TX: u32 = 1;
export const TP_XDP_REDIRECT: u32 = 2;
export const TP_XDP_REDIRECT_ERR: u32 = 3;
export const TP_XDP_CPUMAP_KTHREAD: u32 = 6;
export const TP_XDP_CPUMAP_ENQUEUE: u32 = 7;
export const TP_XDP_DEVMAP_XMIT: u32 = 8;
export const TP_MEM_DISCONNECT: u32 = 9;
export const TP_MEM_CONNECT: u32 = 10;
export const TP_COUNT: u32 = 16;
export const TP_PROGS: u32 = 8;
/** map_id of a redirect without a map (INT_MAX, the kernel's marker for bpf_redirect). */
export const TP_NO_MAP_ID: u32 = 0x7fffffff;
/**
 * Bytes of one event's argument array (at most 8 u64 arguments, TP_ARGS_USED) and then of its record
 * for classic tracepoint programs (at most 44 bytes: xdp_cpumap_kthread, mem_connect).
 */
export const TP_ARGS_SIZE: u32 = 128;
const TP_ARGS_USED: u32 = 64;

const tpSlots = memory.data(TP_COUNT * TP_PROGS * 4);
const tpClassic = memory.data(TP_COUNT * TP_PROGS * 4);
/** Per tracepoint: nonzero while either list has a program (what an event tests first). */
const tpAny = memory.data(TP_COUNT * 4);
/**
 * The argument array the programs get as ctx (one event at a time per thread): the main thread's is a
 * static, a worker's lives in its own area (worker.ts sets it once), so two workers raising events at
 * once never overwrite each other's arguments.
 */
let tpArgs: u32 = <u32>memory.data(TP_ARGS_SIZE, 8);

/** This instance's argument array moves to `args` (TP_ARGS_SIZE bytes, 8-aligned): worker_init. */
export function tpArgsSet(args: u32): void {
  tpArgs = args;
}

/**
 * Attach program table slot `slot` as the `i`-th program of tracepoint `tp` (0: detach; keep the list
 * packed): of its argument-array list (tp_btf, raw_tp), or of its record list when `classic`.
 */
export function tp_attach(tp: u32, i: u32, slot: u32, classic: bool): void {
  if (tp >= TP_COUNT || i >= TP_PROGS) return;
  store<u32>((classic ? tpClassic : tpSlots) + (tp * TP_PROGS + i) * 4, slot);
  store<u32>(tpAny + tp * 4, load<u32>(tpSlots + tp * TP_PROGS * 4) | load<u32>(tpClassic + tp * TP_PROGS * 4));
}

@inline export function tpOn(tp: u32): bool {
  return load<u32>(tpAny + tp * 4) != 0;
}

function runList(base: usize, ctx: u32): void {
  for (let i: u32 = 0; i < TP_PROGS; i++) {
    const slot = load<u32>(base + i * 4);
    if (slot == 0) break;
    call_indirect<u64>(slot, <u64>ctx, <u64>0, <u64>0, <u64>0, <u64>0);
  }
}

function tpRun(tp: u32): void {
  runList(tpSlots + tp * TP_PROGS * 4, tpArgs);
  const classic = tpClassic + tp * TP_PROGS * 4;
  if (load<u32>(classic) == 0) return;
  const rec = tpArgs + TP_ARGS_USED;
  tpRecord(tp, rec);
  runList(classic, rec);
}

@inline function arg(i: u32): u64 {
  return load<u64>(tpArgs + i * 8);
}

@inline function ifindexOf(dev: u64): i32 {
  return dev == 0 ? 0 : load<i32>(<u32>dev, DEV_IFINDEX);
}

/** The record of event `tp` at `r`, from its arguments (TP_fast_assign of include/trace/events/xdp.h). */
function tpRecord(tp: u32, r: u32): void {
  memory.fill(r, 0, TP_ARGS_SIZE - TP_ARGS_USED);
  store<u16>(r, <u16>tp); // common_type
  if (tp == TP_XDP_EXCEPTION) {
    // prog_id, act, ifindex
    store<i32>(r, <i32>arg(1), 8);
    store<u32>(r, <u32>arg(2), 12);
    store<i32>(r, ifindexOf(arg(0)), 16);
  } else if (tp == TP_XDP_BULK_TX) {
    // ifindex, act, drops, sent, err
    store<i32>(r, ifindexOf(arg(0)), 8);
    store<u32>(r, XDP_TX, 12);
    store<i32>(r, <i32>arg(2), 16);
    store<i32>(r, <i32>arg(1), 20);
    store<i32>(r, <i32>arg(3), 24);
  } else if (tp == TP_XDP_REDIRECT || tp == TP_XDP_REDIRECT_ERR) {
    // prog_id, act, ifindex, err, to_ifindex, map_id, map_index: a devmap's target device, or
    // bpf_redirect's ifindex (map_type UNSPEC, map_id INT_MAX) with map_index 0
    const mapType = <u32>arg(4);
    const mapId = <u32>arg(5);
    let to: i32 = 0;
    let index = <i32>arg(6);
    if (mapType == BPF_MAP_TYPE_DEVMAP || mapType == BPF_MAP_TYPE_DEVMAP_HASH) {
      to = ifindexOf(arg(2));
    } else if (mapType == 0 && mapId == TP_NO_MAP_ID) {
      to = index;
      index = 0;
    }
    store<i32>(r, <i32>arg(1), 8);
    store<u32>(r, XDP_REDIRECT, 12);
    store<i32>(r, ifindexOf(arg(0)), 16);
    store<i32>(r, <i32>arg(3), 20);
    store<i32>(r, to, 24);
    store<u32>(r, mapId, 28);
    store<i32>(r, index, 32);
  } else if (tp == TP_XDP_CPUMAP_ENQUEUE || tp == TP_XDP_CPUMAP_KTHREAD) {
    // map_id, act, cpu, drops, processed, then to_cpu (enqueue) or sched (kthread): the fourth argument
    store<i32>(r, <i32>arg(0), 8);
    store<u32>(r, XDP_REDIRECT, 12);
    store<i32>(r, load<i32>(RUN_BASE + RUN_CPU), 16);
    store<u32>(r, <u32>arg(2), 20);
    store<u32>(r, <u32>arg(1), 24);
    store<i32>(r, <i32>arg(3), 28);
    if (tp == TP_XDP_CPUMAP_ENQUEUE) return;
    // kthread: xdp_pass, xdp_drop, xdp_redirect of its struct xdp_cpumap_stats { redirect, pass, drop }
    const stats = <u32>arg(4);
    store<u32>(r, load<u32>(stats, 4), 32);
    store<u32>(r, load<u32>(stats, 8), 36);
    store<u32>(r, load<u32>(stats), 40);
  } else if (tp == TP_XDP_DEVMAP_XMIT) {
    // from_ifindex, act, to_ifindex, drops, sent, err
    store<i32>(r, ifindexOf(arg(0)), 8);
    store<u32>(r, XDP_REDIRECT, 12);
    store<i32>(r, ifindexOf(arg(1)), 16);
    store<i32>(r, <i32>arg(3), 20);
    store<i32>(r, <i32>arg(2), 24);
    store<i32>(r, <i32>arg(4), 28);
  } else if (tp == TP_MEM_CONNECT || tp == TP_MEM_DISCONNECT) {
    // xa, mem_id, mem_type, allocator (+ rxq, ifindex for mem_connect)
    const xa = <u32>arg(0);
    store<u64>(r, <u64>xa, 8);
    store<u32>(r, load<u32>(xa, 4), 16);
    store<u32>(r, load<u32>(xa), 20);
    store<u64>(r, load<u64>(xa, 8), 24);
    if (tp == TP_MEM_CONNECT) {
      const rxq = <u32>arg(1);
      store<u64>(r, <u64>rxq, 32);
      store<i32>(r, ifindexOf(load<u64>(rxq)), 40);
    }
  }
}

/** xdp_exception(dev, xdp, act). */
export function tpXdpException(dev: u32, prog: u32, act: u32): void {
  store<u64>(tpArgs, <u64>dev);
  store<u64>(tpArgs, <u64>prog, 8);
  store<u64>(tpArgs, <u64>act, 16);
  tpRun(TP_XDP_EXCEPTION);
}

/** xdp_redirect / xdp_redirect_err (err < 0): tgt is the target device record (0: none), map 0 for bpf_redirect. */
export function tpXdpRedirect(dev: u32, prog: u32, tgt: u32, err: i32, map: u32, mapType: u32, mapId: u32, index: u32): void {
  store<u64>(tpArgs, <u64>dev);
  store<u64>(tpArgs, <u64>prog, 8);
  store<u64>(tpArgs, <u64>tgt, 16);
  store<i64>(tpArgs, <i64>err, 24);
  store<u64>(tpArgs, <u64>(map == 0 ? 0 : mapType), 32);
  store<u64>(tpArgs, <u64>(map == 0 ? TP_NO_MAP_ID : mapId), 40);
  store<u64>(tpArgs, <u64>index, 48);
  tpRun(err < 0 ? TP_XDP_REDIRECT_ERR : TP_XDP_REDIRECT);
}


// ---- bulks: tallies per target during a poll ----
//
// Per CPU (RUN_CPU; CPUs past TALLY_CPUS report each frame as a bulk of one), TALLY bytes:
//   +0    u32 devmap targets in use        +4 u32 cpumap targets in use
//   +8    DEV_T × { to_dev, from_dev, frames, sent }                       16 B each
//   +72   CPU_T × { map, key, frames, pass, drop, redirect }               24 B each
//   +168  { dev, frames, sent } the XDP_TX bulk of the device being polled

const DEV_MAP_BULK_SIZE: u32 = 16;
const CPU_MAP_BULK_SIZE: u32 = 8;
const TALLY_CPUS: u32 = 16;
const DEV_T: u32 = 4;
const CPU_T: u32 = 4;
const VETH_XDP_TX_BULK_SIZE: u32 = 16;
const TALLY: u32 = 184;
const T_DEV: u32 = 8;
const T_CPU: u32 = 72;
const T_TX: u32 = 168;
const tallies = memory.data(TALLY_CPUS * TALLY, 8);
/**
 * struct xdp_cpumap_stats { u32 redirect, pass, drop; } of the event being raised: in this thread's
 * argument array past the event's five arguments (so workers never share it).
 */
@inline function cpumapStats(): u32 {
  return tpArgs + 48;
}

@inline function tallyBase(): u32 {
  const cpu = load<u32>(RUN_BASE + RUN_CPU);
  return cpu < TALLY_CPUS ? <u32>tallies + cpu * TALLY : 0;
}

/** Whether any bulk tracepoint has a program: the data path skips the tallies otherwise. */
@inline export function tpBulkOn(): bool {
  return tpOn(TP_XDP_DEVMAP_XMIT) || tpOn(TP_XDP_CPUMAP_ENQUEUE) || tpOn(TP_XDP_CPUMAP_KTHREAD) || tpOn(TP_XDP_BULK_TX);
}

function bulkTx(dev: u32, sent: u32, frames: u32): void {
  store<u64>(tpArgs, <u64>dev);
  store<i64>(tpArgs, <i64><i32>sent, 8);
  store<i64>(tpArgs, <i64><i32>(frames - sent), 16);
  store<i64>(tpArgs, 0, 24);
  tpRun(TP_XDP_BULK_TX);
}

/** Report the XDP_TX tally at `e` (veth_xdp_flush_bq) and empty it. */
function txFlush(e: u32): void {
  bulkTx(load<u32>(e), load<u32>(e, 8), load<u32>(e, 4));
  store<u32>(e, 0, 4);
  store<u32>(e, 0, 8);
}

/** An XDP_TX frame of device `dev` reached its TX ring (`sent`) or not: xdp_bulk_tx is on. */
export function tpXdpTxFrame(dev: u32, sent: bool): void {
  const t = tallyBase();
  if (t == 0) {
    bulkTx(dev, sent ? 1 : 0, 1);
    return;
  }
  const e = t + T_TX;
  const frames = load<u32>(e, 4);
  // veth_xdp_tx: a full bulk goes out before the next frame joins (a tally of another device, which
  // one poll never leaves, goes out too)
  if (frames == VETH_XDP_TX_BULK_SIZE || (frames != 0 && load<u32>(e) != dev)) txFlush(e);
  store<u32>(e, dev);
  store<u32>(e, load<u32>(e, 4) + 1, 4);
  store<u32>(e, load<u32>(e, 8) + (sent ? 1 : 0), 8);
}

function devmapXmit(from: u32, to: u32, sent: u32, frames: u32): void {
  if (!tpOn(TP_XDP_DEVMAP_XMIT)) return;
  store<u64>(tpArgs, <u64>from);
  store<u64>(tpArgs, <u64>to, 8);
  store<i64>(tpArgs, <i64><i32>sent, 16);
  store<i64>(tpArgs, <i64><i32>(frames - sent), 24);
  store<i64>(tpArgs, 0, 32);
  tpRun(TP_XDP_DEVMAP_XMIT);
}

/**
 * A bulk for cpumap entry `key`. Workers: the frames went onto the entry's queue (`drop` of them did not
 * fit) and its worker reports the batches it runs; one thread: they ran here, this is also the batch.
 */
function cpumapBulk(map: u32, key: u32, frames: u32, pass: u32, drop: u32, redirect: u32): void {
  const id = <i64><i32>load<u32>(map, MAP_ID);
  const queued = ASC_FEATURE_THREADS && cpumapWorkers != 0;
  if (tpOn(TP_XDP_CPUMAP_ENQUEUE)) {
    store<i64>(tpArgs, id);
    store<u64>(tpArgs, <u64>frames, 8);
    store<u64>(tpArgs, queued ? <u64>drop : 0, 16);
    store<i64>(tpArgs, <i64><i32>key, 24);
    tpRun(TP_XDP_CPUMAP_ENQUEUE);
  }
  if (!queued && tpOn(TP_XDP_CPUMAP_KTHREAD)) {
    store<u32>(cpumapStats(), redirect);
    store<u32>(cpumapStats(), pass, 4);
    store<u32>(cpumapStats(), drop, 8);
    store<i64>(tpArgs, id);
    store<u64>(tpArgs, <u64>frames, 8);
    store<u64>(tpArgs, 0, 16);
    store<i64>(tpArgs, 0, 24);
    store<u64>(tpArgs, <u64>cpumapStats(), 32);
    tpRun(TP_XDP_CPUMAP_KTHREAD);
  }
}

/** A frame redirected from device `from` to device `to` reached its ring (`sent`) or not. */
export function tpDevmapFrame(from: u32, to: u32, sent: bool): void {
  const t = tallyBase();
  if (t == 0) {
    devmapXmit(from, to, sent ? 1 : 0, 1);
    return;
  }
  const n = load<u32>(t);
  let e: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    const x = t + T_DEV + i * 16;
    if (load<u32>(x) == to) {
      e = x;
      break;
    }
  }
  if (e == 0) {
    if (n == DEV_T) {
      // more targets in one poll than kept: the oldest bulk goes out now
      devmapFlushOne(t, 0);
      e = t + T_DEV + (DEV_T - 1) * 16;
    } else {
      e = t + T_DEV + n * 16;
      store<u32>(t, n + 1);
    }
    store<u32>(e, to);
    store<u32>(e, from, 4);
    store<u32>(e, 0, 8);
    store<u32>(e, 0, 12);
  }
  if (load<u32>(e, 8) == DEV_MAP_BULK_SIZE) {
    // bq_enqueue: a full bulk goes out before the next frame joins (the target stays on the list)
    devmapXmit(load<u32>(e, 4), to, load<u32>(e, 12), DEV_MAP_BULK_SIZE);
    store<u32>(e, 0, 8);
    store<u32>(e, 0, 12);
  }
  store<u32>(e, load<u32>(e, 8) + 1, 8);
  store<u32>(e, load<u32>(e, 12) + (sent ? 1 : 0), 12);
}

/** Report tally `i` of the devmap list and close the gap. */
function devmapFlushOne(t: u32, i: u32): void {
  const x = t + T_DEV + i * 16;
  const frames = load<u32>(x, 8);
  if (frames != 0) devmapXmit(load<u32>(x, 4), load<u32>(x), load<u32>(x, 12), frames);
  const n = load<u32>(t);
  memory.copy(x, x + 16, (n - 1 - i) * 16);
  store<u32>(t, n - 1);
}

/**
 * A frame for cpumap entry `key` of `map`; `outcome` what the entry's CPU made of it: 0 XDP_PASS, 1 a
 * drop, 2 a redirect, 3 not run yet (a worker's queue: its worker reports the batch).
 */
export function tpCpumapFrame(map: u32, key: u32, outcome: u32): void {
  const t = tallyBase();
  if (t == 0) {
    cpumapBulk(map, key, 1, outcome == 0 ? 1 : 0, outcome == 1 || outcome == 4 ? 1 : 0, outcome == 2 ? 1 : 0);
    return;
  }
  const n = load<u32>(t, 4);
  let e: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    const x = t + T_CPU + i * 24;
    if (load<u32>(x) == map && load<u32>(x, 4) == key) {
      e = x;
      break;
    }
  }
  if (e == 0) {
    if (n == CPU_T) {
      cpumapFlushOne(t, 0);
      e = t + T_CPU + (CPU_T - 1) * 24;
    } else {
      e = t + T_CPU + n * 24;
      store<u32>(t, n + 1, 4);
    }
    store<u32>(e, map);
    store<u32>(e, key, 4);
    memory.fill(e + 8, 0, 16);
  }
  if (load<u32>(e, 8) == CPU_MAP_BULK_SIZE) {
    cpumapBulk(map, key, CPU_MAP_BULK_SIZE, load<u32>(e, 12), load<u32>(e, 16), load<u32>(e, 20));
    memory.fill(e + 8, 0, 16);
  }
  store<u32>(e, load<u32>(e, 8) + 1, 8);
  // outcomes 0..2 count as pass / drop / redirect; 4 (the queue was full) as the enqueue's drop
  if (outcome != 3) {
    const f = e + 12 + (outcome == 4 ? 1 : outcome) * 4;
    store<u32>(f, load<u32>(f) + 1);
  }
}

function cpumapFlushOne(t: u32, i: u32): void {
  const x = t + T_CPU + i * 24;
  const frames = load<u32>(x, 8);
  if (frames != 0) cpumapBulk(load<u32>(x), load<u32>(x, 4), frames, load<u32>(x, 12), load<u32>(x, 16), load<u32>(x, 20));
  const n = load<u32>(t, 4);
  memory.copy(x, x + 24, (n - 1 - i) * 24);
  store<u32>(t, n - 1, 4);
}

/** xdp_do_flush at the end of a poll: the devmap bulks, then the cpumap bulks, newest target first; then the XDP_TX bulk. */
export function tpFlush(): void {
  const t = tallyBase();
  if (t == 0) return;
  for (let n = load<u32>(t); n > 0; n--) devmapFlushOne(t, n - 1);
  for (let n = load<u32>(t, 4); n > 0; n--) cpumapFlushOne(t, n - 1);
  // veth_poll: the XDP_TX bulk after xdp_do_flush
  if (load<u32>(t + T_TX, 4) != 0) txFlush(t + T_TX);
}

/** A worker's batch of cpumap entry `key` of `map` (cpu_map_kthread_run): processed and its outcomes. */
export function tpCpumapKthread(map: u32, frames: u32, pass: u32, drop: u32, redirect: u32): void {
  if (!tpOn(TP_XDP_CPUMAP_KTHREAD) || frames == 0) return;
  store<u32>(cpumapStats(), redirect);
  store<u32>(cpumapStats(), pass, 4);
  store<u32>(cpumapStats(), drop, 8);
  store<i64>(tpArgs, <i64><i32>load<u32>(map, MAP_ID));
  store<u64>(tpArgs, <u64>frames, 8);
  store<u64>(tpArgs, 0, 16);
  store<i64>(tpArgs, 0, 24);
  store<u64>(tpArgs, <u64>cpumapStats(), 32);
  tpRun(TP_XDP_CPUMAP_KTHREAD);
}

// ---- mem_connect / mem_disconnect ----
//
// A device queue's frame pool is its memory model (xdp_rxq_info_reg_mem_model with an allocator, as a
// page_pool driver registers one per RX queue). The structs the programs get (wxdp's BTF):
//   struct xdp_mem_allocator { struct xdp_mem_info mem { u32 type; u32 id; }; void *allocator; }   16 B
//   struct xdp_rxq_info { struct net_device *dev; u32 queue_index; u32 reg_state;
//                         struct xdp_mem_info mem; u32 frag_size; }                                  32 B
// mem.type is MEM_TYPE_PAGE_POOL (2); mem.id the pool's id (ifindex << 8 | queue + 1: never 0);
// allocator the queue record; rxq.dev the device record (a pointer the program may not follow in wxdp);
// reg_state REG_STATE_REGISTERED (1).

const MEM_TYPE_PAGE_POOL: u32 = 2;
const memXa = memory.data(16, 8);
const memRxq = memory.data(32, 8);

/** Queue `qi` (record `q`) of device `dev` registered (connect) or unregistered its frame pool. */
export function tp_mem_event(dev: u32, q: u32, qi: u32, connect: bool): void {
  const tp = connect ? TP_MEM_CONNECT : TP_MEM_DISCONNECT;
  if (!tpOn(tp)) return;
  const id = (load<u32>(dev, DEV_IFINDEX) << 8) | (qi + 1);
  store<u32>(memXa, MEM_TYPE_PAGE_POOL);
  store<u32>(memXa, id, 4);
  store<u64>(memXa, <u64>q, 8);
  store<u64>(memRxq, <u64>dev);
  store<u32>(memRxq, qi, 8);
  store<u32>(memRxq, 1, 12);
  store<u32>(memRxq, MEM_TYPE_PAGE_POOL, 16);
  store<u32>(memRxq, id, 20);
  store<u32>(memRxq, 0, 24);
  store<u64>(tpArgs, <u64>memXa);
  store<u64>(tpArgs, <u64>memRxq, 8);
  tpRun(tp);
}
