// `wxdp up` as a process (node bin/wxdp.js up CONFIG --socket …, the built dist/) routing between two Linux
// namespaces through its devices' VXLAN links, steered while traffic flows by the client commands, each
// run as its own process as a user would:
//   - `wxdp ip route add` while `ping` runs: the echoes wxdp answered with ICMP net unreachable (no
//     route, RFC 792 code 0) turn into replies, and every echo got one or the other;
//   - `wxdp prog attach` twice under `ping -f` (xdp_proto_count, then xdp_dns_filter replacing it, both
//     pass ICMP): no echo lost.
//
//   namespace S: vx0 192.0.2.1/24 ═ vni 42 (slot 25) ═ wxdp vx0 192.0.2.2/24
//                                                      wxdp vx1 203.0.113.2/25 ═ vni 45 (slot 26) ═ namespace R: vx0 203.0.113.1/25, lo 203.0.113.200/32
//   S routes 203.0.113.0/24 via wxdp; R 192.0.2.0/24 via wxdp; wxdp starts without a route to 203.0.113.128/25.

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Netns } from '../support/netns.js';
import { rootUnderlay, runIn, runReady, useE2e, vxlanClient, vxlanSpec, type RunResult } from './support.js';

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
      // no ICMP rate limit: each echo without a route gets its net unreachable (the ping test counts them)
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
    // 30 echoes 0.1 s apart; the route goes in once wxdp has answered one with net unreachable
    const ping = runReady(s, ['ping', '-n', '-c', '30', '-i', '0.1', '-W', '2', '203.0.113.200'], 30_000, /Destination Net Unreachable/);
    await ping.ready;
    const add = await wxdp('ip', 'route', 'add', '203.0.113.128/25', 'via', '203.0.113.1');
    expect([add.code, add.stdout, add.stderr]).toEqual([0, '', '']);
    const out = (await ping.done).stdout;
    console.log(out.split('\n').filter((l) => /Unreachable|transmitted/.test(l)).join('\n'));
    const lines = out.split('\n');
    const unreachable = lines.filter((l) => /^From 192\.0\.2\.2 icmp_seq=\d+ Destination Net Unreachable$/.test(l)).map((l) => Number(/icmp_seq=(\d+)/.exec(l)![1]));
    const replies = lines.filter((l) => /^64 bytes from 203\.0\.113\.200: icmp_seq=\d+ ttl=63/.test(l)).map((l) => Number(/icmp_seq=(\d+)/.exec(l)![1]));
    expect(unreachable.length).toBeGreaterThan(0);
    expect(replies.length).toBeGreaterThan(0);
    // the route took effect once: every unreachable precedes every reply, and no echo went unanswered
    expect(Math.max(...unreachable)).toBeLessThan(Math.min(...replies));
    expect(unreachable.length + replies.length).toBe(30);
    expect(out).toMatch(new RegExp(`30 packets transmitted, ${replies.length} received, \\+${unreachable.length} errors`));
    const show = await wxdp('ip', 'route', 'show', '203.0.113.128/25');
    expect(show.stdout).toBe('203.0.113.128/25 via 203.0.113.1 dev vx1 \n');
  });

  it('wxdp prog attach twice under ping -f: xdp_proto_count counts the flood\'s ICMP, xdp_dns_filter replaces it, no echo lost', async () => {
    // bounded: 800 echoes, at least 2 ms apart (so the flood outlasts the two swaps), 30 s at most
    const flood = runReady(s, ['ping', '-n', '-f', '-i', '0.002', '-c', '800', '-w', '30', '203.0.113.1'], 40_000);
    let floodDone = false;
    const done = flood.done.then((r) => ((floodDone = true), r));
    await new Promise((r) => setTimeout(r, 200));
    const a = await wxdp('prog', 'attach', PROTO_COUNT, 'dev', 'vx0');
    expect([a.code, a.stdout, a.stderr]).toEqual([0, 'vx0: xdp_proto_count attached\n', '']);
    // ICMP is slot 6 of proto_stats (per-CPU: summed)
    const icmp = await wxdp('map', 'lookup', 'name', 'proto_stats', 'key', '06000000', '--json');
    const counted = (JSON.parse(icmp.stdout).formatted.values as Array<{ packets: number }>).reduce((n, v) => n + v.packets, 0);
    const b = await wxdp('prog', 'attach', DNS_FILTER, 'dev', 'vx0');
    expect([b.code, b.stdout]).toEqual([0, 'vx0: xdp_dns_filter attached (replaced xdp_proto_count)\n']);
    expect(floodDone, 'the flood ended before the second swap: nothing was tested under traffic').toBe(false);
    const r = await done;
    console.log(`ping -f through wxdp up with two program swaps: ${r.stdout.split('\n').find((l) => /transmitted/.test(l))}`);
    expect(r.stdout).toContain('800 packets transmitted, 800 received, 0% packet loss');
    expect(counted).toBeGreaterThan(0);
    const list = await wxdp('prog', 'list');
    expect(list.stdout).toBe(`vx0(2): xdp_dns_filter  section xdp  ${DNS_FILTER}\nvx1(3): -\n`);
  });
});
