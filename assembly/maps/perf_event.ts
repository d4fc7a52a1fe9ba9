// BPF_MAP_TYPE_PERF_EVENT_ARRAY (kernel/bpf/arraymap.c) and the perf ring buffers behind it
// (kernel/events/ring_buffer.c), for bpf_perf_event_output / bpf_xdp_output (net/core/filter.c
// bpf_xdp_event_output, kernel/trace/bpf_trace.c __bpf_perf_event_output).
//
// The map is an index-keyed array of perf rings: where the kernel stores a perf event opened by user
// space (libbpf's perf_buffer opens one PERF_COUNT_SW_BPF_OUTPUT event per CPU and stores its fd at
// that CPU's index), wxdp stores the address of a ring perf_ring_create() made for a CPU.
//
//   map    MAP_DATA  max_entries × u32 ring address (0 = empty)
//
//   ring   one control page, then data_size bytes (a power of two) of records, as perf's mmap:
//          +0    u32 magic 'WXPR'    +4 u32 cpu the event was opened on   +8 u32 data_size
//          +16   u64 lost            records that found no room since the last PERF_RECORD_LOST
//          +24   u64 event id        (what PERF_RECORD_LOST carries)
//          +1024 u64 data_head       (struct perf_event_mmap_page: written by the producer)
//          +1032 u64 data_tail       (written by the reader when it has consumed up to there)
//          +1040 u64 data_offset     4096
//          +1048 u64 data_size
//
//   records (struct perf_event_header: u32 type | u16 misc | u16 size, size a multiple of 8), wrapping
//   at data_size:
//     PERF_RECORD_SAMPLE (9) with PERF_SAMPLE_RAW: header | u32 raw size | raw bytes, zero-padded so
//       that 4 + raw size is a multiple of 8 (perf_sample_save_raw_data: the raw size counts the pad)
//     PERF_RECORD_LOST (2): header | u64 id | u64 lost, written before the next sample that fits

import { CTX_BASE, MAP_DATA, MAP_MAX_ENTRIES, RUN_BASE, RUN_CPU } from '../abi';
import { allocMap, arena_alloc, arena_free } from './arena';
import { arrayAllocCheck } from './array';
import {
  BPF_ANY, BPF_F_PRESERVE_ELEMS, BPF_F_RDONLY_PROG, BPF_F_WRONLY_PROG, BPF_MAP_TYPE_PERF_EVENT_ARRAY,
  E2BIG, EBADF, EFAULT, EINVAL, ENOENT, ENOMEM, ENOSPC, EOPNOTSUPP, helperErr,
} from './uapi';
import { bpf_xdp_get_buff_len, bpf_xdp_load_bytes } from '../xdp';

const RING_MAGIC: u32 = 0x52505857;
const R_CPU: u32 = 4;
const R_SIZE: u32 = 8;
const R_LOST: u32 = 16;
const R_ID: u32 = 24;
export const MAPS_PERF_DATA_HEAD: u32 = 1024;
export const MAPS_PERF_DATA_TAIL: u32 = 1032;
const R_DATA_OFFSET: u32 = 1040;
const R_DATA_SIZE: u32 = 1048;
const PAGE: u32 = 4096;

const PERF_RECORD_LOST: u32 = 2;
const PERF_RECORD_SAMPLE: u32 = 9;
/** perf_misc_flags() of a sample taken in the kernel (the regs bpf_event_output fetched). */
const PERF_RECORD_MISC_KERNEL: u32 = 1;
const BPF_F_INDEX_MASK: u64 = 0xffffffff;
const BPF_F_CURRENT_CPU: u64 = BPF_F_INDEX_MASK;
const BPF_F_CTXLEN_MASK: u64 = 0xfffff << 32;

let nextEventId: u64 = 1;

/** perf_event_array_map_alloc: fd_array_map_alloc_check(), then the slots. */
export function perfEventArrayCreate(type: u32, keySize: u32, valueSize: u32, maxEntries: u32, flags: u32, id: u32): i64 {
  if (valueSize != 4 || (flags & (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG)) != 0) return -EINVAL;
  const err = arrayAllocCheck(type, keySize, valueSize, maxEntries, flags & ~BPF_F_PRESERVE_ELEMS);
  if (err != 0) return err;
  const m = allocMap(type, keySize, valueSize, maxEntries, flags, id, <u64>maxEntries * 4, 8);
  return m == 0 ? -ENOMEM : m;
}

/**
 * A ring for CPU `cpu` of `pages` data pages (a power of two, as perf's mmap requires): its address
 * (what a perf_event_array slot takes), 0 when the memory cannot hold it, or -EINVAL for a page
 * count that is not a power of two.
 */
export function perf_ring_create(cpu: u32, pages: u32): i32 {
  if (pages == 0 || (pages & (pages - 1)) != 0 || pages > 0x40000) return -EINVAL;
  const size = pages * PAGE;
  const r = arena_alloc(PAGE + size, PAGE);
  if (r == 0) return -ENOMEM;
  store<u32>(r, RING_MAGIC);
  store<u32>(r, cpu, R_CPU);
  store<u32>(r, size, R_SIZE);
  store<u64>(r, nextEventId++, R_ID);
  store<u64>(r, <u64>PAGE, R_DATA_OFFSET);
  store<u64>(r, <u64>size, R_DATA_SIZE);
  return <i32>r;
}

@inline function isRing(r: u32): bool {
  return r != 0 && (r & (PAGE - 1)) == 0 && <u64>r + PAGE <= (<u64>memory.size() << 16) && load<u32>(r) == RING_MAGIC;
}

/** BPF_MAP_UPDATE_ELEM: bpf_fd_array_map_update_elem (BPF_ANY only) with a ring for the event fd. */
export function perfEventArrayUpdate(m: u32, key: u32, value: u32, flags: u64): i32 {
  if (flags != BPF_ANY) return -EINVAL;
  const idx = load<u32>(key);
  if (idx >= load<u32>(m, MAP_MAX_ENTRIES)) return -E2BIG;
  const r = load<u32>(value);
  if (!isRing(r)) return -EBADF;
  store<u32>(load<u32>(m, MAP_DATA) + (idx << 2), r);
  return 0;
}

/** fd_array_map_delete_elem. */
export function perfEventArrayDelete(m: u32, key: u32): i32 {
  const idx = load<u32>(key);
  if (idx >= load<u32>(m, MAP_MAX_ENTRIES)) return -E2BIG;
  const s = load<u32>(m, MAP_DATA) + (idx << 2);
  const old = load<u32>(s);
  store<u32>(s, 0);
  return old == 0 ? -ENOENT : 0;
}

export function perfEventArrayClear(m: u32): void {
  memory.fill(load<u32>(m, MAP_DATA), 0, <usize>load<u32>(m, MAP_MAX_ENTRIES) * 4);
}

/** The map is being freed: the rings its slots hold go back to the arena with it. */
export function perfEventArrayFreeRings(m: u32): void {
  const d = load<u32>(m, MAP_DATA);
  const n = load<u32>(m, MAP_MAX_ENTRIES);
  for (let i: u32 = 0; i < n; i++) {
    const r = load<u32>(d + (i << 2));
    if (!isRing(r)) continue;
    // a ring in two slots is freed once
    for (let k: u32 = i + 1; k < n; k++) if (load<u32>(d + (k << 2)) == r) store<u32>(d + (k << 2), 0);
    store<u32>(r, 0); // no longer a ring (RING_MAGIC gone)
    arena_free(r, PAGE + load<u32>(r, R_SIZE));
  }
}

/** Copy `n` bytes from `src` into the ring's data at byte position `pos` (wrapping). */
function ringPut(data: u32, mask: u32, pos: u64, src: u32, n: u32): void {
  const at = <u32>pos & mask;
  const first = min(n, mask + 1 - at);
  memory.copy(data + at, src, first);
  if (first < n) memory.copy(data, src + first, n - first);
}

@inline function ringPut64(data: u32, mask: u32, pos: u64, v: u64): void {
  // Records are 8-aligned and data_size is a multiple of 8: a u64 never straddles the wrap.
  store<u64>(data + (<u32>pos & mask), v);
}

/**
 * __bpf_perf_event_output then perf_event_output: a PERF_RECORD_SAMPLE whose raw data is `metaSize`
 * bytes at `meta` followed by the first `pktLen` bytes of the XDP frame in CTX_BASE. 0, or -E2BIG (index
 * past the map), -ENOENT (no event there), -EOPNOTSUPP (the event is another CPU's), -ENOSPC (no room:
 * counted as lost, reported by a PERF_RECORD_LOST before the next sample that fits).
 */
function perfOutput(m: u32, flags: u64, meta: u32, metaSize: u32, pktLen: u32): i32 {
  const cpu = load<u32>(RUN_BASE + RUN_CPU);
  let index = flags & BPF_F_INDEX_MASK;
  if (index == BPF_F_CURRENT_CPU) index = <u64>cpu;
  if (index >= <u64>load<u32>(m, MAP_MAX_ENTRIES)) return -E2BIG;
  const r = load<u32>(load<u32>(m, MAP_DATA) + (<u32>index << 2));
  if (r == 0) return -ENOENT;
  if (load<u32>(r, R_CPU) != cpu) return -EOPNOTSUPP;

  const sum = <u64>metaSize + <u64>pktLen;
  const rawSize = ((sum + 4 + 7) & ~(<u64>7)) - 4;
  const recSize = 8 + 4 + rawSize;
  const lost = load<u64>(r, R_LOST);
  const total = recSize + (lost != 0 ? 24 : 0);
  const dataSize = load<u32>(r, R_SIZE);
  const mask = dataSize - 1;
  const head = load<u64>(r, MAPS_PERF_DATA_HEAD);
  const tail = load<u64>(r, MAPS_PERF_DATA_TAIL);
  // ring_buffer_has_space(): CIRC_SPACE(head, tail, size) >= size; a record's size is a u16.
  const space = (tail - head - 1) & <u64>mask;
  if (recSize > 0xffff || space < total) {
    store<u64>(r, lost + 1, R_LOST);
    return -ENOSPC;
  }
  const data = r + PAGE;
  let pos = head;
  if (lost != 0) {
    ringPut64(data, mask, pos, <u64>PERF_RECORD_LOST | (<u64>24 << 48));
    ringPut64(data, mask, pos + 8, load<u64>(r, R_ID));
    ringPut64(data, mask, pos + 16, lost);
    store<u64>(r, 0, R_LOST);
    pos += 24;
  }
  ringPut64(data, mask, pos, <u64>PERF_RECORD_SAMPLE | (<u64>PERF_RECORD_MISC_KERNEL << 32) | (recSize << 48));
  // The pad's last word zeroed before the bytes go in (the pad is 0..7 bytes), then the raw size: in a
  // record of 16 bytes (raw size 4: 0..4 bytes of sample) that last word is the raw size's own.
  ringPut64(data, mask, pos + recSize - 8, 0);
  store<u32>(data + (<u32>(pos + 8) & mask), <u32>rawSize);
  let at = pos + 12;
  if (metaSize != 0) ringPut(data, mask, at, meta, metaSize);
  at += metaSize;
  if (pktLen != 0) {
    // bpf_xdp_copy: the frame's bytes from data (across fragments), in at most two pieces.
    const off = <u32>at & mask;
    const first = min(pktLen, mask + 1 - off);
    bpf_xdp_load_bytes(CTX_BASE, 0, data + off, first, 0);
    if (first < pktLen) bpf_xdp_load_bytes(CTX_BASE, first, data, pktLen - first, 0);
  }
  store<u64>(r, pos + recSize, MAPS_PERF_DATA_HEAD);
  return 0;
}

/**
 * bpf_perf_event_output (25) in XDP programs (bpf_xdp_event_output_proto) and bpf_xdp_output (121):
 * flags hold the index (or BPF_F_CURRENT_CPU) in the low 32 bits and, in BPF_F_CTXLEN_MASK, how many
 * bytes of the frame follow the `size` bytes at `meta` (more than the frame holds: -EFAULT).
 */
export function bpf_perf_event_output(ctx: u64, map: u64, flags: u64, meta: u64, size: u64): u64 {
  if ((flags & ~(BPF_F_CTXLEN_MASK | BPF_F_INDEX_MASK)) != 0) return helperErr(EINVAL);
  const pktLen = (flags & BPF_F_CTXLEN_MASK) >> 32;
  if (pktLen > bpf_xdp_get_buff_len(ctx, 0, 0, 0, 0)) return helperErr(EFAULT);
  const m = <u32>map;
  if (load<u32>(m) != BPF_MAP_TYPE_PERF_EVENT_ARRAY) return helperErr(EINVAL);
  return <u64><i64>perfOutput(m, flags, <u32>meta, <u32>size, <u32>pktLen);
}

export function bpf_xdp_output(ctx: u64, map: u64, flags: u64, meta: u64, size: u64): u64 {
  return bpf_perf_event_output(ctx, map, flags, meta, size);
}
