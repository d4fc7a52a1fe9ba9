import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { AsmError } from '../../src/errors.js';

function errorOf(text: string, opts: Parameters<typeof assemble>[1] = {}): AsmError {
  try {
    assemble(text, opts);
  } catch (e) {
    expect(e).toBeInstanceOf(AsmError);
    return e as AsmError;
  }
  throw new Error(`assembled without error: ${JSON.stringify(text)}`);
}

// [what, text, syntax, line, column, message fragment]; columns are 1-based and point at the token.
const CASES: [string, string, 'ubpf' | 'llvm' | 'auto', number, number, string][] = [
  ['unknown mnemonic', 'mov %r0, 1\n  frob %r1, 2\nexit', 'auto', 2, 3, "unknown mnemonic 'frob'"],
  ['unknown llvm instruction', 'r0 = 1\nfrob r1\n', 'llvm', 2, 1, "unknown instruction 'frob'"],
  ['bad uBPF register', 'mov %r11, 1', 'ubpf', 1, 5, "bad register '%r11'"],
  ['bad uBPF register name', 'add %r1, %x2', 'ubpf', 1, 10, "bad register '%x2'"],
  ['bad llvm register', 'r0 = 0\nr1 += r12', 'llvm', 2, 7, "bad register 'r12'"],
  ['register where a label is allowed', 'jeq %r1, %r12, +1', 'ubpf', 1, 10, "bad register '%r12'"],
  ['register width mismatch', 'w1 += r2', 'llvm', 1, 7, "'r2' does not match the 32-bit operation"],
  ['immediate out of range', 'mov32 %r0, 0x100000000', 'ubpf', 1, 12, 'immediate 4294967296 out of range'],
  ['negative immediate out of range', 'r0 = -2147483649', 'llvm', 1, 6, 'out of range'],
  ['64-bit immediate out of range', 'lddw %r0, 0x10000000000000000', 'ubpf', 1, 11, 'out of range for 64 bits'],
  ['offset out of range', 'ldxw %r0, [%r1+32768]', 'ubpf', 1, 15, 'offset 32768 out of range [-32768, 32767]'],
  ['llvm offset out of range', 'r0 = *(u32 *)(r1 - 32769)', 'llvm', 1, 18, 'offset -32769 out of range'],
  ['jump offset out of s16 range', 'ja +32768', 'ubpf', 1, 4, 'jump offset 32768 out of range'],
  ['llvm jump offset out of s16 range', 'goto -32769', 'llvm', 1, 6, 'jump offset -32769 out of range'],
  ['undefined label', 'mov %r0, 0\njeq %r0, 0, nowhere\nexit', 'ubpf', 2, 13, "undefined label 'nowhere'"],
  ['undefined llvm label', 'if r1 > 2 goto LBB0_9\nexit', 'llvm', 1, 16, "undefined label 'LBB0_9'"],
  ['undefined call label', 'call local f\nexit', 'ubpf', 1, 12, "undefined label 'f'"],
  ['duplicate label', 'a:\nmov %r0, 0\n  a: exit', 'ubpf', 3, 3, "duplicate label 'a' (first defined on line 1)"],
  ['missing operand', 'add %r1,', 'ubpf', 1, 9, 'found end of line'],
  ['trailing junk', 'exit now', 'auto', 1, 6, "unexpected 'now'"],
  ['bad number', 'mov %r0, 12ab', 'ubpf', 1, 10, "bad number '12ab'"],
  ['unknown atomic op', 'lock sub [%r10-8], %r1', 'ubpf', 1, 6, 'expected an atomic operation'],
  ['fetch on xchg', 'lock fetch xchg [%r10-8], %r1', 'ubpf', 1, 6, "'xchg' always fetches"],
  ['atomic fetch into another register', 'r2 = atomic_fetch_add((u64 *)(r10 - 8), r1)', 'llvm', 1, 1, 'returns into its value register'],
  ['neg of another register', 'r1 = -r2', 'llvm', 1, 7, 'neg works in place'],
  ['ld_imm64 32-bit destination', 'w1 = 5 ll', 'llvm', 1, 1, 'ld_imm64 loads a 64-bit register'],
  ['.insn unknown field', '.insn 0x95, code=1', 'auto', 1, 13, "unknown field 'code'"],
  ['.insn ld_imm64 without its second slot', 'exit\n.insn 0x18, dst=1', 'auto', 2, 1, 'ld_imm64 is missing its second slot'],
];

describe('assemble() reports line and column', () => {
  it.each(CASES)('%s', (_what, text, syntax, line, column, message) => {
    const e = errorOf(text, { syntax });
    expect({ line: e.line, column: e.column }).toEqual({ line, column });
    expect(e.message).toContain(message);
    expect(e.code).toBe('ASM_SYNTAX');
  });

  it('a label more than s16 slots away is an error at the label', () => {
    const text = ['jeq %r1, 0, far', ...Array<string>(32768).fill('mov %r0, 0'), 'far:', 'exit'].join('\n');
    const e = errorOf(text, { syntax: 'ubpf' });
    expect({ line: e.line, column: e.column }).toEqual({ line: 1, column: 13 });
    expect(e.message).toContain("jump to 'far' is 32768 slots away, outside the s16 offset range");
    // ja32 reaches it
    expect(() => assemble(text.replace('jeq %r1, 0, far', 'ja32 far'), { syntax: 'ubpf' })).not.toThrow();
  });

  it('messages start with source:line:column', () => {
    const e = errorOf('mov %r0, 1\nbogus', { source: 'prog.s' });
    expect(e.message).toBe("prog.s:2:1: unknown mnemonic 'bogus'");
    expect(e.source).toBe('prog.s');
  });

  it("columns stay those of the original line after a listing prefix is removed", () => {
    const e = errorOf('       3:\tb7 01 00 00 00 00 00 00\tr1 = r99');
    expect({ line: e.line, column: e.column }).toEqual({ line: 1, column: 40 });
  });
});
