// The reference interpreter: written to be obviously correct, not fast. Registers are unsigned 64-bit
// BigInts and every operation is spelled out from RFC 9669 (ISA v4). The JIT is tested against it.
//
// Calling convention (bpf-to-bpf): r1–r5 carry arguments, r0 the result; the callee starts with r0 and
// r6–r9 at 0, and r1–r9 and r10 are restored when it exits, so the caller sees the values it had before
// the call (the verifier forbids reading the scratch ones; the JIT behaves the same way, which keeps the
// two comparable).

import { callDepthFault, memFault, RuntimeFault } from '../errors.js';
import { helperArgFault } from '../runtime/helper_args.js';
import { helperName, type HelperTable } from '../helpers/index.js';
import {
  AluOp,
  AtomicOp,
  Class,
  FP,
  JmpOp,
  MAX_FRAMES,
  Mode,
  NUM_REGS,
  PseudoLd,
  sizeBytes,
  Source,
  STACK_SIZE,
} from '../isa/opcodes.js';
import type { Insn } from '../isa/insn.js';
import { CTX, CTX_BASE, MAX_TAIL_CALL_CNT, RUN, RUN_BASE, STACK_REGION, STACK_TOP, type EngineMemory, type Region } from '../runtime/memory.js';
import type { Engine, EngineOptions, RunRequest, RunResult } from '../runtime/types.js';

const U64 = (x: bigint): bigint => BigInt.asUintN(64, x);
const U32 = (x: bigint): bigint => BigInt.asUintN(32, x);

export interface TraceEvent {
  /** Instruction index (slot). */
  pc: number;
  insn: Insn;
  /** Call depth, 0 for the entry function. */
  frame: number;
  /** Registers this instruction changed: [register, before, after]. */
  changed: Array<[number, bigint, bigint]>;
}

export interface InterpreterOptions extends EngineOptions {
  /** Stop with RUN_INSN_LIMIT after this many executed instructions (default 100M: a few seconds). */
  maxInstructions?: number;
  /** Called after every executed instruction. */
  trace?: (ev: TraceEvent) => void;
  /** Resolve bpf_tail_call(ctx, map, index) to the target program's interpreter (undefined: no entry). */
  tailCall?: (map: bigint, index: bigint) => Interpreter | undefined;
}

/** Instructions one run may execute unless told otherwise: an unbounded loop ends, it does not hang. */
export const DEFAULT_MAX_INSTRUCTIONS = 100_000_000;

const HELPER_TAIL_CALL = 12;
const HELPER_LOOP = 181;
/** Interpreter callback values: a tag in the high bits, the subprogram's slot in the low 32. */
const CALLBACK_TAG = 0xcb00_0000_0000_0000n;
const CALLBACK_TAG_MASK = 0xffff_ffff_0000_0000n;

interface Frame {
  returnPc: number;
  saved: bigint[]; // r1–r10 of the caller
}

export class Interpreter implements Engine {
  readonly name = 'interp' as const;
  /** Instructions executed by the last run (each ld_imm64 counts once). */
  executed = 0;

  private readonly prog: readonly Insn[];
  private readonly mem: EngineMemory;
  private readonly helpers: HelperTable;
  private readonly checked: boolean;
  private readonly maxInstructions: number;
  private readonly trace: ((ev: TraceEvent) => void) | undefined;
  private readonly tailCall: InterpreterOptions['tailCall'];
  private regions: readonly Region[] = [];
  // Per instruction, its immediate and offset as BigInts: made once, not at every execution.
  private readonly immBig: bigint[];
  private readonly offBig: bigint[];
  // One DataView over the memory, remade only when a grow replaces the buffer.
  private dv: DataView;

  constructor(prog: readonly Insn[], opts: InterpreterOptions) {
    this.prog = prog;
    this.immBig = prog.map((i) => BigInt(i.imm));
    this.offBig = prog.map((i) => BigInt(i.off));
    this.dv = new DataView(opts.memory.memory.buffer);
    this.mem = opts.memory;
    this.helpers = opts.helpers;
    this.checked = opts.checked ?? true;
    this.maxInstructions = opts.maxInstructions ?? DEFAULT_MAX_INSTRUCTIONS;
    this.trace = opts.trace;
    this.tailCall = opts.tailCall;
  }

  run(req: RunRequest): RunResult {
    const r: bigint[] = new Array(NUM_REGS).fill(0n);
    for (let i = 0; i < 5; i++) r[i + 1] = U64(req.args[i] ?? 0n);
    r[FP] = BigInt(STACK_TOP);
    this.regions = [STACK_REGION, ...req.regions];
    this.executed = 0;
    if (this.tailCall) this.mem.view().setUint32(RUN_BASE + RUN.TAIL_CALLS, 0, true); // a new tail-call chain
    return { r0: this.exec(0, r, 0) };
  }

  /**
   * The regions this program checks against when reached by a tail call (its own maps, not the
   * caller's); unset, it takes the caller's.
   */
  setRegions(regions: readonly Region[]): void {
    this.own = [STACK_REGION, ...regions];
  }
  private own: readonly Region[] | undefined;

  /** A tail call into this program: same frame (r10, depth) as the caller, same chain count. */
  runTail(r1: bigint, r10: bigint, depth: number, regions: readonly Region[]): bigint {
    const r: bigint[] = new Array(NUM_REGS).fill(0n);
    r[1] = r1;
    r[FP] = r10;
    this.regions = this.own ?? regions;
    return this.exec(0, r, depth);
  }

  /** Run from `start` with registers `r` at call depth `depth` until that function exits; returns r0. */
  private exec(start: number, r: bigint[], depth: number): bigint {
    const frames: Frame[] = [];
    let pc = start;
    // Leave the current function with r0: back to the caller's frame, or out of exec.
    const leave = (): number | undefined => {
      const f = frames.pop();
      if (!f) return undefined;
      for (let i = 1; i <= FP; i++) r[i] = f.saved[i - 1]!;
      return f.returnPc;
    };

    for (;;) {
      const ins = this.prog[pc];
      if (ins === undefined || ins.isLdImm64Tail) {
        // The load-time check makes this unreachable; unchecked callers still get a typed error.
        throw new RuntimeFault('RUN_MEM_FAULT', `execution left the program (no instruction at ${pc})`, pc);
      }
      if (++this.executed > this.maxInstructions) {
        throw new RuntimeFault('RUN_INSN_LIMIT', `instruction limit ${this.maxInstructions} reached`, pc);
      }
      const before = this.trace ? r.slice() : undefined;
      const at = pc;
      const cls = ins.code & 0x07;
      let next = pc + 1;

      switch (cls) {
        case Class.ALU:
        case Class.ALU64:
          r[ins.dst] = this.alu(ins, r, cls === Class.ALU64, pc, this.immBig[pc]!);
          break;
        case Class.JMP:
        case Class.JMP32: {
          const o = ins.code & 0xf0;
          if (o === JmpOp.EXIT) {
            const back = leave();
            this.emitTrace(at, ins, depth + frames.length, before, r);
            if (back === undefined) return r[0]!;
            next = back;
          } else if (o === JmpOp.CALL) {
            if (this.checked && ins.src !== 1 && (ins.code & Source.X) === 0) {
              const f = helperArgFault(ins.imm, [r[1]!, r[2]!, r[3]!, r[4]!, r[5]!], this.regions, this.mem, pc);
              if (f) throw f;
            }
            if (ins.src === 1) {
              if (depth + frames.length + 1 >= MAX_FRAMES) throw callDepthFault(pc, MAX_FRAMES);
              frames.push({ returnPc: pc + 1, saved: r.slice(1, FP + 1) });
              r[FP] = r[FP]! - BigInt(STACK_SIZE);
              r[0] = 0n; // the callee starts with r1–r5 only; r0 and r6–r9 read as 0 until written
              for (let i = 6; i <= 9; i++) r[i] = 0n;
              next = pc + ins.imm + 1;
            } else if ((ins.code & Source.X) === 0 && ins.imm === HELPER_TAIL_CALL && this.tailCall) {
              // On success the target replaces this function: its r0 is what this function returns.
              const view = this.mem.view();
              const count = view.getUint32(RUN_BASE + RUN.TAIL_CALLS, true);
              const target = count < MAX_TAIL_CALL_CNT ? this.tailCall(r[2]!, r[3]!) : undefined;
              if (target) {
                view.setUint32(RUN_BASE + RUN.TAIL_CALLS, count + 1, true);
                const saved = this.regions;
                r[0] = target.runTail(r[1]!, r[FP]!, depth + frames.length, saved);
                this.regions = saved;
                const back = leave();
                this.emitTrace(at, ins, depth + frames.length, before, r);
                if (back === undefined) return r[0]!;
                next = back;
              }
            } else if ((ins.code & Source.X) === 0 && ins.imm === HELPER_LOOP && (r[2]! & CALLBACK_TAG_MASK) === CALLBACK_TAG) {
              r[0] = this.loop(r, depth + frames.length, pc);
            } else {
              const id = (ins.code & Source.X) !== 0 ? Number(U32(r[ins.dst]!)) : ins.imm;
              r[0] = this.callHelper(id, r, pc);
            }
          } else if (o === JmpOp.JA) {
            next = pc + 1 + (cls === Class.JMP32 ? ins.imm : ins.off);
          } else if (this.condition(ins, r, cls === Class.JMP32, this.immBig[pc]!)) {
            next = pc + 1 + ins.off;
          }
          break;
        }
        case Class.LD: // only ld_imm64 passes the load-time check
          // A callback's "address" (BPF_PSEUDO_FUNC) is a tagged slot number only this engine reads.
          r[ins.dst] = ins.src === PseudoLd.FUNC ? CALLBACK_TAG | BigInt(pc + ins.imm + 1) : U64(ins.imm64 ?? BigInt(ins.imm >>> 0));
          next = pc + 2;
          break;
        case Class.LDX: {
          const sz = sizeBytes(ins.code);
          const addr = this.addr(r[ins.src]!, this.offBig[pc]!, sz, false, pc);
          const v = this.load(addr, sz);
          r[ins.dst] = (ins.code & 0xe0) === Mode.MEMSX ? U64(BigInt.asIntN(sz * 8, v)) : v;
          break;
        }
        case Class.ST: {
          const sz = sizeBytes(ins.code);
          this.store(this.addr(r[ins.dst]!, this.offBig[pc]!, sz, true, pc), sz, U64(this.immBig[pc]!));
          break;
        }
        case Class.STX: {
          const sz = sizeBytes(ins.code);
          const addr = this.addr(r[ins.dst]!, this.offBig[pc]!, sz, true, pc);
          if ((ins.code & 0xe0) === Mode.ATOMIC) this.atomic(ins, r, addr, sz);
          else this.store(addr, sz, r[ins.src]!);
          break;
        }
      }
      this.emitTrace(at, ins, frames.length, before, r);
      pc = next;
    }
  }

  /** bpf_loop(nr, callback, ctx, flags) with an interpreter callback: each call is a new frame. */
  private loop(r: bigint[], depth: number, pc: number): bigint {
    const [nr, cb, ctx, flags] = [r[1]!, r[2]!, r[3]!, r[4]!];
    if (flags !== 0n) return U64(-22n); // -EINVAL
    if (nr > 1n << 23n) return U64(-7n); // -E2BIG
    if (nr > 0n && depth + 1 >= MAX_FRAMES) throw callDepthFault(pc, MAX_FRAMES);
    const target = Number(cb & 0xffffffffn);
    for (let i = 0n; i < nr; i++) {
      const regs: bigint[] = new Array(NUM_REGS).fill(0n);
      regs[1] = i;
      regs[2] = ctx;
      regs[FP] = r[FP]! - BigInt(STACK_SIZE);
      if (this.exec(target, regs, depth + 1) !== 0n) return i + 1n;
    }
    return nr;
  }

  private emitTrace(pc: number, ins: Insn, frame: number, before: bigint[] | undefined, r: bigint[]): void {
    if (!this.trace || !before) return;
    const changed: Array<[number, bigint, bigint]> = [];
    for (let i = 0; i < NUM_REGS; i++) if (before[i] !== r[i]) changed.push([i, before[i]!, r[i]!]);
    this.trace({ pc, insn: ins, frame, changed });
  }

  private alu(ins: Insn, r: bigint[], is64: boolean, pc: number, imm: bigint): bigint {
    const w = is64 ? 64 : 32;
    const trunc = is64 ? U64 : U32;
    const a = trunc(r[ins.dst]!);
    // The K operand is the immediate sign-extended to 64 bits (then truncated for ALU32).
    const b = trunc((ins.code & Source.X) !== 0 ? r[ins.src]! : imm);
    // The signed views (BigInt.asIntN(w, x)) are made only by the operations that read them.
    const signed = ins.off === 1;
    switch (ins.code & 0xf0) {
      case AluOp.ADD:
        return trunc(a + b);
      case AluOp.SUB:
        return trunc(a - b);
      case AluOp.MUL:
        return trunc(a * b);
      case AluOp.DIV:
        if (b === 0n) return 0n;
        return signed ? trunc(BigInt.asIntN(w, a) / BigInt.asIntN(w, b)) : a / b; // BigInt division truncates toward zero, as C does
      case AluOp.MOD:
        if (b === 0n) return a;
        return signed ? trunc(BigInt.asIntN(w, a) % BigInt.asIntN(w, b)) : a % b; // the remainder takes the dividend's sign, as C's does
      case AluOp.OR:
        return a | b;
      case AluOp.AND:
        return a & b;
      case AluOp.XOR:
        return a ^ b;
      case AluOp.LSH:
        return trunc(a << (b & BigInt(w - 1)));
      case AluOp.RSH:
        return a >> (b & BigInt(w - 1));
      case AluOp.ARSH:
        return trunc(BigInt.asIntN(w, a) >> (b & BigInt(w - 1)));
      case AluOp.NEG:
        return trunc(-a);
      case AluOp.MOV:
        if (ins.off === 0) return b;
        return trunc(BigInt.asIntN(ins.off, r[ins.src]!)); // movsx: sign-extend from off bits
      case AluOp.END: {
        const bits = ins.imm;
        const v = BigInt.asUintN(bits, r[ins.dst]!);
        // ALU|END|K is "to little endian": on a little-endian machine only the truncation remains.
        if (!is64 && (ins.code & Source.X) === 0) return v;
        return byteSwap(v, bits / 8);
      }
      default:
        throw new RuntimeFault('RUN_MEM_FAULT', `unknown ALU opcode 0x${ins.code.toString(16)}`, pc);
    }
  }

  private condition(ins: Insn, r: bigint[], is32: boolean, imm: bigint): boolean {
    const w = is32 ? 32 : 64;
    const trunc = is32 ? U32 : U64;
    const a = trunc(r[ins.dst]!);
    const b = trunc((ins.code & Source.X) !== 0 ? r[ins.src]! : imm);
    switch (ins.code & 0xf0) {
      case JmpOp.JEQ:
        return a === b;
      case JmpOp.JNE:
        return a !== b;
      case JmpOp.JGT:
        return a > b;
      case JmpOp.JGE:
        return a >= b;
      case JmpOp.JLT:
        return a < b;
      case JmpOp.JLE:
        return a <= b;
      case JmpOp.JSET:
        return (a & b) !== 0n;
      case JmpOp.JSGT:
        return BigInt.asIntN(w, a) > BigInt.asIntN(w, b);
      case JmpOp.JSGE:
        return BigInt.asIntN(w, a) >= BigInt.asIntN(w, b);
      case JmpOp.JSLT:
        return BigInt.asIntN(w, a) < BigInt.asIntN(w, b);
      case JmpOp.JSLE:
        return BigInt.asIntN(w, a) <= BigInt.asIntN(w, b);
      default:
        return false;
    }
  }

  private callHelper(id: number, r: bigint[], pc: number): bigint {
    const h = this.helpers.get(id);
    if (!h) throw new RuntimeFault('RUN_HELPER', `call to unknown helper ${helperName(id)} (id ${id})`, pc);
    return U64(h.fn(r[1]!, r[2]!, r[3]!, r[4]!, r[5]!, { mem: this.mem, pc }));
  }

  /** Effective address of an access, checked against the regions in checked mode. */
  private addr(base: bigint, off: bigint, size: number, write: boolean, pc: number): number {
    const a = U64(base + off);
    const len = this.mem.memory.buffer.byteLength;
    if (this.checked) {
      const ok = this.regions.some((g) => {
        if (!g.packet) return a >= BigInt(g.start) && a + BigInt(size) <= BigInt(g.end) && (!write || g.writable);
        const v = this.mem.view();
        const meta = BigInt(v.getUint32(CTX_BASE + CTX.DATA_META, true));
        return a >= meta && a + BigInt(size) <= BigInt(v.getUint32(CTX_BASE + CTX.DATA_END, true)) && (!write || g.writable);
      });
      if (!ok) throw memFault(pc, a, size, write);
    } else if (a + BigInt(size) > BigInt(len)) {
      throw memFault(pc, a, size, write); // even unchecked, never touch memory that is not there
    }
    return Number(a);
  }

  private view(): DataView {
    const buf = this.mem.memory.buffer;
    if (this.dv.buffer !== buf) this.dv = new DataView(buf);
    return this.dv;
  }

  private load(addr: number, size: number): bigint {
    const v = this.view();
    switch (size) {
      case 1:
        return BigInt(v.getUint8(addr));
      case 2:
        return BigInt(v.getUint16(addr, true));
      case 4:
        return BigInt(v.getUint32(addr, true));
      default:
        return v.getBigUint64(addr, true);
    }
  }

  private store(addr: number, size: number, value: bigint): void {
    const v = this.view();
    switch (size) {
      case 1:
        return v.setUint8(addr, Number(value & 0xffn));
      case 2:
        return v.setUint16(addr, Number(value & 0xffffn), true);
      case 4:
        return v.setUint32(addr, Number(value & 0xffffffffn), true);
      default:
        return v.setBigUint64(addr, U64(value), true);
    }
  }

  private atomic(ins: Insn, r: bigint[], addr: number, size: number): void {
    const trunc = size === 8 ? U64 : U32;
    const old = this.load(addr, size);
    const operand = trunc(r[ins.src]!);
    const aop = ins.imm;
    if (aop === AtomicOp.CMPXCHG) {
      if (old === trunc(r[0]!)) this.store(addr, size, operand);
      r[0] = old;
      return;
    }
    if (aop === AtomicOp.XCHG) {
      this.store(addr, size, operand);
      r[ins.src] = old;
      return;
    }
    let nv: bigint;
    switch (aop & ~AtomicOp.FETCH) {
      case AtomicOp.ADD:
        nv = trunc(old + operand);
        break;
      case AtomicOp.OR:
        nv = old | operand;
        break;
      case AtomicOp.AND:
        nv = old & operand;
        break;
      default:
        nv = old ^ operand;
        break;
    }
    this.store(addr, size, nv);
    if (aop & AtomicOp.FETCH) r[ins.src] = old;
  }
}

function byteSwap(v: bigint, bytes: number): bigint {
  let out = 0n;
  for (let i = 0; i < bytes; i++) out = (out << 8n) | ((v >> BigInt(8 * i)) & 0xffn);
  return out;
}
