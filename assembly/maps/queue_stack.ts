// BPF_MAP_TYPE_QUEUE and BPF_MAP_TYPE_STACK (kernel/bpf/queue_stack_maps.c): a ring of
// max_entries + 1 slots, one always free so that head == tail means empty. Push writes at head; a
// queue pops at tail (oldest first), a stack pops below head (newest first). Pushing into a full map
// with BPF_EXIST drops the oldest element (tail) for both.
//
//   header +32 u32 head   next slot to write
//          +36 u32 tail   oldest element
//          +40 u32 size   max_entries + 1
//   MAP_COUNT             elements held
//   MAP_DATA  size slots of value_size bytes: slot i at data + i × value_size
//
// Workers (the shared build): push, pop and peek take the map's writer lock (map_lock.ts), as the
// kernel's take qs->lock, so programs on several workers and the control plane may share one.

import { MAP_COUNT, MAP_DATA, MAP_TYPE, MAP_VALUE_SIZE } from '../abi';
import { allocMap } from './arena';
import { accessFlagsOk, BPF_EXIST, BPF_F_ACCESS_MASK, BPF_F_NUMA_NODE, BPF_MAP_TYPE_QUEUE, BPF_NOEXIST, E2BIG, EINVAL, ENOENT, ENOMEM } from './uapi';
import { copyBytes, fillBytes } from '../bytes';
import { mapWriterLock, mapWriterUnlock } from './map_lock';

const QS_HEAD: u32 = 32;
const QS_TAIL: u32 = 36;
const QS_SIZE: u32 = 40;

const QUEUE_STACK_CREATE_FLAG_MASK: u32 = BPF_F_NUMA_NODE | BPF_F_ACCESS_MASK;
const KMALLOC_MAX_SIZE: u32 = 1 << 22;

/** queue_stack_map_alloc_check() then queue_stack_map_alloc(). */
export function queueStackCreate(type: u32, keySize: u32, valueSize: u32, maxEntries: u32, flags: u32, id: u32): i64 {
  if (maxEntries == 0 || keySize != 0 || valueSize == 0 || (flags & ~QUEUE_STACK_CREATE_FLAG_MASK) != 0 ||
      !accessFlagsOk(flags)) return -EINVAL;
  if (valueSize > KMALLOC_MAX_SIZE) return -E2BIG;
  const size = <u64>maxEntries + 1;
  const bytes = size * valueSize;
  if (bytes >= 0x1_0000_0000) return -ENOMEM;
  const m = allocMap(type, keySize, valueSize, maxEntries, flags, id, bytes, 8);
  if (m == 0) return -ENOMEM;
  store<u32>(m, <u32>size, QS_SIZE);
  return m;
}

/** queue_stack_map_push_elem(), under the map's lock. */
export function queueStackPush(m: u32, value: u32, flags: u64): i32 {
  if ((flags & BPF_NOEXIST) != 0 || flags > BPF_EXIST) return -EINVAL;
  mapWriterLock(m);
  const r = push(m, value, flags);
  mapWriterUnlock(m);
  return r;
}

function push(m: u32, value: u32, flags: u64): i32 {
  const size = load<u32>(m, QS_SIZE);
  let head = load<u32>(m, QS_HEAD);
  let tail = load<u32>(m, QS_TAIL);
  let h1 = head + 1;
  if (h1 >= size) h1 = 0;
  if (h1 == tail) {
    // Full: only BPF_EXIST makes room, by dropping the oldest element.
    if ((flags & BPF_EXIST) == 0) return -E2BIG;
    if (++tail >= size) tail = 0;
    store<u32>(m, tail, QS_TAIL);
  } else {
    store<u32>(m, load<u32>(m, MAP_COUNT) + 1, MAP_COUNT);
  }
  const vs = load<u32>(m, MAP_VALUE_SIZE);
  copyBytes(load<u32>(m, MAP_DATA) + head * vs, value, vs);
  store<u32>(m, h1, QS_HEAD);
  return 0;
}

/** __queue_map_get() / __stack_map_get(): copy the next element out; `remove` pops it. Under the map's lock. */
export function queueStackGet(m: u32, out: u32, remove: bool): i32 {
  mapWriterLock(m);
  const r = get(m, out, remove);
  mapWriterUnlock(m);
  return r;
}

function get(m: u32, out: u32, remove: bool): i32 {
  const vs = load<u32>(m, MAP_VALUE_SIZE);
  const head = load<u32>(m, QS_HEAD);
  const tail = load<u32>(m, QS_TAIL);
  if (head == tail) {
    fillBytes(out, 0, vs);
    return -ENOENT;
  }
  const size = load<u32>(m, QS_SIZE);
  const data = load<u32>(m, MAP_DATA);
  if (load<u32>(m, MAP_TYPE) == BPF_MAP_TYPE_QUEUE) {
    copyBytes(out, data + tail * vs, vs);
    if (remove) {
      let t = tail + 1;
      if (t >= size) t = 0;
      store<u32>(m, t, QS_TAIL);
    }
  } else {
    let index = head - 1;
    if (index >= size) index = size - 1;
    copyBytes(out, data + index * vs, vs);
    if (remove) store<u32>(m, index, QS_HEAD);
  }
  if (remove) store<u32>(m, load<u32>(m, MAP_COUNT) - 1, MAP_COUNT);
  return 0;
}

/** Empty the map (TypeScript's clear()). */
export function queueStackClear(m: u32): void {
  mapWriterLock(m);
  store<u32>(m, 0, QS_HEAD);
  store<u32>(m, 0, QS_TAIL);
  store<u32>(m, 0, MAP_COUNT);
  mapWriterUnlock(m);
}
