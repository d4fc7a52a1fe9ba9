// The control socket of an embedded data path (dp.listen) and every client command against it, in
// process through main(): a router (eth0 192.0.2.1/24, eth1 198.51.100.1/24, gateway 198.51.100.2)
// with frames injected on eth0 while the commands change it. Expected frames are hand-built: the
// forwarded datagram is the injected one with the TTL one lower (RFC 791; the header checksum
// recomputed, which RFC 1624's incremental update equals) between the router's and the gateway's MACs.
// Counter names are the kernel's: IpExt:InNoRoutes for a forward with no route (ip_error,
// ENETUNREACH → IPSTATS_MIB_INNOROUTES). The protocol tests feed a raw socket garbage, unknown
// commands, oversized lines and a client that leaves mid-command: each is answered or dropped and the
// data path keeps serving.

import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { ControlClient } from '../../src/control/control_client.js';
import { ControlError, type ControlServer } from '../../src/control/control_socket.js';
import { Datapath } from '../../src/control/datapath.js';
import type { Device } from '../../src/control/device.js';
import { Poller } from '../../src/control/poller.js';
import { eth, ipv4, udp } from '../support/frames.js';

const root = new URL('../../', import.meta.url).pathname;
const DNS_FILTER = join(root, 'programs/xdp_dns_filter.o');
const PROTO_COUNT = join(root, 'programs/xdp_proto_count.o');

const M0 = '02:00:00:00:01:00'; // router eth0
const M1 = '02:00:00:00:01:01'; // router eth1
const H0 = '02:00:00:00:02:00'; // a host on eth0's link
const H1 = '02:00:00:00:02:01'; // the gateway on eth1's link

const tmp = mkdtempSync(join(tmpdir(), 'wxdp-up-ctl-'));
const SOCK = join(tmp, 'ctl.sock');

/** UDP from a host behind eth0 to 203.0.113.7:53, as it arrives (TTL 64) and as the router forwards it (TTL 63). */
const payload = Uint8Array.from({ length: 32 }, (_, i) => i);
const datagram = (src: string, ttl: number) => ipv4({ src, dst: '203.0.113.7', proto: 17, ttl, payload: udp(src, '203.0.113.7', 40000, 53, payload) });
const IN = (src = '192.0.2.100') => eth(M0, H0, 0x0800, datagram(src, 64));
const OUT = eth(H1, M1, 0x0800, datagram('192.0.2.100', 63));

let dp: Datapath;
let eth0: Device;
let eth1: Device;
let server: ControlServer;

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

const live = (...argv: string[]) => cli(...argv, '--socket', SOCK);

/** `n` frames on eth0, one poll: the frames eth1 sent. */
function flow(n: number, src?: string): Uint8Array[] {
  for (let i = 0; i < n; i++) expect(eth0.inject(IN(src))).toBe(true);
  dp.poll();
  eth0.readTx();
  return eth1.readTx().map((f) => f.data);
}

beforeAll(async () => {
  dp = await Datapath.create();
  eth0 = dp.addDevice({ name: 'eth0', mac: M0 });
  eth1 = dp.addDevice({ name: 'eth1', mac: M1 });
  // the poller is the test's: runs happen when it says (no wall-clock runs racing the injected frames)
  Poller.of(dp, { clock: 'manual' });
  dp.sysctl('net.ipv4.conf.all.forwarding', 1);
  for (const line of ['link set eth0 up', 'link set eth1 up', 'addr add 192.0.2.1/24 dev eth0', 'addr add 198.51.100.1/24 dev eth1', `neigh add 198.51.100.2 lladdr ${H1} dev eth1 nud permanent`, `neigh add 192.0.2.100 lladdr ${H0} dev eth0 nud permanent`]) dp.ip(line);
  server = await dp.listen(SOCK);
});

afterAll(async () => {
  await dp?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('dp.listen: the control socket', () => {
  it('is a Unix socket only its owner may use, and info names the process', async () => {
    expect(lstatSync(SOCK).isSocket()).toBe(true);
    expect(lstatSync(SOCK).mode & 0o777).toBe(0o600);
    const c = await ControlClient.connect(SOCK);
    const info = await c.request<{ pid: number; socket: string; devices: string[] }>('info');
    c.close();
    expect(info).toMatchObject({ pid: process.pid, socket: SOCK, devices: ['eth0', 'eth1'] });
  });

  it('a route added through the socket while frames flow: forwarded from the next burst on', async () => {
    const mib0 = dp.stack.mib()['IpExt:InNoRoutes']!;
    const sent: Uint8Array[][] = [];
    for (let round = 0; round < 6; round++) {
      sent.push(flow(8));
      if (round === 2) {
        const r = await live('ip', 'route', 'add', '203.0.113.0/24', 'via', '198.51.100.2');
        expect([r.code, r.out, r.err]).toEqual([0, '', '']);
      }
    }
    expect(sent.map((s) => s.length)).toEqual([0, 0, 0, 8, 8, 8]);
    for (const f of sent.flat()) expect(Buffer.from(f).toString('hex')).toBe(Buffer.from(OUT).toString('hex'));
    expect(dp.stack.mib()['IpExt:InNoRoutes']! - mib0).toBe(24);
    const show = await live('ip', 'route', 'show', '203.0.113.0/24');
    expect(show.out).toBe('203.0.113.0/24 via 198.51.100.2 dev eth1 \n');
  });

  it('wxdp ip --socket: ip\'s errors and exit status, -j, --json, -batch', async () => {
    const dup = await live('ip', 'route', 'add', '203.0.113.0/24', 'via', '198.51.100.2');
    expect([dup.code, dup.out, dup.err]).toEqual([2, '', 'RTNETLINK answers: File exists\n']);
    const j = await live('ip', '-j', 'route', 'show', '203.0.113.0/24');
    expect(JSON.parse(j.out)).toEqual([{ dst: '203.0.113.0/24', gateway: '198.51.100.2', dev: 'eth1', flags: [] }]);
    const w = await live('ip', 'route', 'show', '203.0.113.0/24', '--json');
    expect(JSON.parse(w.out)).toEqual({ batch: null, command: 'route show 203.0.113.0/24', result: [{ dst: '203.0.113.0/24', gateway: '198.51.100.2', dev: 'eth1', flags: [] }] });
    const batch = join(tmp, 'b.batch');
    writeFileSync(batch, 'route add 198.51.100.128/25 via 198.51.100.2\nroute add blackhole 203.0.113.128/25\n');
    const b = await live('ip', '-batch', batch, 'route', 'show', 'type', 'blackhole');
    expect([b.code, b.out]).toEqual([0, 'blackhole 203.0.113.128/25 \n']);
    // the batch's state stays in the data path: again, its first line exists
    const again = await live('ip', '-batch', batch);
    expect([again.code, again.err]).toEqual([1, `RTNETLINK answers: File exists\nCommand failed ${batch}:1\n`]);
    const bad = await live('ip', 'route', 'add', '203.0.113.0/33', 'dev', 'eth1');
    expect([bad.code, bad.err]).toEqual([1, 'Error: any valid prefix is expected rather than "203.0.113.0/33".\n']);
    expect((await live('ip', '--devices', '2', 'route', 'show')).code).toBe(2);
  });

  it('prog attach, list, and a swap under traffic: every frame runs under exactly one program', async () => {
    const a = await live('prog', 'attach', PROTO_COUNT, 'dev', 'eth0');
    expect([a.code, a.out, a.err]).toEqual([0, 'eth0: xdp_proto_count attached\n', '']);
    const list = await live('prog', 'list');
    expect(list.out).toBe(`eth0(2): xdp_proto_count  section xdp  ${PROTO_COUNT}\neth1(3): -\n`);
    let forwarded = 0;
    for (let i = 0; i < 5; i++) forwarded += flow(10).length;
    // struct datarec { packets, bytes } per CPU, slot SLOT_UDP = 5; programs run on CPU 0
    const udpSlot = await live('map', 'lookup', 'name', 'proto_stats', 'key', '05 00 00 00', '--json');
    const e = JSON.parse(udpSlot.out) as { formatted: { key: number; values: Array<{ packets: number; bytes: number }> } };
    expect(e.formatted.key).toBe(5);
    expect(e.formatted.values[0]).toEqual({ packets: 50, bytes: 50 * IN().length });

    const swap = await live('prog', 'attach', DNS_FILTER, 'name', 'xdp_dns_filter', 'dev', 'eth0');
    expect(swap.out).toBe('eth0: xdp_dns_filter attached (replaced xdp_proto_count)\n');
    for (let i = 0; i < 5; i++) forwarded += flow(10).length;
    expect(forwarded).toBe(100);
    // verdicts[V_DNS]: the frames after the swap, none before it; the old object (and its maps) is gone
    const v = await live('map', 'lookup', 'name', 'verdicts', 'key', '00000000', '--json');
    expect(JSON.parse(v.out).formatted).toEqual({ key: 0, value: 50 });
    const gone = await live('map', 'dump', 'name', 'proto_stats');
    expect([gone.code, gone.err]).toEqual([1, 'wxdp map dump: no live map named proto_stats (have: blocked, verdicts) (ENOENT)\n']);
    expect(eth0.stats().verdicts.XDP_PASS).toBeGreaterThanOrEqual(100);
    const pl = await live('prog', 'list', '--json');
    expect(JSON.parse(pl.out).devices[0]).toEqual({ device: 'eth0', ifindex: 2, program: 'xdp_dns_filter', section: 'xdp', object: DNS_FILTER });
  });

  it('live maps: update a filter map, its verdict, dump with BTF, delete, and errno lines', async () => {
    // 192.0.2.99 as on the wire (c0 00 02 63) → 1: its DNS is dropped from the next frame on
    const u = await live('map', 'update', 'name', 'blocked', 'key', 'hex', 'c0', '00', '02', '63', 'value', '01');
    expect([u.code, u.out]).toEqual([0, 'key: c0 00 02 63  value: 01\n  {"key":1661075648,"value":1}\n']);
    expect(flow(4, '192.0.2.99')).toHaveLength(0);
    const blocked = await live('map', 'lookup', 'name', 'verdicts', 'key', 'json', '1', '--json');
    expect(JSON.parse(blocked.out)).toEqual({ key: '01000000', value: '0400000000000000', formatted: { key: 1, value: 4 } });
    const d = await live('map', 'dump', 'name', 'blocked');
    expect(d.out).toBe('{"key":"c0000263","value":"01","formatted":{"key":1661075648,"value":1}}\nFound 1 element\n');
    const show = await live('map', 'show');
    expect(show.out).toMatch(/^\d+: hash {2}name blocked {2}key 4B {2}value 1B {2}max_entries 1024 {2}flags 0x0 {2}btf {2}\S+xdp_dns_filter\.o\n\d+: array {2}name verdicts /);
    const del = await live('map', 'delete', 'name', 'blocked', 'key', 'c0000263');
    expect([del.code, del.out]).toEqual([0, 'deleted key: c0 00 02 63\n']);
    expect(flow(1, '192.0.2.99')).toHaveLength(1);
    const again = await live('map', 'delete', 'name', 'blocked', 'key', 'c0000263');
    expect([again.code, again.err]).toEqual([1, "wxdp map delete: map 'blocked': delete: ENOENT\n"]);
    const missing = await live('map', 'lookup', 'name', 'blocked', 'key', 'c0000263');
    expect([missing.code, missing.err]).toEqual([1, 'wxdp map lookup: map blocked: key c0000263: not found (ENOENT)\n']);
    // bpftool's bytes (0x hex, decimal) and, with --json, the CLI's one error shape on stdout
    const missingJson = await live('map', 'lookup', 'name', 'blocked', 'key', '0xc0', '0', '2', '99', '--json');
    expect([missingJson.code, missingJson.err, JSON.parse(missingJson.out)]).toEqual([1, '', { error: { code: 'ENOENT', message: 'wxdp map lookup: map blocked: key c0000263: not found (ENOENT)' } }]);
    const short = await live('map', 'update', 'name', 'blocked', 'key', '0xc0', 'value', '01');
    expect([short.code, short.err]).toEqual([1, "wxdp map update: map 'blocked': update: EINVAL (key of 1 bytes, the map's key_size is 4)\n"]);
    const flags = await live('map', 'update', 'name', 'verdicts', 'key', '00000000', 'value', '0000000000000000', 'flags', 'noexist');
    expect([flags.code, flags.err]).toEqual([1, "wxdp map update: map 'verdicts': update: EEXIST\n"]);
    const noBtf = await live('map', 'update', 'id', '999', 'key', '00', 'value', '00');
    expect([noBtf.code, noBtf.err]).toEqual([1, 'wxdp map update: no live map with id 999 (ENOENT)\n']);
  });

  it('link show -s: the devices with their program and counters', async () => {
    const r = await live('link', 'show', 'eth0', '-s', '--json');
    const l = JSON.parse(r.out).links[0];
    expect(l).toMatchObject({ ifname: 'eth0', ifindex: 2, mtu: 1500, address: M0, operstate: 'UP', queues: 1, xdp: { program: 'xdp_dns_filter', object: DNS_FILTER } });
    const s = eth0.stats();
    expect(l.stats).toEqual({ rxPackets: s.rxPackets, rxBytes: s.rxBytes, txPackets: s.txPackets, txBytes: s.txBytes, verdicts: s.verdicts, drops: { XDP_DROP: 4 } });
    const text = await live('link', 'show', '-s');
    expect(text.out).toContain(`2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 queues 1 state UP\n    link/ether ${M0}\n    xdp xdp_dns_filter (${DNS_FILTER})\n`);
    expect(text.out).toContain('    drops: XDP_DROP 4\n');
    expect(text.out).toContain(`    RX:  bytes packets dropped\n    ${String(s.rxBytes).padStart(10)}${String(s.rxPackets).padStart(8)}       4\n    TX:  bytes packets\n`);
    expect(text.out).toContain('3: eth1: ');
    const plain = await live('link', 'show');
    expect(plain.out).not.toContain('RX:');
    const none = await live('link', 'show', 'eth7');
    expect([none.code, none.err]).toEqual([1, 'wxdp link show: no device eth7 (have: eth0, eth1) (ENODEV)\n']);
  });

  it('stats: rates over an interval while frames flow, --json and text', async () => {
    const rx0 = eth0.stats().rxPackets;
    let left = 20;
    const t = setInterval(() => {
      if (left-- > 0) flow(5);
    }, 5);
    const r = await live('stats', '--once', '--interval', '0.2', '--json');
    clearInterval(t);
    const j = JSON.parse(r.out);
    expect(j.intervalS).toBeGreaterThan(0.1);
    const e0 = j.devices.find((d: { name: string }) => d.name === 'eth0');
    const e1 = j.devices.find((d: { name: string }) => d.name === 'eth1');
    expect(e0.rxPps).toBeGreaterThan(0);
    expect(e1.txPps).toBeGreaterThan(0);
    // the second read's total: some of the frames injected while the command ran
    expect(e0.rxPackets).toBeGreaterThan(rx0);
    expect(e0.rxPackets).toBeLessThanOrEqual(eth0.stats().rxPackets);
    expect(j.drops).toContainEqual({ where: 'eth0', reason: 'XDP_DROP', perSecond: 0, total: 4 });
    expect(j.drops.some((d: { where: string; reason: string }) => d.where === 'stack' && d.reason === 'IP_INNOROUTES')).toBe(true);
    const text = await live('stats', '--count', '2', '--interval', '0.02');
    expect(text.code).toBe(0);
    expect(text.out.match(/^device +rx Mpps +rx Mbps +tx Mpps +tx Mbps +drops\/s$/gm)).toHaveLength(2);
    expect(text.out).toMatch(/^ {2}stack +IP_INNOROUTES +0 +24$/m);
    expect((await live('stats', '--interval', '0')).code).toBe(2);
  });

  it('stats on a terminal redraws its block in place; WXDP_SOCKET stands for --socket', async () => {
    const tty = Object.getOwnPropertyDescriptor(process.stdout, 'isTTY');
    Object.defineProperty(process.stdout, 'isTTY', { value: true, configurable: true });
    process.env['WXDP_SOCKET'] = SOCK;
    try {
      const r = await cli('stats', '--count', '3', '--interval', '0.02');
      const blocks = r.out.split(/\x1b\[\d+F\x1b\[J/);
      expect(blocks).toHaveLength(3);
      // each redraw goes back up exactly the lines of the block before it
      const ups = [...r.out.matchAll(/\x1b\[(\d+)F/g)].map((m) => Number(m[1]));
      expect(ups).toEqual(blocks.slice(0, 2).map((b) => b.split('\n').length - 1));
      const ip = await cli('ip', 'route', 'show', '203.0.113.0/24');
      expect(ip.out).toBe('203.0.113.0/24 via 198.51.100.2 dev eth1 \n');
    } finally {
      delete process.env['WXDP_SOCKET'];
      if (tty) Object.defineProperty(process.stdout, 'isTTY', tty);
      else delete (process.stdout as { isTTY?: boolean }).isTTY;
    }
  });

  it('prog detach; detaching again is ENOENT', async () => {
    const d = await live('prog', 'detach', 'dev', 'eth0');
    expect([d.code, d.out]).toEqual([0, 'eth0: xdp_dns_filter detached\n']);
    expect(eth0.program).toBeUndefined();
    const again = await live('prog', 'detach', 'dev', 'eth0');
    expect([again.code, again.err]).toEqual([1, 'wxdp prog detach: eth0 runs no XDP program (ENOENT)\n']);
    const bad = await live('prog', 'attach', join(tmp, 'none.o'), 'dev', 'eth0');
    expect([bad.code, bad.err]).toEqual([1, `wxdp prog attach: object: cannot read ${join(tmp, 'none.o')}: ENOENT\n`]);
    const noProg = await live('prog', 'attach', DNS_FILTER, 'name', 'nope', 'dev', 'eth0');
    expect([noProg.code, noProg.err]).toEqual([1, "wxdp prog attach: program: no program 'nope' (have: xdp_dns_filter) (ENOENT)\n"]);
    expect((await live('prog', 'attach', DNS_FILTER)).code).toBe(2);
    expect((await live('prog', 'list', '--help')).out).toMatch(/^usage: wxdp prog list/);
  });

  it('prog attach takes --max-entries / --global / --kconfig into the load; the commands that load nothing refuse them', async () => {
    const CONFIG = join(root, 'programs/xdp_config.o');
    const bare = await live('prog', 'attach', CONFIG, 'dev', 'eth0');
    expect([bare.code, bare.err]).toEqual([1, "wxdp prog attach: object: map 'rx_cnt': create: EINVAL (array key 4 value 24 entries 0 flags 0x400)\n"]);
    const r = await live('prog', 'attach', CONFIG, 'dev', 'eth0', '--max-entries', 'rx_cnt=2', '--max-entries', 'seen=16', '--global', 'nr_cpus=2', '--global', 'action=XDP_DROP', '--json');
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ device: 'eth0', program: 'xdp_config' });
    expect(eth0.program?.name).toBe('xdp_config');
    const shown = await live('map', 'show', '--json');
    expect(JSON.parse(shown.out).maps.find((m: { name: string }) => m.name === 'rx_cnt')).toMatchObject({ maxEntries: 2 });
    expect((await live('prog', 'detach', 'dev', 'eth0')).code).toBe(0);
    const huge = await live('prog', 'attach', CONFIG, 'dev', 'eth0', '--global', 'nr_cpus=9007199254740993');
    expect([huge.code, huge.err]).toEqual([2, "wxdp prog: --global nr_cpus=9007199254740993: past 2^53, which the control socket's JSON cannot carry exactly\n"]);
    const list = await live('prog', 'list', '--global', 'nr_cpus=2');
    expect([list.code, list.err]).toEqual([2, 'wxdp prog: wxdp prog list loads no object here: --global does not apply\n']);
    expect((await live('prog', 'attach', CONFIG, 'dev', 'eth0', '--max-memory', '1G')).code).toBe(2);
    expect((await live('map', 'show', '--max-entries', 'rx_cnt=2')).err).toBe('wxdp map: wxdp map show loads no object here: --max-entries does not apply\n');
    expect((await cli('prog', 'show', CONFIG, '--max-entries', 'rx_cnt=2')).code).toBe(2);
  });

  it('a client command with no data path behind the socket: one line with the errno, exit 1', async () => {
    for (const argv of [['stats', '--once'], ['prog', 'list'], ['link', 'show'], ['map', 'show'], ['ip', 'route', 'show']]) {
      const r = await cli(...argv, '--socket', join(tmp, 'nobody.sock'));
      expect([r.code, r.err]).toEqual([1, `wxdp ${argv.slice(0, argv[0] === 'ip' || argv[0] === 'stats' ? 1 : 2).join(' ')}: cannot connect to ${join(tmp, 'nobody.sock')}: ENOENT (is \`wxdp up\` running? give --socket PATH or WXDP_SOCKET)\n`]);
    }
  });
});

/** A raw connection: lines out, answers in (as parsed JSON), and whether the server closed it. */
class Raw {
  private buf = '';
  private readonly answers: unknown[] = [];
  private waiters: Array<() => void> = [];
  closed = false;
  readonly sock: Socket;
  constructor(path: string) {
    this.sock = createConnection(path);
    this.sock.on('data', (d) => {
      this.buf += d.toString();
      let nl: number;
      while ((nl = this.buf.indexOf('\n')) >= 0) {
        this.answers.push(JSON.parse(this.buf.slice(0, nl)));
        this.buf = this.buf.slice(nl + 1);
      }
      this.waiters.splice(0).forEach((w) => w());
    });
    this.sock.on('close', () => {
      this.closed = true;
      this.waiters.splice(0).forEach((w) => w());
    });
    this.sock.on('error', () => undefined);
  }
  write(s: string | Buffer): void {
    this.sock.write(s);
  }
  async next(n = 1): Promise<unknown[]> {
    while (this.answers.length < n && !this.closed) await new Promise<void>((r) => this.waiters.push(r));
    return this.answers.splice(0, n);
  }
}

describe('the control socket protocol, and bad input', () => {
  it('answers in order, echoes ids, reads lines split across writes and several in one', async () => {
    const r = new Raw(SOCK);
    r.write('{"id": "a", "cmd": "info"}\n{"id": 2, "cmd": "prog.list"}\n{"id": 3, "c');
    r.write('md": "map.show", "args": {}}\n');
    const [a, b, c] = (await r.next(3)) as Array<{ id: unknown; ok: boolean }>;
    expect([a!.id, a!.ok, b!.id, b!.ok, c!.id, c!.ok]).toEqual(['a', true, 2, true, 3, true]);
    r.sock.destroy();
  });

  it('garbage, a non-object, an unknown command, bad args: error objects, and the connection stays', async () => {
    const r = new Raw(SOCK);
    r.write('hello\n');
    r.write(Buffer.from([0xff, 0xfe, 0x00, 0x0a]));
    r.write('[1, 2]\n');
    r.write('{"id": 4, "cmd": "reboot"}\n');
    r.write('{"id": 5, "cmd": "map.dump", "args": []}\n');
    r.write('{"id": 6, "cmd": "map.dump", "args": {"id": "x"}}\n');
    r.write('{"id": {"x": 1}, "cmd": "info"}\n');
    r.write('{"id": 8, "cmd": "ip", "args": {"argv": "route show"}}\n');
    r.write('{"id": 9, "cmd": "reload"}\n');
    r.write('{"id": 10, "cmd": "info"}\n');
    const got = (await r.next(10)) as Array<{ id: unknown; ok: boolean; error?: { code: string; errno: string; message: string } }>;
    expect(got.map((a) => [a.id, a.ok, a.error?.code, a.error?.errno])).toEqual([
      [null, false, 'CONTROL', 'EINVAL'],
      [null, false, 'CONTROL', 'EINVAL'],
      [null, false, 'CONTROL', 'EINVAL'],
      [4, false, 'CONTROL', 'EOPNOTSUPP'],
      [5, false, 'CONTROL', 'EINVAL'],
      [6, false, 'CONTROL', 'EINVAL'],
      [null, false, 'CONTROL', 'EINVAL'],
      [8, false, 'CONTROL', 'EINVAL'],
      [9, false, 'CONTROL', 'EOPNOTSUPP'],
      [10, true, undefined, undefined],
    ]);
    expect(got[0]!.error!.message).toBe('not JSON: "hello"');
    expect(got[3]!.error!.message).toMatch(/^unknown command "reboot" \(have: info, ip, prog\.list, /);
    expect(got[8]!.error!.message).toBe('reload: this data path was not started from a config (wxdp up CONFIG)');
    expect(r.closed).toBe(false);
    r.sock.destroy();
  });

  it('a line past the limit is answered EMSGSIZE and the connection closed; others go on', async () => {
    const small = await dp.listen(join(tmp, 'small.sock'), { maxLine: 1024 });
    const r = new Raw(join(tmp, 'small.sock'));
    r.write('{"id": 1, "cmd": "info", "args": {"pad": "' + 'x'.repeat(2000));
    const [a] = (await r.next(1)) as Array<{ ok: boolean; error: { errno: string } }>;
    expect([a!.ok, a!.error.errno]).toEqual([false, 'EMSGSIZE']);
    await r.next(1);
    expect(r.closed).toBe(true);
    const c = await ControlClient.connect(join(tmp, 'small.sock'));
    expect(await c.request('info')).toMatchObject({ pid: process.pid });
    c.close();
    await small.close();
    expect(existsSync(join(tmp, 'small.sock'))).toBe(false);
  });

  it('a client that disconnects mid-command: the command completes, the data path keeps serving', async () => {
    // the client goes the moment the server has read its request (the attach then loads and verifies)
    const request = server.request.bind(server);
    let inFlight = 0;
    const r = new Raw(SOCK);
    server.request = (req: unknown) => {
      const answer = request(req);
      if ((req as { cmd?: string }).cmd === 'prog.attach') {
        inFlight++;
        r.sock.destroy();
      }
      return answer;
    };
    r.write(JSON.stringify({ id: 1, cmd: 'prog.attach', args: { object: PROTO_COUNT, device: 'eth1' } }) + '\n');
    await r.next(1);
    server.request = request;
    expect([inFlight, r.closed]).toEqual([1, true]);
    const c = await ControlClient.connect(SOCK);
    // prog.detach waits behind the attach (one changer at a time): it finds it done
    expect(await c.request('prog.detach', { device: 'eth1' })).toEqual({ device: 'eth1', program: 'xdp_proto_count' });
    expect(flow(3)).toHaveLength(3);
    c.close();
  });

  it('a second listen on a served socket is refused with the pid; a stale socket is replaced; a file is not', async () => {
    const err = await dp.listen(SOCK).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ControlError);
    expect([(err as ControlError).errno, (err as ControlError).message]).toEqual(['EADDRINUSE', `${SOCK}: another wxdp (pid ${process.pid}) serves this control socket`]);

    // a process that died listening leaves its socket file behind
    const stale = join(tmp, 'stale.sock');
    const child = spawnSync(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(stale)}, () => process.kill(process.pid, 'SIGKILL'))`]);
    expect(child.signal).toBe('SIGKILL');
    expect(lstatSync(stale).isSocket()).toBe(true);
    const s = await dp.listen(stale);
    const c = await ControlClient.connect(stale);
    expect(await c.request('info')).toMatchObject({ pid: process.pid });
    c.close();
    await s.close();

    const plain = join(tmp, 'plain');
    writeFileSync(plain, 'keep me');
    const e2 = await dp.listen(plain).catch((e: unknown) => e);
    expect([(e2 as ControlError).errno, (e2 as ControlError).message]).toEqual(['EEXIST', `${plain} exists and is not a socket: not replacing it`]);
    expect(readFileSync(plain, 'utf8')).toBe('keep me');
  });
});

describe('the client commands\' --help', () => {
  it.each([
    [['prog', '--help'], /^usage: wxdp prog show\|load\|dump\|run OBJ\.o .*\n {7}wxdp prog list /],
    [['prog', 'attach', '--help'], /^usage: wxdp prog list \[--socket PATH\] \[--json\]\n/],
    [['map', '--help'], /^usage: wxdp map dump\|lookup\|update\|push\|enqueue\|pop\|dequeue\|peek OBJ\.o .*\n {7}wxdp map show /],
    [['map', 'dump', 'name', 'x', '--help'], /^usage: wxdp map show /],
    [['link', '--help'], /^usage: wxdp link show \[DEV\] \[-s\]/],
    [['stats', '--help'], /^usage: wxdp stats \[--once\]/],
    [['ip', '--help', '--socket', SOCK], /--socket PATH \(or WXDP_SOCKET\): against a running data path/],
    [['--help'], /\n {2}up CONFIG \[--socket PATH\] \[--check\]\n/],
  ])('wxdp %s', async (argv, usage) => {
    const r = await cli(...argv);
    expect([r.code, r.err]).toEqual([0, '']);
    expect(r.out).toMatch(usage);
  });

  it('bad arguments are usage errors (exit 2), before any connection', async () => {
    for (const argv of [['prog', 'detach'], ['map', 'update', 'name', 'm'], ['map', 'dump'], ['stats', '--count', '0'], ['stats', '--bogus'], ['link', 'show', 'a', 'b'], ['link', 'up']]) {
      const r = await cli(...argv, '--socket', join(tmp, 'nobody.sock'));
      expect([argv, r.code]).toEqual([argv, 2]);
      expect(r.err).not.toContain('cannot connect');
    }
  });
});

describe('Datapath.close', () => {
  it('closes the control socket, the UDP sockets and the poller; idempotent', async () => {
    const d = await Datapath.create();
    d.addDevice({ name: 'eth0' });
    d.ip('link set eth0 up');
    d.ip('addr add 192.0.2.1/24 dev eth0');
    const path = join(tmp, 'close.sock');
    await d.listen(path);
    const s = d.udp.createSocket('udp4');
    await new Promise<void>((res) => s.bind(5353, '192.0.2.1', () => res()));
    const closed = new Promise<void>((res) => s.on('close', () => res()));
    const poller = Poller.of(d);
    expect(poller.held).toBe(true);
    await d.close();
    await closed;
    expect(existsSync(path)).toBe(false);
    expect(poller.held).toBe(false);
    poller.kick();
    expect(poller.scheduled).toBe(false);
    await d.close();
    expect(d.closed).toBe(true);
    await expect(d.listen(path)).rejects.toThrow('the Datapath is closed');
  });
});
