// `wxdp up` as a process (node bin/wxdp.js up CONFIG --socket …, the built dist/) routing between two Linux
// namespaces through its devices' VXLAN links, steered while traffic flows by the client commands, each
// run as its own process as a user would:
//   - `wxdp ip route add` while `ping` runs: echoes wxdp had no route for (answered with ICMP net
//     unreachable, RFC 792 code 0, as far as ip_error's rate limit allows) turn into replies, each echo
//     one or the other;
//   - `wxdp prog attach` twice under `ping -f` (xdp_proto_count, then xdp_dns_filter replacing it, both
//     pass ICMP): no echo lost by wxdp, in floods of 200 run back to back from before the first swap to
//     after the second.
//
//   namespace S: vx0 192.0.2.1/24 ═ vni 42 (slot 25) ═ wxdp vx0 192.0.2.2/24
//                                                      wxdp vx1 203.0.113.2/25 ═ vni 45 (slot 26) ═ namespace R: vx0 203.0.113.1/25, lo 203.0.113.200/32
//   S routes 203.0.113.0/24 via wxdp; R 192.0.2.0/24 via wxdp; wxdp starts without a route to 203.0.113.128/25.

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControlClient } from '../../src/control/control_client.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Netns } from '../support/netns.js';
import { kernelSnmp, rootUnderlay, runIn, runReady, until, useE2e, vxlanClient, vxlanSpec, type RunResult } from './support.js';

const e2e = useE2e(['ping']);
const root = new URL('../../', import.meta.url).pathname;
const WXDP = join(root, 'bin/wxdp.js');
const built = existsSync(join(root, 'dist/src/cli/up.js'));
if (!built && !e2e.why) it.skip('wxdp up end-to-end: needs the built dist/ (npm run build)', () => {});
const PROTO_COUNT = join(root, 'programs/xdp_proto_count.o');
const DNS_FILTER = join(root, 'programs/xdp_dns_filter.o');

const tmp = mkdtempSync(join(tmpdir(), 'wxdp-e2e-up-'));
const SOCK = join(tmp, 'wxdp.sock');

/** A `wxdp` client command against the daemon's socket, as its own process. */
function wxdp(...argv: string[]): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [WXDP, ...argv, '--socket', SOCK], { timeout: 30_000, encoding: 'utf8' }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

/** wxdp's SNMP counters, through the control socket's `stats`. */
async function wxdpMib(): Promise<Record<string, number>> {
  const c = await ControlClient.connect(SOCK);
  try {
    return (await c.request<{ stack: { mib: Record<string, number> } }>('stats')).stack.mib;
  } finally {
    c.close();
  }
}

describe.skipIf(e2e.why !== '' || !built)('wxdp up routing between two namespaces, steered through its control socket', () => {
  let s: Netns;
  let daemon: ChildProcess | undefined;
  let log = '';

  beforeAll(async () => {
    const us = rootUnderlay(e2e.set.create(), 25);
    const ur = rootUnderlay(e2e.set.create(), 26);
    s = us.ns;
    const r = ur.ns;
    vxlanClient(us, { vni: 42, addrs: ['192.0.2.1/24'] });
    vxlanClient(ur, { vni: 45, addrs: ['203.0.113.1/25'] });
    r.ip('link', 'set', 'lo', 'up');
    r.ip('addr', 'add', '203.0.113.200/32', 'dev', 'lo');
    s.ip('route', 'add', '203.0.113.0/24', 'via', '192.0.2.2');
    r.ip('route', 'add', '192.0.2.0/24', 'via', '203.0.113.2');
    const config = {
      devices: [
        { name: 'vx0', mac: '02:00:00:00:e2:30', mtu: 1450, link: vxlanSpec(us, 42) },
        { name: 'vx1', mac: '02:00:00:00:e2:31', mtu: 1450, link: vxlanSpec(ur, 45) },
      ],
      // icmp_ratelimit 0: the net unreachables below are limited by ip_error's bucket alone (icmp_send's
      // shares the same per-peer tokens in Linux, and would halve what is sent)
      sysctls: { 'net.ipv4.conf.all.forwarding': 1, 'net.ipv4.icmp_ratelimit': 0 },
      ip: ['addr add 192.0.2.2/24 dev vx0', 'addr add 203.0.113.2/25 dev vx1'],
    };
    writeFileSync(join(tmp, 'router.json'), JSON.stringify(config, null, 2));
    daemon = spawn(process.execPath, [WXDP, 'up', join(tmp, 'router.json'), '--socket', SOCK], { stdio: ['ignore', 'ignore', 'pipe'] });
    const ready = new Promise<void>((resolve, reject) => {
      daemon!.stderr!.on('data', (d: Buffer) => {
        log += d.toString();
        if (/ready: 2 devices, 2 ip commands/.test(log)) resolve();
      });
      daemon!.on('exit', (code) => reject(new Error(`wxdp up exited (${code}) before it was ready:\n${log}`)));
    });
    await ready;
  });

  afterAll(async () => {
    if (daemon && daemon.exitCode === null && daemon.signalCode === null) {
      const exited = new Promise((r) => daemon!.once('exit', r));
      daemon.kill('SIGTERM');
      const timer = setTimeout(() => daemon!.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(tmp, { recursive: true, force: true });
  });

  it('forwards S ↔ R on its connected routes: ping 203.0.113.1', async () => {
    const p = await runIn(s, ['ping', '-n', '-c', '3', '-i', '0.2', '-W', '2', '203.0.113.1']);
    expect(p.stdout).toContain('3 packets transmitted, 3 received, 0% packet loss');
  });

  it('wxdp ip route add while a ping runs: net unreachable from wxdp until the route, replies after; every echo answered', async () => {
    const before = { wxdp: await wxdpMib(), s: kernelSnmp(s, 'Icmp') };
    // 30 echoes 0.1 s apart; the route goes in once wxdp has answered one with net unreachable
    const ping = runReady(s, ['ping', '-n', '-c', '30', '-i', '0.1', '-W', '2', '203.0.113.200'], 30_000, /Destination Net Unreachable/);
    await ping.ready;
    const add = await wxdp('ip', 'route', 'add', '203.0.113.128/25', 'via', '203.0.113.1');
    expect([add.code, add.stdout, add.stderr]).toEqual([0, '', '']);
    const out = (await ping.done).stdout;
    const after = { wxdp: await wxdpMib(), s: kernelSnmp(s, 'Icmp') };
    const lines = out.split('\n');
    const unreachable = lines.filter((l) => /^From 192\.0\.2\.2 icmp_seq=\d+ Destination Net Unreachable$/.test(l)).map((l) => Number(/icmp_seq=(\d+)/.exec(l)![1]));
    const replies = lines.filter((l) => /^64 bytes from 203\.0\.113\.200: icmp_seq=\d+ ttl=63/.test(l)).map((l) => Number(/icmp_seq=(\d+)/.exec(l)![1]));
    // What wxdp did: each echo without a route counted (IPSTATS_MIB_INNOROUTES) and answered with a net
    // unreachable as ip_error allows: its own per-source bucket (ip_rt_error_burst 5 s, ip_rt_error_cost
    // 1 s: five at once, then one a second, whatever icmp_ratelimit says), so a slow route add may leave
    // later echoes silently dropped, as Linux would. Every one S's kernel received, ping printed.
    const noRoute = (after.wxdp['IpExt:InNoRoutes'] ?? 0) - (before.wxdp['IpExt:InNoRoutes'] ?? 0);
    const sent = (after.wxdp['Icmp:OutDestUnreachs'] ?? 0) - (before.wxdp['Icmp:OutDestUnreachs'] ?? 0);
    const received = after.s.InDestUnreachs! - before.s.InDestUnreachs!;
    console.log(`route added after ${noRoute} echoes without a route; wxdp sent ${sent} net unreachables, S's kernel received ${received}, ping printed ${unreachable.length}; ${replies.length} replies`);
    expect(noRoute).toBeGreaterThan(0);
    expect(sent).toBeGreaterThanOrEqual(Math.min(noRoute, 5));
    expect(sent).toBeLessThanOrEqual(noRoute);
    expect([received, unreachable.length]).toEqual([sent, sent]);
    // the route took effect once: every echo before it had no route, every one after got its reply
    expect(noRoute + replies.length, out).toBe(30);
    expect(Math.max(...unreachable)).toBeLessThan(Math.min(...replies));
    const show = await wxdp('ip', 'route', 'show', '203.0.113.128/25');
    expect(show.stdout).toBe('203.0.113.128/25 via 203.0.113.1 dev vx1 \n');
  });

  it('wxdp prog attach twice under ping -f: xdp_proto_count counts the flood\'s ICMP, xdp_dns_filter replaces it, no echo lost', async () => {
    // The flood: back-to-back `ping -f -c 200` rounds from before the first swap until one round has run
    // wholly after the second (however long the client commands take to start), at most 100 rounds.
    const rounds: RunResult[] = [];
    let swapped = false;
    const icmpBefore = kernelSnmp(s, 'Icmp');
    const flood = (async () => {
      for (let i = 0; i < 100; i++) {
        const last = swapped;
        // no -w: with a deadline ping -f keeps sending past -c until it has -c replies, and what is in flight
        // then counts as lost; runIn's 30 s kill bounds a round instead
        rounds.push(await runIn(s, ['ping', '-n', '-q', '-f', '-c', '200', '203.0.113.1'], 30_000));
        if (last) break;
      }
    })();
    try {
      const a = await wxdp('prog', 'attach', PROTO_COUNT, 'dev', 'vx0');
      expect([a.code, a.stdout, a.stderr]).toEqual([0, 'vx0: xdp_proto_count attached\n', '']);
      // ICMP is slot 6 of proto_stats (per-CPU: summed)
      const icmp = await wxdp('map', 'lookup', 'name', 'proto_stats', 'key', '06000000', '--json');
      const counted = (JSON.parse(icmp.stdout).formatted.values as Array<{ packets: number }>).reduce((n, v) => n + v.packets, 0);
      expect(counted).toBeGreaterThan(0);
      const b = await wxdp('prog', 'attach', DNS_FILTER, 'dev', 'vx0');
      expect([b.code, b.stdout]).toEqual([0, 'vx0: xdp_dns_filter attached (replaced xdp_proto_count)\n']);
    } finally {
      swapped = true;
      await flood;
    }
    const summaries = rounds.map((r) => r.stdout.split('\n').find((l) => /transmitted/.test(l)) ?? r.stderr.trim());
    console.log(`ping -f through wxdp up, two program swaps during ${rounds.length} rounds:\n${summaries.join('\n')}`);
    expect(rounds.length).toBeGreaterThanOrEqual(2);
    expect(rounds.length).toBeLessThan(100); // the swaps ended while the flood still ran
    // No echo lost: S's kernel got a reply for every echo it sent (counted by icmp_rcv, so also a reply
    // that came after its ping gave up: with replies, ping waits two RTTs after the last echo, which a
    // stalled machine exceeds; its summary lines are printed, not asserted).
    const sentEchos = () => kernelSnmp(s, 'Icmp').OutEchos! - icmpBefore.OutEchos!;
    const gotReplies = () => kernelSnmp(s, 'Icmp').InEchoReps! - icmpBefore.InEchoReps!;
    await until(() => gotReplies() >= sentEchos(), 5000);
    console.log(`echoes sent by S: ${sentEchos()}, replies S's kernel received: ${gotReplies()}`);
    expect(sentEchos()).toBe(200 * rounds.length);
    expect(gotReplies()).toBe(sentEchos());
    const links = JSON.parse((await wxdp('link', 'show', '-s', '--json')).stdout).links as Array<{ ifname: string; stats: { drops: object }; link: { stats: { rxDropped: number; rxOverflow: number; txErrors: number } } }>;
    for (const l of links) {
      expect([l.ifname, l.stats.drops]).toEqual([l.ifname, {}]);
      expect([l.link.stats.rxDropped, l.link.stats.rxOverflow, l.link.stats.txErrors]).toEqual([0, 0, 0]);
    }
    const list = await wxdp('prog', 'list');
    expect(list.stdout).toBe(`vx0(2): xdp_dns_filter  section xdp  ${DNS_FILTER}\nvx1(3): -\n`);
  });
});
