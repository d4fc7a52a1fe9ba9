// The step harness of the kptr tests (kptr56: xdp_kptr_stash, kptr57: xdp_kptr_free): a step is one
// BPF_PROG_TEST_RUN of a frame (u64s op, a, b) or a user-space map update/delete, on wxdp or on the
// kernel (tests/support: loadKernelObject); a run's result is two of the frame's u64s in hex.

import { expect } from 'vitest';

export type Step<M extends string> = [op: number, a: number, b: number] | ['update' | 'delete', map: M, key: number];

/** The u64 at index i of d (little-endian). */
export const u64 = (d: Uint8Array, i: number): bigint => new DataView(d.buffer, d.byteOffset).getBigUint64(8 * i, true);

/** A 64-byte frame holding u64s op, a, b. */
export function frame(op: number, a: number, b: number): Uint8Array {
  const f = new Uint8Array(64);
  const v = new DataView(f.buffer);
  v.setBigUint64(0, BigInt(op), true);
  v.setBigUint64(8, BigInt(a), true);
  v.setBigUint64(16, BigInt(b), true);
  return f;
}

/** A map key: u32 k. */
export const key = (k: number): Uint8Array => Uint8Array.of(k, 0, 0, 0);

export interface Target {
  run(f: Uint8Array): { retval: number; data: Uint8Array };
  update(map: string, k: Uint8Array, v: Uint8Array): void;
  delete(map: string, k: Uint8Array): void;
}

/**
 * The steps' results, space-separated: `upd` / `del` for a user-space update (a value of valueLen 0xff
 * bytes) or delete, `X/Y` (hex u64s `at` and `at + 1` of the frame out) for a run, which must pass.
 */
export function runSteps<M extends string>(steps: readonly Step<M>[], t: Target, valueLen: number, at: number): string {
  return steps
    .map((s) => {
      if (s[0] === 'update') {
        t.update(s[1], key(s[2]), new Uint8Array(valueLen).fill(0xff));
        return 'upd';
      }
      if (s[0] === 'delete') {
        t.delete(s[1], key(s[2]));
        return 'del';
      }
      const r = t.run(frame(s[0], s[1], s[2] as number));
      expect(r.retval).toBe(2);
      return `${u64(r.data, at).toString(16)}/${u64(r.data, at + 1).toString(16)}`;
    })
    .join(' ');
}
