// IPv4/IPv6 fragmentation on output and reassembly for local delivery.
// STUB: the fragments stage fills this file in. The signatures below are the contract other stages use.

import { netFree } from './core';

/**
 * An IPv4 fragment for local delivery (data at the IP header, len = tot_len). Takes the frame. Returns
 * the frame of the reassembled datagram (data address, its length in `reasmLen()`) when this fragment
 * completed one, else 0.
 */
export function ip_defrag(ifindex: u32, q: u32, data: u32, len: u32): u32 {
  netFree(q, data);
  return 0;
}

/** The same for IPv6 (data at the IPv6 header; fragOff: offset of the Fragment header from data). */
export function ipv6_defrag(ifindex: u32, q: u32, data: u32, len: u32, fragOff: u32): u32 {
  netFree(q, data);
  return 0;
}

/** Length of the datagram the last ip_defrag / ipv6_defrag returned. */
export function reasmLen(): u32 {
  return 0;
}

/**
 * Fragment the IPv4 datagram at `data` (Ethernet header at data - 14, IP header at data, len bytes of
 * IP) for an MTU of `mtu`, handing each fragment to neigh_output(AF_INET, ifindex, nh, ...). Takes the frame.
 */
export function ip_fragment(ifindex: u32, nh: u32, mtu: u32, q: u32, data: u32, len: u32): void {
  netFree(q, data);
}

/** The clock moved to `now` (ms): expire reassembly queues (ICMP time exceeded, code 1). */
export function reasm_tick(now: u64): void {}
