// BPF_MAP_TYPE_BLOOM_FILTER (kernel/bpf/bloom_filter.c). Creation: key_size 0, value_size > 0,
// max_entries > 0, flags within NUMA_NODE | ZERO_SEED | the access bits, map_extra's low 4 bits the
// number of hashes (0: 5) and no other bit (else EINVAL; value_size > KMALLOC_MAX_SIZE: E2BIG first).
// The bitset: max_entries × nr_hashes × 7 / 5 bits rounded up to a power of two, at least 64. Push sets
// jhash2 (value_size % 4 == 0) or jhash of the value, seeded hash_seed + i, masked, for each i; peek
// answers 0 when all are set, else ENOENT. The syscall: UPDATE_ELEM pushes (flags other than BPF_ANY:
// EINVAL), LOOKUP_ELEM with no key peeks (a key: EINVAL), DELETE and GET_NEXT_KEY EOPNOTSUPP,
// LOOKUP_AND_DELETE ENOTSUPP. Programs: push and peek only (the verifier refuses lookup and pop).
//
// KERNEL_64 is the kernel's data_out for programs/xdp_bloom.o on the frame 00 01 … 3f (`bpftool prog
// run`, Linux 6.18, return 3 = XDP_TX): the answers with BPF_F_ZERO_SEED, false positives included.
// The live tests ask the kernel again, and its bpf(2) (tests/maps/bloom_kernel.py) for the errnos.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Datapath } from '../../src/control/datapath.js';
import { createMap, Errno, MapType, type BpfMap } from '../../src/maps/index.js';
import { MapFlag } from '../../src/maps/uapi.js';
import { MAP_HDR } from '../../src/runtime/memory.js';
import { VerifierError } from '../../src/errors.js';
import { haveKernel } from './bpftool.js';
import { jhashFinal } from './jhash.js';
import { fresh, haveWasm, Prog, u32le } from './support.js';

const OBJ = fileURLToPath(new URL('../../programs/xdp_bloom.o', import.meta.url));
const PY = fileURLToPath(new URL('./bloom_kernel.py', import.meta.url));
const frame = Uint8Array.from({ length: 64 }, (_, i) => i);
const KERNEL_64 =
  'feffffff00000000eaffffff00000000044121006080481249922459000c8208' +
  '202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f';
const ZERO_SEED = MapFlag.ZERO_SEED;

/** jhash2 of one u32 word (jhash_1word): what a 4-byte value's hash i is with hash_seed 0. */
const jhash1 = (w: number, seed: number): number => {
  const iv = (0xdeadbeef + 4 + seed) >>> 0;
  return jhashFinal((iv + w) >>> 0, iv, iv);
};

/** The bitset's bytes (MAP_DATA), `bytes` of them. */
function bitset(m: BpfMap, bytes: number): Uint8Array {
  const dv = m.fp.memory.view();
  const data = dv.getUint32(m.address + MAP_HDR.DATA, true);
  return m.fp.memory.bytes().slice(data, data + bytes);
}

const errnoOf = (f: () => unknown): number => {
  try {
    f();
    return 0;
  } catch (e) {
    return (e as { errno: number }).errno;
  }
};

// [type, key, value, entries, flags, map_extra] and the kernel's errno (bloom_kernel.py, 6.18)
const CREATES: [number[], number][] = [
  [[30, 0, 4, 1, 0, 0], 0],
  [[30, 4, 4, 1, 0, 0], Errno.EINVAL], // a key
  [[30, 0, 0, 1, 0, 0], Errno.EINVAL], // value_size 0
  [[30, 0, 4, 0, 0, 0], Errno.EINVAL], // max_entries 0
  [[30, 0, 4, 1, 1, 0], Errno.EINVAL], // BPF_F_NO_PREALLOC
  [[30, 0, 4, 1, 64, 16], Errno.EINVAL], // map_extra beyond the low 4 bits
  [[30, 0, 4, 1, 64, 15], 0],
  [[30, 0, 4194305, 1, 0, 0], Errno.E2BIG], // value_size > KMALLOC_MAX_SIZE
  [[30, 0, 4194305, 1, 0, 16], Errno.E2BIG], // ... checked before map_extra
  [[1, 4, 4, 1, 0, 1], Errno.EINVAL], // map_extra on a hash
  [[30, 0, 4, 1, 24, 0], Errno.EINVAL], // BPF_F_RDONLY | BPF_F_WRONLY
  [[30, 0, 4, 1, 4, 0], 0], // BPF_F_NUMA_NODE
  [[30, 0, 4, 1, 128, 0], 0], // BPF_F_RDONLY_PROG
];

// One filter (value 4, 1 entry, ZERO_SEED, 1 hash) and the kernel's answers to each syscall on it
const OPS_MAP = [30, 0, 4, 1, 64, 1];
const OPS: [string, string, number, number][] = [
  ['peek', '01000000', 0, Errno.ENOENT],
  ['push', '01000000', 1, Errno.EINVAL],
  ['push', '01000000', 0, 0],
  ['peek', '01000000', 0, 0],
  ['peek', '02000000', 0, Errno.ENOENT],
  ['peek_key', '01000000', 0, Errno.EINVAL],
  ['delete', '', 0, Errno.EOPNOTSUPP],
  ['getnext', '', 0, Errno.EOPNOTSUPP],
  ['pop', '01000000', 0, Errno.ENOTSUPP],
  ['push', '01000000', 2, Errno.EINVAL],
];

describe.skipIf(!haveWasm)('bloom filter maps', () => {
  it('creation errors are typed MapErrors with the kernel\'s errno', async () => {
    const fp = await fresh();
    for (const [[type, keySize, valueSize, maxEntries, flags, mapExtra], errno] of CREATES) {
      const got = errnoOf(() => createMap(fp, { name: 'b', type: type!, keySize: keySize!, valueSize: valueSize!, maxEntries: maxEntries!, flags: flags!, mapExtra: mapExtra! }));
      expect(got, `create ${[type, keySize, valueSize, maxEntries, flags, mapExtra]}`).toBe(errno);
    }
    expect(() => createMap(fp, { name: 'b', type: MapType.BLOOM_FILTER, keySize: 0, valueSize: 4, maxEntries: 1, mapExtra: 0x100 }))
      .toThrow(expect.objectContaining({ code: 'MAP_CREATE', errno: Errno.EINVAL }));
  });

  it('the syscall\'s answers: push, peek, and no key, delete, get_next_key or pop', async () => {
    const fp = await fresh();
    const m = createMap(fp, { name: 'b', type: MapType.BLOOM_FILTER, keySize: 0, valueSize: 4, maxEntries: 1, flags: ZERO_SEED, mapExtra: 1 });
    const ours = OPS.map(([op, hex, flags]) => {
      const v = Buffer.from(hex, 'hex');
      switch (op) {
        case 'push': return errnoOf(() => m.update(new Uint8Array(0), v, flags));
        case 'peek': return m.peek(v) ? 0 : Errno.ENOENT;
        case 'peek_key': return errnoOf(() => m.lookup(u32le(0)));
        case 'delete': return errnoOf(() => m.delete(new Uint8Array(0)));
        case 'getnext': return errnoOf(() => m.nextKey(null));
        default: return errnoOf(() => m.pop());
      }
    });
    expect(ours).toEqual(OPS.map((o) => o[3]));
  });

  it('the bits are the kernel\'s: jhash2 seeded 0, 1 masked to 64 bits; a colliding value is a false positive', async () => {
    const fp = await fresh();
    // 1 entry × 2 hashes × 7 / 5 = 2 bits, at least BITS_PER_LONG: 64 bits, mask 63
    const m = createMap(fp, { name: 'b', type: MapType.BLOOM_FILTER, keySize: 0, valueSize: 4, maxEntries: 1, flags: ZERO_SEED, mapExtra: 2 });
    const a = 0x0a0b0c0d;
    const bits = [jhash1(a, 0) & 63, jhash1(a, 1) & 63];
    m.push(u32le(a));
    const want = new Uint8Array(8);
    for (const b of bits) want[b >> 3]! |= 1 << (b & 7);
    expect(bitset(m, 8)).toEqual(want);
    // a value whose two bits are among a's: present though never pushed; one whose first bit is not: absent
    let fpv = -1;
    let absent = -1;
    for (let v = 0; v < 1 << 16 && (fpv < 0 || absent < 0); v++) {
      const h = [jhash1(v, 0) & 63, jhash1(v, 1) & 63];
      if (v !== a && h.every((x) => bits.includes(x))) fpv = v;
      else if (!bits.includes(h[0]!)) absent = v;
    }
    expect(fpv).toBeGreaterThanOrEqual(0);
    expect(m.peek(u32le(fpv))).toEqual(u32le(fpv));
    expect(m.peek(u32le(absent))).toBeUndefined();
    expect(m.peek(u32le(a))).toEqual(u32le(a));
    // without BPF_F_ZERO_SEED the seed is random, but a pushed value is always present
    const r = createMap(fp, { name: 'r', type: MapType.BLOOM_FILTER, keySize: 0, valueSize: 4, maxEntries: 1 });
    r.push(u32le(a));
    expect(r.peek(u32le(a))).toEqual(u32le(a));
  });

  it('the bitset size: max_entries × hashes / 5 × 7 rounded up to a power of two (at least 64)', async () => {
    const fp = await fresh();
    // 100 × 3 = 300 / 5 × 7 = 420 → 512 bits; 1000 × 5 = 5000 → 7000 → 8192 bits
    for (const [entries, extra, bits] of [[100, 3, 512], [1000, 0, 8192], [9, 1, 64], [10, 5, 128]] as const) {
      const m = createMap(fp, { name: 'b', type: MapType.BLOOM_FILTER, keySize: 0, valueSize: 4, maxEntries: entries, flags: ZERO_SEED, mapExtra: extra });
      const dv = fp.memory.view();
      expect(dv.getUint32(m.address + 32, true), `mask for ${entries} × ${extra}`).toBe(bits - 1);
      expect(dv.getUint32(m.address + 40, true)).toBe(extra || 5);
    }
  });

  it('programs push and peek; the verifier refuses bpf_map_lookup_elem and pop on a bloom filter', async () => {
    const fp = await fresh();
    const m = createMap(fp, { name: 'b', type: MapType.BLOOM_FILTER, keySize: 0, valueSize: 4, maxEntries: 1, flags: ZERO_SEED, mapExtra: 1 });
    const p = new Prog(fp);
    expect(p.call('bpf_map_peek_elem', m.address, p.place(u32le(5)))).toBe(BigInt(-Errno.ENOENT));
    expect(p.call('bpf_map_push_elem', m.address, p.place(u32le(5)), 2)).toBe(BigInt(-Errno.EINVAL));
    expect(p.call('bpf_map_push_elem', m.address, p.place(u32le(5)), 0)).toBe(0n);
    expect(p.call('bpf_map_peek_elem', m.address, p.place(u32le(5)))).toBe(0n);
    // 6.18's messages and instructions (bpftool -d prog load): a lookup fails on its zero-sized key
    // before check_map_func_compatibility; pop passes the helper side and fails the map side
    for (const [object, message, insn] of [
      ['xdp_bloom_lookup.o', 'invalid zero-sized read', 6],
      ['xdp_bloom_pop.o', 'cannot pass map_type 30 into func bpf_map_pop_elem#88', 6],
    ] as const) {
      const dp = await Datapath.create();
      const err = await dp.loadObject(`programs/${object}`).catch((e: unknown) => e);
      expect(err, object).toBeInstanceOf(VerifierError);
      expect([(err as VerifierError).reason, (err as VerifierError).index]).toEqual([message, insn]);
      await dp.close();
    }
  });

  for (const engine of ['jit', 'interp'] as const) {
    it(`${engine}: programs/xdp_bloom.o answers as the kernel (KERNEL_64)`, async () => {
      const dp = await Datapath.create();
      const obj = await dp.loadObject(OBJ, { engine });
      const r = obj.program('xdp_bloom').testRun({ data: frame });
      expect({ retval: r.retval, data: Buffer.from(r.data).toString('hex') }).toEqual({ retval: 3, data: KERNEL_64 });
      // bpftool -d prog load: processed 8894 insns
      expect(obj.program('xdp_bloom').verifierStats!.insnsProcessed).toBe(8894);
      await dp.close();
    });
  }
});

describe.skipIf(!haveKernel)('bloom filters against the kernel', () => {
  it('bpf(2): the create errnos and the syscall answers are the kernel\'s', () => {
    const req = { creates: CREATES.map((c) => c[0]), ops: { map: OPS_MAP, seq: OPS.map(([op, hex, flags]) => [op, hex, flags]) } };
    const r = spawnSync('python3', [PY], { input: JSON.stringify(req), encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const got = JSON.parse(r.stdout) as { creates: number[]; ops: number[] };
    expect(got.creates).toEqual(CREATES.map((c) => c[1]));
    expect(got.ops).toEqual(OPS.map((o) => o[3]));
  });

  it('bpftool prog run answers KERNEL_64', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wxdp-bloom-'));
    const pin = `/sys/fs/bpf/wxdp-bloom-${process.pid}`;
    try {
      writeFileSync(join(dir, 'in'), frame);
      const load = spawnSync('bpftool', ['prog', 'load', OBJ, pin], { encoding: 'utf8' });
      expect(load.status, load.stderr).toBe(0);
      const run = spawnSync('bpftool', ['prog', 'run', 'pinned', pin, 'data_in', join(dir, 'in'), 'data_out', join(dir, 'out')], { encoding: 'utf8' });
      expect(run.stdout).toMatch(/^Return value: 3,/);
      expect(Buffer.from(readFileSync(join(dir, 'out'))).toString('hex')).toBe(KERNEL_64);
    } finally {
      rmSync(pin, { force: true });
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
