import { describe, expect, it } from 'vitest';
import { assemble, disassemble, formatInsn } from '../../src/asm/index.js';
import { decode, encode, Ins, insn, type Insn } from '../../src/isa/insn.js';

const PROG = `
  mov %r0, 0
  lddw %r1, 0x1122334455667788
loop:
  add %r0, 1
  jlt %r0, 10, loop
  call local fn
  exit
fn:
  exit
`;

describe('disassemble()', () => {
  const prog = assemble(PROG);

  it('prints one uBPF line per instruction, ld_imm64 as one line', () => {
    expect(disassemble(prog, { syntax: 'ubpf' })).toBe(
      ['mov %r0, 0', 'lddw %r1, 0x1122334455667788', 'add %r0, 1', 'jlt %r0, 10, -2', 'call local +1', 'exit', 'exit'].join('\n'),
    );
  });

  it('defaults to llvm syntax', () => {
    expect(disassemble(prog)).toBe(
      ['r0 = 0', 'r1 = 1234605616436508552 ll', 'r0 += 1', 'if r0 < 10 goto -2', 'call pc+1', 'exit', 'exit'].join('\n'),
    );
  });

  it('names jump and call targets with labels: L<slot>', () => {
    expect(disassemble(prog, { syntax: 'ubpf', labels: true })).toBe(
      ['mov %r0, 0', 'lddw %r1, 0x1122334455667788', 'L3:', 'add %r0, 1', 'jlt %r0, 10, L3', 'call local L7', 'exit', 'L7:', 'exit'].join('\n'),
    );
    expect(disassemble(prog, { syntax: 'llvm', labels: true })).toContain('if r0 < 10 goto L3\ncall L7\n');
  });

  it('with addresses, prints llvm-objdump -d lines and symbol lines', () => {
    expect(disassemble(prog.slice(0, 3), { addresses: true })).toBe(
      [
        '       0:\tb7 00 00 00 00 00 00 00\tr0 = 0',
        '       1:\t18 01 00 00 88 77 66 55 00 00 00 00 44 33 22 11\tr1 = 1234605616436508552 ll',
      ].join('\n'),
    );
    expect(disassemble(prog, { addresses: true, labels: true })).toContain(
      '\n\n0000000000000018 <L3>:\n       3:\t07 00 00 00 01 00 00 00\tr0 += 1\n       4:\ta5 00 fe ff 0a 00 00 00\tif r0 < 10 goto L3\n',
    );
  });

  it('prints a jump target that is not an instruction start as a number, even with labels', () => {
    const p = decode(encode([Ins.ja(1), ...Ins.lddw(0, 5n), Ins.exit()]));
    expect(disassemble(p, { syntax: 'ubpf', labels: true })).toBe('ja +1\nlddw %r0, 0x5\nexit');
  });

  it('prints an ld_imm64 whose tail slot has fields set as two .insn lines that assemble back', () => {
    const bytes = Uint8Array.from([0x18, 0x01, 0, 0, 5, 0, 0, 0, 0x00, 0x02, 0, 0, 6, 0, 0, 0]);
    const text = disassemble(decode(bytes));
    expect(text).toBe('.insn 0x18, dst=1, src=0, off=0, imm=5\n.insn 0x00, dst=2, src=0, off=0, imm=6');
    expect(encode(assemble(text))).toEqual(bytes);
  });

  it('takes ld_imm64 from the Ins builder (unsigned imm64) and gives back what decode gives (signed)', () => {
    const built = [...Ins.lddw(1, 0xffffffff00000001n), Ins.exit()];
    expect(disassemble(built, { syntax: 'ubpf' })).toBe('lddw %r1, 0xffffffff00000001\nexit');
    expect(assemble(disassemble(built))).toEqual(decode(encode(built)));
  });
});

describe('formatInsn()', () => {
  it('prints unknown opcodes and reserved fields as .insn, which assembles back', () => {
    const odd: Insn[] = [insn(0x8f, 1, 2, 3, 4), insn(0x95, 0, 0, 1, 0), insn(0xb7, 11, 0, 0, 1), insn(0xdc, 1, 0, 0, 8), insn(0x8d, 0, 0, 0, 2)];
    for (const ins of odd) {
      for (const syntax of ['ubpf', 'llvm'] as const) {
        const text = formatInsn(ins, syntax);
        expect(text).toMatch(/^\.insn 0x[0-9a-f]{2}, dst=\d+, src=\d+, off=-?\d+, imm=-?\d+$/);
        expect(assemble(text)).toEqual([ins]);
      }
    }
    expect(formatInsn(insn(0x8f, 1, 2, 3, 4))).toBe('.insn 0x8f, dst=1, src=2, off=3, imm=4');
  });

  it('prints the old LLVM callx encoding (register in imm) as .insn', () => {
    expect(formatInsn(insn(0x8d, 0, 0, 0, 1))).toBe('.insn 0x8d, dst=0, src=0, off=0, imm=1');
    expect(formatInsn(insn(0x8d, 1))).toBe('callx r1');
  });

  it('with an index, names the absolute target of jumps and local calls in a comment', () => {
    expect(formatInsn(Ins.ja(3), 'llvm', 4)).toBe('goto +3 ; -> 8');
    expect(formatInsn(Ins.ja(-1), 'ubpf', 4)).toBe('ja -1 # -> 4');
    expect(formatInsn(Ins.callLocal(2), 'llvm', 0)).toBe('call pc+2 ; -> 3');
    expect(formatInsn(Ins.exit(), 'llvm', 4)).toBe('exit');
    expect(assemble(formatInsn(Ins.ja(3), 'ubpf', 4))).toEqual([Ins.ja(3)]);
  });

  it('prints an ld_imm64 first slot on its own and a lone tail slot as .insn', () => {
    const [first, tail] = Ins.lddw(2, -1n);
    expect(formatInsn(first!)).toBe('r2 = -1 ll');
    expect(formatInsn(tail!)).toBe('.insn 0x00, dst=0, src=0, off=0, imm=-1');
  });
});

describe('assemble() input conveniences', () => {
  it('skips comments (# and ;), blank lines and CRLF line ends', () => {
    const text = '# header\r\nmov %r0, 1 # one\r\n\r\n; llvm-style comment\r\nr0 += 2 ; two\r\nexit';
    expect(disassemble(assemble(text))).toBe('r0 = 1\nr0 += 2\nexit');
  });

  it("'auto' takes each line in its own syntax", () => {
    const mixed = 'mov %r1, 5\nr2 = r1\nif r2 == 5 goto +1\njne %r2, 5, +0\nlock add [%r10-8], %r1\nlock *(u64 *)(r10 - 8) += r1\ncall 1\nexit';
    expect(disassemble(assemble(mixed), { syntax: 'ubpf' })).toBe(
      'mov %r1, 5\nmov %r2, %r1\njeq %r2, 5, +1\njne %r2, 5, +0\nlock add [%r10-8], %r1\nlock add [%r10-8], %r1\ncall 1\nexit',
    );
  });

  it('reads mnemonics and registers in any case', () => {
    expect(assemble('MOV %R0, 1\nEXIT')).toEqual(assemble('mov %r0, 1\nexit'));
    expect(assemble('R0 = 1')).toEqual(assemble('r0 = 1'));
  });

  it('takes a label and an instruction on one line, and several labels on one slot', () => {
    expect(assemble('a: b: ja a\nja b')).toEqual([Ins.ja(-1), Ins.ja(-2)]);
  });

  it('resolves `exit` to the first exit instruction unless a label is called exit', () => {
    expect(assemble('ja exit\nmov %r0, 1\nexit\nexit')).toEqual([Ins.ja(1), insn(0xb7, 0, 0, 0, 1), Ins.exit(), Ins.exit()]);
    expect(assemble('ja exit\nexit\nexit:\nexit')[0]).toEqual(Ins.ja(1));
    expect(assemble('goto exit\nexit')[0]).toEqual(Ins.ja(0));
  });

  it('reads a bpftool xlated dump', () => {
    const dump = ['   0: (b7) r0 = 0', '   1: (bf) r1 = r10', '   2: (07) r1 += -8', '   3: (85) call bpf_map_lookup_elem#1', '   4: (55) if r0 != 0x0 goto pc+1', '   5: (95) exit', '   6: (95) exit'].join('\n');
    expect(disassemble(assemble(dump))).toBe(['r0 = 0', 'r1 = r10', 'r1 += -8', 'call 1', 'if r0 != 0 goto +1', 'exit', 'exit'].join('\n'));
  });

  it('reads llvm-objdump -dr output, skipping headers and relocation lines', () => {
    const listing = [
      '',
      'x.o:\tfile format elf64-bpf',
      '',
      'Disassembly of section .text:',
      '',
      '0000000000000000 <prog>:',
      '       0:\t18 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00\tr1 = 0 ll',
      '\t\t0000000000000000:  R_BPF_64_64\tgv',
      '       2:\t05 00 00 00 00 00 00 00\tgoto +0 <LBB0_1>',
      '',
      '0000000000000018 <LBB0_1>:',
      '       3:\t95 00 00 00 00 00 00 00\texit',
    ].join('\n');
    expect(disassemble(assemble(listing), { syntax: 'ubpf' })).toBe('lddw %r1, 0x0\nja +0\nexit');
    expect(assemble(listing.replace('goto +0 <LBB0_1>', 'goto LBB0_1'))).toEqual(assemble(listing));
  });

  it('reads its own output with addresses and labels', () => {
    const p = assemble(PROG);
    expect(assemble(disassemble(p, { addresses: true, labels: true }))).toEqual(p);
  });
});
