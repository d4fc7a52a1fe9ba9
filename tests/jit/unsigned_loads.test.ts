// binaryen.js makes `i32.load` a signed load, and binaryen 132's optimizer folds
// `i64.extend_i32_u(i32.load)` into `i64.load32_s` (checked here against the unoptimized module): a 32-bit
// field at or above 2^31 — a packet address in a memory past 2 GiB, a stack frame's address — would come
// back negative. The JIT's modules (jitModule) make every 32-bit load unsigned.

import { describe, expect, it } from 'vitest';
import { jitModule, loadBinaryen } from '../../src/jit/emit.js';

const B = await loadBinaryen();

/** f(p) = i64.extend_i32_u(u32 at p), through a local (as the JIT's code reads a field), optimized at -O3. */
function zeroExtendedLoad(m: InstanceType<typeof B.Module>): (p: number) => bigint {
  m.setMemory(1, 1, 'mem', [], false, false, 'm0');
  m.addFunction('f', B.createType([B.i32]), B.i64, [B.i32], m.block(null, [
    m.local.set(1, m.i32.load(0, 4, m.local.get(0, B.i32), 'm0')),
    m.i64.extend_u(m.local.get(1, B.i32)),
  ], B.i64));
  m.addFunctionExport('f', 'f');
  const before = new WebAssembly.Instance(new WebAssembly.Module(m.emitBinary()), {}).exports;
  const old = B.getOptimizeLevel();
  B.setOptimizeLevel(3);
  try {
    m.optimize();
  } finally {
    B.setOptimizeLevel(old);
  }
  const after = new WebAssembly.Instance(new WebAssembly.Module(m.emitBinary()), {}).exports as { f(p: number): bigint; mem: WebAssembly.Memory };
  new DataView(after.mem.buffer).setUint32(8, 0x80000001, true);
  new DataView((before as { mem: WebAssembly.Memory }).mem.buffer).setUint32(8, 0x80000001, true);
  expect((before as { f(p: number): bigint }).f(8)).toBe(0x80000001n);
  m.dispose();
  return (p) => after.f(p);
}

describe('32-bit loads in the JIT\'s modules', () => {
  it('binaryen.js as it comes: the optimizer reads 0x80000001 zero-extended as a signed value (why jitModule exists)', () => {
    expect(zeroExtendedLoad(new B.Module())(8)).toBe(-0x7fffffffn);
  });

  it('jitModule: the same function reads 0x80000001', () => {
    expect(zeroExtendedLoad(jitModule(B))(8)).toBe(0x80000001n);
  });
});
