// The reference interpreter: the JIT is tested against it, and it is the quick path (`--engine interp`,
// the conformance plugin, short CLI runs), so it is written to be checked line by line against RFC 9669
// (ISA v4) AND to run without BigInt in the hot path.
//
// Registers are pairs of 32-bit halves in one Int32Array R: register r's low half at R[2r], its high
// half at R[2r + 1] (the bits; read unsigned with `>>> 0` where the operation is unsigned). 64-bit
// add/sub carry between the halves, multiply is done on 16-bit limbs (exact mod 2^64), shifts move bits
// across the halves; only 64-bit div/mod with an operand outside 32 bits, and the odd encodings the
// loader rejects anyway, take the BigInt path (aluBig, the operation spelled out on unsigned 64-bit
// BigInts). BigInts appear at the edges only: the run() arguments and result, helper calls, tail calls,
// faults and the trace.
//
// The program is decoded once into an Int32Array of four words per slot (decode()):
//   [kind | dst*2 << 8 | extra << 16,  off or jump target (slot*4),  operand,  imm]
// `kind` is one of the K_* handlers below, each one instruction form (ADD64, JGT32, LDXW, …), so the
// dispatch is one dense switch. An immediate (K) operand lives in the register file too: every distinct
// constant of the program gets a pair after r10 (the constant pool, filled once), and `operand` is the
// index of a register's or a constant's low half, so K and X forms share their handler. Jump targets are
// resolved at decode time; a target outside the program, the tail of an ld_imm64 and the slot after the
// last instruction decode to K_FAULT (execution left the program).
//
// Calling convention (bpf-to-bpf): r1–r5 carry arguments, r0 the result; the callee starts with r0 and
// r6–r9 at 0, and r1–r9 and r10 are restored when it exits, so the caller sees the values it had before
// the call (the verifier forbids reading the scratch ones; the JIT behaves the same way, which keeps the
// two comparable).

import { BpfThrow, callbackFault, callDepthFault, memFault, RuntimeFault } from '../errors.js';
import { HelperArgMemo } from '../jit/arg_memo.js';
import { arrayMapsOf } from '../jit/array_maps.js';
import type { InlineArray } from '../jit/emit.js';
import { helperName, type HelperContext, type HelperTable } from '../helpers/index.js';
import { isRbtreeAdd } from '../helpers/obj_kfuncs.js';
import { R0_LOW_BYTE_CALLS } from '../helpers/kfuncs.js';
import { AluOp, BPF_MAX_LOOPS, Class, FP, MAX_FRAMES, NUM_REGS, OP_LDDW, PseudoLd, Source, STACK_SIZE } from '../isa/opcodes.js';
import { isMayGoto, type Insn } from '../isa/insn.js';
import { CTX, CTX_BASE, MAP_ITER_VALUE, MAX_TAIL_CALL_CNT, NULL_GUARD_END, RUN, RUN_BASE, STACK_REGION, STACK_TOP, WALK_REGION, type EngineMemory, type Region } from '../runtime/memory.js';
import type { Engine, EngineOptions, RunRequest, RunResult } from '../runtime/types.js';
import type { VerifierFacts } from '../verifier/verifier.js';
import { compileSource, makeExec, type CompiledExec, type CompileLib } from './compile.js';
import { halvesHelper, type HalvesHelper } from './helper_call.js';

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
  /**
   * 'compiled' (the default without a trace): the program written out as a JavaScript function
   * (compile.ts), exec() the fallback for what it leaves out; 'switch': exec() alone, the reference.
   */
  tier?: 'compiled' | 'switch';
  /** What the verifier proved (VerifiedProgram.facts): which bpf_loop calls the kernel inlines. */
  facts?: VerifierFacts;
}

/** Instructions one run may execute unless told otherwise: an unbounded loop ends, it does not hang. */
export const DEFAULT_MAX_INSTRUCTIONS = 100_000_000;

const HELPER_TAIL_CALL = 12;
const HELPER_LOOP = 181;
const HELPER_FOR_EACH_MAP_ELEM = 164;
const HELPER_TIMER_SET_CALLBACK = 170;

/** A callback's frame, one below the caller's: r10 - STACK_SIZE on the register pair. */
function calleeFrame(R: Int32Array): { fl: number; fh: number } {
  return { fl: (R[2 * FP]! - STACK_SIZE) | 0, fh: (R[2 * FP]! >>> 0) < STACK_SIZE ? (R[2 * FP + 1]! - 1) | 0 : R[2 * FP + 1]! };
}
/** Interpreter callback values: a tag in the high half, the subprogram's slot in the low one. */
export const CALLBACK_TAG_HI = 0xcb00_0000 | 0;
const TWO32 = 4294967296;
/** Access width in bytes by the size field, bits 3–4 of the opcode: W, H, B, DW. */
const SIZE_BYTES = [4, 2, 1, 8] as const;
/** Words of the register file that are registers (r0–r10, two halves each); the constant pool follows. */
const REG_WORDS = 2 * NUM_REGS;

// Handler kinds (the case labels of exec() are these numbers, written out: a literal switch compiles to
// a jump table, a switch on imported constants does not).
// ALU64, then ALU (32 bits), each in ALU_OPS order from ADD (K_ADD64 + i, K_ADD32 + i):
//   1 ADD64  2 SUB64  3 MUL64  4 OR64  5 AND64  6 XOR64  7 LSH64  8 RSH64  9 ARSH64  10 MOV64  11 NEG64
//   18 ADD32 19 SUB32 20 MUL32 21 OR32 22 AND32 23 XOR32 24 LSH32 25 RSH32 26 ARSH32 27 MOV32 28 NEG32
const K_FAULT = 0; // no instruction here: execution left the program
const K_ADD64 = 1, K_MOVSX64 = 12, K_DIV64 = 13, K_BSWAP16 = 14, K_BSWAP32 = 15, K_BSWAP64 = 16, K_ALU_SLOW = 17;
const K_ADD32 = 18, K_MOVSX32 = 29, K_DIV32 = 30, K_LE16 = 31, K_LE32 = 32, K_NOP = 33, K_MAY_GOTO = 34;
const K_JA = 35, K_EXIT = 36, K_CALL = 37, K_HELPER = 38, K_HELPER_REG = 39, K_TAIL_CALL = 40, K_LOOP = 41;
/** JEQ … JSLE on 64 bits are K_JCC64 + (0 … 10), on 32 bits K_JCC32 + (0 … 10). */
const K_JCC64 = 42, K_JCC32 = 53;
const K_LD64 = 65;
const K_LDXB = 66, K_LDXH = 67, K_LDXW = 68, K_LDXDW = 69, K_LDXSB = 70, K_LDXSH = 71, K_LDXSW = 72, K_LDXSDW = 73;
const K_STB = 74, K_STH = 75, K_STW = 76, K_STDW = 77, K_ATOMIC = 78, K_BADREG = 79;
const K_LSH64 = 7, K_RSH64 = 8, K_ARSH64 = 9, K_MOV64 = 10;
// superinstructions (fuseSlots): MOV64 then ADD64 … ARSH64 on its dst are K_MOV_OP + (0 … 8)
const K_MOV_OP = 80, K_MOV_MOV = 89, K_ZEXT = 90, K_SEXT = 91, K_MOV_ZEXT = 92, K_MOV_SEXT = 93;
/** Conditional jump ops (opcode & 0xf0) in K_JCC order. */
const JCC_OPS = [0x10, 0x50, 0x20, 0x30, 0xa0, 0xb0, 0x40, 0x60, 0x70, 0xc0, 0xd0];
/** ALU ops (opcode & 0xf0) with a handler of their own, in K_*64 / K_*32 order from ADD. */
const ALU_OPS = [0x00, 0x10, 0x20, 0x40, 0x50, 0xa0, 0x60, 0x70, 0xc0, 0xb0, 0x80];

/** The 64-bit value of a register pair. */
const big = (lo: number, hi: number): bigint => (hi === 0 ? BigInt(lo >>> 0) : (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0));

/** A program decoded for exec(). */
interface Decoded {
  /** Four words per slot, one slot past the program (K_FAULT), then one K_FAULT slot per jump out of it. */
  code: Int32Array;
  /** The register file a run starts from: r0–r10 zero, then the constant pool. */
  regs: Int32Array;
  /** The slot each K_FAULT slot stands for (a jump target outside the program, the slot after it, …). */
  faultPc: Map<number, number>;
}

function decode(prog: readonly Insn[], tailCalls: boolean, fuse: boolean): Decoded {
  const n = prog.length;
  const words: number[] = [];
  const pool: number[] = [];
  const poolIndex = new Map<string, number>();
  const faultPc = new Map<number, number>();
  const extra: number[] = []; // targets outside the program, each a K_FAULT slot after slot n
  /** The register-file index of the constant (lo, hi), added to the pool when new. */
  const konst = (lo: number, hi: number): number => {
    const key = `${lo},${hi}`;
    let i = poolIndex.get(key);
    if (i === undefined) {
      i = REG_WORDS + pool.length;
      pool.push(lo | 0, hi | 0);
      poolIndex.set(key, i);
    }
    return i;
  };
  /** A jump target as a word index (slot * 4); outside the program, a K_FAULT slot of its own. */
  const target = (t: number): number => {
    if (Number.isInteger(t) && t >= 0 && t <= n) return t * 4;
    extra.push(t);
    return (n + extra.length) * 4;
  };
  const valid = (r: number) => r >= 0 && r < NUM_REGS;
  for (let pc = 0; pc < n; pc++) {
    const i = prog[pc]!;
    const code = i.code;
    const cls = code & 0x07;
    const op = code & 0xf0;
    const x = (code & 0x08) !== 0;
    let kind = K_FAULT;
    let dst = i.dst;
    let w1 = i.off;
    let w2 = 0;
    let w3 = i.imm;
    let ext = 0;
    let usesDst = true;
    let usesSrc = false;
    // the second operand: a register, or the immediate sign-extended to 64 bits from the pool
    const operand = (): number => {
      if (x) {
        usesSrc = true;
        return 2 * i.src;
      }
      return konst(i.imm, i.imm >> 31);
    };
    if (i.isLdImm64Tail) {
      faultPc.set(pc, pc);
      usesDst = false;
    } else if (cls === Class.ALU64 || cls === Class.ALU) {
      const wide = cls === Class.ALU64;
      const a = ALU_OPS.indexOf(op);
      if (op === 0xb0 /* MOV */ && i.off !== 0) {
        // movsx: sign-extend the low `off` bits of the src register (whatever the source bit)
        kind = (wide ? i.off === 8 || i.off === 16 || i.off === 32 : i.off === 8 || i.off === 16 || i.off === 32) ? (wide ? K_MOVSX64 : K_MOVSX32) : K_ALU_SLOW;
        usesSrc = true;
        w2 = 2 * i.src;
      } else if (a >= 0) {
        kind = (wide ? K_ADD64 : K_ADD32) + a;
        w2 = op === 0x80 /* NEG */ ? 0 : operand();
      } else if (op === 0x30 /* DIV */ || op === 0x90 /* MOD */) {
        kind = i.off === 0 || i.off === 1 ? (wide ? K_DIV64 : K_DIV32) : K_ALU_SLOW;
        w2 = operand();
        ext = op === 0x90 ? 1 : 0;
      } else if (op === 0xd0 /* END */) {
        const bits = i.imm;
        if (wide || x) kind = bits === 16 ? K_BSWAP16 : bits === 32 ? K_BSWAP32 : bits === 64 ? K_BSWAP64 : K_ALU_SLOW;
        else kind = bits === 16 ? K_LE16 : bits === 32 ? K_LE32 : bits === 64 ? K_NOP : K_ALU_SLOW;
      } else kind = K_ALU_SLOW;
      if (kind === K_ALU_SLOW) {
        usesSrc = x;
        ext = wide ? 1 : 0;
      }
    } else if (cls === Class.JMP || cls === Class.JMP32) {
      usesDst = false;
      if (op === 0x90 /* EXIT */) kind = K_EXIT;
      else if (op === 0x80 /* CALL */) {
        if (i.src === 1) {
          kind = K_CALL;
          w1 = target(pc + i.imm + 1);
        } else if (x) {
          kind = K_HELPER_REG;
          usesDst = true;
        } else kind = i.imm === HELPER_TAIL_CALL && tailCalls ? K_TAIL_CALL : i.imm === HELPER_LOOP || i.imm === HELPER_FOR_EACH_MAP_ELEM || i.imm === HELPER_TIMER_SET_CALLBACK || isRbtreeAdd(i.imm) ? K_LOOP : K_HELPER;
      } else if (isMayGoto(i)) {
        kind = K_MAY_GOTO;
        w1 = target(pc + 1 + i.off);
      } else if (op === 0x00 /* JA */) {
        kind = K_JA;
        w1 = target(pc + 1 + (cls === Class.JMP32 ? i.imm : i.off));
      } else {
        const j = JCC_OPS.indexOf(op);
        if (j < 0) kind = K_NOP; // no such jump: nothing happens
        else {
          kind = (cls === Class.JMP ? K_JCC64 : K_JCC32) + j;
          usesDst = true;
          w1 = target(pc + 1 + i.off);
          w2 = operand();
        }
      }
    } else if (cls === Class.LD) {
      // only ld_imm64 passes the load-time check
      kind = K_LD64;
      if (i.src === 4 /* PseudoLd.FUNC */) {
        // A callback's "address" (BPF_PSEUDO_FUNC) is a tagged slot number only this engine reads.
        w2 = konst(pc + i.imm + 1, CALLBACK_TAG_HI);
      } else {
        const v = i.imm64;
        w2 = v === undefined ? konst(i.imm, 0) : konst(Number(BigInt.asIntN(32, v)), Number(BigInt.asIntN(32, v >> 32n)));
      }
    } else if (cls === Class.LDX) {
      const sz = SIZE_BYTES[(code >> 3) & 3]!;
      usesSrc = true;
      w2 = 2 * i.src;
      if ((code & 0xe0) === 0x80 /* MEMSX */) kind = sz === 1 ? K_LDXSB : sz === 2 ? K_LDXSH : sz === 4 ? K_LDXSW : K_LDXSDW;
      else kind = sz === 1 ? K_LDXB : sz === 2 ? K_LDXH : sz === 4 ? K_LDXW : K_LDXDW;
    } else {
      // ST (the immediate from the pool) and STX (a register), or an atomic operation
      const sz = SIZE_BYTES[(code >> 3) & 3]!;
      if (cls === Class.STX && (code & 0xe0) === 0xc0 /* ATOMIC */) {
        kind = K_ATOMIC;
        usesSrc = true;
        w2 = 2 * i.src;
        ext = sz;
      } else {
        kind = sz === 1 ? K_STB : sz === 2 ? K_STH : sz === 4 ? K_STW : K_STDW;
        if (cls === Class.STX) {
          usesSrc = true;
          w2 = 2 * i.src;
        } else w2 = konst(i.imm, i.imm >> 31);
      }
    }
    if ((usesDst && !valid(dst)) || (usesSrc && !valid(i.src))) {
      kind = K_BADREG;
      dst = 0;
    }
    words.push(kind | ((usesDst ? 2 * dst : 0) << 8) | (ext << 16), w1, w2, w3);
  }
  if (fuse) fuseSlots(words, pool);
  // the slot after the program, then the jump targets outside it
  faultPc.set(n, n);
  words.push(K_FAULT, 0, 0, 0);
  extra.forEach((t, k) => {
    faultPc.set(n + 1 + k, t);
    words.push(K_FAULT, 0, 0, 0);
  });
  const regs = new Int32Array(REG_WORDS + pool.length);
  regs.set(pool, REG_WORDS);
  return { code: Int32Array.from(words), regs, faultPc };
}

/**
 * Superinstructions: a slot whose instruction and the next one(s) form a pattern clang emits all the
 * time gets a kind that runs them in one dispatch (3-address ALU as `rX = rY; rX op= …`, zero and sign
 * extension as `rX <<= 32; rX >>= 32`, two moves in a row). Only the first slot changes: a jump to the
 * others runs them alone. A fused kind counts every instruction it runs, and when the instruction
 * budget would end inside it, it runs its first instruction only (the next one then stops the run where
 * it would have stopped). Not with a trace, which wants each instruction on its own.
 */
function fuseSlots(words: number[], pool: readonly number[]): void {
  const kind = (i: number) => words[4 * i]! & 0xff;
  const dst = (i: number) => (words[4 * i]! >> 8) & 0xff;
  const is32 = (i: number) => {
    const o = words[4 * i + 2]! - REG_WORDS; // a pooled constant 32?
    return o >= 0 && pool[o] === 32 && pool[o + 1] === 0;
  };
  const slots = words.length / 4;
  for (let i = 0; i + 1 < slots; i++) {
    const k = kind(i);
    const k2 = kind(i + 1);
    const same = dst(i) === dst(i + 1);
    let f = -1;
    if (k === K_LSH64 && same && is32(i) && (k2 === K_RSH64 || k2 === K_ARSH64) && is32(i + 1)) f = k2 === K_RSH64 ? K_ZEXT : K_SEXT;
    else if (k === K_MOV64 && same && i + 2 < slots && kind(i + 1) === K_LSH64 && is32(i + 1) && dst(i + 2) === dst(i) && (kind(i + 2) === K_RSH64 || kind(i + 2) === K_ARSH64) && is32(i + 2)) {
      f = kind(i + 2) === K_RSH64 ? K_MOV_ZEXT : K_MOV_SEXT;
    } else if (k === K_MOV64 && same && k2 >= K_ADD64 && k2 <= K_ARSH64) f = K_MOV_OP + (k2 - K_ADD64);
    else if (k === K_MOV64 && k2 === K_MOV64) f = K_MOV_MOV;
    if (f >= 0) words[4 * i] = (words[4 * i]! & ~0xff) | f;
  }
}

export class Interpreter implements Engine {
  readonly name = 'interp' as const;
  /** Instructions executed by the last run (each ld_imm64 counts once). */
  executed = 0;

  private readonly prog: readonly Insn[];
  private readonly mem: EngineMemory;
  private readonly helpers: HelperTable;
  /** bpf_loop calls the kernel inlines (VerifierFacts.loopInlined): their -E2BIG is 32-bit. */
  private readonly loopInlined: ReadonlySet<number> | undefined;
  /** Loads the kernel makes BPF_PROBE_MEM (VerifierFacts.probeLoads): any address, a fault reads 0. */
  private readonly probeLoads: ReadonlySet<number> | undefined;
  private readonly checked: boolean;
  private readonly maxInstructions: number;
  private readonly trace: ((ev: TraceEvent) => void) | undefined;
  private readonly tailCall: InterpreterOptions['tailCall'];
  private regions: readonly Region[] = [];
  private lastReqRegions: readonly Region[] | undefined;
  private runRegions: readonly Region[] = [];
  private own: readonly Region[] | undefined;
  private readonly code: Int32Array;
  private readonly faultPc: Map<number, number>;
  /** The register file of a fresh frame (r0–r10 zero, the constant pool), copied for callbacks and tail calls. */
  private readonly template: Int32Array;
  /** The entry frame's register file, reused by every run. */
  private readonly R: Int32Array;
  /** Register files of tail calls and of bpf_loop callbacks, by call depth, made once. */
  private readonly tailFiles: Int32Array[] = [];
  private readonly callbackFiles: Int32Array[] = [];
  /** r0–r10 all zero: what a callback's frame starts from. */
  private readonly zeroRegs = new Int32Array(REG_WORDS);
  /** Return slots (word index) of bpf-to-bpf calls, by call depth. */
  private readonly frames = new Int32Array(MAX_FRAMES);
  /**
   * may_goto fall-throughs of the function running at each call depth: the kernel's hidden stack slot,
   * which each subprogram's prologue sets to BPF_MAX_LOOPS (do_misc_fixups) and its may_gotos count
   * down, kept here counting up from 0 at the function's entry.
   */
  private readonly mayGotoUsed = new Int32Array(MAX_FRAMES);
  /** Register files of subprograms, by call depth, made once (the constant pool copied in). */
  private readonly callFiles: Int32Array[] = [];
  /** run()'s arguments as last converted: the same BigInts again need no conversion. */
  private readonly argBig: Array<bigint | undefined> = [undefined, undefined, undefined, undefined, undefined];
  private readonly argWords = new Int32Array(10);
  /** What a helper sees besides its arguments: one object, its pc set at each call. */
  private readonly helperCtx: HelperContext;
  /** Checked runs: the last passing argument check of each helper call site. */
  private readonly argMemo: HelperArgMemo;
  /** The instructions the program's BPF_PSEUDO_FUNC values name: the only callbacks a checked run may pass. */
  private readonly callbackTargets = new Set<number>();
  // One DataView over the memory, remade only when a grow replaced the buffer (freshView()).
  private dv: DataView;
  /** A byte view over the same buffer: its length reads 0 once a grow detached it (a cheaper test than dv's). */
  private u8: Uint8Array;
  /** @internal dv's length: accesses below it need no check in unchecked runs. */
  dvEnd: number;
  /** The compiled tier's function (compile.ts), when this interpreter has one. */
  private readonly compiled: CompiledExec | undefined;
  /** Which tier runs: 'compiled' when the program got a function, else 'switch'. */
  readonly tier: 'compiled' | 'switch';

  constructor(prog: readonly Insn[], opts: InterpreterOptions) {
    this.prog = prog;
    for (const [pc, i] of prog.entries()) if (i.code === OP_LDDW && i.src === PseudoLd.FUNC) this.callbackTargets.add(pc + i.imm + 1);
    const d = decode(prog, opts.tailCall !== undefined, opts.trace === undefined);
    this.code = d.code;
    this.faultPc = d.faultPc;
    this.template = d.regs;
    this.R = d.regs.slice();
    this.dv = new DataView(opts.memory.memory.buffer);
    this.u8 = new Uint8Array(this.dv.buffer);
    this.dvEnd = this.dv.byteLength;
    this.mem = opts.memory;
    this.helpers = opts.helpers;
    this.loopInlined = opts.facts?.loopInlined;
    this.probeLoads = opts.facts?.probeLoads;
    this.checked = opts.checked ?? true;
    this.maxInstructions = opts.maxInstructions ?? DEFAULT_MAX_INSTRUCTIONS;
    this.trace = opts.trace;
    this.tailCall = opts.tailCall;
    this.helperCtx = { mem: opts.memory, pc: 0 };
    this.argMemo = new HelperArgMemo(opts.memory);
    let compiled: CompiledExec | undefined;
    if (opts.trace === undefined && (opts.tier ?? 'compiled') === 'compiled') {
      const plain = decode(prog, opts.tailCall !== undefined, false);
      const source = compileSource(plain.code, plain.regs);
      if (source !== undefined) compiled = makeExec(source, this, COMPILE_LIB, this.checked, this.maxInstructions);
    }
    this.compiled = compiled;
    this.tier = compiled ? 'compiled' : 'switch';
    this.arrays = compiled && opts.fastPath ? arrayMapsOf(prog, opts.memory, opts.fastPath) : undefined;
  }

  run(req: RunRequest): RunResult {
    return this.runRepeated(req, 1);
  }

  /**
   * `repeat` runs of the program on the same arguments (as JitProgram.runRepeated: what a test run
   * times), the result of the last. Each run starts from fresh registers and a new tail-call chain.
   */
  runRepeated(req: RunRequest, repeat: number): RunResult {
    const R = this.R;
    const args = req.args;
    const A = this.argWords;
    for (let i = 0; i < 5; i++) {
      const a = args[i];
      if (a === undefined) {
        A[2 * i] = A[2 * i + 1] = 0;
        this.argBig[i] = undefined;
      } else if (a !== this.argBig[i]) {
        this.argBig[i] = a;
        A[2 * i] = Number(a & 0xffff_ffffn) | 0;
        A[2 * i + 1] = Number(BigInt.asUintN(64, a) >> 32n) | 0;
      }
    }
    if (req.regions !== this.lastReqRegions) {
      this.lastReqRegions = req.regions;
      this.runRegions = [STACK_REGION, ...req.regions, WALK_REGION];
    }
    const entry = this.compiled?.entry;
    if (entry) {
      // the compiled tier takes r1–r5 and r10 as arguments (R is written where something reads it)
      const a0 = A[0]!, a1 = A[1]!, a2 = A[2]!, a3 = A[3]!, a4 = A[4]!, a5 = A[5]!, a6 = A[6]!, a7 = A[7]!, a8 = A[8]!, a9 = A[9]!;
      for (let k = 0; k < repeat; k++) {
        this.regions = this.runRegions;
        this.executed = 0;
        if (this.tailCall) this.freshView().setUint32(RUN_BASE + RUN.TAIL_CALLS, 0, true); // a new tail-call chain
        try {
          entry(R, 0, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, STACK_TOP, 0);
        } catch (e) {
          thrown(e, R);
        }
      }
      return { r0: big(R[0]!, R[1]!) };
    }
    for (let k = 0; k < repeat; k++) {
      R[0] = R[1] = 0;
      for (let i = 0; i < 10; i++) R[i + 2] = A[i]!;
      for (let i = 12; i < REG_WORDS; i++) R[i] = 0;
      R[2 * FP] = STACK_TOP;
      this.regions = this.runRegions;
      this.executed = 0;
      if (this.tailCall) this.freshView().setUint32(RUN_BASE + RUN.TAIL_CALLS, 0, true); // a new tail-call chain
      try {
        this.exec(0, R, 0);
      } catch (e) {
        thrown(e, R);
      }
    }
    return { r0: big(R[0]!, R[1]!) };
  }

  /**
   * The regions this program checks against when reached by a tail call (its own maps, not the
   * caller's); unset, it takes the caller's.
   */
  setRegions(regions: readonly Region[]): void {
    this.own = [STACK_REGION, ...regions, WALK_REGION];
  }

  /**
   * A tail call into this program: same frame (r10, depth) as the caller, same chain count. r1 and r10
   * are taken from the caller's register file `from`, and r0 is left in it. The instruction count goes
   * on from the caller's `executed` (the chain is one run: one budget, one count).
   */
  runTail(from: Int32Array, depth: number, regions: readonly Region[], executed: number): void {
    // The register file of tail calls at this depth. A tail call from this program into itself finds
    // its caller's file here: what the caller reads back (r0; r1–r10 from its saved frame) survives.
    const R = (this.tailFiles[depth] ??= this.template.slice());
    const r1l = from[2]!;
    const r1h = from[3]!;
    const fpl = from[2 * FP]!;
    const fph = from[2 * FP + 1]!;
    this.regions = this.own ?? regions;
    this.executed = executed;
    // a bpf_throw in the target ends at its entry: the cookie is what the tail call returns (the JIT's
    // tail_entry does the same; 6.18.44 returns it to the caller of a subprogram that made the tail call)
    try {
      if (this.compiled) this.compiled.entry(R, depth, r1l, r1h, 0, 0, 0, 0, 0, 0, 0, 0, fpl, fph);
      else {
        for (let i = 0; i < REG_WORDS; i++) R[i] = 0;
        R[2] = r1l;
        R[3] = r1h;
        R[2 * FP] = fpl;
        R[2 * FP + 1] = fph;
        this.execSwitch(0, R, depth);
      }
    } catch (e) {
      thrown(e, R);
    }
    from[0] = R[0]!;
    from[1] = R[1]!;
  }

  private setBig(R: Int32Array, r: number, v: bigint): void {
    // a value within ±2^53 converts exactly through a double (no BigInt arithmetic, nothing allocated)
    const x = Number(v);
    if (Number.isSafeInteger(x)) {
      R[2 * r] = x | 0;
      R[2 * r + 1] = Math.floor(x / TWO32) | 0;
    } else {
      R[2 * r] = Number(v & 0xffff_ffffn) | 0;
      R[2 * r + 1] = Number(BigInt.asUintN(64, v) >> 32n) | 0;
    }
  }

  /**
   * The DataView over the memory as it is now. A grow detaches a non-shared buffer (its length reads 0)
   * and only then is the Memory asked again (its buffer getter is a call into the engine); a shared
   * buffer stays valid for its old length, and accesses past it take addr(), which asks.
   */
  private freshView(): DataView {
    if (this.u8.length === 0) this.setView(this.mem.memory.buffer);
    return this.dv;
  }

  /** The view asked of the Memory itself (a shared buffer may have grown). */
  private view(): DataView {
    const buf = this.mem.memory.buffer;
    if (this.dv.buffer !== buf) this.setView(buf);
    return this.dv;
  }

  private setView(buf: ArrayBufferLike): void {
    this.dv = new DataView(buf);
    this.u8 = new Uint8Array(buf);
    this.dvEnd = this.dv.byteLength;
  }

  /**
   * Run from slot `start` with register file R at call depth `depth` until that function exits; r0 is
   * left in R[0], R[1]. The return slots of this function's calls go to this.frames, the callees'
   * register files to this.callFiles, from index `depth` on.
   */
  private exec(start: number, R: Int32Array, depth: number): void {
    if (this.compiled) this.compiled.exec(start, R, depth);
    else this.execSwitch(start, R, depth);
  }

  /** The switch interpreter (the reference): exec() without the compiled tier. */
  private execSwitch(start: number, R0: Int32Array, depth: number): void {
    const P = this.code;
    const frames = this.frames;
    const files = this.callFiles;
    // the register file of the function running now: R0 for the one exec started with, a file of its
    // own for each subprogram called (so a return switches back, nothing to save and restore)
    let R = R0;
    const tracing = this.trace !== undefined;
    const checked = this.checked;
    const max = this.maxInstructions;
    let n = this.executed;
    let dv = this.freshView();
    // Accesses in [0, memEnd) need no check; checked runs check every access in addr().
    let memEnd = checked ? 0 : this.dvEnd;
    let nf = 0; // frames of this exec's own calls
    let ip = start * 4;
    // this function's may_goto budget: whole (the compiled tier hands over before it runs a may_goto)
    this.mayGotoUsed[depth] = 0;
    let before: Int32Array | undefined;
    for (;;) {
      const w = P[ip]!;
      const d = (w >> 8) & 0xff;
      const s = P[ip + 2]!;
      let next = ip + 4;
      if (++n > max && (w & 0xff) !== 0 /* K_FAULT does not count */) {
        this.executed = n;
        throw new RuntimeFault('RUN_INSN_LIMIT', `instruction limit ${max} reached`, ip >> 2);
      }
      if (tracing) before = R.slice(0, REG_WORDS);

      switch (w & 0xff) {
        case 0: { // K_FAULT: the load-time check makes this unreachable; unchecked callers still get a typed error
          this.executed = n - 1;
          const at = this.faultPc.get(ip >> 2) ?? ip >> 2;
          throw new RuntimeFault('RUN_MEM_FAULT', `execution left the program (no instruction at ${at})`, at);
        }
        // ---- ALU64: the second operand at R[s], R[s + 1] (a register or a pooled constant) ----
        case 1: { // ADD64
          const al = R[d]!;
          const lo = (al >>> 0) + (R[s]! >>> 0);
          R[d] = lo | 0;
          R[d + 1] = (R[d + 1]! + R[s + 1]! + (lo >= TWO32 ? 1 : 0)) | 0;
          break;
        }
        case 2: { // SUB64
          const al = R[d]!;
          const bl = R[s]!;
          R[d] = (al - bl) | 0;
          R[d + 1] = (R[d + 1]! - R[s + 1]! - ((al >>> 0) < (bl >>> 0) ? 1 : 0)) | 0;
          break;
        }
        case 3: { // MUL64
          const al = R[d]!;
          const bl = R[s]!;
          R[d + 1] = (mulHighU32(al >>> 0, bl >>> 0) + Math.imul(al, R[s + 1]!) + Math.imul(R[d + 1]!, bl)) | 0;
          R[d] = Math.imul(al, bl);
          break;
        }
        case 4: // OR64
          R[d] = R[d]! | R[s]!;
          R[d + 1] = R[d + 1]! | R[s + 1]!;
          break;
        case 5: // AND64
          R[d] = R[d]! & R[s]!;
          R[d + 1] = R[d + 1]! & R[s + 1]!;
          break;
        case 6: // XOR64
          R[d] = R[d]! ^ R[s]!;
          R[d + 1] = R[d + 1]! ^ R[s + 1]!;
          break;
        case 7: { // LSH64
          const k = R[s]! & 63;
          if (k === 0) break;
          const al = R[d]!;
          if (k < 32) {
            R[d + 1] = (R[d + 1]! << k) | (al >>> (32 - k));
            R[d] = al << k;
          } else {
            R[d + 1] = al << (k - 32);
            R[d] = 0;
          }
          break;
        }
        case 8: { // RSH64
          const k = R[s]! & 63;
          if (k === 0) break;
          const ah = R[d + 1]!;
          if (k < 32) {
            R[d] = (R[d]! >>> k) | (ah << (32 - k));
            R[d + 1] = ah >>> k;
          } else {
            R[d] = ah >>> (k - 32);
            R[d + 1] = 0;
          }
          break;
        }
        case 9: { // ARSH64
          const k = R[s]! & 63;
          if (k === 0) break;
          const ah = R[d + 1]!;
          if (k < 32) {
            R[d] = (R[d]! >>> k) | (ah << (32 - k));
            R[d + 1] = ah >> k;
          } else {
            R[d] = ah >> (k - 32);
            R[d + 1] = ah >> 31;
          }
          break;
        }
        case 10: // MOV64
          R[d] = R[s]!;
          R[d + 1] = R[s + 1]!;
          break;
        case 11: { // NEG64
          const al = R[d]!;
          R[d] = -al | 0;
          R[d + 1] = (~R[d + 1]! + (al === 0 ? 1 : 0)) | 0;
          break;
        }
        case 12: { // MOVSX64: sign-extend the low off (8, 16, 32) bits of src
          const sh = 32 - P[ip + 1]!;
          const v = (R[s]! << sh) >> sh;
          R[d] = v;
          R[d + 1] = v >> 31;
          break;
        }
        case 13: // DIV64 / MOD64
          if (!divide(R, d, s, P[ip + 1]!, w >> 16, true)) this.slowAlu(ip >> 2, R, true);
          break;
        case 14: // BSWAP16 (ALU64 END, or ALU END X: to big endian)
          R[d] = ((R[d]! & 0xff) << 8) | ((R[d]! >>> 8) & 0xff);
          R[d + 1] = 0;
          break;
        case 15: // BSWAP32
          R[d] = bswap32(R[d]!);
          R[d + 1] = 0;
          break;
        case 16: { // BSWAP64
          const lo = R[d]!;
          R[d] = bswap32(R[d + 1]!);
          R[d + 1] = bswap32(lo);
          break;
        }
        case 17: // ALU_SLOW: the encodings the loader rejects, on BigInts
          this.executed = n;
          this.slowAlu(ip >> 2, R, (w >> 16) === 1);
          break;
        // ---- ALU (32 bits): the result zero-extended ----
        case 18: // ADD32
          R[d] = (R[d]! + R[s]!) | 0;
          R[d + 1] = 0;
          break;
        case 19: // SUB32
          R[d] = (R[d]! - R[s]!) | 0;
          R[d + 1] = 0;
          break;
        case 20: // MUL32
          R[d] = Math.imul(R[d]!, R[s]!);
          R[d + 1] = 0;
          break;
        case 21: // OR32
          R[d] = R[d]! | R[s]!;
          R[d + 1] = 0;
          break;
        case 22: // AND32
          R[d] = R[d]! & R[s]!;
          R[d + 1] = 0;
          break;
        case 23: // XOR32
          R[d] = R[d]! ^ R[s]!;
          R[d + 1] = 0;
          break;
        case 24: // LSH32
          R[d] = R[d]! << (R[s]! & 31);
          R[d + 1] = 0;
          break;
        case 25: // RSH32
          R[d] = R[d]! >>> (R[s]! & 31);
          R[d + 1] = 0;
          break;
        case 26: // ARSH32
          R[d] = R[d]! >> (R[s]! & 31);
          R[d + 1] = 0;
          break;
        case 27: // MOV32
          R[d] = R[s]!;
          R[d + 1] = 0;
          break;
        case 28: // NEG32
          R[d] = -R[d]! | 0;
          R[d + 1] = 0;
          break;
        case 29: { // MOVSX32: off 8 or 16 sign-extends, 32 copies
          const sh = 32 - P[ip + 1]!;
          R[d] = sh === 0 ? R[s]! : (R[s]! << sh) >> sh;
          R[d + 1] = 0;
          break;
        }
        case 30: // DIV32 / MOD32
          divide(R, d, s, P[ip + 1]!, w >> 16, false);
          break;
        case 31: // LE16: to little endian, on a little-endian machine the truncation only
          R[d] = R[d]! & 0xffff;
          R[d + 1] = 0;
          break;
        case 32: // LE32
          R[d + 1] = 0;
          break;
        case 33: // NOP (LE64, a jump op that does not exist)
          break;
        // ---- JMP / JMP32 ----
        case 34: { // MAY_GOTO: falls through BPF_MAX_LOOPS times a function call, then jumps
          const f = depth + nf;
          if (this.mayGotoUsed[f] === BPF_MAX_LOOPS) next = P[ip + 1]!;
          else this.mayGotoUsed[f]++;
          break;
        }
        case 35: // JA (the target resolved at decode time)
          next = P[ip + 1]!;
          break;
        case 36: { // EXIT
          if (nf === 0) {
            if (tracing) this.emitTrace(ip >> 2, depth, before, R);
            this.executed = n;
            return;
          }
          // back to the caller's file, as it was at the call (r1–r10), with this function's r0
          const rl = R[0]!;
          const rh = R[1]!;
          nf--;
          next = frames[depth + nf]!;
          R = nf === 0 ? R0 : files[depth + nf]!;
          R[0] = rl;
          R[1] = rh;
          if (tracing) this.emitTrace(ip >> 2, depth + nf, before, R);
          before = undefined;
          break;
        }
        case 37: { // CALL a subprogram (bpf-to-bpf)
          if (depth + nf + 1 >= MAX_FRAMES) {
            this.executed = n;
            throw callDepthFault(ip >> 2, MAX_FRAMES);
          }
          frames[depth + nf] = ip + 4;
          nf++;
          this.mayGotoUsed[depth + nf] = 0;
          const C = (files[depth + nf] ??= this.template.slice());
          // the callee starts with r1–r5 only; r0 and r6–r9 read as 0 until written
          C[0] = C[1] = 0;
          for (let i = 2; i < 12; i++) C[i] = R[i]!;
          for (let i = 12; i < 20; i++) C[i] = 0;
          // r10 - STACK_SIZE on the pair (r10 is a small address: no borrow in practice, done anyway)
          const fl = R[2 * FP]!;
          C[2 * FP] = (fl - STACK_SIZE) | 0;
          C[2 * FP + 1] = (fl >>> 0) < STACK_SIZE ? (R[2 * FP + 1]! - 1) | 0 : R[2 * FP + 1]!;
          R = C;
          next = P[ip + 1]!;
          break;
        }
        case 38: // HELPER
          this.executed = n;
          if (checked) this.checkArgs(P[ip + 3]!, R, ip >> 2);
          this.callHelper(P[ip + 3]!, R, ip >> 2);
          dv = this.freshView();
          memEnd = checked ? 0 : this.dvEnd;
          break;
        case 39: // HELPER by register (the id in dst)
          this.executed = n;
          this.callHelper(R[d]! >>> 0, R, ip >> 2);
          dv = this.freshView();
          memEnd = checked ? 0 : this.dvEnd;
          break;
        case 40: { // TAIL_CALL: on success the target replaces this function, its r0 is this function's
          this.executed = n;
          if (checked) this.checkArgs(HELPER_TAIL_CALL, R, ip >> 2);
          const view = this.freshView();
          const count = view.getUint32(RUN_BASE + RUN.TAIL_CALLS, true);
          const target = count < MAX_TAIL_CALL_CNT ? this.tailCall!(this.arg(R, 2), this.arg(R, 3)) : undefined;
          if (!target) break;
          view.setUint32(RUN_BASE + RUN.TAIL_CALLS, count + 1, true);
          const saved = this.regions;
          target.runTail(R, depth + nf, saved, n);
          this.regions = saved;
          n = target.executed;
          dv = this.freshView();
          memEnd = checked ? 0 : this.dvEnd;
          if (nf === 0) {
            if (tracing) this.emitTrace(ip >> 2, depth, before, R);
            this.executed = n;
            return;
          }
          const rl = R[0]!;
          const rh = R[1]!;
          nf--;
          next = frames[depth + nf]!;
          R = nf === 0 ? R0 : files[depth + nf]!;
          R[0] = rl;
          R[1] = rh;
          if (tracing) this.emitTrace(ip >> 2, depth + nf, before, R);
          before = undefined;
          break;
        }
        case 41: // LOOP: a helper that calls back (bpf_loop, bpf_for_each_map_elem)
          this.executed = n;
          this.callbackHelper(this.prog[ip >> 2]!.imm, R, depth + nf, ip >> 2, checked);
          n = this.executed;
          dv = this.freshView();
          memEnd = checked ? 0 : this.dvEnd;
          break;
        case 42: // JEQ
          if (R[d] === R[s] && R[d + 1] === R[s + 1]) next = P[ip + 1]!;
          break;
        case 43: // JNE
          if (R[d] !== R[s] || R[d + 1] !== R[s + 1]) next = P[ip + 1]!;
          break;
        case 44: // JGT
          if (cmpU(R[d]!, R[d + 1]!, R[s]!, R[s + 1]!) > 0) next = P[ip + 1]!;
          break;
        case 45: // JGE
          if (cmpU(R[d]!, R[d + 1]!, R[s]!, R[s + 1]!) >= 0) next = P[ip + 1]!;
          break;
        case 46: // JLT
          if (cmpU(R[d]!, R[d + 1]!, R[s]!, R[s + 1]!) < 0) next = P[ip + 1]!;
          break;
        case 47: // JLE
          if (cmpU(R[d]!, R[d + 1]!, R[s]!, R[s + 1]!) <= 0) next = P[ip + 1]!;
          break;
        case 48: // JSET
          if (((R[d]! & R[s]!) | (R[d + 1]! & R[s + 1]!)) !== 0) next = P[ip + 1]!;
          break;
        case 49: // JSGT
          if (cmpS(R[d]!, R[d + 1]!, R[s]!, R[s + 1]!) > 0) next = P[ip + 1]!;
          break;
        case 50: // JSGE
          if (cmpS(R[d]!, R[d + 1]!, R[s]!, R[s + 1]!) >= 0) next = P[ip + 1]!;
          break;
        case 51: // JSLT
          if (cmpS(R[d]!, R[d + 1]!, R[s]!, R[s + 1]!) < 0) next = P[ip + 1]!;
          break;
        case 52: // JSLE
          if (cmpS(R[d]!, R[d + 1]!, R[s]!, R[s + 1]!) <= 0) next = P[ip + 1]!;
          break;
        case 53: // JEQ32
          if (R[d] === R[s]) next = P[ip + 1]!;
          break;
        case 54: // JNE32
          if (R[d] !== R[s]) next = P[ip + 1]!;
          break;
        case 55: // JGT32
          if (R[d]! >>> 0 > R[s]! >>> 0) next = P[ip + 1]!;
          break;
        case 56: // JGE32
          if (R[d]! >>> 0 >= R[s]! >>> 0) next = P[ip + 1]!;
          break;
        case 57: // JLT32
          if (R[d]! >>> 0 < R[s]! >>> 0) next = P[ip + 1]!;
          break;
        case 58: // JLE32
          if (R[d]! >>> 0 <= R[s]! >>> 0) next = P[ip + 1]!;
          break;
        case 59: // JSET32
          if ((R[d]! & R[s]!) !== 0) next = P[ip + 1]!;
          break;
        case 60: // JSGT32
          if (R[d]! > R[s]!) next = P[ip + 1]!;
          break;
        case 61: // JSGE32
          if (R[d]! >= R[s]!) next = P[ip + 1]!;
          break;
        case 62: // JSLT32
          if (R[d]! < R[s]!) next = P[ip + 1]!;
          break;
        case 63: // JSLE32
          if (R[d]! <= R[s]!) next = P[ip + 1]!;
          break;
        case 65: // LD64: ld_imm64, the constant from the pool; its tail slot is skipped
          R[d] = R[s]!;
          R[d + 1] = R[s + 1]!;
          next = ip + 8;
          break;
        // ---- LDX: the address is src + off; in [0, memEnd) it needs no check ----
        case 66: { // LDXB
          let a = (R[s]! >>> 0) + P[ip + 1]!;
          if (R[s + 1] !== 0 || a < 0 || a + 1 > memEnd) {
            this.executed = n;
            a = this.addr(R[s]!, R[s + 1]!, P[ip + 1]!, 1, false, ip >> 2);
            dv = this.dv;
            if (a < 0) {
              R[d] = R[d + 1] = 0;
              break;
            }
          }
          R[d] = dv.getUint8(a);
          R[d + 1] = 0;
          break;
        }
        case 67: { // LDXH
          let a = (R[s]! >>> 0) + P[ip + 1]!;
          if (R[s + 1] !== 0 || a < 0 || a + 2 > memEnd) {
            this.executed = n;
            a = this.addr(R[s]!, R[s + 1]!, P[ip + 1]!, 2, false, ip >> 2);
            dv = this.dv;
            if (a < 0) {
              R[d] = R[d + 1] = 0;
              break;
            }
          }
          R[d] = dv.getUint16(a, true);
          R[d + 1] = 0;
          break;
        }
        case 68: { // LDXW
          let a = (R[s]! >>> 0) + P[ip + 1]!;
          if (R[s + 1] !== 0 || a < 0 || a + 4 > memEnd) {
            this.executed = n;
            a = this.addr(R[s]!, R[s + 1]!, P[ip + 1]!, 4, false, ip >> 2);
            dv = this.dv;
            if (a < 0) {
              R[d] = R[d + 1] = 0;
              break;
            }
          }
          R[d] = dv.getInt32(a, true);
          R[d + 1] = 0;
          break;
        }
        case 69: { // LDXDW
          let a = (R[s]! >>> 0) + P[ip + 1]!;
          if (R[s + 1] !== 0 || a < 0 || a + 8 > memEnd) {
            this.executed = n;
            a = this.addr(R[s]!, R[s + 1]!, P[ip + 1]!, 8, false, ip >> 2);
            dv = this.dv;
            if (a < 0) {
              R[d] = R[d + 1] = 0;
              break;
            }
          }
          R[d] = dv.getInt32(a, true);
          R[d + 1] = dv.getInt32(a + 4, true);
          break;
        }
        case 70: // LDXSB
        case 71: // LDXSH
        case 72: // LDXSW
        case 73: { // LDXSDW (MEMSX of a doubleword: the access is 8 bytes, the value its low word's sign)
          const k = w & 0xff;
          const sz = k === 70 ? 1 : k === 71 ? 2 : k === 72 ? 4 : 8;
          let a = (R[s]! >>> 0) + P[ip + 1]!;
          if (R[s + 1] !== 0 || a < 0 || a + sz > memEnd) {
            this.executed = n;
            a = this.addr(R[s]!, R[s + 1]!, P[ip + 1]!, sz, false, ip >> 2);
            dv = this.dv;
            if (a < 0) {
              R[d] = R[d + 1] = 0;
              break;
            }
          }
          const v = sz === 1 ? dv.getInt8(a) : sz === 2 ? dv.getInt16(a, true) : dv.getInt32(a, true);
          R[d] = v;
          R[d + 1] = v >> 31;
          break;
        }
        // ---- ST / STX: the address is dst + off, the value at R[s] (a register or a pooled immediate) ----
        case 74: { // STB
          let a = (R[d]! >>> 0) + P[ip + 1]!;
          if (R[d + 1] !== 0 || a < 0 || a + 1 > memEnd) {
            this.executed = n;
            a = this.addr(R[d]!, R[d + 1]!, P[ip + 1]!, 1, true, ip >> 2);
            dv = this.dv;
          }
          dv.setUint8(a, R[s]! & 0xff);
          break;
        }
        case 75: { // STH
          let a = (R[d]! >>> 0) + P[ip + 1]!;
          if (R[d + 1] !== 0 || a < 0 || a + 2 > memEnd) {
            this.executed = n;
            a = this.addr(R[d]!, R[d + 1]!, P[ip + 1]!, 2, true, ip >> 2);
            dv = this.dv;
          }
          dv.setUint16(a, R[s]! & 0xffff, true);
          break;
        }
        case 76: { // STW
          let a = (R[d]! >>> 0) + P[ip + 1]!;
          if (R[d + 1] !== 0 || a < 0 || a + 4 > memEnd) {
            this.executed = n;
            a = this.addr(R[d]!, R[d + 1]!, P[ip + 1]!, 4, true, ip >> 2);
            dv = this.dv;
          }
          dv.setInt32(a, R[s]!, true);
          break;
        }
        case 77: { // STDW
          let a = (R[d]! >>> 0) + P[ip + 1]!;
          if (R[d + 1] !== 0 || a < 0 || a + 8 > memEnd) {
            this.executed = n;
            a = this.addr(R[d]!, R[d + 1]!, P[ip + 1]!, 8, true, ip >> 2);
            dv = this.dv;
          }
          dv.setInt32(a, R[s]!, true);
          dv.setInt32(a + 4, R[s + 1]!, true);
          break;
        }
        case 78: { // ATOMIC (size in the extra bits, the operation in imm)
          const sz = w >> 16;
          let a = (R[d]! >>> 0) + P[ip + 1]!;
          if (R[d + 1] !== 0 || a < 0 || a + sz > memEnd) {
            this.executed = n;
            a = this.addr(R[d]!, R[d + 1]!, P[ip + 1]!, sz, true, ip >> 2);
            dv = this.dv;
          }
          this.atomic(R, s, P[ip + 3]!, a, sz);
          break;
        }
        // ---- superinstructions (fuseSlots): the first instruction, then the rest unless the budget ends ----
        case 80: // MOV64 + ADD64
        case 81: // MOV64 + SUB64
        case 82: // MOV64 + MUL64
        case 83: // MOV64 + OR64
        case 84: // MOV64 + AND64
        case 85: // MOV64 + XOR64
        case 86: // MOV64 + LSH64
        case 87: // MOV64 + RSH64
        case 88: { // MOV64 + ARSH64
          R[d] = R[s]!;
          R[d + 1] = R[s + 1]!;
          if (n >= max) break;
          n++;
          next = ip + 8;
          const b = P[ip + 6]!;
          switch (w & 0xff) {
            case 80: {
              const lo = (R[d]! >>> 0) + (R[b]! >>> 0);
              R[d + 1] = (R[d + 1]! + R[b + 1]! + (lo >= TWO32 ? 1 : 0)) | 0;
              R[d] = lo | 0;
              break;
            }
            case 81: {
              const al = R[d]!;
              const bl = R[b]!;
              R[d] = (al - bl) | 0;
              R[d + 1] = (R[d + 1]! - R[b + 1]! - ((al >>> 0) < (bl >>> 0) ? 1 : 0)) | 0;
              break;
            }
            case 82: {
              const al = R[d]!;
              const bl = R[b]!;
              R[d + 1] = (mulHighU32(al >>> 0, bl >>> 0) + Math.imul(al, R[b + 1]!) + Math.imul(R[d + 1]!, bl)) | 0;
              R[d] = Math.imul(al, bl);
              break;
            }
            case 83:
              R[d] = R[d]! | R[b]!;
              R[d + 1] = R[d + 1]! | R[b + 1]!;
              break;
            case 84:
              R[d] = R[d]! & R[b]!;
              R[d + 1] = R[d + 1]! & R[b + 1]!;
              break;
            case 85:
              R[d] = R[d]! ^ R[b]!;
              R[d + 1] = R[d + 1]! ^ R[b + 1]!;
              break;
            case 86: {
              const k = R[b]! & 63;
              const al = R[d]!;
              if (k === 0) break;
              if (k < 32) {
                R[d + 1] = (R[d + 1]! << k) | (al >>> (32 - k));
                R[d] = al << k;
              } else {
                R[d + 1] = al << (k - 32);
                R[d] = 0;
              }
              break;
            }
            case 87: {
              const k = R[b]! & 63;
              const ah = R[d + 1]!;
              if (k === 0) break;
              if (k < 32) {
                R[d] = (R[d]! >>> k) | (ah << (32 - k));
                R[d + 1] = ah >>> k;
              } else {
                R[d] = ah >>> (k - 32);
                R[d + 1] = 0;
              }
              break;
            }
            default: {
              const k = R[b]! & 63;
              const ah = R[d + 1]!;
              if (k === 0) break;
              if (k < 32) {
                R[d] = (R[d]! >>> k) | (ah << (32 - k));
                R[d + 1] = ah >> k;
              } else {
                R[d] = ah >> (k - 32);
                R[d + 1] = ah >> 31;
              }
            }
          }
          break;
        }
        case 89: { // MOV64 + MOV64
          R[d] = R[s]!;
          R[d + 1] = R[s + 1]!;
          if (n >= max) break;
          n++;
          next = ip + 8;
          const d2 = (P[ip + 4]! >> 8) & 0xff;
          const s2 = P[ip + 6]!;
          R[d2] = R[s2]!;
          R[d2 + 1] = R[s2 + 1]!;
          break;
        }
        case 90: // LSH64 32 + RSH64 32: zero-extend the low half
        case 91: // LSH64 32 + ARSH64 32: sign-extend it
          if (n >= max) {
            R[d + 1] = R[d]!;
            R[d] = 0;
            break;
          }
          n++;
          next = ip + 8;
          R[d + 1] = (w & 0xff) === 90 ? 0 : R[d]! >> 31;
          break;
        case 92: // MOV64 + LSH64 32 + RSH64 32
        case 93: // MOV64 + LSH64 32 + ARSH64 32
          R[d] = R[s]!;
          R[d + 1] = R[s + 1]!;
          if (n >= max) break;
          if (n + 1 >= max) {
            n++;
            next = ip + 8;
            R[d + 1] = R[d]!;
            R[d] = 0;
            break;
          }
          n += 2;
          next = ip + 12;
          R[d + 1] = (w & 0xff) === 92 ? 0 : R[d]! >> 31;
          break;
        default: { // K_BADREG: a register number past r10
          this.executed = n;
          const pc = ip >> 2;
          const i = this.prog[pc]!;
          throw new RuntimeFault('RUN_MEM_FAULT', `instruction ${pc} (opcode 0x${i.code.toString(16)}) names register ${i.dst >= NUM_REGS ? i.dst : i.src}: there are ${NUM_REGS}`, pc);
        }
      }
      if (tracing && before) this.emitTrace(ip >> 2, nf, before, R);
      ip = next;
    }
  }

  /** The compiled tier's callee register file at `depth`, made once (the constant pool copied in). */
  /** @internal The decoding the compiled tier starts from (no superinstructions). */
  static decodePlain(prog: readonly Insn[]): { code: Int32Array; regs: Int32Array } {
    return decode(prog, true, false);
  }

  /** @internal */
  callFile(depth: number): Int32Array {
    return (this.callFiles[depth] ??= this.template.slice());
  }

  /**
   * The compiled tier's bpf_tail_call, as exec()'s K_TAIL_CALL: true when the target ran (its r0 in
   * R[0], R[1], this.executed its count), false to go on with the next instruction.
   */
  /** @internal */
  tailCallFrom(R: Int32Array, depth: number, pc: number, n: number): boolean {
    this.executed = n;
    if (this.checked) this.checkArgs(HELPER_TAIL_CALL, R, pc);
    const view = this.freshView();
    const count = view.getUint32(RUN_BASE + RUN.TAIL_CALLS, true);
    const target = count < MAX_TAIL_CALL_CNT ? this.tailCall!(this.arg(R, 2), this.arg(R, 3)) : undefined;
    if (!target) return false;
    view.setUint32(RUN_BASE + RUN.TAIL_CALLS, count + 1, true);
    const saved = this.regions;
    target.runTail(R, depth, saved, n);
    this.regions = saved;
    this.executed = target.executed;
    return true;
  }

  /** The BigInt form of an ALU instruction, for the encodings the number paths leave out. */
  private slowAlu(pc: number, R: Int32Array, is64: boolean): void {
    const ins = this.prog[pc]!;
    const r = (i: number) => (i < NUM_REGS ? big(R[2 * i]!, R[2 * i + 1]!) : 0n);
    if ((ins.code & 0xf0) === 0xd0 && (is64 || (ins.code & Source.X) !== 0)) {
      // an END width other than 16/32/64: BigInt.asUintN semantics, byte-swapped over bits/8 bytes
      const bits = ins.imm;
      const v = BigInt.asUintN(bits, r(ins.dst));
      let out = 0n;
      for (let i = 0; i < bits / 8; i++) out = (out << 8n) | ((v >> BigInt(8 * i)) & 0xffn);
      this.setBig(R, ins.dst, out);
      return;
    }
    this.setBig(R, ins.dst, aluBig(ins, r(ins.dst), r(ins.src), is64, pc));
  }

  /**
   * @internal A helper that calls the program back (bpf_loop, bpf_for_each_map_elem), from frame
   * `depth`: with an interpreter callback (tagged), each call is a new frame of this interpreter; else
   * the helper's own (the fast path's, which calls a table index).
   */
  callbackHelper(id: number, R: Int32Array, depth: number, pc: number, checked: boolean): void {
    if (checked) this.checkCallback(id, R, pc);
    if (isRbtreeAdd(id)) this.rbtreeAdd(id, R, depth, pc);
    else if (R[5] !== CALLBACK_TAG_HI) this.callHelper(id, R, pc);
    else if (id === HELPER_LOOP) this.loop(R, depth, pc);
    else if (id === HELPER_FOR_EACH_MAP_ELEM) this.forEachMapElem(R, depth, pc);
    else {
      // bpf_timer_set_callback: the fast path keeps the callback; this interpreter runs it when due
      this.callHelper(id, R, pc);
      const owners = this.helpers.get(id)?.timerOwners;
      if (owners && R[0] === 0 && R[1] === 0) owners.set(this.freshView().getUint32(R[2]! >>> 0, true), this);
    }
  }

  /**
   * @internal A timer's callback (bpf_timer_set_callback's, tagged), run from nothing as the kernel's
   * bpf_timer_cb does: frame 0, (map, key, value); its r0.
   */
  runAsyncCallback(callback: bigint, r1: bigint, r2: bigint, r3: bigint): bigint {
    const C = this.template.slice();
    C.set(this.zeroRegs);
    const put = (r: number, v: bigint): void => {
      C[2 * r] = Number(v & 0xffff_ffffn) | 0;
      C[2 * r + 1] = Number(BigInt.asUintN(64, v) >> 32n) | 0;
    };
    put(1, r1);
    put(2, r2);
    put(3, r3);
    C[2 * FP] = STACK_TOP;
    this.regions = this.runRegions.length > 0 ? this.runRegions : [STACK_REGION, WALK_REGION];
    this.executed = 0;
    // a bpf_throw in the callback ends it with the cookie (fired by the stack's clock, not in a run: no
    // engine entry above it catches the exception)
    try {
      this.exec(Number(callback & 0xffff_ffffn), C, 0);
    } catch (e) {
      thrown(e, C);
    }
    return big(C[0]!, C[1]!);
  }

  /**
   * bpf_for_each_map_elem(map, callback, ctx, flags): the fast path's walk of the map
   * (assembly/maps/for_each.ts), each element a call of the callback (map, key, value, ctx) in a new
   * frame; r0 != 0 stops it. The elements visited, or -EINVAL for flags != 0.
   */
  private forEachMapElem(R: Int32Array, depth: number, pc: number): void {
    if ((R[8]! | R[9]!) !== 0) {
      R[0] = -22; // -EINVAL
      R[1] = -1;
      return;
    }
    const walk = this.helpers.get(HELPER_FOR_EACH_MAP_ELEM)?.walk;
    if (!walk) throw new RuntimeFault('RUN_HELPER', "bpf_for_each_map_elem walks the fast path's maps: none here", pc);
    const target = R[4]! >>> 0;
    const map = R[2]! >>> 0;
    const { fl, fh } = calleeFrame(R);
    const ctxl = R[6]!;
    const ctxh = R[7]!;
    const it = walk.record(depth);
    walk.start(it);
    const C = (this.callbackFiles[depth + 1] ??= this.template.slice());
    let n = 0;
    for (let key = walk.next(map, it); key !== 0; key = walk.next(map, it)) {
      if (depth + 1 >= MAX_FRAMES) throw callDepthFault(pc, MAX_FRAMES);
      n++;
      C.set(this.zeroRegs);
      C[2] = R[2]!;
      C[3] = R[3]!;
      C[4] = key;
      C[6] = this.freshView().getUint32(it + MAP_ITER_VALUE, true);
      C[8] = ctxl;
      C[9] = ctxh;
      C[2 * FP] = fl;
      C[2 * FP + 1] = fh;
      this.exec(target, C, depth + 1);
      if (C[0] !== 0 || C[1] !== 0) break;
    }
    R[0] = n;
    R[1] = 0;
  }

  /**
   * bpf_rbtree_add (lowered, helpers/obj_kfuncs.ts): the kfunc calls less(a, b) — r3, a callback of this
   * program — through ctx.callback, each call a new frame below this one, as bpf_loop's.
   */
  private rbtreeAdd(id: number, R: Int32Array, depth: number, pc: number): void {
    const { fl, fh } = calleeFrame(R);
    const C = (this.callbackFiles[depth + 1] ??= this.template.slice());
    const ctx = this.helperCtx;
    ctx.callback = (fn, a, b) => {
      if (depth + 1 >= MAX_FRAMES) throw callDepthFault(pc, MAX_FRAMES);
      if (Number(BigInt.asIntN(32, fn >> 32n)) !== CALLBACK_TAG_HI) throw callbackFault(pc, fn);
      C.set(this.zeroRegs);
      C[2] = Number(a & 0xffff_ffffn) | 0;
      C[3] = Number(a >> 32n) | 0;
      C[4] = Number(b & 0xffff_ffffn) | 0;
      C[5] = Number(b >> 32n) | 0;
      C[2 * FP] = fl;
      C[2 * FP + 1] = fh;
      this.exec(Number(fn & 0xffff_ffffn), C, depth + 1);
      return big(C[0]!, C[1]!);
    };
    try {
      this.callHelper(id, R, pc);
    } finally {
      ctx.callback = undefined;
    }
  }

  /** bpf_loop(nr, callback, ctx, flags) with an interpreter callback: each call is a new frame. */
  private loop(R: Int32Array, depth: number, pc: number): void {
    if ((R[8]! | R[9]!) !== 0) {
      R[0] = -22; // -EINVAL
      R[1] = -1;
      return;
    }
    if (R[3] !== 0 || R[2]! >>> 0 > BPF_MAX_LOOPS) {
      R[0] = -7; // -E2BIG: the helper's 64-bit -7, or the kernel's inlined loop's 32-bit move (0xfffffff9)
      R[1] = this.loopInlined?.has(pc) ? 0 : -1;
      return;
    }
    const nr = R[2]!;
    if (nr > 0 && depth + 1 >= MAX_FRAMES) throw callDepthFault(pc, MAX_FRAMES);
    const target = R[4]! >>> 0;
    const { fl, fh } = calleeFrame(R);
    const ctxl = R[6]!;
    const ctxh = R[7]!;
    const C = (this.callbackFiles[depth + 1] ??= this.template.slice());
    for (let i = 0; i < nr; i++) {
      C.set(this.zeroRegs);
      C[2] = i;
      C[4] = ctxl;
      C[5] = ctxh;
      C[2 * FP] = fl;
      C[2 * FP + 1] = fh;
      this.exec(target, C, depth + 1);
      if (C[0] !== 0 || C[1] !== 0) {
        R[0] = i + 1;
        R[1] = 0;
        return;
      }
    }
    R[0] = nr;
    R[1] = 0;
  }

  private emitTrace(pc: number, frame: number, before: Int32Array | undefined, R: Int32Array): void {
    if (!this.trace || !before) return;
    const changed: Array<[number, bigint, bigint]> = [];
    for (let i = 0; i < NUM_REGS; i++) {
      const lo = 2 * i;
      if (before[lo] !== R[lo] || before[lo + 1] !== R[lo + 1]) changed.push([i, big(before[lo]!, before[lo + 1]!), big(R[lo]!, R[lo + 1]!)]);
    }
    this.trace({ pc, insn: this.prog[pc]!, frame, changed });
  }

  /**
   * Checked runs, before bpf_loop or bpf_for_each_map_elem: its arguments, and a callback that is one of
   * this program's (a forged value would run from any instruction or, untagged, send the fast path's
   * helper to any function of its table).
   */
  checkCallback(id: number, R: Int32Array, pc: number): void {
    this.checkArgs(id, R, pc);
    // bpf_rbtree_add's less() is its third argument
    const r = isRbtreeAdd(id) ? 3 : 2;
    if (R[2 * r + 1] !== CALLBACK_TAG_HI || !this.callbackTargets.has(R[2 * r]! >>> 0)) throw callbackFault(pc, this.arg(R, r));
  }

  /** Checked runs: the helper's pointer arguments against the regions, before the call. */
  private checkArgs(id: number, R: Int32Array, pc: number): void {
    const f = this.argMemo.check(id, this.arg(R, 1), this.arg(R, 2), this.arg(R, 3), this.arg(R, 4), this.arg(R, 5), this.regions, pc);
    if (f) throw f;
  }

  private callHelper(id: number, R: Int32Array, pc: number): void {
    // looked up at each call: a helper registered after the program was loaded is found
    const h = this.helpers.get(id);
    if (!h) throw new RuntimeFault('RUN_HELPER', `call to unknown helper ${helperName(id)} (id ${id})`, pc);
    const ctx = this.helperCtx;
    ctx.pc = pc;
    const v = h.fn(this.arg(R, 1), this.arg(R, 2), this.arg(R, 3), this.arg(R, 4), this.arg(R, 5), ctx);
    if (R0_LOW_BYTE_CALLS.has(id)) {
      // the low byte only; the compiled tier, which leaves R[0..1] stale, puts its own r0 back over this
      R[0] = (R[0]! & ~0xff) | Number(v & 0xffn);
      return;
    }
    this.setBig(R, 0, v);
  }

  /**
   * @internal bpf_map_lookup_elem(map, key) for the compiled tier, by register halves: on an array the
   * program names, the value's address (0 when the index is out of range), read as the fast path's
   * helper reads it (and as the JIT inlines it), with no call out of JavaScript; -1 when the lookup is
   * not one of those (another map, helper 1 not the fast path's): then the helper is called.
   */
  arrayLookup(mapLo: number, mapHi: number, keyLo: number, keyHi: number): number {
    if (this.arrays === undefined || (mapHi | keyHi) !== 0 || this.halvesGeneration !== this.helpers.generation || this.byHalves[1] === null) return -1;
    const m = mapLo >>> 0;
    let a = this.lastArray;
    if (m !== this.lastArrayAddr) {
      a = this.arrays.get(m);
      this.lastArrayAddr = m;
      this.lastArray = a;
    }
    const key = keyLo >>> 0;
    if (a === undefined || a.progArray || a.ofMaps || key + 4 > this.dvEnd || this.u8.length === 0) return -1;
    const idx = this.dv.getUint32(key, true);
    if (idx >= a.maxEntries) return 0;
    let r = a.data + idx * a.stride;
    if (a.percpu) {
      const cpu = this.dv.getUint32(RUN_BASE + RUN.CPU, true);
      r += (cpu < a.percpu.ncpus ? cpu : 0) * a.percpu.cpuStride;
    }
    return r;
  }

  /** arrayLookup's last map: its header address and geometry (undefined: not a named array). */
  private lastArrayAddr = -1;
  private lastArray: InlineArray | undefined;

  /**
   * @internal The compiled tier's helper `id` when it is a fast-path helper (HelperDef.wasm, the
   * function the JIT calls): callable by register halves, no BigInt (helper_call.ts); null when it is
   * not, and the helper is called through callHelper. The same helper, the same result: `fn` of a
   * fast-path helper is its `wasm` with the result made unsigned. Read at each call (as the JIT reads
   * the table): a helper registered since starts the cache over.
   */
  halves(id: number): HalvesHelper | null {
    if (this.halvesGeneration !== this.helpers.generation) {
      this.byHalves.length = 0;
      this.halvesGeneration = this.helpers.generation;
    }
    let w = this.byHalves[id];
    if (w === undefined) {
      const h = this.helpers.get(id);
      w = this.byHalves[id] = (h?.wasm !== undefined ? halvesHelper(h.wasm) : undefined) ?? null;
    }
    return w;
  }

  /** The array maps the program names (src/jit/array_maps.ts), for arrayLookup; with a fast path only. */
  private readonly arrays: ReadonlyMap<number, InlineArray> | undefined;

  /** halves()'s helpers by id: callable by halves, or null (through callHelper). */
  private readonly byHalves: Array<HalvesHelper | null | undefined> = [];
  private halvesGeneration = -1;

  /** Helper arguments as BigInts, each position's last one kept: a map or a stack key repeats. */
  private readonly argLo = new Int32Array(6);
  private readonly argHi = new Int32Array(6);
  private readonly argVal: bigint[] = [0n, 0n, 0n, 0n, 0n, 0n];
  private arg(R: Int32Array, r: number): bigint {
    const lo = R[2 * r]!;
    const hi = R[2 * r + 1]!;
    if (lo === this.argLo[r] && hi === this.argHi[r]) return this.argVal[r]!;
    const v = big(lo, hi);
    this.argLo[r] = lo;
    this.argHi[r] = hi;
    this.argVal[r] = v;
    return v;
  }

  /**
   * Effective address of an access (the register pair plus the sign-extended offset, mod 2^64), checked
   * against the regions in checked mode and against the memory's end always; this.dv covers it after.
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
    // A probe load (untrusted memory) reads any address past the null guard the memory holds, and 0
    // elsewhere (-1 here). (The fast path above reads the null guard itself: nothing writes it, it
    // holds zeros.)
    if (!write && this.probeLoads?.has(pc)) return h === 0 && a >= NULL_GUARD_END && a + size <= this.freshView().byteLength ? a : -1;
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
          const v = this.freshView();
          ok = a >= v.getUint32(CTX_BASE + CTX.DATA_META, true) && a + size <= v.getUint32(CTX_BASE + CTX.DATA_END, true);
        }
      }
      if (!ok) throw memFault(pc, BigInt(a), size, write);
    }
    if (a + size > this.freshView().byteLength && a + size > this.view().byteLength) {
      // (the cached view's length first: the Memory's buffer getter is a call into the engine)
      throw memFault(pc, BigInt(a), size, write); // even unchecked, never touch memory that is not there
    }
    return a;
  }

  private atomic(R: Int32Array, s: number, aop: number, a: number, size: number): void {
    const dv = this.dv;
    const wide = size === 8;
    const ol = dv.getInt32(a, true);
    const oh = wide ? dv.getInt32(a + 4, true) : 0;
    const sl = R[s]!;
    const sh = wide ? R[s + 1]! : 0;
    // the new value, stored unless a CMPXCHG does not match
    let nl: number;
    let nh: number;
    if (aop === 0xf1 /* CMPXCHG */) {
      if (ol === R[0] && (!wide || oh === R[1])) put(dv, a, wide, sl, sh);
      R[0] = ol;
      R[1] = oh;
      return;
    }
    if (aop === 0xe1 /* XCHG */) {
      put(dv, a, wide, sl, sh);
      R[s] = ol;
      R[s + 1] = oh;
      return;
    }
    switch (aop & ~0x01 /* FETCH */) {
      case 0x00: { // ADD
        const lo = (ol >>> 0) + (sl >>> 0);
        nl = lo | 0;
        nh = (oh + sh + (lo >= TWO32 ? 1 : 0)) | 0;
        break;
      }
      case 0x40: // OR
        nl = ol | sl;
        nh = oh | sh;
        break;
      case 0x50: // AND
        nl = ol & sl;
        nh = oh & sh;
        break;
      default:
        nl = ol ^ sl;
        nh = oh ^ sh;
        break;
    }
    put(dv, a, wide, nl, nh);
    if (aop & 0x01 /* FETCH */) {
      R[s] = ol;
      R[s + 1] = oh;
    }
  }
}

/** What the compiled tier's code calls besides the interpreter's methods. */
const COMPILE_LIB: CompileLib = {
  divide,
  mulHighU32,
  bswap32,
  callDepthFault,
  maxFrames: MAX_FRAMES,
  stackSize: STACK_SIZE,
  callbackTagHi: CALLBACK_TAG_HI,
  maxLoops: BPF_MAX_LOOPS,
};

/** Store an atomic operation's result: the word, and for a doubleword its high half. */
function put(dv: DataView, a: number, wide: boolean, lo: number, hi: number): void {
  dv.setInt32(a, lo, true);
  if (wide) dv.setInt32(a + 4, hi, true);
}

/**
 * DIV/MOD (unsigned, or signed when off is 1) on numbers when both operands fit 32 bits (ALU32: their
 * low halves); false when the 64-bit operands need the BigInt path. `isMod` 1 for MOD.
 */
function divide(R: Int32Array, d: number, s: number, off: number, isMod: number, is64: boolean): boolean {
  const al = R[d]!;
  const ah = is64 ? R[d + 1]! : 0;
  const bl = R[s]!;
  const bh = is64 ? R[s + 1]! : 0;
  if (is64 && !(bl === 0 && bh === 0)) {
    const fits = off === 0 ? ah === 0 && bh === 0 : ah === al >> 31 && bh === bl >> 31;
    if (!fits) return false;
  }
  if (bl === 0 && bh === 0) {
    // division by zero gives 0, modulo by zero leaves the dividend (truncated for ALU32)
    if (!isMod) R[d] = R[d + 1] = 0;
    else {
      R[d] = al;
      R[d + 1] = ah;
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
  R[d] = q | 0;
  R[d + 1] = is64 ? Math.floor(q / TWO32) | 0 : 0;
  return true;
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

/** bpf_throw ended the run: the cookie is r0 (anything else goes on up). */
function thrown(e: unknown, R: Int32Array): void {
  if (!(e instanceof BpfThrow)) throw e;
  R[0] = Number(e.cookie & 0xffff_ffffn) | 0;
  R[1] = Number(e.cookie >> 32n) | 0;
}
