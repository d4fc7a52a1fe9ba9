// The verifier on tp_btf programs of the XDP tracepoints (src/verifier/tracing.ts): ctx is the
// tracepoint's u64 arguments (xdp_exception: dev, xdp, act; xdp_redirect: dev, xdp, tgt, err, map_type,
// map_id, index). Scalars read whole or narrowly, a struct pointer whole and then only the fields wxdp's
// BTF gives it (net_device.ifindex, .mtu); no writes, nothing past the last argument, offsets multiple of 8
// (btf_ctx_access's messages, then check_ctx_access's "invalid bpf_context access").

import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { VerifierError } from '../../src/errors.js';
import { verify } from '../../src/verifier/index.js';

function run(tracepoint: string, text: string): VerifierError | undefined {
  try {
    verify(assemble(text), { progType: 'tracing', tracepoint });
    return undefined;
  } catch (e) {
    if (e instanceof VerifierError) return e;
    throw e;
  }
}

describe('tp_btf ctx on the XDP tracepoints', () => {
  it('accepts act (whole and as u32), dev->ifindex, dev->mtu, and every xdp_redirect argument', () => {
    expect(run('xdp_exception', 'r2 = *(u64 *)(r1 + 16)\nr2 = *(u32 *)(r1 + 16)\nr3 = *(u64 *)(r1 + 0)\nr0 = *(u32 *)(r3 + 0)\nr0 = *(u32 *)(r3 + 4)\nr0 = 0\nexit')).toBeUndefined();
    const all = [0, 8, 16, 24, 32, 40, 48].map((o) => `r2 = *(u64 *)(r1 + ${o})`).join('\n');
    expect(run('xdp_redirect', `${all}\nr0 = 0\nexit`)).toBeUndefined();
  });

  // 6.18.44's log: btf_ctx_access's line, then check_ctx_access's (the message is the first)
  it('refuses a load past the last argument, naming it as btf_ctx_access does', () => {
    const e = run('xdp_exception', 'r2 = *(u64 *)(r1 + 24)\nr0 = 0\nexit');
    expect(e?.reason).toBe("func 'xdp_exception' doesn't have 4-th argument");
    expect(e?.log).toMatch(/func 'xdp_exception' doesn't have 4-th argument\ninvalid bpf_context access off=24 size=8\n/);
  });

  it('refuses a pointer argument read narrowly, a void * one too (kernel: "size N must be 8")', () => {
    expect(run('xdp_exception', 'r2 = *(u32 *)(r1 + 0)\nr0 = 0\nexit')?.log).toMatch(/func 'xdp_exception' size 4 must be 8\ninvalid bpf_context access off=0 size=4\n/);
    expect(run('xdp_redirect', 'r2 = *(u32 *)(r1 + 16)\nr0 = 0\nexit')?.reason).toBe("func 'xdp_redirect' size 4 must be 8");
    expect(run('xdp_redirect', 'r2 = *(u8 *)(r1 + 24)\nr0 = 0\nexit')).toBeUndefined();
  });

  it('refuses an offset that is not a multiple of 8, and a store', () => {
    expect(run('xdp_exception', 'r2 = *(u32 *)(r1 + 20)\nr0 = 0\nexit')?.log).toMatch(/func 'xdp_exception' offset 20 is not multiple of 8\ninvalid bpf_context access off=20 size=4\n/);
    expect(run('xdp_exception', '*(u64 *)(r1 + 16) = 1\nr0 = 0\nexit')?.message).toMatch(/invalid bpf_context access off=16 size=8/);
  });

  it('refuses a read beyond the struct a pointer argument points at, and any write through it', () => {
    expect(run('xdp_exception', 'r3 = *(u64 *)(r1 + 0)\nr0 = *(u32 *)(r3 + 8)\nr0 = 0\nexit')).toBeInstanceOf(VerifierError);
    expect(run('xdp_exception', 'r3 = *(u64 *)(r1 + 8)\nr0 = *(u8 *)(r3 + 0)\nr0 = 0\nexit')).toBeInstanceOf(VerifierError);
    expect(run('xdp_exception', 'r3 = *(u64 *)(r1 + 0)\n*(u32 *)(r3 + 0) = 1\nr0 = 0\nexit')).toBeInstanceOf(VerifierError);
  });

  it('refuses XDP-only helpers (bpf_redirect) in a tracing program', () => {
    expect(run('xdp_exception', 'r1 = 1\nr2 = 0\ncall 23\nr0 = 0\nexit')?.message).toMatch(/unknown func|invalid func|bpf_redirect/);
  });
});

// Classic and raw tracepoint programs (BPF_PROG_TYPE_TRACEPOINT, _RAW_TRACEPOINT): the verdicts the
// kernel (6.18, bpftool prog load) gave the same loads, recorded this way: a tracepoint program reads
// the record after its first 8 bytes up to PERF_MAX_TRACE_SIZE (8192), aligned, never writes; a raw one
// reads the 12 u64 argument slots (MAX_BPF_FUNC_ARGS), aligned. Neither may call bpf_redirect.
describe('tracepoint and raw_tracepoint ctx', () => {
  function check(progType: 'tracepoint' | 'raw_tracepoint', text: string): { error?: string; maxCtxOffset?: number } {
    try {
      return { maxCtxOffset: verify(assemble(text), { progType }).stats.maxCtxOffset };
    } catch (e) {
      if (e instanceof VerifierError) return { error: e.message };
      throw e;
    }
  }
  const load = (t: 'tracepoint' | 'raw_tracepoint', size: 'u8' | 'u32' | 'u64', off: number) => check(t, `r0 = *(${size} *)(r1 + ${off})\nexit`);

  it('tracepoint: bytes 8..8191, read only and aligned (the kernel refused 0, 4, 8192, an odd offset and a store)', () => {
    expect([load('tracepoint', 'u32', 8), load('tracepoint', 'u32', 2044), load('tracepoint', 'u32', 2048), load('tracepoint', 'u64', 8184)]).toEqual([
      { maxCtxOffset: 12 },
      { maxCtxOffset: 2048 },
      { maxCtxOffset: 2052 },
      { maxCtxOffset: 8192 },
    ]);
    for (const [size, off] of [['u32', 0], ['u32', 4], ['u32', 8192], ['u32', 10]] as const) {
      expect(load('tracepoint', size, off).error, `${size} at ${off}`).toMatch(new RegExp(`invalid bpf_context access off=${off} size=4`));
    }
    expect(check('tracepoint', 'r2 = 1\n*(u32 *)(r1 + 8) = r2\nr0 = 0\nexit').error).toMatch(/invalid bpf_context access off=8 size=4/);
    expect(check('tracepoint', 'r1 = 1\nr2 = 0\ncall 23\nexit').error).toMatch(/unknown func|invalid func|bpf_redirect/);
  });

  it('raw_tracepoint: the 12 argument slots (the kernel accepted 4 and 88, refused 96)', () => {
    expect([load('raw_tracepoint', 'u32', 4), load('raw_tracepoint', 'u64', 88)]).toEqual([{ maxCtxOffset: 8 }, { maxCtxOffset: 96 }]);
    expect(load('raw_tracepoint', 'u64', 96).error).toMatch(/invalid bpf_context access off=96 size=8/);
    expect(load('raw_tracepoint', 'u32', 6).error).toMatch(/invalid bpf_context access off=6 size=4/);
  });
});
