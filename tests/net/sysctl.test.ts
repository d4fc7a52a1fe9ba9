// Sysctls by the kernel's names. The kernel is the judge: defaults, accepted ranges and the all/default
// propagation rules are compared with a network namespace this test creates (sysctl -w / -n inside
// `ip netns exec`), skipped with the reason when not root. Per-link words run against a stand-in host
// (links v0, v1 and a scratch memory for their records) until dp.links creates real ones.

import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Datapath } from '../../src/control/datapath.js';
import { NetError } from '../../src/control/net_types.js';
import { Sysctls, type NeighParams, type SysctlHost } from '../../src/control/sysctl.js';
import { CONF4, CONF6, ND } from '../../src/runtime/net_abi.js';

const NS = `wx-links2-sysctl-${process.pid}`;
const root = process.getuid?.() === 0;
const haveIp = spawnSync('ip', ['-V']).status === 0;
const skip = !root || !haveIp;
if (skip) it.skip(`kernel comparison skipped: ${!root ? 'not root' : 'no iproute2'}`, () => {});

function nsSysctl(args: string[]): { status: number; out: string; err: string } {
  const r = spawnSync('ip', ['netns', 'exec', NS, 'sysctl', ...args], { encoding: 'utf8' });
  return { status: r.status ?? -1, out: r.stdout.trim(), err: r.stderr.trim() };
}

/** A host with links of our choosing and their records in scratch memory (record of ifindex i at i × 512). */
class FakeHost implements SysctlHost {
  words = new Uint32Array(128);
  mem = new DataView(new ArrayBuffer(512 * 16));
  linkList = [
    { ifindex: 1, ifname: 'lo', mtu: 65536 },
    { ifindex: 2, ifname: 'v1', mtu: 1500 },
    { ifindex: 3, ifname: 'v0', mtu: 1500 },
  ];
  neighCalls: Array<[string, ...unknown[]]> = [];
  neighValues = new Map<string, number>();
  neigh: NeighParams | undefined = {
    setParam: (family, dev, name, value) => {
      this.neighCalls.push(['set', family, dev, name, value]);
      this.neighValues.set(`${family}/${dev}/${name}`, value);
    },
    getParam: (family, dev, name) => this.neighValues.get(`${family}/${dev}/${name}`) ?? 0,
  };
  globalGet = (i: number) => this.words[i]!;
  globalSet = (i: number, v: number) => {
    this.words[i] = v;
  };
  links = () => this.linkList;
  record = (ifindex: number) => (this.linkList.some((l) => l.ifindex === ifindex) ? { view: this.mem, address: ifindex * 512 } : undefined);
  conf4(ifindex: number, i: number): number {
    return this.mem.getInt32(ifindex * 512 + ND.CONF4 + i * 4, true);
  }
  conf6(ifindex: number, i: number): number {
    return this.mem.getInt32(ifindex * 512 + ND.CONF6 + i * 4, true);
  }
}

function refusal(fn: () => unknown): NetError {
  try {
    fn();
  } catch (e) {
    if (e instanceof NetError) return e;
    throw e;
  }
  throw new Error('no error');
}

/** The kernel's defaults, as `sysctl -n` prints them in a fresh namespace of this machine (6.18). */
const KERNEL_DEFAULTS: Record<string, number | string> = {
  'net.ipv4.icmp_ratelimit': 1000,
  'net.ipv4.icmp_ratemask': 6168,
  'net.ipv4.icmp_echo_ignore_all': 0,
  'net.ipv4.icmp_echo_ignore_broadcasts': 1,
  'net.ipv4.icmp_msgs_per_sec': 1000,
  'net.ipv4.icmp_msgs_burst': 50,
  'net.ipv4.ip_default_ttl': 64,
  'net.ipv4.ip_no_pmtu_disc': 0,
  'net.ipv4.fib_multipath_hash_policy': 0,
  'net.ipv4.fib_multipath_hash_seed': 0,
  'net.ipv4.fib_multipath_hash_fields': 7,
  'net.ipv4.fib_multipath_use_neigh': 0,
  'net.ipv4.ipfrag_high_thresh': 4194304,
  'net.ipv4.ipfrag_low_thresh': 3145728,
  'net.ipv4.ipfrag_time': 30,
  'net.ipv4.ipfrag_max_dist': 64,
  'net.ipv4.route.mtu_expires': 600,
  'net.ipv4.route.min_pmtu': 552,
  'net.ipv6.ip6frag_high_thresh': 4194304,
  'net.ipv6.ip6frag_low_thresh': 3145728,
  'net.ipv6.ip6frag_time': 60,
  'net.ipv6.icmp.ratelimit': 100,
  'net.ipv6.icmp.echo_ignore_all': 0,
  'net.ipv6.fib_multipath_hash_policy': 0,
  'net.ipv6.fib_multipath_hash_fields': 7,
  'net.ipv6.route.mtu_expires': 600,
  'net.ipv4.icmp_errors_use_inbound_ifaddr': 0,
  'net.ipv4.ip_forward_use_pmtu': 0,
  'net.ipv6.icmp.ratemask': '0-1,3-127',
  'net.ipv4.ip_forward': 0,
};

describe('global sysctls on a Datapath', () => {
  it('start at the kernel defaults and go through net_sysctl_set to the fast path', async () => {
    const dp = await Datapath.create();
    for (const [name, v] of Object.entries(KERNEL_DEFAULTS)) expect([name, dp.sysctl(name)]).toEqual([name, v]);
    // init_net-only ones (a namespace has none): the kernel's neigh table defaults
    expect([dp.sysctl('net.ipv4.neigh.default.gc_thresh1'), dp.sysctl('net.ipv4.neigh.default.gc_thresh3'), dp.sysctl('net.ipv6.neigh.default.gc_interval')]).toEqual([128, 1024, 30]);
    expect(dp.sysctl('net.ipv4.fib_multipath_hash_seed', 0xdeadbeef)).toBe(0xdeadbeef);
    const x = dp.stack.exports<{ net_sysctl_get(i: number): number }>();
    expect(x.net_sysctl_get(9) >>> 0).toBe(0xdeadbeef);
    expect(dp.sysctl('net.ipv4.icmp_ratemask', '-1')).toBe(-1);
    expect(dp.sysctl('net.ipv6.icmp.ratemask', '0-2,130-127'.replace('130-127', '5'))).toBe('0-2,5');
    expect([0, 1, 2, 3].map((k) => x.net_sysctl_get(36 + k) >>> 0)).toEqual([0b100111, 0, 0, 0]);
    expect(dp.sysctl('net.ipv6.icmp.ratemask', '')).toBe('');
  });

  it('hands neighbour parameters to dp.neigh, which keeps them in its parms', async () => {
    const dp = await Datapath.create();
    // neighbour.c's defaults: base_reachable_time 30 s, retrans_time 1 s (100 USER_HZ ticks), ucast_solicit 3
    expect([dp.sysctl('net.ipv4.neigh.default.base_reachable_time_ms'), dp.sysctl('net.ipv4.neigh.default.retrans_time'), dp.sysctl('net.ipv6.neigh.default.ucast_solicit')]).toEqual([30000, 100, 3]);
    dp.sysctl('net.ipv4.neigh.default.base_reachable_time', 20);
    expect(dp.neigh.getParam('inet', 'default', 'base_reachable_time_ms')).toBe(20000);
    expect(dp.sysctl('net.ipv4.neigh.default.locktime', 250)).toBe(250);
    expect(refusal(() => dp.sysctl('net.ipv4.neigh.default.ucast_solicit', -1)).errno).toBe('EINVAL');
  });

  it('refuses unknown names and bad values with sysctl(8) wording', async () => {
    const dp = await Datapath.create();
    expect(refusal(() => dp.sysctl('net.ipv4.foo')).message).toBe('sysctl: cannot stat /proc/sys/net/ipv4/foo: No such file or directory');
    expect(refusal(() => dp.sysctl('net.ipv4.foo')).errno).toBe('ENOENT');
    const e = refusal(() => dp.sysctl('net.ipv4.ip_default_ttl', 0));
    expect([e.errno, e.message]).toEqual(['EINVAL', 'sysctl: setting key "net.ipv4.ip_default_ttl": Invalid argument']);
    expect(refusal(() => dp.sysctl('net.ipv4.ip_default_ttl', 'abc')).errno).toBe('EINVAL');
    expect(refusal(() => dp.sysctl('net.ipv4.ip_default_ttl', 1.5)).errno).toBe('EINVAL');
    expect(refusal(() => dp.sysctl('net.ipv6.icmp.ratemask', '5,a')).errno).toBe('EINVAL');
    expect(refusal(() => dp.sysctl('net.ipv4.ipfrag_low_thresh', 4194305)).errno).toBe('EINVAL');
    // net.ipv4.ip_forward is its own key (writing it sets all.forwarding): sysctl(8) names it, as Linux 6.x
    // answered `sysctl -w net.ipv4.ip_forward=abc` in a namespace
    expect(refusal(() => dp.sysctl('net.ipv4.ip_forward', 'abc')).message).toBe('sysctl: setting key "net.ipv4.ip_forward": Invalid argument');
    expect(refusal(() => dp.sysctl('net.ipv4.conf.all.forwarding', 'abc')).message).toBe('sysctl: setting key "net.ipv4.conf.all.forwarding": Invalid argument');
    expect(refusal(() => dp.sysctl('net.ipv4.conf.nosuch.forwarding', 1)).message).toBe('sysctl: cannot stat /proc/sys/net/ipv4/conf/nosuch/forwarding: No such file or directory');
    // text as `sysctl -w` takes it: blanks, base 0, later words of a vector ignored
    expect(dp.sysctl('net.ipv4.ip_default_ttl', ' 0x41')).toBe(65);
    expect(dp.sysctl('net.ipv4.ip_default_ttl', '64 x')).toBe(64);
  });
});

/** Values tried on each global: accepted or refused as the kernel does (HZ-free boundaries only). */
const TRIES: Array<[string, Array<number | string>]> = [
  ['net.ipv4.icmp_ratelimit', [-1, 0, 2000, '0x10', 1001, 2147483647]],
  ['net.ipv4.icmp_ratemask', [-1, 2147483647, 2147483648]],
  ['net.ipv4.icmp_echo_ignore_all', [-1, 1, 2]],
  ['net.ipv4.icmp_echo_ignore_broadcasts', [0, 2]],
  ['net.ipv4.icmp_msgs_per_sec', [-1, 0, 2147483647, 2147483648]],
  ['net.ipv4.icmp_msgs_burst', [-1, 7]],
  ['net.ipv4.ip_default_ttl', [0, 1, 255, 256, '010']],
  ['net.ipv4.ip_no_pmtu_disc', [-1, 3, 255, 256]],
  ['net.ipv4.fib_multipath_hash_policy', [-1, 3, 4]],
  ['net.ipv4.fib_multipath_hash_seed', [-1, 4294967295, 4294967296]],
  ['net.ipv4.fib_multipath_hash_fields', [0, 1, '0xfff', '0x1000']],
  ['net.ipv4.fib_multipath_use_neigh', [1, 2]],
  ['net.ipv4.ipfrag_high_thresh', [3145727, 3145728, 4194304]],
  ['net.ipv4.ipfrag_low_thresh', [-1, 0, 4194305, 3145728]],
  ['net.ipv4.ipfrag_time', [-1, 0, 45, 2147484, 8589934, 8589935]],
  ['net.ipv4.ipfrag_max_dist', [-1, 0, 2147483647]],
  ['net.ipv4.route.mtu_expires', [-1, 900]],
  ['net.ipv4.route.min_pmtu', [67, 68, 65536]],
  ['net.ipv6.ip6frag_time', [-1, 30]],
  ['net.ipv6.icmp.ratelimit', [-1, 0, 2000, 5]],
  ['net.ipv6.icmp.echo_ignore_all', [2, 255, 256]],
  ['net.ipv6.fib_multipath_hash_policy', [3, 4]],
  ['net.ipv6.fib_multipath_hash_fields', [0, '0xfff', '0x1000']],
  ['net.ipv6.route.mtu_expires', [1]],
  ['net.ipv4.icmp_errors_use_inbound_ifaddr', [1, 2]],
  ['net.ipv4.ip_forward_use_pmtu', [2, 256]],
  ['net.ipv6.icmp.ratemask', ['0-2', '5,a', '', '0-1,3-127']],
  ['net.ipv4.ip_forward', [2, -1, 0]],
];

/** A write-then-read script run on both sides; send_redirects is left out (wxdp's defaults differ on purpose). */
const CONF_SCRIPT: Array<[string, number | string] | [string]> = [
  ['net.ipv4.conf.v0.rp_filter', 1],
  ['net.ipv4.conf.default.rp_filter', 2],
  ['net.ipv4.conf.v0.rp_filter'],
  ['net.ipv4.conf.v1.rp_filter'],
  ['net.ipv4.conf.default.arp_ignore', 3],
  ['net.ipv4.conf.v0.arp_ignore'],
  ['net.ipv4.conf.all.proxy_arp', 1],
  ['net.ipv4.conf.v0.proxy_arp'],
  ['net.ipv4.conf.default.forwarding', 1],
  ['net.ipv4.conf.v0.forwarding'],
  ['net.ipv4.ip_forward', 1],
  ['net.ipv4.conf.all.forwarding'],
  ['net.ipv4.conf.default.forwarding'],
  ['net.ipv4.conf.v0.forwarding'],
  ['net.ipv4.conf.all.accept_redirects'],
  ['net.ipv4.conf.v1.forwarding', 0],
  ['net.ipv4.conf.all.forwarding', 0],
  ['net.ipv4.conf.v1.forwarding'],
  ['net.ipv4.conf.all.accept_redirects'],
  ['net.ipv4.conf.all.mc_forwarding', 1],
  ['net.ipv4.conf.v0.route_localnet', -5],
  ['net.ipv6.conf.default.forwarding', 1],
  ['net.ipv6.conf.v0.forwarding'],
  ['net.ipv6.conf.all.forwarding', 1],
  ['net.ipv6.conf.v0.forwarding'],
  ['net.ipv6.conf.default.forwarding'],
  ['net.ipv6.conf.v1.hop_limit', 0],
  ['net.ipv6.conf.v1.hop_limit', 255],
  ['net.ipv6.conf.v1.hop_limit', 256],
  ['net.ipv6.conf.v0.mtu'],
  ['net.ipv6.conf.v0.mtu', 1501],
  ['net.ipv6.conf.v0.mtu', 1279],
  ['net.ipv6.conf.v0.mtu', 1400],
  ['net.ipv6.conf.all.mtu', 65536],
  ['net.ipv6.conf.default.hop_limit', 32],
  ['net.ipv6.conf.v0.hop_limit'],
  ['net.ipv6.conf.all.disable_ipv6', 1],
  ['net.ipv6.conf.v1.disable_ipv6'],
  ['net.ipv6.conf.default.disable_ipv6'],
  ['net.ipv6.conf.all.disable_ipv6', 0],
  ['net.ipv6.conf.v0.accept_redirects', 7],
  ['net.ipv4.conf.default.promote_secondaries', 1],
  ['net.ipv4.conf.v1.promote_secondaries'],
  ['net.ipv4.conf.default.route_localnet', 1],
  ['net.ipv4.conf.v1.route_localnet'],
  ['net.ipv4.conf.default.disable_policy', 1],
  ['net.ipv4.conf.v1.disable_policy'],
  ['net.ipv4.conf.default.accept_local', 1],
  ['net.ipv4.conf.v1.accept_local'],
  ['net.ipv6.conf.v1.use_oif_addrs_only', 3],
  ['net.ipv6.conf.v1.use_oif_addrs_only'],
  ['net.ipv6.conf.all.use_oif_addrs_only', 1],
  ['net.ipv6.conf.v0.use_oif_addrs_only'],
  ['net.ipv6.conf.default.use_oif_addrs_only', 1],
  ['net.ipv6.conf.v0.use_oif_addrs_only'],
  ['net.ipv4.conf.all.promote_secondaries', 1],
  ['net.ipv4.conf.v0.promote_secondaries'],
  ['net.ipv4.conf.v0.promote_secondaries', 0],
  ['net.ipv4.conf.all.promote_secondaries'],
  ['net.ipv6.conf.all.force_forwarding', 2],
  ['net.ipv6.conf.v0.force_forwarding', 1],
  ['net.ipv6.conf.v0.force_forwarding'],
  ['net.ipv6.conf.v0.frob', 1],
  ['net.ipv4.conf.v9.forwarding'],
];

describe.skipIf(skip)('wxdp sysctls agree with the kernel in a namespace', () => {
  beforeAll(() => {
    if (spawnSync('ip', ['netns', 'add', NS]).status !== 0) throw new Error(`cannot create ${NS}`);
    spawnSync('ip', ['-n', NS, 'link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1']);
  });
  afterAll(() => {
    spawnSync('ip', ['netns', 'del', NS]);
  });

  it('has the kernel defaults', () => {
    for (const [name, v] of Object.entries(KERNEL_DEFAULTS)) expect([name, nsSysctl(['-n', name]).out]).toEqual([name, String(v)]);
  });

  it.each(TRIES)('%s takes and refuses what the kernel does', (name, values) => {
    const s = new Sysctls(new FakeHost());
    // both sides start from the kernel's defaults (the fake's words are zero until set)
    for (const [n, v] of Object.entries(KERNEL_DEFAULTS)) if (n !== 'net.ipv4.ip_forward') s.set(n, v);
    for (const v of values) {
      const k = nsSysctl(['-q', '-w', `${name}=${v}`]);
      let ours = 'ok';
      try {
        s.set(name, v);
      } catch (e) {
        ours = (e as NetError).errno;
      }
      expect([name, v, ours]).toEqual([name, v, k.status === 0 && k.err === '' ? 'ok' : 'EINVAL']);
      if (k.status === 0) expect([name, v, String(s.get(name))]).toEqual([name, v, nsSysctl(['-n', name]).out]);
    }
  });

  it('propagates all/default to links as devinet.c and addrconf.c do', () => {
    const host = new FakeHost();
    const s = new Sysctls(host);
    for (const step of CONF_SCRIPT) {
      const [name, value] = step;
      if (value !== undefined) {
        const k = nsSysctl(['-q', '-w', `${name}=${value}`]);
        let ours = 'ok';
        try {
          s.set(name, value);
        } catch (e) {
          ours = (e as NetError).errno;
        }
        // procps' sysctl exits 0 on a read-only key it could not write: the message tells
        expect([name, value, ours]).toEqual([name, value, k.status === 0 && k.err === '' ? 'ok' : /No such file/.test(k.err) ? 'ENOENT' : 'EINVAL']);
      } else {
        const k = nsSysctl(['-n', name]);
        let ours: string;
        try {
          ours = String(s.get(name));
        } catch (e) {
          ours = (e as NetError).message;
        }
        expect([name, ours]).toEqual([name, k.status === 0 ? k.out : k.err]);
      }
    }
    // a link made now takes conf.default (rp_filter 2, arp_ignore 3, forwarding 0, ipv6 hop_limit 32)
    spawnSync('ip', ['-n', NS, 'link', 'add', 'v2', 'type', 'veth', 'peer', 'name', 'v3']);
    host.linkList.push({ ifindex: 4, ifname: 'v2', mtu: 1500 });
    s.linkAdded(4);
    for (const n of ['net.ipv4.conf.v2.rp_filter', 'net.ipv4.conf.v2.arp_ignore', 'net.ipv4.conf.v2.forwarding', 'net.ipv6.conf.v2.hop_limit', 'net.ipv6.conf.v2.forwarding', 'net.ipv6.conf.v2.mtu', 'net.ipv6.conf.v2.use_oif_addrs_only', 'net.ipv4.conf.v2.promote_secondaries']) {
      expect([n, String(s.get(n))]).toEqual([n, nsSysctl(['-n', n]).out]);
    }
  });
});

/**
 * Neighbour parameters written on both sides (net.ipv{4,6}.neigh.v0.NAME) and read back through
 * every name sharing the value: the kernel keeps jiffies at HZ 250, so ms round up to 4 ms and USER_HZ
 * goes through clock_t. `wxdp` marks the writes wxdp refuses where the kernel takes them (negative
 * times; times past a u32 of milliseconds), listed here.
 */
const NEIGH_TRIES: Array<[string, number, string[], 'wxdp refuses'?]> = [
  ['net.ipv4.neigh.v0.retrans_time', 123, ['retrans_time', 'retrans_time_ms']],
  ['net.ipv4.neigh.v0.retrans_time', 7, ['retrans_time', 'retrans_time_ms']],
  ['net.ipv4.neigh.v0.retrans_time', 858993459, ['retrans_time'], 'wxdp refuses'],
  ['net.ipv4.neigh.v0.retrans_time_ms', 1001, ['retrans_time', 'retrans_time_ms']],
  ['net.ipv4.neigh.v0.retrans_time_ms', -1, ['retrans_time_ms']],
  ['net.ipv6.neigh.v0.retrans_time', 101, ['retrans_time', 'retrans_time_ms']],
  ['net.ipv6.neigh.v0.retrans_time_ms', 1003, ['retrans_time', 'retrans_time_ms']],
  ['net.ipv6.neigh.v0.retrans_time', -1, ['retrans_time'], 'wxdp refuses'],
  ['net.ipv4.neigh.v0.base_reachable_time', 17, ['base_reachable_time', 'base_reachable_time_ms']],
  ['net.ipv4.neigh.v0.base_reachable_time', 8589935, ['base_reachable_time']],
  ['net.ipv4.neigh.v0.base_reachable_time', 8589934, ['base_reachable_time'], 'wxdp refuses'],
  ['net.ipv6.neigh.v0.base_reachable_time_ms', 5, ['base_reachable_time', 'base_reachable_time_ms']],
  ['net.ipv4.neigh.v0.delay_first_probe_time', 3, ['delay_first_probe_time']],
  ['net.ipv4.neigh.v0.gc_stale_time', -1, ['gc_stale_time'], 'wxdp refuses'],
  ['net.ipv4.neigh.v0.interval_probe_time_ms', 0, ['interval_probe_time_ms']],
  ['net.ipv4.neigh.v0.interval_probe_time_ms', 1003, ['interval_probe_time_ms']],
  ['net.ipv6.neigh.v0.anycast_delay', 123, ['anycast_delay']],
  ['net.ipv4.neigh.v0.proxy_delay', 101, ['proxy_delay']],
  ['net.ipv4.neigh.v0.locktime', 7, ['locktime']],
  ['net.ipv4.neigh.v0.unres_qlen', 1027504, ['unres_qlen', 'unres_qlen_bytes']],
  ['net.ipv4.neigh.v0.unres_qlen', 1027505, ['unres_qlen']],
  ['net.ipv4.neigh.v0.unres_qlen_bytes', 4179, ['unres_qlen', 'unres_qlen_bytes']],
  ['net.ipv6.neigh.v0.proxy_qlen', 2147483647, ['proxy_qlen']],
  ['net.ipv6.neigh.v0.mcast_resolicit', -1, ['mcast_resolicit']],
  ['net.ipv6.neigh.v0.app_solicit', 2, ['app_solicit']],
];

describe.skipIf(skip)('neighbour parameters agree with the kernel in a namespace', () => {
  const ns = `${NS}-n`;
  let dp: Datapath;
  beforeAll(async () => {
    if (spawnSync('ip', ['netns', 'add', ns]).status !== 0) throw new Error(`cannot create ${ns}`);
    spawnSync('ip', ['-n', ns, 'link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1']);
    dp = await Datapath.create();
    dp.addDevice({ name: 'v0' });
  });
  afterAll(() => {
    spawnSync('ip', ['netns', 'del', ns]);
  });
  const kernel = (args: string[]) => {
    const r = spawnSync('ip', ['netns', 'exec', ns, 'sysctl', ...args], { encoding: 'utf8' });
    return { status: r.status ?? -1, out: r.stdout.trim(), err: r.stderr.trim() };
  };

  it.each(NEIGH_TRIES)('%s = %s reads back as the kernel prints it', (name, value, reads, diff) => {
    const k = kernel(['-q', '-w', `${name}=${value}`]);
    const kOk = k.status === 0 && k.err === '';
    let ours = 'ok';
    try {
      dp.sysctl(name, value);
    } catch (e) {
      ours = (e as NetError).errno;
    }
    if (diff) {
      expect([kOk, ours]).toEqual([true, 'EINVAL']);
      return;
    }
    expect([name, value, ours]).toEqual([name, value, kOk ? 'ok' : 'EINVAL']);
    const base = name.slice(0, name.lastIndexOf('.') + 1);
    for (const r of reads) expect([base + r, String(dp.sysctl(base + r))]).toEqual([base + r, kernel(['-n', base + r]).out]);
  });

  it('the ms rate limits are kept on the jiffy grid too', () => {
    for (const n of ['net.ipv4.icmp_ratelimit', 'net.ipv6.icmp.ratelimit']) {
      for (const v of [1001, 5, 2147483647, 0]) {
        kernel(['-q', '-w', `${n}=${v}`]);
        dp.sysctl(n, v);
        expect([n, v, String(dp.sysctl(n))]).toEqual([n, v, kernel(['-n', n]).out]);
      }
    }
  });
});

describe('per-link words in the netdev record', () => {
  it('hold what the kernel acts on: all folded in by IN_DEV_ORCONF / MAXCONF / RX_REDIRECTS', () => {
    const host = new FakeHost();
    const s = new Sysctls(host);
    // a new link copies default: accept_redirects 1 (all 1 OR dev 1), send_redirects 0 (wxdp), hop_limit 64, mtu = link MTU
    expect([host.conf4(3, CONF4.ACCEPT_REDIRECTS), host.conf4(3, CONF4.SEND_REDIRECTS), host.conf6(3, CONF6.HOP_LIMIT), host.conf6(3, CONF6.MTU)]).toEqual([1, 0, 64, 1500]);
    s.set('net.ipv4.conf.all.rp_filter', 2);
    s.set('net.ipv4.conf.v0.rp_filter', 1);
    expect([s.get('net.ipv4.conf.v0.rp_filter'), host.conf4(3, CONF4.RP_FILTER), host.conf4(2, CONF4.RP_FILTER)]).toEqual([1, 2, 2]);
    s.set('net.ipv4.conf.all.accept_local', 1);
    expect([s.get('net.ipv4.conf.v1.accept_local'), host.conf4(2, CONF4.ACCEPT_LOCAL)]).toEqual([0, 1]);
    // forwarding on a link: accept_redirects becomes all AND dev; ip_forward=1 also clears all.accept_redirects
    s.set('net.ipv4.conf.v0.forwarding', 1);
    expect([host.conf4(3, CONF4.FORWARDING), host.conf4(3, CONF4.ACCEPT_REDIRECTS)]).toEqual([1, 1]);
    s.set('net.ipv4.ip_forward', 1);
    expect([host.conf4(2, CONF4.FORWARDING), host.conf4(2, CONF4.ACCEPT_REDIRECTS), s.get('net.ipv4.conf.v1.accept_redirects')]).toEqual([1, 0, 1]);
    s.set('net.ipv6.conf.all.forwarding', 1);
    expect([host.conf6(1, CONF6.FORWARDING), host.conf6(2, CONF6.FORWARDING), host.conf6(3, CONF6.FORWARDING)]).toEqual([1, 1, 1]);
    // an MTU change reaches net.ipv6.conf.DEV.mtu (NETDEV_CHANGEMTU)
    host.linkList[2]!.mtu = 9000;
    s.linkChanged(3);
    expect([s.get('net.ipv6.conf.v0.mtu'), host.conf6(3, CONF6.MTU)]).toEqual([9000, 9000]);
    // links found without the hook are adopted on the next access; gone ones are forgotten
    host.linkList.push({ ifindex: 5, ifname: 'late', mtu: 1500 });
    expect(s.get('net.ipv4.conf.late.forwarding')).toBe(1);
    host.linkList.pop();
    expect(refusal(() => s.get('net.ipv4.conf.late.forwarding')).errno).toBe('ENOENT');
  });

  it('lists every name with its value', () => {
    const s = new Sysctls(new FakeHost());
    const all = s.list();
    expect(all['net.ipv4.conf.v0.forwarding']).toBe(0);
    expect(all['net.ipv6.conf.lo.mtu']).toBe(65536);
    expect(all['net.ipv4.neigh.v1.ucast_solicit']).toBe(0);
    // every per-device name (gc_stale_time among them), and the gc globals under "default" alone
    expect(all['net.ipv6.neigh.v1.gc_stale_time']).toBe(0);
    expect(all['net.ipv4.neigh.v1.gc_thresh1']).toBeUndefined();
    expect(Object.keys(all).filter((k) => k.startsWith('net.ipv4.neigh.v1.')).length).toBe(17);
    expect(Object.keys(all)).toEqual([...Object.keys(all)].sort());
  });
});

describe('neighbour parameters go to dp.neigh', () => {
  it('checks ranges and hands the value over in the unit of its name', () => {
    const host = new FakeHost();
    const s = new Sysctls(host);
    s.set('net.ipv4.neigh.default.base_reachable_time_ms', 15000);
    s.set('net.ipv4.neigh.v0.base_reachable_time', 20);
    s.set('net.ipv6.neigh.v1.retrans_time', 150);
    s.set('net.ipv4.neigh.v0.unres_qlen', 3);
    s.set('net.ipv4.neigh.v0.ucast_solicit', 0);
    expect(host.neighCalls).toEqual([
      ['set', 'inet', 'default', 'base_reachable_time_ms', 15000],
      ['set', 'inet', 'v0', 'base_reachable_time', 20],
      ['set', 'inet6', 'v1', 'retrans_time', 150],
      ['set', 'inet', 'v0', 'unres_qlen', 3],
      ['set', 'inet', 'v0', 'ucast_solicit', 0],
    ]);
    expect([s.get('net.ipv4.neigh.v0.base_reachable_time'), s.get('net.ipv6.neigh.v1.retrans_time')]).toEqual([20, 150]);
    for (const [n, v] of [['net.ipv4.neigh.v0.ucast_solicit', -1], ['net.ipv4.neigh.v0.retrans_time_ms', -1], ['net.ipv4.neigh.v0.unres_qlen', 2147483], ['net.ipv4.neigh.v0.delay_first_probe_time', 2147483647], ['net.ipv4.neigh.v0.interval_probe_time_ms', 0]] as const) {
      expect([n, refusal(() => s.set(n, v)).errno]).toEqual([n, 'EINVAL']);
    }
    expect(refusal(() => s.set('net.ipv4.neigh.v9.ucast_solicit', 1)).errno).toBe('ENOENT');
    host.neigh = undefined;
    expect(refusal(() => s.get('net.ipv4.neigh.v0.ucast_solicit')).errno).toBe('ENOENT');
  });
});
