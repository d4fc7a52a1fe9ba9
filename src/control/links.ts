// Links: dp.links (ip link). The stack's network devices and their life: loopback (ifindex 1, there
// from the start and down, as a new network namespace's lo), ring devices (dp.addDevice: kind ether),
// veth pairs (two ring devices peered), dummy devices and VLAN sub-devices (802.1Q / 802.1ad); up/down,
// MTU, MAC and name; and what the kernel does around them: a link going down flushes the routes and
// neighbours through it and takes its IPv6 addresses, a link going away takes everything with it
// (its VLAN children and a veth's other end too), a link coming up brings the kernel's routes back.
//
//   add/del/set ─▶ this.links (the truth) ─▶ netdev records (assembly/net/netdev.ts: flags, MTU, MAC,
//                                           kind, peer/parent, VLAN table) the data path reads
//                                        ─▶ dp.addresses (addresses and their routes follow the link)
//                                        ─▶ dp.routes / dp.neigh deviceDown / deviceGone (when present)
//
// Errors are iproute2's: what `ip` prints (RTNETLINK answers: ..., Error: ... for extended acks,
// Cannot find device "X" for its own lookups), with the kernel's errno.

import type { Datapath } from './datapath.js';
import type { Device } from './device.js';
import { DEVICE_MAX_MTU, DEVICE_MIN_MTU } from './device.js';
import { NetError, type Family, type LinkChange, type LinkInfo, type LinkKind, type LinkSpec, type LinkStats } from './net_types.js';
import { macBytes, macText } from './addresses.js';
import { AF_INET6, CONF6, IFF, LOOPBACK_IFINDEX, ND, NDK, NDSTAT, NETDEV_MAX, PCPU } from '../runtime/net_abi.js';
import { MAX_DEVICES } from '../runtime/memory.js';
import { WxdpError } from '../errors.js';

type I = number;
/** The netdev stage's exports (assembly/net/netdev.ts). */
export interface NetdevExports {
  netdev_get(ifindex: I): I;
  netdev_create(ifindex: I, kind: I, mtu: I, flags: I, dev: I, link: I): I;
  netdev_remove(ifindex: I): I;
  /** udp_mcast.ts: the device's multicast groups go with it (a build without sockets lacks it). */
  mc_dev_gone?(ifindex: I): void;
  netdev_set_flags(ifindex: I, flags: I): I;
  netdev_set_mtu(ifindex: I, mtu: I): I;
  netdev_set_mac(ifindex: I, lo: I, hi: I): I;
  netdev_set_link(ifindex: I, link: I): I;
  netdev_set_kind(ifindex: I, kind: I): I;
  netdev_set_name(ifindex: I, w0: I, w1: I, w2: I, w3: I): I;
  netdev_conf_set(ifindex: I, family: I, i: I, v: I): I;
  netdev_conf_get(ifindex: I, family: I, i: I): I;
  netdev_addrs_alloc(count: I): I;
  netdev_addrs_publish(ifindex: I, family: I, list: I): I;
  netdev_vlan_attach(ifindex: I, parent: I, proto: I, vid: I): I;
  netdev_vlan_lookup(parent: I, proto: I, vid: I): I;
  netdev_quiesce(): void;
  netdev_xmit(ifindex: I, q: I, data: I, len: I, skipEgress?: I): void;
  inet_select_addr(ifindex: I, dst: I, scope: I): I;
  ipv6_dev_get_saddr(ifindex: I, dst: I, out: I): I;
  fibGenBump(): void;
  scratch_base(): I;
}

/** What dp.routes and dp.neigh offer the links (each optional: called when the table implements it). */
interface DeviceEvents {
  /** NETDEV_DOWN (fib_disable_ip / rt6_disable_ip; neigh_ifdown). `force` also takes host-scope (local) routes. */
  deviceDown?(ifindex: number, opts?: { family?: Family; force?: boolean }): void;
  /** NETDEV_UP: next hops through the device come back (fib_sync_up). */
  deviceUp?(ifindex: number): void;
  /** NETDEV_UNREGISTER: nothing through the device survives. */
  deviceGone?(ifindex: number): void;
  /** NETDEV_CHANGE: the carrier came or went (routes through it flagged linkdown or not). */
  deviceCarrier?(ifindex: number, up: boolean): void;
  /** NETDEV_CHANGEMTU: fib_sync_mtu / rt6_mtu_change (`oldMtu6`: net.ipv6.conf.DEV.mtu before the change, `oldMtu` the device's). */
  deviceMtu?(ifindex: number, mtu: number, oldMtu6: number, oldMtu: number): void;
  /** neigh_changeaddr: NETDEV_CHANGEADDR, or NETDEV_CHANGE with IFF_NOARP flipped on an up link. */
  deviceAddress?(ifindex: number): void;
}

/** The sysctl table's side (dp.sysctls, when one was made): a link's conf follows its life. */
interface SysctlEvents {
  /** A new link takes conf.default (in_device / inet6_dev creation copies it). */
  linkAdded?(ifindex: number): void;
  /** net.ipv6.conf.DEV.mtu follows the MTU (NETDEV_CHANGEMTU). */
  linkChanged?(ifindex: number): void;
  linkRemoved?(ifindex: number): void;
}

/** What dp.addresses and the route side need to know of a link. */
export interface LinkView {
  readonly ifindex: number;
  readonly name: string;
  readonly kind: LinkKind;
  /** IFF_UP. */
  readonly up: boolean;
  /** Up with its carrier (operstate UP or UNKNOWN): addrconf_link_ready. */
  readonly ready: boolean;
  readonly mtu: number;
  readonly mac: Uint8Array;
  /** IFF_* as the kernel reports them (RUNNING and LOWER_UP included). */
  readonly flags: number;
}

interface Link {
  ifindex: number;
  name: string;
  kind: LinkKind;
  up: boolean;
  mtu: number;
  mac: Uint8Array;
  /** The ring device (ether and veth links). */
  device?: Device;
  /** veth: the other end's ifindex. */
  peer?: number;
  /** vlan: the parent's ifindex, protocol and id. */
  parent?: number;
  vlanProto?: number;
  vlanId?: number;
  /**
   * The flags the link holds itself (IFF_LOOPBACK, BROADCAST, MULTICAST, NOARP): set at creation by its
   * kind (a VLAN copies its parent's, vlan_dev_init) and by `arp on|off`; UP and the carrier bits are
   * added from the state (flagsOf).
   */
  base: number;
  /** Flags published last, and whether the link was ready then (carrier changes are events). */
  flags: number;
  ready: boolean;
  /** It has been up once: its root qdisc is attached (dev_activate) and stays when it goes down. */
  activated?: boolean;
}

const IFNAMSIZ = 16;
const ETH_P_8021Q = 0x8100;
const ETH_P_8021AD = 0x88a8;
const VLAN_VID_MASK = 0xfff;
const ETH_MAX_MTU = 0xffff;
// The GSO/TSO/GRO limits rtnl_fill_ifinfo reports (include/linux/netdevice.h): GSO_MAX_SEGS and
// TSO_MAX_SEGS 65535, GSO_MAX_SIZE 8 × GSO_MAX_SEGS, the legacy (pre-BIG TCP) sizes 65536.
const GSO_MAX_SEGS = 65535;
const TSO_MAX_SEGS = 65535;
const GSO_MAX_SIZE = 8 * GSO_MAX_SEGS;
const GSO_LEGACY_MAX_SIZE = 65536;
const TSO_LEGACY_MAX_SIZE = 65536;
const GRO_LEGACY_MAX_SIZE = 65536;
/** DEFAULT_TX_QUEUE_LEN: ether_setup's tx_queue_len, which loopback, veth, dummy and vlan keep. */
const TX_QUEUE_LEN = 1000;

const KIND_CODE: Record<LinkKind, number> = { ether: NDK.ETHER, loopback: NDK.LOOPBACK, dummy: NDK.DUMMY, veth: NDK.VETH, vlan: NDK.VLAN };

/** The flags iproute2 prints, in its order (print_link_flags), after NO-CARRIER. */
const FLAG_NAMES: ReadonlyArray<[number, string]> = [
  [IFF.LOOPBACK, 'LOOPBACK'],
  [IFF.BROADCAST, 'BROADCAST'],
  [IFF.POINTOPOINT, 'POINTOPOINT'],
  [IFF.MULTICAST, 'MULTICAST'],
  [IFF.NOARP, 'NOARP'],
  [IFF.UP, 'UP'],
  [IFF.LOWER_UP, 'LOWER_UP'],
];

export class Links {
  private readonly links = new Map<number, Link>();
  private readonly byName = new Map<string, number>();
  /** The next ifindex to hand out (the kernel's net->ifindex: allocation is cyclic, explicit ones aside). */
  private nextIfindex = 1;
  private readonly x: NetdevExports;

  constructor(readonly dp: Datapath) {
    this.x = dp.fastPath.exports as unknown as NetdevExports;
    this.insert({ ifindex: LOOPBACK_IFINDEX, name: 'lo', kind: 'loopback', up: false, mtu: 65536, mac: new Uint8Array(6), base: IFF.LOOPBACK, flags: 0, ready: false }, 0);
    // devices made before the links existed took the lowest free ifindexes: allocation goes on after them
    this.nextIfindex = 2;
    for (const dev of dp.listDevices()) {
      this.adopt(dev);
      this.nextIfindex = Math.max(this.nextIfindex, dev.ifindex + 1);
    }
  }

  // ---- Lookups: the contract other tables use ----

  /** The ifindex of link `name`; NetError ENODEV `Cannot find device "NAME"` when there is none. */
  ifindex(name: string): number {
    const i = this.byName.get(name);
    if (i === undefined) throw new NetError('ENODEV', `Cannot find device "${name}"`);
    return i;
  }

  /** The name of link `ifindex`, undefined when there is none. */
  name(ifindex: number): string | undefined {
    return this.links.get(ifindex)?.name;
  }

  /** Whether a link called `name` exists. */
  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** @internal What the address side needs to know of link `ifindex`. */
  view(ifindex: number): LinkView | undefined {
    const l = this.links.get(ifindex);
    if (!l) return undefined;
    return { ifindex: l.ifindex, name: l.name, kind: l.kind, up: l.up, ready: this.isReady(l), mtu: l.mtu, mac: l.mac, flags: this.flagsOf(l) };
  }

  /** @internal Every link's ifindex, in ifindex order (the order `ip link show` dumps them in). */
  indexes(): number[] {
    return [...this.links.keys()].sort((a, b) => a - b);
  }

  // ---- ip link show ----

  /**
   * `ip -j link show [dev NAME]`: every link (or the one named), in ifindex order, with the fields wxdp
   * has. `linkinfo` is what `ip -d` adds (the kind and, for VLANs, protocol and id).
   */
  list(name?: string): LinkInfo[] {
    if (name !== undefined) return [this.info(this.get(name))];
    return this.indexes().map((i) => this.info(this.links.get(i)!));
  }

  /** One link as `ip -j link show dev NAME` prints it. */
  show(name: string): LinkInfo {
    return this.info(this.get(name));
  }

  /** The counters the stack keeps for link `name` (`ip -s link show`): what it sent and received through it. */
  stats(name: string): LinkStats {
    const l = this.get(name);
    const rec = this.x.netdev_get(l.ifindex) >>> 0;
    const v = this.dp.memory.view();
    // dev_get_stats: the shared counters and every CPU's slot (ND.PCPU: the shared build's per-CPU counters)
    const pc = v.getUint32(rec + ND.PCPU, true);
    const slots = pc === 0 ? 0 : v.getUint32(pc + PCPU.SLOTS, true);
    const at = (i: number) => {
      let n = v.getBigUint64(rec + ND.STATS + i * 8, true);
      for (let s = 0; s < slots; s++) n += v.getBigUint64(pc + PCPU.SLOT0 + s * PCPU.SLOT_SIZE + i * 8, true);
      return Number(n);
    };
    return {
      rx: { bytes: at(NDSTAT.RX_BYTES), packets: at(NDSTAT.RX_PACKETS), errors: at(NDSTAT.RX_ERRORS), dropped: at(NDSTAT.RX_DROPPED) },
      tx: { bytes: at(NDSTAT.TX_BYTES), packets: at(NDSTAT.TX_PACKETS), errors: at(NDSTAT.TX_ERRORS), dropped: at(NDSTAT.TX_DROPPED) },
    };
  }

  // ---- ip link add / del / set ----

  /**
   * `ip link add NAME [index N] [mtu M] [address MAC] type dummy | veth [peer name P [index K]] |
   * vlan (link PARENT) [protocol 802.1Q|802.1ad] id ID`. A veth's ends are two ring devices (its peer
   * made first, as veth_newlink registers it); a VLAN's MTU and MAC default to its parent's. New links
   * are down. Returns the new link (for a veth, the end named NAME).
   */
  add(spec: LinkSpec): LinkInfo {
    const name = this.newName(spec.name);
    if (spec.index !== undefined) this.checkIndex(spec.index, spec.kind === 'veth');
    const mac = spec.address !== undefined ? this.parseMac(spec.address) : undefined;
    if (mac) this.checkMac(mac);
    if (spec.mtu !== undefined) this.checkMtuValue(spec.mtu);
    switch (spec.kind) {
      case 'dummy': {
        const mtu = spec.mtu ?? 1500;
        const ifindex = spec.index ?? this.allocIfindex(false);
        // dummy_setup: ether_setup's flags with NOARP added and MULTICAST taken away
        const l: Link = { ifindex, name, kind: 'dummy', up: false, mtu, mac: mac ?? defaultMac(ifindex), base: IFF.BROADCAST | IFF.NOARP, flags: 0, ready: false };
        this.insert(l, 0);
        this.dp.addresses.linkAdded(ifindex, mtu);
        return this.info(l);
      }
      case 'veth': {
        const peerName = this.newName(spec.peer?.name ?? 'veth%d', name);
        if (spec.peer?.index !== undefined) this.checkIndex(spec.peer.index, true);
        if (spec.index !== undefined && spec.index === spec.peer?.index) throw new NetError('EEXIST', 'RTNETLINK answers: File exists');
        const mtu = spec.mtu ?? 1500;
        if (mtu < DEVICE_MIN_MTU) throw new NetError('EINVAL', 'Error: mtu less than device minimum.');
        if (mtu > DEVICE_MAX_MTU) throw new NetError('EINVAL', 'Error: mtu greater than device maximum.');
        // veth_newlink: the peer is registered first, so it takes the lower ifindex
        const peerIndex = spec.peer?.index ?? this.allocIfindex(true, spec.index);
        const peer = this.dp.addDevice({ name: peerName, ifindex: peerIndex });
        let dev: Device;
        let ifindex: number;
        try {
          ifindex = spec.index ?? this.allocIfindex(true);
          dev = this.dp.addDevice({ name, ifindex, mtu, ...(mac ? { mac } : {}) });
        } catch (e) {
          // veth_newlink undoes the peer when the second end cannot be made: all or nothing
          this.unregister(this.links.get(peer.ifindex)!);
          throw e;
        }
        this.dp.linkPeers(dev, peer);
        for (const [d, other] of [[peer, dev], [dev, peer]] as const) {
          const l = this.links.get(d.ifindex)!;
          l.kind = 'veth';
          l.peer = other.ifindex;
          this.x.netdev_set_kind(d.ifindex, NDK.VETH);
          this.x.netdev_set_link(d.ifindex, other.ifindex);
        }
        return this.info(this.links.get(ifindex)!);
      }
      case 'vlan': {
        if (!spec.vlan) throw new NetError('EINVAL', 'Error: 8021q: VLAN properties not specified.');
        const parent = this.get(spec.vlan.parent);
        const proto = spec.vlan.protocol === '802.1ad' ? ETH_P_8021AD : ETH_P_8021Q;
        const id = spec.vlan.id;
        if (!Number.isInteger(id) || id < 0 || id > 0xffff) throw new NetError('EINVAL', `Error: argument "${id}" is wrong: id is invalid`);
        if (id >= VLAN_VID_MASK) throw new NetError('ERANGE', 'Error: 8021q: Invalid VLAN id.');
        if (parent.kind === 'loopback') throw new NetError('EOPNOTSUPP', 'Error: 8021q: VLANs not supported on device.');
        if (this.x.netdev_vlan_lookup(parent.ifindex, proto, id) !== 0) throw new NetError('EEXIST', 'Error: 8021q: VLAN device already exists.');
        const mtu = spec.mtu ?? parent.mtu;
        if (mtu > parent.mtu) throw new NetError('EINVAL', 'RTNETLINK answers: Invalid argument');
        const ifindex = spec.index ?? this.allocIfindex(false);
        // vlan_dev_init: the parent's flags as they are now, without its state
        const l: Link = { ifindex, name, kind: 'vlan', up: false, mtu, mac: mac ?? parent.mac.slice(), parent: parent.ifindex, vlanProto: proto, vlanId: id, base: parent.base, flags: 0, ready: false };
        this.insert(l, 0);
        const r = this.x.netdev_vlan_attach(ifindex, parent.ifindex, proto, id);
        if (r < 0) throw new WxdpError('USAGE', `VLAN ${name}: cannot attach it to ${parent.name} (errno ${-r})`);
        this.dp.addresses.linkAdded(ifindex, mtu);
        return this.info(l);
      }
      default:
        throw new NetError('EOPNOTSUPP', 'Error: Unknown device type.');
    }
  }

  /**
   * `ip link del NAME`: the link and what goes with it (a veth's other end; VLAN sub-devices of either),
   * each brought down first and then unregistered: addresses, routes and neighbours through it flushed.
   * lo and ring devices added with dp.addDevice (physical NICs to the kernel) refuse: EOPNOTSUPP.
   */
  del(name: string): void {
    const l = this.get(name);
    if (l.kind === 'loopback' || l.kind === 'ether') throw new NetError('EOPNOTSUPP', 'RTNETLINK answers: Operation not supported');
    const roots = [l];
    if (l.peer !== undefined) roots.push(this.links.get(l.peer)!);
    const order: Link[] = [];
    const visit = (x: Link) => {
      for (const c of this.children(x)) visit(c);
      if (!order.includes(x)) order.push(x);
    };
    for (const r of roots) visit(r);
    for (const x of order) if (x.up) this.setDown(x);
    for (const x of order) this.unregister(x);
    this.refreshCarrier();
  }

  /**
   * `ip link set NAME [address MAC] [mtu N] [name NEW] [arp on|off] [up|down]`, applied in the kernel's
   * order (do_setlink: address, MTU, name, then the flags in one dev_change_flags); a refused step
   * leaves the earlier ones done.
   */
  set(name: string, change: LinkChange): LinkInfo {
    const l = this.get(name);
    if (change.address !== undefined) this.setAddress(l, change.address);
    if (change.mtu !== undefined) this.setMtu(l, change.mtu);
    if (change.name !== undefined) this.rename(l, change.name);
    const noarpFlipped = change.arp !== undefined && change.arp === ((l.base & IFF.NOARP) !== 0);
    if (noarpFlipped) {
      // __dev_change_flags: NOARP changes before UP does; an up link publishes it at once
      l.base ^= IFF.NOARP;
      this.publishFlags(l);
    }
    if (change.up === true && !l.up) this.setUp(l);
    if (change.up === false && l.up) this.setDown(l);
    // __dev_notify_flags: NETDEV_CHANGE for a link up after the change; arp_netdev_event and
    // ndisc_netdev_event answer a NOARP flip with neigh_changeaddr (every entry of the link goes,
    // permanent ones too: they were resolved, or not, under the other rule)
    if (noarpFlipped && l.up) {
      (this.dp.neigh as unknown as DeviceEvents).deviceAddress?.(l.ifindex);
      this.x.fibGenBump();
    }
    return this.info(l);
  }

  // ---- Ring devices (dp.addDevice) ----

  /** @internal A ring device made by dp.addDevice becomes a link of kind ether (down, as a new NIC). */
  adopt(dev: Device): void {
    if (this.links.has(dev.ifindex)) return;
    this.insert({ ifindex: dev.ifindex, name: dev.name, kind: 'ether', up: false, mtu: dev.mtu, mac: dev.mac, device: dev, base: IFF.BROADCAST | IFF.MULTICAST, flags: 0, ready: false }, dev.address);
    this.dp.addresses.linkAdded(dev.ifindex, dev.mtu);
  }

  /**
   * @internal The next free ifindex, cyclic from the last one handed out as the kernel's xa_alloc_cyclic
   * (an explicit `index N` does not move it). Ring devices live below MAX_DEVICES: past it they take the
   * lowest free one. `reserved` is taken by a device about to be made.
   */
  allocIfindex(ring: boolean, reserved?: number): number {
    const limit = ring ? MAX_DEVICES : NETDEV_MAX;
    const free = (i: number) => !this.links.has(i) && i !== reserved && !(ring && this.ringTaken(i));
    for (let k = 0; k < limit; k++) {
      const i = ((this.nextIfindex - 1 + k) % (limit - 1)) + 1;
      if (free(i)) {
        this.nextIfindex = i + 1;
        return i;
      }
    }
    throw new NetError('ENOBUFS', `Error: no free ifindex below ${limit} for a ${ring ? 'ring device' : 'link'}.`);
  }

  private ringTaken(i: number): boolean {
    return this.dp.listDevices().some((d) => d.ifindex === i);
  }

  // ---- Internals ----

  private get(name: string): Link {
    return this.links.get(this.ifindex(name))!;
  }

  private children(l: Link): Link[] {
    return [...this.links.values()].filter((c) => c.kind === 'vlan' && c.parent === l.ifindex);
  }

  /** A new link's record in the stack and in the tables here. */
  private insert(l: Link, ringDev: number): void {
    l.flags = this.flagsOf(l);
    const r = this.x.netdev_create(l.ifindex, KIND_CODE[l.kind], l.mtu, l.flags, ringDev, l.peer ?? l.parent ?? 0);
    if (r === -17) throw new NetError('EEXIST', 'RTNETLINK answers: File exists');
    if (r < 0) throw new WxdpError('USAGE', `link ${l.name}: the stack cannot record it (errno ${-r})`);
    this.publishMac(l);
    this.publishName(l);
    this.links.set(l.ifindex, l);
    this.byName.set(l.name, l.ifindex);
    this.sysctls()?.linkAdded?.(l.ifindex);
    this.nft()?.devicesChanged();
  }

  /** dp.nftables if it was made: its netdev chains hook devices by name as they come and go. */
  private nft(): { devicesChanged(): void } | undefined {
    return (this.dp as unknown as { nftIfCreated?: { devicesChanged(): void } }).nftIfCreated;
  }

  /** dp.sysctls if it was made (it picks up links it has not seen when it is). */
  private sysctls(): SysctlEvents | undefined {
    return (this.dp as unknown as { sysctlsIfCreated?: SysctlEvents }).sysctlsIfCreated;
  }

  private unregister(l: Link): void {
    this.dp.addresses.linkGone(l.ifindex);
    const routes = this.dp.routes as unknown as DeviceEvents;
    routes.deviceGone?.(l.ifindex);
    (this.dp.neigh as unknown as DeviceEvents).deviceGone?.(l.ifindex);
    this.x.mc_dev_gone?.(l.ifindex);
    this.x.netdev_remove(l.ifindex);
    if (l.device) this.dp.removeDevice(l.device);
    // the record, its lists and the ring device's block were retired: reclaim them (reclaim.ts)
    this.x.netdev_quiesce();
    this.links.delete(l.ifindex);
    this.byName.delete(l.name);
    this.sysctls()?.linkRemoved?.(l.ifindex);
    this.nft()?.devicesChanged();
    this.x.fibGenBump();
  }

  private setUp(l: Link): void {
    if (l.kind === 'vlan') {
      const p = this.links.get(l.parent!);
      if (!p?.up) throw new NetError('ENETDOWN', 'RTNETLINK answers: Network is down');
    }
    l.up = true;
    l.activated = true;
    this.publishFlags(l);
    (this.dp.routes as unknown as DeviceEvents).deviceUp?.(l.ifindex);
    this.dp.addresses.linkUp(l.ifindex);
    l.ready = this.isReady(l);
    // vlan_device_event NETDEV_UP: the sub-devices come up with their parent
    for (const c of this.children(l)) if (!c.up) this.setUp(c);
    this.refreshCarrier();
    this.x.fibGenBump();
  }

  private setDown(l: Link): void {
    // the sub-devices go down first (vlan_device_event NETDEV_DOWN), then the device itself
    for (const c of this.children(l)) if (c.up) this.setDown(c);
    l.up = false;
    l.ready = false;
    this.publishFlags(l);
    (this.dp.routes as unknown as DeviceEvents).deviceDown?.(l.ifindex);
    (this.dp.neigh as unknown as DeviceEvents).deviceDown?.(l.ifindex);
    this.dp.addresses.linkDown(l.ifindex);
    this.refreshCarrier();
    this.x.fibGenBump();
  }

  /** Carrier follows other links (a veth's peer, a VLAN's parent): publish flags and signal changes. */
  private refreshCarrier(): void {
    for (const l of this.links.values()) {
      this.publishFlags(l);
      const ready = this.isReady(l);
      if (ready === l.ready) continue;
      l.ready = ready;
      (this.dp.routes as unknown as DeviceEvents).deviceCarrier?.(l.ifindex, ready);
      if (ready) this.dp.addresses.linkReady(l.ifindex);
    }
  }

  private setAddress(l: Link, text: string): void {
    const mac = this.parseMac(text);
    if (l.kind === 'loopback') throw new NetError('EOPNOTSUPP', 'RTNETLINK answers: Operation not supported');
    this.checkMac(mac);
    l.mac = mac;
    l.device?.setMac(mac);
    this.publishMac(l);
    // NETDEV_CHANGEADDR, sent even when the address is the one it had (dev_set_mac_address):
    // neigh_changeaddr in both tables, rt_cache_flush
    (this.dp.neigh as unknown as DeviceEvents).deviceAddress?.(l.ifindex);
    this.x.fibGenBump();
  }

  /**
   * The MTU range a link takes (dev->min_mtu, max_mtu; 0: no bound): loopback and dummy none, a VLAN up
   * to ETH_MAX_MTU (and its parent's MTU, vlan_dev_change_mtu), ring devices and veth ends what a UMEM
   * frame holds (the kernel's veth takes 68-65535).
   */
  private mtuRange(l: Link): [number, number] {
    if (l.kind === 'ether' || l.kind === 'veth') return [DEVICE_MIN_MTU, DEVICE_MAX_MTU];
    if (l.kind === 'vlan') return [0, ETH_MAX_MTU];
    return [0, 0];
  }

  private setMtu(l: Link, mtu: number): void {
    this.checkMtuValue(mtu);
    const [min, max] = this.mtuRange(l);
    if (mtu < min) throw new NetError('EINVAL', 'Error: mtu less than device minimum.');
    if (max > 0 && mtu > max) throw new NetError('EINVAL', 'Error: mtu greater than device maximum.');
    // vlan_dev_change_mtu: no more than the parent's
    if (l.kind === 'vlan' && mtu > this.links.get(l.parent!)!.mtu) throw new NetError('ERANGE', 'RTNETLINK answers: Numerical result out of range');
    if (mtu === l.mtu) return;
    const oldMtu = l.mtu;
    l.mtu = mtu;
    l.device?.setMtu(mtu);
    const oldMtu6 = this.x.netdev_conf_get(l.ifindex, AF_INET6, CONF6.MTU) >>> 0;
    this.x.netdev_set_mtu(l.ifindex, mtu);
    (this.dp.routes as unknown as DeviceEvents).deviceMtu?.(l.ifindex, mtu, oldMtu6, oldMtu);
    this.sysctls()?.linkChanged?.(l.ifindex);
    this.dp.addresses.linkMtu(l.ifindex);
    // vlan_device_event NETDEV_CHANGEMTU: sub-devices above the new MTU come down to it
    for (const c of this.children(l)) if (c.mtu > mtu) this.setMtu(c, mtu);
    this.x.fibGenBump();
  }

  private rename(l: Link, to: string): void {
    if (to === '' || to.length >= IFNAMSIZ || /[/\s]/.test(to)) throw new NetError('EINVAL', `Error: argument "${to}" is wrong: "name" not a valid ifname`);
    if (to === l.name) return;
    if (to === '.' || to === '..' || to.includes(':')) throw new NetError('EINVAL', 'RTNETLINK answers: Invalid argument');
    if (this.byName.has(to)) throw new NetError('EEXIST', 'RTNETLINK answers: File exists');
    this.byName.delete(l.name);
    l.name = to;
    this.byName.set(to, l.ifindex);
    this.publishName(l);
    if (l.device) this.dp.renameDevice(l.device, to);
    this.dp.addresses.linkRenamed(l.ifindex);
    this.nft()?.devicesChanged();
  }

  /** dev_valid_name, a `%d` template resolved to the lowest free number (dev_alloc_name). */
  private newName(name: string, also?: string): string {
    if (name === '' || /[/\s]/.test(name)) throw new NetError('EINVAL', `Error: argument "${name}" is wrong: "dev" not a valid ifname`);
    if (name.length >= IFNAMSIZ) throw new NetError('EINVAL', 'Error: Attribute failed policy validation.');
    if (name.includes('%')) {
      if (!/^[^%]*%d[^%]*$/.test(name)) throw new NetError('EINVAL', 'RTNETLINK answers: Invalid argument');
      for (let n = 0; ; n++) {
        const candidate = name.replace('%d', String(n));
        if (candidate.length >= IFNAMSIZ) throw new NetError('ENFILE', 'RTNETLINK answers: Too many open files in system');
        if (!this.byName.has(candidate) && candidate !== also) return candidate;
      }
    }
    if (name === '.' || name === '..' || name.includes(':')) throw new NetError('EINVAL', 'RTNETLINK answers: Invalid argument');
    if (this.byName.has(name) || name === also) throw new NetError('EEXIST', 'RTNETLINK answers: File exists');
    return name;
  }

  private checkIndex(index: number, ring: boolean): void {
    if (!Number.isInteger(index) || index < 1) throw new NetError('EINVAL', `Error: argument "${index}" is wrong: Invalid "index" value`);
    if (this.links.has(index)) throw new NetError('EEXIST', 'RTNETLINK answers: File exists');
    const limit = ring ? MAX_DEVICES : NETDEV_MAX;
    if (index >= limit) throw new NetError('ERANGE', `Error: index ${index} is out of range: ${ring ? 'a veth end is a ring device, ifindex below' : 'ifindex below'} ${limit}.`);
  }

  private checkMtuValue(mtu: number): void {
    if (!Number.isInteger(mtu) || mtu < 0 || mtu > 0xffffffff) throw new NetError('EINVAL', `Error: argument "${mtu}" is wrong: "mtu" value is invalid`);
  }

  private parseMac(text: string): Uint8Array {
    try {
      return macBytes(text);
    } catch {
      throw new NetError('EINVAL', `"${text}" is invalid lladdr.`);
    }
  }

  /** is_valid_ether_addr: neither multicast (broadcast included) nor all zeros. */
  private checkMac(mac: Uint8Array): void {
    if ((mac[0]! & 1) !== 0 || mac.every((b) => b === 0)) throw new NetError('EADDRNOTAVAIL', 'RTNETLINK answers: Cannot assign requested address');
  }

  /** Whether a link has its carrier: a veth's peer is up; a VLAN's parent has it; the others always. */
  private carrier(l: Link): boolean {
    if (l.kind === 'veth') return this.links.get(l.peer!)?.up === true;
    if (l.kind === 'vlan') {
      const p = this.links.get(l.parent!);
      return p !== undefined && p.up && this.carrier(p);
    }
    return true;
  }

  private isReady(l: Link): boolean {
    return l.up && this.carrier(l);
  }

  /** dev_get_flags: the device's flags with RUNNING and LOWER_UP from its carrier. */
  private flagsOf(l: Link): number {
    let f = l.base;
    if (l.up) f |= IFF.UP;
    if (l.up && this.carrier(l)) f |= IFF.RUNNING | IFF.LOWER_UP;
    return f;
  }

  private publishFlags(l: Link): void {
    const f = this.flagsOf(l);
    if (f === l.flags) return;
    l.flags = f;
    this.x.netdev_set_flags(l.ifindex, f);
  }

  /** The name into the stack's record (IFNAMSIZ bytes, NUL-padded): nft's iifname / oifname compare it per packet. */
  private publishName(l: Link): void {
    const b = new Uint8Array(IFNAMSIZ);
    b.set(new TextEncoder().encode(l.name).subarray(0, IFNAMSIZ - 1));
    const w = new DataView(b.buffer);
    this.x.netdev_set_name(l.ifindex, w.getUint32(0, true), w.getUint32(4, true), w.getUint32(8, true), w.getUint32(12, true));
  }

  private publishMac(l: Link): void {
    const m = l.mac;
    this.x.netdev_set_mac(l.ifindex, (m[0]! | (m[1]! << 8) | (m[2]! << 16) | (m[3]! << 24)) >>> 0, m[4]! | (m[5]! << 8));
  }

  private operstate(l: Link): LinkInfo['operstate'] {
    if (!l.up) return 'DOWN';
    if (l.kind === 'loopback' || l.kind === 'dummy') return 'UNKNOWN';
    return this.carrier(l) ? 'UP' : 'LOWERLAYERDOWN';
  }

  /** The link as iproute2 prints it, keys in its order. */
  private info(l: Link): LinkInfo {
    const flags: string[] = [];
    if ((l.flags & IFF.UP) !== 0 && (l.flags & IFF.RUNNING) === 0) flags.push('NO-CARRIER');
    for (const [bit, n] of FLAG_NAMES) if ((l.flags & bit) !== 0) flags.push(n);
    const linked = l.peer ?? l.parent;
    const other = linked !== undefined ? this.links.get(linked) : undefined;
    if (other && !other.up) flags.push('M-DOWN');
    const [minMtu, maxMtu] = this.mtuRange(l);
    const out: LinkInfo = {
      ifindex: l.ifindex,
      ...(other ? { link: other.name } : {}),
      ifname: l.name,
      flags,
      mtu: l.mtu,
      // noop until the link is first up, then the default qdisc dev_activate attached, which stays
      // when it goes down (measured on 6.18); every kind here has IFF_NO_QUEUE (loopback, veth,
      // dummy, vlan in the kernel; ring devices transmit straight to their TX ring, wxdp has no qdisc
      // layer), so noqueue
      qdisc: l.activated ? 'noqueue' : 'noop',
      operstate: this.operstate(l),
      linkmode: 'DEFAULT',
      group: 'default',
      txqlen: TX_QUEUE_LEN,
      link_type: l.kind === 'loopback' ? 'loopback' : 'ether',
      address: macText(l.mac),
      broadcast: l.kind === 'loopback' ? '00:00:00:00:00:00' : 'ff:ff:ff:ff:ff:ff',
      min_mtu: minMtu,
      max_mtu: maxMtu,
    } as LinkInfo;
    if (l.kind === 'veth' || l.kind === 'dummy') out.linkinfo = { info_kind: l.kind };
    if (l.kind === 'vlan') {
      out.linkinfo = { info_kind: 'vlan', info_data: { protocol: l.vlanProto === ETH_P_8021AD ? '802.1ad' : '802.1Q', id: l.vlanId, flags: ['REORDER_HDR'] } };
    }
    // inet6_fill_link_af: no inet6_dev (MTU below 1280), no IFLA_AF_SPEC for IPv6; loopback keeps its
    // inet6_dev whatever its MTU (addrconf_ifdown does not unregister it)
    if (l.kind === 'loopback' || this.dp.addresses.inet6(l.ifindex)) out.inet6_addr_gen_mode = 'eui64';
    const queues = l.device?.queues ?? 1;
    const tsoMax = this.tsoMaxSize(l);
    Object.assign(out, {
      num_tx_queues: queues,
      num_rx_queues: queues,
      // netif_set_tso_max_size lowers gso_max_size only below it; GSO_LEGACY_MAX_SIZE otherwise
      gso_max_size: Math.min(GSO_LEGACY_MAX_SIZE, tsoMax),
      gso_max_segs: GSO_MAX_SEGS,
      tso_max_size: tsoMax,
      tso_max_segs: TSO_MAX_SEGS,
      gro_max_size: GRO_LEGACY_MAX_SIZE,
    });
    return out;
  }

  /**
   * dev->tso_max_size: loopback and veth raise it to GSO_MAX_SIZE (loopback_setup, veth_setup), a VLAN
   * inherits its parent's (vlan_dev_init: netif_inherit_tso_max), the rest keep alloc_netdev's
   * TSO_LEGACY_MAX_SIZE (dummy, and ring devices as a NIC driver that sets none).
   */
  private tsoMaxSize(l: Link): number {
    if (l.kind === 'loopback' || l.kind === 'veth') return GSO_MAX_SIZE;
    const parent = l.kind === 'vlan' ? this.links.get(l.parent!) : undefined;
    return parent ? this.tsoMaxSize(parent) : TSO_LEGACY_MAX_SIZE;
  }
}

/** A locally administered MAC from the ifindex (02:00:00:00:HH:LL), as ring devices get by default. */
function defaultMac(ifindex: number): Uint8Array {
  return Uint8Array.of(0x02, 0, 0, 0, (ifindex >> 8) & 0xff, ifindex & 0xff);
}
