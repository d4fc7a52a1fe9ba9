// The XDP tracepoints wxdp raises (include/trace/events/xdp.h): tp_btf programs attached to one run on
// the event with the kernel's argument layout, an array of u64 (__bpf_trace_run: each argument cast to
// u64, ints sign-extended):
//
//   xdp_exception   (dev, xdp, u32 act)                          a verdict the data path cannot act on
//   xdp_redirect    (dev, xdp, tgt, int err = 0, map_type, map_id, index)   a redirect that was queued
//   xdp_redirect_err(dev, xdp, tgt, int err,     map_type, map_id, index)   one that failed
//
// bpf_redirect (no map) reports map_type BPF_MAP_TYPE_UNSPEC, map_id INT_MAX and the ifindex as index,
// as the kernel's _trace_xdp_redirect does. `dev` is the wxdp device record: struct net_device in
// wxdp's BTF (src/control/tracepoints.ts) puts ifindex at DEV_IFINDEX, so dev->ifindex reads it. `xdp`
// (struct bpf_prog) has no readable fields; it is the program's table slot, for identity only.
//
// Attachments: TP_PROGS table slots per tracepoint, filled from the front (0 ends the list), written
// by tp_attach between bursts. An event with nothing attached costs one load.

/** Tracepoint ids: their index in src/elf/section_defs.ts XDP_TRACEPOINTS. */
export const TP_XDP_EXCEPTION: u32 = 0;
export const TP_XDP_REDIRECT: u32 = 2;
export const TP_XDP_REDIRECT_ERR: u32 = 3;
export const TP_COUNT: u32 = 16;
export const TP_PROGS: u32 = 8;
/** map_id of a redirect without a map (INT_MAX, the kernel's marker for bpf_redirect). */
export const TP_NO_MAP_ID: u32 = 0x7fffffff;
/** Bytes of one event's argument array (at most 8 u64 arguments). */
export const TP_ARGS_SIZE: u32 = 64;

const tpSlots = memory.data(TP_COUNT * TP_PROGS * 4);
/**
 * The argument array the programs get as ctx (one event at a time per thread): the main thread's is a
 * static, a worker's lives in its own area (worker.ts sets it once), so two workers raising events at
 * once never overwrite each other's arguments.
 */
let tpArgs: u32 = <u32>memory.data(TP_ARGS_SIZE, 8);

/** This instance's argument array moves to `args` (TP_ARGS_SIZE bytes, 8-aligned): worker_init. */
export function tpArgsSet(args: u32): void {
  tpArgs = args;
}

/** Attach program table slot `slot` as the `i`-th program of tracepoint `tp` (0: detach; keep the list packed). */
export function tp_attach(tp: u32, i: u32, slot: u32): void {
  if (tp < TP_COUNT && i < TP_PROGS) store<u32>(tpSlots + (tp * TP_PROGS + i) * 4, slot);
}

@inline export function tpOn(tp: u32): bool {
  return load<u32>(tpSlots + tp * TP_PROGS * 4) != 0;
}

function tpRun(tp: u32): void {
  const base = tpSlots + tp * TP_PROGS * 4;
  for (let i: u32 = 0; i < TP_PROGS; i++) {
    const slot = load<u32>(base + i * 4);
    if (slot == 0) break;
    call_indirect<u64>(slot, <u64>tpArgs, <u64>0, <u64>0, <u64>0, <u64>0);
  }
}

/** xdp_exception(dev, xdp, act). */
export function tpXdpException(dev: u32, prog: u32, act: u32): void {
  store<u64>(tpArgs, <u64>dev);
  store<u64>(tpArgs, <u64>prog, 8);
  store<u64>(tpArgs, <u64>act, 16);
  tpRun(TP_XDP_EXCEPTION);
}

/** xdp_redirect / xdp_redirect_err (err < 0): tgt is the target device record (0: none), map 0 for bpf_redirect. */
export function tpXdpRedirect(dev: u32, prog: u32, tgt: u32, err: i32, map: u32, mapType: u32, mapId: u32, index: u32): void {
  store<u64>(tpArgs, <u64>dev);
  store<u64>(tpArgs, <u64>prog, 8);
  store<u64>(tpArgs, <u64>tgt, 16);
  store<i64>(tpArgs, <i64>err, 24);
  store<u64>(tpArgs, <u64>(map == 0 ? 0 : mapType), 32);
  store<u64>(tpArgs, <u64>(map == 0 ? TP_NO_MAP_ID : mapId), 40);
  store<u64>(tpArgs, <u64>index, 48);
  tpRun(err < 0 ? TP_XDP_REDIRECT_ERR : TP_XDP_REDIRECT);
}

