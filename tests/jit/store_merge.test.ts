// Store merging (src/jit/store_merge.ts): narrow stores of loaded bytes that tile 2, 4 or 8 bytes
// become one wide load and store at the first of them, in verified (unchecked) programs. Each case
// runs on the interpreter, the checked JIT (never merges) and the JIT over a 64-byte frame whose byte i
// is 0x40 + i; the answer is the frame the ISA's stores leave, worked out by hand in each case. Near
// misses (overlapping spans, accesses in the window, moved base registers, a value not all from
// memory, a frame pointer that escaped, two groups that touch each other's spans) must give the same
// answer, and the JIT text says whether it merged.

import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { Datapath } from '../../src/control/datapath.js';
import { jitText } from '../../src/jit/index.js';
import { defaultMemory } from './harness.js';

const N = 64;
const frame = (): Uint8Array => Uint8Array.from({ length: N }, (_, i) => 0x40 + i);
/** The frame with `writes` (offset → byte) applied. */
const frameWith = (writes: Record<number, number>): number[] => {
  const f = [...frame()];
  for (const [o, b] of Object.entries(writes)) f[Number(o)] = b;
  return f;
};
/** s(i): the frame's byte i before the program ran. */
const s = (i: number): number => 0x40 + i;

// r2 = data, r3 = data_end; frames shorter than 64 bytes exit with 1 (none here)
const HEAD = ['r2 = *(u32 *)(r1 + 0)', 'r3 = *(u32 *)(r1 + 4)', 'r4 = r2', 'r4 += 64', 'if r4 > r3 goto short'];
const TAIL = ['r0 = 2', 'exit', 'short:', 'r0 = 1', 'exit'];
const program = (body: string[]): string => [...HEAD, ...body, ...TAIL].join('\n');

/**
 * In `run`: the wide stores the JIT made (the merged copies are the only align=1 stores of these
 * programs) and the narrow loads it kept (the frame's two ctx loads among them).
 */
async function lowered(src: string): Promise<{ wide: number; narrow: number }> {
  const text = await jitText(assemble(src), { memory: defaultMemory, checked: false, optimize: 'none' });
  const from = text.slice(text.indexOf('(func $run (param'));
  const run = from.slice(0, from.indexOf('(func ', 1) >>> 0);
  return {
    wide: (run.match(/\((i64|i32)\.store(16)?( offset=\d+)? align=1/g) ?? []).length,
    narrow: (run.match(/\(i64\.load(8_u|16_u|32_u|32_s|16_s|8_s)?( offset=\d+)?\n/g) ?? []).length,
  };
}

interface Case {
  name: string;
  body: string[];
  /** The frame after the run, by hand from the ISA. */
  want: number[];
  /** Wide stores the JIT should make (0: a near miss that must stay as written). */
  merged: number;
  /** Narrow loads left in `run` when the case is about them (the two ctx loads included). */
  loads?: number;
}

const CASES: Case[] = [
  {
    // clang's MAC copy from a stack struct to an unaligned packet pointer (programs/xdp_fib_forward.c):
    // u16 / u32 loads from the stack, each byte stored with shifts; dmac from r10-14, smac from r10-20
    name: "a router's byte-wise MAC copies (u16 and u32 loads, shifted byte stores) from the stack",
    body: [
      'r5 = 0x1716151413121110 ll', '*(u64 *)(r10 - 24) = r5', 'r5 = 0x1f1e1d1c1b1a1918 ll', '*(u64 *)(r10 - 16) = r5',
      'r1 = *(u16 *)(r10 - 10)', '*(u8 *)(r2 + 4) = r1', 'r1 >>= 8', '*(u8 *)(r2 + 5) = r1',
      'r1 = *(u16 *)(r10 - 12)', '*(u8 *)(r2 + 2) = r1', 'r1 >>= 8', '*(u8 *)(r2 + 3) = r1',
      'r1 = *(u16 *)(r10 - 14)', '*(u8 *)(r2 + 0) = r1', 'r1 >>= 8', '*(u8 *)(r2 + 1) = r1',
      'r1 = *(u32 *)(r10 - 20)', 'r3 = r1', 'r3 >>= 16', '*(u8 *)(r2 + 8) = r3', 'r3 = r1', 'r3 >>= 24', '*(u8 *)(r2 + 9) = r3',
      '*(u8 *)(r2 + 6) = r1', 'r1 >>= 8', '*(u8 *)(r2 + 7) = r1',
      'r1 = *(u16 *)(r10 - 16)', '*(u8 *)(r2 + 10) = r1', 'r1 >>= 8', '*(u8 *)(r2 + 11) = r1',
    ],
    // r10-24.. holds 10 11 … 1f: r10-14 is 0x1a, r10-20 is 0x14
    want: frameWith({ 0: 0x1a, 1: 0x1b, 2: 0x1c, 3: 0x1d, 4: 0x1e, 5: 0x1f, 6: 0x14, 7: 0x15, 8: 0x16, 9: 0x17, 10: 0x18, 11: 0x19 }),
    merged: 4, // 4 + 2 bytes each
    loads: 2, // the five loads of the MACs feed nothing else: only ctx->data and data_end stay
  },
  {
    name: 'a loaded value also stored elsewhere: its load stays',
    body: ['r4 = *(u16 *)(r2 + 20)', '*(u8 *)(r2 + 0) = r4', 'r6 = r4', 'r4 >>= 8', '*(u8 *)(r2 + 1) = r4', '*(u16 *)(r2 + 40) = r6'],
    want: frameWith({ 0: s(20), 1: s(21), 40: s(20), 41: s(21) }),
    merged: 1,
    loads: 3,
  },
  {
    name: 'a loaded value added into another register: its load stays',
    body: ['r4 = *(u16 *)(r2 + 20)', '*(u8 *)(r2 + 0) = r4', 'r5 = 1', 'r5 += r4', 'r4 >>= 8', '*(u8 *)(r2 + 1) = r4', '*(u16 *)(r2 + 40) = r5'],
    want: frameWith({ 0: s(20), 1: s(21), 40: s(20) + 1, 41: s(21) }),
    merged: 1,
    loads: 3,
  },
  {
    name: 'a loaded value used in the next block: its load stays',
    body: ['r4 = *(u16 *)(r2 + 20)', '*(u8 *)(r2 + 0) = r4', 'r4 >>= 8', '*(u8 *)(r2 + 1) = r4', 'if r3 == 0 goto +0', '*(u8 *)(r2 + 50) = r4'],
    want: frameWith({ 0: s(20), 1: s(21), 50: s(21) }),
    merged: 1,
    loads: 3,
  },
  {
    name: 'byte loads and byte stores within the packet, eight bytes forward, in any order',
    body: [
      'r4 = *(u8 *)(r2 + 20)', 'r5 = *(u8 *)(r2 + 21)', '*(u8 *)(r2 + 1) = r5', '*(u8 *)(r2 + 0) = r4',
      'r4 = *(u8 *)(r2 + 23)', '*(u8 *)(r2 + 3) = r4', 'r4 = *(u8 *)(r2 + 22)', '*(u8 *)(r2 + 2) = r4',
      'r4 = *(u8 *)(r2 + 24)', '*(u8 *)(r2 + 4) = r4', 'r4 = *(u8 *)(r2 + 25)', '*(u8 *)(r2 + 5) = r4',
      'r4 = *(u16 *)(r2 + 26)', '*(u16 *)(r2 + 6) = r4',
    ],
    want: frameWith({ 0: s(20), 1: s(21), 2: s(22), 3: s(23), 4: s(24), 5: s(25), 6: s(26), 7: s(27) }),
    merged: 1,
  },
  {
    name: 'a u32 load split by 32-bit shifts and a mask into two u16 stores',
    body: ['r4 = *(u32 *)(r2 + 30)', 'w5 = w4', 'w5 &= 0xffff', '*(u16 *)(r2 + 40) = r5', 'w4 >>= 16', '*(u16 *)(r2 + 42) = r4'],
    want: frameWith({ 40: s(30), 41: s(31), 42: s(32), 43: s(33) }),
    merged: 1,
  },
  {
    // d[2] = s[0], d[3] = s[1], d[4] = s[2] (now s[0]), d[5] = s[3] (now s[1]): not a memmove
    name: 'near miss: source and destination overlap (dst = src + 2, stored as loaded)',
    body: [
      'r4 = *(u8 *)(r2 + 0)', '*(u8 *)(r2 + 2) = r4', 'r4 = *(u8 *)(r2 + 1)', '*(u8 *)(r2 + 3) = r4',
      'r4 = *(u8 *)(r2 + 2)', '*(u8 *)(r2 + 4) = r4', 'r4 = *(u8 *)(r2 + 3)', '*(u8 *)(r2 + 5) = r4',
    ],
    want: frameWith({ 2: s(0), 3: s(1), 4: s(0), 5: s(1) }),
    merged: 0,
  },
  {
    name: 'near miss: a store to the source between its load and the first store',
    body: ['r4 = *(u8 *)(r2 + 20)', 'r5 = *(u8 *)(r2 + 21)', '*(u8 *)(r2 + 20) = 7', '*(u8 *)(r2 + 0) = r4', '*(u8 *)(r2 + 1) = r5'],
    want: frameWith({ 20: 7, 0: s(20), 1: s(21) }),
    merged: 0,
  },
  {
    name: 'near miss: a store to the source after the first store, before the load of it',
    body: ['r4 = *(u8 *)(r2 + 20)', '*(u8 *)(r2 + 0) = r4', '*(u8 *)(r2 + 21) = 7', 'r4 = *(u8 *)(r2 + 21)', '*(u8 *)(r2 + 1) = r4'],
    want: frameWith({ 0: s(20), 21: 7, 1: 7 }),
    merged: 0,
  },
  {
    name: 'near miss: another store to the destination between the stores',
    body: ['r4 = *(u16 *)(r2 + 20)', '*(u8 *)(r2 + 0) = r4', '*(u8 *)(r2 + 1) = 7', 'r4 >>= 8', '*(u8 *)(r2 + 1) = r4', '*(u8 *)(r2 + 0) = 9'],
    // d[1] stored twice by the program: 7 then s(21); d[0] s(20) then 9
    want: frameWith({ 0: 9, 1: s(21) }),
    merged: 0,
  },
  {
    name: 'near miss: an immediate store into the destination between the group stores',
    body: ['r4 = *(u16 *)(r2 + 20)', '*(u8 *)(r2 + 0) = r4', 'r4 >>= 8', '*(u8 *)(r2 + 5) = 7', '*(u8 *)(r2 + 1) = r4', '*(u8 *)(r2 + 6) = 8'],
    want: frameWith({ 0: s(20), 1: s(21), 5: 7, 6: 8 }),
    merged: 1, // the stores elsewhere do not touch either span: merged
  },
  {
    name: 'near miss: a load of the destination between the stores (its old byte goes to r0)',
    body: ['r4 = *(u16 *)(r2 + 20)', '*(u8 *)(r2 + 0) = r4', 'r5 = *(u8 *)(r2 + 1)', '*(u8 *)(r2 + 9) = r5', 'r4 >>= 8', '*(u8 *)(r2 + 1) = r4'],
    want: frameWith({ 0: s(20), 1: s(21), 9: s(1) }),
    merged: 0,
  },
  {
    name: 'near miss: an atomic add to the source between the load and the stores',
    body: ['r4 = *(u32 *)(r2 + 20)', 'r5 = 1', 'lock *(u32 *)(r2 + 20) += r5', 'r6 = *(u32 *)(r2 + 20)', '*(u16 *)(r2 + 0) = r6', 'r6 >>= 16', '*(u16 *)(r2 + 2) = r6'],
    // the source word becomes 0x57565555 (+1 on 0x57565554); the stores copy it
    want: frameWith({ 20: s(20) + 1, 0: s(20) + 1, 1: s(21), 2: s(22), 3: s(23) }),
    merged: 1, // the atomic is before the group's earliest load
  },
  {
    name: 'near miss: an atomic add to the source between the group load and its stores',
    body: ['r4 = *(u32 *)(r2 + 20)', 'r5 = 1', 'lock *(u32 *)(r2 + 20) += r5', '*(u16 *)(r2 + 0) = r4', 'r4 >>= 16', '*(u16 *)(r2 + 2) = r4'],
    want: frameWith({ 20: s(20) + 1, 0: s(20), 1: s(21), 2: s(22), 3: s(23) }),
    merged: 0,
  },
  {
    // the source in the frame (r6 = r10 - 16, then r10 - 15), the destination the packet: the spans
    // are apart, only the moved register tells the second load's bytes from the first's neighbours
    name: 'near miss: the source register moves between the loads (same offsets, other bytes)',
    body: [
      'r5 = 0x1716151413121110 ll', '*(u64 *)(r10 - 16) = r5', 'r6 = r10', 'r6 += -16',
      'r4 = *(u8 *)(r6 + 0)', '*(u8 *)(r2 + 0) = r4', 'r6 += 1', 'r4 = *(u8 *)(r6 + 1)', '*(u8 *)(r2 + 1) = r4',
    ],
    want: frameWith({ 0: 0x10, 1: 0x12 }),
    merged: 0,
  },
  {
    name: 'near miss: the destination register moves between the stores',
    body: [
      'r5 = 0', '*(u64 *)(r10 - 16) = r5', 'r6 = r10', 'r6 += -16',
      'r4 = *(u16 *)(r2 + 20)', '*(u8 *)(r6 + 0) = r4', 'r6 += 2', 'r4 >>= 8', '*(u8 *)(r6 + 1) = r4',
      'r4 = *(u64 *)(r10 - 16)', '*(u64 *)(r2 + 0) = r4',
    ],
    // the frame's r10-16.. gets s20 0 0 s21 0 0 0 0, copied to the packet's first 8 bytes
    want: frameWith({ 0: s(20), 1: 0, 2: 0, 3: s(21), 4: 0, 5: 0, 6: 0, 7: 0 }),
    merged: 0,
  },
  {
    name: 'overlapping spans with every load before the first store: the bytes were all read first',
    body: ['r4 = *(u32 *)(r2 + 0)', '*(u16 *)(r2 + 2) = r4', 'r4 >>= 16', '*(u16 *)(r2 + 4) = r4'],
    want: frameWith({ 2: s(0), 3: s(1), 4: s(2), 5: s(3) }),
    merged: 1,
  },
  {
    name: 'near miss: a u8 load stored as a u16 (its high byte is 0, not the next byte)',
    body: ['r4 = *(u8 *)(r2 + 20)', '*(u16 *)(r2 + 0) = r4', 'r5 = *(u16 *)(r2 + 22)', '*(u16 *)(r2 + 2) = r5'],
    want: frameWith({ 0: s(20), 1: 0, 2: s(22), 3: s(23) }),
    merged: 0,
  },
  {
    name: 'near miss: a mask keeps the low byte of a u16 stored as a u16',
    body: ['r4 = *(u16 *)(r2 + 20)', 'r4 &= 0xff', '*(u16 *)(r2 + 0) = r4', 'r5 = *(u16 *)(r2 + 22)', '*(u16 *)(r2 + 2) = r5'],
    want: frameWith({ 0: s(20), 1: 0, 2: s(22), 3: s(23) }),
    merged: 0,
  },
  {
    name: 'near miss: a 32-bit move drops the high half of a u64 before a shift by 32',
    body: ['r4 = *(u64 *)(r2 + 20)', 'w4 = w4', 'r4 >>= 32', '*(u16 *)(r2 + 0) = r4', 'r4 >>= 16', '*(u16 *)(r2 + 2) = r4'],
    want: frameWith({ 0: 0, 1: 0, 2: 0, 3: 0 }),
    merged: 0,
  },
  {
    name: 'near miss: shifts by half a byte',
    body: ['r4 = *(u32 *)(r2 + 20)', 'r4 >>= 4', '*(u8 *)(r2 + 0) = r4', 'r4 >>= 8', '*(u8 *)(r2 + 1) = r4'],
    // the u32 0x57565554 >> 4 = 0x05756555: bytes 55 65, then >> 8 more: 0x057565, byte 65
    want: frameWith({ 0: 0x55, 1: 0x65 }),
    merged: 0,
  },
  {
    name: 'near miss: a pointer loaded back from the stack may point into the frame once a frame pointer was stored',
    body: [
      'r6 = r10', 'r6 += -17', '*(u64 *)(r10 - 8) = r6', 'r6 = *(u64 *)(r10 - 8)', 'r5 = 0x1716151413121110 ll', '*(u64 *)(r10 - 16) = r5',
      'r4 = *(u8 *)(r10 - 16)', '*(u8 *)(r6 + 2) = r4', 'r4 = *(u8 *)(r10 - 15)', '*(u8 *)(r6 + 3) = r4',
      'r4 = *(u64 *)(r10 - 16)', '*(u64 *)(r2 + 0) = r4',
    ],
    // r6 + 2 = r10 - 15: it gets 10, then r10 - 14 gets r10 - 15's new byte, 10 again
    want: frameWith({ 0: 0x10, 1: 0x10, 2: 0x10, 3: 0x13, 4: 0x14, 5: 0x15, 6: 0x16, 7: 0x17 }),
    merged: 0,
  },
  {
    name: 'a stack copy through a pointer to the frame: the frame offsets are compared',
    body: [
      'r5 = 0x1716151413121110 ll', '*(u64 *)(r10 - 16) = r5', 'r5 = 0', '*(u64 *)(r10 - 8) = r5', 'r6 = r10', 'r6 += -8',
      'r4 = *(u16 *)(r10 - 16)', '*(u8 *)(r6 + 0) = r4', 'r4 >>= 8', '*(u8 *)(r6 + 1) = r4',
      'r4 = *(u64 *)(r10 - 8)', '*(u64 *)(r2 + 0) = r4',
    ],
    want: frameWith({ 0: 0x10, 1: 0x11, 2: 0, 3: 0, 4: 0, 5: 0, 6: 0, 7: 0 }),
    merged: 1,
  },
  {
    name: 'near miss: a frame pointer into the source span (frame offsets overlap)',
    body: [
      'r5 = 0x1716151413121110 ll', '*(u64 *)(r10 - 16) = r5', 'r6 = r10', 'r6 += -15',
      'r4 = *(u8 *)(r10 - 16)', '*(u8 *)(r6 + 0) = r4', 'r4 = *(u8 *)(r10 - 15)', '*(u8 *)(r6 + 1) = r4',
      'r4 = *(u64 *)(r10 - 16)', '*(u64 *)(r2 + 0) = r4',
    ],
    // r10-15 = s16 = 0x10, then r10-14 = r10-15 (now 0x10): 10 10 10 13 14 15 16 17
    want: frameWith({ 0: 0x10, 1: 0x10, 2: 0x10, 3: 0x13, 4: 0x14, 5: 0x15, 6: 0x16, 7: 0x17 }),
    merged: 0,
  },
  {
    // group X copies [30, 32) to [19, 21) storing 19 first; group Y loaded [20, 22) before X's stores
    // and stores it to [0, 2) between them. Each window alone is clean (X's first store, to 19, does not
    // touch Y's source), but X's copy moved to its first store would put s30 s31 in [19, 21) before Y's
    // copy reads [20, 22) at its first store.
    name: 'two groups: the second reads bytes the first, moved up, would have written',
    body: [
      'r4 = *(u16 *)(r2 + 20)', 'r5 = *(u16 *)(r2 + 30)', '*(u8 *)(r2 + 19) = r5',
      '*(u8 *)(r2 + 0) = r4', 'r4 >>= 8', '*(u8 *)(r2 + 1) = r4', 'r5 >>= 8', '*(u8 *)(r2 + 20) = r5',
    ],
    want: frameWith({ 19: s(30), 20: s(31), 0: s(20), 1: s(21) }),
    merged: 1,
  },
  {
    name: 'a MAC swap in place: the second group reads what the first writes',
    body: [
      'r4 = *(u16 *)(r2 + 0)', 'r5 = *(u16 *)(r2 + 6)', '*(u8 *)(r2 + 0) = r5', 'r5 >>= 8', '*(u8 *)(r2 + 1) = r5',
      '*(u8 *)(r2 + 6) = r4', 'r4 >>= 8', '*(u8 *)(r2 + 7) = r4',
    ],
    // the second group's load is before the first group's stores to its source: it stays as written
    want: frameWith({ 0: s(6), 1: s(7), 6: s(0), 7: s(1) }),
    merged: 1,
  },
  {
    // r10 - 8 is only ever accessed as a whole u64: the JIT keeps it in a local (stack_slots.ts), so
    // its bytes are not in memory for a wide load to read
    name: 'near miss: the source is a stack slot the JIT keeps in a local',
    body: ['r5 = 0x1716151413121110 ll', '*(u64 *)(r10 - 8) = r5', 'r4 = *(u64 *)(r10 - 8)', '*(u32 *)(r2 + 0) = r4', 'r4 >>= 32', '*(u32 *)(r2 + 4) = r4'],
    want: frameWith({ 0: 0x10, 1: 0x11, 2: 0x12, 3: 0x13, 4: 0x14, 5: 0x15, 6: 0x16, 7: 0x17 }),
    merged: 0,
  },
  {
    name: 'the same copy from a stack slot also read by bytes (kept in memory): merged',
    body: ['r5 = 0x1716151413121110 ll', '*(u64 *)(r10 - 8) = r5', 'r4 = *(u64 *)(r10 - 8)', '*(u32 *)(r2 + 0) = r4', 'r4 >>= 32', '*(u32 *)(r2 + 4) = r4', 'r4 = *(u8 *)(r10 - 8)', '*(u8 *)(r2 + 8) = r4'],
    want: frameWith({ 0: 0x10, 1: 0x11, 2: 0x12, 3: 0x13, 4: 0x14, 5: 0x15, 6: 0x16, 7: 0x17, 8: 0x10 }),
    merged: 1,
  },
  {
    name: 'near miss: a call between the load and the stores',
    body: ['r6 = r2', 'r7 = *(u16 *)(r2 + 20)', 'call 5', '*(u8 *)(r6 + 0) = r7', 'r7 >>= 8', '*(u8 *)(r6 + 1) = r7'],
    want: frameWith({ 0: s(20), 1: s(21) }),
    merged: 0,
  },
];

describe('store merging', () => {
  it.each(CASES)('$name', async (c) => {
    const src = program(c.body);
    const { wide, narrow } = await lowered(src);
    expect(wide).toBe(c.merged);
    if (c.loads !== undefined) expect(narrow).toBe(c.loads);
    const dp = await Datapath.create();
    for (const engine of ['interp', 'jit-checked', 'jit'] as const) {
      const p = await dp.loadInsns(assemble(src), {
        engine: engine === 'interp' ? 'interp' : 'jit',
        checked: engine !== 'jit',
        verify: false,
      } as Parameters<Datapath['loadInsns']>[1]);
      const r = p.testRun({ data: frame() });
      expect(r.retval, engine).toBe(2);
      expect([...r.data], engine).toEqual(c.want);
    }
  });
});
