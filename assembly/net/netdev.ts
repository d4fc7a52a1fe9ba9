// The stack's network devices: records (layout ND_* in net/abi.ts) for ring devices, loopback, dummy,
// veth and VLAN sub-devices; their address lists; source address selection; and transmit.
// STUB in part: the links stage fills this file in. The signatures below are the contract other stages use.
//
// Reads: the netdev table. Sets: device counters. Next: the ring device's TX ring (device.ts transmit),
// the parent of a VLAN sub-device (tag pushed), or a drop.

import { netFree, netDrop } from './core';
import { NDROP_NO_TX_TARGET } from './abi';

/**
 * Transmit the Ethernet frame at `data` (`len` bytes, addresses filled in) on `ifindex`. Takes the frame
 * (q: the queue it came from, 0 for the stack's own frames).
 */
export function netdev_xmit(ifindex: u32, q: u32, data: u32, len: u32): void {
  netFree(q, data);
  netDrop(NDROP_NO_TX_TARGET);
}

/**
 * inet_select_addr: the IPv4 source for a packet to `dst` (network order u32) out of `ifindex` with
 * at most `scope`; 0 when the device (and then any device) has none.
 */
export function inet_select_addr(ifindex: u32, dst: u32, scope: u32): u32 {
  return 0;
}

/**
 * ipv6_dev_get_saddr (RFC 6724 source selection): the source for `dst` (16 bytes) out of `ifindex`,
 * written to `out` (16 bytes). 0, or -99 (EADDRNOTAVAIL).
 */
export function ipv6_dev_get_saddr(ifindex: u32, dst: u32, out: u32): i32 {
  return -99;
}

/** The VLAN sub-device of `parent` for `proto` (0x8100 / 0x88a8, host order) and `vid`; 0 when none. */
export function netdev_vlan_lookup(parent: u32, proto: u32, vid: u32): u32 {
  return 0;
}
