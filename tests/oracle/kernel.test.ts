// The kernel as an oracle: programs built with the DSL, loaded through bpftool and run with
// BPF_PROG_TEST_RUN. Skips, with the reason in the test name, where the kernel cannot be used.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Alu32, Alu64, encode, Ins, Jmp, type Insn } from '../../src/isa/insn.js';
import { PseudoLd } from '../../src/isa/opcodes.js';
import { writeBpfObject } from '../../src/oracle/bpf_object.js';
import {
  kernelAvailability,
  KernelRejected,
  loadKernelInsns,
  loadKernelObject,
  loadKernelProgram,
  runConformanceInKernel,
} from '../../src/oracle/kernel.js';
import { wrapForXdp, XDP_WRAP_SHORT_PACKET } from '../../src/oracle/xdp_wrapper.js';

const avail = kernelAvailability();
if (!avail.ok) {
  console.warn(`kernel oracle tests skipped: ${avail.reason}`);
  it.skip(`kernel oracle unavailable: ${avail.reason}`, () => {});
}

const XDP_PASS = 2;
const packet = (n = 64): Uint8Array => Uint8Array.from({ length: n }, (_, i) => i);

/** Load, run once on `data`, close. */
function runOnce(prog: Insn[], data = packet()) {
  const kp = loadKernelInsns(prog);
  try {
    return kp.run({ data });
  } finally {
    kp.close();
  }
}

describe.skipIf(!avail.ok)('the kernel via bpftool', () => {
  it('runs `r0 = 2; exit` and hands the packet back unchanged', () => {
    const r = runOnce([Alu64.mov.imm(0, XDP_PASS), Ins.exit()]);
    expect(r.retval).toBe(XDP_PASS);
    expect([...r.data]).toEqual([...packet()]);
    expect(r.durationNs).toBeGreaterThan(0);
  });

  it('computes an ALU sequence as worked out by hand', () => {
    // 7 * 6 = 42; 42 << 4 = 672; 672 - 100 = 572 (0b10_0011_1100); 572 ^ 0x55 = 617 (0b10_0110_1001);
    // 617 / 5 = 123; 123 % 7 = 4; w0 = 4 - 5 = 0xffffffff (32-bit wrap); r0 >>= 28 → 0xf.
    const r = runOnce([
      Alu64.mov.imm(0, 7),
      Alu64.mul.imm(0, 6),
      Alu64.lsh.imm(0, 4),
      Alu64.mov.imm(1, 100),
      Alu64.sub.reg(0, 1),
      Alu64.xor.imm(0, 0x55),
      Alu64.div.imm(0, 5),
      Alu64.mod.imm(0, 7),
      Alu32.sub.imm(0, 5),
      Alu64.rsh.imm(0, 28),
      Ins.exit(),
    ]);
    expect(r.retval).toBe(0xf);
  });

  it('runs a bounded loop: sum of 1..10', () => {
    const r = runOnce([
      Alu64.mov.imm(0, 0),
      Alu64.mov.imm(1, 10),
      Alu64.add.reg(0, 1), // loop:
      Alu64.sub.imm(1, 1),
      Jmp.jne.imm(1, 0, -3), // → loop
      Ins.exit(),
    ]);
    expect(r.retval).toBe(55);
  });

  it('reports only the low 32 bits of r0', () => {
    const r = runOnce([...Ins.lddw(0, 0x1234_5678_9abc_def0n), Ins.exit()]);
    expect(r.retval).toBe(0x9abc_def0);
  });

  it('returns the packet as the program wrote it', () => {
    const r = runOnce([
      Ins.ldx('w', 2, 1, 4), // data_end
      Ins.ldx('w', 1, 1, 0), // data
      Alu64.mov.reg(3, 1),
      Alu64.add.imm(3, 2),
      Jmp.jgt.reg(3, 2, 3), // data + 2 > data_end → out
      Ins.st('b', 1, 0, 0xab),
      Ins.ldx('b', 4, 1, 1),
      Ins.stx('b', 1, 4, 1), // byte 1 = byte 1, through a register
      Alu64.mov.imm(0, XDP_PASS),
      Ins.exit(),
    ]);
    expect(r.retval).toBe(XDP_PASS);
    expect([...r.data]).toEqual([0xab, ...packet().subarray(1)]);
  });

  it('follows bpf-to-bpf calls (subprograms go through .text)', () => {
    const r = runOnce([
      Alu64.mov.imm(1, 5),
      Ins.callLocal(2),
      Alu64.add.imm(0, 1),
      Ins.exit(),
      Alu64.mov.reg(0, 1),
      Alu64.mul.imm(0, 3),
      Alu64.mov.reg(1, 0),
      Ins.callLocal(1),
      Ins.exit(),
      Alu64.mov.reg(0, 1),
      Alu64.add.imm(0, 100),
      Ins.exit(),
    ]);
    expect(r.retval).toBe(5 * 3 + 100 + 1);
  });

  it('passes a callback to bpf_loop (BPF_PSEUDO_FUNC: func_info in .BTF.ext)', () => {
    const BPF_FUNC_loop = 181;
    const r = runOnce([
      Alu64.mov.imm(1, 10), // nr_loops
      ...Ins.lddw(2, 6n, PseudoLd.FUNC), // callback_fn: slot 1 + 6 + 1 = 8
      Alu64.mov.imm(3, 0), // ctx
      Alu64.mov.imm(4, 0), // flags
      Ins.call(BPF_FUNC_loop), // r0 = iterations done
      Alu64.add.imm(0, 1000),
      Ins.exit(),
      Alu64.mov.imm(0, 0), // callback (u32 index, void *ctx): 0 = continue
      Ins.exit(),
    ]);
    expect(r.retval).toBe(1010);
  });

  it('throws KernelRejected carrying the verifier log for a read of uninitialised r2', () => {
    let err: unknown;
    try {
      loadKernelInsns([Alu64.mov.reg(0, 2), Ins.exit()]).close();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(KernelRejected);
    const k = err as KernelRejected;
    expect(k.code).toBe('KERNEL_REJECTED');
    expect(k.log).toContain('R2 !read_ok');
    expect(k.log).toMatch(/processed \d+ insns/);
    expect(k.message).toContain('R2 !read_ok');
    expect(k.output).toContain('BEGIN PROG LOAD LOG');
  });

  it('throws KernelRejected for a shift by an out-of-range immediate', () => {
    expect(() => loadKernelInsns([Alu64.mov.imm(0, 1), Alu64.lsh.imm(0, 64), Ins.exit()])).toThrow(/invalid shift 64/);
  });

  it('loads an object from a path and picks programs by name', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wxdp-kernel-test-'));
    try {
      const path = join(dir, 'two.o');
      writeFileSync(
        path,
        writeBpfObject([
          { name: 'one', section: 'xdp', insns: encode([Alu64.mov.imm(0, 1), Ins.exit()]) },
          { name: 'three', section: 'xdp', insns: encode([Alu64.mov.imm(0, 3), Ins.exit()]) },
        ]),
      );
      const obj = loadKernelObject(path);
      try {
        expect(obj.programNames).toEqual(['one', 'three']);
        expect(obj.program('one').run({ data: packet() }).retval).toBe(1);
        expect(obj.program('three').run({ data: packet() }).retval).toBe(3);
        expect(() => obj.program('two')).toThrow(/no program 'two'/);
      } finally {
        obj.close();
      }
      expect(() => loadKernelProgram(path)).toThrow(/holds 2 programs/);
      const three = loadKernelProgram(path, { name: 'three' });
      expect(three.run({ data: packet() }).retval).toBe(3);
      three.close();
      expect(() => three.run({ data: packet() })).toThrow(/closed/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('passes a context in and out', () => {
    // r0 = ctx->rx_queue_index (offset 16); the kernel checks ctx_in but returns it as given.
    const kp = loadKernelInsns([Ins.ldx('w', 0, 1, 16), Ins.exit()]);
    try {
      const r = kp.run({ data: packet(), ctx: new Uint8Array(24) });
      expect(r.retval).toBe(0);
      expect(r.ctx).toHaveLength(24);
    } finally {
      kp.close();
    }
  });

  it('fails a test run with less than ETH_HLEN bytes as KERNEL_RUN', () => {
    const kp = loadKernelInsns([Alu64.mov.imm(0, 2), Ins.exit()]);
    try {
      expect(() => kp.run({ data: new Uint8Array(13) })).toThrow(/at least 14 bytes/);
    } finally {
      kp.close();
    }
  });

  it('averages the duration over `repeat` runs', () => {
    const kp = loadKernelInsns([Alu64.mov.imm(0, 2), Ins.exit()]);
    try {
      const r = kp.run({ data: packet(), repeat: 100_000 });
      expect(r.retval).toBe(2);
      expect(r.durationNs).toBeGreaterThanOrEqual(0);
      expect(r.durationNs).toBeLessThan(1000);
    } finally {
      kp.close();
    }
  });
});

describe.skipIf(!avail.ok)('conformance-style programs in the kernel', () => {
  it('wrapForXdp gives r1 = input memory and r2 = its length', () => {
    const mem = Uint8Array.of(1, 2, 3, 4, 5, 6);
    // r0 = *(u32 *)(r1 + 2) + r2 = 0x06050403 + 6
    const prog = wrapForXdp([Ins.ldx('w', 0, 1, 2), Alu64.add.reg(0, 2), Ins.exit()], mem.length);
    const data = new Uint8Array(64);
    data.set(mem);
    expect(runOnce(prog, data).retval).toBe(0x06050403 + 6);
  });

  it('wrapForXdp returns XDP_WRAP_SHORT_PACKET when the packet is shorter than promised', () => {
    const prog = wrapForXdp([Alu64.mov.imm(0, 0), Ins.exit()], 100);
    expect(runOnce(prog, new Uint8Array(64)).retval).toBe(XDP_WRAP_SHORT_PACKET);
  });

  it('runConformanceInKernel recovers all 64 bits of r0, with branches and subprograms', () => {
    const prog: Insn[] = [
      Ins.ldx('b', 3, 1, 0), // r3 = mem[0]
      Jmp.jeq.imm(3, 0, 3), // → other
      ...Ins.lddw(0, 0x1122_3344_5566_7788n),
      Ins.exit(),
      Ins.callLocal(1), // other: r0 = f()
      Ins.exit(),
      ...Ins.lddw(0, -2n), // f: r0 = 0xffff_ffff_ffff_fffe
      Ins.exit(),
    ];
    const a = runConformanceInKernel(prog, Uint8Array.of(1));
    expect(a).toMatchObject({ accepted: true, r0: 0x1122_3344_5566_7788n, full64: true });
    const b = runConformanceInKernel(prog, Uint8Array.of(0));
    expect(b).toMatchObject({ accepted: true, r0: 0xffff_ffff_ffff_fffen, full64: true });
  });

  it('runConformanceInKernel returns memory as the program left it', () => {
    const r = runConformanceInKernel(
      [Ins.st('h', 1, 1, 0x7766), Alu64.mov.imm(0, 0), Ins.exit()],
      Uint8Array.of(1, 2, 3, 4),
    );
    expect(r).toMatchObject({ accepted: true, r0: 0n });
    if (r.accepted) expect([...r.mem]).toEqual([1, 0x66, 0x77, 4]);
  });

  it('runConformanceInKernel falls back to the low 32 bits when only `r0 >>= 32` is rejected', () => {
    // r0 = r1 returns a packet pointer: root may leak it, but shifting a pointer is refused.
    const r = runConformanceInKernel([Alu64.mov.reg(0, 1), Ins.exit()], new Uint8Array(4));
    expect(r).toMatchObject({ accepted: true, full64: false });
  });

  it('runConformanceInKernel reports a rejection with the verifier log', () => {
    const r = runConformanceInKernel([Alu64.mov.imm(0, 1), Alu32.arsh.imm(0, 32), Ins.exit()], new Uint8Array(0));
    expect(r.accepted).toBe(false);
    if (!r.accepted) expect(r.log).toContain('invalid shift 32');
  });
});

describe.skipIf(!avail.ok)('maps pinned by name (LIBBPF_PIN_BY_NAME)', () => {
  const obj = new URL('../cli/fixtures/pinned_map.o', import.meta.url).pathname;
  const pin = '/sys/fs/bpf/wxdp_bench_pinned_counts';

  it('a pin the load created is removed with the object; one that was there before is left', async () => {
    const { existsSync } = await import('node:fs');
    const { spawnSync } = await import('node:child_process');
    rmSync(pin, { force: true });
    const k = loadKernelObject(obj);
    expect(existsSync(pin)).toBe(true); // libbpf pinned it at load, bpftool's pin directory aside
    k.close();
    expect(existsSync(pin)).toBe(false);
    // someone else's pin of a compatible map: libbpf reuses it, and it stays
    const made = spawnSync('bpftool', ['map', 'create', pin, 'type', 'array', 'key', '4', 'value', '8', 'entries', '1', 'name', 'wxdp_bench_pin'], { encoding: 'utf8' });
    try {
      expect(made.status, made.stderr).toBe(0);
      const k2 = loadKernelObject(obj);
      k2.close();
      expect(existsSync(pin)).toBe(true);
    } finally {
      rmSync(pin, { force: true });
    }
  });

  // xdp-filter's maps are all pinned by name. bpftool's `pinmaps` refused such objects ("already has pin
  // path"), so a comparison went through /sys/fs/bpf/NAME by hand — and a pin left there by an earlier
  // load is reused by libbpf, contents and all: 16 of its entries "kept their values" in the kernel and
  // read as zero in wxdp, whose load (like the kernel's with no pin there) starts empty (equal on
  // xdp-filter's objects once compared through pinMaps with no pin left over; 16 entries apart with one).
  it('pinMaps works for an object with by-name maps; a reused pin is reported with what it holds', async () => {
    const { existsSync } = await import('node:fs');
    rmSync(pin, { force: true });
    const frame = new Uint8Array(64);
    const u64 = (v: Uint8Array | undefined) => new DataView(v!.buffer, v!.byteOffset).getBigUint64(0, true);
    const kernelCount = (o: ReturnType<typeof loadKernelObject>) => u64(o.map('wxdp_bench_pinned_counts').dump()[0]?.value);
    const k = loadKernelObject(obj, { pinMaps: true });
    try {
      expect(k.mapNames).toEqual(['wxdp_bench_pinned_counts']);
      expect(k.reusedPins).toEqual([]);
      k.program('pinned_count').run({ data: frame });
      expect(kernelCount(k)).toBe(1n);
      // a second load while the first holds the pin: libbpf reuses the map, which already counts 1
      const k2 = loadKernelObject(obj, { pinMaps: true });
      try {
        expect(k2.reusedPins).toEqual([pin]);
        k2.program('pinned_count').run({ data: frame });
        expect(kernelCount(k2)).toBe(2n);
      } finally {
        k2.close();
      }
      expect(existsSync(pin)).toBe(true); // the first load's pin, not the second's to remove
    } finally {
      k.close();
      rmSync(pin, { force: true });
    }
    expect(existsSync(pin)).toBe(false);
  });
});
