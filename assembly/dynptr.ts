// Dynptrs in the fast path (kernel/bpf/helpers.c, kernel/bpf/ringbuf.c, net/core/filter.c): the helpers
// bpf_dynptr_from_mem, _read, _write, _data, bpf_ringbuf_reserve_dynptr, _submit_dynptr, _discard_dynptr
// and the XDP dynptr kfuncs a parser calls per frame (bpf_dynptr_from_xdp, _slice,
// _slice_rdwr, _adjust, _is_null, _is_rdonly, _size, _clone, _copy, _memset), with the JIT's helper
// signature (five u64 arguments, a u64 result; negative errnos sign-extended). src/helpers/dynptr.ts
// holds the same semantics in TypeScript and draws the layout:
//
//   struct bpf_dynptr_kern (16 bytes on the program's stack)
//   +0 u64 data (the xdp_md address of an XDP dynptr, the memory of a local one; 0: NULL)
//   +8 u32 size: bits 0..23 size, 28..30 type, 31 read-only        +12 u32 offset
//
// An XDP dynptr's frame is the xdp_buff at `data`: [data, data_end) then CTX_FRAGS_LEN bytes of
// fragments at FRAGS_BASE, FRAG_SIZE pages, all full but the first (from CTX_FRAGS_HEAD) and the last (xdp.ts).

import { CTX_DATA, CTX_DATA_END, CTX_FRAGS_HEAD, CTX_FRAGS_LEN, FRAG_SIZE, FRAGS_BASE } from './abi';
import { copyBytes } from './bytes';
import { bpf_ringbuf_discard, bpf_ringbuf_reserve, bpf_ringbuf_submit } from './maps/prog_helpers';

const EINVAL: u64 = <u64>-22;
const E2BIG: u64 = <u64>-7;
const ERANGE: u64 = <u64>-34;
const EFAULT: u64 = <u64>-14;
const TYPE_LOCAL: u32 = 1;
const TYPE_RINGBUF: u32 = 2;
const EAGAIN: u64 = <u64>-11;
const TYPE_XDP: u32 = 4;
const SIZE_MASK: u32 = 0xffffff;
const RDONLY: u32 = 0x80000000;
const MAX_SIZE: u32 = SIZE_MASK;

@inline function dData(p: u32): u32 {
  return <u32>load<u64>(p);
}
@inline function dSize(p: u32): u32 {
  return load<u32>(p, 8) & SIZE_MASK;
}
@inline function dType(p: u32): u32 {
  return (load<u32>(p, 8) >> 28) & 7;
}
@inline function dRdonly(p: u32): bool {
  return (load<u32>(p, 8) & RDONLY) != 0;
}
@inline function dOffset(p: u32): u32 {
  return load<u32>(p, 12);
}
@inline function dInit(p: u32, data: u32, type: u32, offset: u32, size: u32): void {
  store<u64>(p, <u64>data);
  store<u32>(p, (size & SIZE_MASK) | (type << 28), 8);
  store<u32>(p, offset, 12);
}
@inline function dNull(p: u32): void {
  store<u64>(p, 0);
  store<u64>(p, 0, 8);
}

/** bpf_dynptr_check_off_len */
@inline function offLenBad(p: u32, off: u32, len: u32): bool {
  const size = dSize(p);
  return len > size || off > size - len;
}

@inline function linearOf(xdp: u32): u32 {
  return load<u32>(xdp + CTX_DATA_END) - load<u32>(xdp + CTX_DATA);
}

/**
 * bpf_xdp_pointer: the address of [off, off + len) when it lies in the linear part or one fragment, 0
 * when it crosses pieces; an errno (as a u64 with the top bit set) past 0xffff or past the end.
 */
function xdpPointer(xdp: u32, off: u32, len: u32): u64 {
  if (off > 0xffff || len > 0xffff) return EFAULT;
  const linear = linearOf(xdp);
  const frags = load<u32>(xdp + CTX_FRAGS_LEN);
  if (<u64>off + <u64>len > <u64>linear + <u64>frags) return EINVAL;
  if (off < linear) return off + len <= linear ? <u64>(load<u32>(xdp + CTX_DATA) + off) : 0;
  const inFrags = off - linear;
  // on the page grid (xdp.ts): the first fragment may start `head` bytes into its page
  const grid = load<u32>(xdp + CTX_FRAGS_HEAD) + inFrags;
  const within = grid % FRAG_SIZE;
  const pageEnd = min(FRAG_SIZE, load<u32>(xdp + CTX_FRAGS_HEAD) + frags - (grid - within));
  return within + len <= pageEnd ? <u64>(FRAGS_BASE + inFrags) : 0;
}

/** bpf_xdp_copy_buf: `len` bytes between the frame at `off` (linear part, then fragments) and `buf`. */
function xdpCopy(xdp: u32, off: u32, buf: u32, len: u32, toFrame: bool): void {
  const data = load<u32>(xdp + CTX_DATA);
  const linear = linearOf(xdp);
  while (len > 0) {
    const at = off < linear ? data + off : FRAGS_BASE + (off - linear);
    const n = off < linear ? min(len, linear - off) : len;
    if (toFrame) copyBytes(at, buf, n);
    else copyBytes(buf, at, n);
    off += n;
    buf += n;
    len -= n;
  }
}

/** __bpf_xdp_load_bytes / __bpf_xdp_store_bytes */
function xdpBytes(xdp: u32, off: u32, buf: u32, len: u32, toFrame: bool): u64 {
  const p = xdpPointer(xdp, off, len);
  if ((p >> 63) != 0) return p;
  if (p == 0) xdpCopy(xdp, off, buf, len, toFrame);
  else if (toFrame) memory.copy(<u32>p, buf, len);
  else memory.copy(buf, <u32>p, len);
  return 0;
}

/** bpf_dynptr_from_mem (197): a local dynptr over `size` bytes at `data`. */
export function bpf_dynptr_from_mem(data: u64, size: u64, flags: u64, ptr: u64, r5: u64): u64 {
  const p = <u32>ptr;
  const n = <u32>size;
  if (n > MAX_SIZE || flags != 0) {
    dNull(p);
    return n > MAX_SIZE ? E2BIG : EINVAL;
  }
  dInit(p, <u32>data, TYPE_LOCAL, 0, n);
  return 0;
}

/** bpf_dynptr_read (201) */
export function bpf_dynptr_read(dst: u64, len: u64, src: u64, offset: u64, flags: u64): u64 {
  const p = <u32>src;
  const n = <u32>len;
  const off = <u32>offset;
  if (dData(p) == 0 || flags != 0) return EINVAL;
  if (offLenBad(p, off, n)) return E2BIG;
  if (dType(p) == TYPE_XDP) return xdpBytes(dData(p), dOffset(p) + off, <u32>dst, n, false);
  memory.copy(<u32>dst, dData(p) + dOffset(p) + off, n);
  return 0;
}

/** bpf_dynptr_write (202) */
export function bpf_dynptr_write(dst: u64, offset: u64, src: u64, len: u64, flags: u64): u64 {
  const p = <u32>dst;
  const n = <u32>len;
  const off = <u32>offset;
  if (dData(p) == 0 || dRdonly(p)) return EINVAL;
  if (offLenBad(p, off, n)) return E2BIG;
  if (flags != 0) return EINVAL;
  if (dType(p) == TYPE_XDP) return xdpBytes(dData(p), dOffset(p) + off, <u32>src, n, true);
  memory.copy(dData(p) + dOffset(p) + off, <u32>src, n);
  return 0;
}

/** bpf_dynptr_data (203): local memory; NULL for an XDP dynptr (its bytes come through slices). */
export function bpf_dynptr_data(ptr: u64, offset: u64, len: u64, r4: u64, r5: u64): u64 {
  const p = <u32>ptr;
  const off = <u32>offset;
  if (dData(p) == 0 || offLenBad(p, off, <u32>len) || dRdonly(p) || dType(p) == TYPE_XDP) return 0;
  return <u64>(dData(p) + dOffset(p) + off);
}

/** kfunc bpf_dynptr_from_xdp */
export function bpf_dynptr_from_xdp(xdp: u64, flags: u64, ptr: u64, r4: u64, r5: u64): u64 {
  const p = <u32>ptr;
  if (flags != 0) {
    dNull(p);
    return EINVAL;
  }
  const x = <u32>xdp;
  dInit(p, x, TYPE_XDP, 0, linearOf(x) + load<u32>(x + CTX_FRAGS_LEN));
  return 0;
}

function slice(p: u32, off: u32, buf: u32, len: u32): u64 {
  if (dData(p) == 0 || offLenBad(p, off, len)) return 0;
  if (dType(p) != TYPE_XDP) return <u64>(dData(p) + dOffset(p) + off);
  const x = dData(p);
  const at = xdpPointer(x, dOffset(p) + off, len);
  if (at != 0 && (at >> 63) == 0) return at;
  if (buf == 0) return 0;
  xdpCopy(x, dOffset(p) + off, buf, len, false);
  return <u64>buf;
}

/** kfunc bpf_dynptr_slice */
export function bpf_dynptr_slice(ptr: u64, offset: u64, buf: u64, len: u64, r5: u64): u64 {
  return slice(<u32>ptr, <u32>offset, <u32>buf, <u32>len);
}

/** kfunc bpf_dynptr_slice_rdwr */
export function bpf_dynptr_slice_rdwr(ptr: u64, offset: u64, buf: u64, len: u64, r5: u64): u64 {
  const p = <u32>ptr;
  if (dData(p) == 0 || dRdonly(p)) return 0;
  return slice(p, <u32>offset, <u32>buf, <u32>len);
}

/** kfunc bpf_dynptr_adjust */
export function bpf_dynptr_adjust(ptr: u64, start: u64, end: u64, r4: u64, r5: u64): u64 {
  const p = <u32>ptr;
  const s = <u32>start;
  const e = <u32>end;
  if (dData(p) == 0 || s > e) return EINVAL;
  const size = dSize(p);
  if (s > size || e > size) return ERANGE;
  store<u32>(p, dOffset(p) + s, 12);
  store<u32>(p, (load<u32>(p, 8) & ~SIZE_MASK) | (e - s), 8);
  return 0;
}

/** kfunc bpf_dynptr_is_null */
export function bpf_dynptr_is_null(ptr: u64, r2: u64, r3: u64, r4: u64, r5: u64): u64 {
  return dData(<u32>ptr) == 0 ? 1 : 0;
}

/** kfunc bpf_dynptr_is_rdonly */
export function bpf_dynptr_is_rdonly(ptr: u64, r2: u64, r3: u64, r4: u64, r5: u64): u64 {
  const p = <u32>ptr;
  return dData(p) != 0 && dRdonly(p) ? 1 : 0;
}

/** kfunc bpf_dynptr_size (__u32: a NULL dynptr's -EINVAL as a u32) */
export function bpf_dynptr_size(ptr: u64, r2: u64, r3: u64, r4: u64, r5: u64): u64 {
  const p = <u32>ptr;
  return dData(p) == 0 ? <u64><u32>EINVAL : <u64>dSize(p);
}

/** kfunc bpf_dynptr_clone */
export function bpf_dynptr_clone(ptr: u64, clone: u64, r3: u64, r4: u64, r5: u64): u64 {
  const p = <u32>ptr;
  const c = <u32>clone;
  if (dData(p) == 0) {
    dNull(c);
    return EINVAL;
  }
  store<u64>(c, load<u64>(p));
  store<u64>(c, load<u64>(p, 8), 8);
  return 0;
}

/** The kernel's on-stack buffer of bpf_dynptr_copy / _memset when neither side is in one piece. */
const chunk = memory.data(256, 8);

/** kfunc bpf_dynptr_copy: `size` bytes from `src` at `srcOff` to `dst` at `dstOff`. */
export function bpf_dynptr_copy(dst: u64, dstOff: u64, src: u64, srcOff: u64, size: u64): u64 {
  const d = <u32>dst;
  const s = <u32>src;
  const n = <u32>size;
  const so = <u32>srcOff;
  const dof = <u32>dstOff;
  const sSlice = <u32>slice(s, so, 0, n);
  const dSlice = dData(d) == 0 || dRdonly(d) ? 0 : <u32>slice(d, dof, 0, n);
  if (sSlice != 0 && dSlice != 0) {
    memory.copy(dSlice, sSlice, n);
    return 0;
  }
  if (sSlice != 0) return bpf_dynptr_write(d, dof, sSlice, n, 0);
  if (dSlice != 0) return bpf_dynptr_read(dSlice, n, s, so, 0);
  if (offLenBad(d, dof, n) || offLenBad(s, so, n)) return E2BIG;
  for (let off: u32 = 0; off < n; off += 256) {
    const c = min(256, n - off);
    let e = bpf_dynptr_read(chunk, c, s, so + off, 0);
    if (e == 0) e = bpf_dynptr_write(d, dof + off, chunk, c, 0);
    if (e != 0) return e;
  }
  return 0;
}

/** kfunc bpf_dynptr_memset: `size` bytes at `offset` set to `val`. */
export function bpf_dynptr_memset(ptr: u64, offset: u64, size: u64, val: u64, r5: u64): u64 {
  const p = <u32>ptr;
  const off = <u32>offset;
  const n = <u32>size;
  const s = dData(p) == 0 || dRdonly(p) ? 0 : <u32>slice(p, off, 0, n);
  if (s != 0) {
    memory.fill(s, <u8>val, n);
    return 0;
  }
  if (dRdonly(p)) return EINVAL;
  if (offLenBad(p, off, n)) return E2BIG;
  memory.fill(chunk, <u8>val, 256);
  for (let w: u32 = 0; w < n; w += 256) {
    const e = bpf_dynptr_write(p, off + w, chunk, min(256, n - w), 0);
    if (e != 0) return e;
  }
  return 0;
}

/** bpf_ringbuf_reserve_dynptr (198): a ringbuf record of `size` bytes as a dynptr (NULL when none). */
export function bpf_ringbuf_reserve_dynptr(map: u64, size: u64, flags: u64, ptr: u64, r5: u64): u64 {
  const p = <u32>ptr;
  if (flags != 0) {
    dNull(p);
    return EINVAL;
  }
  if (<u32>size > MAX_SIZE) {
    dNull(p);
    return E2BIG;
  }
  const sample = <u32>bpf_ringbuf_reserve(map, <u64><u32>size, 0, 0, 0);
  if (sample == 0) {
    dNull(p);
    return EAGAIN;
  }
  dInit(p, sample, TYPE_RINGBUF, 0, <u32>size);
  return 0;
}

/** bpf_ringbuf_submit_dynptr (199): the record goes to the reader; the dynptr becomes NULL. */
export function bpf_ringbuf_submit_dynptr(ptr: u64, flags: u64, r3: u64, r4: u64, r5: u64): u64 {
  const p = <u32>ptr;
  if (dData(p) == 0) return 0;
  bpf_ringbuf_submit(<u64>dData(p), flags, 0, 0, 0);
  dNull(p);
  return 0;
}

/** bpf_ringbuf_discard_dynptr (200): the record is dropped; the dynptr becomes NULL. */
export function bpf_ringbuf_discard_dynptr(ptr: u64, flags: u64, r3: u64, r4: u64, r5: u64): u64 {
  const p = <u32>ptr;
  if (dData(p) == 0) return 0;
  bpf_ringbuf_discard(<u64>dData(p), flags, 0, 0, 0);
  dNull(p);
  return 0;
}
