// The FIB: tables by id, routes with their types, scopes, metrics and next hops (ECMP with weights and
// the kernel's multipath hash), policy rules. Lookups as fib_lookup / fib6_lookup.
// STUB: the FIB stage fills this file in. The signatures below are the contract other stages use.
//
// Reads: the FIB root (one atomic load per lookup), a flow key (FL_* in net/abi.ts).
// Sets: a result (FR_*). Next: the caller's (forward.ts, local delivery, bpf_fib_lookup).

/**
 * fib_lookup for IPv4: rules, then tables, then the next hop (multipath hash over the flow key).
 * 0 with the result at `res`, or -101 (ENETUNREACH: no route, unreachable), -113 (EHOSTUNREACH),
 * -13 (EACCES: prohibit), -22 (EINVAL: blackhole), as the kernel.
 */
export function fib4_lookup(fl: u32, res: u32): i32 {
  return -101;
}

/** The same for IPv6 (fib6_lookup + fib6_select_path). */
export function fib6_lookup(fl: u32, res: u32): i32 {
  return -101;
}

/**
 * inet_addr_type_dev_table: the route type (RTN_LOCAL, RTN_BROADCAST, RTN_UNICAST, ...) of IPv4 `addr`
 * (network order u32) in table local, as ARP and receive need it; RTN_UNICAST when nothing matches.
 */
export function fib4_local_type(addr: u32, ifindex: u32): u32 {
  return 1;
}
