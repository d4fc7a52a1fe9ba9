// A prog_array whose last user reference goes while programs still hold it is emptied
// (kernel/bpf/syscall.c bpf_map_put_uref → arraymap.c prog_array_map_clear): its tail calls fall
// through. Linux: programs/xdp_tailcall.o loaded with its programs and maps pinned, a TCP segment to
// port 23 goes xdp_dispatch → xdp_ipv4 → xdp_tcp (XDP_DROP); after `rm` of jmp_table's pin (the
// pinned programs still hold the map) the map dumps empty and xdp_dispatch falls through to XDP_PASS.
// wxdp: the same chain from a program loaded alone that names jmp_table; unloadObject drops the
// object's user reference (wxdp has no pins), the map stays, emptied, and the call falls through.
// Timers likewise (helpers.c __bpf_async_init reads usercnt): xdp_mim_timer's flows0 with its pin
// removed (Linux) or its object unloaded (wxdp) while tenants holds it: `arm`'s bpf_timer_init -EPERM.

import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { Datapath } from '../../src/control/datapath.js';
import { kernelAvailability, loadKernelObject } from '../../src/oracle/kernel.js';

const OBJ = fileURLToPath(new URL('../../programs/xdp_tailcall.o', import.meta.url));
const MIM_TIMER = fileURLToPath(new URL('../../programs/xdp_mim_timer.o', import.meta.url));
/** Linux 6.18.44: xdp_mim_timer's `arm` res[0..3] once flows0's pin is gone (tenants still holds it): init -EPERM twice, set_callback / start -EINVAL. */
const KERNEL_NO_UREF = [-1, -1, -22, -22];
const u32 = (v: number): Uint8Array => Uint8Array.of(v, 0, 0, 0);
/** Ethernet + IPv4 + TCP SYN 192.0.2.1:1234 → 192.0.2.2:23 (xdp_tcp drops port 23). */
const PKT = Uint8Array.from([
  ...new Array(12).fill(0), 0x08, 0x00,
  0x45, 0, 0, 40, 0, 0, 0, 0, 64, 6, 0, 0, 192, 0, 2, 1, 192, 0, 2, 2,
  0x04, 0xd2, 0, 23, 0, 0, 0, 0, 0, 0, 0, 0, 0x50, 0x02, 0, 0, 0, 0, 0, 0,
]);
/** Linux 6.18.44: xdp_dispatch's verdict with jmp_table pinned, then after its pin is removed. */
const KERNEL = [1, 2];

describe('a prog_array losing its last user reference (prog_array_map_clear)', () => {
  it('wxdp: unloadObject empties the kept jmp_table; the tail call falls through', async () => {
    const dp = await Datapath.create();
    try {
      const o = await dp.loadObject(OBJ);
      const jmp = o.map('jmp_table');
      const at = jmp.address; // the handle closes with o (its fd)
      // xdp_dispatch's IPv4 branch: bpf_tail_call(ctx, &jmp_table, ST_IPV4); return XDP_PASS
      const p = await dp.loadInsns(assemble([`r2 = ${at} ll`, 'r3 = 1', 'call 12', 'r0 = 2', 'exit'].join('\n')), { verify: false });
      const before = p.testRun({ data: PKT }).retval;
      dp.unloadObject(o);
      const get = dp.fastPath.fn<(m: number, i: number) => number>('prog_array_get');
      expect(Array.from({ length: jmp.maxEntries }, (_v, i) => get(at, i)).filter((s) => s >= 0)).toEqual([]);
      expect([before, p.testRun({ data: PKT }).retval]).toEqual(KERNEL);
    } finally {
      await dp.close();
    }
  });

  const avail = kernelAvailability();
  it.skipIf(!avail.ok)(`the kernel: removing jmp_table's pin empties it${avail.ok ? '' : ` (skipped: ${avail.reason})`}`, async () => {
    const k = loadKernelObject(OBJ, { pinMaps: true });
    try {
      const run = () => k.program('xdp_dispatch').run({ data: PKT }).retval;
      const before = run();
      const jmp = k.map('jmp_table');
      expect(jmp.dump().length).toBe(4);
      const id = String(jmp.info().id);
      rmSync(join(k.mapDir!, 'jmp_table'));
      // prog_array_map_clear runs from a work item (and the last reference may go after an RCU grace
      // period): wait, bounded (2 s at 20 ms), for the map (by id: its pin is gone) to dump empty
      const entries = (): number => {
        const r = spawnSync('bpftool', ['-j', 'map', 'dump', 'id', id], { encoding: 'utf8' });
        return r.status === 0 ? (JSON.parse(r.stdout) as unknown[]).length : -1;
      };
      for (let i = 0; i < 100 && entries() !== 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(entries()).toBe(0);
      expect([before, run()]).toEqual(KERNEL);
    } finally {
      k.close();
    }
  });

  // __bpf_async_init: "maps with timers must be either held by user space or pinned in bpffs"
  it('wxdp: bpf_timer_init in a map its object no longer holds (reached through another object\'s outer map) is -EPERM', async () => {
    const dp = await Datapath.create();
    try {
      const a = await dp.loadObject(MIM_TIMER);
      const b = await dp.loadObject(MIM_TIMER);
      b.map('tenants').setInner(u32(0), a.map('flows0'));
      dp.unloadObject(a);
      expect(b.program('arm').testRun({ data: new Uint8Array(64) }).retval).toBe(2);
      expect(Array.from({ length: 4 }, (_v, i) => Number(Buffer.from(b.map('res').lookup(u32(i))!).readBigInt64LE()))).toEqual(KERNEL_NO_UREF);
    } finally {
      await dp.close();
    }
  });

  it.skipIf(!avail.ok)(`the kernel: bpf_timer_init after flows0's pin is removed${avail.ok ? '' : ` (skipped: ${avail.reason})`}`, () => {
    const k = loadKernelObject(MIM_TIMER, { pinMaps: true });
    try {
      rmSync(join(k.mapDir!, 'flows0'));
      expect(k.program('arm').run({ data: new Uint8Array(64) }).retval).toBe(2);
      expect(k.map('res').dump().map((e) => Number(Buffer.from(e.value!).readBigInt64LE()))).toEqual(KERNEL_NO_UREF);
    } finally {
      k.close();
    }
  });
});
