// Fast path helpers the JIT inlines (emit.ts inlineFastPathHelper): array map updates, adjust_meta,
// get_buff_len, redirect, and load/store_bytes with a constant length. The interpreter calls the AssemblyScript
// helpers themselves, so every case must give the same r0, data_out and map contents in the JIT
// (checked and unchecked) as in the interpreter, including the cases the inline code hands back to
// the helper (fragments, out-of-range spans, overlapping buffers).

import { beforeAll, describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { Datapath } from '../../src/control/datapath.js';
import { createMap } from '../../src/maps/index.js';
import { MAP, withMap } from './harness.js';

const BPF_MAP_TYPE_ARRAY = 2;
const BPF_MAP_TYPE_PERCPU_ARRAY = 6;
const SMALL = Uint8Array.from({ length: 64 }, (_, i) => (i * 73 + 5) & 0xff);
// 3520 bytes in the linear part, the rest in fragments
const JUMBO = Uint8Array.from({ length: 5000 }, (_, i) => (i * 7) & 0xff);

/** Point every `ld_imm64 rX, MAP` (the placeholder 0x7ff00000) at the map, as a BPF_PSEUDO_MAP_FD. */

// a key of `idx` at r10 - 4, a value of 24 bytes 0x11.. at r10 - 32, then update(map, key, value, flags)
const update = (idx: number, flags: number, value = 'r3 = r10\nr3 += -32'): string =>
  `r6 = r1
*(u32 *)(r10 - 4) = ${idx}
r7 = 0x1122334455667788 ll
*(u64 *)(r10 - 32) = r7
*(u64 *)(r10 - 24) = r7
*(u64 *)(r10 - 16) = r7
r1 = ${MAP}
r2 = r10
r2 += -4
${value}
r4 = ${flags}
call 2
exit`;

/** r3 = &element 0 + `plus` (a lookup of key 0 at r10 - 8); r1, r2 as update() set them. */
const fromElement0 = (plus: number): string =>
  `*(u32 *)(r10 - 8) = 0\nr1 = ${MAP}\nr2 = r10\nr2 += -8\ncall 1\nr3 = r0\nr3 += ${plus}\nr1 = ${MAP}\nr2 = r10\nr2 += -4`;

interface Case {
  name: string;
  src: string;
  data?: Uint8Array;
  map?: { type: number; valueSize: number; maxEntries: number };
}

const ARRAY = { type: BPF_MAP_TYPE_ARRAY, valueSize: 24, maxEntries: 4 };
const PERCPU = { type: BPF_MAP_TYPE_PERCPU_ARRAY, valueSize: 20, maxEntries: 2 };

// load/store_bytes at `off`, `len` bytes, buffer at r10 - 64 (or `buf`), then r0 = the helper's result
// plus the buffer's first word, so both the copy and the return value are compared.
const bytes = (helper: 189 | 190, off: number, len: number, buf = 'r3 = r10\nr3 += -64'): string =>
  `r6 = r1
r7 = 0x0102030405060708 ll
*(u64 *)(r10 - 64) = r7
*(u64 *)(r10 - 56) = r7
r2 = ${off}
${buf}
r4 = ${len}
call ${helper}
r8 = r0
r0 = *(u32 *)(r10 - 64)
r0 += r8
exit`;

// the same with a length the JIT does not know at compile time (not a mov of an immediate in the
// block): emit.ts bytesVariable's copy loop
// r0 = the helper's result + a fold of the whole buffer's words (the stack from r10 - `size` up, filled
// with distinct words first), so every byte copied counts, and one past the end too.
const bytesVar = (helper: 189 | 190, off: number, len: number, buf?: string, size = 64): string => {
  const words = [...Array(size / 8).keys()].map((k) => -size + 8 * k);
  const fill = words.map((o, k) => `r7 = ${0x0102030405060708n + BigInt(k) * 0x1111n} ll\n*(u64 *)(r10 ${o}) = r7`).join('\n');
  const fold = words.map((o) => `r9 = *(u64 *)(r10 ${o})\nr0 *= 31\nr0 ^= r9`).join('\n');
  return `r6 = r1
${fill}
r2 = ${off}
${buf ?? `r3 = r10\nr3 += ${-size}`}
r4 = ${len}
r4 &= 0xffff
call ${helper}
r0 &= 0xffffffff
${fold}
exit`;
};

// bpf_csum_diff(r10 - 64, fs, r10 - 128, ts, seed) over distinct words (all-ones ones when `ones`: every
// add carries), or `from` / `to` set by the given lines (the packet, NULL); r0 = the helper's result
const csum = (fs: number, ts: number, seed: string, o: { ones?: boolean; from?: string; to?: string } = {}): string => {
  const fill = [...Array(16).keys()]
    .map((k) => `r7 = ${o.ones ? 0xffffffffffffffffn - BigInt(k) : 0x1234567890abcdefn * BigInt(k + 1) & 0xffffffffffffffffn} ll\n*(u64 *)(r10 - ${128 - 8 * k}) = r7`)
    .join('\n');
  return `r6 = r1
${fill}
${o.from ?? 'r1 = r10\nr1 += -64'}
r2 = ${fs}
${o.to ?? 'r3 = r10\nr3 += -128'}
r4 = ${ts}
r5 = ${seed}
call 28
exit`;
};

// the packet's data pointer + 2 as the buffer: overlaps the packet span the helper copies
const PACKET_BUF = 'r3 = *(u32 *)(r1 + 0)\nr3 += 2';

const CASES: Case[] = [
  ...[0, 1, 7].map((idx) => ({ name: `array update index ${idx}`, src: update(idx, 0), map: ARRAY })),
  ...[1, 2, 3, 4, 5, 8].map((flags) => ({ name: `array update flags ${flags}`, src: update(0, flags), map: ARRAY })),
  { name: 'percpu_array update', src: update(1, 2), map: PERCPU },
  // the value is another element of the same map: element 0 + 4 into element 0 (a forward copy is
  // safe), element 0 + 8 into element 1 (24 bytes further: overlapping, the helper's memmove)
  { name: 'array update from the element itself', src: update(0, 0, fromElement0(4)), map: ARRAY },
  { name: 'array update overlapping the next element', src: update(1, 0, fromElement0(8)), map: ARRAY },
  { name: 'adjust_meta(-8) twice, then get_buff_len', src: 'r6 = r1\nr2 = -8\ncall 54\nr1 = r6\nr2 = -8\ncall 54\nr1 = r6\ncall 188\nexit' },
  ...[-3, 4, -252, -216].map((off) => ({ name: `adjust_meta(${off})`, src: `r2 = ${off}\ncall 54\nexit` })),
  ...([[0, 14], [50, 14], [56, 8], [57, 8], [0, 64], [63, 1], [64, 1], [0xfffffff8, 16]] as const).flatMap(([off, len]) => [
    { name: `load_bytes(${off}, ${len})`, src: bytes(189, off, len) },
    { name: `store_bytes(${off}, ${len})`, src: bytes(190, off, len) },
  ]),
  { name: 'load_bytes into the packet itself', src: bytes(189, 0, 16, PACKET_BUF) },
  { name: 'store_bytes from the packet itself', src: bytes(190, 4, 16, PACKET_BUF) },
  ...([[3512, 8], [3516, 8], [3520, 8], [4992, 8], [4996, 8]] as const).flatMap(([off, len]) => [
    { name: `frags: load_bytes(${off}, ${len})`, src: bytes(189, off, len), data: JUMBO },
    { name: `frags: store_bytes(${off}, ${len})`, src: bytes(190, off, len), data: JUMBO },
  ]),
  // variable lengths: every tail (8-byte steps, then 4, 2, 1), spans ending at data_end and one past
  // it, zero, the loop's bound (256 inline, 257 the helper), the buffer overlapping the span, fragments
  ...([[0, 1], [5, 3], [0, 7], [8, 8], [1, 9], [0, 15], [3, 16], [20, 20], [14, 40], [44, 20], [45, 20], [63, 1], [64, 1], [0, 0], [0xfffffff8, 16]] as const).flatMap(([off, len]) => [
    { name: `variable length: load_bytes(${off}, ${len})`, src: bytesVar(189, off, len) },
    { name: `variable length: store_bytes(${off}, ${len})`, src: bytesVar(190, off, len) },
  ]),
  ...([[0, 256], [0, 257], [3512, 8], [3500, 20], [3264, 256]] as const).flatMap(([off, len]) => [
    { name: `variable length, jumbo: load_bytes(${off}, ${len})`, src: bytesVar(189, off, len, undefined, 512), data: JUMBO },
    { name: `variable length, jumbo: store_bytes(${off}, ${len})`, src: bytesVar(190, off, len, undefined, 512), data: JUMBO },
  ]),
  { name: 'variable length: load_bytes into the packet itself', src: bytesVar(189, 0, 16, PACKET_BUF) },
  { name: 'variable length: store_bytes from the packet itself', src: bytesVar(190, 4, 16, PACKET_BUF) },
  { name: 'variable length: load_bytes into the packet before the span', src: bytesVar(189, 4, 16, 'r3 = *(u32 *)(r1 + 0)') },
  // bpf_csum_diff with constant sizes: inline up to 64 bytes together; sizes not multiples of 4 and
  // over 64 together are the helper's sum; the seed's high word is ignored; all-ones words carry every add
  ...([[0, 4], [4, 0], [4, 4], [0, 20], [20, 20], [8, 12], [32, 32], [32, 36], [0, 64], [2, 4], [4, 6], [0, 0]] as const).flatMap(([fs, ts]) => [
    { name: `csum_diff(${fs}, ${ts})`, src: csum(fs, ts, '0x1234') },
    { name: `csum_diff(${fs}, ${ts}), all-ones words, seed 0xffffffff`, src: csum(fs, ts, '0xffffffff', { ones: true }) },
  ]),
  { name: 'csum_diff: a seed with a high word', src: csum(4, 4, '0x7ffffffff0000001 ll') },
  { name: 'csum_diff(NULL, 0, packet, 20)', src: csum(0, 20, '0', { from: 'r1 = 0', to: 'r3 = *(u32 *)(r6 + 0)\nr3 += 14' }) },
  { name: 'csum_diff(packet, 8, stack, 8), seed 1', src: csum(8, 8, '1', { from: 'r1 = *(u32 *)(r1 + 0)' }) },
  { name: 'frags: get_buff_len', src: 'call 188\nexit', data: JUMBO },
  // bpf_redirect: XDP_REDIRECT (4), or XDP_ABORTED (0) with any flag, the high word's too
  { name: 'redirect(3, 0)', src: 'r1 = 3\nr2 = 0\ncall 23\nexit' },
  { name: 'redirect(3, 1)', src: 'r1 = 3\nr2 = 1\ncall 23\nexit' },
  { name: 'redirect with a flag in the high word', src: 'r1 = 3\nr2 = 0x100000000 ll\ncall 23\nexit' },
];

describe('fast path helpers inlined by the JIT agree with the helpers', () => {
  let dp: Datapath;
  beforeAll(async () => {
    dp = await Datapath.create({ ncpus: 2, cpu: 1 });
  });

  it.each(CASES)('$name', async (c) => {
    const results = [];
    for (const engine of ['interp', 'jit-checked', 'jit-unchecked'] as const) {
      const map = c.map ? createMap(dp.fastPath, { name: 'm', ...c.map, keySize: 4 }) : undefined;
      // distinct bytes everywhere, so a copy in the wrong order shows
      for (let k = 0; map && k < c.map!.maxEntries; k++) {
        map.update(Uint8Array.of(k, 0, 0, 0), Uint8Array.from({ length: c.map!.valueSize }, (_, i) => k * 64 + i + 1));
      }
      const insns = assemble(c.src);
      const prog = await dp.loadInsns(map ? withMap(insns, map) : insns, {
        engine: engine === 'interp' ? 'interp' : 'jit',
        checked: engine !== 'jit-unchecked',
        verify: false,
      } as Parameters<Datapath['loadInsns']>[1]);
      const r = prog.testRun({ data: c.data ?? SMALL });
      const dump = map ? [...Array(c.map!.maxEntries).keys()].map((k) => map.lookup(Uint8Array.of(k, 0, 0, 0))) : [];
      results.push({ engine, retval: r.retval, data: r.data, dump });
    }
    const [want, ...got] = results;
    for (const g of got) expect({ ...g, engine: want!.engine }, g.engine).toEqual(want);
  });
});

describe('bpf_tail_call on a prog_array known at compile time reads its slot inline', () => {
  const BPF_MAP_TYPE_PROG_ARRAY = 3;

  it.each([
    [1, 7],
    [2, 99], // empty slot: the tail call fails, execution goes on
    [4, 99], // past max_entries
    [-1, 99],
    [0x1_0000_0001, 7], // the index is the low 32 bits
  ])('index %d gives %d', async (index, want) => {
    const dp = await Datapath.create();
    const progs = createMap(dp.fastPath, { name: 'jmp', type: BPF_MAP_TYPE_PROG_ARRAY, keySize: 4, valueSize: 4, maxEntries: 4 });
    const target = await dp.loadInsns(assemble('r0 = 7\nexit'), { verify: false } as Parameters<Datapath['loadInsns']>[1]);
    progs.update(Uint8Array.of(1, 0, 0, 0), new Uint8Array(new Uint32Array([target.tableIndex]).buffer));
    for (const checked of [true, false]) {
      const src = `r2 = ${MAP}\nr3 = ${BigInt(index)} ll\ncall 12\nr0 = 99\nexit`;
      const prog = await dp.loadInsns(withMap(assemble(src), progs), { checked, verify: false } as Parameters<Datapath['loadInsns']>[1]);
      expect(prog.testRun({ data: SMALL }).retval, `checked: ${checked}`).toBe(want);
    }
  });
});
