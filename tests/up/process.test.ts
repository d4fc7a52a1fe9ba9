// `wxdp up` as a process (bin/wxdp.js, the built dist/): a router whose eth0 is fed by a service that
// injects a hand-built UDP datagram (192.0.2.100 → 203.0.113.7:53) every few milliseconds, and the
// client commands run against it while the frames flow:
//   - with no route the router counts each frame in IpExt:InNoRoutes (ip_error's IPSTATS_MIB_INNOROUTES);
//   - `wxdp ip route add` through the socket: from then on the frames leave on eth1;
//   - two `wxdp prog attach` swaps on eth0 (xdp_proto_count, then xdp_dns_filter), both passing DNS;
//   - a second `wxdp up` on the same socket is refused in one line;
//   - SIGHUP reloads a file without the traffic service: it stops and says how many frames it sent.
// No frame may be lost through all that: every frame sent is either counted in InNoRoutes or forwarded
// on eth1, and eth0 drops none. SIGTERM then ends the process with the final counters in its log.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { ControlClient } from '../../src/control/control_client.js';
import { eth, ipv4, udp } from '../support/frames.js';

const root = new URL('../../', import.meta.url).pathname;
const WXDP = join(root, 'bin/wxdp.js');
const built = existsSync(join(root, 'dist/src/cli/up.js'));
const DNS_FILTER = join(root, 'programs/xdp_dns_filter.o');
const PROTO_COUNT = join(root, 'programs/xdp_proto_count.o');
const TRAFFIC = join(root, 'tests/up/fixtures/traffic_service.mjs');

const M0 = '02:00:00:00:01:00';
const M1 = '02:00:00:00:01:01';
const H0 = '02:00:00:00:02:00';
const H1 = '02:00:00:00:02:01';
const datagram = (ttl: number) => ipv4({ src: '192.0.2.100', dst: '203.0.113.7', proto: 17, ttl, payload: udp('192.0.2.100', '203.0.113.7', 40000, 53, Uint8Array.from({ length: 32 }, (_, i) => i)) });
const IN = eth(M0, H0, 0x0800, datagram(64));
const OUT = eth(H1, M1, 0x0800, datagram(63));

const tmp = mkdtempSync(join(tmpdir(), 'wxdp-up-proc-'));
const SOCK = join(tmp, 'wxdp.sock');
const CONFIG = join(tmp, 'router.json');
const children: ChildProcess[] = [];

afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});

const router = (services: unknown[], extraIp: string[] = []) => ({
  devices: [{ name: 'eth0', mac: M0 }, { name: 'eth1', mac: M1 }],
  sysctls: { 'net.ipv4.conf.all.forwarding': 1 },
  ip: ['addr add 192.0.2.1/24 dev eth0', 'addr add 198.51.100.1/24 dev eth1', `neigh add 198.51.100.2 lladdr ${H1} dev eth1 nud permanent`, `neigh add 192.0.2.100 lladdr ${H0} dev eth0 nud permanent`, ...extraIp],
  services,
});
const TRAFFIC_SERVICE = { module: TRAFFIC, name: 'traffic', options: { device: 'eth0', frame: Buffer.from(IN).toString('hex'), perTick: 8, intervalMs: 5 } };

/** A `wxdp up` process; its stderr collected, `ready` when it logged that it serves. */
function up(args: string[]): { child: ChildProcess; stderr: () => string; exited: Promise<number | null>; line: (re: RegExp) => Promise<string> } {
  const child = spawn(process.execPath, [WXDP, 'up', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let err = '';
  const waiters: Array<() => void> = [];
  child.stderr!.on('data', (d) => {
    err += d.toString();
    waiters.splice(0).forEach((w) => w());
  });
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => {
    waiters.splice(0).forEach((w) => w());
    res(code);
  }));
  const line = async (re: RegExp): Promise<string> => {
    for (;;) {
      const m = err.split('\n').find((l) => re.test(l));
      if (m !== undefined) return m;
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`wxdp up exited (${child.exitCode ?? child.signalCode}) before logging ${re}:\n${err}`);
      await new Promise<void>((r) => waiters.push(r));
    }
  };
  return { child, stderr: () => err, exited, line };
}

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main([...argv, '--socket', SOCK], { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

interface LinkJson {
  ifname: string;
  stats: { rxPackets: number; txPackets: number; txBytes: number; drops: Record<string, number> };
}
async function links(): Promise<Record<string, LinkJson['stats']>> {
  const r = await cli('link', 'show', '-s', '--json');
  expect(r.code).toBe(0);
  return Object.fromEntries((JSON.parse(r.out).links as LinkJson[]).map((l) => [l.ifname, l.stats]));
}

async function inNoRoutes(): Promise<number> {
  const c = await ControlClient.connect(SOCK);
  const s = await c.request<{ stack: { mib: Record<string, number> } }>('stats');
  c.close();
  return s.stack.mib['IpExt:InNoRoutes'] ?? 0;
}

/** Wait (bounded: 60 s) until `cond` holds on the counters. */
async function until<T>(read: () => Promise<T>, cond: (v: T) => boolean, what: string): Promise<T> {
  let v = await read();
  for (let i = 0; i < 600 && !cond(v); i++) {
    await new Promise((r) => setTimeout(r, 100));
    v = await read();
  }
  if (!cond(v)) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)}`);
  return v;
}

describe.skipIf(!built)('wxdp up as a process (needs the built dist/: npm run build)', () => {
  let daemon: ReturnType<typeof up>;

  it('starts, serves the socket, and counts frames with no route', async () => {
    writeFileSync(CONFIG, JSON.stringify(router([TRAFFIC_SERVICE]), null, 2));
    daemon = up([CONFIG, '--socket', SOCK]);
    await daemon.line(/ready: 2 devices, 4 ip commands, 0 programs, 1 service; control socket /);
    expect(daemon.stderr()).toContain(`wxdp up[${daemon.child.pid}]: traffic: injecting 8 frames every 5 ms on eth0\n`);
    const l = await until(links, (x) => x['eth0']!.rxPackets > 0, 'frames on eth0');
    expect(l['eth1']!.txPackets).toBe(0);
    expect(await until(inNoRoutes, (n) => n > 0, 'InNoRoutes')).toBeGreaterThan(0);
  });

  it('stats while frames flow: Mpps on eth0, no-route drops per second', async () => {
    const r = await cli('stats', '--once', '--interval', '0.3', '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.devices.find((d: { name: string }) => d.name === 'eth0').rxPps).toBeGreaterThan(0);
    expect(j.drops.find((d: { where: string; reason: string }) => d.where === 'stack' && d.reason === 'IP_INNOROUTES').perSecond).toBeGreaterThan(0);
  });

  it('wxdp ip route add while frames flow: they leave on eth1, as the gateway should get them', async () => {
    const r = await cli('ip', 'route', 'add', '203.0.113.0/24', 'via', '198.51.100.2');
    expect([r.code, r.out, r.err]).toEqual([0, '', '']);
    const l = await until(links, (x) => x['eth1']!.txPackets > 0, 'frames on eth1');
    expect(l['eth1']!.txBytes).toBe(l['eth1']!.txPackets * OUT.length);
  });

  it('programs swapped under traffic', async () => {
    const a = await cli('prog', 'attach', PROTO_COUNT, 'dev', 'eth0');
    expect([a.code, a.out, a.err]).toEqual([0, 'eth0: xdp_proto_count attached\n', '']);
    const udpSlot = async () => {
      const r = await cli('map', 'lookup', 'name', 'proto_stats', 'key', '05000000', '--json');
      return (JSON.parse(r.out).formatted.values as Array<{ packets: number }>).reduce((s, v) => s + v.packets, 0);
    };
    await until(udpSlot, (n) => n > 0, 'UDP counted by xdp_proto_count');
    const b = await cli('prog', 'attach', DNS_FILTER, 'dev', 'eth0');
    expect([b.code, b.out]).toEqual([0, 'eth0: xdp_dns_filter attached (replaced xdp_proto_count)\n']);
    const dns = async () => JSON.parse((await cli('map', 'lookup', 'name', 'verdicts', 'key', '00000000', '--json')).out).formatted.value as number;
    await until(dns, (n) => n > 0, 'DNS passed by xdp_dns_filter');
    const list = await cli('prog', 'list');
    expect(list.out).toBe(`eth0(2): xdp_dns_filter  section xdp  ${DNS_FILTER}\neth1(3): -\n`);
  });

  it('a second wxdp up on the same socket: one line, exit 1, the first keeps running', () => {
    const r = spawnSync(process.execPath, [WXDP, 'up', CONFIG, '--socket', SOCK], { encoding: 'utf8', timeout: 60_000 });
    expect([r.status, r.stderr]).toEqual([1, `wxdp up: ${SOCK}: another wxdp (pid ${daemon.child.pid}) serves this control socket\n`]);
    expect(daemon.child.exitCode).toBeNull();
  });

  it('SIGHUP reloads the file: the traffic service goes; no frame was lost on the way', async () => {
    writeFileSync(CONFIG, JSON.stringify(router([], ['route add blackhole 198.51.100.128/25']), null, 2));
    daemon.child.kill('SIGHUP');
    const stopped = await daemon.line(/traffic: stopped after \d+ frames/);
    const [, sent, refused] = /stopped after (\d+) frames \((\d+) refused\)/.exec(stopped)!;
    await daemon.line(/reload: ip lines applied 1, services stopped 1$/);
    const n = Number(sent);
    expect(Number(refused)).toBe(0);
    const done = await until(async () => ({ l: await links(), noRoute: await inNoRoutes() }), (x) => x.l['eth0']!.rxPackets === n && x.l['eth1']!.txPackets + x.noRoute === n, 'every frame accounted for');
    expect(done.l['eth0']!.drops).toEqual({});
    expect(done.noRoute).toBeGreaterThan(0);
    expect(done.l['eth1']!.txPackets).toBeGreaterThan(0);
    const show = await cli('ip', 'route', 'show', 'type', 'blackhole');
    expect(show.out).toBe('blackhole 198.51.100.128/25 \n');
  });

  it('map show|update|dump|delete and prog detach against the process', async () => {
    const show = await cli('map', 'show');
    expect(show.out.split('\n').filter(Boolean).map((l) => l.split('  ')[1])).toEqual(['name blocked', 'name verdicts']);
    const u = await cli('map', 'update', 'name', 'blocked', 'key', 'hex c0 00 02 63', 'value', '01');
    expect([u.code, u.out]).toEqual([0, 'key: c0 00 02 63  value: 01\n  {"key":1661075648,"value":1}\n']);
    const d = await cli('map', 'dump', 'name', 'blocked', '--json');
    expect(JSON.parse(d.out).entries).toEqual([{ key: 'c0000263', value: '01', formatted: { key: 1661075648, value: 1 } }]);
    expect((await cli('map', 'delete', 'name', 'blocked', 'key', 'c0000263')).code).toBe(0);
    const det = await cli('prog', 'detach', 'dev', 'eth0');
    expect([det.code, det.out]).toEqual([0, 'eth0: xdp_dns_filter detached\n']);
    // nothing runs the object now: it is unloaded, and its maps with it
    expect((await cli('map', 'show')).out).toBe('');
  });

  it('SIGTERM: drains, logs the final counters, removes the socket and exits 0', async () => {
    const l = await links();
    daemon.child.kill('SIGTERM');
    expect(await daemon.exited).toBe(0);
    const log = daemon.stderr();
    const pid = daemon.child.pid;
    expect(log).toContain(`wxdp up[${pid}]: SIGTERM: stopping\n`);
    expect(log).toMatch(new RegExp(`wxdp up\\[${pid}\\]: final counters after \\d+\\.\\d s:\\n`));
    expect(log).toContain(`wxdp up[${pid}]:   eth1: rx 0 packets 0 bytes, tx ${l['eth1']!.txPackets} packets ${l['eth1']!.txPackets * OUT.length} bytes; verdicts none; drops none\n`);
    expect(log).toMatch(/ {2}stack drops: .*IP_INNOROUTES \d+/);
    // what clients changed is in the log, with how it ended
    expect(log).toContain(`wxdp up[${pid}]: control: ip route add 203.0.113.0/24 via 198.51.100.2: ok\n`);
    expect(log).toContain(`wxdp up[${pid}]: control: prog.attach ${DNS_FILTER} dev eth0: ok\n`);
    expect(log.endsWith(`wxdp up[${pid}]: stopped\n`)).toBe(true);
    expect(existsSync(SOCK)).toBe(false);
  });
});
