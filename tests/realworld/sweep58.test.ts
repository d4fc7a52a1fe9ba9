// The sw58 sweep's objects (programs/realworld/sweep58/, built from Linux mainline's BPF selftests; see
// programs/realworld/README.md and tests/realworld/sweep58.md) held to what Linux answered for them
// (fixtures/sweep58.json, written by `node scripts/record-realworld.mjs 58` on the machine's kernel): each
// object loads or is refused as there, the verifier processes as many instructions per XDP program, and every
// XDP program gives the same return value and data_out (sha256) on every corpus frame, in order on one load;
// a program the kernel will not test-run (xdp/cpumap: EINVAL) is not run by wxdp either.
//
// The refusals, as the kernel words them (bpftool -d prog loadall, 6.18.44-fc-v1300):
//   test_xdp_dynptr   EPERM  "bpf_dynptr_slice_rdwr() is not allowed" (insn 144, after 99 insns)
//   xdp_metadata      EINVAL "metadata kfuncs require device-bound program" (and xdp_hw_metadata)
// and the one object the two treat differently on purpose: xdp_flowtable calls bpf_xdp_flow_lookup, which
// this kernel lacks (no nf_flow_table module: libbpf "extern (func ksym) 'bpf_xdp_flow_lookup': not found in
// kernel or module BTFs"); wxdp has it, as mainline does (tests/nf/xdp_flow_lookup.test.ts).
//
// Then mainline's xdp_synproxy_kern.c through a whole handshake: a SYN to an allowed port is answered with
// a SYNACK equal to the kernel's but for the cookie (the kernel's syncookie secret is its own), the TCP
// checksum and the timestamp's clock bits; the ACK carrying that cookie is passed, one with a flipped cookie
// bit dropped, as the kernel does with its own cookie.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Datapath } from '../../src/control/datapath.js';
import { VerifierError } from '../../src/errors.js';
import { kernelAvailability } from '../../src/oracle/kernel.js';
import { fileDigest, loadCorpus } from '../../scripts/program-suite.mjs';
import { inetChecksum } from '../support/frames.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const corpus = loadCorpus(ROOT);
interface Run { frame: string; retval?: number; data?: string; error?: string }
interface Rec { object: string; sha256: string; type?: string; processed: Record<string, number>; refused?: number; runs?: Record<string, Run[]> }
const fixture = JSON.parse(readFileSync(join(ROOT, 'tests/realworld/fixtures/sweep58.json'), 'utf8')) as { kernel: string; objects: Record<string, Rec> };
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
/** The kernel's refusals: errno and the message its log ends with. */
const REFUSED: Record<string, { errno: string; msg: string }> = {
  test_xdp_dynptr: { errno: 'EPERM', msg: 'bpf_dynptr_slice_rdwr() is not allowed' },
  xdp_metadata: { errno: 'EINVAL', msg: 'metadata kfuncs require device-bound program' },
  xdp_hw_metadata: { errno: 'EINVAL', msg: 'metadata kfuncs require device-bound program' },
};
const ERRNO: Record<number, string> = { 1: 'EPERM', 13: 'EACCES', 22: 'EINVAL' };

describe(`the sw58 objects as Linux ${fixture.kernel} answered them`, () => {
  for (const [name, rec] of Object.entries(fixture.objects)) {
    it(`${name}: verdict, processed instructions, every XDP program on the corpus`, async () => {
      const path = join(ROOT, rec.object);
      expect(fileDigest(path), 'the object the fixture was recorded from').toBe(rec.sha256);
      const dp = await Datapath.create();
      try {
        const got = await dp.loadObject(path, rec.type ? { programType: rec.type } : {}).then((o) => o, (e: unknown) => e);
        if (name === 'xdp_flowtable') {
          expect(rec.refused, 'libbpf: bpf_xdp_flow_lookup not in this kernel').toBe(-1);
          expect(got).not.toBeInstanceOf(Error);
          return;
        }
        if (rec.refused !== undefined) {
          expect(got).toBeInstanceOf(VerifierError);
          const v = got as VerifierError;
          expect([v.errno, v.message.includes(REFUSED[name]!.msg)]).toEqual([ERRNO[rec.refused], true]);
          expect(ERRNO[rec.refused]).toBe(REFUSED[name]!.errno);
          return;
        }
        if (got instanceof Error) throw got;
        const obj = got as Awaited<ReturnType<Datapath['loadObject']>>;
        for (const [prog, runs] of Object.entries(rec.runs!)) {
          const p = obj.program(prog);
          expect(p.verifierStats?.insnsProcessed, `${prog} processed`).toBe(rec.processed[prog]);
          const out = corpus.map((f) => {
            try {
              const r = p.testRun({ data: f.data });
              return { frame: f.name, retval: r.retval, data: sha(r.data) };
            } catch {
              return { frame: f.name, error: 'refused' };
            }
          });
          expect(out, prog).toEqual(runs.map((r) => (r.error ? { frame: r.frame, error: 'refused' } : r)));
        }
      } finally {
        await dp.close();
      }
    });
  }
});

const SYNPROXY = join(ROOT, 'programs/realworld/sweep58/xdp_synproxy_kern.o');
const XDP_DROP = 1;
const XDP_PASS = 2;
const XDP_TX = 3;
const SYN = Buffer.from(corpus.find((f) => f.name === 'ipv4-tcp-syn-vip80')!.data); // 192.0.2.1:43210 → 10.0.0.100:80, MSS, SACK, TS, wscale
/** allowed_ports[0] = 80: the ports the program answers SYNs on. */
const PORT80: [Uint8Array, Uint8Array] = [new Uint8Array(4), Uint8Array.of(80, 0)];
/**
 * The kernel's SYNACK for SYN (bpftool prog run on 6.18.44-fc-v1300): addresses and ports swapped, ack = isn + 1,
 * MSS 1460, SACK-permitted + timestamps (tsecr = the SYN's tsval 0x1234), window scale 7, TTL 64, DF, IP id 0.
 */
const KERNEL_SYNACK = '02000000000102000000000208004500003c0000400040066e570a000064c00002010050a8ca09d5a17211223345a012000080ec0000020405b40402080a014a4e570000123401030307';
/** What differs run to run: the cookie (seq, 38..41), the TCP checksum (50, 51), tsval's clock bits (62..65, but its low 6 bits: wscale | SACK). */
const masked = (b: Uint8Array): string => {
  const m = Buffer.from(b);
  m.fill(0, 38, 42).fill(0, 50, 52).fill(0, 62, 65);
  m[65]! &= 0x3f;
  return m.toString('hex');
};
/** The client's ACK to `synack`: seq isn + 1, ack = cookie + 1, its timestamp echoing the SYNACK's. */
function ackFor(synack: Buffer, flip = 0): Buffer {
  const f = Buffer.alloc(66);
  synack.copy(f, 0, 6, 12);
  synack.copy(f, 6, 0, 6);
  f.writeUInt16BE(0x0800, 12);
  synack.copy(f, 14, 14, 34);
  synack.copy(f, 26, 30, 34);
  synack.copy(f, 30, 26, 30);
  f.writeUInt16BE(52, 16);
  f.writeUInt16BE(0, 24);
  f.writeUInt16BE(inetChecksum(f.subarray(14, 34)), 24);
  const t = f.subarray(34);
  synack.copy(t, 0, 36, 38);
  synack.copy(t, 2, 34, 36);
  t.writeUInt32BE(synack.readUInt32BE(42), 4);
  t.writeUInt32BE(((synack.readUInt32BE(38) + 1) ^ flip) >>> 0, 8);
  t[12] = 0x80;
  t[13] = 0x10;
  t.writeUInt16BE(502, 14);
  t.set([1, 1, 8, 10], 20);
  t.writeUInt32BE(0x1234, 24);
  synack.copy(t, 28, 62, 66);
  t.writeUInt16BE(inetChecksum(f.subarray(26, 34), Uint8Array.of(0, 6, 0, 32), t), 16);
  return f;
}

describe('mainline xdp_synproxy_kern.c: a SYN cookie handshake', () => {
  for (const engine of ['jit', 'interp'] as const) {
    it(`${engine}: the kernel's SYNACK but for cookie and clock; its ACK passed, a forged one dropped`, async () => {
      const dp = await Datapath.create();
      try {
        const obj = await dp.loadObject(SYNPROXY, { engine });
        obj.maps.get('allowed_ports')!.update(...PORT80);
        const p = obj.program('syncookie_xdp');
        const synack = p.testRun({ data: SYN });
        expect([synack.retval, masked(synack.data)]).toEqual([XDP_TX, masked(Buffer.from(KERNEL_SYNACK, 'hex'))]);
        const sa = Buffer.from(synack.data);
        expect(p.testRun({ data: ackFor(sa) }).retval).toBe(XDP_PASS);
        expect(p.testRun({ data: ackFor(sa, 0x100) }).retval).toBe(XDP_DROP);
        // a port not allowed: the SYN is dropped
        obj.maps.get('allowed_ports')!.update(PORT80[0], Uint8Array.of(81, 0));
        expect(p.testRun({ data: SYN }).retval).toBe(XDP_DROP);
      } finally {
        await dp.close();
      }
    });
  }

  const avail = kernelAvailability();
  it.skipIf(!avail.ok)(`the kernel: the same handshake with its own cookie${avail.ok ? '' : ` (skipped: ${avail.reason})`}`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'wxdp-sw58-'));
    const pin = `/sys/fs/bpf/wxdp_sw58_${process.pid}`;
    const bpftool = (args: string[]) => spawnSync('bpftool', args, { encoding: 'utf8' });
    try {
      const load = bpftool(['prog', 'loadall', SYNPROXY, pin]);
      expect(load.status, load.stderr).toBe(0);
      expect(readdirSync(pin)).toContain('syncookie_xdp');
      const prog = join(pin, 'syncookie_xdp');
      const ids = (JSON.parse(bpftool(['-j', 'prog', 'show', 'pinned', prog]).stdout) as { map_ids: number[] }).map_ids;
      const ports = ids.find((id) => (JSON.parse(bpftool(['-j', 'map', 'show', 'id', String(id)]).stdout) as { name: string }).name === 'allowed_ports')!;
      const hexArgs = (b: Uint8Array): string[] => [...b].map((x) => x.toString(16).padStart(2, '0'));
      expect(bpftool(['map', 'update', 'id', String(ports), 'key', 'hex', ...hexArgs(PORT80[0]), 'value', 'hex', ...hexArgs(PORT80[1])]).status).toBe(0);
      const run = (data: Uint8Array): [number, Buffer] => {
        writeFileSync(join(dir, 'in'), data);
        const r = bpftool(['prog', 'run', 'pinned', prog, 'data_in', join(dir, 'in'), 'data_out', join(dir, 'out')]);
        return [Number(r.stdout.match(/Return value: (\d+)/)![1]), readFileSync(join(dir, 'out'))];
      };
      const [rv, sa] = run(SYN);
      expect([rv, masked(sa)]).toEqual([XDP_TX, masked(Buffer.from(KERNEL_SYNACK, 'hex'))]);
      expect(run(ackFor(sa))[0]).toBe(XDP_PASS);
      expect(run(ackFor(sa, 0x100))[0]).toBe(XDP_DROP);
    } finally {
      rmSync(pin, { recursive: true, force: true });
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
