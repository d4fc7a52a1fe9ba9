// Maps declared __uint(pinning, LIBBPF_PIN_BY_NAME) shared between objects loaded into one Datapath, as
// libbpf shares them through bpffs (bpf_object__reuse_map, map_is_reuse_compat). Linux 6.18 with bpftool
// (libbpf 1.1), `bpftool prog loadall` of programs/xdp_pin_count.o then xdp_pin_read.o: one
// /sys/fs/bpf/pin_shared, three runs of xdp_pin_count (64-byte frames) then xdp_pin_read: verdict 3
// (XDP_TX), data_out c0 00 … 03 00 … (192 bytes, 3 frames); xdp_pin_mismatch.o (8 entries) fails:
// "libbpf: couldn't reuse pinned map at '/sys/fs/bpf/pin_shared': parameter mismatch", then
// "map 'pin_shared': failed to create: Invalid argument(-22)". The live check below does the same.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Datapath } from '../../src/control/datapath.js';
import { codec, MapError, mapAddresses } from '../../src/maps/index.js';
import { kernelAvailability } from '../../src/oracle/kernel.js';

const prog = (name: string) => new URL(`../../programs/${name}.o`, import.meta.url).pathname;
const PKT = { data: new Uint8Array(64) };
/** Linux 6.18.44: xdp_pin_read after three runs of xdp_pin_count in the other object. */
const KERNEL_READ = { retval: 3, out: 'c0000000000000000300000000000000' };

describe('LIBBPF_PIN_BY_NAME maps shared between objects', () => {
  it('a second object reuses the pinned map: a program in each writes and reads the same map', async () => {
    const dp = await Datapath.create();
    try {
      const a = await dp.loadObject(prog('xdp_pin_count'));
      const b = await dp.loadObject(prog('xdp_pin_read'));
      expect(dp.pinPaths()).toEqual(['/sys/fs/bpf/pin_shared']);
      expect(b.map('pin_shared').id).toBe(a.map('pin_shared').id);
      for (let i = 0; i < 3; i++) expect(a.program().testRun(PKT).retval).toBe(2);
      const r = b.program().testRun(PKT);
      expect({ retval: r.retval, out: Buffer.from(r.data.subarray(0, 16)).toString('hex') }).toEqual(KERNEL_READ);
      // through either object's handle
      b.map('pin_shared').update(codec.u32.encode(1), codec.u64.encode(0n));
      expect(codec.u64.decode(a.map('pin_shared').lookup(codec.u32.encode(1))!)).toBe(0n);
      // the first object unloaded: the map stays (b and the pin hold it)
      expect(dp.unloadObject(a)).toEqual({ freed: [], kept: ['pin_shared'] });
      expect(b.program().testRun(PKT).retval).toBe(2);
      expect(codec.u64.decode(b.map('pin_shared').lookup(codec.u32.encode(0))!)).toBe(192n);
      // both gone: the pin keeps the map; a third object finds the same map there, with its values
      dp.unloadObject(b);
      const c = await dp.loadObject(prog('xdp_pin_read'));
      expect(codec.u64.decode(c.map('pin_shared').lookup(codec.u32.encode(0))!)).toBe(192n);
      const held = dp.pinned('/sys/fs/bpf/pin_shared')!;
      dp.unloadObject(c);
      // unpinned, the last handle closed: freed
      expect(dp.unpin('/sys/fs/bpf/pin_shared')).toBe(true);
      expect(held.isFreed).toBe(false);
      held.close();
      expect(held.isFreed).toBe(true);
      expect(dp.pinPaths()).toEqual([]);
    } finally {
      await dp.close();
    }
  });

  it('another pin root gives another map; a map unpinned while its object is loaded is created again by the next', async () => {
    const dp = await Datapath.create();
    try {
      const a = await dp.loadObject(prog('xdp_pin_count'));
      const b = await dp.loadObject(prog('xdp_pin_read'), { pinRoot: '/sys/fs/bpf/other/' });
      expect(b.map('pin_shared').id).not.toBe(a.map('pin_shared').id);
      expect(dp.pinPaths()).toEqual(['/sys/fs/bpf/other/pin_shared', '/sys/fs/bpf/pin_shared']);
      dp.unpin('/sys/fs/bpf/pin_shared');
      const c = await dp.loadObject(prog('xdp_pin_read'));
      expect(c.map('pin_shared').id).not.toBe(a.map('pin_shared').id);
      a.program().testRun(PKT);
      expect(c.program().testRun(PKT).retval).toBe(2);
      expect(codec.u64.decode(c.map('pin_shared').lookup(codec.u32.encode(1))!)).toBe(0n);
    } finally {
      await dp.close();
    }
  });

  it("refuses an incompatible pinned map as libbpf does (EINVAL, parameter mismatch); nothing of the load stays", async () => {
    const dp = await Datapath.create();
    try {
      await dp.loadObject(prog('xdp_pin_count'));
      const e = await dp.loadObject(prog('xdp_pin_mismatch')).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(MapError);
      expect([(e as MapError).errno, (e as MapError).message]).toEqual([22, "map 'pin_shared': reuse: EINVAL (couldn't reuse pinned map at '/sys/fs/bpf/pin_shared': parameter mismatch)"]);
      expect(dp.loadedObjects().length).toBe(1);
      // under another root it loads (its own pin_shared of 8 entries)
      const m = await dp.loadObject(prog('xdp_pin_mismatch'), { pinRoot: '/sys/fs/bpf/m' });
      expect(m.map('pin_shared').maxEntries).toBe(8);
    } finally {
      await dp.close();
    }
  });

  it('a load that fails after pinning (a program refused) leaves nothing: its loaded program, its pin and its maps go', async () => {
    const dp = await Datapath.create();
    try {
      const e = await dp.loadObject(prog('xdp_pin_fail')).catch((x: unknown) => x);
      expect(String(e)).toMatch(/xdp_pin_fail_bad/);
      expect([dp.pinPaths(), dp.loadedObjects().length, dp.allPrograms.size]).toEqual([[], 0, 0]);
      expect(mapAddresses(dp.fastPath)).toEqual([]); // pin_shared freed
      // the next load creates (and pins) a fresh map
      const a = await dp.loadObject(prog('xdp_pin_count'));
      expect(a.program().testRun(PKT).retval).toBe(2);
      expect(codec.u64.decode(a.map('pin_shared').lookup(codec.u32.encode(1))!)).toBe(1n);
    } finally {
      await dp.close();
    }
  });
});

const avail = kernelAvailability();
const PIN = '/sys/fs/bpf/pin_shared';
describe.skipIf(!avail.ok || existsSync(PIN))(`the kernel: libbpf's reuse of a LIBBPF_PIN_BY_NAME pin${avail.ok ? '' : ` (skipped: ${avail.reason})`}`, () => {
  it('bpftool prog loadall shares pin_shared between two objects and refuses the 8-entry one', () => {
    const dir = mkdtempSync('/sys/fs/bpf/wxdp-pin-');
    const tmp = mkdtempSync('/tmp/wxdp-pin-');
    const bpftool = (...args: string[]) => spawnSync('bpftool', args, { encoding: 'utf8' });
    try {
      writeFileSync(join(tmp, 'in'), PKT.data);
      expect(bpftool('prog', 'loadall', prog('xdp_pin_count'), join(dir, 'c')).status).toBe(0);
      expect(bpftool('prog', 'loadall', prog('xdp_pin_read'), join(dir, 'r')).status).toBe(0);
      for (let i = 0; i < 3; i++) expect(bpftool('prog', 'run', 'pinned', join(dir, 'c', 'xdp_pin_count'), 'data_in', join(tmp, 'in')).status).toBe(0);
      const r = bpftool('-j', 'prog', 'run', 'pinned', join(dir, 'r', 'xdp_pin_read'), 'data_in', join(tmp, 'in'), 'data_out', join(tmp, 'out'));
      const j = JSON.parse(r.stdout) as { retval: number };
      const out = spawnSync('xxd', ['-p', '-l', '16', join(tmp, 'out')], { encoding: 'utf8' }).stdout.trim();
      expect({ retval: j.retval, out }).toEqual(KERNEL_READ);
      const m = bpftool('prog', 'loadall', prog('xdp_pin_mismatch'), join(dir, 'm'));
      expect(m.status).not.toBe(0);
      expect(m.stderr).toContain("couldn't reuse pinned map at '/sys/fs/bpf/pin_shared': parameter mismatch");
    } finally {
      rmSync(dir, { recursive: true, force: true });
      rmSync(tmp, { recursive: true, force: true });
      rmSync(PIN, { force: true });
    }
  });
});
