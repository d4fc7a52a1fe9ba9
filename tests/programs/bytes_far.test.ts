// bpf_xdp_load_bytes / bpf_xdp_store_bytes past 0xffff (programs/xdp_bytes_far.o): the kernel's
// bpf_xdp_pointer answers an offset or a length over 0xffff with -EFAULT before it compares the span with
// the frame, so a 70000-byte frame (fragments past 64 KiB) refuses offset 0x10000 although its bytes are
// there; wxdp answered -EINVAL on short frames and copied on long ones. Found sweeping helper edge cases
// next to the kernel selftests' test_xdp_update_frags.c.
//
// The expectations are 6.18.44-fc-v1272's (bpftool prog run, XDP_TX): the six answers in the first 48
// bytes of data_out, and its sha256 (the rest is the frame as it came).

import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Datapath } from '../../src/control/datapath.js';
import { kernelAvailability } from '../../src/oracle/kernel.js';

const OBJ = fileURLToPath(new URL('../../programs/xdp_bytes_far.o', import.meta.url));
const XDP_TX = 3;
const EFAULT = 'f2ffffffffffffff';
const EINVAL = 'eaffffffffffffff';
const OK = '0000000000000000';
/** Byte i is (i * 7 + 3) & 0xff. */
const frame = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 7 + 3) & 0xff);
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const CASES = [
  // answers: load/store at 0x10000, load at 0xffff, load/store of 0x10001 bytes, load 8 at 0xfff8
  { len: 64, answers: [EFAULT, EFAULT, EINVAL, EFAULT, EFAULT, EINVAL].join(''), sha: '57588d337ff1cfd5f99cdd2301ea04ed1419ba1ddd02d004b8c572662d4262f3' },
  { len: 70000, answers: [EFAULT, EFAULT, OK, EFAULT, EFAULT, OK].join(''), sha: '39ac90510d72f0daeccdaf027415340ac49ee467d3ec34ce34297532f8abf626' },
];

describe('bpf_xdp_load_bytes / _store_bytes past 0xffff: -EFAULT first (programs/xdp_bytes_far.o)', () => {
  for (const engine of ['jit', 'interp'] as const) {
    it(`${engine}: the kernel's answers on a 64-byte and a 70000-byte frame`, async () => {
      const dp = await Datapath.create();
      const prog = (await dp.loadObject(OBJ, { engine })).program('xdp_bytes_far');
      for (const c of CASES) {
        const r = prog.testRun({ data: frame(c.len) });
        expect({ retval: r.retval, answers: hex(r.data.subarray(0, 48)), length: r.data.length, sha: sha256(r.data) }, `${c.len} bytes`)
          .toEqual({ retval: XDP_TX, answers: c.answers, length: c.len, sha: c.sha });
      }
      expect(prog.verifierStats!.insnsProcessed).toBe(184);
      await dp.close();
    });
  }
});

const avail = kernelAvailability();
describe.skipIf(!avail.ok)(`the kernel on the same frames${avail.ok ? '' : ` (skipped: ${avail.reason})`}`, () => {
  it('bpftool prog run gives the recorded data_out', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wxdp-bytes-far-'));
    const pin = `/sys/fs/bpf/wxdp-bytes-far-${process.pid}`;
    try {
      const load = spawnSync('bpftool', ['prog', 'load', OBJ, pin], { encoding: 'utf8' });
      expect(load.status, load.stderr).toBe(0);
      for (const c of CASES) {
        writeFileSync(join(dir, 'in'), frame(c.len));
        const run = spawnSync('bpftool', ['prog', 'run', 'pinned', pin, 'data_in', join(dir, 'in'), 'data_out', join(dir, 'out'), 'data_size_out', '80000'], { encoding: 'utf8' });
        expect(run.stdout, run.stderr).toMatch(/^Return value: 3,/);
        expect(sha256(readFileSync(join(dir, 'out'))), `${c.len} bytes`).toBe(c.sha);
      }
    } finally {
      rmSync(pin, { force: true });
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
