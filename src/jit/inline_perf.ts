// bpf_perf_event_output (25) and bpf_xdp_output (121) inlined up to the ring: the fast path's checks
// (assembly/maps/perf_event.ts bpf_perf_event_output, then perfOutput's), in its order, answered here;
// a sample that has a ring to go to calls the helper, which checks again and writes it.
//
//   flags outside BPF_F_INDEX_MASK | BPF_F_CTXLEN_MASK         -EINVAL
//   ctxlen (flags bits 32..51) > bpf_xdp_get_buff_len           -EFAULT
//   the map not a PERF_EVENT_ARRAY                              -EINVAL
//   index (BPF_F_CURRENT_CPU: the run's CPU) >= max_entries      -E2BIG
//   no ring in the map's slot at index                          -ENOENT
//   else                                                        the helper
//
// xdpdump-style programs call it for every frame, and with no reader attached every call ends at
// -ENOENT: a call out of the program's module for three loads. Verified programs only (the map
// argument is then a map pointer; the header is read at run time, so the module does not depend on
// the map's contents).

import type BinaryenNs from 'binaryen';
import { CTX, MAP_HDR } from '../runtime/memory.js';

type Module = InstanceType<typeof BinaryenNs.Module>;
type Expr = number;

export const HELPER_PERF_EVENT_OUTPUT = 25;
export const HELPER_XDP_OUTPUT = 121;
const BPF_MAP_TYPE_PERF_EVENT_ARRAY = 4;
const EINVAL = 22;
const EFAULT = 14;
const E2BIG = 7;
const ENOENT = 2;

/** What the lowering lends: emit.ts's register access, two i32 temporaries and the helper call. */
export interface PerfLowering {
  m: Module;
  i32: number;
  i64: number;
  get(r: number): Expr;
  set(r: number, v: Expr): Expr;
  lo32(r: number): Expr;
  temps: readonly [number, number];
  /** Where the run's xdp_md and CPU number are (the run areas of the module). */
  ctxBase: number;
  cpuAt: number;
  /** The fast path's helper `id` called with r1..r5. */
  callHelper(id: number): Expr;
}

/** A call of helper `id` (25 or 121): r0 from the checks above, or from the helper. */
export function lowerPerfOutput(L: PerfLowering, id: number): Expr[] {
  const { m, i32 } = L;
  const k32 = (v: number): Expr => m.i32.const(v | 0);
  const [IDX, LEN] = L.temps;
  const lg = (t: number): Expr => m.local.get(t, i32);
  const ctx = (f: number): Expr => m.i32.load(0, 4, k32(L.ctxBase + f));
  const hdr = (f: number): Expr => m.i32.load(f, 4, L.lo32(2));
  const errno = (e: number): Expr => L.set(0, m.i64.const(BigInt(-e)));
  // The index: BPF_F_CURRENT_CPU (the whole index field set) is the run's CPU.
  const index = m.local.set(IDX, m.select(m.i32.eq(L.lo32(3), k32(-1)), m.i32.load(0, 4, k32(L.cpuAt)), L.lo32(3)));
  const ring = m.i32.load(0, 4, m.i32.add(hdr(MAP_HDR.DATA), m.i32.shl(lg(IDX), k32(2))));
  return [
    m.if(
      // bits 52..63 are neither field
      m.i64.ne(m.i64.shr_u(L.get(3), m.i64.const(52n)), m.i64.const(0n)),
      errno(EINVAL),
      m.if(
        // bpf_xdp_get_buff_len in u32: data_end - data + frags_len
        m.i32.gt_u(m.local.tee(LEN, m.i32.wrap(m.i64.shr_u(L.get(3), m.i64.const(32n))), i32), m.i32.add(m.i32.sub(ctx(CTX.DATA_END), ctx(CTX.DATA)), ctx(CTX.FRAGS_LEN))),
        errno(EFAULT),
        m.if(
          m.i32.ne(hdr(MAP_HDR.TYPE), k32(BPF_MAP_TYPE_PERF_EVENT_ARRAY)),
          errno(EINVAL),
          m.block(null, [
            index,
            m.if(
              m.i32.ge_u(lg(IDX), hdr(MAP_HDR.MAX_ENTRIES)),
              errno(E2BIG),
              m.if(m.i32.eqz(ring), errno(ENOENT), L.set(0, L.callHelper(id))),
            ),
          ]),
        ),
      ),
    ),
  ];
}
