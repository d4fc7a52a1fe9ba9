// Address classes and header constants the receive, forward and ICMP stages share: ipv4_is_* of
// include/linux/in.h on the network-order u32 (the 4 bytes loaded little-endian: the first octet is the
// low byte), and __ipv6_addr_type of net/ipv6/addrconf_core.c on 16 bytes in memory.
//
// Reads: the address given. Sets: nothing.

export const ETH_HLEN: u32 = 14;
export const ETH_P_IP: u32 = 0x0800;
export const ETH_P_ARP: u32 = 0x0806;
export const ETH_P_IPV6: u32 = 0x86dd;
export const ETH_P_8021Q: u32 = 0x8100;
export const ETH_P_8021AD: u32 = 0x88a8;

// skb->pkt_type as eth_type_trans sets it
export const PACKET_HOST: u32 = 0;
export const PACKET_BROADCAST: u32 = 1;
export const PACKET_MULTICAST: u32 = 2;
export const PACKET_OTHERHOST: u32 = 3;

export const IPPROTO_HOPOPTS: u32 = 0;
export const IPPROTO_ICMP: u32 = 1;
export const IPPROTO_IGMP: u32 = 2;
export const IPPROTO_TCP: u32 = 6;
export const IPPROTO_UDP: u32 = 17;
export const IPPROTO_DCCP: u32 = 33;
export const IPPROTO_ROUTING: u32 = 43;
export const IPPROTO_FRAGMENT: u32 = 44;
export const IPPROTO_ESP: u32 = 50;
export const IPPROTO_AH: u32 = 51;
export const IPPROTO_ICMPV6: u32 = 58;
export const IPPROTO_NONE: u32 = 59;
export const IPPROTO_DSTOPTS: u32 = 60;
export const IPPROTO_SCTP: u32 = 132;
export const IPPROTO_UDPLITE: u32 = 136;

// IPv4 header fields (offsets) and flags
export const IPH_TOS: u32 = 1;
export const IPH_TOT_LEN: u32 = 2;
export const IPH_ID: u32 = 4;
export const IPH_FRAG_OFF: u32 = 6;
export const IPH_TTL: u32 = 8;
export const IPH_PROTOCOL: u32 = 9;
export const IPH_CHECK: u32 = 10;
export const IPH_SADDR: u32 = 12;
export const IPH_DADDR: u32 = 16;
export const IP_DF: u32 = 0x4000;
export const IP_MF: u32 = 0x2000;
export const IP_OFFSET: u32 = 0x1fff;

// IPv6 header fields (offsets)
export const IP6H_PAYLOAD_LEN: u32 = 4;
export const IP6H_NEXTHDR: u32 = 6;
export const IP6H_HOP_LIMIT: u32 = 7;
export const IP6H_SADDR: u32 = 8;
export const IP6H_DADDR: u32 = 24;
export const IPV6_HLEN: u32 = 40;
export const IPV6_MIN_MTU: u32 = 1280;

/**
 * proto_ports_offset: where the flow dissector (__skb_flow_get_ports) reads a protocol's "ports" from
 * its header: TCP, UDP, UDP-Lite, DCCP, SCTP their two ports; ESP its SPI (offset 0), AH its SPI
 * (offset 4); -1 for the rest (no ports).
 */
export function protoPortsOffset(proto: u32): i32 {
  if (proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == IPPROTO_DCCP || proto == IPPROTO_ESP || proto == IPPROTO_SCTP || proto == IPPROTO_UDPLITE) return 0;
  return proto == IPPROTO_AH ? 4 : -1;
}

/** A big-endian u16 at `p`. */
@inline export function ldBe16(p: u32): u32 {
  return <u32>bswap<u16>(load<u16>(p));
}

/** Store `v` as a big-endian u16 at `p`. */
@inline export function stBe16(p: u32, v: u32): void {
  store<u16>(p, bswap<u16>(<u16>v));
}

/** A big-endian u32 at `p`. */
@inline export function ldBe32(p: u32): u32 {
  return bswap<u32>(load<u32>(p));
}

@inline export function stBe32(p: u32, v: u32): void {
  store<u32>(p, bswap<u32>(v));
}

// ---- IPv4 (network-order u32 as loaded little-endian) ----

@inline export function ipv4IsMulticast(a: u32): bool {
  return (a & 0xf0) == 0xe0;
}
@inline export function ipv4IsLbcast(a: u32): bool {
  return a == 0xffffffff;
}
/** ipv4_is_zeronet: 0.0.0.0 only — the rest of 0.0.0.0/8 is unicast in the kernel now (measured on 6.18). */
@inline export function ipv4IsZeronet(a: u32): bool {
  return a == 0;
}
@inline export function ipv4IsLoopback(a: u32): bool {
  return (a & 0xff) == 127;
}
/** 224.0.0.0/24 */
@inline export function ipv4IsLocalMulticast(a: u32): bool {
  return (a & 0xffffff) == 0xe0;
}
/** 224.0.0.1, the all-hosts group every IPv4 device joins (ip_mc_up). */
export const INADDR_ALLHOSTS_GROUP: u32 = 0x010000e0;
/** 192.0.0.8, INADDR_DUMMY: the ICMP source when no address could be chosen (RFC 7600). */
export const INADDR_DUMMY: u32 = 0x080000c0;

// ---- IPv6 (__ipv6_addr_type) ----

export const IPV6_ADDR_ANY: u32 = 0x0000;
export const IPV6_ADDR_UNICAST: u32 = 0x0001;
export const IPV6_ADDR_MULTICAST: u32 = 0x0002;
export const IPV6_ADDR_LOOPBACK: u32 = 0x0010;
export const IPV6_ADDR_LINKLOCAL: u32 = 0x0020;
export const IPV6_ADDR_SITELOCAL: u32 = 0x0040;
export const IPV6_ADDR_MAPPED: u32 = 0x1000;
export const IPV6_ADDR_RESERVED: u32 = 0x2000;

@inline export function ipv6IsMulticast(a: u32): bool {
  return load<u8>(a) == 0xff;
}

/** The multicast scope nibble (IPV6_ADDR_MC_SCOPE). */
@inline export function ipv6McScope(a: u32): u32 {
  return <u32>load<u8>(a, 1) & 0x0f;
}

/**
 * __ipv6_addr_needs_scope_id: an address of this type (ipv6AddrType) means something only on one link —
 * link-local unicast, link- and interface-local multicast — so a sockaddr's scope id names the device.
 */
@inline export function ipv6NeedsScopeId(type: u32): bool {
  return (type & IPV6_ADDR_LINKLOCAL) != 0 || ((type & IPV6_ADDR_MULTICAST) != 0 && (type & IPV6_ADDR_LOOPBACK) != 0);
}

@inline export function ipv6IsAny(a: u32): bool {
  return (load<u64>(a) | load<u64>(a, 8)) == 0;
}

/** ipv6_addr_v4mapped: ::ffff:a.b.c.d. */
@inline export function ipv6IsV4Mapped(a: u32): bool {
  return load<u64>(a) == 0 && load<u32>(a, 8) == 0xffff0000;
}

@inline export function ipv6IsLoopback(a: u32): bool {
  return load<u64>(a) == 0 && load<u64>(a, 8) == 0x0100000000000000;
}

@inline export function ipv6Equal(a: u32, b: u32): bool {
  return load<u64>(a) == load<u64>(b) && load<u64>(a, 8) == load<u64>(b, 8);
}

/**
 * 64 zero bytes at `p` (a flow key) as eight stores: no loop, no memory.fill (a call into C in V8,
 * ~4 ns — assembly/bytes.ts).
 */
@inline export function zero64(p: u32): void {
  store<u64>(p, 0);
  store<u64>(p, 0, 8);
  store<u64>(p, 0, 16);
  store<u64>(p, 0, 24);
  store<u64>(p, 0, 32);
  store<u64>(p, 0, 40);
  store<u64>(p, 0, 48);
  store<u64>(p, 0, 56);
}

@inline export function ipv6Copy(dst: u32, src: u32): void {
  store<u64>(dst, load<u64>(src));
  store<u64>(dst, load<u64>(src, 8), 8);
}

/**
 * __ipv6_addr_type without the scope bits: the IPV6_ADDR_* class of the 16 bytes at `a` (unicast,
 * multicast, loopback, link-local, site-local, v4-mapped, reserved, any).
 */
export function ipv6AddrType(a: u32): u32 {
  const st = ldBe32(a);
  // Global unicast and anycast: 2000::/3 (and everything not matched below, e.g. fc00::/7)
  if ((st & 0xe0000000) != 0x00000000 && (st & 0xe0000000) != 0xe0000000) return IPV6_ADDR_UNICAST;
  if ((st & 0xff000000) == 0xff000000) {
    let t = IPV6_ADDR_MULTICAST;
    const scope = (st >> 16) & 0x0f;
    if (scope == 1) t |= IPV6_ADDR_LOOPBACK;
    else if (scope == 2) t |= IPV6_ADDR_LINKLOCAL;
    else if (scope == 5) t |= IPV6_ADDR_SITELOCAL;
    return t;
  }
  if ((st & 0xffc00000) == 0xfe800000) return IPV6_ADDR_LINKLOCAL | IPV6_ADDR_UNICAST;
  if ((st & 0xffc00000) == 0xfec00000) return IPV6_ADDR_SITELOCAL | IPV6_ADDR_UNICAST;
  if ((st & 0xfe000000) == 0xfc000000) return IPV6_ADDR_UNICAST; // RFC 4193
  if ((load<u32>(a, 0) | load<u32>(a, 4)) == 0) {
    const w2 = load<u32>(a, 8);
    const w3 = ldBe32(a + 12);
    if (w2 == 0) {
      if (w3 == 0) return IPV6_ADDR_ANY;
      if (w3 == 1) return IPV6_ADDR_LOOPBACK | IPV6_ADDR_UNICAST;
      return IPV6_ADDR_UNICAST; // IPv4-compatible
    }
    if (ldBe32(a + 8) == 0x0000ffff) return IPV6_ADDR_MAPPED;
  }
  return IPV6_ADDR_UNICAST | IPV6_ADDR_RESERVED;
}
