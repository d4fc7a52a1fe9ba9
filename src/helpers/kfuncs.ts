// The kernel functions (kfuncs) wxdp provides, as libbpf resolves a `__ksym` extern function: by name,
// to a BTF id of the provider's BTF (the kernel's vmlinux; here wxdp's own numbering below), which the
// call instruction carries in imm with src = BPF_PSEUDO_KFUNC_CALL. The verifier checks a call against
// the kfunc's prototype; after verification the loader lowers each call to a helper call of id
// KFUNC_HELPER_BASE + btf id, so both engines call `fn` as they call a helper.
//
// The XDP RX-metadata kfuncs (net/core/xdp.c) are device-bound: the kernel refuses them in a program
// not loaded for a device ("metadata kfuncs require device-bound program") and refuses to test-run a
// device-bound program (EINVAL). On a device, each driver answers from its descriptors: wxdp's devices
// carry the RSS hash and its type and no timestamp or VLAN tag, for which they answer as veth does for a
// frame without an skb: -ENODATA, the out-arguments untouched. All three are the fast path's
// (assembly/rss.ts), so programs calling them run on the workers too.

// What Linux 6.18.44-fc-v1272 lets an XDP program call that wxdp still lacks (each vmlinux kfunc called
// with r1-r5 = 0 in a raw XDP program: "calling kernel function X is not allowed" or not, 2026-12-07):
// exception callbacks for bpf_throw (`__exception_cb`: the kernel finds no callback in objects libbpf 1.1
// loads, so none is compared yet), bpf_percpu_obj_new / _drop (bpf_obj_new / _drop, bpf_list, bpf_rbtree
// and bpf_refcount_acquire are here: helpers/obj_kfuncs.ts), bpf_wq_init / bpf_wq_start (6.18.44-fc, probed
// 2026-12-08, tests/programs/wq.test.ts: init 0, then -EBUSY until an update or delete of the element frees the wq;
// start -EINVAL, always, from XDP — bpf_wq_set_callback_impl is refused there, 'sleepable callback in a program
// that is not sleepable', EPERM — so no wq callback ever runs from an XDP program), the bpf_task_* and bpf_cgroup_*
// kfuncs, bpf_get_kmem_cache, bpf_crypto_*, bpf_xdp_get_xfrm_state / _release,
// bpf_stream_vprintk_impl, bpf_probe_read_{kernel,user}{,_str}_dynptr, bpf_task_work_schedule_*. The
// sleepable ones (copy_from_user*, bpf_iter_kmem_cache_*, bpf_iter_dmabuf_*, bpf_lookup_user_key) are
// refused for XDP: "program must be sleepable to call sleepable kfunc X".
// bpf_res_spin_lock, as this kernel checks it (probed 2026-12-07, for whoever adds it): a `struct
// bpf_res_spin_lock` (4 bytes) in a map value; the lock is held only where the call returned 0 (the
// verifier forks the error path, r0 in [-MAX_ERRNO, -1]): unlocking on an unchecked path is "bpf_res_spin_unlock
// without taking a lock" (EINVAL), as is unlocking one never taken; two may be held, released last-taken
// first, else "bpf_res_spin_unlock cannot be out of order" (EINVAL); exit holding one is "BPF_EXIT instruction
// in main prog cannot be used inside bpf_spin_lock-ed region" (EINVAL); a load of it "bpf_res_spin_lock cannot
// be accessed directly by load/store" (EACCES).
// bpf_map_sum_elem_count, bpf_cast_to_kern_ctx, bpf_rdonly_cast (struct xdp_buff, xdp_rxq_info, net_device and
// the other structs of src/elf/core.ts WXDP_BTF; bpf_core_type_id_kernel resolves to their ids there) and
// bpf_throw (default callback) are here (ids 70-73). The first three run in TypeScript (Datapath programs
// on the main thread: a worker refuses them at attach, src/control/workers.ts importsOf); bpf_throw is
// lowered by the JIT (src/jit/emit.ts HELPER_THROW), so it runs wherever the program does.

import { BpfThrow, RuntimeFault } from '../errors.js';
import type { HelperDef } from './index.js';
import { DYNPTR_KFUNCS } from './dynptr.js';
import { STRING_KFUNCS } from './str_kfuncs.js';
import { CAST_KFUNCS } from './cast_kfuncs.js';
import { OBJ_KFUNCS } from './obj_kfuncs.js';

/**
 * What the verifier checks of a kfunc argument: the ctx, writable memory of `size` bytes (a pointer to a
 * struct of scalars: KF_ARG_PTR_TO_MEM of the struct's size), or a scalar.
 */
export type KfuncArg =
  | { kind: 'ctx' }
  | { kind: 'mem'; size: number }
  | { kind: 'scalar' }
  /** KF_ARG_PTR_TO_DYNPTR: an initialised dynptr on the stack. */
  | { kind: 'dynptr' }
  /** `ptr__uninit` / `clone__uninit`: stack slots the kfunc makes an XDP dynptr of, or a clone of arg 0's. */
  | { kind: 'dynptr_uninit'; type: 'xdp' | 'clone' }
  /** KF_ARG_PTR_TO_MEM_SIZE with `buffer__opt` and `buffer__szk`: memory or NULL, then ('size') its constant size. */
  | { kind: 'buffer_szk' }
  /** KF_ARG_PTR_TO_MEM_SIZE with `ptr__sz`: memory read and written, its size ('size') the next argument, any bounded value. */
  | { kind: 'mem_sz' }
  /**
   * KF_ARG_PTR_TO_BTF_ID of a KF_RELEASE or KF_TRUSTED_ARGS kfunc: a referenced pointer to struct `struct`
   * (a KF_ACQUIRE kfunc's), not NULL, at its start, of exactly that struct (strict type match).
   */
  | { kind: 'conn'; struct: string }
  /**
   * KF_ARG_PTR_TO_ITER: a `struct bpf_iter_<type>` on the stack (bpf_iter_num: one 8-byte slot, bpf_iter_bits:
   * two) — _new's uninitialised, made STACK_ITER with a reference; _next's and _destroy's initialised, of
   * the same type (process_iter_arg).
   */
  | { kind: 'iter'; op: 'new' | 'next' | 'destroy'; type: IterType }
  /** KF_ARG_PTR_TO_IRQ_FLAG (`flags__irq_flag`): an 8-byte stack slot bpf_local_irq_save fills, _restore empties. */
  | { kind: 'irq_flag'; op: 'save' | 'restore'; /** the bpf_res_spin_lock_irqsave pair's (IRQ_LOCK_KFUNC), else bpf_local_irq_save's */ lock?: boolean }
  /** An `__ign` argument (is_kfunc_arg_ignore): not checked at all, not even read. */
  | { kind: 'ign' }
  /** A `__k` argument (is_kfunc_arg_constant): a scalar whose value is known, made precise (meta->arg_constant). */
  | { kind: 'const' }
  /**
   * KF_ARG_PTR_TO_BTF_ID `const struct bpf_map *` of a KF_TRUSTED_ARGS kfunc: a map the program names
   * (CONST_PTR_TO_MAP is a trusted struct bpf_map: reg2btf_ids).
   */
  | { kind: 'map' }
  /**
   * KF_ARG_PTR_TO_RES_SPIN_LOCK: a map value's `struct bpf_res_spin_lock`, at its constant offset
   * (process_spin_lock with PROCESS_RES_LOCK; src/verifier/locks.ts).
   */
  | { kind: 'res_lock' }
  | { kind: 'size' };

/**
 * What r0 holds after the call: a scalar (an int), or (KF_RET_NULL) a pointer to a kernel object the
 * program may compare with NULL and pass on, never read: wxdp has no BTF for the object's struct.
 */
/** The open-coded iterators wxdp has: their struct's name is `bpf_iter_<type>`. */
export type IterType = 'num' | 'bits';
/** sizeof(struct bpf_iter_<type>) / 8: the stack slots an iterator takes. */
export const ITER_SLOTS: Record<IterType, number> = { num: 1, bits: 2 };

export type KfuncRet = 'scalar' | 'kptr_or_null' | 'slice' | 'slice_rdwr' | 'acquire_or_null' | 'void' | 'iter_next'
  /** bpf_cast_to_kern_ctx: PTR_TO_BTF_ID | PTR_TRUSTED of the program type's kernel ctx (struct xdp_buff), never NULL. */
  | 'kern_ctx'
  /** bpf_rdonly_cast: PTR_TO_BTF_ID | PTR_UNTRUSTED of the struct the constant argument names, or (0, void) rdonly_untrusted_mem. */
  | 'rdonly_cast';

export interface KfuncDef {
  name: string;
  /** Its id in wxdp's BTF (what imm holds after resolution). */
  btfId: number;
  args: KfuncArg[];
  /** XDP metadata kfuncs: only in device-bound programs (BPF_F_XDP_DEV_BOUND_ONLY). */
  devBound: boolean;
  ret?: KfuncRet;
  /** kptr_or_null: the struct (WXDP_BTF, src/elf/core.ts) the pointer is to, its loads checked against it. */
  retStruct?: string;
  /** KF_RELEASE: the reference its `conn` argument holds ends with the call. */
  release?: boolean;
  /**
   * KF_TRUSTED_ARGS: pointer arguments may not be NULL. This kernel (6.18.44-fc-v1252) refuses a NULL
   * bpf_tuple / opts to bpf_xdp_ct_lookup and _alloc as well ("Possibly NULL pointer passed to trusted
   * arg1", EACCES), which 6.18's nf_conntrack_bpf.c does not flag KF_TRUSTED_ARGS: it treats them as
   * trusted, so wxdp marks them so.
   */
  trusted?: boolean;
  /**
   * The kernel's packet-changing kfuncs (bpf_is_kfunc_pkt_changing): the frame may move, so the verifier
   * forgets every packet pointer after the call (clear_all_pkt_pointers).
   */
  changesPkt?: boolean;
  /**
   * check_kfunc_call's section kfuncs: bpf_rcu_read_lock / _unlock (one RCU read section, not nested) and
   * bpf_preempt_disable / _enable (nested, counted); the verifier tracks them, the engines do nothing.
   */
  section?: 'rcu_lock' | 'rcu_unlock' | 'preempt_disable' | 'preempt_enable';
  /**
   * bpf_throw: the path ends at the call as at an exit of the whole program (check_resource_leak with
   * exception_exit: no reference held in any frame; no RCU / preemption / irq section open in the main
   * frame); at run time the program returns the cookie.
   */
  throws?: boolean;
  /** kfunc_spin_allowed: callable while a bpf_spin_lock is held (the bpf_iter_num API). */
  spinAllowed?: boolean;
  /** An allocated-object or graph kfunc: the verifier checks it in src/verifier/local_obj.ts. */
  graph?: 'obj_new' | 'obj_drop' | 'percpu_obj_new' | 'percpu_obj_drop' | 'list_push' | 'list_pop' | 'list_peek' | 'refcount_acquire' | 'rbtree_add' | 'rbtree_remove' | 'rbtree_peek' | 'rbtree_child';
  /**
   * bpf_res_spin_lock / _unlock: the verifier forks the failure path of a lock (r0 in [-MAX_ERRNO, -1],
   * no lock held) before checking the call, and on the success path holds the lock with r0 = 0.
   */
  resLock?: 'lock' | 'unlock';
  /** bpf_res_spin_lock_irqsave / _unlock_irqrestore: the lock is REF_TYPE_RES_LOCK_IRQ, its flags the second argument. */
  resLockIrq?: boolean;
  /** Its implementation in the fast path (the wasm export's name), called as a helper; else `fn`. */
  fastPath?: string;
  fn: HelperDef['fn'];
}

/** Lowered kfunc calls use helper ids from here up (far past the kernel's helpers). */
export const KFUNC_HELPER_BASE = 0x100000;

/**
 * Calls (helper ids, kfuncs as the engines call them) whose answer is r0's low byte only, the bits above
 * it left as the call found them: bpf_dynptr_is_null returns a bool, which 6.18.44-fc-v1300's native
 * function sets in %al alone, and the x86 JIT maps r0 to %rax (bpftool prog run: after -EINVAL in r0 a
 * valid dynptr reads 0xffffff00 in w0). A program that uses the whole register, as clang compiles
 * `if (bpf_dynptr_is_null(&p))`, sees them; the verifier has r0 unknown either way.
 * bpf_dynptr_is_rdonly's r0 is clean. tests/programs/dynptr_is_null_r0.test.ts.
 */
export const R0_LOW_BYTE_CALLS: ReadonlySet<number> = new Set([KFUNC_HELPER_BASE + 9]);

const ENODATA = -61n;

/**
 * wxdp's BTF for what it provides, as FUNC → FUNC_PROTO entries:
 *   [1] FUNC bpf_xdp_metadata_rx_timestamp(const struct xdp_md *ctx, u64 *timestamp) → int
 *   [2] FUNC bpf_xdp_metadata_rx_hash(const struct xdp_md *ctx, u32 *hash, enum xdp_rss_hash_type *rss_type) → int
 *   [3] FUNC bpf_xdp_metadata_rx_vlan_tag(const struct xdp_md *ctx, __be16 *vlan_proto, u16 *vlan_tci) → int
 * (the order of XDP_METADATA_KFUNC_xxx in include/net/xdp.h)
 *   [4] FUNC bpf_xdp_flow_lookup(struct xdp_md *ctx, struct bpf_fib_lookup *fib_tuple,
 *            struct bpf_flowtable_opts *opts, u32 opts_len) → struct flow_offload_tuple_rhash *
 *       (net/netfilter/nf_flow_table_bpf.c: KF_TRUSTED_ARGS | KF_RET_NULL; struct bpf_fib_lookup is 64
 *       bytes, struct bpf_flowtable_opts { s32 error; } 4), in the fast path: nf_flow_table.ts.
 * The dynptr kfuncs (kernel/bpf/helpers.c, net/core/filter.c; helpers/dynptr.ts):
 *   [5] bpf_dynptr_from_xdp(struct xdp_md *x, u64 flags, struct bpf_dynptr *ptr__uninit) → int
 *   [6] bpf_dynptr_slice(const struct bpf_dynptr *p, u32 offset, void *buffer__opt, u32 buffer__szk) → void *
 *   [7] bpf_dynptr_slice_rdwr(same) → void *
 *   [8] bpf_dynptr_adjust(const struct bpf_dynptr *p, u32 start, u32 end) → int
 *   [9] bpf_dynptr_is_null(const struct bpf_dynptr *p) → bool     [10] bpf_dynptr_is_rdonly(…) → bool
 *  [11] bpf_dynptr_size(const struct bpf_dynptr *p) → __u32
 *  [12] bpf_dynptr_clone(const struct bpf_dynptr *p, struct bpf_dynptr *clone__uninit) → int
 *  [13] bpf_dynptr_copy(struct bpf_dynptr *dst, u32 dst_off, struct bpf_dynptr *src, u32 src_off, u32 size) → int
 *  [14] bpf_dynptr_memset(struct bpf_dynptr *p, u32 offset, u32 size, u8 val) → int
 * The conntrack kfuncs (net/netfilter/nf_conntrack_bpf.c), over wxdp's conntrack (assembly/net/nf_conntrack_bpf.ts):
 *  [15] bpf_xdp_ct_lookup(struct xdp_md *xdp_ctx, struct bpf_sock_tuple *bpf_tuple, u32 tuple__sz,
 *            struct bpf_ct_opts *opts, u32 opts__sz) → struct nf_conn *   (KF_ACQUIRE | KF_RET_NULL)
 *  [16] bpf_ct_release(struct nf_conn *nfct)                                  (KF_RELEASE)
 *  [17] bpf_xdp_ct_alloc(same as [15]) → struct nf_conn___init *            (KF_ACQUIRE | KF_RET_NULL)
 *  [18] bpf_ct_insert_entry(struct nf_conn___init *nfct_i) → struct nf_conn * (KF_ACQUIRE | KF_RET_NULL | KF_RELEASE)
 *  [19] bpf_ct_set_timeout(struct nf_conn___init *nfct, u32 timeout)           (KF_TRUSTED_ARGS)
 *  [20] bpf_ct_change_timeout(struct nf_conn *nfct, u32 timeout) → int         (KF_TRUSTED_ARGS)
 *  [21] bpf_ct_set_status(const struct nf_conn___init *nfct, u32 status) → int (KF_TRUSTED_ARGS)
 *  [22] bpf_ct_change_status(struct nf_conn *nfct, u32 status) → int           (KF_TRUSTED_ARGS)
 * (net/netfilter/nf_nat_bpf.c)
 *  [23] bpf_ct_set_nat_info(struct nf_conn___init *nfct, union nf_inet_addr *addr, int port,
 *            enum nf_nat_manip_type manip) → int                              (KF_TRUSTED_ARGS)
 * (net/core/filter.c, Linux 6.18's bpf_kfunc_check_set_xdp)
 *  [24] bpf_xdp_pull_data(struct xdp_md *x, u32 len) → int   packet-changing; assembly/xdp.ts
 * The nf_conn___init ones act on an entry bpf_xdp_ct_alloc made and only bpf_ct_insert_entry puts in the
 * table (it releases the nf_conn___init reference and acquires an nf_conn one); the verifier's strict type
 * match keeps an nf_conn from them and an nf_conn___init from the others (and from bpf_ct_release).
 */
const D: KfuncArg = { kind: 'dynptr' };
const S: KfuncArg = { kind: 'scalar' };
/** The fast path implements them (assembly/dynptr.ts); helpers/dynptr.ts is the same in TypeScript, for builds without. */
const dynptrKfunc = (name: string, btfId: number, args: KfuncArg[], ret?: KfuncRet): KfuncDef => ({
  name,
  btfId,
  args,
  devBound: false,
  ret,
  fastPath: name,
  fn: DYNPTR_KFUNCS[name]!,
});

const CONN: KfuncArg = { kind: 'conn', struct: 'nf_conn' };
const CONN_INIT: KfuncArg = { kind: 'conn', struct: 'nf_conn___init' };
/** bpf_xdp_ct_lookup's and _alloc's: ctx, bpf_tuple and tuple__sz, opts and opts__sz. */
const CT_TUPLE_ARGS: KfuncArg[] = [{ kind: 'ctx' }, { kind: 'mem_sz' }, { kind: 'size' }, { kind: 'mem_sz' }, { kind: 'size' }];
/** A conntrack kfunc of the fast path (assembly/net/nf_conntrack_bpf.ts): a Datapath program's only. */
const ctKfunc = (name: string, btfId: number, args: KfuncArg[], o: Pick<KfuncDef, 'ret' | 'retStruct' | 'release' | 'trusted'>): KfuncDef => ({
  name,
  btfId,
  args,
  devBound: false,
  ...o,
  fastPath: name,
  fn: (_a, _b, _c, _d, _e, ctx) => {
    throw new RuntimeFault('RUN_HELPER', `${name} needs the fast path (a Datapath program)`, ctx.pc);
  },
});

/**
 * The open-coded numeric iterator (kernel/bpf/bpf_iter.c, KF_ITER_NEW / KF_ITER_NEXT | KF_RET_NULL /
 * KF_ITER_DESTROY): struct bpf_iter_num_kern { int cur; int end; } in the program's 8-byte slot.
 *  [25] bpf_iter_num_new(struct bpf_iter_num *it, int start, int end) → int
 *  [26] bpf_iter_num_next(struct bpf_iter_num *it) → int *   (NULL once drained)
 *  [27] bpf_iter_num_destroy(struct bpf_iter_num *it)
 */
const BPF_MAX_LOOPS = 8 * 1024 * 1024;
function iterView(ctx: Parameters<HelperDef['fn']>[5], it: bigint): { v: DataView; at: number } {
  const at = Number(BigInt.asUintN(32, it));
  const v = ctx.mem.view();
  if (at < 0x1000 || at + 8 > v.byteLength) throw new RuntimeFault('RUN_HELPER', `bpf_iter_num: bad iterator address 0x${at.toString(16)}`, ctx.pc, it);
  return { v, at };
}
/** An iterator exhausted or destroyed: cur = end = 0 (bpf_iter_num_next's and _destroy's). */
function iterClear(v: DataView, at: number): void {
  v.setInt32(at, 0, true);
  v.setInt32(at + 4, 0, true);
}
const ITER_NUM_KFUNCS: KfuncDef[] = [
  {
    name: 'bpf_iter_num_new',
    btfId: 25,
    args: [{ kind: 'iter', op: 'new', type: 'num' }, S, S],
    devBound: false,
    spinAllowed: true,
    fn: (it, start, end, _r4, _r5, ctx) => {
      const { v, at } = iterView(ctx, it);
      const s = Number(BigInt.asIntN(32, start));
      const e = Number(BigInt.asIntN(32, end));
      // start == end is an empty range; start > end and more than BPF_MAX_LOOPS iterations are refused
      const err = s > e ? -22n : e - s > BPF_MAX_LOOPS ? -7n : 0n;
      v.setInt32(at, err ? 0 : (s - 1) | 0, true);
      v.setInt32(at + 4, err ? 0 : e, true);
      return BigInt.asUintN(64, err);
    },
  },
  {
    name: 'bpf_iter_num_next',
    btfId: 26,
    args: [{ kind: 'iter', op: 'next', type: 'num' }],
    devBound: false,
    spinAllowed: true,
    ret: 'iter_next',
    fn: (it, _r2, _r3, _r4, _r5, ctx) => {
      const { v, at } = iterView(ctx, it);
      // (s64)(s->cur + 1) >= s->end: the int addition wraps
      const next = (v.getInt32(at, true) + 1) | 0;
      if (next >= v.getInt32(at + 4, true)) {
        iterClear(v, at);
        return 0n;
      }
      v.setInt32(at, next, true);
      return BigInt(at);
    },
  },
  {
    name: 'bpf_iter_num_destroy',
    btfId: 27,
    args: [{ kind: 'iter', op: 'destroy', type: 'num' }],
    devBound: false,
    spinAllowed: true,
    ret: 'void',
    fn: (it, _r2, _r3, _r4, _r5, ctx) => {
      const { v, at } = iterView(ctx, it);
      iterClear(v, at);
      return 0n;
    },
  },
];

/**
 * The open-coded bit iterator (kernel/bpf/helpers.c, KF_ITER_NEW / KF_ITER_NEXT | KF_RET_NULL /
 * KF_ITER_DESTROY): struct bpf_iter_bits_kern { union { unsigned long *bits; u64 bits_copy; }; int nr_bits;
 * int bit; } in the program's two 8-byte slots.
 *  [28] bpf_iter_bits_new(struct bpf_iter_bits *it, const u64 *unsafe_ptr__ign, u32 nr_words) → int
 *  [29] bpf_iter_bits_next(struct bpf_iter_bits *it) → int *   (the next set bit's index; NULL past the last)
 *  [30] bpf_iter_bits_destroy(struct bpf_iter_bits *it)
 * _new copies the words (bpf_probe_read_kernel_common): one word into bits_copy, more (up to 511) into
 * memory the kernel allocates and _destroy frees — here a copy kept per iterator address, which the
 * program cannot see either (its iterator's bytes are STACK_ITER: no load reads them). The copy is a
 * snapshot: the words may change under the loop without changing it. A source the kernel cannot read
 * faults: an address below 0x1000 (a small scalar: a user address there, -ERANGE from
 * copy_from_kernel_nofault) or past the memory (-EFAULT); one word's fault is always -EFAULT.
 */
const BITS_ITER_NR_WORDS_MAX = 511;
const bitsCopies = new WeakMap<object, Map<number, BigUint64Array>>();
function bitsOf(ctx: Parameters<HelperDef['fn']>[5]): Map<number, BigUint64Array> {
  let m = bitsCopies.get(ctx.mem);
  if (!m) bitsCopies.set(ctx.mem, (m = new Map()));
  return m;
}
function iterBitsView(ctx: Parameters<HelperDef['fn']>[5], it: bigint): { v: DataView; at: number } {
  const at = Number(BigInt.asUintN(32, it));
  const v = ctx.mem.view();
  if (at < 0x1000 || at + 16 > v.byteLength) throw new RuntimeFault('RUN_HELPER', `bpf_iter_bits: bad iterator address 0x${at.toString(16)}`, ctx.pc, it);
  return { v, at };
}
const ITER_BITS_KFUNCS: KfuncDef[] = [
  {
    name: 'bpf_iter_bits_new',
    btfId: 28,
    args: [{ kind: 'iter', op: 'new', type: 'bits' }, { kind: 'ign' }, S],
    devBound: false,
    fn: (it, src, words, _r4, _r5, ctx) => {
      const { v, at } = iterBitsView(ctx, it);
      // kit->nr_bits = 0; kit->bits_copy = 0; kit->bit = -1
      v.setBigUint64(at, 0n, true);
      v.setInt32(at + 8, 0, true);
      v.setInt32(at + 12, -1, true);
      bitsOf(ctx).delete(at);
      const nr = Number(BigInt.asUintN(32, words));
      const p = BigInt.asUintN(64, src);
      if (p === 0n || nr === 0) return BigInt.asUintN(64, -22n);
      if (nr > BITS_ITER_NR_WORDS_MAX) return BigInt.asUintN(64, -7n);
      const bytes = nr * 8;
      const fault = p < 0x1000n ? -34n : p + BigInt(bytes) > BigInt(v.byteLength) ? -14n : 0n;
      if (nr === 1) {
        if (fault) return BigInt.asUintN(64, -14n);
        v.setBigUint64(at, v.getBigUint64(Number(p), true), true);
      } else {
        if (fault) return BigInt.asUintN(64, fault);
        const copy = new BigUint64Array(nr);
        for (let i = 0; i < nr; i++) copy[i] = v.getBigUint64(Number(p) + i * 8, true);
        bitsOf(ctx).set(at, copy);
      }
      v.setInt32(at + 8, nr * 64, true);
      return 0n;
    },
  },
  {
    name: 'bpf_iter_bits_next',
    btfId: 29,
    args: [{ kind: 'iter', op: 'next', type: 'bits' }],
    devBound: false,
    ret: 'iter_next',
    fn: (it, _r2, _r3, _r4, _r5, ctx) => {
      const { v, at } = iterBitsView(ctx, it);
      const nrBits = v.getInt32(at + 8, true);
      let bit = v.getInt32(at + 12, true);
      if (!nrBits || bit >= nrBits) return 0n;
      const words = nrBits === 64 ? [v.getBigUint64(at, true)] : bitsOf(ctx).get(at);
      if (!words) throw new RuntimeFault('RUN_HELPER', `bpf_iter_bits_next: no bits behind the iterator at 0x${at.toString(16)}`, ctx.pc, it);
      // find_next_bit(bits, nr_bits, bit + 1): nr_bits when none is left
      for (bit = bit + 1; bit < nrBits; bit++) if ((words[bit >> 6]! >> BigInt(bit & 63)) & 1n) break;
      v.setInt32(at + 12, bit, true);
      return bit >= nrBits ? 0n : BigInt(at + 12);
    },
  },
  {
    name: 'bpf_iter_bits_destroy',
    btfId: 30,
    args: [{ kind: 'iter', op: 'destroy', type: 'bits' }],
    devBound: false,
    ret: 'void',
    fn: (it, _r2, _r3, _r4, _r5, ctx) => {
      // bpf_mem_free of the copy when there is one; the iterator's bytes stay as they are
      const { at } = iterBitsView(ctx, it);
      bitsOf(ctx).delete(at);
      return 0n;
    },
  },
];

/**
 * The section kfuncs (kernel/bpf/helpers.c common_btf_ids): the verifier's bookkeeping only. An XDP
 * program already runs under rcu_read_lock with preemption off (and wxdp's engines have neither).
 *  [31] bpf_rcu_read_lock()   [32] bpf_rcu_read_unlock()   [33] bpf_preempt_disable()   [34] bpf_preempt_enable()
 */
const sectionKfunc = (name: string, btfId: number, section: NonNullable<KfuncDef['section']>): KfuncDef => ({
  name,
  btfId,
  args: [],
  devBound: false,
  ret: 'void',
  section,
  fn: () => 0n,
});
const SECTION_KFUNCS: KfuncDef[] = [
  // [47] bpf_local_irq_save(unsigned long *flags__irq_flag)   [48] bpf_local_irq_restore(same): the flags
  // are the program's to keep, never read (STACK_IRQ_FLAG); the engines leave them as they are
  { name: 'bpf_local_irq_save', btfId: 47, args: [{ kind: 'irq_flag', op: 'save' }], devBound: false, ret: 'void', fn: () => 0n },
  { name: 'bpf_local_irq_restore', btfId: 48, args: [{ kind: 'irq_flag', op: 'restore' }], devBound: false, ret: 'void', fn: () => 0n },
  sectionKfunc('bpf_rcu_read_lock', 31, 'rcu_lock'),
  sectionKfunc('bpf_rcu_read_unlock', 32, 'rcu_unlock'),
  sectionKfunc('bpf_preempt_disable', 33, 'preempt_disable'),
  sectionKfunc('bpf_preempt_enable', 34, 'preempt_enable'),
];

/** The dynptr kfuncs an XDP program may call. */
export const DYNPTR_KFUNC_DEFS: readonly KfuncDef[] = [
  dynptrKfunc('bpf_dynptr_from_xdp', 5, [{ kind: 'ctx' }, S, { kind: 'dynptr_uninit', type: 'xdp' }]),
  dynptrKfunc('bpf_dynptr_slice', 6, [D, S, { kind: 'buffer_szk' }, { kind: 'size' }], 'slice'),
  dynptrKfunc('bpf_dynptr_slice_rdwr', 7, [D, S, { kind: 'buffer_szk' }, { kind: 'size' }], 'slice_rdwr'),
  dynptrKfunc('bpf_dynptr_adjust', 8, [D, S, S]),
  dynptrKfunc('bpf_dynptr_is_null', 9, [D]),
  dynptrKfunc('bpf_dynptr_is_rdonly', 10, [D]),
  dynptrKfunc('bpf_dynptr_size', 11, [D]),
  dynptrKfunc('bpf_dynptr_clone', 12, [D, { kind: 'dynptr_uninit', type: 'clone' }]),
  dynptrKfunc('bpf_dynptr_copy', 13, [D, S, D, S, S]),
  dynptrKfunc('bpf_dynptr_memset', 14, [D, S, S, S]),
];
/**
 * (ids from 70: another branch numbers the object / graph kfuncs from 49)
 *  [70] bpf_map_sum_elem_count(const struct bpf_map *map) → s64   (kernel/bpf/map_iter.c, KF_TRUSTED_ARGS)
 * The sum of the map's per-CPU element counters, which only the hash maps keep (htab_map_alloc's
 * bpf_map_init_elem_count; every insert and delete, LRU evictions included, counts): wxdp's hash maps
 * keep the live count in their header (MAP_COUNT); any other map has none, 0.
 */
const HASH_COUNTED = new Set([1, 5, 9, 10, 13]); // HASH, PERCPU_HASH, LRU_HASH, LRU_PERCPU_HASH, HASH_OF_MAPS
const MAP_HDR_TYPE = 0;
const MAP_HDR_COUNT = 24;
const MAP_SUM_ELEM_COUNT: KfuncDef = {
  name: 'bpf_map_sum_elem_count',
  btfId: 70,
  args: [{ kind: 'map' }],
  devBound: false,
  trusted: true,
  fn: (map, _r2, _r3, _r4, _r5, ctx) => {
    const at = Number(BigInt.asUintN(32, map));
    const v = ctx.mem.view();
    if (at < 0x1000 || at + MAP_HDR_COUNT + 4 > v.byteLength) throw new RuntimeFault('RUN_HELPER', `bpf_map_sum_elem_count: no map at 0x${at.toString(16)}`, ctx.pc, map);
    return HASH_COUNTED.has(v.getUint32(at + MAP_HDR_TYPE, true)) ? BigInt(v.getUint32(at + MAP_HDR_COUNT, true)) : 0n;
  },
};

/**
 *  [73] bpf_throw(u64 cookie)   (kernel/bpf/helpers.c; BPF exceptions)
 * Unwinds every frame; with no exception callback (libbpf 1.1, which bpftool here is built with, cannot
 * load one: the kernel finds no `exception_callback:` subprogram) the program returns the cookie (its low
 * 32 bits as XDP's retval). The JIT does not call `fn`: it stores the cookie and unwinds its wasm frames
 * itself (src/jit/emit.ts HELPER_THROW; no JavaScript exception in the fast path's burst). The interpreter
 * (test runs only) calls it and catches BpfThrow at its run.
 */
const THROW: KfuncDef = {
  name: 'bpf_throw',
  btfId: 73,
  args: [S],
  devBound: false,
  ret: 'void',
  throws: true,
  fn: (cookie) => {
    throw new BpfThrow(BigInt.asUintN(64, cookie));
  },
};

/**
 * The resilient queued spin lock (kernel/bpf/rqspinlock.c), ids from 130 (clear of the object / graph kfuncs'):
 *  [130] bpf_res_spin_lock(struct bpf_res_spin_lock *lock) → int
 *  [131] bpf_res_spin_unlock(struct bpf_res_spin_lock *lock)
 *  [132] bpf_res_spin_lock_irqsave(struct bpf_res_spin_lock *lock, unsigned long *flags__irq_flag) → int
 *  [133] bpf_res_spin_unlock_irqrestore(struct bpf_res_spin_lock *lock, unsigned long *flags__irq_flag)
 * (the _irqsave pair also saves and restores the irq state in the flags, which the program cannot read:
 * the engines leave them as they are; only the pair may restore what it saved)
 * The lock word is the value's 4 bytes (no load or store of the program reaches them). wxdp runs each
 * program on one thread at a time, so a lock is never contended by another CPU: taking a free lock
 * succeeds (0); taking one this run already holds is the kernel's AA deadlock (check_deadlock_AA), -EDEADLK,
 * the lock untouched. Unlock frees it. The verifier makes every path release what it took.
 */
const EDEADLK = -35n;
function resLockAt(ctx: Parameters<HelperDef['fn']>[5], lock: bigint, name: string): { v: DataView; at: number } {
  const at = Number(BigInt.asUintN(32, lock));
  const v = ctx.mem.view();
  if (at < 0x1000 || at + 4 > v.byteLength) throw new RuntimeFault('RUN_HELPER', `${name}: no lock at 0x${at.toString(16)}`, ctx.pc, lock);
  return { v, at };
}
const resLockFn: HelperDef['fn'] = (lock, _r2, _r3, _r4, _r5, ctx) => {
  const { v, at } = resLockAt(ctx, lock, 'bpf_res_spin_lock');
  if (v.getUint32(at, true) !== 0) return BigInt.asUintN(64, EDEADLK);
  v.setUint32(at, 1, true);
  return 0n;
};
const resUnlockFn: HelperDef['fn'] = (lock, _r2, _r3, _r4, _r5, ctx) => {
  const { v, at } = resLockAt(ctx, lock, 'bpf_res_spin_unlock');
  v.setUint32(at, 0, true);
  return 0n;
};
export const RES_LOCK_KFUNCS: KfuncDef[] = [
  {
    name: 'bpf_res_spin_lock_irqsave',
    btfId: 132,
    args: [{ kind: 'res_lock' }, { kind: 'irq_flag', op: 'save', lock: true }],
    devBound: false,
    spinAllowed: true,
    resLock: 'lock',
    resLockIrq: true,
    fn: resLockFn,
  },
  {
    name: 'bpf_res_spin_unlock_irqrestore',
    btfId: 133,
    args: [{ kind: 'res_lock' }, { kind: 'irq_flag', op: 'restore', lock: true }],
    devBound: false,
    spinAllowed: true,
    resLock: 'unlock',
    resLockIrq: true,
    ret: 'void',
    fn: resUnlockFn,
  },
  {
    name: 'bpf_res_spin_lock',
    btfId: 130,
    args: [{ kind: 'res_lock' }],
    devBound: false,
    spinAllowed: true,
    resLock: 'lock',
    fn: (lock, _r2, _r3, _r4, _r5, ctx) => {
      const { v, at } = resLockAt(ctx, lock, 'bpf_res_spin_lock');
      if (v.getUint32(at, true) !== 0) return BigInt.asUintN(64, EDEADLK);
      v.setUint32(at, 1, true);
      return 0n;
    },
  },
  {
    name: 'bpf_res_spin_unlock',
    btfId: 131,
    args: [{ kind: 'res_lock' }],
    devBound: false,
    spinAllowed: true,
    resLock: 'unlock',
    ret: 'void',
    fn: (lock, _r2, _r3, _r4, _r5, ctx) => {
      const { v, at } = resLockAt(ctx, lock, 'bpf_res_spin_unlock');
      v.setUint32(at, 0, true);
      return 0n;
    },
  },
];

export const KFUNCS: readonly KfuncDef[] = [
  { name: 'bpf_xdp_metadata_rx_timestamp', btfId: 1, args: [{ kind: 'ctx' }, { kind: 'mem', size: 8 }], devBound: true, fastPath: 'bpf_xdp_metadata_rx_timestamp', fn: () => ENODATA },
  {
    name: 'bpf_xdp_metadata_rx_hash',
    btfId: 2,
    args: [{ kind: 'ctx' }, { kind: 'mem', size: 4 }, { kind: 'mem', size: 4 }],
    devBound: true,
    fastPath: 'bpf_xdp_metadata_rx_hash',
    fn: () => ENODATA,
  },
  { name: 'bpf_xdp_metadata_rx_vlan_tag', btfId: 3, args: [{ kind: 'ctx' }, { kind: 'mem', size: 2 }, { kind: 'mem', size: 2 }], devBound: true, fastPath: 'bpf_xdp_metadata_rx_vlan_tag', fn: () => ENODATA },
  {
    name: 'bpf_xdp_flow_lookup',
    btfId: 4,
    args: [{ kind: 'ctx' }, { kind: 'mem', size: 64 }, { kind: 'mem', size: 4 }, { kind: 'scalar' }],
    devBound: false,
    ret: 'kptr_or_null',
    retStruct: 'flow_offload_tuple_rhash',
    fastPath: 'bpf_xdp_flow_lookup',
    fn: (_c, _t, _o, _l, _r5, ctx) => {
      throw new RuntimeFault('RUN_HELPER', 'bpf_xdp_flow_lookup needs the fast path (a Datapath program)', ctx.pc);
    },
  },
  {
    name: 'bpf_xdp_pull_data',
    btfId: 24,
    args: [{ kind: 'ctx' }, S],
    devBound: false,
    changesPkt: true,
    fastPath: 'bpf_xdp_pull_data',
    fn: (_x, _l, _r3, _r4, _r5, ctx) => {
      throw new RuntimeFault('RUN_HELPER', 'bpf_xdp_pull_data needs the fast path (a Datapath program)', ctx.pc);
    },
  },
  ...DYNPTR_KFUNC_DEFS,
  ...ITER_NUM_KFUNCS,
  ...ITER_BITS_KFUNCS,
  ...SECTION_KFUNCS,
  ...STRING_KFUNCS,
  MAP_SUM_ELEM_COUNT,
  ...CAST_KFUNCS,
  THROW,
  ...OBJ_KFUNCS,
  ...RES_LOCK_KFUNCS,
  ctKfunc('bpf_xdp_ct_lookup', 15, CT_TUPLE_ARGS, { ret: 'acquire_or_null', retStruct: 'nf_conn', trusted: true }),
  // nf_ct_put: wxdp's entries are not reference counted (an entry lives until the table deletes it)
  { name: 'bpf_ct_release', btfId: 16, args: [CONN], devBound: false, ret: 'void', release: true, fn: () => 0n },
  ctKfunc('bpf_xdp_ct_alloc', 17, CT_TUPLE_ARGS, { ret: 'acquire_or_null', retStruct: 'nf_conn___init', trusted: true }),
  ctKfunc('bpf_ct_insert_entry', 18, [CONN_INIT], { ret: 'acquire_or_null', retStruct: 'nf_conn', release: true }),
  ctKfunc('bpf_ct_set_timeout', 19, [CONN_INIT, S], { ret: 'void', trusted: true }),
  ctKfunc('bpf_ct_change_timeout', 20, [CONN, S], { trusted: true }),
  ctKfunc('bpf_ct_set_status', 21, [CONN_INIT, S], { trusted: true }),
  ctKfunc('bpf_ct_change_status', 22, [CONN, S], { trusted: true }),
  ctKfunc('bpf_ct_set_nat_info', 23, [CONN_INIT, { kind: 'mem', size: 16 }, S, S], { trusted: true }),
];


export const kfuncById = (id: number): KfuncDef | undefined => KFUNCS.find((k) => k.btfId === id);
export const kfuncByName = (name: string): KfuncDef | undefined => KFUNCS.find((k) => k.name === name);

/** The kfuncs as helpers of their lowered ids, for the engines; `exports`: the fast path's, for those it implements. */
export function kfuncHelpers(exports?: Record<string, unknown>): HelperDef[] {
  return KFUNCS.map((k) => {
    const f = k.fastPath ? exports?.[k.fastPath] : undefined;
    if (typeof f !== 'function') return { id: KFUNC_HELPER_BASE + k.btfId, name: k.name, fn: k.fn };
    const wasm = f as NonNullable<HelperDef['wasm']>;
    return { id: KFUNC_HELPER_BASE + k.btfId, name: k.name, wasm, fn: (a, b, c, d, e) => BigInt.asUintN(64, wasm(a, b, c, d, e)) };
  });
}
