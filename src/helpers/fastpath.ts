// The helpers the fast path implements in AssemblyScript, bound by kernel id. JIT'd programs import
// the wasm functions directly; the interpreter calls the same functions through `fn`.

import { RuntimeFault } from '../errors.js';
import type { FastPath } from '../runtime/fastpath.js';
import { HelperTable, type HelperDef } from './index.js';
import { kfuncHelpers } from './kfuncs.js';
import { dynptrHelpers } from './dynptr.js';

type WasmHelper = NonNullable<HelperDef['wasm']>;

/** Kernel helper id → the fast path's export (named after the kernel's helper). */
export const FAST_PATH_HELPERS: ReadonlyArray<[number, string]> = [
  [1, 'bpf_map_lookup_elem'],
  [2, 'bpf_map_update_elem'],
  [3, 'bpf_map_delete_elem'],
  [195, 'bpf_map_lookup_percpu_elem'],
  [7, 'bpf_get_prandom_u32'],
  [8, 'bpf_get_smp_processor_id'],
  [23, 'bpf_redirect'],
  [26, 'bpf_skb_load_bytes'],
  [28, 'bpf_csum_diff'],
  [44, 'bpf_xdp_adjust_head'],
  [46, 'bpf_get_socket_cookie'],
  [51, 'bpf_redirect_map'],
  [54, 'bpf_xdp_adjust_meta'],
  [65, 'bpf_xdp_adjust_tail'],
  [69, 'bpf_fib_lookup'],
  [163, 'bpf_xdp_check_mtu'],
  [82, 'bpf_sk_select_reuseport'],
  [84, 'bpf_sk_lookup_tcp'],
  [85, 'bpf_sk_lookup_udp'],
  [86, 'bpf_sk_release'],
  [87, 'bpf_map_push_elem'],
  [88, 'bpf_map_pop_elem'],
  [89, 'bpf_map_peek_elem'],
  [93, 'bpf_spin_lock'],
  [99, 'bpf_skc_lookup_tcp'],
  [94, 'bpf_spin_unlock'],
  [124, 'bpf_sk_assign'],
  [130, 'bpf_ringbuf_output'],
  [131, 'bpf_ringbuf_reserve'],
  [132, 'bpf_ringbuf_submit'],
  [133, 'bpf_ringbuf_discard'],
  [134, 'bpf_ringbuf_query'],
  [25, 'bpf_perf_event_output'],
  [121, 'bpf_xdp_output'],
  [113, 'bpf_probe_read_kernel'],
  [118, 'bpf_jiffies64'],
  [181, 'bpf_loop'],
  [164, 'bpf_for_each_map_elem'],
  [169, 'bpf_timer_init'],
  [170, 'bpf_timer_set_callback'],
  [171, 'bpf_timer_start'],
  [172, 'bpf_timer_cancel'],
  [188, 'bpf_xdp_get_buff_len'],
  [189, 'bpf_xdp_load_bytes'],
  [190, 'bpf_xdp_store_bytes'],
  [197, 'bpf_dynptr_from_mem'],
  [198, 'bpf_ringbuf_reserve_dynptr'],
  [199, 'bpf_ringbuf_submit_dynptr'],
  [200, 'bpf_ringbuf_discard_dynptr'],
  [201, 'bpf_dynptr_read'],
  [202, 'bpf_dynptr_write'],
  [203, 'bpf_dynptr_data'],
  [204, 'bpf_tcp_raw_gen_syncookie_ipv4'],
  [205, 'bpf_tcp_raw_gen_syncookie_ipv6'],
  [206, 'bpf_tcp_raw_check_syncookie_ipv4'],
  [207, 'bpf_tcp_raw_check_syncookie_ipv6'],
  [100, 'bpf_tcp_check_syncookie'],
  [110, 'bpf_tcp_gen_syncookie'],
];

/** The fast path's helpers (those its build exports), as HelperDefs with both `wasm` and `fn`. */
export function fastPathHelpers(fp: FastPath): HelperDef[] {
  const defs: HelperDef[] = [];
  for (const [id, exportName] of FAST_PATH_HELPERS) {
    const f = fp.exports[exportName];
    if (typeof f !== 'function') continue;
    const wasm = f as unknown as WasmHelper;
    defs.push({ id, name: exportName.slice(4), wasm, fn: (a, b, c, d, e) => BigInt.asUintN(64, wasm(a, b, c, d, e)) });
  }
  const walk = defs.find((d) => d.id === 164);
  if (walk) {
    const x = fp.exports as unknown as Record<string, (...a: number[]) => number>;
    walk.walk = { record: x.map_iter_record!, start: x.map_iter_start!, next: (m, it) => x.map_iter_next!(m, it) >>> 0 };
  }
  const setCallback = defs.find((d) => d.id === 170);
  if (setCallback) setCallback.timerOwners = new Map();
  return defs;
}

/**
 * Every helper wxdp provides for XDP programs: the fast path's plus the JS ones of `base` (clock,
 * trace_printk). bpf_tail_call (12) is lowered by the JIT itself; it is listed so the load-time check
 * accepts it.
 */
export function xdpHelpers(fp: FastPath, base: HelperTable): HelperTable {
  const t = new HelperTable();
  for (const id of base.ids()) t.register(base.get(id)!);
  // the TypeScript dynptr helpers first: the fast path's own (assembly/dynptr.ts) replace them
  for (const d of dynptrHelpers()) t.register(d);
  for (const d of fastPathHelpers(fp)) t.register(d);
  for (const d of kfuncHelpers(fp.exports as Record<string, unknown>)) t.register(d);
  t.register({
    id: 12,
    name: 'tail_call',
    fn: (_a, _b, _c, _d, _e, ctx) => {
      throw new RuntimeFault('RUN_HELPER', 'bpf_tail_call is only available with the JIT engine', ctx.pc);
    },
  });
  return t;
}
