// Real-world XDP objects (programs/realworld/, built from the Linux kernel's BPF selftests and samples and
// the xdp-tutorial; see its README.md) held to what Linux answered for them (fixtures/sweep56.json, written
// by scripts/record-realworld.mjs on the machine's kernel): each object loads or is refused as there, the
// verifier processes as many instructions per program, and every XDP program gives the same return value
// and data_out (sha256) on every corpus frame, in order on one load.
//
// Then what the sweep found missing: bpf_tcp_check_syncookie (100) and bpf_tcp_gen_syncookie (110), which
// the kernel lets XDP call (the selftests' test_tcp_check_syncookie_kern.c) and wxdp lacked, so the program
// was skipped. Both take a socket (ARG_PTR_TO_BTF_ID_SOCK_COMMON) and answer for a TCP listener only; wxdp
// has no TCP sockets, and a UDP one is -EINVAL in the kernel (6.18.44-fc-v1300, BPF_PROG_TEST_RUN with a
// UDP socket bound on loopback: -22, -22), as here.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Datapath } from '../../src/control/datapath.js';
import { VerifierError } from '../../src/errors.js';
import { kernelAvailability } from '../../src/oracle/kernel.js';
import { fileDigest, loadCorpus } from '../../scripts/program-suite.mjs';
import { SkEnv } from '../udp/sk_prog_support.js';
import { eth, ipv4, udp4 } from '../net/support.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const corpus = loadCorpus(ROOT);
interface Run { frame: string; retval?: number; data?: string; error?: string }
interface Rec { object: string; sha256: string; type?: string; processed: Record<string, number>; refused?: number; runs?: Record<string, Run[]> }
const fixture = JSON.parse(readFileSync(join(ROOT, 'tests/realworld/fixtures/sweep56.json'), 'utf8')) as { kernel: string; objects: Record<string, Rec> };
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

describe(`real-world objects as Linux ${fixture.kernel} answered them`, () => {
  for (const [name, rec] of Object.entries(fixture.objects)) {
    it(`${name}: verdict, processed instructions, every XDP program on the corpus`, async () => {
      const path = join(ROOT, rec.object);
      expect(fileDigest(path), 'the object the fixture was recorded from').toBe(rec.sha256);
      const dp = await Datapath.create();
      try {
        const obj = await dp.loadObject(path, rec.type ? { programType: rec.type } : {});
        expect(rec.refused).toBeUndefined();
        for (const [prog, n] of Object.entries(rec.processed)) {
          if (!rec.runs![prog]) continue; // a TC program of the object: wxdp skips it
          expect(obj.program(prog).verifierStats?.insnsProcessed, `${prog} processed`).toBe(n);
        }
        for (const [prog, runs] of Object.entries(rec.runs!)) {
          const p = obj.program(prog);
          const got = corpus.map((f) => {
            const r = p.testRun({ data: f.data });
            return { frame: f.name, retval: r.retval, data: sha(r.data) };
          });
          expect(got, prog).toEqual(runs);
        }
      } finally {
        await dp.close();
      }
    });
  }
});

const OBJ = join(ROOT, 'programs/xdp_sk_syncookie.o');
const NULL_OBJ = join(ROOT, 'programs/xdp_sk_syncookie_null.o');
const XDP_DROP = 1;
const XDP_PASS = 2;
const MAC = { dst: '02:00:00:00:00:01', src: '02:00:00:00:00:02' };
/** An IPv4 UDP frame of 64 bytes to dst:dport. */
const frame = (src: string, dst: string, dport: number): Uint8Array => {
  const f = eth({ ...MAC, type: 0x0800 }, ipv4({ src, dst, proto: 17 }, udp4(src, dst, 40000, dport, new Uint8Array(22))));
  expect(f.length).toBe(64);
  return f;
};
/** The helpers' two answers the program writes at 42 and 46. */
const answers = (d: Uint8Array): number[] => [0, 4].map((o) => new DataView(d.buffer, d.byteOffset + 42 + o, 4).getInt32(0, true));
const EINVAL = -22;

describe('bpf_tcp_check_syncookie / bpf_tcp_gen_syncookie from XDP', () => {
  for (const engine of ['jit', 'interp'] as const) {
    it(`${engine}: a UDP socket found by bpf_sk_lookup_udp is no TCP listener: -EINVAL from both; no socket: XDP_DROP`, async () => {
      const env = await SkEnv.create();
      try {
        env.sock({ addr: '192.0.2.1', port: 7007 });
        const prog = (await env.dp.loadObject(OBJ, { engine })).program('xdp_sk_syncookie');
        expect(prog.verifierStats!.insnsProcessed).toBe(64); // as 6.18.44-fc-v1300 counts it
        const hit = prog.testRun({ data: frame('203.0.113.5', '192.0.2.1', 7007) });
        expect([hit.retval, ...answers(hit.data)]).toEqual([XDP_PASS, EINVAL, EINVAL]);
        expect(prog.testRun({ data: frame('203.0.113.5', '192.0.2.1', 7006) }).retval).toBe(XDP_DROP);
      } finally {
        await env.dp.close();
      }
    });
  }

  it('a socket not NULL-checked is refused as the kernel refuses it (insn 29, EACCES)', async () => {
    const dp = await Datapath.create();
    try {
      const err = await dp.loadObject(NULL_OBJ).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(VerifierError);
      const v = err as VerifierError;
      expect([v.message.includes('insn 29: R1 type=sock_or_null expected=sock_common, sock, tcp_sock, xdp_sock, ptr_, trusted_ptr_'), v.errno]).toEqual([true, 'EACCES']);
    } finally {
      await dp.close();
    }
  });

  it('the selftests\' test_tcp_check_syncookie_kern.c XDP program loads (it was skipped: helper 110 missing)', async () => {
    const dp = await Datapath.create();
    try {
      const obj = await dp.loadObject(join(ROOT, 'programs/realworld/test_tcp_check_syncookie_kern.o'));
      expect(obj.program('check_syncookie_xdp').verifierStats!.insnsProcessed).toBe(327);
    } finally {
      await dp.close();
    }
  });

  const avail = kernelAvailability();
  it.skipIf(!avail.ok)(`the kernel: the same answers with a UDP socket on loopback, the same refusal${avail.ok ? '' : ` (skipped: ${avail.reason})`}`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wxdp-sw56-'));
    const pin = `/sys/fs/bpf/wxdp_sw56_${process.pid}`;
    const sock = createSocket('udp4');
    try {
      await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
      const port = sock.address().port;
      const load = spawnSync('bpftool', ['prog', 'load', OBJ, pin], { encoding: 'utf8' });
      expect(load.status, load.stderr).toBe(0);
      const run = (data: Uint8Array): [number, Uint8Array] => {
        writeFileSync(join(dir, 'in'), data);
        const r = spawnSync('bpftool', ['prog', 'run', 'pinned', pin, 'data_in', join(dir, 'in'), 'data_out', join(dir, 'out')], { encoding: 'utf8' });
        return [Number(r.stdout.match(/Return value: (\d+)/)![1]), readFileSync(join(dir, 'out'))];
      };
      const [rv, out] = run(frame('127.0.0.1', '127.0.0.1', port));
      expect([rv, ...answers(out)]).toEqual([XDP_PASS, EINVAL, EINVAL]);
      const refused = spawnSync('bpftool', ['prog', 'load', NULL_OBJ, `${pin}_null`], { encoding: 'utf8' });
      expect(refused.status).not.toBe(0);
      expect(refused.stderr).toContain('29: (85) call bpf_tcp_check_syncookie#100\nR1 type=sock_or_null expected=sock_common, sock, tcp_sock, xdp_sock, ptr_, trusted_ptr_');
      expect(refused.stderr).toContain('failed to load: -13');
    } finally {
      sock.close();
      rmSync(pin, { force: true });
      rmSync(`${pin}_null`, { force: true });
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
