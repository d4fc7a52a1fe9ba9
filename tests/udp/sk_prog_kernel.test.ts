// The same socket programs steering the same datagrams in Linux and in wxdp: a namespace of the test's
// own (wx-skprog-…, loopback with 192.0.2.1 and 192.0.2.77) where Python binds the sockets, puts them
// in the programs' maps, attaches programs/sk_lookup.o's programs to the namespace (BPF_LINK_CREATE,
// BPF_SK_LOOKUP) or programs/sk_reuseport.o's to a reuseport group (SO_ATTACH_REUSEPORT_EBPF), and
// reports which socket each datagram reached (sk_prog_kernel.py); wxdp gets the same sockets,
// programs and datagrams through its receive path. Each scenario must give the same receivers.

import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ipv6Bytes } from '../../src/control/addresses.js';
import { concat, eth, inetChecksum, ipv4, ipv6, stackUnready, udp4 } from '../net/support.js';
import { useNamespaces } from '../support/netns.js';
import type { BpfObject } from '../../src/control/datapath.js';
import { H_MAC, R_MAC, SkEnv, socketNamespace, u32le, u64le } from './sk_prog_support.js';

const SCRIPT = new URL('./sk_prog_kernel.py', import.meta.url).pathname;
const ROOT = new URL('../../', import.meta.url).pathname;

interface Scenario {
  name: string;
  sockets: Array<{ addr?: string; port: number; reuseport?: boolean; family?: 4 | 6; v6only?: boolean }>;
  redir_map?: Record<number, number>;
  lookup_progs?: string[];
  reuseport_array?: Record<number, number>;
  reuseport_prog?: string;
  reuseport_attach?: number;
  send: Array<{ dst: string; dport: number; sport?: number; payload: number[] }>;
  /** The reuseport program's `seen` after the datagrams (hash masked: the kernel's secret is random). */
  dump?: 'seen';
}

const TWO = [{ addr: '192.0.2.1', port: 7007 }, { port: 8008 }];
const SCENARIOS: Scenario[] = [
  { name: 'no program: the bound socket', sockets: TWO, send: [{ dst: '192.0.2.1', dport: 7007, payload: [1] }] },
  {
    name: 'redir_port: 7007 to the socket bound to 8008',
    sockets: TWO,
    redir_map: { 0: 1 },
    lookup_progs: ['redir_port'],
    send: [{ dst: '192.0.2.1', dport: 7007, payload: [1] }, { dst: '192.0.2.1', dport: 8008, payload: [2] }, { dst: '192.0.2.1', dport: 9, payload: [3] }],
  },
  {
    name: 'redir_ip4: 192.0.2.77 to server A, any port',
    sockets: [{ port: 8008 }, { addr: '192.0.2.77', port: 5 }],
    redir_map: { 0: 0 },
    lookup_progs: ['redir_ip4'],
    send: [{ dst: '192.0.2.77', dport: 5, payload: [1] }, { dst: '192.0.2.77', dport: 6, payload: [2] }],
  },
  { name: 'lookup_drop: nobody', sockets: TWO, lookup_progs: ['lookup_drop'], send: [{ dst: '192.0.2.1', dport: 7007, payload: [1] }] },
  {
    name: 'lookup_drop then redir_port: a choice beats a drop',
    sockets: TWO,
    redir_map: { 0: 1 },
    lookup_progs: ['lookup_drop', 'redir_port'],
    send: [{ dst: '192.0.2.1', dport: 7007, payload: [1] }, { dst: '192.0.2.1', dport: 8008, payload: [2] }],
  },
  {
    name: 'redir_port then unassign: the last non-NULL choice stands',
    sockets: TWO,
    redir_map: { 0: 1 },
    lookup_progs: ['redir_port', 'unassign'],
    send: [{ dst: '192.0.2.1', dport: 7007, payload: [1] }],
  },
  {
    name: 'replace_with_b then redir_port: EEXIST drops, B stays',
    sockets: [{ addr: '192.0.2.1', port: 7007 }, { port: 8008 }, { port: 8009 }],
    redir_map: { 0: 1, 1: 2 },
    lookup_progs: ['replace_with_b', 'redir_port'],
    send: [{ dst: '192.0.2.1', dport: 7007, payload: [1] }],
  },
  {
    name: 'IPv6 datagram steered to an IPv4 socket: EAFNOSUPPORT, the program drops',
    sockets: [{ family: 6, addr: '2001:db8:1::1', port: 7007 }, { port: 8008 }],
    redir_map: { 0: 1 },
    lookup_progs: ['redir_port'],
    send: [{ dst: '2001:db8:1::1', dport: 7007, payload: [1] }],
  },
  {
    name: 'IPv6 and IPv4 datagrams steered to a dual-stack IPv6 socket',
    sockets: [{ family: 6, addr: '2001:db8:1::1', port: 7007 }, { family: 6, port: 8008 }, { addr: '192.0.2.1', port: 7007 }],
    redir_map: { 0: 1 },
    lookup_progs: ['redir_port'],
    send: [{ dst: '2001:db8:1::1', dport: 7007, payload: [1] }, { dst: '192.0.2.1', dport: 7007, payload: [2] }],
  },
  {
    name: 'IPv4 datagram steered to an IPV6_V6ONLY socket: EAFNOSUPPORT, the program drops',
    sockets: [{ addr: '192.0.2.1', port: 7007 }, { family: 6, port: 8008, v6only: true }],
    redir_map: { 0: 1 },
    lookup_progs: ['redir_port'],
    send: [{ dst: '192.0.2.1', dport: 7007, payload: [1] }, { dst: '2001:db8:1::1', dport: 7007, payload: [2] }],
  },
  {
    name: 'sk_reuseport: the member the payload names, 0xff refused',
    sockets: [{ port: 9000, reuseport: true }, { port: 9000, reuseport: true }, { port: 9000, reuseport: true }],
    reuseport_array: { 0: 0, 1: 1, 2: 2 },
    reuseport_prog: 'select_by_payload',
    reuseport_attach: 1,
    send: [2, 0, 1, 2, 0xff, 3].map((k, i) => ({ dst: '192.0.2.1', dport: 9000, sport: 41000 + i, payload: [k, 9] })),
    dump: 'seen',
  },
  {
    name: 'sk_reuseport over IPv6, the group bound to one address: the context as the kernel fills it',
    sockets: [0, 1].map(() => ({ family: 6 as const, addr: '2001:db8:1::1', port: 9001, reuseport: true, v6only: true })),
    reuseport_array: { 0: 0, 1: 1 },
    reuseport_prog: 'select_by_payload',
    reuseport_attach: 0,
    send: [1, 0, 1].map((k, i) => ({ dst: '2001:db8:1::1', dport: 9001, sport: 42000 + i, payload: [k, 1, 2, 3, 4, 5] })),
    dump: 'seen',
  },
  {
    name: 'sk_reuseport with bpf_skb_load_bytes and bpf_get_socket_cookie; an empty datagram: EFAULT, refused',
    sockets: [{ port: 9002, reuseport: true }, { port: 9002, reuseport: true }],
    reuseport_array: { 0: 0, 1: 1 },
    reuseport_prog: 'select_by_load_bytes',
    reuseport_attach: 1,
    send: [
      ...[1, 0, 1].map((k, i) => ({ dst: '192.0.2.1', dport: 9002, sport: 43000 + i, payload: [k] })),
      { dst: '192.0.2.1', dport: 9002, sport: 43009, payload: [] },
    ],
    dump: 'seen',
  },
];

/** A UDP header and payload over IPv6, with the RFC 8200 8.1 checksum. */
function udp6(src: string, dst: string, sport: number, dport: number, data: Uint8Array): Uint8Array {
  const len = 8 + data.length;
  const u = concat(Uint8Array.from([sport >> 8, sport & 0xff, dport >> 8, dport & 0xff, len >> 8, len & 0xff, 0, 0]), data);
  const ph = concat(ipv6Bytes(src), ipv6Bytes(dst), Uint8Array.from([0, 0, len >> 8, len & 0xff, 0, 0, 0, 17]));
  const c = inetChecksum(ph, u) || 0xffff;
  u[6] = c >> 8;
  u[7] = c & 0xff;
  return u;
}

const nsa = useNamespaces('skprog');
const unready = await stackUnready();

interface Outcome {
  received: Array<number | null>;
  dump?: string;
}

/** `seen` with its hash (bytes 16-19) masked. */
const maskHash = (hex: string | undefined): string | undefined => (hex === undefined ? undefined : hex.slice(0, 32) + 'xxxxxxxx' + hex.slice(40));

function kernel(ns: string, s: Scenario): Outcome {
  const spec = {
    ...s,
    dir: `/tmp/wx-sk-prog-bpffs-${process.pid}`,
    lookup_obj: `${ROOT}programs/sk_lookup.o`,
    reuseport_obj: `${ROOT}programs/sk_reuseport.o`,
  };
  const out = execFileSync('ip', ['netns', 'exec', ns, 'python3', SCRIPT], { input: JSON.stringify(spec), encoding: 'utf8', timeout: 30_000 });
  const o = JSON.parse(out) as Outcome;
  return { received: o.received, ...(o.dump ? { dump: maskHash(o.dump) } : {}) };
}

async function wxdp(s: Scenario): Promise<Outcome> {
  const env = await SkEnv.create();
  env.dp.ip('addr add 192.0.2.77/24 dev eth0');
  const ids = s.sockets.map((k) => env.sock({ family: k.family === 6 ? 'inet6' : 'inet', addr: k.addr, port: k.port, reusePort: k.reuseport, ipv6Only: k.v6only }));
  if (s.lookup_progs) {
    const obj = await env.dp.loadObject(`${ROOT}programs/sk_lookup.o`);
    for (const [k, i] of Object.entries(s.redir_map ?? {})) obj.map('redir_map').update(u32le(Number(k)), u64le(ids[i]!));
    for (const p of s.lookup_progs) env.dp.attachSkLookup(obj.program(p));
  }
  let rp: BpfObject | undefined;
  if (s.reuseport_prog) {
    const obj = (rp = await env.dp.loadObject(`${ROOT}programs/sk_reuseport.o`));
    for (const [k, i] of Object.entries(s.reuseport_array ?? {})) obj.map('reuseport_array').update(u32le(Number(k)), u64le(ids[i]!));
    env.dp.attachReuseport(ids[s.reuseport_attach!]!, obj.program(s.reuseport_prog));
  }
  const received = s.send.map((m) => {
    const data = Uint8Array.from(m.payload);
    const sport = m.sport ?? 40000;
    env.fx.rx(
      'eth0',
      m.dst.includes(':')
        ? eth({ dst: R_MAC, src: H_MAC, type: 0x86dd }, ipv6({ src: '2001:db8:1::2', dst: m.dst, nh: 17 }, udp6('2001:db8:1::2', m.dst, sport, m.dport, data)))
        : eth({ dst: R_MAC, src: H_MAC, type: 0x0800 }, ipv4({ src: '192.0.2.2', dst: m.dst, proto: 17 }, udp4('192.0.2.2', m.dst, sport, m.dport, data))),
    );
    const got = ids.findIndex((id) => env.t.recv(id) !== undefined);
    return got < 0 ? null : got;
  });
  const dump = s.dump ? maskHash(Buffer.from(rp!.map(s.dump).lookup(u32le(0))!).toString('hex')) : undefined;
  return { received, ...(dump ? { dump } : {}) };
}

describe.skipIf(!nsa.available.ok || unready !== '')('sk_lookup / sk_reuseport steering: Linux and wxdp', () => {
  it.each(SCENARIOS.map((s) => [s.name, s] as const))('%s', async (_n, s) => {
    const k = kernel(socketNamespace(nsa, ['192.0.2.77/32']), s);
    expect(await wxdp(s)).toEqual(k);
  });
});
