// Known zero bits: which bits of each register are zero whatever the run, as far as one straight line
// of instructions shows. The lowering uses them at a 64-bit `rd |= rs` whose operands can have no set
// bit in common: there `or` is `add`, and V8 folds an add of a shift by 1, 2 or 3 into one leaq, where
// `shl; or` stay two dependent instructions (the Toeplitz hash's `window = window << 1 | bit`, a CRC's
// or a bit reader's accumulator: 80.2 -> 66.4 ns for programs/loop_toeplitz).
//
// Forward over one block (or one unrolled copy of it), from nothing known: the facts come from what
// the instructions themselves say (a constant, a mask, a constant shift, a narrow load, a 32-bit
// operation's zero extension), the same bit rules as the kernel's tnum (kernel/bpf/tnum.c: tnum_and,
// tnum_lshift, tnum_rshift), only the "known zero" half of them. Anything else written forgets.

import { AluOp, Class, CLASS_MASK, JmpOp, Mode, MODE_MASK, OP_LDDW, OP_MASK, Size, SIZE_MASK, Source, SOURCE_MASK } from '../isa/opcodes.js';
import { writesRegister, type Insn } from '../isa/insn.js';

const ALL = (1n << 64n) - 1n;
/** imm sign-extended to 64 bits, as eBPF's 64-bit ALU reads a K operand. */
const k64 = (imm: number): bigint => BigInt.asUintN(64, BigInt(imm | 0));

/**
 * A byte-order instruction's zero bits: the result is imm bits wide (zero above), and ALU|END of 64
 * bits is 64-bit whatever its class. to_le on this little-endian host only truncates; to_be and
 * ALU64's unconditional bswap move each source byte i of the low imm/8 to byte imm/8-1-i.
 */
function swapped(ins: Insn, d: bigint): bigint | undefined {
  const bits = ins.imm;
  if (bits !== 16 && bits !== 32 && bits !== 64) return undefined;
  const above = bits === 64 ? 0n : ALL ^ ((1n << BigInt(bits)) - 1n);
  const swaps = (ins.code & CLASS_MASK) === Class.ALU64 || (ins.code & SOURCE_MASK) === Source.X;
  if (!swaps) return above | d;
  let low = 0n;
  const n = bits / 8;
  for (let i = 0; i < n; i++) low |= ((d >> BigInt(8 * i)) & 0xffn) << BigInt(8 * (n - 1 - i));
  return above | low;
}

export class KnownZeros {
  /** Register -> mask of bits known to be zero (absent: none). */
  private zeros = new Map<number, bigint>();

  reset(): void {
    this.zeros.clear();
  }

  /** The bits of r known to be zero before the next instruction. */
  of(r: number): bigint {
    return this.zeros.get(r) ?? 0n;
  }

  /** Whether `rd | rs` (64 bits) equals `rd + rs` now: no bit can be set in both. */
  disjoint(d: number, s: number): boolean {
    return d !== s && (this.of(d) | this.of(s)) === ALL;
  }

  /** Past `ins` (an ld_imm64 is its first slot). */
  step(ins: Insn): void {
    const z = this.made(ins);
    if ((ins.code & CLASS_MASK) === Class.JMP && (ins.code & OP_MASK) === JmpOp.CALL) {
      for (let r = 0; r <= 5; r++) this.zeros.delete(r);
    }
    for (let r = 0; r <= 10; r++) if (writesRegister(ins, r)) this.zeros.delete(r);
    if (z !== undefined && z !== 0n) this.zeros.set(ins.dst, z);
  }

  /** The zero bits of ins's destination after it, from the facts before it (undefined: none). */
  private made(ins: Insn): bigint | undefined {
    const c = ins.code & CLASS_MASK;
    const d = this.of(ins.dst);
    if (c === Class.LD) {
      // ld_imm64 of a plain constant (src 0); map and BTF pseudo loads are addresses known later
      if (ins.code !== OP_LDDW || ins.src !== 0 || ins.imm64 === undefined) return undefined;
      return ~BigInt.asUintN(64, ins.imm64) & ALL;
    }
    if (c === Class.LDX) {
      if ((ins.code & MODE_MASK) !== Mode.MEM) return undefined; // sign-extending, atomic: no
      switch (ins.code & SIZE_MASK) {
        case Size.B:
          return ALL ^ 0xffn;
        case Size.H:
          return ALL ^ 0xffffn;
        case Size.W:
          return ALL ^ 0xffffffffn;
        default:
          return undefined;
      }
    }
    if ((ins.code & OP_MASK) === AluOp.END && (c === Class.ALU || c === Class.ALU64)) return swapped(ins, d);
    if (c === Class.ALU) return ALL ^ 0xffffffffn; // a 32-bit operation zero-extends its result
    if (c !== Class.ALU64) return undefined;
    const x = (ins.code & SOURCE_MASK) === Source.X;
    const s = x ? this.of(ins.src) : ~k64(ins.imm) & ALL;
    switch (ins.code & OP_MASK) {
      case AluOp.MOV:
        return ins.off === 0 ? s : undefined; // movsx: the sign's copies
      case AluOp.AND:
        return d | s;
      case AluOp.OR:
      case AluOp.XOR:
        return d & s;
      case AluOp.LSH: {
        if (x) return undefined;
        const n = BigInt(ins.imm & 63);
        return ((d << n) | ((1n << n) - 1n)) & ALL;
      }
      case AluOp.RSH: {
        if (x) return undefined;
        const n = BigInt(ins.imm & 63);
        return (d >> n) | (ALL ^ (ALL >> n));
      }
      default:
        return undefined;
    }
  }
}
