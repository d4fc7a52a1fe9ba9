// Programs: find functions in executable sections, record relocations, then link each entry program
// the way libbpf does (bpf_object__relocate → bpf_object__reloc_code):
//
//   - every FUNC symbol of an executable section is a function; functions outside `.text` are entry
//     programs, functions in `.text` are subprograms;
//   - for each entry program, walk its code; at each bpf-to-bpf call (`call` with src = 1) and each
//     ld_imm64 with a relocation against code (a callback address), find the target function; if it is
//     not part of this program yet, append its code at the end and walk it first (depth first), then
//     point the call's imm (or the ld_imm64's imm, src = BPF_PSEUDO_FUNC) at its new position;
//   - the target of a relocated call is `symbol value / 8 + imm + 1` (clang writes imm = -1 for a global
//     function, and the function's index - 1 for a static one, relocated against the section symbol);
//     the target of a relocated ld_imm64 is `(symbol value + imm) / 8`; an unrelocated call is pc-relative
//     inside the caller's own section (libbpf reads one in a program section as a `.text` index; clang
//     never emits one there);
//   - each appended copy brings its relocations (maps, global data, kconfig) and its func_info and
//     line_info, moved to the new positions.
//
// Subprograms come from `.text`, as in libbpf; wxdp also links calls into a function of the caller's own
// section (libbpf refuses them with "bad call relo").

import { DecodeError, WxdpError } from '../errors.js';
import { decode, type Insn } from '../isa/insn.js';
import { Class, JmpOp, OP_LDDW, PseudoCall, PseudoLd } from '../isa/opcodes.js';
import type { Btf } from './btf.js';
import type { BtfExt, CoreRelo } from './btf_ext.js';
import { applyCoreRelos } from './core.js';
import type { Extern } from './externs.js';
import type { MapEntry } from './maps.js';
import {
  SHF_EXECINSTR,
  SHN_LORESERVE,
  SHT_PROGBITS,
  SHT_REL,
  STB_GLOBAL,
  STB_LOCAL,
  STB_WEAK,
  STT_FUNC,
  STT_NOTYPE,
  STT_SECTION,
  type ElfFile,
  type ElfSection,
  type ElfSymbol,
} from './reader.js';
import { findSectionDef } from './section_defs.js';
import type { FuncInfo, FuncRef, FunctionSpan, KfuncCall, LineInfo, MapRef, ProgramSpec } from './spec.js';

const R_BPF_64_64 = 1;
const R_BPF_64_32 = 10;
const OP_CALL = Class.JMP | JmpOp.CALL;

/** A function symbol's code, decoded. */
export interface Func {
  name: string;
  sec: ElfSection;
  /** First slot inside the section. */
  start: number;
  /** Slots. */
  count: number;
  insns: Insn[];
  relos: Map<number, Relo>;
  symbol: ElfSymbol;
}

type Relo =
  | { kind: 'call'; targetSec: number; symOff: number; rel: number }
  | { kind: 'func'; targetSec: number; symOff: number; rel: number }
  | { kind: 'map'; map: MapEntry; rel: number }
  | { kind: 'data'; map: MapEntry; offset: number; rel: number }
  | { kind: 'kconfig'; map: MapEntry; offset: number; rel: number }
  | { kind: 'kfunc'; name: string; weak: boolean; rel: number };

export interface LinkContext {
  file: ElfFile;
  btf: Btf | undefined;
  ext: BtfExt | undefined;
  maps: MapEntry[];
  externs: Extern[];
  kconfig: MapEntry | undefined;
  license: string;
}

export const isExecSection = (s: ElfSection): boolean => s.type === SHT_PROGBITS && (s.flags & SHF_EXECINSTR) !== 0 && s.size > 0;

/** All functions, by section index, in symbol-table order (libbpf's bpf_object__add_programs). */
export function collectFunctions(file: ElfFile): Map<number, Func[]> {
  const text = file.sectionByName('.text');
  const out = new Map<number, Func[]>();
  for (const sec of file.sections) {
    if (!isExecSection(sec)) continue;
    const funcs: Func[] = [];
    for (const sym of file.symbols) {
      if (sym.shndx !== sec.index || sym.type !== STT_FUNC) continue;
      const at = sym.value;
      const fail = (d: string) => file.error('ELF_BAD_PROGRAM', `program '${sym.name}': ${d}`, sec, at);
      if (sym.size === 0 || sym.size % 8 !== 0 || sym.value % 8 !== 0) {
        throw fail(`corrupted: offset ${sym.value}, size ${sym.size} (both must be non-zero multiples of 8)`);
      }
      if (sym.value + sym.size > sec.size) throw fail(`code at ${sym.value} (${sym.size} bytes) crosses the section boundary (${sec.size} bytes)`);
      if (sec !== text && sym.bind === STB_LOCAL) throw fail('static programs outside .text are not supported (libbpf: "program is static")');
      let insns: Insn[];
      try {
        insns = decode(sec.data.subarray(sym.value, sym.value + sym.size));
      } catch (e) {
        if (e instanceof DecodeError) throw file.error('ELF_BAD_PROGRAM', `program '${sym.name}': ${e.message}`, sec, sym.value + e.byteOffset);
        throw e;
      }
      funcs.push({ name: sym.name, sec, start: sym.value / 8, count: sym.size / 8, insns, relos: new Map(), symbol: sym });
    }
    out.set(sec.index, funcs);
  }
  return out;
}

function funcAt(funcs: Func[] | undefined, slot: number): Func | undefined {
  return funcs?.find((f) => slot >= f.start && slot < f.start + f.count);
}

const isExtern = (s: ElfSymbol): boolean => s.shndx === 0 && (s.bind === STB_GLOBAL || s.bind === STB_WEAK) && s.type === STT_NOTYPE;

/** Read every `.rel<exec section>` and attach each relocation to the function it patches. */
export function recordRelocations(ctx: LinkContext, funcs: Map<number, Func[]>): void {
  const { file } = ctx;
  for (const relSec of file.sections) {
    if (relSec.type !== SHT_REL) continue;
    if (relSec.info >= file.sections.length) {
      throw file.error('ELF_BAD_SECTION', `relocations for section ${relSec.info}, but there are ${file.sections.length}`, relSec);
    }
    const target = file.sections[relSec.info]!;
    if (!isExecSection(target)) continue; // .rel.BTF, .rel.debug_*, .rel.data…: libbpf skips these; .rel.maps is read elsewhere
    for (const rel of file.relocations(relSec)) {
      const at = rel.index * 16;
      const fail = (d: string, code: 'ELF_BAD_RELOCATION' | 'ELF_UNSUPPORTED' = 'ELF_BAD_RELOCATION') =>
        file.error(code, `relocation #${rel.index} (offset ${rel.offset} in '${target.name}'): ${d}`, relSec, at);
      if (rel.type !== R_BPF_64_64 && rel.type !== R_BPF_64_32) {
        throw fail(`unsupported relocation type ${rel.type} (expected R_BPF_64_64 or R_BPF_64_32)`);
      }
      const sym = file.symbols[rel.symbol];
      if (!sym) throw fail(`symbol ${rel.symbol} not found (.symtab has ${file.symbols.length})`);
      if (sym.shndx >= file.sections.length && sym.shndx < SHN_LORESERVE) {
        throw fail(`symbol #${sym.index} '${sym.name}' points to invalid section ${sym.shndx}`);
      }
      if (rel.offset % 8 !== 0 || rel.offset >= target.size) throw fail(`invalid offset ${rel.offset} (section is ${target.size} bytes)`);
      const slot = rel.offset / 8;
      const func = funcAt(funcs.get(target.index), slot);
      if (!func) continue; // code outside any function: libbpf skips it too (an overridden weak function)
      const local = slot - func.start;
      const insn = func.insns[local]!;
      const symName = file.symbolName(sym);
      const isCall = insn.code === OP_CALL && !insn.isLdImm64Tail;
      const isLd = insn.code === OP_LDDW && !insn.isLdImm64Tail;
      if (!isCall && !isLd) throw fail(`against '${symName}' for insn ${slot} (code 0x${insn.code.toString(16)}), which is neither ld_imm64 nor call`);

      if (isExtern(sym)) {
        const ext = ctx.externs.find((e) => e.symbol === sym.index);
        if (!ext) throw fail(`extern '${symName}' was not collected`);
        if (isCall) {
          // a kfunc (`extern … __ksym` function): the loader resolves it by name (kfuncCalls)
          if (ext.kind !== 'ksym') throw fail(`call to '${symName}', which is not a function`);
          func.relos.set(local, { kind: 'kfunc', name: symName, weak: ext.weak, rel: rel.index });
          continue;
        }
        if (ext.kind !== 'kconfig' || !ctx.kconfig) throw fail(`extern '${symName}' (.ksyms) needs the running kernel's BTF`, 'ELF_UNSUPPORTED');
        func.relos.set(local, { kind: 'kconfig', map: ctx.kconfig, offset: ext.kconfig!.offset, rel: rel.index });
        continue;
      }
      const symSec = file.sectionAt(sym.shndx);
      if (isCall) {
        if (insn.src !== PseudoCall.LOCAL) throw fail(`against '${symName}' on a call with src ${insn.src} (incorrect bpf_call opcode)`);
        if (!symSec || !isExecSection(symSec)) throw fail(`bad call relocation against '${symName}' in section '${symSec?.name ?? sym.shndx}'`);
        if (sym.value % 8 !== 0) throw fail(`bad call relocation offset ${sym.value} against '${symName}'`);
        func.relos.set(local, { kind: 'call', targetSec: sym.shndx, symOff: sym.value, rel: rel.index });
        continue;
      }
      if (!symSec) throw fail(`against '${symName}' in special section 0x${sym.shndx.toString(16)}; forgot to initialize a global variable?`);
      if (isExecSection(symSec) && (sym.type === STT_SECTION || sym.type === STT_FUNC)) {
        if (sym.value % 8 !== 0 || insn.imm % 8 !== 0) throw fail(`bad subprogram address relocation against '${symName}' at ${sym.value}+${insn.imm}`);
        func.relos.set(local, { kind: 'func', targetSec: sym.shndx, symOff: sym.value, rel: rel.index });
        continue;
      }
      const defs = ctx.maps.filter((m) => m.shndx === sym.shndx);
      const isDefSection = defs.some((m) => m.spec.kind === 'btf' || m.spec.kind === 'legacy');
      if (isDefSection) {
        const map = defs.find((m) => m.offset === sym.value);
        if (!map) throw fail(`no map in section '${symSec.name}' at offset ${sym.value} (symbol '${symName}')`);
        func.relos.set(local, { kind: 'map', map, rel: rel.index });
        continue;
      }
      const data = defs[0];
      if (!data) throw fail(`bad data relocation against '${symName}' in section '${symSec.name}', which is not a map or global data section`);
      const offset = sym.value + insn.imm;
      if (offset < 0 || offset >= data.size) throw fail(`offset ${sym.value}+${insn.imm} is outside '${symSec.name}' (${data.size} bytes)`);
      func.relos.set(local, { kind: 'data', map: data, offset, rel: rel.index });
    }
  }
}

/** Link one entry program: append subprograms, fix calls, apply relocations, move func/line info. */
export function linkProgram(ctx: LinkContext, funcs: Map<number, Func[]>, main: Func): ProgramSpec {
  const { file } = ctx;
  const textIdx = file.sectionByName('.text')?.index;
  const out: Insn[] = [];
  const placed = new Map<Func, number>();
  const functions: FunctionSpan[] = [];
  const mapRefs: MapRef[] = [];
  const funcRefs: FuncRef[] = [];
  const kfuncCalls: KfuncCall[] = [];
  const stack: { f: Func; i: number }[] = [];

  const append = (f: Func): number => {
    const base = out.length;
    placed.set(f, base);
    for (const ins of f.insns) out.push({ ...ins });
    functions.push({ name: f.name, index: base, length: f.count, section: f.sec.name });
    for (const [local, r] of f.relos) {
      const ins = out[base + local]!;
      const tail = out[base + local + 1]!;
      if (r.kind === 'map') {
        setLd(ins, tail, PseudoLd.MAP_FD, 0);
        mapRefs.push({ index: base + local, map: r.map.spec.name, kind: 'fd', offset: 0 });
      } else if (r.kind === 'data' || r.kind === 'kconfig') {
        setLd(ins, tail, PseudoLd.MAP_VALUE, r.offset);
        mapRefs.push({ index: base + local, map: r.map.spec.name, kind: 'value', offset: r.offset });
      } else if (r.kind === 'kfunc') {
        ins.src = PseudoCall.KFUNC;
        ins.imm = 0;
        kfuncCalls.push({ index: base + local, name: r.name, weak: r.weak });
      }
    }
    stack.push({ f, i: 0 });
    return base;
  };

  append(main);
  while (stack.length > 0) {
    const frame = stack[stack.length - 1]!;
    if (frame.i >= frame.f.count) {
      stack.pop();
      continue;
    }
    const local = frame.i++;
    const f = frame.f;
    const base = placed.get(f)!;
    const ins = out[base + local]!;
    if (ins.isLdImm64Tail) continue;
    const relo = f.relos.get(local);
    const isSubCall = ins.code === OP_CALL && ins.src === PseudoCall.LOCAL;
    const isFuncLd = ins.code === OP_LDDW && relo?.kind === 'func';
    if (!isSubCall && !isFuncLd) {
      if (ins.code === OP_LDDW && ins.src === PseudoLd.FUNC && !relo) {
        throw relocError(file, f, local, `ld_imm64 with src=BPF_PSEUDO_FUNC but no relocation`);
      }
      continue;
    }
    if (relo && relo.kind !== 'call' && relo.kind !== 'func') throw relocError(file, f, local, `unexpected ${relo.kind} relocation on a call`);
    let targetSec: number;
    let targetSlot: number;
    if (relo?.kind === 'call') {
      targetSec = relo.targetSec;
      targetSlot = relo.symOff / 8 + ins.imm + 1;
    } else if (relo?.kind === 'func') {
      targetSec = relo.targetSec;
      targetSlot = (relo.symOff + ins.imm) / 8;
    } else {
      targetSec = f.sec.index;
      targetSlot = f.start + local + ins.imm + 1;
    }
    if (targetSec !== textIdx && targetSec !== f.sec.index) {
      throw relocError(file, f, local, `target in section '${file.sections[targetSec]?.name}': subprograms must be in .text or in the caller's section`);
    }
    const candidates = funcs.get(targetSec);
    const target = candidates?.find((c) => c.start === targetSlot);
    if (!target) {
      const inside = funcAt(candidates, targetSlot);
      const secName = file.sections[targetSec]?.name;
      throw relocError(
        file,
        f,
        local,
        inside
          ? `target slot ${targetSlot} of '${secName}' is inside '${inside.name}', not at the start of a function`
          : `no function at slot ${targetSlot} of '${secName}'`,
      );
    }
    const targetBase = placed.get(target) ?? append(target);
    const rel = targetBase - (base + local) - 1;
    if (isFuncLd) {
      const tail = out[base + local + 1]!;
      setLd(ins, tail, PseudoLd.FUNC, rel >>> 0);
      ins.imm = rel;
      funcRefs.push({ index: base + local, target: targetBase, name: target.name });
    } else {
      ins.imm = rel;
    }
  }

  // bpf_object__init_prog: SEC("?abc") is SEC("abc") with autoload off, the '?' forgotten from then on
  const optional = main.sec.name.startsWith('?');
  const secName = optional ? main.sec.name.slice(1) : main.sec.name;
  const def = findSectionDef(secName);
  const spec: ProgramSpec = {
    name: main.name,
    section: secName,
    type: def?.type ?? 'unspec',
    insns: out,
    mapRefs: mapRefs.sort((a, b) => a.index - b.index),
    funcRefs,
    ...(kfuncCalls.length ? { kfuncCalls } : {}),
    functions,
    funcInfo: [],
    lineInfo: [],
    license: ctx.license,
  };
  if (optional) spec.autoload = false;
  if (def?.attachType !== undefined) spec.attachType = def.attachType;
  if (def?.frags) spec.frags = true;
  if (def?.sleepable) spec.sleepable = true;
  if (ctx.ext && ctx.btf) {
    spec.funcInfo = moveInfo(ctx, main, placed, ctx.ext.funcInfo, 'function', (r, index): FuncInfo => ({
      index,
      name: ctx.btf!.type(r.typeId).name,
      typeId: r.typeId,
    }));
    spec.lineInfo = moveInfo(ctx, main, placed, ctx.ext.lineInfo, 'line', (r, index): LineInfo => ({
      index,
      file: r.file,
      line: r.line,
      column: r.column,
      text: r.text,
    }));
    const core: CoreRelo[] = [];
    for (const [f, base] of placed) {
      for (const r of ctx.ext.coreRecords.get(f.sec.name) ?? []) {
        if (r.insn >= f.start && r.insn < f.start + f.count) core.push({ ...r, insn: r.insn - f.start + base });
      }
    }
    applyCoreRelos(ctx.btf, out, core);
  }
  return spec;
}

/**
 * libbpf's reloc_prog_func_and_line_info(): the records of each function, in the order the functions
 * were appended. No records for the entry function: none for the whole program. Records for the entry
 * function but none for a subprogram: an error (the kernel would reject the mix).
 */
function moveInfo<R extends { insn: number }, T>(
  ctx: LinkContext,
  main: Func,
  placed: Map<Func, number>,
  bySection: Map<string, R[]>,
  what: string,
  make: (r: R, index: number) => T,
): T[] {
  const out: T[] = [];
  for (const [f, base] of placed) {
    const recs = (bySection.get(f.sec.name) ?? []).filter((r) => r.insn >= f.start && r.insn < f.start + f.count);
    if (recs.length === 0) {
      if (f === main) return [];
      throw ctx.file.error('BTF_INVALID', `program '${main.name}': subprogram '${f.name}' has no .BTF.ext ${what} info`, '.BTF.ext');
    }
    for (const r of recs) out.push(make(r, r.insn - f.start + base));
  }
  return out;
}

function setLd(ins: Insn, tail: Insn, src: PseudoLd, value: number): void {
  ins.src = src;
  ins.imm64 = BigInt(value);
  ins.imm = value | 0;
  tail.imm = 0;
}

function relocError(file: ElfFile, f: Func, local: number, detail: string): WxdpError {
  return file.error('ELF_BAD_RELOCATION', `program '${f.name}' insn ${f.start + local}: ${detail}`, f.sec, (f.start + local) * 8);
}
