// `wxdp run` on captures as people have them (issue 13): map entries set before the replay and the
// maps read after it, each frame out with its own packet's timestamp, Linux cooked captures (v1, v2)
// and raw IP converted to Ethernet, other link types refused by name, a capture cut short replayed up
// to its last complete packet with a warning (tshark's behaviour), progress on request.
//
// Frames are the committed corpus; expected verdicts and data_out are the kernel's recordings
// (programs/expected/xdp_icmp_echo.json), so the cooked capture runs are checked against the kernel too.

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { readPcap, writePcap, writePcapng } from '../../src/pcap/index.js';
import { loadCorpus } from '../../scripts/program-suite.mjs';

const root = new URL('../../', import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), 'wxdp-runcap-'));
const corpus = loadCorpus(root) as Array<{ name: string; data: Uint8Array }>;
const prog = (name: string) => join(root, 'programs', name);
const expected = JSON.parse(readFileSync(join(root, 'programs/expected/xdp_icmp_echo.json'), 'utf8')) as { packets: { packet: string; retval: number; dataOut: string }[] };
const byName = new Map(expected.packets.map((p) => [p.packet, p]));
const want = corpus.map((p) => byName.get(p.name)!);
const ACTIONS = ['XDP_ABORTED', 'XDP_DROP', 'XDP_PASS', 'XDP_TX', 'XDP_REDIRECT'];

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

const file = (name: string, bytes: Uint8Array) => {
  const p = join(tmp, name);
  writeFileSync(p, bytes);
  return p;
};
/** 1 s + i ms apart: every packet its own time. */
const ts = (i: number) => 1_000_000_000n + BigInt(i) * 1_000_000n;
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** LINKTYPE_LINUX_SLL header (16 bytes) before the frame's network header: PACKET_HOST, ARPHRD_ETHER, the source MAC. */
function sll(frame: Uint8Array): Uint8Array {
  const h = new Uint8Array(16 + frame.length - 14);
  const v = new DataView(h.buffer);
  v.setUint16(0, 0); // PACKET_HOST
  v.setUint16(2, 1); // ARPHRD_ETHER
  v.setUint16(4, 6);
  h.set(frame.subarray(6, 12), 6);
  h.set(frame.subarray(12, 14), 14); // protocol = the EtherType
  h.set(frame.subarray(14), 16);
  return h;
}

/** LINKTYPE_LINUX_SLL2 header (20 bytes): protocol, reserved, ifindex, ARPHRD_ETHER, PACKET_HOST, address length, address. */
function sll2(frame: Uint8Array): Uint8Array {
  const h = new Uint8Array(20 + frame.length - 14);
  const v = new DataView(h.buffer);
  h.set(frame.subarray(12, 14), 0);
  v.setUint32(4, 2);
  v.setUint16(8, 1);
  h[10] = 0;
  h[11] = 6;
  h.set(frame.subarray(6, 12), 12);
  h.set(frame.subarray(14), 20);
  return h;
}

function outFrames(path: string): Array<{ iface: string; data: string; ts: bigint }> {
  const c = readPcap(readFileSync(path));
  return c.packets.map((p) => ({ iface: c.interfaces[p.interfaceId ?? 0]!.name!, data: hex(p.data), ts: p.timestampNs }));
}

describe('wxdp run: maps', () => {
  it('--map-update before the replay, --dump-maps after it: a firewall rule and its hit counter', async () => {
    // packet 01 goes to 198.51.100.1: three copies through 198.51.100.0/24 → rule 9 (drop), rule_hits[9] = 3
    const dns = corpus.find((p) => p.name.startsWith('ipv4-udp-dns'))!;
    const input = file('dns3.pcap', writePcap([0, 1, 2].map((i) => ({ data: dns.data, timestampNs: ts(i) }))));
    const r = await cli('run', prog('xdp_lpm_firewall.o'), '--in', input, '--map-update', 'block_v4', '24 0 0 0 198 51 100 0', 'hex 01 00 00 00 09 00 00 00', '--dump-maps', '--json');
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.verdicts.XDP_DROP).toBe(3);
    expect(j.maps.rule_hits).toContainEqual({ key: '09000000', value: '0300000000000000' });
    expect(j.maps.block_v4).toEqual([{ key: '18000000c6336400', value: '0100000009000000' }]);
    const t = await cli('run', prog('xdp_lpm_firewall.o'), '--in', input, '--map-update', 'block_v4', '24 0 0 0 198 51 100 0', 'hex 01 00 00 00 09 00 00 00', '--dump-maps');
    expect(t.out).toMatch(/^map rule_hits:\n( {2}\{.*\}\n)*? {2}\{"key":"09000000","value":"0300000000000000"\}$/m);
  });
});

describe('wxdp run: timestamps and link types', () => {
  const eth = file('corpus.pcap', writePcap(corpus.map((p, i) => ({ data: p.data, timestampNs: ts(i) }))));

  it('every frame out carries the timestamp of the packet it came from', async () => {
    const out = join(tmp, 'ts.pcapng');
    const r = await cli('run', prog('xdp_icmp_echo.o'), '--in', eth, '--out', out);
    expect(r.code, r.err).toBe(0);
    const frames = outFrames(out);
    const tx = want.flatMap((w, i) => (w.retval === 3 ? [{ iface: 'eth0 tx', data: w.dataOut, ts: ts(i) }] : []));
    const host = want.flatMap((w, i) => (w.retval === 2 ? [{ iface: 'eth0 host', data: w.dataOut, ts: ts(i) }] : []));
    expect(frames.filter((f) => f.iface === 'eth0 tx')).toEqual(tx);
    expect(frames.filter((f) => f.iface === 'eth0 host')).toEqual(host);
  });

  for (const [name, linktype, wrap, hdr] of [
    ['Linux cooked capture v1', 113, sll, 16],
    ['Linux cooked capture v2', 276, sll2, 20],
  ] as const) {
    it(`${name} becomes Ethernet: the kernel's verdicts and packets`, async () => {
      const input = file(`sll${linktype}.pcapng`, writePcapng(corpus.map((p, i) => ({ data: wrap(p.data), timestampNs: ts(i) })), { interfaces: [{ linktype }] }));
      expect(readPcap(readFileSync(input)).packets[0]!.data.length).toBe(corpus[0]!.data.length - 14 + hdr);
      const out = join(tmp, `sll${linktype}.out.pcapng`);
      const r = await cli('run', prog('xdp_icmp_echo.o'), '--in', input, '--out', out, '--json');
      expect(r.code, r.err).toBe(0);
      const j = JSON.parse(r.out);
      for (const [i, a] of ACTIONS.entries()) expect(j.verdicts[a], a).toBe(want.filter((w) => w.retval === i).length);
      // the Ethernet header is rebuilt (destination: eth0's MAC), so compare from the network header on
      const tx = outFrames(out).filter((f) => f.iface === 'eth0 tx').map((f) => f.data.slice(28));
      expect(tx).toEqual(want.filter((w) => w.retval === 3).map((w) => w.dataOut.slice(28)));
    });
  }

  it('a classic pcap of LINKTYPE_LINUX_SLL is converted as well', async () => {
    const input = file('sll.pcap', writePcap(corpus.map((p, i) => ({ data: sll(p.data), timestampNs: ts(i) })), { linktype: 113 }));
    const r = await cli('run', prog('xdp_icmp_echo.o'), '--in', input, '--json');
    expect(JSON.parse(r.out).verdicts.XDP_TX).toBe(want.filter((w) => w.retval === 3).length);
  });

  it('other link types are refused by name before the replay', async () => {
    const input = file('wifi.pcap', writePcap([{ data: new Uint8Array(40) }], { linktype: 105 }));
    // sk_lookup_leak.o is refused at load: the link type is named first
    const r = await cli('run', prog('sk_lookup_leak.o'), '--in', input);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^wxdp run: LINKTYPE_IEEE802_11 \(Wi-Fi\) cannot be replayed/);
  });
});

describe('wxdp run: a capture cut short', () => {
  it('keeps the complete packets and warns, as tshark does', async () => {
    const whole = writePcap(corpus.slice(0, 5).map((p, i) => ({ data: p.data, timestampNs: ts(i) })));
    const cut = file('cut.pcap', whole.subarray(0, whole.length - 3));
    const r = await cli('run', prog('xdp_pass_drop.o'), '--in', cut, '--json');
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out).packets).toBe(4);
    expect(r.err).toMatch(/^wxdp run: warning: .*cut\.pcap appears to have been cut short in the middle of a packet \(pcap: byte offset \d+: packet data truncated .*\); replaying the 4 complete packets\n$/);
    // pcapng: the last block runs past the end of the file
    const ng = writePcapng(corpus.slice(0, 5).map((p, i) => ({ data: p.data, timestampNs: ts(i) })));
    const r2 = await cli('run', prog('xdp_pass_drop.o'), '--in', file('cut.pcapng', ng.subarray(0, ng.length - 1)), '--json');
    expect(JSON.parse(r2.out).packets).toBe(4);
    expect(JSON.parse(r2.out).truncated.message).toMatch(/runs past the end of the file/);
    // the reader alone still refuses it unless asked
    expect(() => readPcap(whole.subarray(0, whole.length - 3))).toThrow(/packet data truncated/);
  });
});

describe('wxdp run: progress', () => {
  it('--progress writes it on stderr; --json never does', async () => {
    const input = file('p.pcap', writePcap(corpus.map((p, i) => ({ data: p.data, timestampNs: ts(i) }))));
    const r = await cli('run', prog('xdp_pass_drop.o'), '--in', input, '--progress');
    expect(r.err).toMatch(new RegExp(`\\r.*p\\.pcap: ${corpus.length}/${corpus.length} packets 100% [0-9.]+s\\n$`));
    const j = await cli('run', prog('xdp_pass_drop.o'), '--in', input, '--progress', '--json');
    expect(j.err).toBe('');
  });
});
