// bpf_loop (181): call a callback subprogram up to nr times. The callback is an index into the shared
// function table (the JIT registers it there); it gets (i, ctx) and returns 0 to go on, 1 to stop.

const EINVAL: i64 = 22;
const E2BIG: i64 = 7;
const BPF_MAX_LOOPS: u64 = 1 << 23;

export function bpf_loop(nr: u64, fn: u64, ctx: u64, flags: u64, r5: u64): u64 {
  if (flags != 0) return <u64>-EINVAL;
  if (nr > BPF_MAX_LOOPS) return <u64>-E2BIG;
  for (let i: u64 = 0; i < nr; i++) {
    if (call_indirect<u64>(<u32>fn, i, ctx, <u64>0, <u64>0, <u64>0) != 0) return i + 1;
  }
  return nr;
}
