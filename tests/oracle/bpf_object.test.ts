// writeBpfObject: the ELF layout libbpf expects, checked by reading the bytes back and, where the
// tools are installed, by llvm-readelf / llvm-objdump.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Alu64, encode, Ins } from '../../src/isa/insn.js';
import { PseudoLd } from '../../src/isa/opcodes.js';
import { writeBpfObject } from '../../src/oracle/bpf_object.js';

const RET2 = encode([Alu64.mov.imm(0, 2), Ins.exit()]);
// entry: r1 = 5; call f; r0 += 1; exit   f: r0 = r1 * 3; r1 = r0; call g; exit   g: r0 = r1 + 100; exit
const WITH_CALLS = encode([
  Alu64.mov.imm(1, 5),
  Ins.callLocal(2),
  Alu64.add.imm(0, 1),
  Ins.exit(),
  Alu64.mov.reg(0, 1),
  Alu64.mul.imm(0, 3),
  Alu64.mov.reg(1, 0),
  Ins.callLocal(1),
  Ins.exit(),
  Alu64.mov.reg(0, 1),
  Alu64.add.imm(0, 100),
  Ins.exit(),
]);

interface Shdr {
  name: string;
  type: number;
  flags: bigint;
  offset: number;
  size: number;
  link: number;
  info: number;
  align: number;
  entsize: number;
}

function readSections(obj: Uint8Array): Shdr[] {
  const v = new DataView(obj.buffer, obj.byteOffset, obj.byteLength);
  const shoff = Number(v.getBigUint64(40, true));
  const shnum = v.getUint16(60, true);
  const shstrndx = v.getUint16(62, true);
  const raw = Array.from({ length: shnum }, (_, i) => {
    const p = shoff + i * 64;
    return {
      nameOff: v.getUint32(p, true),
      type: v.getUint32(p + 4, true),
      flags: v.getBigUint64(p + 8, true),
      offset: Number(v.getBigUint64(p + 24, true)),
      size: Number(v.getBigUint64(p + 32, true)),
      link: v.getUint32(p + 40, true),
      info: v.getUint32(p + 44, true),
      align: Number(v.getBigUint64(p + 48, true)),
      entsize: Number(v.getBigUint64(p + 56, true)),
    };
  });
  const strs = raw[shstrndx]!;
  const str = (off: number): string => {
    let e = strs.offset + off;
    while (obj[e] !== 0) e++;
    return new TextDecoder().decode(obj.subarray(strs.offset + off, e));
  };
  return raw.map(({ nameOff, ...s }) => ({ name: str(nameOff), ...s }));
}

const work = mkdtempSync(join(tmpdir(), 'wxdp-bpfobj-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function tool(name: string, args: string[], obj: Uint8Array): string | undefined {
  const path = join(work, `o${Math.random().toString(36).slice(2)}.o`);
  writeFileSync(path, obj);
  const r = spawnSync(name, [...args, path], { encoding: 'utf8' });
  if (r.error) return undefined;
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return r.stdout;
}

describe('writeBpfObject()', () => {
  it('writes an ELF64 little-endian relocatable object for EM_BPF', () => {
    const obj = writeBpfObject([{ name: 'prog', section: 'xdp', insns: RET2 }]);
    expect([...obj.subarray(0, 7)]).toEqual([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
    const v = new DataView(obj.buffer);
    expect(v.getUint16(16, true)).toBe(1); // ET_REL
    expect(v.getUint16(18, true)).toBe(247); // EM_BPF
  });

  it('puts the program in an AX section aligned to 8 and the license in a WA section', () => {
    const obj = writeBpfObject([{ name: 'prog', section: 'xdp', insns: RET2 }], { license: 'Dual MIT/GPL' });
    const secs = readSections(obj);
    expect(secs.map((s) => s.name)).toEqual(['', '.strtab', 'xdp', 'license', '.symtab']);
    const xdp = secs.find((s) => s.name === 'xdp')!;
    expect(xdp.flags).toBe(0x6n);
    expect(xdp.align).toBe(8);
    expect(xdp.offset % 8).toBe(0);
    expect([...obj.subarray(xdp.offset, xdp.offset + xdp.size)]).toEqual([...RET2]);
    const lic = secs.find((s) => s.name === 'license')!;
    expect(lic.flags).toBe(0x3n);
    expect(new TextDecoder().decode(obj.subarray(lic.offset, lic.offset + lic.size))).toBe('Dual MIT/GPL\0');
  });

  it('parses with llvm-readelf: one global FUNC symbol per program, sized in bytes', () => {
    const obj = writeBpfObject([
      { name: 'first', section: 'xdp', insns: RET2 },
      { name: 'second', section: 'xdp', insns: encode([Alu64.mov.imm(0, 1), Alu64.add.imm(0, 1), Ins.exit()]) },
      { name: 'third', section: 'tc', insns: RET2 },
    ]);
    const out = tool('llvm-readelf', ['-S', '-s'], obj);
    if (out === undefined) return; // llvm-readelf not installed: the byte-level checks above still ran
    expect(out).toMatch(/0+ +16 FUNC +GLOBAL DEFAULT +2 first/);
    expect(out).toMatch(/0+10 +24 FUNC +GLOBAL DEFAULT +2 second/);
    expect(out).toMatch(/0+ +16 FUNC +GLOBAL DEFAULT +3 third/);
    expect(out).toMatch(/OBJECT +GLOBAL DEFAULT +\d+ LICENSE/);
  });

  it('moves subprograms to .text with a R_BPF_64_32 relocation, as clang does', () => {
    const obj = writeBpfObject([{ name: 'prog', section: 'xdp', insns: WITH_CALLS }]);
    const secs = readSections(obj);
    const names = secs.map((s) => s.name);
    expect(names).toContain('.text');
    const rel = secs.find((s) => s.name === '.relxdp')!;
    expect(rel.type).toBe(9); // SHT_REL
    expect(secs[rel.info]!.name).toBe('xdp');
    expect(secs[rel.link]!.name).toBe('.symtab');
    expect(secs.find((s) => s.name === 'xdp')!.size).toBe(4 * 8);
    expect(secs.find((s) => s.name === '.text')!.size).toBe(8 * 8);
    const dis = tool('llvm-objdump', ['-d', '-r'], obj);
    if (dis === undefined) return;
    // The entry's call is rewritten against the .text section symbol (target 0 → imm -1);
    // the call inside .text keeps its pc-relative imm.
    expect(dis).toMatch(/call -1\n\s+0+8:\s+R_BPF_64_32\s+\.text/);
    expect(dis).toMatch(/<prog__sub4>:[\s\S]*call 1\n/);
  });

  it('emits BTF FUNCs and func_info only when a program takes a function address, or when asked', () => {
    const takesAddress = encode([...Ins.lddw(2, 2n, PseudoLd.FUNC), Alu64.mov.imm(0, 0), Ins.exit(), Alu64.mov.imm(0, 1), Ins.exit()]);
    const auto = readSections(writeBpfObject([{ name: 'prog', section: 'xdp', insns: takesAddress }])).map((s) => s.name);
    expect(auto).toEqual(expect.arrayContaining(['.BTF', '.BTF.ext']));
    const plain = readSections(writeBpfObject([{ name: 'prog', section: 'xdp', insns: WITH_CALLS }])).map((s) => s.name);
    expect(plain).not.toContain('.BTF');
    const forced = writeBpfObject([{ name: 'prog', section: 'xdp', insns: WITH_CALLS }], { btf: true });
    expect(readSections(forced).map((s) => s.name)).toContain('.BTF.ext');
    const dump = tool('bpftool', ['btf', 'dump', 'file'], forced);
    if (dump === undefined) return;
    expect(dump).toContain("[2] FUNC_PROTO '(anon)' ret_type_id=1 vlen=0");
    expect(dump).toContain("FUNC 'prog' type_id=2 linkage=global");
    expect(dump).toContain("FUNC 'prog__sub4' type_id=2 linkage=static");
    expect(dump).toContain("FUNC 'prog__sub9' type_id=2 linkage=static");
  });

  it('rejects names that are not identifiers, empty programs and .text as a program section', () => {
    expect(() => writeBpfObject([{ name: 'a-b', section: 'xdp', insns: RET2 }])).toThrow(/not a C identifier/);
    expect(() => writeBpfObject([{ name: 'p', section: 'xdp', insns: new Uint8Array(0) }])).toThrow(/whole number/);
    expect(() => writeBpfObject([{ name: 'p', section: '.text', insns: RET2 }])).toThrow(/cannot hold a program/);
    expect(() => writeBpfObject([])).toThrow(/no programs/);
  });

  it('rejects a local call into the entry function', () => {
    const self = encode([Ins.callLocal(-1), Ins.exit()]);
    expect(() => writeBpfObject([{ name: 'p', section: 'xdp', insns: self }])).toThrow(/targets slot 0/);
  });
});
