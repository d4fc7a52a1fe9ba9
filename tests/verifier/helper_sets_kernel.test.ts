// Which helper ids each program type may call, wxdp beside the running kernel: for XDP, sk_lookup,
// sk_reuseport and tp_btf (on xdp_exception), a program calling helper N (0..259) with r1-r5 = 0 is loaded into both. An id the kernel
// refuses as "program of this type cannot use helper" or "invalid func unknown#N" wxdp must refuse with
// the same errno and message; an id the kernel lets through (to an argument check, with these zeros) must
// be wxdp's too — refused or accepted as the kernel did — or, for a helper wxdp does not provide, a
// PROG_UNSUPPORTED load error naming the kernel's allowance. The kernel's sets are recorded in
// src/helpers/index.ts (KERNEL_XDP_HELPERS, KERNEL_SK_LOOKUP_HELPERS, KERNEL_SK_REUSEPORT_HELPERS,
// KERNEL_TRACING_HELPERS) and
// checked here too. Needs root, gcc and libbpf-dev (the loader of verifier_kernel.ts).

import { describe, expect, it } from 'vitest';
import { Datapath } from '../../src/control/datapath.js';
import { WxdpError } from '../../src/errors.js';
import { KERNEL_SK_LOOKUP_HELPERS, KERNEL_SK_REUSEPORT_HELPERS, KERNEL_TRACING_HELPERS, KERNEL_XDP_HELPERS } from '../../src/helpers/index.js';
import { insn } from '../../src/isa/insn.js';
import { kernelXdpHelper } from '../../src/oracle/kernel.js';
import { kernel, kernelUnavailable, wxdp, type FuzzProgType } from '../support/verifier_kernel.js';

const skip = kernelUnavailable();
const IDS = 260;
const RECORDED: Record<string, ReadonlySet<number>> = {
  xdp: KERNEL_XDP_HELPERS,
  sk_lookup: KERNEL_SK_LOOKUP_HELPERS,
  sk_reuseport: KERNEL_SK_REUSEPORT_HELPERS,
  'tp_btf/xdp_exception': KERNEL_TRACING_HELPERS,
};
const refusedAsUnknown = (message: string): boolean => /^(program of this type cannot use helper|invalid func )/.test(message);

describe.skipIf(skip !== undefined)(`helper ids per program type, against the kernel${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it.each(['xdp', 'sk_lookup', 'sk_reuseport', 'tp_btf/xdp_exception'] as const)('%s', async (type: FuzzProgType) => {
    const progs = Array.from({ length: IDS }, (_, id) => ({
      insns: [insn(0xb7, 1), insn(0xb7, 2), insn(0xb7, 3), insn(0xb7, 4), insn(0xb7, 5), insn(0x85, 0, 0, 0, id), insn(0xb7, 0, 0, 0, 1), insn(0x95)],
      run: false,
      packets: [],
    }));
    const k = kernel(progs, type);
    // helpers mainline Linux gives XDP that this kernel build refuses (bpf_xdp_adjust_meta#54 on
    // 6.18.44-fc-v1300): wxdp keeps mainline's set (src/helpers/index.ts), so these are not compared
    const deviant = new Set(type === 'xdp' ? [...RECORDED[type]].filter((id) => refusedAsUnknown(k[id]!.accepted ? '' : k[id]!.message) && !kernelXdpHelper(id).ok) : []);
    if (deviant.size > 0) console.warn(`helper_sets_kernel: this kernel refuses XDP helpers ${[...deviant].join(', ')} that mainline allows; not compared`);
    const allowed = k.flatMap((v, id) => (v.accepted || !refusedAsUnknown(v.message) || deviant.has(id) ? [id] : []));
    expect(allowed).toEqual([...RECORDED[type]]);
    const dp = await Datapath.create();
    const diffs: string[] = [];
    try {
      for (const [id, p] of progs.entries()) {
        if (deviant.has(id)) continue;
        const kv = k[id]!;
        let w;
        try {
          w = await wxdp(dp, p.insns, false, [], type);
        } catch (e) {
          if (!(e instanceof WxdpError && e.code === 'PROG_UNSUPPORTED')) throw e;
          if (!RECORDED[type].has(id)) diffs.push(`${id}: unsupported, but the kernel refuses it: ${e.message}`);
          continue;
        }
        const same = kv.accepted ? w.accepted : !w.accepted && w.errno === kv.errno && w.message === kv.message;
        if (!same) diffs.push(`${id}: kernel ${JSON.stringify(kv)}, wxdp ${JSON.stringify(w)}`);
      }
    } finally {
      await dp.close();
    }
    expect(diffs).toEqual([]);
  }, 120_000);
});
