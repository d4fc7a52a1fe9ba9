// BPF_MAP_TYPE_CPUMAP (kernel/bpf/cpumap.c): redirect targets that are CPUs. The value is struct
// bpf_cpumap_val { u32 qsize; union { int fd; u32 id; } bpf_prog; }, value_size 4 or 8; an entry
// with qsize 0 is no entry. As for devmaps, wxdp keeps a positive program fd as given (the program's
// table slot, Program.fd) and a lookup reads it back as the program id.
//
//   MAP_DATA  max_entries × 16-byte slots: u32 qsize (0 = empty) | u32 program slot | u32 queue (0 none) | pad
//
// One thread (the release build, or the main thread of the shared one): a frame redirected to an entry
// is handled on the CPU that redirected it (napi.ts toCpumapEntry): the entry's program, then the host
// path. Workers (the shared build): as the kernel's cpu_map_enqueue, the frame goes on the entry's queue
// (its ptr_ring, qsize frames, a producer spin lock as ptr_ring's producer_lock; a full queue drops the
// frame and counts it, as bq_flush_to_queue does) and worker `key` drains it in its poll
// (cpumap_poll, called by worker.ts), running the entry's program there (cpu_map_bpf_prog_run_xdp).
//
//   queue  +0 u32 producer index (free-running) | +4 consumer index | +8 u32 qsize (capacity)
//          +12 u32 mask (storage entries - 1, a power of two ≥ qsize) | +16 u32 producer lock
//          +20 u32 CPU (the worker draining it) | +24 u32 next queue (CPUMAP_QUEUES list) | +28 program slot
//          +32 u64 enqueued | +40 u64 dropped (full) | +48 u64 drained (run on the CPU)
//          +56 u32 the map it serves (the xdp_cpumap_kthread tracepoint's map_id) | +60 u32 flags (CQF_*)
//          +64 u32 the grace period it was unlinked in (rc_stamp) | +68 .. +127 reserved
//          +128 (mask + 1) × 16: u32 data | u32 len | u32 meta | u32 ingress ifindex
//
// Queues are made on the control plane (cpu_map_update_elem). An entry updated again reuses its queue
// when the storage holds the new qsize. The list of every queue starts at CPUMAP_QUEUES (DP_BASE + 40);
// only the control plane links into it and out of it, one store each.
//
// Freeing, as the kernel's __cpu_map_entry_free after its RCU grace period: a queue an entry no longer
// points to (deleted, emptied with qsize 0, replaced by a bigger one, the map cleared) is unpublished
// from its slot and marked DYING with the open grace period (net/reclaim.ts rc_stamp). Its worker goes
// on draining it (the kthread empties its ring before it stops). cpumap_reclaim (control plane: every
// update and delete, Datapath.poll, close) unlinks a DYING queue once the grace period is over — no
// producer that read the slot before can still be inside cpumapEnqueue — and it is empty, and retires
// it (rc_retire: its memory is reused after a second grace period, when no worker walks the list
// through it any more). cpumap_free_all (close, after the workers have joined) gives every queued frame
// back to the pool and every queue back to the reclaimer. Queues from the arena (no stack root to
// reclaim through) are unlinked the same way but never reused.

import { DP_BASE, MAP_DATA, MAP_MAX_ENTRIES, MAP_VALUE_SIZE, RUN_BASE, RUN_NCPUS } from '../abi';
import { allocMap, arena_alloc } from './arena';
import { rc_alloc, rc_passed, rc_reclaim, rc_retire, rc_stamp } from '../net/reclaim';
import { frameFree } from '../umem';
import { BPF_EXIST, BPF_F_NUMA_NODE, BPF_NOEXIST, E2BIG, EEXIST, EINVAL, ENODEV, ENOMEM, EOVERFLOW } from './uapi';

/** NR_CPUS of the kernel wxdp follows (6.18 here: /sys/devices/system/cpu/kernel_max + 1). */
const NR_CPUS: u32 = 256;
/** cpu_map_update_elem's sanity limit on qsize. */
const QSIZE_MAX: u32 = 16384;
/** The bytes of an entry's slot in MAP_DATA. */
const SLOT: u32 = 16;

/** DP_BASE + 40: the first cpumap queue (a list through CQ_NEXT), 0 none. */
export const CPUMAP_QUEUES: u32 = DP_BASE + 40;
export const CQ_PROD: u32 = 0;
export const CQ_CONS: u32 = 4;
export const CQ_QSIZE: u32 = 8;
export const CQ_MASK: u32 = 12;
export const CQ_LOCK: u32 = 16;
export const CQ_CPU: u32 = 20;
export const CQ_NEXT: u32 = 24;
export const CQ_PROG: u32 = 28;
export const CQ_ENQUEUED: u32 = 32;
export const CQ_DROPPED: u32 = 40;
export const CQ_DRAINED: u32 = 48;
export const CQ_MAP: u32 = 56;
export const CQ_FLAGS: u32 = 60;
export const CQ_STAMP: u32 = 64;
/** No entry points to the queue any more: drained, then freed (cpumap_reclaim). */
export const CQF_DYING: u32 = 1;
/** Its memory came from the arena (no stack root): never reused. */
export const CQF_ARENA: u32 = 2;
export const CQ_ENTRIES: u32 = 128;
export const CQ_ENTRY_SIZE: u32 = 16;

/**
 * Workers this instance polls with (worker.ts sets it in worker_init; 0 on the main thread and in the
 * release build): when nonzero, redirects to a cpumap entry are queued for the entry's worker.
 */
export let cpumapWorkers: u32 = 0;
export function cpumapWorkersSet(n: u32): void {
  cpumapWorkers = n;
}

/** cpu_map_alloc(). */
export function cpumapCreate(type: u32, keySize: u32, valueSize: u32, maxEntries: u32, flags: u32, id: u32): i64 {
  if (maxEntries == 0 || keySize != 4 || (valueSize != 4 && valueSize != 8) || (flags & ~BPF_F_NUMA_NODE) != 0) return -EINVAL;
  if (maxEntries > NR_CPUS) return -E2BIG;
  const m = allocMap(type, keySize, valueSize, maxEntries, flags, id, <u64>maxEntries * SLOT, 8);
  return m == 0 ? -ENOMEM : m;
}

/** __cpu_map_lookup_elem / cpu_map_lookup_elem: the entry's value, or 0. */
@inline export function cpumapLookupIdx(m: u32, idx: u32): u32 {
  if (idx >= load<u32>(m, MAP_MAX_ENTRIES)) return 0;
  const s = load<u32>(m, MAP_DATA) + idx * SLOT;
  return load<u32>(s) == 0 ? 0 : s;
}

export function cpumapLookup(m: u32, key: u32): u32 {
  return cpumapLookupIdx(m, load<u32>(key));
}

/**
 * cpu_map_update_elem(): -EINVAL (flags), -E2BIG (key past max_entries), -EEXIST (BPF_NOEXIST: every
 * index exists), -EOVERFLOW (qsize past 16384), -ENODEV (not a possible CPU). qsize 0 empties the entry.
 */
export function cpumapUpdate(m: u32, key: u32, value: u32, flags: u64): i32 {
  const cpu = load<u32>(key);
  if (flags > BPF_EXIST) return -EINVAL;
  if (cpu >= load<u32>(m, MAP_MAX_ENTRIES)) return -E2BIG;
  if (flags == BPF_NOEXIST) return -EEXIST;
  const qsize = load<u32>(value);
  if (qsize > QSIZE_MAX) return -EOVERFLOW;
  const ncpus = load<u32>(RUN_BASE + RUN_NCPUS);
  if (cpu >= (ncpus == 0 ? 1 : ncpus)) return -ENODEV;
  const fd: i32 = load<u32>(m, MAP_VALUE_SIZE) == 8 ? load<i32>(value, 4) : 0;
  const s = load<u32>(m, MAP_DATA) + cpu * SLOT;
  if (qsize == 0) {
    slotEmpty(s);
    return 0;
  }
  const prog: u32 = fd > 0 ? <u32>fd : 0;
  if (ASC_FEATURE_THREADS) {
    let old = load<u32>(s, 8);
    // a queue already DYING (cpumap_free_all) is nobody's to reuse or retire again
    if (old != 0 && (load<u32>(old, CQ_FLAGS) & CQF_DYING) != 0) old = 0;
    let q = old;
    if (q == 0 || load<u32>(q, CQ_MASK) + 1 < qsize) {
      q = queueCreate(cpu, qsize);
      if (q == 0) return -ENOMEM;
    }
    atomic.store<u32>(q + CQ_PROG, prog);
    atomic.store<u32>(q + CQ_MAP, m);
    atomic.store<u32>(q + CQ_QSIZE, qsize);
    atomic.store<u32>(s + 8, q);
    // the replaced queue: its producers see the new one from now on, its frames are still drained
    if (old != q) queueRetire(old);
  }
  store<u32>(s, prog, 4);
  store<u32>(s, qsize);
  if (ASC_FEATURE_THREADS) cpumap_reclaim();
  return 0;
}

/** Entry `s` emptied: no value, its queue (if any) unpublished and left to drain and be freed. */
function slotEmpty(s: u32): void {
  store<u64>(s, 0);
  if (!ASC_FEATURE_THREADS) return;
  const q = load<u32>(s, 8);
  if (q == 0) return;
  atomic.store<u32>(s + 8, 0);
  if ((load<u32>(q, CQ_FLAGS) & CQF_DYING) == 0) queueRetire(q);
  cpumap_reclaim();
}

/** Queue `q` is no entry's any more: DYING from the open grace period on. */
function queueRetire(q: u32): void {
  if (q == 0) return;
  store<u32>(q, rc_stamp(), CQ_STAMP);
  atomic.store<u32>(q + CQ_FLAGS, load<u32>(q, CQ_FLAGS) | CQF_DYING);
}

/** The bytes of queue `q`'s allocation. */
@inline function queueBytes(q: u32): u32 {
  return CQ_ENTRIES + (load<u32>(q, CQ_MASK) + 1) * CQ_ENTRY_SIZE;
}

/**
 * Free what can be freed (control plane): every DYING queue whose grace period is over and that its
 * worker has drained leaves the list and goes to the reclaimer. Returns the DYING queues left.
 */
export function cpumap_reclaim(): u32 {
  if (!ASC_FEATURE_THREADS) return 0;
  rc_reclaim();
  let left: u32 = 0;
  let prev = CPUMAP_QUEUES;
  let q = load<u32>(prev);
  while (q != 0) {
    const next = load<u32>(q, CQ_NEXT);
    const flags = load<u32>(q, CQ_FLAGS);
    if ((flags & CQF_DYING) == 0) {
      prev = q + CQ_NEXT;
    } else if (rc_passed(load<u32>(q, CQ_STAMP)) && atomic.load<u32>(q + CQ_PROD) == atomic.load<u32>(q + CQ_CONS)) {
      // a worker walking the list may be at q: it still finds q's next, and q is reused only after
      // every worker has passed a quiescent point (rc_retire)
      atomic.store<u32>(prev, next);
      if ((flags & CQF_ARENA) == 0) rc_retire(q, queueBytes(q));
    } else {
      prev = q + CQ_NEXT;
      left++;
    }
    q = next;
  }
  return left;
}

/**
 * Every queue freed and every frame on one given back to the pool: Datapath.close, once the workers
 * have joined (nobody produces or drains any more). The maps' entries lose their queues too.
 */
export function cpumap_free_all(): void {
  if (!ASC_FEATURE_THREADS) return;
  let q = load<u32>(CPUMAP_QUEUES);
  atomic.store<u32>(CPUMAP_QUEUES, 0);
  while (q != 0) {
    const next = load<u32>(q, CQ_NEXT);
    const mask = load<u32>(q, CQ_MASK);
    for (let i = load<u32>(q, CQ_CONS); i != load<u32>(q, CQ_PROD); i++) {
      frameFree(load<u32>(q + CQ_ENTRIES + (i & mask) * CQ_ENTRY_SIZE));
    }
    store<u32>(q, load<u32>(q, CQ_PROD), CQ_CONS);
    const flags = load<u32>(q, CQ_FLAGS);
    // a slot that still names it (a live entry) must not hand it out again (cpumapUpdate)
    store<u32>(q, flags | CQF_DYING, CQ_FLAGS);
    if ((flags & CQF_ARENA) == 0) rc_retire(q, queueBytes(q));
    q = next;
  }
  rc_reclaim();
}

/**
 * Device `ifindex` is gone (Datapath.removeDevice, after the workers' round: nothing of it is polled, so
 * no frame of it is enqueued any more): the frames of it still queued for a worker lose their ingress
 * (ifindex 0), and cpumap_poll gives them back to the pool as it does a frame whose device is gone — not
 * run as frames of whatever device takes that ifindex next (the kernel's xdp_frame names its dev_rx, not
 * a number). Each entry is changed only while it still names `ifindex` (a compare-exchange: a slot the
 * worker has drained and a producer filled again is left alone). Returns how many frames it marked.
 */
export function cpumap_forget_device(ifindex: u32): u32 {
  if (!ASC_FEATURE_THREADS || ifindex == 0) return 0;
  let n: u32 = 0;
  for (let q = atomic.load<u32>(CPUMAP_QUEUES); q != 0; q = load<u32>(q, CQ_NEXT)) {
    const mask = load<u32>(q, CQ_MASK);
    const end = atomic.load<u32>(q + CQ_PROD);
    for (let i = atomic.load<u32>(q + CQ_CONS); i != end; i++) {
      if (atomic.cmpxchg<u32>(q + CQ_ENTRIES + (i & mask) * CQ_ENTRY_SIZE + 12, ifindex, 0) == ifindex) n++;
    }
  }
  return n;
}

/** A queue for `cpu` with room for `qsize` frames, linked into CPUMAP_QUEUES; 0 without memory. */
function queueCreate(cpu: u32, qsize: u32): u32 {
  let n: u32 = 1;
  while (n < qsize) n <<= 1;
  let q = rc_alloc(CQ_ENTRIES + n * CQ_ENTRY_SIZE);
  let flags: u32 = 0;
  if (q == 0) {
    q = arena_alloc(CQ_ENTRIES + n * CQ_ENTRY_SIZE, 64);
    flags = CQF_ARENA;
  }
  if (q == 0) return 0;
  memory.fill(q, 0, CQ_ENTRIES);
  store<u32>(q, flags, CQ_FLAGS);
  store<u32>(q, n - 1, CQ_MASK);
  store<u32>(q, qsize, CQ_QSIZE);
  store<u32>(q, cpu, CQ_CPU);
  store<u32>(q, load<u32>(CPUMAP_QUEUES), CQ_NEXT);
  atomic.store<u32>(CPUMAP_QUEUES, q);
  return q;
}

/**
 * cpu_map_enqueue → bq_flush_to_queue: the frame onto entry `s`'s queue under the producer lock
 * (ptr_ring's producer_lock). False when the queue is full: the caller returns the frame (the
 * kernel's xdp_return_frame_rx_napi) and the drop is counted on the queue.
 */
export function cpumapEnqueue(s: u32, data: u32, len: u32, meta: u32, ifindex: u32): bool {
  if (!ASC_FEATURE_THREADS) return false;
  const q = atomic.load<u32>(s + 8);
  if (q == 0) return false;
  while (atomic.cmpxchg<u32>(q + CQ_LOCK, 0, 1) != 0) {}
  const p = load<u32>(q, CQ_PROD);
  let ok = p - atomic.load<u32>(q + CQ_CONS) < load<u32>(q, CQ_QSIZE);
  if (ok) {
    const e = q + CQ_ENTRIES + (p & load<u32>(q, CQ_MASK)) * CQ_ENTRY_SIZE;
    store<u32>(e, data);
    store<u32>(e, len, 4);
    store<u32>(e, meta, 8);
    store<u32>(e, ifindex, 12);
    // the entry is written before the index that hands it to the consumer
    atomic.store<u32>(q + CQ_PROD, p + 1);
    store<u64>(q, load<u64>(q, CQ_ENQUEUED) + 1, CQ_ENQUEUED);
  } else {
    store<u64>(q, load<u64>(q, CQ_DROPPED) + 1, CQ_DROPPED);
  }
  atomic.store<u32>(q + CQ_LOCK, 0);
  return ok;
}

/** A queue's counters for tests and the control plane: 0 enqueued, 1 dropped (full), 2 drained; by entry. */
export function cpumap_queue_stat(m: u32, cpu: u32, which: u32): u64 {
  if (cpu >= load<u32>(m, MAP_MAX_ENTRIES) || which > 2) return 0;
  const q = load<u32>(load<u32>(m, MAP_DATA) + cpu * SLOT + 8);
  return q == 0 ? 0 : load<u64>(q + CQ_ENQUEUED + (which << 3));
}

/** cpu_map_delete_elem(): -EINVAL past max_entries, else the entry is emptied. */
export function cpumapDelete(m: u32, key: u32): i32 {
  const cpu = load<u32>(key);
  if (cpu >= load<u32>(m, MAP_MAX_ENTRIES)) return -EINVAL;
  slotEmpty(load<u32>(m, MAP_DATA) + cpu * SLOT);
  return 0;
}

/** Every entry emptied (their queues drained, then freed). */
export function cpumapClear(m: u32): void {
  const d = load<u32>(m, MAP_DATA);
  const n = load<u32>(m, MAP_MAX_ENTRIES);
  for (let i: u32 = 0; i < n; i++) slotEmpty(d + i * SLOT);
}
