// The code a data path worker thread runs (src/control/workers.ts starts it with `eval: true`): plain
// JavaScript in a string, because a worker cannot load this package's TypeScript under a test runner
// and needs nothing of it: everything it runs is wasm, handed over as WebAssembly.Modules.
//
//   start: instantiate the shared fast path (its own table), worker_init(w, n, area, scratch)
//   loop:  apply control messages (receiveMessageOnPort: no event loop turn needed), acknowledge them
//          ─▶ dp_poll_worker (its queues, NAPI budget, a quiescent point)
//          ─▶ frames: go round again; idle for SPIN rounds: Atomics.wait on the wake word (IDLE_MS at most)
//   hold:  while the HOLD word is set (Workers.hold), the worker polls nothing (messages still apply) and
//          sleeps on the wake word until Workers.wake (every message and release() bump it; HELD_MS at most)
//   stop:  the state word set ─▶ worker_exit (offline for reclamation) ─▶ the thread ends
//
// Messages (from Workers.install / bench):
//   { seq, install: { id, module, imports: [[name, fastPathExport]], slots: [[exportName, tableIndex]] } }
//     instantiate program `id` once (its wasm helpers are this worker's fast path's exports), then put
//     the named exports at the same table indices the main thread gave them: a slot number in shared
//     memory (DEV_PROG, a prog_array, a devmap entry) means the same program on every thread.
//   { seq, bench: { dev, queue, len, gen, tx, host, ms } }   for `ms` (bench/workers.ts): the queue's fill-ring
//     frames replayed (`len` bytes) or written by packet generator `gen` (≠ 0), polled, and with `tx` (≠ 0)
//     that device's TX ring completed and its queue polled; frames in FRAMES, the window's wall and thread
//     CPU time (µs, /proc/thread-self/schedstat) in BENCH_WALL and BENCH_CPU; with `host`, worker 0 also
//     completes the device's host ring (XDP_PASS frames; its one consumer)
// Every message bumps ACK to its seq once applied; the main thread waits on it.

/** Control word indices (src/runtime/memory.ts WKC): the JS below has them as literals. */
export const WORKER_SOURCE = String.raw`
'use strict';
const { workerData, receiveMessageOnPort } = require('node:worker_threads');
const { w, n, memory, fastPath, area, scratch, control, port, budget } = workerData;
const SPIN = 64;
const IDLE_MS = 1;
// A held worker has nothing to poll: it sleeps until woken, not IDLE_MS at a time (a wake-up every
// millisecond takes a core from, and pollutes the caches of, the threads that are running)
const HELD_MS = 100;
const STATE = 0, WAKE = 1, ROUNDS = 2, FRAMES = 3, ACK = 4, FAULTS = 5, HOLD = 6, BENCH_WALL = 9, BENCH_CPU = 10;
const table = new WebAssembly.Table({ element: 'anyfunc', initial: 1 });
const napWord = new Int32Array(new SharedArrayBuffer(4));
const fp = new WebAssembly.Instance(fastPath, {
  env: { memory, table, abort: () => { throw new Error('fast path aborted'); }, nap: (us) => Atomics.wait(napWord, 0, 0, us / 1000) },
});
const x = fp.exports;
const ctl = new Int32Array(memory.buffer, control, 16);
const programs = new Map();
const ktime = () => process.hrtime.bigint();
// call_depth: a bpf-to-bpf call or callback past MAX_FRAMES (the JIT's guard; the verifier bounds the depth
// of what workers run, so only a fault path): the poll's catch below counts it
const callDepth = (pc) => { throw new Error('call depth exceeded at insn ' + pc); };
const JS_HELPERS = { helper_5: ktime, helper_125: ktime, helper_160: ktime, call_depth: callDepth };

function install(p) {
  let inst = programs.get(p.id);
  if (!inst) {
    const env = { memory, table };
    for (const [name, exp] of p.imports) env[name] = exp === '' ? JS_HELPERS[name] : x[exp];
    inst = new WebAssembly.Instance(p.module, { env });
    programs.set(p.id, inst);
  }
  for (const [name, index] of p.slots) {
    if (table.length <= index) table.grow(index + 1 - table.length);
    table.set(index, inst.exports[name]);
  }
}

// The thread's CPU time (ns), brought up to date: schedstat prints se.sum_exec_runtime as it stands, which
// the scheduler adds a running thread's time to only at a tick, a preemption check or when it leaves the
// CPU (update_curr): a 20-µs sleep first (the thread leaves the CPU) makes it exact, not a tick late.
function cpuNs() {
  Atomics.wait(napWord, 0, 0, 0.02);
  try {
    return Number(require('node:fs').readFileSync('/proc/thread-self/schedstat', 'latin1').split(' ')[0]) || 0;
  } catch {
    return 0;
  }
}

function bench(b) {
  const q = b.queue;
  const c0 = cpuNs();
  const t0 = performance.now();
  const end = t0 + b.ms;
  let frames = 0;
  do {
    for (let i = 0; i < 64; i++) {
      if (b.gen) x.dev_rx_generate(b.dev, q, b.gen, budget);
      else x.dev_rx_replay(b.dev, q, b.len, budget);
      frames += x.napi_poll(b.dev, q, budget);
      if (b.tx) {
        x.dev_tx_done(b.tx, q, budget);
        x.napi_poll(b.tx, q, budget);
      }
      // the device's host ring has one consumer: worker 0 takes back what every worker passed
      if (b.host && w === 0) x.dev_host_done(b.dev, 4 * budget);
    }
  } while (performance.now() < end);
  const wallUs = Math.round((performance.now() - t0) * 1000);
  const c1 = cpuNs();
  Atomics.store(ctl, FRAMES, frames | 0);
  Atomics.store(ctl, BENCH_WALL, wallUs);
  Atomics.store(ctl, BENCH_CPU, c0 && c1 ? Math.round((c1 - c0) / 1000) : 0);
}

function apply(m) {
  if (m.install) install(m.install);
  if (m.bench) bench(m.bench);
  Atomics.store(ctl, ACK, m.seq);
  Atomics.notify(ctl, ACK);
}

x.worker_init(w, n, area, scratch);
let idle = 0;
while (Atomics.load(ctl, STATE) === 0) {
  // read before the messages: a message posted after it comes with a bump (Workers.wake), so no wait misses it
  const wake = Atomics.load(ctl, WAKE);
  let m;
  while ((m = receiveMessageOnPort(port)) !== undefined) apply(m.message);
  if (Atomics.load(ctl, HOLD) !== 0) {
    Atomics.wait(ctl, WAKE, wake, HELD_MS);
    continue;
  }
  let f = 0;
  try {
    f = x.dp_poll_worker(budget, w, n);
  } catch (e) {
    Atomics.add(ctl, FAULTS, 1);
    port.postMessage({ fault: String(e && e.stack || e) });
  }
  Atomics.add(ctl, ROUNDS, 1);
  if (f !== 0) {
    Atomics.add(ctl, FRAMES, f);
    idle = 0;
  } else if (++idle >= SPIN) {
    Atomics.wait(ctl, WAKE, wake, IDLE_MS);
    idle = 0;
  }
}
x.worker_exit(w);
port.close();
`;
