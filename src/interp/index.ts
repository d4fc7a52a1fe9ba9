// The reference interpreter: the JIT is tested against it, and it is the quick path (`--engine interp`,
// the conformance plugin, short CLI runs), so it is written to be checked line by line against RFC 9669
// (ISA v4) AND to run without BigInt in the hot path.
//
// Registers are pairs of 32-bit halves, lo in L[r] and hi in H[r] (Int32Array: the bits, read unsigned
// with `>>> 0` where the operation is unsigned). 64-bit add/sub carry between the halves, multiply is
// done on 16-bit limbs (exact mod 2^64), shifts move bits across the halves; only 64-bit div/mod with an
// operand outside 32 bits, and the odd encodings the loader rejects anyway, take the BigInt path
// (aluBig, the operation spelled out on unsigned 64-bit BigInts). BigInts appear at the edges only: the
// run() arguments and result, helper calls, tail calls, faults and the trace.
//
// The program is decoded once into typed arrays (opcode, dst, src, off, imm per slot), the dispatch a
// switch on the class, then on the operation.
//
// Calling convention (bpf-to-bpf): r1–r5 carry arguments, r0 the result; the callee starts with r0 and
// r6–r9 at 0, and r1–r9 and r10 are restored when it exits, so the caller sees the values it had before
// the call (the verifier forbids reading the scratch ones; the JIT behaves the same way, which keeps the
// two comparable).

import { callDepthFault, memFault, RuntimeFault } from '../errors.js';
import { helperArgFault } from '../runtime/helper_args.js';
import { helperName, type HelperTable } from '../helpers/index.js';
import { AluOp, Class, FP, MAX_FRAMES, NUM_REGS, Source, STACK_SIZE } from '../isa/opcodes.js';
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
/** Interpreter callback values: a tag in the high half, the subprogram's slot in the low one. */
const CALLBACK_TAG_HI = 0xcb00_0000 | 0;
/** Opcode slot of an ld_imm64 tail (and of no instruction): execution reaching it left the program. */
const NO_INSN = -1;
const TWO32 = 4294967296;
/** Access width in bytes by the size field, bits 3–4 of the opcode: W, H, B, DW. */
const SIZE_BYTES = [4, 2, 1, 8] as const;

/** The 64-bit value of a register pair. */
const big = (lo: number, hi: number): bigint => (hi === 0 ? BigInt(lo >>> 0) : (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0));

interface Frame {
  returnPc: number;
  saved: Int32Array; // r1–r10 of the caller: lo halves at 0–9, hi halves at 10–19
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
  private lastReqRegions: readonly Region[] | undefined;
  // The decoded program, one entry per slot (an ld_imm64 takes two: its tail is NO_INSN, its high
  // half is in IMMHI of the head).
  private readonly OP: Int32Array;
  private readonly DST: Uint8Array;
  private readonly SRC: Uint8Array;
  private readonly OFF: Int32Array;
  private readonly IMM: Int32Array;
  private readonly IMMHI: Int32Array;
  // The entry frame's registers, reused by every run.
  private readonly L = new Int32Array(NUM_REGS);
  private readonly H = new Int32Array(NUM_REGS);
  // One DataView over the memory, remade only when a grow replaces the buffer.
  private dv: DataView;

  constructor(prog: readonly Insn[], opts: InterpreterOptions) {
    this.prog = prog;
    const n = prog.length;
    this.OP = new Int32Array(n);
    this.DST = new Uint8Array(n);
    this.SRC = new Uint8Array(n);
    this.OFF = new Int32Array(n);
    this.IMM = new Int32Array(n);
    this.IMMHI = new Int32Array(n);
    prog.forEach((i, pc) => {
      this.OP[pc] = i.isLdImm64Tail ? NO_INSN : i.code;
      this.DST[pc] = i.dst;
      this.SRC[pc] = i.src;
      this.OFF[pc] = i.off;
      // K operands are the immediate sign-extended to 64 bits; ld_imm64 carries its own 64-bit constant.
      const wide = (i.code & 0x07) === Class.LD ? i.imm64 : undefined;
      this.IMM[pc] = wide === undefined ? i.imm : Number(BigInt.asIntN(32, wide));
      this.IMMHI[pc] = wide !== undefined ? Number(BigInt.asIntN(32, wide >> 32n)) : (i.code & 0x07) === Class.LD ? 0 : i.imm >> 31;
    });
    this.dv = new DataView(opts.memory.memory.buffer);
    this.mem = opts.memory;
    this.helpers = opts.helpers;
    this.checked = opts.checked ?? true;
    this.maxInstructions = opts.maxInstructions ?? DEFAULT_MAX_INSTRUCTIONS;
    this.trace = opts.trace;
    this.tailCall = opts.tailCall;
  }

  run(req: RunRequest): RunResult {
    const L = this.L;
    const H = this.H;
    L.fill(0);
    H.fill(0);
    for (let i = 0; i < 5; i++) {
      const a = req.args[i];
      if (a !== undefined) this.setBig(L, H, i + 1, a);
    }
    L[FP] = STACK_TOP;
    if (req.regions !== this.lastReqRegions) {
      this.lastReqRegions = req.regions;
      this.regions = [STACK_REGION, ...req.regions];
      this.runRegions = this.regions;
    } else {
      this.regions = this.runRegions;
    }
    this.executed = 0;
    if (this.tailCall) this.view().setUint32(RUN_BASE + RUN.TAIL_CALLS, 0, true); // a new tail-call chain
    this.exec(0, L, H, 0);
    return { r0: big(L[0]!, H[0]!) };
  }
  private runRegions: readonly Region[] = [];

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
    const L = new Int32Array(NUM_REGS);
    const H = new Int32Array(NUM_REGS);
    this.setBig(L, H, 1, r1);
    this.setBig(L, H, FP, r10);
    this.regions = this.own ?? regions;
    this.exec(0, L, H, depth);
    return big(L[0]!, H[0]!);
  }

  private setBig(L: Int32Array, H: Int32Array, r: number, v: bigint): void {
    L[r] = Number(v & 0xffff_ffffn) | 0;
    H[r] = Number(BigInt.asUintN(64, v) >> 32n) | 0;
  }

  private view(): DataView {
    const buf = this.mem.memory.buffer;
    if (this.dv.buffer !== buf) this.dv = new DataView(buf);
    return this.dv;
  }

  /**
   * Run from `start` with registers (L, H) at call depth `depth` until that function exits; r0 is left
   * in L[0], H[0].
   */
  private exec(start: number, L: Int32Array, H: Int32Array, depth: number): void {
    const { OP, DST, SRC, OFF, IMM, IMMHI } = this;
    const frames: Frame[] = [];
    const tracing = this.trace !== undefined;
    const checked = this.checked;
    let dv = this.view();
    let pc = start;
    for (;;) {
      const code = OP[pc];
      if (code === undefined || code === NO_INSN) {
        // The load-time check makes this unreachable; unchecked callers still get a typed error.
        throw new RuntimeFault('RUN_MEM_FAULT', `execution left the program (no instruction at ${pc})`, pc);
      }
      if (++this.executed > this.maxInstructions) {
        throw new RuntimeFault('RUN_INSN_LIMIT', `instruction limit ${this.maxInstructions} reached`, pc);
      }
      const before = tracing ? [L.slice(), H.slice()] as const : undefined;
      const at = pc;
      const d = DST[pc]!;
      let next = pc + 1;

      switch (code & 0x07) {
        case 0x07: { // ALU64
          const al = L[d]!;
          const ah = H[d]!;
          let bl: number;
          let bh: number;
          if (code & 0x08 /* X */) {
            bl = L[SRC[pc]!]!;
            bh = H[SRC[pc]!]!;
          } else {
            bl = IMM[pc]!;
            bh = IMMHI[pc]!;
          }
          switch (code & 0xf0) {
            case 0x00: { // ADD
              const lo = (al >>> 0) + (bl >>> 0);
              L[d] = lo | 0;
              H[d] = (ah + bh + (lo >= TWO32 ? 1 : 0)) | 0;
              break;
            }
            case 0x10: // SUB
              L[d] = (al - bl) | 0;
              H[d] = (ah - bh - ((al >>> 0) < (bl >>> 0) ? 1 : 0)) | 0;
              break;
            case 0x20: // MUL
              L[d] = Math.imul(al, bl);
              H[d] = (mulHighU32(al >>> 0, bl >>> 0) + Math.imul(al, bh) + Math.imul(ah, bl)) | 0;
              break;
            case 0x40: // OR
              L[d] = al | bl;
              H[d] = ah | bh;
              break;
            case 0x50: // AND
              L[d] = al & bl;
              H[d] = ah & bh;
              break;
            case 0xa0: // XOR
              L[d] = al ^ bl;
              H[d] = ah ^ bh;
              break;
            case 0x60: { // LSH
              const n = bl & 63;
              if (n === 0) break;
              if (n < 32) {
                H[d] = (ah << n) | (al >>> (32 - n));
                L[d] = al << n;
              } else {
                H[d] = al << (n - 32);
                L[d] = 0;
              }
              break;
            }
            case 0x70: { // RSH
              const n = bl & 63;
              if (n === 0) break;
              if (n < 32) {
                L[d] = (al >>> n) | (ah << (32 - n));
                H[d] = ah >>> n;
              } else {
                L[d] = ah >>> (n - 32);
                H[d] = 0;
              }
              break;
            }
            case 0xc0: { // ARSH
              const n = bl & 63;
              if (n === 0) break;
              if (n < 32) {
                L[d] = (al >>> n) | (ah << (32 - n));
                H[d] = ah >> n;
              } else {
                L[d] = ah >> (n - 32);
                H[d] = ah >> 31;
              }
              break;
            }
            case 0x80: // NEG
              L[d] = -al | 0;
              H[d] = (~ah + (al === 0 ? 1 : 0)) | 0;
              break;
            case 0xb0: { // MOV
              const off = OFF[pc]!;
              if (off === 0) {
                L[d] = bl;
                H[d] = bh;
              } else if (off === 8 || off === 16 || off === 32) {
                // movsx: sign-extend the low `off` bits of src
                const sh = 32 - off;
                const v = (L[SRC[pc]!]! << sh) >> sh;
                L[d] = v;
                H[d] = v >> 31;
              } else this.slowAlu(pc, L, H, true);
              break;
            }
            case 0x30: // DIV
            case 0x90: // MOD
              if (!this.divide(pc, code, L, H, d, al, ah, bl, bh, true)) this.slowAlu(pc, L, H, true);
              break;
            case 0xd0: // END
              // ALU64 END is bswap, whatever the source bit
              this.byteSwap(L, H, d, IMM[pc]!);
              break;
            default:
              this.slowAlu(pc, L, H, true);
          }
          break;
        }
        case 0x04: { // ALU
          if ((code & 0xf0) === 0xd0 /* END */) {
            // ALU|END|X is "to big endian" (a swap); ALU|END|K "to little endian": on a little-endian
            // machine only the truncation to the width remains.
            const bits = IMM[pc]!;
            if (code & 0x08 /* X */) this.byteSwap(L, H, d, bits);
            else if (bits === 16) {
              L[d] = L[d]! & 0xffff;
              H[d] = 0;
            } else if (bits === 32) H[d] = 0;
            else if (bits !== 64) this.slowAlu(pc, L, H, false);
            break;
          }
          const a = L[d]!;
          const b = code & 0x08 /* X */ ? L[SRC[pc]!]! : IMM[pc]!;
          let v: number;
          switch (code & 0xf0) {
            case 0x00: // ADD
              v = (a + b) | 0;
              break;
            case 0x10: // SUB
              v = (a - b) | 0;
              break;
            case 0x20: // MUL
              v = Math.imul(a, b);
              break;
            case 0x40: // OR
              v = a | b;
              break;
            case 0x50: // AND
              v = a & b;
              break;
            case 0xa0: // XOR
              v = a ^ b;
              break;
            case 0x60: // LSH
              v = a << (b & 31);
              break;
            case 0x70: // RSH
              v = a >>> (b & 31);
              break;
            case 0xc0: // ARSH
              v = a >> (b & 31);
              break;
            case 0x80: // NEG
              v = -a | 0;
              break;
            case 0xb0: { // MOV
              const off = OFF[pc]!;
              if (off === 0) v = b;
              else if (off === 8 || off === 16) v = (L[SRC[pc]!]! << (32 - off)) >> (32 - off);
              else if (off === 32) v = L[SRC[pc]!]!;
              else {
                this.slowAlu(pc, L, H, false);
                v = L[d]!;
              }
              break;
            }
            case 0x30: // DIV
            case 0x90: // MOD
              if (!this.divide(pc, code, L, H, d, a, 0, b, 0, false)) this.slowAlu(pc, L, H, false);
              v = L[d]!;
              break;
            default:
              this.slowAlu(pc, L, H, false);
              v = L[d]!;
          }
          L[d] = v;
          H[d] = 0;
          break;
        }
        case 0x05: // JMP
        case 0x06: { // JMP32
          const o = code & 0xf0;
          if (o === 0x90 /* EXIT */) {
            const back = leave(frames, L, H);
            if (tracing) this.emitTrace(at, depth + frames.length, before, L, H);
            if (back < 0) return;
            next = back;
          } else if (o === 0x80 /* CALL */) {
            const src = SRC[pc]!;
            const imm = IMM[pc]!;
            const byReg = (code & 0x08 /* X */) !== 0;
            if (checked && src !== 1 && !byReg) {
              const f = helperArgFault(imm, [1, 2, 3, 4, 5].map((r) => big(L[r]!, H[r]!)), this.regions, this.mem, pc);
              if (f) throw f;
            }
            if (src === 1) {
              if (depth + frames.length + 1 >= MAX_FRAMES) throw callDepthFault(pc, MAX_FRAMES);
              const saved = new Int32Array(20);
              saved.set(L.subarray(1, FP + 1), 0);
              saved.set(H.subarray(1, FP + 1), 10);
              frames.push({ returnPc: pc + 1, saved });
              // r10 - STACK_SIZE on the pair (r10 is a small address: no borrow in practice, done anyway)
              const fl = L[FP]!;
              L[FP] = (fl - STACK_SIZE) | 0;
              if ((fl >>> 0) < STACK_SIZE) H[FP] = (H[FP]! - 1) | 0;
              // the callee starts with r1–r5 only; r0 and r6–r9 read as 0 until written
              L[0] = H[0] = 0;
              for (let i = 6; i <= 9; i++) L[i] = H[i] = 0;
              next = pc + imm + 1;
            } else if (!byReg && imm === HELPER_TAIL_CALL && this.tailCall) {
              // On success the target replaces this function: its r0 is what this function returns.
              const view = this.mem.view();
              const count = view.getUint32(RUN_BASE + RUN.TAIL_CALLS, true);
              const target = count < MAX_TAIL_CALL_CNT ? this.tailCall(big(L[2]!, H[2]!), big(L[3]!, H[3]!)) : undefined;
              if (target) {
                view.setUint32(RUN_BASE + RUN.TAIL_CALLS, count + 1, true);
                const saved = this.regions;
                this.setBig(L, H, 0, target.runTail(big(L[1]!, H[1]!), big(L[FP]!, H[FP]!), depth + frames.length, saved));
                this.regions = saved;
                dv = this.view();
                const back = leave(frames, L, H);
                if (tracing) this.emitTrace(at, depth + frames.length, before, L, H);
                if (back < 0) return;
                next = back;
              }
            } else if (!byReg && imm === HELPER_LOOP && H[2] === CALLBACK_TAG_HI) {
              this.setBig(L, H, 0, this.loop(L, H, depth + frames.length, pc));
              dv = this.view();
            } else {
              const id = byReg ? L[d]! >>> 0 : imm;
              this.callHelper(id, L, H, pc);
              dv = this.view();
            }
          } else if (o === 0x00 /* JA */) {
            next = pc + 1 + ((code & 0x07) === 0x06 /* JMP32 */ ? IMM[pc]! : OFF[pc]!);
          } else {
            const x = (code & 0x08 /* X */) !== 0;
            const al = L[d]!;
            const bl = x ? L[SRC[pc]!]! : IMM[pc]!;
            let take: boolean;
            if ((code & 0x07) === 0x06 /* JMP32 */) {
              switch (o) {
                case 0x10 /* JEQ */: take = al === bl; break;
                case 0x50 /* JNE */: take = al !== bl; break;
                case 0x20 /* JGT */: take = al >>> 0 > bl >>> 0; break;
                case 0x30 /* JGE */: take = al >>> 0 >= bl >>> 0; break;
                case 0xa0 /* JLT */: take = al >>> 0 < bl >>> 0; break;
                case 0xb0 /* JLE */: take = al >>> 0 <= bl >>> 0; break;
                case 0x40 /* JSET */: take = (al & bl) !== 0; break;
                case 0x60 /* JSGT */: take = al > bl; break;
                case 0x70 /* JSGE */: take = al >= bl; break;
                case 0xc0 /* JSLT */: take = al < bl; break;
                case 0xd0 /* JSLE */: take = al <= bl; break;
                default: take = false;
              }
            } else {
              const ah = H[d]!;
              const bh = x ? H[SRC[pc]!]! : IMMHI[pc]!;
              switch (o) {
                case 0x10 /* JEQ */: take = al === bl && ah === bh; break;
                case 0x50 /* JNE */: take = al !== bl || ah !== bh; break;
                case 0x20 /* JGT */: take = cmpU(al, ah, bl, bh) > 0; break;
                case 0x30 /* JGE */: take = cmpU(al, ah, bl, bh) >= 0; break;
                case 0xa0 /* JLT */: take = cmpU(al, ah, bl, bh) < 0; break;
                case 0xb0 /* JLE */: take = cmpU(al, ah, bl, bh) <= 0; break;
                case 0x40 /* JSET */: take = ((al & bl) | (ah & bh)) !== 0; break;
                case 0x60 /* JSGT */: take = cmpS(al, ah, bl, bh) > 0; break;
                case 0x70 /* JSGE */: take = cmpS(al, ah, bl, bh) >= 0; break;
                case 0xc0 /* JSLT */: take = cmpS(al, ah, bl, bh) < 0; break;
                case 0xd0 /* JSLE */: take = cmpS(al, ah, bl, bh) <= 0; break;
                default: take = false;
              }
            }
            if (take) next = pc + 1 + OFF[pc]!;
          }
          break;
        }
        case 0x00: // LD // only ld_imm64 passes the load-time check
          if (SRC[pc] === 4 /* PseudoLd.FUNC */) {
            // A callback's "address" (BPF_PSEUDO_FUNC) is a tagged slot number only this engine reads.
            L[d] = pc + IMM[pc]! + 1;
            H[d] = CALLBACK_TAG_HI;
          } else {
            L[d] = IMM[pc]!;
            H[d] = IMMHI[pc]!;
          }
          next = pc + 2;
          break;
        case 0x01: { // LDX
          const s = SRC[pc]!;
          const sz = SIZE_BYTES[(code >> 3) & 3]!;
          const a = this.addr(L[s]!, H[s]!, OFF[pc]!, sz, false, pc);
          if (a + 8 > dv.byteLength) dv = this.view(); // a grow replaced the buffer (addr checked the real length)
          if ((code & 0xe0) === 0x80 /* MEMSX */) {
            const v = sz === 1 ? dv.getInt8(a) : sz === 2 ? dv.getInt16(a, true) : dv.getInt32(a, true);
            L[d] = v;
            H[d] = v >> 31;
          } else if (sz === 8) {
            L[d] = dv.getInt32(a, true);
            H[d] = dv.getInt32(a + 4, true);
          } else {
            L[d] = sz === 1 ? dv.getUint8(a) : sz === 2 ? dv.getUint16(a, true) : dv.getInt32(a, true);
            H[d] = 0;
          }
          break;
        }
        case 0x02: // ST
        case 0x03: { // STX
          const sz = SIZE_BYTES[(code >> 3) & 3]!;
          const a = this.addr(L[d]!, H[d]!, OFF[pc]!, sz, true, pc);
          if (a + 8 > dv.byteLength) dv = this.view();
          let vl: number;
          let vh: number;
          if ((code & 0x07) === 0x02 /* ST */) {
            vl = IMM[pc]!;
            vh = IMMHI[pc]!;
          } else if ((code & 0xe0) === 0xc0 /* ATOMIC */) {
            this.atomic(pc, L, H, a, sz);
            break;
          } else {
            vl = L[SRC[pc]!]!;
            vh = H[SRC[pc]!]!;
          }
          if (sz === 1) dv.setUint8(a, vl & 0xff);
          else if (sz === 2) dv.setUint16(a, vl & 0xffff, true);
          else if (sz === 4) dv.setInt32(a, vl, true);
          else {
            dv.setInt32(a, vl, true);
            dv.setInt32(a + 4, vh, true);
          }
          break;
        }
      }
      if (tracing) this.emitTrace(at, frames.length, before, L, H);
      pc = next;
    }
  }

  /**
   * DIV/MOD (unsigned, or signed when off is 1) on numbers when both operands fit 32 bits; false when
   * the 64-bit operands need the BigInt path.
   */
  private divide(pc: number, code: number, L: Int32Array, H: Int32Array, d: number, al: number, ah: number, bl: number, bh: number, is64: boolean): boolean {
    const isMod = (code & 0xf0) === 0x90 /* MOD */;
    const off = this.OFF[pc]!;
    if (off !== 0 && off !== 1) return false;
    if (is64 && !(bl === 0 && bh === 0)) {
      const fits = off === 0 ? ah === 0 && bh === 0 : ah === al >> 31 && bh === bl >> 31;
      if (!fits) return false;
    }
    if (bl === 0 && (!is64 || bh === 0)) {
      // division by zero gives 0, modulo by zero leaves the dividend (truncated for ALU32)
      if (!isMod) L[d] = H[d] = 0;
      else {
        L[d] = al;
        H[d] = is64 ? ah : 0;
      }
      return true;
    }
    let q: number;
    if (off === 0) {
      const a = al >>> 0;
      const b = bl >>> 0;
      q = isMod ? a % b : Math.floor(a / b);
    } else {
      // C semantics: the quotient truncates toward zero, the remainder takes the dividend's sign
      q = isMod ? al % bl : Math.trunc(al / bl);
    }
    if (q === 0) q = 0; // -0
    L[d] = q | 0;
    H[d] = is64 ? Math.floor(q / TWO32) | 0 : 0;
    return true;
  }

  /** bswap of the low `bits` of a register (16, 32, 64), the result zero-extended. */
  private byteSwap(L: Int32Array, H: Int32Array, d: number, bits: number): void {
    const lo = L[d]!;
    if (bits === 16) {
      L[d] = ((lo & 0xff) << 8) | ((lo >>> 8) & 0xff);
      H[d] = 0;
    } else if (bits === 32) {
      L[d] = bswap32(lo);
      H[d] = 0;
    } else if (bits === 64) {
      L[d] = bswap32(H[d]!);
      H[d] = bswap32(lo);
    } else {
      this.slowAlu(-1, L, H, true, d, bits);
    }
  }

  /** The BigInt form of an ALU instruction, for the encodings the number paths leave out. */
  private slowAlu(pc: number, L: Int32Array, H: Int32Array, is64: boolean, dOverride?: number, bitsOverride?: number): void {
    if (pc < 0) {
      // an END width other than 16/32/64: BigInt.asUintN semantics, byte-swapped over bits/8 bytes
      const d = dOverride!;
      const v = BigInt.asUintN(bitsOverride!, big(L[d]!, H[d]!));
      let out = 0n;
      for (let i = 0; i < bitsOverride! / 8; i++) out = (out << 8n) | ((v >> BigInt(8 * i)) & 0xffn);
      this.setBig(L, H, d, out);
      return;
    }
    const ins = this.prog[pc]!;
    const r = (i: number) => big(L[i]!, H[i]!);
    this.setBig(L, H, ins.dst, aluBig(ins, r(ins.dst), r(ins.src), is64, pc));
  }

  /** bpf_loop(nr, callback, ctx, flags) with an interpreter callback: each call is a new frame. */
  private loop(L: Int32Array, H: Int32Array, depth: number, pc: number): bigint {
    const nr = big(L[1]!, H[1]!);
    const ctx = big(L[3]!, H[3]!);
    const flags = big(L[4]!, H[4]!);
    if (flags !== 0n) return U64(-22n); // -EINVAL
    if (nr > 1n << 23n) return U64(-7n); // -E2BIG
    if (nr > 0n && depth + 1 >= MAX_FRAMES) throw callDepthFault(pc, MAX_FRAMES);
    const target = L[2]! >>> 0;
    const fp = big(L[FP]!, H[FP]!) - BigInt(STACK_SIZE);
    const n = Number(nr);
    for (let i = 0; i < n; i++) {
      const cl = new Int32Array(NUM_REGS);
      const ch = new Int32Array(NUM_REGS);
      cl[1] = i;
      this.setBig(cl, ch, 2, ctx);
      this.setBig(cl, ch, FP, fp);
      this.exec(target, cl, ch, depth + 1);
      if (cl[0] !== 0 || ch[0] !== 0) return BigInt(i + 1);
    }
    return nr;
  }

  private emitTrace(pc: number, frame: number, before: readonly [Int32Array, Int32Array] | undefined, L: Int32Array, H: Int32Array): void {
    if (!this.trace || !before) return;
    const changed: Array<[number, bigint, bigint]> = [];
    for (let i = 0; i < NUM_REGS; i++) {
      if (before[0][i] !== L[i] || before[1][i] !== H[i]) changed.push([i, big(before[0][i]!, before[1][i]!), big(L[i]!, H[i]!)]);
    }
    this.trace({ pc, insn: this.prog[pc]!, frame, changed });
  }

  private callHelper(id: number, L: Int32Array, H: Int32Array, pc: number): void {
    const h = this.helpers.get(id);
    if (!h) throw new RuntimeFault('RUN_HELPER', `call to unknown helper ${helperName(id)} (id ${id})`, pc);
    const v = h.fn(big(L[1]!, H[1]!), big(L[2]!, H[2]!), big(L[3]!, H[3]!), big(L[4]!, H[4]!), big(L[5]!, H[5]!), { mem: this.mem, pc });
    this.setBig(L, H, 0, v);
  }

  /**
   * Effective address of an access (the register pair plus the sign-extended offset, mod 2^64), checked
   * against the regions in checked mode and against the memory's end always.
   */
  private addr(lo: number, hi: number, off: number, size: number, write: boolean, pc: number): number {
    let a = (lo >>> 0) + off;
    let h = hi;
    if (a >= TWO32) {
      a -= TWO32;
      h = (h + 1) | 0;
    } else if (a < 0) {
      a += TWO32;
      h = (h - 1) | 0;
    }
    // No region and no memory lies above 4 GiB: a high half is a fault.
    if (h !== 0) throw memFault(pc, (BigInt(h >>> 0) << 32n) | BigInt(a), size, write);
    if (this.checked) {
      const rs = this.regions;
      let ok = false;
      for (let i = 0; i < rs.length && !ok; i++) {
        const g = rs[i]!;
        if (write && !g.writable) continue;
        if (!g.packet) ok = a >= g.start && a + size <= g.end;
        else {
          const v = this.view();
          ok = a >= v.getUint32(CTX_BASE + CTX.DATA_META, true) && a + size <= v.getUint32(CTX_BASE + CTX.DATA_END, true);
        }
      }
      if (!ok) throw memFault(pc, BigInt(a), size, write);
    } else if (a + size > this.dv.byteLength && a + size > this.view().byteLength) {
      // (the cached view's length first: the Memory's buffer getter is a call into the engine)
      throw memFault(pc, BigInt(a), size, write); // even unchecked, never touch memory that is not there
    }
    return a;
  }

  private atomic(pc: number, L: Int32Array, H: Int32Array, a: number, size: number): void {
    const dv = this.view();
    const s = this.SRC[pc]!;
    const aop = this.IMM[pc]!;
    const wide = size === 8;
    const ol = dv.getInt32(a, true);
    const oh = wide ? dv.getInt32(a + 4, true) : 0;
    const sl = L[s]!;
    const sh = wide ? H[s]! : 0;
    const put = (lo: number, hi: number) => {
      dv.setInt32(a, lo, true);
      if (wide) dv.setInt32(a + 4, hi, true);
    };
    if (aop === 0xf1 /* CMPXCHG */) {
      if (ol === L[0] && (!wide || oh === H[0])) put(sl, sh);
      L[0] = ol;
      H[0] = oh;
      return;
    }
    if (aop === 0xe1 /* XCHG */) {
      put(sl, sh);
      L[s] = ol;
      H[s] = oh;
      return;
    }
    switch (aop & ~0x01 /* FETCH */) {
      case 0x00: { // ADD
        const lo = (ol >>> 0) + (sl >>> 0);
        put(lo | 0, (oh + sh + (lo >= TWO32 ? 1 : 0)) | 0);
        break;
      }
      case 0x40: // OR
        put(ol | sl, oh | sh);
        break;
      case 0x50: // AND
        put(ol & sl, oh & sh);
        break;
      default:
        put(ol ^ sl, oh ^ sh);
        break;
    }
    if (aop & 0x01 /* FETCH */) {
      L[s] = ol;
      H[s] = oh;
    }
  }
}

/**
 * Leave the current function with r0: back to the caller's frame (its pc), or out of exec (-1). Not a
 * closure in exec: one would move L and H into a heap context and slow every register access.
 */
function leave(frames: Frame[], L: Int32Array, H: Int32Array): number {
  const f = frames.pop();
  if (!f) return -1;
  for (let i = 1; i <= FP; i++) {
    L[i] = f.saved[i - 1]!;
    H[i] = f.saved[i + 9]!;
  }
  return f.returnPc;
}

/** High 32 bits of the product of two u32s, on 16-bit limbs (every partial product exact in a double). */
function mulHighU32(a: number, b: number): number {
  const a0 = a & 0xffff;
  const a1 = a >>> 16;
  const b0 = b & 0xffff;
  const b1 = b >>> 16;
  const mid1 = a1 * b0 + ((a0 * b0) >>> 16);
  const mid2 = a0 * b1 + (mid1 & 0xffff);
  return (a1 * b1 + Math.floor(mid1 / 65536) + Math.floor(mid2 / 65536)) | 0;
}

/** Unsigned compare of two pairs: -1, 0, 1. */
function cmpU(al: number, ah: number, bl: number, bh: number): number {
  if (ah !== bh) return ah >>> 0 < bh >>> 0 ? -1 : 1;
  if (al === bl) return 0;
  return al >>> 0 < bl >>> 0 ? -1 : 1;
}

/** Signed compare of two pairs: the high halves signed, the low ones unsigned. */
function cmpS(al: number, ah: number, bl: number, bh: number): number {
  if (ah !== bh) return ah < bh ? -1 : 1;
  if (al === bl) return 0;
  return al >>> 0 < bl >>> 0 ? -1 : 1;
}

function bswap32(x: number): number {
  return ((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24);
}

/** An ALU instruction on unsigned 64-bit BigInts, as RFC 9669 spells it: the slow path. */
function aluBig(ins: Insn, dst: bigint, src: bigint, is64: boolean, pc: number): bigint {
  const w = is64 ? 64 : 32;
  const trunc = is64 ? U64 : U32;
  const a = trunc(dst);
  // The K operand is the immediate sign-extended to 64 bits (then truncated for ALU32).
  const b = trunc((ins.code & Source.X) !== 0 ? src : BigInt(ins.imm));
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
      return trunc(BigInt.asIntN(ins.off, src)); // movsx: sign-extend from off bits
    case AluOp.END: {
      const bits = ins.imm;
      const v = BigInt.asUintN(bits, dst);
      // ALU|END|K is "to little endian": on a little-endian machine only the truncation remains.
      if (!is64 && (ins.code & Source.X) === 0) return v;
      let out = 0n;
      for (let i = 0; i < bits / 8; i++) out = (out << 8n) | ((v >> BigInt(8 * i)) & 0xffn);
      return out;
    }
    default:
      throw new RuntimeFault('RUN_MEM_FAULT', `unknown ALU opcode 0x${ins.code.toString(16)}`, pc);
  }
}
