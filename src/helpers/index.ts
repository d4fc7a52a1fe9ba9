// Helper functions by the kernel's numbers (include/uapi/linux/bpf.h, `___BPF_FUNC_MAPPER`).
// Engines look helpers up here at load time (an unknown id is a load error naming it) and call `fn`
// with r1–r5; the result becomes r0. The XDP helpers arrive with the loader/maps work.

import { RuntimeFault } from '../errors.js';
import type { EngineMemory } from '../runtime/memory.js';
import { stringHelpers } from './strings.js';
import { readVarargs, snprintfHelper } from './bprintf.js';

/** What a helper sees besides its arguments. */
export interface HelperContext {
  mem: EngineMemory;
  /** Index of the call instruction, for error messages. */
  pc: number;
  /**
   * A kfunc that calls the program back (bpf_rbtree_add's less()): runs callback `fn` (the value the
   * program passed) with (r1, r2, 0, 0, 0) one frame below the caller's and returns its r0. Set by the
   * engine for the calls that need it (helpers/obj_kfuncs.ts isRbtreeAdd).
   */
  callback?: (fn: bigint, r1: bigint, r2: bigint) => bigint;
}

export type HelperFn = (
  r1: bigint,
  r2: bigint,
  r3: bigint,
  r4: bigint,
  r5: bigint,
  ctx: HelperContext,
) => bigint;

export interface HelperDef {
  id: number;
  name: string;
  /** The JS implementation (the interpreter calls it; the JIT too unless `wasm` is set). */
  fn: HelperFn;
  /** The same helper as a wasm function of the fast path, (r1..r5 i64) -> i64: JIT'd code calls it directly. */
  wasm?: (r1: bigint, r2: bigint, r3: bigint, r4: bigint, r5: bigint) => bigint;
  /**
   * A helper that walks a map calling the program's callback (bpf_for_each_map_elem): the fast path's
   * walk, which the interpreter drives with its own callback (`wasm` calls a table index instead).
   */
  walk?: MapWalk;
  /**
   * bpf_timer_set_callback: which interpreter set each timer's callback (by the timer's record in the
   * fast path), so a due timer's tagged callback runs in it (src/control/bpf_timers.ts).
   */
  timerOwners?: Map<number, AsyncCallbackRunner>;
}

/** An engine that runs one of its program's callbacks from nothing (a timer's): frame 0, r1–r3. */
export interface AsyncCallbackRunner {
  runAsyncCallback(callback: bigint, r1: bigint, r2: bigint, r3: bigint): bigint;
}

/** assembly/maps/for_each.ts: a walk record by frame depth, its start, and its next key (0: done). */
export interface MapWalk {
  record(depth: number): number;
  start(it: number): void;
  next(map: number, it: number): number;
}

/**
 * Kernel helper names by id: every helper of ___BPF_FUNC_MAPPER (include/uapi/linux/bpf.h, Linux 6.18: 0–211).
 * An id past these is one the kernel does not know ("invalid func unknown#N"); an id here that wxdp does
 * not provide is a helper the program may need and wxdp lacks (UnsupportedError).
 */
export const KERNEL_HELPER_NAMES: Readonly<Record<number, string>> = {
  // BPF_FUNC_unspec: a known id no program type has ("program of this type cannot use helper bpf_unspec#0")
  0: 'unspec',
  1: 'map_lookup_elem', 2: 'map_update_elem', 3: 'map_delete_elem', 4: 'probe_read', 5: 'ktime_get_ns',
  6: 'trace_printk', 7: 'get_prandom_u32', 8: 'get_smp_processor_id', 9: 'skb_store_bytes', 10: 'l3_csum_replace',
  11: 'l4_csum_replace', 12: 'tail_call', 13: 'clone_redirect', 14: 'get_current_pid_tgid',
  15: 'get_current_uid_gid', 16: 'get_current_comm', 17: 'get_cgroup_classid', 18: 'skb_vlan_push',
  19: 'skb_vlan_pop', 20: 'skb_get_tunnel_key', 21: 'skb_set_tunnel_key', 22: 'perf_event_read', 23: 'redirect',
  24: 'get_route_realm', 25: 'perf_event_output', 26: 'skb_load_bytes', 27: 'get_stackid', 28: 'csum_diff',
  29: 'skb_get_tunnel_opt', 30: 'skb_set_tunnel_opt', 31: 'skb_change_proto', 32: 'skb_change_type',
  33: 'skb_under_cgroup', 34: 'get_hash_recalc', 35: 'get_current_task', 36: 'probe_write_user',
  37: 'current_task_under_cgroup', 38: 'skb_change_tail', 39: 'skb_pull_data', 40: 'csum_update',
  41: 'set_hash_invalid', 42: 'get_numa_node_id', 43: 'skb_change_head', 44: 'xdp_adjust_head', 45: 'probe_read_str',
  46: 'get_socket_cookie', 47: 'get_socket_uid', 48: 'set_hash', 49: 'setsockopt', 50: 'skb_adjust_room',
  51: 'redirect_map', 52: 'sk_redirect_map', 53: 'sock_map_update', 54: 'xdp_adjust_meta',
  55: 'perf_event_read_value', 56: 'perf_prog_read_value', 57: 'getsockopt', 58: 'override_return',
  59: 'sock_ops_cb_flags_set', 60: 'msg_redirect_map', 61: 'msg_apply_bytes', 62: 'msg_cork_bytes',
  63: 'msg_pull_data', 64: 'bind', 65: 'xdp_adjust_tail', 66: 'skb_get_xfrm_state', 67: 'get_stack',
  68: 'skb_load_bytes_relative', 69: 'fib_lookup', 70: 'sock_hash_update', 71: 'msg_redirect_hash',
  72: 'sk_redirect_hash', 73: 'lwt_push_encap', 74: 'lwt_seg6_store_bytes', 75: 'lwt_seg6_adjust_srh',
  76: 'lwt_seg6_action', 77: 'rc_repeat', 78: 'rc_keydown', 79: 'skb_cgroup_id', 80: 'get_current_cgroup_id',
  81: 'get_local_storage', 82: 'sk_select_reuseport', 83: 'skb_ancestor_cgroup_id', 84: 'sk_lookup_tcp',
  85: 'sk_lookup_udp', 86: 'sk_release', 87: 'map_push_elem', 88: 'map_pop_elem', 89: 'map_peek_elem',
  90: 'msg_push_data', 91: 'msg_pop_data', 92: 'rc_pointer_rel', 93: 'spin_lock', 94: 'spin_unlock',
  95: 'sk_fullsock', 96: 'tcp_sock', 97: 'skb_ecn_set_ce', 98: 'get_listener_sock', 99: 'skc_lookup_tcp',
  100: 'tcp_check_syncookie', 101: 'sysctl_get_name', 102: 'sysctl_get_current_value', 103: 'sysctl_get_new_value',
  104: 'sysctl_set_new_value', 105: 'strtol', 106: 'strtoul', 107: 'sk_storage_get', 108: 'sk_storage_delete',
  109: 'send_signal', 110: 'tcp_gen_syncookie', 111: 'skb_output', 112: 'probe_read_user', 113: 'probe_read_kernel',
  114: 'probe_read_user_str', 115: 'probe_read_kernel_str', 116: 'tcp_send_ack', 117: 'send_signal_thread',
  118: 'jiffies64', 119: 'read_branch_records', 120: 'get_ns_current_pid_tgid', 121: 'xdp_output',
  122: 'get_netns_cookie', 123: 'get_current_ancestor_cgroup_id', 124: 'sk_assign', 125: 'ktime_get_boot_ns',
  126: 'seq_printf', 127: 'seq_write', 128: 'sk_cgroup_id', 129: 'sk_ancestor_cgroup_id', 130: 'ringbuf_output',
  131: 'ringbuf_reserve', 132: 'ringbuf_submit', 133: 'ringbuf_discard', 134: 'ringbuf_query', 135: 'csum_level',
  136: 'skc_to_tcp6_sock', 137: 'skc_to_tcp_sock', 138: 'skc_to_tcp_timewait_sock', 139: 'skc_to_tcp_request_sock',
  140: 'skc_to_udp6_sock', 141: 'get_task_stack', 142: 'load_hdr_opt', 143: 'store_hdr_opt', 144: 'reserve_hdr_opt',
  145: 'inode_storage_get', 146: 'inode_storage_delete', 147: 'd_path', 148: 'copy_from_user', 149: 'snprintf_btf',
  150: 'seq_printf_btf', 151: 'skb_cgroup_classid', 152: 'redirect_neigh', 153: 'per_cpu_ptr', 154: 'this_cpu_ptr',
  155: 'redirect_peer', 156: 'task_storage_get', 157: 'task_storage_delete', 158: 'get_current_task_btf',
  159: 'bprm_opts_set', 160: 'ktime_get_coarse_ns', 161: 'ima_inode_hash', 162: 'sock_from_file', 163: 'check_mtu',
  164: 'for_each_map_elem', 165: 'snprintf', 166: 'sys_bpf', 167: 'btf_find_by_name_kind', 168: 'sys_close',
  169: 'timer_init', 170: 'timer_set_callback', 171: 'timer_start', 172: 'timer_cancel', 173: 'get_func_ip',
  174: 'get_attach_cookie', 175: 'task_pt_regs', 176: 'get_branch_snapshot', 177: 'trace_vprintk',
  178: 'skc_to_unix_sock', 179: 'kallsyms_lookup_name', 180: 'find_vma', 181: 'loop', 182: 'strncmp',
  183: 'get_func_arg', 184: 'get_func_ret', 185: 'get_func_arg_cnt', 186: 'get_retval', 187: 'set_retval',
  188: 'xdp_get_buff_len', 189: 'xdp_load_bytes', 190: 'xdp_store_bytes', 191: 'copy_from_user_task',
  192: 'skb_set_tstamp', 193: 'ima_file_hash', 194: 'kptr_xchg', 195: 'map_lookup_percpu_elem',
  196: 'skc_to_mptcp_sock', 197: 'dynptr_from_mem', 198: 'ringbuf_reserve_dynptr', 199: 'ringbuf_submit_dynptr',
  200: 'ringbuf_discard_dynptr', 201: 'dynptr_read', 202: 'dynptr_write', 203: 'dynptr_data',
  204: 'tcp_raw_gen_syncookie_ipv4', 205: 'tcp_raw_gen_syncookie_ipv6', 206: 'tcp_raw_check_syncookie_ipv4',
  207: 'tcp_raw_check_syncookie_ipv6', 208: 'ktime_get_tai_ns', 209: 'user_ringbuf_drain', 210: 'cgrp_storage_get',
  211: 'cgrp_storage_delete',
};

/**
 * The helpers Linux 6.18 lets an XDP program call, as measured on this machine's kernel (a privileged
 * loader; bpftool prog load of a program calling each id 1–211: every id not refused with "program of
 * this type cannot use helper" or "unknown func"). A helper here that wxdp lacks is unsupported, not invalid.
 */
export const KERNEL_XDP_HELPERS: ReadonlySet<number> = new Set([
  1, 2, 3, 5, 6, 7, 8, 12, 14, 15, 16, 17, 22, 23, 25, 28, 35, 37, 42, 44, 51, 54, 55, 65, 69, 80, 84, 85, 86, 87, 88,
  89, 93, 94, 99, 100, 105, 106, 109, 110, 112, 113, 114, 115, 117, 118, 120, 123, 125, 130, 131, 132, 133, 134, 136,
  137, 138, 139, 140, 141, 148, 149, 153, 154, 156, 157, 158, 160, 163, 164, 165, 169, 170, 171, 172, 175, 176, 177,
  178, 180, 181, 182, 188, 189, 190, 191, 194, 195, 196, 197, 198, 199, 200, 201, 202, 203, 204, 205, 206, 207, 208,
  209, 210, 211,
]);

/**
 * The helpers Linux 6.18 lets an sk_lookup program (expected attach type BPF_SK_LOOKUP) and an
 * sk_reuseport program (BPF_SK_REUSEPORT_SELECT) call, measured as KERNEL_XDP_HELPERS was
 * (tests/verifier/helper_sets_kernel.test.ts checks them against the running kernel).
 */
export const KERNEL_SK_LOOKUP_HELPERS: ReadonlySet<number> = new Set([
  1, 2, 3, 5, 6, 7, 8, 12, 14, 15, 16, 17, 22, 25, 35, 37, 42, 55, 80, 86, 87, 88, 89, 93, 94, 105, 106, 109, 112, 113,
  114, 115, 117, 118, 120, 123, 124, 125, 130, 131, 132, 133, 134, 136, 137, 138, 139, 140, 141, 148, 149, 153, 154,
  156, 157, 158, 160, 164, 165, 169, 170, 171, 172, 175, 176, 177, 178, 180, 181, 182, 191, 194, 195, 196, 197, 198,
  199, 200, 201, 202, 203, 208, 209, 210, 211,
]);
export const KERNEL_SK_REUSEPORT_HELPERS: ReadonlySet<number> = new Set([
  1, 2, 3, 5, 6, 7, 8, 12, 14, 15, 16, 17, 22, 26, 35, 37, 42, 46, 55, 68, 80, 82, 87, 88, 89, 93, 94, 105, 106, 109,
  112, 113, 114, 115, 117, 118, 120, 123, 125, 130, 131, 132, 133, 134, 141, 148, 149, 153, 154, 156, 157, 158, 160,
  164, 165, 169, 170, 171, 172, 175, 176, 177, 180, 181, 182, 191, 194, 195, 197, 198, 199, 200, 201, 202, 203, 208,
  209, 210, 211,
]);

/**
 * The helpers Linux 6.18 lets a tp_btf program (BPF_PROG_TYPE_TRACING, BPF_TRACE_RAW_TP on
 * xdp_exception) call, measured as KERNEL_XDP_HELPERS was (tracing_prog_func_proto: no
 * bpf_ktime_get_coarse_ns #160, no XDP or socket helpers but bpf_get_socket_cookie #46, bpf_xdp_output #121
 * and bpf_xdp_get_buff_len #188, whose tracing protos take BTF pointers, and the probe/stack/perf helpers).
 */
export const KERNEL_TRACING_HELPERS: ReadonlySet<number> = new Set([
  1, 2, 3, 4, 5, 6, 7, 8, 12, 14, 15, 16, 17, 22, 25, 27, 35, 37, 42, 45, 46, 55, 67, 80, 87, 88, 89, 93, 94, 105, 106,
  107, 108, 109, 111, 112, 113, 114, 115, 117, 118, 120, 121, 123, 125, 130, 131, 132, 133, 134, 136, 137, 138, 139,
  140, 141, 147, 148, 149, 153, 154, 156, 157, 158, 162, 164, 165, 169, 170, 171, 172, 173, 174, 175, 176, 177, 178,
  180, 181, 182, 188, 191, 194, 195, 196, 197, 198, 199, 200, 201, 202, 203, 208, 209, 210, 211,
]);

/**
 * The kernel's helpers for a program type (XDP when none is named) and the type's name in the kernel's
 * words; undefined for the types not measured here (classic and raw tracepoints).
 */
export function kernelHelpersOf(progType: string | undefined): { ids: ReadonlySet<number>; type: string } | undefined {
  if (progType === undefined || progType === 'xdp') return { ids: KERNEL_XDP_HELPERS, type: 'XDP' };
  if (progType === 'sk_lookup') return { ids: KERNEL_SK_LOOKUP_HELPERS, type: 'sk_lookup' };
  if (progType === 'sk_reuseport') return { ids: KERNEL_SK_REUSEPORT_HELPERS, type: 'sk_reuseport' };
  if (progType === 'tracing') return { ids: KERNEL_TRACING_HELPERS, type: 'tp_btf' };
  return undefined;
}

/** The refusal of a helper the kernel gives the program's type (`kernelType`, its words) but wxdp does not provide. */
export function notProvidedReason(id: number, kernelType: string): string {
  return `program of this type cannot use helper ${helperName(id)}#${id} (the kernel allows it in ${kernelType}; wxdp does not provide it)`;
}

export function helperName(id: number): string {
  const n = KERNEL_HELPER_NAMES[id];
  return n ? `bpf_${n}` : `helper #${id}`;
}

export class HelperTable {
  private readonly byId = new Map<number, HelperDef>();

  constructor(defs: Iterable<HelperDef> = []) {
    for (const d of defs) this.register(d);
  }

  /** Bumped by every register(): a caller that caches lookups drops them when it moves. */
  generation = 0;

  register(def: HelperDef): this {
    this.byId.set(def.id, def);
    this.generation++;
    return this;
  }

  get(id: number): HelperDef | undefined {
    return this.byId.get(id);
  }

  has(id: number): boolean {
    return this.byId.has(id);
  }

  ids(): number[] {
    return [...this.byId.keys()].sort((a, b) => a - b);
  }
}

const start = process.hrtime.bigint();

/** CLOCK_REALTIME in ns: the epoch's ms plus performance.now()'s fraction (µs-fine, as Node gives it). */
const realtimeNs = (): bigint => BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e3)) * 1000n;

/**
 * Helpers that need no maps or packet: the clock, randomness, the CPU number, trace output, strings.
 * `taiOffset` is the kernel's TAI−UTC offset in seconds (adjtimex(2)'s `tai`), which bpf_ktime_get_tai_ns
 * adds to the realtime clock; 0, the kernel's own until an NTP daemon sets it (so on this machine:
 * clock_gettime(CLOCK_TAI) − CLOCK_REALTIME measured 0 s).
 */
export function baseHelpers(opts: { trace?: (line: string) => void; cpu?: number; taiOffset?: number } = {}): HelperTable {
  const taiNs = BigInt(opts.taiOffset ?? 0) * 1_000_000_000n;
  const trace = opts.trace ?? ((line: string) => process.stderr.write(line));
  let seed = 0x2545f491;
  return new HelperTable([
    { id: 5, name: 'ktime_get_ns', fn: () => process.hrtime.bigint() },
    { id: 125, name: 'ktime_get_boot_ns', fn: () => process.hrtime.bigint() },
    { id: 160, name: 'ktime_get_coarse_ns', fn: () => process.hrtime.bigint() },
    { id: 118, name: 'jiffies64', fn: () => (process.hrtime.bigint() - start) / 4_000_000n },
    // bpf_ktime_get_tai_ns: ktime_get_tai_fast_ns(), CLOCK_TAI = CLOCK_REALTIME + the TAI offset
    { id: 208, name: 'ktime_get_tai_ns', fn: () => realtimeNs() + taiNs },
    // bpf_get_numa_node_id: numa_node_id(); wxdp's memory is one node, the kernel's answer without NUMA
    { id: 42, name: 'get_numa_node_id', fn: () => 0n },
    ...stringHelpers(),
    snprintfHelper(),
    {
      id: 7,
      name: 'get_prandom_u32',
      fn: () => {
        // xorshift32: cheap and deterministic per table; programs only need "random-looking".
        seed ^= seed << 13;
        seed ^= seed >>> 17;
        seed ^= seed << 5;
        return BigInt(seed >>> 0);
      },
    },
    { id: 8, name: 'get_smp_processor_id', fn: () => BigInt(opts.cpu ?? 0) },
    // The "current task" of an XDP program is whatever ran when the packet arrived; here it is Node.
    { id: 14, name: 'get_current_pid_tgid', fn: () => (BigInt(process.pid) << 32n) | BigInt(process.pid) },
    { id: 15, name: 'get_current_uid_gid', fn: () => (BigInt(process.getgid?.() ?? 0) << 32n) | BigInt(process.getuid?.() ?? 0) },
    {
      id: 16,
      name: 'get_current_comm',
      fn: (buf, size, _a3, _a4, _a5, ctx) => {
        const n = Number(BigInt.asUintN(32, size));
        const addr = Number(BigInt.asUintN(32, buf));
        const bytes = ctx.mem.bytes();
        if (n <= 0 || addr + n > bytes.length || addr < 0x1000) {
          throw new RuntimeFault('RUN_HELPER', `bpf_get_current_comm: bad buffer 0x${addr.toString(16)} size ${n}`, ctx.pc);
        }
        // TASK_COMM_LEN is 16; the name is NUL-terminated and the rest zeroed, as the kernel's strscpy_pad.
        const name = new TextEncoder().encode(process.title.slice(0, 15));
        bytes.fill(0, addr, addr + n);
        bytes.set(name.subarray(0, n - 1), addr);
        return 0n;
      },
    },
    ...lockHelpers(),
    // bpf_per_cpu_ptr / bpf_this_cpu_ptr: of bpf_percpu_obj_new's objects only, each call lowered to the helper
    // of its struct's size (helpers/obj_kfuncs.ts PERCPU_PTR); these are never called
    ...([153, 154] as const).map((id) => ({
      id,
      name: id === 153 ? 'per_cpu_ptr' : 'this_cpu_ptr',
      fn: (_a1: bigint, _a2: bigint, _a3: bigint, _a4: bigint, _a5: bigint, ctx: HelperContext): bigint => {
        throw new RuntimeFault('RUN_HELPER', `bpf_${id === 153 ? 'per' : 'this'}_cpu_ptr: the call was not lowered to its object's size`, ctx.pc);
      },
    })),
    {
      // bpf_kptr_xchg: the kptr field's old value out, the new one in (xchg); the verifier proved the field
      // a map value's 8-byte kptr and the object one of the field's struct (or NULL)
      id: 194,
      name: 'kptr_xchg',
      fn: (dst, p, _a3, _a4, _a5, ctx) => {
        const at = Number(BigInt.asUintN(32, dst));
        const v = ctx.mem.view();
        const old = v.getBigUint64(at, true);
        v.setBigUint64(at, p, true);
        return old;
      },
    },
    {
      id: 177,
      name: 'trace_vprintk',
      fn: (fmt, fmtSize, data, dataLen, _a5, ctx) => {
        const text = readFormat(ctx, fmt, fmtSize, 'bpf_trace_vprintk');
        // the arguments are an array of u64, at most MAX_TRACE_PRINTK_VARARGS (12, as bpf_snprintf's)
        const args = readVarargs(ctx, data, dataLen, 'bpf_trace_vprintk');
        if (typeof args === 'number') return BigInt.asUintN(64, BigInt(args));
        const line = formatPrintk(text, args);
        trace(line);
        return BigInt(line.length);
      },
    },
    {
      id: 6,
      name: 'trace_printk',
      fn: (fmt, fmtSize, a3, a4, a5, ctx) => {
        const text = readFormat(ctx, fmt, fmtSize, 'bpf_trace_printk');
        const line = formatPrintk(text, [a3, a4, a5]);
        trace(line);
        return BigInt(line.length);
      },
    },
  ]);
}

/** A format string from program memory, up to its NUL (the verifier proved `size` bytes readable). */
function readFormat(ctx: HelperContext, fmt: bigint, fmtSize: bigint, who: string): string {
  const size = Number(BigInt.asUintN(32, fmtSize));
  const addr = Number(BigInt.asUintN(32, fmt));
  const bytes = ctx.mem.bytes();
  if (size <= 0 || addr + size > bytes.length || addr < 0x1000) {
    throw new RuntimeFault('RUN_HELPER', `${who}: bad format buffer 0x${addr.toString(16)} size ${size}`, ctx.pc);
  }
  const text = new TextDecoder().decode(bytes.subarray(addr, addr + size));
  const nul = text.indexOf('\0');
  return nul >= 0 ? text.slice(0, nul) : text;
}

/**
 * bpf_spin_lock / bpf_spin_unlock on the u32 of a map value's `struct bpf_spin_lock` (0 free, 1 held).
 * On shared memory (workers) it is a real lock taken with Atomics. A lock word a program's
 * bpf_map_update_elem overwrote with garbage (the kernel's copy skips it; wxdp's fast path copies the
 * whole value) would never come free: after SPIN_LIMIT tries the lock is taken anyway, not spun forever.
 */
function lockHelpers(): HelperDef[] {
  const SPIN_LIMIT = 1 << 24;
  // One Int32Array over each memory, remade only when a grow detached it (or, shared, when the lock lies
  // past the length it saw): asking the Memory for its buffer and making a view at every call cost more
  // than the rest of a lock/unlock pair.
  const views = new WeakMap<HelperContext['mem'], { i32: Int32Array; shared: boolean }>();
  const word = (lock: bigint, ctx: HelperContext, who: string): { i32: Int32Array; at: number; shared: boolean } => {
    const a = Number(BigInt.asUintN(32, lock));
    let v = views.get(ctx.mem);
    if (!v || v.i32.byteLength === 0 || a + 4 > v.i32.byteLength) {
      const buf = ctx.mem.memory.buffer;
      views.set(ctx.mem, (v = { i32: new Int32Array(buf), shared: buf instanceof SharedArrayBuffer }));
    }
    if (a < 0x1000 || a % 4 !== 0 || a + 4 > v.i32.byteLength) {
      throw new RuntimeFault('RUN_HELPER', `${who}: bad lock address 0x${a.toString(16)}`, ctx.pc);
    }
    return { i32: v.i32, at: a >>> 2, shared: v.shared };
  };
  return [
    {
      id: 93,
      name: 'spin_lock',
      fn: (lock, _a2, _a3, _a4, _a5, ctx) => {
        const { i32, at, shared } = word(lock, ctx, 'bpf_spin_lock');
        if (!shared) {
          i32[at] = 1;
          return 0n;
        }
        for (let n = 0; Atomics.compareExchange(i32, at, 0, 1) !== 0 && n < SPIN_LIMIT; n++);
        Atomics.store(i32, at, 1);
        return 0n;
      },
    },
    {
      id: 94,
      name: 'spin_unlock',
      fn: (lock, _a2, _a3, _a4, _a5, ctx) => {
        const { i32, at } = word(lock, ctx, 'bpf_spin_unlock');
        Atomics.store(i32, at, 0);
        return 0n;
      },
    },
  ];
}

/** The subset of printf bpf_trace_printk accepts: %d %i %u %x %X %ld %lld %lu %llu %lx %llx %p %c %%. */
export function formatPrintk(fmt: string, args: bigint[]): string {
  let ai = 0;
  return fmt.replace(/%(l{0,2})([diuxXpc%])/g, (_m, l: string, conv: string) => {
    if (conv === '%') return '%';
    const raw = args[ai++] ?? 0n;
    const wide = l.length > 0 || conv === 'p';
    const u = wide ? BigInt.asUintN(64, raw) : BigInt.asUintN(32, raw);
    const s = wide ? BigInt.asIntN(64, raw) : BigInt.asIntN(32, raw);
    switch (conv) {
      case 'd':
      case 'i':
        return s.toString();
      case 'u':
        return u.toString();
      case 'x':
        return u.toString(16);
      case 'X':
        return u.toString(16).toUpperCase();
      case 'p':
        return '0x' + u.toString(16);
      default:
        return String.fromCharCode(Number(u & 0xffn));
    }
  });
}
