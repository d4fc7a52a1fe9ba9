// The verifier on tp_btf programs of the XDP tracepoints (src/verifier/tracing.ts): ctx is the
// tracepoint's u64 arguments (xdp_exception: dev, xdp, act; xdp_redirect: dev, xdp, tgt, err, map_type,
// map_id, index). Scalars read whole or narrowly, a struct pointer whole and then only the fields wxdp's
// BTF gives it (net_device.ifindex); no writes, nothing past the last argument, offsets multiple of 8
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
  it('accepts act (whole and as u32), dev->ifindex, and every xdp_redirect argument', () => {
    expect(run('xdp_exception', 'r2 = *(u64 *)(r1 + 16)\nr2 = *(u32 *)(r1 + 16)\nr3 = *(u64 *)(r1 + 0)\nr0 = *(u32 *)(r3 + 0)\nr0 = 0\nexit')).toBeUndefined();
    const all = [0, 8, 16, 24, 32, 40, 48].map((o) => `r2 = *(u64 *)(r1 + ${o})`).join('\n');
    expect(run('xdp_redirect', `${all}\nr0 = 0\nexit`)).toBeUndefined();
  });

  it('refuses a load past the last argument, naming it as btf_ctx_access does', () => {
    const e = run('xdp_exception', 'r2 = *(u64 *)(r1 + 24)\nr0 = 0\nexit');
    expect(e?.message).toMatch(/invalid bpf_context access off=24 size=8/);
    expect(e?.log ?? e?.message).toMatch(/func 'xdp_exception' doesn't have 4-th argument/);
  });

  it('refuses an offset that is not a multiple of 8, and a store', () => {
    expect(run('xdp_exception', 'r2 = *(u32 *)(r1 + 20)\nr0 = 0\nexit')?.message).toMatch(/invalid bpf_context access off=20 size=4/);
    expect(run('xdp_exception', '*(u64 *)(r1 + 16) = 1\nr0 = 0\nexit')?.message).toMatch(/invalid bpf_context access off=16 size=8/);
  });

  it('refuses a read beyond the struct a pointer argument points at, and any write through it', () => {
    expect(run('xdp_exception', 'r3 = *(u64 *)(r1 + 0)\nr0 = *(u32 *)(r3 + 4)\nr0 = 0\nexit')).toBeInstanceOf(VerifierError);
    expect(run('xdp_exception', 'r3 = *(u64 *)(r1 + 8)\nr0 = *(u8 *)(r3 + 0)\nr0 = 0\nexit')).toBeInstanceOf(VerifierError);
    expect(run('xdp_exception', 'r3 = *(u64 *)(r1 + 0)\n*(u32 *)(r3 + 0) = 1\nr0 = 0\nexit')).toBeInstanceOf(VerifierError);
  });

  it('refuses XDP-only helpers (bpf_redirect) in a tracing program', () => {
    expect(run('xdp_exception', 'r1 = 1\nr2 = 0\ncall 23\nr0 = 0\nexit')?.message).toMatch(/unknown func|invalid func|bpf_redirect/);
  });
});
