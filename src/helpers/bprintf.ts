// bpf_snprintf (165): the kernel's bpf_bprintf_prepare (kernel/bpf/helpers.c) and the subset of
// lib/vsprintf.c's bstr_printf it lets through. The verifier calls bprintfPrepare with no arguments
// (check_bpf_snprintf_call: format errors are load errors); the helper calls it with them, then formats.
//
// What a format may hold: printable ASCII and spaces; `%%`; conversions `%[0 +-]*[1-9][0-9]*` followed by
// d i u x X (with l or ll), c, s, p, px pK ps pS (raw pointer kinds), pB, pks pus (strings), pi4 pI4
// pi6 pI6 (addresses read through the pointer). One u64 of `data` per conversion. Anything else: -EINVAL.
// A pointer printed by plain %p or %pK is hashed in the kernel with a per-boot key; wxdp hashes it with
// a fixed one (the same 16 hex digits, upper half zero), so those digits differ from any kernel's.

import { RuntimeFault } from '../errors.js';
import type { HelperContext, HelperDef } from './index.js';

const EINVAL = -22;
const ENOSPC = -28;
/** MAX_BPRINTF_BIN_ARGS: the per-call buffer arguments (strings, addresses) are copied into. */
const BIN_ARGS = 512;
/** MAX_BPRINTF_VARARGS */
export const MAX_BPRINTF_VARARGS = 12;

/** One conversion as bstr_printf will render it. */
type Piece =
  | { k: 'text'; s: string }
  | { k: 'int'; flags: string; width: number; size: 4 | 8; conv: string; v: bigint }
  | { k: 'str'; flags: string; width: number; s: string }
  | { k: 'char'; flags: string; width: number; c: number }
  | { k: 'ptr'; flags: string; width: number; kind: string; v: bigint };

const isPrint = (c: number): boolean => c >= 0x20 && c < 0x7f;
const isSpace = (c: number): boolean => (c >= 9 && c <= 13) || c === 0x20;
const isPunct = (c: number): boolean => isPrint(c) && c !== 0x20 && !/[0-9A-Za-z]/.test(String.fromCharCode(c));

/** How the helper reads program memory: a C string (up to `max` bytes with its NUL), or bytes (undefined: a fault). */
export interface BprintfMemory {
  string(addr: bigint, max: number): Uint8Array | undefined;
  bytes(addr: bigint, n: number): Uint8Array | undefined;
}

/**
 * bpf_bprintf_prepare over `fmt` (its bytes up to the NUL): 0 or a negative errno, and with `args` and
 * `mem` the pieces bstr_printf prints. Without them (the verifier) only the format is checked: the
 * bin-args space (ENOSPC) is the run's concern.
 */
export function bprintfPrepare(fmt: Uint8Array, numArgs: number, args?: readonly bigint[], mem?: BprintfMemory): { err: number; pieces: Piece[] } {
  const pieces: Piece[] = [];
  const at = (i: number): number => (i < fmt.length ? fmt[i]! : 0);
  const run = args !== undefined && numArgs > 0;
  let used = 0; // bytes of the bin-args buffer taken
  const align4 = (): void => void (used = (used + 3) & ~3);
  let text = '';
  let spec = 0;
  const fail = (err: number): { err: number; pieces: Piece[] } => ({ err, pieces: [] });
  for (let i = 0; i < fmt.length; i++) {
    const c = fmt[i]!;
    if ((!isPrint(c) && !isSpace(c)) || c > 0x7f) return fail(EINVAL);
    if (c !== 0x25) {
      text += String.fromCharCode(c);
      continue;
    }
    if (at(i + 1) === 0x25) {
      text += '%';
      i++;
      continue;
    }
    if (spec >= numArgs) return fail(EINVAL);
    if (text) pieces.push({ k: 'text', s: text });
    text = '';
    i++;
    let flags = '';
    while (at(i) === 0x30 || at(i) === 0x2b || at(i) === 0x2d || at(i) === 0x20) flags += String.fromCharCode(fmt[i++]!);
    let width = -1;
    if (at(i) >= 0x31 && at(i) <= 0x39) {
      width = 0;
      while (at(i) >= 0x30 && at(i) <= 0x39) width = width * 10 + (fmt[i++]! - 0x30);
    }
    const arg = run ? args[spec]! : 0n;
    const ch = at(i);
    if (ch === 0x70) {
      // 'p'
      const n = at(i + 1);
      if (n === 0 || isSpace(n) || isPunct(n)) {
        if (run) {
          align4();
          if (BIN_ARGS - used < 8) return fail(ENOSPC);
          used += 8;
        }
        pieces.push({ k: 'ptr', flags, width, kind: '', v: arg });
        spec++;
        continue;
      }
      if ((n === 0x6b || n === 0x75) && at(i + 2) === 0x73) {
        // %pks / %pus: a string
        i += 2;
        const r = stringArg(i);
        if (typeof r === 'number') return fail(r);
        continue;
      }
      if (n === 0x4b || n === 0x78 || n === 0x73 || n === 0x53) {
        i++;
        if (run) {
          align4();
          if (BIN_ARGS - used < 8) return fail(ENOSPC);
          used += 8;
        }
        pieces.push({ k: 'ptr', flags, width, kind: String.fromCharCode(n), v: arg });
        spec++;
        continue;
      }
      if (n === 0x42) {
        // %pB: the kernel prints the symbol (snprintf "%pB") into the buffer; no kernel symbol is a wxdp address
        i++;
        if (run) used += `0x${BigInt.asUintN(64, arg).toString(16)}`.length + 1;
        pieces.push({ k: 'ptr', flags, width, kind: 'B', v: arg });
        spec++;
        continue;
      }
      if ((n !== 0x69 && n !== 0x49) || (at(i + 2) !== 0x34 && at(i + 2) !== 0x36)) return fail(EINVAL);
      i += 2;
      const kind = String.fromCharCode(n, at(i));
      if (run) {
        const size = at(i) === 0x34 ? 4 : 16;
        if (BIN_ARGS - used < size) return fail(ENOSPC);
        // copy_from_kernel_nofault: a fault reads as zeros
        const ip = mem!.bytes(arg, size) ?? new Uint8Array(size);
        // snprintf'd into the space left (cut to fit, with its NUL), the buffer moved by its whole length
        const s = formatIp(kind, ip);
        pieces.push({ k: 'str', flags, width, s: s.slice(0, BIN_ARGS - used - 1) });
        used += s.length + 1;
      } else pieces.push({ k: 'text', s: '' });
      spec++;
      continue;
    }
    if (ch === 0x73) {
      // 's'
      const r = stringArg(i);
      if (typeof r === 'number') return fail(r);
      continue;
    }
    if (ch === 0x63) {
      // 'c'
      if (run) {
        if (used === BIN_ARGS) return fail(ENOSPC);
        used++;
      }
      pieces.push({ k: 'char', flags, width, c: Number(arg & 0xffn) });
      spec++;
      continue;
    }
    let size: 4 | 8 = 4;
    if (at(i) === 0x6c) {
      size = 8;
      i++;
    }
    if (at(i) === 0x6c) i++;
    const conv = at(i);
    if (conv !== 0x69 && conv !== 0x64 && conv !== 0x75 && conv !== 0x78 && conv !== 0x58) return fail(EINVAL);
    if (run) {
      align4();
      if (BIN_ARGS - used < size) return fail(ENOSPC);
      used += size;
    }
    pieces.push({ k: 'int', flags, width, size, conv: String.fromCharCode(conv), v: arg });
    spec++;

    /** A string conversion ending at `i`: checked, then (when running) copied into the buffer's space left. */
    function stringArg(end: number): number | undefined {
      const next = at(end + 1);
      if (next !== 0 && !isSpace(next) && !isPunct(next)) return EINVAL;
      let s = '';
      if (run) {
        if (used === BIN_ARGS) return ENOSPC;
        // strncpy_from_*_nofault into the space left: up to left - 1 bytes and a NUL; a fault is ""
        const left = BIN_ARGS - used;
        const got = mem!.string(arg, left);
        if (got === undefined) {
          used += 1;
        } else {
          s = String.fromCharCode(...got);
          used += Math.min(got.length + 1, left);
        }
      }
      pieces.push({ k: 'str', flags, width, s });
      spec++;
      return undefined;
    }
  }
  if (text) pieces.push({ k: 'text', s: text });
  return { err: 0, pieces };
}

/** %pI4 / %pi4 / %pI6 / %pi6 (lib/vsprintf.c ip4_string, ip6_string: not compressed, %pi6 without colons). */
function formatIp(kind: string, b: Uint8Array): string {
  if (kind.endsWith('4')) return [...b].map((x) => (kind[0] === 'i' ? String(x).padStart(3, '0') : String(x))).join('.');
  const words = Array.from({ length: 8 }, (_, i) => ((b[2 * i]! << 8) | b[2 * i + 1]!).toString(16).padStart(4, '0'));
  return kind[0] === 'i' ? words.join('') : words.join(':');
}

/** lib/vsprintf.c number(): sign, zero padding, width, left justification. */
function pad(body: string, sign: string, flags: string, width: number, zeroOk: boolean): string {
  const left = flags.includes('-');
  const zero = zeroOk && flags.includes('0') && !left;
  const len = sign.length + body.length;
  if (width <= len) return sign + body;
  if (left) return sign + body + ' '.repeat(width - len);
  if (zero) return sign + '0'.repeat(width - len) + body;
  return ' '.repeat(width - len) + sign + body;
}

/** A fixed-key stand-in for the kernel's siphash pointer id (ptr_to_id): 32 bits, as the kernel keeps. */
function ptrId(v: bigint): bigint {
  let x = BigInt.asUintN(64, v) ^ 0x9e3779b97f4a7c15n;
  x = BigInt.asUintN(64, (x ^ (x >> 30n)) * 0xbf58476d1ce4e5b9n);
  x = BigInt.asUintN(64, (x ^ (x >> 27n)) * 0x94d049bb133111ebn);
  return (x ^ (x >> 31n)) & 0xffffffffn;
}

/** bstr_printf of the prepared pieces: the whole text (snprintf's return is its length). */
export function bprintfRender(pieces: readonly Piece[]): string {
  let out = '';
  for (const p of pieces) {
    switch (p.k) {
      case 'text':
        out += p.s;
        break;
      case 'str':
        out += pad(p.s, '', p.flags, p.width, false);
        break;
      case 'char':
        out += pad(String.fromCharCode(p.c), '', p.flags, p.width, false);
        break;
      case 'int': {
        const signed = p.conv === 'd' || p.conv === 'i';
        const bits = p.size * 8;
        const v = signed ? BigInt.asIntN(bits, p.v) : BigInt.asUintN(bits, p.v);
        const neg = v < 0n;
        const mag = neg ? -v : v;
        let body = p.conv === 'x' ? mag.toString(16) : p.conv === 'X' ? mag.toString(16).toUpperCase() : mag.toString();
        const sign = !signed ? '' : neg ? '-' : p.flags.includes('+') ? '+' : p.flags.includes(' ') ? ' ' : '';
        if (body === '') body = '0';
        out += pad(body, sign, p.flags, p.width, true);
        break;
      }
      case 'ptr': {
        const u = BigInt.asUintN(64, p.v);
        if (p.kind === 's' || p.kind === 'S' || p.kind === 'B') {
          // no kernel symbol at a wxdp address: __sprint_symbol's "0x%lx"
          out += pad(`0x${u.toString(16)}`, '', p.flags, p.width, false);
          break;
        }
        // pointer_string: 16 hex digits, zero-padded, when no width is given
        const v = p.kind === 'x' ? u : ptrId(u);
        out += p.width === -1 ? v.toString(16).padStart(16, '0') : pad(v.toString(16), '', p.flags, p.width, true);
        break;
      }
    }
  }
  return out;
}

/**
 * The u64 arguments of bpf_snprintf and bpf_trace_vprintk (`who`): `dataLen` bytes at `data`, checked as both
 * helpers check them before bpf_bprintf_prepare — a multiple of 8, at most MAX_BPRINTF_VARARGS of them, a
 * NULL array only when empty, else -EINVAL (a number). An array outside program memory is a fault (the
 * verifier proved it readable).
 */
export function readVarargs(ctx: HelperContext, data: bigint, dataLen: bigint, who: string): bigint[] | number {
  const len = Number(BigInt.asUintN(32, dataLen));
  if (len % 8 !== 0 || len > MAX_BPRINTF_VARARGS * 8 || (len > 0 && data === 0n)) return EINVAL;
  const v = ctx.mem.view();
  const at = Number(BigInt.asUintN(64, data));
  if (len > 0 && (data < 0x1000n || data >= 1n << 32n || at + len > v.byteLength)) {
    throw new RuntimeFault('RUN_HELPER', `${who}: bad data buffer 0x${data.toString(16)} size ${len}`, ctx.pc);
  }
  return Array.from({ length: len / 8 }, (_, i) => v.getBigUint64(at + i * 8, true));
}

/**
 * bpf_snprintf (165): `data_len` bytes of u64 arguments (at most 12, a multiple of 8) formatted by the
 * constant string `fmt` into `str` (cut to `str_size` − 1 bytes and a NUL); the whole text's length + 1,
 * or a negative errno.
 */
export function snprintfHelper(): HelperDef {
  return {
    id: 165,
    name: 'snprintf',
    fn: (str, strSize, fmt, data, dataLen, ctx) => {
      const args = readVarargs(ctx, data, dataLen, 'bpf_snprintf');
      if (typeof args === 'number') return BigInt.asUintN(64, BigInt(args));
      const bytes = ctx.mem.bytes();
      const addr = (a: bigint, n: number): number | undefined => {
        const x = Number(BigInt.asUintN(64, a));
        return a >= 0x1000n && a < 1n << 32n && x + n <= bytes.length ? x : undefined;
      };
      const f = addr(fmt, 1)!;
      const fmtBytes = bytes.subarray(f, bytes.indexOf(0, f));
      const mem: BprintfMemory = {
        string: (a, max) => {
          const at = addr(a, 1);
          if (at === undefined) return undefined;
          const end = bytes.indexOf(0, at);
          return bytes.subarray(at, Math.min(end < 0 ? bytes.length : end, at + max - 1, bytes.length));
        },
        bytes: (a, n) => {
          const at = addr(a, n);
          return at === undefined ? undefined : bytes.subarray(at, at + n);
        },
      };
      const { err, pieces } = bprintfPrepare(fmtBytes, args.length, args, mem);
      if (err < 0) return BigInt.asUintN(64, BigInt(err));
      const text = new TextEncoder().encode(bprintfRender(pieces));
      const size = Number(BigInt.asUintN(32, strSize));
      if (size > 0) {
        const s = addr(str, size);
        if (s === undefined) throw new RuntimeFault('RUN_HELPER', `bpf_snprintf: bad buffer 0x${str.toString(16)} size ${size}`, ctx.pc);
        const n = Math.min(text.length, size - 1);
        bytes.set(text.subarray(0, n), s);
        bytes[s + n] = 0;
      }
      return BigInt(text.length + 1);
    },
  };
}
