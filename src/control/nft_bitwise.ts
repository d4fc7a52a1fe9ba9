// Binary operations on marks (and, in matches, on ip ttl, ip6 hoplimit and ports: `width` 8 or 16, network order,
// no shifts yet) as nft 1.0.6 evaluates, linearizes and lists them (evaluate.c expr_evaluate_binop /
// constant_binop_simplify / binop_transfer, netlink_linearize.c netlink_gen_bitwise, netlink_delinearize.c
// netlink_parse_bitwise_bool, expression.c binop_expr_print), over the kernel's nft_bitwise:
//
//   NFT_BITWISE_BOOL    reg = (reg & mask) ^ xor     a run of `&`, `|`, `^` with constants, combined into one
//   NFT_BITWISE_LSHIFT  reg = reg << n               one per shift (n < 32; the kernel refuses n = 0, measured)
//   NFT_BITWISE_RSHIFT  reg = reg >> n
//
// Every operand right of an operator is a constant (folded first: `0xf0 | 0x0f` is 0xff); the leftmost is the
// selector. A match's top `^` moves into its value (`meta mark ^ 0x1 == 0x3` is `meta mark 0x00000002`); a shift in a
// match leaves an integer nft will not compare with a mark.

import type { BinExpr, BinOp, Loc, Selector } from './nft_parse.js';
import type { BitOp } from './nft_model.js';

/** How a refusal is raised (nft.ts's Refusal): nft's message, where its caret is, the kernel's or nft's, the tildes. */
export type Fail = (msg: string, loc: Loc, kernel: boolean, also?: Loc) => never;

/** A binary operation evaluated: a constant, or the selector with each operator and its constant in order. */
export type Evaluated =
  | { k: 'const'; v: number; loc: Loc }
  | { k: 'expr'; sel: Selector; ops: Array<{ op: BinOp; v: number; loc: Loc }>; loc: Loc };

/** `e` evaluated as nft does, operands before their operation, left first; `constant` reads a constant (its own errors). */
export function evalBinop(e: BinExpr, constant: (e: Extract<BinExpr, { k: 'val' }>) => number, fail: Fail, width = 32): Evaluated {
  if (e.k === 'sel') return { k: 'expr', sel: e.sel, ops: [], loc: e.loc };
  if (e.k === 'val') return { k: 'const', v: constant(e), loc: e.loc };
  const l = evalBinop(e.l, constant, fail, width);
  const r = evalBinop(e.r, constant, fail, width);
  if (r.k !== 'const') fail(`Right hand side of binary operation (${e.op}) must be constant`, e.r.loc, false, e.loc);
  if ((e.op === '<<' || e.op === '>>') && r.v >= width) fail(`${e.op === '<<' ? 'Left' : 'Right'} shift of ${r.v} bits is undefined for type of ${width} bits width`, e.r.loc, false, e.l.loc);
  // nft 1.0.6 aborts there (`BUG: invalid basetype invalid`, expr_evaluate_value's assertion; measured): no answer to copy
  if (l.k === 'const' && (e.op === '<<' || e.op === '>>')) fail('wxdp refuses a shifted constant: nft 1.0.6 aborts on it (BUG: invalid basetype)', e.loc, false);
  if (l.k === 'const') return { k: 'const', v: fold(e.op, l.v, r.v), loc: e.loc };
  return { k: 'expr', sel: l.sel, ops: [...l.ops, { op: e.op, v: r.v, loc: e.loc }], loc: e.loc };
}

function fold(op: BinOp, a: number, b: number): number {
  switch (op) {
    case '&':
      return (a & b) >>> 0;
    case '|':
      return (a | b) >>> 0;
    case '^':
      return (a ^ b) >>> 0;
    default:
      throw new Error(`no constant ${op}`);
  }
}

/**
 * The operations as nft_bitwise expressions (netlink_gen_bitwise: a run of `&`, `|`, `^` is one NFT_BITWISE_BOOL,
 * combine_binop's xor = x ^ (xor & m), mask &= m; each shift its own); a shift by 0 the kernel's EINVAL at it.
 */
export function bitOps(ops: Extract<Evaluated, { k: 'expr' }>['ops'], fail: Fail, width = 32): BitOp[] {
  const all = width === 32 ? 0xffffffff : (1 << width) - 1;
  const out: BitOp[] = [];
  let bool: { k: 'bool'; mask: number; xor: number } | undefined;
  for (const o of ops) {
    if (o.op === '<<' || o.op === '>>') {
      if (o.v === 0) fail('Could not process rule: Invalid argument', o.loc, true);
      bool = undefined;
      out.push({ k: o.op === '<<' ? 'shl' : 'shr', n: o.v });
      continue;
    }
    if (!bool) out.push((bool = { k: 'bool', mask: all, xor: 0 }));
    const [m, x] = o.op === '&' ? [o.v, 0] : o.op === '|' ? [(~o.v & all) >>> 0, o.v] : [all, o.v];
    bool.xor = (x ^ (bool.xor & m)) >>> 0;
    bool.mask = (bool.mask & m) >>> 0;
  }
  return out;
}

const hex = (v: number): string => `0x${(v >>> 0).toString(16).padStart(8, '0')}`;
/** binop_arg_print's precedence: an operand that binds more loosely than its operation is put in parentheses. */
const PREC: Readonly<Record<string, number>> = { '<<': 1, '>>': 1, '&': 2, '^': 3, '|': 4 };

/**
 * A NFT_BITWISE_BOOL as nft lists it (netlink_parse_bitwise_bool): o = xor & ~mask is an `|`, the rest of xor (within
 * the mask) an `^`, and `&` the mask with o's bits, unless it keeps every bit.
 */
export function boolOps(mask: number, xor: number, width = 32): Array<[BinOp, number]> {
  const o = (xor & ~mask) >>> 0;
  const x = (xor & mask) >>> 0;
  const m = (mask | o) >>> 0;
  const out: Array<[BinOp, number]> = [];
  if (m !== (width === 32 ? 0xffffffff : (1 << width) - 1)) out.push(['&', m]);
  if (x !== 0) out.push(['^', x]);
  if (o !== 0) out.push(['|', o]);
  return out;
}

/** `src` (a selector as listed) through `ops` as nft lists the expression, parenthesized where binop_arg_print does. */
export function bitOpsText(src: string, ops: readonly BitOp[], width = 32, fmt?: (v: number) => string): string {
  let text = src;
  let prec = 0;
  const put = (op: BinOp, v: string): void => {
    if (prec > PREC[op]!) text = `(${text})`;
    text = `${text} ${op} ${v}`;
    prec = PREC[op]!;
  };
  for (const b of ops) {
    // a mark's constants in hex (its type's print), a header's integers in decimal
    if (b.k === 'bool') for (const [op, v] of boolOps(b.mask, b.xor, width)) put(op, fmt ? fmt(v) : width === 32 ? hex(v) : String(v));
    else put(b.k === 'shl' ? '<<' : '>>', String(b.n));
  }
  return text;
}

/**
 * A match's `& mask` as nft lists it when it is all there is and the mask is a prefix's (its leading ones): the value
 * then shows as a prefix of it, `meta mark 0x00010000/16` (the prefix length), else undefined.
 */
export function prefixOf(bits: { mask: number; xor: number }): number | undefined {
  if (bits.xor !== 0 || bits.mask === 0xffffffff) return undefined;
  const inv = ~bits.mask >>> 0;
  if ((inv & (inv + 1)) !== 0) return undefined;
  return 32 - Math.log2(inv + 1);
}

/**
 * Addresses through `&`, `|`, `^` (`ip saddr & 255.255.255.0 == 192.0.2.0`, `ip6 daddr & ::ffff != ::`): the same
 * evaluation over the field's bytes (network order, 4 or 16), folded into one NFT_BITWISE_BOOL's mask and xor. A
 * shift leaves an integer, which nft does not compare with an address: `shift` is told where (it raises nft's error).
 */
export function addrBits(e: BinExpr, constant: (e: Extract<BinExpr, { k: 'val' }>) => Uint8Array, fail: Fail, len: number, shift: (loc: Loc) => never): { sel: Selector; mask: Uint8Array; xor: Uint8Array; top?: Uint8Array } | Uint8Array {
  type Ev = { k: 'const'; v: Uint8Array } | { k: 'expr'; sel: Selector; ops: Array<{ op: BinOp; v: Uint8Array }> };
  const ev = (x: BinExpr): Ev => {
    if (x.k === 'sel') return { k: 'expr', sel: x.sel, ops: [] };
    if (x.k === 'val') return { k: 'const', v: constant(x) };
    const l = ev(x.l);
    const r = ev(x.r);
    if (r.k !== 'const') fail(`Right hand side of binary operation (${x.op}) must be constant`, x.r.loc, false, x.loc);
    if (x.op === '<<' || x.op === '>>') {
      if (l.k === 'const') fail('wxdp refuses a shifted constant: nft 1.0.6 aborts on it (BUG: invalid basetype)', x.loc, false);
      return shift(x.loc);
    }
    const f = (a: number, b: number): number => (x.op === '&' ? a & b : x.op === '|' ? a | b : a ^ b);
    if (l.k === 'const') return { k: 'const', v: l.v.map((a, i) => f(a, r.v[i]!)) };
    return { k: 'expr', sel: l.sel, ops: [...l.ops, { op: x.op, v: r.v }] };
  };
  const r = ev(e);
  if (r.k === 'const') return r.v;
  // a top `^` is told apart (binop_transfer moves it into a value or a set of values)
  const last = r.ops[r.ops.length - 1];
  const top = last?.op === '^' ? last.v : undefined;
  const mask = new Uint8Array(len).fill(0xff);
  const xor = new Uint8Array(len);
  for (const o of top ? r.ops.slice(0, -1) : r.ops) {
    for (let i = 0; i < len; i++) {
      const v = o.v[i]!;
      const [m, x] = o.op === '&' ? [v, 0] : o.op === '|' ? [~v & 0xff, v] : [0xff, v];
      xor[i] = x ^ (xor[i]! & m);
      mask[i] = mask[i]! & m;
    }
  }
  return { sel: r.sel, mask, xor, top };
}

/** The prefix length of a mask of leading ones (`255.255.255.0`: 24), else undefined. */
export function maskPrefix(mask: Uint8Array): number | undefined {
  let n = 0;
  while (n < mask.length * 8 && (mask[n >> 3]! & (0x80 >> (n & 7))) !== 0) n++;
  for (let i = n; i < mask.length * 8; i++) if ((mask[i >> 3]! & (0x80 >> (i & 7))) !== 0) return undefined;
  return n;
}

/** An address NFT_BITWISE_BOOL as nft lists it: netlink_parse_bitwise_bool's `&`, `^`, `|` split, over bytes. */
export function addrBoolOps(mask: Uint8Array, xor: Uint8Array): Array<['&' | '^' | '|', Uint8Array]> {
  const o = xor.map((x, i) => x & ~mask[i]!);
  const x = xor.map((v, i) => v & mask[i]!);
  const m = mask.map((v, i) => v | o[i]!);
  const out: Array<['&' | '^' | '|', Uint8Array]> = [];
  if (m.some((b) => b !== 0xff)) out.push(['&', m]);
  if (x.some((b) => b !== 0)) out.push(['^', x]);
  if (o.some((b) => b !== 0)) out.push(['|', o]);
  return out;
}
