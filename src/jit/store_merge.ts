// Store merging (verified programs): narrow stores that copy bytes loaded from memory, one after
// another in a block, become one wider load and store. clang writes a memcpy to an unaligned
// destination, an XDP router's MAC copy, as byte stores of the loaded bytes:
//
//   r1 = *(u16 *)(r10 - 14)            bytes s[0..1] of the source
//   *(u8 *)(r8 + 0) = r1               d[0] = s[0]
//   r1 >>= 8
//   *(u8 *)(r8 + 1) = r1               d[1] = s[1]
//   r1 = *(u16 *)(r10 - 12)
//   *(u8 *)(r8 + 2) = r1 ...           d[2] = s[2] ...
//
// The register values are followed symbolically: "bytes [off, off + n) of memory at reg, as the load
// at pc read them" survives moves, right shifts by whole bytes and masks of the low bytes. A store of
// such a value copies source bytes to destination bytes; stores of one block with the same registers
// and the same distance between them that tile [o, o + 2/4/8) of the destination become, at the first
// of them, one load of the source span and one store of it (the other stores are not emitted; every
// load and register write stays). The copy is the same when:
//   - from the earliest load of the group to its first store no other store may write the source;
//   - from the first store to the last, no load (the group's own included) may read the destination,
//     which it would see early, and no other store may write either span; no call or atomic runs in
//     the window;
//   - the source's register is not written from the earliest load on, the destination's from the
//     first store on (so each address means what it meant at the original access);
//   - two groups merged in one block do not touch each other's spans.
// A group's load whose value only the replaced stores used (liveness to the block's end) goes too.
// Overlapping spans need no rule of their own: a load after the first store that reads the
// destination is refused, and when every load comes first the program read all the bytes before
// writing any, as the wide copy does.
// Every byte of both spans was read or written by the program in the window, so the verifier proved
// the wide accesses in bounds. Whether two accesses may overlap: the same register not written in
// between compares offsets; otherwise stack_slots.ts's frame values (r10 + K, or not derived from
// the frame at all) separate the frame from everything else; anything else may overlap.

import { AluOp, Class, CLASS_MASK, FP, Mode, MODE_MASK, OP_LDDW, OP_MASK, sizeBytes, Source, SOURCE_MASK } from '../isa/opcodes.js';
import { writesRegister, type Insn } from '../isa/insn.js';
import type { Subprogram } from './cfg.js';
import { frameValues, type FrameVal } from './stack_slots.js';
import { liveIns, reads } from './vectorize.js';

/** One wide copy: `width` bytes from srcReg + srcOff to dstReg + dstOff, emitted at the store `at`. */
export interface MergedCopy {
  at: number;
  dstReg: number;
  dstOff: number;
  srcReg: number;
  srcOff: number;
  width: 2 | 4 | 8;
}

export interface StoreMerges {
  /** Wide copies by the pc of the first store they replace. */
  copies: Map<number, MergedCopy[]>;
  /** Stores replaced by a copy and loads only they used (not emitted). */
  dropped: Set<number>;
}

/**
 * A register holding zext(bytes [off, off + n) of memory at reg + 0) as the load at `load` read them
 * (reg as it was then: storeMerges refuses a group whose source register is written after its loads).
 */
interface Bytes {
  reg: number;
  off: number;
  n: number;
  load: number;
}

/** A store of bytes from a load: mem[dstReg + dstOff + i] = mem[srcReg + srcOff + i], i < size. */
interface Piece {
  pc: number;
  dstReg: number;
  dstOff: number;
  srcReg: number;
  srcOff: number;
  size: number;
  load: number;
}

interface Access {
  reg: number;
  off: number;
  size: number;
  pc: number;
}

const isMemStore = (ins: Insn): boolean => {
  const c = ins.code & CLASS_MASK;
  return (c === Class.ST || c === Class.STX) && (ins.code & MODE_MASK) === Mode.MEM;
};
const isLoad = (ins: Insn): boolean => (ins.code & CLASS_MASK) === Class.LDX && ((ins.code & MODE_MASK) === Mode.MEM || (ins.code & MODE_MASK) === Mode.MEMSX);

/** What a register holds after `ins`, given what the registers held before (undefined: not followed). */
function after(ins: Insn, pc: number, vals: ReadonlyArray<Bytes | undefined>): Bytes | undefined {
  const c = ins.code & CLASS_MASK;
  if (c === Class.LDX) {
    if ((ins.code & MODE_MASK) !== Mode.MEM || ins.src > FP) return undefined;
    return { reg: ins.src, off: ins.off, n: sizeBytes(ins.code), load: pc };
  }
  if (c !== Class.ALU64 && c !== Class.ALU) return undefined;
  const op = ins.code & OP_MASK;
  const x = (ins.code & SOURCE_MASK) === Source.X;
  const v = x ? vals[ins.src] : vals[ins.dst];
  if (!v) return undefined;
  // a 32-bit operation sees (and leaves) the low 4 bytes
  const n = c === Class.ALU ? Math.min(v.n, 4) : v.n;
  const bits = c === Class.ALU ? 32 : 64;
  if (op === AluOp.MOV && x && ins.off === 0) return { ...v, n };
  if (x) return undefined;
  if (op === AluOp.RSH && ins.imm > 0 && ins.imm < bits && ins.imm % 8 === 0) {
    const k = ins.imm / 8;
    return n - k > 0 ? { ...v, off: v.off + k, n: n - k } : undefined;
  }
  if (op === AluOp.AND) {
    const keep = ins.imm === 0xff ? 1 : ins.imm === 0xffff ? 2 : c === Class.ALU && ins.imm === -1 ? 4 : undefined;
    return keep !== undefined ? { ...v, n: Math.min(n, keep) } : undefined;
  }
  return undefined;
}

/**
 * The copies to make in one subprogram; `keep(pc)` names stores that must stay as they are and loads
 * whose bytes are not in memory (a stack slot kept in a local).
 */
export function storeMerges(prog: readonly Insn[], sp: Subprogram, keep: (pc: number) => boolean): StoreMerges {
  const out: StoreMerges = { copies: new Map(), dropped: new Set() };
  const frame = frameValues(prog, sp);
  let live: Map<number, Set<number>> | undefined;
  for (const bb of sp.blocks) {
    const pcs: number[] = [];
    for (let pc = bb.start; pc < bb.end; pc += prog[pc]!.code === OP_LDDW ? 2 : 1) pcs.push(pc);
    const pieces = piecesOf(prog, pcs, keep);
    if (pieces.length < 2) continue;
    const writtenIn = (reg: number, from: number, to: number): boolean => pcs.some((p) => p >= from && p < to && writesRegister(prog[p]!, reg));
    const frameAt = (reg: number, pc: number): FrameVal | 'unknown' => (reg === FP ? 0 : frame?.get(pc)?.[reg] ?? (frame?.has(pc) ? undefined : 'unknown'));
    const mayOverlap = (a: Access, b: Access): boolean => {
      const spans = (x: number, y: number): boolean => x < y + b.size && y < x + a.size;
      if (a.reg === b.reg && !writtenIn(a.reg, Math.min(a.pc, b.pc), Math.max(a.pc, b.pc))) return spans(a.off, b.off);
      const fa = frameAt(a.reg, a.pc);
      const fb = frameAt(b.reg, b.pc);
      if (typeof fa === 'number' && typeof fb === 'number') return spans(fa + a.off, fb + b.off);
      if (typeof fa === 'number' && fb === undefined) return false;
      if (fa === undefined && typeof fb === 'number') return false;
      return true;
    };
    const accepted: Array<{ src: Access; dst: Access }> = [];
    const loads = new Set<number>();
    for (const group of groupsOf(pieces)) {
      const stores = new Set(group.map((p) => p.pc));
      const first = Math.min(...stores);
      const last = Math.max(...stores);
      const earliest = Math.min(...group.map((p) => p.load));
      const g0 = group.reduce((a, b) => (a.dstOff < b.dstOff ? a : b));
      const width = group.reduce((n, p) => n + p.size, 0 as number) as 2 | 4 | 8;
      const src: Access = { reg: g0.srcReg, off: g0.srcOff, size: width, pc: first };
      const dst: Access = { reg: g0.dstReg, off: g0.dstOff, size: width, pc: first };
      if (writtenIn(src.reg, earliest, last) || writtenIn(dst.reg, first, last)) continue;
      let ok = true;
      for (const pc of pcs) {
        if (pc < earliest || pc > last || stores.has(pc)) continue;
        const ins = prog[pc]!;
        const c = ins.code & CLASS_MASK;
        if (isMemStore(ins)) {
          const at: Access = { reg: ins.dst, off: ins.off, size: sizeBytes(ins.code), pc };
          if (mayOverlap(at, src) || (pc > first && mayOverlap(at, dst))) ok = false;
        } else if (isLoad(ins)) {
          if (pc > first && mayOverlap({ reg: ins.src, off: ins.off, size: sizeBytes(ins.code), pc }, dst)) ok = false;
        } else if (!(c === Class.ALU || c === Class.ALU64 || ins.code === OP_LDDW)) {
          ok = false; // a call or an atomic
        }
        if (!ok) break;
      }
      if (!ok) continue;
      if (accepted.some((o) => mayOverlap(dst, o.dst) || mayOverlap(dst, o.src) || mayOverlap(src, o.dst))) continue;
      accepted.push({ src, dst });
      const list = out.copies.get(first) ?? [];
      list.push({ at: first, dstReg: dst.reg, dstOff: dst.off, srcReg: src.reg, srcOff: src.off, width });
      out.copies.set(first, list);
      for (const pc of stores) out.dropped.add(pc);
      for (const p of group) loads.add(p.load);
    }
    // a group's load whose value only the replaced stores used is not emitted either (V8 keeps a
    // load it does not use: it may trap)
    if (loads.size === 0) continue;
    live ??= liveIns(prog, sp);
    const t = bb.term;
    const liveOut = new Set<number>(t.kind === 'exit' ? [0] : t.kind === 'branch' ? reads(prog[t.pc]!) : []);
    for (const n of t.kind === 'goto' ? [t.target] : t.kind === 'branch' ? [t.target, t.next] : []) for (const r of live.get(n) ?? []) liveOut.add(r);
    for (const l of loads) if (unused(prog, pcs, l, out.dropped, liveOut)) out.dropped.add(l);
  }
  return out;
}

/**
 * Whether the value the load at `at` puts in its register, and anything computed from it, is used by
 * nothing but stores in `dropped` before the block ends with it dead (`liveOut`).
 */
function unused(prog: readonly Insn[], pcs: readonly number[], at: number, dropped: ReadonlySet<number>, liveOut: ReadonlySet<number>): boolean {
  /** Registers holding the value or something computed from it. */
  const held = new Set([prog[at]!.dst]);
  for (const pc of pcs) {
    if (pc <= at) continue;
    const ins = prog[pc]!;
    const c = ins.code & CLASS_MASK;
    if (dropped.has(pc) && c !== Class.LDX) continue; // a replaced store reads nothing
    if (c === Class.ALU || c === Class.ALU64) {
      // computed from the value: held too (its uses are looked for); else the register is rewritten
      if (reads(ins).some((r) => held.has(r))) held.add(ins.dst);
      else held.delete(ins.dst);
      continue;
    }
    if (reads(ins).some((r) => held.has(r))) return false;
    for (let r = 0; r <= FP; r++) if (writesRegister(ins, r) || (c === Class.JMP && r <= 5)) held.delete(r);
  }
  return ![...held].some((r) => liveOut.has(r));
}

/** The block's stores of loaded bytes, in order. */
function piecesOf(prog: readonly Insn[], pcs: readonly number[], keep: (pc: number) => boolean): Piece[] {
  const vals: Array<Bytes | undefined> = new Array<Bytes | undefined>(11).fill(undefined);
  const pieces: Piece[] = [];
  for (const pc of pcs) {
    const ins = prog[pc]!;
    if ((ins.code & CLASS_MASK) === Class.STX && isMemStore(ins) && ins.dst <= FP && ins.src <= FP && !keep(pc)) {
      const v = vals[ins.src];
      const size = sizeBytes(ins.code);
      if (v && v.n >= size && !keep(v.load)) pieces.push({ pc, dstReg: ins.dst, dstOff: ins.off, srcReg: v.reg, srcOff: v.off, size, load: v.load });
    }
    const next = after(ins, pc, vals);
    // (a call's clobbers are not followed: no group's window may hold a call)
    for (let r = 0; r < vals.length; r++) if (writesRegister(ins, r)) vals[r] = r === ins.dst ? next : undefined;
  }
  return pieces;
}

/**
 * Pieces with the same registers and distance whose destinations tile [o, o + w) exactly, w 2, 4
 * or 8, two pieces at least. (A register written between the pieces, a byte stored twice: the
 * window checks refuse what such a tiling would get wrong.)
 */
function groupsOf(pieces: readonly Piece[]): Piece[][] {
  const byKey = new Map<string, Piece[]>();
  for (const p of pieces) {
    const k = `${p.dstReg}:${p.srcReg}:${p.dstOff - p.srcOff}`;
    const list = byKey.get(k) ?? [];
    list.push(p);
    byKey.set(k, list);
  }
  const groups: Piece[][] = [];
  for (const list of byKey.values()) {
    const sorted = [...list].sort((a, b) => a.dstOff - b.dstOff);
    let i = 0;
    while (i < sorted.length) {
      let taken = 0;
      for (const w of [8, 4, 2]) {
        let end = sorted[i]!.dstOff;
        let j = i;
        while (j < sorted.length && sorted[j]!.dstOff === end && end - sorted[i]!.dstOff < w) end += sorted[j++]!.size;
        if (end - sorted[i]!.dstOff === w && j - i >= 2) {
          groups.push(sorted.slice(i, j));
          taken = j - i;
          break;
        }
      }
      i += taken > 0 ? taken : 1;
    }
  }
  return groups;
}
