// Random valid eBPF programs for differential testing (interpreter vs JIT).
//
// Every program passes the load-time check and terminates: jumps go forward, except the back edge of
// counted loops whose counter (r9) nothing else writes. r6 holds the input pointer for the whole run and
// r10 the stack, so most memory accesses land in a region; a few use a random base or an offset past the
// end on purpose, to compare faults. The generator is seeded, so a failure names a reproducible seed.

import { AluOp, AtomicOp, Class, JmpOp, Mode, Size, Source } from '../../src/isa/opcodes.js';
import { Ins, type Insn } from '../../src/isa/insn.js';

export const INPUT_LEN = 64;
export const TEST_HELPER = 1000;

/**
 * The seeds a kernel fuzz runs, from its env variable: unset → 1, 2; `a,b,…` → those; `random:K` → 1, 2
 * and K random ones (the test names print them, so a failing one replays).
 */
export function fuzzSeeds(env: string | undefined): number[] {
  if (!env) return [1, 2];
  const m = /^random:(\d+)$/.exec(env);
  if (m) return [1, 2, ...Array.from({ length: Number(m[1]) }, () => 1 + Math.floor(Math.random() * 2 ** 31))];
  return env.split(',').map(Number);
}

export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 1;
  }
  next(): number {
    // xorshift32
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s;
  }
  int(n: number): number {
    return this.next() % n;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  chance(p: number): boolean {
    return this.next() / 0x100000000 < p;
  }
  imm32(): number {
    switch (this.int(6)) {
      case 0:
        return this.pick([0, 1, -1, 0x7fffffff, -0x80000000, 0xff, 0xffff, 0x8000, 32, 63, 64]);
      case 1:
        return this.int(64) - 8;
      default:
        return this.next() | 0;
    }
  }
  imm64(): bigint {
    const hi = BigInt(this.next() >>> 0);
    const lo = BigInt(this.next() >>> 0);
    return this.pick([(hi << 32n) | lo, 0x8000000000000000n, 0xffffffffffffffffn, lo, 1n]);
  }
}

/** A jump whose target is resolved after layout. */
interface Pending {
  ins: Insn;
  /** Index (in the function's own list) the jump must land on. */
  target: number;
  field: 'off' | 'imm';
}

const WRITABLE = [0, 1, 2, 3, 4, 5, 7, 8] as const; // never r6 (input pointer), r9 (loop counter), r10
const READABLE = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10] as const;
const ALU_OPS = [AluOp.ADD, AluOp.SUB, AluOp.MUL, AluOp.DIV, AluOp.OR, AluOp.AND, AluOp.LSH, AluOp.RSH, AluOp.NEG, AluOp.MOD, AluOp.XOR, AluOp.MOV, AluOp.ARSH, AluOp.END];
const COND_OPS = [JmpOp.JEQ, JmpOp.JGT, JmpOp.JGE, JmpOp.JSET, JmpOp.JNE, JmpOp.JSGT, JmpOp.JSGE, JmpOp.JLT, JmpOp.JLE, JmpOp.JSLT, JmpOp.JSLE];
const SIZES = [Size.B, Size.H, Size.W, Size.DW];
const BYTES: Record<number, number> = { [Size.B]: 1, [Size.H]: 2, [Size.W]: 4, [Size.DW]: 8 };
const ATOMICS = [AtomicOp.ADD, AtomicOp.OR, AtomicOp.AND, AtomicOp.XOR].flatMap((o) => [o, o | AtomicOp.FETCH]).concat([AtomicOp.XCHG, AtomicOp.CMPXCHG]);

function aluInsn(r: Rng): Insn {
  const is64 = r.chance(0.6);
  const cls = is64 ? Class.ALU64 : Class.ALU;
  const op = r.pick(ALU_OPS);
  const dst = r.pick(WRITABLE);
  const bits = is64 ? 64 : 32;
  if (op === AluOp.NEG) return { code: cls | op, dst, src: 0, off: 0, imm: 0 };
  if (op === AluOp.END) {
    const toBe = !is64 && r.chance(0.5);
    return { code: cls | op | (toBe ? Source.X : Source.K), dst, src: 0, off: 0, imm: r.pick([16, 32, 64]) };
  }
  const useReg = r.chance(0.5);
  let off = 0;
  if ((op === AluOp.DIV || op === AluOp.MOD) && r.chance(0.4)) off = 1;
  if (op === AluOp.MOV && useReg && r.chance(0.3)) off = r.pick(is64 ? [8, 16, 32] : [8, 16]);
  if (useReg) return { code: cls | op | Source.X, dst, src: r.pick(READABLE), off, imm: 0 };
  let imm = r.imm32();
  if (op === AluOp.LSH || op === AluOp.RSH || op === AluOp.ARSH) imm = r.int(bits);
  if ((op === AluOp.DIV || op === AluOp.MOD) && imm === 0) imm = 3;
  return { code: cls | op, dst, src: 0, off, imm };
}

function memInsn(r: Rng): Insn[] {
  const sz = r.pick(SIZES);
  const n = BYTES[sz]!;
  const stack = r.chance(0.5);
  let base: number = stack ? 10 : 6;
  // Mostly in range; sometimes just past an edge, sometimes a random register as the base.
  let off = stack ? -(n + r.int(512 - n + 1)) : r.int(INPUT_LEN - n + 1);
  if (r.chance(0.015)) off = stack ? r.pick([0, -513, 1]) : r.pick([INPUT_LEN - n + 1, -1, INPUT_LEN]);
  if (r.chance(0.01)) base = r.pick(READABLE);
  switch (r.int(5)) {
    case 0:
      return [{ code: Class.LDX | Mode.MEM | sz, dst: r.pick(WRITABLE), src: base, off, imm: 0 }];
    case 1:
      if (sz === Size.DW) return [{ code: Class.LDX | Mode.MEM | sz, dst: r.pick(WRITABLE), src: base, off, imm: 0 }];
      return [{ code: Class.LDX | Mode.MEMSX | sz, dst: r.pick(WRITABLE), src: base, off, imm: 0 }];
    case 2:
      return [{ code: Class.ST | Mode.MEM | sz, dst: base, src: 0, off, imm: r.imm32() }];
    case 3:
      return [{ code: Class.STX | Mode.MEM | sz, dst: base, src: r.pick(READABLE), off, imm: 0 }];
    default: {
      const asz = r.pick([Size.W, Size.DW]);
      const an = BYTES[asz]!;
      const aoff = stack ? -an * (1 + r.int(512 / an)) : an * r.int(INPUT_LEN / an);
      const aop = r.pick(ATOMICS);
      // fetch forms write their src register, so it must be writable
      const src = aop & AtomicOp.FETCH ? r.pick(WRITABLE) : r.pick(READABLE);
      return [{ code: Class.STX | Mode.ATOMIC | asz, dst: base, src, off: aoff, imm: aop }];
    }
  }
}

interface GenOptions {
  /** Straight-line body length (before jumps are added). */
  length: number;
  /** Allow counted loops. */
  loops: boolean;
  /** Subprogram indices this function may call (relative placement resolved by the caller). */
  callees: number;
}

/** One function body; `calls` records [index in body, callee number] for the caller to resolve. */
function genFunction(r: Rng, o: GenOptions, isMain: boolean): { body: Insn[]; pending: Pending[]; calls: Array<[number, number]> } {
  const body: Insn[] = [];
  const pending: Pending[] = [];
  const calls: Array<[number, number]> = [];
  if (isMain) {
    body.push({ code: Class.ALU64 | AluOp.MOV | Source.X, dst: 6, src: 1, off: 0, imm: 0 });
    for (const reg of [0, 2, 3, 4, 5, 7, 8, 9]) {
      if (r.chance(0.2)) body.push(...Ins.lddw(reg as 0, r.imm64()));
      else body.push({ code: Class.ALU64 | AluOp.MOV, dst: reg, src: 0, off: 0, imm: r.imm32() });
    }
  }
  const loops: Array<[number, number]> = []; // [first body slot, back-edge slot] of each counted loop
  const emitBlock = (len: number, inLoop: boolean): void => {
    const start = body.length;
    const jumps: Array<{ at: number; span: number }> = [];
    for (let i = 0; i < len; i++) {
      const k = r.int(100);
      if (k < 50) body.push(aluInsn(r));
      else if (k < 72) body.push(...memInsn(r));
      else if (k < 82) {
        // forward conditional jump (target fixed when the block is complete)
        const is32 = r.chance(0.3);
        const op = r.pick(COND_OPS);
        const x = r.chance(0.5);
        body.push({ code: (is32 ? Class.JMP32 : Class.JMP) | op | (x ? Source.X : Source.K), dst: r.pick(READABLE), src: x ? r.pick(READABLE) : 0, off: 0, imm: x ? 0 : r.imm32() });
        jumps.push({ at: body.length - 1, span: 1 + r.int(8) });
      } else if (k < 85) {
        body.push(r.chance(0.5) ? Ins.ja(0) : Ins.ja32(0));
        jumps.push({ at: body.length - 1, span: 1 + r.int(4) });
      } else if (k < 89) {
        body.push(Ins.call(TEST_HELPER));
      } else if (k < 93 && o.callees > 0) {
        body.push(Ins.callLocal(0));
        calls.push([body.length - 1, r.int(o.callees)]);
      } else if (k < 96 && o.loops && !inLoop) {
        const n = 1 + r.int(5);
        body.push({ code: Class.ALU64 | AluOp.MOV, dst: 9, src: 0, off: 0, imm: n });
        const head = body.length;
        emitBlock(2 + r.int(6), true);
        body.push({ code: Class.ALU64 | AluOp.SUB, dst: 9, src: 0, off: 0, imm: 1 });
        const back: Insn = { code: Class.JMP | JmpOp.JNE, dst: 9, src: 0, off: 0, imm: 0 };
        body.push(back);
        pending.push({ ins: back, target: head, field: 'off' });
        loops.push([head, body.length - 1]);
      } else {
        body.push(aluInsn(r));
      }
    }
    // Resolve this block's forward jumps to land inside the block or just after it.
    const end = body.length;
    for (const j of jumps) {
      let target = Math.min(j.at + 1 + j.span, end);
      // Never jump into a loop from outside it: that would skip the counter's initialisation.
      for (const [head, backEdge] of loops) {
        const inside = (x: number) => x >= head && x <= backEdge;
        if (inside(target) && !inside(j.at)) target = backEdge + 1;
      }
      pending.push({ ins: body[j.at]!, target: Math.max(target, start), field: (body[j.at]!.code & 0x07) === Class.JMP32 && (body[j.at]!.code & 0xf0) === JmpOp.JA ? 'imm' : 'off' });
    }
  };
  emitBlock(o.length, false);
  body.push(Ins.exit());
  return { body, pending, calls };
}

/** A random valid program: main plus up to `maxSubprogs` callees (each may call later ones only). */
export function randomProgram(seed: number, opts: { length?: number; maxSubprogs?: number } = {}): Insn[] {
  const r = new Rng(seed);
  const nSub = r.int((opts.maxSubprogs ?? 2) + 1);
  const fns = [];
  for (let f = 0; f <= nSub; f++) {
    fns.push(genFunction(r, { length: 4 + r.int(opts.length ?? 40), loops: true, callees: nSub - f }, f === 0));
  }
  // Lay out functions one after another, then resolve jumps and calls to slot offsets.
  const starts: number[] = [];
  let at = 0;
  for (const f of fns) {
    starts.push(at);
    at += f.body.length;
  }
  fns.forEach((f, fi) => {
    for (const p of f.pending) {
      const from = f.body.indexOf(p.ins);
      p.ins[p.field] = p.target - from - 1;
    }
    for (const [idx, callee] of f.calls) {
      const targetFn = fi + 1 + callee; // only later functions: no recursion
      f.body[idx]!.imm = starts[targetFn]! - (starts[fi]! + idx) - 1;
    }
  });
  return fns.flatMap((f) => f.body);
}
