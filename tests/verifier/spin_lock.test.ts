// bpf_spin_lock's verifier rules and the maps' lock semantics. The messages are those Linux 6.18 printed
// (bpftool prog load) for the same programs written in C against a value
// `struct { u64 a; struct bpf_spin_lock lock; u64 b; }` (lock at 8) in an ARRAY, compiled with clang 14:
// lock twice and a helper under the lock both give "function calls are not allowed while holding a
// lock" (the call check comes before the lock's), a static bpf-to-bpf call under the lock is accepted.
// programs/xdp_spinlock.c runs against the kernel's recording (tests/programs/wxdp_vs_kernel.test.ts).

import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { Datapath, verifierMap } from '../../src/control/datapath.js';
import { VerifierError } from '../../src/errors.js';
import { OP_LDDW, PseudoLd } from '../../src/isa/opcodes.js';
import { createMap, MapType } from '../../src/maps/index.js';
import { verify } from '../../src/verifier/verifier.js';

const dp = await Datapath.create();
const locked = createMap(dp.fastPath, { name: 'm', type: MapType.ARRAY, keySize: 4, valueSize: 24, maxEntries: 2 });
locked.setSpinLockOff(8);
const plain = createMap(dp.fastPath, { name: 'n', type: MapType.ARRAY, keySize: 4, valueSize: 24, maxEntries: 2 });
const maps = [verifierMap(locked), verifierMap(plain)];

/** r7 = &m[0], r8 = &m[1] (null-checked), then `body`, then r0 = 2; exit. */
function prog(body: string, map = locked.address): string {
  return `
    *(u32 *)(r10 - 4) = 0
    *(u32 *)(r10 - 8) = 1
    r2 = r10
    r2 += -4
    r1 = ${map} ll
    call 1
    if r0 != 0 goto +2
    r0 = 1
    exit
    r7 = r0
    r2 = r10
    r2 += -8
    r1 = ${map} ll
    call 1
    if r0 != 0 goto +2
    r0 = 1
    exit
    r8 = r0
    ${body}
    r0 = 2
    exit`;
}
const LOCK = 'r1 = r7\n r1 += 8\n call 93\n';
const UNLOCK = 'r1 = r7\n r1 += 8\n call 94\n';

/** The text with its `rN = ADDR ll` of a map's address made a map reference (BPF_PSEUDO_MAP_FD). */
function insns(text: string) {
  const p = assemble(text);
  for (const i of p) if (i.code === OP_LDDW && !i.isLdImm64Tail && (i.imm64 === BigInt(locked.address) || i.imm64 === BigInt(plain.address))) i.src = PseudoLd.MAP_FD;
  return p;
}

function rejects(text: string, msg: string): void {
  let err: unknown;
  try {
    verify(insns(text), { maps, progType: 'xdp' });
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(VerifierError);
  expect((err as VerifierError).message).toContain(msg);
}
const accepts = (text: string) => expect(() => verify(insns(text), { maps, progType: 'xdp' })).not.toThrow();

describe('bpf_spin_lock in the verifier', () => {
  it('accepts lock, a store to another field, unlock', () => accepts(prog(`${LOCK} r1 = 5\n *(u64 *)(r7 + 16) = r1\n ${UNLOCK}`)));

  it('accepts an unlock on each branch of a test made under the lock', () =>
    accepts(prog(`${LOCK} r1 = *(u64 *)(r7 + 0)\n if r1 > 3 goto +4\n ${UNLOCK} goto +3\n ${UNLOCK}`)));

  it('refuses unlock without lock', () => rejects(prog(UNLOCK), 'bpf_spin_unlock without taking a lock'));

  it('refuses the main program exiting with the lock held', () =>
    rejects(prog(LOCK), 'BPF_EXIT instruction in main prog cannot be used inside bpf_spin_lock-ed region'));

  it('refuses a helper call while the lock is held, and a second lock the same way', () => {
    rejects(prog(`${LOCK} call 7\n ${UNLOCK}`), 'function calls are not allowed while holding a lock');
    rejects(prog(`${LOCK} r1 = r8\n r1 += 8\n call 93\n ${UNLOCK}`), 'function calls are not allowed while holding a lock');
  });

  it('refuses unlocking another value than the one locked', () =>
    rejects(prog(`${LOCK} r1 = r8\n r1 += 8\n call 94\n`), 'bpf_spin_unlock of different lock'));

  it('refuses loads and stores that touch the lock, and helpers reading it', () => {
    rejects(prog('r1 = *(u32 *)(r7 + 8)'), 'bpf_spin_lock cannot be accessed directly by load/store');
    rejects(prog('r1 = 0\n *(u64 *)(r7 + 8) = r1'), 'bpf_spin_lock cannot be accessed directly by load/store');
    rejects(prog('r1 = *(u64 *)(r7 + 4)'), 'bpf_spin_lock cannot be accessed directly by load/store');
    accepts(prog('r1 = 0\n *(u32 *)(r7 + 12) = r1'));
  });

  it('refuses a lock argument at the wrong offset, in a map without a lock, on the stack, or at a variable offset', () => {
    rejects(prog('r1 = r7\n r1 += 16\n call 93\n r1 = r7\n r1 += 16\n call 94'), "off 16 doesn't point to 'struct bpf_spin_lock' that is at 8");
    rejects(prog(`${LOCK} ${UNLOCK}`, plain.address), "map 'n' has no valid bpf_spin_lock");
    rejects(prog('r1 = r10\n r1 += -16\n call 93'), 'R1 type=fp expected=map_value, ptr_');
    rejects(prog(`r2 = *(u64 *)(r7 + 0)\n r2 &= 8\n r1 = r7\n r1 += r2\n call 93\n ${UNLOCK}`), "R1 doesn't have constant offset. bpf_spin_lock has to be at the constant offset");
  });

  it('accepts a bpf-to-bpf call under the lock (the kernel does, for static functions)', () => {
    // the subprogram (r0 = r1) follows the main program's exit
    const text = `${prog(`${LOCK} r1 = 1\n call pc+5\n ${UNLOCK}`)}\n r0 = r1\n exit`;
    accepts(text);
  });
});

describe('maps with a bpf_spin_lock, from TypeScript', () => {
  const key = (k: number) => Uint8Array.of(k, 0, 0, 0);
  it('lookups read the lock as zero; updates leave it; BPF_F_LOCK only where the value has one (EINVAL)', () => {
    const v = new Uint8Array(24).fill(0xab);
    locked.update(key(0), v, 4 /* BPF_F_LOCK */);
    const got = locked.lookup(key(0), 4)!;
    expect(Array.from(got.subarray(8, 12))).toEqual([0, 0, 0, 0]);
    expect(Array.from(got.subarray(0, 8))).toEqual(Array(8).fill(0xab));
    expect(Array.from(got.subarray(12))).toEqual(Array(12).fill(0xab));
    // the lock word in memory is untouched by the update (copy_map_value skips it)
    const raw = dp.memory.bytes();
    const at = locked.valueAddress(0) + 8;
    expect(Array.from(raw.subarray(at, at + 4))).toEqual([0, 0, 0, 0]);
    expect(() => plain.update(key(0), v, 4)).toThrow(expect.objectContaining({ code: 'MAP_INVALID' }));
    expect(() => plain.lookup(key(0), 4)).toThrow(/EINVAL/);
    expect(() => locked.lookup(key(0), 8)).toThrow(/EINVAL/);
    expect(locked.spinLockOff).toBe(8);
    expect(plain.spinLockOff).toBe(-1);
  });

  it('programs/xdp_spinlock.o: the loader finds both locks in BTF; bpf_printk with 4 arguments is bpf_trace_vprintk', async () => {
    const d = await Datapath.create();
    const obj = await d.loadObject(new URL('../../programs/xdp_spinlock.o', import.meta.url).pathname);
    expect(obj.map('class_state').spinLockOff).toBe(4);
    expect(obj.map('totals').spinLockOff).toBe(0);
    const f = new Uint8Array(250);
    f[12] = 0x86;
    f[13] = 0xdd;
    const p = obj.program('xdp_spinlock');
    expect(p.testRun({ data: f }).retval).toBe(2);
    // "class %u seq %u len %u proto %x" with class 1 (IPv6), the first of its class, 250 bytes, 0x86dd
    expect(d.traceLines()).toEqual(['class 1 seq 1 len 250 proto 86dd']);
  });

  it('bpf_trace_vprintk: data_len not a multiple of 8, or past 12 arguments, is -EINVAL and prints nothing', async () => {
    const d = await Datapath.create();
    // fmt "%d\0" at r10-8, one u64 argument (7) at r10-16; data_len in r4
    const run = async (len: number) => {
      const text = `r1 = 0x6425\n*(u64 *)(r10 - 8) = r1\nr1 = 7\n*(u64 *)(r10 - 16) = r1\nr1 = r10\nr1 += -8\nr2 = 3\nr3 = r10\nr3 += -16\nr4 = ${len}\ncall 177\nexit`;
      return (await d.loadInsns(assemble(text), { verify: false })).testRun({ data: new Uint8Array(64) }).retval | 0;
    };
    expect(await run(8)).toBe(1);
    expect(d.traceLines()).toEqual(['7']);
    expect(await run(4)).toBe(-22);
    expect(d.traceLines()).toEqual(['7']);
  });
});
