// The ctx's data, data_end and data_meta handed to a program's burst loop copy in locals
// (src/jit/ctx_fields.ts): which registers hold the ctx before each instruction, which programs qualify,
// and a program reading the three through a copy of r1 after a helper call, polled in bursts (each
// frame its own length). Which programs the burst loop may leave the context area's frame fields
// unwritten for (ctxFramesUnread), and a program reading them through a ctx it spilled and filled back,
// which must find each frame's own.

import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { Datapath } from '../../src/control/datapath.js';
import { analyze } from '../../src/jit/cfg.js';
import { ctxFieldsFixed, ctxFramesUnread, ctxRegisters } from '../../src/jit/ctx_fields.js';

const holders = (src: string): number[][] => {
  const prog = assemble(src);
  const at = ctxRegisters(prog, analyze(prog).subprograms[0]!);
  return prog.map((_, pc) => {
    const mask = at.get(pc);
    return mask === undefined ? [] : Array.from({ length: 11 }, (_, r) => r).filter((r) => (mask >> r) & 1);
  });
};

describe('registers holding the ctx', () => {
  it('r1 at entry, its 64-bit copies; a call clears r1-r5, another write the register written', () => {
    const h = holders(`r6 = r1
r7 = r6
call 5
r7 += 0
w8 = w6
r0 = 2
exit`);
    expect(h[0]).toEqual([1]);
    expect(h[1]).toEqual([1, 6]);
    expect(h[2]).toEqual([1, 6, 7]);
    expect(h[3]).toEqual([6, 7]); // after the call
    expect(h[4]).toEqual([6]); // r7 += 0 is a write
    expect(h[5]).toEqual([6]); // w8 = w6: a 32-bit copy is no pointer
  });

  it('where paths meet, only what every path in holds; movsx is no copy', () => {
    const h = holders(`r6 = r1
r7 = r1
if r2 == 0 goto l1
r7 = 0
l1:
r8 = (s32) r6
r0 = 2
exit`);
    expect(h[3]).toEqual([1, 6, 7]);
    expect(h[4]).toEqual([1, 6]); // r7 is not the ctx on the fall-through path
    expect(h[5]).toEqual([1, 6]);
  });

  it('programs that can move data, data_end or data_meta do not qualify', () => {
    const fixed = (src: string): boolean => {
      const prog = assemble(src);
      return ctxFieldsFixed(prog, analyze(prog));
    };
    expect(fixed('call 5\ncall 23\ncall 69\nr0 = 2\nexit')).toBe(true);
    for (const id of [12, 44, 54, 65]) expect(fixed(`call ${id}\nr0 = 2\nexit`), `helper ${id}`).toBe(false);
    expect(fixed('callx r2\nr0 = 2\nexit')).toBe(false);
    // a subprogram's call moves them for its caller too (helperIds spans every subprogram reached)
    expect(fixed('call pc+2\nr0 = 2\nexit\nr2 = 14\ncall 44\nr0 = 0\nexit')).toBe(false);
    expect(fixed('call pc+2\nr0 = 2\nexit\nr2 = 14\ncall 5\nr0 = 0\nexit')).toBe(true);
  });
});

describe('programs nothing else reads the frame fields for', () => {
  const unread = (src: string): boolean => {
    const prog = assemble(src);
    return ctxFieldsFixed(prog, analyze(prog)) && ctxFramesUnread(prog, analyze(prog));
  };
  it('only helpers that read none of them, one subprogram, the ctx never stored', () => {
    expect(unread('r6 = r1\ncall 1\ncall 5\ncall 23\ncall 51\nr1 = r6\ncall 69\nr0 = 2\nexit')).toBe(true);
    expect(unread('r0 = 1\nexit')).toBe(true);
    // bpf_xdp_check_mtu reads data and data_end
    expect(unread('r2 = 0\nr3 = r10\nr3 += -8\nr4 = 0\nr5 = 0\ncall 163\nr0 = 2\nexit')).toBe(false);
    // the ctx spilled: its fill is a register the loop's locals do not stand for
    expect(unread('*(u64 *)(r10 - 8) = r1\nr0 = 2\nexit')).toBe(false);
    expect(unread('r6 = r1\n*(u64 *)(r10 - 8) = r6\nr0 = 2\nexit')).toBe(false);
    // a subprogram (it reads its ctx argument from memory)
    expect(unread('call pc+2\nr0 = 2\nexit\nr0 = 0\nexit')).toBe(false);
  });

  it('a ctx spilled and filled back reads each frame of a burst', async () => {
    const src = `*(u64 *)(r10 - 8) = r1
call 5
r6 = *(u64 *)(r10 - 8)
r2 = *(u32 *)(r6 + 0)
r3 = *(u32 *)(r6 + 4)
r7 = r3
r7 -= r2
*(u8 *)(r2 + 0) = r7
r0 = 3
exit`;
    const frames = [60, 61, 100, 64, 255, 60].map((n, i) => Uint8Array.from({ length: n }, (_, k) => (k * 5 + i) & 0xff));
    const dp = await Datapath.create({ dispatch: 'burst' });
    const eth0 = dp.addDevice({ name: 'eth0' });
    eth0.attachXdp(await dp.loadInsns(assemble(src), { engine: 'jit', checked: false, verify: false } as Parameters<Datapath['loadInsns']>[1]));
    eth0.injectBatch(frames);
    expect(eth0.poll()).toBe(frames.length);
    expect(eth0.readTx().map((f) => Array.from(f.data))).toEqual(frames.map((f) => [f.length & 0xff, ...f.subarray(1)]));
  });
});

// data, data_end and data_meta read through r6 after bpf_ktime_get_ns: the frame's length and its
// metadata's (none) written into its first two bytes, and XDP_TX
const LENGTHS = `r6 = r1
call 5
r2 = *(u32 *)(r6 + 0)
r3 = *(u32 *)(r6 + 4)
r4 = *(u32 *)(r6 + 8)
r7 = r3
r7 -= r2
*(u8 *)(r2 + 0) = r7
r8 = r2
r8 -= r4
*(u8 *)(r2 + 1) = r8
r0 = 3
exit`;

describe('ctx fields in the burst loop', () => {
  it("an unverified program's store to data moves it in bursts as frame by frame", async () => {
    const src = 'r2 = *(u32 *)(r1 + 0)\nr2 += 14\n*(u32 *)(r1 + 0) = r2\nr0 = 3\nexit';
    const prog = assemble(src);
    expect(ctxFieldsFixed(prog, analyze(prog))).toBe(false);
    const lens: number[] = [];
    for (const dispatch of ['burst', 'frame'] as const) {
      const dp = await Datapath.create({ dispatch });
      const eth0 = dp.addDevice({ name: 'eth0' });
      eth0.attachXdp(await dp.loadInsns(prog, { engine: 'jit', checked: false, verify: false } as Parameters<Datapath['loadInsns']>[1]));
      eth0.injectBatch([new Uint8Array(60)]);
      eth0.poll();
      lens.push(...eth0.readTx().map((f) => f.data.length));
    }
    expect(lens).toEqual([46, 46]);
  });

  it('each frame of a burst sees its own data_end', async () => {
    const frames = [60, 61, 100, 64, 255, 60].map((n, i) => Uint8Array.from({ length: n }, (_, k) => (k * 7 + i) & 0xff));
    const dp = await Datapath.create({ dispatch: 'burst' });
    const eth0 = dp.addDevice({ name: 'eth0' });
    eth0.attachXdp(await dp.loadInsns(assemble(LENGTHS), { engine: 'jit', checked: false, verify: false } as Parameters<Datapath['loadInsns']>[1]));
    eth0.injectBatch(frames);
    expect(eth0.poll()).toBe(frames.length);
    const want = frames.map((f) => [f.length, f.length & 0xff, 0, ...f.subarray(2)]);
    expect(eth0.readTx().map((f) => Array.from(f.data)).map((d) => [d.length, ...d])).toEqual(want);
  });
});
