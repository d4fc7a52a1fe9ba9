// Checked mode checks a kfunc's pointer arguments as it checks a helper's (src/runtime/helper_args.ts),
// from the kfunc's prototype (src/helpers/kfuncs.ts), as the verifier's check_kfunc_args proves them for
// a verified program: the ctx argument must be the ctx; KF_ARG_PTR_TO_MEM `size` bytes readable and
// writable (check_mem_reg checks both); a dynptr 16 writable bytes holding a dynptr of this run;
// `__uninit` dynptr slots 16 writable bytes; `buffer__opt` NULL or `buffer__szk` writable bytes. Before
// the check an unverified program could make a kfunc write anywhere (bpf_dynptr_from_xdp writes its
// 16-byte dynptr wherever r3 points). Both engines fault at the call, before it runs.

import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { Alu64, Ins, type Insn } from '../../src/isa/insn.js';
import { PseudoLd } from '../../src/isa/opcodes.js';
import { Datapath } from '../../src/control/datapath.js';
import { WxdpError } from '../../src/errors.js';
import { createMap, MapType } from '../../src/maps/index.js';
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

// bpf_ringbuf_submit / _discard (and their dynptr forms) find the ring from the record's header
// (bpf_ringbuf_restore_from_rec: pg_off pages back from the header), which a checked program can write:
// a forged header would send the commit's mirror copy anywhere. Checked mode lets a release through
// only for a reserved (BUSY) record whose header lies in the ring of a ringbuf map the program names and
// leads back to that map, its length within the ring.
describe.each(['jit', 'interp'] as const)('checked mode checks released ringbuf records (%s)', (engine) => {
  const reserve = (rb: number): string => `r1 = ${rb} ll\nr2 = 16\nr3 = 0\ncall 131\nif r0 == 0 goto +LAST\nr6 = r0`;
  const CASES: [name: string, body: string, want: RegExp | 'ok'][] = [
    ['a reserved record, submitted', 'r1 = r6\nr2 = 0\ncall 132', 'ok'],
    ['a reserved record, discarded', 'r1 = r6\nr2 = 0\ncall 133', 'ok'],
    ['a record whose pg_off was rewritten', 'r1 = 7\n*(u32 *)(r6 - 4) = r1\nr1 = r6\nr2 = 0\ncall 132', /helper 132 argument 1 .* is not a reserved ringbuf record/],
    ['a record submitted twice (BUSY cleared)', 'r1 = r6\nr2 = 0\ncall 132\nr1 = r6\nr2 = 0\ncall 132', /helper 132 argument 1 .* is not a reserved ringbuf record/],
    ['a record whose length was rewritten past the ring', 'r1 = 0x80100000\n*(u32 *)(r6 - 8) = r1\nr1 = r6\nr2 = 0\ncall 133', /helper 133 argument 1 .* is not a reserved ringbuf record/],
    ['a header forged on the stack', 'r1 = 0x80000010\n*(u32 *)(r10 - 40) = r1\nr1 = 0\n*(u32 *)(r10 - 36) = r1\nr1 = r10\nr1 += -32\nr2 = 0\ncall 132', /helper 132 argument 1 .* is not a reserved ringbuf record/],
  ];
  it.each(CASES)('%s', async (_name, body, want) => {
    const dp = await Datapath.create();
    const rb = createMap(dp.fastPath, { name: 'rb', type: MapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: 4096 });
    const lines = `${reserve(rb.address)}\n${body}\nr0 = 2\nexit`.split('\n');
    const src = lines.map((l, k) => l.replace('LAST', String(lines.length - 2 - k))).join('\n');
    const p = await dp.loadInsns(assemble(src), { verify: false, engine });
    const f = faultOf(() => p.testRun({ data: frame(60) }));
    if (want === 'ok') expect(f.code).toBe('none');
    else expect([f.code, f.message]).toEqual(['RUN_HELPER', expect.stringMatching(want)]);
  });

  it('bpf_ringbuf_submit_dynptr of a record whose header was rewritten faults', async () => {
    const dp = await Datapath.create();
    const rb = createMap(dp.fastPath, { name: 'rb', type: MapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: 4096 });
    // reserve_dynptr(rb, 16, 0, r10-16); data = *(u64 *)(r10-16); pg_off := 7; submit_dynptr(r10-16, 0)
    const src = `r1 = ${rb.address} ll\nr2 = 16\nr3 = 0\nr4 = r10\nr4 += -16\ncall 198\nr6 = *(u64 *)(r10 - 16)\nr1 = 7\n*(u32 *)(r6 - 4) = r1\nr1 = r10\nr1 += -16\nr2 = 0\ncall 199\nr0 = 2\nexit`;
    const p = await dp.loadInsns(assemble(src), { verify: false, engine });
    const f = faultOf(() => p.testRun({ data: frame(60) }));
    expect([f.code, f.message]).toEqual(['RUN_HELPER', expect.stringMatching(/helper 199 argument 1 .* is not a reserved ringbuf record/)]);
  });
});

// bpf_loop's callback (r2) in a checked run must be one of the program's own (its BPF_PSEUDO_FUNC
// values): the fast path's bpf_loop calls r2 as an index of the one function table every program and
// helper is in, and the interpreter would run from whatever instruction a forged value names.
describe.each(['jit', 'interp'] as const)('checked mode checks bpf_loop callbacks (%s)', (engine) => {
  // r1 = 3 | r2 = the callback (ld_imm64: 2 slots; through the stack: 2 more, so the JIT cannot inline
  // the loop) | r3 = 0 | r4 = 0 | call bpf_loop | exit (r0 = iterations) | the callback: r0 = 0, exit
  const loop = (r2: Insn[]): Insn[] => [Alu64.mov.imm(1, 3), ...r2, Alu64.mov.imm(3, 0), Alu64.mov.imm(4, 0), Ins.call(181), Ins.exit(), Alu64.mov.imm(0, 0), Ins.exit()];
  const viaStack = (v: Insn[]): Insn[] => [...v, Ins.stx('dw', 10, 2, -8), Ins.ldx('dw', 2, 10, -8)];

  it('its own callback runs, inlined or called through the table', async () => {
    const dp = await Datapath.create();
    // the callback is 5 (direct) or 7 (through the stack) slots past the ld_imm64's second one
    for (const r2 of [Ins.lddw(2, 5n, PseudoLd.FUNC), viaStack(Ins.lddw(2, 7n, PseudoLd.FUNC))]) {
      const p = await dp.loadInsns(loop(r2.flat()), { verify: false, engine });
      expect(p.testRun({ data: frame(60) }).retval).toBe(3);
    }
  });

  it.each(['12345', '-1', '3', '0'])('a forged callback %s faults at the call', async (v) => {
    const dp = await Datapath.create();
    const p = await dp.loadInsns(loop(viaStack([Alu64.mov.imm(2, Number(v)), Alu64.mov.imm(0, 0)])), { verify: false, engine });
    const f = faultOf(() => p.testRun({ data: frame(60) }));
    expect([f.code, f.index, f.message]).toEqual(['RUN_HELPER', 7, expect.stringMatching(/helper bpf_loop#181 argument 2 \(0x[0-9a-f]+\) is not a callback of this program/)]);
  });
});

// A program naming a map whose value holds a bpf_list_head has its bpf_map_update_elem / _delete_elem calls lowered
// to graph_maps.ts' helpers (ids of their own): checked mode checks them as the helpers they stand for. Unchecked
// before (rv54, found in rb54's 254f5998): programs/xdp_obj_wild_args.c copied 32 bytes of the fast path's memory at
// 0x10000, which no region covers, into its map `plain`, and the delete read its key there.
describe.each(['jit', 'interp'] as const)("checked mode checks a list map program's lowered map calls (%s)", (engine) => {
  it.each([
    ['bpf_map_update_elem: the value', 0, 32],
    ['bpf_map_delete_elem: the key', 1, 4],
  ] as const)('%s at an address no region covers faults at the call', async (_n, op, size) => {
    const dp = await Datapath.create();
    try {
      const o = await dp.loadObject(new URL('../../programs/xdp_obj_wild_args.o', import.meta.url).pathname, { engine, verify: false });
      const f = faultOf(() => o.program('xdp_obj_wild_args').testRun({ data: Uint8Array.from({ length: 60 }, (_, i) => (i === 0 ? op : 0)) }));
      expect([f.code, f.message]).toEqual(['RUN_MEM_FAULT', expect.stringMatching(new RegExp(`read of ${size} bytes at 0x10000 is outside`))]);
      expect(o.map('plain').lookup(new Uint8Array(4))).toEqual(new Uint8Array(32));
    } finally {
      await dp.close();
    }
  });
});
