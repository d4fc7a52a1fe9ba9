// bpf_sk_lookup_udp from an XDP program (programs/xdp_sk_lookup.o): the same socket set open in Linux
// (a namespace, xdp_sk_lookup_kernel.py: BPF_PROG_TEST_RUN of the same object on the same frames) and in
// wxdp, and each frame must find the same socket — or none — as the program sees it (struct bpf_sock's
// fields, recorded in its `found` map) with the same verdict; the netns id and flags the kernel refuses
// find nothing in both. Then the same by hand, with sockets made before and after the program was
// loaded (each gets its struct bpf_sock view) and a closed socket no longer found.

import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { stackUnready } from '../net/support.js';
import { eth, ipv4, ipv6, udp4 } from '../net/support.js';
import { useNamespaces } from '../support/netns.js';
import { be16 } from './support.js';
import { SkEnv, socketNamespace, u32le } from './sk_prog_support.js';
import { ipv6Bytes } from '../../src/control/addresses.js';
import { inetChecksum } from '../support/frames.js';

const SCRIPT = new URL('./xdp_sk_lookup_kernel.py', import.meta.url).pathname;
const ROOT = new URL('../../', import.meta.url).pathname;
const OBJ = `${ROOT}programs/xdp_sk_lookup.o`;

interface Sock {
  family?: 4 | 6;
  addr?: string;
  port: number;
  reuseport?: boolean;
  connect?: [string, number];
}
const SOCKETS: Sock[] = [
  { addr: '192.0.2.1', port: 7007 },
  { port: 7008 },
  { family: 6, port: 7009 },
  { family: 6, addr: '2001:db8:1::1', port: 7010 },
  { addr: '192.0.2.1', port: 7011, connect: ['192.0.2.5', 40000] },
  { addr: '192.0.2.1', port: 7012, reuseport: true },
  { addr: '192.0.2.1', port: 7012, reuseport: true },
  { family: 6, addr: '::ffff:192.0.2.1', port: 7013 },
];

const MAC = { dst: '02:00:00:00:00:01', src: '02:00:00:00:00:02' };
const v4 = (dport: number, src = '203.0.113.5', sport = 40000): Uint8Array =>
  eth({ ...MAC, type: 0x0800 }, ipv4({ src, dst: '192.0.2.1', proto: 17 }, udp4(src, '192.0.2.1', sport, dport, new Uint8Array(4))));
function udp6(src: string, dst: string, sport: number, dport: number, data: Uint8Array): Uint8Array {
  const len = 8 + data.length;
  const u = Uint8Array.from([...be16(sport), ...be16(dport), ...be16(len), 0, 0, ...data]);
  const ph = Uint8Array.from([...ipv6Bytes(src), ...ipv6Bytes(dst), 0, 0, ...be16(len), 0, 0, 0, 17]);
  const c = inetChecksum(ph, u) || 0xffff;
  u[6] = c >> 8;
  u[7] = c & 0xff;
  return u;
}
const v6 = (dport: number): Uint8Array =>
  eth({ ...MAC, type: 0x86dd }, ipv6({ src: '2001:db8:2::5', dst: '2001:db8:1::1', nh: 17 }, udp6('2001:db8:2::5', '2001:db8:1::1', 40000, dport, new Uint8Array(4))));

interface Case {
  name: string;
  frame: Uint8Array;
  netns_id?: number;
  flags?: number;
}
const CASES: Case[] = [
  { name: 'bound address and port', frame: v4(7007) },
  { name: 'the wildcard 0.0.0.0', frame: v4(7008) },
  { name: 'a dual-stack :: socket for IPv4', frame: v4(7009) },
  { name: 'no socket on the port', frame: v4(7006) },
  { name: 'a connected socket, its peer', frame: v4(7011, '192.0.2.5') },
  { name: 'a connected socket, another peer', frame: v4(7011, '192.0.2.6') },
  { name: 'a reuseport group (either member: the same fields)', frame: v4(7012) },
  { name: 'a socket bound to ::ffff:192.0.2.1', frame: v4(7013) },
  { name: 'IPv6: bound address', frame: v6(7010) },
  { name: 'IPv6: the dual-stack wildcard', frame: v6(7009) },
  { name: 'IPv6: an AF_INET socket is not a match', frame: v6(7008) },
  { name: 'netns id 5: another namespace (none)', frame: v4(7007), netns_id: 5 },
  { name: 'netns id 0x80000000: bit 31, the current namespace', frame: v4(7007), netns_id: 0x80000000 },
  { name: 'netns id with only high bits: the u32 0, another namespace', frame: v4(7007), netns_id: 2 ** 32 },
  { name: 'flags 1: refused, nothing found', frame: v4(7007), flags: 1 },
];

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const nsa = useNamespaces('xdpsklookup');
const unready = await stackUnready();

function kernel(ns: string): string[] {
  const spec = {
    dir: `/tmp/wx-xdpsklookup-bpffs-${process.pid}`,
    obj: OBJ,
    sockets: SOCKETS,
    cases: CASES.map((c) => ({ frame: hex(c.frame), netns_id: c.netns_id ?? 0xffffffff, flags: c.flags ?? 0 })),
  };
  const out = execFileSync('ip', ['netns', 'exec', ns, 'python3', SCRIPT], { input: JSON.stringify(spec), encoding: 'utf8', timeout: 30_000 });
  return (JSON.parse(out) as { results: string[] }).results;
}

const u64le = (v: number): Uint8Array => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(v));
  return b;
};

async function wxdp(): Promise<string[]> {
  const env = await SkEnv.create();
  const obj = await env.dp.loadObject(OBJ);
  // made after the program was loaded: their views are made as they are
  for (const s of SOCKETS) env.sock({ family: s.family === 6 ? 'inet6' : 'inet', addr: s.addr, port: s.port, reusePort: s.reuseport, connect: s.connect });
  const prog = obj.program('xdp_sk_lookup');
  return CASES.map((c) => {
    obj.map('config').update(u32le(0), Buffer.concat([u64le(c.netns_id ?? 0xffffffff), u64le(c.flags ?? 0)]));
    const r = prog.testRun({ data: c.frame });
    return `retval:${r.retval} found:${hex(obj.map('found').lookup(u32le(0))!)}`;
  });
}

describe.skipIf(unready !== '')('bpf_sk_lookup_udp from XDP', () => {
  it.skipIf(!nsa.available.ok)('finds the socket Linux finds, seen as Linux shows it (a namespace, BPF_PROG_TEST_RUN)', async () => {
    const k = kernel(socketNamespace(nsa));
    const w = await wxdp();
    expect(CASES.map((c, i) => `${c.name}: ${w[i]}`)).toEqual(CASES.map((c, i) => `${c.name}: ${k[i]}`));
  });

  it('finds sockets that existed before the program was loaded; a closed one is gone; each answer by hand', async () => {
    const env = await SkEnv.create();
    const a = env.sock({ addr: '192.0.2.1', port: 7007 });
    const obj = await env.dp.loadObject(OBJ);
    const b = env.sock({ family: 'inet6', addr: '2001:db8:1::1', port: 7010 });
    const prog = obj.program('xdp_sk_lookup');
    obj.map('config').update(u32le(0), Buffer.concat([u64le(0xffffffff), u64le(0)]));
    const seen = (): DataView => {
      const v = obj.map('found').lookup(u32le(0))!;
      return new DataView(v.buffer, v.byteOffset, v.byteLength);
    };
    expect(prog.testRun({ data: v4(7007) }).retval).toBe(1); // XDP_DROP: found
    // struct bpf_sock: family AF_INET, type SOCK_DGRAM, protocol UDP, src_ip4 192.0.2.1, src_port 7007 (host order)
    expect([2, 3, 4, 6, 7].map((w) => seen().getUint32(w * 4, true))).toEqual([2, 2, 17, 0x010200c0, 7007]);
    expect(prog.testRun({ data: v6(7010) }).retval).toBe(1);
    expect([2, 7].map((w) => seen().getUint32(w * 4, true))).toEqual([10, 7010]);
    expect(prog.testRun({ data: v4(7010) }).retval).toBe(2); // an IPv6-only-address socket: not for IPv4
    env.t.close(a);
    expect(prog.testRun({ data: v4(7007) }).retval).toBe(2);
    expect([0, 1].map((w) => seen().getUint32(w * 4, true))).toEqual([4, 2]); // lookups, hits
    env.t.close(b);
  });
});
