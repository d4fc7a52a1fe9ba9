// Dynptr calls inlined by the JIT: the helpers bpf_dynptr_from_mem, _read, _write, _data and the XDP
// dynptr kfuncs (bpf_dynptr_from_xdp, _slice, _slice_rdwr, _adjust, _is_null, _is_rdonly, _size,
// _clone, _copy, _memset), each written as the fast path's code (assembly/dynptr.ts), check for check.
// Verified programs only: the verifier proved every dynptr argument an initialised dynptr on the stack
// (and the uninit ones 16 writable stack bytes), so the struct is read and written where it lies:
//
//   struct bpf_dynptr_kern (16 bytes)
//   +0 u64 data (an XDP dynptr: the xdp_md address; a local one: its memory; 0: NULL)
//   +8 u32 size: bits 0..23 size, 28..30 type, 31 read-only        +12 u32 offset
//
// The calls that only read or rewrite the struct are inlined whole. The ones that reach bytes (slices,
// read, write, copy, memset) are inlined for the case a parser takes per frame: the span lies in the
// linear part of the frame (or in a local dynptr's memory), which is `direct` below, the address the
// fast path's `slice(p, off, 0, len)` answers there. Otherwise (fragments, out of range, a NULL or
// read-only dynptr, flags, an overlap a forward copy would get wrong) the helper runs and decides.
// Copies take a constant length of 1..INLINE_COPY_MAX (a mov of an immediate in the call's block, as
// clang emits it); the linear part lies in one frame (FRAME_SIZE), so a span inside it is under
// 0xffff, bpf_xdp_pointer's limit.

import type BinaryenNs from 'binaryen';
import { AluOp, Class, CLASS_MASK, JmpOp, OP_LDDW, PseudoCall, Source } from '../isa/opcodes.js';
import { writesRegister, type Insn } from '../isa/insn.js';
import { CTX } from '../runtime/memory.js';
import { KFUNC_HELPER_BASE, kfuncByName } from '../helpers/kfuncs.js';
import type { Subprogram } from './cfg.js';

type Module = InstanceType<typeof BinaryenNs.Module>;
type Expr = number;

const HELPER_DYNPTR_FROM_MEM = 197;
const HELPER_DYNPTR_READ = 201;
const HELPER_DYNPTR_WRITE = 202;
const HELPER_DYNPTR_DATA = 203;
const kfunc = (name: string): number => KFUNC_HELPER_BASE + kfuncByName(name)!.btfId;
const FROM_XDP = kfunc('bpf_dynptr_from_xdp');
const SLICE = kfunc('bpf_dynptr_slice');
const SLICE_RDWR = kfunc('bpf_dynptr_slice_rdwr');
const ADJUST = kfunc('bpf_dynptr_adjust');
const IS_NULL = kfunc('bpf_dynptr_is_null');
const IS_RDONLY = kfunc('bpf_dynptr_is_rdonly');
const SIZE = kfunc('bpf_dynptr_size');
const CLONE = kfunc('bpf_dynptr_clone');
const COPY = kfunc('bpf_dynptr_copy');
const MEMSET = kfunc('bpf_dynptr_memset');

/** The helper ids lowered here. */
export const DYNPTR_CALLS: ReadonlySet<number> = new Set([
  HELPER_DYNPTR_FROM_MEM, HELPER_DYNPTR_READ, HELPER_DYNPTR_WRITE, HELPER_DYNPTR_DATA,
  FROM_XDP, SLICE, SLICE_RDWR, ADJUST, IS_NULL, IS_RDONLY, SIZE, CLONE, COPY, MEMSET,
]);

const EINVAL = 22;
const E2BIG = 7;
const ERANGE = 34;
const TYPE_LOCAL = 1;
const TYPE_XDP = 4;
const SIZE_MASK = 0xffffff;
const RDONLY = 0x80000000;
const MAX_SIZE = SIZE_MASK;
export const INLINE_COPY_MAX = 128;

/**
 * r1..r5 at each dynptr call that a mov of an immediate set earlier in the call's block (u32: the
 * helpers read the low halves), by pc. Calls clobber r1..r5.
 */
export function dynptrCallConstants(prog: readonly Insn[], sp: Subprogram, out: Map<number, Array<number | undefined>>): void {
  for (const bb of sp.blocks) {
    const k: Array<number | undefined> = new Array(6).fill(undefined);
    for (let pc = bb.start; pc < bb.end; pc += prog[pc]!.code === OP_LDDW ? 2 : 1) {
      const ins = prog[pc]!;
      if (ins.code === (Class.JMP | JmpOp.CALL)) {
        if (ins.src === PseudoCall.HELPER && DYNPTR_CALLS.has(ins.imm)) out.set(pc, [...k]);
        k.fill(undefined);
        continue;
      }
      const cls = ins.code & CLASS_MASK;
      const movK = (cls === Class.ALU64 || cls === Class.ALU) && ins.code === (cls | AluOp.MOV | Source.K);
      for (let r = 1; r <= 5; r++) if (writesRegister(ins, r)) k[r] = movK && ins.dst === r ? ins.imm >>> 0 : undefined;
    }
  }
}

/** What the lowering lends: emit.ts's register access, temporaries and copy helpers. */
export interface DynptrLowering {
  m: Module;
  i32: number;
  i64: number;
  get(r: number): Expr;
  set(r: number, v: Expr): Expr;
  lo32(r: number): Expr;
  /** i32 temporaries (locals), 6. */
  temps: readonly number[];
  /** An i64 temporary (local). */
  temp64: number;
  /** The fast path's helper `id` called with r1..r5. */
  callHelper(id: number): Expr;
  copyInline(dst: () => Expr, src: () => Expr, n: number): Expr[];
  /** A forward copy of n bytes from src to dst is what memmove does. */
  forwardSafe(dst: () => Expr, src: () => Expr, n: number): Expr;
}

/** The dynptr call at `pc` (helper `id`) lowered inline, or undefined (the caller emits the call). */
export function lowerDynptrCall(L: DynptrLowering, id: number, consts: ReadonlyArray<number | undefined> | undefined): Expr[] | undefined {
  const { m, i32, i64 } = L;
  const k32 = (v: number): Expr => m.i32.const(v | 0);
  const k64 = (v: number): Expr => m.i64.const(BigInt(v));
  const zext = (v: Expr): Expr => m.i64.extend_u(v);
  const [W, X, O, A1, A2, T] = L.temps as [number, number, number, number, number, number];
  const T64 = L.temp64;
  const lg = (t: number): Expr => m.local.get(t, i32);
  const ls = (t: number, v: Expr): Expr => m.local.set(t, v);
  const ptr = (r: number): Expr => L.lo32(r);
  /** The dynptr at register r: data (low half), the size word, the offset. */
  const data = (r: number): Expr => m.i32.load(0, 4, ptr(r));
  const word = (r: number): Expr => m.i32.load(8, 4, ptr(r));
  const offset = (r: number): Expr => m.i32.load(12, 4, ptr(r));
  const setR0 = (v: Expr): Expr => L.set(0, v);
  const errno = (e: number): Expr => m.i64.const(BigInt(-e));
  const dNull = (r: number): Expr[] => [m.i64.store(0, 8, ptr(r), k64(0)), m.i64.store(8, 8, ptr(r), k64(0))];
  const dInit = (r: number, d: Expr, type: number, size: Expr): Expr[] => [
    m.i64.store(0, 8, ptr(r), zext(d)),
    m.i32.store(8, 4, ptr(r), m.i32.or(m.i32.and(size, k32(SIZE_MASK)), k32(type << 28))),
    m.i32.store(12, 4, ptr(r), k32(0)),
  ];
  /** A constant length argument, 1..INLINE_COPY_MAX, or undefined. */
  const length = (r: number, max = INLINE_COPY_MAX): number | undefined => {
    const n = consts?.[r];
    return n !== undefined && n >= 1 && n <= max ? n : undefined;
  };
  /**
   * `into` = the address of [off, off + n) of the dynptr at register r when the fast path's
   * slice(p, off, 0, n) answers it from the struct and the linear part alone, else 0 (the helper
   * decides, as slice's own 0 does): data != 0, !offLenBad (off + n <= size, in 64 bits), not
   * read-only when `writable`; a local (non-XDP) dynptr at data + offset + off; an XDP one when
   * [offset + off, + n) lies in the linear part of the frame of the xdp_md at data.
   */
  const direct = (into: number, r: number, off: () => Expr, n: number, writable: boolean): Expr[] => {
    const isXdp = m.i32.eq(m.i32.and(m.i32.shr_u(lg(W), k32(28)), k32(7)), k32(TYPE_XDP));
    const linear = m.i32.sub(m.i32.load(CTX.DATA_END, 4, lg(X)), m.i32.load(CTX.DATA, 4, lg(X)));
    const ok = (): Expr => {
      const inSize = m.i32.and(m.i32.ne(lg(X), k32(0)), m.i64.le_u(m.i64.add(zext(off()), k64(n)), zext(m.i32.and(lg(W), k32(SIZE_MASK)))));
      return writable ? m.i32.and(inSize, m.i32.eqz(m.i32.and(lg(W), k32(RDONLY)))) : inSize;
    };
    return [
      ls(X, data(r)),
      ls(W, word(r)),
      ls(O, m.i32.add(offset(r), off())),
      ls(into, m.if(
        isXdp,
        m.select(m.i32.and(ok(), m.i64.le_u(m.i64.add(zext(lg(O)), k64(n)), zext(linear))), m.i32.add(m.i32.load(CTX.DATA, 4, lg(X)), lg(O)), k32(0)),
        m.select(ok(), m.i32.add(lg(X), lg(O)), k32(0)),
      )),
    ];
  };
  const fallback = (): Expr => setR0(L.callHelper(id));

  switch (id) {
    case FROM_XDP: // (ctx, flags, ptr): the frame's linear part and fragments, from offset 0
      return [
        m.if(
          m.i64.ne(L.get(2), k64(0)),
          m.block(null, [...dNull(3), setR0(errno(EINVAL))]),
          m.block(null, [
            ls(X, ptr(1)),
            ...dInit(3, lg(X), TYPE_XDP, m.i32.add(
              m.i32.sub(m.i32.load(CTX.DATA_END, 4, lg(X)), m.i32.load(CTX.DATA, 4, lg(X))),
              m.i32.load(CTX.FRAGS_LEN, 4, lg(X)),
            )),
            setR0(k64(0)),
          ]),
        ),
      ];
    case HELPER_DYNPTR_FROM_MEM: // (data, size, flags, ptr): a local dynptr
      return [
        ls(T, ptr(2)),
        m.if(
          m.i32.or(m.i32.gt_u(lg(T), k32(MAX_SIZE)), m.i64.ne(L.get(3), k64(0))),
          m.block(null, [...dNull(4), setR0(m.select(m.i32.gt_u(lg(T), k32(MAX_SIZE)), errno(E2BIG), errno(EINVAL)))]),
          m.block(null, [...dInit(4, ptr(1), TYPE_LOCAL, lg(T)), setR0(k64(0))]),
        ),
      ];
    case SLICE:
    case SLICE_RDWR: { // (p, off, buffer, len): the frame's bytes in place; a copy to the buffer is the helper's
      const n = length(4, MAX_SIZE);
      if (n === undefined) return undefined;
      return [...direct(A1, 1, () => ptr(2), n, id === SLICE_RDWR), m.if(lg(A1), setR0(zext(lg(A1))), fallback())];
    }
    case HELPER_DYNPTR_READ: // (dst, len, src, off, flags)
    case HELPER_DYNPTR_WRITE: { // (dst, off, src, len, flags)
      const read = id === HELPER_DYNPTR_READ;
      const n = length(read ? 2 : 4);
      if (n === undefined) return undefined;
      const [dp, off, buf] = read ? [3, 4, 1] : [1, 2, 3];
      const [to, from] = read ? [() => ptr(buf), () => lg(A1)] : [() => lg(A1), () => ptr(buf)];
      return [
        ...direct(A1, dp, () => ptr(off), n, !read),
        m.if(
          m.i32.and(m.i32.and(m.i32.ne(lg(A1), k32(0)), m.i64.eqz(L.get(5))), L.forwardSafe(to, from, n)),
          m.block(null, [...L.copyInline(to, from, n), setR0(k64(0))]),
          fallback(),
        ),
      ];
    }
    case HELPER_DYNPTR_DATA: // (p, off, len): a local dynptr's memory (never an XDP one's)
      return [
        ls(X, data(1)),
        ls(W, word(1)),
        setR0(m.select(
          m.i32.and(
            m.i32.and(m.i32.ne(lg(X), k32(0)), m.i32.eqz(m.i32.and(lg(W), k32(RDONLY)))),
            m.i32.and(
              m.i32.ne(m.i32.and(m.i32.shr_u(lg(W), k32(28)), k32(7)), k32(TYPE_XDP)),
              m.i64.le_u(m.i64.add(zext(ptr(2)), zext(ptr(3))), zext(m.i32.and(lg(W), k32(SIZE_MASK)))),
            ),
          ),
          zext(m.i32.add(m.i32.add(lg(X), offset(1)), ptr(2))),
          k64(0),
        )),
      ];
    case ADJUST: // (p, start, end)
      return [
        ls(X, data(1)),
        ls(W, word(1)),
        ls(A1, ptr(2)),
        ls(A2, ptr(3)),
        m.if(
          m.i32.or(m.i32.eqz(lg(X)), m.i32.gt_u(lg(A1), lg(A2))),
          setR0(errno(EINVAL)),
          // start <= end here, so start > size implies end > size
          m.if(
            m.i32.gt_u(lg(A2), m.i32.and(lg(W), k32(SIZE_MASK))),
            setR0(errno(ERANGE)),
            m.block(null, [
              m.i32.store(12, 4, ptr(1), m.i32.add(offset(1), lg(A1))),
              m.i32.store(8, 4, ptr(1), m.i32.or(m.i32.and(lg(W), k32(~SIZE_MASK)), m.i32.sub(lg(A2), lg(A1)))),
              setR0(k64(0)),
            ]),
          ),
        ),
      ];
    case IS_NULL: // a bool in r0's low byte, the rest of r0 as the call found it (kfuncs.ts R0_LOW_BYTE_CALLS)
      return [setR0(m.i64.or(m.i64.and(L.get(0), k64(-256)), zext(m.i32.eqz(data(1)))))];
    case IS_RDONLY:
      return [setR0(zext(m.i32.and(m.i32.ne(data(1), k32(0)), m.i32.shr_u(word(1), k32(31)))))];
    case SIZE: // __u32: a NULL dynptr's -EINVAL as a u32
      return [setR0(m.select(m.i32.eqz(data(1)), k64(-EINVAL >>> 0), zext(m.i32.and(word(1), k32(SIZE_MASK)))))];
    case CLONE: // (p, clone)
      return [
        m.if(
          m.i32.eqz(data(1)),
          m.block(null, [...dNull(2), setR0(errno(EINVAL))]),
          m.block(null, [
            m.i64.store(0, 8, ptr(2), m.i64.load(0, 8, ptr(1))),
            m.i64.store(8, 8, ptr(2), m.i64.load(8, 8, ptr(1))),
            setR0(k64(0)),
          ]),
        ),
      ];
    case COPY: { // (dst, dst_off, src, src_off, size): both sides in place, else the helper
      const n = length(5);
      if (n === undefined) return undefined;
      const to = (): Expr => lg(A2);
      const from = (): Expr => lg(A1);
      return [
        ...direct(A1, 3, () => ptr(4), n, false),
        ...direct(A2, 1, () => ptr(2), n, true),
        m.if(
          m.i32.and(m.i32.and(m.i32.ne(lg(A1), k32(0)), m.i32.ne(lg(A2), k32(0))), L.forwardSafe(to, from, n)),
          m.block(null, [...L.copyInline(to, from, n), setR0(k64(0))]),
          fallback(),
        ),
      ];
    }
    case MEMSET: { // (p, off, size, val)
      const n = length(3);
      if (n === undefined) return undefined;
      const splat = m.i64.mul(zext(m.i32.and(ptr(4), k32(0xff))), m.i64.const(0x0101010101010101n));
      const fill: Expr[] = [];
      for (let o = 0; o < n; ) {
        const w = n - o >= 8 ? 8 : n - o >= 4 ? 4 : n - o >= 2 ? 2 : 1;
        const v = (): Expr => m.local.get(T64, i64);
        const at = lg(A1);
        fill.push(w === 8 ? m.i64.store(o, 1, at, v()) : w === 4 ? m.i64.store32(o, 1, at, v()) : w === 2 ? m.i64.store16(o, 1, at, v()) : m.i64.store8(o, 1, at, v()));
        o += w;
      }
      return [
        ...direct(A1, 1, () => ptr(2), n, true),
        m.if(lg(A1), m.block(null, [m.local.set(T64, splat), ...fill, setR0(k64(0))]), fallback()),
      ];
    }
  }
  return undefined;
}
