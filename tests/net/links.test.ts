// dp.links and the netdev stage: loopback, ring devices, dummy, veth and VLAN sub-devices; up/down,
// MTU, MAC, names; the events other tables get; and netdev_xmit's frames (VLAN tags pushed, checked
// byte by byte against frames derived by hand from IEEE 802.1Q) and drops. Link output is compared
// with what Linux 6.18's `ip -j link show` printed for the same operations (links_kernel.test.ts
// compares live); dummy and VLAN devices, which this kernel lacks, follow dummy.c and net/8021q.

import { beforeEach, describe, expect, it } from 'vitest';
import { Datapath } from '../../src/control/datapath.js';
import { DEV, DP, DP_BASE, QUEUE_SIZE, XDP_PACKET_HEADROOM } from '../../src/runtime/memory.js';
import { ND, NDK } from '../../src/runtime/net_abi.js';
import { refused } from './refused.js';

interface X {
  netdev_xmit(ifindex: number, q: number, data: number, len: number, skipEgress?: number): void;
  netdev_vlan_lookup(parent: number, proto: number, vid: number): number;
  netdev_get(ifindex: number): number;
}

let dp: Datapath;
let x: X;
let events: string[];

async function setup(): Promise<void> {
  dp = await Datapath.create();
  x = dp.fastPath.exports as unknown as X;
  events = [];
  const spy = (table: object, name: string) => ((table as Record<string, unknown>)[name] = (...a: unknown[]) => events.push(`${name} ${JSON.stringify(a)}`));
  for (const n of ['deviceDown', 'deviceUp', 'deviceGone', 'deviceCarrier', 'deviceMtu']) spy(dp.routes, n);
  for (const n of ['deviceDown', 'deviceGone']) spy(dp.neigh, `${n}`);
}

const pick = (name: string) => {
  const l = dp.links.show(name);
  return { flags: l.flags, operstate: l.operstate, ...(l.link ? { link: l.link } : {}) };
};

describe('links', () => {
  beforeEach(setup);

  it('start with lo alone, down, as a new network namespace prints it', () => {
    // ip -j -d link show in a new namespace on Linux 6.18 (the fields wxdp has)
    expect(dp.links.list()).toEqual([
      {
        ifindex: 1, ifname: 'lo', flags: ['LOOPBACK'], mtu: 65536, qdisc: 'noop', operstate: 'DOWN', linkmode: 'DEFAULT', group: 'default', txqlen: 1000,
        link_type: 'loopback', address: '00:00:00:00:00:00', broadcast: '00:00:00:00:00:00', min_mtu: 0, max_mtu: 0,
        inet6_addr_gen_mode: 'eui64', num_tx_queues: 1, num_rx_queues: 1, gso_max_size: 65536, gso_max_segs: 65535, tso_max_size: 524280, tso_max_segs: 65535, gro_max_size: 65536,
      },
    ]);
    dp.links.set('lo', { up: true });
    expect(pick('lo')).toEqual({ flags: ['LOOPBACK', 'UP', 'LOWER_UP'], operstate: 'UNKNOWN' });
    // the kernel: "qdisc":"noqueue" once lo is up (IFF_NO_QUEUE), txqlen stays 1000, and the qdisc
    // stays attached when it goes down again
    expect(dp.links.show('lo')).toMatchObject({ qdisc: 'noqueue', txqlen: 1000 });
    dp.links.set('lo', { up: false });
    expect(dp.links.show('lo')).toMatchObject({ qdisc: 'noqueue', operstate: 'DOWN' });
  });

  it('show ring devices as ether links with their ifindex, down until set up', () => {
    const eth0 = dp.addDevice({ name: 'eth0', mac: '02:00:00:00:00:01' });
    expect(dp.links.show('eth0')).toEqual({
      ifindex: eth0.ifindex,
      ifname: 'eth0',
      flags: ['BROADCAST', 'MULTICAST'],
      mtu: 1500,
      qdisc: 'noop',
      operstate: 'DOWN',
      linkmode: 'DEFAULT',
      group: 'default',
      txqlen: 1000,
      link_type: 'ether',
      address: '02:00:00:00:00:01',
      broadcast: 'ff:ff:ff:ff:ff:ff',
      // what a ring device's UMEM frame takes (DEVICE_MIN_MTU, DEVICE_MAX_MTU)
      min_mtu: 68,
      max_mtu: 3502,
      // a NIC to the kernel: its queue pairs, alloc_netdev's TSO_LEGACY_MAX_SIZE
      inet6_addr_gen_mode: 'eui64', num_tx_queues: 1, num_rx_queues: 1, gso_max_size: 65536, gso_max_segs: 65535, tso_max_size: 65536, tso_max_segs: 65535, gro_max_size: 65536,
    });
    dp.links.set('eth0', { up: true });
    expect(pick('eth0')).toEqual({ flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'], operstate: 'UP' });
    // no qdisc layer in wxdp: a ring device transmits straight to its TX ring, as IFF_NO_QUEUE devices do
    expect(dp.links.show('eth0').qdisc).toBe('noqueue');
    const eth1 = dp.addDevice({ name: 'eth1', ifindex: 7 });
    expect(eth1.ifindex).toBe(7);
    expect(dp.links.ifindex('eth1')).toBe(7);
    expect(() => dp.addDevice({ name: 'eth2', ifindex: 7 })).toThrow(/ifindex 7 is taken/);
    expect(() => dp.addDevice({ name: 'eth2', ifindex: 64 })).toThrow(/ifindex must be 2\.\.63/);
    expect(() => dp.addDevice({ name: 'lo' })).toThrow(/exists already/);
  });

  it('adopt ring devices made before the links existed, allocation carrying on after them', async () => {
    const fresh = await Datapath.create();
    fresh.addDevice({ name: 'eth0' });
    fresh.addDevice({ name: 'eth1' });
    expect(fresh.links.list().map((l) => `${l.ifindex} ${l.ifname}`)).toEqual(['1 lo', '2 eth0', '3 eth1']);
    fresh.links.add({ name: 'd0', kind: 'dummy' });
    expect(fresh.links.ifindex('d0')).toBe(4);
  });

  it('make dummies as dummy.c does: BROADCAST and NOARP, operstate UNKNOWN when up, any ifindex', () => {
    const d = dp.links.add({ name: 'd0', kind: 'dummy', index: 100, address: '02:00:00:00:0d:00', mtu: 9000 });
    // dummy_setup: ether_setup (txqlen 1000), IFF_NO_QUEUE, min_mtu = max_mtu = 0
    expect(d).toEqual({
      ifindex: 100,
      ifname: 'd0',
      flags: ['BROADCAST', 'NOARP'],
      mtu: 9000,
      qdisc: 'noop',
      operstate: 'DOWN',
      linkmode: 'DEFAULT',
      group: 'default',
      txqlen: 1000,
      link_type: 'ether',
      address: '02:00:00:00:0d:00',
      broadcast: 'ff:ff:ff:ff:ff:ff',
      min_mtu: 0,
      max_mtu: 0,
      linkinfo: { info_kind: 'dummy' },
      inet6_addr_gen_mode: 'eui64', num_tx_queues: 1, num_rx_queues: 1, gso_max_size: 65536, gso_max_segs: 65535, tso_max_size: 65536, tso_max_segs: 65535, gro_max_size: 65536,
    });
    dp.links.set('d0', { up: true });
    expect(pick('d0')).toEqual({ flags: ['BROADCAST', 'NOARP', 'UP', 'LOWER_UP'], operstate: 'UNKNOWN' });
    expect(dp.links.show('d0').qdisc).toBe('noqueue');
    // dummy has no MTU bounds (min_mtu = max_mtu = 0)
    dp.links.set('d0', { mtu: 65535 });
    expect(dp.links.show('d0').mtu).toBe(65535);
    expect(dp.links.add({ name: 'dummy%d', kind: 'dummy' }).ifname).toBe('dummy0');
    expect(dp.links.add({ name: 'dummy%d', kind: 'dummy' }).ifname).toBe('dummy1');
  });

  it('make veth ends two peered ring devices, the peer first, carrier only with both up', () => {
    dp.links.add({ name: 'v0', kind: 'veth', peer: { name: 'v1' } });
    // the kernel gave the peer ifindex 2 and v0 3
    expect(dp.links.list().map((l) => `${l.ifindex} ${l.ifname} ${l.link ?? ''}`)).toEqual(['1 lo ', '2 v1 v0', '3 v0 v1']);
    expect(dp.listDevices().map((d) => d.name)).toEqual(['v1', 'v0']);
    // the kernel's sequence: down/down, v0 up (no carrier), v1 up, v1 down
    expect(pick('v0')).toEqual({ flags: ['BROADCAST', 'MULTICAST', 'M-DOWN'], operstate: 'DOWN', link: 'v1' });
    dp.links.set('v0', { up: true });
    expect(pick('v0')).toEqual({ flags: ['NO-CARRIER', 'BROADCAST', 'MULTICAST', 'UP', 'M-DOWN'], operstate: 'LOWERLAYERDOWN', link: 'v1' });
    expect(pick('v1')).toEqual({ flags: ['BROADCAST', 'MULTICAST'], operstate: 'DOWN', link: 'v0' });
    dp.links.set('v1', { up: true });
    expect(pick('v0')).toEqual({ flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'], operstate: 'UP', link: 'v1' });
    expect(events).toContain(`deviceCarrier [${dp.links.ifindex('v0')},true]`);
    dp.links.set('v1', { up: false });
    expect(pick('v0')).toEqual({ flags: ['NO-CARRIER', 'BROADCAST', 'MULTICAST', 'UP', 'M-DOWN'], operstate: 'LOWERLAYERDOWN', link: 'v1' });
    expect(dp.links.add({ name: 'c0', kind: 'veth' }).link).toBe('veth0');
  });

  it('reuse the memory of deleted veth ends (records, rings) for the next ones: the arena stops growing', async () => {
    dp = await Datapath.create(); // the real routes and neighbours, not the spies: their entries go with the links
    const fn = <T>(n: string) => dp.fastPath.fn<T>(n);
    const top = fn<() => number>('arena_top');
    const pair = () => {
      dp.links.add({ name: 'v0', kind: 'veth', peer: { name: 'v1' } });
      dp.links.set('v0', { up: true });
      dp.links.set('v1', { up: true });
      dp.links.del('v0');
    };
    const rcBytes = () => Number(fn<() => bigint>('rc_arena_bytes')());
    pair();
    const [top1, rc1] = [top() >>> 0, rcBytes()];
    for (let i = 0; i < 20; i++) pair();
    // what the links and ring devices take comes back through reclaim.ts: nothing new from it; without
    // reuse 40 ends would have taken 40 blocks of 32 KiB from the arena (its top may still move by the
    // odd page other tables take, as routes.deviceDown does now and then)
    expect(rcBytes()).toBe(rc1);
    expect((top() >>> 0) - top1).toBeLessThan(32768);
    // one veth end is one block: header, queue, host ring and four rings (default sizes)
    dp.links.add({ name: 'v0', kind: 'veth', peer: { name: 'v1' } });
    const dev = dp.device('v0');
    // each part on a 64-byte line: header + 1 queue, host ring 256 × 16, fill and completion 256 × 8,
    // RX and TX 256 × 16 (64-byte ring headers)
    const line = (n: number) => Math.ceil(n / 64) * 64;
    expect(dp.memory.view().getUint32(dev.address + DEV.BLOCK, true)).toBe(line(DEV.HEADER_SIZE + QUEUE_SIZE) + (64 + 4096) + 2 * (64 + 2048) + 2 * (64 + 4096));
    // UMEM frames the rings held went back to the pool
    const free = dp.freeFrames();
    dp.links.del('v0');
    expect(dp.freeFrames()).toBeGreaterThan(free);
  });

  it('delete a veth with its peer and their ring devices, each going down and away', () => {
    dp.links.add({ name: 'v0', kind: 'veth', peer: { name: 'v1' } });
    dp.links.set('v0', { up: true });
    events.length = 0;
    dp.links.del('v1');
    expect(dp.links.list().map((l) => l.ifname)).toEqual(['lo']);
    expect(dp.listDevices()).toEqual([]);
    expect(events).toEqual(['deviceDown [3]', 'deviceDown [3]', 'deviceGone [2]', 'deviceGone [2]', 'deviceGone [3]', 'deviceGone [3]']);
  });

  it('flush routes and neighbours through a link that goes down, and bring next hops back when it is up', () => {
    const eth0 = dp.addDevice({ name: 'eth0' });
    dp.links.set('eth0', { up: true });
    expect(events).toEqual([`deviceUp [${eth0.ifindex}]`]);
    dp.links.set('eth0', { up: false });
    expect(events.slice(1)).toEqual([`deviceDown [${eth0.ifindex}]`, `deviceDown [${eth0.ifindex}]`]);
    dp.links.set('eth0', { mtu: 1400 });
    // with net.ipv6.conf.eth0.mtu as it was before the change (rt6_mtu_change compares with it)
    expect(events.at(-1)).toBe(`deviceMtu [${eth0.ifindex},1400,1500,1500]`);
  });

  it('change MTU within each kind\'s bounds, in iproute2\'s words when out of them', () => {
    const eth0 = dp.addDevice({ name: 'eth0' });
    dp.links.set('eth0', { mtu: 3000 });
    expect(eth0.mtu).toBe(3000);
    expect(dp.memory.view().getUint32(x.netdev_get(eth0.ifindex) + ND.MTU, true)).toBe(3000);
    expect(refused(() => dp.links.set('eth0', { mtu: 40 }))).toMatchObject({ errno: 'EINVAL', message: 'Error: mtu less than device minimum.' });
    expect(refused(() => dp.links.set('eth0', { mtu: 9000 }))).toMatchObject({ errno: 'EINVAL', message: 'Error: mtu greater than device maximum.' });
    expect(refused(() => dp.links.set('eth0', { mtu: -1 }))).toMatchObject({ errno: 'EINVAL', message: 'Error: argument "-1" is wrong: "mtu" value is invalid' });
    dp.links.set('lo', { mtu: 60000 });
    expect(dp.links.show('lo').mtu).toBe(60000);
  });

  it('change the MAC, refusing multicast, zero and loopback', () => {
    const eth0 = dp.addDevice({ name: 'eth0' });
    dp.links.set('eth0', { address: '02:aa:bb:cc:dd:ee' });
    expect([...eth0.mac]).toEqual([2, 0xaa, 0xbb, 0xcc, 0xdd, 0xee]);
    expect([...dp.memory.bytes().slice(x.netdev_get(eth0.ifindex) + ND.MAC, x.netdev_get(eth0.ifindex) + ND.MAC + 6)]).toEqual([2, 0xaa, 0xbb, 0xcc, 0xdd, 0xee]);
    expect(refused(() => dp.links.set('eth0', { address: 'zz' }))).toMatchObject({ errno: 'EINVAL', message: '"zz" is invalid lladdr.' });
    expect(refused(() => dp.links.set('eth0', { address: '01:00:5e:00:00:01' }))).toMatchObject({ errno: 'EADDRNOTAVAIL', message: 'RTNETLINK answers: Cannot assign requested address' });
    expect(refused(() => dp.links.set('lo', { address: '02:00:00:00:00:01' }))).toMatchObject({ errno: 'EOPNOTSUPP', message: 'RTNETLINK answers: Operation not supported' });
  });

  it('rename links (ring devices too), refusing names taken or invalid', () => {
    const eth0 = dp.addDevice({ name: 'eth0' });
    dp.links.set('eth0', { up: true, name: 'wan0' });
    expect(dp.device('wan0')).toBe(eth0);
    expect(dp.links.ifindex('wan0')).toBe(eth0.ifindex);
    expect(refused(() => dp.links.ifindex('eth0'))).toMatchObject({ errno: 'ENODEV', message: 'Cannot find device "eth0"' });
    expect(refused(() => dp.links.set('wan0', { name: 'lo' }))).toMatchObject({ errno: 'EEXIST', message: 'RTNETLINK answers: File exists' });
    expect(refused(() => dp.links.set('wan0', { name: 'a b' }))).toMatchObject({ message: 'Error: argument "a b" is wrong: "name" not a valid ifname' });
    expect(refused(() => dp.links.set('wan0', { name: '..' }))).toMatchObject({ message: 'RTNETLINK answers: Invalid argument' });
    expect(dp.links.name(eth0.ifindex)).toBe('wan0');
    expect(dp.links.name(99)).toBeUndefined();
  });

  it('refuse to delete lo and ring devices, or what is not there', () => {
    dp.addDevice({ name: 'eth0' });
    expect(refused(() => dp.links.del('lo'))).toMatchObject({ errno: 'EOPNOTSUPP', message: 'RTNETLINK answers: Operation not supported' });
    expect(refused(() => dp.links.del('eth0'))).toMatchObject({ errno: 'EOPNOTSUPP' });
    expect(refused(() => dp.links.del('nope'))).toMatchObject({ errno: 'ENODEV', message: 'Cannot find device "nope"' });
    expect(refused(() => dp.links.add({ name: 'x', kind: 'bridge' as never }))).toMatchObject({ errno: 'EOPNOTSUPP', message: 'Error: Unknown device type.' });
    expect(refused(() => dp.links.add({ name: 'd', kind: 'dummy', index: 4096 }))).toMatchObject({ errno: 'ERANGE' });
    expect(refused(() => dp.links.add({ name: 'v', kind: 'veth', index: 64 }))).toMatchObject({ errno: 'ERANGE' });
    expect(refused(() => dp.links.add({ name: 'd', kind: 'dummy', index: 0 }))).toMatchObject({ errno: 'EINVAL' });
    expect(refused(() => dp.links.add({ name: 'v', kind: 'veth', index: 9, peer: { name: 'p', index: 9 } }))).toMatchObject({ errno: 'EEXIST', message: 'RTNETLINK answers: File exists' });
    expect(refused(() => dp.links.add({ name: 'a/b', kind: 'dummy' }))).toMatchObject({ errno: 'EINVAL', message: 'Error: argument "a/b" is wrong: "dev" not a valid ifname' });
    expect(refused(() => dp.links.add({ name: 'a:b', kind: 'dummy' }))).toMatchObject({ errno: 'EINVAL', message: 'RTNETLINK answers: Invalid argument' });
    expect(refused(() => dp.links.add({ name: '0123456789abcdef', kind: 'dummy' }))).toMatchObject({ errno: 'EINVAL', message: 'Error: Attribute failed policy validation.' });
  });

  it('run out of names for a template as dev_alloc_name does (ENFILE)', () => {
    // 15 characters at most: 0..99 fit after the 13-character stem, 100 would not
    for (let i = 0; i < 100; i++) dp.links.add({ name: 'abcdefghijklm%d', kind: 'dummy' });
    expect(dp.links.has('abcdefghijklm99')).toBe(true);
    expect(refused(() => dp.links.add({ name: 'abcdefghijklm%d', kind: 'dummy' }))).toMatchObject({ errno: 'ENFILE', message: 'RTNETLINK answers: Too many open files in system' });
    expect(refused(() => dp.links.add({ name: 'x%d%d', kind: 'dummy' }))).toMatchObject({ errno: 'EINVAL' });
  });
});

describe('VLAN sub-devices', () => {
  beforeEach(async () => {
    await setup();
    dp.addDevice({ name: 'eth0', mac: '02:00:00:00:00:01', mtu: 1500 });
  });

  it('take their parent\'s MAC and MTU and show protocol and id', () => {
    const v = dp.links.add({ name: 'eth0.10', kind: 'vlan', vlan: { parent: 'eth0', id: 10 } });
    // vlan_setup: ether_setup (txqlen 1000), IFF_NO_QUEUE, min_mtu 0, max_mtu ETH_MAX_MTU
    expect(v).toEqual({
      ifindex: 3,
      link: 'eth0',
      ifname: 'eth0.10',
      flags: ['BROADCAST', 'MULTICAST', 'M-DOWN'],
      mtu: 1500,
      qdisc: 'noop',
      operstate: 'DOWN',
      linkmode: 'DEFAULT',
      group: 'default',
      txqlen: 1000,
      link_type: 'ether',
      address: '02:00:00:00:00:01',
      broadcast: 'ff:ff:ff:ff:ff:ff',
      min_mtu: 0,
      max_mtu: 65535,
      linkinfo: { info_kind: 'vlan', info_data: { protocol: '802.1Q', id: 10, flags: ['REORDER_HDR'] } },
      // vlan_dev_init: netif_inherit_tso_max from the ring device
      inet6_addr_gen_mode: 'eui64', num_tx_queues: 1, num_rx_queues: 1, gso_max_size: 65536, gso_max_segs: 65535, tso_max_size: 65536, tso_max_segs: 65535, gro_max_size: 65536,
    });
    const ad = dp.links.add({ name: 'svc', kind: 'vlan', vlan: { parent: 'eth0', id: 10, protocol: '802.1ad' }, mtu: 1400 });
    expect(ad.linkinfo).toEqual({ info_kind: 'vlan', info_data: { protocol: '802.1ad', id: 10, flags: ['REORDER_HDR'] } });
    expect(x.netdev_vlan_lookup(2, 0x8100, 10)).toBe(3);
    expect(x.netdev_vlan_lookup(2, 0x88a8, 10)).toBe(4);
    expect(x.netdev_vlan_lookup(2, 0x8100, 11)).toBe(0);
    expect(dp.memory.view().getUint32(x.netdev_get(4) + ND.KIND, true)).toBe(NDK.VLAN);
  });

  it('refuse what 8021q refuses', () => {
    dp.links.add({ name: 'eth0.10', kind: 'vlan', vlan: { parent: 'eth0', id: 10 } });
    expect(refused(() => dp.links.add({ name: 'x', kind: 'vlan', vlan: { parent: 'eth0', id: 10 } }))).toMatchObject({ errno: 'EEXIST', message: 'Error: 8021q: VLAN device already exists.' });
    expect(refused(() => dp.links.add({ name: 'x', kind: 'vlan', vlan: { parent: 'eth0', id: 4095 } }))).toMatchObject({ errno: 'ERANGE', message: 'Error: 8021q: Invalid VLAN id.' });
    expect(refused(() => dp.links.add({ name: 'x', kind: 'vlan', vlan: { parent: 'lo', id: 5 } }))).toMatchObject({ errno: 'EOPNOTSUPP', message: 'Error: 8021q: VLANs not supported on device.' });
    expect(refused(() => dp.links.add({ name: 'x', kind: 'vlan', vlan: { parent: 'nope', id: 5 } }))).toMatchObject({ errno: 'ENODEV', message: 'Cannot find device "nope"' });
    expect(refused(() => dp.links.add({ name: 'x', kind: 'vlan', vlan: { parent: 'eth0', id: 5 }, mtu: 1600 }))).toMatchObject({ errno: 'EINVAL', message: 'RTNETLINK answers: Invalid argument' });
    expect(refused(() => dp.links.add({ name: 'x', kind: 'vlan' }))).toMatchObject({ errno: 'EINVAL', message: 'Error: 8021q: VLAN properties not specified.' });
    expect(refused(() => dp.links.add({ name: 'x', kind: 'vlan', vlan: { parent: 'eth0', id: 1.5 } }))).toMatchObject({ errno: 'EINVAL', message: 'Error: argument "1.5" is wrong: id is invalid' });
    expect(refused(() => dp.links.set('eth0.10', { mtu: 1501 }))).toMatchObject({ errno: 'ERANGE', message: 'RTNETLINK answers: Numerical result out of range' });
    // dev_validate_mtu (max_mtu ETH_MAX_MTU) speaks before vlan_dev_change_mtu's parent check
    expect(refused(() => dp.links.set('eth0.10', { mtu: 65536 }))).toMatchObject({ errno: 'EINVAL', message: 'Error: mtu greater than device maximum.' });
    expect(refused(() => dp.links.set('eth0.10', { up: true }))).toMatchObject({ errno: 'ENETDOWN', message: 'RTNETLINK answers: Network is down' });
  });

  it('follow their parent: up with it, down with it, MTU down to it, gone with it', () => {
    dp.links.add({ name: 'eth0.10', kind: 'vlan', vlan: { parent: 'eth0', id: 10 } });
    dp.links.set('eth0', { up: true });
    expect(pick('eth0.10')).toEqual({ flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'], operstate: 'UP', link: 'eth0' });
    dp.links.set('eth0', { mtu: 1400 });
    expect(dp.links.show('eth0.10').mtu).toBe(1400);
    dp.links.set('eth0', { up: false });
    expect(pick('eth0.10')).toEqual({ flags: ['BROADCAST', 'MULTICAST', 'M-DOWN'], operstate: 'DOWN', link: 'eth0' });
    dp.links.add({ name: 'v0', kind: 'veth', peer: { name: 'v1' } });
    dp.links.add({ name: 'v0.5', kind: 'vlan', vlan: { parent: 'v0', id: 5 } });
    dp.links.del('v1');
    expect(dp.links.has('v0.5')).toBe(false);
    expect(x.netdev_vlan_lookup(2, 0x8100, 10)).toBe(3);
  });
});

/** A frame off the UMEM pool (as frameAlloc takes one), `bytes` written after the headroom. */
function frame(bytes: Uint8Array): number {
  const v = dp.memory.view();
  const n = v.getUint32(DP_BASE + DP.POOL_FREE, true);
  const f = v.getUint32(v.getUint32(DP_BASE + DP.POOL, true) + (n - 1) * 4, true);
  v.setUint32(DP_BASE + DP.POOL_FREE, n - 1, true);
  dp.memory.bytes().set(bytes, f + XDP_PACKET_HEADROOM);
  return f + XDP_PACKET_HEADROOM;
}

/** An untagged IPv4 frame: dst 02:00:00:00:00:02, src 02:00:00:00:00:01, type 0x0800, 46 bytes of payload. */
const UNTAGGED = Uint8Array.from([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00, ...Array.from({ length: 46 }, (_, i) => i)]);

const drops = () => dp.stack.drops();

describe('netdev_xmit', () => {
  beforeEach(async () => {
    await setup();
    dp.addDevice({ name: 'eth0', mac: '02:00:00:00:00:01' });
    dp.links.set('eth0', { up: true });
  });

  it('puts a frame on a ring device\'s TX ring, counted on the link', () => {
    x.netdev_xmit(2, 0, frame(UNTAGGED), UNTAGGED.length);
    const out = dp.device('eth0').readTx();
    expect(out.map((f) => [...f.data])).toEqual([[...UNTAGGED]]);
    expect(dp.links.stats('eth0').tx).toEqual({ bytes: 60, packets: 1, errors: 0, dropped: 0 });
  });

  it('pushes an 802.1Q tag after the MAC addresses on the parent', () => {
    dp.links.add({ name: 'eth0.10', kind: 'vlan', vlan: { parent: 'eth0', id: 10 } });
    dp.links.set('eth0.10', { up: true });
    x.netdev_xmit(3, 0, frame(UNTAGGED), UNTAGGED.length);
    // | dst | src | TPID 81 00 | TCI: PCP 0, DEI 0, VID 10 = 00 0a | type 08 00 | payload |
    const want = [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x81, 0x00, 0x00, 0x0a, 0x08, 0x00, ...UNTAGGED.slice(14)];
    expect(dp.device('eth0').readTx().map((f) => [...f.data])).toEqual([want]);
    // the sub-device counts the frame it was given, the parent the tagged one
    expect(dp.links.stats('eth0.10').tx).toMatchObject({ packets: 1, bytes: 60 });
    expect(dp.links.stats('eth0').tx).toMatchObject({ packets: 1, bytes: 64 });
  });

  it('pushes 802.1ad, and stacks a customer tag inside a service tag (QinQ)', () => {
    dp.links.add({ name: 's100', kind: 'vlan', vlan: { parent: 'eth0', id: 100, protocol: '802.1ad' } });
    dp.links.add({ name: 'c5', kind: 'vlan', vlan: { parent: 's100', id: 5 } });
    dp.links.set('s100', { up: true });
    dp.links.set('c5', { up: true });
    x.netdev_xmit(dp.links.ifindex('s100'), 0, frame(UNTAGGED), UNTAGGED.length);
    x.netdev_xmit(dp.links.ifindex('c5'), 0, frame(UNTAGGED), UNTAGGED.length);
    const mac = [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1];
    expect(dp.device('eth0').readTx().map((f) => [...f.data])).toEqual([
      // | TPID 88 a8 | VID 100 = 00 64 | type |
      [...mac, 0x88, 0xa8, 0x00, 0x64, 0x08, 0x00, ...UNTAGGED.slice(14)],
      // the inner tag is pushed first, the outer one in front of it
      [...mac, 0x88, 0xa8, 0x00, 0x64, 0x81, 0x00, 0x00, 0x05, 0x08, 0x00, ...UNTAGGED.slice(14)],
    ]);
  });

  it('drops past eight stacked sub-devices (XMIT_RECURSION_LIMIT), counting RECURSION_LIMIT', () => {
    let parent = 'eth0';
    for (let i = 1; i <= 9; i++) {
      dp.links.add({ name: `q${i}`, kind: 'vlan', vlan: { parent, id: i } });
      parent = `q${i}`;
    }
    for (let i = 1; i <= 9; i++) dp.links.set(`q${i}`, { up: true });
    const free = dp.freeFrames();
    x.netdev_xmit(dp.links.ifindex('q8'), 0, frame(UNTAGGED), UNTAGGED.length);
    expect(dp.device('eth0').readTx()[0]!.data.length).toBe(60 + 8 * 4);
    x.netdev_xmit(dp.links.ifindex('q9'), 0, frame(UNTAGGED), UNTAGGED.length);
    expect(dp.device('eth0').readTx()).toEqual([]);
    expect(drops().RECURSION_LIMIT).toBe(1);
    expect(dp.freeFrames()).toBe(free - 1); // the one sent waits on the completion ring
  });

  it('drops on a link that is down, counting NO_TX_TARGET and the link\'s tx_dropped, the frame freed', () => {
    dp.links.add({ name: 'eth0.10', kind: 'vlan', vlan: { parent: 'eth0', id: 10 } });
    const free = dp.freeFrames();
    x.netdev_xmit(3, 0, frame(UNTAGGED), UNTAGGED.length);
    x.netdev_xmit(77, 0, frame(UNTAGGED), UNTAGGED.length);
    expect(drops().NO_TX_TARGET).toBe(2);
    expect(dp.links.stats('eth0.10').tx.dropped).toBe(1);
    expect(dp.freeFrames()).toBe(free);
    expect(dp.device('eth0').readTx()).toEqual([]);
  });

  it('counts and frees on a dummy (dummy_xmit consumes, no drop)', () => {
    dp.links.add({ name: 'd0', kind: 'dummy' });
    dp.links.set('d0', { up: true });
    const free = dp.freeFrames();
    x.netdev_xmit(dp.links.ifindex('d0'), 0, frame(UNTAGGED), UNTAGGED.length);
    expect(dp.links.stats('d0').tx).toEqual({ bytes: 60, packets: 1, errors: 0, dropped: 0 });
    expect(dp.freeFrames()).toBe(free);
    expect(drops().NO_TX_TARGET).toBe(0);
  });

  it('hands a veth end\'s frame to its peer\'s RX ring, and drops without carrier', () => {
    dp.links.add({ name: 'v0', kind: 'veth', peer: { name: 'v1' } });
    dp.links.set('v0', { up: true });
    x.netdev_xmit(dp.links.ifindex('v0'), 0, frame(UNTAGGED), UNTAGGED.length);
    expect(drops().NO_TX_TARGET).toBe(1);
    dp.links.set('v1', { up: true });
    x.netdev_xmit(dp.links.ifindex('v0'), 0, frame(UNTAGGED), UNTAGGED.length);
    expect(dp.device('v1').rings().rx.available()).toBe(1);
    expect(dp.links.stats('v0').tx).toEqual({ bytes: 60, packets: 1, errors: 0, dropped: 1 });
  });

  it('loops back through lo into the stack\'s receive, counted both ways, and drops when lo is down', () => {
    const free = dp.freeFrames();
    x.netdev_xmit(1, 0, frame(UNTAGGED), UNTAGGED.length);
    expect(drops().NO_TX_TARGET).toBe(1);
    dp.links.set('lo', { up: true });
    x.netdev_xmit(1, 0, frame(UNTAGGED), UNTAGGED.length);
    expect(dp.links.stats('lo')).toEqual({ rx: { bytes: 60, packets: 1, errors: 0, dropped: 0 }, tx: { bytes: 60, packets: 1, errors: 0, dropped: 1 } });
    // the receive stage took the frame (and, until it is built, gave it back)
    expect(dp.freeFrames()).toBe(free);
  });
});
