// Random XDP programs for comparing wxdp's verifier with the kernel's (tests/verifier/fuzz_kernel.test.ts).
//
// Unlike tests/support/gen.ts (programs that are valid for the load-time check, for interp vs JIT), these
// are meant to be verified: the generator keeps a model of what each register and stack slot holds
// (scalar, ctx, packet pointer with the range a bounds check proved, packet end, frame pointer, map
// value, map value or NULL, map) and mostly emits what the verifier accepts — ALU32/ALU64 incl. sdiv,
// smod, movsx, bswap; signed loads; JMP/JMP32 branches; spills and fills of scalars and pointers at odd
// offsets and sizes; packet accesses behind bounds checks; map lookups with a NULL check; helper calls;
// bpf-to-bpf calls; counted loops — and, with a small probability per instruction, something it may not
// (a register of the wrong kind, an access past a range, a missing NULL check, an endless loop), so that
// a share of the programs is refused somewhere in the middle. Forward jumps merge the model of both
// paths (a register whose kind differs becomes unusable). Seeded: a failure names its seed.
//
// Map references are ld_imm64 with src BPF_PSEUDO_MAP_FD and imm = the map's number in FUZZ_MAPS; the
// caller patches them (an fd for the kernel, a MapRef for wxdp).

import { AluOp, Class, JmpOp, Mode, Size, Source } from '../../src/isa/opcodes.js';
import { Ins, type Insn } from '../../src/isa/insn.js';
import { Rng } from './gen.js';

/** The maps every program may use: FUZZ_MAPS[imm] of its map ld_imm64s. */
export const FUZZ_MAPS = [
  { name: 'fz_array', type: 2, typeName: 'array', keySize: 4, valueSize: 16, maxEntries: 4 },
  { name: 'fz_hash', type: 1, typeName: 'hash', keySize: 8, valueSize: 16, maxEntries: 4 },
] as const;

/**
 * The wide generator's map for `ld_imm64 rX, map_value(fz_global, off)` (BPF_PSEUDO_MAP_VALUE, imm 3):
 * an ARRAY of one entry (array_map_direct_value_addr refuses more), made only for a program naming it.
 */
export const FUZZ_GLOBAL_MAP = { name: 'fz_global', type: 2, typeName: 'array', keySize: 4, valueSize: 32, maxEntries: 1 } as const;
export const FUZZ_GLOBAL_IDX = 3;

/** Helpers whose results differ between two runs: programs calling them are verified, not run. */
export const NONDETERMINISTIC_HELPERS = new Set([5, 7, 8]);

type Kind =
  | { k: 'none'; addr?: true }
  | { k: 'scalar'; addr?: true }
  | { k: 'ctx' }
  | { k: 'pkt'; id: number; off: number; range: number }
  | { k: 'pkt_end' }
  | { k: 'fp'; off: number }
  | { k: 'mapval'; map: number; off: number }
  | { k: 'mapval_or_null'; map: number }
  | { k: 'map'; map: number };

interface Model {
  regs: Kind[];
  /** Stack bytes -1..-64 by 8-byte slot (index 0 is fp-8): what an aligned 8-byte spill left there, or 'misc'/'none'. */
  slots: Kind[];
}

const NONE: Kind = { k: 'none' };
const SCALAR: Kind = { k: 'scalar' };
/**
 * A number made from an address (`addr`): a pointer's bytes, bits or arithmetic, or a value that may be
 * one (a register or slot whose kind differs between the paths that meet). The kernel's addresses are
 * not wxdp's: a program whose result, packet, map values or branches depend on one is verified, not run.
 * (Tracked beside the model: it never changes which registers the generator picks.)
 */
const ADDR_SCALAR: Kind = { k: 'scalar', addr: true };
const ADDR_NONE: Kind = { k: 'none', addr: true };
/** A number known not to come from an address: a scalar, or a register or slot with nothing in it. */
const plain = (k: Kind): boolean => (k.k === 'scalar' || k.k === 'none') && !k.addr;
/** A scalar result of operands of kinds `ks`: made from an address if any of them may be one. */
const scalarOf = (...ks: Kind[]): Kind => (ks.every(plain) ? SCALAR : ADDR_SCALAR);
const STACK_SLOTS = 8;
const SIZES = [Size.B, Size.H, Size.W, Size.DW] as const;
const BYTES: Record<number, number> = { [Size.B]: 1, [Size.H]: 2, [Size.W]: 4, [Size.DW]: 8 };
const SIZE_NAME: Record<number, 'b' | 'h' | 'w' | 'dw'> = { [Size.B]: 'b', [Size.H]: 'h', [Size.W]: 'w', [Size.DW]: 'dw' };
const COND_OPS = [JmpOp.JEQ, JmpOp.JGT, JmpOp.JGE, JmpOp.JSET, JmpOp.JNE, JmpOp.JSGT, JmpOp.JSGE, JmpOp.JLT, JmpOp.JLE, JmpOp.JSLT, JmpOp.JSLE];
const ALU_OPS = [AluOp.ADD, AluOp.SUB, AluOp.MUL, AluOp.DIV, AluOp.OR, AluOp.AND, AluOp.LSH, AluOp.RSH, AluOp.NEG, AluOp.MOD, AluOp.XOR, AluOp.MOV, AluOp.ARSH, AluOp.END];

function same(a: Kind, b: Kind): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The model after two paths meet: what both agree on; packet ranges the smaller. */
function meet(a: Model, b: Model): Model {
  const one = (x: Kind, y: Kind): Kind => {
    if (x.k === 'pkt' && y.k === 'pkt' && x.off === y.off && x.id === y.id) return { ...x, range: Math.min(x.range, y.range) };
    const both = plain(x) && plain(y);
    // (two scalars, or two empty registers, one maybe made from an address: the kind stays)
    if (x.k === 'scalar' && y.k === 'scalar') return both ? SCALAR : ADDR_SCALAR;
    if (x.k === 'none' && y.k === 'none') return both ? NONE : ADDR_NONE;
    return same(x, y) ? x : both ? NONE : ADDR_NONE;
  };
  return { regs: a.regs.map((r, i) => one(r, b.regs[i]!)), slots: a.slots.map((s, i) => one(s, b.slots[i]!)) };
}

function clone(m: Model): Model {
  return { regs: m.regs.map((r) => ({ ...r })), slots: m.slots.map((s) => ({ ...s })) };
}

/** A forward jump to a label resolved when the label's slot is known. */
interface Fixup {
  at: number;
  label: number;
  field: 'off' | 'imm';
}

export interface GenStats {
  shapes: Record<string, number>;
}

class Gen {
  readonly out: Insn[] = [];
  private readonly fixups: Fixup[] = [];
  private readonly labels = new Map<number, number>();
  private nextLabel = 1;
  /** Local calls: [slot, subprogram number]. */
  readonly calls: Array<[number, number]> = [];
  /** The label every failed bounds check jumps to: r0 = XDP_PASS; exit. */
  readonly passLabel: number;
  m: Model;
  usedHelpers = new Set<number>();
  /** Reads stack bytes nothing wrote: the kernel leaves the stack as the last program left it. */
  readsUninit = false;
  /** The stack was zeroed at entry (the first 64 bytes). */
  zeroed = false;
  /** An address reaches the output: the return value, the packet, a map value, a branch (see ADDR_SCALAR). */
  addrOut = false;
  /** Per subprogram, bit a: argument register a may carry an address at some call (r1 = a stack pointer). */
  readonly argAddr: number[] = [];
  /** bpf_loop calls (wide): [slot of the callback's ld_imm64, callback number, its ctx is a stack pointer]. */
  readonly loopCalls: Array<[number, number, boolean]> = [];
  /** Loops the run may leave at different iterations on each side (may_goto's budget): verified, not run. */
  unbounded = false;
  private pktIds = 0;

  constructor(
    readonly r: Rng,
    readonly pErr: number,
    readonly nSub: number,
    readonly shapes: Record<string, number>,
    entry: boolean,
    /** Also the shapes of the wide generator (see wideShape). */
    readonly wide = false,
  ) {
    this.passLabel = this.label();
    const regs: Kind[] = Array.from({ length: 11 }, () => NONE);
    regs[10] = { k: 'fp', off: 0 };
    regs[1] = entry ? { k: 'ctx' } : SCALAR;
    if (!entry) for (const a of [2, 3, 4, 5]) regs[a] = SCALAR;
    this.m = { regs, slots: Array.from({ length: STACK_SLOTS }, () => NONE) };
  }

  label(): number {
    return this.nextLabel++;
  }
  place(label: number): void {
    this.labels.set(label, this.out.length);
  }
  jumpTo(ins: Insn, label: number): void {
    this.fixups.push({ at: this.out.length, label, field: (ins.code & 7) === Class.JMP32 && (ins.code & 0xf0) === JmpOp.JA ? 'imm' : 'off' });
    this.out.push(ins);
  }
  resolve(): void {
    for (const f of this.fixups) this.out[f.at]![f.field] = this.labels.get(f.label)! - f.at - 1;
  }
  count(shape: string): void {
    this.shapes[shape] = (this.shapes[shape] ?? 0) + 1;
  }
  err(): boolean {
    return this.r.chance(this.pErr);
  }
  /**
   * Register `reg` now holds what `from` says (made from an address or not) while the model keeps its
   * kind (the generator's picks go by kind alone).
   */
  taintFrom(reg: number, ...from: Kind[]): void {
    const k = this.m.regs[reg]!;
    if (reg !== 10 && (k.k === 'scalar' || k.k === 'none')) this.m.regs[reg] = from.every(plain) ? (k.k === 'scalar' ? SCALAR : NONE) : k.k === 'scalar' ? ADDR_SCALAR : ADDR_NONE;
  }
  /** Register `reg` flows somewhere every run must agree on: an address there makes the program nondeterministic. */
  sink(reg: number): void {
    if (!plain(this.m.regs[reg]!)) this.addrOut = true;
  }

  /** A register of one of these kinds (any register at all, now and then); undefined when none has it. */
  pick(kinds: readonly Kind['k'][], writable = false): number | undefined {
    const regs = this.m.regs
      .map((k, i) => [k, i] as const)
      .filter(([k, i]) => kinds.includes(k.k) && (!writable || i !== 10))
      .map(([, i]) => i);
    if (this.err()) return this.r.int(writable ? 10 : 11);
    return regs.length ? this.r.pick(regs) : undefined;
  }
  /** A register to overwrite: never r10; r6 (ctx) rarely. */
  dst(): number {
    if (this.err()) return this.r.int(11);
    const free = [0, 1, 2, 3, 4, 5, 7, 8, 9].filter((i) => this.m.regs[i]!.k === 'none' || this.m.regs[i]!.k === 'scalar');
    if (free.length && this.r.chance(0.8)) return this.r.pick(free);
    return this.r.pick([0, 1, 2, 3, 4, 5, 7, 8, 9]);
  }
  set(reg: number, k: Kind): void {
    if (reg !== 10) this.m.regs[reg] = k;
  }

  /** A scalar in a register: one already there, or a fresh constant. */
  scalarReg(): number {
    const s = this.pick(['scalar']);
    if (s !== undefined) return s;
    const d = this.dst();
    this.out.push(Alu64.movImm(d, this.r.imm32()));
    this.set(d, SCALAR);
    return d;
  }

  // ---- shapes ----

  alu(): void {
    const r = this.r;
    const is64 = r.chance(0.6);
    const cls = is64 ? Class.ALU64 : Class.ALU;
    const op = r.pick(ALU_OPS);
    const d = op === AluOp.MOV ? this.dst() : (this.pick(['scalar'], true) ?? this.scalarReg());
    // what the result is made of: the destination, and a register source
    let res = scalarOf(this.m.regs[d]!);
    if (op === AluOp.NEG) {
      this.count('alu neg');
      this.out.push({ code: cls | op, dst: d, src: 0, off: 0, imm: 0 });
    } else if (op === AluOp.END) {
      // ALU: to-le/to-be; ALU64: bswap (cpu v4, always Source.K)
      const toBe = !is64 && r.chance(0.5);
      this.count(is64 ? 'bswap' : 'endian');
      this.out.push({ code: cls | op | (toBe ? Source.X : Source.K), dst: d, src: 0, off: 0, imm: r.pick([16, 32, 64]) });
    } else {
      let off = 0;
      const signedDiv = (op === AluOp.DIV || op === AluOp.MOD) && r.chance(0.5);
      if (signedDiv) off = 1;
      if (r.chance(0.5)) {
        const s = op === AluOp.MOV && r.chance(0.3) ? (this.pick(['scalar', 'pkt', 'fp', 'ctx', 'mapval', 'pkt_end']) ?? 10) : this.scalarReg();
        if (op === AluOp.MOV && r.chance(0.3)) off = r.pick(is64 ? [8, 16, 32] : [8, 16]);
        this.count(off && op === AluOp.MOV ? 'movsx' : signedDiv ? 'sdiv/smod reg' : `alu${is64 ? 64 : 32} reg`);
        this.out.push({ code: cls | op | Source.X, dst: d, src: s, off, imm: 0 });
        if (op === AluOp.MOV && off === 0 && is64) {
          this.set(d, { ...this.m.regs[s]! });
          return;
        }
        res = op === AluOp.MOV ? scalarOf(this.m.regs[s]!) : scalarOf(this.m.regs[d]!, this.m.regs[s]!);
      } else {
        if (op === AluOp.MOV) res = SCALAR;
        let imm = r.imm32();
        if (op === AluOp.LSH || op === AluOp.RSH || op === AluOp.ARSH) imm = this.err() ? r.pick([64, 32, -1]) : r.int(is64 ? 64 : 32);
        if ((op === AluOp.DIV || op === AluOp.MOD) && imm === 0 && !this.err()) imm = r.pick([3, -1, 7]);
        this.count(signedDiv ? 'sdiv/smod imm' : `alu${is64 ? 64 : 32} imm`);
        this.out.push({ code: cls | op, dst: d, src: 0, off, imm });
      }
    }
    this.set(d, res);
  }

  /** A scalar from the ctx (ingress_ifindex, rx_queue_index), or data / data_end. */
  ctxLoad(): void {
    const c = this.pick(['ctx']);
    if (c === undefined) return;
    const d = this.dst();
    const off = this.err() ? this.r.pick([2, 24, 20, -4]) : this.r.pick([0, 4, 0, 4, 12, 16, 8]);
    const sz = this.err() ? this.r.pick(['b', 'dw'] as const) : 'w';
    this.count('ctx load');
    // (off 8 is data_meta, a pointer; a base that is not the ctx reads other memory, maybe a spilled pointer)
    const viaCtx = this.m.regs[c]!.k === 'ctx';
    this.out.push(Ins.ldx(sz, d as 0, c as 0, off));
    this.set(d, off === 0 ? { k: 'pkt', id: 0, off: 0, range: 0 } : off === 4 ? { k: 'pkt_end' } : off === 8 ? ADDR_NONE : viaCtx ? SCALAR : ADDR_SCALAR);
  }

  /** `rX = pkt + N; if rX > data_end goto pass`: the packet pointer gets range N. */
  boundsCheck(): void {
    const p = this.pick(['pkt']);
    const e = this.pick(['pkt_end']);
    if (p === undefined || e === undefined) {
      this.ctxLoad();
      return;
    }
    const pk = this.m.regs[p]!;
    const t = this.dst();
    if (t === p || t === e) return;
    const n = this.r.pick([1, 2, 4, 8, 14, 20, 34, 54, 64, 100]);
    this.out.push(Alu64.movReg(t, p), Alu64.addImm(t, n));
    const form = this.r.int(5);
    this.count(`bounds check ${form}`);
    // anything but a packet pointer against data_end compares addresses
    if (pk.k !== 'pkt' || this.m.regs[e]!.k !== 'pkt_end') this.addrOut = true;
    if (pk.k !== 'pkt') {
      // (the model keeps t's kind: t = p + n)
      this.taintFrom(t, pk);
      return;
    }
    const checked: Kind = { k: 'pkt', id: pk.id, off: pk.off + n, range: pk.range };
    // every packet pointer of the checked one's id learns the range (find_good_pkt_pointers): its
    // bytes up to the checked pointer's offset
    const grant = (): void => {
      for (const [i, k] of this.m.regs.entries()) if (k.k === 'pkt' && k.id === pk.id) this.m.regs[i] = { ...k, range: Math.max(k.range, checked.off) };
      this.set(t, { ...checked, range: Math.max(pk.range, checked.off) });
    };
    if (form === 0) this.jumpTo(Jmp.jgt.reg(t, e, 0), this.passLabel);
    else if (form === 1) this.jumpTo(Jmp.jlt.reg(e, t, 0), this.passLabel);
    else if (form === 2) {
      this.out.push(Jmp.jle.reg(t, e, 1));
      this.jumpTo(Ins.ja(0), this.passLabel);
    } else if (form === 3) {
      this.out.push(Jmp.jge.reg(e, t, 1));
      this.jumpTo(Ins.ja(0), this.passLabel);
    } else {
      // JMP32 compares of pointers teach the kernel nothing (try_match_pkt_pointers is JMP only)
      this.jumpTo(Jmp32.jgt.reg(t, e, 0), this.passLabel);
      this.set(t, ADDR_NONE);
      return;
    }
    grant();
  }

  pktAccess(): void {
    const p = this.pick(['pkt']);
    if (p === undefined) {
      this.boundsCheck();
      return;
    }
    const k = this.m.regs[p]!;
    const sz = this.r.pick(SIZES);
    const n = BYTES[sz]!;
    // accessible: [off, range) of the pointer's id, so insn offsets -off .. range - off - n
    const room = k.k === 'pkt' ? k.range - k.off : 0;
    let off: number;
    if (this.err() || room < n) off = this.r.int(Math.max(1, room + 4)) - 2;
    else off = this.r.int(room - n + 1);
    const kind = this.r.int(4);
    if (kind === 0) {
      this.count('pkt store imm');
      this.out.push(Ins.st(SIZE_NAME[sz]!, p as 0, off, this.r.imm32()));
    } else if (kind === 1) {
      this.count('pkt store reg');
      const v = this.scalarReg();
      this.sink(v);
      this.out.push(Ins.stx(SIZE_NAME[sz]!, p as 0, v as 0, off));
    } else {
      const d = this.dst();
      const sx = kind === 3 && sz !== Size.DW;
      this.count(sx ? 'pkt load signed' : 'pkt load');
      this.out.push(sx ? Ins.ldxs(SIZE_NAME[sz]! as 'b', d as 0, p as 0, off) : Ins.ldx(SIZE_NAME[sz]!, d as 0, p as 0, off));
      // (through anything but a packet pointer: other memory, a spilled pointer maybe)
      this.set(d, k.k === 'pkt' ? SCALAR : ADDR_SCALAR);
    }
  }

  /** Packet pointer arithmetic: a constant, or a masked scalar (then a new bounds check is needed). */
  pktMove(): void {
    const p = this.pick(['pkt'], true);
    if (p === undefined) return;
    const k = this.m.regs[p]!;
    if (this.r.chance(0.5)) {
      const c = this.r.int(16);
      this.count('pkt += const');
      this.out.push(Alu64.addImm(p, c));
      if (k.k === 'pkt') this.set(p, { ...k, off: k.off + c });
    } else {
      const s = this.scalarReg();
      if (s === p) return;
      this.count('pkt += masked scalar');
      // an offset made from an address moves the pointer by a different amount on each side
      this.sink(s);
      this.out.push(Alu64.andImm(s, this.r.pick([0xf, 0x3f, 0xff, 7])), Alu64.addReg(p, s));
      // a variable offset: the pointer's range starts over (the kernel keeps it only per id)
      this.set(p, { k: 'pkt', id: ++this.pktIds, off: 0, range: 0 });
    }
  }

  stackStore(): void {
    const r = this.r;
    const ptr = r.chance(0.3);
    // pointers spill whole (a narrower spill of one is refused: "invalid size of register spill")
    const sz = ptr && !this.err() ? Size.DW : r.pick(SIZES);
    const n = BYTES[sz]!;
    const aligned = r.chance(0.95);
    let off = aligned ? -n * (1 + r.int((STACK_SLOTS * 8) / n)) : -(n + r.int(STACK_SLOTS * 8 - n + 1));
    if (this.err()) off = r.pick([0, -513, 4, -(STACK_SLOTS * 8) - 8]);
    const base = r.chance(0.9) ? 10 : this.pick(['fp']);
    if (base === undefined) return;
    const bk = this.m.regs[base]!;
    const at = off + (bk.k === 'fp' ? bk.off : 0);
    if (r.chance(0.3)) {
      this.count('stack store imm');
      this.out.push(Ins.st(SIZE_NAME[sz]!, base as 0, off, r.imm32()));
      this.markStack(at, n, SCALAR);
      return;
    }
    const s = ptr ? (this.pick(['pkt', 'ctx', 'fp', 'mapval', 'pkt_end', 'map', 'mapval_or_null']) ?? this.scalarReg()) : this.scalarReg();
    const sk = this.m.regs[s]!;
    this.count(sk.k === 'scalar' ? `spill scalar ${n}${aligned ? '' : ' odd'}` : `spill ${sk.k} ${n}${aligned ? '' : ' odd'}`);
    // (through anything but the frame pointer: into memory the model does not follow)
    if (bk.k !== 'fp') this.sink(s);
    this.out.push(Ins.stx(SIZE_NAME[sz]!, base as 0, s as 0, off));
    this.markStack(at, n, n === 8 && at % 8 === 0 ? sk : scalarOf(sk));
  }

  /** Bytes at..at+n-1 written with `k`: a whole slot takes it; part of one is a scalar of its old bytes and these. */
  private markStack(at: number, n: number, k: Kind): void {
    for (let b = at; b < at + n; b++) {
      const slot = Math.floor(-b - 1) >> 3;
      if (slot >= 0 && slot < STACK_SLOTS) this.m.slots[slot] = n === 8 && at % 8 === 0 ? k : scalarOf(this.m.slots[slot]!, k);
    }
  }

  /** What bytes off..off+n-1 of the stack may be made of (the slots they touch). */
  private stackBytes(off: number, n: number): Kind {
    const ks: Kind[] = [];
    for (let b = off; b < off + n; b++) {
      const slot = (-b - 1) >> 3;
      if (slot >= 0 && slot < STACK_SLOTS) ks.push(this.m.slots[slot]!);
    }
    return scalarOf(...ks);
  }

  stackLoad(): void {
    const r = this.r;
    const sz = r.pick(SIZES);
    const n = BYTES[sz]!;
    const aligned = r.chance(0.95);
    const off = aligned ? -n * (1 + r.int((STACK_SLOTS * 8) / n)) : -(n + r.int(STACK_SLOTS * 8 - n + 1));
    const d = this.dst();
    const sx = sz !== Size.DW && r.chance(0.3);
    this.count(`fill ${n}${aligned ? '' : ' odd'}${sx ? ' signed' : ''}`);
    if (!this.zeroed) this.readsUninit = true;
    this.out.push(sx ? Ins.ldxs(SIZE_NAME[sz]! as 'b', d as 0, 10, off) : Ins.ldx(SIZE_NAME[sz]!, d as 0, 10, off));
    const slot = (-off - 1) >> 3;
    const k = n === 8 && off % 8 === 0 && !sx ? this.m.slots[slot]! : this.stackBytes(off, n);
    this.set(d, k.k === 'none' ? scalarOf(k) : k);
  }

  mapLookup(): void {
    const r = this.r;
    const map = r.int(FUZZ_MAPS.length);
    const ks = FUZZ_MAPS[map]!.keySize;
    const keyOff = -8 * (1 + r.int(STACK_SLOTS));
    // the key: a constant, or a scalar from a register
    if (r.chance(0.5)) this.out.push(Ins.st(ks === 4 ? 'w' : 'dw', 10, keyOff, r.int(6)));
    else {
      // (a key made from an address finds a different element on each side)
      const key = this.scalarReg();
      this.sink(key);
      this.out.push(Ins.stx(ks === 4 ? 'w' : 'dw', 10, key as 0, keyOff));
    }
    this.markStack(keyOff, ks, SCALAR);
    this.out.push(...Ins.lddw(1, BigInt(map), 1));
    this.out.push(Alu64.movReg(2, 10), Alu64.addImm(2, keyOff));
    this.call(1);
    this.set(0, { k: 'mapval_or_null', map });
    const form = r.int(3);
    this.count(`map lookup ${FUZZ_MAPS[map]!.typeName} ${form}`);
    if (form === 0 && !this.err()) {
      this.jumpTo(Jmp.jeq.imm(0, 0, 0), this.passLabel);
      this.set(0, { k: 'mapval', map, off: 0 });
    } else if (form === 1) {
      const skip = this.label();
      const before = clone(this.m);
      this.jumpTo(Jmp.jeq.imm(0, 0, 0), skip);
      this.set(0, { k: 'mapval', map, off: 0 });
      for (let i = 0; i < 1 + r.int(3); i++) this.mapValueAccess();
      this.place(skip);
      this.m = meet(before, this.m);
    }
  }

  mapValueAccess(): void {
    const v = this.pick(['mapval']);
    if (v === undefined) return;
    const k = this.m.regs[v]!;
    const base = k.k === 'mapval' ? k.off : 0;
    const sz = this.r.pick(SIZES);
    const n = BYTES[sz]!;
    let off = this.r.int(16 - n + 1) - base;
    if (this.err()) off = this.r.pick([16, -1, 13, 15]);
    const kind = this.r.int(5);
    // (a value read through anything but a map value pointer: other memory, a spilled pointer maybe)
    const read = k.k === 'mapval' ? SCALAR : ADDR_SCALAR;
    if (kind === 0) {
      this.count('map value store');
      const s = this.scalarReg();
      this.sink(s);
      this.out.push(Ins.stx(SIZE_NAME[sz]!, v as 0, s as 0, off));
    } else if (kind === 1 && (sz === Size.W || sz === Size.DW)) {
      this.count('map value atomic');
      const aop = this.r.pick([0x00, 0x01, 0x40, 0x41, 0x50, 0xa0, 0xa1, 0xe1, 0xf1]);
      const s = aop === 0xf1 ? this.scalarReg() : this.scalarReg();
      if (aop === 0xf1 && this.m.regs[0]!.k !== 'scalar') this.out.push(Alu64.movImm(0, 0)), this.set(0, SCALAR);
      this.sink(s);
      // (cmpxchg compares with r0)
      if (aop === 0xf1) this.sink(0);
      this.out.push(Ins.atomic(sz === Size.W ? 'w' : 'dw', v as 0, s as 0, off, aop));
      if (aop & 1) this.set(aop === 0xf1 ? 0 : s, read);
    } else {
      const d = this.dst();
      this.count('map value load');
      this.out.push(Ins.ldx(SIZE_NAME[sz]!, d as 0, v as 0, off));
      this.set(d, read);
    }
  }

  /** A helper; arguments of the right kind, or (err) of any kind. */
  helper(): void {
    const r = this.r;
    const id = r.pick([5, 7, 8, 28, 44, 65, 54, 2, 3]);
    this.count(`helper ${id}`);
    // The addresses the argument set-up below puts in registers. The model keeps its kinds (its picks
    // stay as they were), so an argument of the wrong kind taken from one of them is judged by this.
    const setUp: Record<number, Kind> = {};
    if (id === 28) {
      setUp[1] = { k: 'fp', off: -16 };
      setUp[3] = { k: 'fp', off: -32 };
      // bpf_csum_diff(from, from_size, to, to_size, seed)
      const sz = 4 * r.int(3);
      this.out.push(Alu64.movReg(1, 10), Alu64.addImm(1, -16), Alu64.movImm(2, sz), Alu64.movReg(3, 10), Alu64.addImm(3, -32), Alu64.movImm(4, this.err() ? 3 : sz), Alu64.movImm(5, r.imm32()));
      this.markStack(-32, 32, SCALAR);
      for (const o of [-8, -16, -24, -32]) this.out.push(Ins.st('dw', 10, o, r.imm32()));
      // the stores must come before the call
      const call = this.out.splice(this.out.length - 4, 4);
      this.out.splice(this.out.length - 7, 0, ...call);
    } else if (id === 44 || id === 65 || id === 54) {
      const c = this.pick(['ctx']) ?? 1;
      if (c !== 1) this.out.push(Alu64.movReg(1, c));
      this.out.push(Alu64.movImm(2, r.pick([-4, 4, -14, 8, 0, -100])));
    } else if (id === 2 || id === 3) {
      const map = r.int(FUZZ_MAPS.length);
      const ks = FUZZ_MAPS[map]!.keySize;
      this.out.push(Ins.st('dw', 10, -8, r.int(4)), Ins.st('dw', 10, -16, r.imm32()), Ins.st('dw', 10, -24, r.imm32()));
      this.markStack(-24, 24, SCALAR);
      this.out.push(...Ins.lddw(1, BigInt(map), 1), Alu64.movReg(2, 10), Alu64.addImm(2, ks === 4 ? -8 : -8));
      if (id === 2) this.out.push(Alu64.movReg(3, 10), Alu64.addImm(3, -24), Alu64.movImm(4, r.pick([0, 0, 1, 2])));
      setUp[1] = { k: 'map', map };
      setUp[2] = { k: 'fp', off: -8 };
      if (id === 2) setUp[3] = { k: 'fp', off: -24 };
    }
    if (this.err()) {
      // a register of the wrong kind in one argument
      const a = 1 + r.int(5);
      const s = this.pick(['pkt', 'ctx', 'fp', 'scalar', 'pkt_end', 'map', 'mapval']) ?? 10;
      // (the helper may compute with the address: its result, the packet or a map)
      this.sink(s);
      // (bpf_csum_diff's seed a stack address: the sum, r0, is made from it; seed 451920)
      if (!plain(setUp[s] ?? SCALAR)) this.addrOut = true;
      this.out.push(Alu64.movReg(a, s));
    }
    this.call(id);
  }

  call(id: number): void {
    this.usedHelpers.add(id);
    this.out.push(Ins.call(id));
    for (const a of [1, 2, 3, 4, 5]) this.set(a, NONE);
    this.set(0, SCALAR);
    if (id === 44 || id === 65 || id === 54) for (const [i, k] of this.m.regs.entries()) if (k.k === 'pkt' || k.k === 'pkt_end') this.m.regs[i] = ADDR_NONE;
    if (id === 44 || id === 65 || id === 54) for (const [i, k] of this.m.slots.entries()) if (k.k === 'pkt' || k.k === 'pkt_end') this.m.slots[i] = ADDR_NONE;
  }

  localCall(): void {
    if (this.nSub === 0) return;
    const r = this.r;
    // the arguments that carry an address (a stack pointer, a scalar made from one)
    let addr = 0;
    for (const a of [1, 2, 3, 4, 5]) {
      if (r.chance(0.2) && a === 1) {
        this.out.push(Alu64.movReg(1, 10), Alu64.addImm(1, -8 * (1 + r.int(STACK_SLOTS))));
        addr |= 1 << a;
      } else if (this.m.regs[a]!.k !== 'scalar' || r.chance(0.3)) {
        this.out.push(Alu64.movImm(a, r.imm32()));
      } else if (!plain(this.m.regs[a]!)) addr |= 1 << a;
      this.set(a, SCALAR);
    }
    this.count('bpf-to-bpf call');
    const sub = r.int(this.nSub);
    this.argAddr[sub] = (this.argAddr[sub] ?? 0) | addr;
    this.calls.push([this.out.length, sub]);
    this.out.push(Ins.callLocal(0));
    for (const a of [1, 2, 3, 4, 5]) this.set(a, NONE);
    this.set(0, SCALAR);
  }

  branch(depth: number): void {
    const r = this.r;
    const is32 = r.chance(0.35);
    const op = r.pick(COND_OPS);
    const a = this.pick(['scalar']) ?? this.scalarReg();
    const useReg = r.chance(0.4);
    const b = useReg ? this.pick(['scalar']) ?? this.scalarReg() : 0;
    // a branch decided by an address goes a different way on each side
    this.sink(a);
    if (useReg) this.sink(b);
    const imm = r.chance(0.5) ? r.int(64) - 8 : r.imm32();
    const skip = this.label();
    const before = clone(this.m);
    this.count(`branch ${is32 ? 'jmp32' : 'jmp'} ${useReg ? 'reg' : 'imm'}`);
    this.jumpTo({ code: (is32 ? Class.JMP32 : Class.JMP) | op | (useReg ? Source.X : Source.K), dst: a, src: b, off: 0, imm: useReg ? 0 : imm }, skip);
    this.block(1 + r.int(5), depth + 1, false);
    if (r.chance(0.15)) {
      // an if/else: the then-block jumps over the else-block (sometimes with gotol)
      const join = this.label();
      this.jumpTo(r.chance(0.5) ? Ins.ja(0) : Ins.ja32(0), join);
      this.count(`if-else`);
      const thenModel = this.m;
      this.m = before;
      this.place(skip);
      this.block(1 + r.int(4), depth + 1, false);
      this.place(join);
      this.m = meet(thenModel, this.m);
      return;
    }
    this.place(skip);
    this.m = meet(before, this.m);
  }

  /** A counted loop on r9 (nothing else writes it); endless now and then. */
  loop(depth: number): void {
    const r = this.r;
    const n = 1 + r.int(6);
    const endless = this.err() && r.chance(0.5);
    const fromPacket = r.chance(0.3) && this.m.regs.some((k) => k.k === 'pkt' && k.range > k.off);
    if (fromPacket) {
      const p = this.m.regs.findIndex((k) => k.k === 'pkt' && k.range > k.off);
      this.out.push(Ins.ldx('b', 9, p as 0, 0), Alu64.andImm(9, 7), Alu64.addImm(9, 1));
    } else this.out.push(Alu64.movImm(9, n));
    this.set(9, SCALAR);
    this.count(endless ? 'loop endless' : fromPacket ? 'loop packet bound' : 'loop counted');
    const head = this.out.length;
    const saved = this.m.regs[9]!;
    this.m.regs[9] = { k: 'none' };
    // r9 must stay the counter: the loop body may not pick it (dst never is 9 while it is 'none'? dst()
    // may still choose it, so the body is scalar work on other registers only)
    const keep = clone(this.m);
    const bodyLen = 1 + r.int(4);
    for (let i = 0; i < bodyLen; i++) {
      const d = r.pick([0, 2, 3, 4, 5, 7, 8].filter((x) => this.m.regs[x]!.k === 'scalar' || this.m.regs[x]!.k === 'none'));
      if (d === undefined) break;
      const was = this.m.regs[d]!;
      if (was.k === 'none') this.out.push(Alu64.movReg(d, 9));
      else if (r.chance(0.5)) this.out.push(Alu64.addImm(d, r.imm32()));
      else this.out.push({ code: (r.chance(0.5) ? Class.ALU : Class.ALU64) | r.pick([AluOp.XOR, AluOp.MUL, AluOp.ADD, AluOp.RSH]) | Source.X, dst: d, src: 9, off: 0, imm: 0 });
      this.m.regs[d] = was.k === 'none' ? SCALAR : scalarOf(was);
    }
    this.out.push(endless ? Alu64.addImm(9, 0) : Alu64.subImm(9, 1));
    const back = this.out.length;
    this.out.push(r.chance(0.3) ? Jmp32.jne.imm(9, 0, 0) : Jmp.jne.imm(9, 0, 0));
    this.out[back]!.off = head - back - 1;
    this.m = meet(keep, this.m);
    this.m.regs[9] = saved;
    void depth;
  }

  block(len: number, depth: number, top: boolean): void {
    for (let i = 0; i < len; i++) {
      if (this.wide && this.r.chance(0.35)) {
        this.wideShape(depth, top);
        continue;
      }
      const k = this.r.int(100);
      if (k < 24) this.alu();
      else if (k < 30) this.ctxLoad();
      else if (k < 38) this.boundsCheck();
      else if (k < 48) this.pktAccess();
      else if (k < 51) this.pktMove();
      else if (k < 58) this.stackStore();
      else if (k < 64) this.stackLoad();
      else if (k < 70 && top) this.mapLookup();
      else if (k < 74) this.mapValueAccess();
      else if (k < 78 && top) this.helper();
      else if (k < 82 && top) this.localCall();
      else if (k < 92 && depth < 3) this.branch(depth);
      else if (k < 95 && top) this.loop(depth);
      else this.alu();
    }
  }

  // ---- the wide generator's shapes (verifierFuzzProgram(seed, { wide: true })) ----

  /** One of the shapes that reach less-covered parts of the verifier. */
  wideShape(depth: number, top: boolean): void {
    const k = this.r.int(100);
    if (k < 22) this.varAccess(this.r.chance(0.5) ? 'map' : 'stack');
    else if (k < 36) this.stackAtomic();
    else if (k < 48) this.mayGotoLoop(depth);
    else if (k < 60 && top) this.bpfLoop();
    else if (k < 72) this.globalValue();
    else if (k < 84) this.spillFillBounded();
    else if (k < 92) this.signedDivBounded();
    else this.varAccess('map');
  }

  /**
   * A scalar bounded by a mask or by compares (JMP or JMP32, signed or not), then added to a map value
   * or a stack pointer and used for an access: the bounds decide whether the access is safe.
   */
  varAccess(base: 'map' | 'stack'): void {
    const r = this.r;
    let v: number | undefined;
    if (base === 'map') {
      v = this.pick(['mapval']);
      if (v === undefined) {
        this.mapLookup();
        return;
      }
    }
    const s = this.scalarReg();
    const t = this.dst();
    if (t === s || t === v) return;
    const skip = this.label();
    const before = clone(this.m);
    const limit = base === 'map' ? 16 : 32;
    const kmax = r.pick([1, 3, 7, 8, 12, 15, 16, limit - 1]);
    const form = r.int(5);
    this.count(`var access ${base} ${form}`);
    // what the offset is made of decides the address read or written
    this.sink(s);
    if (form === 0) this.out.push(Alu64.andImm(s, kmax));
    else if (form === 1) {
      // `w = w & K` then a 64-bit use: zero-extended
      this.out.push({ code: Class.ALU | AluOp.AND, dst: s, src: 0, off: 0, imm: kmax });
    } else {
      // compares: an upper bound (JMP32 now and then: the upper half stays unknown unless zero-extended)
      const is32 = form === 4;
      if (r.chance(0.5)) this.out.push({ code: Class.ALU | AluOp.MOV | Source.X, dst: s, src: s, off: 0, imm: 0 });
      const op = r.pick([JmpOp.JGT, JmpOp.JSGT, JmpOp.JGE]);
      this.jumpTo({ code: (is32 ? Class.JMP32 : Class.JMP) | op | Source.K, dst: s, src: 0, off: 0, imm: op === JmpOp.JGE ? kmax + 1 : kmax }, skip);
      // a lower bound for the signed compare (or not, now and then: the minimum stays negative)
      if (op === JmpOp.JSGT && !this.err()) this.jumpTo({ code: (is32 ? Class.JMP32 : Class.JMP) | JmpOp.JSLT | Source.K, dst: s, src: 0, off: 0, imm: 0 }, skip);
    }
    const sz = r.pick(SIZES);
    const n = BYTES[sz]!;
    // the stack's accesses are checked for alignment (check_ptr_alignment: strict): a multiple of the size
    if (base === 'stack' && n > 1 && !this.err()) this.out.push(Alu64.andImm(s, -n));
    if (base === 'map') this.out.push(Alu64.movReg(t, v!));
    else this.out.push(Alu64.movReg(t, 10), Alu64.addImm(t, -32));
    this.out.push(Alu64.addReg(t, s));
    // the offset of the access: room for kmax + n bytes, or (err) a little past
    let off = this.err() ? r.pick([limit - n, 1, -1, limit]) : r.int(Math.max(1, limit - kmax - n + 1));
    if (base === 'stack' && !this.err()) off -= off % n;
    const kind = r.int(3);
    if (kind === 0) {
      const d = this.dst();
      this.out.push(Ins.ldx(SIZE_NAME[sz]!, d as 0, t as 0, off));
      // (a stack read: any slot of the range, maybe an address spilled there or bytes never written)
      if (base === 'stack' && !this.zeroed) this.readsUninit = true;
      this.set(d, base === 'stack' ? this.stackBytes(-32, 32) : SCALAR);
    } else if (kind === 1) {
      const x = this.scalarReg();
      this.sink(x);
      // the pointer stored through itself (the model still holds t's old kind): an address in the map
      // value a later load may return (wide seed 71909)
      if (x === t) this.addrOut = true;
      this.out.push(Ins.stx(SIZE_NAME[sz]!, t as 0, x as 0, off));
      if (base === 'stack') this.markStack(-32, 32, scalarOf(this.m.regs[x]!));
    } else {
      this.out.push(Ins.st(SIZE_NAME[sz]!, t as 0, off, r.imm32()));
      if (base === 'stack') this.markStack(-32, 32, SCALAR);
    }
    this.set(t, ADDR_NONE);
    this.place(skip);
    this.m = meet(before, this.m);
  }

  /** An atomic operation on a stack slot (add/and/or/xor, their fetch forms, xchg, cmpxchg). */
  stackAtomic(): void {
    const r = this.r;
    const dw = r.chance(0.6);
    const n = dw ? 8 : 4;
    const off = this.err() ? r.pick([-4, -2, 0, -72]) : -n * (1 + r.int((STACK_SLOTS * 8) / n));
    const aop = r.pick([0x00, 0x01, 0x40, 0x41, 0x50, 0x51, 0xa0, 0xa1, 0xe1, 0xf1]);
    const s = this.scalarReg();
    if (aop === 0xf1 && this.m.regs[0]!.k !== 'scalar') this.out.push(Alu64.movImm(0, 0)), this.set(0, SCALAR);
    this.sink(s);
    if (aop === 0xf1) this.sink(0);
    this.count(`stack atomic ${aop.toString(16)} ${n}`);
    // (-72 is past the zeroed slots: uninitialised, readable by root, its old bytes the fetch's result;
    // wide seed 13187 returned them, the kernel's stack garbage against wxdp's zeros)
    if (!this.zeroed || off < -STACK_SLOTS * 8) this.readsUninit = true;
    // (the slot's old bytes, maybe a spilled pointer's, go into the result and stay in the slot)
    const old = this.stackBytes(off, n);
    this.out.push(Ins.atomic(dw ? 'dw' : 'w', 10, s as 0, off, aop));
    this.markStack(off, n, scalarOf(old, this.m.regs[s]!));
    if (aop & 1) this.set(aop === 0xf1 ? 0 : s, old);
  }

  /**
   * A loop under may_goto: `head: may_goto +exit; body; r9 -= 1; if r9 != 0 goto head` (a counter ends it
   * first), or now and then without a counter (its iterations are then the budget's: not run).
   */
  mayGotoLoop(depth: number): void {
    const r = this.r;
    const counted = r.chance(0.75);
    if (counted) this.out.push(Alu64.movImm(9, 1 + r.int(5)));
    else this.unbounded = true;
    this.count(counted ? 'may_goto loop counted' : 'may_goto loop');
    const saved = this.m.regs[9]!;
    this.m.regs[9] = { k: 'none' };
    const exit = this.label();
    const head = this.out.length;
    const before = clone(this.m);
    this.jumpTo({ code: Class.JMP | 0xe0 | Source.K, dst: 0, src: 0, off: 0, imm: 0 }, exit);
    // the body: scalar work on registers other than r9
    for (let i = 0; i < 1 + r.int(4); i++) {
      const d = r.pick([0, 2, 3, 4, 5, 7, 8]);
      if (this.m.regs[d]!.k !== 'scalar' && this.m.regs[d]!.k !== 'none') continue;
      const was = this.m.regs[d]!;
      if (was.k === 'none' || r.chance(0.3)) this.out.push(Alu64.movImm(d, r.imm32()));
      else this.out.push({ code: (r.chance(0.5) ? Class.ALU : Class.ALU64) | r.pick([AluOp.ADD, AluOp.XOR, AluOp.MUL, AluOp.RSH]) | Source.K, dst: d, src: 0, off: 0, imm: r.int(16) });
      // (a register of the loop: its value after it is the budget's on an uncounted loop)
      this.m.regs[d] = was.k === 'none' ? SCALAR : scalarOf(was);
    }
    void depth;
    if (counted) {
      this.out.push(Alu64.subImm(9, 1));
      const back = this.out.length;
      this.out.push(Jmp.jne.imm(9, 0, 0));
      this.out[back]!.off = head - back - 1;
    } else {
      const back = this.out.length;
      this.out.push(Ins.ja(0));
      this.out[back]!.off = head - back - 1;
    }
    this.place(exit);
    this.m = meet(before, this.m);
    this.m.regs[9] = counted ? NONE : saved;
  }

  /** bpf_loop(nr, callback, ctx, 0): the callback a function of its own (verifierFuzzProgram adds it). */
  bpfLoop(): void {
    const r = this.r;
    this.count('bpf_loop');
    if (r.chance(0.6)) this.out.push(Alu64.movImm(1, this.err() ? r.pick([-1, 1 << 24]) : r.int(8)));
    else {
      // a count from a bounded scalar
      const s = this.scalarReg();
      this.sink(s);
      this.out.push(Alu64.movReg(1, s), Alu64.andImm(1, r.pick([3, 7, 15])));
    }
    const stackCtx = r.chance(0.5);
    const cb = this.loopCalls.length;
    this.loopCalls.push([this.out.length, cb, stackCtx]);
    this.out.push(...Ins.lddw(2, 0n, 4));
    if (stackCtx) this.out.push(Alu64.movReg(3, 10), Alu64.addImm(3, -8 * (1 + r.int(STACK_SLOTS))));
    else this.out.push(Alu64.movImm(3, 0));
    this.out.push(Alu64.movImm(4, this.err() ? 1 : 0));
    this.call(181);
  }

  /** `rX = map_value(fz_global) + off` (ld_imm64, BPF_PSEUDO_MAP_VALUE), then an access through it. */
  globalValue(): void {
    const r = this.r;
    const d = this.dst();
    const base = r.int(4) * 8;
    this.count('ld_imm64 map value');
    // (the map in the low half, the offset in the tail's imm: insn[1].imm)
    this.out.push(...Ins.lddw(d, (BigInt(base) << 32n) | BigInt(FUZZ_GLOBAL_IDX), 2));
    // (the model: a map value pointer whose offset the access sizes for 16 bytes; fz_global has 32)
    this.set(d, { k: 'mapval', map: FUZZ_GLOBAL_IDX, off: base > 16 ? 16 : base });
    for (let i = 0; i < 1 + r.int(2); i++) this.mapValueAccess();
  }

  /** A bounded scalar spilled (4 or 8 bytes), filled back (the same, or narrower), and used as an offset. */
  spillFillBounded(): void {
    const r = this.r;
    const s = this.scalarReg();
    const mask = r.pick([7, 15, 0xff, 0xffff]);
    const n = r.pick([4, 8, 8, 2]);
    const off = -8 * (1 + r.int(STACK_SLOTS));
    const back = r.pick([n, n, 4, 1, 2].filter((x) => x <= n));
    const d = this.dst();
    this.count(`spill bounded ${n} fill ${back}`);
    this.out.push(Alu64.andImm(s, mask), Ins.stx(n === 8 ? 'dw' : n === 4 ? 'w' : 'h', 10, s as 0, off));
    this.markStack(off, n, this.m.regs[s]!);
    // little-endian: the low bytes are at the slot's start
    this.out.push(Ins.ldx(back === 8 ? 'dw' : back === 4 ? 'w' : back === 2 ? 'h' : 'b', d as 0, 10, off));
    this.set(d, scalarOf(this.m.regs[s]!));
    if (r.chance(0.6)) this.varAccessFrom(d);
  }

  /** The map value access of varAccess with an offset register already bounded (or not). */
  private varAccessFrom(s: number): void {
    const v = this.pick(['mapval']);
    if (v === undefined || v === s) return;
    const t = this.dst();
    if (t === s || t === v) return;
    this.sink(s);
    const sz = this.r.pick(SIZES);
    this.out.push(Alu64.movReg(t, v), Alu64.addReg(t, s), Ins.ldx(SIZE_NAME[sz]!, t as 0, t as 0, 0));
    this.set(t, SCALAR);
  }

  /** sdiv/smod (ALU64 or ALU, register or constant) of operands bounded by compares, S64_MIN / -1 too. */
  signedDivBounded(): void {
    const r = this.r;
    const a = this.pick(['scalar'], true) ?? this.scalarReg();
    const b = this.scalarReg();
    if (a === b) return;
    const is64 = r.chance(0.5);
    const op = r.pick([AluOp.DIV, AluOp.MOD]);
    this.count(`signed ${op === AluOp.DIV ? 'div' : 'mod'} bounded`);
    if (r.chance(0.3)) this.out.push(...Ins.lddw(a, is64 ? -(1n << 63n) : -(1n << 31n)), Alu64.movImm(b, -1));
    else this.out.push(Alu64.andImm(b, r.pick([3, 15, 255])), Alu64.subImm(b, r.int(8)));
    if (r.chance(0.7)) this.out.push({ code: (is64 ? Class.ALU64 : Class.ALU) | op | Source.X, dst: a, src: b, off: 1, imm: 0 });
    else this.out.push({ code: (is64 ? Class.ALU64 : Class.ALU) | op | Source.K, dst: a, src: 0, off: 1, imm: r.pick([-1, 3, -7]) });
    this.set(a, scalarOf(this.m.regs[a]!, this.m.regs[b]!));
  }

  /** Mostly: zero the stack the function uses, so that its test runs are deterministic. */
  zeroStack(): void {
    if (!this.r.chance(0.7)) return;
    this.zeroed = true;
    const z = this.r.chance(0.5);
    if (!z) this.out.push(Alu64.movImm(0, 0));
    for (let o = -8; o >= -STACK_SLOTS * 8; o -= 8) this.out.push(z ? Ins.st('dw', 10, o, 0) : Ins.stx('dw', 10, 0, o));
    this.count(z ? 'stack zeroed (st)' : 'stack zeroed (stx)');
  }

  finish(callback = false): void {
    const r0 = this.pick(['scalar']);
    if (callback && !this.err()) {
      // a bpf_loop callback returns 0 (go on) or 1 (stop): the kernel asks r0 in [0, 1]
      if (r0 !== undefined && this.r.chance(0.3)) {
        this.sink(r0);
        this.out.push(Alu64.movReg(0, r0), Alu64.andImm(0, 1));
      } else this.out.push(Alu64.movImm(0, this.r.pick([0, 0, 1])));
    } else if (r0 === undefined || this.r.chance(0.3)) this.out.push(Alu64.movImm(0, this.r.pick([0, 1, 2, 3, 4, 1000])));
    else {
      // the return value: an address (a pointer picked, a number made from one) differs between the sides
      this.sink(r0);
      if (r0 !== 0) this.out.push(Alu64.movReg(0, r0));
    }
    this.out.push(Ins.exit());
    // only when some jump goes there: the kernel refuses unreachable instructions (check_cfg)
    if (this.fixups.some((f) => f.label === this.passLabel)) {
      this.place(this.passLabel);
      this.out.push(Alu64.movImm(0, 2), Ins.exit());
    }
    this.resolve();
  }
}

// Small builders over the DSL (register numbers as plain numbers).
const A64 = (op: number, x: boolean) => (dst: number, v: number): Insn => ({ code: Class.ALU64 | op | (x ? Source.X : Source.K), dst, src: x ? v : 0, off: 0, imm: x ? 0 : v });
const Alu64 = {
  movImm: A64(AluOp.MOV, false),
  movReg: A64(AluOp.MOV, true),
  addImm: A64(AluOp.ADD, false),
  addReg: A64(AluOp.ADD, true),
  subImm: A64(AluOp.SUB, false),
  andImm: A64(AluOp.AND, false),
};
const J = (cls: number, op: number) => ({
  reg: (dst: number, src: number, off: number): Insn => ({ code: cls | op | Source.X, dst, src, off, imm: 0 }),
  imm: (dst: number, imm: number, off: number): Insn => ({ code: cls | op | Source.K, dst, src: 0, off, imm }),
});
const Jmp = { jgt: J(Class.JMP, JmpOp.JGT), jlt: J(Class.JMP, JmpOp.JLT), jle: J(Class.JMP, JmpOp.JLE), jge: J(Class.JMP, JmpOp.JGE), jeq: J(Class.JMP, JmpOp.JEQ), jne: J(Class.JMP, JmpOp.JNE) };
const Jmp32 = { jgt: J(Class.JMP32, JmpOp.JGT), jne: J(Class.JMP32, JmpOp.JNE) };
void Mode;

export interface FuzzProgram {
  insns: Insn[];
  /** Calls a helper whose result differs from run to run. */
  nondeterministic: boolean;
}

/** One program: the entry function, then up to two subprograms (which call no one). */
export function verifierFuzzProgram(seed: number, opts: { length?: number; pErr?: number; shapes?: Record<string, number>; wide?: boolean } = {}): FuzzProgram {
  const r = new Rng(seed);
  const shapes = opts.shapes ?? {};
  const pErr = opts.pErr ?? 0.02;
  const wide = opts.wide ?? false;
  const nSub = r.int(3);
  const main = new Gen(r, pErr, nSub, shapes, true, wide);
  main.zeroStack();
  main.block(3 + r.int(opts.length ?? 30), 0, true);
  main.finish();
  const out = [...main.out];
  const starts: number[] = [];
  let nondeterministic = main.readsUninit || main.addrOut || main.unbounded || [...main.usedHelpers].some((h) => NONDETERMINISTIC_HELPERS.has(h));
  for (let s = 0; s < nSub; s++) {
    starts.push(out.length);
    // a subprogram no one calls would be unreachable code
    if (!main.calls.some(([, c]) => c === s)) continue;
    const g = new Gen(r, pErr, 0, shapes, false, wide);
    for (const a of [1, 2, 3, 4, 5]) if ((main.argAddr[s] ?? 0) & (1 << a)) g.m.regs[a] = ADDR_SCALAR;
    // a subprogram: scalar work on its arguments, its own stack, and r1 sometimes the caller's stack
    g.zeroStack();
    g.block(1 + r.int(8), 1, false);
    g.finish();
    // (its result, r0 in the caller, is an address when it returns one: g.addrOut then)
    nondeterministic ||= g.readsUninit || g.addrOut || g.unbounded || [...g.usedHelpers].some((h) => NONDETERMINISTIC_HELPERS.has(h));
    out.push(...g.out);
  }
  for (const [at, sub] of main.calls) out[at]!.imm = starts[sub]! - at - 1;
  // bpf_loop callbacks (wide): callback(index, ctx) with ctx the caller's stack pointer or 0
  for (const [at, , stackCtx] of main.loopCalls) {
    const g = new Gen(r, pErr, 0, shapes, false, wide);
    g.m.regs[2] = stackCtx ? ADDR_NONE : SCALAR;
    for (const a of [3, 4, 5]) g.m.regs[a] = NONE;
    g.zeroStack();
    g.block(1 + r.int(6), 1, false);
    g.finish(true);
    nondeterministic ||= g.readsUninit || g.addrOut || g.unbounded || [...g.usedHelpers].some((h) => NONDETERMINISTIC_HELPERS.has(h));
    out[at]!.imm = out.length - at - 1;
    out[at]!.imm64 = BigInt(out[at]!.imm);
    out.push(...g.out);
  }
  return { insns: out, nondeterministic };
}
