// The flowtable against the kernel: wxdp with dp.flowtable.create + dp.nat masquerade offloads a TCP
// connection and a UDP exchange once established, and the frames its flowtable forwards come out as the
// masquerading Linux router of ct_nat_kernel forwards them (NAT, TTL, checksums, MACs). This kernel has no
// nf_flow_table (CONFIG_NF_FLOW_TABLE is not built in and it loads no modules: `flowtable ft { … }` fails
// with ENOENT), so Linux forwards them on its slow path — which the flowtable must equal byte for byte.
// wxdp's counters show which frames took the flowtable, its listing [OFFLOAD] on the two connections.
// Accounting (nf_conntrack_acct=1 in Linux): Linux counts every frame into its connection (all go its slow
// path); wxdp's flowtable with `counter` (NF_FLOWTABLE_COUNTER) counts its hits there too, so the
// connections' counters are Linux's; without it they hold the frames that went through the stack only.

import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fixture, eth, hex, ipv4, stackUnready, udp4 } from '../net/support.js';
import { KernelRouter, kernelUnavailable } from '../net/kernel.js';
import { ACK, H0, H1, LINKS, M0, M1, NEIGH, PSH, ROUTES, SYN, SYN_OPTS, parseConntrackL, tcpFrame } from './ct_support.js';

const unready = await stackUnready();
const noKernel = kernelUnavailable() || (spawnSync('conntrack', ['--version']).status !== 0 ? 'conntrack (Debian conntrack) missing' : '') ||
  (spawnSync('nft', ['--version']).status !== 0 ? 'nft (Debian nftables) missing' : '');

const RULESET = `
table ip nat {
  chain postrouting {
    type nat hook postrouting priority 100;
    oifname "eth1" masquerade
  }
}
`;

const C = '192.0.2.2';
const S = '203.0.113.5';
const PUB = '198.51.100.1';
const data = (n: number, seed = 0): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 5 + seed) & 0xff);
const inUdp = (sp: number, n: number, id: number): Uint8Array => eth({ dst: M0, src: H0, type: 0x0800 }, ipv4({ src: C, dst: S, proto: 17, id }, udp4(C, S, sp, 53, data(n))));
const outUdp = (dp: number, n: number, id: number): Uint8Array => eth({ dst: M1, src: H1, type: 0x0800 }, ipv4({ src: S, dst: PUB, proto: 17, id }, udp4(S, PUB, 53, dp, data(n, 1))));

const STEPS: Array<{ what: string; dev: 'eth0' | 'eth1'; frame: Uint8Array; offloaded: boolean }> = [
  { what: 'SYN', dev: 'eth0', frame: tcpFrame('in', C, S, 40000, 80, { seq: 1000, flags: SYN, options: SYN_OPTS }), offloaded: false },
  { what: 'SYN/ACK', dev: 'eth1', frame: tcpFrame('out', S, PUB, 80, 40000, { seq: 5000, ack: 1001, flags: SYN | ACK, win: 65160, options: SYN_OPTS }), offloaded: false },
  { what: 'ACK (established: offloaded here)', dev: 'eth0', frame: tcpFrame('in', C, S, 40000, 80, { seq: 1001, ack: 5001, flags: ACK, win: 502 }), offloaded: false },
  { what: 'data out (flowtable)', dev: 'eth0', frame: tcpFrame('in', C, S, 40000, 80, { seq: 1001, ack: 5001, flags: PSH | ACK, win: 502, data: data(100) }), offloaded: true },
  { what: 'data back (flowtable, de-masqueraded)', dev: 'eth1', frame: tcpFrame('out', S, PUB, 80, 40000, { seq: 5001, ack: 1101, flags: PSH | ACK, win: 509, data: data(200, 9) }), offloaded: true },
  { what: 'more data out (flowtable)', dev: 'eth0', frame: tcpFrame('in', C, S, 40000, 80, { seq: 1101, ack: 5201, flags: PSH | ACK, win: 500, data: data(50, 4) }), offloaded: true },
  { what: 'UDP out', dev: 'eth0', frame: inUdp(6000, 30, 0x100), offloaded: false },
  { what: 'UDP reply (established: offloaded here)', dev: 'eth1', frame: outUdp(6000, 60, 0x200), offloaded: false },
  { what: 'UDP out again (flowtable)', dev: 'eth0', frame: inUdp(6000, 31, 0x101), offloaded: true },
  { what: 'UDP reply again (flowtable)', dev: 'eth1', frame: outUdp(6000, 61, 0x201), offloaded: true },
];

describe.skipIf(unready !== '' || noKernel !== '')(`the flowtable against the kernel${noKernel ? ` (skipped: ${noKernel})` : ''}`, () => {
  let k: KernelRouter | undefined;
  let kern: ReturnType<KernelRouter['send']> = [];
  let kernCt = '';
  beforeAll(() => {
    k = KernelRouter.create(LINKS, ROUTES, NEIGH, { 'net.netfilter.nf_conntrack_acct': 1 }, 'ct15');
    const r = spawnSync('ip', ['netns', 'exec', k.router, 'nft', '-f', '-'], { input: RULESET, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`nft -f: ${r.stderr}`);
    kern = k.send(STEPS.map((s) => [s.dev, s.frame]));
    kernCt = spawnSync('ip', ['netns', 'exec', k.router, 'conntrack', '-L'], { encoding: 'utf8' }).stdout;
  }, 60_000);
  afterAll(() => k?.close());

  it('forwards the frames of offloaded connections as Linux does, and lists them [OFFLOAD]', async () => {
    const fx = await Fixture.create(LINKS, ROUTES, NEIGH);
    fx.dp.nat.add({ hook: 'postrouting', oif: 'eth1', type: 'masquerade' });
    fx.dp.flowtable.create({ name: 'ft', devices: ['eth0', 'eth1'] });
    STEPS.forEach((s, i) => {
      const before = fx.mib()['nf_flowtable:hit'] ?? 0;
      const ours = fx.rx(s.dev, s.frame);
      for (const dev of ['eth0', 'eth1']) {
        const a = (ours.get(dev) ?? []).map(hex);
        const b = (kern[i]!.tx.get(dev) ?? []).map(hex);
        expect({ what: s.what, dev, out: a }).toEqual({ what: s.what, dev, out: b });
      }
      expect({ what: s.what, hit: (fx.mib()['nf_flowtable:hit'] ?? 0) - before }).toEqual({ what: s.what, hit: s.offloaded ? 1 : 0 });
    });
    if (process.env.CT_DEBUG) console.log(fx.dp.conntrack.format(), kernCt);
    const flows = fx.dp.flowtable.list();
    expect(flows.map((f) => `${f.proto} ${f.original.src}:${f.original.sport} ${f.original.packets}/${f.reply.packets}`).sort()).toEqual([
      'tcp 192.0.2.2:40000 2/1', 'udp 192.0.2.2:6000 1/1',
    ]);
    // the same connections as Linux tracks (their tuples), offloaded here
    const tuples = (text: string): string[] =>
      parseConntrackL(text).map((l) => `${l.proto} ${[...l.rest.matchAll(/(src|dst|sport|dport)=\S+/g)].map((m) => m[0]).join(' ')}`);
    expect(tuples(fx.dp.conntrack.format())).toEqual(tuples(kernCt));
    expect(fx.dp.conntrack.list().map((e) => `${e.proto} ${e.offload}`)).toEqual(['tcp true', 'udp true']);
  });

  /** `conntrack -L`'s counters per connection (acct on): "proto sport packets/bytes packets/bytes" (original / reply). */
  const kernAcct = (text: string): string[] =>
    parseConntrackL(text).map((l) => {
      const c = [...l.rest.matchAll(/packets=(\d+) bytes=(\d+)/g)].map((m) => `${m[1]}/${m[2]}`);
      const sport = /sport=(\d+)/.exec(l.rest)![1];
      return `${l.proto.split(' ')[0]} ${sport} ${c.join(' ')}`;
    }).sort();
  const ourAcct = (fx: Fixture): string[] =>
    fx.dp.conntrack.list().map((e) => `${e.proto} ${e.original.sport} ${e.packets[0]}/${e.bytes[0]} ${e.packets[1]}/${e.bytes[1]}`).sort();

  it("with `counter` the flowtable's hits count into their connections as Linux counts the same frames (nf_conntrack_acct)", async () => {
    const fx = await Fixture.create(LINKS, ROUTES, NEIGH);
    fx.dp.nat.add({ hook: 'postrouting', oif: 'eth1', type: 'masquerade' });
    fx.dp.flowtable.create({ name: 'ft', devices: ['eth0', 'eth1'], counter: true });
    for (const s of STEPS) fx.rx(s.dev, s.frame);
    expect(fx.mib()['nf_flowtable:hit']).toBe(STEPS.filter((s) => s.offloaded).length);
    expect(kernAcct(kernCt).length).toBe(2);
    expect(ourAcct(fx)).toEqual(kernAcct(kernCt));
  });

  it("without `counter` the connections' counters stop where the flowtable takes over: Linux's less the frames it forwarded", async () => {
    const fx = await Fixture.create(LINKS, ROUTES, NEIGH);
    fx.dp.nat.add({ hook: 'postrouting', oif: 'eth1', type: 'masquerade' });
    fx.dp.flowtable.create({ name: 'ft', devices: ['eth0', 'eth1'] });
    for (const s of STEPS) fx.rx(s.dev, s.frame);
    // Linux's counts with the offloaded frames taken out: each one's IP datagram (no padding in these frames)
    const off = new Map<string, number[]>();
    for (const s of STEPS.filter((x) => x.offloaded)) {
      const proto = s.frame[14 + 9] === 6 ? 'tcp' : 'udp';
      const sport = s.dev === 'eth0' ? (s.frame[34]! << 8) | s.frame[35]! : (s.frame[36]! << 8) | s.frame[37]!;
      const key = `${proto} ${sport}`;
      const d = off.get(key) ?? [0, 0, 0, 0];
      const at = s.dev === 'eth0' ? 0 : 2;
      d[at]! += 1;
      d[at + 1]! += s.frame.length - 14;
      off.set(key, d);
    }
    const expected = kernAcct(kernCt).map((line) => {
      const [proto, sport, o, r] = line.split(' ');
      const [op, ob] = o!.split('/').map(Number);
      const [rp, rb] = r!.split('/').map(Number);
      const d = off.get(`${proto} ${sport}`) ?? [0, 0, 0, 0];
      return `${proto} ${sport} ${op! - d[0]!}/${ob! - d[1]!} ${rp! - d[2]!}/${rb! - d[3]!}`;
    });
    expect(ourAcct(fx)).toEqual(expected);
  });
});
