// The `wxdp up` config file (src/control/daemon_config.ts): what a valid file becomes, and each refusal
// as one ConfigError naming the file and the key path. The bounds are the kernel's where it has them:
// ETH_MIN_MTU 68 (include/linux/if_ether.h), IFNAMSIZ 16 with dev_valid_name's characters
// (net/core/dev.c), is_valid_ether_addr (no multicast bit, not all zeros); 3502 is a wxdp ring
// device's largest MTU (a 4 KiB frame less headroom, shared info and a tagged Ethernet header).

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, parseDaemonConfig, readDaemonConfig } from '../../src/control/daemon_config.js';
import { main } from '../../src/cli/main.js';

const tmp = mkdtempSync(join(tmpdir(), 'wxdp-up-config-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const file = (name: string, text: string): string => {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
};

/** The message a config gets refused with. */
function refused(cfg: unknown, name = 'r.json'): string {
  try {
    parseDaemonConfig(typeof cfg === 'string' ? cfg : JSON.stringify(cfg), name);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as ConfigError).code).toBe('CONFIG');
    return (e as ConfigError).message;
  }
  throw new Error('accepted');
}

const dev = (o: Record<string, unknown> = {}) => ({ name: 'eth0', ...o });

describe('wxdp up config', () => {
  it('fills the defaults and resolves paths from the config file\'s directory', () => {
    const batch = file('r.batch', '# the router\naddr add 192.0.2.1/24 dev eth0\nroute add 198.51.100.0/24 \\\n  via 192.0.2.2\n\n');
    const cfg = readDaemonConfig(file('ok.json', JSON.stringify({
      socket: 'wxdp.sock',
      devices: [dev(), { name: 'eth1', mac: '02:00:00:00:01:01', mtu: 3502, queues: 4, up: false }],
      sysctls: { 'net.ipv4.ip_forward': 1, 'net.ipv4.conf.eth0.rp_filter': '2' },
      ip: 'r.batch',
      programs: [{ object: 'x.o', device: 'eth1', maps: { blocked: [{ key: 'c0 00 02 02', value: '01' }, { key: { a: 1 }, value: 2, flags: 'noexist' }] } }],
      services: [{ module: './svc/echo.mjs' }, { module: 'b.js', name: 'b2', options: { port: 7 } }],
    })));
    expect(cfg.socket).toBe(join(tmp, 'wxdp.sock'));
    expect(cfg.devices).toEqual([
      { name: 'eth0', mtu: 1500, queues: 1, up: true },
      { name: 'eth1', mac: '02:00:00:00:01:01', mtu: 3502, queues: 4, up: false },
    ]);
    expect(cfg.sysctls).toEqual([['net.ipv4.ip_forward', 1], ['net.ipv4.conf.eth0.rp_filter', '2']]);
    // a continued line is one command, named by the line it ends on (as ip -batch counts)
    expect(cfg.ip).toEqual([
      { text: 'addr add 192.0.2.1/24 dev eth0', where: `${batch}:2` },
      { text: 'route add 198.51.100.0/24   via 192.0.2.2', where: `${batch}:4` },
    ]);
    expect(cfg.programs).toEqual([{
      object: join(tmp, 'x.o'), device: 'eth1', where: 'programs[0]',
      maps: { blocked: [
        { key: 'c0 00 02 02', value: '01', flags: 'any', where: 'programs[0].maps.blocked[0]' },
        { key: { a: 1 }, value: 2, flags: 'noexist', where: 'programs[0].maps.blocked[1]' },
      ] },
    }]);
    expect(cfg.services).toEqual([
      { module: join(tmp, 'svc/echo.mjs'), name: 'echo', options: {}, where: 'services[0]' },
      { module: join(tmp, 'b.js'), name: 'b2', options: { port: 7 }, where: 'services[1]' },
    ]);
  });

  it('inline ip lines are named by their index', () => {
    const cfg = parseDaemonConfig(JSON.stringify({ devices: [dev()], ip: ['link set eth0 up', 'addr add 192.0.2.1/24 dev eth0'] }), join(tmp, 'i.json'));
    expect(cfg.ip).toEqual([{ text: 'link set eth0 up', where: 'ip[0]' }, { text: 'addr add 192.0.2.1/24 dev eth0', where: 'ip[1]' }]);
  });

  it.each([
    ['not an object', [], 'r.json: must be an object, not an array'],
    ['an unknown top-level key', { devices: [dev()], device: [] }, 'r.json: device: unknown key (known: socket, devices, sysctls, ip, programs, services)'],
    ['no devices', {}, 'r.json: devices: is required (at least one device)'],
    ['an empty device list', { devices: [] }, 'r.json: devices: must list at least one device'],
    ['a device that is not an object', { devices: ['eth0'] }, 'r.json: devices[0]: must be an object, not a string ("eth0")'],
    ['a device without a name', { devices: [{ mtu: 1500 }] }, 'r.json: devices[0].name: is required'],
    ['a name of 16 bytes', { devices: [dev({ name: 'abcdefghijklmnop' })] }, 'r.json: devices[0].name: "abcdefghijklmnop" is longer than 15 bytes'],
    ['a name with a slash', { devices: [dev({ name: 'a/b' })] }, `r.json: devices[0].name: "a/b" is not a valid device name (no '/', ':' or blanks; not "." or "..")`],
    ['a name with a colon', { devices: [dev({ name: 'eth0:1' })] }, `r.json: devices[0].name: "eth0:1" is not a valid device name (no '/', ':' or blanks; not "." or "..")`],
    ['"lo"', { devices: [dev({ name: 'lo' })] }, 'r.json: devices[0].name: "lo" is the loopback device'],
    ['the same name twice', { devices: [dev(), dev({ mtu: 1400 })] }, 'r.json: devices[1].name: "eth0" is also devices[0]\'s name'],
    ['an MTU under ETH_MIN_MTU', { devices: [dev(), { name: 'eth1', mtu: 67 }] }, 'r.json: devices[1].mtu: must be 68..3502, not 67'],
    ['an MTU over the ring device\'s', { devices: [dev(), { name: 'eth1', mtu: 3503 }] }, 'r.json: devices[1].mtu: must be 68..3502, not 3503'],
    ['an MTU that is a string', { devices: [dev({ mtu: '1500' })] }, 'r.json: devices[0].mtu: must be 68..3502, not a string ("1500")'],
    ['a fractional MTU', { devices: [dev({ mtu: 1500.5 })] }, 'r.json: devices[0].mtu: must be 68..3502, not 1500.5'],
    ['0 queues', { devices: [dev({ queues: 0 })] }, 'r.json: devices[0].queues: must be 1..64, not 0'],
    ['a multicast MAC', { devices: [dev({ mac: '01:00:5e:00:00:01' })] }, 'r.json: devices[0].mac: "01:00:5e:00:00:01" is a multicast address: a device needs a unicast one'],
    ['an all-zero MAC', { devices: [dev({ mac: '00:00:00:00:00:00' })] }, 'r.json: devices[0].mac: "00:00:00:00:00:00" is all zeros: a device needs a unicast address'],
    ['a short MAC', { devices: [dev({ mac: '02:00:00:00:01' })] }, 'r.json: devices[0].mac: "02:00:00:00:01" is not a MAC address (six hex bytes, \':\' between)'],
    ['up that is not a boolean', { devices: [dev({ up: 'yes' })] }, 'r.json: devices[0].up: must be true or false, not a string ("yes")'],
    ['a link without a type', { devices: [dev({ link: { remote: '198.51.100.2' } })] }, "r.json: devices[0].link.type: must be 'vxlan', 'geneve' or 'udp', not missing"],
    ['a link field of the wrong kind', { devices: [dev({ link: { type: 'vxlan', vni: 1 << 24, local: '198.51.100.1', remote: '198.51.100.2' } })] }, 'r.json: devices[0].link.vni: must be an integer 0..16777215, not 16777216'],
    ['a link field its type does not have', { devices: [dev({ link: { type: 'udp', vni: 42, local: '127.0.0.1', port: 4000, remote: '127.0.0.1', remotePort: 4001 } })] }, 'r.json: devices[0].link.vni: is not a field of a udp link (fields: type, local, port, remote, remotePort)'],
    ['an unknown device key', { devices: [dev({ speed: 10 })] }, 'r.json: devices[0].speed: unknown key (known: name, mac, mtu, queues, up, link)'],
    ['sysctls as a list', { devices: [dev()], sysctls: ['net.ipv4.ip_forward=1'] }, 'r.json: sysctls: must be an object NAME → value, not an array'],
    ['a sysctl that is not a name', { devices: [dev()], sysctls: { forwarding: 1 } }, 'r.json: sysctls["forwarding"]: is not a sysctl name (dotted, as net.ipv4.ip_forward)'],
    ['a sysctl value that is a boolean', { devices: [dev()], sysctls: { 'net.ipv4.ip_forward': true } }, 'r.json: sysctls["net.ipv4.ip_forward"]: must be an integer or a string, not a boolean true'],
    ['an ip line with a newline', { devices: [dev()], ip: ['addr add 192.0.2.1/24 dev eth0\nroute add default via 192.0.2.2'] }, 'r.json: ip[0]: one command per entry (no newline)'],
    ['an ip entry that is a number', { devices: [dev()], ip: [1] }, 'r.json: ip[0]: must be a string, not the number 1'],
    ['an ip batch file that is missing', { devices: [dev()], ip: 'nope.batch' }, `r.json: ip: cannot read the batch file ${join(process.cwd(), 'nope.batch')}: ENOENT`],
    ['a program without an object', { devices: [dev()], programs: [{ device: 'eth0' }] }, 'r.json: programs[0].object: is required'],
    ['a program on an unknown device', { devices: [dev()], programs: [{ object: 'x.o', device: 'eth9' }] }, 'r.json: programs[0].device: "eth9" is not a configured device (have: eth0)'],
    ['two programs on one device', { devices: [dev()], programs: [{ object: 'x.o', device: 'eth0' }, { object: 'y.o', device: 'eth0' }] }, 'r.json: programs[1].device: "eth0" already runs programs[0] (one XDP program per device)'],
    ['map entries that are not a list', { devices: [dev()], programs: [{ object: 'x.o', device: 'eth0', maps: { m: { key: '00' } } }] }, 'r.json: programs[0].maps.m: must be an array, not an object'],
    ['a map key that is not hex', { devices: [dev()], programs: [{ object: 'x.o', device: 'eth0', maps: { m: [{ key: 'c0 0', value: '01' }] } }] }, 'r.json: programs[0].maps.m[0].key: "c0 0" is not hex bytes (e.g. "c0 00 02 01" or "c0000201")'],
    ['a map entry without a value', { devices: [dev()], programs: [{ object: 'x.o', device: 'eth0', maps: { m: [{ key: '00' }] } }] }, 'r.json: programs[0].maps.m[0].value: is required'],
    ['bad map flags', { devices: [dev()], programs: [{ object: 'x.o', device: 'eth0', maps: { m: [{ key: '00', value: '00', flags: 'BPF_ANY' }] } }] }, 'r.json: programs[0].maps.m[0].flags: must be any, noexist or exist, not "BPF_ANY"'],
    ['a map name that needs quoting', { devices: [dev()], programs: [{ object: 'x.o', device: 'eth0', maps: { '.bss': [{ key: 'zz', value: '00' }] } }] }, 'r.json: programs[0].maps[".bss"][0].key: "zz" is not hex bytes (e.g. "c0 00 02 01" or "c0000201")'],
    ['maxEntries that is not an object', { devices: [dev()], programs: [{ object: 'x.o', device: 'eth0', maxEntries: [1] }] }, 'r.json: programs[0].maxEntries: must be an object, not an array'],
    ['a negative max_entries', { devices: [dev()], programs: [{ object: 'x.o', device: 'eth0', maxEntries: { rx_cnt: -1 } }] }, 'r.json: programs[0].maxEntries.rx_cnt: must be an integer 0..4294967295, not -1'],
    ['globals that are not an object', { devices: [dev()], programs: [{ object: 'x.o', device: 'eth0', globals: 'nr_cpus=2' }] }, 'r.json: programs[0].globals: must be an object, not a string ("nr_cpus=2")'],
    ['a kconfig file that is missing', { devices: [dev()], programs: [{ object: 'x.o', device: 'eth0', kconfig: 'nope.config' }] }, `r.json: programs[0].kconfig: cannot read ${join(process.cwd(), 'nope.config')}: ENOENT`],
    ['a service without a module', { devices: [dev()], services: [{ name: 'x' }] }, 'r.json: services[0].module: is required'],
    ['two services of one name', { devices: [dev()], services: [{ module: 'a/echo.mjs' }, { module: 'b/echo.mjs' }] }, 'r.json: services[1].name: "echo" is also services[0]\'s name'],
  ])('refuses %s', (_what, cfg, message) => {
    expect(refused(cfg)).toBe(message);
  });

  it('a file that is not JSON: the line and column of the first byte that cannot be', () => {
    expect(refused('{\n  "devices": [\n    { "name": "eth0", }\n  ]\n}\n')).toBe('r.json:3:23: not JSON: unexpected "}"');
    expect(refused('{ "devices": [')).toBe('r.json:1:15: not JSON: unexpected end of the file');
    expect(refused('')).toBe('r.json:1:1: not JSON: unexpected end of the file');
  });

  it('a file that cannot be read', () => {
    expect(() => readDaemonConfig(join(tmp, 'missing.json'))).toThrow(`${join(tmp, 'missing.json')}: cannot read it: ENOENT`);
  });

  it('wxdp up --check validates and prints a summary; a bad file is one line and exit 1', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const io = { out: (s: string) => void out.push(s), err: (s: string) => void err.push(s) };
    const good = file('check.json', JSON.stringify({ devices: [dev()], ip: ['addr add 192.0.2.1/24 dev eth0'] }));
    expect(await main(['up', good, '--check'], io)).toBe(0);
    expect(out.join('')).toBe(`${good}: ok: 1 devices, 0 sysctls, 1 ip commands, 0 programs, 0 services\n`);
    const bad = file('bad.json', JSON.stringify({ devices: [dev(), { name: 'eth1', mtu: 9000 }] }));
    expect(await main(['up', bad, '--check'], io)).toBe(1);
    expect(err.join('')).toBe(`wxdp up: ${bad}: devices[1].mtu: must be 68..3502, not 9000\n`);
    expect(await main(['up'], io)).toBe(2);
    expect(await main(['up', '--help'], io)).toBe(0);
    expect(out.join('')).toMatch(/usage: wxdp up CONFIG \[--socket PATH\] \[--check\]/);
  });
});
