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
});
