// The `wxdp up` daemon in process (src/control/daemon.ts): a config built into a data path (devices,
// sysctls, ip lines, a program with its map entries, a UDP service), reload's diff, the refusals that
// leave everything as it was, the apply-time errors naming the config's key path, and shutdown. The
// router is the one of control_socket.test.ts (eth0 192.0.2.1/24, eth1 198.51.100.1/24 with the gateway
// 198.51.100.2); the echo service answers on 192.0.2.1:53 behind programs/xdp_dns_filter.o.

import { createSocket } from 'node:dgram';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/control/daemon_config.js';
import { ControlClient } from '../../src/control/control_client.js';
import { Daemon, inverseIpLine } from '../../src/control/daemon.js';
import { Poller } from '../../src/control/poller.js';
import { eth, ipv4, udp } from '../support/frames.js';

const root = new URL('../../', import.meta.url).pathname;
const DNS_FILTER = join(root, 'programs/xdp_dns_filter.o');
const PROTO_COUNT = join(root, 'programs/xdp_proto_count.o');
const ECHO = join(root, 'tests/up/fixtures/echo_service.mjs');
const BAD = join(root, 'tests/up/fixtures/bad_service.mjs');

const tmp = mkdtempSync(join(tmpdir(), 'wxdp-up-daemon-'));
const daemons: Daemon[] = [];
afterAll(async () => {
  for (const d of daemons) await d.shutdown('test end');
  rmSync(tmp, { recursive: true, force: true });
});

interface EchoState {
  started: number;
  stopped: number;
  echoed: number;
  options: unknown[];
}
const echoState = (): EchoState => (globalThis as { __wxdpUpEcho?: EchoState }).__wxdpUpEcho ?? { started: 0, stopped: 0, echoed: 0, options: [] };

const ROUTER = {
  devices: [
    { name: 'eth0', mac: '02:00:00:00:01:00' },
    { name: 'eth1', mac: '02:00:00:00:01:01', mtu: 1400 },
  ],
  sysctls: { 'net.ipv4.conf.all.forwarding': 1, 'net.ipv4.conf.eth1.rp_filter': 2 },
  ip: [
    'addr add 192.0.2.1/24 dev eth0',
    'addr add 198.51.100.1/24 dev eth1',
    'neigh add 198.51.100.2 lladdr 02:00:00:00:02:01 dev eth1 nud permanent',
    'neigh add 192.0.2.100 lladdr 02:00:00:00:02:00 dev eth0 nud permanent',
    'route add 203.0.113.0/25 via 198.51.100.2',
  ],
  programs: [
    // 192.0.2.99 blocked twice over: as hex bytes on the wire, and as the u32 key BTF decodes them to
    { object: DNS_FILTER, device: 'eth0', maps: { blocked: [{ key: 'c0 00 02 63', value: '01' }, { key: 0x650200c0, value: 1 }] } },
  ],
  services: [{ module: ECHO, options: { address: '192.0.2.1', port: 53 } }],
};

let n = 0;
/** Write `cfg` as a config file (a new one, or over `file`). */
function config(cfg: unknown, file = join(tmp, `c${++n}.json`)): string {
  writeFileSync(file, JSON.stringify(cfg, null, 2));
  return file;
}

async function start(cfg: unknown, name = `d${++n}`): Promise<{ d: Daemon; file: string; log: string[]; socket: string }> {
  const file = config(cfg);
  const log: string[] = [];
  const socket = join(tmp, `${name}.sock`);
  const d = await Daemon.start(file, { socket, log: (l) => void log.push(l) });
  daemons.push(d);
  return { d, file, log, socket };
}

async function refusedAtStart(cfg: unknown): Promise<string> {
  const socket = join(tmp, `refused${++n}.sock`);
  const e = await Daemon.start(config(cfg), { socket, log: () => undefined }).catch((x: unknown) => x);
  expect(e).toBeInstanceOf(ConfigError);
  // nothing left behind: no socket file
  expect(existsSync(socket)).toBe(false);
  return (e as Error).message.replace(/^.*?c\d+\.json: /, '');
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!cond()) throw new Error(`timed out waiting for ${what}`);
}

const dnsQuery = (src: string) => eth('02:00:00:00:01:00', '02:00:00:00:02:00', 0x0800, ipv4({ src, dst: '192.0.2.1', proto: 17, payload: udp(src, '192.0.2.1', 40000, 53, Uint8Array.of(1, 2, 3)) }));

describe('wxdp up: the daemon', () => {
  let main: Awaited<ReturnType<typeof start>>;

  it('builds the config: devices, sysctls, ip lines, the program and its maps, the service', async () => {
    const before = echoState().started;
    main = await start(ROUTER, 'main');
    const dp = main.d.dp;
    expect(dp.listDevices().map((d) => [d.name, d.mtu, Buffer.from(d.mac).toString('hex')])).toEqual([['eth0', 1500, '020000000100'], ['eth1', 1400, '020000000101']]);
    expect(dp.sysctl('net.ipv4.conf.eth1.forwarding')).toBe(1);
    expect(dp.sysctl('net.ipv4.conf.eth1.rp_filter')).toBe(2);
    expect(dp.ip('route show').stdout).toBe('192.0.2.0/24 dev eth0 proto kernel scope link src 192.0.2.1 \n198.51.100.0/24 dev eth1 proto kernel scope link src 198.51.100.1 \n203.0.113.0/25 via 198.51.100.2 dev eth1 \n');
    expect(dp.ip('link show eth0').stdout).toMatch(/^2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 /);
    expect(dp.device('eth0').program?.name).toBe('xdp_dns_filter');
    const blocked = dp.loadedObjects()[0]!.map('blocked');
    expect([...blocked.entries()].map(([k, v]) => [Buffer.from(k).toString('hex'), Buffer.from(v).toString('hex')]).sort()).toEqual([['c0000263', '01'], ['c0000265', '01']]);
    expect(echoState().started).toBe(before + 1);
    expect(main.log).toContain('echo_service: echo on 192.0.2.1:53');
    expect(main.log.at(-1)).toBe(`ready: 2 devices, 5 ip commands, 1 program, 1 service; control socket ${main.socket}`);
  });

  it('the service answers through the program; a blocked source is dropped by it', async () => {
    const dp = main.d.dp;
    const echoed = echoState().echoed;
    const tx0 = dp.device('eth0').stats().txPackets;
    dp.device('eth0').inject(dnsQuery('192.0.2.100'));
    dp.device('eth0').inject(dnsQuery('192.0.2.99'));
    Poller.of(dp).kick();
    // the reply leaves on eth0 and, with no link behind eth0, is taken off its ring at the next poll
    await until(() => echoState().echoed === echoed + 1 && dp.device('eth0').stats().txPackets === tx0 + 1 && main.d.discarded.tx === 1, 'the echo');
    expect(dp.device('eth0').rings(0).tx.available()).toBe(0);
    expect(dp.device('eth0').stats().drops.XDP_DROP).toBe(1);
    expect(dp.stack.mib()['Udp:InDatagrams']).toBe(1);
  });

  it('reload applies only what changed, and reports it', async () => {
    const stopped = echoState().stopped;
    const next = structuredClone(ROUTER) as unknown as { devices: Array<Record<string, unknown>>; sysctls: unknown; ip: string[]; programs: unknown; services: unknown };
    next.devices[1]!['mtu'] = 1300;
    next.devices.push({ name: 'eth2', mac: '02:00:00:00:01:02' });
    next.sysctls = { 'net.ipv4.conf.all.forwarding': 1 };
    next.ip = [...ROUTER.ip.slice(0, 4), 'route add 203.0.113.128/25 via 198.51.100.2', 'addr add 203.0.113.1/32 dev eth2'];
    next.programs = [{ object: DNS_FILTER, device: 'eth0', maps: { blocked: [{ key: 'c0 00 02 63', value: '01' }] } }];
    next.services = [{ module: ECHO, options: { address: '192.0.2.1', port: 53, v: 2 } }];
    config(next, main.file);
    // two at once (SIGHUP and the reload command together): one after the other, the second finds nothing to do
    const [r, same] = await Promise.all([main.d.reload(), main.d.reload()]);
    expect(r).toEqual({
      devices: { added: ['eth2'], changed: ['eth1'] },
      sysctls: { set: [], restored: ['net.ipv4.conf.eth1.rp_filter'] },
      ip: { undone: ['route add 203.0.113.0/25 via 198.51.100.2'], applied: ['route add 203.0.113.128/25 via 198.51.100.2', 'addr add 203.0.113.1/32 dev eth2'], notUndone: [] },
      programs: { attached: ['xdp_dns_filter on eth0'], detached: [], kept: [] },
      services: { stopped: ['echo_service'], started: ['echo_service'], kept: [] },
    });
    const dp = main.d.dp;
    expect(dp.device('eth1').mtu).toBe(1300);
    expect(dp.sysctl('net.ipv4.conf.eth1.rp_filter')).toBe(0);
    expect(dp.ip('route show root 203.0.113.0/24').stdout).toBe('203.0.113.128/25 via 198.51.100.2 dev eth1 \n');
    expect(dp.ip('-4 addr show dev eth2').stdout).toContain('inet 203.0.113.1/32 scope global eth2');
    // the new program's map holds what the file says now: one blocked source
    const obj = dp.loadedObjects().find((o) => o.programs.has('xdp_dns_filter'))!;
    expect(obj.map('blocked').count).toBe(1);
    // the replaced object is unloaded: one object in the data path
    expect(dp.loadedObjects()).toHaveLength(1);
    expect(echoState().stopped).toBe(stopped + 1);
    expect(echoState().options.at(-1)).toEqual({ address: '192.0.2.1', port: 53, v: 2 });
    expect(main.log.at(-2)).toBe('reload: devices added 1, devices changed 1, sysctls restored 1, ip lines undone 1, ip lines applied 2, programs attached 1, services stopped 1, services started 1');
    expect(same.programs).toEqual({ attached: [], detached: [], kept: ['xdp_dns_filter on eth0'] });
    expect(same.services).toEqual({ stopped: [], started: [], kept: ['echo_service'] });
    expect(main.log.at(-1)).toBe('reload: nothing changed');
  });

  it('reload refuses, changing nothing: a device gone, its queues changed, a program that does not load', async () => {
    const dp = main.d.dp;
    const routes = dp.ip('route show').stdout;
    const prog = dp.device('eth0').program;
    const cur = main.d.current;
    const base = { ...ROUTER, devices: [...ROUTER.devices, { name: 'eth2', mac: '02:00:00:00:01:02' }] };
    const cases: Array<[unknown, string]> = [
      [{ ...base, devices: base.devices.slice(0, 2), ip: [] }, 'devices: device eth2 is gone from the file: removing a device needs a restart'],
      [{ ...base, devices: [base.devices[0], { ...base.devices[1], queues: 2 }, base.devices[2]], ip: [] }, 'devices[1].queues: changes only at restart (eth1 runs with 1)'],
      [{ ...base, ip: [], programs: [{ object: join(tmp, 'gone.o'), device: 'eth0' }] }, `programs[0].object: cannot read ${join(tmp, 'gone.o')}: ENOENT`],
      [{ ...base, ip: [], programs: [{ object: DNS_FILTER, device: 'eth0', maps: { blocked: [{ key: { saddr: 1 }, value: 1 }] } }] }, 'programs[0].maps.blocked[0].key: '],
      [{ ...base, devices: [{ ...base.devices[0], mtu: 9000 }, base.devices[1], base.devices[2]] }, 'devices[0].mtu: must be 68..3502, not 9000'],
    ];
    for (const [cfg, message] of cases) {
      config(cfg, main.file);
      const e = await main.d.reload().catch((x: unknown) => x);
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as Error).message.startsWith(`${main.file}: ${message}`)).toBe(true);
      expect(dp.ip('route show').stdout).toBe(routes);
      expect(dp.device('eth0').program).toBe(prog);
      expect(main.d.current).toBe(cur);
    }
    expect(dp.loadedObjects()).toHaveLength(1);
  });

  it('the reload command over the control socket; prog detach from the file', async () => {
    const next = { ...ROUTER, devices: [...ROUTER.devices.slice(0, 1), { ...ROUTER.devices[1], mtu: 1300 }, { name: 'eth2', mac: '02:00:00:00:01:02' }], programs: [] };
    next.ip = [...ROUTER.ip.slice(0, 4), 'route add 203.0.113.128/25 via 198.51.100.2', 'addr add 203.0.113.1/32 dev eth2'];
    config(next, main.file);
    const c = await ControlClient.connect(main.socket);
    const r = await c.request<{ programs: unknown; services: unknown }>('reload');
    c.close();
    expect(r.programs).toEqual({ attached: [], detached: ['xdp_dns_filter on eth0'], kept: [] });
    expect(main.log.at(-1)).toBe('control: reload: ok');
    expect(main.d.dp.device('eth0').program).toBeUndefined();
    expect(main.d.dp.loadedObjects()).toHaveLength(0);
  });

  it('a program with maxEntries, globals and a kconfig file: loaded with them; a change to them re-attaches', async () => {
    const CONFIG = join(root, 'programs/xdp_config.o');
    const kconfig = join(tmp, 'kernel.config');
    writeFileSync(kconfig, 'CONFIG_HZ=250\n');
    const base = { ...ROUTER, devices: [...ROUTER.devices.slice(0, 1), { ...ROUTER.devices[1], mtu: 1300 }, { name: 'eth2', mac: '02:00:00:00:01:02' }] };
    base.ip = [...ROUTER.ip.slice(0, 4), 'route add 203.0.113.128/25 via 198.51.100.2', 'addr add 203.0.113.1/32 dev eth2'];
    const prog = { object: CONFIG, device: 'eth0', maxEntries: { rx_cnt: 2, seen: 16 }, globals: { nr_cpus: 2, action: 'XDP_DROP' }, kconfig: 'kernel.config' };
    config({ ...base, programs: [prog] }, main.file);
    expect((await main.d.reload()).programs).toEqual({ attached: ['xdp_config on eth0'], detached: [], kept: [] });
    const dp = main.d.dp;
    const obj = dp.loadedObjects().find((o) => o.programs.has('xdp_config'))!;
    expect(obj.map('rx_cnt').maxEntries).toBe(2);
    expect(obj.program('xdp_config').testRun({ data: new Uint8Array(64) }).retval).toBe(1); // XDP_DROP, as set
    expect((await main.d.reload()).programs).toEqual({ attached: [], detached: [], kept: ['xdp_config on eth0'] });
    config({ ...base, programs: [{ ...prog, globals: { nr_cpus: 2, action: 'XDP_TX' } }] }, main.file);
    expect((await main.d.reload()).programs).toEqual({ attached: ['xdp_config on eth0'], detached: [], kept: [] });
    expect(dp.device('eth0').program!.testRun({ data: new Uint8Array(64) }).retval).toBe(3);
    config({ ...base, programs: [] }, main.file);
    expect((await main.d.reload()).programs).toEqual({ attached: [], detached: ['xdp_config on eth0'], kept: [] });
    expect(dp.loadedObjects()).toHaveLength(0);
  });

  it('shutdown: services stop, the counters are logged and returned, the socket goes', async () => {
    const stopped = echoState().stopped;
    const c = await main.d.shutdown('SIGTERM');
    expect(echoState().stopped).toBe(stopped + 1);
    const eth0 = c.devices.find((d) => d.name === 'eth0')!;
    expect(eth0).toMatchObject({ rxPackets: 2, txPackets: 1, drops: { XDP_DROP: 1 } });
    expect(main.log).toContain('SIGTERM: stopping');
    expect(main.log.find((l) => l.startsWith('  eth0: '))).toBe(`  eth0: rx 2 packets ${2 * dnsQuery('192.0.2.1').length} bytes, tx 1 packets ${eth0.txBytes} bytes; verdicts XDP_DROP 1, XDP_PASS 1; drops XDP_DROP 1`);
    expect(main.log.at(-1)).toBe('stopped');
    expect(existsSync(main.socket)).toBe(false);
    expect(main.d.dp.closed).toBe(true);
    // once: the same counters again
    expect(await main.d.shutdown()).toBe(c);
    await expect(main.d.reload()).rejects.toThrow('reload: the data path is shutting down');
  });
});

describe('wxdp up: a device backed by a link', () => {
  it('attaches the link at start, link.show reports it, shutdown closes its socket (the port is free again)', async () => {
    const port = 40000 + (process.pid % 5000) * 2;
    const s = await start({ devices: [{ name: 'eth0', link: { type: 'udp', local: '127.0.0.1', port, remote: '127.0.0.1', remotePort: port + 1 } }] });
    expect(s.d.dp.device('eth0').link?.spec).toMatchObject({ type: 'udp', local: '127.0.0.1', port });
    const client = await ControlClient.connect(s.socket);
    const shown = await client.request<{ links: Array<{ ifname: string; link?: { spec: { type: string }; stats: { txPackets: number } } }> }>('link.show');
    client.close();
    expect(shown.links.find((d) => d.ifname === 'eth0')?.link).toMatchObject({ spec: { type: 'udp', port }, stats: { txPackets: 0 } });
    await s.d.shutdown('test');
    expect(s.d.dp.device('eth0').link).toBeUndefined();
    const sock = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(port, '127.0.0.1', () => resolve());
    });
    await new Promise<void>((resolve) => sock.close(() => resolve()));
  });
});

describe('wxdp up: errors while building name the config key', () => {
  const one = { devices: [{ name: 'eth0' }] };
  it.each([
    // fib_check_nh's extack message for a gateway no route reaches
    ['an ip line the tables refuse', { ...one, ip: ['addr add 192.0.2.1/24 dev eth0', 'route add 198.51.100.0/24 via 203.0.113.9'] }, 'ip[1]: Error: Nexthop has invalid gateway. (ENETUNREACH)'],
    ['an ip line that does not parse', { ...one, ip: ['route add nowhere'] }, 'ip[0]: Error: any valid prefix is expected rather than "nowhere".'],
    ['a sysctl the kernel does not have', { ...one, sysctls: { 'net.ipv4.conf.eth0.nope': 1 } }, 'sysctls["net.ipv4.conf.eth0.nope"]: '],
    ['a map the object does not have', { ...one, programs: [{ object: DNS_FILTER, device: 'eth0', maps: { nope: [] } }] }, "programs[0].maps.nope: no map 'nope' (have: blocked, verdicts)"],
    ['a typed key for a map entry of the wrong shape', { ...one, programs: [{ object: PROTO_COUNT, device: 'eth0', maps: { proto_stats: [{ key: 1, value: { packets: 'x' } }] } }] }, 'programs[0].maps.proto_stats[0].value: '],
    ['a program the object does not have', { ...one, programs: [{ object: DNS_FILTER, program: 'nope', device: 'eth0' }] }, "programs[0].program: no program 'nope' (have: xdp_dns_filter)"],
    ['a service module with no start()', { ...one, services: [{ module: join(root, 'tests/up/fixtures/no_start.mjs') }] }, `services[0].module: ${join(root, 'tests/up/fixtures/no_start.mjs')} exports no start(dp, ctx) function`],
    ['a service whose start() throws', { ...one, services: [{ module: BAD }] }, 'services[0]: service bad_service: start() failed: no port for you'],
    ['a service module that is missing', { ...one, services: [{ module: join(tmp, 'none.mjs') }] }, `services[0].module: cannot read ${join(tmp, 'none.mjs')}: ENOENT`],
    ['a device link whose socket cannot bind', { devices: [{ name: 'eth0', link: { type: 'udp', local: '192.0.2.77', port: 47999, remote: '127.0.0.1', remotePort: 47998 } }] }, 'devices[0].link: '],
  ])('%s', async (_what, cfg, message) => {
    const got = await refusedAtStart(cfg);
    // messages from the codec and the sysctl table are theirs: the key path and its start are checked
    expect(got.slice(0, message.length)).toBe(message);
  });
});

describe('inverseIpLine', () => {
  it.each([
    ['route add 198.51.100.0/24 via 192.0.2.2 metric 10', 'route del 198.51.100.0/24 via 192.0.2.2 metric 10'],
    ['ro append default via 192.0.2.2', 'ro del default via 192.0.2.2'],
    ['r replace 198.51.100.0/24 dev eth0', 'r del 198.51.100.0/24 dev eth0'],
    ['-6 route add 2001:db8::/32 via fe80::1 dev eth0', '-6 route del 2001:db8::/32 via fe80::1 dev eth0'],
    ['a add 192.0.2.1/24 dev eth0', 'a del 192.0.2.1/24 dev eth0'],
    ['addr add 192.0.2.1/24 dev eth0 label "eth0 x"', 'addr del 192.0.2.1/24 dev eth0 label "eth0 x"'],
    ['ru add from 192.0.2.0/24 lookup 100 pref 10', 'ru del from 192.0.2.0/24 lookup 100 pref 10'],
    ['neigh add 192.0.2.2 lladdr 02:00:00:00:02:00 dev eth0 nud permanent', 'neigh del 192.0.2.2 lladdr 02:00:00:00:02:00 dev eth0 nud permanent'],
    ['link set eth0 up', undefined],
    ['route del 198.51.100.0/24', undefined],
    ['rule append from all lookup 7', undefined],
    ['maddr add 01:00:5e:00:00:01 dev eth0', undefined],
  ])('%s', (line, inverse) => {
    expect(inverseIpLine(line)).toBe(inverse);
  });
});
