// UDP socket lookup on receive: __udp4_lib_lookup / __udp6_lib_lookup of the kernel, over the tables
// sock.ts keeps (layout drawn there):
//
//   0. (asked by udp.ts first) the early demux, udp4_demux_lookup / udp6_demux_lookup: the head of the
//      (address, port) hash2 chain alone, when it takes the datagram exactly — for PACKET_HOST frames
//      that came whole, not through lo; IPv6 only a connected head, IPv4 any (a datagram from 0.0.0.0:0);
//   1. hash4, connected sockets by the 4-tuple (udp4_lib_lookup4, 6.13's early demux table): walked only
//      while some socket of the protocol is connected;
//   2. hash2 by (destination address, port): udp4_lib_lookup2 scores each socket (compute_score) and the
//      best one wins — the first of equal scores, so the newest binding; a member of a reuseport group
//      hands over to the group's choice (inet_lookup_reuseport: the SK_REUSEPORT program, else
//      reciprocal_scale of the flow hash), unless the group has connected members (then scores decide);
//      a connected socket found here is the answer at once;
//   3. the sk_lookup programs (skLookupRun, sk_prog.ts; UDP only, not UDP-Lite): a socket they assign is
//      the answer (its reuseport group then chooses among its members unless BPF_SK_LOOKUP_F_NO_REUSEPORT),
//      SK_DROP means "no socket" (the kernel then answers as for a closed port: NoPorts and port unreachable);
//   4. a non-wildcard result of step 2;
//   5. hash2 by (wildcard address, port), scored likewise.
//
// compute_score (IPv4): -1 unless the port, the bound address (inet_rcv_saddr) and, when set, the peer
// address and port and the bound device all match, and the socket is not IPV6_V6ONLY; then 2 for an
// AF_INET socket (1 for a dual-stack AF_INET6 one) + 4 for a peer address + 4 for a peer port + 4 for a
// bound device + 1 when the socket last received on this worker (sk_incoming_cpu). IPv6: AF_INET6
// sockets only, exact bound address, 1 each for peer port, peer address, bound device, incoming cpu.
//
// Hashes: hash2 slots by a multiplicative mix of the address's IPv4 view (or the four words of a native
// IPv6 address) xor the port, so :: and 0.0.0.0 share a slot and ::ffff:a.b.c.d shares a.b.c.d's, as
// ipv6_portaddr_hash and ipv4_portaddr_hash do. The flow hash for reuseport is udp_ehashfn:
// jhash_3words(laddr, faddr, lport << 16 | fport, secret) (IPv6: the local address's last word and a
// jhash of the remote address), the secret settable (sk_hash_secret) where the kernel's is random.
//
// Reads: the tables, socket records (first 64 bytes, SKX links), reuseport groups. Sets: nothing.

import { jhash3w, mix32 } from '../maps/jhash';
import { netWorkerSlot } from './reclaim';
import { netScratch } from './core';
import {
  SK_BOUND_DEV_IF, SK_DADDR, SK_DPORT, SK_FAMILY, SK_FLAGS, SK_NUM, SK_RCV_SADDR, SK_REUSEPORT_GROUP, SK_STATE, SKF_IPV6ONLY,
  AF_INET6, TCP_ESTABLISHED, AF_INET, SCR_L4,
} from './abi';
import {
  H2_HEAD, H2_SHIFT, H2_SLOTS, H4_SLOTS, L4_SECRET, RG_HAS_CONNS, rgNum, RG_PROG, RG_SOCKS, SKX_DADDR4, SKX_INCOMING, SKX_NEXT2, SKX_NEXT4,
  SKX_RCV4, TB_CONNECTED, TB_HASH2, TB_HASH4, l4Root,
} from './sock';
import { skLookupAttached, skLookupNoReuseport, skLookupRun, skReuseportRun, SK_LOOKUP_DROP } from './sk_prog';
import { IPPROTO_UDP } from './inet';

/** What a lookup returns when the sk_lookup programs dropped the datagram (no socket, as the kernel). */
export const LOOKUP_NONE: u32 = 0;

@inline function addrWord6(a: u32): u32 {
  return mix32(load<u32>(a) ^ mix32(load<u32>(a + 4) ^ mix32(load<u32>(a + 8) ^ mix32(load<u32>(a + 12)))));
}

/**
 * The hash2 value of a binding: the address (IPv4 view, or the IPv6 words when native) and the port.
 * The port is xored in after the address's mix, as ipv4_portaddr_hash and ipv6_portaddr_hash do
 * (`hash ^ port`): the ports of one address never share a slot (each its own chain), so the lean
 * receive's lookup, which decides from a chain's head, decides them all.
 */
export function portaddrHash2(v6: bool, addr6: u32, v4: u32, port: u32): u32 {
  if (v6 && v4 == 0x0600007f) return addrWord6(addr6) ^ port;
  return mix32(v4 ^ 0x5bd1e995) ^ port;
}

@inline export function hash2Of4(addr: u32, port: u32): u32 {
  return hash2OfWord4(addrHash4(addr), port);
}

/** The mix of an IPv4 address hash2Of4 starts from (a burst's frames mostly share it). */
@inline export function addrHash4(addr: u32): u32 {
  return mix32(addr ^ 0x5bd1e995);
}

/** hash2Of4 from addrHash4's value `w`. */
@inline export function hash2OfWord4(w: u32, port: u32): u32 {
  return (w ^ port) & (H2_SLOTS - 1);
}

@inline export function hash2Of6(addr6: u32, port: u32): u32 {
  return hash2OfWord6(addrWord6(addr6), port);
}

/** The mix of a native IPv6 address's four words hash2Of6 starts from (a burst's frames mostly share it). */
@inline export function addrHash6(addr6: u32): u32 {
  return addrWord6(addr6);
}

/** hash2Of6 from addrHash6's value `w` (ipv6_portaddr_hash: the address's hash, then `^ port`). */
@inline export function hash2OfWord6(w: u32, port: u32): u32 {
  return (w ^ port) & (H2_SLOTS - 1);
}

/** The hash4 value of a connected socket's 4-tuple (local, peer); IPv4 views where the family has them. */
export function portHash4(v6: bool, laddr6: u32, l4: u32, lport: u32, raddr6: u32, r4: u32, rport: u32): u32 {
  if (v6 && l4 == 0x0600007f) return mix32(addrWord6(laddr6) ^ mix32(addrWord6(raddr6) ^ ((lport << 16) | rport)));
  return mix32(l4 ^ mix32(r4 ^ ((lport << 16) | rport)));
}

// ---- The flow hash (udp_ehashfn) ----

/** udp_ehashfn: laddr/faddr as stored (network order words), ports host order. */
@inline export function udpEhash4(laddr: u32, lport: u32, faddr: u32, fport: u32): u32 {
  return udpEhash4s(laddr, lport, faddr, fport, udpHashSecret());
}

/** udpEhash4 with the secret (udpHashSecret) given: a loop over a burst reads it once. */
@inline export function udpEhash4s(laddr: u32, lport: u32, faddr: u32, fport: u32, secret: u32): u32 {
  return jhash3w(laddr, faddr, (lport << 16) | bswap<u16>(<u16>fport), secret);
}

/** The flow hash's secret (sk_hash_secret). */
@inline export function udpHashSecret(): u32 {
  return load<u32>(l4Root() + L4_SECRET);
}

/** udp6_ehashfn: the local address's last word, a jhash of the remote one. */
@inline export function udpEhash6(laddr: u32, lport: u32, faddr: u32, fport: u32): u32 {
  return udpEhash6w(load<u32>(laddr + 12), lport, faddr, fport);
}

/** udpEhash6 with the local address's last word `lw` (as stored) given: 0 for the wildcard address. */
@inline export function udpEhash6w(lw: u32, lport: u32, faddr: u32, fport: u32): u32 {
  return udpEhash6f(lw, lport, udpFhash6(faddr), fport);
}

/** udp6_ehashfn's hash of the remote address at `faddr` (a burst's frames mostly share it: udp6_lean.ts keeps it). */
@inline export function udpFhash6(faddr: u32): u32 {
  const secret = load<u32>(l4Root() + L4_SECRET);
  return jhash3w(load<u32>(faddr) ^ load<u32>(faddr + 4), load<u32>(faddr + 8), load<u32>(faddr + 12), secret ^ 0x5bd1e995);
}

/** udp6_ehashfn from the local address's last word `lw` and the remote address's hash `fhash` (udpFhash6). */
@inline export function udpEhash6f(lw: u32, lport: u32, fhash: u32, fport: u32): u32 {
  return jhash3w(lw, fhash, (lport << 16) | bswap<u16>(<u16>fport), load<u32>(l4Root() + L4_SECRET));
}

// ---- Reuseport selection ----

/**
 * reuseport_select_sock for the group of `sk`: the SK_REUSEPORT program's choice, else
 * reuseport_select_sock_by_hash (reciprocal_scale of `hash`, skipping connected members).
 * Returns the chosen record, 0 when there is no group (the caller keeps sk), SK_LOOKUP_DROP.
 */
export function reuseportSelect(sk: u32, hash: u32, data: u32, len: u32): u32 {
  const g = load<u32>(sk + SK_REUSEPORT_GROUP);
  if (g == 0) return 0;
  const n = rgNum(g);
  if (n == 0) return 0;
  // no skb (data 0: an ICMP error's lookup, an XDP program's bpf_sk_lookup_udp): by hash, not the program
  if (load<u32>(g + RG_PROG) != 0 && data != 0) {
    const c = skReuseportRun(g, data, len, hash);
    if (c != 0) return c;
  }
  const a = load<u32>(g + RG_SOCKS);
  let i = <u32>((<u64>hash * <u64>n) >> 32);
  const j = i;
  do {
    const s = load<u32>(a + (i << 2));
    if (<u32>load<u8>(s + SK_STATE) != TCP_ESTABLISHED) return s;
    i++;
    if (i >= n) i = 0;
  } while (i != j);
  return 0;
}

@inline function reuseportHasConns(sk: u32): bool {
  const g = load<u32>(sk + SK_REUSEPORT_GROUP);
  return g != 0 && load<u32>(g + RG_HAS_CONNS) != 0;
}

// ---- IPv4 ----

/** udp_sk_bound_dev_eq without VRFs: an unbound socket takes any device, a bound one its own. */
@inline function devMatch(sk: u32, dif: u32): bool {
  const b = load<u32>(sk + SK_BOUND_DEV_IF);
  return b == 0 || b == dif;
}

@inline function incomingHere(sk: u32): bool {
  return load<u32>(sk + SKX_INCOMING) == netWorkerSlot() + 1;
}

/** compute_score (net/ipv4/udp.c). */
@inline export function score4(sk: u32, saddr: u32, sport: u32, daddr: u32, hnum: u32, dif: u32): i32 {
  if (<u32>load<u16>(sk + SK_NUM) != hnum || (<u32>load<u8>(sk + SK_FLAGS) & SKF_IPV6ONLY) != 0) return -1;
  if (load<u32>(sk + SKX_RCV4) != daddr) return -1;
  let score: i32 = <u32>load<u8>(sk + SK_FAMILY) == AF_INET ? 2 : 1;
  const pd = load<u32>(sk + SKX_DADDR4);
  if (pd != 0) {
    if (pd != saddr) return -1;
    score += 4;
  }
  const pp = <u32>load<u16>(sk + SK_DPORT);
  if (pp != 0) {
    if (pp != sport) return -1;
    score += 4;
  }
  if (!devMatch(sk, dif)) return -1;
  if (load<u32>(sk + SK_BOUND_DEV_IF) != 0) score += 4;
  if (incomingHere(sk)) score++;
  return score;
}

/**
 * udp4_lib_lookup2 / udp6_lib_lookup2 over one hash2 chain: addresses are values for IPv4, 16-byte
 * pointers for IPv6. 0: none; SK_LOOKUP_DROP: the reuseport program dropped.
 */
function lookup2(v6: bool, head: u32, saddr: u32, sport: u32, daddr: u32, hnum: u32, dif: u32, data: u32, len: u32): u32 {
  let result: u32 = 0;
  let badness: i32 = v6 ? -1 : 0; // IPv6 scores start at 0, IPv4 ones at 1 or 2
  let sk = head;
  while (sk != 0) {
    const score = v6 ? score6(sk, saddr, sport, daddr, hnum, dif) : score4(sk, saddr, sport, daddr, hnum, dif);
    if (score > badness) {
      badness = score;
      if (<u32>load<u8>(sk + SK_STATE) == TCP_ESTABLISHED) {
        result = sk;
      } else {
        const sel = load<u32>(sk + SK_REUSEPORT_GROUP) == 0 ? 0
          : reuseportSelect(sk, v6 ? udpEhash6(daddr, hnum, saddr, sport) : udpEhash4(daddr, hnum, saddr, sport), data, len);
        if (sel == 0) {
          result = sk;
        } else {
          if (!reuseportHasConns(sk)) return sel;
          if (sel != SK_LOOKUP_DROP) {
            // rescore the group's choice; it stays only when it scores as well
            result = sel;
            badness = v6 ? score6(sel, saddr, sport, daddr, hnum, dif) : score4(sel, saddr, sport, daddr, hnum, dif);
          }
        }
      }
    }
    sk = load<u32>(sk + SKX_NEXT2);
  }
  return result;
}

/**
 * udp_v4_early_demux's __udp4_lib_demux_lookup (ip_rcv_finish_core, before routing: unicast UDP, not a
 * fragment): the FIRST socket of the (daddr, port) hash2 chain, when inet_match takes it — its bound and
 * peer addresses and ports are the datagram's and its bound device `dif` (the receiving device) or none;
 * 0 otherwise. The kernel delivers to it without the full lookup (inet_steal_sock), so a connected socket
 * at a chain's head wins over a better-scoring or more recently connected one behind it (hash4's head).
 * Only a socket with a peer can match a datagram from a real address: callers ask while some socket is
 * connected, or for a datagram from 0.0.0.0 port 0.
 */
export function udp4_demux_lookup(t: u32, saddr: u32, sport: u32, daddr: u32, hnum: u32, dif: u32): u32 {
  const sk = load<u32>(load<u32>(t + TB_HASH2) + (hash2Of4(daddr, hnum) << H2_SHIFT) + H2_HEAD);
  if (sk == 0 || load<u32>(sk + SKX_RCV4) != daddr || load<u32>(sk + SKX_DADDR4) != saddr) return 0;
  if (<u32>load<u16>(sk + SK_NUM) != hnum || <u32>load<u16>(sk + SK_DPORT) != sport) return 0;
  return devMatch(sk, dif) ? sk : 0;
}

/** udp4_lib_lookup4: the connected socket of this exact 4-tuple, 0 when none. */
export function lookup4v4(t: u32, saddr: u32, sport: u32, daddr: u32, hnum: u32, dif: u32): u32 {
  if (load<u32>(t + TB_CONNECTED) == 0) return 0;
  const h = mix32(daddr ^ mix32(saddr ^ ((hnum << 16) | sport))) & (H4_SLOTS - 1);
  let sk = load<u32>(load<u32>(t + TB_HASH4) + (h << 2));
  while (sk != 0) {
    if (load<u32>(sk + SKX_RCV4) == daddr && load<u32>(sk + SKX_DADDR4) == saddr && <u32>load<u16>(sk + SK_NUM) == hnum &&
      <u32>load<u16>(sk + SK_DPORT) == sport && (<u32>load<u8>(sk + SK_FLAGS) & SKF_IPV6ONLY) == 0 && devMatch(sk, dif)) return sk;
    sk = load<u32>(sk + SKX_NEXT4);
  }
  return 0;
}

/**
 * __udp4_lib_lookup for a datagram saddr:sport → daddr:dport (addresses as stored, ports host order)
 * that came in on `dif`; `data`/`len`: the UDP header and its length (for the sk programs). The socket
 * record, or 0 (no socket; also when an sk_lookup program dropped it).
 */
export function udp4_lib_lookup(t: u32, protocol: u32, saddr: u32, sport: u32, daddr: u32, hnum: u32, dif: u32, data: u32, len: u32): u32 {
  const c = lookup4v4(t, saddr, sport, daddr, hnum, dif);
  if (c != 0) return c;
  const h2 = load<u32>(t + TB_HASH2);
  let result = lookup2(false, load<u32>(h2 + (hash2Of4(daddr, hnum) << H2_SHIFT) + H2_HEAD), saddr, sport, daddr, hnum, dif, data, len);
  if (result != 0 && result != SK_LOOKUP_DROP && <u32>load<u8>(result + SK_STATE) == TCP_ESTABLISHED) return result;
  // udp4_lookup_run_bpf: the sk_lookup programs see UDP only (udptable == net->ipv4.udp_table)
  if (protocol == IPPROTO_UDP) {
    const scratch = netScratch() + SCR_L4;
    store<u32>(scratch, saddr);
    store<u32>(scratch + 16, daddr);
    const a = skLookupRun(AF_INET, protocol, scratch, sport, scratch + 16, hnum, dif);
    if (a == SK_LOOKUP_DROP) return 0;
    if (a != 0) {
      // BPF_SK_LOOKUP_F_NO_REUSEPORT: the assigned socket itself, not its group's choice
      const sel = load<u32>(a + SK_REUSEPORT_GROUP) != 0 && !skLookupNoReuseport() ? reuseportSelect(a, udpEhash4(daddr, hnum, saddr, sport), data, len) : 0;
      if (sel == SK_LOOKUP_DROP) return 0;
      return sel != 0 ? sel : a;
    }
  }
  if (result != 0) return result == SK_LOOKUP_DROP ? 0 : result;
  if (daddr == 0) return 0;
  result = lookup2(false, load<u32>(h2 + (hash2Of4(0, hnum) << H2_SHIFT) + H2_HEAD), saddr, sport, 0, hnum, dif, data, len);
  return result == SK_LOOKUP_DROP ? 0 : result;
}

/**
 * score4(...) > 0 without the score: the socket takes the datagram at all (port, bound address, peer
 * address and port when set, device, not IPV6_V6ONLY). What the fast path asks of a chain's head: the
 * points (family, peer, device, incoming cpu) only rank candidates, and there the head is the only one.
 */
@inline export function matches4(sk: u32, saddr: u32, sport: u32, daddr: u32, hnum: u32, dif: u32): bool {
  if (<u32>load<u16>(sk + SK_NUM) != hnum || (<u32>load<u8>(sk + SK_FLAGS) & SKF_IPV6ONLY) != 0) return false;
  if (load<u32>(sk + SKX_RCV4) != daddr) return false;
  const pd = load<u32>(sk + SKX_DADDR4);
  if (pd != 0 && pd != saddr) return false;
  const pp = <u32>load<u16>(sk + SK_DPORT);
  if (pp != 0 && pp != sport) return false;
  return devMatch(sk, dif);
}

/**
 * udp4_lib_lookup with the common answers found without its general walk. While no socket of the
 * table is connected (hash4 empty, no member ESTABLISHED) and no sk_lookup program is attached (for
 * UDP), a hash2 chain whose head scores (≥ 1) is decided by that head as lookup2 decides it:
 *   - a member of a reuseport group without a program and without connected members: lookup2 returns
 *     the group's choice at this first scoring socket, and udp4_lib_lookup returns it (not ESTABLISHED,
 *     no programs to ask);
 *   - a socket alone on its chain and in no group: the only candidate, the result as is.
 * The exact (address, port) chain first; when its slot is empty, lookup2 there finds nothing and
 * udp4_lib_lookup goes on (no programs) to the wildcard chain, decided the same way. Anything else — a
 * head that does not score, a longer chain without a group, a group whose choice is 0 — goes through
 * udp4_lib_lookup. Same arguments and answer.
 */
export function udp4_lookup_fast(t: u32, protocol: u32, saddr: u32, sport: u32, daddr: u32, hnum: u32, dif: u32, data: u32, len: u32): u32 {
  if (load<u32>(t + TB_CONNECTED) == 0 && (protocol != IPPROTO_UDP || !skLookupAttached())) {
    const h2 = load<u32>(t + TB_HASH2);
    let head = load<u32>(h2 + (hash2Of4(daddr, hnum) << H2_SHIFT) + H2_HEAD);
    let laddr = daddr;
    if (head == 0 && daddr != 0) {
      head = load<u32>(h2 + (hash2Of4(0, hnum) << H2_SHIFT) + H2_HEAD);
      laddr = 0;
    }
    if (head != 0 && matches4(head, saddr, sport, laddr, hnum, dif)) {
      const g = load<u32>(head + SK_REUSEPORT_GROUP);
      if (g == 0) {
        if (load<u32>(head + SKX_NEXT2) == 0) return head;
      } else if (load<u32>(g + RG_PROG) == 0 && load<u32>(g + RG_HAS_CONNS) == 0) {
        // reuseport_select_sock_by_hash's first pick, taken here when it is not connected (the group
        // has no connected members, so it is not: the loop past it is reuseportSelect's)
        const n = rgNum(g);
        if (n != 0) {
          const hash = udpEhash4(laddr, hnum, saddr, sport);
          const s = load<u32>(load<u32>(g + RG_SOCKS) + (<u32>((<u64>hash * <u64>n) >> 32) << 2));
          if (<u32>load<u8>(s + SK_STATE) != TCP_ESTABLISHED) return s;
          const sel = reuseportSelect(head, hash, data, len);
          if (sel != 0) return sel;
        }
      }
    }
  }
  return udp4_lib_lookup(t, protocol, saddr, sport, daddr, hnum, dif, data, len);
}

// ---- IPv6 ----

@inline function eq6(a: u32, b: u32): bool {
  return load<u64>(a) == load<u64>(b) && load<u64>(a + 8) == load<u64>(b + 8);
}

@inline function any6(a: u32): bool {
  return (load<u64>(a) | load<u64>(a + 8)) == 0;
}

/** compute_score (net/ipv6/udp.c). */
@inline export function score6(sk: u32, saddr: u32, sport: u32, daddr: u32, hnum: u32, dif: u32): i32 {
  if (<u32>load<u16>(sk + SK_NUM) != hnum || <u32>load<u8>(sk + SK_FAMILY) != AF_INET6) return -1;
  if (!eq6(sk + SK_RCV_SADDR, daddr)) return -1;
  let score: i32 = 0;
  const pp = <u32>load<u16>(sk + SK_DPORT);
  if (pp != 0) {
    if (pp != sport) return -1;
    score++;
  }
  if (!any6(sk + SK_DADDR)) {
    if (!eq6(sk + SK_DADDR, saddr)) return -1;
    score++;
  }
  if (!devMatch(sk, dif)) return -1;
  if (load<u32>(sk + SK_BOUND_DEV_IF) != 0) score++;
  if (incomingHere(sk)) score++;
  return score;
}

/**
 * score6(...) ≥ 0 without the score (matches4's IPv6 twin): an AF_INET6 socket on port `hnum` bound to
 * the address at `daddr` (0: the wildcard address, as the wildcard chain is walked with), its peer
 * port and address when set, its device. An AF_INET socket never takes an IPv6 datagram; a dual-stack
 * or IPV6_V6ONLY one both do.
 */
@inline export function matches6(sk: u32, saddr: u32, sport: u32, daddr: u32, hnum: u32, dif: u32): bool {
  if (<u32>load<u16>(sk + SK_NUM) != hnum || <u32>load<u8>(sk + SK_FAMILY) != AF_INET6) return false;
  if (daddr != 0 ? !eq6(sk + SK_RCV_SADDR, daddr) : !any6(sk + SK_RCV_SADDR)) return false;
  const pp = <u32>load<u16>(sk + SK_DPORT);
  if (pp != 0 && pp != sport) return false;
  if (!any6(sk + SK_DADDR) && !eq6(sk + SK_DADDR, saddr)) return false;
  return devMatch(sk, dif);
}

export function lookup4v6(t: u32, saddr: u32, sport: u32, daddr: u32, hnum: u32, dif: u32): u32 {
  if (load<u32>(t + TB_CONNECTED) == 0) return 0;
  const h = portHash4(true, daddr, 0x0600007f, hnum, saddr, 0x0600007f, sport) & (H4_SLOTS - 1);
  let sk = load<u32>(load<u32>(t + TB_HASH4) + (h << 2));
  while (sk != 0) {
    if (<u32>load<u8>(sk + SK_FAMILY) == AF_INET6 && eq6(sk + SK_RCV_SADDR, daddr) && eq6(sk + SK_DADDR, saddr) &&
      <u32>load<u16>(sk + SK_NUM) == hnum && <u32>load<u16>(sk + SK_DPORT) == sport && devMatch(sk, dif)) return sk;
    sk = load<u32>(sk + SKX_NEXT4);
  }
  return 0;
}

/**
 * udp_v6_early_demux's __udp6_lib_demux_lookup (ip6_rcv_finish_core, before routing): the FIRST socket
 * of the (daddr, port) hash2 chain when it is connected (TCP_ESTABLISHED: unlike IPv4's, an unconnected
 * socket never matches, not even a datagram from [::]:0) and inet6_match takes it — AF_INET6, its bound
 * and peer addresses and ports the datagram's, its bound device `dif` (the receiving device) or none;
 * 0 otherwise. As udp4_demux_lookup: the kernel delivers to it without the full lookup, so a connected
 * socket heading its chain wins over one of the same 4-tuple at hash4's head (connected after it, an
 * IPv6 reuseport socket bound after it: hlist_add_tail_rcu). Callers ask while some socket is connected.
 */
export function udp6_demux_lookup(t: u32, saddr: u32, sport: u32, daddr: u32, hnum: u32, dif: u32): u32 {
  const sk = load<u32>(load<u32>(t + TB_HASH2) + (hash2Of6(daddr, hnum) << H2_SHIFT) + H2_HEAD);
  if (sk == 0 || <u32>load<u8>(sk + SK_STATE) != TCP_ESTABLISHED || <u32>load<u8>(sk + SK_FAMILY) != AF_INET6) return 0;
  if (<u32>load<u16>(sk + SK_NUM) != hnum || <u32>load<u16>(sk + SK_DPORT) != sport) return 0;
  if (!eq6(sk + SK_RCV_SADDR, daddr) || !eq6(sk + SK_DADDR, saddr)) return 0;
  return devMatch(sk, dif) ? sk : 0;
}

/** __udp6_lib_lookup: addresses are 16-byte pointers; otherwise as udp4_lib_lookup. */
export function udp6_lib_lookup(t: u32, protocol: u32, saddr: u32, sport: u32, daddr: u32, hnum: u32, dif: u32, data: u32, len: u32): u32 {
  const c = lookup4v6(t, saddr, sport, daddr, hnum, dif);
  if (c != 0) return c;
  const h2 = load<u32>(t + TB_HASH2);
  let result = lookup2(true, load<u32>(h2 + (hash2Of6(daddr, hnum) << H2_SHIFT) + H2_HEAD), saddr, sport, daddr, hnum, dif, data, len);
  if (result != 0 && result != SK_LOOKUP_DROP && <u32>load<u8>(result + SK_STATE) == TCP_ESTABLISHED) return result;
  if (protocol == IPPROTO_UDP) {
    const a = skLookupRun(AF_INET6, protocol, saddr, sport, daddr, hnum, dif);
    if (a == SK_LOOKUP_DROP) return 0;
    if (a != 0) {
      const sel = load<u32>(a + SK_REUSEPORT_GROUP) != 0 && !skLookupNoReuseport() ? reuseportSelect(a, udpEhash6(daddr, hnum, saddr, sport), data, len) : 0;
      if (sel == SK_LOOKUP_DROP) return 0;
      return sel != 0 ? sel : a;
    }
  }
  if (result != 0) return result == SK_LOOKUP_DROP ? 0 : result;
  if (any6(daddr)) return 0;
  // the wildcard slot: :: shares 0.0.0.0's hash2 value (ipv6_portaddr_hash of any is jhash_1word(0))
  result = lookup2(true, load<u32>(h2 + (hash2Of4(0, hnum) << H2_SHIFT) + H2_HEAD), saddr, sport, anyAddr(), hnum, dif, data, len);
  return result == SK_LOOKUP_DROP ? 0 : result;
}

@inline function anyAddr(): u32 {
  const a = netScratch() + SCR_L4 + 32; // 16 zero bytes of this worker's
  store<u64>(a, 0);
  store<u64>(a + 8, 0);
  return a;
}

