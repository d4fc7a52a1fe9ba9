// bpf_throw where a device runs the program: the JIT lowers it to "r0 = cookie, return from every frame"
// (src/jit/emit.ts HELPER_THROW), so a throw inside the fast path's burst ends that frame's run with the
// cookie as its XDP verdict and the burst goes on with the next frame, as the kernel's default exception
// callback does. The same program on a device (table and burst dispatch), reached by a tail call (from the
// main frame and from a subprogram: the caller is not returned to), as a devmap or cpumap entry's program,
// on workers (directly and through xdp_tailcall.o's prog_array), and from a callback (bpf_loop inlined; the
// fast path's bpf_for_each_map_elem, whose walk stops).
// bpf_cast_to_kern_ctx / bpf_rdonly_cast / bpf_map_sum_elem_count run in JavaScript: on the main thread's
// devices they run; a worker refuses the program at attach (PROG_ATTACH), never mid-burst.

import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { Datapath } from '../../src/control/datapath.js';
import { createMap, MapType } from '../../src/maps/index.js';
import { Alu64, Ins, Jmp, type Insn } from '../../src/isa/insn.js';
import { PseudoCall, PseudoLd } from '../../src/isa/opcodes.js';
import { frame, tagOf } from '../datapath/support.js';
import { MAP, withMap } from '../jit/harness.js';
import { refusal } from '../workers/support.js';

const obj = (name: string): string => fileURLToPath(new URL(`../../programs/verifier/accept/${name}.o`, import.meta.url));
const u32 = (v: number): Uint8Array => new Uint8Array(new Uint32Array([v]).buffer);

/**
 * The frame's tag (byte 14, frame()): 2 throws 0 from the main frame (a failed bpf_assert: XDP_ABORTED);
 * 1 throws 1 (XDP_DROP) and 3 throws 0x100000007 (7 as XDP's u32: an invalid action) from a subprogram,
 * whose caller would return XDP_PASS; anything else returns XDP_PASS.
 */
const THROWER = `
  r6 = r1
  r2 = *(u32 *)(r6 + 0)
  r3 = *(u32 *)(r6 + 4)
  r4 = r2
  r4 += 15
  if r4 > r3 goto pass
  r7 = *(u8 *)(r2 + 14)
  if r7 != 2 goto notwo
  r1 = 0
  call kfunc 73
notwo:
  r1 = r7
  call sub
  r0 = 2
  exit
pass:
  r0 = 2
  exit
sub:
  if r1 == 1 goto t1
  if r1 == 3 goto t3
  r0 = 0
  exit
t1:
  r1 = 1
  call kfunc 73
t3:
  r1 = 0x100000007 ll
  call kfunc 73
  exit
`;
const TAGS = [0, 1, 2, 3, 4, 1, 2, 0];
/** What THROWER's verdicts count for TAGS, when a frame it does not throw on gets `pass`. */
const verdicts = (pass: 'XDP_PASS' | 'XDP_TX'): Record<string, number> => ({ XDP_ABORTED: 2, XDP_DROP: 2, XDP_PASS: 0, XDP_TX: 0, XDP_REDIRECT: 0, XDP_INVALID: 1, [pass]: 3 });

const open: Datapath[] = [];
afterEach(async () => {
  for (const dp of open.splice(0)) await dp.close();
});
async function datapath(opts: Parameters<typeof Datapath.create>[0]): Promise<Datapath> {
  const dp = await Datapath.create(opts);
  open.push(dp);
  return dp;
}

describe.each(['table', 'burst'] as const)('bpf_throw on a device (%s dispatch)', (dispatch) => {
  it('each frame of one burst gets its own verdict: the cookie where the program threw, XDP_PASS elsewhere', async () => {
    const dp = await datapath({ dispatch });
    const eth0 = dp.addDevice({ name: 'eth0' });
    const p = await dp.loadInsns(assemble(THROWER));
    expect(TAGS.map((t) => p.testRun({ data: frame(60, t) }).retval)).toEqual([2, 1, 0, 7, 2, 1, 0, 2]);
    eth0.attachXdp(p);
    eth0.injectBatch(TAGS.map((t) => frame(60, t)));
    eth0.poll();
    const s = eth0.stats();
    expect(s.verdicts).toEqual(verdicts('XDP_PASS'));
    // XDP_ABORTED and the invalid action are dropped as aborted (trace_xdp_exception), as the kernel does
    expect([s.drops.XDP_ABORTED, s.drops.XDP_DROP]).toEqual([3, 2]);
    expect(eth0.readHost().map((o) => tagOf(o.data))).toEqual([0, 4, 0]);
    // the next burst starts clean (no throw left pending)
    eth0.injectBatch([frame(60, 0), frame(60, 4)]);
    eth0.poll();
    expect(eth0.stats().verdicts.XDP_PASS).toBe(5);
  });

  it('throw_default.o (bpf_throw, bpf_assert, bpf_assert_with) gives the verdicts its test runs give', async () => {
    const dp = await datapath({ dispatch });
    const eth0 = dp.addDevice({ name: 'eth0' });
    const o = await dp.loadObject(obj('throw_default'), { engine: 'jit' });
    const p = o.programs.get('throw_default')!;
    // the first byte: 1 throws 7, 2 fails bpf_assert (0), 3 bpf_assert_with (5), else XDP_PASS
    const frames = [0, 1, 2, 3, 4, 2].map((b) => Uint8Array.of(b, ...new Array<number>(59).fill(0)));
    expect(frames.map((f) => p.testRun({ data: f }).retval)).toEqual([2, 7, 0, 5, 2, 0]);
    eth0.attachXdp(p);
    eth0.injectBatch(frames);
    eth0.poll();
    expect(eth0.stats().verdicts).toEqual({ XDP_ABORTED: 2, XDP_DROP: 0, XDP_PASS: 2, XDP_TX: 0, XDP_REDIRECT: 0, XDP_INVALID: 2 });
  });

  // 6.18.44 (a probe of selftests' exception_tail_call: a subprogram tail-calls a program that throws 16,
  // its caller returns the subprogram's answer + 8: 24): the throw ends at the tail-called program's entry,
  // the tail call returns the cookie, and a subprogram that made it returns it to its caller, which goes on.
  it('a tail call to a throwing program returns its cookie: the chain\'s answer from the main frame, a subprogram\'s to its caller', async () => {
    const dp = await datapath({ dispatch });
    const eth0 = dp.addDevice({ name: 'eth0' });
    const eth1 = dp.addDevice({ name: 'eth1' });
    const progs = createMap(dp.fastPath, { name: 'jmp', type: MapType.PROG_ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 });
    const target = await dp.loadInsns(assemble(THROWER));
    progs.update(u32(0), u32(target.tableIndex));
    // a tail call in the main frame; then one in a subprogram, whose caller returns XDP_TX when it returns
    // (loaded unverified, so run checked, as tests/jit/inline_helpers loads its tail-call callers)
    const fromMain = await dp.loadInsns(withMap(assemble(`r2 = ${MAP}\nr3 = 0\ncall 12\nr0 = 3\nexit`), progs), { verify: false });
    // the subprogram's answer + 1: THROWER's 2 (XDP_PASS) becomes XDP_TX, its cookies 1, 0, 7 become 2, 1, 8
    const fromSub = await dp.loadInsns(withMap(assemble(`call sub\nr0 += 1\nexit\nsub:\nr2 = ${MAP}\nr3 = 0\ncall 12\nr0 = 0\nexit`), progs), { verify: false });
    expect(TAGS.map((t) => fromSub.testRun({ data: frame(60, t) }).retval)).toEqual([3, 2, 1, 8, 3, 2, 1, 3]);
    // the interpreter: its own prog_array of interpreted programs, the same answers
    const iprogs = createMap(dp.fastPath, { name: 'ijmp', type: MapType.PROG_ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 });
    iprogs.update(u32(0), u32((await dp.loadInsns(assemble(THROWER), { engine: 'interp' })).tableIndex));
    const ifromSub = await dp.loadInsns(withMap(assemble(`call sub\nr0 += 1\nexit\nsub:\nr2 = ${MAP}\nr3 = 0\ncall 12\nr0 = 0\nexit`), iprogs), { engine: 'interp', verify: false });
    expect(TAGS.map((t) => ifromSub.testRun({ data: frame(60, t) }).retval)).toEqual([3, 2, 1, 8, 3, 2, 1, 3]);
    eth0.attachXdp(fromMain);
    eth1.attachXdp(fromSub);
    for (const dev of [eth0, eth1]) {
      dev.injectBatch(TAGS.map((t) => frame(60, t)));
      dev.poll();
    }
    expect(eth0.stats().verdicts).toEqual(verdicts('XDP_PASS'));
    expect(eth1.stats().verdicts).toEqual({ XDP_ABORTED: 0, XDP_DROP: 2, XDP_PASS: 2, XDP_TX: 3, XDP_REDIRECT: 0, XDP_INVALID: 1 });
    expect(eth1.readTx().map((o) => tagOf(o.data))).toEqual([0, 4, 0]);
  });

  it('as a devmap entry\'s program: a throw is its verdict (anything but XDP_PASS drops: DEVMAP_PROG)', async () => {
    const dp = await datapath({ dispatch });
    const eth0 = dp.addDevice({ name: 'eth0' });
    const eth1 = dp.addDevice({ name: 'eth1' });
    const devmap = createMap(dp.fastPath, { name: 'ports', type: MapType.DEVMAP, keySize: 4, valueSize: 8, maxEntries: 1 });
    const p = await dp.loadInsns(assemble(THROWER), { attachType: 'xdp_devmap' });
    devmap.update(u32(0), Uint8Array.of(...u32(eth1.ifindex), ...u32(p.fd)));
    eth0.attachXdp(await dp.loadInsns(assemble(`r1 = ${devmap.address} ll\nr2 = 0\nr3 = 0\ncall 51\nexit`), { verify: false }));
    eth0.injectBatch(TAGS.map((t) => frame(60, t)));
    eth0.poll();
    expect(eth0.stats().verdicts.XDP_REDIRECT).toBe(TAGS.length);
    expect(eth0.stats().drops.DEVMAP_PROG).toBe(5);
    expect(eth1.readTx().map((o) => tagOf(o.data))).toEqual([0, 4, 0]);
  });
});

describe.each(['table', 'burst'] as const)('bpf_throw as a cpumap entry\'s program (%s dispatch)', (dispatch) => {
  it('a throw is its verdict: XDP_PASS frames go to the host, the cookies XDP_DROP / XDP_ABORTED / invalid drop', async () => {
    const dp = await datapath({ dispatch, ncpus: 2 });
    const eth0 = dp.addDevice({ name: 'eth0' });
    const cpus = createMap(dp.fastPath, { name: 'cpus', type: MapType.CPUMAP, keySize: 4, valueSize: 8, maxEntries: 2 });
    cpus.update(u32(1), Uint8Array.of(...u32(192), ...u32((await dp.loadInsns(assemble(THROWER), { attachType: 'xdp_cpumap' })).fd)));
    eth0.attachXdp(await dp.loadInsns(assemble(`r1 = ${cpus.address} ll\nr2 = 1\nr3 = 0\ncall 51\nexit`), { verify: false }));
    eth0.injectBatch(TAGS.map((t) => frame(60, t)));
    eth0.poll();
    dp.poll();
    expect(eth0.stats().verdicts.XDP_REDIRECT).toBe(TAGS.length);
    expect(eth0.readHost().map((o) => tagOf(o.data))).toEqual([0, 4, 0]);
    expect([eth0.stats().drops.XDP_DROP, eth0.stats().drops.XDP_ABORTED]).toEqual([2, 3]);
  });
});

describe('bpf_throw and the JavaScript kfuncs on workers', () => {
  it('a throwing program runs on two workers: each queue\'s frames get the cookie verdicts', async () => {
    const dp = await datapath({ workers: 2 });
    const eth0 = dp.addDevice({ name: 'eth0', queues: 2, ringSize: 64 });
    eth0.attachXdp(await dp.loadInsns(assemble(THROWER)));
    for (const q of [0, 1]) expect(eth0.injectBatch(TAGS.map((t) => frame(60, t)), { queue: q })).toBe(TAGS.length);
    dp.workers!.settle();
    const want = verdicts('XDP_PASS');
    expect(eth0.stats().queues.map((q) => q.verdicts)).toEqual([want, want]);
  });

  it('a tail call to a throwing program on workers (xdp_tailcall.o\'s dispatcher, jmp_table[ST_IPV4] = the thrower)', async () => {
    const dp = await datapath({ workers: 1 });
    const eth0 = dp.addDevice({ name: 'eth0', ringSize: 64 });
    const o = await dp.loadObject(fileURLToPath(new URL('../../programs/xdp_tailcall.o', import.meta.url)));
    o.map('jmp_table').update(u32(1), u32((await dp.loadInsns(assemble(THROWER))).tableIndex));
    eth0.attachXdp(o.program('xdp_dispatch'));
    expect(eth0.injectBatch(TAGS.map((t) => frame(60, t)))).toBe(TAGS.length);
    dp.workers!.settle();
    expect(eth0.stats().verdicts).toEqual(verdicts('XDP_PASS'));
  });

  it('bpf_cast_to_kern_ctx, bpf_rdonly_cast, bpf_map_sum_elem_count: a device runs them; a worker refuses them at attach', async () => {
    const dp = await datapath({});
    const eth0 = dp.addDevice({ name: 'eth0' });
    for (const name of ['cast_kern_ctx_fields', 'rdonly_cast_ctx', 'map_sum_elem_count']) {
      const o = await dp.loadObject(obj(name), { engine: 'jit' });
      eth0.attachXdp(o.programs.get(name)!);
      eth0.inject(frame(60, 1));
      eth0.poll();
      eth0.detachXdp();
    }
    // each returns a value past XDP_REDIRECT for these frames (folded fields, counts): an invalid action
    expect(eth0.stats().verdicts).toMatchObject({ XDP_INVALID: 3 });
    const wdp = await datapath({ workers: 1 });
    const weth0 = wdp.addDevice({ name: 'eth0' });
    for (const [name, kfunc] of [['cast_kern_ctx_fields', 'bpf_cast_to_kern_ctx'], ['rdonly_cast_ctx', 'bpf_rdonly_cast'], ['map_sum_elem_count', 'bpf_map_sum_elem_count']]) {
      const o = await wdp.loadObject(obj(name!), { engine: 'jit' });
      expect(refusal(() => weth0.attachXdp(o.programs.get(name!)!))).toMatch(new RegExp(`^PROG_ATTACH: program ${name}: imports .*which runs in JavaScript on the main thread`));
      expect(weth0.program, kfunc).toBeUndefined();
    }
  });
});

// The kernel refuses these programs ('bpf_throw kfunc (insn N) cannot be called from callback subprog M',
// the verifier's too: tests/verifier); loaded unverified (checked), they must still end cleanly.
describe('bpf_throw from a callback', () => {
  const kfuncThrow = (): Insn => ({ ...Ins.call(73), src: PseudoCall.KFUNC });
  const ENGINES = [['interp', true], ['jit', true], ['jit', false]] as const;
  // bpf_loop(nr = byte 0, cb, &ctx): cb(i) throws 0x40 + i when i is byte 1, else counts in ctx->acc; r0 = acc
  const LOOP: Insn[] = [
    Ins.ldx('w', 2, 1, 0), //                  0: r2 = data
    Ins.st('dw', 10, -8, 0), //                1: acc = 0
    Ins.ldx('b', 7, 2, 1), //                  2: stop
    Ins.stx('dw', 10, 7, -16), //              3
    Ins.ldx('b', 1, 2, 0), //                  4: r1 = nr_loops
    ...Ins.lddw(2, 7n, PseudoLd.FUNC), //      5-6: r2 = cb (13 = 5 + 7 + 1)
    Alu64.mov.reg(3, 10), //                   7
    Alu64.add.imm(3, -16), //                  8
    Alu64.mov.imm(4, 0), //                    9
    Ins.call(181), //                         10
    Ins.ldx('dw', 0, 10, -8), //              11: (r0 = acc)
    Ins.exit(), //                            12 (cb follows the exit: slot 13)
  ];
  LOOP.push(
    Ins.ldx('dw', 3, 2, 0), //                13: stop
    Jmp.jne.reg(1, 3, 3), //                  14: i != stop → 18
    Alu64.add.imm(1, 0x40), //                15
    kfuncThrow(), //                          16
    Ins.exit(), //                            17
    Ins.ldx('dw', 4, 2, 8), //                18
    Alu64.add.imm(4, 1), //                   19
    Ins.stx('dw', 2, 4, 8), //                20
    Alu64.mov.imm(0, 0), //                   21
    Ins.exit(), //                            22
  );
  it('bpf_loop: the loop stops, the program returns the cookie; the next run starts clean', async () => {
    const dp = await datapath({});
    for (const [engine, checked] of ENGINES) {
      const p = await dp.loadInsns(LOOP, { engine, checked, verify: false } as Parameters<Datapath['loadInsns']>[1]);
      const run = (n: number, stop: number): number => p.testRun({ data: Uint8Array.of(n, stop, ...new Array<number>(62).fill(0)) }).retval;
      expect([run(5, 2), run(5, 9), run(3, 0), run(3, 3), run(9, 8), run(9, 8 + 1)], `${engine} checked ${checked}`).toEqual([0x42, 5, 0x40, 3, 0x48, 9]);
    }
  });

  it('bpf_for_each_map_elem (the fast path calls the callback): the walk stops, the program returns the cookie', async () => {
    const dp = await datapath({ dispatch: 'burst' });
    const arr = createMap(dp.fastPath, { name: 'arr', type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 4 });
    // cb(map, key, value, ctx) throws 0x50 + key when the key is byte 14 (frame()'s tag), else 0; r0 = elements walked
    const WALK: Insn[] = [
      Ins.ldx('w', 2, 1, 0), //                0: r2 = data
      Ins.ldx('w', 3, 1, 4), //                1: r3 = data_end
      Alu64.mov.reg(4, 2), //                  2
      Alu64.add.imm(4, 15), //                 3
      Alu64.mov.imm(7, 99), //                 4: no tag: 99
      Jmp.jgt.reg(4, 3, 1), //                 5: → 7
      Ins.ldx('b', 7, 2, 14), //               6: the tag
      Ins.stx('dw', 10, 7, -8), //             7
      ...Ins.lddw(1, BigInt(MAP.split(' ')[0]!)), // 8-9: the map
      ...Ins.lddw(2, 7n, PseudoLd.FUNC), //    10-11: r2 = cb (18 = 10 + 7 + 1)
      Alu64.mov.reg(3, 10), //                12
      Alu64.add.imm(3, -8), //                13
      Alu64.mov.imm(4, 0), //                 14
      Ins.call(164), //                       15
      Ins.exit(), //                          16
      Ins.exit(), //                          17 (not reached)
      Ins.ldx('w', 1, 2, 0), //               18: cb: key
      Ins.ldx('dw', 5, 4, 0), //              19: the tag
      Jmp.jne.reg(1, 5, 3), //                20: → 24
      Alu64.add.imm(1, 0x50), //              21
      kfuncThrow(), //                        22
      Ins.exit(), //                          23
      Alu64.mov.imm(0, 0), //                 24
      Ins.exit(), //                          25
    ];
    for (const [engine, checked] of ENGINES) {
      const p = await dp.loadInsns(withMap(WALK.map((i) => ({ ...i })), arr), { engine, checked, verify: false } as Parameters<Datapath['loadInsns']>[1]);
      expect([0, 2, 3, 7, 1].map((t) => p.testRun({ data: frame(60, t) }).retval), `${engine} checked ${checked}`).toEqual([0x50, 0x52, 0x53, 4, 0x51]);
    }
    // on a device, in one burst (XDP_DROP for tag 1 - 0x50, XDP_TX for 3 - 0x50: cookies 0x51 / 0x53 are invalid)
    const eth0 = dp.addDevice({ name: 'eth0' });
    eth0.attachXdp(await dp.loadInsns(withMap(WALK.map((i) => ({ ...i })), arr), { verify: false }));
    eth0.injectBatch([0, 7, 2, 7, 1].map((t) => frame(60, t)));
    eth0.poll();
    // 4 elements walked with no throw: XDP_REDIRECT's value, with no target: dropped as the kernel does
    expect(eth0.stats().verdicts).toMatchObject({ XDP_INVALID: 3, XDP_REDIRECT: 2 });
  });
});

describe.each(['jit', 'interp'] as const)('bpf_throw in a bpf_timer callback (%s)', (engine) => {
  const TIMER_THROW = fileURLToPath(new URL('../../programs/xdp_timer_throw.o', import.meta.url));
  it('the verifier refuses it as 6.18.44 does (a throw cannot unwind through the helper calling a callback)', async () => {
    const dp = await datapath({});
    await expect(dp.loadObject(TIMER_THROW, { engine })).rejects.toThrow(/bpf_throw kfunc \(insn 55\) cannot be called from callback subprog 1/);
  });

  it('loaded unverified, the throw ends that callback (fired by the stack\'s clock, outside any run); the other runs whole', async () => {
    const dp = await datapath({});
    const o = await dp.loadObject(TIMER_THROW, { engine, verify: false });
    expect(o.program('arm').testRun({ data: new Uint8Array(64) }).retval).toBe(2);
    dp.stack.advance(20);
    // struct elem { struct bpf_timer t; u64 fired; u64 key }: key 0 counted 1 + 10, key 1 threw after its 1
    const fired = (k: number): [bigint, bigint] => {
      const v = Buffer.from(o.map('tarr').lookup(u32(k))!);
      return [v.readBigUInt64LE(16), v.readBigUInt64LE(24)];
    };
    expect([fired(0), fired(1)]).toEqual([[11n, 0n], [1n, 1n]]);
    // a run afterwards starts clean
    expect(o.program('arm').testRun({ data: new Uint8Array(64) }).retval).toBe(2);
  });
});
