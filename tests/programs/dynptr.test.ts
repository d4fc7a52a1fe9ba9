// The dynptr programs (programs/xdp_dynptr*.c): what the kernel's verifier says of each refused one
// (instruction and message) and what `bpftool prog run` makes of the accepted one, byte for byte; wxdp
// must say and do the same, in the JIT and in the interpreter. (xdp_dynptr_parse is recorded on the
// corpus, tests/programs/wxdp_vs_kernel.test.ts; xdp_dynptr_frags on multi-buffer frames,
// tests/programs/dynptr_frags.test.ts.)

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { Datapath } from '../../src/control/datapath.js';
import { VerifierError } from '../../src/errors.js';
import { kernelAvailability } from '../../src/oracle/kernel.js';

const obj = (n: string): string => fileURLToPath(new URL(`../../programs/${n}.o`, import.meta.url));
/** Refused by the kernel (6.18): the instruction its log names, the message line, and bpf(BPF_PROG_LOAD)'s errno (bpftool prog load on 6.18.44-fc-v1252). */
const REFUSED: Array<[string, number, string, string]> = [
  ['xdp_dynptr_uninit', 7, 'Expected an initialized dynptr as arg #2', 'EINVAL'],
  ['xdp_dynptr_overwrite', 13, 'Expected an initialized dynptr as arg #2', 'EINVAL'],
  ['xdp_dynptr_nullslice', 10, "R0 invalid mem access 'rdonly_mem_or_null'", 'EACCES'],
  ['xdp_dynptr_slice_oob', 12, 'invalid access to memory, mem_size=4 off=4 size=1', 'EACCES'],
  ['xdp_dynptr_ro_write', 12, 'R0 cannot write into rdonly_mem', 'EACCES'],
  ['xdp_dynptr_stale_slice', 17, "R8 invalid mem access 'scalar'", 'EACCES'],
  ['xdp_dynptr_stale_data', 23, "R0 invalid mem access 'scalar'", 'EACCES'],
  ['xdp_dynptr_peek', 4, 'invalid read from stack off -16+0 size 4', 'EACCES'],
  ['xdp_dynptr_clobber', 10, 'potential write to dynptr at off=-16 disallowed', 'EACCES'],
  ['xdp_dynptr_varsize', 13, 'R4 must be a known constant', 'EINVAL'],
  ['xdp_dynptr_rb_leak', 8, 'Unreleased reference id=2 alloc_insn=6', 'EINVAL'],
  ['xdp_dynptr_rb_overwrite', 9, 'cannot overwrite referenced dynptr', 'EINVAL'],
  ['xdp_dynptr_rb_xdp', 7, 'arg 1 is an unacquired reference', 'EINVAL'],
  ['xdp_dynptr_rb_after', 17, 'Expected an initialized dynptr as arg #2', 'EINVAL'],
  // 6.18.44-fc-v1252 refuses the kfunc itself (earlier builds accepted this program)
  ['xdp_dynptr_slice_rdwr', 13, 'bpf_dynptr_slice_rdwr() is not allowed', 'EPERM'],
];
const FRAME = Uint8Array.from({ length: 64 }, (_, i) => i);
/** Hand-derived from the program: bytes 0..3 written back at 1 with the first inverted, 0x42 at 8 (bpf_dynptr_write). */
const OUT = Uint8Array.from(FRAME, (b, i) => (i === 1 ? 0xff : i >= 2 && i <= 4 ? i - 1 : i === 8 ? 0x42 : b));
const E2BIG = 7;

describe('dynptrs in wxdp', () => {
  it.each(REFUSED)('%s: refused at insn %i: %s (%s)', async (name, insn, msg, errno) => {
    const dp = await Datapath.create();
    const err = await dp.loadObject(obj(name)).then(
      (o) => o.program(name),
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(VerifierError);
    const e = err as VerifierError;
    expect([e.index, e.reason, e.errno]).toEqual([insn, msg, errno]);
    expect(e.log.split('\n')).toContain(msg);
  });

  it.each(['jit', 'interp'] as const)('xdp_dynptr unverified (%s, checked): the same frame and return', async (engine) => {
    const dp = await Datapath.create();
    const r = (await dp.loadObject(obj('xdp_dynptr'), { engine, verify: false })).program('xdp_dynptr').testRun({ data: FRAME });
    expect(r.retval).toBe(600 + E2BIG);
    expect(r.data).toEqual(OUT);
  });

  it.each(['jit', 'interp'] as const)('checked (%s): a forged dynptr (local, over the null page) passed to bpf_dynptr_read faults', async (engine) => {
    const dp = await Datapath.create();
    const forged = [
      'r2 = 16', '*(u64 *)(r10 - 16) = r2', 'r2 = 0x10000008', '*(u32 *)(r10 - 8) = r2', 'r2 = 0', '*(u32 *)(r10 - 4) = r2',
      'r1 = r10', 'r1 += -32', 'r2 = 8', 'r3 = r10', 'r3 += -16', 'r4 = 0', 'r5 = 0', 'call 201', 'exit',
    ].join('\n');
    const p = await dp.loadInsns(assemble(forged), { verify: false, engine });
    expect(() => p.testRun({ data: FRAME })).toThrow(/helper 201 argument 3 .* is not a dynptr of this run/);
  });

  it.each(['jit', 'interp'] as const)('xdp_dynptr_ringbuf (%s): each frame\'s first 16 bytes and length in a record reserved as a dynptr', async (engine) => {
    const dp = await Datapath.create();
    const o = await dp.loadObject(obj('xdp_dynptr_ringbuf'), { engine });
    const frames = [FRAME, FRAME.slice(0, 20), Uint8Array.from({ length: 100 }, (_, i) => 255 - i)];
    for (const f of frames) expect(o.program('xdp_dynptr_ringbuf').testRun({ data: f }).retval).toBe(2);
    const got: Uint8Array[] = [];
    o.ringbuf('rb').poll((r) => void got.push(r.slice()));
    // 24 bytes each: the frame's first 16, its length (u32), 4 bytes the program left as reserved
    expect(got.map((r) => [Buffer.from(r.subarray(0, 16)).toString('hex'), new DataView(r.buffer, r.byteOffset).getUint32(16, true), r.length])).toEqual(
      frames.map((f) => [Buffer.from(f.subarray(0, 16)).toString('hex'), f.length, 24]),
    );
    // the NULL dynptrs: a flag is -EINVAL, a size past DYNPTR_MAX_SIZE -E2BIG
    const err = (k: number) => Number(new DataView(o.map('rb_errs').lookup(Uint8Array.of(k, 0, 0, 0))!.slice().buffer).getBigInt64(0, true));
    expect([0, 1, 2, 3].map(err)).toEqual([0, 0, -22, -7]);
  });

  it.each(['jit', 'interp'] as const)('xdp_dynptr (%s): a 64-byte frame comes back as derived, return 600 + E2BIG', async (engine) => {
    const dp = await Datapath.create();
    const r = (await dp.loadObject(obj('xdp_dynptr'), { engine })).program('xdp_dynptr').testRun({ data: FRAME });
    expect(r.retval).toBe(600 + E2BIG);
    expect(r.data).toEqual(OUT);
  });
});

const avail = kernelAvailability();
describe.skipIf(!avail.ok)(`dynptrs in the kernel${avail.ok ? '' : ` (skipped: ${avail.reason})`}`, () => {
  const load = (name: string): { status: number | null; log: string; pin: string } => {
    const pin = `/sys/fs/bpf/wx-dyn14-${name}-${process.pid}`;
    const r = spawnSync('bpftool', ['prog', 'load', obj(name), pin], { encoding: 'utf8' });
    return { status: r.status, log: r.stderr, pin };
  };

  it.each(REFUSED)('%s: refused at insn %i: %s', (name, insn, msg) => {
    const r = load(name);
    rmSync(r.pin, { force: true });
    expect(r.status).not.toBe(0);
    const lines = r.log.split('\n');
    const at = lines.indexOf(msg);
    expect(at).toBeGreaterThan(0);
    expect(lines.slice(0, at).reverse().find((l) => /^\d+: \(/.test(l))).toMatch(new RegExp(`^${insn}: `));
  });

  it('xdp_dynptr: accepted; a 64-byte frame comes back as derived, return 600 + E2BIG', () => {
    const r = load('xdp_dynptr');
    const dir = mkdtempSync(join(tmpdir(), 'wx-dyn14-'));
    try {
      expect(r.status).toBe(0);
      writeFileSync(join(dir, 'in'), FRAME);
      const run = spawnSync('bpftool', ['prog', 'run', 'pinned', r.pin, 'data_in', join(dir, 'in'), 'data_out', join(dir, 'out')], { encoding: 'utf8' });
      expect(run.stdout + run.stderr).toMatch(new RegExp(`Return value: ${600 + E2BIG},`));
      expect(new Uint8Array(readFileSync(join(dir, 'out')))).toEqual(OUT);
    } finally {
      rmSync(r.pin, { force: true });
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
