// UDP send: udp_sendmsg / udpv6_sendmsg. A datagram from the control plane's socket API is routed
// through the FIB (ip_route_output / ip6_route_output), given a source address (RFC 6724 for IPv6),
// a header and checksum, fragmented when larger than the path MTU, and handed to the neighbour stage.
//
// (Contract stub: the UDP send work fills this file in.)

/**
 * Send `len` bytes at `buf` from socket `id` to `daddr` (16 bytes as abi.ts keeps addresses; 0: the
 * connected peer) port `dport` (host order). Returns `len`, or -errno (ENETUNREACH, EMSGSIZE,
 * EACCES for broadcast without SO_BROADCAST, EDESTADDRREQ, ENOBUFS…).
 */
export function udp_sendmsg(id: u32, buf: u32, len: u32, daddr: u32, dport: u32): i32 {
  return id + buf + len + daddr + dport == 0 ? 0 : -22;
}
