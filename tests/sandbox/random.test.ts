// Random unverified programs (tests/support/gen.ts) on random frames: checked mode keeps every byte the
// program may not touch as it was, both engines end each run alike (the same r0, or a fault at the same
// instruction and address), and a device's poll never throws whatever its program does. The program's
// r1 is the packet (a prologue loads ctx->data), so its accesses land in, around and past the frame.
// WXDP_SANDBOX_RUNS sets the number of (program, frame) runs: 100,000 in CI (.ci/run), fewer locally.

import { describe, expect, it } from 'vitest';
import { Datapath } from '../../src/control/datapath.js';
import { WxdpError } from '../../src/errors.js';
import { Class, Mode, Size } from '../../src/isa/opcodes.js';
import type { Insn } from '../../src/isa/insn.js';
import { CTX, CTX_BASE, RUN, RUN_BASE, STACK_BASE, STACK_TOP } from '../../src/runtime/memory.js';
import { fuzzClock } from '../support/budget.js';
import { randomProgram, Rng, TEST_HELPER } from '../support/gen.js';

const RUNS = Number(process.env.WXDP_SANDBOX_RUNS ?? 3_000);
const FRAMES_PER_PROGRAM = 100;
const PROGRAMS = Math.ceil(RUNS / FRAMES_PER_PROGRAM);
// Every INTERP_EVERY-th program also runs on the interpreter, for the same outcome.
const INTERP_EVERY = 10;

// The generator's helper calls become, by position, helpers with no, memory or ctx arguments: their
// pointer arguments are checked like accesses (src/runtime/helper_args.ts).
const HELPERS = [7 /* get_prandom_u32 */, 28 /* csum_diff */, 189 /* xdp_load_bytes */, 190 /* xdp_store_bytes */];

/** r1 = ctx->data (the packet), then the program, its helper calls replaced by real ones. */
function onPacket(prog: Insn[]): Insn[] {
  const ldxw = Class.LDX | Mode.MEM | Size.W;
  const body = prog.map((ins, pc) => (ins.code === (Class.JMP | 0x80) && ins.src === 0 && ins.imm === TEST_HELPER ? { ...ins, imm: HELPERS[pc % HELPERS.length]! } : ins));
  return [{ code: ldxw, dst: 1, src: 1, off: CTX.DATA, imm: 0 }, ...body];
}

type Outcome = { r0: number } | { code: string; index?: number; address?: string };

function outcome(f: () => { retval: number }): Outcome {
  try {
    return { r0: f().retval };
  } catch (e) {
    if (!(e instanceof WxdpError)) throw e;
    const x = e as WxdpError & { index?: number; address?: bigint };
    return { code: x.code, index: x.index, ...(x.address !== undefined ? { address: x.address.toString(16) } : {}) };
  }
}

describe(`checked programs are confined (${RUNS} random runs)`, () => {
  it('no byte outside the packet, stack, ctx and run area changes; engines agree; poll never throws', { timeout: 3_600_000 }, async () => {
    const dp = await Datapath.create();
    const eth0 = dp.addDevice({ name: 'eth0', ringSize: 64 });
    const mem = dp.memory;
    const rng = new Rng(0x5eed);
    const shadow = new Uint8Array(mem.bytes().length);
    const snapshot = new Uint8Array(mem.bytes().length);
    let faults = 0;
    let runs = 0;
    const clock = fuzzClock('checked random programs', PROGRAMS);
    for (let seed = 1; seed <= PROGRAMS && clock.more(); seed++) {
      const insns = onPacket(randomProgram(seed));
      const jit = await dp.loadInsns(insns, { verify: false, optimize: false, name: `r${seed}` });
      const interp = seed % INTERP_EVERY === 0 ? await dp.loadInsns(insns, { verify: false, engine: 'interp', name: `i${seed}` }) : undefined;
      const frames: Uint8Array[] = [];
      shadow.set(mem.bytes()); // loading wrote the program's state (table, cache)
      for (let k = 0; k < FRAMES_PER_PROGRAM; k++) {
        const data = Uint8Array.from({ length: 14 + rng.int(100) }, () => rng.int(256));
        frames.push(data);
        if (interp) snapshot.set(mem.bytes());
        const got = outcome(() => jit.testRun({ data }));
        const after = mem.bytes();
        // What the run may change: the packet (as the ctx now says), the stack, the ctx, the run area.
        // `shadow` is memory as it was after the last run: compared outside those, then brought up to date.
        const v = mem.view();
        const allowed = [
          [STACK_BASE, STACK_TOP],
          [CTX_BASE, CTX_BASE + CTX.SIZE],
          [RUN_BASE, RUN_BASE + RUN.SIZE],
          [v.getUint32(CTX_BASE + CTX.DATA_META, true), v.getUint32(CTX_BASE + CTX.DATA_END, true)],
        ].sort((a, b) => a[0]! - b[0]!) as Array<[number, number]>;
        let at = 0;
        for (const [s, e] of [...allowed, [after.length, after.length] as [number, number]]) {
          if (s > at && Buffer.compare(shadow.subarray(at, s), after.subarray(at, s)) !== 0) {
            let i = at;
            while (shadow[i] === after[i]) i++;
            expect.fail(`program ${seed}, frame ${k}: byte 0x${i.toString(16)} changed (${shadow[i]} -> ${after[i]}), outside what the program may touch; ${JSON.stringify(got)}`);
          }
          at = Math.max(at, e);
        }
        for (const [s, e] of allowed) shadow.set(after.subarray(s, e), s);
        if ('code' in got) {
          expect(got.code, `program ${seed}, frame ${k}`).toMatch(/^RUN_(MEM_FAULT|INSN_LIMIT|CALL_DEPTH|HELPER)$/);
          faults++;
        }
        if (interp) {
          mem.bytes().set(snapshot);
          expect(outcome(() => interp.testRun({ data })), `program ${seed}, frame ${k}`).toEqual(got);
          shadow.set(mem.bytes());
        }
        runs++;
      }
      // The same program on a device: the poll never throws, every frame is accounted for.
      eth0.attachXdp(jit);
      const s0 = eth0.stats();
      expect(eth0.injectBatch(frames.slice(0, 32))).toBe(32);
      expect(eth0.poll()).toBe(32);
      const s1 = eth0.stats();
      const verdicts = Object.values(s1.verdicts).reduce((n, x) => n + x, 0) - Object.values(s0.verdicts).reduce((n, x) => n + x, 0);
      expect(verdicts).toBe(32);
      eth0.readHost();
      eth0.readTx();
      shadow.set(mem.bytes()); // the poll moved rings, counters and frames
    }
    eth0.detachXdp();
    eth0.poll();
    expect(dp.freeFrames() + eth0.rings().fill.available()).toBe(1024);
    clock.report();
    expect(runs).toBe(clock.done * FRAMES_PER_PROGRAM);
    // the generator aims some accesses past the edges: some runs fault, most do not
    expect(faults).toBeGreaterThan(0);
    expect(faults).toBeLessThan(runs);
  });
});
