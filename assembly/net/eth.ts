// Receive: the stack's entry after XDP_PASS (or with no program). Ethernet and VLAN demux, then the
// protocol's receive stage.
// STUB: the receive stage fills this file in.
//
// Reads: the netdev of the ingress device. Sets: the frame's Ethernet header untagged in place, so
// every later stage finds L3 at `data` and an untagged Ethernet header in the 14 bytes before it.
// Next: arp_rcv, ipv4_rcv, ipv6_rcv, or a drop (UNHANDLED_PROTO, VLAN_FILTER, PKT_TOO_SMALL).

import { netFree } from './core';

/**
 * A frame the XDP hook passed on ring device `dev`, queue `q` (address; qi its index): `data` at the
 * Ethernet header, `len` bytes. Takes the frame.
 */
export function stack_rx(ifindex: u32, q: u32, qi: u32, data: u32, len: u32): void {
  netFree(q, data);
}
