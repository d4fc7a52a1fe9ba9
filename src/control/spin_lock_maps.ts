// The loader's part of bpf_spin_lock and bpf_timer (the timer's offset likewise, in hash, array and
// lru_hash maps: assembly/maps/timer.ts). The loader's part of bpf_spin_lock: a hash or array map whose value's BTF holds a `struct
// bpf_spin_lock` gets the lock's offset in its header (the fast path's copies leave those bytes alone,
// BPF_F_LOCK is accepted, the verifier knows where the lock is). Two locks in one value (or a
// bpf_spin_lock and a bpf_res_spin_lock): BPF_MAP_CREATE fails with the BTF (E2BIG / EINVAL), and as for a lock or
// timer in another map type (EOPNOTSUPP) libbpf creates the map again without BTF, so the value holds plain bytes and the helpers on it are refused
// ("has to have BTF"). A map-in-map's inner template keeps its lock's and timer's offsets (by outer map).

import type { ObjectSpec } from '../elf/index.js';
import { resSpinLockOffset, spinLockOffset, SPIN_LOCK_TYPES, timerOffset, TIMER_TYPES } from '../elf/spin_lock.js';
import type { BpfMap } from '../maps/index.js';

/**
 * Maps libbpf created again without BTF: their value's BTF holds a bpf_spin_lock or bpf_timer the map type
 * may not have. The verifier refuses those helpers on them with its own message ("has to have BTF").
 */
const withoutBtf = new WeakSet<BpfMap>();

/**
 * Maps whose value holds a `struct bpf_res_spin_lock` (not a bpf_spin_lock): its offset is the map's
 * spinLockOff (a value may not hold both: btf_parse_fields' EINVAL), so copies leave its bytes alone as
 * they do a bpf_spin_lock's; the verifier tells the two apart by this.
 */
const resLockMaps = new WeakSet<BpfMap>();

/** Whether `map`'s value lock (spinLockOff) is a bpf_res_spin_lock. */
export function mapHasResLock(map: BpfMap): boolean {
  return resLockMaps.has(map);
}

/** Map-in-maps whose inner template's value lock (innerFields.spinLockOff) is a bpf_res_spin_lock. */
const innerResLockMaps = new WeakSet<BpfMap>();

/** Whether the inner maps of map-in-map `outer` hold a bpf_res_spin_lock at their lock offset. */
export function innerHasResLock(outer: BpfMap): boolean {
  return innerResLockMaps.has(outer);
}

/** Whether `map` has its value's BTF in the kernel (false: libbpf dropped it, see withoutBtf). */
export function mapHasBtf(map: BpfMap): boolean {
  return !withoutBtf.has(map);
}

export function applySpinLocks(spec: ObjectSpec, maps: ReadonlyMap<string, BpfMap>, btfRefused = false): void {
  for (const m of spec.maps) {
    // the kernel refused the object's whole BTF (elf/spin_lock.ts kernelBtfRefusal): libbpf made every map without it
    if (btfRefused) {
      const map = maps.get(m.name);
      if (map) withoutBtf.add(map);
      continue;
    }
    const inner = m.innerMap;
    const outer = maps.get(m.name);
    if (inner && outer) {
      let lock = SPIN_LOCK_TYPES.includes(inner.type) ? spinLockOffset(spec.btf, inner.valueTypeId) : -1;
      const timer = TIMER_TYPES.includes(inner.type) ? timerOffset(spec.btf, inner.valueTypeId) : -1;
      // a bpf_res_spin_lock takes the lock's place (as in the outer maps below): the inner maps' own spinLockOff
      // is its offset, so the template must say the same (rv55: map_meta_equal refused the object's own inner
      // map, EINVAL at load, where 6.18.44 loads and runs a program locking it)
      const res = SPIN_LOCK_TYPES.includes(inner.type) ? resSpinLockOffset(spec.btf, inner.valueTypeId) : -1;
      const refused = lock === 'many' || timer === 'many' || res === 'many' || (res !== -1 && lock !== -1);
      if (!refused && res !== -1) {
        lock = res;
        innerResLockMaps.add(outer);
      }
      // a map-in-map's inner template carries its value's BTF fields (bpf_map_meta_alloc copies the inner map's
      // btf_record into inner_map_meta): in the outer map's template block, read back by BpfMap.innerFields.
      // Two of a kind fail the template's BPF_MAP_CREATE (btf_parse_fields' E2BIG) and libbpf makes it again
      // without BTF, as it does any map whose creation with BTF failed
      if (refused || lock === 'many') outer.setInnerFields(-1, -1);
      else outer.setInnerFields(lock, timer);
    }
    const timer = timerOffset(spec.btf, m.valueTypeId);
    let off = spinLockOffset(spec.btf, m.valueTypeId);
    const res = resSpinLockOffset(spec.btf, m.valueTypeId);
    const map = maps.get(m.name);
    // BPF_MAP_CREATE with the value's BTF fails (btf_parse_fields: two of a kind E2BIG, both locks EINVAL) and
    // libbpf creates the map again without BTF ("Retrying without BTF."): the bytes are plain, helpers refused.
    // (Two in one struct already fail the object's BTF load: kernelBtfRefusal; these are nested ones.)
    if (timer === 'many' || off === 'many' || res === 'many' || (res !== -1 && off !== -1)) {
      if (map) withoutBtf.add(map);
      continue;
    }
    if (res !== -1) {
      off = res;
      if (map && SPIN_LOCK_TYPES.includes(m.type)) resLockMaps.add(map);
    }
    if ((timer !== -1 && !TIMER_TYPES.includes(m.type)) || (off !== -1 && !SPIN_LOCK_TYPES.includes(m.type))) {
      // map_check_btf's EOPNOTSUPP: libbpf creates the map again without BTF, lock and timer are plain bytes
      if (map) withoutBtf.add(map);
      continue;
    }
    if (timer !== -1) map?.setTimerOff(timer);
    if (off === -1) continue;
    map?.setSpinLockOff(off);
  }
}
