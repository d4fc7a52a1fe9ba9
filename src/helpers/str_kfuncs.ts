// The string kfuncs (kernel/bpf/helpers.c, Linux 6.17+: "read-only string operations"), as 6.18 has
// them: every string argument is `__ign` (the verifier checks nothing of it: a pointer of any kind, or a
// number), and the kfunc reads it byte by byte with __get_kernel_nofault, so a bad one is an error
// code, never a fault:
//   -ERANGE  the string is outside the kernel's address space (copy_from_kernel_nofault_allowed: a user
//            address). Here: an address below 0x1000 — a small number, which in the kernel is a user
//            address too. (A larger number that happens to fall inside wxdp's memory is read, where the
//            kernel would say -ERANGE: the engines cannot tell a number from a pointer.)
//   -EFAULT  a byte cannot be read (here: past the end of the memory);
//   -E2BIG   no end within XATTR_SIZE_MAX (65536) bytes;
//   -ENOENT  not found (strchr, strnchr, strrchr, strstr, strnstr).
// Bytes are C `char`s, which the kernel compiles unsigned (-funsigned-char since 6.2; checked on 6.18.44:
// strcmp("\x80", "a") is 1), so 0x80..0xff sort above ASCII and strrchr's `int c` 0xff finds 0xff.
// strcasecmp folds case with the kernel's tolower (lib/ctype.c: Latin-1's upper-case letters 0xc0-0xde
// but 0xd7 fold too).
//  [35] bpf_strcmp(s1, s2)   [36] bpf_strcasecmp(s1, s2)   [37] bpf_strchr(s, char c)   [38] bpf_strchrnul(s, char c)
//  [39] bpf_strnchr(s, size_t count, char c)   [40] bpf_strrchr(s, int c)   [41] bpf_strlen(s)
//  [42] bpf_strnlen(s, size_t count)   [43] bpf_strspn(s, accept)   [44] bpf_strcspn(s, reject)
//  [45] bpf_strstr(s1, s2)   [46] bpf_strnstr(s1, s2, size_t len)            → int, all of them

import type { HelperContext } from './index.js';
import type { KfuncArg, KfuncDef } from './kfuncs.js';

const XATTR_SIZE_MAX = 65536;
const ENOENT = -2;
const EFAULT = -14;
const ERANGE = -34;
const E2BIG = -7;

/** A fault while reading: the kfunc returns -EFAULT (err_out). */
class Fault {}
const FAULT = new Fault();

/** Reads (unsigned) chars of wasm memory as __get_kernel_nofault does. */
class Src {
  readonly bytes: Uint8Array;
  constructor(ctx: HelperContext) {
    const v = ctx.mem.view();
    this.bytes = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  }
  /** copy_from_kernel_nofault_allowed(p, 1) */
  allowed(p: bigint): boolean {
    return BigInt.asUintN(64, p) >= 0x1000n;
  }
  at(p: bigint, i: number): number {
    const a = BigInt.asUintN(64, p) + BigInt(i);
    if (a >= BigInt(this.bytes.length)) throw FAULT;
    return this.bytes[Number(a)]!;
  }
}

/** lib/ctype.c's _U entries: A-Z, 0xc0-0xd6, 0xd8-0xde. */
function tolower(c: number): number {
  const upper = (c >= 0x41 && c <= 0x5a) || (c >= 0xc0 && c <= 0xde && c !== 0xd7);
  return upper ? c + 32 : c;
}

const ret = (n: number): bigint => BigInt.asUintN(64, BigInt(n));
/** Runs `f` over a Src; a fault is -EFAULT. */
function run(ctx: HelperContext, f: (s: Src) => number): bigint {
  try {
    return ret(f(new Src(ctx)));
  } catch (e) {
    if (e === FAULT) return ret(EFAULT);
    throw e;
  }
}
/** size_t count against the int index, bounded by XATTR_SIZE_MAX. */
const bound = (count: bigint): number => (BigInt.asUintN(64, count) < BigInt(XATTR_SIZE_MAX) ? Number(BigInt.asUintN(64, count)) : XATTR_SIZE_MAX);
const char = (c: bigint): number => Number(BigInt.asUintN(8, c));

function strcasecmp(ctx: HelperContext, s1: bigint, s2: bigint, ignoreCase: boolean): bigint {
  return run(ctx, (s) => {
    if (!s.allowed(s1) || !s.allowed(s2)) return ERANGE;
    for (let i = 0; i < XATTR_SIZE_MAX; i++) {
      let c1 = s.at(s1, i);
      let c2 = s.at(s2, i);
      if (ignoreCase) {
        c1 = tolower(c1);
        c2 = tolower(c2);
      }
      if (c1 !== c2) return c1 < c2 ? -1 : 1;
      if (c1 === 0) return 0;
    }
    return E2BIG;
  });
}

function strnchr(ctx: HelperContext, p: bigint, count: number, c: number): bigint {
  return run(ctx, (s) => {
    if (!s.allowed(p)) return ERANGE;
    let i = 0;
    for (; i < count; i++) {
      const sc = s.at(p, i);
      if (sc === c) return i;
      if (sc === 0) return ENOENT;
    }
    return i === XATTR_SIZE_MAX ? E2BIG : ENOENT;
  });
}

function strnlen(ctx: HelperContext, p: bigint, count: number): bigint {
  return run(ctx, (s) => {
    if (!s.allowed(p)) return ERANGE;
    let i = 0;
    for (; i < count; i++) if (s.at(p, i) === 0) return i;
    return i === XATTR_SIZE_MAX ? E2BIG : i;
  });
}

/** strspn (`accept`) and strcspn (`!accept`). */
function strspn(ctx: HelperContext, p: bigint, set: bigint, accept: boolean): bigint {
  return run(ctx, (s) => {
    if (!s.allowed(p) || !s.allowed(set)) return ERANGE;
    for (let i = 0; i < XATTR_SIZE_MAX; i++) {
      const cs = s.at(p, i);
      if (cs === 0) return i;
      let j = 0;
      let ca = 0;
      for (; j < XATTR_SIZE_MAX; j++) {
        ca = s.at(set, j);
        if (cs === ca || ca === 0) break;
      }
      if (j === XATTR_SIZE_MAX) return E2BIG;
      if (accept ? ca === 0 : ca !== 0) return i;
    }
    return E2BIG;
  });
}

/** __bpf_strnstr: the first occurrence of s2 within the first len bytes of s1 (s2 may end exactly there). */
function strnstr(ctx: HelperContext, s1: bigint, s2: bigint, lenArg: bigint): bigint {
  const len = BigInt.asUintN(64, lenArg);
  return run(ctx, (s) => {
    if (!s.allowed(s1) || !s.allowed(s2)) return ERANGE;
    for (let i = 0; i < XATTR_SIZE_MAX; i++) {
      let j = 0;
      for (; BigInt(i + j) <= len && j < XATTR_SIZE_MAX; j++) {
        const c2 = s.at(s2, j);
        if (c2 === 0) return i;
        if (BigInt(i + j) === len) break;
        const c1 = s.at(s1, i + j);
        if (c1 === 0) return ENOENT;
        if (c1 !== c2) break;
      }
      if (j === XATTR_SIZE_MAX) return E2BIG;
      if (BigInt(i + j) === len) return ENOENT;
    }
    return E2BIG;
  });
}

const IGN: KfuncArg = { kind: 'ign' };
const S: KfuncArg = { kind: 'scalar' };
const k = (name: string, btfId: number, args: KfuncArg[], fn: KfuncDef['fn']): KfuncDef => ({ name, btfId, args, devBound: false, fn });

export const STRING_KFUNCS: KfuncDef[] = [
  k('bpf_strcmp', 35, [IGN, IGN], (a, b, _3, _4, _5, ctx) => strcasecmp(ctx, a, b, false)),
  k('bpf_strcasecmp', 36, [IGN, IGN], (a, b, _3, _4, _5, ctx) => strcasecmp(ctx, a, b, true)),
  k('bpf_strchr', 37, [IGN, S], (p, c, _3, _4, _5, ctx) => strnchr(ctx, p, XATTR_SIZE_MAX, char(c))),
  k('bpf_strchrnul', 38, [IGN, S], (p, cArg, _3, _4, _5, ctx) =>
    run(ctx, (s) => {
      if (!s.allowed(p)) return ERANGE;
      const c = char(cArg);
      for (let i = 0; i < XATTR_SIZE_MAX; i++) {
        const sc = s.at(p, i);
        if (sc === 0 || sc === c) return i;
      }
      return E2BIG;
    }),
  ),
  k('bpf_strnchr', 39, [IGN, S, S], (p, count, c, _4, _5, ctx) => strnchr(ctx, p, bound(count), char(c))),
  k('bpf_strrchr', 40, [IGN, S], (p, cArg, _3, _4, _5, ctx) =>
    run(ctx, (s) => {
      if (!s.allowed(p)) return ERANGE;
      // `char sc == int c`: the byte (0..255) against the whole int
      const c = Number(BigInt.asIntN(32, cArg));
      let last = ENOENT;
      for (let i = 0; i < XATTR_SIZE_MAX; i++) {
        const sc = s.at(p, i);
        if (sc === c) last = i;
        if (sc === 0) return last;
      }
      return E2BIG;
    }),
  ),
  k('bpf_strlen', 41, [IGN], (p, _2, _3, _4, _5, ctx) => strnlen(ctx, p, XATTR_SIZE_MAX)),
  k('bpf_strnlen', 42, [IGN, S], (p, count, _3, _4, _5, ctx) => strnlen(ctx, p, bound(count))),
  k('bpf_strspn', 43, [IGN, IGN], (p, set, _3, _4, _5, ctx) => strspn(ctx, p, set, true)),
  k('bpf_strcspn', 44, [IGN, IGN], (p, set, _3, _4, _5, ctx) => strspn(ctx, p, set, false)),
  k('bpf_strstr', 45, [IGN, IGN], (a, b, _3, _4, _5, ctx) => strnstr(ctx, a, b, BigInt(XATTR_SIZE_MAX))),
  k('bpf_strnstr', 46, [IGN, IGN, S], (a, b, len, _4, _5, ctx) => strnstr(ctx, a, b, len)),
];
