// The lean local IPv4 receive for UDP: the common case of stack_rx → ipv4_rcv → ip_rcv_finish →
// ip_local_deliver up to udp_rcv, decided in one short function for the frames of a burst (eth.ts
// stack_rx_burst), as fwd4_lean.ts does for a plain forward.
//
// Why: a datagram for one of our sockets passes the stages written for every case (VLAN tags, options,
// multicast, martians, rp_filter, fragments, netfilter hooks, the protocol table…), each re-deriving the
// root, the device record and the scratch addresses; the common case needs a few loads and compares.
//
// Which frames: untagged IPv4 on a ring device (not loopback) to the device's own MAC; a 20-byte header
// with a good checksum, its total length within the frame; not a fragment; UDP or UDP-Lite with the
// protocol table's UDP handler (or PH_CONSUME: taken and freed, as wxdp bench udp's no-L4 baseline sets); neither address multicast, limited broadcast, 0.0.0.0 or loopback; no
// netfilter hook registered; rp_filter off on the device; the destination in ipv4_rcv.ts's local input
// memo for this TOS at this FIB generation, with no custom rules (routeInput's own short cut: the FIB
// said RTN_LOCAL); the source not one of our addresses unless accept_local (fib_validate_source with
// rp_filter off). Anything else — and any frame for which one of these cannot be decided here — is left
// untouched for the full path (0), which then does everything itself; the checks come before any counter
// or byte is written.
//
// What a frame taken here gets is what the full path gives it up to the protocol's handler: the caller
// counts it on the device (RX packets/bytes) and sets the ring device, as stack_rx does; then
// udp4_lean_rcv counts Ip:InReceives and Ip:InDelivers and hands the datagram (trimmed to its total
// length) to udp_rcv with the route flags of a local route (RTCF_LOCAL), or frees it (PH_CONSUME), as
// ip_local_deliver does.
//
// Reads: the frame, the device record (MAC, rp_filter, accept_local), the netfilter gate, the local
// input memo, the source address cache, the protocol table. Sets: nothing (udp4_lean_len); Ip counters
// (udp4_lean_rcv). Next: udp_rcv (udp.ts), or the full path (eth.ts stack_rx).

import { mibInc, netFree } from './core';
import { CONF4_ACCEPT_LOCAL, CONF4_RP_FILTER, LOOPBACK_IFINDEX, MIB_IP_IN_DELIVERS, MIB_IP_IN_RECEIVES, ND_CONF4, ND_MAC } from './abi';
import { ETH_HLEN, IPH_DADDR, IPH_FRAG_OFF, IPH_PROTOCOL, IPH_SADDR, IPH_TOS, IPH_TOT_LEN, IPPROTO_UDP, IPPROTO_UDPLITE, IP_MF, IP_OFFSET, ldBe16 } from './inet';
import { ipHeaderValid } from './csum';
import { localMemoHit, noCustomRules4, sourceIsLocal } from './ipv4_rcv';
import { nfActive } from './netfilter';
import { protoHandler, PH_CONSUME, PH_UDP } from './local';
import { RTCF_LOCAL } from './icmp';
import { udp_rcv } from './udp';

/**
 * The datagram's total length when the frame at `data` (`len` bytes from its Ethernet header), received
 * on ring device `ifindex` (record `nd`), takes the lean path; 0 when the full path must take it. Reads
 * only.
 */
export function udp4_lean_len(ifindex: u32, nd: u32, data: u32, len: u32): u32 {
  // untagged IPv4 to our MAC (PACKET_HOST: the group bit clear, the device's address)
  if (len < ETH_HLEN + 28 || load<u16>(data, 12) != 0x0008 || ifindex == LOOPBACK_IFINDEX) return 0;
  if ((load<u8>(data) & 1) != 0 || load<u32>(data) != load<u32>(nd, ND_MAC) || load<u16>(data, 4) != load<u16>(nd, ND_MAC + 4)) return 0;
  const ip = data + ETH_HLEN;
  // a 20-byte version 4 header, not a fragment, UDP or UDP-Lite
  const proto = <u32>load<u8>(ip, IPH_PROTOCOL);
  if (load<u8>(ip) != 0x45 || (proto != IPPROTO_UDP && proto != IPPROTO_UDPLITE)) return 0;
  if ((ldBe16(ip + IPH_FRAG_OFF) & (IP_MF | IP_OFFSET)) != 0) return 0;
  if (nfActive() || load<u32>(nd, ND_CONF4 + (CONF4_RP_FILTER << 2)) != 0) return 0;
  // ip_rcv_core: the checksum, the total length within the frame
  if (!ipHeaderValid(ip, 20)) return 0;
  const tot = ldBe16(ip + IPH_TOT_LEN);
  if (tot < 20 || tot > len - ETH_HLEN) return 0;
  // the martians ip_route_input_slow sorts out, as network-order words (the first octet in the low byte)
  const daddr = load<u32>(ip, IPH_DADDR);
  const saddr = load<u32>(ip, IPH_SADDR);
  if (!plainUnicast(daddr) || !plainUnicast(saddr)) return 0;
  // routeInput's local input memo (RTN_LOCAL at this generation, no custom rules), then localInput's
  // fib_validate_source with rp_filter off: our own address as the source is a martian
  if (!localMemoHit(daddr, <u32>load<u8>(ip, IPH_TOS) & 0xfc) || !noCustomRules4()) return 0;
  if (load<u32>(nd, ND_CONF4 + (CONF4_ACCEPT_LOCAL << 2)) == 0 && sourceIsLocal(saddr)) return 0;
  // ip_local_deliver's protocol table: the UDP handler, or taken and freed (PH_CONSUME); not an embedder's
  const h = protoHandler(false, proto);
  if (h != PH_UDP && h != PH_CONSUME) return 0;
  return tot;
}

/**
 * The datagram at `ip` (`tot` bytes, udp4_lean_len's answer) from `ifindex`, queue `q`: counted as
 * ipv4_rcv and ip_local_deliver count it, then udp_rcv. Takes the frame.
 */
export function udp4_lean_rcv(ifindex: u32, q: u32, ip: u32, tot: u32): void {
  mibInc(MIB_IP_IN_RECEIVES);
  mibInc(MIB_IP_IN_DELIVERS);
  if (protoHandler(false, <u32>load<u8>(ip, IPH_PROTOCOL)) == PH_CONSUME) netFree(q, ip);
  else udp_rcv(ifindex, q, ip, tot, 20, RTCF_LOCAL);
}

/** Network-order `a` is none of multicast (224/4), 255.255.255.255, 0.0.0.0, 127/8. */
@inline function plainUnicast(a: u32): bool {
  const b0 = a & 0xff;
  return (b0 & 0xf0) != 0xe0 && a != 0xffffffff && a != 0 && b0 != 127;
}
