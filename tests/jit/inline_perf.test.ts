// bpf_perf_event_output (25) and bpf_xdp_output (121) inlined up to the ring (src/jit/inline_perf.ts):
// the verified JIT answers the helper's checks itself and calls it only when a ring is there. Each case
// runs on the interpreter and the checked JIT (both call the fast path's helper) and the unchecked JIT
// (the inline code), against r0 derived from the kernel's bpf_xdp_event_output and
// __bpf_perf_event_output: -EINVAL for flag bits outside BPF_F_INDEX_MASK | BPF_F_CTXLEN_MASK (bits
// 0..51), -EFAULT for more frame bytes than the frame has (its fragments included), -E2BIG for an
// index at or past max_entries, -ENOENT with no event at the index, -EOPNOTSUPP for another CPU's
// event, 0 when written. Near misses on each bound: ctxlen = length and length + 1, the index
// max_entries - 1 and max_entries, bit 51 (the mask's last) and bit 52.

import { beforeAll, describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { Datapath } from '../../src/control/datapath.js';
import { createMap, PerfBuffer } from '../../src/maps/index.js';
import { MAP, withMap } from './harness.js';

const BPF_MAP_TYPE_PERF_EVENT_ARRAY = 4;
const CURRENT_CPU = 0xffffffffn;
const SMALL = Uint8Array.from({ length: 64 }, (_, i) => (i * 73 + 5) & 0xff);
// 3520 bytes in the linear part, the rest in fragments
const JUMBO = Uint8Array.from({ length: 5000 }, (_, i) => (i * 7) & 0xff);
const META = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i);

const EINVAL = 22;
const EFAULT = 14;
const E2BIG = 7;
const ENOENT = 2;
const EOPNOTSUPP = 95;

/** 16 bytes of metadata at r10 - 16, then helper(ctx, MAP, flags, r10 - 16, 16); r0 is its result. */
const output = (flags: bigint, helper = 25): string =>
  `r6 = r1
r7 = 0xa7a6a5a4a3a2a1a0 ll
*(u64 *)(r10 - 16) = r7
r7 = 0xafaeadacabaaa9a8 ll
*(u64 *)(r10 - 8) = r7
r1 = r6
r2 = ${MAP}
r3 = ${flags} ll
r4 = r10
r4 += -16
r5 = 16
call ${helper}
exit`;

const ctxlen = (n: number): bigint => BigInt(n) << 32n;

interface Case {
  name: string;
  flags: bigint;
  helper?: number;
  data?: Uint8Array;
  /** Rings for CPUs 0 and 1 (the run is CPU 1's). */
  reader?: boolean;
  /** r0: 0 or -errno. */
  want: number;
  /** The sample's raw bytes, when written. */
  sample?: Uint8Array;
}

/** raw data: the metadata, the frame's first n bytes, zeros up to 4 + size ≡ 0 (mod 8). */
const sample = (frame: Uint8Array, n: number): Uint8Array => {
  const out = new Uint8Array(((16 + n + 4 + 7) & ~7) - 4);
  out.set(META, 0);
  out.set(frame.subarray(0, n), 16);
  return out;
};

const CASES: Case[] = [
  { name: 'the current CPU, no ring', flags: CURRENT_CPU, want: -ENOENT },
  { name: 'ctxlen = the frame length (64)', flags: CURRENT_CPU | ctxlen(64), want: -ENOENT },
  { name: 'ctxlen = the frame length + 1', flags: CURRENT_CPU | ctxlen(65), want: -EFAULT },
  { name: 'bit 51, the ctxlen field\'s last: 2^19 bytes', flags: CURRENT_CPU | (1n << 51n), want: -EFAULT },
  { name: 'bit 52, outside both fields', flags: CURRENT_CPU | (1n << 52n), want: -EINVAL },
  { name: 'bit 63 with a valid ctxlen', flags: 1n | ctxlen(8) | (1n << 63n), want: -EINVAL },
  { name: 'index 1 (max_entries - 1), no ring', flags: 1n, want: -ENOENT },
  { name: 'index 2 (max_entries)', flags: 2n, want: -E2BIG },
  { name: 'index 0xfffffffe', flags: 0xfffffffen, want: -E2BIG },
  { name: 'bpf_xdp_output, index 2', flags: 2n, helper: 121, want: -E2BIG },
  { name: 'bpf_xdp_output, no ring', flags: CURRENT_CPU, helper: 121, want: -ENOENT },
  { name: 'frags: ctxlen = the whole frame (5000)', flags: CURRENT_CPU | ctxlen(5000), data: JUMBO, want: -ENOENT },
  { name: 'frags: ctxlen = 5001', flags: CURRENT_CPU | ctxlen(5001), data: JUMBO, want: -EFAULT },
  { name: 'reader: the current CPU, 8 frame bytes', flags: CURRENT_CPU | ctxlen(8), reader: true, want: 0, sample: sample(SMALL, 8) },
  { name: 'reader: index 1, no frame bytes', flags: 1n, reader: true, want: 0, sample: sample(SMALL, 0) },
  { name: 'reader: index 0, CPU 0\'s ring', flags: 0n, reader: true, want: -EOPNOTSUPP },
  { name: 'reader: ctxlen = the frame length + 1', flags: CURRENT_CPU | ctxlen(65), reader: true, want: -EFAULT },
  { name: 'reader: bpf_xdp_output, 3 frame bytes', flags: CURRENT_CPU | ctxlen(3), helper: 121, reader: true, want: 0, sample: sample(SMALL, 3) },
];

describe('bpf_perf_event_output inlined by the JIT agrees with the helper', () => {
  let dp: Datapath;
  beforeAll(async () => {
    dp = await Datapath.create({ ncpus: 2, cpu: 1 });
  });

  it.each(CASES)('$name', async (c) => {
    for (const engine of ['interp', 'jit-checked', 'jit-unchecked'] as const) {
      const map = createMap(dp.fastPath, { name: 'perf', type: BPF_MAP_TYPE_PERF_EVENT_ARRAY, keySize: 4, valueSize: 4, maxEntries: 2 });
      const samples: Array<[number, Uint8Array]> = [];
      const pb = c.reader ? new PerfBuffer(map, { pageCount: 1, onSample: (cpu, d) => samples.push([cpu, d]) }) : undefined;
      try {
        const prog = await dp.loadInsns(withMap(assemble(output(c.flags, c.helper)), map), {
          engine: engine === 'interp' ? 'interp' : 'jit',
          checked: engine !== 'jit-unchecked',
          verify: false,
        } as Parameters<Datapath['loadInsns']>[1]);
        const r = prog.testRun({ data: c.data ?? SMALL });
        expect(r.retval, engine).toBe(c.want >>> 0);
        pb?.consume();
        expect(samples, engine).toEqual(c.sample ? [[1, c.sample]] : []);
      } finally {
        pb?.close();
      }
    }
  });
});
