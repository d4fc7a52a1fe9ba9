// Frame bytes from the fragments through bpf_perf_event_output, as katran's introspection reports a
// frame too big for its MTU (REPORT_PACKET_TOOBIG, built with KATRAN_XDP_HAS_FRAGS) and xdpdump
// captures jumbo frames. programs/xdp_perf_frags.o (an xdp.frags program) asks for cfg[0] frame bytes
// after the 4-byte frame length; past 3520 bytes the test run puts the frame's rest in fragments of a
// page each, and bpf_xdp_event_output copies with bpf_xdp_copy, which walks the linear part and then
// the fragments. The raw sample is padded so that 4 + size is a multiple of 8
// (perf_sample_save_raw_data). Asking for more bytes than xdp_get_buff_len is -EFAULT and no sample.
//
// The expectations in fixtures/perf_frags.json are the kernel's (6.18, `bpftool prog run` pinned to
// CPU 0 with `bpftool map event_pipe` reading, one load per case): the program's verdict, the helper's
// return value, data_out's sha256 and each sample's CPU, size, first bytes and sha256. This is one of
// the comparisons of real-world objects with populated maps (katran, xdp-filter, xdp_forward), which
// found wxdp equal to the kernel; their objects are not ours to commit, so this program reproduces the
// part of katran's path no other recording covered: sample bytes taken from the fragments.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Datapath } from '../../src/control/datapath.js';
import { PerfBuffer } from '../../src/maps/index.js';
import { haveWasm } from '../maps/support.js';

interface Sample { cpu: number; size: number; head: string; sha256: string }
interface Case { frame: number; bytes: number; retval: number; result: number; dataOutSha256: string; samples: Sample[] }
const rec = JSON.parse(readFileSync(new URL('./fixtures/perf_frags.json', import.meta.url), 'utf8')) as { objectSha256: string; cases: Case[] };

const OBJ = 'programs/xdp_perf_frags.o';
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
/** The recorded frames: byte i is (i * 7 + 3) & 0xff. */
const frame = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 7 + 3) & 0xff);

describe.skipIf(!haveWasm)('perf samples with frame bytes from the fragments (recorded from Linux 6.18)', () => {
  it('the object is the one the kernel ran', () => {
    expect(sha256(readFileSync(OBJ))).toBe(rec.objectSha256);
  });

  for (const engine of ['jit', 'interp'] as const) {
    it(`${engine}: verdict, return value, data_out and samples as the kernel's`, async () => {
      const dp = await Datapath.create();
      const obj = await dp.loadObject(OBJ, { engine });
      const prog = obj.program('xdp_perf_frags');
      const got: Sample[] = [];
      const pb = new PerfBuffer(obj.map('frag_events'), {
        onSample: (cpu, d) => got.push({ cpu, size: d.length, head: Buffer.from(d.subarray(0, 12)).toString('hex'), sha256: sha256(d) }),
      });
      const key = new Uint8Array(4);
      for (const c of rec.cases) {
        const n = new Uint8Array(8);
        new DataView(n.buffer).setBigUint64(0, BigInt(c.bytes), true);
        obj.map('cfg').update(key, n);
        got.length = 0;
        const r = prog.testRun({ data: frame(c.frame) });
        pb.consume();
        const result = new DataView(obj.map('results').lookup(key)!.buffer).getBigInt64(0, true);
        expect({ retval: r.retval, result: Number(result), dataOut: sha256(r.data), samples: got }, `${c.frame}-byte frame, ${c.bytes} bytes asked`)
          .toEqual({ retval: c.retval, result: c.result, dataOut: c.dataOutSha256, samples: c.samples });
      }
      await dp.close();
    });
  }
});
