// A map value's special fields (include/linux/bpf.h copy_map_value, check_and_init_map_value): the
// `struct bpf_spin_lock` (4 bytes) and the `struct bpf_timer` (16 bytes) a value's BTF places, their offsets
// + 1 in the map header (MAP_SPIN_LOCK, MAP_TIMER; 0: none). They are the kernel's own: a copy into a value
// writes every byte but theirs, and a new element starts with them zeroed. Every write of a whole value
// goes through here — array and hash updates (array.ts, hash.ts, lru.ts) and the syscall's BPF_F_LOCK
// update (src/maps/map.ts, through map_value_copy_locked) — so none forgets one of them. (What happens to a
// timer after the copy is each update's: an array's and a replaced hash element's is freed.)
//
//   value  | ... | lock (4) | ... | timer (16) | ... |   (either may come first, or be absent)

import { MAP_SPIN_LOCK, MAP_TIMER, MAP_TYPE, MAP_VALUE_SIZE } from '../abi';
import { copyBytes } from '../bytes';
import { timerFreeValue } from './timer';
import { BPF_MAP_TYPE_ARRAY } from './uapi';

const SPIN_LOCK_SIZE: u32 = 4;
const TIMER_SIZE: u32 = 16;

/** copy_map_value: `value_size` bytes from `src` to `dst`, the special fields of `dst` left as they are. */
export function copyMapValue(m: u32, dst: u32, src: u32): void {
  const vs = load<u32>(m, MAP_VALUE_SIZE);
  const lock = load<u32>(m, MAP_SPIN_LOCK);
  const timer = load<u32>(m, MAP_TIMER);
  if (lock == 0 && timer == 0) {
    copyBytes(dst, src, vs);
    return;
  }
  // the fields in offset order (an absent one sits past the end, empty)
  let a = lock != 0 ? lock - 1 : vs;
  let an = lock != 0 ? SPIN_LOCK_SIZE : 0;
  let b = timer != 0 ? timer - 1 : vs;
  let bn = timer != 0 ? TIMER_SIZE : 0;
  if (b < a) {
    const t = a;
    a = b;
    b = t;
    const tn = an;
    an = bn;
    bn = tn;
  }
  copyBytes(dst, src, a);
  copyBytes(dst + a + an, src + a + an, b - (a + an));
  if (b + bn < vs) copyBytes(dst + b + bn, src + b + bn, vs - (b + bn));
}

/** check_and_init_map_value: a new element's special fields zeroed (its lock free, no timer). */
export function initMapValue(m: u32, v: u32): void {
  const lock = load<u32>(m, MAP_SPIN_LOCK);
  if (lock != 0) store<u32>(v + lock - 1, 0);
  const timer = load<u32>(m, MAP_TIMER);
  if (timer != 0) {
    store<u64>(v + timer - 1, 0);
    store<u64>(v + timer + 7, 0);
  }
}

/**
 * The syscall's BPF_F_LOCK update of an existing value `dst` (the caller holds its lock): copy_map_value_locked,
 * then for an array what array_map_update_elem does after any copy, bpf_obj_free_fields — the element's timer
 * freed (a hash's in-place BPF_F_LOCK update keeps it: htab_map_update_elem returns right after the copy).
 */
export function map_value_copy_locked(m: u32, dst: u32, src: u32): void {
  copyMapValue(m, dst, src);
  if (load<u32>(m, MAP_TYPE) == BPF_MAP_TYPE_ARRAY) timerFreeValue(m, dst);
}
