// Dynptr calls inlined by the JIT (src/jit/inline_dynptr.ts): bpf_dynptr_from_xdp, _slice, _slice_rdwr,
// _adjust, _is_null, _is_rdonly, _size, _clone, _copy, _memset and the helpers bpf_dynptr_from_mem,
// _read, _write, _data. Each program below runs on the interpreter, the checked JIT (which calls the
// fast path's functions) and the verified JIT (which inlines them), on frames whose bytes are
// (i * 7 + 3) & 0xff: short ones, spans ending exactly at the frame's end and one byte past it, and
// multi-buffer frames (a test run's linear part is 3520 bytes, then 4 KiB fragments) where a span
// crosses into a fragment and the inlined code must hand over to the call. The answers are derived from
// the kernel's code (kernel/bpf/helpers.c: bpf_dynptr_check_off_len, bpf_dynptr_slice, bpf_xdp_pointer
// in net/core/filter.c). programs/xdp_dynptr_parse (recorded in the kernel on the corpus) and
// xdp_dynptr_frags (bpftool prog run) cover the same calls in tests/programs.

import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { Datapath } from '../../src/control/datapath.js';
import { VerifierError } from '../../src/errors.js';
import { analyze } from '../../src/jit/cfg.js';
import { emitModule } from '../../src/jit/emit.js';
import { wasmHelperImportName } from '../../src/jit/abi.js';
import { KFUNC_HELPER_BASE } from '../../src/helpers/kfuncs.js';

const LINEAR = 3520;
const EINVAL = -22;
const E2BIG = -7;
const ERANGE = -34;
const u8 = (e: number): number => e & 0xff;
const frameOf = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 7 + 3) & 0xff);
const byte = (i: number): number => (i * 7 + 3) & 0xff;

/** An XDP dynptr at r10-16 made with `flags`; r6 = ctx. */
const fromXdp = (flags = 0): string[] => ['r6 = r1', 'r1 = r6', `r2 = ${flags}`, 'r3 = r10', 'r3 += -16', 'call kfunc 5'];
const D = ['r1 = r10', 'r1 += -16'];

type Engine = 'interp' | 'jit-checked' | 'jit';
const ENGINES: Engine[] = ['interp', 'jit-checked', 'jit'];

/** The program on each engine (verified unless `unverified`: then the JIT runs it unchecked). */
async function load(dp: Datapath, text: string, engine: Engine, unverified = false): Promise<ReturnType<Datapath['loadInsns']>> {
  const insns = assemble(text);
  if (engine === 'interp') return dp.loadInsns(insns, { engine: 'interp', ...(unverified ? { verify: false } : {}) });
  if (engine === 'jit-checked') return dp.loadInsns(insns, { engine: 'jit', checked: true, ...(unverified ? { verify: false } : {}) });
  return dp.loadInsns(insns, { engine: 'jit', ...(unverified ? { verify: false, checked: false } : {}) });
}

/** The helper ids the verified module still calls (an inlined call is gone, its fallback stays). */
async function calledIds(dp: Datapath, text: string): Promise<number[]> {
  const prog = assemble(text).map((i) => (i.src === 2 && i.code === 0x85 ? { ...i, src: 0, imm: KFUNC_HELPER_BASE + i.imm } : i));
  const layout = analyze(prog);
  const { text: wat } = await emitModule(prog, layout, {
    checked: false,
    optimize: 'none',
    memory: { initialPages: dp.memory.initialPages, maximumPages: dp.memory.maximumPages, shared: dp.memory.shared },
    wasmHelpers: layout.helperIds,
    tailCalls: false,
    text: true,
  });
  return layout.helperIds.filter((id) => wat!.includes(`call $${wasmHelperImportName(id)}`));
}

interface Probe {
  len: number;
  retval: number;
  /** The frame out, when the program changes it: [offset, bytes]. */
  writes?: Array<[number, number[]]>;
}

async function check(text: string, probes: Probe[], unverified = false, engines = ENGINES): Promise<void> {
  const dp = await Datapath.create();
  for (const engine of engines) {
    const p = await load(dp, text, engine, unverified);
    for (const pr of probes) {
      const r = p.testRun({ data: frameOf(pr.len) });
      const want = frameOf(pr.len);
      for (const [o, b] of pr.writes ?? []) want.set(b, o);
      expect([r.retval >>> 0, Buffer.compare(Buffer.from(r.data), Buffer.from(want))], `${engine} ${pr.len} bytes`).toEqual([pr.retval >>> 0, 0]);
    }
  }
}

describe('dynptr calls inlined by the JIT answer as the kernel does', () => {
  // retval = err << 24 | is_null << 20 | is_rdonly << 16 | size & 0xffff
  const info = (flags: number): string =>
    [
      ...fromXdp(flags),
      'r7 = r0', 'r7 &= 0xff', 'r7 <<= 24',
      ...D, 'call kfunc 11', 'r0 &= 0xffff', 'r7 |= r0',
      ...D, 'call kfunc 9', 'r0 &= 1', 'r0 <<= 20', 'r7 |= r0',
      ...D, 'call kfunc 10', 'r0 &= 1', 'r0 <<= 16', 'r7 |= r0',
      'r0 = r7', 'exit',
    ].join('\n');

  it('bpf_dynptr_from_xdp, _size, _is_null, _is_rdonly: the frame with its fragments; a flag makes a NULL dynptr', async () => {
    expect(await calledIds(await Datapath.create(), info(0))).toEqual([]);
    await check(info(0), [14, 64, 3520, 4100, 9000].map((len) => ({ len, retval: len })));
    // -EINVAL, NULL, not read-only, size -EINVAL as a u32
    await check(info(1), [{ len: 64, retval: (u8(EINVAL) << 24) | (1 << 20) | 0xffea }]);
  });

  // retval = kind << 8 | the slice's last byte (kind 1: the buffer, 2: a pointer into the frame); NULL: 0xdead
  const slice = (off: number, n: number, rdwr: boolean, flags = 0): string =>
    [
      ...fromXdp(flags),
      ...D, `r2 = ${off}`, 'r3 = r10', 'r3 += -48', `r4 = ${n}`, `call kfunc ${rdwr ? 7 : 6}`,
      'if r0 == 0 goto null',
      'r7 = 2', 'r1 = r10', 'r1 += -48', 'if r0 != r1 goto ptr', 'r7 = 1',
      'ptr:',
      ...(rdwr ? ['r1 = 0xee', '*(u8 *)(r0 + 0) = r1'] : []),
      `r0 = *(u8 *)(r0 + ${n - 1})`, 'r7 <<= 8', 'r0 |= r7', 'exit',
      'null:', 'r0 = 0xdead', 'exit',
    ].join('\n');
  const ptr = (off: number, n: number): number => (2 << 8) | byte(off + n - 1);

  it.each([false, true])('bpf_dynptr_slice (rdwr %s): in place up to the frame end, NULL one byte past it, the buffer across pieces', async (rdwr) => {
    const w = (off: number): Probe['writes'] => (rdwr ? [[off, [0xee]]] : []);
    // 6.18.44-fc-v1252 refuses bpf_dynptr_slice_rdwr in every program, and so does the verifier: an
    // rdwr slice runs only unverified (its code, inlined or called, is the kernel's function's)
    if (rdwr) {
      const err = await Datapath.create().then((dp) => dp.loadInsns(assemble(slice(20, 4, true)))).catch((e: unknown) => e);
      expect((err as VerifierError).reason).toBe('bpf_dynptr_slice_rdwr() is not allowed');
    }
    const checkSlice = (text: string, probes: Probe[], engines = ENGINES): Promise<void> => check(text, probes, rdwr, engines);
    expect(await calledIds(await Datapath.create(), slice(20, 4, rdwr))).toEqual([KFUNC_HELPER_BASE + (rdwr ? 7 : 6)]); // the fallback
    await checkSlice(slice(20, 4, rdwr), [
      { len: 23, retval: 0xdead },
      { len: 24, retval: ptr(20, 4), writes: w(20) },
      { len: 64, retval: ptr(20, 4), writes: w(20) },
      { len: 4100, retval: ptr(20, 4), writes: w(20) },
    ]);
    // across the linear part's end: the buffer (a write to it is lost); inside the fragment: a pointer
    // ending at the linear part's end: in place; one byte further: across the pieces, the buffer
    await checkSlice(slice(3512, 8, rdwr), [{ len: 4100, retval: ptr(3512, 8), writes: w(3512) }]);
    await checkSlice(slice(3513, 8, rdwr), [{ len: 4100, retval: (1 << 8) | byte(3520) }]);
    await checkSlice(slice(3516, 8, rdwr), [
      { len: 3523, retval: 0xdead },
      { len: 3524, retval: (1 << 8) | byte(3523) },
    ]);
    // a pointer into a fragment: in place (the checked JIT allows the fragments as packet bytes)
    // (unverified, the interpreter knows no fragment as writable: only the verifier's facts made an rdwr
    // slice into one packet memory)
    await checkSlice(slice(3520, 8, rdwr), [{ len: 3528, retval: ptr(3520, 8), writes: w(3520) }], rdwr ? ['jit-checked', 'jit'] : ENGINES);
    await checkSlice(slice(0, 2, rdwr, 1), [{ len: 64, retval: 0xdead }]);
  });

  it('the checked JIT lets a slice pointer into a fragment reach the fragments\' bytes and no further', async () => {
    // unverified: r0 + at is read whatever the slice's length, so only the run-time check stands
    const past = (at: number): string =>
      [...fromXdp(), ...D, 'r2 = 3520', 'r3 = r10', 'r3 += -48', 'r4 = 8', 'call kfunc 6', 'if r0 == 0 goto null', `r0 = *(u8 *)(r0 + ${at})`, 'exit', 'null:', 'r0 = 0xdead', 'exit'].join('\n');
    const dp = await Datapath.create();
    const run = async (at: number, len: number): Promise<number> => (await load(dp, past(at), 'jit-checked', true)).testRun({ data: frameOf(len) }).retval;
    // 8 bytes of fragments (a 3528-byte frame): the last is readable, the one after faults
    expect(await run(7, 3528)).toBe(byte(3527));
    await expect(run(8, 3528)).rejects.toThrow();
    // 9 bytes: the ninth is there
    expect(await run(8, 3529)).toBe(byte(3528));
  });

  // retval = err << 24 | first << 8 | last byte read (the buffer zeroed first)
  const read = (off: number, flags = 0): string =>
    [
      ...fromXdp(),
      'r1 = 0', '*(u64 *)(r10 - 40) = r1',
      'r1 = r10', 'r1 += -40', 'r2 = 8', 'r3 = r10', 'r3 += -16', `r4 = ${off}`, `r5 = ${flags}`, 'call 201',
      'r7 = r0', 'r7 &= 0xff', 'r7 <<= 24',
      'r0 = *(u8 *)(r10 - 40)', 'r0 <<= 8', 'r7 |= r0', 'r0 = *(u8 *)(r10 - 33)', 'r0 |= r7', 'exit',
    ].join('\n');
  const bytes8 = (off: number): number => (byte(off) << 8) | byte(off + 7);

  it('bpf_dynptr_read: 8 bytes ending at the frame end, E2BIG one past it, across pieces by the call, EINVAL with flags', async () => {
    await check(read(56), [{ len: 64, retval: bytes8(56) }, { len: 63, retval: u8(E2BIG) << 24 }, { len: 4100, retval: bytes8(56) }]);
    await check(read(3512), [{ len: 4100, retval: bytes8(3512) }]);
    await check(read(3513), [{ len: 4100, retval: bytes8(3513) }]);
    await check(read(3516), [{ len: 3524, retval: bytes8(3516) }, { len: 3523, retval: u8(E2BIG) << 24 }]);
    await check(read(0, 1), [{ len: 64, retval: u8(EINVAL) << 24 }]);
  });

  const write = (off: number, flags = 0): string =>
    [
      ...fromXdp(),
      'r1 = 0xa7a6a5a4a3a2a1a0 ll', '*(u64 *)(r10 - 40) = r1',
      ...D, `r2 = ${off}`, 'r3 = r10', 'r3 += -40', 'r4 = 8', `r5 = ${flags}`, 'call 202', 'exit',
    ].join('\n');
  const A = [0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7];

  it('bpf_dynptr_write: 8 bytes ending at the frame end, E2BIG one past it, across pieces by the call, EINVAL with flags', async () => {
    await check(write(56), [{ len: 64, retval: 0, writes: [[56, A]] }, { len: 63, retval: E2BIG }]);
    await check(write(3512), [{ len: 4100, retval: 0, writes: [[3512, A]] }]);
    await check(write(3513), [{ len: 4100, retval: 0, writes: [[3513, A]] }]);
    await check(write(3516), [{ len: 3524, retval: 0, writes: [[3516, A]] }, { len: 3523, retval: E2BIG }]);
    await check(write(0, 2), [{ len: 64, retval: EINVAL }]);
  });

  // a clone at r10-48 adjusted to [start, end); retval = err << 24 | size << 8 | its byte `at` (0 unread)
  const adjust = (start: number, end: number, flags = 0, at = 0): string =>
    [
      ...fromXdp(flags),
      ...D, 'r2 = r10', 'r2 += -48', 'call kfunc 12',
      'r1 = r10', 'r1 += -48', `r2 = ${start}`, `r3 = ${end}`, 'call kfunc 8',
      'r7 = r0', 'r7 &= 0xff', 'r7 <<= 24',
      'r1 = r10', 'r1 += -48', 'call kfunc 11', 'r0 &= 0xffff', 'r0 <<= 8', 'r7 |= r0',
      'r1 = 0', '*(u64 *)(r10 - 56) = r1',
      'r1 = r10', 'r1 += -56', 'r2 = 1', 'r3 = r10', 'r3 += -48', `r4 = ${at}`, 'r5 = 0', 'call 201',
      'r0 = *(u8 *)(r10 - 56)', 'r0 |= r7', 'exit',
    ].join('\n');

  it('bpf_dynptr_clone and _adjust: the view moves; start > end EINVAL, end past the size ERANGE, a NULL dynptr EINVAL', async () => {
    expect(await calledIds(await Datapath.create(), adjust(14, 64))).toEqual([201]); // the read's fallback
    await check(adjust(14, 64), [{ len: 64, retval: (50 << 8) | byte(14) }, { len: 63, retval: (u8(ERANGE) << 24) | (63 << 8) | byte(0) }]);
    // the view's last byte, then one past it (inside the frame, outside the view: E2BIG)
    await check(adjust(14, 20, 0, 5), [{ len: 64, retval: (6 << 8) | byte(19) }]);
    await check(adjust(14, 20, 0, 6), [{ len: 64, retval: 6 << 8 }]);
    await check(adjust(64, 64), [{ len: 64, retval: 0 }]); // empty at the end: the read of 1 byte is E2BIG
    await check(adjust(3, 2), [{ len: 64, retval: (u8(EINVAL) << 24) | (64 << 8) | byte(0) }]);
    await check(adjust(3516, 3530), [{ len: 4100, retval: (14 << 8) | byte(3516) }]);
    await check(adjust(0, 4, 1), [{ len: 64, retval: (u8(EINVAL) << 24) | (0xffea << 8) }]);
  });

  const copy = (dst: number, src: number, n: number): string =>
    [...fromXdp(), ...D, `r2 = ${dst}`, 'r3 = r1', `r4 = ${src}`, `r5 = ${n}`, 'call kfunc 13', 'exit'].join('\n');
  const bytesAt = (off: number, n: number): number[] => Array.from({ length: n }, (_, i) => byte(off + i));

  it('bpf_dynptr_copy within the frame: to the end, E2BIG past it, overlapping as memmove, across pieces by the call', async () => {
    await check(copy(0, 10, 6), [{ len: 16, retval: 0, writes: [[0, bytesAt(10, 6)]] }, { len: 15, retval: E2BIG }]);
    await check(copy(58, 0, 6), [{ len: 64, retval: 0, writes: [[58, bytesAt(0, 6)]] }, { len: 63, retval: E2BIG }]);
    // dst inside (src, src + n): a forward copy would repeat bytes; memmove's answer
    await check(copy(2, 0, 16), [{ len: 64, retval: 0, writes: [[2, bytesAt(0, 16)]] }]);
    await check(copy(3512, 0, 8), [{ len: 4100, retval: 0, writes: [[3512, bytesAt(0, 8)]] }]);
    await check(copy(0, 3513, 8), [{ len: 4100, retval: 0, writes: [[0, bytesAt(3513, 8)]] }]);
    await check(copy(3516, 0, 8), [{ len: 4100, retval: 0, writes: [[3516, bytesAt(0, 8)]] }]);
    await check(copy(0, 3516, 8), [{ len: 4100, retval: 0, writes: [[0, bytesAt(3516, 8)]] }]);
  });

  const memset = (off: number, n: number, val: number): string =>
    [...fromXdp(), ...D, `r2 = ${off}`, `r3 = ${n}`, `r4 = ${val}`, 'call kfunc 14', 'exit'].join('\n');

  it('bpf_dynptr_memset: to the frame end, E2BIG past it, the value\'s low byte, across pieces by the call', async () => {
    await check(memset(60, 4, 0x5a), [{ len: 64, retval: 0, writes: [[60, [0x5a, 0x5a, 0x5a, 0x5a]]] }, { len: 63, retval: E2BIG }]);
    await check(memset(1, 13, 0x1ff), [{ len: 64, retval: 0, writes: [[1, new Array<number>(13).fill(0xff)]] }]);
    await check(memset(3516, 4, 0), [{ len: 4100, retval: 0, writes: [[3516, [0, 0, 0, 0]]] }]);
    await check(memset(3517, 4, 0), [{ len: 4100, retval: 0, writes: [[3517, [0, 0, 0, 0]]] }]);
    await check(memset(3518, 4, 0), [{ len: 4100, retval: 0, writes: [[3518, [0, 0, 0, 0]]] }]);
  });

  // a local dynptr over r10-64 (`size` bytes, zeroed), the frame's first 16 bytes copied in, then
  // bpf_dynptr_data(off, 4): retval = from_mem err << 24 | copy err << 16 | the 4 bytes' sum (0xfff: NULL)
  const local = (size: number, off: number, flags = 0): string =>
    [
      ...fromXdp(),
      'r1 = 0', '*(u64 *)(r10 - 64) = r1', '*(u64 *)(r10 - 56) = r1',
      'r1 = r10', 'r1 += -64', `r2 = ${size}`, `r3 = ${flags}`, 'r4 = r10', 'r4 += -48', 'call 197',
      'r7 = r0', 'r7 &= 0xff', 'r7 <<= 24',
      'r1 = r10', 'r1 += -48', 'r2 = 0', 'r3 = r10', 'r3 += -16', 'r4 = 0', 'r5 = 16', 'call kfunc 13',
      'r0 &= 0xff', 'r0 <<= 16', 'r7 |= r0',
      'r1 = r10', 'r1 += -48', `r2 = ${off}`, 'r3 = 4', 'call 203',
      'if r0 == 0 goto null',
      'r1 = *(u8 *)(r0 + 0)', 'r2 = *(u8 *)(r0 + 1)', 'r1 += r2', 'r2 = *(u8 *)(r0 + 2)', 'r1 += r2', 'r2 = *(u8 *)(r0 + 3)', 'r1 += r2',
      'r0 = r7', 'r0 |= r1', 'exit',
      'null:', 'r0 = r7', 'r0 |= 0xfff', 'exit',
    ].join('\n');
  const sum4 = (off: number): number => byte(off) + byte(off + 1) + byte(off + 2) + byte(off + 3);

  // Unverified (the JIT unchecked): the kernel's verifier takes a map value only for bpf_dynptr_from_mem's
  // data ("Unsupported reg type fp", tests/verifier/dynptr_from_mem_kernel.test.ts); a frame buffer keeps
  // each run's memory fresh here.
  it('bpf_dynptr_from_mem, _data and a copy into it: in place up to its end, NULL past it, EINVAL with flags', async () => {
    expect(await calledIds(await Datapath.create(), local(16, 12))).toEqual([KFUNC_HELPER_BASE + 13]); // copy's fallback
    await check(local(16, 12), [{ len: 64, retval: sum4(12) }, { len: 15, retval: (u8(E2BIG) << 16) | 0 }], true);
    await check(local(16, 13), [{ len: 64, retval: 0xfff }], true);
    await check(local(16, 12, 1), [{ len: 64, retval: (u8(EINVAL) << 24) | (u8(EINVAL) << 16) | 0xfff }], true);
  });

  // Unverified (the JIT unchecked): a local dynptr whose read-only bit the program set itself. Writes
  // through it are EINVAL, rdwr slices and bpf_dynptr_data NULL; reads and read-only slices work.
  // retval = write err << 24 | memset err << 16 | copy err << 8 | rdwr-slice NULL << 4 | data NULL << 3 | is_rdonly << 2 | slice ok << 1 | read ok
  const readOnly = [
    ...fromXdp(),
    'r1 = 0x0807060504030201 ll', '*(u64 *)(r10 - 64) = r1', '*(u64 *)(r10 - 56) = r1',
    'r1 = r10', 'r1 += -64', 'r2 = 16', 'r3 = 0', 'r4 = r10', 'r4 += -48', 'call 197',
    'r1 = *(u32 *)(r10 - 40)', 'r1 |= 0x80000000', '*(u32 *)(r10 - 40) = r1',
    'r1 = r10', 'r1 += -48', 'r2 = 0', 'r3 = r10', 'r3 += -64', 'r4 = 4', 'r5 = 0', 'call 202',
    'r7 = r0', 'r7 &= 0xff', 'r7 <<= 24',
    'r1 = r10', 'r1 += -48', 'r2 = 0', 'r3 = 4', 'r4 = 0', 'call kfunc 14', 'r0 &= 0xff', 'r0 <<= 16', 'r7 |= r0',
    'r1 = r10', 'r1 += -48', 'r2 = 0', 'r3 = r10', 'r3 += -16', 'r4 = 0', 'r5 = 4', 'call kfunc 13', 'r0 &= 0xff', 'r0 <<= 8', 'r7 |= r0',
    'r1 = r10', 'r1 += -48', 'r2 = 0', 'r3 = 0', 'r4 = 4', 'call kfunc 7', 'if r0 != 0 goto +1', 'r7 |= 16',
    'r1 = r10', 'r1 += -48', 'r2 = 0', 'r3 = 4', 'call 203', 'if r0 != 0 goto +1', 'r7 |= 8',
    'r1 = r10', 'r1 += -48', 'call kfunc 10', 'r0 &= 1', 'r0 <<= 2', 'r7 |= r0',
    'r1 = r10', 'r1 += -48', 'r2 = 4', 'r3 = 0', 'r4 = 4', 'call kfunc 6', 'if r0 == 0 goto +3', 'r1 = *(u8 *)(r0 + 0)', 'if r1 != 5 goto +1', 'r7 |= 2',
    'r1 = r10', 'r1 += -32', 'r2 = 4', 'r3 = r10', 'r3 += -48', 'r4 = 8', 'r5 = 0', 'call 201', 'if r0 != 0 goto +3', 'r1 = *(u8 *)(r10 - 32)', 'if r1 != 1 goto +1', 'r7 |= 1',
    'r0 = r7', 'exit',
  ].join('\n');

  it('a read-only dynptr (unverified, forged): writes EINVAL, rdwr slices and data NULL, reads work', async () => {
    const all = (u8(EINVAL) << 24) | (u8(EINVAL) << 16) | (u8(EINVAL) << 8) | 16 | 8 | 4 | 2 | 1;
    await check(readOnly, [{ len: 64, retval: all }], true);
  });
});
