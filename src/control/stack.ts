// The stack's root as the control plane sees it: set up once per Datapath (net_init), its clock
// (advanced by the control plane so timers are deterministic), and its counters by the kernel's names.

import { WxdpError } from '../errors.js';
import { WK } from '../runtime/memory.js';
import { MIB_COUNT, MIB_NAMES, NDROP_COUNT, NET_DROP_REASONS } from '../runtime/net_abi.js';
import { BpfTimers } from './bpf_timers.js';
import type { Datapath } from './datapath.js';

interface StackExports {
  net_init(): number;
  net_advance(ms: number): void;
  net_now(): bigint;
  net_realtime_set(ms: bigint): void;
  net_mib_base(): number;
  net_drops_base(): number;
  net_sysctl_set(i: number, v: number): number;
  net_sysctl_get(i: number): number;
}

export class Stack {
  private readonly x: StackExports;

  constructor(readonly dp: Datapath) {
    this.x = dp.fastPath.exports as unknown as StackExports;
    this.bpfTimers = new BpfTimers(dp.fastPath.exports, dp.helpers);
    const r = this.x.net_init();
    if (r !== 0 && r !== -17) throw new WxdpError('MAP_NO_MEMORY', `cannot set up the stack: ENOMEM: ${dp.memory.limitReached()}`);
    // the wall clock runs with the stack clock from this process's clock now (meta time / day / hour read it)
    if (r === 0) this.setRealtime(Date.now());
  }

  /** Set the wall clock the data path reads (nft's meta time, day, hour): `ms` since the Unix epoch now. */
  setRealtime(ms: number): void {
    this.x.net_realtime_set(BigInt(Math.trunc(ms) - this.now()));
  }

  /** @internal The fast path's exports, typed by the caller. */
  exports<T>(): T {
    return this.dp.fastPath.exports as unknown as T;
  }

  /** The stack's clock, in milliseconds since the Datapath was created. */
  now(): number {
    return Number(this.x.net_now());
  }

  /** Advance the clock by `ms` (timers that fall due run: neighbours, reassembly, BPF timers). */
  advance(ms: number): void {
    if (!Number.isInteger(ms) || ms < 0) throw new WxdpError('USAGE', `advance takes a whole number of milliseconds >= 0, not ${ms}`);
    // net_advance takes a u32: step in chunks so a long jump still runs every timer in order; a step
    // ends at the next BPF timer's expiry, which fires after it
    for (let left = ms; left > 0; ) {
      let step = Math.min(left, 1000);
      const due = this.bpfTimers.nextExpiryMs() - this.now();
      if (due > 0 && due < step) step = due;
      this.x.net_advance(step);
      left -= step;
      this.bpfTimers.fire();
      for (const fn of this.timers) fn(this.now());
    }
  }

  private readonly bpfTimers: BpfTimers;

  private readonly timers: Array<(now: number) => void> = [];

  /**
   * @internal Run `fn` with the new time after every step of advance(): the control plane's own timers
   * (address lifetimes) follow the same clock as the stack's.
   */
  onAdvance(fn: (now: number) => void): void {
    this.timers.push(fn);
  }

  /** SNMP counters by 'Group:Name' (as /proc/net/snmp and snmp6), zero ones included. */
  mib(): Record<string, number> {
    return this.sum(this.x.net_mib_base() >>> 0, WK.MIB, MIB_COUNT, MIB_NAMES);
  }

  /** Drops by the kernel's SKB_DROP_REASON_* name (without the prefix), zero ones included. */
  drops(): Record<string, number> {
    return this.sum(this.x.net_drops_base() >>> 0, WK.DROPS, NDROP_COUNT, NET_DROP_REASONS);
  }

  /**
   * The main thread's counters at `base` plus each worker's own (at `inArea` in its area: workers count
   * per CPU, as the kernel's SNMP counters are, and a reader folds them, as snmp_fold_field does).
   */
  private sum(base: number, inArea: number, count: number, names: Readonly<Record<number, string>>): Record<string, number> {
    const v = this.dp.memory.view();
    const bases = [base, ...(this.dp.workers?.areas ?? []).map((a) => a + inArea)];
    const out: Record<string, number> = {};
    for (let i = 0; i < count; i++) {
      const name = names[i];
      if (!name) continue;
      let n = 0n;
      for (const b of bases) n += v.getBigUint64(b + i * 8, true);
      out[name] = Number(n);
    }
    return out;
  }
}
