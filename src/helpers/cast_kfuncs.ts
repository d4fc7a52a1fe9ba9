// bpf_cast_to_kern_ctx and bpf_rdonly_cast (kernel/bpf/helpers.c common_btf_ids; the kernel inlines both
// to r0 = r1). An XDP program's ctx *is* the kernel's struct xdp_buff, which the verifier lets it read as
// PTR_TO_BTF_ID; wxdp's ctx is its own record (assembly/abi.ts CTX_*), which src/elf/core.ts describes as
// struct xdp_buff: data, data_end, data_meta and data_hard_start are its words, and the fields it has no
// word for (frame_sz, flags, rxq and what rxq points to) are written here, past CTX_SIZE, each time the
// program asks for the kernel's view — they hold for the whole run (the frame's device, queue and buffer
// do not change under it; only flags could, when bpf_xdp_adjust_tail drops the last fragment after the
// cast: the kernel's flag clears then, this copy does not).
//
//   ctx + CTX_KERN_FRAME_SZ   u32 frame_sz: hard_start to the buffer's end (4096 in a test run)
//   ctx + CTX_KERN_FLAGS      u32 XDP_FLAGS_HAS_FRAGS when the frame has fragments
//   ctx + CTX_KERN_RXQ        u64 rxq → ctx + CTX_KERN_RXQ_REC: struct xdp_rxq_info { u64 dev; u32 queue_index;
//                             u32 reg_state (REG_STATE_REGISTERED); struct xdp_mem_info mem (0); u32 frag_size (0) }
//   ctx + CTX_KERN_DEV        struct net_device { u32 ifindex; u32 mtu }: the ingress device's (a test run's:
//                             the loopback device, as BPF_PROG_TEST_RUN's default rxq is lo's, MTU 65536)
//
// bpf_rdonly_cast returns its argument whatever it is; the verifier types it (a struct of wxdp's BTF, read
// with probe loads, or void). Cast from the ctx, it fills the same fields, so that the struct read is whole.

import { CTX, CTX_BASE, DEV, DP_DEVS } from '../runtime/memory.js';
import type { KfuncDef } from './kfuncs.js';
import type { HelperContext } from './index.js';

const XDP_FLAGS_HAS_FRAGS = 1;
const REG_STATE_REGISTERED = 1;
const MAX_DEVICES = 64;
const LOOPBACK_MTU = 65536;

function fillKernCtx(ctx: HelperContext, at: number): void {
  const v = ctx.mem.view();
  const u32 = (off: number): number => v.getUint32(at + off, true);
  v.setUint32(at + CTX.KERN_FRAME_SZ, (u32(CTX.FRAME_END) - u32(CTX.HARD_START)) >>> 0, true);
  v.setUint32(at + CTX.KERN_FLAGS, u32(CTX.FRAGS_LEN) ? XDP_FLAGS_HAS_FRAGS : 0, true);
  v.setBigUint64(at + CTX.KERN_RXQ, BigInt(at + CTX.KERN_RXQ_REC), true);
  const rxq = at + CTX.KERN_RXQ_REC;
  v.setBigUint64(rxq, BigInt(at + CTX.KERN_DEV), true);
  v.setUint32(rxq + 8, u32(CTX.RX_QUEUE_INDEX), true);
  v.setUint32(rxq + 12, REG_STATE_REGISTERED, true);
  v.setBigUint64(rxq + 16, 0n, true);
  v.setUint32(rxq + 24, 0, true);
  v.setUint32(rxq + 28, 0, true);
  const ifindex = u32(CTX.INGRESS_IFINDEX);
  const devRec = ifindex < MAX_DEVICES ? v.getUint32(DP_DEVS + ifindex * 4, true) : 0;
  v.setUint32(at + CTX.KERN_DEV, ifindex, true);
  v.setUint32(at + CTX.KERN_DEV + 4, devRec ? v.getUint32(devRec + DEV.MTU, true) : ifindex === 1 ? LOOPBACK_MTU : 0, true);
}

/**
 *  [71] bpf_cast_to_kern_ctx(void *obj) → struct xdp_buff *   (KF_ARG_PTR_TO_CTX; never NULL, trusted)
 *  [72] bpf_rdonly_cast(const void *obj__ign, u32 btf_id__k) → void *   (PTR_UNTRUSTED: a struct of the id, or void)
 */
export const CAST_KFUNCS: KfuncDef[] = [
  {
    name: 'bpf_cast_to_kern_ctx',
    btfId: 71,
    args: [{ kind: 'ctx' }],
    devBound: false,
    ret: 'kern_ctx',
    fn: (obj, _r2, _r3, _r4, _r5, ctx) => {
      fillKernCtx(ctx, Number(BigInt.asUintN(32, obj)));
      return obj;
    },
  },
  {
    name: 'bpf_rdonly_cast',
    btfId: 72,
    args: [{ kind: 'ign' }, { kind: 'const' }],
    devBound: false,
    ret: 'rdonly_cast',
    fn: (obj, _id, _r3, _r4, _r5, ctx) => {
      if (obj === BigInt(CTX_BASE)) fillKernCtx(ctx, CTX_BASE);
      return obj;
    },
  },
];
