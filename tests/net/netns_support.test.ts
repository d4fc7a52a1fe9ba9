// The namespace and AF_PACKET support the kernel comparisons stand on (tests/support/netns.ts,
// src/oracle/netns.ts, tests/support/afpacket.{py,ts}): names, cleanup, stale removal, batches and
// their errors, sysctls, veths, frames sent and captured, and a test run inside a namespace.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Alu64, Ins } from '../../src/isa/insn.js';
import { kernelAvailability, loadKernelInsns, xdpContext } from '../../src/oracle/kernel.js';
import { netnsAvailability, removeStaleNamespaces } from '../../src/oracle/netns.js';
import { afpacket, pythonAvailability } from '../support/afpacket.js';
import { eth, ETH_P_IP, hex, ipv4, pattern } from '../support/frames.js';
import { listNamespaces, Namespaces, NetnsError, testRunInNamespace, useNamespaces } from '../support/netns.js';

const nsa = useNamespaces('router');
/** The compiled module (npm run build), for a child process that is plain node. */
const distNetns = fileURLToPath(new URL('../../dist/src/oracle/netns.js', import.meta.url));
const py = pythonAvailability();

describe('namespace owners', () => {
  it('an owner name outside [a-z0-9]{1,16} is refused', () => {
    expect(() => netnsAvailability('Bad-Owner')).toThrow(/namespace owner 'Bad-Owner' must be 1-16 characters/);
    expect(() => new Namespaces('x'.repeat(17))).toThrow(/must be 1-16 characters/);
  });
});

describe.skipIf(!nsa.available.ok)('namespaces', () => {
  it('are named wx-<owner>-<pid>-<n> and deleted by cleanup()', () => {
    const set = new Namespaces('router');
    const a = set.create();
    const b = set.create({ lo: false });
    expect(a.name).toMatch(new RegExp(`^wx-router-${process.pid}-\\d+$`));
    expect(listNamespaces()).toEqual(expect.arrayContaining([a.name, b.name]));
    expect(a.ipJson<Array<{ ifname: string; operstate: string }>>('link', 'show', 'lo')[0]!.operstate).toBe('UNKNOWN');
    expect(b.ipJson<Array<{ ifname: string; flags: string[] }>>('link', 'show', 'lo')[0]!.flags).not.toContain('UP');
    set.cleanup();
    expect(listNamespaces()).not.toContain(a.name);
    expect(listNamespaces()).not.toContain(b.name);
    expect(set.namespaces).toHaveLength(0);
  });

  it('removeStaleNamespaces deletes those of dead processes and keeps those of live ones', () => {
    // A pid that runs no process: a child that has exited.
    const dead = spawnSync('true').pid!;
    const stale = `wx-router-${dead}-0`;
    expect(spawnSync('ip', ['netns', 'add', stale]).status).toBe(0);
    const mine = nsa.set.create();
    const removed = removeStaleNamespaces('router');
    expect(removed).toContain(stale);
    expect(listNamespaces()).not.toContain(stale);
    expect(listNamespaces()).toContain(mine.name);
  });

  it.skipIf(!existsSync(distNetns))('a process interrupted by SIGINT or SIGTERM removes its namespaces', async () => {
    for (const sig of ['SIGINT', 'SIGTERM'] as const) {
      const script = `import { Namespaces } from ${JSON.stringify(pathToFileURL(distNetns).href)};
        console.log(new Namespaces('router').create().name); setTimeout(() => {}, 60000);`;
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      const name = await new Promise<string>((res) => child.stdout.once('data', (d: Buffer) => res(d.toString().trim())));
      expect(listNamespaces()).toContain(name);
      const exited = new Promise<string | null>((res) => child.once('exit', (_c, s) => res(s)));
      child.kill(sig);
      expect(await exited).toBe(sig);
      expect(listNamespaces()).not.toContain(name);
    }
  });

  it('a batch applies every line; a failing line stops it with its number and ip\'s message', () => {
    const ns = nsa.set.create();
    ns.batch('addr add 192.0.2.1/32 dev lo\n\n# a comment\naddr add 2001:db8::1/128 dev lo\n');
    const addrs = ns.ipJson<Array<{ addr_info: Array<{ local: string }> }>>('addr', 'show', 'dev', 'lo');
    expect(addrs[0]!.addr_info.map((a) => a.local)).toEqual(expect.arrayContaining(['192.0.2.1', '2001:db8::1']));
    let err: unknown;
    try {
      ns.batch('route add 198.51.100.0/24 dev lo\nroute add 198.51.100.0/24 dev lo\nroute add 203.0.113.0/24 dev lo\n');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NetnsError);
    expect((err as NetnsError).line).toBe(2);
    expect((err as NetnsError).message).toMatch(/line 2: route add 198\.51\.100\.0\/24 dev lo: RTNETLINK answers: File exists/);
    // ip -batch stops there: line 3 never ran, line 1 stays.
    const routes = ns.ipJson<Array<{ dst: string }>>('route', 'show');
    expect(routes.map((r) => r.dst)).toEqual(['198.51.100.0/24']);
  });

  it('a failing ip command names the command and ip\'s message', () => {
    const ns = nsa.set.create();
    expect(() => ns.ip('link', 'set', 'dev', 'nosuchdev', 'up')).toThrow(/ip -n wx-router-\d+-\d+ link set dev nosuchdev up failed \(exit 1\): Cannot find device "nosuchdev"/);
  });

  it('sysctls are set and read inside the namespace only', () => {
    const ns = nsa.set.create();
    const host = spawnSync('sysctl', ['-n', 'net.ipv4.conf.all.forwarding'], { encoding: 'utf8' }).stdout.trim();
    ns.sysctl({ 'net.ipv4.conf.all.forwarding': 1, 'net.ipv4.icmp_ratelimit': 0 });
    expect(ns.sysctlGet('net.ipv4.conf.all.forwarding')).toBe('1');
    expect(ns.sysctlGet('net.ipv4.icmp_ratelimit')).toBe('0');
    expect(spawnSync('sysctl', ['-n', 'net.ipv4.conf.all.forwarding'], { encoding: 'utf8' }).stdout.trim()).toBe(host);
    expect(() => ns.sysctl([['net.ipv4.no_such_sysctl', 1]])).toThrow(NetnsError);
  });

  it('a veth joins two namespaces with the MAC and MTU asked for', () => {
    const a = nsa.set.create();
    const b = nsa.set.create();
    nsa.set.veth({ ns: a, name: 'va', mac: '02:00:00:00:00:aa', mtu: 1280 }, { ns: b, name: 'vb' });
    const la = a.ipJson<Array<{ address: string; mtu: number; flags: string[] }>>('link', 'show', 'va')[0]!;
    expect(la).toMatchObject({ address: '02:00:00:00:00:aa', mtu: 1280 });
    expect(la.flags).toContain('UP');
    expect(b.ipJson<Array<{ ifname: string }>>('link', 'show', 'vb')[0]!.ifname).toBe('vb');
  });
});

describe.skipIf(!nsa.available.ok || !py.ok)('AF_PACKET send and capture (tests/support/afpacket.py)', () => {
  const frame = eth('02:00:00:00:00:bb', '02:00:00:00:00:aa', ETH_P_IP, ipv4({ src: '192.0.2.1', dst: '192.0.2.2', proto: 253, payload: pattern(20) }));

  function pair() {
    const w = nsa.set.create();
    w.sysctl({ 'net.ipv6.conf.all.disable_ipv6': 1, 'net.ipv6.conf.default.disable_ipv6': 1 });
    nsa.set.veth({ ns: w, name: 'pa' }, { ns: w, name: 'pb' });
    return w;
  }

  it('a frame sent on one end arrives on the other byte for byte, and not back on the sender', () => {
    const w = pair();
    const r = afpacket(w, [{ send: [{ ifname: 'pa', frame }], capture: ['pa', 'pb'], windowMs: 100 }]);
    expect(r.rounds).toHaveLength(1);
    expect(r.rounds[0]!.sent).toBe(1);
    expect((r.rounds[0]!.frames['pb'] ?? []).map(hex)).toEqual([hex(frame)]);
    expect(r.rounds[0]!.frames['pa'] ?? []).toEqual([]);
  });

  it('a round with nothing sent captures nothing in its window', () => {
    const w = pair();
    const t0 = Date.now();
    const r = afpacket(w, [{ send: [], capture: ['pb'], windowMs: 200 }]);
    expect(r.rounds[0]!.frames).toEqual({});
    expect(Date.now() - t0).toBeGreaterThanOrEqual(200);
  });

  it('stops a round at maxFrames and says so', () => {
    const w = pair();
    const r = afpacket(w, [{ send: [0, 1, 2, 3].map(() => ({ ifname: 'pa', frame })), capture: ['pb'], windowMs: 2000, maxFrames: 2 }]);
    expect(r.rounds[0]!.full).toBe(true);
    expect(r.rounds[0]!.frames['pb']).toHaveLength(2);
  });

  it('frames that arrive after a round ended show up as the next round\'s strays', () => {
    const w = pair();
    const r = afpacket(w, [
      { send: [{ ifname: 'pa', frame }], capture: ['pb'], windowMs: 0 },
      { send: [], capture: ['pb'], windowMs: 50 },
    ]);
    const late = [...(r.rounds[0]!.frames['pb'] ?? []), ...(r.rounds[1]!.stray['pb'] ?? [])];
    expect(late.map(hex)).toEqual([hex(frame)]);
  });

  it('settle reads until the wire is quiet', () => {
    const w = pair();
    const r = afpacket(w, [], { settle: { quietMs: 100, maxMs: 2000 } });
    expect(r.settle).toEqual({ frames: {}, quiet: true });
  });

  it('the command-line form sends and captures one round', () => {
    const w = pair();
    const script = fileURLToPath(new URL('../support/afpacket.py', import.meta.url));
    const out = JSON.parse(w.exec(['python3', script, '--send', `pa:${hex(frame)}`, '--capture', 'pb', '--window', '100', '--count', '4']));
    expect(out.rounds[0].frames.pb).toEqual([hex(frame)]);
  });
});

const kernel = kernelAvailability();
describe.skipIf(!nsa.available.ok || !kernel.ok)('BPF_PROG_TEST_RUN inside a namespace', () => {
  it('runs with the namespace\'s devices: ctx ingress_ifindex names a device that exists only there', () => {
    const ns = nsa.set.create();
    nsa.set.veth({ ns, name: 'ta' }, { ns, name: 'tb' });
    const ifindex = ns.ipJson<Array<{ ifindex: number }>>('link', 'show', 'ta')[0]!.ifindex;
    // r0 = ctx->ingress_ifindex
    const prog = loadKernelInsns([Ins.ldx('w', 0, 1, 12), Ins.exit()]);
    try {
      const data = new Uint8Array(64);
      const r = testRunInNamespace(ns, prog.pinPath, { data, ctx: xdpContext({ dataLength: 64, ingressIfindex: ifindex }) });
      expect(r.retval).toBe(ifindex);
      expect(r.data).toEqual(data);
    } finally {
      prog.close();
    }
  });

  it('a failing run names the program and the namespace', () => {
    const ns = nsa.set.create();
    const prog = loadKernelInsns([Alu64.mov.imm(0, 2), Ins.exit()]);
    try {
      // 4 bytes of data: XDP test runs need at least ETH_HLEN
      expect(() => testRunInNamespace(ns, prog.pinPath, { data: new Uint8Array(4) })).toThrow(NetnsError);
    } finally {
      prog.close();
    }
  });
});
