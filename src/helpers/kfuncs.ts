// The kernel functions (kfuncs) wxdp provides, as libbpf resolves a `__ksym` extern function: by name,
// to a BTF id of the provider's BTF (the kernel's vmlinux; here wxdp's own numbering below), which the
// call instruction carries in imm with src = BPF_PSEUDO_KFUNC_CALL. The verifier checks a call against
// the kfunc's prototype; after verification the loader lowers each call to a helper call of id
// KFUNC_HELPER_BASE + btf id, so both engines call `fn` as they call a helper.
//
// The XDP RX-metadata kfuncs (net/core/xdp.c) are device-bound: the kernel refuses them in a program
// not loaded for a device ("metadata kfuncs require device-bound program") and refuses to test-run a
// device-bound program (EINVAL). On a device, each driver answers from its descriptors; wxdp's devices
// carry no hash, timestamp or VLAN tag in their descriptors, so they answer as veth does for a frame
// without an skb: -ENODATA, the out-arguments untouched.

import { RuntimeFault } from '../errors.js';
import type { HelperDef } from './index.js';

/**
 * What the verifier checks of a kfunc argument: the ctx, writable memory of `size` bytes (a pointer to a
 * struct of scalars: KF_ARG_PTR_TO_MEM of the struct's size), or a scalar.
 */
export type KfuncArg = { kind: 'ctx' } | { kind: 'mem'; size: number } | { kind: 'scalar' };

/**
 * What r0 holds after the call: a scalar (an int), or (KF_RET_NULL) a pointer to a kernel object the
 * program may compare with NULL and pass on, never read: wxdp has no BTF for the object's struct.
 */
export type KfuncRet = 'scalar' | 'kptr_or_null';

export interface KfuncDef {
  name: string;
  /** Its id in wxdp's BTF (what imm holds after resolution). */
  btfId: number;
  args: KfuncArg[];
  /** XDP metadata kfuncs: only in device-bound programs (BPF_F_XDP_DEV_BOUND_ONLY). */
  devBound: boolean;
  ret?: KfuncRet;
  /** Its implementation in the fast path (the wasm export's name), called as a helper; else `fn`. */
  fastPath?: string;
  fn: HelperDef['fn'];
}

/** Lowered kfunc calls use helper ids from here up (far past the kernel's helpers). */
export const KFUNC_HELPER_BASE = 0x100000;

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
 */
export const KFUNCS: readonly KfuncDef[] = [
  { name: 'bpf_xdp_metadata_rx_timestamp', btfId: 1, args: [{ kind: 'ctx' }, { kind: 'mem', size: 8 }], devBound: true, fn: () => ENODATA },
  { name: 'bpf_xdp_metadata_rx_hash', btfId: 2, args: [{ kind: 'ctx' }, { kind: 'mem', size: 4 }, { kind: 'mem', size: 4 }], devBound: true, fn: () => ENODATA },
  { name: 'bpf_xdp_metadata_rx_vlan_tag', btfId: 3, args: [{ kind: 'ctx' }, { kind: 'mem', size: 2 }, { kind: 'mem', size: 2 }], devBound: true, fn: () => ENODATA },
  {
    name: 'bpf_xdp_flow_lookup',
    btfId: 4,
    args: [{ kind: 'ctx' }, { kind: 'mem', size: 64 }, { kind: 'mem', size: 4 }, { kind: 'scalar' }],
    devBound: false,
    ret: 'kptr_or_null',
    fastPath: 'bpf_xdp_flow_lookup',
    fn: (_c, _t, _o, _l, _r5, ctx) => {
      throw new RuntimeFault('RUN_HELPER', 'bpf_xdp_flow_lookup needs the fast path (a Datapath program)', ctx.pc);
    },
  },
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
