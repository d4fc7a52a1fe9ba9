// Per-CPU values reached through inlined lookups and updates (emit.ts): when every inlined per-CPU access
// of a program shares one shape (CPUs held, CPU stride), each function that has one computes the run's
// offset once at its entry (CPUO) — in the entry function and in a bpf-to-bpf subprogram each — else
// every access loads RUN_CPU, clamps it to the CPUs held (beyond them: CPU 0) and multiplies. The
// interpreter calls the helpers; the three engines must read and write the running CPU's values only.

import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { Datapath } from '../../src/control/datapath.js';
import { PseudoLd } from '../../src/isa/opcodes.js';
import type { Insn } from '../../src/isa/insn.js';
import { createMap, type BpfMap } from '../../src/maps/index.js';

const BPF_MAP_TYPE_PERCPU_HASH = 5;
const BPF_MAP_TYPE_PERCPU_ARRAY = 6;
const ENGINES = ['interp', 'jit-checked', 'jit-unchecked'] as const;

/** `ld_imm64 0x7ff0000N` made a BPF_PSEUDO_MAP_FD load of maps[N]. */
function withMaps(insns: Insn[], maps: BpfMap[]): Insn[] {
  for (const ins of insns) {
    const n = ins.imm64 !== undefined ? Number(ins.imm64 - 0x7ff00000n) : -1;
    if (n >= 0 && n < maps.length) {
      ins.src = PseudoLd.MAP_FD;
      ins.imm64 = BigInt(maps[n]!.address);
    }
  }
  return insns;
}

const u64 = (x: number): Uint8Array => new Uint8Array(new BigUint64Array([BigInt(x)]).buffer);

// A: percpu_array, key 1 read in the entry function; B: percpu_array, key 0 written (A's value + 7) by
// an update in the entry function, then read back in a subprogram; H: percpu_hash (key 4 bytes), key 9
// read in the subprogram. r0 = A + B' × 1000 + H × 1000000, B' being B's value after the update.
const PROGRAM = `
  *(u32 *)(r10 - 4) = 1
  r2 = r10
  r2 += -4
  r1 = 0x7ff00000 ll
  call 1
  r6 = 0
  if r0 == 0 goto +1
  r6 = *(u64 *)(r0 + 0)
  r7 = r6
  r7 += 7
  *(u64 *)(r10 - 32) = r7
  *(u32 *)(r10 - 4) = 0
  r2 = r10
  r2 += -4
  r3 = r10
  r3 += -32
  r4 = 0
  r1 = 0x7ff00001 ll
  call 2
  call sub
  r0 += r6
  exit
sub:
  *(u32 *)(r10 - 4) = 0
  r2 = r10
  r2 += -4
  r1 = 0x7ff00001 ll
  call 1
  r6 = 0
  if r0 == 0 goto +1
  r6 = *(u64 *)(r0 + 0)
  r6 *= 1000
  *(u32 *)(r10 - 8) = 9
  r2 = r10
  r2 += -8
  r1 = 0x7ff00002 ll
  call 1
  r7 = 0
  if r0 == 0 goto +1
  r7 = *(u64 *)(r0 + 0)
  r7 *= 1000000
  r0 = r6
  r0 += r7
  exit
`;

async function runOn(cpu: number, shapes: { a: [number, number]; b: [number, number]; h: [number, number] }): Promise<Record<string, number>> {
  const dp = await Datapath.create({ ncpus: 2, cpu });
  const make = (name: string, type: number, [valueSize, maxEntries]: [number, number], keySize = 4): BpfMap =>
    createMap(dp.fastPath, { name, type, keySize, valueSize, maxEntries, flags: 0 });
  const pad = (v: Uint8Array, n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => v[i] ?? 0);
  const a = make('a', BPF_MAP_TYPE_PERCPU_ARRAY, shapes.a);
  const b = make('b', BPF_MAP_TYPE_PERCPU_ARRAY, shapes.b);
  const h = make('h', BPF_MAP_TYPE_PERCPU_HASH, shapes.h);
  // CPU 0's values, then CPU 1's
  a.update(new Uint8Array([1, 0, 0, 0]), [pad(u64(11), shapes.a[0]), pad(u64(21), shapes.a[0])]);
  h.update(new Uint8Array([9, 0, 0, 0]), [pad(u64(3), shapes.h[0]), pad(u64(5), shapes.h[0])]);
  const out: Record<string, number> = {};
  for (const engine of ENGINES) {
    b.update(new Uint8Array(4), [pad(u64(0), shapes.b[0]), pad(u64(0), shapes.b[0])]);
    const prog = await dp.loadInsns(withMaps(assemble(PROGRAM), [a, b, h]), {
      engine: engine === 'interp' ? 'interp' : 'jit',
      checked: engine !== 'jit-unchecked',
      verify: false,
    } as Parameters<Datapath['loadInsns']>[1]);
    out[engine] = prog.testRun({ data: new Uint8Array(64) }).retval;
    // the update wrote the running CPU's value only
    // (the syscall's lookup: each CPU's value in turn, 8-byte aligned)
    const all = b.lookup(new Uint8Array(4))!;
    const stride = Math.ceil(shapes.b[0] / 8) * 8;
    const [b0, b1] = [0, stride].map((at) => Number(new DataView(all.buffer, all.byteOffset + at).getBigUint64(0, true)));
    out[`${engine} b`] = b0! * 1000 + b1!;
  }
  return out;
}

describe('per-CPU values through inlined lookups and updates', () => {
  // CPU 0: A 11, B' 18, H 3; CPU 1: A 21, B' 28, H 5
  const onCpu0 = 11 + 18 * 1000 + 3 * 1000000;
  const onCpu1 = 21 + 28 * 1000 + 5 * 1000000;
  const cases = [
    { name: 'one shape (the offset computed at each function entry)', shapes: { a: [8, 2], b: [8, 2], h: [8, 2] } as const },
    { name: 'three shapes (each access computes its own)', shapes: { a: [8, 2], b: [24, 3], h: [16, 4] } as const },
    { name: 'two shapes (the hash differs)', shapes: { a: [8, 2], b: [8, 2], h: [40, 2] } as const },
  ];
  for (const c of cases) {
    const shapes = c.shapes as unknown as { a: [number, number]; b: [number, number]; h: [number, number] };
    it(`${c.name}: CPU 1 reads and writes CPU 1's values`, async () => {
      const out = await runOn(1, shapes);
      for (const e of ENGINES) {
        expect(out[e], e).toBe(onCpu1);
        expect(out[`${e} b`], `${e}: B on CPU 0, CPU 1`).toBe(0 * 1000 + 28);
      }
    });
    it(`${c.name}: CPU 0 reads and writes CPU 0's values`, async () => {
      const out = await runOn(0, shapes);
      for (const e of ENGINES) {
        expect(out[e], e).toBe(onCpu0);
        expect(out[`${e} b`], `${e}: B on CPU 0, CPU 1`).toBe(18 * 1000 + 0);
      }
    });
    it(`${c.name}: a CPU beyond the maps' two reads and writes CPU 0's values`, async () => {
      const out = await runOn(5, shapes);
      for (const e of ENGINES) {
        expect(out[e], e).toBe(onCpu0);
        expect(out[`${e} b`], `${e}: B on CPU 0, CPU 1`).toBe(18 * 1000 + 0);
      }
    });
  }
});
