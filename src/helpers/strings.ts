// The string helpers of bpf_base_func_proto (kernel/bpf/helpers.c, Linux 6.18): bpf_strtol (105),
// bpf_strtoul (106) and bpf_strncmp (182). They read program memory the verifier proved readable
// (arg 1 of `size` bytes; strncmp's arg 3 a NUL-terminated string in a frozen read-only array) and
// strtol/strtoul write the aligned u64 at arg 4 that the verifier proved writable.

import { RuntimeFault } from '../errors.js';
import type { HelperContext, HelperDef } from './index.js';

const EINVAL = -22n;
const ERANGE = -34n;
/** BPF_STRTOX_BASE_MASK: the base is flags' low five bits; any other bit set is -EINVAL. */
const BASE_MASK = 0x1fn;
const U64_MAX = (1n << 64n) - 1n;

/** `n` bytes at `addr` of the engine's memory, or a fault naming the helper (the verifier proved them). */
function bytesAt(ctx: HelperContext, addr: bigint, n: number, who: string): Uint8Array {
  const a = Number(BigInt.asUintN(32, addr));
  const mem = ctx.mem.bytes();
  if (a < 0x1000 || a + n > mem.length) throw new RuntimeFault('RUN_HELPER', `${who}: bad buffer 0x${a.toString(16)} size ${n}`, ctx.pc);
  return mem.subarray(a, a + n);
}

/** The kernel's isspace() (lib/ctype.c _C|_S and _SP): \t \n \v \f \r, space and Latin-1's 0xa0. */
const isSpace = (c: number): boolean => (c >= 9 && c <= 13) || c === 0x20 || c === 0xa0;

/** A digit's value in base 36 (hex_to_bin's letters both cases), or 16 and up when it is none (_parse_integer stops). */
function digit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  if (l >= 0x61 && l <= 0x66) return l - 0x61 + 10;
  return 99;
}

/**
 * __bpf_strtoull: leading isspace() skipped, one '-' noted, then at most 63 bytes parsed as
 * _parse_integer_fixup_radix and _parse_integer (lib/kstrtox.c) do. The bytes consumed, or a negative errno.
 */
function strtoull(buf: Uint8Array, flags: bigint): { n: number; value: bigint; negative: boolean } | bigint {
  let base = Number(flags & BASE_MASK);
  if (buf.length === 0) return EINVAL;
  if (base !== 0 && base !== 8 && base !== 10 && base !== 16) return EINVAL;
  if (flags & ~BASE_MASK) return EINVAL;
  let i = 0;
  while (i < buf.length && isSpace(buf[i]!)) i++;
  const negative = i < buf.length && buf[i] === 0x2d;
  if (negative) i++;
  if (i === buf.length) return EINVAL;
  // the rest copied into a 64-byte NUL-terminated buffer: parsing stops at 63 bytes or a NUL
  const str = buf.subarray(i, i + Math.min(buf.length - i, 63));
  const at = (k: number): number => (k < str.length ? str[k]! : 0);
  // _parse_integer_fixup_radix: base 0 becomes 16 for "0x" and a hex digit, 8 for any other leading
  // "0", else 10; base 16 then skips a "0x" whatever follows it
  if (base === 0) base = at(0) !== 0x30 ? 10 : (at(1) | 0x20) === 0x78 && digit(at(2)) < 16 ? 16 : 8;
  let k = base === 16 && at(0) === 0x30 && (at(1) | 0x20) === 0x78 ? 2 : 0;
  let value = 0n;
  let overflow = false;
  const start = k;
  for (; k < str.length; k++) {
    const d = digit(str[k]!);
    if (d >= base) break;
    // _parse_integer: KSTRTOX_OVERFLOW once the value passes ULLONG_MAX; the digits go on being counted
    const next = value * BigInt(base) + BigInt(d);
    if (next > U64_MAX) overflow = true;
    value = next & U64_MAX;
  }
  if (overflow) return ERANGE;
  if (k === start) return EINVAL;
  return { n: i + k, value, negative };
}

/** bpf_strtol (105) and bpf_strtoul (106): *res is zeroed first, set only on success; the bytes consumed or -errno. */
function strtoxHelper(id: number, signed: boolean): HelperDef {
  const name = signed ? 'strtol' : 'strtoul';
  return {
    id,
    name,
    fn: (buf, bufLen, flags, res, _a5, ctx) => {
      bytesAt(ctx, res, 8, `bpf_${name}`);
      const setRes = (v: bigint): void => ctx.mem.view().setBigUint64(Number(BigInt.asUintN(32, res)), BigInt.asUintN(64, v), true);
      setRes(0n);
      const len = Number(BigInt.asUintN(32, bufLen));
      const r = strtoull(bytesAt(ctx, buf, len, `bpf_${name}`), flags);
      if (typeof r === 'bigint') return BigInt.asUintN(64, r);
      let v: bigint;
      if (signed) {
        // __bpf_strtoll: -value must stay negative, value must stay non-negative, as an s64
        v = r.negative ? BigInt.asIntN(64, -r.value) : BigInt.asIntN(64, r.value);
        if (r.negative ? v > 0n : v < 0n) return BigInt.asUintN(64, ERANGE);
      } else {
        if (r.negative) return BigInt.asUintN(64, EINVAL);
        v = r.value;
      }
      setRes(v);
      return BigInt(r.n);
    },
  };
}

/**
 * bpf_strncmp (182): lib/string.c's strncmp over s1's `s1_sz` bytes and the constant string s2: -1, 0
 * or 1 (unsigned bytes; stops at the first difference or NUL).
 */
const strncmpHelper: HelperDef = {
  id: 182,
  name: 'strncmp',
  fn: (s1, s1Sz, s2, _a4, _a5, ctx) => {
    const n = Number(BigInt.asUintN(32, s1Sz));
    const a = bytesAt(ctx, s1, n, 'bpf_strncmp');
    const mem = ctx.mem.bytes();
    let p = Number(BigInt.asUintN(32, s2));
    for (let i = 0; i < n; i++, p++) {
      const c1 = a[i]!;
      const c2 = mem[p] ?? 0;
      if (c1 !== c2) return c1 < c2 ? U64_MAX : 1n;
      if (c1 === 0) break;
    }
    return 0n;
  },
};

export function stringHelpers(): HelperDef[] {
  return [strtoxHelper(105, true), strtoxHelper(106, false), strncmpHelper];
}
