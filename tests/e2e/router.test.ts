// wxdp as the router between two Linux namespaces, each reaching it through its own VXLAN link: `ping`
// through it, `traceroute -n` (wxdp's hop is an ICMP time exceeded from its address, RFC 792), `tracepath`
// (RFC 1191 PMTU discovery: wxdp's far device has a smaller MTU, wxdp answers a DF datagram too big for it
// with ICMP fragmentation needed carrying that MTU), and a short `iperf3 -u` whose throughput and loss
// are printed (bounded: 2 s at 10 Mbit/s; loss only bounded generously, no timing asserted).
//
//   namespace S: vx0 192.0.2.1/24 (mtu 1450) ═ vni 42 ═ wxdp vx0 192.0.2.2/24 (mtu 1450)
//                                                       wxdp vx1 203.0.113.2/24 (mtu 1300) ═ vni 45 ═ namespace R: vx0 203.0.113.1/24 (mtu 1300)
//   underlays: slots 21 (S) and 22 (R); S routes 203.0.113.0/24 via 192.0.2.2, R 192.0.2.0/24 via 203.0.113.2.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Datapath } from '../../src/control/datapath.js';
import type { Netns } from '../support/netns.js';
import { rootUnderlay, runIn, runReady, useE2e, vxlanClient, wxdpRouter } from './support.js';

const e2e = useE2e(['ping', 'traceroute', 'tracepath', 'iperf3']);

describe.skipIf(e2e.why !== '')('wxdp routes between two Linux namespaces over VXLAN links', () => {
  let s: Netns;
  let r: Netns;
  let dp: Datapath;
  const mib = (name: string) => dp.stack.mib()[name] ?? 0;

  beforeAll(async () => {
    const us = rootUnderlay(e2e.set.create(), 21);
    const ur = rootUnderlay(e2e.set.create(), 22);
    s = us.ns;
    r = ur.ns;
    vxlanClient(us, { vni: 42, addrs: ['192.0.2.1/24'] });
    vxlanClient(ur, { vni: 45, mtu: 1300, addrs: ['203.0.113.1/24'] });
    s.ip('route', 'add', '203.0.113.0/24', 'via', '192.0.2.2');
    r.ip('route', 'add', '192.0.2.0/24', 'via', '203.0.113.2');
    ({ dp } = await wxdpRouter(us, ur, { farMtu: 1300 }));
  });

  afterAll(async () => {
    await dp?.close();
  });

  it('ping 203.0.113.1 from S: forwarded by wxdp both ways (TTL 64 − 1 on the reply)', async () => {
    const fwd = mib('Ip:ForwDatagrams');
    const p = await runIn(s, ['ping', '-n', '-c', '3', '-i', '0.2', '-W', '2', '203.0.113.1']);
    expect(p.stdout).toContain('3 packets transmitted, 3 received, 0% packet loss');
    expect(p.stdout).toMatch(/64 bytes from 203\.0\.113\.1: icmp_seq=1 ttl=63/);
    expect(mib('Ip:ForwDatagrams') - fwd).toBeGreaterThanOrEqual(6);
  });

  it('traceroute -n: hop 1 is wxdp (ICMP time exceeded from 192.0.2.2), hop 2 the destination', async () => {
    const excds = mib('Icmp:OutTimeExcds');
    // UDP probes to 33434+: with TTL 1 wxdp answers time exceeded, with TTL 2 R answers port unreachable
    const t = await runIn(s, ['traceroute', '-n', '-q', '1', '-w', '2', '-m', '4', '203.0.113.1'], 20_000);
    console.log(t.stdout.trimEnd());
    expect(t.code).toBe(0);
    const hops = t.stdout.split('\n').slice(1).filter((l) => l.trim()).map((l) => l.trim().split(/\s+/).slice(0, 2));
    expect(hops).toEqual([['1', '192.0.2.2'], ['2', '203.0.113.1']]);
    expect(mib('Icmp:OutTimeExcds') - excds).toBeGreaterThanOrEqual(1);
  });

  it('tracepath -n: discovers the 1300-byte MTU of wxdp\'s far device from wxdp\'s fragmentation-needed', async () => {
    s.ip('route', 'flush', 'cache');
    const unreachs = mib('Icmp:OutDestUnreachs');
    const t = await runIn(s, ['tracepath', '-n', '-m', '4', '203.0.113.1'], 20_000);
    console.log(t.stdout.trimEnd());
    expect(t.code).toBe(0);
    expect(t.stdout).toMatch(/1\?: \[LOCALHOST\]\s+pmtu 1450/);
    // TTL 1: time exceeded from wxdp; TTL 2, 1450 bytes with DF: fragmentation needed from wxdp (hop 2's
    // line, as tracepath prints who answered the probe); then 1300 bytes reach R
    expect(t.stdout).toMatch(/^\s*1:\s+192\.0\.2\.2\s/m);
    expect(t.stdout).toMatch(/^\s*2:\s+192\.0\.2\.2\s.*pmtu 1300/m);
    expect(t.stdout).toMatch(/^\s*2:\s+203\.0\.113\.1\s.*reached/m);
    expect(t.stdout).toMatch(/Resume: pmtu 1300 hops 2 back 2/);
    expect(mib('Icmp:OutDestUnreachs') - unreachs).toBeGreaterThanOrEqual(1);
    // S's kernel keeps what it learnt as a route exception (RFC 1191: the PMTU of that destination)
    expect(s.ip('route', 'get', '203.0.113.1')).toMatch(/mtu 1300/);
  });

  it('iperf3 -u, 2 s at 10 Mbit/s from S to R through wxdp: completes, loss below 20 %', async () => {
    const server = runReady(r, ['iperf3', '-s', '-1', '--forceflush', '-B', '203.0.113.1', '-p', '5201'], 20_000, /Server listening/);
    await server.ready;
    const c = await runIn(s, ['iperf3', '-c', '203.0.113.1', '-p', '5201', '-u', '-b', '10M', '-t', '2', '-l', '1200', '--json'], 20_000);
    await server.done;
    expect(c.code, c.stdout.slice(-2000) + c.stderr).toBe(0);
    const sum = (JSON.parse(c.stdout) as { end: { sum: { packets: number; lost_packets: number; lost_percent: number; bits_per_second: number; jitter_ms: number } } }).end.sum;
    console.log(`iperf3 -u through wxdp: ${(sum.bits_per_second / 1e6).toFixed(2)} Mbit/s, ${sum.packets} datagrams, ${sum.lost_packets} lost (${sum.lost_percent.toFixed(2)} %), jitter ${sum.jitter_ms.toFixed(3)} ms`);
    expect(sum.packets).toBeGreaterThan(0);
    expect(sum.lost_percent).toBeLessThan(20);
  });
});
