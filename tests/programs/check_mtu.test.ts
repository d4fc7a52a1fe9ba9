// bpf_check_mtu in XDP (bpf_xdp_check_mtu, net/core/filter.c), with programs/xdp_check_mtu.o: ten calls
// on a test run's frame, each answer (s32 return, u32 mtu_len after) written over the frame. A test run
// arrives on loopback: MTU 65536, hard_header_len 14, so a frame fits up to 65550 bytes.
//
// KERNEL_96 is the kernel's data_out for the 96-byte frame 00 01 … 5f (`bpftool prog run`, Linux
// 6.18.44-fc-v1252, return value 3 = XDP_TX); the live test asks the kernel again when it can. By case:
//   0  0, 65536          1  0 (65550 bytes fit)      2  1 = BPF_MTU_CHK_RET_FRAG_NEEDED (65551)
//   3  0 (1500 + 14)     4  1 (65537 + 14 > 65550)   5  0 (0xffffffff + 14 wraps to 13 as an int)
//   6  0 (-100000)       7  -EINVAL, mtu_len kept 7  8  -ENODEV, kept 7        9  0 (ifindex 1 named)

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Datapath } from '../../src/control/datapath.js';
import { kernelAvailability } from '../../src/oracle/kernel.js';

const OBJ = fileURLToPath(new URL('../../programs/xdp_check_mtu.o', import.meta.url));
const XDP_TX = 3;
const frame = Uint8Array.from({ length: 96 }, (_, i) => i);
const KERNEL_96 =
  '00000000000001000000000000000100010000000000010000000000000001000100000000000100000000000000010000000000' +
  '00000100eaffffff07000000edffffff070000000000000000000100505152535455565758595a5b5c5d5e5f';

/** (return, mtu_len) per case, read back from data_out. */
function answers(out: Uint8Array): [number, number][] {
  const v = new DataView(out.buffer, out.byteOffset, out.byteLength);
  return Array.from({ length: 10 }, (_, i) => [v.getInt32(8 * i, true), v.getUint32(8 * i + 4, true)]);
}

describe('bpf_check_mtu (programs/xdp_check_mtu.o)', () => {
  it('the recording reads as the cases say', () => {
    expect(answers(Buffer.from(KERNEL_96, 'hex'))).toEqual([
      [0, 65536], [0, 65536], [1, 65536], [0, 65536], [1, 65536], [0, 65536], [0, 65536], [-22, 7], [-19, 7], [0, 65536],
    ]);
  });

  for (const engine of ['jit', 'interp'] as const) {
    it(`${engine}: verdict and data_out as the kernel's`, async () => {
      const dp = await Datapath.create();
      const obj = await dp.loadObject(OBJ, { engine });
      const r = obj.program('xdp_mtu_answers').testRun({ data: frame });
      expect({ retval: r.retval, data: Buffer.from(r.data).toString('hex') }).toEqual({ retval: XDP_TX, data: KERNEL_96 });
      await dp.close();
    });
  }

  it('verifies in the kernel\'s count of instructions (bpftool -d prog load: processed 128)', async () => {
    const dp = await Datapath.create();
    const obj = await dp.loadObject(OBJ);
    expect(obj.program('xdp_mtu_answers').verifierStats!.insnsProcessed).toBe(128);
    await dp.close();
  });
});

const avail = kernelAvailability();
describe.skipIf(!avail.ok)(`the kernel on the same frame${avail.ok ? '' : ` (skipped: ${avail.reason})`}`, () => {
  it('bpftool prog run answers KERNEL_96', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wxdp-mtu-'));
    const pin = `/sys/fs/bpf/wxdp-check-mtu-${process.pid}`;
    try {
      writeFileSync(join(dir, 'in'), frame);
      const load = spawnSync('bpftool', ['prog', 'load', OBJ, pin], { encoding: 'utf8' });
      expect(load.status, load.stderr).toBe(0);
      const run = spawnSync('bpftool', ['prog', 'run', 'pinned', pin, 'data_in', join(dir, 'in'), 'data_out', join(dir, 'out')], { encoding: 'utf8' });
      expect(run.stdout).toMatch(/^Return value: 3,/);
      expect(Buffer.from(readFileSync(join(dir, 'out'))).toString('hex')).toBe(KERNEL_96);
    } finally {
      rmSync(pin, { force: true });
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
