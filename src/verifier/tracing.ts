// The tracing context of tp_btf programs on the XDP tracepoints (BPF_PROG_TYPE_TRACING,
// expected_attach_type BPF_TRACE_RAW_TP): ctx is the tracepoint's arguments as an array of u64, typed
// by its prototype (include/trace/events/xdp.h). The kernel's checks, in order:
//
//   bpf_tracing_ctx_access  read only, 0 <= off < 8 * MAX_BPF_FUNC_ARGS, off a multiple of the size
//   btf_ctx_access          off a multiple of 8 ("offset %d is not multiple of 8"), the argument exists
//                           ("doesn't have %d-th argument"); a scalar argument may be read narrowly, a
//                           pointer argument (`const void *` too) only whole ("size %d must be 8")
//
// btf_ctx_access's line comes first in the log, check_ctx_access's "invalid bpf_context access" after it
// (6.18.44): the refusal's message is the first, as the kernel's log reads.
//
// A struct pointer argument is PTR_TO_BTF_ID: its loads are the fields wxdp's BTF describes for that
// struct (src/control/tracepoints.ts: struct net_device { int ifindex; unsigned int mtu; } over the device record), so
// the verifier sees it as read-only memory of that struct's size. `const void *` arguments are scalars,
// as btf_ctx_access makes them.

/**
 * One tracepoint argument: a scalar (`pointer`: a `void *`, a scalar for the verifier but read only
 * whole), or a pointer to a struct of wxdp's BTF (`size` readable bytes).
 */
export type TpArg = { kind: 'scalar'; pointer?: true } | { kind: 'btf'; struct: string; size: number };

/** Readable bytes of the structs tracepoint arguments point at (wxdp's BTF). */
export const TP_STRUCT_SIZE: Readonly<Record<string, number>> = {
  net_device: 8,
  bpf_prog: 0,
  // { u32 redirect, pass, drop }
  xdp_cpumap_stats: 12,
  // { struct xdp_mem_info mem { u32 type, id }; void *allocator }
  xdp_mem_allocator: 16,
  // { struct net_device *dev; u32 queue_index, reg_state; struct xdp_mem_info mem; u32 frag_size }
  xdp_rxq_info: 28,
};

const S: TpArg = { kind: 'scalar' };
const VOID_PTR: TpArg = { kind: 'scalar', pointer: true };
const btf = (struct: string): TpArg => ({ kind: 'btf', struct, size: TP_STRUCT_SIZE[struct] ?? 0 });
const REDIRECT: TpArg[] = [btf('net_device'), btf('bpf_prog'), VOID_PTR, S, S, S, S];

/**
 * The prototypes of the tracepoints tp_btf programs may attach to in wxdp (the kernel's TP_PROTO):
 *   xdp_exception(const struct net_device *dev, const struct bpf_prog *xdp, u32 act)
 *   xdp_bulk_tx(const struct net_device *dev, int sent, int drops, int err)
 *   xdp_redirect{,_err,_map,_map_err}(const struct net_device *dev, const struct bpf_prog *xdp,
 *       const void *tgt, int err, enum bpf_map_type map_type, u32 map_id, u32 index)
 *   xdp_cpumap_kthread(int map_id, unsigned int processed, unsigned int drops, int sched,
 *       struct xdp_cpumap_stats *xdp_stats)
 *   xdp_cpumap_enqueue(int map_id, unsigned int processed, unsigned int drops, int to_cpu)
 *   xdp_devmap_xmit(const struct net_device *from_dev, const struct net_device *to_dev, int sent,
 *       int drops, int err)
 *   mem_connect(const struct xdp_mem_allocator *xa, const struct xdp_rxq_info *rxq)
 *   mem_disconnect(const struct xdp_mem_allocator *xa)
 */
export const TP_PROTOS: Readonly<Record<string, readonly TpArg[]>> = {
  xdp_exception: [btf('net_device'), btf('bpf_prog'), S],
  xdp_bulk_tx: [btf('net_device'), S, S, S],
  xdp_redirect: REDIRECT,
  xdp_redirect_err: REDIRECT,
  xdp_redirect_map: REDIRECT,
  xdp_redirect_map_err: REDIRECT,
  xdp_cpumap_kthread: [S, S, S, S, btf('xdp_cpumap_stats')],
  xdp_cpumap_enqueue: [S, S, S, S],
  xdp_devmap_xmit: [btf('net_device'), btf('net_device'), S, S, S],
  mem_connect: [btf('xdp_mem_allocator'), btf('xdp_rxq_info')],
  mem_disconnect: [btf('xdp_mem_allocator')],
};

/** MAX_BPF_FUNC_ARGS */
const MAX_ARGS = 12;

/**
 * What a ctx load of a tp_btf program reads: an argument, or the refusal — check_ctx_access's
 * "invalid bpf_context access", or btf_ctx_access's own line with that one after it (`detail`).
 */
export function tracingCtxAccess(tp: string, off: number, size: number, read: boolean): TpArg | { message: string; detail?: string } {
  const invalid = `invalid bpf_context access off=${off} size=${size}`;
  if (!read || off < 0 || off >= 8 * MAX_ARGS || off % size !== 0) return { message: invalid };
  const refuse = (line: string): { message: string; detail: string } => ({ message: `func '${tp}' ${line}`, detail: invalid });
  const proto = TP_PROTOS[tp] ?? [];
  if (off % 8 !== 0) return refuse(`offset ${off} is not multiple of 8`);
  const arg = off / 8;
  if (arg >= proto.length) return refuse(`doesn't have ${arg + 1}-th argument`);
  const a = proto[arg]!;
  if ((a.kind === 'btf' || a.pointer) && size !== 8) return refuse(`size ${size} must be 8`);
  return a;
}
