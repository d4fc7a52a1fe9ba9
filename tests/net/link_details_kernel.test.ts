// `ip -d link show` (and -j, and `ip -d addr show`) as iproute2 prints the kernel's links: the same lines
// go to `ip -n NS` in a network namespace this test creates (wx-net-gaps-PID-N, removed after each test,
// also when it fails) and to dp.ip(); the details must print the same bytes: promiscuity, allmulti,
// minmtu/maxmtu, the link kind, addrgenmode (ip link only, and only while the link has IPv6), the queue
// counts and the gso/tso/gro limits.
//
// Masked, and why:
//   maxmtu of a veth end   the kernel's veth takes up to ETH_MAX_MTU (65535); a wxdp veth end is a ring
//                          device whose MTU is bounded by what a UMEM frame holds (DEVICE_MAX_MTU, 3502)
//   numtxqueues / numrxqueues of a veth end
//                          the kernel gives a veth num_possible_cpus() queues (veth_get_num_queues);
//                          wxdp prints its ring device's queue pairs (1 for `ip link add … type veth`)
// This kernel (no loadable modules) refuses `type dummy` and `type vlan` in a namespace; those lines are
// checked against what the kernel's sources and iproute2 6.1's print_linkinfo / vlan_print_opt give
// (dummy_setup, vlan_setup / vlan_dev_init, netif_inherit_tso_max), in the second test. Skipped, with
// the reason, without root or iproute2.

import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { Datapath } from '../../src/control/datapath.js';

function availability(): string {
  if (process.platform !== 'linux') return 'network namespaces need Linux';
  if (process.getuid?.() !== 0) return `not root (uid ${process.getuid?.()}): ip netns needs CAP_SYS_ADMIN`;
  const r = spawnSync('ip', ['-V'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return 'iproute2 not found';
  return '';
}

const unavailable = availability();
let seq = 0;
const namespaces: string[] = [];
afterEach(() => {
  for (const ns of namespaces.splice(0)) spawnSync('ip', ['netns', 'del', ns]);
});

/** The masks above, on one `ip` answer (plain or -j). */
function mask(out: string, veths: readonly string[]): string {
  if (out.startsWith('[')) {
    const links = JSON.parse(out) as Array<Record<string, unknown>>;
    for (const l of links) {
      if ((l['linkinfo'] as { info_kind?: string } | undefined)?.info_kind !== 'veth') continue;
      l['max_mtu'] = 'M';
      l['num_tx_queues'] = l['num_rx_queues'] = 'Q';
    }
    return JSON.stringify(links);
  }
  // a link's block: its first line names it, the next lines carry the details
  let veth = false;
  return out
    .split('\n')
    .map((line) => {
      const head = /^\d+: ([^:@]+)[@:]/.exec(line);
      if (head) veth = veths.includes(head[1]!);
      if (!veth) return line;
      return line.replace(/maxmtu \d+/, 'maxmtu M').replace(/numtxqueues \d+ numrxqueues \d+/, 'numtxqueues Q numrxqueues Q');
    })
    .join('\n');
}

const VETHS = ['d0', 'p0', 'd1', 'p1'];
const SETUP = [
  'link add d0 address 02:00:00:00:00:10 type veth peer name p0 address 02:00:00:00:00:20',
  'link add d1 address 02:00:00:00:00:11 type veth peer name p1 address 02:00:00:00:00:21',
  'link set d0 up', 'link set p0 up', 'link set lo up',
  'addr add 192.0.2.1/24 dev d0', 'addr add 2001:db8:1::1/64 dev d0 nodad',
];
const SHOWS = ['-d link show', '-d -j link show', '-d link show dev d0', '-d addr show dev d0', '-d -j addr show dev d0', '-d link show type veth', '-d -d link show lo'];

describe('ip -d link show as iproute2 prints the kernel\'s links', () => {
  it.skipIf(unavailable !== '')(`veth ends and lo, before and after an MTU below IPv6's minimum: the same bytes ${unavailable ? `(skipped: ${unavailable})` : ''}`, async () => {
    const ns = `wx-net-gaps-${process.pid}-${++seq}`;
    const add = spawnSync('ip', ['netns', 'add', ns], { encoding: 'utf8' });
    if (add.status !== 0) throw new Error(`ip netns add ${ns}: ${add.stderr}`);
    namespaces.push(ns);
    // no DAD (wxdp's link-local addresses are usable at once), no router solicitations
    for (const n of ['net.ipv6.conf.default.accept_dad=0', 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.router_solicitations=0']) {
      spawnSync('ip', ['netns', 'exec', ns, 'sysctl', '-qw', n]);
    }
    const dp = await Datapath.create();
    const kernel = (line: string): string => {
      const r = spawnSync('ip', ['-n', ns, ...line.split(' ')], { encoding: 'utf8' });
      return r.stdout + r.stderr;
    };
    const wxdp = (line: string): string => {
      const r = dp.ip(line);
      return r.stdout + r.stderr;
    };
    for (const line of SETUP) expect({ line, out: wxdp(line) }).toEqual({ line, out: kernel(line) });
    // the kernel has the details to be seen (not a comparison of two empty answers)
    expect(kernel('-d link show dev d0')).toContain('veth addrgenmode eui64 numtxqueues');
    const compare = (step: string): void => {
      for (const line of SHOWS) expect({ step, line, out: mask(wxdp(line), VETHS) }).toEqual({ step, line, out: mask(kernel(line), VETHS) });
    };
    compare('set up');
    // below 1280 the link loses its inet6_dev: no addrgenmode (inet6_fill_link_af answers ENODATA)
    for (const line of ['link set d1 mtu 1200', 'link set d0 mtu 1000']) kernel(line), wxdp(line);
    expect(kernel('-d link show dev d1')).not.toContain('addrgenmode');
    compare('mtu below 1280');
    for (const line of ['link set d1 mtu 1500']) kernel(line), wxdp(line);
    compare('mtu back');
  });
});

describe('ip -d link show for the kinds this kernel cannot make here (dummy, vlan): from the kernel\'s sources', () => {
  it('dummy: no MTU bounds (dummy_setup: min_mtu = max_mtu = 0), one queue, TSO_LEGACY_MAX_SIZE; vlan: 802.1Q/802.1ad, its id, REORDER_HDR, its parent\'s tso limits', async () => {
    const dp = await Datapath.create();
    for (const line of ['link add dm0 address 02:00:00:00:00:30 type dummy', 'link add d0 address 02:00:00:00:00:10 type veth peer name p0 address 02:00:00:00:00:20',
      'link add link d0 name d0.5 type vlan id 5', 'link add link d0 name d0.6 type vlan protocol 802.1ad id 6']) dp.ip(line);
    dp.addDevice({ name: 'eth0', mac: '02:00:00:00:00:40', queues: 4 });
    dp.ip('link add link eth0 name eth0.7 type vlan id 7');
    const limits = (q: number, tso: number): string => `numtxqueues ${q} numrxqueues ${q} gso_max_size 65536 gso_max_segs 65535 tso_max_size ${tso} tso_max_segs 65535 gro_max_size 65536 `;
    expect(dp.ip('-d link show dm0').stdout).toBe(
      '2: dm0: <BROADCAST,NOARP> mtu 1500 qdisc noop state DOWN mode DEFAULT group default qlen 1000\n' +
        '    link/ether 02:00:00:00:00:30 brd ff:ff:ff:ff:ff:ff promiscuity 0  allmulti 0 minmtu 0 maxmtu 0 \n' +
        `    dummy addrgenmode eui64 ${limits(1, 65536)}\n`,
    );
    // vlan_setup: 0-ETH_MAX_MTU; vlan_dev_init inherits the veth's GSO_MAX_SIZE (524280) tso limit
    expect(dp.ip('-d link show d0.5').stdout).toBe(
      '5: d0.5@d0: <BROADCAST,MULTICAST,M-DOWN> mtu 1500 qdisc noop state DOWN mode DEFAULT group default qlen 1000\n' +
        '    link/ether 02:00:00:00:00:10 brd ff:ff:ff:ff:ff:ff promiscuity 0  allmulti 0 minmtu 0 maxmtu 65535 \n' +
        `    vlan protocol 802.1Q id 5 <REORDER_HDR> addrgenmode eui64 ${limits(1, 524280)}\n`,
    );
    const j = JSON.parse(dp.ip('-d -j link show d0.6').stdout) as Array<Record<string, unknown>>;
    expect(j[0]).toMatchObject({
      min_mtu: 0, max_mtu: 65535, linkinfo: { info_kind: 'vlan', info_data: { protocol: '802.1ad', id: 6, flags: ['REORDER_HDR'] } }, inet6_addr_gen_mode: 'eui64',
      num_tx_queues: 1, num_rx_queues: 1, gso_max_size: 65536, gso_max_segs: 65535, tso_max_size: 524280, tso_max_segs: 65535, gro_max_size: 65536,
    });
    // a ring device is a NIC to the kernel: its queue pairs, alloc_netdev's TSO_LEGACY_MAX_SIZE, no linkinfo; its VLAN inherits that
    expect(dp.ip('-d link show eth0').stdout).toContain(`minmtu 68 maxmtu 3502 addrgenmode eui64 ${limits(4, 65536)}\n`);
    expect(dp.ip('-d link show eth0.7').stdout).toContain(`vlan protocol 802.1Q id 7 <REORDER_HDR> addrgenmode eui64 ${limits(1, 65536)}\n`);
    // ip addr -d: the same details without print_af_spec (do_link is 0)
    expect(dp.ip('-d addr show dm0').stdout).toContain(`    dummy ${limits(1, 65536)}\n`);
  });
});
