// The kernel as the judge of dp.links and dp.addresses: the same `ip` operations run in a network
// namespace this test creates (wx-links2-PID-N, removed also when a test fails) and on a Datapath; then
// `ip -j link show`, `ip -j addr show`, `ip -j route show table all` (the routes the kernel adds for
// addresses, against what dp.addresses asked the FIB for) and the source addresses `ip route get` picks
// must agree, field for field, and refusals must read the same. Skipped, with the reason, without root
// or iproute2.

import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { Datapath } from '../../src/control/datapath.js';
import { NetError, type AddrInfo, type LinkInfo } from '../../src/control/net_types.js';
import { AF_INET, CONF4 } from '../../src/runtime/net_abi.js';
import { KernelRoutesFake, kernelRouteLines } from './kernel_routes.js';

function availability(): { ok: true } | { ok: false; reason: string } {
  if (process.platform !== 'linux') return { ok: false, reason: 'network namespaces need Linux' };
  if (process.getuid?.() !== 0) return { ok: false, reason: `not root (uid ${process.getuid?.()}): ip netns needs CAP_SYS_ADMIN` };
  const probe = `wx-links2-${process.pid}-probe`;
  const r = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
  if (r.error) return { ok: false, reason: `iproute2 not found: ${r.error.message}` };
  if (r.status !== 0) return { ok: false, reason: `ip netns add failed: ${r.stderr.trim()}` };
  spawnSync('ip', ['netns', 'del', probe]);
  return { ok: true };
}

const avail = availability();
if (!avail.ok) it.skip(`kernel comparison unavailable: ${avail.reason}`, () => {});

let seq = 0;
const namespaces: string[] = [];

afterEach(() => {
  for (const ns of namespaces.splice(0)) spawnSync('ip', ['netns', 'del', ns]);
});

/** One namespace: `ip -n NS ...`. */
class Kernel {
  readonly ns = `wx-links2-${process.pid}-${++seq}`;

  constructor() {
    const r = spawnSync('ip', ['netns', 'add', this.ns], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`ip netns add ${this.ns}: ${r.stderr}`);
    namespaces.push(this.ns);
  }

  /** Run `ip ARGS` in the namespace: stdout, or the error text `ip` printed. */
  run(args: string): { ok: boolean; out: string; err: string } {
    const r = spawnSync('ip', ['-n', this.ns, ...args.split(' ')], { encoding: 'utf8' });
    return { ok: r.status === 0, out: r.stdout, err: r.stderr.trim() };
  }

  ip(args: string): string {
    const r = this.run(args);
    if (!r.ok) throw new Error(`ip ${args}: ${r.err}`);
    return r.out;
  }

  json<T>(args: string): T {
    return JSON.parse(this.ip(`-j ${args}`)) as T;
  }

  sysctl(name: string, value: string): void {
    const r = spawnSync('ip', ['netns', 'exec', this.ns, 'sysctl', '-qw', `${name}=${value}`], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
  }

  /**
   * Wait (bounded) until the namespace is still: every link's operstate settled (linkwatch) and no
   * IPv6 address tentative (DAD done), the same over two looks 200 ms apart.
   */
  async settle(): Promise<void> {
    let last = '';
    for (let i = 0; i < 80; i++) {
      const now = this.ip('-j addr show');
      if (now === last && !now.includes('"tentative"')) return;
      last = now;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error('the namespace did not settle in 16 s');
  }
}

const LINK_FIELDS = ['ifindex', 'link', 'ifname', 'flags', 'mtu', 'qdisc', 'operstate', 'linkmode', 'group', 'txqlen', 'link_type', 'address', 'broadcast'] as const;

function pickLink(link: object): Record<string, unknown> {
  const l = link as Record<string, unknown>;
  return Object.fromEntries(LINK_FIELDS.filter((k) => l[k] !== undefined).map((k) => [k, l[k]]));
}

/** The error text for a wxdp call that should be refused ('' when it is not). */
function refusal(fn: () => unknown): string {
  try {
    fn();
    return '';
  } catch (e) {
    if (e instanceof NetError) return e.message;
    throw e;
  }
}

const clockSync = new WeakMap<Datapath, () => void>();

/** A Datapath and the kernel routes it shows: with `fib` 'stand-in' they go to KernelRoutesFake (the
 * address side alone); with 'real' to dp.routes, the FIB the stack looks up. */
async function wxdpSide(fib: 'stand-in' | 'real'): Promise<{ fib: 'stand-in' | 'real'; dp: Datapath; routes: () => string[] }> {
  const dp = await Datapath.create();
  // the stack's clock follows real time here, so lifetimes count down as the kernel's do
  const start = Date.now();
  clockSync.set(dp, () => dp.stack.advance(Math.max(0, Date.now() - start - dp.stack.now())));
  const fake = fib === 'stand-in' ? new KernelRoutesFake(dp) : undefined;
  const routes = () =>
    fake
      ? [...fake.lines('inet'), ...fake.lines('inet6')]
      : [
          ...kernelRouteLines(dp.routes.list({ family: 'inet', table: 'all' }) as never, 'inet'),
          ...kernelRouteLines(dp.routes.list({ family: 'inet6', table: 'all' }) as never, 'inet6'),
        ];
  return { fib, dp, routes };
}

/** A namespace and a Datapath (see wxdpSide). */
async function twins(fib: 'stand-in' | 'real' = 'stand-in'): Promise<{ k: Kernel; dp: Datapath; routes: () => string[] }> {
  const { dp, routes } = await wxdpSide(fib);
  return { k: new Kernel(), dp, routes };
}

/** A veth pair v0 (index 11) / v1 (index 10) with fixed MACs on both sides, lo up, both ends up. */
function vethPair(k: Kernel, dp: Datapath | readonly Datapath[], up = true): void {
  const dps = Array.isArray(dp) ? dp : [dp as Datapath];
  k.ip('link add v0 index 11 type veth peer name v1 index 10');
  for (const d of dps) d.links.add({ name: 'v0', kind: 'veth', index: 11, peer: { name: 'v1', index: 10 } });
  for (const [dev, mac] of [
    ['v0', '02:00:00:00:00:a0'],
    ['v1', '02:00:00:00:00:a1'],
  ] as const) {
    k.ip(`link set ${dev} address ${mac}`);
    for (const d of dps) d.links.set(dev, { address: mac });
  }
  if (!up) return;
  for (const dev of ['lo', 'v0', 'v1']) {
    k.ip(`link set ${dev} up`);
    for (const d of dps) d.links.set(dev, { up: true });
  }
}

function addrInfos(list: Array<{ ifname: string; addr_info: AddrInfo[] }>, dev: string): AddrInfo[] {
  return list.find((l) => l.ifname === dev)?.addr_info ?? [];
}

describe.skipIf(!avail.ok)('links against the kernel', () => {
  it('a new namespace and a new Datapath both start with lo alone, down', async () => {
    const { k, dp } = await twins();
    expect(dp.links.list().map(pickLink)).toEqual(k.json<LinkInfo[]>('link show').map(pickLink));
  });

  it('veth ends, up and down, MTU, MAC and name show the same flags, operstate and peer links', async () => {
    const { k, dp } = await twins();
    vethPair(k, dp, false);
    // the kernel sets a veth's operstate (and so RUNNING) from its linkwatch work, a little later
    const same = async () => {
      const ours = dp.links.list().map(pickLink);
      let theirs: Array<Record<string, unknown>> = [];
      for (let i = 0; i < 30; i++) {
        theirs = k.json<Array<Record<string, unknown>>>('link show').map(pickLink);
        if (JSON.stringify(theirs) === JSON.stringify(ours)) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(ours).toEqual(theirs);
    };
    await same();
    const steps: Array<[string, () => unknown]> = [
      ['link set v0 up', () => dp.links.set('v0', { up: true })],
      ['link set v1 up', () => dp.links.set('v1', { up: true })],
      ['link set lo up', () => dp.links.set('lo', { up: true })],
      ['link set v1 down', () => dp.links.set('v1', { up: false })],
      ['link set v0 mtu 1400', () => dp.links.set('v0', { mtu: 1400 })],
      ['link set v1 address 02:00:00:00:00:99', () => dp.links.set('v1', { address: '02:00:00:00:00:99' })],
      ['link set v0 name w0', () => dp.links.set('v0', { name: 'w0' })],
      ['link set v1 up', () => dp.links.set('v1', { up: true })],
      ['link set w0 arp off', () => dp.links.set('w0', { arp: false })],
      ['link set w0 down', () => dp.links.set('w0', { up: false })],
      ['link set w0 arp on', () => dp.links.set('w0', { arp: true })],
      ['link set v1 arp off', () => dp.links.set('v1', { arp: false })],
    ];
    for (const [cmd, fn] of steps) {
      k.ip(cmd);
      fn();
      await same();
    }
  });

  it('arp on|off and a new MAC flush the link\'s neighbours as the kernel does (IPv6 multicast footprints of addrconf aside)', async () => {
    const { k, dp } = await twins();
    vethPair(k, dp);
    const fill = () => {
      for (const [to, dev, nud] of [
        ['192.0.2.7', 'v0', 'stale'],
        ['192.0.2.8', 'v0', 'permanent'],
        ['2001:db8::7', 'v0', 'reachable'],
        ['192.0.2.6', 'v1', 'stale'],
      ] as const) {
        const lladdr = '02:00:00:00:00:07';
        k.ip(`neigh replace ${to} lladdr ${lladdr} dev ${dev} nud ${nud}`);
        dp.neigh.replace({ to, dev, lladdr, nud });
      }
    };
    // the kernel's table also holds ff02::… NOARP entries its addrconf traffic made (see neigh.ts)
    const show = (list: Array<{ dst: string; dev: string; state: string[] }>) =>
      list.filter((n) => !n.dst.startsWith('ff02:')).map((n) => `${n.dst} ${n.dev} ${n.state.join(',')}`).sort();
    const same = () => expect(show(dp.neigh.list())).toEqual(show(k.json('neigh show nud all')));
    const steps: Array<[string, () => unknown]> = [
      ['link set v0 arp off', () => dp.links.set('v0', { arp: false })],
      ['link set v0 arp off', () => dp.links.set('v0', { arp: false })],
      ['link set v0 arp on', () => dp.links.set('v0', { arp: true })],
      ['link set v0 address 02:00:00:00:00:b0', () => dp.links.set('v0', { address: '02:00:00:00:00:b0' })],
      ['link set v0 address 02:00:00:00:00:b0', () => dp.links.set('v0', { address: '02:00:00:00:00:b0' })],
    ];
    for (const [cmd, fn] of steps) {
      fill();
      same();
      k.ip(cmd);
      fn();
      same();
    }
  });

  it('ifindexes are handed out cyclically, explicit ones aside, and a veth peer comes first', async () => {
    const { k, dp } = await twins();
    const ops: Array<[string, () => unknown]> = [
      ['link add a0 type veth peer name a1', () => dp.links.add({ name: 'a0', kind: 'veth', peer: { name: 'a1' } })],
      ['link del a0', () => dp.links.del('a0')],
      ['link add b0 type veth peer name b1', () => dp.links.add({ name: 'b0', kind: 'veth', peer: { name: 'b1' } })],
      ['link add c0 type veth', () => dp.links.add({ name: 'c0', kind: 'veth' })],
      ['link add d0 index 40 type veth peer name d1 index 41', () => dp.links.add({ name: 'd0', kind: 'veth', index: 40, peer: { name: 'd1', index: 41 } })],
      ['link add e0 type veth peer name e1', () => dp.links.add({ name: 'e0', kind: 'veth', peer: { name: 'e1' } })],
    ];
    for (const [cmd, fn] of ops) {
      k.ip(cmd);
      fn();
    }
    const names = (l: Array<{ ifindex: number; ifname: string }>) => l.map((x) => `${x.ifindex} ${x.ifname}`);
    expect(names(dp.links.list())).toEqual(names(k.json('link show')));
  });

  it('refusals read as iproute2 prints them', async () => {
    const { k, dp } = await twins();
    vethPair(k, dp);
    k.ip('addr add 192.0.2.77/26 dev v0 scope link');
    dp.addresses.add({ local: '192.0.2.77/26', dev: 'v0', scope: 'link' });
    k.ip('addr add 2001:db8:7::1/64 dev v0 nodad');
    dp.addresses.add({ local: '2001:db8:7::1/64', dev: 'v0', nodad: true });
    const cases: Array<[string, () => unknown]> = [
      ['link add v0 type veth peer name v9', () => dp.links.add({ name: 'v0', kind: 'veth', peer: { name: 'v9' } })],
      ['link add v9 type veth peer name v0', () => dp.links.add({ name: 'v9', kind: 'veth', peer: { name: 'v0' } })],
      ['link add v5 index 11 type veth peer name v6', () => dp.links.add({ name: 'v5', kind: 'veth', index: 11, peer: { name: 'v6' } })],
      ['link add a/b type veth', () => dp.links.add({ name: 'a/b', kind: 'veth' })],
      ['link add 0123456789abcdef type veth', () => dp.links.add({ name: '0123456789abcdef', kind: 'veth' })],
      ['link del nope', () => dp.links.del('nope')],
      ['link del lo', () => dp.links.del('lo')],
      ['link set nope up', () => dp.links.set('nope', { up: true })],
      ['link set v0 mtu 40', () => dp.links.set('v0', { mtu: 40 })],
      ['link set v0 mtu 70000', () => dp.links.set('v0', { mtu: 70000 })],
      ['link set v0 address zz', () => dp.links.set('v0', { address: 'zz' })],
      ['link set v0 address 00:00:00:00:00:00', () => dp.links.set('v0', { address: '00:00:00:00:00:00' })],
      ['link set v0 address ff:ff:ff:ff:ff:ff', () => dp.links.set('v0', { address: 'ff:ff:ff:ff:ff:ff' })],
      ['link set v0 name v1', () => dp.links.set('v0', { name: 'v1' })],
      ['link set v0 name a/b', () => dp.links.set('v0', { name: 'a/b' })],
      ['link set v0 name a:b', () => dp.links.set('v0', { name: 'a:b' })],
      ['link set v0 name 0123456789abcdef', () => dp.links.set('v0', { name: '0123456789abcdef' })],
      ['addr add 192.0.2.1/24 dev nope', () => dp.addresses.add({ local: '192.0.2.1/24', dev: 'nope' })],
      ['addr add 1.2.3.4/33 dev v0', () => dp.addresses.add({ local: '1.2.3.4/33', dev: 'v0' })],
      ['addr add bogus dev v0', () => dp.addresses.add({ local: 'bogus', dev: 'v0' })],
      ['addr add 192.0.2.77/26 dev v0', () => dp.addresses.add({ local: '192.0.2.77/26', dev: 'v0' })],
      ['addr add 192.0.2.78/26 dev v0', () => dp.addresses.add({ local: '192.0.2.78/26', dev: 'v0' })],
      ['addr del 192.0.2.199/24 dev v0', () => dp.addresses.del({ local: '192.0.2.199/24', dev: 'v0' })],
      ['addr add 192.0.2.1/24 dev v0 label v0:0123456789abc', () => dp.addresses.add({ local: '192.0.2.1/24', dev: 'v0', label: 'v0:0123456789abc' })],
      ['addr add 192.0.2.1/24 dev v0 valid_lft 10 preferred_lft 20', () => dp.addresses.add({ local: '192.0.2.1/24', dev: 'v0', validLft: 10, preferredLft: 20 })],
      ['addr add 192.0.2.1/24 dev v0 valid_lft 0', () => dp.addresses.add({ local: '192.0.2.1/24', dev: 'v0', validLft: 0 })],
      ['addr add 2001:db8:7::1/64 dev v0', () => dp.addresses.add({ local: '2001:db8:7::1/64', dev: 'v0' })],
      ['addr del 2001:db8:99::1/64 dev v0', () => dp.addresses.del({ local: '2001:db8:99::1/64', dev: 'v0' })],
      ['addr add 2001:db8::1/129 dev v0', () => dp.addresses.add({ local: '2001:db8::1/129', dev: 'v0' })],
      ['addr add ::/64 dev v0', () => dp.addresses.add({ local: '::/64', dev: 'v0' })],
      ['addr add ff02::5/64 dev v0', () => dp.addresses.add({ local: 'ff02::5/64', dev: 'v0' })],
      ['addr add ::1/128 dev v0', () => dp.addresses.add({ local: '::1/128', dev: 'v0' })],
    ];
    for (const [cmd, fn] of cases) {
      const r = k.run(cmd);
      expect({ cmd, err: refusal(fn) }).toEqual({ cmd, err: r.err });
    }
    // below 1280 bytes the device has no IPv6: both refuse in the same words
    k.ip('link set v0 mtu 1279');
    dp.links.set('v0', { mtu: 1279 });
    const r = k.run('addr add 2001:db8:7::2/64 dev v0');
    expect(refusal(() => dp.addresses.add({ local: '2001:db8:7::2/64', dev: 'v0' }))).toBe(r.err);
  });
});

/**
 * A known difference of dp.routes, not of the address side: kernelAdd gives an IPv6 route asked for
 * with metric 0 ip6_route_info_create's user default, 1024, where addrconf's local routes
 * (addrconf_f6i_alloc) keep 0. Mapped back here until the FIB keeps 0 for kernel routes.
 */
function knownFibDifference(line: string): string {
  return /^local local \S+:\S*\/128 dev \S+ metric 1024$/.test(line) ? line.replace(/metric 1024$/, 'metric 0') : line;
}

describe.skipIf(!avail.ok)('addresses against the kernel', () => {
  /**
   * Same addresses (as `ip -j addr show` prints them) and same kernel routes on `devs`, on every side
   * (one namespace, two Datapaths: the stand-in and the real FIB, fed the same operations). Lifetimes:
   * both clocks follow real time, but the kernel took its timestamps a little before or after ours,
   * so they may differ by a second either way.
   */
  function same(k: Kernel, sides: ReadonlyArray<Awaited<ReturnType<typeof wxdpSide>>>, devs: string[]): void {
    const addrs = k.json<Array<{ ifname: string; addr_info: AddrInfo[] }>>('addr show');
    const kernel = [...kernelRouteLines(k.json('-4 route show table all'), 'inet', devs), ...kernelRouteLines(k.json('-6 route show table all'), 'inet6', devs)].sort();
    for (const { fib, dp, routes } of sides) {
      clockSync.get(dp)!();
      for (const dev of devs) {
        const ours = addrInfos(dp.addresses.show(), dev).map((a) => ({ ...a }));
        const theirs = addrInfos(addrs, dev).map((a) => ({ ...a }));
        ours.forEach((a, i) => {
          const t = theirs[i];
          if (!a.dynamic || !t) return;
          for (const f of ['valid_life_time', 'preferred_life_time'] as const) {
            expect(Math.abs(a[f] - t[f])).toBeLessThanOrEqual(1);
            t[f] = a[f];
          }
        });
        expect({ fib, dev, addrs: ours }).toEqual({ fib, dev, addrs: theirs });
      }
      const wxdp = routes()
        .filter((l) => devs.some((d) => l.includes(` dev ${d} `)))
        .map(knownFibDifference)
        .sort();
      expect({ fib, routes: wxdp }).toEqual({ fib, routes: kernel });
    }
  }

  // The stand-in and the real FIB side by side on one namespace: the kernel's steps (and their settling,
  // most of these tests' time) once for both. Two tests of one namespace each took 8 + 8 s (IPv4) and
  // 11 + 13 s (IPv6) of the 12-07 fresh run.
  const bothSides = () => Promise.all([wxdpSide('stand-in'), wxdpSide('real')]);

  it('IPv4 (stand-in and real FIB): the list order and the kernel routes, through secondaries, down/up, deletion, promotion, replace and flush', async () => {
    const sides = await bothSides();
    const k = new Kernel();
    const dps = sides.map((s) => s.dp);
    vethPair(k, dps);
    await k.settle();
    const devs = ['lo', 'v0'];
    same(k, sides, devs);
    const adds = [
      '192.0.2.1/24 dev v0',
      '192.0.2.2/24 dev v0',
      '198.51.100.1/24 brd + dev v0',
      '203.0.113.5/32 dev v0',
      '203.0.113.9 peer 203.0.113.10/32 dev v0',
      '203.0.113.129/25 dev v0 noprefixroute',
      '192.0.2.77/26 dev v0 scope link label v0:x',
      '192.0.2.200/24 dev v0 valid_lft 100 preferred_lft 50',
    ];
    for (const a of adds) {
      k.ip(`addr add ${a}`);
      const w = a.split(' ');
      const o: Record<string, unknown> = { local: w[0], dev: 'v0' };
      for (let i = 1; i < w.length; i++) {
        if (w[i] === 'peer') o.peer = w[++i];
        else if (w[i] === 'brd') o.broadcast = w[++i];
        else if (w[i] === 'scope') o.scope = w[++i];
        else if (w[i] === 'label') o.label = w[++i];
        else if (w[i] === 'noprefixroute') o.noprefixroute = true;
        else if (w[i] === 'valid_lft') o.validLft = Number(w[++i]);
        else if (w[i] === 'preferred_lft') o.preferredLft = Number(w[++i]);
        else if (w[i] === 'dev') i++;
      }
      for (const dp of dps) dp.addresses.add(o as never);
      same(k, sides, devs);
    }
    const steps: Array<[() => void, (dp: Datapath) => void]> = [
      [() => k.ip('link set v0 down'), (dp) => dp.links.set('v0', { up: false })],
      [() => k.ip('link set v0 up'), (dp) => dp.links.set('v0', { up: true })],
      [() => k.ip('addr del 192.0.2.1/24 dev v0'), (dp) => dp.addresses.del({ local: '192.0.2.1/24', dev: 'v0' })],
      [
        () => k.sysctl('net.ipv4.conf.v0.promote_secondaries', '1'),
        (dp) => (dp.fastPath.exports as unknown as { netdev_conf_set(a: number, b: number, c: number, d: number): number }).netdev_conf_set(dp.links.ifindex('v0'), AF_INET, CONF4.PROMOTE_SECONDARIES, 1),
      ],
      [() => k.ip('addr add 192.0.2.1/24 dev v0'), (dp) => dp.addresses.add({ local: '192.0.2.1/24', dev: 'v0' })],
      [() => k.ip('addr add 192.0.2.2/24 dev v0'), (dp) => dp.addresses.add({ local: '192.0.2.2/24', dev: 'v0' })],
      [() => k.ip('addr add 192.0.2.3/24 dev v0'), (dp) => dp.addresses.add({ local: '192.0.2.3/24', dev: 'v0' })],
      [() => k.ip('addr del 192.0.2.1/24 dev v0'), (dp) => dp.addresses.del({ local: '192.0.2.1/24', dev: 'v0' })],
      [() => k.ip('addr replace 198.51.100.1/24 dev v0 metric 50'), (dp) => dp.addresses.add({ local: '198.51.100.1/24', dev: 'v0', metric: 50 }, { replace: true })],
      [() => k.ip('addr del 198.51.100.1/24 dev v0'), (dp) => dp.addresses.del({ local: '198.51.100.1/24', dev: 'v0' })],
      [() => k.ip('addr flush dev v0'), (dp) => dp.addresses.flush('v0')],
    ];
    for (const [kernel, wxdp] of steps) {
      kernel();
      for (const dp of dps) wxdp(dp);
      await k.settle();
      same(k, sides, devs);
    }
  });

  it('IPv6 (stand-in and real FIB): the list order and the kernel routes, through prefixes shared, peers, lifetimes, down/up and a link without carrier', async () => {
    const sides = await bothSides();
    const k = new Kernel();
    const dps = sides.map((s) => s.dp);
    vethPair(k, dps);
    await k.settle();
    const devs = ['lo', 'v0', 'v1'];
    same(k, sides, devs);
    const ops: Array<[string, Parameters<Datapath['addresses']['add']>[0] | { del: string }]> = [
      ['addr add 2001:db8::1/64 dev v0 nodad', { local: '2001:db8::1/64', dev: 'v0', nodad: true }],
      ['addr add 2001:db8::2/64 dev v0 nodad', { local: '2001:db8::2/64', dev: 'v0', nodad: true }],
      ['addr add 2001:db8:1::1/64 dev v0 nodad', { local: '2001:db8:1::1/64', dev: 'v0', nodad: true }],
      ['addr add 2001:db8:2::1/128 dev v0 nodad', { local: '2001:db8:2::1/128', dev: 'v0', nodad: true }],
      ['addr add 2001:db8:3::1/64 dev v0 nodad noprefixroute', { local: '2001:db8:3::1/64', dev: 'v0', nodad: true, noprefixroute: true }],
      ['addr add 2001:db8:4::1/64 dev v0 valid_lft 100 preferred_lft 50 nodad', { local: '2001:db8:4::1/64', dev: 'v0', nodad: true, validLft: 100, preferredLft: 50 }],
      ['addr add fe80::99/64 dev v0 nodad', { local: 'fe80::99/64', dev: 'v0', nodad: true }],
      ['addr add 2001:db8:c::1/64 peer 2001:db8:c::2 dev v0 nodad', { local: '2001:db8:c::1/64', peer: '2001:db8:c::2', dev: 'v0', nodad: true }],
      ['addr add 2001:db8:a::1/64 dev v0 nodad', { local: '2001:db8:a::1/64', dev: 'v0', nodad: true }],
      ['addr add 2001:db8:a::2/48 dev v0 nodad', { local: '2001:db8:a::2/48', dev: 'v0', nodad: true }],
      ['addr del 2001:db8:a::1/64 dev v0', { del: '2001:db8:a::1/64' }],
      ['addr del 2001:db8::1/64 dev v0', { del: '2001:db8::1/64' }],
      ['addr del 2001:db8::2/64 dev v0', { del: '2001:db8::2/64' }],
      ['addr add 2001:db8:5::1/64 dev v0', { local: '2001:db8:5::1/64', dev: 'v0' }],
    ];
    for (const [cmd, op] of ops) {
      k.ip(cmd);
      for (const dp of dps) {
        if ('del' in op) dp.addresses.del({ local: op.del, dev: 'v0' });
        else dp.addresses.add(op);
      }
      await k.settle();
      same(k, sides, devs);
    }
    // down takes every IPv6 address; up brings the link-local back once the link is ready
    k.ip('link set v0 down');
    for (const dp of dps) dp.links.set('v0', { up: false });
    same(k, sides, devs);
    // a veth end without carrier: addresses wait tentative, the prefix route is there
    k.ip('link set v1 down');
    for (const dp of dps) dp.links.set('v1', { up: false });
    k.ip('link set v0 up');
    for (const dp of dps) dp.links.set('v0', { up: true });
    k.ip('addr add 2001:db8:8::1/64 dev v0 nodad');
    for (const dp of dps) dp.addresses.add({ local: '2001:db8:8::1/64', dev: 'v0', nodad: true });
    k.ip('addr add 2001:db8:9::1/64 dev v0');
    for (const dp of dps) dp.addresses.add({ local: '2001:db8:9::1/64', dev: 'v0' });
    same(k, sides, devs);
    k.ip('link set v1 up');
    for (const dp of dps) dp.links.set('v1', { up: true });
    await k.settle();
    same(k, sides, devs);
    k.ip('addr flush dev v0');
    for (const dp of dps) dp.addresses.flush('v0');
    same(k, sides, devs);
  });

  it('source addresses: `ip route get` picks what inet_select_addr and ipv6_dev_get_saddr pick here', async () => {
    const { k, dp } = await twins();
    vethPair(k, dp);
    for (const a of ['192.0.2.1/24', '198.51.100.1/24', '198.51.100.2/24']) {
      k.ip(`addr add ${a} dev v0`);
      dp.addresses.add({ local: a, dev: 'v0' });
    }
    for (const a of ['2001:db8::1/64', '2001:db8:1::1/64', 'fd00::1/64']) {
      k.ip(`addr add ${a} dev v0 nodad`);
      dp.addresses.add({ local: a, dev: 'v0', nodad: true });
    }
    k.ip('addr add 2001:db8:2::1/64 dev v0 nodad preferred_lft 0 valid_lft 300');
    dp.addresses.add({ local: '2001:db8:2::1/64', dev: 'v0', nodad: true, preferredLft: 0, validLft: 300 });
    k.ip('addr add 2001:db8:9::1/64 dev v1 nodad');
    dp.addresses.add({ local: '2001:db8:9::1/64', dev: 'v1', nodad: true });
    await k.settle();
    const src = (out: string) => /\bsrc (\S+)/.exec(out)?.[1];
    // IPv4 routes without prefsrc: the kernel asks inet_select_addr(next hop device, gateway or 0, the
    // route's scope): global for a gateway route, link for a device route (iproute2's default), host
    // when asked; a device with no address of its own asks every device, lo first
    k.ip('route add 203.0.113.0/26 via 198.51.100.254 dev v0');
    k.ip('route add 203.0.113.64/26 via 192.0.2.254 dev v0');
    k.ip('route add 203.0.113.128/26 dev v0');
    k.ip('route add 203.0.113.192/27 dev v1');
    k.ip('route add 203.0.113.224/28 via 192.0.2.9 dev v1 onlink');
    const v4: Array<[string, string, string, 'global' | 'link' | 'host']> = [
      ['203.0.113.5', 'v0', '198.51.100.254', 'global'],
      ['203.0.113.70', 'v0', '192.0.2.254', 'global'],
      ['203.0.113.130', 'v0', '0.0.0.0', 'link'],
      ['203.0.113.200', 'v1', '0.0.0.0', 'link'],
      ['203.0.113.230', 'v1', '192.0.2.9', 'global'],
    ];
    for (const [dst, dev, via, scope] of v4) {
      expect({ dst, src: dp.addresses.selectSource4(dev, via, scope) }).toEqual({ dst, src: src(k.ip(`route get ${dst}`)) });
    }
    k.ip('-6 route add default dev v0');
    for (const dst of ['2001:db8::99', '2001:db8:1::99', '2001:db8:2::99', '2001:db8:77::1', 'fd12::1', '2001:db8:9::5', 'fe80::1']) {
      const out = k.ip(`-6 route get ${dst}${dst.startsWith('fe80') ? ' oif v0' : ''}`);
      const dev = /\bdev (\S+)/.exec(out)![1]!;
      expect({ dst, src: dp.addresses.selectSource6(dst, dev) }).toEqual({ dst, src: src(out) });
    }
  });
});
