// Checked mode checks a kfunc's pointer arguments as it checks a helper's (src/runtime/helper_args.ts),
// from the kfunc's prototype (src/helpers/kfuncs.ts), as the verifier's check_kfunc_args proves them for
// a verified program: the ctx argument must be the ctx; KF_ARG_PTR_TO_MEM `size` bytes readable and
// writable (check_mem_reg checks both); a dynptr 16 writable bytes holding a dynptr of this run;
// `__uninit` dynptr slots 16 writable bytes; `buffer__opt` NULL or `buffer__szk` writable bytes. Before
// the check an unverified program could make a kfunc write anywhere (bpf_dynptr_from_xdp writes its
// 16-byte dynptr wherever r3 points). Both engines fault at the call, before it runs.

import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { Datapath } from '../../src/control/datapath.js';
import { WxdpError } from '../../src/errors.js';
import { frame } from '../datapath/support.js';

/** An address in the fast path's memory that no program region covers. */
const WILD = 0x10000;

function faultOf(f: () => unknown): { code: string; message: string; index?: number } {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(WxdpError);
    return e as WxdpError & { index?: number };
  }
  return { code: 'none', message: '' };
}

/** The program: an XDP dynptr over the ctx at r10-16 (unless `noDynptr`), then `body`, then r0 = 2. */
const prog = (body: string, noDynptr = false): string =>
  [
    'r6 = r1',
    ...(noDynptr ? [] : ['r1 = r6', 'r2 = 0', 'r3 = r10', 'r3 += -16', 'call kfunc 5']),
    body,
    'r0 = 2',
    'exit',
  ].join('\n');

const CASES: [name: string, body: string, noDynptr: boolean, want: RegExp | 'ok'][] = [
  ['bpf_dynptr_from_xdp into the stack', '', false, 'ok'],
  ['bpf_dynptr_from_xdp into memory past the regions', `r1 = r6\nr2 = 0\nr3 = ${WILD}\ncall kfunc 5`, true, /write of 16 bytes at 0x10000/],
  ['bpf_dynptr_from_xdp with a ctx that is not the ctx', 'r1 = r10\nr1 += -64\nr2 = 0\nr3 = r10\nr3 += -32\ncall kfunc 5', true, /kfunc bpf_dynptr_from_xdp argument 1 .* is not the context/],
  ['bpf_dynptr_size of the dynptr', 'r1 = r10\nr1 += -16\ncall kfunc 11', false, 'ok'],
  ['bpf_dynptr_size of a forged local dynptr over the null page', 'r2 = 16\n*(u64 *)(r10 - 32) = r2\nr2 = 0x10000008\n*(u32 *)(r10 - 24) = r2\nr2 = 0\n*(u32 *)(r10 - 20) = r2\nr1 = r10\nr1 += -32\ncall kfunc 11', false, /kfunc bpf_dynptr_size argument 1 .* is not a dynptr of this run/],
  ['bpf_dynptr_slice with a NULL buffer', 'r1 = r10\nr1 += -16\nr2 = 0\nr3 = 0\nr4 = 8\ncall kfunc 6', false, 'ok'],
  ['bpf_dynptr_slice with a buffer on the stack', 'r1 = r10\nr1 += -16\nr2 = 0\nr3 = r10\nr3 += -40\nr4 = 8\ncall kfunc 6', false, 'ok'],
  ['bpf_dynptr_slice with a buffer past the regions', `r1 = r10\nr1 += -16\nr2 = 0\nr3 = ${WILD}\nr4 = 8\ncall kfunc 6`, false, /write of 8 bytes at 0x10000/],
  ['bpf_dynptr_clone into memory past the regions', `r1 = r10\nr1 += -16\nr2 = ${WILD}\ncall kfunc 12`, false, /write of 16 bytes at 0x10000/],
  ['bpf_dynptr_memset of the frame', 'r1 = r10\nr1 += -16\nr2 = 0\nr3 = 4\nr4 = 0\ncall kfunc 14', false, 'ok'],
  ['bpf_xdp_flow_lookup with a tuple past the regions', `r1 = r6\nr2 = ${WILD}\nr3 = r10\nr3 += -24\nr4 = 4\ncall kfunc 4`, false, /write of 64 bytes at 0x10000/],
  ['bpf_xdp_metadata_rx_hash with out-arguments past the regions', `r1 = r6\nr2 = r10\nr2 += -24\nr3 = ${WILD}\ncall kfunc 2`, true, /write of 4 bytes at 0x10000/],
];

describe.each(['jit', 'interp'] as const)('checked mode checks kfunc arguments (%s)', (engine) => {
  it.each(CASES)('%s', async (_name, body, noDynptr, want) => {
    const dp = await Datapath.create();
    const p = await dp.loadInsns(assemble(prog(body, noDynptr)), { verify: false, engine });
    const before = dp.memory.bytes().slice(WILD, WILD + 64);
    const f = faultOf(() => p.testRun({ data: frame(60) }));
    if (want === 'ok') {
      expect(f.code).toBe('none');
    } else {
      expect(f.code).toMatch(/^RUN_(MEM_FAULT|HELPER)$/);
      expect(f.message).toMatch(want);
    }
    expect(dp.memory.bytes().slice(WILD, WILD + 64)).toEqual(before);
  });
});
