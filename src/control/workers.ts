// Data path workers: `Datapath.create({ workers: N })` runs N worker_threads over the one shared
// WebAssembly.Memory. Each instantiates the fast path (the shared build) and the JIT'd programs — its
// own copy of each, compiled against its own run areas — and polls its device queues NAPI-style; the
// control plane stays on the main thread and changes what workers read with single aligned stores.
//
//   main thread                                   worker w (src/control/worker_thread.ts)
//   Workers.start: per worker an area (WK_SIZE)   worker_init(w, n, area, scratch)
//     and a stack scratch from the arena          loop: messages → dp_poll_worker(queue k: k mod n == w)
//   Program.load: one module per worker            → quiescent point → idle: Atomics.wait(wake, 1 ms)
//   attach / prog_array / devmap: install the
//     worker copies at the main table's indices,
//     wait for every worker's ACK, then publish
//     the slot (dev_attach, the map update)
//   dp.poll(): wakes the workers (they poll)
//   close(): state = stop, wake, join
//
// Queue k of every device belongs to worker k mod n (RSS or inject({ queue }) chooses the queue), so
// each RX ring keeps one consumer and each fill ring one producer, as a NIC queue has one NAPI context.

import { Worker } from 'node:worker_threads';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { WxdpError } from '../errors.js';
import { compileModule, type CompiledModule, type JitOptions } from '../jit/index.js';
import { fastPathModule, type FastPath } from '../runtime/fastpath.js';
import { NAPI_BUDGET, WK, WKC } from '../runtime/memory.js';
import { NET_SCRATCH_SIZE } from '../runtime/net_abi.js';
import type { Insn } from '../isa/insn.js';
import type { HelperTable } from '../helpers/index.js';
import { WORKER_SOURCE } from './worker_thread.js';

/**
 * Imports a worker implements itself in JS (the clocks, and call_depth: the JIT's guard past MAX_FRAMES,
 * a fault); every other helper must be the fast path's wasm.
 */
const WORKER_JS_HELPERS = new Set(['helper_5', 'helper_125', 'helper_160', 'call_depth']);
/** How long the main thread waits for every worker to apply a change before it gives up. */
const ACK_TIMEOUT_MS = 10_000;
export const MAX_WORKERS = 64;

interface WorkerExports {
  arena_alloc(size: number, align: number): number;
  cpumap_reclaim(): number;
  net_init(): number;
  rc_free_bytes(): bigint;
  neigh_ctl_io(): number;
  cpumap_free_all(): void;
}

/** What a worker reports: rounds of dp_poll_worker, frames it polled, faults caught in its loop. */
export interface WorkerStats {
  worker: number;
  rounds: number;
  frames: number;
  faults: number;
}

/** One worker's bench window (Workers.bench): frames, and the window's wall and thread CPU time. */
export interface WorkerBenchSample {
  frames: number;
  wallNs: number;
  cpuNs: number;
}

/** A program as the pool sees it: its instructions and how the main thread compiled it. */
export interface WorkerProgram {
  readonly name: string;
  readonly insns: readonly Insn[];
}

export class Workers {
  readonly count: number;
  /** Each worker's area (WK layout): its stacks, xdp_md, run state, burst results, control words. */
  readonly areas: readonly number[];
  /** Fault messages from workers (a trap in a poll), oldest first. */
  readonly faults: string[] = [];
  private readonly ports: MessagePort[];
  private readonly threads: Worker[];
  private readonly memory: WebAssembly.Memory;
  private seq = 0;
  private closed = false;
  /** Threads that ended (an error in the worker, or close()). */
  private readonly dead: boolean[] = [];
  private readonly exited: Promise<void>[];
  private readonly modules = new WeakMap<WorkerProgram, CompiledModule[]>();
  private readonly installed = new WeakMap<WorkerProgram, Set<string>>();
  private readonly ids = new WeakMap<WorkerProgram, number>();
  private nextId = 1;

  private constructor(
    private readonly fastPath: FastPath,
    private readonly helpers: HelperTable,
    count: number,
    areas: number[],
    threads: Worker[],
    ports: MessagePort[],
  ) {
    this.count = count;
    this.areas = areas;
    this.ports = ports;
    this.threads = threads;
    this.memory = fastPath.memory.memory;
    this.exited = threads.map((t) => new Promise<void>((resolve) => t.once('exit', () => resolve())));
    threads.forEach((t, w) => {
      t.on('error', (e) => this.faults.push(`worker ${w}: ${e.message}`));
      t.once('exit', () => (this.dead[w] = true));
    });
    for (const p of ports) {
      p.on('message', (m: { fault?: string }) => {
        if (m.fault) this.faults.push(m.fault);
      });
      p.unref();
    }
  }

  /** Start `count` workers over `fastPath`'s (shared) memory. */
  static async start(fastPath: FastPath, helpers: HelperTable, count: number): Promise<Workers> {
    if (!Number.isInteger(count) || count < 1 || count > MAX_WORKERS) throw new WxdpError('USAGE', `workers must be 1..${MAX_WORKERS}, not ${count}`);
    const mem = fastPath.memory;
    if (!mem.shared) throw new WxdpError('USAGE', 'workers need a shared memory (EngineMemory { shared: true })');
    const x = fastPath.exports as unknown as WorkerExports;
    const module = await fastPathModule(true);
    // The stack's root before any worker starts: a worker registers for reclamation (net/reclaim.ts)
    // only where there is a root, and one that did not would not hold back the freeing of what it reads.
    const r = x.net_init();
    if (r !== 0 && r !== -17) throw new WxdpError('USAGE', `workers: no memory for the stack's root (ENOMEM: ${mem.limitReached()})`);
    // The roots the stages would otherwise set up at their first use, which two workers could reach at
    // once: the reclaimer's state and the neighbour tables.
    x.rc_free_bytes();
    x.neigh_ctl_io();
    const areas: number[] = [];
    const threads: Worker[] = [];
    const ports: MessagePort[] = [];
    for (let w = 0; w < count; w++) {
      const area = x.arena_alloc(WK.SIZE, WK.ALIGN) >>> 0;
      const scratch = x.arena_alloc(NET_SCRATCH_SIZE, 64) >>> 0;
      if (area === 0 || scratch === 0) throw new WxdpError('USAGE', `workers: no memory for worker ${w}'s area (ENOMEM: ${mem.limitReached()})`);
      mem.bytes().fill(0, area, area + WK.SIZE);
      areas.push(area);
      const { port1, port2 } = new MessageChannel();
      const t = new Worker(WORKER_SOURCE, {
        eval: true,
        // the source is CommonJS: none of the parent's flags (--input-type=module would make it ESM)
        execArgv: [],
        workerData: { w, n: count, memory: mem.memory, fastPath: module, area, scratch, control: area + WK.CONTROL, port: port2, budget: NAPI_BUDGET },
        transferList: [port2],
      });
      threads.push(t);
      ports.push(port1);
    }
    const pool = new Workers(fastPath, helpers, count, areas, threads, ports);
    // A worker that fails to start (a missing export, a bad module) is an error here, not a silent hang.
    await Promise.all(
      threads.map(
        (t, w) =>
          new Promise<void>((resolve, reject) => {
            t.once('online', () => resolve());
            t.once('error', (e) => reject(new WxdpError('USAGE', `worker ${w} failed to start: ${e.message}`)));
          }),
      ),
    );
    pool.sync();
    // once running, idle workers do not keep the process up (as the poller's timers do not): dp.close() joins them
    for (const t of threads) t.unref();
    return pool;
  }

  private control(w: number): Int32Array {
    return new Int32Array(this.memory.buffer, this.areas[w]! + WK.CONTROL, 16);
  }

  /** The run areas worker `w`'s copy of a program is compiled against. */
  runAreas(w: number): { stackBase: number; ctxBase: number; runBase: number } {
    const a = this.areas[w]!;
    return { stackBase: a + WK.STACK, ctxBase: a + WK.CTX, runBase: a + WK.RUN };
  }

  /**
   * Compile each worker's copy of `program` (Program.load, after the main thread's copy): `insns` as the
   * engines run them (kfunc calls lowered to helper calls), by default the program's own.
   */
  async compile(program: WorkerProgram, opts: JitOptions, insns: readonly Insn[] = program.insns): Promise<void> {
    const out: CompiledModule[] = [];
    for (let w = 0; w < this.count; w++) out.push(await compileModule(insns, { ...opts, areas: this.runAreas(w) }));
    this.modules.set(program, out);
  }

  /**
   * Put `slots` (export name → index in the main thread's table) of `program` in every worker's table
   * at the same indices, and return once every worker has: only then may the caller publish an index
   * (dev_attach, a prog_array or devmap update). Refuses what a worker cannot run (PROG_ATTACH).
   */
  install(program: WorkerProgram, slots: ReadonlyArray<[string, number]>): void {
    if (this.closed) return;
    const mods = this.modules.get(program);
    if (!mods) throw new WxdpError('PROG_ATTACH', `program ${program.name}: not compiled for the workers (load it with the JIT on this Datapath)`);
    if (mods[0]!.checked) throw new WxdpError('PROG_ATTACH', `program ${program.name}: runs checked (loaded unverified); workers run verified programs only`);
    let done = this.installed.get(program);
    if (!done) this.installed.set(program, (done = new Set()));
    const fresh = slots.filter(([name, index]) => !done.has(`${name}@${index}`));
    if (fresh.length === 0) return;
    let id = this.ids.get(program);
    if (id === undefined) this.ids.set(program, (id = this.nextId++));
    const imports = this.importsOf(program, mods[0]!.module);
    const seq = ++this.seq;
    for (let w = 0; w < this.count; w++) {
      this.ports[w]!.postMessage({ seq, install: { id, module: mods[w]!.module, imports, slots: fresh } });
    }
    this.waitAck(seq);
    for (const [name, index] of fresh) done.add(`${name}@${index}`);
  }

  /** Which fast path export each function import of a worker module is (worker_thread.ts binds them). */
  private importsOf(program: WorkerProgram, module: WebAssembly.Module): Array<[string, string]> {
    const out: Array<[string, string]> = [];
    for (const imp of WebAssembly.Module.imports(module)) {
      if (imp.kind !== 'function') continue;
      if (WORKER_JS_HELPERS.has(imp.name)) {
        out.push([imp.name, '']);
        continue;
      }
      const exp = this.fastPathExportOf(imp.name);
      if (exp === undefined) {
        throw new WxdpError('PROG_ATTACH', `program ${program.name}: imports ${imp.name}, which runs in JavaScript on the main thread; workers run programs whose helpers are the fast path's`);
      }
      out.push([imp.name, exp]);
    }
    return out;
  }

  private fastPathExportOf(importName: string): string | undefined {
    const wh = /^whelper_(\d+)$/.exec(importName);
    const fn = wh ? this.helpers.get(Number(wh[1]))?.wasm : this.fastPath.exports[importName];
    if (typeof fn !== 'function') return undefined;
    for (const [k, v] of Object.entries(this.fastPath.exports)) if (v === fn) return k;
    return undefined;
  }

  /** Every worker has applied every message sent so far (and so is past worker_init). */
  sync(): void {
    const seq = ++this.seq;
    for (let w = 0; w < this.count; w++) this.ports[w]!.postMessage({ seq });
    this.waitAck(seq);
  }

  private waitAck(seq: number): void {
    this.wake();
    const deadline = performance.now() + ACK_TIMEOUT_MS;
    for (let w = 0; w < this.count; w++) {
      const c = this.control(w);
      for (;;) {
        const a = Atomics.load(c, WKC.ACK);
        if (a >= seq) break;
        if (this.dead[w]) throw new WxdpError('USAGE', `worker ${w} has ended${this.faults.length ? `: ${this.faults[this.faults.length - 1]}` : ''}`);
        const left = deadline - performance.now();
        if (left <= 0) throw new WxdpError('USAGE', `worker ${w} did not apply a change within ${ACK_TIMEOUT_MS} ms`);
        Atomics.wait(c, WKC.ACK, a, Math.min(left, 50));
      }
    }
  }

  /**
   * Every worker stops polling (it still applies messages) until release(): frames injected meanwhile
   * wait on their rings, so the workers start on them together — what tests and benchmarks that want
   * the workers to run at the same moment use. Returns once every worker is holding.
   */
  hold(): void {
    for (let w = 0; w < this.count; w++) Atomics.store(this.control(w), WKC.HOLD, 1);
    // a worker acknowledges a message at the top of its loop, and checks HOLD before it polls again
    this.sync();
  }

  /** The workers poll again, all at once. */
  release(): void {
    for (let w = 0; w < this.count; w++) Atomics.store(this.control(w), WKC.HOLD, 0);
    // a held worker sleeps on the wake word (worker_thread.ts)
    this.wake();
  }

  /** Workers waiting for work look again now (frames were queued, or a message sent). */
  wake(): void {
    // the control plane's turn to free what the workers have let go of (cpumap queues of deleted entries)
    if (!this.closed) (this.fastPath.exports as unknown as WorkerExports).cpumap_reclaim();
    for (let w = 0; w < this.count; w++) {
      const c = this.control(w);
      Atomics.add(c, WKC.WAKE, 1);
      Atomics.notify(c, WKC.WAKE);
    }
  }

  /**
   * Return once every worker has made `rounds` full rounds after this call began (frames queued before
   * it have been polled, when no queue holds more than `rounds` budgets). Synchronous, bounded by ACK_TIMEOUT_MS.
   * Workers held (hold()) poll nothing until release(): there is nothing to wait for, and settle returns
   * for them at once (their frames wait on their rings).
   * Frames one worker hands another (a cpumap entry's queue, a devmap redirect to a queue another worker
   * owns) are polled too: each worker's rounds are counted from when settle starts waiting for it, after
   * the workers before it have made theirs, and with several workers the pass is made twice (a hand-off
   * either way).
   */
  settle(rounds = 2): void {
    const deadline = performance.now() + ACK_TIMEOUT_MS;
    const passes = this.count > 1 ? 2 : 1;
    for (let pass = 0; pass < passes; pass++) for (let w = 0; w < this.count; w++) {
      const c = this.control(w);
      const start = Atomics.load(c, WKC.ROUNDS);
      for (;;) {
        if (Atomics.load(c, WKC.HOLD) !== 0) break;
        const r = Atomics.load(c, WKC.ROUNDS);
        if (((r - start) | 0) > rounds) break;
        if (performance.now() > deadline) throw new WxdpError('USAGE', `worker ${w} made no progress within ${ACK_TIMEOUT_MS} ms`);
        Atomics.add(c, WKC.WAKE, 1);
        Atomics.notify(c, WKC.WAKE);
        Atomics.wait(c, WKC.ROUNDS, r, 1);
      }
    }
  }

  /** What each worker has done so far. */
  stats(): WorkerStats[] {
    return this.areas.map((_, w) => {
      const c = this.control(w);
      return { worker: w, rounds: Atomics.load(c, WKC.ROUNDS) >>> 0, frames: Atomics.load(c, WKC.FRAMES) >>> 0, faults: Atomics.load(c, WKC.FAULTS) >>> 0 };
    });
  }

  /**
   * bench/workers.ts: for `ms` milliseconds, all at once, every worker w receives on queue w of device
   * address `dev` — the frames of its fill ring replayed (`len` bytes each, as a NIC receiving them
   * again), or written by packet generator `gens[w]` — polls them, and with `tx` completes that device's
   * TX ring w (the NIC sent them) and polls its queue w; with `host`, worker 0 completes the device's
   * host ring (what the program passed; the ring's one consumer). Returns each worker's frames, wall time and
   * thread CPU time (ns; cpuNs 0 where the kernel does not tell).
   */
  bench(spec: { dev: number; len: number; ms: number; gens?: readonly number[]; tx?: number; host?: boolean }): WorkerBenchSample[] {
    const seq = ++this.seq;
    for (let w = 0; w < this.count; w++) {
      this.ports[w]!.postMessage({ seq, bench: { dev: spec.dev, queue: w, len: spec.len, gen: spec.gens?.[w] ?? 0, tx: spec.tx ?? 0, host: spec.host ?? false, ms: spec.ms } });
    }
    this.waitAck(seq);
    return this.areas.map((_, w) => {
      const c = this.control(w);
      return { frames: Atomics.load(c, WKC.FRAMES) >>> 0, wallNs: (Atomics.load(c, WKC.BENCH_WALL) >>> 0) * 1000, cpuNs: (Atomics.load(c, WKC.BENCH_CPU) >>> 0) * 1000 };
    });
  }

  /** Stop every worker after its current round and wait for the threads to end. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return this.exited.length ? Promise.all(this.exited).then(() => undefined) : undefined;
    this.closed = true;
    // joining holds the process up until every thread has ended
    for (const t of this.threads) t.ref();
    for (let w = 0; w < this.count; w++) Atomics.store(this.control(w), WKC.STATE, 1);
    this.wake();
    await Promise.all(this.exited);
    for (const p of this.ports) p.close();
    // nobody produces or drains any more: every cpumap queue and the frames on it go back
    (this.fastPath.exports as unknown as WorkerExports).cpumap_free_all();
  }
}
