// bpf_timer_init / set_callback / start / cancel (169–172) and the timers' firing (kernel/bpf/helpers.c:
// __bpf_async_init, bpf_timer_cb). A `struct bpf_timer` (16 bytes) lies in a map value at the offset its
// BTF gives (MAP_TIMER: hash, lru_hash and array maps only, as map_check_btf allows); its first word
// is the address of the timer's record, allocated by bpf_timer_init (the kernel's bpf_hrtimer,
// kmalloc'd there: -ENOMEM when the arena cannot grow), 0 before. The timer bytes are the kernel's
// opaque ones: the map's copies leave them alone and its dumps read them as 0 (src/maps/map.ts).
//
// Time is the stack's clock (net/core.ts, advanced by the control plane: Stack.advance), in ns: a
// timer falls due when that clock reaches `expires`, and the control plane fires what is due after
// each step (src/control/bpf_timers.ts), earliest first — the neighbour timers' clock, so tests are
// deterministic. CLOCK_MONOTONIC, CLOCK_BOOTTIME and CLOCK_REALTIME all count on it (BPF_F_TIMER_ABS:
// an absolute time on it). BPF_F_TIMER_CPU_PIN is accepted (one CPU fires them all).
//
//   record  +0  u32 map          +4  u32 value (the map value holding the timer)
//           +8  u32 key          array: the element's index (the callback's key points here)
//           +12 u32 state        ARMED | RUNNING | FREED
//           +16 u64 callback     the program's callback: a table index (JIT) or the interpreter's tagged value
//           +24 u64 expires      ns on the stack clock
//           +32 u32 next         every live timer, one doubly linked list (TIMERS_HEAD), so freeing one
//           +36 u32 prev         (an element deleted) unlinks it in O(1); prev 0: the first
//           +40 u32 flags        bpf_timer_init's clock id
//
// Freed with the element or map that holds it (bpf_obj_free_fields → bpf_timer_cancel_and_free): a
// hash element deleted or replaced by an update, an array element updated (after the copy), the map freed; a callback that frees its own timer
// leaves the record to be freed when it returns.

import { MAP_DATA, MAP_ITER_KEY, MAP_KEY_SIZE, MAP_NO_UREF, MAP_TIMER, MAP_TYPE, RUN_BASE, RUN_FRAME_DEPTH, RUN_FRAME_PTR, STACK_SIZE, STACK_TOP } from '../abi';
import { arena_alloc, arena_free } from './arena';
import { MAPS_ARRAY_STRIDE } from './array';
import { map_iter_record } from './for_each';
import { NET_ROOT_PTR, NR_NOW } from '../net/abi';
import { BPF_MAP_TYPE_ARRAY, EBUSY, EINVAL, ENOMEM, EPERM } from './uapi';

const T_MAP: u32 = 0;
const T_VALUE: u32 = 4;
const T_KEY: u32 = 8;
const T_STATE: u32 = 12;
const T_CALLBACK: u32 = 16;
const T_EXPIRES: u32 = 24;
const T_NEXT: u32 = 32;
const T_PREV: u32 = 36;
const T_FLAGS: u32 = 40;
const TIMER_SIZE: u32 = 48;

const ARMED: u32 = 1;
const RUNNING: u32 = 2;
const FREED: u32 = 4;

const CLOCK_REALTIME: u64 = 0;
const CLOCK_MONOTONIC: u64 = 1;
const CLOCK_BOOTTIME: u64 = 7;
const MAX_CLOCKS: u64 = 16;
const BPF_F_TIMER_ABS: u64 = 1;
const BPF_F_TIMER_CPU_PIN: u64 = 2;
const EDEADLK: i64 = 35;

/** The list of every live timer record. */
const TIMERS_HEAD: usize = memory.data(4);
/**
 * Its lock (the shared build: workers' programs link and unlink timers while the main thread walks the list
 * for the due ones; an unlink writes both neighbours, so a torn one would leave a dangling link). Taken
 * around every link, unlink and walk, never while the arena's is held (records are allocated before it).
 */
const TIMERS_LOCK: usize = memory.data(4);

@inline function timersLock(): void {
  if (ASC_FEATURE_THREADS) while (atomic.cmpxchg<u32>(TIMERS_LOCK, 0, 1) != 0) {}
}

@inline function timersUnlock(): void {
  if (ASC_FEATURE_THREADS) atomic.store<u32>(TIMERS_LOCK, 0);
}

/** The stack's clock (net/core.ts netNow, read here without its module) in ns; 0 before the stack is. */
@inline function nowNs(): u64 {
  const r = load<u32>(NET_ROOT_PTR);
  return r == 0 ? 0 : load<u64>(r + NR_NOW) * 1_000_000;
}

/** An array element's index, which its timer's callback gets as key (bpf_timer_cb); 0 for a hash's. */
function timerKey(m: u32, value: u32): u32 {
  if (load<u32>(m, MAP_TYPE) == BPF_MAP_TYPE_ARRAY) return (value - load<u32>(m, MAP_DATA)) / load<u32>(m, MAPS_ARRAY_STRIDE);
  return 0;
}

export function bpf_timer_init(timer: u64, map: u64, flags: u64, r4: u64, r5: u64): u64 {
  const clockid = flags & (MAX_CLOCKS - 1);
  if (flags >= MAX_CLOCKS || (clockid != CLOCK_MONOTONIC && clockid != CLOCK_REALTIME && clockid != CLOCK_BOOTTIME)) return <u64>-EINVAL;
  const field = <u32>timer;
  if (load<u32>(field) != 0) return <u64>-EBUSY;
  const m = <u32>map;
  const t = arena_alloc(TIMER_SIZE, 8);
  if (t == 0) return <u64>-ENOMEM;
  const value = field - (load<u32>(m, MAP_TIMER) - 1);
  store<u32>(t, m, T_MAP);
  store<u32>(t, value, T_VALUE);
  store<u32>(t, timerKey(m, value), T_KEY);
  store<u32>(t, <u32>clockid, T_FLAGS);
  // __bpf_async_init, after the allocation, under the timer's lock: another init may have won (-EBUSY);
  // "maps with timers must be either held by user space or pinned in bpffs" — usercnt 0 (the map's
  // object unloaded while a program still holds it) is -EPERM. The check, the link and the field's
  // store in one locked section: map_release_uref sets MAP_NO_UREF before timerFreeMap takes the lock,
  // so a record is either seen (linked, its field set) and freed there or never made
  timersLock();
  let err: i64 = load<u32>(field) != 0 ? -EBUSY : 0;
  if (err == 0 && (ASC_FEATURE_THREADS ? atomic.load<u32>(m + MAP_NO_UREF) : load<u32>(m, MAP_NO_UREF)) != 0) err = -EPERM;
  if (err == 0) {
    const first = load<u32>(TIMERS_HEAD);
    store<u32>(t, first, T_NEXT);
    store<u32>(t, 0, T_PREV);
    if (first != 0) store<u32>(first, t, T_PREV);
    store<u32>(TIMERS_HEAD, t);
    store<u32>(field, t);
  }
  timersUnlock();
  if (err != 0) {
    arena_free(t, TIMER_SIZE);
    return <u64>err;
  }
  return 0;
}

export function bpf_timer_set_callback(timer: u64, fn: u64, r3: u64, r4: u64, r5: u64): u64 {
  const t = load<u32>(<u32>timer);
  if (t == 0) return <u64>-EINVAL;
  store<u64>(t, fn, T_CALLBACK);
  store<u32>(t, load<u32>(t, T_STATE) | 8, T_STATE); // a callback is set (cb.prog)
  return 0;
}

export function bpf_timer_start(timer: u64, nsecs: u64, flags: u64, r4: u64, r5: u64): u64 {
  if ((flags & ~(BPF_F_TIMER_ABS | BPF_F_TIMER_CPU_PIN)) != 0) return <u64>-EINVAL;
  const t = load<u32>(<u32>timer);
  if (t == 0 || (load<u32>(t, T_STATE) & 8) == 0) return <u64>-EINVAL;
  store<u64>(t, (flags & BPF_F_TIMER_ABS) != 0 ? nsecs : nowNs() + nsecs, T_EXPIRES);
  store<u32>(t, load<u32>(t, T_STATE) | ARMED, T_STATE);
  return 0;
}

/** 1 when the timer was armed (hrtimer_cancel), 0 when not; its own callback cancelling it: -EDEADLK. */
export function bpf_timer_cancel(timer: u64, r2: u64, r3: u64, r4: u64, r5: u64): u64 {
  const t = load<u32>(<u32>timer);
  if (t == 0) return <u64>-EINVAL;
  const state = load<u32>(t, T_STATE);
  if ((state & RUNNING) != 0) return <u64>-EDEADLK;
  store<u32>(t, state & ~ARMED, T_STATE);
  return (state & ARMED) != 0 ? 1 : 0;
}

/** Timer `t` out of the live list: its neighbours linked to each other (no walk). The list's lock is held. */
function unlinkTimer(t: u32): void {
  const next = load<u32>(t, T_NEXT);
  const prev = load<u32>(t, T_PREV);
  if (prev != 0) store<u32>(prev, next, T_NEXT);
  else store<u32>(TIMERS_HEAD, next);
  if (next != 0) store<u32>(next, prev, T_PREV);
}

/** bpf_timer_cancel_and_free: the timer at `field` (a map value's) disarmed and freed, the field zeroed. */
export function timerFree(field: u32): void {
  timersLock();
  timerFreeLocked(field);
  timersUnlock();
}

/** timerFree with the list's lock held. */
function timerFreeLocked(field: u32): void {
  const t = load<u32>(field);
  store<u64>(field, 0);
  store<u64>(field, 0, 8);
  if (t == 0) return;
  const state = load<u32>(t, T_STATE);
  if ((state & RUNNING) != 0) {
    // its callback is running: freed when it returns (bpf_timer_done)
    store<u32>(t, (state & ~ARMED) | FREED, T_STATE);
    return;
  }
  unlinkTimer(t);
  arena_free(t, TIMER_SIZE);
}

/** Every timer of map `m` freed (the map freed: bpf_map_free_timers). */
export function timerFreeMap(m: u32): void {
  timersLock();
  let t = load<u32>(TIMERS_HEAD);
  while (t != 0) {
    const n = load<u32>(t, T_NEXT);
    if (load<u32>(t, T_MAP) == m) timerFreeLocked(load<u32>(t, T_VALUE) + load<u32>(m, MAP_TIMER) - 1);
    t = n;
  }
  timersUnlock();
}

/** The value at `v` of map `m` gets its timer freed, when the map's values hold one. */
@inline export function timerFreeValue(m: u32, v: u32): void {
  const off = load<u32>(m, MAP_TIMER);
  if (off != 0) timerFree(v + off - 1);
}

/**
 * The earliest armed timer due at the stack clock's now, disarmed and marked running, or 0: the
 * control plane calls its callback (bpf_timer_run for a table index) and then bpf_timer_done.
 */
export function bpf_timer_next_due(): u32 {
  const now = nowNs();
  let best: u32 = 0;
  timersLock();
  for (let t = load<u32>(TIMERS_HEAD); t != 0; t = load<u32>(t, T_NEXT)) {
    if ((load<u32>(t, T_STATE) & ARMED) == 0 || load<u64>(t, T_EXPIRES) > now) continue;
    if (best == 0 || load<u64>(t, T_EXPIRES) < load<u64>(best, T_EXPIRES)) best = t;
  }
  if (best != 0) store<u32>(best, (load<u32>(best, T_STATE) & ~ARMED) | RUNNING, T_STATE);
  timersUnlock();
  return best;
}

/** The earliest armed timer's expiry in ns on the stack clock, -1 when none is armed. */
export function bpf_timer_next_expiry(): i64 {
  let best: i64 = -1;
  timersLock();
  for (let t = load<u32>(TIMERS_HEAD); t != 0; t = load<u32>(t, T_NEXT)) {
    if ((load<u32>(t, T_STATE) & ARMED) == 0) continue;
    const e = <i64>load<u64>(t, T_EXPIRES);
    if (best < 0 || e < best) best = e;
  }
  timersUnlock();
  return best;
}

/**
 * bpf_timer_cb's arguments: (map, key, value). An array element's key is its index, which the kernel
 * keeps in a local: here in the frame-0 walk record's key word (a timer fires outside any program's
 * run, so no walk is using it), which checked runs may read.
 */
export function bpf_timer_key(t: u32): u32 {
  const m = load<u32>(t, T_MAP);
  if (load<u32>(m, MAP_TYPE) == BPF_MAP_TYPE_ARRAY) {
    const key = map_iter_record(0) + MAP_ITER_KEY;
    store<u32>(key, load<u32>(t, T_KEY));
    return key;
  }
  // a hash element's key, round_up(key_size, 8) bytes before its value
  return load<u32>(t, T_VALUE) - ((load<u32>(m, MAP_KEY_SIZE) + 7) & ~7);
}

/** A due timer's callback through the table (the JIT's), as a new frame 0; its r0. */
export function bpf_timer_run(t: u32): u64 {
  // the callback entry takes its frame one below RUN_FRAME_PTR, at RUN_FRAME_DEPTH + 1: frame 0's
  store<u32>(RUN_BASE + RUN_FRAME_PTR, STACK_TOP + STACK_SIZE);
  store<u32>(RUN_BASE + RUN_FRAME_DEPTH, 0xffffffff);
  return call_indirect<u64>(<u32>load<u64>(t, T_CALLBACK), <u64>load<u32>(t, T_MAP), <u64>bpf_timer_key(t), <u64>load<u32>(t, T_VALUE), <u64>0, <u64>0);
}

/** After a timer's callback: no longer running; freed now if its element went meanwhile. */
export function bpf_timer_done(t: u32): void {
  const state = load<u32>(t, T_STATE) & ~RUNNING;
  store<u32>(t, state, T_STATE);
  if ((state & FREED) != 0) {
    timersLock();
    unlinkTimer(t);
    timersUnlock();
    arena_free(t, TIMER_SIZE);
  }
}

/** The callback a timer holds (the control plane tells a tagged interpreter value from a table index). */
export function bpf_timer_callback(t: u32): u64 {
  return load<u64>(t, T_CALLBACK);
}

export function bpf_timer_map(t: u32): u32 {
  return load<u32>(t, T_MAP);
}

export function bpf_timer_value(t: u32): u32 {
  return load<u32>(t, T_VALUE);
}
