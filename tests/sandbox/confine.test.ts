// Checked mode (a program loaded with verify: false) confines an XDP program to what the kernel's
// verifier would let it reach: the packet [data_meta, data_end) as it is at each access, its xdp_md
// (read-only), its stack and the storage of the maps it names. Both engines fault on the same
// accesses, before the access happens; memory around is untouched.

import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { Datapath } from '../../src/control/datapath.js';
import { WxdpError } from '../../src/errors.js';
import { createMap, MapType } from '../../src/maps/index.js';
import { CTX, CTX_BASE } from '../../src/runtime/memory.js';
import { frame } from '../datapath/support.js';

function faultOf(f: () => unknown): { code: string; address?: bigint } {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(WxdpError);
    return e as WxdpError & { address?: bigint };
  }
  return { code: 'none' };
}

const data15 = frame(15);

describe.each(['jit', 'interp'] as const)('checked mode confines a program (%s)', (engine) => {
  it('reading data[20] of a 15-byte frame faults; data[14] is read', async () => {
    const dp = await Datapath.create();
    const load = (off: number): string => `r2 = *(u32 *)(r1 + 0)\nr0 = *(u8 *)(r2 ${off < 0 ? '-' : '+'} ${Math.abs(off)})\nexit`;
    const ok = await dp.loadInsns(assemble(load(14)), { verify: false, engine });
    expect(ok.testRun({ data: data15 }).retval).toBe(data15[14]);
    const bad = await dp.loadInsns(assemble(load(20)), { verify: false, engine });
    expect(faultOf(() => bad.testRun({ data: data15 })).code).toBe('RUN_MEM_FAULT');
    // one byte past data_end, and one byte before data (no metadata)
    for (const off of [15, -1]) {
      const p = await dp.loadInsns(assemble(load(off)), { verify: false, engine });
      expect(faultOf(() => p.testRun({ data: data15 })).code, `data[${off}]`).toBe('RUN_MEM_FAULT');
    }
  });

  it('a 64 KiB write loop from the packet faults at data_end and changes nothing past it', async () => {
    const dp = await Datapath.create();
    const dev = dp.addDevice({ name: 'eth0' });
    // for (i = 0; i < 65536; i++) data[i] = 0xee;  then XDP_PASS
    const prog = await dp.loadInsns(
      assemble(`r2 = *(u32 *)(r1 + 0)
        r3 = 0
        r4 = r2
        r4 += r3
        *(u8 *)(r4 + 0) = 0xee
        r3 += 1
        if r3 < 65536 goto -5
        r0 = 2
        exit`),
      { verify: false, engine },
    );
    const data = frame(60);
    const mem = dp.memory.bytes();
    const f = faultOf(() => prog.testRun({ data }));
    expect(f.code).toBe('RUN_MEM_FAULT');
    // the fault is at the first byte past the packet; the packet itself was written
    const v = dp.memory.view();
    const start = v.getUint32(CTX_BASE + CTX.DATA, true);
    const end = v.getUint32(CTX_BASE + CTX.DATA_END, true);
    expect(end - start).toBe(60);
    expect(f.address).toBe(BigInt(end));
    expect([...mem.subarray(start, end)].every((b) => b === 0xee)).toBe(true);
    expect(mem[end]).not.toBe(0xee);
    if (engine === 'jit') {
      // on a device: XDP_ABORTED, and the frames around are untouched
      dev.attachXdp(prog);
      dev.injectBatch([frame(60, 1), frame(60, 2)]);
      expect(dev.poll()).toBe(2);
      expect(dev.stats().verdicts.XDP_ABORTED).toBe(2);
    }
  });

  it("its own maps' storage is reachable, another map's is not; the ctx is read-only", async () => {
    const dp = await Datapath.create();
    const own = createMap(dp.fastPath, { name: 'own', type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1 });
    const other = createMap(dp.fastPath, { name: 'other', type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1 });
    // r0 = lookup(map, 0) (+ `shift`, to another map's value without naming that map); *(u64 *)r0 = 5
    const write = (map: number, shift = 0): string =>
      `r1 = ${map} ll\nr2 = r10\nr2 += -4\nr3 = 0\n*(u32 *)(r2 + 0) = r3\ncall 1\nif r0 == 0 goto +4\nr0 += ${shift}\nr1 = 5\n*(u64 *)(r0 + 0) = r1\nr0 = 2\nexit`;
    const p = await dp.loadInsns(assemble(write(own.address)), { verify: false, engine });
    expect(p.testRun({ data: frame(60) }).retval).toBe(2);
    expect(own.lookup(Uint8Array.of(0, 0, 0, 0))![0]).toBe(5);
    const q = await dp.loadInsns(assemble(write(own.address, other.valueAddress(0) - own.valueAddress(0))), { verify: false, engine });
    expect(faultOf(() => q.testRun({ data: frame(60) })).code).toBe('RUN_MEM_FAULT');
    expect(other.lookup(Uint8Array.of(0, 0, 0, 0))![0]).toBe(0);
    const ctxWrite = await dp.loadInsns(assemble('r2 = 0\n*(u32 *)(r1 + 4) = r2\nr0 = 2\nexit'), { verify: false, engine });
    expect(faultOf(() => ctxWrite.testRun({ data: frame(60) })).code).toBe('RUN_MEM_FAULT');
  });

  it('metadata is reachable once adjust_meta made it, and not before', async () => {
    const dp = await Datapath.create();
    // read data - 4 (r6: ctx), optionally after bpf_xdp_adjust_meta(ctx, -4)
    const prog = (grow: boolean): string =>
      `r6 = r1\n${grow ? 'r2 = -4\ncall 54\n' : ''}r2 = *(u32 *)(r6 + 0)\nr0 = *(u32 *)(r2 - 4)\nr0 = 2\nexit`;
    const a = await dp.loadInsns(assemble(prog(true)), { verify: false, engine });
    expect(a.testRun({ data: frame(60) }).retval).toBe(2);
    const b = await dp.loadInsns(assemble(prog(false)), { verify: false, engine });
    expect(faultOf(() => b.testRun({ data: frame(60) })).code).toBe('RUN_MEM_FAULT');
  });

  it("helpers' pointer arguments are checked as accesses: buffers, keys, maps, the ctx", async () => {
    const dp = await Datapath.create();
    const own = createMap(dp.fastPath, { name: 'own', type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1 });
    const other = createMap(dp.fastPath, { name: 'other', type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1 });
    const run = async (text: string): Promise<{ code: string; retval?: number }> => {
      const p = await dp.loadInsns(assemble(text), { verify: false, engine });
      try {
        return { code: 'none', retval: p.testRun({ data: frame(60) }).retval };
      } catch (e) {
        return { code: (e as WxdpError).code };
      }
    };
    // bpf_xdp_load_bytes(ctx, 0, buf, 8): onto the stack it works; onto another map's value it faults
    const loadBytes = (buf: string): string => `r6 = r1\n${buf}\nr1 = r6\nr2 = 0\nr4 = 8\ncall 189\nr0 = 2\nexit`;
    expect(await run(loadBytes('r3 = r10\nr3 += -8'))).toEqual({ code: 'none', retval: 2 });
    expect((await run(loadBytes(`r3 = ${own.address} ll\nr3 += ${other.valueAddress(0) - own.address}`))).code).toBe('RUN_MEM_FAULT');
    expect(other.lookup(Uint8Array.of(0, 0, 0, 0))).toEqual(new Uint8Array(8));
    // a buffer longer than the stack, a ctx that is not the ctx
    expect((await run(loadBytes('r3 = r10\nr3 += -8').replace('r4 = 8', 'r4 = 16'))).code).toBe('RUN_MEM_FAULT');
    expect((await run(loadBytes('r3 = r10\nr3 += -8').replace('r1 = r6', 'r1 = r6\nr1 += 4'))).code).toBe('RUN_HELPER');
    // bpf_map_lookup_elem on a map the program does not name, or with a key off the stack's end
    const lookup = (map: string, key: string): string => `${map}\n${key}\nr3 = 0\n*(u32 *)(r10 - 4) = r3\ncall 1\nr0 = 2\nexit`;
    expect(await run(lookup(`r1 = ${own.address} ll`, 'r2 = r10\nr2 += -4'))).toEqual({ code: 'none', retval: 2 });
    expect((await run(lookup(`r1 = ${own.address} ll\nr1 += ${other.address - own.address}`, 'r2 = r10\nr2 += -4'))).code).toBe('RUN_HELPER');
    expect((await run(lookup(`r1 = ${own.address} ll`, 'r2 = r10\nr2 += -2'))).code).toBe('RUN_MEM_FAULT');
  });

  it('a call that passed its check before is checked again when its arguments or the packet change', async () => {
    const dp = await Datapath.create();
    // bpf_csum_diff(data + 8, 8, NULL, 0, 0): the same address and size every run; the packet decides
    const csum = await dp.loadInsns(assemble('r1 = *(u32 *)(r1 + 0)\nr1 += 8\nr2 = 8\nr3 = 0\nr4 = 0\nr5 = 0\ncall 28\nr0 = 2\nexit'), { verify: false, engine });
    for (let i = 0; i < 3; i++) expect(csum.testRun({ data: frame(60) }).retval).toBe(2);
    // a 15-byte frame ends at data + 15: [data + 8, data + 16) is past it
    expect(faultOf(() => csum.testRun({ data: data15 })).code).toBe('RUN_MEM_FAULT');
    expect(csum.testRun({ data: frame(60) }).retval).toBe(2);
    // bpf_map_lookup_elem(own, r10 - 4 + data[14]): the key moves with the frame's byte 14
    const own = createMap(dp.fastPath, { name: 'own', type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1 });
    const lookup = await dp.loadInsns(
      assemble(`r2 = *(u32 *)(r1 + 0)\nr3 = *(u32 *)(r1 + 4)\nr4 = r2\nr4 += 15\nr0 = 2\nif r4 > r3 goto +7\nr6 = *(u8 *)(r2 + 14)\nr1 = ${own.address} ll\nr2 = r10\nr2 += -4\nr2 += r6\ncall 1\nr0 = 2\nexit`),
      { verify: false, engine },
    );
    const at = (b: number): Uint8Array => {
      const f = frame(60);
      f[14] = b;
      return f;
    };
    for (let i = 0; i < 3; i++) expect(lookup.testRun({ data: at(0) }).retval).toBe(2);
    // r10 - 1: a 4-byte key would end 3 bytes past the stack's top
    expect(faultOf(() => lookup.testRun({ data: at(3) })).code).toBe('RUN_MEM_FAULT');
    expect(lookup.testRun({ data: at(0) }).retval).toBe(2);
  });
});
