// bpf_probe_read_kernel (what programs read bpf_xdp_flow_lookup's entry with, bpf_core_read): the
// answers of programs/xdp_probe_read.o in wxdp and in the kernel (bpftool prog run when root): NULL and
// a 32-bit address far past wxdp's memory are no kernel memory (-ERANGE, the destination zeroed); the
// program's own stack is copied. Expected 31: every bit of the program's header.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Datapath } from '../../src/control/datapath.js';
import { kernelAvailability } from '../../src/oracle/kernel.js';

const OBJ = fileURLToPath(new URL('../../programs/xdp_probe_read.o', import.meta.url));
const ALL = 31;

describe('bpf_probe_read_kernel', () => {
  it('answers -ERANGE with the destination zeroed for NULL and past the memory, copies the stack', async () => {
    const dp = await Datapath.create();
    const o = await dp.loadObject(OBJ);
    expect(o.program('xdp_probe_read').testRun({ data: new Uint8Array(64) }).retval).toBe(ALL);
  });

  const avail = kernelAvailability();
  it.skipIf(!avail.ok)(`the kernel answers the same${avail.ok ? '' : ` (skipped: ${avail.reason})`}`, () => {
    const pin = `/sys/fs/bpf/wx-ft15-probe-${process.pid}`;
    const dir = mkdtempSync(join(tmpdir(), 'wx-ft15-'));
    try {
      const load = spawnSync('bpftool', ['prog', 'load', OBJ, pin], { encoding: 'utf8' });
      expect(load.status, load.stderr).toBe(0);
      writeFileSync(join(dir, 'in'), new Uint8Array(64));
      const run = spawnSync('bpftool', ['prog', 'run', 'pinned', pin, 'data_in', join(dir, 'in')], { encoding: 'utf8' });
      expect(run.stdout + run.stderr).toMatch(new RegExp(`Return value: ${ALL},`));
    } finally {
      rmSync(pin, { force: true });
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
