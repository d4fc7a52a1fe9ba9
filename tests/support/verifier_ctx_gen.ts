// Random context accesses of sk_lookup, sk_reuseport and tp_btf programs, for comparing wxdp's verifier with the
// kernel's (tests/verifier/fuzz_kernel.test.ts with WXDP_VFUZZ_TYPE). verifier_gen.ts's programs are XDP
// programs; these probe what differs per program type: the type's is_valid_access (which offsets and
// sizes of its context a load may take, narrow and sign-extending loads, what a load of each field
// yields), the socket pointers some fields give (bpf_sock_is_valid_access, bpf_sock_common_is_valid_access,
// NULL checks), sk_reuseport's packet pointers, stores and atomics into the context, a context pointer
// moved off its base, the types' own helpers given sockets, NULL or scalars, and the return value check
// (sk_lookup: SK_DROP or SK_PASS only). tp_btf programs (xdp_exception, xdp_redirect, xdp_cpumap_kthread,
// xdp_devmap_xmit: 'tp_btf/NAME') read
// their tracepoint's arguments, narrowly or not, near them or past the last, and use the struct pointers
// (compares, arithmetic, spills, bpf_probe_read_kernel's source).
//
// A program: r6 = ctx, then one to five accesses, each a load from a field (a field start, a byte or two
// into one, or anywhere near the struct) into r7-r9, maybe followed by a use of what it loaded; then r0
// and exit. Seeded: a failure names its type and seed; ctxFuzzProgram(type, seed) rebuilds the program.

import { AluOp, Class, JmpOp, Source } from '../../src/isa/opcodes.js';
import { Ins, insn, type Insn } from '../../src/isa/insn.js';
import { Rng } from './gen.js';

export type CtxFuzzType = 'sk_lookup' | 'sk_reuseport' | TpBtfType;
/** tp_btf programs (BPF_PROG_TYPE_TRACING, BPF_TRACE_RAW_TP) on these XDP tracepoints. */
export type TpBtfType = 'tp_btf/xdp_exception' | 'tp_btf/xdp_redirect' | 'tp_btf/xdp_cpumap_kthread' | 'tp_btf/xdp_devmap_xmit';
export const CTX_FUZZ_TYPES: readonly CtxFuzzType[] = ['sk_lookup', 'sk_reuseport', 'tp_btf/xdp_exception', 'tp_btf/xdp_redirect', 'tp_btf/xdp_cpumap_kthread', 'tp_btf/xdp_devmap_xmit'];

interface CtxLayout {
  /** sizeof the context struct. */
  size: number;
  /** Field starts (offsets are drawn near them). */
  fields: number[];
  /** Loads the type allows, as [offset, size] (most accesses take one of these). */
  valid: [number, SizeName][];
  /** 8-byte loads at these offsets give a socket pointer (orNull: may be NULL). */
  sockets: { off: number; orNull: boolean }[];
  /** sk_reuseport: data and data_end. */
  packet?: { data: number; end: number };
  /** tp_btf: 8-byte loads at these offsets give a struct pointer argument (PTR_TO_BTF_ID, never NULL). */
  btfPointers?: number[];
}

type SizeName = 'b' | 'h' | 'w' | 'dw';
const words = (from: number, to: number): [number, SizeName][] => Array.from({ length: (to - from) / 4 }, (_, i) => [from + 4 * i, 'w']);

/**
 * A tp_btf context: the tracepoint's arguments as u64s (TP_PROTO, include/trace/events/xdp.h), struct
 * pointers at `pointers`, scalars at the others (read whole, or as a u32/u16/u8 at the slot's start).
 */
function tpLayout(args: number, pointers: number[]): CtxLayout {
  const fields = Array.from({ length: args + 1 }, (_, i) => 8 * i);
  const valid: [number, SizeName][] = fields.slice(0, args).flatMap((o): [number, SizeName][] => (pointers.includes(o) ? [[o, 'dw']] : [[o, 'dw'], [o, 'w'], [o, 'h'], [o, 'b']]));
  return { size: 8 * args, fields, valid, sockets: [], btfPointers: pointers };
}

const LAYOUTS: Record<CtxFuzzType, CtxLayout> = {
  // xdp_exception(const struct net_device *dev, const struct bpf_prog *xdp, u32 act)
  'tp_btf/xdp_exception': tpLayout(3, [0, 8]),
  // xdp_redirect(const struct net_device *dev, const struct bpf_prog *xdp, const void *tgt, int err,
  // enum bpf_map_type map_type, u32 map_id, u32 index): tgt is a scalar (btf_ctx_access: void *)
  'tp_btf/xdp_redirect': tpLayout(7, [0, 8]),
  // xdp_cpumap_kthread(int map_id, unsigned int processed, unsigned int drops, int sched,
  // struct xdp_cpumap_stats *xdp_stats)
  'tp_btf/xdp_cpumap_kthread': tpLayout(5, [32]),
  // xdp_devmap_xmit(const struct net_device *from_dev, const struct net_device *to_dev, int sent, int drops, int err)
  'tp_btf/xdp_devmap_xmit': tpLayout(5, [0, 8]),
  // struct bpf_sk_lookup: sk 0, family 8, protocol 12, remote_ip4 16, remote_ip6 20, remote_port 36 (+2
  // padding), local_ip4 40, local_ip6 44, local_port 60, ingress_ifindex 64
  sk_lookup: {
    size: 72,
    fields: [0, 8, 12, 16, 20, 24, 32, 36, 38, 40, 44, 56, 60, 64, 68],
    valid: [[0, 'dw'], ...words(8, 36), [36, 'h'], [36, 'w'], [38, 'h'], [9, 'b'], [62, 'h'], ...words(40, 68)],
    sockets: [{ off: 0, orNull: true }],
  },
  // struct sk_reuseport_md: data 0, data_end 8, len 16, eth_protocol 20, ip_protocol 24, bind_inany 28,
  // hash 32, sk 40, migrating_sk 48
  sk_reuseport: {
    size: 56,
    fields: [0, 8, 16, 20, 24, 28, 32, 36, 40, 48],
    valid: [[0, 'dw'], [8, 'dw'], [16, 'w'], [20, 'w'], [20, 'h'], [24, 'w'], [24, 'b'], [28, 'w'], [32, 'w'], [40, 'dw'], [48, 'dw']],
    // (migrating_sk is a sock_common: bpf_sock_common_is_valid_access allows fewer fields)
    sockets: [{ off: 40, orNull: false }, { off: 48, orNull: true }],
    packet: { data: 0, end: 8 },
  },
};

/** struct bpf_sock: bound_dev_if 0, family 4, type 8, protocol 12, mark 16, priority 20, src_ip4 24, src_ip6 28, src_port 44, dst_port 48 (+2), dst_ip4 52, dst_ip6 56, state 72, rx_queue_mapping 76. */
const BPF_SOCK_FIELDS = [0, 4, 8, 12, 16, 20, 24, 28, 40, 44, 48, 50, 52, 56, 68, 72, 76, 80];
const BPF_SOCK_VALID: [number, SizeName][] = [...words(0, 48), [48, 'h'], [48, 'w'], ...words(52, 80)];
const SIZES: readonly SizeName[] = ['b', 'h', 'w', 'dw'];

const alu64Imm = (op: number, dst: number, imm: number): Insn => insn(Class.ALU64 | op | Source.K, dst, 0, 0, imm);
const mov64Reg = (dst: number, src: number): Insn => insn(Class.ALU64 | AluOp.MOV | Source.X, dst, src);
const jmpImm = (op: number, dst: number, imm: number, off: number): Insn => insn(Class.JMP | op | Source.K, dst, 0, off, imm);
const jmpReg = (op: number, dst: number, src: number, off: number): Insn => insn(Class.JMP | op | Source.X, dst, src, off);

class CtxGen {
  readonly out: Insn[] = [];
  /** What r7..r9 hold: a socket pointer (maybe NULL), a scalar, or nothing yet. */
  private held: ('sock' | 'sock_or_null' | 'btf' | 'scalar' | undefined)[] = [];
  private next = 0;

  constructor(
    private readonly r: Rng,
    private readonly t: CtxFuzzType,
  ) {}

  /** An offset near a field of `fields` (within `size`, or a little past either end now and then). */
  private offset(fields: number[], size: number): number {
    if (this.r.chance(0.08)) return this.r.int(size + 16) - 8;
    return this.r.pick(fields) + (this.r.chance(0.8) ? 0 : this.r.pick([1, 2, 3, 4, -4, -1]));
  }

  private dst(): number {
    return 7 + (this.next++ % 3);
  }

  /** A load from the context: mostly one the type allows, else anywhere near a field, of any size. */
  private load(): void {
    const lay = LAYOUTS[this.t];
    const d = this.dst();
    const [off, sz] = this.access(lay.valid, lay.fields, lay.size);
    const sx = sz !== 'dw' && this.r.chance(0.1);
    this.out.push(sx ? Ins.ldxs(sz, d as 0, 6, off) : Ins.ldx(sz, d as 0, 6, off));
    const s = lay.sockets.find((k) => k.off === off && sz === 'dw' && !sx);
    const btf = lay.btfPointers?.includes(off) === true && sz === 'dw' && !sx;
    this.held[d - 7] = s ? (s.orNull ? 'sock_or_null' : 'sock') : btf ? 'btf' : 'scalar';
    if (s) this.sockRead(d, s.orNull);
    if (btf) this.btfUse(d);
  }

  /**
   * tp_btf: what a struct pointer argument is used for — a NULL check (the kernel knows a trusted argument
   * is not NULL: the branch is dead), a compare with another register, arithmetic on it, or a copy
   * spilled to the stack and filled back, a store through it, a load before it or at an offset it holds
   * in a register. Loads at a fixed offset into the struct are left out: wxdp's BTF gives
   * net_device two fields of its own (src/verifier/tracing.ts), not vmlinux's layout.
   */
  private btfUse(reg: number): void {
    if (!this.r.chance(0.7)) return;
    if (this.r.chance(0.3)) return this.btfMisuse(reg);
    switch (this.r.int(4)) {
      case 0:
        this.out.push(jmpImm(this.r.pick([JmpOp.JEQ, JmpOp.JNE]), reg, 0, 1), alu64Imm(AluOp.MOV, 0, 7));
        break;
      case 1:
        this.out.push(jmpReg(this.r.pick([JmpOp.JEQ, JmpOp.JGT]), reg, this.r.pick([6, 7, 8, 9]), 1), alu64Imm(AluOp.MOV, 0, 7));
        break;
      case 2:
        this.out.push(alu64Imm(this.r.pick([AluOp.ADD, AluOp.ADD, AluOp.SUB, AluOp.AND, AluOp.MUL]), reg, this.r.pick([4, 8, -8, 1])));
        this.held[reg - 7] = undefined;
        break;
      default:
        this.out.push(Ins.stx('dw', 10, reg as 0, -8), Ins.ldx(this.r.chance(0.8) ? 'dw' : 'w', reg as 0, 10, -8));
    }
  }

  private access(valid: [number, SizeName][], fields: number[], size: number): [number, SizeName] {
    return this.r.chance(0.88) ? this.r.pick(valid) : [this.offset(fields, size), this.r.pick(SIZES)];
  }

  /** A read through a socket pointer, after a NULL check mostly. */
  private sockRead(reg: number, orNull: boolean): void {
    if (!this.r.chance(0.7)) return;
    const check = orNull ? this.r.chance(0.85) : this.r.chance(0.2);
    const [off, sz] = this.access(BPF_SOCK_VALID, BPF_SOCK_FIELDS, 80);
    const into = reg === 9 ? 8 : reg + 1;
    if (check) this.out.push(jmpImm(JmpOp.JEQ, reg, 0, 1));
    if (this.r.chance(0.05)) this.out.push(Ins.stx(sz, reg as 0, 6, off));
    else this.out.push(Ins.ldx(sz, into as 0, reg as 0, off));
    if (this.r.chance(0.05)) this.out.push(alu64Imm(AluOp.ADD, reg, 4));
    this.held[into - 7] = 'scalar';
  }

  /** sk_reuseport: data and data_end, a bounds check, a byte inside (or past) the range. */
  private packet(): void {
    const p = LAYOUTS[this.t].packet;
    if (!p) return this.load();
    const n = this.r.pick([1, 2, 8, 14, 20]);
    const at = this.r.chance(0.85) ? this.r.int(n) : n;
    this.out.push(Ins.ldx('dw', 2, 6, p.data), Ins.ldx('dw', 3, 6, p.end), mov64Reg(4, 2), alu64Imm(AluOp.ADD, 4, n));
    this.out.push(jmpReg(this.r.chance(0.9) ? JmpOp.JGT : JmpOp.JLT, 4, 3, 1), Ins.ldx('b', 5, 2, at));
  }

  /** Accesses through a struct pointer argument the kernel refuses whatever the struct's layout. */
  private btfMisuse(reg: number): void {
    const sz = this.r.pick(SIZES);
    const off = this.r.pick([0, 4, 8, 16]);
    switch (this.r.int(5)) {
      case 0:
        this.out.push(Ins.st(sz, reg as 0, off, 1));
        break;
      case 1:
        this.out.push(Ins.stx(sz, reg as 0, 6, off));
        break;
      case 2:
        // (not an atomic: check_atomic_rmw reads first, and that read walks vmlinux's struct)
        this.out.push(Ins.stx(sz, reg as 0, 6, this.r.pick([-8, -4])));
        break;
      case 3:
        this.out.push(Ins.ldx(sz, 1, reg as 0, this.r.pick([-8, -1, -4])));
        break;
      default:
        // a bounded unknown offset added to it, then a load at 0
        this.out.push(Ins.call(7), alu64Imm(AluOp.AND, 0, this.r.pick([3, 4, 7])), mov64Reg(1, reg), insn(Class.ALU64 | AluOp.ADD | Source.X, 1, 0), Ins.ldx(sz, 2, 1, 0));
    }
  }

  /** A register held socket pointer (maybe NULL), else NULL or a scalar. */
  private sockArg(): number | 'null' | 'scalar' {
    const socks = [7, 8, 9].filter((r) => this.held[r - 7] === 'sock' || this.held[r - 7] === 'sock_or_null');
    return socks.length > 0 && this.r.chance(0.8) ? this.r.pick(socks) : this.r.chance(0.5) ? 'null' : 'scalar';
  }

  /**
   * A helper call: sk_lookup's bpf_sk_assign(ctx, sk, flags) and bpf_sk_release(sk); sk_reuseport's
   * bpf_skb_load_bytes(ctx, off, stack, len) and bpf_get_socket_cookie(sk); or bpf_get_prandom_u32.
   */
  private call(): void {
    const setSk = (into: number): void => {
      const a = this.sockArg();
      this.out.push(a === 'null' ? alu64Imm(AluOp.MOV, into, 0) : a === 'scalar' ? alu64Imm(AluOp.MOV, into, 8) : mov64Reg(into, a));
    };
    const k = this.r.int(5);
    if (k === 0) {
      this.out.push(Ins.call(7));
    } else if (this.t.startsWith('tp_btf/')) {
      // bpf_probe_read_kernel(stack, size, what a register holds), bpf_get_smp_processor_id, bpf_ktime_get_ns
      if (k < 4) {
        const held = [7, 8, 9].filter((r) => this.held[r - 7] !== undefined);
        const ptrs = [7, 8, 9].filter((r) => this.held[r - 7] === 'btf');
        // the destination: the stack mostly, else a struct pointer argument (read-only memory to the kernel)
        if (ptrs.length > 0 && this.r.chance(0.2)) this.out.push(mov64Reg(1, this.r.pick(ptrs)));
        else this.out.push(mov64Reg(1, 10), alu64Imm(AluOp.ADD, 1, -16));
        this.out.push(alu64Imm(AluOp.MOV, 2, this.r.pick([1, 4, 8, 16, 17, 0])));
        this.out.push(held.length > 0 && this.r.chance(0.8) ? mov64Reg(3, this.r.pick(held)) : alu64Imm(AluOp.MOV, 3, 0), Ins.call(113));
      } else this.out.push(Ins.call(this.r.pick([5, 8])));
    } else if (this.t === 'sk_lookup') {
      if (k < 4) {
        this.out.push(mov64Reg(1, this.r.chance(0.9) ? 6 : 10));
        setSk(2);
        this.out.push(alu64Imm(AluOp.MOV, 3, this.r.pick([0, 0, 1, 2, 4])), Ins.call(124));
      } else {
        setSk(1);
        this.out.push(Ins.call(86));
      }
    } else if (k < 4) {
      this.out.push(Ins.st('dw', 10, -8, 0), Ins.st('dw', 10, -16, 0));
      this.out.push(mov64Reg(1, 6), alu64Imm(AluOp.MOV, 2, this.r.pick([0, 2, 8, -1])), mov64Reg(3, 10), alu64Imm(AluOp.ADD, 3, -16));
      this.out.push(alu64Imm(AluOp.MOV, 4, this.r.pick([1, 4, 8, 16, 17, 0])), Ins.call(26));
    } else {
      setSk(1);
      this.out.push(Ins.call(46));
    }
    // r1-r5 are clobbered: nothing held there
  }

  /** A store or an atomic into the context, or a load through a context pointer moved off its base. */
  private misuse(): void {
    const lay = LAYOUTS[this.t];
    const off = this.offset(lay.fields, lay.size);
    const sz = this.r.pick(SIZES);
    switch (this.r.int(4)) {
      case 0:
        this.out.push(Ins.st(sz, 6, off, 1));
        break;
      case 1:
        this.out.push(Ins.stx(sz, 6, 7, off));
        break;
      case 2:
        this.out.push(insn(Class.ALU64 | AluOp.MOV | Source.K, 1, 0, 0, 1), Ins.atomic(sz === 'dw' ? 'dw' : 'w', 6, 1, off - (off % 4), 0));
        break;
      default: {
        const k = this.r.pick([4, 8, -8, off]);
        this.out.push(mov64Reg(2, 6), alu64Imm(AluOp.ADD, 2, k), Ins.ldx(sz, 2, 2, off - k));
      }
    }
  }

  /** The value r0 returns: SK_PASS mostly, else a constant or something loaded (tp_btf: any). */
  private ret(): void {
    const scalar = this.held.findIndex((h) => h === 'scalar');
    const ptr = this.held.findIndex((h) => h === 'btf');
    if (ptr >= 0 && this.r.chance(0.2)) this.out.push(mov64Reg(0, ptr + 7));
    else if (this.r.chance(0.75)) this.out.push(alu64Imm(AluOp.MOV, 0, 1));
    else if (scalar >= 0 && this.r.chance(0.5)) this.out.push(mov64Reg(0, scalar + 7), ...(this.r.chance(0.5) ? [alu64Imm(AluOp.AND, 0, 1)] : []));
    else this.out.push(alu64Imm(AluOp.MOV, 0, this.r.pick([0, 2, -1])));
    this.out.push(Ins.exit());
  }

  build(): Insn[] {
    this.out.push(mov64Reg(6, 1));
    const n = 1 + this.r.int(5);
    for (let i = 0; i < n; i++) {
      const k = this.r.int(34);
      if (k < 23) this.load();
      else if (k < 27) this.packet();
      else if (k < 30) this.misuse();
      else this.call();
    }
    this.ret();
    return this.out;
  }
}

/** One program of type `t`; ld_imm64 free, so no maps. Never run: the harness compares verdicts only. */
export function ctxFuzzProgram(t: CtxFuzzType, seed: number): Insn[] {
  return new CtxGen(new Rng(seed * 2654435761 + 17), t).build();
}
