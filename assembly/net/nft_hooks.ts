// What nft's expressions need from conntrack, NAT and flowtables (nf_conntrack.ts, nf_nat.ts, nf_flow_table.ts), in one file
// so the evaluator reads the same whatever those stages become: the conntrack mark, a NAT binding for the
// connection (nft_nat_eval → nf_nat_setup_info, nft_masq_eval → nf_nat_masquerade, nft_redir_eval →
// nf_nat_redirect) and flowtable offload.
//
// The netdev family's fwd and dup (nf_dup_netdev.c) send the frame, or a copy of it, out of another device
// from its Ethernet header (netdev.ts netdev_xmit: the device's own transmit, no route, no neighbour). The ip and ip6
// families' dup to an address (nf_dup_ipv4.c / nf_dup_ipv6.c) routes a copy and sends it through LOCAL_OUT and
// POST_ROUTING (output.ts) from inside the chain, before the original goes on.
// notrack marks a packet that has no conntrack yet as untracked (nf_conntrack_in passes it by).
//
// Reads: the hook state (ct, oif) and the registers. Sets: the conntrack mark; the range nft hands NAT
// (nf_nat_range2 as nf_nat.ts reads it: +0 u32 flags | +4 min addr (16) | +20 max addr (16) | +36 u16 min
// proto | +38 u16 max proto, network order | +40 u16 base proto). Next: back to the evaluator.

import { FL_LABEL, FL_OIF, FL_PROTO, NFS_L4PROTO, FR_PREFIXLEN, RTN_ANYCAST, RTN_BLACKHOLE, RTN_MULTICAST, RTN_PROHIBIT, RTN_UNICAST, RTN_UNREACHABLE, FL_FAMILY, FL_IIF, FL_MARK, FL_TOS, FL_DST, FL_SRC, FL_SIZE, FR_INFO, FR_OIF, LOOPBACK_IFINDEX, ND_FLAGS, ND_NAME, IFF_LOOPBACK, AF_INET, AF_INET6, NDROP_NOMEM, NDROP_NOT_SPECIFIED, NFS_SIZE, SCR_NFT_DUP, FR_GW, FR_GW_FAMILY, FR_SIZE, FR_TYPE, RTN_LOCAL, NFS_CT, NFS_CTINFO, NFS_DATA, NFS_HOOK, NFS_IIF, NFS_LEN, NFS_MAC, NFS_MARK, NFS_OIF, NFS_PF, NFS_Q, NFS_ZONE, SCR_NFT } from './abi';
import { FRAME_SIZE, FRAME_TAILROOM_RESERVED, XDP_PACKET_HEADROOM } from '../abi';
import { frameAlloc } from '../umem';
import { reasmFrame } from './reasm';
import { netDrop, netFree, netScratch, netdevGet } from './core';
import { T_LINKLOCAL, T_MULTICAST, T_UNICAST, ipv6_addr_type, ipv6_chk_addr, netdev_xmit } from './netdev';
import { neigh_output } from './neigh';
import { CT_MARK, CT_STATUS, IP_CT_UNTRACKED } from './nf_conntrack';
import { nf_nat_masquerade, nf_nat_redirect, nf_nat_setup_info } from './nf_nat';
import { nf_flow_offload_eval } from './nf_flow_table';
import { IPH_FRAG_OFF, ipv4IsLbcast, ipv4IsLocalMulticast, ipv4IsMulticast, ipv4IsZeronet } from './inet';
import { ipSendCheck } from './csum';
import { OUT_RES, outLoopIifGet, outLoopIifSet, outOnLink, ip_route_output, ip_send_skb, ip6_local_out, ip6_route_output } from './output';
import { FA_NH, FA_NHS, NH_OIF, NH_SIZE, fib4_local_type, fib4_lookup_nopath_cold, fib6_lookup, fib_flow_buf, fib_res_buf } from './fib';
import { NF_INET_FORWARD, NF_INET_LOCAL_IN, NF_INET_LOCAL_OUT, NF_INET_PRE_ROUTING, nf_ct_attach_forget, nf_out_mark, nf_ct_set_untracked, nf_frag_geo_clear, nf_frag_max, nf_frag_max_get, nf_frag_max_set } from './netfilter';

const NF_ACCEPT: u32 = 1;
const NFTN_SNAT: u32 = 0;
const NFTN_DNAT: u32 = 1;
const NFTN_MASQ: u32 = 2;

export function nftCtMarkGet(ct: u32): u32 {
  return load<u32>(ct + CT_MARK);
}

/** `ct status`: the conntrack's IPS_* word as nf_conntrack keeps it (nft_ct_get_eval's NFT_CT_STATUS). */
export function nftCtStatusGet(ct: u32): u32 {
  return load<u32>(ct + CT_STATUS);
}

export function nftCtMarkSet(ct: u32, mark: u32): void {
  store<u32>(ct + CT_MARK, mark);
}

/**
 * nft_nat_eval / nft_masq_eval / nft_redir_eval: the range from the registers (`rw`: u8 min addr, max addr, min proto,
 * max proto register numbers, 0xff for none) into `range`, then the binding; its verdict. A packet
 * without a conntrack passes (nat chains run only for tracked connections).
 */
export function nftNat(st: u32, type: u32, flags: u32, rw: u32, regs: u32, range: u32): u32 {
  memory.fill(range, 0, 48);
  store<u32>(range, flags);
  const alen: u32 = <u32>load<u8>(st, NFS_PF) == 10 ? 16 : 4;
  const amin = rw & 0xff;
  const amax = (rw >>> 8) & 0xff;
  const pmin = (rw >>> 16) & 0xff;
  const pmax = rw >>> 24;
  if (amin != 0xff) {
    memory.copy(range + 4, regs + (amin << 2), alen);
    memory.copy(range + 20, regs + (amax << 2), alen);
  }
  if (pmin != 0xff) {
    store<u16>(range + 36, load<u16>(regs + (pmin << 2)));
    store<u16>(range + 38, load<u16>(regs + (pmax << 2)));
  }
  const ct = load<u32>(st, NFS_CT);
  if (ct == 0) return NF_ACCEPT;
  if (type == NFTN_SNAT || type == NFTN_DNAT) return nf_nat_setup_info(ct, range, type);
  if (type == NFTN_MASQ) return nf_nat_masquerade(ct, range, load<u32>(st, NFS_OIF));
  return nf_nat_redirect(ct, range, <u32>load<u8>(st, NFS_HOOK), load<u32>(st, NFS_IIF)); // NFTN_REDIR
}

/** nft_flow_offload_eval: an established connection offloaded into flowtable `ft` - 1 (0: none); the packet goes on. */
export function nftFlowAdd(st: u32, ft: u32): void {
  if (ft != 0) nf_flow_offload_eval(st, ft - 1);
}

/**
 * nft_notrack_eval: a packet with a conntrack (a zone's template too: `ct zone set` before it), or untracked already,
 * is left as it is ("Previously seen").
 */
export function nftNotrack(st: u32): void {
  if (load<u32>(st, NFS_CT) != 0 || load<u32>(st, NFS_ZONE) != 0 || <u32>load<u8>(st, NFS_CTINFO) == IP_CT_UNTRACKED) return;
  store<u8>(st + NFS_CTINFO, <u8>IP_CT_UNTRACKED);
}

/**
 * nf_fwd_netdev_egress (`dup` false: the frame itself; the caller's verdict is NF_STOLEN) or nf_dup_netdev_egress
 * (a copy in a frame of its own; the original goes on): the whole frame, from its Ethernet header, out of
 * `ifindex`. The transmit waits until the chains of this hook are done (nftFwdDrain): it runs the target's egress
 * chains over the same hook state, registers and jump stack the evaluator is using. A copy that finds no frame,
 * or no room in the list, is a NOMEM drop. From an egress chain the frame skips the target's egress chains
 * (nf_do_netdev_egress: nf_skip_egress), so a chain cannot send a frame around forever.
 */
export function nftFwd(st: u32, ifindex: u32, dup: bool): void {
  const mac = load<u32>(st, NFS_MAC);
  const len = load<u32>(st, NFS_DATA) + load<u32>(st, NFS_LEN) - mac;
  const skip: u32 = <u32>load<u8>(st, NFS_HOOK) == 1 ? 1 : 0; // NF_NETDEV_EGRESS
  let f = mac;
  let q = load<u32>(st, NFS_Q);
  if (dup) {
    f = fwdN < FWD_MAX && len <= FRAME_SIZE - XDP_PACKET_HEADROOM - FRAME_TAILROOM_RESERVED ? frameAlloc() : 0;
    if (f == 0) {
      netDrop(NDROP_NOMEM);
      return;
    }
    f += XDP_PACKET_HEADROOM;
    memory.copy(f, mac, len);
    q = 0;
  } else if (fwdN == FWD_MAX) {
    netFree(q, mac);
    netDrop(NDROP_NOMEM);
    return;
  }
  fwdPush(f, len, ifindex | (skip << 31), q);
}

/**
 * A frame of the chain's own making (nft_reject_netdev's answer: `f` its Ethernet header, XDP_PACKET_HEADROOM into a
 * frame the caller took with frameAlloc) out of `ifindex` now, from inside the rule, as nft_reject_queue_xmit's
 * dev_queue_xmit sends it — the device's egress chains included — after what this hook's earlier rules fwd'd or dup'd
 * (they left before in the kernel too). Those chains reuse the hook state, registers and jump stack of the chain that
 * rejects: the caller's verdict is NF_DROP, which reads none of them. Not through the list: an answer behind FWD_MAX
 * copies still leaves (Linux 6.18, measured with 16).
 */
export function nftFwdOwnNow(f: u32, len: u32, ifindex: u32): void {
  if (fwdN != fwdFrom) nftFwdDrain(fwdFrom);
  netdev_xmit(ifindex, 0, f, len, false);
}

/** The list's next entry (room checked by the caller): frame, length, ifindex | skip-egress << 31, queue (0: a pool frame). */
@inline function fwdPush(f: u32, len: u32, dev: u32, q: u32): void {
  const e = fwdList() + fwdN * 16;
  store<u32>(e, f);
  store<u32>(e, len, 4);
  store<u32>(e, dev, 8);
  store<u32>(e, q, 12);
  fwdN++;
}

/**
 * nft_fwd_neigh_eval (`fwd ip to ADDR device DEV`, `fwd ip6 …`): a packet of that family (skb->protocol: the
 * Ethernet type before the network header) with a TTL / hop limit above 1 has it lowered (ip_decrease_ttl, the
 * checksum patched) and leaves by the device to the neighbour `addr` (neigh_xmit: resolved, or queued while it is):
 * FWDN_STOLEN; one of 1 or less FWDN_DROP (Linux 6.18 drops it, measured); one of another family FWDN_BREAK (the
 * rule goes no further); to a device removed since, FWDN_DROP too. Sent when the hook's chains are done, as fwd's
 * frames are; a full list is a NOMEM drop.
 */
export const FWDN_BREAK: u32 = 0;
export const FWDN_STOLEN: u32 = 1;
export const FWDN_DROP: u32 = 2;
export function nftFwdNeigh(st: u32, ifindex: u32, addr: u32, v6: bool): u32 {
  const l3 = load<u32>(st, NFS_DATA);
  if (<u32>bswap<u16>(load<u16>(l3 - 2)) != (v6 ? 0x86dd : 0x0800)) return FWDN_BREAK;
  // a device gone since the rule was loaded: NF_DROP (Linux 6.18.44 counts NETFILTER_DROP, measured; older sources
  // returned with the verdict untouched and the rule went on)
  if (<u32>load<u8>(l3 + (v6 ? 7 : 8)) <= 1 || netdevGet(ifindex) == 0) return FWDN_DROP;
  // the new Ethernet header goes where the last 14 bytes before the network header are (a VLAN tag is left behind)
  const f = l3 - 14;
  const q = load<u32>(st, NFS_Q);
  if (fwdN == FWD_MAX) {
    netFree(q, load<u32>(st, NFS_MAC));
    netDrop(NDROP_NOMEM);
    return FWDN_STOLEN;
  }
  if (v6) store<u8>(l3 + 7, load<u8>(l3 + 7) - 1);
  else {
    const c: u32 = <u32>load<u16>(l3 + 10) + 1; // check += htons(0x0100), on a little-endian load
    store<u16>(l3 + 10, <u16>(c + (c >= 0xffff ? 1 : 0)));
    store<u8>(l3 + 8, load<u8>(l3 + 8) - 1);
  }
  const e = fwdList() + fwdN * 16;
  store<u32>(e, f);
  store<u32>(e, load<u32>(st, NFS_LEN) + 14, 4);
  store<u32>(e, ifindex | FWD_NEIGH | (v6 ? FWD_NEIGH6 : 0), 8);
  store<u32>(e, q, 12);
  memory.copy(fwdAddrs() + fwdN * 16, addr, 16);
  fwdN++;
  return FWDN_STOLEN;
}

/** A copy is being sent through the hooks: a dup among its own chains does nothing (nf_skb_duplicated). */
let dupping = false;
/**
 * nft_dup_ipv4_eval / nft_dup_ipv6_eval → nf_dup_ipv4 / nf_dup_ipv6 (`dup to ADDR [device DEV]`, the ip and ip6
 * families): a copy of the packet in a frame of its own, untracked, its TTL / hop limit lowered at PRE_ROUTING and
 * LOCAL_IN (with no check: 0 wraps to 255) and, IPv4, DF set and the checksum made again; routed to `addr` (out of
 * `oif` when not 0: a route through that device, else on link; FLOWI_FLAG_KNOWN_NH: the neighbour is `addr` itself
 * unless the route names a gateway) and sent now through LOCAL_OUT and POST_ROUTING (ip_local_out), before the
 * original goes on. The copy's chains run inside this one's: what they overwrite of the hook state, registers and
 * jump stack is kept and put back, and a dup among them does nothing (nf_skb_duplicated). No route: the copy is
 * freed (kfree_skb, NOT_SPECIFIED); no frame: NOMEM.
 */
export function nftDup(st: u32, oif: u32, addr: u32, v6: bool): void {
  if (dupping) return;
  const data = load<u32>(st, NFS_DATA);
  const len = load<u32>(st, NFS_LEN);
  // pskb_copy: a datagram conntrack reassembled past a pool frame is copied whole (a big frame, as reassembly's)
  const d = reasmFrame(len);
  if (d == 0) {
    netDrop(NDROP_NOMEM);
    return;
  }
  memory.copy(d, data, len);
  // the copy keeps IPCB / IP6CB (frag_max_size) and shares the frag_list, so a reassembled datagram's copy is cut
  // again at frag_max_size on ip_do_fragment's slow path (shared fragments), not dropped for its DF (which the
  // fragments do not carry) — Linux 6.18, measured. The hook run's frag_max_size is the datagram's where it entered
  // (PRE_ROUTING, LOCAL_OUT), else its frame's record.
  const hook = <u32>load<u8>(st, NFS_HOOK);
  const fmax = nf_frag_max_get();
  const fmaxCopy = hook == NF_INET_PRE_ROUTING || hook == NF_INET_LOCAL_OUT ? fmax : nf_frag_max(data, len);
  nf_frag_geo_clear(d, len);
  // kept while the copy is routed and passes the hooks: this hook's state, registers and jump stack, and the output
  // route (a datagram of the stack's own is at LOCAL_OUT or POST_ROUTING with its route there, read once they are done)
  // with the device a local route named (ip_send_skb / ip6_local_out hand it to what the datagram reaches through lo)
  const keep = netScratch() + SCR_NFT_DUP;
  memory.copy(keep, st, NFS_SIZE);
  memory.copy(keep + DUP_KEEP_REGS, netScratch() + SCR_NFT, DUP_REGS_BYTES);
  memory.copy(keep + DUP_KEEP_ROUTE, OUT_RES(), FR_SIZE);
  const loopIif = outLoopIifGet();
  const early = hook == NF_INET_PRE_ROUTING || hook == NF_INET_LOCAL_IN;
  let routed: bool;
  if (v6) {
    if (early) store<u8>(d + 7, load<u8>(d + 7) - 1);
    memory.fill(DUP_SRC6(), 0, 16);
    // nf_dup_ipv6_route: fl6.flowlabel = ((flow_lbl[0] & 0xF) << 16) | (flow_lbl[1] << 8) | flow_lbl[2], a host-order
    // value in the __be32 (not swapped): the lookup sees the label's bytes reversed in the flowinfo word, no traffic
    // class — fib6_rule_match's ip6_dscp reads (label & 0xf) << 4 | (label >> 12 & 0xf) there, the multipath hash
    // the word & IPV6_FLOWLABEL_MASK. Stored as a little-endian host (x86, arm64) does.
    const label = ((<u32>load<u8>(d + 1) & 0xf) << 16) | (<u32>load<u8>(d + 2) << 8) | <u32>load<u8>(d + 3);
    routed = ip6_route_output(addr, DUP_SRC6(), 0, 0, 0, oif, false, true, 0, 0, label);
  } else {
    store<u8>(d + IPH_FRAG_OFF, load<u8>(d + IPH_FRAG_OFF) | 0x40); // htons(IP_DF)
    if (early) store<u8>(d + 8, load<u8>(d + 8) - 1);
    ipSendCheck(d, (<u32>load<u8>(d) & 0xf) << 2);
    routed = ip_route_output(load<u32>(addr), 0, <u32>load<u8>(d + 1), 0, 0, 0, true, 0, 0, oif);
  }
  if (!routed) {
    netFree(0, d);
    netDrop(NDROP_NOT_SPECIFIED);
  } else {
    // FLOWI_FLAG_KNOWN_NH: a route without a gateway is not cached, its next hop the flow's destination
    // (rt_set_nexthop: rt_gw4 = daddr; ip6_pol_route: ip6_rt_cache_alloc for it), so the copy goes to `addr`, not to
    // its own destination — but for IPv4's on-link guess out of `oif`, which had no route to set it from (its
    // neighbour is the copy's destination: Linux 6.18 asks for that, measured)
    const res = OUT_RES();
    if (<u32>load<u8>(res, FR_GW_FAMILY) == 0 && <u32>load<u8>(res, FR_TYPE) != RTN_LOCAL && (v6 || !outOnLink)) {
      memory.copy(res + FR_GW, addr, v6 ? 16 : 4);
      store<u8>(res, <u8>(v6 ? AF_INET6 : AF_INET), FR_GW_FAMILY);
    }
    dupping = true;
    nf_ct_set_untracked(d, fmaxCopy);
    // pskb_copy keeps the original's skb->mark: the copy's from its LOCAL_OUT on
    nf_out_mark(d, load<u32>(keep, NFS_MARK));
    if (v6) ip6_local_out(0, d, len);
    else ip_send_skb(0, d, len);
    // LOCAL_OUT took it or never ran (its frame is gone: nothing may find it armed)
    nf_ct_attach_forget();
    dupping = false;
    nf_frag_max_set(fmax);
  }
  memory.copy(st, keep, NFS_SIZE);
  memory.copy(netScratch() + SCR_NFT, keep + DUP_KEEP_REGS, DUP_REGS_BYTES);
  memory.copy(OUT_RES(), keep + DUP_KEEP_ROUTE, FR_SIZE);
  outLoopIifSet(loopIif);
}
// What nftDup keeps at SCR_NFT_DUP (abi.ts draws it): the hook state at +0, then these
const DUP_KEEP_REGS: u32 = 64; //   the registers and jump stack (SCR_NFT's first DUP_REGS_BYTES)
const DUP_REGS_BYTES: u32 = 192;
const DUP_KEEP_ROUTE: u32 = 256; // the output route (OUT_RES, FR_SIZE)
const DUP_KEEP_SRC6: u32 = 320; //  the source ip6_route_output writes for the copy (unused: the copy keeps its own)
@inline function DUP_SRC6(): u32 {
  return netScratch() + SCR_NFT_DUP + DUP_KEEP_SRC6;
}

// The frames fwd and dup hand out, in order, until their hook's chains are done: FWD_MAX × (u32 frame, u32 len,
// u32 ifindex | skip-egress << 31 | to a neighbour << 30 | IPv6 << 29, u32 queue), and a neighbour's address
// (16 bytes) for each. A transmit runs the target's egress chains, whose own fwd / dup go above the entries being
// sent and are sent by that inner hook (a stack: `from` is where a hook's entries begin).
const FWD_MAX: u32 = 16;
const FWD_NEIGH: u32 = 1 << 30;
const FWD_NEIGH6: u32 = 1 << 29;
// (in the worker's scratch, nft_eval.ts's SCR_NFT + 512, the addresses at + 768: each worker sends its own)
@inline function fwdList(): u32 {
  return netScratch() + SCR_NFT + 512;
}
@inline function fwdAddrs(): u32 {
  return netScratch() + SCR_NFT + 768;
}
let fwdN: u32 = 0;
/** Where the running hook's entries begin (nftFwdHook), for a frame sent from inside its chains (nftFwdOwnNow). */
let fwdFrom: u32 = 0;

/** Where the next hook's fwd / dup entries begin (nf_netdev_hook keeps it to drain its own). */
@inline export function nftFwdMark(): u32 {
  return fwdN;
}

/** A hook run whose entries begin at `from` starts (or, given back what this returned, the one around it goes on). */
@inline export function nftFwdHook(from: u32): u32 {
  const outer = fwdFrom;
  fwdFrom = from;
  return outer;
}

/** The fwd / dup entries from `from` on, out in order (netdev_xmit; the egress chains skipped where marked). */
export function nftFwdDrain(from: u32): void {
  const end = fwdN;
  for (let i = from; i < end; i++) {
    const e = fwdList() + i * 16;
    const w = load<u32>(e, 8);
    if ((w & FWD_NEIGH) != 0) {
      neigh_output((w & FWD_NEIGH6) != 0 ? AF_INET6 : AF_INET, w & 0x1fffffff, fwdAddrs() + i * 16, load<u32>(e, 12), load<u32>(e), load<u32>(e, 4));
      continue;
    }
    netdev_xmit(w & 0x7fffffff, load<u32>(e, 12), load<u32>(e), load<u32>(e, 4), (w >>> 31) != 0);
  }
  fwdN = from;
}

// ---- nft_fib (net/ipv4/netfilter/nft_fib_ipv4.c, net/netfilter/nft_fib.c) ----

const NFTA_FIB_F_DADDR: u32 = 2;
const NFTA_FIB_F_MARK: u32 = 4;
const NFTA_FIB_F_IIF: u32 = 8;
const NFTA_FIB_F_OIF: u32 = 16;
const NFTA_FIB_F_PRESENT: u32 = 32;
const NFT_FIB_RESULT_OIFNAME: u32 = 2;
const NFT_FIB_RESULT_ADDRTYPE: u32 = 3;

/** nft_fib_store_result: device `dev`'s (0: none) ifindex, name, or with PRESENT whether there is one. */
function fibStore(reg: u32, result: u32, flags: u32, dev: u32): void {
  if ((flags & NFTA_FIB_F_PRESENT) != 0) {
    store<u32>(reg, dev != 0 ? 1 : 0);
    return;
  }
  if (result != NFT_FIB_RESULT_OIFNAME) {
    store<u32>(reg, dev);
    return;
  }
  const nd = dev != 0 ? netdevGet(dev) : 0;
  if (nd != 0) memory.copy(reg, nd + ND_NAME, 16);
  else memory.fill(reg, 0, 16);
}

/** ipv4_is_multicast || ipv4_is_lbcast || ipv4_is_zeronet of a network-order address (get_saddr's test). */
@inline function fibNoSaddr(a: u32): bool {
  return ipv4IsMulticast(a) || ipv4IsLbcast(a) || ipv4IsZeronet(a);
}

/**
 * nft_fib4_eval and nft_fib4_eval_type for the IPv4 packet the hook state `st` describes, into `reg`: the route
 * back to the source (saddr) or on to the destination (daddr) looked up through the rules, its device (or with
 * iif / oif: that device if the route has a next hop through it, else none), its name, whether there is one; or
 * the address's type in table local (inet_dev_addr_type, with iif / oif: through that device). False when the
 * packet has no IPv4 header (NFT_BREAK).
 */
export function nftFib4(st: u32, reg: u32, result: u32, flags: u32): bool {
  if (<u32>load<u8>(st, NFS_PF) == 10) return nftFib6(st, reg, result, flags);
  const iph = load<u32>(st, NFS_DATA);
  if (load<u32>(st, NFS_LEN) < 20) return false;
  const iif = load<u32>(st, NFS_IIF);
  const oifDev = (flags & NFTA_FIB_F_OIF) != 0 ? load<u32>(st, NFS_OIF) : (flags & NFTA_FIB_F_IIF) != 0 ? iif : 0;
  const saddr = load<u32>(iph, 12);
  const daddr = load<u32>(iph, 16);
  if (result == NFT_FIB_RESULT_ADDRTYPE) {
    store<u32>(reg, fib4_local_type((flags & NFTA_FIB_F_DADDR) != 0 ? daddr : saddr, oifDev));
    return true;
  }
  const hook = <u32>load<u8>(st, NFS_HOOK);
  // nft_fib_can_skip: at prerouting and input a loopback device's packets are the input device's (6.18: input too —
  // a reverse path filter in an input chain passes the host's own datagrams, tests/nf/nft_fib_loopback_kernel)
  if (hook == NF_INET_PRE_ROUTING || hook == NF_INET_LOCAL_IN) {
    const nd = netdevGet(iif);
    if (nd != 0 && (load<u32>(nd + ND_FLAGS) & IFF_LOOPBACK) != 0) {
      fibStore(reg, result, flags, iif);
      return true;
    }
  }
  // from 0.0.0.0 to the limited broadcast or 224.0.0.0/24 (DHCP, IGMP): skb->dev's (the input device here)
  if (saddr == 0 && (ipv4IsLbcast(daddr) || ipv4IsLocalMulticast(daddr))) {
    fibStore(reg, result, flags, iif);
    return true;
  }
  const fl = fib_flow_buf();
  const res = fib_res_buf();
  memory.fill(fl, 0, FL_SIZE);
  store<u8>(fl + FL_FAMILY, <u8>AF_INET);
  store<u32>(fl + FL_IIF, LOOPBACK_IFINDEX);
  // flowi4_proto = pkt->tprot: rules by protocol (`ip rule … ipproto udp`) pick the table (no ports: 0, as the kernel's)
  store<u8>(fl + FL_PROTO, load<u8>(st, NFS_L4PROTO));
  if ((flags & NFTA_FIB_F_MARK) != 0) store<u32>(fl + FL_MARK, load<u32>(st, NFS_MARK));
  store<u8>(fl + FL_TOS, load<u8>(iph, 1) & 0xfc);
  if ((flags & NFTA_FIB_F_DADDR) != 0) {
    store<u32>(fl + FL_DST, daddr);
    store<u32>(fl + FL_SRC, fibNoSaddr(saddr) ? 0 : saddr);
  } else {
    if (hook == NF_INET_FORWARD && (flags & NFTA_FIB_F_IIF) != 0) store<u32>(fl + FL_IIF, load<u32>(st, NFS_OIF));
    store<u32>(fl + FL_DST, saddr);
    store<u32>(fl + FL_SRC, fibNoSaddr(daddr) ? 0 : daddr);
  }
  fibStore(reg, result, flags, 0);
  if (fib4_lookup_nopath_cold(fl, res) != 0) return true;
  if (<u32>load<u8>(res + FR_TYPE) == RTN_LOCAL) return true;
  const fa = load<u32>(res + FR_INFO);
  if (oifDev == 0) {
    fibStore(reg, result, flags, load<u32>(res + FR_OIF));
    return true;
  }
  // fib_info_nh_uses_dev: any next hop of the route through the device
  const n = load<u32>(fa + FA_NHS);
  for (let k: u32 = 0; k < n; k++) {
    if (load<u32>(fa + FA_NH + k * NH_SIZE + NH_OIF) == oifDev) {
      fibStore(reg, result, flags, oifDev);
      return true;
    }
  }
  return true;
}

/**
 * nft_fib6_eval (net/ipv6/netfilter/nft_fib_ipv6.c) for oif / oifname: ip6_route_lookup of the source (saddr) or
 * the destination (daddr) through the rules — strict to the device for a link-local one —, the route's device
 * unless it is local, anycast or a reject route; with iif / oif that device if the route goes through it. `type`:
 * nft_fib6_eval_type (fib6Type).
 */
function nftFib6(st: u32, reg: u32, result: u32, flags: u32): bool {
  const iph = load<u32>(st, NFS_DATA);
  if (load<u32>(st, NFS_LEN) < 40) return false;
  const iif = load<u32>(st, NFS_IIF);
  const oifDev = (flags & NFTA_FIB_F_IIF) != 0 ? iif : (flags & NFTA_FIB_F_OIF) != 0 ? load<u32>(st, NFS_OIF) : 0;
  const hook = <u32>load<u8>(st, NFS_HOOK);
  if ((hook == NF_INET_PRE_ROUTING || hook == NF_INET_LOCAL_IN) && result != NFT_FIB_RESULT_ADDRTYPE) {
    const nd = netdevGet(iif);
    if (nd != 0 && (load<u32>(nd + ND_FLAGS) & IFF_LOOPBACK) != 0) {
      fibStore(reg, result, flags, iif);
      return true;
    }
  }
  const fl = fib_flow_buf();
  const res = fib_res_buf();
  memory.fill(fl, 0, FL_SIZE);
  store<u8>(fl + FL_FAMILY, <u8>AF_INET6);
  store<u32>(fl + FL_IIF, LOOPBACK_IFINDEX);
  store<u8>(fl + FL_PROTO, load<u8>(st, NFS_L4PROTO)); // flowi6_proto = pkt->tprot (nft_fib6_eval, _eval_type)
  if ((flags & NFTA_FIB_F_DADDR) != 0) {
    memory.copy(fl + FL_DST, iph + 24, 16);
    memory.copy(fl + FL_SRC, iph + 8, 16);
  } else {
    if (hook == NF_INET_FORWARD && (flags & NFTA_FIB_F_IIF) != 0) store<u32>(fl + FL_IIF, load<u32>(st, NFS_OIF));
    memory.copy(fl + FL_DST, iph + 8, 16);
    memory.copy(fl + FL_SRC, iph + 24, 16);
  }
  let iface = false;
  if ((ipv6_addr_type(fl + FL_DST) & T_LINKLOCAL) != 0) {
    iface = true;
    store<u32>(fl + FL_OIF, oifDev != 0 ? oifDev : iif);
  }
  if ((flags & NFTA_FIB_F_MARK) != 0) store<u32>(fl + FL_MARK, load<u32>(st, NFS_MARK));
  store<u32>(fl + FL_LABEL, load<u32>(iph) & 0xffffff0f); // IPV6_FLOWINFO_MASK, network order
  if (result == NFT_FIB_RESULT_ADDRTYPE) {
    store<u32>(reg, fib6Type(fl, res, oifDev, iface));
    return true;
  }
  fibStore(reg, result, flags, 0);
  if (fib6_lookup(fl, res, iface, true) != 0) return true;
  const type = <u32>load<u8>(res + FR_TYPE);
  if (type == RTN_LOCAL || type == RTN_ANYCAST) return true;
  const dev = load<u32>(res + FR_OIF);
  if (oifDev == 0 || dev == oifDev) fibStore(reg, result, flags, dev);
  return true;
}

/**
 * __nft_fib6_eval_type for the flow `fl` (its destination the address asked about), `dev` the iif / oif device
 * (0: none): RTN_LOCAL when the address is one of that device's (not tentative: nf_ipv6_chk_addr strict); the
 * route (nf_ip6_route, an output lookup): a reject route's or no route's error as its type (EINVAL blackhole,
 * EACCES prohibit, else unreachable), RTN_ANYCAST for an anycast route or a connected route's own prefix address
 * (ipv6_anycast_destination: the subnet-router anycast), RTN_LOCAL for a local route without a device; else
 * multicast or unicast by ipv6_addr_type, RTN_UNSPEC for the rest (::, v4-mapped).
 */
function fib6Type(fl: u32, res: u32, dev: u32, iface: bool): u32 {
  let ret: u32 = 0;
  if (dev != 0 && ipv6_chk_addr(dev, fl + FL_DST, false) != 0) ret = RTN_LOCAL;
  const err = fib6_lookup(fl, res, iface, true);
  if (err != 0) return err == -22 ? RTN_BLACKHOLE : err == -13 ? RTN_PROHIBIT : RTN_UNREACHABLE;
  const type = <u32>load<u8>(res + FR_TYPE);
  if (type == RTN_ANYCAST || (type == RTN_UNICAST && load<u8>(res + FR_GW_FAMILY) == 0 && hostBitsZero6(fl + FL_DST, <u32>load<u8>(res + FR_PREFIXLEN)))) ret = RTN_ANYCAST;
  else if (dev == 0 && type == RTN_LOCAL) ret = RTN_LOCAL;
  if (ret != 0) return ret;
  const t = ipv6_addr_type(fl + FL_DST);
  return (t & T_MULTICAST) != 0 ? RTN_MULTICAST : (t & T_UNICAST) != 0 ? RTN_UNICAST : 0;
}

/** The 16 bytes at `a` have no bit set past the first `plen`, and plen < 127 (ipv6_anycast_destination's test). */
function hostBitsZero6(a: u32, plen: u32): bool {
  if (plen >= 127) return false;
  for (let i: u32 = plen >> 3; i < 16; i++) {
    let b = <u32>load<u8>(a + i);
    if (i == plen >> 3) b &= 0xff >> (plen & 7);
    if (b != 0) return false;
  }
  return true;
}
