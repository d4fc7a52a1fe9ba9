// Neighbours (ARP for IPv4, NDISC for IPv6) with the kernel's NUD states and timers.
// STUB: the neighbour stage fills this file in. The signatures below are the contract other stages use.
//
// Reads: the netdev table, the clock. Sets: the neighbour table. Next: netdev_xmit (a resolved frame),
// or the entry's queue (unresolved), or a drop (NEIGH_FAILED, NEIGH_QUEUEFULL).

import { netFree, netDrop } from './core';
import { NDROP_NEIGH_FAILED } from './abi';

/**
 * The entry for `addr` (4 or 16 bytes at `addr`, by `family`) on `ifindex`, or 0. Other stages read
 * NE_STATE and NE_MAC of it (bpf_fib_lookup: NUD_VALID → dmac).
 */
export function neigh_lookup(family: u32, ifindex: u32, addr: u32): u32 {
  return 0;
}

/**
 * Send the frame at `data` (`len` bytes from its Ethernet header; L3 starts at data + 14) to next hop
 * `nh` (family, 4/16 bytes) on `ifindex`: fill in the Ethernet addresses and transmit when the
 * neighbour is valid, else queue it and resolve (ARP request / NS). Takes the frame (q: the queue it
 * came from, 0 for the stack's own frames).
 */
export function neigh_output(family: u32, ifindex: u32, nh: u32, q: u32, data: u32, len: u32): void {
  netFree(q, data);
  netDrop(NDROP_NEIGH_FAILED);
}

/** An ARP packet (data at the ARP header; the untagged Ethernet header is the 14 bytes before). Takes the frame. */
export function arp_rcv(ifindex: u32, q: u32, data: u32, len: u32): void {
  netFree(q, data);
}

/**
 * A neighbour discovery message (types 133-137): data at the IPv6 header, the ICMPv6 header at
 * data + l4off, len bytes from data. Takes the frame.
 */
export function ndisc_rcv(ifindex: u32, q: u32, data: u32, len: u32, l4off: u32): void {
  netFree(q, data);
}

/** The clock moved to `now` (ms): run the state machine's timers and garbage collection. */
export function neigh_tick(now: u64): void {}
