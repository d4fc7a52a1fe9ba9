// The stack's network devices: one record per device (layout ND_* in net/abi.ts) for ring devices,
// loopback, dummy, veth ends and VLAN sub-devices; their address lists; source address selection
// (inet_select_addr, ipv6_dev_get_saddr); and transmit.
//
// Reads: the netdev table, a record's flags, kind, link and address lists; the device order list.
// Sets: the record's counters (ND_STATS), loopback's backlog.
// Next (netdev_xmit): the device's netdev egress chains (netfilter.ts), then the ring device's TX ring (device.ts transmit; a veth end's peer RX ring), the
//   parent of a VLAN sub-device with the tag pushed, loopback's receive (stack_rx on ifindex 1, through a
//   bounded backlog as the kernel's netif_rx), a dummy's counters (consumed), or a counted drop.
//
// The control plane (src/control/links.ts, ifaddr.ts) owns every record: it creates, changes and removes
// them through the exports below. Nothing here allocates per packet. What a reader sees is always whole:
// a record is published in the netdev table with one aligned store, an address list or the device order
// list is built aside and swapped in with one store, and the memory of what was swapped out is retired
// to reclaim.ts (rc_retire, which never writes into the block) and reused only after every worker has
// passed a quiescent point; netdev_quiesce runs that reclamation (rc_reclaim) after a change.
//
// The stage's state (its address at NR_NETDEV in the root):
//
//   +0   u32 device order list: u32 count, then count × u32 ifindex, in creation order (for_each_netdev)
//
// A VLAN children table (ND_VLANS of a parent): 2 × 4096 u32 ifindex, 802.1Q ids first, 802.1ad after;
// each slot is written with one store, so a reader sees a child or none.

import { netFree, netDrop, netRoot, netdevGet, netdevPublish } from './core';
import {
  AE_ADDR, AE_FLAGS, AE_PEER, AE_PREFIXLEN, AE_SCOPE, ADDR_ENTRY_SIZE, ADDR_LIST_HEADER, AF_INET, AF_INET6,
  CONF4_ACCEPT_REDIRECTS, CONF4_IGMPV3_UNSOLICITED_REPORT_INTERVAL, CONF4_ROUTE_LOCALNET, CONF6_ACCEPT_REDIRECTS, CONF6_MLDV2_UNSOLICITED_REPORT_INTERVAL, CONF6_HOP_LIMIT, CONF6_MTU,
  CONF6_USE_OIF_ADDRS_ONLY, CONF4_COUNT, CONF6_COUNT, IFF_LOWER_UP, IFF_UP, LOOPBACK_IFINDEX, ND_ADDR4,
  ND_ADDR6, ND_CONF4, ND_CONF6, ND_DEV, ND_FLAGS, ND_GEN, ND_IFINDEX, ND_KIND, ND_LINK, ND_MAC, ND_MTU, ND_NAME,
  ND_STATS, ND_VLAN_ID, ND_VLAN_PROTO, ND_VLANS, NDK_DUMMY, NDK_ETHER, NDK_LOOPBACK, NDK_VETH, NDK_VLAN,
  NDROP_CPU_BACKLOG, NDROP_NO_TX_TARGET, NDROP_NOMEM, NDROP_RECURSION_LIMIT, NDSTAT_TX_BYTES, NDSTAT_TX_DROPPED, NDSTAT_TX_PACKETS, NDSTAT_RX_PACKETS, NDSTAT_RX_BYTES, NETDEV_MAX, NETDEV_SIZE,
  ND_NF_EGRESS, ND_NF_INGRESS, NR_NETDEV, RT_SCOPE_HOST, RT_SCOPE_LINK, ND_PCPU, PCPU_SLOTS, PCPU_SLOT0, PCPU_SLOT_SIZE,
} from './abi';
import { FRAME_SIZE, RUN_BASE, RUN_CPU, RUN_NCPUS, XDP_FRAME_STRUCT } from '../abi';
import { rc_alloc, rc_reclaim, rc_retire } from './reclaim';
import { atomicAdd64, netLockId } from './lock';
import { devQueue, transmitBurst, txBulkOn, txBurstBytes, txBurstDropped, txBurstSent, xmit } from '../device';
import { stack_rx } from './eth';
import { ETH_HLEN } from './inet';
import { NF_NETDEV_EGRESS, NF_NETDEV_INGRESS, nf_ct_loop, nf_egress_sent, nf_netdev_frame, nfListRetire, nfNetdevList } from './netfilter';

// ---- IFA_F_* (linux/if_addr.h), as AE_FLAGS holds them ----
export const IFA_F_SECONDARY: u32 = 0x01; // IPv4; for IPv6 the same bit is IFA_F_TEMPORARY
export const IFA_F_TEMPORARY: u32 = 0x01;
export const IFA_F_NODAD: u32 = 0x02;
export const IFA_F_OPTIMISTIC: u32 = 0x04;
export const IFA_F_DADFAILED: u32 = 0x08;
export const IFA_F_HOMEADDRESS: u32 = 0x10;
export const IFA_F_DEPRECATED: u32 = 0x20;
export const IFA_F_TENTATIVE: u32 = 0x40;
export const IFA_F_PERMANENT: u32 = 0x80;
export const IFA_F_NOPREFIXROUTE: u32 = 0x200;

/** netdev_max_backlog: frames loopback holds for receive before it drops (the kernel's per-CPU backlog). */
export const LOOPBACK_BACKLOG: u32 = 1000;
/** XMIT_RECURSION_LIMIT: how deep stacked devices (VLAN on VLAN on ...) may nest on transmit. */
export const XMIT_RECURSION_LIMIT: u32 = 8;
const VLAN_HLEN: u32 = 4;
const ETH_P_8021AD: u32 = 0x88a8;
const VLAN_TABLE_SIZE: u32 = 2 * 4096 * 4;

const NS_ORDER: u32 = 0;
const NS_SIZE: u32 = 64;

// ---- The stage's state and its memory (control plane only) ----

/** The stage's state block, set up on first use (control plane: it may allocate). 0: no memory. */
function netdevState(): u32 {
  const r = netRoot();
  let s = load<u32>(r + NR_NETDEV);
  if (s == 0) {
    s = rc_alloc(NS_SIZE);
    if (s == 0) return 0;
    store<u32>(r + NR_NETDEV, s);
  }
  return s;
}

/** `size` zeroed bytes (64-aligned from 64 bytes on) for a record, list or table. 0 when out of memory. */
@inline function blockAlloc(size: u32): u32 {
  return netRoot() == 0 || size == 0 ? 0 : rc_alloc(size);
}

/** A block of `size` bytes is no longer published: reuse it once every reader has left it. */
@inline function blockRetire(b: u32, size: u32): void {
  if (b != 0) rc_retire(b, size);
}

/** After a change: what was retired goes back to the free lists once its grace period is over (rc_reclaim). */
export function netdev_quiesce(): void {
  rc_reclaim();
}

// ---- Records ----

/** The device order list: u32 count, then the ifindexes in creation order (0: none yet). */
@inline function orderList(): u32 {
  const s = load<u32>(netRoot() + NR_NETDEV);
  return s == 0 ? 0 : load<u32>(s + NS_ORDER);
}

/** Swap in a new order list: `add` appended (≠ 0), or `remove` left out (≠ 0). 0 or -12. */
function orderUpdate(add: u32, remove: u32): i32 {
  const s = netdevState();
  if (s == 0) return -12;
  const old = load<u32>(s + NS_ORDER);
  const n: u32 = old == 0 ? 0 : load<u32>(old);
  const nn: u32 = add != 0 ? n + 1 : n;
  const list = blockAlloc(4 + (nn << 2));
  if (list == 0) return -12;
  let k: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    const ifi = load<u32>(old + 4 + (i << 2));
    if (ifi != remove) store<u32>(list + 4 + (k++ << 2), ifi);
  }
  if (add != 0) store<u32>(list + 4 + (k++ << 2), add);
  store<u32>(list, k);
  store<u32>(s + NS_ORDER, list);
  if (old != 0) blockRetire(old, 4 + (n << 2));
  return 0;
}

/**
 * A new record for `ifindex` of kind `kind` (NDK_*), with `mtu`, IFF_* `flags`, the ring device `dev`
 * (its address; 0: none) and `link` (veth peer / VLAN parent ifindex), the per-device sysctls at the
 * kernel's defaults (send_redirects 0: the stack sends no ICMP redirects unless asked), published in the
 * netdev table and appended to the device order. 0, -17 (EEXIST), -22 (EINVAL: ifindex), -12 (ENOMEM).
 */
export function netdev_create(ifindex: u32, kind: u32, mtu: u32, flags: u32, dev: u32, link: u32): i32 {
  if (netRoot() == 0 || ifindex == 0 || ifindex >= NETDEV_MAX || kind > NDK_VLAN) return -22;
  if (netdevGet(ifindex) != 0) return -17;
  const nd = blockAlloc(NETDEV_SIZE);
  if (nd == 0) return -12;
  store<u32>(nd + ND_IFINDEX, ifindex);
  store<u32>(nd + ND_FLAGS, flags);
  store<u32>(nd + ND_MTU, mtu);
  store<u32>(nd + ND_KIND, kind);
  store<u32>(nd + ND_LINK, link);
  store<u32>(nd + ND_DEV, dev);
  // net.ipv4.conf.DEV.*: everything 0 but accept_redirects (1); send_redirects 0 (see above)
  store<u32>(nd + ND_CONF4 + (CONF4_ACCEPT_REDIRECTS << 2), 1);
  store<u32>(nd + ND_CONF4 + (CONF4_IGMPV3_UNSOLICITED_REPORT_INTERVAL << 2), 1000);
  // net.ipv6.conf.DEV.*
  store<u32>(nd + ND_CONF6 + (CONF6_HOP_LIMIT << 2), 64);
  store<u32>(nd + ND_CONF6 + (CONF6_MTU << 2), mtu);
  store<u32>(nd + ND_CONF6 + (CONF6_ACCEPT_REDIRECTS << 2), 1);
  store<u32>(nd + ND_CONF6 + (CONF6_MLDV2_UNSOLICITED_REPORT_INTERVAL << 2), 1000);
  if (ASC_FEATURE_THREADS) {
    // per-CPU counters (alloc_percpu): a slot for the main thread and one per CPU the data path has
    const slots = 1 + min<u32>(load<u32>(RUN_BASE + RUN_NCPUS), 64);
    const pc = blockAlloc(PCPU_SLOT0 + slots * PCPU_SLOT_SIZE);
    if (pc != 0) {
      store<u32>(pc + PCPU_SLOTS, slots);
      store<u32>(nd + ND_PCPU, pc);
    }
  }
  if (orderUpdate(ifindex, 0) != 0) return -12;
  netdevPublish(ifindex, nd);
  return 0;
}

/**
 * Remove the record of `ifindex`: out of the table and the device order, out of its parent's VLAN table,
 * its address and netdev hook lists and record retired. The control plane removes VLAN children first. 0 or -19 (ENODEV).
 */
export function netdev_remove(ifindex: u32): i32 {
  const nd = netdevGet(ifindex);
  if (nd == 0) return -19;
  if (load<u32>(nd + ND_KIND) == NDK_VLAN) vlanSlotSet(load<u32>(nd + ND_LINK), load<u16>(nd + ND_VLAN_PROTO), load<u16>(nd + ND_VLAN_ID), 0);
  netdevPublish(ifindex, 0);
  orderUpdate(0, ifindex);
  retireList(load<u32>(nd + ND_ADDR4));
  retireList(load<u32>(nd + ND_ADDR6));
  nfListRetire(load<u32>(nd + ND_NF_INGRESS));
  nfListRetire(load<u32>(nd + ND_NF_EGRESS));
  const vt = load<u32>(nd + ND_VLANS);
  if (vt != 0) blockRetire(vt, VLAN_TABLE_SIZE);
  const pc = load<u32>(nd + ND_PCPU);
  if (pc != 0) blockRetire(pc, PCPU_SLOT0 + load<u32>(pc + PCPU_SLOTS) * PCPU_SLOT_SIZE);
  blockRetire(nd, NETDEV_SIZE);
  return 0;
}

@inline function bump(nd: u32): void {
  store<u32>(nd + ND_GEN, load<u32>(nd + ND_GEN) + 1);
}

/** Set IFF_* flags (as the kernel's dev_get_flags reports them, RUNNING and LOWER_UP included). */
export function netdev_set_flags(ifindex: u32, flags: u32): i32 {
  const nd = netdevGet(ifindex);
  if (nd == 0) return -19;
  store<u32>(nd + ND_FLAGS, flags);
  bump(nd);
  return 0;
}

/** Set the MTU (and net.ipv6.conf.DEV.mtu with it, as NETDEV_CHANGEMTU does). */
export function netdev_set_mtu(ifindex: u32, mtu: u32): i32 {
  const nd = netdevGet(ifindex);
  if (nd == 0) return -19;
  store<u32>(nd + ND_MTU, mtu);
  store<u32>(nd + ND_CONF6 + (CONF6_MTU << 2), mtu);
  bump(nd);
  return 0;
}

/**
 * Set the MAC: bytes 0-3 in `lo` (little-endian load of the first four), 4-5 in `hi`. Published with
 * one aligned 8-byte store of the word at ND_MAC (the address in bytes 0-5, bytes 6-7 zero), so a
 * reader that loads the word once (netdevMac) sees the old address or the new one, never half of each.
 */
export function netdev_set_mac(ifindex: u32, lo: u32, hi: u32): i32 {
  const nd = netdevGet(ifindex);
  if (nd == 0) return -19;
  store<u64>(nd + ND_MAC, (<u64>(hi & 0xffff) << 32) | <u64>lo);
  bump(nd);
  return 0;
}

/** The MAC word of record `nd` (bytes 0-5 the address), read with one 8-byte load: never half of a change. */
@inline export function netdevMac(nd: u32): u64 {
  return load<u64>(nd + ND_MAC);
}

/** Write the 6 bytes of MAC word `mac` (netdevMac) at `dst`. */
@inline export function putMac(dst: u32, mac: u64): void {
  store<u32>(dst, <u32>mac);
  store<u16>(dst + 4, <u16>(mac >> 32));
}

/** Whether the 6 bytes at `a` are the MAC of word `mac` (netdevMac). */
@inline export function macIs(a: u32, mac: u64): bool {
  return load<u32>(a) == <u32>mac && <u32>load<u16>(a + 4) == <u32>((mac >> 32) & 0xffff);
}

/**
 * Set the name: its 16 bytes (IFNAMSIZ, NUL-padded) as four little-endian words. Written in place, as
 * dev_change_name writes dev->name under RTNL while nft's meta expression reads it without a lock.
 */
export function netdev_set_name(ifindex: u32, w0: u32, w1: u32, w2: u32, w3: u32): i32 {
  const nd = netdevGet(ifindex);
  if (nd == 0) return -19;
  store<u32>(nd + ND_NAME, w0);
  store<u32>(nd + ND_NAME + 4, w1);
  store<u32>(nd + ND_NAME + 8, w2);
  store<u32>(nd + ND_NAME + 12, w3);
  bump(nd);
  return 0;
}

/** Set the link (veth peer, VLAN parent) ifindex. */
export function netdev_set_link(ifindex: u32, link: u32): i32 {
  const nd = netdevGet(ifindex);
  if (nd == 0) return -19;
  store<u32>(nd + ND_LINK, link);
  bump(nd);
  return 0;
}

/** Set the kind (NDK_*): a ring device that became a veth end. */
export function netdev_set_kind(ifindex: u32, kind: u32): i32 {
  const nd = netdevGet(ifindex);
  if (nd == 0 || kind > NDK_VLAN) return -22;
  store<u32>(nd + ND_KIND, kind);
  bump(nd);
  return 0;
}

/** net.ipv4.conf.DEV.* (family AF_INET) or net.ipv6.conf.DEV.* (AF_INET6) value `i` of `ifindex`. */
export function netdev_conf_set(ifindex: u32, family: u32, i: u32, v: u32): i32 {
  const nd = netdevGet(ifindex);
  if (nd == 0) return -19;
  if (family == AF_INET && i < CONF4_COUNT) store<u32>(nd + ND_CONF4 + (i << 2), v);
  else if (family == AF_INET6 && i < CONF6_COUNT) store<u32>(nd + ND_CONF6 + (i << 2), v);
  else return -22;
  return 0;
}

export function netdev_conf_get(ifindex: u32, family: u32, i: u32): u32 {
  const nd = netdevGet(ifindex);
  if (nd == 0) return 0;
  if (family == AF_INET && i < CONF4_COUNT) return load<u32>(nd + ND_CONF4 + (i << 2));
  if (family == AF_INET6 && i < CONF6_COUNT) return load<u32>(nd + ND_CONF6 + (i << 2));
  return 0;
}

// ---- Address lists ----

@inline function listBytes(n: u32): u32 {
  return ADDR_LIST_HEADER + n * ADDR_ENTRY_SIZE;
}

function retireList(list: u32): void {
  if (list != 0) blockRetire(list, listBytes(load<u32>(list)));
}

/** A new, zeroed address list of `count` entries (count set) for the control plane to fill. 0: no memory. */
export function netdev_addrs_alloc(count: u32): u32 {
  const l = blockAlloc(listBytes(count));
  if (l != 0) store<u32>(l, count);
  return l;
}

/** Publish `list` (0: none) as the AF_INET / AF_INET6 addresses of `ifindex`; the old list is retired. */
export function netdev_addrs_publish(ifindex: u32, family: u32, list: u32): i32 {
  const nd = netdevGet(ifindex);
  if (nd == 0) return -19;
  const at = nd + (family == AF_INET6 ? ND_ADDR6 : ND_ADDR4);
  const old = load<u32>(at);
  store<u32>(at, list);
  retireList(old);
  bump(nd);
  return 0;
}

// ---- VLAN sub-devices ----

@inline function vlanSlot(table: u32, proto: u32, vid: u32): u32 {
  return table + ((((proto == ETH_P_8021AD ? <u32>4096 : 0) + (vid & 0xfff))) << 2);
}

function vlanSlotSet(parent: u32, proto: u32, vid: u32, child: u32): i32 {
  const pnd = netdevGet(parent);
  if (pnd == 0) return -19;
  let t = load<u32>(pnd + ND_VLANS);
  if (t == 0) {
    if (child == 0) return 0;
    t = blockAlloc(VLAN_TABLE_SIZE);
    if (t == 0) return -12;
    store<u32>(pnd + ND_VLANS, t);
  }
  store<u32>(vlanSlot(t, proto, vid), child);
  return 0;
}

/**
 * Make `ifindex` (an NDK_VLAN record) the sub-device of `parent` for (`proto`, `vid`): its tag fields set
 * and its slot in the parent's children table filled. 0, -19 (ENODEV), -17 (EEXIST: the slot is taken),
 * -12 (ENOMEM).
 */
export function netdev_vlan_attach(ifindex: u32, parent: u32, proto: u32, vid: u32): i32 {
  const nd = netdevGet(ifindex);
  if (nd == 0 || netdevGet(parent) == 0) return -19;
  if (netdev_vlan_lookup(parent, proto, vid) != 0) return -17;
  store<u16>(nd + ND_VLAN_PROTO, <u16>proto);
  store<u16>(nd + ND_VLAN_ID, <u16>vid);
  store<u32>(nd + ND_LINK, parent);
  return vlanSlotSet(parent, proto, vid, ifindex);
}

/** The VLAN sub-device of `parent` for `proto` (0x8100 / 0x88a8, host order) and `vid`; 0 when none. */
export function netdev_vlan_lookup(parent: u32, proto: u32, vid: u32): u32 {
  const pnd = netdevGet(parent);
  if (pnd == 0) return 0;
  const t = load<u32>(pnd + ND_VLANS);
  return t == 0 ? 0 : load<u32>(vlanSlot(t, proto, vid));
}

// ---- Transmit ----

/**
 * Count `n` on the device's counter `i` (NDSTAT_*). Workers count on one device at once: each in its own
 * per-CPU slot (ND_PCPU) with plain adds, as the kernel's per-CPU netdev stats; a thread without a slot
 * adds atomically at ND_STATS. The unshared build has one thread and counts at ND_STATS.
 */
@inline export function ndStat(nd: u32, i: u32, n: u64): void {
  if (ASC_FEATURE_THREADS) {
    const pc = load<u32>(nd + ND_PCPU);
    const s = netLockId() - 1;
    if (pc != 0 && s < load<u32>(pc + PCPU_SLOTS)) {
      const a = pc + PCPU_SLOT0 + s * PCPU_SLOT_SIZE + (i << 3);
      store<u64>(a, load<u64>(a) + n);
      return;
    }
  }
  atomicAdd64(nd + ND_STATS + (i << 3), n);
}

@inline function stat(nd: u32, i: u32, n: u64): void {
  ndStat(nd, i, n);
}

@inline function dropTx(nd: u32, q: u32, data: u32, reason: u32): bool {
  if (nd != 0) stat(nd, NDSTAT_TX_DROPPED, 1);
  netFree(q, data);
  netDrop(reason);
  return false;
}

// Loopback's backlog, per worker (wasm globals are per instance). Queued frames are linked through the
// first 16 bytes of their frame, inside the xdp_frame area nothing else uses:
//   hard_start +0 u32 next frame's hard_start | +4 u32 data | +8 u32 len | +12 u32 q
let lbHead: u32 = 0;
let lbTail: u32 = 0;
let lbLen: u32 = 0;
let lbDraining: bool = false;
/** The incoming device the next frames sent through lo carry up to their socket (netdevLoopIif). */
let lbIifTx: u32 = 0;
/** The incoming device of the frame lo's drain is delivering (0: lo's own). */
let lbIifRx: u32 = 0;

/**
 * The incoming device the frames about to be sent through lo report to the sockets they reach (0: lo):
 * a datagram a host sends itself keeps its route — the kernel's loopback_xmit keeps the skb's dst — and
 * the socket lookup's device is that route's: IPv4's rt_iif (the sender's output device, its bound one:
 * inet_iif), IPv6's the local address's device (ip6_rcv_core: the dst's idev). Cleared (or put back) by the
 * sender; returns the value it replaced.
 */
export function netdevLoopIif(ifindex: u32): u32 {
  const was = lbIifTx;
  lbIifTx = ifindex;
  return was; // what a sender nested inside another's lo drain puts back
}

/** The incoming device a socket lookup takes for a frame received on `ifindex` (lo: its route's, netdevLoopIif). */
@inline export function loopbackIif(ifindex: u32): u32 {
  return ifindex == LOOPBACK_IFINDEX && lbIifRx != 0 ? lbIifRx : ifindex;
}

/**
 * loopback_xmit: count the frame out on lo and queue it for lo's receive; the outermost transmit drains the queue into stack_rx, so a frame that
 * loops back through lo again is queued behind, never a deeper call (netif_rx's backlog, bounded).
 */
function loopbackXmit(nd: u32, q: u32, data: u32, len: u32): bool {
  if (lbLen >= LOOPBACK_BACKLOG) return dropTx(nd, q, data, NDROP_CPU_BACKLOG);
  // the skb keeps its _nfct across lo: the datagram's conntrack record becomes lo's PRE_ROUTING's (or is cleared)
  if (len > ETH_HLEN) nf_ct_loop(data + ETH_HLEN, len - ETH_HLEN);
  stat(nd, NDSTAT_TX_PACKETS, 1);
  stat(nd, NDSTAT_TX_BYTES, <u64>len);
  const f = data & ~(FRAME_SIZE - 1);
  store<u32>(f, 0);
  store<u32>(f + 4, data);
  store<u32>(f + 8, len);
  store<u32>(f + 12, q);
  store<u32>(f + 16, lbIifTx);
  if (lbTail != 0) store<u32>(lbTail, f);
  else lbHead = f;
  lbTail = f;
  lbLen++;
  if (lbDraining) return true;
  lbDraining = true;
  while (lbHead != 0) {
    const h = lbHead;
    lbHead = load<u32>(h);
    if (lbHead == 0) lbTail = 0;
    lbLen--;
    const d = load<u32>(h + 4);
    const l = load<u32>(h + 8);
    const hq = load<u32>(h + 12);
    const lnd = netdevGet(LOOPBACK_IFINDEX);
    if (lnd == 0 || (load<u32>(lnd + ND_FLAGS) & IFF_UP) == 0) {
      // lo went down while the frame waited: the kernel's backlog drops it the same way
      netFree(hq, d);
      netDrop(NDROP_NO_TX_TARGET);
      continue;
    }
    // __netif_receive_skb_core on lo: its netdev ingress chains first (nf_hook_ingress), as on any device; a frame
    // they drop or steal was counted in by loopback_xmit already (lo's lstats serve both directions)
    const ing = nfNetdevList(lnd, NF_NETDEV_INGRESS);
    if (ing != 0 && !nf_netdev_frame(ing, NF_NETDEV_INGRESS, LOOPBACK_IFINDEX, hq, d, l)) {
      stat(lnd, NDSTAT_RX_PACKETS, 1);
      stat(lnd, NDSTAT_RX_BYTES, <u64>l);
      continue;
    }
    // the receive stage counts the frame in on lo (loopback's lstats serve both directions)
    lbIifRx = load<u32>(h + 16);
    stack_rx(LOOPBACK_IFINDEX, hq, 0, d, l);
    lbIifRx = 0;
  }
  lbDraining = false;
  return true;
}

/**
 * One device's transmit; true when the frame left (or was consumed as a dummy consumes it). A VLAN
 * sub-device pushes its tag and hands the frame to its parent, `depth` counting the nesting. `skipEgress`:
 * the frame passes none of the device's egress chains (the kernel's skb->nf_skip_egress, which
 * __dev_queue_xmit clears again before the device's own transmit: a VLAN's parent runs its chains).
 */
function xmitOn(nd: u32, q: u32, data: u32, len: u32, depth: u32, skipEgress: bool): bool {
  if (nd == 0) return dropTx(0, q, data, NDROP_NO_TX_TARGET);
  // __dev_queue_xmit's nf_hook_egress: the device's netdev egress chains first (a drop or a fwd took the frame;
  // a frame an egress chain's fwd / dup sent passes none: nf_skip_egress)
  const eg = nfNetdevList(nd, NF_NETDEV_EGRESS);
  if (eg != 0 && !skipEgress && !nf_netdev_frame(eg, NF_NETDEV_EGRESS, load<u32>(nd + ND_IFINDEX), q, data, len)) return false;
  const flags = load<u32>(nd + ND_FLAGS);
  // __dev_queue_xmit on a device that is down; a veth end whose peer is down has no carrier (veth_xmit)
  if ((flags & IFF_UP) == 0 || (flags & IFF_LOWER_UP) == 0) return dropTx(nd, q, data, NDROP_NO_TX_TARGET);
  const kind = load<u32>(nd + ND_KIND);
  if (kind == NDK_ETHER || kind == NDK_VETH) {
    const dev = load<u32>(nd + ND_DEV);
    if (dev == 0) return dropTx(nd, q, data, NDROP_NO_TX_TARGET);
    // The queue the frame is accounted to: its own, or for the stack's own frames the target's first.
    // The TX queue follows the CPU this instance runs on (XPS by CPU).
    // In a poll of the shared build the frame joins this worker's bulk for the queue (device.ts xmit),
    // which counts it on `nd` as it goes out; otherwise it is on the ring, or dropped, now.
    const aq = q != 0 ? q : devQueue(dev, 0);
    const bulk = txBulkOn();
    if (!xmit(aq, dev, load<u32>(RUN_BASE + RUN_CPU), data, len, 0, bulk ? nd : 0)) {
      stat(nd, NDSTAT_TX_DROPPED, 1);
      return false;
    }
    if (bulk) return true;
    stat(nd, NDSTAT_TX_PACKETS, 1);
    stat(nd, NDSTAT_TX_BYTES, <u64>len);
    return true;
  }
  if (kind == NDK_LOOPBACK) return loopbackXmit(nd, q, data, len);
  if (kind == NDK_DUMMY) {
    // dummy_xmit: counted as sent, then freed (consume_skb: not a drop)
    stat(nd, NDSTAT_TX_PACKETS, 1);
    stat(nd, NDSTAT_TX_BYTES, <u64>len);
    netFree(q, data);
    return true;
  }
  if (kind == NDK_VLAN) {
    if (depth >= XMIT_RECURSION_LIMIT) return dropTx(nd, q, data, NDROP_RECURSION_LIMIT);
    if (data - VLAN_HLEN < (data & ~(FRAME_SIZE - 1)) + XDP_FRAME_STRUCT) return dropTx(nd, q, data, NDROP_NOMEM);
    // vlan_dev_hard_start_xmit: the tag goes in after the MAC addresses (PCP 0, DEI 0):
    //   before  | dst 6 | src 6 | type 2 | payload
    //   after   | dst 6 | src 6 | TPID 2 | TCI 2 | type 2 | payload
    const nd0 = data - VLAN_HLEN;
    memory.copy(nd0, data, 12);
    store<u16>(nd0 + 12, bswap<u16>(load<u16>(nd + ND_VLAN_PROTO)));
    store<u16>(nd0 + 14, bswap<u16>(load<u16>(nd + ND_VLAN_ID) & 0xfff));
    // the sub-device counts the frame as it was handed to it (the kernel's tag is out of band there)
    if (!xmitOn(netdevGet(load<u32>(nd + ND_LINK)), q, nd0, len + VLAN_HLEN, depth + 1, false)) {
      stat(nd, NDSTAT_TX_DROPPED, 1);
      return false;
    }
    stat(nd, NDSTAT_TX_PACKETS, 1);
    stat(nd, NDSTAT_TX_BYTES, <u64>len);
    return true;
  }
  return dropTx(nd, q, data, NDROP_NO_TX_TARGET);
}

/**
 * Transmit the Ethernet frame at `data` (`len` bytes, addresses filled in) on `ifindex`. Takes the frame
 * (q: the queue it came from, 0 for the stack's own frames). `skipEgress`: it passes none of the device's
 * egress chains (nft_hooks.ts: a frame an egress chain's fwd / dup sends, nf_skip_egress on its skb).
 */
export function netdev_xmit(ifindex: u32, q: u32, data: u32, len: u32, skipEgress: bool): void {
  if (pendN != 0) netdev_xmit_flush(); // the frames a burst held go first
  xmitOn(netdevGet(ifindex), q, data, len, 0, skipEgress);
  nf_egress_sent(data + 14);
}

// A burst's forwarded frames held for one transmit (netdev_xmit_pend): per frame, a
// transmit re-reads the device record, its queue, the ring's indices and four counters; held, frames
// to one device and queue go onto its ring in one transmitBurst, their counters added once. Every
// other transmit (netdev_xmit) and the burst's end (eth.ts stack_rx_burst) send what is held first, so
// frames leave in the order they were sent, as one at a time (in the shared build, transmitBurst sends
// the poll's bulks first: device.ts xmit queues the poll's other transmits there).
//   pendBuf: BURST_MAX × (u32 data, u32 len)
// Per instance: the main thread's is a static, a worker's lies in its own area (worker_init).
const PEND_MAX: u32 = 64;
export const PEND_BUF_SIZE: u32 = PEND_MAX * 8;
let pendBuf: u32 = <u32>memory.data(PEND_BUF_SIZE, 16);
let pendN: u32 = 0;
let pendIf: u32 = 0;
let pendQ: u32 = 0;
/** The held bursts that went out in one transmitBurst (this instance's; tests read it: netdev_xmit_bursts). */
let xmitBursts: u32 = 0;

export function netdev_xmit_bursts(): u32 {
  return xmitBursts;
}

/** worker_init: this instance's held frames move to `a` (PEND_BUF_SIZE bytes of its own area). */
export function netdevPendBufSet(a: u32): void {
  pendBuf = a;
}

/**
 * netdev_xmit of a frame the fast forward paths (fwd4_lean.ts, nf_flow_table.ts) decided on: held until
 * another transmit, another device or queue, a full hold or the burst's end (netdev_xmit_flush).
 * Inlined: a call per forwarded frame (nf_flow_table.ts measured it).
 */
@inline export function netdev_xmit_pend(ifindex: u32, q: u32, data: u32, len: u32): void {
  if (pendN != 0 && (ifindex != pendIf || q != pendQ)) netdev_xmit_flush();
  const b = pendBuf + (pendN << 3);
  store<u32>(b, data);
  store<u32>(b, len, 4);
  pendIf = ifindex;
  pendQ = q;
  if (++pendN == PEND_MAX) netdev_xmit_flush();
}

/**
 * The held frames out, as netdev_xmit would have sent each: a ring device that is up and has carrier
 * takes them in one transmitBurst (its counters once), anything else one xmitOn at a time.
 */
export function netdev_xmit_flush(): void {
  const n = pendN;
  if (n == 0) return;
  pendN = 0;
  const nd = netdevGet(pendIf);
  const q = pendQ;
  if (nd != 0) {
    const flags = load<u32>(nd + ND_FLAGS);
    const kind = load<u32>(nd + ND_KIND);
    const dev = load<u32>(nd + ND_DEV);
    // (not while the device has egress chains: each frame passes them in xmitOn)
    if ((flags & IFF_UP) != 0 && (flags & IFF_LOWER_UP) != 0 && (kind == NDK_ETHER || kind == NDK_VETH) && dev != 0 && q != 0 && nfNetdevList(nd, NF_NETDEV_EGRESS) == 0) {
      xmitBursts++;
      transmitBurst(q, dev, load<u32>(RUN_BASE + RUN_CPU), pendBuf, n);
      if (txBurstSent != 0) {
        stat(nd, NDSTAT_TX_PACKETS, <u64>txBurstSent);
        stat(nd, NDSTAT_TX_BYTES, txBurstBytes);
      }
      if (txBurstDropped != 0) stat(nd, NDSTAT_TX_DROPPED, <u64>txBurstDropped);
      return;
    }
  }
  for (let i: u32 = 0; i < n; i++) xmitOn(nd, q, load<u32>(pendBuf + (i << 3)), load<u32>(pendBuf + (i << 3), 4), 0, false);
}

// ---- IPv4 source selection (devinet.c) ----

@inline function entries(list: u32): u32 {
  return list + ADDR_LIST_HEADER;
}

/** inet_ifa_match: `a` (network order) in the subnet of entry `e` (its IFA_ADDRESS and prefix). */
@inline function ifaMatch(a: u32, e: u32): bool {
  const plen = <u32>load<u8>(e + AE_PREFIXLEN);
  if (plen == 0) return true;
  const mask = plen >= 32 ? <u32>0xffffffff : ~(<u32>0xffffffff >> plen);
  return ((bswap<u32>(a) ^ bswap<u32>(load<u32>(e + AE_PEER))) & mask) == 0;
}

/** in_dev_select_addr: the first primary of `nd` with a scope other than link and at most `scope`. */
function inDevSelectAddr(nd: u32, scope: u32): u32 {
  const list = load<u32>(nd + ND_ADDR4);
  if (list == 0) return 0;
  const n = load<u32>(list);
  for (let i: u32 = 0; i < n; i++) {
    const e = entries(list) + i * ADDR_ENTRY_SIZE;
    if ((<u32>load<u16>(e + AE_FLAGS) & IFA_F_SECONDARY) != 0) continue;
    const s = <u32>load<u8>(e + AE_SCOPE);
    if (s != RT_SCOPE_LINK && s <= scope) return load<u32>(e + AE_ADDR);
  }
  return 0;
}

/**
 * inet_select_addr: the IPv4 source for a packet to `dst` (network order u32) out of `ifindex` with
 * at most `scope`; 0 when the device (and then any device) has none. On the device: the first primary
 * whose scope fits and whose subnet holds `dst`, else its first primary that fits; then every device in
 * creation order (lo first), the first primary of global (or host) scope within `scope`.
 */
export function inet_select_addr(ifindex: u32, dst: u32, scope: u32): u32 {
  const nd = netdevGet(ifindex);
  let addr: u32 = 0;
  if (nd != 0) {
    const list = load<u32>(nd + ND_ADDR4);
    if (list != 0) {
      const localnet: u32 = load<u32>(nd + ND_CONF4 + (CONF4_ROUTE_LOCALNET << 2)) != 0 ? RT_SCOPE_LINK : RT_SCOPE_HOST;
      const n = load<u32>(list);
      for (let i: u32 = 0; i < n; i++) {
        const e = entries(list) + i * ADDR_ENTRY_SIZE;
        if ((<u32>load<u16>(e + AE_FLAGS) & IFA_F_SECONDARY) != 0) continue;
        const s = <u32>load<u8>(e + AE_SCOPE);
        if ((s < localnet ? s : localnet) > scope) continue;
        if (dst == 0 || ifaMatch(dst, e)) {
          addr = load<u32>(e + AE_ADDR);
          break;
        }
        if (addr == 0) addr = load<u32>(e + AE_ADDR);
      }
    }
    if (addr != 0) return addr;
  }
  const order = orderList();
  if (order == 0) return 0;
  const n = load<u32>(order);
  for (let i: u32 = 0; i < n; i++) {
    const d = netdevGet(load<u32>(order + 4 + (i << 2)));
    if (d == 0) continue;
    addr = inDevSelectAddr(d, scope);
    if (addr != 0) return addr;
  }
  return 0;
}

/**
 * The IPv4 address entry of `ifindex` whose local address is `addr` (network order), or 0: what ARP and
 * the receive path ask to know whether an address is the device's own.
 */
export function inet_ifa_lookup(ifindex: u32, addr: u32): u32 {
  const nd = netdevGet(ifindex);
  if (nd == 0) return 0;
  const list = load<u32>(nd + ND_ADDR4);
  if (list == 0) return 0;
  const n = load<u32>(list);
  for (let i: u32 = 0; i < n; i++) {
    const e = entries(list) + i * ADDR_ENTRY_SIZE;
    if (load<u32>(e + AE_ADDR) == addr) return e;
  }
  return 0;
}

// ---- IPv6 source selection (addrconf.c ipv6_dev_get_saddr, RFC 6724) ----

// __ipv6_addr_type's bits (net/ipv6.h)
export const T_UNICAST: u32 = 0x0001;
export const T_MULTICAST: u32 = 0x0002;
const T_LOOPBACK: u32 = 0x0010;
export const T_LINKLOCAL: u32 = 0x0020;
const T_SITELOCAL: u32 = 0x0040;
const T_COMPATV4: u32 = 0x0080;
const T_MAPPED: u32 = 0x1000;
const S_NODELOCAL: u32 = 0x01;
const S_LINKLOCAL: u32 = 0x02;
const S_SITELOCAL: u32 = 0x05;
const S_GLOBAL: u32 = 0x0e;

@inline function scopeType(scope: u32): u32 {
  return scope << 16;
}

/** __ipv6_addr_type of the 16 bytes at `a`: type bits, the source scope in bits 16-19; 0 for ::. */
export function ipv6_addr_type(a: u32): u32 {
  const st = bswap<u32>(load<u32>(a));
  if ((st & 0xe0000000) != 0 && (st & 0xe0000000) != 0xe0000000) return T_UNICAST | scopeType(S_GLOBAL);
  if ((st & 0xff000000) == 0xff000000) {
    const sc = <u32>load<u8>(a + 1) & 0x0f;
    let t = T_MULTICAST | scopeType(sc);
    if (sc == S_NODELOCAL) t |= T_LOOPBACK;
    else if (sc == S_LINKLOCAL) t |= T_LINKLOCAL;
    else if (sc == S_SITELOCAL) t |= T_SITELOCAL;
    return t;
  }
  if ((st & 0xffc00000) == 0xfe800000) return T_LINKLOCAL | T_UNICAST | scopeType(S_LINKLOCAL);
  if ((st & 0xffc00000) == 0xfec00000) return T_SITELOCAL | T_UNICAST | scopeType(S_SITELOCAL);
  if ((st & 0xfe000000) == 0xfc000000) return T_UNICAST | scopeType(S_GLOBAL);
  if ((load<u32>(a) | load<u32>(a + 4)) == 0) {
    const w2 = bswap<u32>(load<u32>(a + 8));
    const w3 = bswap<u32>(load<u32>(a + 12));
    if (w2 == 0) {
      if (w3 == 0) return 0;
      if (w3 == 1) return T_LOOPBACK | T_UNICAST | scopeType(S_LINKLOCAL);
      return T_COMPATV4 | T_UNICAST | scopeType(S_GLOBAL);
    }
    if (w2 == 0x0000ffff) return T_MAPPED | scopeType(S_GLOBAL);
  }
  return T_UNICAST | scopeType(S_GLOBAL);
}

/** __ipv6_addr_src_scope: -1 for ::, else the scope field of the type. */
@inline function srcScope(type: u32): i32 {
  return type == 0 ? -1 : <i32>(type >> 16);
}

/** Leading bits `a` and `b` (16 bytes each) share: ipv6_addr_diff. */
function commonBits(a: u32, b: u32): u32 {
  for (let i: u32 = 0; i < 16; i += 4) {
    const x = bswap<u32>(load<u32>(a + i)) ^ bswap<u32>(load<u32>(b + i));
    if (x != 0) return (i << 3) + <u32>clz<u32>(x);
  }
  return 128;
}

@inline function prefixIs(a: u32, w0: u32, w1: u32, w2: u32, w3: u32, plen: u32): bool {
  // the first `plen` bits of `a` equal the prefix given as four host-order words
  let left = plen;
  for (let i: u32 = 0; i < 4 && left > 0; i++) {
    const w = i == 0 ? w0 : i == 1 ? w1 : i == 2 ? w2 : w3;
    const bits = left >= 32 ? 32 : left;
    const mask = bits == 32 ? <u32>0xffffffff : ~(<u32>0xffffffff >> bits);
    if (((bswap<u32>(load<u32>(a + (i << 2))) ^ w) & mask) != 0) return false;
    left -= bits;
  }
  return true;
}

/**
 * ipv6_addr_label with the default policy table (RFC 6724 §2.1 as addrlabel.c installs it), longest
 * prefix first: ::1/128 0, ::ffff:0:0/96 4, ::/96 3, 2001::/32 6, 2001:10::/28 7, 2002::/16 2,
 * 3ffe::/16 12, fec0::/10 11, fc00::/7 5, ::/0 1. The mapped and compatible entries match only addresses
 * of that type, as __ip6addrlbl_match does.
 */
export function ipv6_addr_label(a: u32, type: u32): u32 {
  if ((type & T_LOOPBACK) != 0 && prefixIs(a, 0, 0, 0, 1, 128)) return 0;
  if ((type & T_MAPPED) != 0 && prefixIs(a, 0, 0, 0xffff, 0, 96)) return 4;
  if (prefixIs(a, 0, 0, 0, 0, 96)) return 3;
  if (prefixIs(a, 0x20010000, 0, 0, 0, 32)) return 6;
  if (prefixIs(a, 0x20010010, 0, 0, 0, 28)) return 7;
  if (prefixIs(a, 0x20020000, 0, 0, 0, 16)) return 2;
  if (prefixIs(a, 0x3ffe0000, 0, 0, 0, 16)) return 12;
  if (prefixIs(a, 0xfec00000, 0, 0, 0, 10)) return 11;
  if (prefixIs(a, 0xfc000000, 0, 0, 0, 7)) return 5;
  return 1;
}

@inline function isOrchid(a: u32): bool {
  return (bswap<u32>(load<u32>(a)) & 0xfffffff0) == 0x20010010;
}

// The best candidate so far (the kernel's hiscore): its entry and rule values, in wasm globals so each
// worker instance has its own. Rule values in IPV6_SADDR_RULE_* order: init (1 once there is one),
// same address, scope distance, preferred, home address, outgoing interface, label, public, ORCHID,
// matching prefix length, not optimistic.
let hsEntry: u32 = 0;
let hsLocal: i32 = 0;
let hsScope: i32 = 0;
let hsPreferred: i32 = 0;
let hsHome: i32 = 0;
let hsOif: i32 = 0;
let hsLabel: i32 = 0;
let hsPublic: i32 = 0;
let hsOrchid: i32 = 0;
let hsPrefix: i32 = 0;
let hsNotOpt: i32 = 0;

/** -1, 0, 1 as `s` is worse than, equal to or better than `h` on one rule. */
@inline function cmp(s: i32, h: i32): i32 {
  return s > h ? 1 : s < h ? -1 : 0;
}

/**
 * Candidate `e` on device `ifi` against the best so far, rule by rule as ipv6_get_saddr_eval computes
 * them: the first rule that differs decides, which is what the kernel's lazy evaluation amounts to (its
 * special case for a positive scope distance cannot occur: the distance is never above 0). A tie keeps
 * the earlier candidate.
 */
function consider(e: u32, ifi: u32, dst: u32, dstScope: i32, dstLabel: u32, oif: u32): void {
  const a = e + AE_ADDR;
  const type = ipv6_addr_type(a);
  const flags = <u32>load<u16>(e + AE_FLAGS);
  const common = commonBits(a, dst);
  // Rule 1: prefer the same address
  const local: i32 = common == 128 ? 1 : 0;
  // Rule 2: appropriate scope: smaller is better while enough for the destination, else greater
  let scope = srcScope(type);
  scope = scope >= dstScope ? -scope : scope - 128;
  // Rule 3: avoid deprecated and optimistic addresses (optimistic_dad / use_optimistic are off)
  const preferred: i32 = (type & (T_MAPPED | T_COMPATV4 | T_LOOPBACK)) != 0 || (flags & (IFA_F_DEPRECATED | IFA_F_OPTIMISTIC)) == 0 ? 1 : 0;
  // Rule 4: home address: !(HOMEADDRESS) ^ prefhome, prefhome 1 without IPV6_PREFER_SRC_COA
  const home: i32 = (flags & IFA_F_HOMEADDRESS) != 0 ? 1 : 0;
  // Rule 5: prefer the outgoing interface
  const oifr: i32 = oif == 0 || oif == ifi ? 1 : 0;
  // Rule 6: prefer a matching label
  const label: i32 = ipv6_addr_label(a, type) == dstLabel ? 1 : 0;
  // Rule 7: prefer public addresses (use_tempaddr < 2 on every device here)
  const pub: i32 = (flags & IFA_F_TEMPORARY) == 0 ? 1 : 0;
  // Rule 8-: ORCHID with ORCHID, non-ORCHID with non-ORCHID
  const orchid: i32 = isOrchid(a) == isOrchid(dst) ? 1 : 0;
  // Rule 8: longest matching prefix, at most the address's prefix length
  const plen = <u32>load<u8>(e + AE_PREFIXLEN);
  const prefix: i32 = <i32>(common > plen ? plen : common);
  const notOpt: i32 = (flags & IFA_F_OPTIMISTIC) == 0 ? 1 : 0;
  if (hsEntry != 0) {
    let c = cmp(local, hsLocal);
    if (c == 0) c = cmp(scope, hsScope);
    if (c == 0) c = cmp(preferred, hsPreferred);
    if (c == 0) c = cmp(home, hsHome);
    if (c == 0) c = cmp(oifr, hsOif);
    if (c == 0) c = cmp(label, hsLabel);
    if (c == 0) c = cmp(pub, hsPublic);
    if (c == 0) c = cmp(orchid, hsOrchid);
    if (c == 0) c = cmp(prefix, hsPrefix);
    if (c == 0) c = cmp(notOpt, hsNotOpt);
    if (c <= 0) return;
  }
  hsEntry = e;
  hsLocal = local;
  hsScope = scope;
  hsPreferred = preferred;
  hsHome = home;
  hsOif = oifr;
  hsLabel = label;
  hsPublic = pub;
  hsOrchid = orchid;
  hsPrefix = prefix;
  hsNotOpt = notOpt;
}

/** __ipv6_dev_get_saddr over the addresses of device `nd`. */
function devCandidates(nd: u32, dst: u32, dstScope: i32, dstLabel: u32, oif: u32): void {
  const list = load<u32>(nd + ND_ADDR6);
  if (list == 0) return;
  const ifi = load<u32>(nd + ND_IFINDEX);
  const n = load<u32>(list);
  for (let i: u32 = 0; i < n; i++) {
    const e = entries(list) + i * ADDR_ENTRY_SIZE;
    const flags = <u32>load<u16>(e + AE_FLAGS);
    // a tentative address is not assigned yet (unless optimistic)
    if ((flags & IFA_F_TENTATIVE) != 0 && (flags & IFA_F_OPTIMISTIC) == 0) continue;
    const type = ipv6_addr_type(e + AE_ADDR);
    if (type == 0 || (type & T_MULTICAST) != 0) continue;
    consider(e, ifi, dst, dstScope, dstLabel, oif);
  }
}

/**
 * ipv6_dev_get_saddr (RFC 6724 source selection): the source for `dst` (16 bytes) out of `ifindex`
 * (0: no outgoing device), written to `out` (16 bytes). For a multicast or link-local (or loopback)
 * destination, or with use_oif_addrs_only, only the outgoing device's addresses are candidates;
 * otherwise every device's, in creation order. 0, or -99 (EADDRNOTAVAIL).
 */
export function ipv6_dev_get_saddr(ifindex: u32, dst: u32, out: u32): i32 {
  const dtype = ipv6_addr_type(dst);
  const dstScope = srcScope(dtype);
  const dstLabel = ipv6_addr_label(dst, dtype);
  hsEntry = 0;
  const nd = ifindex != 0 ? netdevGet(ifindex) : 0;
  const oifOnly =
    ifindex != 0 &&
    ((dtype & T_MULTICAST) != 0 || dstScope <= <i32>S_LINKLOCAL || (nd != 0 && load<u32>(nd + ND_CONF6 + (CONF6_USE_OIF_ADDRS_ONLY << 2)) != 0));
  if (oifOnly) {
    if (nd != 0) devCandidates(nd, dst, dstScope, dstLabel, ifindex);
  } else {
    const order = orderList();
    if (order != 0) {
      const n = load<u32>(order);
      for (let i: u32 = 0; i < n; i++) {
        const d = netdevGet(load<u32>(order + 4 + (i << 2)));
        if (d != 0) devCandidates(d, dst, dstScope, dstLabel, ifindex);
      }
    }
  }
  if (hsEntry == 0) return -99;
  memory.copy(out, hsEntry + AE_ADDR, 16);
  return 0;
}

/**
 * ipv6_chk_addr: the IPv6 address entry of `ifindex` (0: any device) equal to the 16 bytes at `addr`,
 * or 0; tentative ones only when `tentativeToo` (NDISC answers a solicitation for a tentative address
 * differently).
 */
export function ipv6_chk_addr(ifindex: u32, addr: u32, tentativeToo: bool): u32 {
  if (ifindex != 0) return chkDev(netdevGet(ifindex), addr, tentativeToo);
  const order = orderList();
  if (order == 0) return 0;
  const n = load<u32>(order);
  for (let i: u32 = 0; i < n; i++) {
    const e = chkDev(netdevGet(load<u32>(order + 4 + (i << 2))), addr, tentativeToo);
    if (e != 0) return e;
  }
  return 0;
}

/**
 * ipv6_chk_addr(net, addr, dev, 0) as inet6_bind asks it: one of our addresses, not tentative; with a
 * device (`ifindex`), a link- or host-scope address (fe80::/10, ::1) only on that device
 * (__ipv6_chk_addr_and_flags: `!dev || ndev == dev || !(ifp->scope & (IFA_LINK | IFA_HOST))`).
 */
export function ipv6_chk_addr_bind(addr: u32, ifindex: u32): bool {
  const order = orderList();
  if (order == 0) return false;
  const n = load<u32>(order);
  for (let i: u32 = 0; i < n; i++) {
    const ifi = load<u32>(order + 4 + (i << 2));
    const e = chkDev(netdevGet(ifi), addr, false);
    if (e == 0) continue;
    const scope = <u32>load<u8>(e + AE_SCOPE);
    if (ifindex == 0 || ifi == ifindex || (scope != RT_SCOPE_LINK && scope != RT_SCOPE_HOST)) return true;
  }
  return false;
}

function chkDev(nd: u32, addr: u32, tentativeToo: bool): u32 {
  if (nd == 0) return 0;
  const list = load<u32>(nd + ND_ADDR6);
  if (list == 0) return 0;
  const n = load<u32>(list);
  for (let i: u32 = 0; i < n; i++) {
    const e = entries(list) + i * ADDR_ENTRY_SIZE;
    if (load<u64>(e + AE_ADDR) != load<u64>(addr) || load<u64>(e + AE_ADDR + 8) != load<u64>(addr + 8)) continue;
    if (!tentativeToo && (<u32>load<u16>(e + AE_FLAGS) & IFA_F_TENTATIVE) != 0) continue;
    return e;
  }
  return 0;
}

/**
 * ipv6_get_lladdr: the link-local address of `ifindex` the kernel uses as the source of NS/RS (the last
 * link-local in the list that is not tentative), written to `out`. 0, or -99 (EADDRNOTAVAIL).
 */
export function ipv6_get_lladdr(ifindex: u32, out: u32): i32 {
  const nd = netdevGet(ifindex);
  if (nd == 0) return -99;
  const list = load<u32>(nd + ND_ADDR6);
  if (list == 0) return -99;
  // __ipv6_get_lladdr walks the list backwards: link-local addresses sort last (scope order)
  for (let i = <i32>load<u32>(list) - 1; i >= 0; i--) {
    const e = entries(list) + <u32>i * ADDR_ENTRY_SIZE;
    const sc = srcScope(ipv6_addr_type(e + AE_ADDR));
    if (sc > <i32>S_LINKLOCAL) break;
    if (sc == <i32>S_LINKLOCAL && (ipv6_addr_type(e + AE_ADDR) & T_LINKLOCAL) != 0 && (<u32>load<u16>(e + AE_FLAGS) & IFA_F_TENTATIVE) == 0) {
      memory.copy(out, e + AE_ADDR, 16);
      return 0;
    }
  }
  return -99;
}

/** The MTU of `ifindex` (0 when there is no such device). */
export function netdev_mtu(ifindex: u32): u32 {
  const nd = netdevGet(ifindex);
  return nd == 0 ? 0 : load<u32>(nd + ND_MTU);
}
