// BPF_PROG_TEST_RUN of sk_lookup programs (Program.testRunSkLookup, the kernel's
// bpf_prog_test_run_sk_lookup): the context in, the program alone, the retval and the chosen socket's
// cookie out, and the kernel's refusals. Every case runs in Linux too (sk_prog_testrun_kernel.py in a
// namespace, the same object and the same kinds of sockets) and must give the same answer; the
// answers Linux 6.18 gave are recorded below for runs without the kernel.

import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { TestRunError, type SkLookupContext } from '../../src/control/datapath.js';
import { stackUnready } from '../net/support.js';
import { useNamespaces } from '../support/netns.js';
import { SkEnv, socketNamespace, u32le, u64le } from './sk_prog_support.js';

const SCRIPT = new URL('./sk_prog_testrun_kernel.py', import.meta.url).pathname;
const ROOT = new URL('../../', import.meta.url).pathname;

interface Ctx {
  sk?: number;
  family?: number;
  protocol?: number;
  remote_ip4?: string;
  remote_ip6?: string;
  remote_port?: number;
  local_ip4?: string;
  local_ip6?: string;
  local_port?: number;
  ingress_ifindex?: number;
}
interface Case {
  name: string;
  prog: string;
  redir_map?: Record<number, number>;
  ctx: Ctx;
  dump?: string;
}

interface Sock {
  family?: 4 | 6;
  addr?: string;
  port: number;
  reuseport?: boolean;
  mark?: number;
  connect?: [string, number];
}
const SOCKETS: Sock[] = [
  { addr: '192.0.2.1', port: 7007 },
  { port: 9000, reuseport: true },
  { family: 6, addr: '2001:db8:1::1', port: 7008 },
  { family: 6, port: 7009 },
  { addr: '192.0.2.1', port: 7010, connect: ['192.0.2.2', 53] },
  { port: 7011, mark: 7 },
  { family: 6, port: 7012, connect: ['2001:db8:1::2', 5353] },
  { family: 6, addr: '::ffff:192.0.2.1', port: 7013, connect: ['::ffff:192.0.2.2', 53] },
];
const V4: Ctx = { family: 2, remote_ip4: '198.51.100.1', remote_port: 40000, local_ip4: '192.0.2.1', local_port: 7007 };
const CASES: Case[] = [
  { name: 'redir_port, empty map: passes, no socket', prog: 'redir_port', ctx: V4 },
  { name: 'redir_port: the socket at key 0', prog: 'redir_port', redir_map: { 0: 0 }, ctx: V4 },
  { name: 'redir_port, another port: passes', prog: 'redir_port', redir_map: { 0: 0 }, ctx: { ...V4, local_port: 53 } },
  { name: 'lookup_drop: SK_DROP', prog: 'lookup_drop', ctx: V4 },
  { name: 'a reuseport member chosen without F_NO_REUSEPORT: EOPNOTSUPP', prog: 'redir_port', redir_map: { 0: 1 }, ctx: V4 },
  { name: 'a reuseport member chosen with F_NO_REUSEPORT', prog: 'select_b_no_reuseport', redir_map: { 1: 1 }, ctx: V4 },
  { name: 'IPv6 context, an IPv4 socket: the assign fails, SK_DROP', prog: 'redir_port', redir_map: { 0: 0 }, ctx: { family: 10, remote_ip6: '2001:db8::1', local_ip6: '2001:db8::2', local_port: 7007 } },
  { name: 'ctx->sk set: EINVAL', prog: 'lookup_pass', ctx: { ...V4, sk: 1 } },
  { name: 'ingress_ifindex set: EINVAL', prog: 'lookup_pass', ctx: { ...V4, ingress_ifindex: 3 } },
  { name: 'local_port past 65535: ERANGE', prog: 'lookup_pass', ctx: { ...V4, local_port: 70000 } },
  { name: 'family 99: EAFNOSUPPORT', prog: 'lookup_pass', ctx: { ...V4, family: 99 } },
  { name: 'a program puts a socket in a sockmap, then steers to it', prog: 'copy_a_to_b', redir_map: { 0: 0 }, ctx: V4 },
  { name: "a program's BPF_NOEXIST update of a taken slot: EEXIST, SK_DROP", prog: 'copy_a_to_b', redir_map: { 0: 0, 1: 4 }, ctx: V4 },
  // struct bpf_sock as a program reads it (bpf_sock_convert_ctx_access), for each kind of socket
  ...[0, 2, 3, 4, 5, 6, 7].map((i) => ({ name: `bpf_sock of socket ${i}`, prog: 'record_sk', redir_map: { 0: i }, ctx: V4, dump: 'sk_seen' })),
];

/** Linux 6.18's answers to CASES. */
const RECORDED: string[] = [
  'retval:1 cookie:none', 'retval:1 cookie:s0', 'retval:1 cookie:none', 'retval:0 cookie:none', 'EOPNOTSUPP', 'retval:1 cookie:s1',
  'retval:0 cookie:none', 'EINVAL', 'EINVAL', 'ERANGE', 'EAFNOSUPPORT', 'retval:1 cookie:s0', 'retval:0 cookie:none',
  'retval:1 cookie:none sk:000000000200000002000000110000000000000000000000c0000201000000000000000000000000000000005f1b000000000000000000000000000000000000000000000000000007000000ffffffff',
  'retval:1 cookie:none sk:000000000a000000020000001100000000000000000000007f00000620010db8000100000000000000000001601b000000000000000000000000000000000000000000000000000007000000ffffffff',
  'retval:1 cookie:none sk:000000000a000000020000001100000000000000000000000000000000000000000000000000000000000000611b000000000000000000000000000000000000000000000000000007000000ffffffff',
  'retval:1 cookie:none sk:000000000200000002000000110000000000000000000000c000020100000000000000000000000000000000621b000000350000c00002020000000000000000000000000000000001000000ffffffff',
  'retval:1 cookie:none sk:0000000002000000020000001100000007000000000000000000000000000000000000000000000000000000631b000000000000000000000000000000000000000000000000000007000000ffffffff',
  'retval:1 cookie:none sk:000000000a000000020000001100000000000000000000007f00000620010db8000100000000000000000001641b000014e900000000000020010db800010000000000000000000201000000ffffffff',
  'retval:1 cookie:none sk:000000000a00000002000000110000000000000000000000c000020100000000000000000000ffffc0000201651b000000350000c000020200000000000000000000ffffc000020201000000ffffffff',
];

const nsa = useNamespaces('sktestrun');
const unready = await stackUnready();

function kernel(ns: string): string[] {
  const spec = { dir: `/tmp/wx-sktestrun-bpffs-${process.pid}`, obj: `${ROOT}programs/sk_lookup.o`, sockets: SOCKETS, cases: CASES };
  const out = execFileSync('ip', ['netns', 'exec', ns, 'python3', SCRIPT], { input: JSON.stringify(spec), encoding: 'utf8', timeout: 30_000 });
  return (JSON.parse(out) as { results: string[] }).results;
}

async function wxdp(): Promise<string[]> {
  const env = await SkEnv.create();
  const ids = SOCKETS.map((s) => {
    const id = env.t.create({ family: s.family === 6 ? 'inet6' : 'inet', reusePort: s.reuseport });
    if (s.mark) env.t.setOption(id, 'SO_MARK', s.mark);
    env.t.bind(id, s.addr, s.port);
    if (s.connect) env.t.connect(id, s.connect[0], s.connect[1]);
    return id;
  });
  const cookies = ids.map((id) => env.t.stats(id).cookie);
  const obj = await env.dp.loadObject(`${ROOT}programs/sk_lookup.o`);
  const redir = obj.map('redir_map');
  return CASES.map((c) => {
    for (let k = 0; k < 4; k++) if (redir.lookup(u32le(k))) redir.delete(u32le(k));
    for (const [k, i] of Object.entries(c.redir_map ?? {})) redir.update(u32le(Number(k)), u64le(ids[i]!));
    const x = c.ctx;
    const ctx: SkLookupContext = {
      family: x.family ?? 0,
      protocol: x.protocol,
      remoteIp4: x.remote_ip4,
      remoteIp6: x.remote_ip6,
      remotePort: x.remote_port,
      localIp4: x.local_ip4,
      localIp6: x.local_ip6,
      localPort: x.local_port,
      ingressIfindex: x.ingress_ifindex,
      sk: x.sk,
    };
    try {
      const r = obj.program(c.prog).testRunSkLookup(ctx);
      const who = r.cookie === 0n ? 'none' : cookies.indexOf(r.cookie) >= 0 ? `s${cookies.indexOf(r.cookie)}` : '?';
      const dump = c.dump ? ` sk:${Buffer.from(obj.map(c.dump).lookup(u32le(0))!).toString('hex')}` : '';
      return `retval:${r.retval} cookie:${who}${dump}`;
    } catch (e) {
      if (e instanceof TestRunError) return e.errno;
      throw e;
    }
  });
}

describe.skipIf(unready !== '')('sk_lookup test runs', () => {
  it.skipIf(!nsa.available.ok)('answer as the kernel does (Linux in a namespace)', async () => {
    const k = kernel(socketNamespace(nsa));
    const w = await wxdp();
    expect(CASES.map((c, i) => `${c.name}: ${w[i]}`)).toEqual(CASES.map((c, i) => `${c.name}: ${k[i]}`));
  });

  it('answer as Linux 6.18 did (recorded)', async () => {
    expect(await wxdp()).toEqual(RECORDED);
  });

  it('an XDP test run of a socket program, and an sk_lookup test run of another type, are refused', async () => {
    const env = await SkEnv.create();
    const obj = await env.dp.loadObject(`${ROOT}programs/sk_lookup.o`);
    expect(() => obj.program('lookup_pass').testRun({ data: new Uint8Array(64) })).toThrow(/use testRunSkLookup/);
    const rp = await env.dp.loadObject(`${ROOT}programs/sk_reuseport.o`);
    expect(() => rp.program().testRun({ data: new Uint8Array(64) })).toThrow(/ENOTSUPP/);
    expect(() => rp.program().testRunSkLookup({ family: 2 })).toThrow(/not sk_lookup \(EINVAL\)/);
  });
});
