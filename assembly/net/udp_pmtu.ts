// Path MTU learning for UDP sockets: an ICMP "fragmentation needed" / ICMPv6 "packet too big" about a
// datagram a socket sent lowers the path MTU toward its destination (ipv4_sk_update_pmtu →
// __ip_rt_update_pmtu; ip6_sk_update_pmtu → __ip6_rt_update_pmtu), as the route's PMTU exception
// (dst.ts), so the next datagram that is too large is fragmented at the new size, or refused with
// EMSGSIZE under IP_PMTUDISC_DO / IPV6_DONTFRAG (udp_output.ts reads dst_pmtu).
//
// Reads: the socket (IP_MTU_DISCOVER, bound device), the quoted header, the output route, the
// sysctls ip_no_pmtu_disc and min_pmtu (in dst_pmtu_learn). Sets: a PMTU exception (dst.ts).
// Called by udp.ts's udp_err / udpv6_err once the quoted datagram's socket is found.
//
// IPv4: the MTU the message gives (ip_no_pmtu_disc 0) or none (1: the kernel then locks the path at
// min_pmtu); with 2, and 3 (UDP has no tag validation), icmp_unreach drops the message before UDP sees
// it — icmp.ts delivers it, so it is ignored here. Only an MTU at or below the route's current one is
// taken. IPv6: only an MTU of at least 1280 (a smaller one is discarded, RFC 8200 5) and below the
// current one. A socket with IP_PMTUDISC_INTERFACE /
// OMIT (ip_sk_accept_pmtu / ip6_sk_accept_pmtu) learns nothing.

import { netdevGet, sysctl } from './core';
import { FR_OIF, SK_PMTUDISC, SK_PMTUDISC6, SYSCTL_IP_NO_PMTU_DISC } from './abi';
import { IPH_DADDR, IPH_SADDR, IP6H_DADDR, IP6H_SADDR, ldBe16, ldBe32 } from './inet';
import { ip_route_output, ip6_route_output, OUT_RES, ownMtu4, ownMtu6 } from './output';
import { dst_pmtu_learn } from './dst';
import { AF_INET, AF_INET6, SK_BOUND_DEV_IF, SK_PROTOCOL } from './abi';

const IP_PMTUDISC_INTERFACE: u32 = 4;
const IP_PMTUDISC_OMIT: u32 = 5;
const IPV6_MIN_MTU: u32 = 1280;

/** ip_sk_accept_pmtu / ip6_sk_accept_pmtu: `at` the socket's IP_MTU_DISCOVER (SK_PMTUDISC) or IPV6_MTU_DISCOVER (SK_PMTUDISC6). */
@inline function acceptPmtu(sk: u32, at: u32): bool {
  const d = <u32>load<u8>(sk + at);
  return d != IP_PMTUDISC_INTERFACE && d != IP_PMTUDISC_OMIT;
}

/**
 * ipv4_sk_update_pmtu for socket `sk`: the ICMP message at `ic` (its next-hop MTU in bytes 6-7) quotes
 * the IPv4 header at `inner` of a datagram `sk` sent.
 */
export function udpPmtuLearn4(sk: u32, ic: u32, inner: u32): void {
  if (!acceptPmtu(sk, SK_PMTUDISC)) return;
  const mode = sysctl(SYSCTL_IP_NO_PMTU_DISC);
  if (mode >= 2) return;
  const mtu = mode == 0 ? ldBe16(ic + 6) : 0;
  const dst = load<u32>(inner + IPH_DADDR);
  // __build_flow_key from the socket and the quoted header: its addresses, the socket's protocol
  if (!ip_route_output(dst, load<u32>(inner + IPH_SADDR), 0, <u32>load<u8>(sk + SK_PROTOCOL), 0, 0, false, 0, 0, 0)) return;
  const nd = netdevGet(load<u32>(OUT_RES() + FR_OIF));
  if (nd == 0) return;
  const b = load<u32>(sk + SK_BOUND_DEV_IF);
  if (b != 0 && b != load<u32>(OUT_RES() + FR_OIF)) return;
  // __ip_rt_update_pmtu: nothing above the path's current MTU
  if (mtu > ownMtu4(OUT_RES(), nd, dst)) return;
  dst_pmtu_learn(AF_INET, inner + IPH_DADDR, mtu);
}

/** ip6_sk_update_pmtu: the packet too big at `ic` (its MTU in bytes 4-7) quotes the IPv6 header at `inner`. */
export function udpPmtuLearn6(sk: u32, ic: u32, inner: u32): bool {
  if (!acceptPmtu(sk, SK_PMTUDISC6)) return false;
  const mtu = ldBe32(ic + 4);
  if (mtu < IPV6_MIN_MTU) return true; // __ip6_rt_update_pmtu: below the minimum link MTU, discarded
  if (ip6_route_output(inner + IP6H_DADDR, inner + IP6H_SADDR, <u32>load<u8>(sk + SK_PROTOCOL), 0, 0, load<u32>(sk + SK_BOUND_DEV_IF), false, false, 0, 0, 0)) {
    const nd = netdevGet(load<u32>(OUT_RES() + FR_OIF));
    if (nd != 0 && mtu < ownMtu6(OUT_RES(), nd, inner + IP6H_DADDR)) dst_pmtu_learn(AF_INET6, inner + IP6H_DADDR, mtu);
  }
  return true;
}
