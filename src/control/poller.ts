// The poll driver: what turns the data path's rings into JS events without a busy loop. One per
// Datapath (Poller.of), shared by the socket API (dp.udp), wires and anything else with work for it.
//
//   kick() ─▶ setImmediate ─▶ run():  sync the stack clock (wall mode)
//                                     repeat up to `bursts` times:
//                                       dp.poll (every RX queue, NAPI budget)
//                                       stages: sockets with news (sk_ready → 'message'…), wires (TX → peer RX)
//                                     until a round did nothing ─▶ idle
//                                     still busy after `bursts` rounds ─▶ kick() again (I/O gets a turn)
//   (kicks are ref'd immediates: an unref'd one would wait in epoll for unrelated I/O before running)
//                           idle ─▶ a timer only when the stack has one due (net_next_timer), else nothing
//
// Who kicks: a socket that sent (its frames wait on a TX ring or on a loopback), a wire that carried
// frames into this Datapath, a timer that fell due, and embedders that injected frames themselves.
// Keep-alive follows node's handles: the process stays up while something holds the poller (a bound,
// ref'd socket) — one ref'd interval that never fires — and timers of the stack alone never keep it up.

import { WxdpError } from '../errors.js';
import type { Datapath } from './datapath.js';

/** Something the poller runs after each dp.poll: returns how much it did (0: nothing to do). */
export type PollStage = () => number;

export interface PollerOptions {
  /**
   * 'wall' (default): before each run the stack clock is advanced by the wall time that passed, and an
   * idle poller wakes when the stack's next timer falls due. 'manual': the clock is the caller's
   * (dp.stack.advance), runs happen on kick() or run() only — what deterministic tests use.
   */
  clock?: 'wall' | 'manual';
  /** Rounds (dp.poll + stages) one run makes before it lets the event loop in (default 64). */
  bursts?: number;
}

interface TimerExports {
  net_next_timer?(): bigint;
}

const POLLERS = new WeakMap<Datapath, Poller>();
/**
 * How late a scheduled run may start and still have all of its lateness counted on the stack clock (ms).
 * Past it the process was starved (a blocked event loop, a loaded machine): the frames that were waiting
 * on the rings did not move either, so counting the stall would expire neighbour probes and reassembly
 * queues for frames that never had their turn (an ARP request still on the TX ring, its reply not yet
 * made). Idle time, with no run pending, always counts in full.
 */
const STALL_MS = 100;
/** An interval that never fires: it only keeps the event loop alive (setInterval's limit is 2^31-1 ms). */
const KEEPALIVE_MS = 0x7fffffff;

export class Poller {
  private readonly stages: PollStage[] = [];
  private immediate: NodeJS.Immediate | undefined;
  private timer: NodeJS.Timeout | undefined;
  private timerDue = -1;
  private keepAlive: NodeJS.Timeout | undefined;
  private readonly holders = new Set<object>();
  private running = false;
  private again = false;
  private lastWall = performance.now();
  /** performance.now() at which the pending immediate run, and the timer's run, were meant to start; -1: none. */
  private immediateAt = -1;
  private timerAt = -1;
  private _clock: 'wall' | 'manual' = 'wall';
  private bursts = 64;
  /** Runs made and rounds inside them, for tests and `wxdp stats`-style output. */
  readonly counters = { runs: 0, rounds: 0, frames: 0, timers: 0 };

  private constructor(
    readonly dp: Datapath,
    opts: PollerOptions,
  ) {
    this.configure(opts);
  }

  /** The Datapath's poller (made on first use, with `opts`; later calls may change them). */
  static of(dp: Datapath, opts?: PollerOptions): Poller {
    let p = POLLERS.get(dp);
    if (!p) {
      p = new Poller(dp, opts ?? {});
      POLLERS.set(dp, p);
    } else if (opts) p.configure(opts);
    return p;
  }

  /**
   * The Datapath's poller stops for good (Datapath.close): the scheduled run, the timer and the keep-alive
   * go, and later kicks, holds and timers do nothing. run() still works, for a caller that drains.
   */
  static stop(dp: Datapath): void {
    const p = POLLERS.get(dp);
    if (!p) return;
    p.stopped = true;
    if (p.immediate) clearImmediate(p.immediate);
    p.immediate = undefined;
    p.clearTimer();
    p.holders.clear();
    if (p.keepAlive) clearInterval(p.keepAlive);
    p.keepAlive = undefined;
  }

  private stopped = false;

  /** Change the clock mode or the burst limit. */
  configure(opts: PollerOptions): void {
    if (opts.clock !== undefined) {
      if (opts.clock !== 'wall' && opts.clock !== 'manual') throw new WxdpError('USAGE', `poller clock must be 'wall' or 'manual', not ${String(opts.clock)}`);
      if (opts.clock === 'wall' && this._clock !== 'wall') this.lastWall = performance.now();
      this._clock = opts.clock;
      if (opts.clock === 'manual') this.clearTimer();
    }
    if (opts.bursts !== undefined) {
      if (!Number.isInteger(opts.bursts) || opts.bursts < 1) throw new WxdpError('USAGE', `poller bursts must be a positive integer, not ${opts.bursts}`);
      this.bursts = opts.bursts;
    }
  }

  get clock(): 'wall' | 'manual' {
    return this._clock;
  }

  /** Run `stage` after every dp.poll of every run. Returns a function that removes it. */
  addStage(stage: PollStage): () => void {
    this.stages.push(stage);
    return () => {
      const i = this.stages.indexOf(stage);
      if (i >= 0) this.stages.splice(i, 1);
    };
  }

  /** There is (or may be) work: run soon, once, whatever the number of kicks before. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.immediate) return;
    this.immediateAt = performance.now();
    const im = setImmediate(() => {
      this.immediate = undefined;
      this.run();
    });
    // Ref'd: node starts the check phase's idle handle only for ref'd immediates — an unref'd one waits
    // in epoll for unrelated I/O or a timer (measured: sends left a second later, at a neighbour timer).
    // It keeps the loop for one turn, which is what pending work should do.
    this.immediate = im;
  }

  /**
   * Advance the stack clock to the wall clock (wall mode; manual mode leaves it). Sends call this
   * first so what they arm (neighbour timers) starts at the right time.
   */
  syncClock(): void {
    if (this._clock !== 'wall') return;
    const now = performance.now();
    // when a run was due: the earlier of a scheduled immediate and timer that are past (no array: sends call this)
    let expected = Infinity;
    if (this.immediateAt >= 0 && this.immediateAt <= now) expected = this.immediateAt;
    if (this.timerAt >= 0 && this.timerAt <= now && this.timerAt < expected) expected = this.timerAt;
    const late = now - Math.max(expected, this.lastWall);
    if (late > STALL_MS) this.lastWall += late - STALL_MS; // the stall beyond STALL_MS is not the stack's time
    const ms = Math.floor(now - this.lastWall);
    if (ms > 0) {
      this.lastWall += ms;
      this.dp.stack.advance(ms);
    }
  }

  /**
   * Run now, synchronously: rounds of dp.poll and the stages until one does nothing or `bursts`
   * rounds were made (then another run is scheduled). Returns the work done (frames + stage work).
   */
  run(): number {
    if (this.running) {
      this.again = true;
      return 0;
    }
    if (this.immediate) {
      clearImmediate(this.immediate);
      this.immediate = undefined;
    }
    this.running = true;
    this.counters.runs++;
    let total = 0;
    let busy = false;
    try {
      this.syncClock();
      this.immediateAt = -1;
      if (!this.timer) this.timerAt = -1;
      for (let round = 0; round < this.bursts; round++) {
        this.again = false;
        const frames = this.dp.poll();
        let work = frames;
        // A stage may remove itself (a wire closed from an event handler): iterate over a copy.
        for (const s of [...this.stages]) work += s();
        this.counters.rounds++;
        this.counters.frames += frames;
        total += work;
        busy = work > 0 || this.again;
        if (!busy) break;
      }
    } finally {
      this.running = false;
    }
    if (busy) this.kick();
    else this.armTimer();
    return total;
  }

  /** The stack's next timer (ms on its clock), -1 when none is armed. */
  nextTimer(): number {
    const x = this.dp.fastPath.exports as unknown as TimerExports;
    if (typeof x.net_next_timer !== 'function') return -1;
    return Number(x.net_next_timer());
  }

  private armTimer(): void {
    if (this._clock !== 'wall' || this.stopped) return;
    const due = this.nextTimer();
    if (due < 0) {
      this.clearTimer();
      return;
    }
    if (this.timer && this.timerDue === due) return;
    this.clearTimer();
    const wait = Math.max(0, due - this.dp.stack.now());
    this.timerDue = due;
    this.timerAt = performance.now() + wait;
    const t = setTimeout(() => {
      this.timer = undefined;
      this.timerDue = -1;
      this.counters.timers++;
      this.run();
    }, wait);
    // The stack's own timers (ARP retries, reassembly expiry) never keep the process up by themselves.
    t.unref();
    this.timer = t;
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = -1;
    this.timer = undefined;
    this.timerDue = -1;
  }

  /** `holder` keeps the process alive (a bound, ref'd socket) until release(holder). */
  hold(holder: object): void {
    if (this.stopped) return;
    this.holders.add(holder);
    if (!this.keepAlive) this.keepAlive = setInterval(() => undefined, KEEPALIVE_MS);
  }

  release(holder: object): void {
    this.holders.delete(holder);
    if (this.holders.size === 0 && this.keepAlive) {
      clearInterval(this.keepAlive);
      this.keepAlive = undefined;
    }
  }

  /** Whether something holds the process alive through this poller. */
  get held(): boolean {
    return this.holders.size > 0;
  }

  /** Whether a run or a timer is scheduled (false: the poller is asleep). */
  get scheduled(): boolean {
    return this.immediate !== undefined || this.timer !== undefined;
  }
}
