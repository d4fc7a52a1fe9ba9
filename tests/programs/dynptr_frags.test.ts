// programs/xdp_dynptr_frags.c on multi-buffer frames: an XDP dynptr over the linear part (3520 bytes
// in a test run) and 4 KiB fragments. The expected frame is derived by hand from the program (derive()
// below follows its source line by line); where the kernel can be asked, `bpftool prog run` with the
// same data_in must give the same bytes.

import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Datapath } from '../../src/control/datapath.js';
import { kernelAvailability, loadKernelProgram } from '../../src/oracle/kernel.js';
import { dynptrHelpers } from '../../src/helpers/dynptr.js';
import { DYNPTR_KFUNC_DEFS, KFUNC_HELPER_BASE } from '../../src/helpers/kfuncs.js';

const OBJ = fileURLToPath(new URL('../../programs/xdp_dynptr_frags.o', import.meta.url));
/** The linear part of a test-run frame (a page minus headroom and skb_shared_info). */
const LINEAR = 3520;
const FRAG = 4096;
const E2BIG = -7;
/** The program's .rodata: three slice offsets and the boundary it reads and writes across. */
const OFF = [100, 3516, 4000];
const BOUNDARY = 3520;

const frameOf = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 7 + 3) & 0xff);

/** Is [off, off + len) inside one piece of the frame (the linear part or one fragment)? */
function onePiece(size: number, off: number, len: number): boolean {
  if (off < LINEAR) return off + len <= LINEAR;
  const inFrags = off - LINEAR;
  const page = Math.floor(inFrags / FRAG);
  return inFrags - page * FRAG + len <= Math.min(FRAG, size - LINEAR - page * FRAG);
}

/** The frame out and what the program reports, derived from its source. */
function derive(input: Uint8Array): Uint8Array {
  const f = input.slice();
  const size = f.length;
  const kinds = OFF.map((o) => (o + 8 > size ? 0 : onePiece(size, o, 8) ? 1 : 2));
  [0x11, 0x22, 0x33].forEach((b, i) => {
    if (kinds[i] === 1) f[OFF[i]!] = b; // bpf_dynptr_write of one byte where the slice was a pointer into the frame
  });
  const nobuf = OFF[1]! + 8 <= size && onePiece(size, OFF[1]!, 8) ? 1 : 0;
  const fits = (o: number, n: number): boolean => n <= size && o <= size - n;
  const seen = fits(BOUNDARY - 4, 8) ? f.slice(BOUNDARY - 4, BOUNDARY + 4) : new Uint8Array(8);
  const readErr = fits(BOUNDARY - 4, 8) ? 0 : E2BIG;
  const writeErr = fits(BOUNDARY - 2, 8) ? 0 : E2BIG;
  if (!writeErr) f.set([0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7], BOUNDARY - 2);
  const memsetErr = fits(BOUNDARY + 100, 300) ? 0 : E2BIG;
  if (!memsetErr) f.fill(0x5a, BOUNDARY + 100, BOUNDARY + 400);
  f.set(f.slice(size - 64, size), 200);
  const farErr = E2BIG; // 8 bytes at size - 4
  // struct report, written over the frame's first 36 bytes by bpf_dynptr_write
  const r = new DataView(new ArrayBuffer(36));
  r.setUint32(0, size, true);
  kinds.forEach((k, i) => r.setUint8(4 + i, k));
  r.setUint8(7, nobuf);
  [readErr, writeErr, memsetErr, 0, farErr].forEach((e, i) => r.setInt32(8 + i * 4, e, true));
  new Uint8Array(r.buffer).set(seen, 28);
  f.set(new Uint8Array(r.buffer), 0);
  return f;
}

// A frame in the linear part only, one with a short fragment, two pages past it, and three fragments.
const SIZES = [3600, 4100, 8616, 12000];

describe.each(['jit', 'interp'] as const)('an XDP dynptr over a multi-buffer frame (%s)', (engine) => {
  it.each(SIZES)('%i bytes: slices, reads, writes, memset and copy across the pieces as derived', async (n) => {
    const dp = await Datapath.create();
    const p = (await dp.loadObject(OBJ, { engine })).program('xdp_dynptr_frags');
    const r = p.testRun({ data: frameOf(n) });
    expect(r.retval).toBe(2);
    expect(Buffer.from(r.data).equals(Buffer.from(derive(frameOf(n))))).toBe(true);
  });
});

describe('the TypeScript dynptrs (helpers/dynptr.ts) agree with the fast path\'s (assembly/dynptr.ts)', () => {
  /** A data path whose dynptr helpers and kfuncs are the TypeScript ones. */
  async function tsDynptrs(): Promise<Datapath> {
    const dp = await Datapath.create();
    for (const d of dynptrHelpers()) dp.helpers.register(d);
    for (const k of DYNPTR_KFUNC_DEFS) dp.helpers.register({ id: KFUNC_HELPER_BASE + k.btfId, name: k.name, fn: k.fn });
    return dp;
  }
  const corpus = JSON.parse(readFileSync(new URL('../../programs/corpus/index.json', import.meta.url), 'utf8')) as { file: string }[];
  const frames = [...SIZES.map(frameOf), ...corpus.map((e) => new Uint8Array(readFileSync(new URL(`../../programs/corpus/${e.file}`, import.meta.url))))];

  it.each(['xdp_dynptr_frags', 'xdp_dynptr_parse'])('%s: every frame the same in both', async (name) => {
    const ts = await tsDynptrs();
    const wasm = await Datapath.create();
    expect(ts.helpers.get(201)!.wasm).toBeUndefined();
    expect(wasm.helpers.get(201)!.wasm).toBeDefined();
    const path = fileURLToPath(new URL(`../../programs/${name}.o`, import.meta.url));
    const a = (await ts.loadObject(path)).program(name);
    const b = (await wasm.loadObject(path)).program(name);
    for (const f of frames.filter((x) => name === 'xdp_dynptr_frags' || x.length <= 1514)) {
      const ra = a.testRun({ data: f });
      const rb = b.testRun({ data: f });
      expect([ra.retval, Buffer.from(ra.data).toString('hex')]).toEqual([rb.retval, Buffer.from(rb.data).toString('hex')]);
    }
  });
});

const avail = kernelAvailability();
describe.skipIf(!avail.ok)(`the same frames in the kernel${avail.ok ? '' : ` (skipped: ${avail.reason})`}`, () => {
  it.each(SIZES)('%i bytes: bpftool prog run gives the derived frame', (n) => {
    const k = loadKernelProgram(OBJ, { name: 'xdp_dynptr_frags' });
    try {
      const r = k.run({ data: frameOf(n) });
      expect(r.retval).toBe(2);
      expect(Buffer.from(r.data).equals(Buffer.from(derive(frameOf(n))))).toBe(true);
    } finally {
      k.close();
    }
  });
});
