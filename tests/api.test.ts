// The package's public surface: what README shows works through `wxdp`'s entry point alone.

import { describe, expect, it } from 'vitest';
import * as wxdp from '../src/index.js';

describe('public API (src/index.ts)', () => {
  it('runs the README example on both engines', async () => {
    for (const engine of ['interp', 'jit'] as const) {
      const prog = wxdp.assemble('r0 = *(u8 *)(r1 + 0)\nexit');
      const memory = new wxdp.EngineMemory();
      const { engine: e } = await wxdp.createEngine(prog, { engine, memory, helpers: wxdp.baseHelpers() });
      const input = memory.placeInput(Uint8Array.of(42));
      expect(e.run({ args: [BigInt(input.start), 1n], regions: [input] }).r0).toBe(42n);
    }
  });

  it('new Datapath() from JavaScript is a USAGE error naming Datapath.create', () => {
    const Ctor = wxdp.Datapath as unknown as new (...a: unknown[]) => unknown;
    expect(() => new Ctor()).toThrow(wxdp.WxdpError);
    expect(() => new Ctor({ umemFrames: 64 })).toThrow(/Datapath\.create/);
  });

  it('exports the engine pieces and typed errors', () => {
    for (const name of ['decode', 'encode', 'disassemble', 'checkProgram', 'Interpreter', 'compile', 'parseConformance', 'runVector', 'WxdpError', 'RuntimeFault', 'ProgramError', 'AsmError', 'ControlServer', 'ControlClient', 'ControlError', 'RemoteError', 'Daemon', 'ConfigError', 'readDaemonConfig']) {
      expect(wxdp).toHaveProperty(name);
    }
  });

  it('a program, map or device that is not there is NOT_FOUND (ENOENT), naming those there are', async () => {
    const dp = await wxdp.Datapath.create();
    dp.addDevice({ name: 'eth0' });
    const obj = await dp.loadObject(new URL('../programs/xdp_dns_filter.o', import.meta.url).pathname);
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return [(e as wxdp.WxdpError).code, (e as Error).message];
      }
      return undefined;
    };
    expect(code(() => obj.program('nope'))).toEqual(['NOT_FOUND', "no program 'nope' (have: xdp_dns_filter)"]);
    expect(code(() => obj.map('nope'))).toEqual(['NOT_FOUND', "no map 'nope' (have: blocked, verdicts)"]);
    expect(code(() => dp.device('eth9'))).toEqual(['NOT_FOUND', 'no device eth9 (have: eth0)']);
    await dp.close();
  });

  it('createEngine() rejects a malformed program with a ProgramError naming the instruction', async () => {
    const p = wxdp.createEngine(wxdp.assemble('r0 = 1'), { engine: 'jit', memory: new wxdp.EngineMemory(), helpers: wxdp.baseHelpers() });
    await expect(p).rejects.toThrow(wxdp.ProgramError);
    await expect(p).rejects.toThrow(/insn 0: last insn is not an exit or jmp/);
  });

  it('one naming scheme: a byte map answers get/set/has/delete as a typed map does, readHost takes { max } as readTx', async () => {
    const dp = await wxdp.Datapath.create();
    const obj = await dp.loadObject(import.meta.resolve('wxdp/programs/xdp_dns_filter.o'));
    const blocked = obj.map('blocked');
    expect(blocked.set(Uint8Array.of(192, 0, 2, 66), Uint8Array.of(1))).toBe(blocked);
    expect([...blocked.get(Uint8Array.of(192, 0, 2, 66))!]).toEqual([1]);
    expect(blocked.has(Uint8Array.of(192, 0, 2, 67))).toBe(false);
    blocked.delete(Uint8Array.of(192, 0, 2, 66));
    expect(blocked.get(Uint8Array.of(192, 0, 2, 66))).toBeUndefined();

    const eth0 = dp.addDevice({ name: 'eth0' }); // down: XDP_PASS goes to the host ring
    const frame = Uint8Array.from({ length: 60 }, (_, i) => (i === 12 ? 0x88 : i === 13 ? 0xb5 : i)); // an unknown EtherType
    eth0.injectBatch([frame, frame, frame]);
    dp.poll();
    expect(eth0.readHost({ max: 2 })).toHaveLength(2);
    expect(eth0.readHost(5)).toHaveLength(1);
    expect(() => eth0.readHost({ max: -1 })).toThrow(/eth0: readHost max must be a whole number >= 0, not -1/);
    await dp.close();
  });

  it('a host ring nobody reads fills and counts HOST_RING_FULL; the pool keeps its frames and receive goes on', async () => {
    const dp = await wxdp.Datapath.create();
    const eth0 = dp.addDevice({ name: 'eth0' }); // no program, down: every frame is passed to the host ring
    const frame = Uint8Array.from({ length: 60 }, (_, i) => (i === 12 ? 0x88 : i === 13 ? 0xb5 : i));
    let taken = 0;
    for (let i = 0; i < 2000; i++) {
      if (eth0.inject(frame)) taken++;
      if (i % 64 === 63) dp.poll();
    }
    dp.poll();
    const s = eth0.stats();
    expect(taken).toBe(2000); // never NO_BUFFER: the ring is smaller than the pool
    expect(s.drops.NO_BUFFER).toBe(0);
    expect(s.drops.HOST_RING_FULL).toBe(2000 - 256); // the default host ring holds 256
    expect(eth0.readHost()).toHaveLength(256);
    await dp.close();
  });
});
