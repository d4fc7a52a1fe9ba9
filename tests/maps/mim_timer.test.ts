// A bpf_timer in an inner map's value (programs/xdp_mim_timer.c), in both engines against Linux 6.18.44.
// The kernel loads it (the inner template carries the value's btf_record; the verifier matches the
// timer's map to bpf_timer_init's by map_uid) and, with every map pinned (a timer's map must be held by
// user space, else bpf_timer_init is -EPERM): `arm` answers init 0, a second init -EBUSY, set_callback 0,
// start 0 and returns XDP_PASS; the callback fired within 300 ms with the inner map's key 7 (fired 1,
// key 7; the timer's bytes dump as 0); a cancel after it answers 0. Cancelling while armed answers 1;
// deleting the element takes its timer with it (the hash dumps empty). An empty slot: arm_empty 1.
// A hash of the same shape without BTF (no timer in its btf_record) is no inner map for `tenants`:
// bpf_map_meta_equal's btf_record_equal, EINVAL (bpftool map update … value id: Invalid argument).

import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Datapath } from '../../src/control/datapath.js';
import { createMap, Errno, MapType } from '../../src/maps/index.js';
import { kernelAvailability, loadKernelObject } from '../../src/oracle/kernel.js';
import { processedInsns } from '../support/refusals.js';

const OBJ = fileURLToPath(new URL('../../programs/xdp_mim_timer.o', import.meta.url));
const u32 = (v: number): Uint8Array => Uint8Array.of(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24);
/** struct elem { struct bpf_timer t; u64 fired; u64 key; } as the kernel dumps it. */
const elem = (fired: number, key: number): string => '00'.repeat(16) + Buffer.from(new BigUint64Array([BigInt(fired), BigInt(key)]).buffer).toString('hex');
/** Linux 6.18.44: `arm`'s res[0..3] (bpftool map dump after bpftool prog run). */
const KERNEL_RES = [0, -16, 0, 0];
const PKT = { data: new Uint8Array(64) };

type Loaded = Awaited<ReturnType<Datapath['loadObject']>>;

async function withObject(engine: 'jit' | 'interp', f: (dp: Datapath, o: Loaded) => void): Promise<void> {
  const dp = await Datapath.create();
  try {
    f(dp, await dp.loadObject(OBJ, { engine }));
  } finally {
    await dp.close();
  }
}

describe.each(['jit', 'interp'] as const)('bpf_timer in an inner map (%s)', (engine) => {
  const run = (o: Loaded, p: string): number => o.program(p).testRun(PKT).retval;
  const flows = (o: Loaded): Record<number, string> => {
    const inner = o.map('tenants').innerMap(u32(0))!;
    return Object.fromEntries([...inner.keys()].map((k) => [Buffer.from(k).readUInt32LE(), Buffer.from(inner.lookup(k)!).toString('hex')]));
  };

  it("answers the kernel's errnos and fires with the inner map's key when the stack clock reaches it", () =>
    withObject(engine, (dp, o) => {
      expect([run(o, 'arm_empty'), run(o, 'arm')]).toEqual([1, 2]);
      expect(Array.from({ length: 4 }, (_v, i) => Number(Buffer.from(o.map('res').lookup(u32(i))!).readBigInt64LE()))).toEqual(KERNEL_RES);
      dp.stack.advance(99);
      expect(flows(o)).toEqual({ 7: elem(0, 0) });
      dp.stack.advance(1);
      expect(flows(o)).toEqual({ 7: elem(1, 7) });
      dp.stack.advance(200);
      expect(flows(o)).toEqual({ 7: elem(1, 7) });
      expect(run(o, 'cancel')).toBe(0);
    }));

  it('cancels an armed timer (1); a deleted element takes its timer with it', () =>
    withObject(engine, (dp, o) => {
      expect(['arm', 'cancel', 'drop', 'cancel'].map((p) => run(o, p))).toEqual([2, 1, 0, 0]);
      expect([run(o, 'arm'), run(o, 'drop')]).toEqual([2, 0]);
      dp.stack.advance(300);
      expect(flows(o)).toEqual({});
    }));

  it('refuses an inner map of the same shape whose value has no timer (EINVAL), takes the object\'s own', () =>
    withObject(engine, (dp, o) => {
      const plain = createMap(dp.fastPath, { name: 'plain', type: MapType.HASH, keySize: 4, valueSize: 32, maxEntries: 4, id: 1000 });
      expect(() => o.map('tenants').setInner(u32(1), plain)).toThrow(expect.objectContaining({ errno: Errno.EINVAL }));
      o.map('tenants').setInner(u32(1), o.map('flows0'));
      expect(run(o, 'arm_empty')).toBe(0);
    }));
});

describe('bpf_timer in an inner map: the verifier', () => {
  it('processes as many instructions as the kernel for each program', async () => {
    expect(await processedInsns(OBJ, ['arm', 'arm_empty', 'cancel', 'drop'])).toEqual({ arm: 97, arm_empty: 11, cancel: 22, drop: 18 });
  });
});

const avail = kernelAvailability();
describe.skipIf(!avail.ok)(`the kernel on the same program${avail.ok ? '' : ` (skipped: ${avail.reason})`}`, () => {
  /** The kernel's timer fires on its own: wait for it, 300 ms (it is armed for 100 ms). */
  const wait = (): void => void Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
  const dump = (k: ReturnType<typeof loadKernelObject>, map: string): Record<number, string> =>
    Object.fromEntries(k.map(map).dump().map((e) => [Buffer.from(e.key).readUInt32LE(), Buffer.from(e.value!).toString('hex')]));
  const run = (k: ReturnType<typeof loadKernelObject>, p: string): number => k.program(p).run(PKT).retval;

  it('bpftool prog run: the errnos, the timer fired with key 7, a cancel after answers 0', () => {
    const k = loadKernelObject(OBJ, { pinMaps: true });
    try {
      expect([run(k, 'arm_empty'), run(k, 'arm')]).toEqual([1, 2]);
      expect(Object.values(dump(k, 'res')).map((h) => Number(Buffer.from(h, 'hex').readBigInt64LE()))).toEqual(KERNEL_RES);
      wait();
      expect(dump(k, 'flows0')).toEqual({ 7: elem(1, 7) });
      expect(run(k, 'cancel')).toBe(0);
    } finally {
      k.close();
    }
  });

  it('bpftool prog run: a cancelled timer answers 1, a deleted element takes its timer', () => {
    const k = loadKernelObject(OBJ, { pinMaps: true });
    try {
      expect(['arm', 'cancel', 'drop', 'cancel', 'arm', 'drop'].map((p) => run(k, p))).toEqual([2, 1, 0, 0, 2, 0]);
      wait();
      expect(dump(k, 'flows0')).toEqual({});
    } finally {
      k.close();
    }
  });

  it('bpftool map update: a hash of the same shape without BTF is refused (EINVAL), the object\'s own taken', () => {
    const k = loadKernelObject(OBJ, { pinMaps: true });
    const pin = `/sys/fs/bpf/wxdp-mim-timer-plain-${process.pid}`;
    const bpftool = (...args: string[]) => spawnSync('bpftool', args, { encoding: 'utf8' });
    try {
      expect(bpftool('map', 'create', pin, 'type', 'hash', 'key', '4', 'value', '32', 'entries', '4', 'name', 'plain').status).toBe(0);
      const id = (path: string): string => String(JSON.parse(bpftool('-j', 'map', 'show', 'pinned', path).stdout).id);
      const put = (inner: string) => bpftool('map', 'update', 'pinned', k.map('tenants').pinPath, 'key', '1', '0', '0', '0', 'value', 'id', id(inner));
      expect(put(pin).stderr).toContain('Invalid argument');
      expect(put(k.map('flows0').pinPath).status).toBe(0);
      expect(run(k, 'arm_empty')).toBe(0);
    } finally {
      rmSync(pin, { force: true });
      k.close();
    }
  });
});
