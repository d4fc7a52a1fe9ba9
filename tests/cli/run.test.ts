// `wxdp run`: a capture replayed through a device running the program. The verdicts and the frames
// written out are checked against what the kernel returned for the same object and packets
// (programs/expected/*.json): XDP_TX frames come out on `eth0 tx` as the kernel's data_out, XDP_PASS
// frames on `eth0 host`, in capture order.

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { readPcap, writePcap } from '../../src/pcap/index.js';
import { loadCorpus } from '../../scripts/program-suite.mjs';

const root = new URL('../../', import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), 'wxdp-run-'));
const corpus = loadCorpus(root);

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

const ACTIONS = ['XDP_ABORTED', 'XDP_DROP', 'XDP_PASS', 'XDP_TX', 'XDP_REDIRECT'];

describe('wxdp run', () => {
  const input = join(tmp, 'corpus.pcap');
  writeFileSync(input, writePcap(corpus.map((p, i) => ({ data: p.data, timestampNs: BigInt(i) * 1000n }))));

  it('replays a capture through xdp_icmp_echo: verdicts and output frames as the kernel gives them', async () => {
    const out = join(tmp, 'echo.pcapng');
    const r = await cli('run', join(root, 'programs/xdp_icmp_echo.o'), '--in', input, '--out', out, '--json');
    expect(r.code, r.err).toBe(0);
    const summary = JSON.parse(r.out);
    const expected = JSON.parse(readFileSync(join(root, 'programs/expected/xdp_icmp_echo.json'), 'utf8')) as {
      packets: { packet: string; retval: number; dataOut: string }[];
    };
    const byName = new Map(expected.packets.map((p) => [p.packet, p]));
    const want = corpus.map((p) => byName.get(p.name)!);
    const count = (rv: number) => want.filter((w) => w.retval === rv).length;
    expect(summary.packets).toBe(corpus.length);
    for (const [i, a] of ACTIONS.entries()) expect(summary.verdicts[a], a).toBe(count(i));
    const written = readPcap(readFileSync(out));
    const names = written.interfaces.map((i) => i.name);
    const tx = written.packets.filter((p) => names[p.interfaceId ?? 0] === 'eth0 tx').map((p) => Buffer.from(p.data).toString('hex'));
    const host = written.packets.filter((p) => names[p.interfaceId ?? 0] === 'eth0 host').map((p) => Buffer.from(p.data).toString('hex'));
    expect(tx).toEqual(want.filter((w) => w.retval === 3).map((w) => w.dataOut));
    expect(host).toEqual(want.filter((w) => w.retval === 2).map((w) => w.dataOut));
  });

  it('attaches the object\'s tracepoint programs for the replay (their counts in --dump-maps); one the kernel would refuse is a note', async () => {
    // programs/xdp_tp_classic: xdp_act (cfg 0: XDP_ABORTED) comes after no tracepoint program here, but
    // is found as the object's XDP program either way; every frame raises xdp_exception
    const r = await cli('run', join(root, 'programs/xdp_tp_classic.o'), '--in', input, '--dump-maps', '--json');
    expect(r.code, r.err).toBe(0);
    const summary = JSON.parse(r.out);
    expect(summary.program).toBe('xdp_act');
    expect(summary.tracepoints.attached).toEqual(['tp_exception', 'raw_exception', 'tp_redirect_err']);
    expect(Object.keys(summary.tracepoints.refused)).toEqual(['tp_past_record', 'raw_past_args', 'tp_gone']);
    expect(summary.tracepoints.refused.tp_gone).toMatch(/\(ENOENT\)$/);
    const counts = summary.maps.counts as { key: string; value: string }[];
    const n = corpus.length;
    // counts[0]: xdp_exception by action ABORTED (the record), counts[8]: by raw_tp
    const at = (k: number) => counts.find((e) => Number(Buffer.from(e.key.replace(/ /g, ''), 'hex').readUInt32LE(0)) === k);
    expect(summary.verdicts.XDP_ABORTED).toBe(n);
    expect(at(0)?.value).toBe(Buffer.from(new BigUint64Array([BigInt(n)]).buffer).toString('hex'));
    expect(at(8)?.value).toBe(Buffer.from(new BigUint64Array([BigInt(n)]).buffer).toString('hex'));
    const text = await cli('run', join(root, 'programs/xdp_tp_classic.o'), '--in', input);
    expect(text.err).toMatch(/^wxdp run: note: program tp_gone \(section tracepoint\/xdp\/xdp_redirect_map\) not attached: no tracepoint xdp:xdp_redirect_map/m);
    expect(text.out).toMatch(/^tracepoint programs: tp_exception, raw_exception, tp_redirect_err$/m);
  });

  it('prints a summary, and refuses bad arguments with exit 2', async () => {
    const r = await cli('run', join(root, 'programs/xdp_pass_drop.o'), 'name', 'xdp_drop', '--in', input);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(new RegExp(`^xdp_drop: ${corpus.length} packets from `, 'm'));
    expect(r.out).toMatch(new RegExp(`^verdicts: XDP_DROP ${corpus.length}$`, 'm'));
    expect((await cli('run', join(root, 'programs/xdp_pass_drop.o'))).code).toBe(2);
    expect((await cli('run', join(root, 'programs/xdp_pass_drop.o'), '--in', join(tmp, 'missing.pcap'))).err).toMatch(/cannot read/);
    expect((await cli('run', join(root, 'programs/xdp_pass_drop.o'), '--in', input, '--devices', '0')).code).toBe(2);
  });

  it('names the byte offset of a malformed capture', async () => {
    const bad = join(tmp, 'bad.pcap');
    writeFileSync(bad, Uint8Array.of(0xd4, 0xc3, 0xb2, 0xa1, 2, 0));
    const r = await cli('run', join(root, 'programs/xdp_pass_drop.o'), '--in', bad);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/offset|byte/);
  });
});
