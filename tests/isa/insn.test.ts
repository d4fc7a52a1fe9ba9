import { describe, expect, it } from 'vitest';
import { DecodeError } from '../../src/errors.js';
import { Alu64, decode, encode, Ins, Jmp } from '../../src/isa/insn.js';

const hex = (s: string) => Uint8Array.from(s.replace(/\s+/g, '').match(/../g)!, (b) => parseInt(b, 16));

describe('decode()/encode()', () => {
  it('decodes the RFC 9669 field layout: opcode, dst low nibble, src high nibble, s16 offset, s32 imm', () => {
    // 0x7b = STX|MEM|DW; regs 0x1a = src r1, dst r10; off 0xfff8 = -8; imm 0.
    const [i] = decode(hex('7b 1a f8 ff 00 00 00 00'));
    expect(i).toEqual({ code: 0x7b, dst: 10, src: 1, off: -8, imm: 0 });
  });

  it('decodes ld_imm64 into a first slot with the 64-bit constant and a tail slot', () => {
    // lddw.data's raw words: 0x5566778800000018, 0x1122334400000000 (little-endian on the wire).
    const p = decode(hex('18 00 00 00 88 77 66 55  00 00 00 00 44 33 22 11  95 00 00 00 00 00 00 00'));
    expect(p).toHaveLength(3);
    expect(p[0]!.imm64).toBe(0x1122334455667788n);
    expect(p[1]!.isLdImm64Tail).toBe(true);
    expect(p[2]!.code).toBe(0x95);
  });

  it('round-trips bytes through decode and encode', () => {
    const bytes = hex('b7 00 00 00 ff ff ff ff  18 01 00 00 01 00 00 00 00 00 00 00 00 00 00 80  95 00 00 00 00 00 00 00');
    expect(encode(decode(bytes))).toEqual(bytes);
  });

  it('rejects a stream whose length is not a multiple of 8, naming the instruction and byte offset', () => {
    expect(() => decode(new Uint8Array(12))).toThrow(DecodeError);
    expect(() => decode(new Uint8Array(12))).toThrow(/insn 1 \(byte offset 8\).*trailing 4 bytes/);
  });

  it('rejects an ld_imm64 cut off by the end of the stream', () => {
    expect(() => decode(hex('95 00 00 00 00 00 00 00 18 00 00 00 00 00 00 00'))).toThrow(/insn 1 .*second slot/);
  });

  it('encode() rejects fields that do not fit, naming the instruction', () => {
    expect(() => encode([{ code: 0xb7, dst: 0, src: 0, off: 0, imm: 2 ** 31 }])).toThrow(/insn 0 .*immediate/);
    expect(() => encode([Ins.exit(), { code: 0xb7, dst: 16, src: 0, off: 0, imm: 0 }])).toThrow(/insn 1 .*dst register/);
  });

  it('builds instructions with the DSL', () => {
    expect(encode([Alu64.add.imm(1, 22)])).toEqual(hex('07 01 00 00 16 00 00 00'));
    expect(encode([Jmp.jgt.reg(1, 2, 3)])).toEqual(hex('2d 21 03 00 00 00 00 00'));
    expect(encode(Ins.lddw(0, -1n))).toEqual(hex('18 00 00 00 ff ff ff ff 00 00 00 00 ff ff ff ff'));
  });
});
