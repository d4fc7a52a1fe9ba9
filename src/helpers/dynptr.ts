// Dynptrs at run time (kernel/bpf/helpers.c, net/core/filter.c): the helpers bpf_dynptr_from_mem,
// _read, _write and _data, and the kfuncs of XDP programs (bpf_dynptr_from_xdp, _slice, _slice_rdwr,
// _adjust, _is_null, _is_rdonly, _size, _clone, _copy, _memset). A dynptr is the kernel's
// struct bpf_dynptr_kern, 16 bytes on the program's stack:
//
//   +0  u64 data     the xdp_md (ctx) address for an XDP dynptr, the memory for a local one; 0: NULL dynptr
//   +8  u32 size     bits 0..23 the size, 28..30 the type (enum bpf_dynptr_type), 31 read-only
//   +12 u32 offset   where the dynptr starts in its data
//
// An XDP dynptr reads the frame as bpf_xdp_load_bytes does: the linear part, then the fragments (each a
// FRAG_SIZE page, all full but the first, which may start CTX.FRAGS_HEAD into its page, and the last, at
// FRAGS_BASE). A slice points into the frame when its bytes
// lie in one piece of it (bpf_xdp_pointer), else the bytes are copied to the caller's buffer.
//
// The fast path has the same functions (assembly/dynptr.ts) and its exports replace these in both
// engines (helpers/fastpath.ts, kfuncs.ts): a call from JIT'd code then stays in wasm (~1.5 µs a call
// through JavaScript). These remain the reference and serve a fast path built without them.

import { RuntimeFault } from '../errors.js';
import { CTX, FRAG_SIZE, FRAGS_BASE } from '../runtime/memory.js';
import type { HelperContext, HelperDef, HelperFn } from './index.js';

const EINVAL = -22n;
const E2BIG = -7n;
const ERANGE = -34n;
const EFAULT = -14n;

export const DYNPTR_TYPE_LOCAL = 1;
export const DYNPTR_TYPE_XDP = 4;
const SIZE_MASK = 0xffffff;
const TYPE_SHIFT = 28;
const RDONLY_BIT = 0x80000000;
/** DYNPTR_MAX_SIZE */
const MAX_SIZE = SIZE_MASK;

interface Dynptr {
  at: number;
  data: number;
  size: number;
  type: number;
  rdonly: boolean;
  offset: number;
}

const u32 = (x: bigint): number => Number(BigInt.asUintN(32, x));

function fault(ctx: HelperContext, who: string, what: string, addr: number): never {
  throw new RuntimeFault('RUN_HELPER', `${who}: ${what} 0x${addr.toString(16)}`, ctx.pc, BigInt(addr));
}

/** The dynptr at `p`: 16 bytes of program memory (the verifier proved it a dynptr on the stack). */
function load(ctx: HelperContext, p: bigint, who: string): Dynptr {
  const at = u32(p);
  const v = ctx.mem.view();
  if (at < 0x1000 || at + 16 > v.byteLength) fault(ctx, who, 'bad dynptr address', at);
  const raw = v.getUint32(at + 8, true);
  return {
    at,
    data: Number(v.getBigUint64(at, true) & 0xffffffffn),
    size: raw & SIZE_MASK,
    type: (raw >>> TYPE_SHIFT) & 7,
    rdonly: (raw & RDONLY_BIT) !== 0,
    offset: v.getUint32(at + 12, true),
  };
}

function store(ctx: HelperContext, at: number, data: number, type: number, offset: number, size: number, rdonly = false): void {
  const v = ctx.mem.view();
  v.setBigUint64(at, BigInt(data), true);
  v.setUint32(at + 8, ((size & SIZE_MASK) | (type << TYPE_SHIFT) | (rdonly ? RDONLY_BIT : 0)) >>> 0, true);
  v.setUint32(at + 12, offset >>> 0, true);
}

/** bpf_dynptr_set_null: all 16 bytes zero. */
function setNull(ctx: HelperContext, p: bigint, who: string): void {
  const at = u32(p);
  const b = ctx.mem.bytes();
  if (at < 0x1000 || at + 16 > b.length) fault(ctx, who, 'bad dynptr address', at);
  b.fill(0, at, at + 16);
}

/** bpf_dynptr_check_off_len */
function checkOffLen(d: Dynptr, off: number, len: number): bigint {
  return len > d.size || off > d.size - len ? E2BIG : 0n;
}

/** A range of program memory a helper touches: it must exist (checked runs fault here, not in a copy). */
function span(ctx: HelperContext, who: string, addr: number, len: number): void {
  if (len === 0) return;
  if (addr < 0x1000 || addr + len > ctx.mem.bytes().length) fault(ctx, who, `bad buffer (size ${len})`, addr);
}

// ---- the frame behind an XDP dynptr ----

interface Frame {
  data: number;
  linear: number;
  frags: number;
  /** Where the first fragment's bytes start in its page (CTX.FRAGS_HEAD, after bpf_xdp_pull_data). */
  head: number;
}

function frame(ctx: HelperContext, xdp: number): Frame {
  const v = ctx.mem.view();
  const data = v.getUint32(xdp + CTX.DATA, true);
  return { data, linear: v.getUint32(xdp + CTX.DATA_END, true) - data, frags: v.getUint32(xdp + CTX.FRAGS_LEN, true), head: v.getUint32(xdp + CTX.FRAGS_HEAD, true) };
}

/**
 * bpf_xdp_pointer: the address of [off, off + len) when it lies in the linear part or in one fragment,
 * 0 when it crosses pieces, or an errno (-EFAULT past 0xffff, -EINVAL past the end).
 */
function xdpPointer(f: Frame, off: number, len: number): number | bigint {
  if (off > 0xffff || len > 0xffff) return EFAULT;
  if (off + len > f.linear + f.frags) return EINVAL;
  if (off < f.linear) return off + len <= f.linear ? f.data + off : 0;
  const inFrags = off - f.linear;
  const grid = f.head + inFrags;
  const page = Math.floor(grid / FRAG_SIZE);
  const within = grid - page * FRAG_SIZE;
  const pageEnd = Math.min(FRAG_SIZE, f.head + f.frags - page * FRAG_SIZE);
  return within + len <= pageEnd ? FRAGS_BASE + inFrags : 0;
}

/** bpf_xdp_copy_buf: between the frame at `off` (linear part, then fragments) and `buf`. */
function xdpCopy(ctx: HelperContext, f: Frame, off: number, buf: number, len: number, toFrame: boolean): void {
  const b = ctx.mem.bytes();
  while (len > 0) {
    const at = off < f.linear ? f.data + off : FRAGS_BASE + (off - f.linear);
    const n = off < f.linear ? Math.min(len, f.linear - off) : len;
    if (toFrame) b.copyWithin(at, buf, buf + n);
    else b.copyWithin(buf, at, at + n);
    off += n;
    buf += n;
    len -= n;
  }
}

/**
 * __bpf_xdp_load_bytes / __bpf_xdp_store_bytes, between the frame and `buf` (program memory at an
 * address, or bytes of the helper's own: the kernel's on-stack buffer of bpf_dynptr_copy / _memset).
 */
function xdpBytes(ctx: HelperContext, xdp: number, off: number, buf: number | Uint8Array, len: number, toFrame: boolean): bigint {
  const f = frame(ctx, xdp);
  const p = xdpPointer(f, off, len);
  if (typeof p === 'bigint') return p;
  const b = ctx.mem.bytes();
  if (typeof buf !== 'number') {
    for (let i = 0; i < len; i++) {
      const o = off + i;
      const at = o < f.linear ? f.data + o : FRAGS_BASE + (o - f.linear);
      if (toFrame) b[at] = buf[i]!;
      else buf[i] = b[at]!;
    }
  } else if (p === 0) xdpCopy(ctx, f, off, buf, len, toFrame);
  else if (toFrame) b.copyWithin(p, buf, buf + len);
  else b.copyWithin(buf, p, p + len);
  return 0n;
}

// ---- the helpers ----

/** __bpf_dynptr_read, to program memory at `dst` or to a buffer of the helper's. */
function read(ctx: HelperContext, dst: number | Uint8Array, len: number, d: Dynptr, off: number, flags: bigint): bigint {
  if (!d.data || flags) return EINVAL;
  const e = checkOffLen(d, off, len);
  if (e) return e;
  if (typeof dst === 'number') span(ctx, 'bpf_dynptr_read', dst, len);
  if (d.type === DYNPTR_TYPE_XDP) return xdpBytes(ctx, d.data, d.offset + off, dst, len, false);
  const src = d.data + d.offset + off;
  span(ctx, 'bpf_dynptr_read', src, len);
  const b = ctx.mem.bytes();
  if (typeof dst === 'number') b.copyWithin(dst, src, src + len);
  else dst.set(b.subarray(src, src + len));
  return 0n;
}

/** __bpf_dynptr_write, from program memory at `src` or from a buffer of the helper's. */
function write(ctx: HelperContext, d: Dynptr, off: number, src: number | Uint8Array, len: number, flags: bigint): bigint {
  if (!d.data || d.rdonly) return EINVAL;
  const e = checkOffLen(d, off, len);
  if (e) return e;
  if (flags) return EINVAL;
  if (typeof src === 'number') span(ctx, 'bpf_dynptr_write', src, len);
  if (d.type === DYNPTR_TYPE_XDP) return xdpBytes(ctx, d.data, d.offset + off, src, len, true);
  const dst = d.data + d.offset + off;
  span(ctx, 'bpf_dynptr_write', dst, len);
  const b = ctx.mem.bytes();
  if (typeof src === 'number') b.copyWithin(dst, src, src + len);
  else b.set(src.subarray(0, len), dst);
  return 0n;
}

/** bpf_dynptr_slice: a pointer to the bytes, the buffer filled with them, or NULL (0). */
function slice(ctx: HelperContext, d: Dynptr, off: number, buf: number, len: number): bigint {
  if (!d.data || checkOffLen(d, off, len)) return 0n;
  if (d.type !== DYNPTR_TYPE_XDP) return BigInt(d.data + d.offset + off);
  const f = frame(ctx, d.data);
  const p = xdpPointer(f, d.offset + off, len);
  if (typeof p === 'number' && p !== 0) return BigInt(p);
  if (!buf) return 0n;
  span(ctx, 'bpf_dynptr_slice', buf, len);
  xdpCopy(ctx, f, d.offset + off, buf, len, false);
  return BigInt(buf);
}

const helper = (id: number, name: string, fn: HelperFn): HelperDef => ({ id, name, fn });

/** The dynptr helpers by kernel id (197, 201–203). */
export function dynptrHelpers(): HelperDef[] {
  return [
    helper(197, 'dynptr_from_mem', (data, size, flags, p, _r5, ctx) => {
      const n = u32(size);
      if (n > MAX_SIZE || flags) {
        setNull(ctx, p, 'bpf_dynptr_from_mem');
        return BigInt.asUintN(64, n > MAX_SIZE ? E2BIG : EINVAL);
      }
      store(ctx, u32(p), u32(data), DYNPTR_TYPE_LOCAL, 0, n);
      return 0n;
    }),
    helper(201, 'dynptr_read', (dst, len, src, off, flags, ctx) =>
      BigInt.asUintN(64, read(ctx, u32(dst), u32(len), load(ctx, src, 'bpf_dynptr_read'), u32(off), flags)),
    ),
    helper(202, 'dynptr_write', (dst, off, src, len, flags, ctx) =>
      BigInt.asUintN(64, write(ctx, load(ctx, dst, 'bpf_dynptr_write'), u32(off), u32(src), u32(len), flags)),
    ),
    helper(203, 'dynptr_data', (p, off, len, _r4, _r5, ctx) => {
      const d = load(ctx, p, 'bpf_dynptr_data');
      const o = u32(off);
      const n = u32(len);
      if (!d.data || checkOffLen(d, o, n) || d.rdonly) return 0n;
      // skb and xdp dynptrs answer NULL: their bytes are reached through bpf_dynptr_slice.
      return d.type === DYNPTR_TYPE_XDP ? 0n : BigInt(d.data + d.offset + o);
    }),
  ];
}

/** The dynptr kfuncs' implementations (their prototypes: helpers/kfuncs.ts). */
export const DYNPTR_KFUNCS: Readonly<Record<string, HelperFn>> = {
  bpf_dynptr_from_xdp: (xdp, flags, p, _r4, _r5, ctx) => {
    if (flags) {
      setNull(ctx, p, 'bpf_dynptr_from_xdp');
      return BigInt.asUintN(64, EINVAL);
    }
    const x = u32(xdp);
    const f = frame(ctx, x);
    store(ctx, u32(p), x, DYNPTR_TYPE_XDP, 0, f.linear + f.frags);
    return 0n;
  },
  bpf_dynptr_slice: (p, off, buf, len, _r5, ctx) => slice(ctx, load(ctx, p, 'bpf_dynptr_slice'), u32(off), u32(buf), u32(len)),
  bpf_dynptr_slice_rdwr: (p, off, buf, len, _r5, ctx) => {
    const d = load(ctx, p, 'bpf_dynptr_slice_rdwr');
    if (!d.data || d.rdonly) return 0n;
    return slice(ctx, d, u32(off), u32(buf), u32(len));
  },
  bpf_dynptr_adjust: (p, start, end, _r4, _r5, ctx) => {
    const d = load(ctx, p, 'bpf_dynptr_adjust');
    const s = u32(start);
    const e = u32(end);
    if (!d.data || s > e) return BigInt.asUintN(64, EINVAL);
    if (s > d.size || e > d.size) return BigInt.asUintN(64, ERANGE);
    store(ctx, d.at, d.data, d.type, d.offset + s, e - s, d.rdonly);
    return 0n;
  },
  bpf_dynptr_is_null: (p, _r2, _r3, _r4, _r5, ctx) => (load(ctx, p, 'bpf_dynptr_is_null').data ? 0n : 1n),
  bpf_dynptr_is_rdonly: (p, _r2, _r3, _r4, _r5, ctx) => {
    const d = load(ctx, p, 'bpf_dynptr_is_rdonly');
    return d.data && d.rdonly ? 1n : 0n;
  },
  // __u32 bpf_dynptr_size: a NULL dynptr answers -EINVAL as a u32.
  bpf_dynptr_size: (p, _r2, _r3, _r4, _r5, ctx) => {
    const d = load(ctx, p, 'bpf_dynptr_size');
    return d.data ? BigInt(d.size) : BigInt.asUintN(32, EINVAL);
  },
  bpf_dynptr_clone: (p, c, _r3, _r4, _r5, ctx) => {
    const d = load(ctx, p, 'bpf_dynptr_clone');
    if (!d.data) {
      setNull(ctx, c, 'bpf_dynptr_clone');
      return BigInt.asUintN(64, EINVAL);
    }
    load(ctx, c, 'bpf_dynptr_clone');
    const b = ctx.mem.bytes();
    b.copyWithin(u32(c), d.at, d.at + 16);
    return 0n;
  },
  bpf_dynptr_copy: (dp, dOff, sp, sOff, size, ctx) => {
    const dst = load(ctx, dp, 'bpf_dynptr_copy');
    const src = load(ctx, sp, 'bpf_dynptr_copy');
    const n = u32(size);
    const so = u32(sOff);
    const dOffN = u32(dOff);
    const sSlice = Number(slice(ctx, src, so, 0, n));
    const dSlice = !dst.data || dst.rdonly ? 0 : Number(slice(ctx, dst, dOffN, 0, n));
    const b = ctx.mem.bytes();
    if (sSlice && dSlice) {
      b.copyWithin(dSlice, sSlice, sSlice + n);
      return 0n;
    }
    if (sSlice) return BigInt.asUintN(64, write(ctx, dst, dOffN, sSlice, n, 0n));
    if (dSlice) return BigInt.asUintN(64, read(ctx, dSlice, n, src, so, 0n));
    if (checkOffLen(dst, dOffN, n) || checkOffLen(src, so, n)) return BigInt.asUintN(64, E2BIG);
    // Neither side in one piece: through a 256-byte buffer, as the kernel's stack buffer.
    const tmp = new Uint8Array(256);
    for (let off = 0; off < n; off += 256) {
      const chunk = Math.min(256, n - off);
      const e = read(ctx, tmp, chunk, src, so + off, 0n) || write(ctx, dst, dOffN + off, tmp, chunk, 0n);
      if (e) return BigInt.asUintN(64, e);
    }
    return 0n;
  },
  bpf_dynptr_memset: (p, off, size, val, _r5, ctx) => {
    const d = load(ctx, p, 'bpf_dynptr_memset');
    const o = u32(off);
    const n = u32(size);
    const v = Number(val & 0xffn);
    const s = !d.data || d.rdonly ? 0 : Number(slice(ctx, d, o, 0, n));
    if (s) {
      ctx.mem.bytes().fill(v, s, s + n);
      return 0n;
    }
    if (d.rdonly) return BigInt.asUintN(64, EINVAL);
    const e = checkOffLen(d, o, n);
    if (e) return BigInt.asUintN(64, e);
    const tmp = new Uint8Array(256).fill(v);
    for (let w = 0; w < n; w += 256) {
      const r = write(ctx, d, o + w, tmp, Math.min(256, n - w), 0n);
      if (r) return BigInt.asUintN(64, r);
    }
    return 0n;
  },
};
