// bpf_map_sum_elem_count, the casts to the kernel's struct xdp_buff (bpf_cast_to_kern_ctx, bpf_rdonly_cast)
// and bpf_throw run as the kernel runs them, on both engines: programs/verifier/accept/ map_sum_elem_count
// (the counts of a hash, an LRU hash, a per-CPU hash and an array after n inserts and a delete),
// cast_kern_ctx_fields (every xdp_buff field, the device through rxq->dev), rdonly_cast_ctx (the ctx cast by
// type id, a bad address read as 0, the packet cast to void), throw_default (bpf_throw, bpf_assert,
// bpf_assert_with: the cookie is the return value) and throw_subprog (thrown from a subprogram). The values are 6.18.44-fc-v1272's BPF_PROG_TEST_RUN for the same
// frames (checked again below when the kernel can be used).

import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Datapath } from '../../src/control/datapath.js';
import { kernelAvailability, loadKernelProgram, xdpContext } from '../../src/oracle/kernel.js';

const obj = (name: string): string => fileURLToPath(new URL(`../../programs/verifier/accept/${name}.o`, import.meta.url));
const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));
const Z20 = '00'.repeat(20);
const ZERO64 = '00'.repeat(64);
const BYTES64 = '0102030405060708' + 'ab'.repeat(56);

/**
 * [program, frame, return value, meta]: each case loads its object afresh (the maps start empty). `meta`: the
 * frame's first 8 bytes are metadata and its last 8 a fragment (ctx_in data = 8, data_end = 64 of 72 bytes).
 */
const CASES: [string, Uint8Array, number, boolean?][] = [
  // hash | lru << 8 | percpu hash << 16 | array << 24, after min(n, 6) inserts and deleting key 1
  ['map_sum_elem_count', hex('00' + Z20), 0],
  ['map_sum_elem_count', hex('01' + Z20), 0x10101],
  ['map_sum_elem_count', hex('02' + Z20), 0x20101],
  ['map_sum_elem_count', hex('03' + Z20), 0x30202],
  ['map_sum_elem_count', hex('09' + Z20), 0x60505],
  // (len + headroom << 16) ^ frame_sz (4096) ^ lo's ifindex (1) << 24
  ['cast_kern_ctx_fields', hex(ZERO64), 0x1040],
  ['cast_kern_ctx_fields', hex(BYTES64), 0x1040],
  // 56 linear bytes, 8 of metadata (<< 8), XDP_FLAGS_HAS_FRAGS (<< 20)
  ['cast_kern_ctx_fields', hex(BYTES64 + 'cd'.repeat(8)), 0x101838, true],
  // frame_sz + ifindex, ^ the packet's byte 5 << 24
  ['rdonly_cast_ctx', hex(ZERO64), 0x1001],
  ['rdonly_cast_ctx', hex(BYTES64), 0x6001001],
  // 7 for a first byte of 1, bpf_assert's 0 (2), bpf_assert_with's 0x100000005 as a u32 (3), else XDP_PASS
  ['throw_default', hex('00' + Z20), 2],
  ['throw_default', hex('01' + Z20), 7],
  ['throw_default', hex('02' + Z20), 0],
  ['throw_default', hex('03' + Z20), 5],
  ['throw_default', hex('04' + Z20), 2],
  // queue 0: the static subprogram throws 9
  ['throw_subprog', hex('00' + Z20), 9],
];

describe('bpf_map_sum_elem_count, the kernel ctx casts and bpf_throw', () => {
  for (const engine of ['jit', 'interp'] as const) {
    it(`${engine}: every program returns the kernel's value for every frame`, async () => {
      const dp = await Datapath.create();
      try {
        const got: number[] = [];
        for (const [name, frame, , meta] of CASES) {
          const o = await dp.loadObject(obj(name), { engine });
          const ctx = meta ? { ctx: { dataMeta: 0, data: 8, dataEnd: 64, ingressIfindex: 1 } } : {};
          got.push(o.programs.get(name)!.testRun({ data: frame, ...ctx }).retval >>> 0);
          dp.unloadObject(o);
        }
        expect(got).toEqual(CASES.map((c) => c[2] >>> 0));
      } finally {
        await dp.close();
      }
    });
  }
});

// bpf_throw on a device, through a tail call, as a devmap entry's program, on workers: tests/programs/throw_device.test.ts

const avail = kernelAvailability();
describe.skipIf(!avail.ok)(`the same frames in the kernel${avail.ok ? '' : ` (skipped: ${avail.reason})`}`, () => {
  // one load per program (map_sum_elem_count's maps start empty: one per frame there)
  it.each([...new Set(CASES.map((c) => c[0]))])('%s: bpftool prog run gives the same values', (name) => {
    const cases = CASES.filter((c) => c[0] === name);
    const fresh = name === 'map_sum_elem_count';
    let k = fresh ? undefined : loadKernelProgram(obj(name), { name });
    try {
      const got = cases.map(([, frame, , meta]) => {
        if (fresh) {
          k?.close();
          k = loadKernelProgram(obj(name), { name });
        }
        return k!.run({ data: frame, ...(meta ? { ctx: xdpContext({ dataLength: 64, metaLength: 8, ingressIfindex: 1 }) } : {}) }).retval >>> 0;
      });
      expect(got).toEqual(cases.map((c) => c[2] >>> 0));
    } finally {
      k?.close();
    }
  });
});
