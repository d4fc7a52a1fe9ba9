// XDP helpers and testRun against the kernel. Expected values were probed from Linux 6.18's
// BPF_PROG_TEST_RUN (a 64-byte frame, 256 B headroom, 4 KiB frame, 320 B shinfo); when the kernel is
// usable the same programs also run live in it, so a kernel that behaves differently is noticed.

import { beforeAll, describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { Datapath } from '../../src/control/datapath.js';
import { kernelAvailability, loadKernelInsns } from '../../src/oracle/kernel.js';
import { kernelInsnsHelperGap } from '../support/kernel_helpers.js';

const frame = Uint8Array.from({ length: 64 }, (_, i) => (i * 73 + 5) & 0xff);
const kernel = kernelAvailability();

interface Case {
  name: string;
  src: string;
  retval: number; // as i32
  outLen: number;
}

/**
 * bpf_csum_diff over the first 20 bytes of the frame: `args` (five lines, r1 the data pointer) set r1-r5,
 * then the call's r0 is the program's; a frame shorter than 20 bytes returns 0.
 */
const csumDiff = (name: string, args: string, retval: number): Case => ({
  name,
  src: `r2 = *(u32 *)(r1 + 4)\nr1 = *(u32 *)(r1 + 0)\nr3 = r1\nr3 += 20\nif r3 > r2 goto +7\n${args}\ncall 28\nexit\nr0 = 0\nexit`,
  retval,
  outLen: 64,
});

const CASES: Case[] = [
  // adjust_head: data may move down to hard_start + sizeof(xdp_frame) (256 - 40 = 216 bytes of room)
  // and up to data_end - ETH_HLEN.
  ...([[-216, 0, 280], [-217, -22, 64], [0, 0, 64], [50, 0, 14], [51, -22, 64]] as const).map(([off, rv, len]) => ({
    name: `adjust_head(${off})`, src: `r2 = ${off}\ncall 44\nexit`, retval: rv, outLen: len,
  })),
  // adjust_meta: multiples of 4 (else -EACCES), not past data, not into the xdp_frame.
  ...([[-4, 0, 68], [-36, 0, 100], [-216, 0, 280], [-252, -22, 64], [-3, -13, 64], [4, -22, 64]] as const).map(([off, rv, len]) => ({
    name: `adjust_meta(${off})`, src: `r2 = ${off}\ncall 54\nexit`, retval: rv, outLen: len,
  })),
  // adjust_tail: not below data + ETH_HLEN, not past the frame minus skb_shared_info (3520 bytes of data).
  ...([[-50, 0, 14], [-51, -22, 64], [3456, 0, 3520], [3457, -22, 64], [1, 0, 65]] as const).map(([off, rv, len]) => ({
    name: `adjust_tail(${off})`, src: `r2 = ${off}\ncall 65\nexit`, retval: rv, outLen: len,
  })),
  // metadata moves with the data on adjust_head, so it eats into the head room
  { name: 'adjust_meta(-8) then adjust_head(-208)', src: 'r6 = r1\nr2 = -8\ncall 54\nr1 = r6\nr2 = -208\ncall 44\nexit', retval: 0, outLen: 280 },
  { name: 'adjust_meta(-8) then adjust_head(-209)', src: 'r6 = r1\nr2 = -8\ncall 54\nr1 = r6\nr2 = -209\ncall 44\nexit', retval: -22, outLen: 72 },
  // csum_diff folds to 16 bits on 6.18: 0xdd26 and 0xbf1d for this frame
  csumDiff('csum_diff(NULL, 0, data, 20, 0x12345)', 'r3 = r1\nr1 = 0\nr2 = 0\nr4 = 20\nr5 = 0x12345', 56614),
  csumDiff('csum_diff(data, 8, data, 12, 0xfffffff0)', 'r3 = r1\nr1 = r3\nr2 = 8\nr4 = 12\nr5 = 0xfffffff0', 48925),
  // 6.18's bpf_csum_diff takes any sizes (csum_partial of each span: 16-bit words from the span's start, a
  // last odd byte as a low byte) and no longer caps them together at 512 bytes
  csumDiff('csum_diff(data, 3, data + 5, 7, 0x1234): odd sizes', 'r3 = r1\nr3 += 5\nr2 = 3\nr4 = 7\nr5 = 0x1234', 43981),
  csumDiff('csum_diff(data + 1, 5, NULL, 0, 0xabcd): a span from an odd address', 'r1 += 1\nr2 = 5\nr3 = 0\nr4 = 0\nr5 = 0xabcd', 59948),
  {
    name: 'csum_diff(fp - 512, 512, data, 64, 0): 576 bytes together',
    src: `${[...Array(64).keys()].map((k) => `r0 = ${k * 0x01030507 + 0x11}\n*(u64 *)(r10 - ${512 - 8 * k}) = r0`).join('\n')}\nr2 = *(u32 *)(r1 + 4)\nr3 = *(u32 *)(r1 + 0)\nr1 = r3\nr1 += 64\nif r1 > r2 goto +7\nr1 = r10\nr1 += -512\nr2 = 512\nr4 = 64\nr5 = 0\ncall 28\nexit\nr0 = 0\nexit`,
    retval: 7264, outLen: 64,
  },
  { name: 'xdp_get_buff_len', src: 'call 188\nexit', retval: 64, outLen: 64 },
  { name: 'redirect(5, 0)', src: 'r1 = 5\nr2 = 0\ncall 23\nexit', retval: 4, outLen: 64 },
  { name: 'redirect(5, 1) (flags are invalid)', src: 'r1 = 5\nr2 = 1\ncall 23\nexit', retval: 0, outLen: 64 },
];

describe('XDP helpers and testRun (expected values from Linux 6.18)', () => {
  let dp: Datapath;
  beforeAll(async () => {
    dp = await Datapath.create();
  });

  it.each(CASES)('$name', async (c) => {
    for (const engine of ['jit', 'interp'] as const) {
      const prog = await dp.loadInsns(assemble(c.src), { engine });
      const r = prog.testRun({ data: frame });
      expect([r.retval | 0, r.data.length], engine).toEqual([c.retval, c.outLen]);
    }
  });

  it('grows the tail with zeroes and keeps the packet bytes', async () => {
    const r = (await dp.loadInsns(assemble('r2 = 4\ncall 65\nr0 = 2\nexit'))).testRun({ data: frame });
    expect(r.retval).toBe(2);
    expect(r.data).toEqual(Uint8Array.from([...frame, 0, 0, 0, 0]));
  });

  it('rejects data_in shorter than an Ethernet header or longer than the linear part + 17 fragments', async () => {
    const p = await dp.loadInsns(assemble('r0 = 2\nexit'));
    expect(() => p.testRun({ data: new Uint8Array(13) })).toThrow(/at least 14/);
    expect(() => p.testRun({ data: new Uint8Array(3520 + 17 * 4096 + 1) })).toThrow(/ENOMEM/);
    expect(p.testRun({ data: new Uint8Array(3520 + 17 * 4096) }).data.length).toBe(73152);
  });

  it('passes ctx_in fields through to xdp_md', async () => {
    const d = await Datapath.create();
    d.addDevice({ name: 'eth0', queues: 4 });
    d.addDevice({ name: 'eth1', queues: 4 });
    expect(d.device('eth1').ifindex).toBe(3);
    const p = await d.loadInsns(assemble('r2 = *(u32 *)(r1 + 12)\nr0 = *(u32 *)(r1 + 16)\nr0 <<= 8\nr0 |= r2\nexit'));
    expect(p.testRun({ data: frame, ctx: { ingressIfindex: 3, rxQueueIndex: 2 } }).retval).toBe(0x203);
    expect(() => p.testRun({ data: frame, ctx: { ingressIfindex: 3, rxQueueIndex: 4 } })).toThrow(/EINVAL/);
  });

  // xdp_convert_md_to_buff: 6.18.44, bpftool prog run … ctx_in with xdp-tools' xdpdump (found in the sw55
  // sweep; wxdp ran all of these): lo's queue 0 runs, its queue 1 is -EINVAL, ifindex 99 -ENODEV.
  it('checks ctx_in.ingress_ifindex and rx_queue_index against the device, as the kernel', async () => {
    const p = await dp.loadInsns(assemble('r0 = *(u32 *)(r1 + 12)\nexit'));
    expect(p.testRun({ data: frame, ctx: { ingressIfindex: 1, rxQueueIndex: 0 } }).retval).toBe(1);
    expect(() => p.testRun({ data: frame, ctx: { ingressIfindex: 1, rxQueueIndex: 1 } })).toThrow(/EINVAL/);
    expect(() => p.testRun({ data: frame, ctx: { ingressIfindex: 99 } })).toThrow(/ENODEV/);
  });

  it('reports the average duration over repeat runs', async () => {
    const r = (await dp.loadInsns(assemble('r0 = 1\nexit'))).testRun({ data: frame, repeat: 1000 });
    expect(r.duration).toBeGreaterThan(0);
    expect(r.retval).toBe(1);
  });
});

// Frames past 3520 bytes: the rest of the data goes to fragments of one page each (multi-buffer XDP).
// Probed on Linux 6.18 with a 9000-byte frame of bytes (i * 7) & 0xff: 3520 linear + 4096 + 1384.
const JUMBO = Uint8Array.from({ length: 9000 }, (_, i) => (i * 7) & 0xff);
const FRAG_CASES: Case[] = [
  { name: 'frags: xdp_get_buff_len', src: 'call 188\nexit', retval: 9000, outLen: 9000 },
  { name: 'frags: data_end - data is the linear part', src: 'r2 = *(u32 *)(r1 + 4)\nr0 = *(u32 *)(r1 + 0)\nr2 -= r0\nr0 = r2\nexit', retval: 3520, outLen: 9000 },
  // the last fragment (1384 bytes) has 2712 bytes of room in its page
  ...([[1, 0, 9001], [2712, 0, 11712], [2713, -22, 9000], [-100, 0, 8900], [-5480, 0, 3520], [-5600, 0, 3400], [-8986, 0, 14], [-8987, -22, 9000]] as const).map(([off, rv, len]) => ({
    name: `frags: adjust_tail(${off})`, src: `r2 = ${off}\ncall 65\nexit`, retval: rv, outLen: len,
  })),
  // xdp_load_bytes reads across the linear part and into the fragments: (i * 7) & 0xff at 5000.. and 3516..
  { name: 'frags: xdp_load_bytes at 5000', src: 'r2 = 5000\nr3 = r10\nr3 += -8\nr4 = 8\ncall 189\nr0 = *(u32 *)(r10 - 8)\nexit', retval: -842612808, outLen: 9000 },
  { name: 'frags: xdp_load_bytes at 3516 (straddles)', src: 'r2 = 3516\nr3 = r10\nr3 += -8\nr4 = 8\ncall 189\nr0 = *(u32 *)(r10 - 8)\nexit', retval: 959589156, outLen: 9000 },
  { name: 'frags: xdp_load_bytes past the end', src: 'r2 = 8996\nr3 = r10\nr3 += -8\nr4 = 8\ncall 189\nexit', retval: -22, outLen: 9000 },
];

describe('XDP fragments (frames past 3520 bytes; expected values from Linux 6.18)', () => {
  it.each(FRAG_CASES)('$name', async (c) => {
    const dp = await Datapath.create();
    for (const engine of ['jit', 'interp'] as const) {
      const r = (await dp.loadInsns(assemble(c.src), { engine })).testRun({ data: JUMBO });
      expect([r.retval | 0, r.data.length], engine).toEqual([c.retval, c.outLen]);
      if (c.outLen <= 9000) expect(Buffer.from(r.data).equals(Buffer.from(JUMBO.subarray(0, c.outLen)))).toBe(true);
    }
  });

  it('xdp_store_bytes writes across the linear part into the fragments', async () => {
    const dp = await Datapath.create();
    const q = await dp.loadInsns(assemble('r6 = r1\nr1 = 0x11223344\n*(u32 *)(r10 - 8) = r1\nr1 = r6\nr2 = 3518\nr3 = r10\nr3 += -8\nr4 = 4\ncall 190\nexit'));
    const r = q.testRun({ data: JUMBO });
    expect(r.retval).toBe(0);
    expect(Buffer.from(r.data.subarray(3518, 3522)).toString('hex')).toBe('44332211');
    expect(Buffer.from(r.data.subarray(3522)).equals(Buffer.from(JUMBO.subarray(3522)))).toBe(true);
  });
});

describe.skipIf(!kernel.ok)('the fragment cases, live in the kernel', () => {
  it.each(FRAG_CASES)('$name', (c) => {
    const kp = loadKernelInsns(assemble(c.src));
    try {
      const r = kp.run({ data: JUMBO });
      expect([r.retval | 0, r.data.length]).toEqual([c.retval, c.outLen]);
    } finally {
      kp.close();
    }
  });
});

// A case calling a helper this kernel refuses for XDP (tests/support/kernel_helpers.ts) is skipped by name.
const helperGap = (src: string): string | null => kernelInsnsHelperGap(assemble(src));
const liveCases = kernel.ok ? CASES.filter((c) => helperGap(c.src) === null) : CASES;
describe.skipIf(!kernel.ok)('the same XDP helper cases, live in the kernel', () => {
  for (const c of kernel.ok ? CASES : []) {
    const gap = helperGap(c.src);
    if (gap !== null) it.skip(`${c.name}: skipped: ${gap}`, () => {});
  }
  it.each(liveCases)('$name', (c) => {
    const kp = loadKernelInsns(assemble(c.src));
    try {
      const r = kp.run({ data: frame });
      expect([r.retval | 0, r.data.length]).toEqual([c.retval, c.outLen]);
    } finally {
      kp.close();
    }
  });
});
if (!kernel.ok) {
  describe('the same XDP helper cases, live in the kernel', () => {
    it.skip(`skipped: ${kernel.reason}`, () => {});
  });
}
