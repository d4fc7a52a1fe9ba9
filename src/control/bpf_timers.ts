// BPF timers fired by the stack's clock (assembly/maps/timer.ts holds them): after each step of
// Stack.advance, every timer due runs its callback, earliest first, as the kernel's hrtimer softirq runs
// bpf_timer_cb — with (map, key, value) in a new frame 0, in the engine that set it: a table index
// (the JIT's) through the fast path's bpf_timer_run, an interpreter's tagged callback in that
// interpreter (HelperDef.timerOwners). The stack steps to each timer's expiry (nextExpiryMs), so a
// callback that re-arms its timer counts from when it fired.

import type { HelperTable } from '../helpers/index.js';
import { CALLBACK_TAG_HI } from '../interp/index.js';

interface TimerExports {
  bpf_timer_next_due(): number;
  bpf_timer_next_expiry(): bigint;
  bpf_timer_run(t: number): bigint;
  bpf_timer_done(t: number): void;
  bpf_timer_callback(t: number): bigint;
  bpf_timer_key(t: number): number;
  bpf_timer_map(t: number): number;
  bpf_timer_value(t: number): number;
}

/** The high word of an interpreter's callback value, as a timer's record holds it (unsigned). */
const INTERP_CALLBACK_TAG = BigInt(CALLBACK_TAG_HI >>> 0);
const BPF_FUNC_TIMER_SET_CALLBACK = 170;

export class BpfTimers {
  private readonly x: Partial<TimerExports>;

  constructor(exports: object, private readonly helpers: HelperTable) {
    this.x = exports as Partial<TimerExports>;
  }

  /** The earliest armed timer's expiry in whole ms of the stack clock (rounded up), or -1. */
  nextExpiryMs(): number {
    const ns = this.x.bpf_timer_next_expiry?.() ?? -1n;
    return ns < 0n ? -1 : Number((ns + 999_999n) / 1_000_000n);
  }

  /** Run every timer due now. */
  fire(): void {
    const x = this.x as TimerExports;
    if (!x.bpf_timer_next_due) return;
    for (let t = x.bpf_timer_next_due() >>> 0; t !== 0; t = x.bpf_timer_next_due() >>> 0) {
      try {
        const cb = BigInt.asUintN(64, x.bpf_timer_callback(t));
        if (cb >> 32n === INTERP_CALLBACK_TAG) {
          const owner = this.helpers.get(BPF_FUNC_TIMER_SET_CALLBACK)?.timerOwners?.get(t);
          owner?.runAsyncCallback(cb, BigInt(x.bpf_timer_map(t) >>> 0), BigInt(x.bpf_timer_key(t) >>> 0), BigInt(x.bpf_timer_value(t) >>> 0));
        } else x.bpf_timer_run(t);
      } finally {
        x.bpf_timer_done(t);
      }
    }
  }
}
