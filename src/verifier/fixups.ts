// The kernel's rewrites after an accepted walk, as far as they decide an answer: jit_subprogs' refusal
// of a callback reference that lost its subprogram.
//
// Reads: the program, the instructions the walk processed (insn_aux_data.seen), the subprogram entries,
// and what the walk learned per instruction that changes how many instructions the rewrites make of it
// (inlined bpf_loop calls, ctx fields read, the map of a map lookup, may_gotos).
// Sets: nothing. Answers the refusal (errno EFAULT, the kernel's "verifier bug" line) or undefined.
//
// bpf_check, once do_check accepted the program: optimize_bpf_loop (each bpf_loop call fit for inlining
// becomes 19 instructions, one a pseudo call of its callback), opt_hard_wire_dead_code_branches (a branch
// one way of which was never walked becomes `goto` the other way, `goto +0` when the jump was dead),
// opt_remove_dead_code (every instruction never walked is removed, with a subprogram all of whose
// instructions go), opt_remove_nops (`goto +0`, `may_goto +0`), convert_ctx_accesses, do_misc_fixups,
// then jit_subprogs, which finds each pseudo call's and callback reference's subprogram by its start and
// refuses with -EFAULT, "verifier bug: No program to jit at insn N (subprog < 0)", when none starts
// there (only when more than one subprogram is left: with one, it returns at once). A bpf_loop callback
// is walked only while the walk's count of its visits is below the count's upper bound: with a count
// of 0 it is never walked, so removed, and the reference — bpf_adj_branches leaves a target inside a
// removed range where it was — then points at whatever follows (the next subprogram's start: accepted;
// the program's end or the middle of a function: refused). N is that target's index in the rewritten
// program: each rewrite is followed here by how many instructions it makes, as 6.18 does on x86-64 for a
// root loader (JIT on, no constant blinding, no Spectre masking).

import { isLocalCall, type Insn } from '../isa/insn.js';
import { AtomicOp, Class, JmpOp, Mode, OP_LDDW, OP_MAY_GOTO, PseudoLd, Size } from '../isa/opcodes.js';
import type { MapInfo } from './reg.js';

/** What the walk learned that the rewrites depend on. */
export interface FixupFacts {
  /** The instructions do_check processed, by slot (an ld_imm64 by its first: the second is taken with it). */
  seen: Uint8Array;
  /** Subprogram entries, ascending (0 first). */
  entries: readonly number[];
  /** bpf_loop calls fit for inlining (loop_inline_state.fit_for_inline): the callback's entry, by slot. */
  loopInlined: ReadonlyMap<number, number>;
  /** By slot: a ctx load's field offset; a bpf_map_lookup_elem call's map (null: paths passed different maps, the kernel's poisoned map_ptr). */
  rewriteFacts: ReadonlyMap<number, number | MapInfo | null>;
  /** The program's type: ctx rewrites are counted for XDP, sk_lookup and sk_reuseport (others' as one instruction each). */
  progType: string;
}

/** A slot of the program being rewritten: the instruction, where it came from (-1: a rewrite's own). */
interface Slot {
  ins: Insn;
  from: number;
}

const JA: Insn = { code: Class.JMP | JmpOp.JA, dst: 0, src: 0, off: 0, imm: 0 };
const FILLER: Insn = { code: Class.ALU64 | 0xb0, dst: 0, src: 0, off: 0, imm: 0 };
const BPF_LOOP = 181;
const MAP_LOOKUP = 1;
const GET_SMP_PROCESSOR_ID = 8;
const JIFFIES64 = 118;

const isPseudoFunc = (i: Insn): boolean => i.code === OP_LDDW && i.src === PseudoLd.FUNC && !i.isLdImm64Tail;
const isJump = (i: Insn): boolean => ((i.code & 7) === Class.JMP || (i.code & 7) === Class.JMP32) && !i.isLdImm64Tail;
const isJa32 = (i: Insn): boolean => i.code === (Class.JMP32 | JmpOp.JA);

/** insn_is_cond_jump: a JMP32 other than gotol, a JMP other than ja, call and exit (may_goto is one). */
function isCondJump(i: Insn): boolean {
  if (i.isLdImm64Tail) return false;
  const op = i.code & 0xf0;
  if ((i.code & 7) === Class.JMP32) return op !== JmpOp.JA;
  if ((i.code & 7) !== Class.JMP) return false;
  return op !== JmpOp.JA && op !== JmpOp.EXIT && op !== JmpOp.CALL;
}

class Rewrite {
  readonly slots: Slot[];
  /** env->subprog_info[].start (without the fake exit: the program's length is that). */
  starts: number[];

  constructor(prog: readonly Insn[], entries: readonly number[]) {
    this.slots = prog.map((ins, from) => ({ ins: { ...ins }, from }));
    this.starts = [...entries];
  }

  /**
   * bpf_adj_branches after [pos, endOld) became [pos, endNew): a jump or reference from before the range
   * to at or past its end, or from past it to before its end, is moved by the difference; a target
   * inside a removed range stays where it was.
   */
  private adjust(pos: number, endOld: number, endNew: number): void {
    const delta = endNew - endOld;
    this.slots.forEach(({ ins }, curr) => {
      const imm = isPseudoFunc(ins) || (isLocalCall(ins) && !ins.isLdImm64Tail);
      if (!imm && (!isJump(ins) || (ins.code & 0xf0) === JmpOp.EXIT || (ins.code & 0xf0) === JmpOp.CALL)) return;
      const field = imm || isJa32(ins) ? 'imm' : 'off';
      const v = ins[field];
      if (curr < pos && curr + v + 1 >= endOld) ins[field] = v + delta;
      else if (curr >= endNew && curr + v + 1 < endNew) ins[field] = v - delta;
    });
  }

  /** bpf_patch_insn_data: the slot at `off` becomes `patch` (its first slots); starts past it move. */
  patch(off: number, patch: Slot[]): void {
    this.slots.splice(off, 1, ...patch);
    this.adjust(off, off + 1, off + patch.length);
    this.starts = this.starts.map((s) => (s > off ? s + patch.length - 1 : s));
  }

  /** verifier_remove_insns: [off, off + cnt) goes, with the subprograms wholly inside it (adjust_subprog_starts_after_remove). */
  remove(off: number, cnt: number): void {
    this.slots.splice(off, cnt);
    this.adjust(off, off + cnt, off);
    const s = this.starts;
    let i = s.findIndex((x) => x >= off);
    if (i < 0) i = s.length;
    let j = i;
    while (j < s.length && s[j]! < off + cnt) j++;
    // (j: the first subprogram past the range; one starting inside it whose end is past it keeps its front)
    const endJ = j < s.length ? s[j]! : this.slots.length + cnt;
    if (endJ !== off + cnt) j--;
    if (j > i) s.splice(i, j - i);
    else if (i < s.length && s[i] === off) i++;
    for (; i < s.length; i++) s[i]! -= cnt;
  }

  len(): number {
    return this.slots.length;
  }
}

/** A filler of n slots for a rewrite's own instructions (their kind does not matter past this point). */
const own = (n: number, at: Slot): Slot[] => [at, ...Array.from({ length: n - 1 }, () => ({ ins: { ...FILLER }, from: -1 }))];

/** How many instructions do_misc_fixups (and the zero extension after it) makes of one (1: left as it is, or changed in place). */
function miscFixupSize(ins: Insn, from: number, facts: FixupFacts): number {
  const cls = ins.code & 7;
  const op = ins.code & 0xf0;
  if ((cls === Class.ALU64 || cls === Class.ALU) && (op === 0x30 || op === 0x90) && (ins.code & 0x08) !== 0) {
    // division and modulo by a register: checks for 0 (and -1, signed) before it
    const is64 = cls === Class.ALU64;
    if (op === 0x30) return ins.off === 1 ? 8 : 4;
    return ins.off === 1 ? (is64 ? 7 : 9) : is64 ? 2 : 4;
  }
  if (ins.code === OP_MAY_GOTO) return 7; // timed may_goto (x86-64)
  // opt_subreg_zext_lo32_rnd_hi32, after do_misc_fixups: a 32-bit cmpxchg's r0 is zero-extended by an
  // instruction of its own even where the JIT needs none (probed: whatever reads r0 after it)
  if (ins.code === (Class.STX | Mode.ATOMIC | Size.W) && ins.imm === AtomicOp.CMPXCHG) return 2;
  if (ins.code === (Class.JMP | JmpOp.CALL) && ins.src === 0) {
    if (ins.imm === GET_SMP_PROCESSOR_ID) return 3;
    if (ins.imm === JIFFIES64) return 3;
    if (ins.imm === MAP_LOOKUP) {
      const m = facts.rewriteFacts.get(from);
      // map_gen_lookup: array 7 (bypass_spec_v1: no index mask), (lru_)hash 3 / 6, array/hash of maps 9 / 4
      if (m && typeof m === 'object') return ({ 1: 3, 2: 7, 9: 6, 12: 9, 13: 4 } as Record<number, number>)[m.type] ?? 1;
    }
  }
  return 1;
}

/**
 * The instructions sk_lookup_convert_ctx_access and sk_reuseport_convert_ctx_access make of a load, by
 * offset and size (with convert_ctx_accesses' shift and mask of a narrow one), where they make more than
 * one: measured on 6.18.44 (the xlated_prog_len of a program of one load, for every offset and size the
 * type allows). sk_lookup's IPv6 words go through a pointer checked for NULL (3), a narrow one masked (4)
 * and shifted (5); its u16 fields (family, protocol, ports) are loaded narrow and masked.
 */
const SK_CTX_SIZES: Readonly<Record<string, ReadonlyMap<string, number>>> = {
  sk_lookup: sizeTable({
    2: '8b 12b 16b 16h 36b 38b 40b 40h 60b 64b 64h',
    3: '9b 10b 11b 13b 14b 15b 17b 18b 18h 19b 20w 24w 28w 32w 37b 39b 41b 42b 42h 43b 44w 48w 52w 56w 61b 62b 63b 65b 66b 66h 67b',
    4: '20b 20h 24b 24h 28b 28h 32b 32h 44b 44h 48b 48h 52b 52h 56b 56h',
    5: '21b 22b 22h 23b 25b 26b 26h 27b 29b 30b 30h 31b 33b 34b 34h 35b 45b 46b 46h 47b 49b 50b 50h 51b 53b 54b 54h 55b 57b 58b 58h 59b',
  }),
  sk_reuseport: sizeTable({ 2: '0dw 16w 20h 20w 22h 24h 24w 26h', 3: '16b 16h 24b', 4: '17b 18b 18h 19b 25b 26b 27b' }),
};

function sizeTable(byCount: Record<number, string>): ReadonlyMap<string, number> {
  return new Map(Object.entries(byCount).flatMap(([n, keys]) => keys.split(' ').map((k) => [k, Number(n)] as const)));
}

const SIZE_NAMES: Record<number, string> = { [Size.B]: 'b', [Size.H]: 'h', [Size.W]: 'w', [Size.DW]: 'dw' };

/**
 * The instructions a ctx load becomes. xdp_convert_ctx_access: ingress_ifindex and egress_ifindex read
 * through two pointers, rx_queue_index one; sk_lookup and sk_reuseport by SK_CTX_SIZES.
 */
function ctxSize(ins: Insn, off: number | undefined, progType: string): number {
  if (off === undefined) return 1;
  if (progType === 'xdp') return off === 12 || off === 20 ? 3 : off === 16 ? 2 : 1;
  return SK_CTX_SIZES[progType]?.get(`${off}${SIZE_NAMES[ins.code & 0x18]}`) ?? 1;
}

/**
 * jit_subprogs' refusal of the program as the rewrites leave it, or undefined. Cheap unless a callback
 * reference the walk processed points at a subprogram it never entered.
 */
export function jitSubprogsRefusal(prog: readonly Insn[], facts: FixupFacts): { reason: string; insn: number } | undefined {
  const { entries } = facts;
  const dead = prog.some((ins, pc) => facts.seen[pc] && isPseudoFunc(ins) && !facts.seen[pc + 1 + ins.imm]);
  if (!dead || entries.filter((e) => facts.seen[e]).length <= 1) return undefined;
  // (an ld_imm64's second slot is seen with its first: sanitize_mark_insn_seen)
  const seen = facts.seen.map((v, pc) => (v || (prog[pc]!.isLdImm64Tail && facts.seen[pc - 1]) ? 1 : 0));

  const rw = new Rewrite(prog, entries);
  const slots = rw.slots;
  // optimize_bpf_loop: the call becomes a loop around a pseudo call of the callback (insn 12 of 19)
  for (let i = 0; i < slots.length; i++) {
    const { ins, from } = slots[i]!;
    if (from < 0 || !facts.loopInlined.has(from) || ins.code !== (Class.JMP | JmpOp.CALL) || ins.imm !== BPF_LOOP) continue;
    const patch = own(19, slots[i]!);
    patch[0] = { ins: { ...FILLER }, from: -1 };
    patch[12] = { ins: { code: Class.JMP | JmpOp.CALL, dst: 0, src: 1, off: 0, imm: 0 }, from: -1 };
    patch[18] = { ins: { ...FILLER }, from };
    rw.patch(i, patch);
    // (the callback's start known after the patch, which moved it)
    patch[12]!.ins.imm = rw.starts[entries.indexOf(facts.loopInlined.get(from)!)]! - (i + 12) - 1;
    i += 18;
  }
  const seenAt = (s: Slot): boolean => s.from < 0 || !!seen[s.from];
  // opt_hard_wire_dead_code_branches
  for (let i = 0; i < slots.length; i++) {
    const { ins } = slots[i]!;
    if (!isCondJump(ins)) continue;
    if (!seenAt(slots[i + 1]!)) slots[i]!.ins = { ...JA, off: ins.off };
    else if (!seenAt(slots[i + 1 + ins.off]!)) slots[i]!.ins = { ...JA };
  }
  // opt_remove_dead_code
  for (let i = 0; i < slots.length; i++) {
    let j = 0;
    while (i + j < slots.length && !seenAt(slots[i + j]!)) j++;
    if (j) rw.remove(i, j);
  }
  // opt_remove_nops (a may_goto +0 removed: the one before may be a may_goto +1 become +0)
  const same = (a: Insn, b: Insn): boolean => a.code === b.code && a.dst === b.dst && a.src === b.src && a.off === b.off && a.imm === b.imm && !a.isLdImm64Tail;
  const mayGoto0: Insn = { code: OP_MAY_GOTO, dst: 0, src: 0, off: 0, imm: 0 };
  for (let i = 0; i < slots.length; i++) {
    const mg = same(slots[i]!.ins, mayGoto0);
    if (!mg && !same(slots[i]!.ins, JA)) continue;
    rw.remove(i, 1);
    i -= mg && i > 0 ? 2 : 1;
  }
  // convert_ctx_accesses, then do_misc_fixups (and the may_goto counters' stores at each function's start)
  for (let i = 0; i < slots.length; i++) {
    const s = slots[i]!;
    if (s.from < 0) continue;
    const f = facts.rewriteFacts.get(s.from);
    const n = Math.max(ctxSize(s.ins, typeof f === 'number' && (s.ins.code & 7) === Class.LDX ? f : undefined, facts.progType), miscFixupSize(s.ins, s.from, facts));
    if (n > 1) {
      rw.patch(i, own(n, s));
      i += n - 1;
    }
  }
  const bounds = [...rw.starts, rw.len()];
  for (let k = rw.starts.length - 1; k >= 0; k--) {
    const from = bounds[k]!;
    if (slots.slice(from, bounds[k + 1]).some((s) => s.ins.code === OP_MAY_GOTO && s.from >= 0)) rw.patch(from, own(3, slots[from]!));
  }
  // jit_subprogs
  for (let i = 0; i < slots.length; i++) {
    const ins = slots[i]!.ins;
    if (!isPseudoFunc(ins) && !isLocalCall(ins)) continue;
    const target = i + ins.imm + 1;
    if (!rw.starts.includes(target)) return { reason: `verifier bug: No program to jit at insn ${target} (subprog < 0)`, insn: Math.max(0, slots[i]!.from) };
  }
  return undefined;
}

