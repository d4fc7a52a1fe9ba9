// The headroom of a test run's frame starts zeroed, as bpf_test_init's kzalloc gives it for every
// BPF_PROG_TEST_RUN: programs/xdp_headroom.o grows the frame by 16 bytes at the head and 32 of metadata,
// and fills those 48 bytes with 0xa5 only when the frame's first byte is odd. A frame that leaves them
// alone shows zeros in data_out (metadata included), also after a run that filled them; wxdp showed the
// earlier run's 0xa5 (found sweeping the kernel selftests' test_xdp_meta.c ing_xdp, which adjusts the
// metadata and returns XDP_DROP before writing it for frames it does not want).
//
// The expectations are 6.18.44-fc-v1272's data_out (return value 2, XDP_PASS, for both frames).

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Datapath } from '../../src/control/datapath.js';
import { kernelAvailability } from '../../src/oracle/kernel.js';
import { kernelHelperGap } from '../support/kernel_helpers.js';

const OBJ = fileURLToPath(new URL('../../programs/xdp_headroom.o', import.meta.url));
const XDP_PASS = 2;
/** 64 bytes: `first`, then 01 02 … 3f. */
const frame = (first: number): Uint8Array => Uint8Array.from({ length: 64 }, (_, i) => (i === 0 ? first : i));
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const tail = hex(frame(0).subarray(1));
const FILLED = `${'a5'.repeat(48)}01${tail}`;
const UNTOUCHED = `${'00'.repeat(48)}02${tail}`;

describe('a test run\'s headroom starts zeroed (programs/xdp_headroom.o)', () => {
  for (const engine of ['jit', 'interp'] as const) {
    it(`${engine}: bytes grown into and left unwritten read as zeros, also after a run that wrote them`, async () => {
      const dp = await Datapath.create();
      const prog = (await dp.loadObject(OBJ, { engine })).program('xdp_headroom');
      const got = [1, 2, 1, 2].map((first) => {
        const r = prog.testRun({ data: frame(first) });
        return { retval: r.retval, data: hex(r.data) };
      });
      const want = [FILLED, UNTOUCHED, FILLED, UNTOUCHED].map((data) => ({ retval: XDP_PASS, data }));
      expect(got).toEqual(want);
      expect(prog.verifierStats!.insnsProcessed).toBe(98);
      await dp.close();
    });
  }
});

const kernel = kernelAvailability();
// the program calls bpf_xdp_adjust_meta, which a kernel can refuse for XDP (tests/support/kernel_helpers.ts)
const avail = kernel.ok ? (((gap) => (gap === null ? kernel : { ok: false as const, reason: gap }))(kernelHelperGap(OBJ))) : kernel;
describe.skipIf(!avail.ok)(`the kernel on the same frames${avail.ok ? '' : ` (skipped: ${avail.reason})`}`, () => {
  it('bpftool prog run answers FILLED, then UNTOUCHED on the same program', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wxdp-headroom-'));
    const pin = `/sys/fs/bpf/wxdp-headroom-${process.pid}`;
    try {
      const load = spawnSync('bpftool', ['prog', 'load', OBJ, pin], { encoding: 'utf8' });
      expect(load.status, load.stderr).toBe(0);
      for (const [first, want] of [[1, FILLED], [2, UNTOUCHED]] as const) {
        writeFileSync(join(dir, 'in'), frame(first));
        const run = spawnSync('bpftool', ['prog', 'run', 'pinned', pin, 'data_in', join(dir, 'in'), 'data_out', join(dir, 'out')], { encoding: 'utf8' });
        expect(run.stdout).toMatch(/^Return value: 2,/);
        expect(hex(readFileSync(join(dir, 'out')))).toBe(want);
      }
    } finally {
      rmSync(pin, { force: true });
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
