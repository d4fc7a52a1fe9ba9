// bpf_spin_lock's rules, as kernel/bpf/verifier.c's process_spin_lock, check_helper_call,
// check_map_access and check_resource_leak apply them (messages are the kernel's, checked on 6.18):
//
//   - the lock is a `struct bpf_spin_lock` inside a map value whose BTF has exactly one (MapInfo.spinLockOff);
//     the argument must point at it, at a constant offset;
//   - one lock at a time; unlock takes the lock that was taken (same map value: the pointer's id, which a
//     lookup in such a map always gets, null-checked or not);
//   - while it is held, no helper but bpf_spin_unlock may be called (bpf-to-bpf calls are allowed);
//   - the main program may not exit holding it;
//   - no load or store may touch the lock's 4 bytes (helpers reading the value likewise).
//
// The held lock is a RefState with `lock` set (the kernel's REF_TYPE_LOCK), so pruning compares it as a
// reference: two states differ when one holds a lock the other does not, or holds another.

import type { Reg } from './reg.js';
import type { RefState, State } from './state.js';

/** sizeof(struct bpf_spin_lock) */
export const SPIN_LOCK_SIZE = 4;
export const BPF_FUNC_spin_lock = 93;
export const BPF_FUNC_spin_unlock = 94;

type Reject = (reason: string) => never;

/** The lock name (RefState.lock) of an allocated object's bpf_spin_lock: the kernel's lock state names the program's BTF. */
export const LOCAL_LOCK = '\0local';

/** An allocated object's lock (reg_btf_record of its struct): its spin_lock_off, or res_spin_lock_off (-EINVAL: none). */
export interface LocalLock {
  off(res: boolean): number;
  /** It has one or the other. */
  any: boolean;
}

export function heldLock(st: State): RefState | undefined {
  return st.refs.find((r) => r.lock !== undefined);
}

/**
 * process_spin_lock: `reg` is the helper's r1 (bpf_spin_lock / _unlock) or a bpf_res_spin_lock kfunc's
 * lock argument (`res`); `isLock` for the lock calls, else the unlocks. Several locks may be held (only
 * res ones nest: bpf_spin_lock refuses a second plain lock; the helpers are refused under a res lock);
 * they are released last-taken first (active_lock_id / active_lock_ptr: the newest held).
 */
export function processSpinLock(st: State, reg: Reg, regno: number, isLock: boolean, pc: number, reject: Reject, res = false, irq = false, local?: LocalLock): void {
  const m = reg.map;
  const str = res ? 'bpf_res_spin' : 'bpf_spin';
  if (!reg.varOff.isConst) {
    reject(`R${regno} doesn't have constant offset. ${str}_lock has to be at the constant offset`);
  }
  // a map value's lock (the map names it), or an allocated object's (the program's BTF: LOCAL_LOCK, its struct's offset)
  let name: string;
  let lockOff: number;
  if (m && !local) {
    if (m.noBtf) reject(`map '${m.name}' has to have BTF in order to use ${str}_lock`);
    if (m.spinLockOff === undefined || m.spinLockOff < 0 || (m.resLock ?? false) !== res) reject(`map '${m.name}' has no valid ${str}_lock`);
    name = m.name;
    lockOff = m.spinLockOff;
  } else {
    lockOff = local ? local.off(res) : -22;
    if (lockOff < 0) reject(`local 'kptr' has no valid ${str}_lock`);
    name = LOCAL_LOCK;
  }
  const off = Number(reg.varOff.value) + reg.off;
  if (off !== lockOff) reject(`off ${off} doesn't point to 'struct ${str}_lock' that is at ${lockOff}`);
  const locks = st.refs.filter((r) => r.lock !== undefined);
  if (isLock) {
    if (!res && locks.some((r) => !r.resLock)) reject('Locking two bpf_spin_locks are not allowed');
    if (res && locks.some((r) => r.resLock && r.id === reg.id && r.lock === name)) reject('Acquiring the same lock again, AA deadlock detected');
    st.refs = [...st.refs, { id: reg.id, insn: pc, lock: name, ...(res ? { resLock: true } : {}), ...(irq ? { resLockIrq: true } : {}) }];
    return;
  }
  if (!locks.length) reject(`${str}_unlock without taking a lock`);
  // find_lock_state of the call's type: REF_TYPE_LOCK, _RES_LOCK or _RES_LOCK_IRQ
  const mine = locks.find((r) => (r.resLock ?? false) === res && (r.resLockIrq ?? false) === irq && r.id === reg.id && r.lock === name);
  if (!mine) reject(`${str}_unlock of different lock`);
  const last = locks[locks.length - 1]!;
  if (last.id !== reg.id || last.lock !== name) reject(`${str}_unlock cannot be out of order`);
  st.refs = st.refs.filter((r) => r !== mine);
}

/** check_helper_call: under a lock only bpf_spin_unlock may be called. */
export function checkCallUnderLock(st: State, helper: number, reject: Reject): void {
  if (helper !== BPF_FUNC_spin_unlock && heldLock(st)) reject('function calls are not allowed while holding a lock');
}

/** check_resource_leak at the main program's BPF_EXIT, before its reference check. */
export function checkExitUnderLock(st: State, reject: Reject): void {
  if (heldLock(st)) reject('BPF_EXIT instruction in main prog cannot be used inside bpf_spin_lock-ed region');
}

/**
 * check_map_access: an access of `size` bytes at `off` (plus the register's variable part) that may
 * overlap the lock's bytes.
 */
export function checkLockOverlap(reg: Reg, off: number, size: number, reject: Reject): void {
  // check_map_access: the value's special fields (its bpf_spin_lock, its bpf_timer) are the helpers' only
  const lo = reg.smin + BigInt(off);
  const hi = reg.umax + BigInt(off);
  const overlaps = (p: number | undefined, n: number): boolean => p !== undefined && p >= 0 && lo < BigInt(p + n) && BigInt(p) < hi + BigInt(size);
  const lock = reg.map?.spinLockOff;
  const timer = reg.map?.timerOff;
  const first = (timer ?? -1) >= 0 && (lock === undefined || lock < 0 || timer! < lock);
  if (first && overlaps(timer, BPF_TIMER_SIZE)) reject('bpf_timer cannot be accessed directly by load/store');
  if (overlaps(lock, SPIN_LOCK_SIZE)) reject(`${reg.map?.resLock ? 'bpf_res_spin_lock' : 'bpf_spin_lock'} cannot be accessed directly by load/store`);
  if (overlaps(timer, BPF_TIMER_SIZE)) reject('bpf_timer cannot be accessed directly by load/store');
}

/** sizeof(struct bpf_timer). */
const BPF_TIMER_SIZE = 16;
