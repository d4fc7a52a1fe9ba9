// Datapath.unloadObject: the kernel's fd-close semantics. Maps whose last holder the object was give
// their memory back (the arena reuses it: loading and unloading in a loop does not grow it), handles
// to them answer EBADF; maps another program or another object's map-in-map still holds stay; an
// object whose program can still run (device, prog_array of another object) is refused with EBUSY.
// program.fd names a program in a prog_array as libbpf's bpf_program__fd does.

import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { Datapath } from '../../src/control/datapath.js';
import { WxdpError } from '../../src/errors.js';
import { BpfMap, codec, createMap, mapAddressById, MapError, MapType } from '../../src/maps/index.js';

const prog = (name: string) => new URL(`../../programs/${name}.o`, import.meta.url).pathname;
const top = (dp: Datapath) => dp.fastPath.fn<() => number>('arena_top')() >>> 0;

describe('unloadObject', () => {
  it('frees the maps: a load/unload loop does not grow the arena, and the old handles answer EBADF', async () => {
    const dp = await Datapath.create();
    const first = await dp.loadObject(prog('xdp_tailcall'));
    const map = first.map('hops');
    expect(dp.unloadObject(first)).toEqual({ freed: expect.arrayContaining(['hops', 'jmp_table', 'scratch']), kept: [] });
    expect(() => map.lookup(codec.u32.encode(0))).toThrow(MapError);
    try {
      map.lookup(codec.u32.encode(0));
    } catch (e) {
      expect((e as MapError).errno).toBe(9); // EBADF
      expect((e as Error).message).toMatch(/EBADF.*freed/);
    }
    const base = top(dp);
    for (let i = 0; i < 20; i++) {
      const o = await dp.loadObject(prog('xdp_tailcall'));
      o.map('hops').update(codec.u32.encode(0), new Uint8Array(o.map('hops').valueSize).fill(7));
      dp.unloadObject(o);
    }
    expect(top(dp)).toBe(base);
    // reused memory comes back zeroed: a fresh object sees empty maps
    const o = await dp.loadObject(prog('xdp_tailcall'));
    expect([...o.map('hops').lookup(codec.u32.encode(0))!].every((b) => b === 0)).toBe(true);
    expect(dp.loadedObjects()).toEqual([o]);
    expect(dp.unloadObject(first)).toEqual({ freed: [], kept: [] }); // a second unload does nothing
  });

  it('refuses (BUSY) while a program is attached to a device, and frees after detach', async () => {
    const dp = await Datapath.create();
    const eth0 = dp.addDevice({ name: 'eth0' });
    const o = await dp.loadObject(prog('xdp_tailcall'));
    eth0.attachXdp(o.program('xdp_dispatch'));
    let err: unknown;
    try {
      dp.unloadObject(o);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(WxdpError);
    expect((err as WxdpError).code).toBe('BUSY');
    expect((err as Error).message).toMatch(/program xdp_dispatch is attached to eth0 \(EBUSY\)/);
    expect(dp.loadedObjects()).toContain(o);
    expect(o.map('hops').isFreed).toBe(false);
    eth0.detachXdp();
    expect(dp.unloadObject(o).freed).toContain('hops');
  });

  it('refuses (BUSY) while another object\'s prog_array holds one of its programs (by program.fd)', async () => {
    const dp = await Datapath.create();
    const a = await dp.loadObject(prog('xdp_tailcall'));
    const b = await dp.loadObject(prog('xdp_tailcall'));
    // program.fd in a prog_array, as libbpf's bpf_program__fd: stored as the program's tail-call slot
    b.map('jmp_table').update(codec.u32.encode(7), codec.u32.encode(a.program('xdp_udp').fd));
    expect(dp.fastPath.fn<(m: number, i: number) => number>('prog_array_get')(b.map('jmp_table').address, 7)).toBe(a.program('xdp_udp').tableIndex);
    expect(() => dp.unloadObject(a)).toThrow(/program xdp_udp is in prog_array jmp_table of .*xdp_tailcall\.o \(key 7\) \(EBUSY\)/);
    b.map('jmp_table').delete(codec.u32.encode(7));
    expect(dp.unloadObject(a).freed).toContain('jmp_table');
    // a number that is no program's fd stays EBADF
    expect(() => b.map('jmp_table').update(codec.u32.encode(6), codec.u32.encode(0xfffff))).toThrow(/EBADF/);
  });

  it('keeps a map another loaded program names, as the kernel\'s reference count does', async () => {
    const dp = await Datapath.create();
    const o = await dp.loadObject(prog('xdp_tailcall'));
    const hops = o.map('hops');
    // a program loaded alone that counts into o's map (ld_imm64 of its address)
    const p = await dp.loadInsns(
      assemble([
        'r1 = 0', '*(u32 *)(r10 - 4) = r1', `r1 = ${hops.address} ll`, 'r2 = r10', 'r2 += -4',
        'call 1', 'if r0 == 0 goto +2', 'r1 = 1', 'lock *(u64 *)(r0 + 0) += r1', 'r0 = 2', 'exit',
      ].join('\n')),
      { verify: false },
    );
    // a handle by the map's address (as an fd from BPF_MAP_GET_FD_BY_ID): not the object's fd
    const byAddress = BpfMap.attach(dp.fastPath, hops.address, 'hops');
    expect(dp.unloadObject(o)).toEqual({ freed: expect.arrayContaining(['jmp_table', 'scratch']), kept: ['hops'] });
    expect(hops.isFreed).toBe(false);
    expect(p.testRun({ data: new Uint8Array(64) }).retval).toBe(2);
    expect(byAddress.lookup(codec.u32.encode(0))![0]).toBe(1);
  });

  // the object's handle was its fd (libbpf's bpf_map__fd, closed by bpf_object__close): left usable it
  // would be a user reference the map no longer counts (a prog_array refilled after prog_array_map_clear)
  it('closes the object\'s handle of a kept map: MapError EBADF naming the map, the map still the programs\'', async () => {
    const dp = await Datapath.create();
    const o = await dp.loadObject(prog('xdp_tailcall'));
    const jmp = o.map('jmp_table');
    const at = jmp.address;
    await dp.loadInsns(assemble([`r2 = ${at} ll`, 'r3 = 3', 'call 12', 'r0 = 1', 'exit'].join('\n')), { verify: false });
    expect(dp.unloadObject(o).kept).toEqual(['jmp_table']);
    const err = (f: () => unknown): MapError => {
      try {
        f();
      } catch (e) {
        return e as MapError;
      }
      throw new Error('no error');
    };
    for (const f of [() => jmp.update(codec.u32.encode(3), codec.u32.encode(0)), () => jmp.lookup(codec.u32.encode(3)), () => jmp.address]) {
      const e = err(f);
      expect(e).toBeInstanceOf(MapError);
      expect([e.code, e.errno, e.map]).toEqual(['MAP_INVALID', 9, 'jmp_table']);
      expect(e.message).toMatch(/^map 'jmp_table': use: EBADF \(its object was unloaded/);
    }
    expect(jmp.isFreed).toBe(false);
    expect(BpfMap.attach(dp.fastPath, at, 'jmp_table').lookup(codec.u32.encode(3))).toBeUndefined(); // emptied, still there
  });

  // BPF_MAP_GET_FD_BY_ID's fd holds the map and a user reference (bpf_map_get_with_uref) until closed
  it('a handle from innerMap() keeps the map (and its user reference) past its removal and its object\'s unload, until close()', async () => {
    const dp = await Datapath.create();
    const a = await dp.loadObject(prog('xdp_map_in_map'));
    const b = await dp.loadObject(prog('xdp_map_in_map'));
    b.map('lru_mapping').setInner(codec.u32.encode(1), a.map('fallback_lru'));
    const inner = b.map('lru_mapping').innerMap(codec.u32.encode(1))!;
    const k = new Uint8Array(inner.keySize);
    inner.update(k, new Uint8Array(inner.valueSize).fill(7));
    b.map('lru_mapping').delete(codec.u32.encode(1));
    const { freed, kept } = dp.unloadObject(a);
    expect([freed.includes('fallback_lru'), kept]).toEqual([false, ['fallback_lru']]);
    expect(inner.isFreed).toBe(false);
    expect(inner.lookup(k)).toEqual(new Uint8Array(inner.valueSize).fill(7));
    // it can go back into an outer map, and stays there after the handle closes
    b.map('lru_mapping').setInner(codec.u32.encode(1), inner);
    const again = b.map('lru_mapping').innerMap(codec.u32.encode(1))!;
    inner.close();
    expect(again.isFreed).toBe(false);
    expect(() => inner.lookup(k)).toThrow(/EBADF/);
    // out of the outer map, the last handle closed: freed; the handle answers EBADF, not the memory the next map reuses
    b.map('lru_mapping').delete(codec.u32.encode(1));
    expect(again.isFreed).toBe(false);
    again.close();
    expect(again.isFreed).toBe(true);
    expect(() => again.lookup(k)).toThrow(/EBADF/);
  });

  // the creating fd holds a user reference too: closing an innerMap() handle on the map frees nothing
  it('a createMap() handle keeps its map (and its user reference) when an innerMap() handle on it closes, until its own close()', async () => {
    const dp = await Datapath.create();
    const o = await dp.loadObject(prog('xdp_map_in_map'));
    const outer = o.map('lru_mapping');
    const t = o.map('fallback_lru');
    const mine = createMap(dp.fastPath, { name: 'mine', type: t.type, keySize: t.keySize, valueSize: t.valueSize, maxEntries: t.maxEntries, flags: t.flags });
    const k = new Uint8Array(mine.keySize);
    mine.update(k, new Uint8Array(mine.valueSize).fill(5));
    outer.setInner(codec.u32.encode(1), mine);
    const h = outer.innerMap(codec.u32.encode(1))!;
    outer.delete(codec.u32.encode(1));
    h.close();
    expect(mine.isFreed).toBe(false);
    expect(mine.lookup(k)).toEqual(new Uint8Array(mine.valueSize).fill(5));
    // the creator's close is the last user reference: out of every outer map, freed
    mine.close();
    expect(mine.isFreed).toBe(true);
    expect(() => mine.lookup(k)).toThrow(/EBADF/);
  });

  it('an open innerMap() handle is a user reference: timers still init after the object\'s unload, -EPERM once it closes', async () => {
    const dp = await Datapath.create();
    try {
      const a = await dp.loadObject(prog('xdp_mim_timer'));
      const b = await dp.loadObject(prog('xdp_mim_timer'));
      b.map('tenants').setInner(codec.u32.encode(0), a.map('flows0'));
      const h = b.map('tenants').innerMap(codec.u32.encode(0))!;
      const res = () => Array.from({ length: 4 }, (_v, i) => Number(Buffer.from(b.map('res').lookup(codec.u32.encode(i))!).readBigInt64LE()));
      const run = (name: string) => b.program(name).testRun({ data: new Uint8Array(64) }).retval;
      expect(dp.unloadObject(a).kept).toEqual(['flows0']);
      expect(run('arm')).toBe(2);
      expect(res()).toEqual([0, -16, 0, 0]);
      // the last user reference goes (tenants still holds the map): map_release_uref, as a pin's rm
      h.close();
      expect(h.isFreed).toBe(false);
      expect(run('arm')).toBe(2);
      expect(res()).toEqual([-1, -1, -22, -22]);
    } finally {
      await dp.close();
    }
  });

  it('keeps an inner map another object\'s map-in-map holds; frees the ones only its own outer maps held', async () => {
    const dp = await Datapath.create();
    const a = await dp.loadObject(prog('xdp_map_in_map'));
    const b = await dp.loadObject(prog('xdp_map_in_map'));
    b.map('lru_mapping').setInner(codec.u32.encode(1), a.map('fallback_lru'));
    const at = a.map('fallback_lru').address;
    const { freed, kept } = dp.unloadObject(a);
    expect(kept).toEqual(['fallback_lru']);
    expect(freed).toEqual(expect.arrayContaining(['lru_cpu0', 'lru_mapping', 'tcp_backends', 'udp_backends', 'backends_by_proto']));
    // b still reaches it through its outer map, and it still works
    const inner = b.map('lru_mapping').innerMap(codec.u32.encode(1))!;
    expect(inner.address).toBe(at);
    expect(inner.lookup(new Uint8Array(inner.keySize))).toBeUndefined();
    expect(a.map('lru_cpu0').isFreed).toBe(true);
  });

  // bpf_map_put_uref (kernel/bpf/syscall.c): the object's fds were the map's only user references, so a
  // map kept by a program or another object's map-in-map runs map->ops->map_release_uref.
  it('empties a kept prog_array (prog_array_map_clear): a tail call through it falls through', async () => {
    const dp = await Datapath.create();
    const o = await dp.loadObject(prog('xdp_tailcall'));
    const jmp = o.map('jmp_table');
    const at = jmp.address;
    // a program loaded alone tail-calling slot 3 (xdp_tcp) of o's prog_array; 1 when the call falls through
    const p = await dp.loadInsns(
      assemble(['r6 = r1', `r2 = ${at} ll`, 'r3 = 3', 'call 12', 'r0 = 1', 'exit'].join('\n')),
      { verify: false },
    );
    const before = p.testRun({ data: new Uint8Array(64) }).retval;
    expect(before).not.toBe(1); // xdp_tcp's verdict
    expect(dp.unloadObject(o).kept).toEqual(['jmp_table']);
    expect(jmp.isFreed).toBe(false);
    expect(dp.fastPath.fn<(m: number, i: number) => number>('prog_array_get')(at, 3)).toBe(-1);
    expect(p.testRun({ data: new Uint8Array(64) }).retval).toBe(1);
  });

  it('cancels and frees a kept map\'s timers (htab_map_free_timers_and_wq); bpf_timer_init is -EPERM after (__bpf_async_init)', async () => {
    const dp = await Datapath.create();
    try {
      const a = await dp.loadObject(prog('xdp_mim_timer'));
      const b = await dp.loadObject(prog('xdp_mim_timer'));
      const res = () => Array.from({ length: 4 }, (_v, i) => Number(Buffer.from(b.map('res').lookup(codec.u32.encode(i))!).readBigInt64LE()));
      // by address: a's own handle closes with a
      const flows0 = BpfMap.attach(dp.fastPath, a.map('flows0').address, 'flows0');
      const fired = () => Number(Buffer.from(flows0.lookup(codec.u32.encode(7))!).readBigUInt64LE(16));
      // b's arm inits, sets and starts a 100 ms timer in a's flows0, reached through b's outer map
      b.map('tenants').setInner(codec.u32.encode(0), a.map('flows0'));
      const run = (name: string) => b.program(name).testRun({ data: new Uint8Array(64) }).retval;
      expect(run('arm')).toBe(2);
      expect(res()).toEqual([0, -16, 0, 0]);
      expect(dp.unloadObject(a).kept).toEqual(['flows0']);
      dp.stack.advance(200);
      expect(fired()).toBe(0); // cancelled: never fired
      expect(run('cancel')).toBe(-22 >>> 0); // the timer is gone: bpf_timer_cancel -EINVAL
      // init: -EPERM (twice: the first left no timer), so set_callback and start find none: -EINVAL
      expect(run('arm')).toBe(2);
      expect(res()).toEqual([-1, -1, -22, -22]);
      // b's own inner map keeps its user reference: its timers still init
      b.map('tenants').setInner(codec.u32.encode(0), b.map('flows0'));
      expect(run('arm')).toBe(2);
      expect(res()).toEqual([0, -16, 0, 0]);
    } finally {
      await dp.close();
    }
  });

  it('one id source per fast path: a map created beside an object\'s, then freed, leaves the object\'s maps live', async () => {
    const dp = await Datapath.create();
    try {
      const o = await dp.loadObject(prog('xdp_tailcall'));
      const ids = ['hops', 'jmp_table', 'scratch'].map((n) => o.map(n).id);
      const spec = { name: 'side', type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1 };
      const a = createMap(dp.fastPath, spec);
      const b = createMap(dp.fastPath, spec);
      expect(new Set([...ids, a.id, b.id]).size).toBe(5);
      b.release();
      expect(b.isFreed).toBe(true);
      for (const n of ['hops', 'jmp_table', 'scratch']) {
        expect(o.map(n).isFreed).toBe(false);
        expect(mapAddressById(dp.fastPath, o.map(n).id)).toBe(o.map(n).address);
      }
      expect(o.map('scratch').lookup(codec.u32.encode(0))).toBeDefined();
      expect(a.lookup(codec.u32.encode(0))).toBeDefined();
      // a chosen id that a live map has: EEXIST; the next chosen-free id skips it
      expect(() => createMap(dp.fastPath, { ...spec, id: a.id })).toThrow(/EEXIST/);
      const c = createMap(dp.fastPath, { ...spec, id: 1000 });
      c.release();
      // a handle knows its own allocation, not the id: a map made later with the freed id does not revive c
      const d = createMap(dp.fastPath, { ...spec, id: 1000 });
      expect(c.isFreed).toBe(true);
      expect(d.isFreed).toBe(false);
      d.release();
      expect(a.isFreed).toBe(false);
    } finally {
      await dp.close();
    }
  });
});
