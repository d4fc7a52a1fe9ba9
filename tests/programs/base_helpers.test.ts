// bpf_strtol (105), bpf_strtoul (106), bpf_strncmp (182), bpf_get_numa_node_id (42), bpf_ktime_get_tai_ns
// (208) and bpf_map_lookup_percpu_elem (195) in XDP, with programs/xdp_base_helpers.o: 34 cases on a test
// run's 544-byte zero frame, each answer (s64 return, s64 result) written over it.
//
// KERNEL_544 is the kernel's data_out (`bpftool prog run`, Linux 6.18.44-fc-v1252, return value 3 =
// XDP_TX, `bpftool -d prog load`: processed 564 insns); the live test asks the kernel again when it can.
// By case (kernel/bpf/helpers.c __bpf_strtoull, lib/kstrtox.c _parse_integer_fixup_radix and
// _parse_integer_limit, lib/string.c strncmp):
//   0 "123" → 3, 123          1 "  -0x1F" → 7, -31 (spaces, sign, base 0 takes 0x)
//   2 "0x" base 16 → -EINVAL (0x skipped, no digit)           3 "077" → 3, 63 (base 0: octal)
//   4 2^63 → -ERANGE (strtol)  5 -2^63 → 20, INT64_MIN        6 2^64 → -ERANGE (_parse_integer overflow)
//   7 base 3 → -EINVAL         8 flags 0x20|10 → -EINVAL       9 "   " → -EINVAL (nothing after spaces)
//  10 "12ab" base 10 → 2, 12   11 "zz" → -EINVAL               12 "0xg" → 1, 0 (no hex digit: octal "0")
//  13 "\t+5" → -EINVAL ('+' is no sign to it)                  14 strtoul "-1" → -EINVAL
//  15 strtoul 2^64-1 → 20, UINT64_MAX                          16 "ff" base 16 → 2, 255
//  17 70 bytes "000…01" → 63, 0 (only 63 bytes are parsed)     18 "0x10" base 10 → 1, 0
//  19 "0X1a" base 16 → 4, 26  20 "\xa07" base 8 → 2, 7 (0xa0 is isspace)  21 "-" → -EINVAL
//  22 strtoul "-0" → -EINVAL  (the result is 0 after every failure: *res is cleared first)
//  23–27 strncmp with "hello": "hello"/5 → 0, "help!"/5 → 1, "hell"/3 → 0, "hello world"/11 → 1, "hea"/3 → -1
//  28 numa node 0, TAI later than 2020 (1)
//  29 each CPU's value of a PERCPU_ARRAY set through lookup_percpu: the plain lookup sees its CPU's (1);
//     cpu 2 past nr_cpu_ids → NULL (1)
//  30 key 2 past max_entries → NULL (1); a PERCPU_HASH update returns 0
//  31 its values summed over CPUs 0 and 1 → 42 (the others' were zeroed), found on both (2)
//  32 a missing key → NULL (1); cpu 5 → NULL (1)
// wxdp runs with ncpus 2, this machine's nr_cpu_ids, so that cpu 2 is past it as in the kernel.
//
// bpf_snprintf (165), with programs/xdp_snprintf.o: twelve formats on a 384-byte frame, each answer (s64
// return, then the first 24 bytes of a 32-byte buffer filled with '.' before the call). KERNEL_SNPRINTF
// is the kernel's data_out (processed 985 insns). The texts (lib/vsprintf.c): "a=-3 b=7    | c=000ab",
// "+5  5 -1 18446744073709551615" (cut at 24), "deadbeef BEEF 1234567890ok", "hi|    hi|hi  |",
// "192.0.2.1 192.000.002.001", "2001:0db8:0000:…:0001" (%pI6 is not compressed), %pi6's 32 digits,
// "0000000000001234|    1234|-12     |" (%px: 16 digits), "hello w" of "hello world 42" (size 8, returns
// 15), size 0 with NULL (returns 15, writes nothing), "[] 1" (%s of NULL is empty), "100% -0042 x  |".
//
// The refusals (bpftool -d prog load's last message and errno, the same kernel) are of ARG_PTR_TO_CONST_STR
// (check_reg_const_str), the strtol result's MEM_ALIGNED and check_map_func_compatibility.

import { rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { Datapath } from '../../src/control/datapath.js';
import { VerifierError } from '../../src/errors.js';
import { kernelAvailability, loadKernelProgram } from '../../src/oracle/kernel.js';

const obj = (name: string): string => fileURLToPath(new URL(`../../programs/${name}.o`, import.meta.url));
const XDP_TX = 3;
const KERNEL_544 = [
  '03000000000000007b000000000000000700000000000000e1ffffffffffffffeaffffffffffffff000000000000000003000000000000003f00000000000000',
  'deffffffffffffff000000000000000014000000000000000000000000000080deffffffffffffff0000000000000000eaffffffffffffff0000000000000000',
  'eaffffffffffffff0000000000000000eaffffffffffffff000000000000000002000000000000000c00000000000000eaffffffffffffff0000000000000000',
  '01000000000000000000000000000000eaffffffffffffff0000000000000000eaffffffffffffff00000000000000001400000000000000ffffffffffffffff',
  '0200000000000000ff000000000000003f0000000000000000000000000000000100000000000000000000000000000004000000000000001a00000000000000',
  '02000000000000000700000000000000eaffffffffffffff0000000000000000eaffffffffffffff000000000000000000000000000000000000000000000000',
  '010000000000000000000000000000000000000000000000000000000000000001000000000000000000000000000000ffffffffffffffff0000000000000000',
  '0000000000000000010000000000000001000000000000000100000000000000010000000000000000000000000000002a000000000000000200000000000000',
  '0100000000000000010000000000000000000000000000000000000000000000',
].join('');
const KERNEL_SNPRINTF = [
  '1600000000000000613d2d3320623d37202020207c20633d3030306162002e2e1e000000000000002b35202035202d3120313834343637343430373337303935',
  '1c00000000000000646561646265656620424545462031323334353637383930100000000000000068697c2020202068697c686920207c002e2e2e2e2e2e2e2e',
  '1a000000000000003139322e302e322e31203139322e3030302e3030322e30302800000000000000323030313a306462383a303030303a303030303a30303030',
  '21000000000000003230303130646238303030303030303030303030303030302400000000000000303030303030303030303030313233347c20202020313233',
  '0f0000000000000068656c6c6f2077002e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e0f000000000000002e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e',
  '05000000000000005b5d2031002e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e2e100000000000000031303025202d30303432207820207c002e2e2e2e2e2e2e2e',
].join('');

/** The recorded objects: program (named as its object), frame length, the kernel's data_out and processed count. */
const RUNS: [string, number, string, number][] = [
  ['xdp_base_helpers', 544, KERNEL_544, 564],
  ['xdp_snprintf', 384, KERNEL_SNPRINTF, 985],
];

const EINVAL = -22n;
const ERANGE = -34n;
const I64_MIN = -(1n << 63n);

/** (return, result) per case, read back from data_out. */
function answers(hex: string): [bigint, bigint][] {
  const b = Buffer.from(hex, 'hex');
  return Array.from({ length: 34 }, (_, i) => [b.readBigInt64LE(16 * i), b.readBigInt64LE(16 * i + 8)]);
}

/** The refused objects: the kernel's last message and errno. */
const REFUSALS: [string, string, string][] = [
  ['xdp_strncmp_rw', 'EACCES', "R3 does not point to a readonly map'"],
  ['xdp_strncmp_unterminated', 'EINVAL', 'string is not zero-terminated'],
  ['xdp_strncmp_stack', 'EACCES', 'R3 type=fp expected=map_value'],
  ['xdp_strncmp_varoff', 'EACCES', "R3 is not a constant address'"],
  ['xdp_strtol_rodata', 'EACCES', 'write into map forbidden, value_size=8 off=0 size=8'],
  ['xdp_strtol_misaligned', 'EACCES', 'misaligned stack access off 0+-20+0 size 8'],
  ['xdp_percpu_lookup_array', 'EINVAL', 'cannot pass map_type 2 into func bpf_map_lookup_percpu_elem#195'],
  ['xdp_snprintf_badfmt', 'EINVAL', 'Invalid format string'],
  ['xdp_snprintf_args', 'EINVAL', 'Invalid format string'],
];

describe('base helpers (programs/xdp_base_helpers.o)', () => {
  it('the recording reads as the cases say', () => {
    expect(answers(KERNEL_544)).toEqual([
      [3n, 123n], [7n, -31n], [EINVAL, 0n], [3n, 63n], [ERANGE, 0n], [20n, I64_MIN], [ERANGE, 0n], [EINVAL, 0n],
      [EINVAL, 0n], [EINVAL, 0n], [2n, 12n], [EINVAL, 0n], [1n, 0n], [EINVAL, 0n], [EINVAL, 0n], [20n, -1n],
      [2n, 255n], [63n, 0n], [1n, 0n], [4n, 26n], [2n, 7n], [EINVAL, 0n], [EINVAL, 0n],
      [0n, 0n], [1n, 0n], [0n, 0n], [1n, 0n], [-1n, 0n],
      [0n, 1n], [1n, 1n], [1n, 0n], [42n, 2n], [1n, 1n], [0n, 0n],
    ]);
  });

  it('the snprintf recording reads as the cases say', () => {
    const b = Buffer.from(KERNEL_SNPRINTF, 'hex');
    const texts = Array.from({ length: 12 }, (_, i) => [Number(b.readBigInt64LE(32 * i)), b.subarray(32 * i + 8, 32 * i + 32).toString('latin1').split('\0')[0]]);
    expect(texts).toEqual([
      [22, 'a=-3 b=7    | c=000ab'], [30, '+5  5 -1 184467440737095'], [28, 'deadbeef BEEF 1234567890'], [16, 'hi|    hi|hi  |'],
      [26, '192.0.2.1 192.000.002.00'], [40, '2001:0db8:0000:0000:0000'], [33, '20010db80000000000000000'], [36, '0000000000001234|    123'],
      [15, 'hello w'], [15, '.'.repeat(24)], [5, '[] 1'], [16, '100% -0042 x  |'],
    ]);
  });

  for (const engine of ['jit', 'interp'] as const) {
    it.each(RUNS)(`${engine}: %s's verdict and data_out as the kernel's, in the kernel's count of instructions`, async (name, bytes, hex, processed) => {
      const dp = await Datapath.create({ ncpus: 2 });
      try {
        const o = await dp.loadObject(obj(name), { engine });
        const p = o.program(name);
        const r = p.testRun({ data: new Uint8Array(bytes) });
        expect({ retval: r.retval, data: Buffer.from(r.data).toString('hex') }).toEqual({ retval: XDP_TX, data: hex });
        expect(p.verifierStats!.insnsProcessed).toBe(processed);
      } finally {
        await dp.close();
      }
    });
  }

  it.each(RUNS)('checked and unverified, both engines: %s gives the same data_out', async (name, bytes, hex) => {
    const dp = await Datapath.create({ ncpus: 2 });
    try {
      for (const engine of ['jit', 'interp'] as const) {
        const o = await dp.loadObject(obj(name), { engine, verify: false, checked: true });
        expect(Buffer.from(o.program(name).testRun({ data: new Uint8Array(bytes) }).data).toString('hex'), engine).toBe(hex);
        dp.unloadObject(o);
      }
    } finally {
      await dp.close();
    }
  });

  it.each([
    // bpf_strtol's result at a forged address; bpf_snprintf's buffer there; bpf_strncmp's string on the stack with no NUL to its end
    ['strtol result', 'r1 = r10\nr1 += -8\n*(u64 *)(r1 + 0) = 0x31\nr2 = 1\nr3 = 0\nr4 = 0x2000\ncall 105\nexit'],
    ['snprintf buffer', 'r1 = 0x2000\nr2 = 8\nr3 = r10\nr3 += -8\n*(u64 *)(r3 + 0) = 0x41\nr4 = 0\nr5 = 0\ncall 165\nexit'],
    ['strncmp string', 'r1 = r10\nr1 += -8\nr6 = -1\n*(u64 *)(r1 + 0) = r6\nr2 = 8\nr3 = r1\ncall 182\nexit'],
  ])('checked mode faults at a helper pointer past the program\'s memory: %s', async (_what, asm) => {
    const dp = await Datapath.create();
    try {
      for (const engine of ['jit', 'interp'] as const) {
        const p = await dp.loadInsns(assemble(asm), { verify: false, engine });
        expect(() => p.testRun({ data: new Uint8Array(64) }), engine).toThrow(expect.objectContaining({ code: 'RUN_MEM_FAULT' }));
      }
    } finally {
      await dp.close();
    }
  });

  it.each(REFUSALS)('%s is refused as the kernel refuses it (%s: %s)', async (name, errno, message) => {
    const dp = await Datapath.create({ ncpus: 2 });
    try {
      const err = await dp.loadObject(obj(name)).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(VerifierError);
      expect({ errno: (err as VerifierError).errno, message: (err as VerifierError).reason }).toEqual({ errno, message });
    } finally {
      await dp.close();
    }
  });
});

const avail = kernelAvailability();
describe.skipIf(!avail.ok)(`the kernel on the same programs${avail.ok ? '' : ` (skipped: ${avail.reason})`}`, () => {
  it.each(RUNS)('bpftool prog run of %s answers the recording', (name, bytes, hex) => {
    const prog = loadKernelProgram(obj(name));
    try {
      const r = prog.run({ data: new Uint8Array(bytes) });
      expect({ retval: r.retval, data: Buffer.from(r.data).toString('hex') }).toEqual({ retval: XDP_TX, data: hex });
    } finally {
      prog.close();
    }
  });

  it.each(REFUSALS)('bpftool prog load refuses %s (%s: %s)', (name, errno, message) => {
    const pin = `/sys/fs/bpf/wxdp-base-helpers-${name}-${process.pid}`;
    try {
      const load = spawnSync('bpftool', ['-d', 'prog', 'load', obj(name), pin], { encoding: 'utf8' });
      expect(load.status).not.toBe(0);
      const log = load.stderr.split('\n');
      expect(log[log.findIndex((l) => l.startsWith('processed ')) - 3]).toBe(message);
      const code = { EACCES: 13, EINVAL: 22 }[errno];
      expect(load.stderr).toContain(`failed to load: -${code}`);
    } finally {
      rmSync(pin, { force: true });
    }
  });
});
