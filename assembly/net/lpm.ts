// The control operations lpm4 and lpm6 tables share (a table knows its family): batch loading,
// reclaiming retired memory after a quiescent point, counters. Control plane only.
//
// Multi-worker protocol: reclaim.ts's (net_worker_online, net_quiescent). Blocks an update unlinked
// wait for the grace period that was open when it published; lpm_reclaim runs rc_reclaim and takes
// back what has passed. With no worker online, every call passes at once. lpm_gen counts updates.

import {
  HDR_COUNT, HDR_DIRTY, HDR_GEN, HDR_HELD, HDR_LIVE_RIB, HDR_LIVE_STRUCT, HDR_MAGIC, HDR_RETIRED, heapReclaim, MAGIC4,
  MAGIC6,
} from './lpm_heap';
import { ptBatchBegin, ptCommit, ptFlush } from './poptrie';
import { rc_reclaim } from './reclaim';

@inline function isTable(t: u32): bool {
  if (t == 0) return false;
  const m = load<u32>(t + HDR_MAGIC);
  return m == MAGIC4 || m == MAGIC6;
}

/** Start a batch (a bulk load): changes are recorded, published by lpm_commit. 0, -16 (EBUSY), -22, -12. */
export function lpm_batch_begin(t: u32): i32 {
  return isTable(t) ? ptBatchBegin(t) : -22;
}

/** Whether a batch is open. */
export function lpm_in_batch(t: u32): bool {
  return isTable(t) && load<u32>(t + HDR_DIRTY) != 0;
}

/**
 * Publish up to `groups` groups of 64 direct entries the batch changed: the groups left (0: all
 * published, the batch is closed), or -12 (ENOMEM: the rest stays pending), -22.
 */
export function lpm_commit(t: u32, groups: u32): i32 {
  return isTable(t) ? ptCommit(t, groups) : -22;
}

/** End what grace periods can (rc_reclaim) and reuse the blocks whose grace period is over. Bytes still retired. */
export function lpm_reclaim(t: u32): f64 {
  if (!isTable(t)) return 0;
  rc_reclaim();
  return <f64>heapReclaim(t);
}

/** The generation of the last published update (updates published so far). */
export function lpm_gen(t: u32): u32 {
  return isTable(t) ? load<u32>(t + HDR_GEN) : 0;
}

/** Prefixes in the table. */
export function lpm_count(t: u32): u32 {
  return isTable(t) ? load<u32>(t + HDR_COUNT) : 0;
}

/**
 * Memory in bytes: 0 the lookup structure (direct table, nodes, leaves), 1 the rules, 2 all the table
 * took from the arena, 3 retired and waiting for lpm_reclaim.
 */
export function lpm_mem(t: u32, what: u32): f64 {
  if (!isTable(t) || what > 3) return 0;
  const at = what == 0 ? HDR_LIVE_STRUCT : what == 1 ? HDR_LIVE_RIB : what == 2 ? HDR_HELD : HDR_RETIRED;
  return <f64>load<u64>(t + at);
}

/** Remove every prefix (memory kept for reuse after lpm_reclaim). 0, -22, -12. */
export function lpm_flush(t: u32): i32 {
  return isTable(t) ? ptFlush(t) : -22;
}
