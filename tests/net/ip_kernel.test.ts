// The real `ip` as the judge of wording and output: each bad line runs through iproute2 in a network namespace
// this test creates (`ip -n wx-links2-ip-… LINE`) and through wxdp's front end; what `ip` prints
// (stderr, and stdout for the few usage texts it sends there) and its exit status must be what wxdp's
// IpError carries. The lines fail in `ip`
// before or inside the kernel in ways that do not depend on tables wxdp has yet; wxdp's side sees the
// namespace's links (lo, v0, v1) through the recording fake. Skips when not root or without `ip`.

import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Datapath } from '../../src/control/datapath.js';
import { ipBatch, ipCommand, IpError, makeArgs } from '../../src/control/ip/index.js';
import { FakeTables } from '../support/ip_fake.js';

const NS = `wx-links2-ip-${process.pid}`;
const haveIp = spawnSync('ip', ['-V'], { encoding: 'utf8' }).status === 0;
const root = process.getuid?.() === 0;
const skip = !haveIp || !root;
const reason = !haveIp ? 'no iproute2 `ip` on this machine' : 'not root: cannot create a network namespace';
if (skip) it.skip(`real ip comparison skipped: ${reason}`, () => {});

function ip(args: string[], input?: string): { status: number; stderr: string; stdout: string } {
  const r = spawnSync('ip', ['-n', NS, ...args], { encoding: 'utf8', input });
  return { status: r.status ?? -1, stderr: r.stderr, stdout: r.stdout };
}

function tables(): FakeTables {
  const t = new FakeTables();
  const mk = (ifindex: number, ifname: string, link: string) => ({ ifindex, ifname, link, flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'], mtu: 1500, operstate: 'UP' as const, link_type: 'ether' as const, address: `02:00:00:00:00:0${ifindex}`, broadcast: 'ff:ff:ff:ff:ff:ff' });
  t.linkList = [t.linkList[0]!, mk(2, 'v1', 'v0'), mk(3, 'v0', 'v1')];
  return t;
}

function wxdp(line: string): { status: number; stderr: string; stdout: string } {
  try {
    ipCommand(tables(), line);
    return { status: 0, stderr: '', stdout: '' };
  } catch (e) {
    if (!(e instanceof IpError)) throw e;
    return { status: e.status, stderr: e.stderr, stdout: e.stdout };
  }
}

/** Lines `ip` refuses on its own (parse errors) or that the kernel refuses for a reason wxdp models in the front end. */
const BAD: string[] = [
  // objects, commands, options
  'frob',
  'route frob',
  'rule frob',
  'neigh frob',
  'link frob',
  'address frob',
  // route
  'route add bogus dev v0',
  'route add 198.51.100.0/33 dev v0',
  'route add 198.51.100.0/24 dev v0 198.51.100.7',
  'route add 198.51.100.0/24 via 192.0.2.1 via 192.0.2.2',
  'route add 198.51.100.0/24 via 2001:db8::1',
  'route add 198.51.100.0/24 metric x',
  'route add 198.51.100.0/24 metric 4294967296',
  'route add 198.51.100.0/24 tos 0x100',
  'route add 198.51.100.0/24 table foo',
  'route add 198.51.100.0/24 proto 256',
  'route add 198.51.100.0/24 scope galaxy',
  'route add 198.51.100.0/24 mtu x',
  'route add 198.51.100.0/24 dev nosuch',
  'route add 198.51.100.0/24 dev',
  'route add 198.51.100.0/24 nexthop via 192.0.2.1 weight 0',
  'route add 198.51.100.0/24 nexthop via 192.0.2.1 weight 257',
  'route add 198.51.100.0/24 nexthop via 192.0.2.1 dev nosuch',
  'route add 198.51.100.0/24 nexthop via 192.0.2.1 metric 3',
  'route add 198.51.100.0/24 nexthop',
  'route add 2001:db8::/129 dev v0',
  '-4 route add 2001:db8::/32 dev v0',
  '-6 route add 198.51.100.0/24 dev v0',
  'route add default/0 dev v0',
  'route add 198.51.100.0/255.0.255.0 dev v0',
  'route flush',
  'route get',
  'route show table frob',
  'route show proto frob',
  'route show scope frob',
  'route show type frob',
  'route show dev nosuch',
  'route get 198.51.100.1 tos frob',
  'route get 198.51.100.1 sport 65536',
  'route get 198.51.100.1 ipproto frob',
  // rule
  'rule add',
  'rule del',
  'rule add fwmark x',
  'rule add fwmark 1/y',
  'rule add pref -1',
  'rule add pref x',
  'rule add tos 0x100',
  'rule add sport x',
  'rule add dport x',
  'rule add ipproto frob',
  'rule add table frob',
  'rule add frobnicate',
  'rule add goto x',
  'rule add iif a/b',
  'rule add oif "a b"',
  'rule add sup_pl -1',
  'rule add from bogus',
  'rule add to 198.51.100.0/40',
  // the other family's prefix with -4/-6: iproute2's get_prefix (without them the kernel's fib_nl2rule: tests/net/fib)
  '-6 rule add from 192.0.2.0/24 table 77',
  '-4 rule add to 2001:db8::/32 table 77',
  'rule show table frob',
  'rule show pref x',
  // neigh
  'neigh add 192.0.2.20 lladdr 02:00:00:00:00:zz dev v0',
  'neigh add 192.0.2.20 dev v0 nud bogus',
  'neigh add 192.0.2.20',
  'neigh add 192.0.2.20 192.0.2.21 dev v0',
  'neigh add 192.0.2.20 lladdr 02:00:00:00:00:01 lladdr 02:00:00:00:00:02 dev v0',
  'neigh add 192.0.2.20 dev nosuch',
  'neigh flush',
  'neigh show nud bogus',
  'neigh show dev nosuch',
  'neigh get 192.0.2.20',
  // link
  'link add x0',
  'link set up',
  'link set nosuch up',
  'link set v0 mtu x',
  'link set v0 arp of',
  'link set v0 index 5',
  'link add d0 mtu 1 mtu 2 type veth',
  'link add d0 name d1 type veth',
  'link add x0 type veth frob',
  'link add link v0 name v0.5 type vlan id x',
  'link set v0 address 02:00:zz',
  'link set v0 address 02:00',
  'link show nosuch',
  'link del nosuch',
  'link add x0 index 0 type veth',
  // address
  'address add 192.0.2.2/24',
  'address add 192.0.2.2/24 dev nosuch',
  'address add 192.0.2.2/24 192.0.2.3/24 dev v0',
  'address add 192.0.2.2/24 dev v0 scope galaxy',
  'address add 2001:db8::1/64 brd + dev v0',
  'address add 192.0.2.2/24 dev v0 valid_lft 0',
  'address add 192.0.2.2/24 dev v0 valid_lft 10 preferred_lft 20',
  'address add 192.0.2.2/24 dev v0 valid_lft x',
  'address add dev v0',
  '-4 address add dev v0',
  '-6 address add dev v0',
  'address flush',
  'address show dev nosuch',
  'address add 192.0.2.2/24 peer 192.0.2.3/24 peer 192.0.2.4 dev v0',
  // more route words
  'route add 198.51.100.0/24 dev v0 weight 2',
  'route add 198.51.100.0/24 hoplimit 256',
  'route add 198.51.100.0/24 advmss x',
  'route add 198.51.100.0/24 quickack 2',
  'route add 198.51.100.0/24 features frob',
  'route add 198.51.100.0/24 pref frob',
  'route add 198.51.100.0/24 expires x',
  'route add 198.51.100.0/24 ttl-propagate maybe',
  'route add 198.51.100.0/24 src bogus',
  'route add 198.51.100.0/24 via inet bogus',
  'route add to',
  'route add',
  'route del',
  'route add 198.51.100.0/24 nexthop dev v0 nexthop via 2001:db8::1',
  'route show root bogus',
  'route show match 2001:db8::/129',
  'route show via inet6 bogus',
  'route show metric x',
  'route show mark x',
  'route show iif nosuch',
  'route get 198.51.100.1 mark x',
  'route get 198.51.100.1 uid x',
  'route get 198.51.100.1 iif nosuch',
  'route get 198.51.100.1 oif nosuch',
  'route get bogus',
  'ro frob',
  // more rule words
  'rule add uidrange 5',
  'rule add dsfield x',
  'rule add suppress_ifgroup frob',
  'rule add nat 192.0.2.1/24',
  'rule show from bogus',
  'rule show to bogus',
  'rule show fwmark x',
  'rule show sport x',
  'rule show ipproto frob',
  'rule show protocol frob',
  'rule show iif a/b',
  // more neigh words
  'neigh add proxy bogus dev v0',
  'neigh add 192.0.2.20 dev v0 protocol frob',
  'neigh show to bogus',
  'neigh show dev v0 dev v1',
  'neigh show protocol frob',
  'neigh get 192.0.2.20 dev nosuch',
  'neigh del 192.0.2.20',
  'neigh add nud',
  // more link words
  'link add name "a/b" type veth',
  'link set v0 name "a b"',
  'link set v0 multicast maybe',
  'link set v0 arp maybe',
  'link set v0 txqueuelen x',
  'link add x0 type veth peer name v1 type veth',
  'link set dev v0 dev v1 up',
  'link show dev v0 dev v1',
  'link add link nosuch name v0.5 type vlan id 5',
  'link add x0 type veth peer name y0 link nosuch',
  'link add link v0 name v0.5 type vlan reorder_hdr maybe',
  'link add link v0 name v0.5 type vlan id 5 frob',
  'link show to 192.0.2.0/24',
  'link show master nosuch',
  'link show vrf v0',
  'link show group x',
  'link show scope galaxy',
  // more address words
  'address add 192.0.2.2/24 dev v0 brd 192.0.2.255 brd 192.0.2.255',
  'address add 192.0.2.2/24 dev v0 brd bogus',
  'address add 192.0.2.2/24 dev v0 metric x',
  'address add 192.0.2.2/24 dev v0 valid_lft 1 valid_lft 2',
  'address add 192.0.2.2/24 dev v0 preferred_lft x',
  'address add 192.0.2.2/33 dev v0',
  'address add bogus dev v0',
  'address show scope galaxy',
  'address show to bogus',
  'address show dev v0 dev v1',
  'address flush dev nosuch',
  'address show group frob',
  'address show master nosuch',
  'address show group -1',
  '-6 address add 192.0.2.2/24 dev v0',
  '-4 address add 2001:db8::1/64 dev v0',
  // more options
  '-family',
  '-batch',
  '-4',
  // options
  '-f frob route show',
  '-x route show',
];

describe.skipIf(skip)('wxdp and the real ip print the same error for the same bad line', () => {
  beforeAll(() => {
    const add = spawnSync('ip', ['netns', 'add', NS], { encoding: 'utf8' });
    if (add.status !== 0) throw new Error(`cannot create ${NS}: ${add.stderr}`);
    const veth = ip(['link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1']);
    if (veth.status !== 0) throw new Error(`cannot create veths in ${NS}: ${veth.stderr}`);
    ip(['link', 'set', 'v0', 'up']);
    ip(['link', 'set', 'v1', 'up']);
  });
  afterAll(() => {
    spawnSync('ip', ['netns', 'del', NS]);
  });

  it.each(BAD)('%s', (line) => {
    const real = ip(makeArgs(line));
    expect(real.status, `ip accepted "${line}"`).not.toBe(0);
    const ours = wxdp(line);
    if (/Usage:/.test(real.stderr + real.stdout)) {
      // usage texts are wxdp's own (they list what wxdp takes): the line before them and the status must agree
      const first = (r: { stderr: string; stdout: string }) => (r.stderr || r.stdout).split('\n')[0];
      expect({ first: first(ours), status: ours.status }).toEqual({ first: first(real), status: real.status });
    } else expect(ours).toEqual(real);
  });

  it('a batch stops at the failing line and says which, as ip -batch does', () => {
    const text = 'route add 203.0.113.0/24 dev v0\nroute add 203.0.113.0/24 dev v0 metric x\nroute add 203.0.113.64/26 dev v0\n';
    const real = ip(['-batch', '-'], text);
    let ours: IpError | undefined;
    try {
      ipBatch(tables(), text, { name: '-' });
    } catch (e) {
      ours = e as IpError;
    }
    expect(ours?.stderr).toBe(real.stderr);
    expect(ours?.status).toBe(real.status);
    expect(ip(['route', 'show', '203.0.113.0/24']).stdout).toBe('203.0.113.0/24 dev v0 scope link \n');
  });
});

/** One configuration, applied with `ip -batch` in a namespace and with ipBatch to a Datapath. */
const BATCH = `link add v0 type veth peer name v1
link set v0 up
link set v1 up
addr add 192.0.2.1/24 dev v0
addr add 198.51.100.1/24 dev v1
addr add 2001:db8::1/64 dev v0 nodad
route add 203.0.113.0/24 via 192.0.2.2
route add 203.0.113.128/25 via 198.51.100.2 metric 5 proto static
route add blackhole 203.0.113.64/26 table 100
route add unreachable 203.0.113.0/26 table 100 metric 3
route add 203.0.113.192/26 nexthop via 192.0.2.2 dev v0 weight 2 nexthop via 198.51.100.2 dev v1
route add 2001:db8:1::/48 via 2001:db8::2 dev v0
rule add from 192.0.2.0/24 lookup 100 pref 10
rule add fwmark 0x10/0xff ipproto tcp dport 80 lookup 100 pref 20
rule add not to 198.51.100.0/24 goto 32766 pref 30
neigh add 192.0.2.2 lladdr 02:00:00:00:00:02 dev v0
neigh add 198.51.100.2 lladdr 02:00:00:00:00:03 dev v1 nud stale
`;

/** Show commands whose output must be the kernel's to the byte. */
const SHOWS = [
  'rule show', '-j rule show', 'rule show table 100', 'rule list pref 20',
  'route show', '-j route show', 'route show table 100', '-j route show table 100', 'route show table local', '-4 route show table all',
  'route show proto static', 'route show root 203.0.113.0/24', 'route show match 203.0.113.130', 'route show exact 203.0.113.0/24',
  'route show type unreachable table 100', 'route show via 192.0.2.2', 'route show src 192.0.2.1', 'route show dev v1', '-d route show',
  'neigh show dev v0', 'neigh show nud stale',
];

/** Neighbour dumps walk a hash table the kernel seeds at random: the same entries, in any order. */
const NEIGH_SHOWS = ['neigh show', '-j neigh show', '-4 neigh show nud all'];
function unordered(out: string): string[] {
  return out.startsWith('[') ? (JSON.parse(out) as unknown[]).map((e) => JSON.stringify(e)).sort() : out.split('\n').sort();
}

/** Link and address shows, compared with what wxdp's links do not model masked on both sides (listed here). */
const LINK_SHOWS = ['link show', '-j link show', '-4 addr show', '-j -4 addr show', '-4 addr show dev v1', 'link show up', 'link show dev v0'];
function maskLinks(s: string): string {
  return s
    .replace(/([0-9a-f]{2}:){5}[0-9a-f]{2}/g, (m) => (m === 'ff:ff:ff:ff:ff:ff' || m === '00:00:00:00:00:00' ? m : 'MAC')) // veth MACs are random in the kernel
    .replace(/group default $/gm, 'group default');
}

/** Lines the kernel (or iproute2 before it) refuses in that configuration: the same words and status from wxdp's tables. */
const REFUSED = [
  'route add 203.0.113.0/24 via 192.0.2.2',
  'route add 198.51.100.0/24 via 203.0.113.1',
  'route add 198.51.100.128/25 via 192.0.2.2 dev v1',
  'route del 203.0.113.99/32',
  'route add 203.0.113.7/24 dev v0',
  'route add local 203.0.113.5 dev v0 table 100 scope link',
  'route change 198.51.100.0/28 dev v0',
  'route add 203.0.113.0/24 via 192.0.2.2 src 203.0.113.1',
  'rule add from 192.0.2.0/24 lookup 100 pref 10',
  'rule del pref 99',
  'rule add goto 5 pref 10',
  'rule add from 192.0.2.0/24 tos 0x03 lookup 5',
  'neigh add 192.0.2.2 lladdr 02:00:00:00:00:02 dev v0',
  'neigh del 192.0.2.77 dev v0',
  'neigh change 192.0.2.77 lladdr 02:00:00:00:00:09 dev v0',
  'neigh get 192.0.2.77 dev v0',
  'addr add 192.0.2.1/24 dev v0',
  'addr del 192.0.2.77/24 dev v0',
  'addr del 2001:db8::77/64 dev v0',
  'link add v0 type veth peer name v9',
  'link set v0 mtu 70000',
  'link set v0 mtu 60',
  'link del lo',
  'link set v0 name v1',
];

describe.skipIf(skip)('the same batch through ip and through wxdp: the same state, shown the same way', () => {
  const ns = `${NS}-b`;
  let dp: Datapath;
  const kernel = (args: string[]) => {
    const r = spawnSync('ip', ['-n', ns, ...args], { encoding: 'utf8' });
    return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  };
  const ours = (line: string) => {
    try {
      return { status: 0, ...ipCommand(dp, line), stderr: '' };
    } catch (e) {
      if (!(e instanceof IpError)) throw e;
      return { status: e.status, stdout: e.stdout, stderr: e.stderr };
    }
  };
  beforeAll(async () => {
    if (spawnSync('ip', ['netns', 'add', ns]).status !== 0) throw new Error(`cannot create ${ns}`);
    const k = spawnSync('ip', ['-n', ns, '-batch', '-'], { encoding: 'utf8', input: BATCH });
    if (k.status !== 0) throw new Error(`ip -batch: ${k.stderr}`);
    dp = await Datapath.create();
    ipBatch(dp, BATCH, { name: 'net.batch' });
  });
  afterAll(() => {
    spawnSync('ip', ['netns', 'del', ns]);
  });

  it.each(SHOWS)('%s', (line) => {
    expect(ours(line)).toEqual(kernel(makeArgs(line)));
  });

  it.each(NEIGH_SHOWS)('%s (in any order)', (line) => {
    const k = kernel(makeArgs(line));
    const o = ours(line);
    expect([o.status, o.stderr, unordered(o.stdout)]).toEqual([k.status, k.stderr, unordered(k.stdout)]);
  });

  it.each(LINK_SHOWS)('%s (veth MACs masked)', (line) => {
    const k = kernel(makeArgs(line));
    const o = ours(line);
    expect([o.status, maskLinks(o.stdout)]).toEqual([k.status, maskLinks(k.stdout)]);
  });

  it.each(REFUSED)('%s is refused with the same words', (line) => {
    const k = kernel(makeArgs(line));
    expect(k.status).not.toBe(0);
    expect(ours(line)).toEqual(k);
  });
});
