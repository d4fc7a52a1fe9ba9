// ICMP and ICMPv6: echo replies, and errors (icmp_send / icmpv6_send) that quote the offending packet as
// the kernel does, rate limited (icmp_ratelimit / icmp_ratemask, the global icmp_msgs_per_sec bucket).
// STUB: the receive stage fills this file in. The signatures below are the contract other stages use.
//
// Reads: the offending packet (not taken: the caller still owns it), the FIB (route back), sysctls.
// Sets: a new frame from the pool. Next: neigh_output toward the packet's source.

/**
 * icmp_send: an ICMP error about the IPv4 packet at `data` (its IP header; `len` bytes of it available),
 * received on `ifindex`. `info`: the next-hop MTU (FRAG_NEEDED) or the pointer (PARAMETERPROB).
 */
export function icmp_send(ifindex: u32, data: u32, len: u32, type: u32, code: u32, info: u32): void {}

/** icmpv6_send: the same for the IPv6 packet at `data`; `info` the MTU (PKT_TOOBIG) or the pointer (PARAMPROB). */
export function icmpv6_send(ifindex: u32, data: u32, len: u32, type: u32, code: u32, info: u32): void {}
