// XDP's socket lookups: bpf_sk_lookup_udp (85), bpf_sk_lookup_tcp (84) and bpf_skc_lookup_tcp (99),
// as net/core/filter.c's bpf_xdp_sk_lookup_* run them: __bpf_skc_lookup → sk_lookup → the protocol's own
// receive lookup (__udp4_lib_lookup / __udp6_lib_lookup, sock_lookup.ts) in the receiving device's
// namespace, with no skb — so a reuseport group chooses by the flow hash, never by its SK_REUSEPORT
// program — and the socket handed to the program as struct bpf_sock (its view, sk_prog.ts), a reference
// the verifier makes the program release with bpf_sk_release.
//
// Reads: the XDP context (xdp_md.ingress_ifindex: the receiving device, the lookup's dif), the tuple the
// program passes (struct bpf_sock_tuple: saddr, daddr, sport, dport in network order; 12 bytes for IPv4,
// 36 for IPv6), the UDP tables. Sets: the found socket's view. Returns the view's address or 0 (NULL).
//
// What the kernel returns NULL for, before any lookup: a tuple size that is neither (__bpf_skc_lookup),
// nonzero flags, and a netns id that names another namespace (0 … S32_MAX: get_net_ns_by_id, and wxdp's
// data path is one namespace with no ids for others); an id with bit 31 set (BPF_F_CURRENT_NETNS, -1) is
// the device's own. XDP's helpers take the id as a u32 (bpf_xdp_sk_lookup_udp's prototype), so only the
// low 32 bits of r4 count. TCP: wxdp's stack has no TCP sockets (issue 11: TCP answers RST), so a TCP
// lookup after those checks finds nothing, as the kernel's finds nothing in a namespace with no TCP socket.

import { CTX_INGRESS_IFINDEX } from '../abi';
import { AF_INET, AF_INET6, SCR_L4 } from './abi';
import { netScratch } from './core';
import { IPPROTO_TCP, IPPROTO_UDP } from './inet';
import { l4Root, udpTables } from './sock';
import { udp4_lib_lookup, udp6_lib_lookup } from './sock_lookup';
import { skLive, sockView } from './sk_prog';

/** sizeof(bpf_sock_tuple.ipv4): saddr, daddr (4 each), sport, dport (2 each). */
const TUPLE4_LEN: u32 = 12;
/** sizeof(bpf_sock_tuple.ipv6): saddr[4], daddr[4], sport, dport. */
const TUPLE6_LEN: u32 = 36;

/** __bpf_sk_lookup for an XDP program: the socket's view or 0. */
function xdpSkLookup(ctx: u64, tuple: u64, len: u64, netnsId: u64, flags: u64, protocol: u32): u64 {
  const n = <u32>len;
  let family: u32;
  if (n == TUPLE4_LEN) family = AF_INET;
  else if (n == TUPLE6_LEN) family = AF_INET6;
  else return 0;
  // flags must be 0; a netns id from 0 to S32_MAX names another namespace (none here)
  if (flags != 0 || <i32>(<u32>netnsId) >= 0) return 0;
  if (protocol != IPPROTO_UDP) return 0; // no TCP sockets in wxdp's stack
  const r = l4Root();
  const t = r == 0 ? 0 : udpTables(r, IPPROTO_UDP);
  if (t == 0) return 0;
  const tp = <u32>tuple;
  const dif = load<u32>(<u32>ctx + CTX_INGRESS_IFINDEX);
  let sk: u32;
  if (family == AF_INET) {
    const sport = <u32>bswap<u16>(load<u16>(tp + 8));
    const dport = <u32>bswap<u16>(load<u16>(tp + 10));
    // no skb (0, 0): a reuseport group picks by hash, not by its program (reuseport_select_sock)
    sk = udp4_lib_lookup(t, IPPROTO_UDP, load<u32>(tp), sport, load<u32>(tp + 4), dport, dif, 0, 0);
  } else {
    // the lookup reads 16-byte addresses: copied out of the tuple (it may lie in the packet) into scratch
    const a = netScratch() + SCR_L4 + 48;
    memory.copy(a, tp, 32);
    const sport = <u32>bswap<u16>(load<u16>(tp + 32));
    const dport = <u32>bswap<u16>(load<u16>(tp + 34));
    sk = udp6_lib_lookup(t, IPPROTO_UDP, a, sport, a + 16, dport, dif, 0, 0);
  }
  if (sk == 0 || !skLive(sk)) return 0;
  return <u64>sockView(sk);
}

/** bpf_sk_lookup_tcp (84) from XDP. */
export function bpf_sk_lookup_tcp(ctx: u64, tuple: u64, len: u64, netnsId: u64, flags: u64): u64 {
  return xdpSkLookup(ctx, tuple, len, netnsId, flags, IPPROTO_TCP);
}

/** bpf_sk_lookup_udp (85) from XDP. */
export function bpf_sk_lookup_udp(ctx: u64, tuple: u64, len: u64, netnsId: u64, flags: u64): u64 {
  return xdpSkLookup(ctx, tuple, len, netnsId, flags, IPPROTO_UDP);
}

/** bpf_skc_lookup_tcp (99) from XDP: a TCP socket of any state (request and timewait ones too), or 0. */
export function bpf_skc_lookup_tcp(ctx: u64, tuple: u64, len: u64, netnsId: u64, flags: u64): u64 {
  return xdpSkLookup(ctx, tuple, len, netnsId, flags, IPPROTO_TCP);
}
