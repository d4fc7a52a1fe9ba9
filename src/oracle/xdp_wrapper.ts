// Running bpf_conformance-style programs in the kernel as XDP programs.
//
// A conformance program expects r1 = pointer to its input memory and r2 = its length, and returns a
// 64-bit r0. The kernel offers an XDP context instead and reports only the low 32 bits of r0. So:
//
//   wrapForXdp(prog, n)       prepends a prologue that turns the xdp_md context into (r1, r2):
//
//       r2 = *(u32 *)(r1 + 4)     ; data_end
//       r1 = *(u32 *)(r1 + 0)     ; data
//       r1 += n
//       if r1 <= r2 goto +2       ; proves data + n <= data_end: packet range n for the verifier
//       r0 = 0xdeadbeef           ; (packet shorter than n: cannot happen with our own test runs)
//       exit
//       r1 -= n                   ; r1 = data, still with range n
//       r2 = n
//       <prog>                    ; relative jumps and calls are unchanged by a prefix
//
//   returnHigh32(prog)        reroutes every `exit` of the entry function (not of subprograms, whose
//                             exits return to a caller) to an epilogue `r0 >>= 32; exit` inserted right
//                             after the entry function, and fixes every jump, call and function
//                             reference that crosses the insertion point. Subprograms are found as the
//                             kernel finds them: targets of `call local` and of BPF_PSEUDO_FUNC ld_imm64.
//
//   runConformanceInKernel (kernel.ts) loads both variants from one object and combines the two u32
//   results. This file only transforms instructions; it knows nothing of the kernel.

import { WxdpError } from '../errors.js';
import { Alu64, callTarget, Ins, isLocalCall, Jmp, jumpField, jumpTarget, type Insn } from '../isa/insn.js';
import { Class, JmpOp, OP_LDDW, PseudoLd } from '../isa/opcodes.js';

/** r0 (low 32 bits) when the packet is shorter than the memory the wrapper promised. */
export const XDP_WRAP_SHORT_PACKET = 0xdeadbeef;

/** Smallest packet an XDP test run accepts (ETH_HLEN). */
export const XDP_MIN_DATA = 14;

/** Prepend the (r1 = data, r2 = memLen) prologue. The packet handed to the run must hold at least memLen bytes. */
export function wrapForXdp(prog: readonly Insn[], memLen: number): Insn[] {
  if (!Number.isInteger(memLen) || memLen < 0 || memLen > 0xffff) {
    throw new WxdpError('USAGE', `wrapForXdp: memory length ${memLen} is not an integer in [0, 65535]`);
  }
  const prologue: Insn[] = [
    Ins.ldx('w', 2, 1, 4),
    Ins.ldx('w', 1, 1, 0),
    Alu64.add.imm(1, memLen),
    Jmp.jle.reg(1, 2, 2),
    Alu64.mov.imm(0, XDP_WRAP_SHORT_PACKET | 0),
    Ins.exit(),
    Alu64.sub.imm(1, memLen),
    Alu64.mov.imm(2, memLen),
  ];
  return [...prologue, ...prog.map((i) => ({ ...i }))];
}

/** Slot index one past the entry function: the first subprogram start, or the program length. */
export function entryFunctionEnd(prog: readonly Insn[]): number {
  let end = prog.length;
  prog.forEach((ins, i) => {
    const t = subprogramTarget(ins, i);
    if (t !== undefined && t > 0 && t < end) end = t;
  });
  return end;
}

/** Make the entry function return r0 >> 32 (see the file header). */
export function returnHigh32(prog: readonly Insn[]): Insn[] {
  const end = entryFunctionEnd(prog);
  const EPILOGUE = 2;
  const moved = (slot: number): number => (slot < end ? slot : slot + EPILOGUE);
  const out: Insn[] = [];
  prog.forEach((orig, i) => {
    let ins: Insn = { ...orig };
    const at = moved(i);
    if (!ins.isLdImm64Tail) {
      const t = branchTarget(ins, i);
      if (i < end && ins.code === (Class.JMP | JmpOp.EXIT)) {
        ins = Ins.ja(checkOff(end - at - 1, at));
      } else if (t !== undefined) {
        const rel = moved(t.target) - at - 1;
        if (t.field === 'off') ins.off = checkOff(rel, at);
        else {
          ins.imm = rel;
          if (ins.code === OP_LDDW) ins.imm64 = BigInt.asUintN(32, BigInt(rel));
        }
      }
    }
    out.push(ins);
    if (i === end - 1) out.push(Alu64.rsh.imm(0, 32), Ins.exit());
  });
  return out;
}

// ---- pc-relative fields ----

/** The slot a subprogram-starting instruction refers to: `call local` or ld_imm64 BPF_PSEUDO_FUNC. */
function subprogramTarget(ins: Insn, i: number): number | undefined {
  if (ins.isLdImm64Tail) return undefined;
  if (isLocalCall(ins)) return callTarget(ins, i);
  if (ins.code === OP_LDDW && ins.src === PseudoLd.FUNC) return i + ins.imm + 1;
  return undefined;
}

/** Every pc-relative reference: jumps (off, or imm for the 32-bit `gotol`), local calls and function references (imm). */
function branchTarget(ins: Insn, i: number): { target: number; field: 'off' | 'imm' } | undefined {
  const sub = subprogramTarget(ins, i);
  if (sub !== undefined) return { target: sub, field: 'imm' };
  const target = jumpTarget(ins, i);
  return target === undefined ? undefined : { target, field: jumpField(ins) };
}

function checkOff(off: number, at: number): number {
  if (off < -0x8000 || off > 0x7fff) {
    throw new WxdpError('USAGE', `returnHigh32: jump at slot ${at} would need offset ${off}, outside a signed 16-bit field`);
  }
  return off;
}
