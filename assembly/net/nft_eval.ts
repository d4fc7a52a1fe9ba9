// nf_tables' evaluator (net/netfilter/nf_tables_core.c nft_do_chain): a chain's rules as compact
// expression programs, run over the hook state netfilter.ts fills. The programs are nft's own model:
// expressions load into 32-bit registers (payload, meta, ct, immediate), compare them (cmp, range,
// lookup in a set, after bitwise / byteorder), act (counter, meta/ct set, nat, reject, flow offload) or
// set the verdict register (accept, drop, jump, goto, return). An expression that does not match
// breaks out of its rule (NFT_BREAK); a rule that runs to its end without a verdict continues with the
// next; the end of a base chain is its policy, the end of a regular chain returns to the rule after the
// jump (a stack of NFT_JUMP_STACK_SIZE frames).
//
// The ruleset blob (src/control/nft_compile.ts builds it; one block, published by one aligned store of
// its address at root + NR_NFT, so a worker sees the whole old or the whole new ruleset):
//
//   +0 u32 magic 'NFTB' | +4 u32 size | +8 u32 slots | +12 reserved
//   +16 slots × u32: the chain of each slot id (offset from the blob, 0: none in this generation)
//   chain: +0 u32 policy (NF_DROP 0, NF_ACCEPT 1; NFTC_REGULAR for a regular chain) | +4 reserved
//          then its rules: +0 u32 rule size in bytes (0: end of chain) | expressions up to the size
//   expression: word 0 = op | reg << 8 | len << 16 | x << 24, then operands (EXPR_* below)
//   set: +0 u32 key length in bytes (| fields << 16 | SET_EXT) | +4 u32 count | count × (low, high) keys each
//        padded to 4 bytes, sorted and disjoint: a plain element is [k, k], an interval or prefix its bounds; with
//        fields (a concatenation's per-field intervals, the kernel's pipapo: bit w - 1 set where a field begins at
//        4-byte word w) in the order they were added, each field compared with its own bounds, and a lookup index
//        laid before the header (fieldsFind) | with SET_EXT
//        (a named set whose elements have timeouts or counters) count × (u64 expiry in ms on the stack clock,
//        0 never | u32 counter address, 0 none | u32 0) | then a map's data
//
// Reads: the hook state (SCR_NF: hook, pf, l4proto, ctinfo, iif, oif, data, len, ct, thoff, mark, mac), the
// blob. Sets: the hook state's mark, the conntrack's mark, rule counters, NAT bindings (ct15's nf_nat),
// flowtable entries (ct15's nf_flow_table). Verdicts go back to netfilter.ts (NF_DROP: it frees the frame
// and counts NETFILTER_DROP); reject sends its ICMP error or TCP reset first (nft_reject.ts).

import { JIFFY_MS, netRoot, netScratch, netDrop, netdevGet, netNow, netRealtimeMs } from './core';
import {
  ND_FLAGS, ND_NAME, IFF_LOOPBACK, NDROP_NFT_JUMP_STACK, NFS_CT, NFS_CTINFO, NFS_HOOK, NFS_IIF, NFS_L4PROTO, NFS_LEN, NFS_MARK, NFS_OIF, NFS_PF, NFS_DATA,
  NFS_LLEN, NFS_MAC, NFS_PKTTYPE, NFS_PROTO, NFS_THOFF, NFS_ZONE, NFS_ZONE_TMPL, NR_NFT, SCR_NF, SCR_NFT, ND_MAC,
} from './abi';
import { RUN_BASE, RUN_CPU } from '../abi';
import { rx4PktType } from './ipv4_rcv';
import { rxPktType } from './ipv6_rcv';
import { CT_ACCT, CT_COUNTERS, CT_TIMEOUT_JIFFIES, CT_TUPLE_ORIG, CT_TUPLE_REPLY, CTT_DPORT, CTT_DST, CTT_FAMILY, CTT_SPORT, CTT_PROTO, CTT_SRC, CTT_ZONE } from './nf_conntrack';
import { nftReject, nftRejectNetdev } from './nft_reject';
import { jhash } from '../maps/jhash';
import { copyBytes, fillBytes } from '../bytes';
import { FWDN_DROP, FWDN_STOLEN, nftCtMarkGet, nftCtMarkSet, nftCtStatusGet, nftDup, nftFib4, nftFlowAdd, nftFwd, nftFwdNeigh, nftNat, nftNotrack } from './nft_hooks';
import { nftCounter, nftLimit, nftLog, nftOverquota } from './nft_stateful';
import { nftExthdrIpv4, nftExthdrIpv6, nftExthdrTcp, nftExthdrTcpSet, nftExthdrTcpStrip, nftRt } from './nft_exthdr';
import { dynsetData, dynsetElemUpdate, dynsetEval, dynsetFind } from './nft_dynset';

export const NFT_MAGIC: u32 = 0x4254464e; // 'NFTB'
export const NFTC_REGULAR: u32 = 0xffffffff;
export const NF_DROP: u32 = 0;
export const NF_ACCEPT: u32 = 1;
export const NF_STOLEN: u32 = 2;

// Expression ops (word 0's low byte) and their operands:
export const EXPR_PAYLOAD: u32 = 1; //  x base (0 link layer, 1 network, 2 transport) | +4 u32 offset → reg, len bytes
export const EXPR_META: u32 = 2; //     x NFT_META_* → reg (u32, host order; IIFNAME / OIFNAME: the device's 16-byte name)
export const EXPR_CMP: u32 = 3; //      x NFT_CMP_* | +4 data (len bytes, padded to 4)
export const EXPR_RANGE: u32 = 4; //    x 0 eq / 1 neq | +4 from | then to (each len bytes padded)
export const EXPR_BITWISE: u32 = 5; //  x 0: reg = reg & mask ^ xor | +4 mask | then xor; x 1 / 2: reg's u32 <<, >> by +4 u32
export const EXPR_LOOKUP: u32 = 6; //   x 1: inverted | +4 u32 set offset in the blob
export const EXPR_CT: u32 = 7; //       x NFT_CT_* → reg
export const EXPR_CT_SET: u32 = 8; //   x NFT_CT_MARK ← reg
export const EXPR_META_SET: u32 = 9; // x NFT_META_MARK ← reg
export const EXPR_IMM: u32 = 10; //     +4 data (len bytes padded) → reg
export const EXPR_VERDICT: u32 = 11; // x NFTV_* | +4 u32 chain offset (jump, goto)
export const EXPR_COUNTER: u32 = 12; // +4 u32 counter address (u64 packets, u64 bytes; outlives the blob; a named
//                                       counter's is the object's, shared by every rule that names it)
export const EXPR_NAT: u32 = 13; //     x NFTN_* | +4 u32 flags | +8 u8 addr reg (0xff none), u8 addr max reg,
//                                       u8 proto reg (0xff none), u8 proto max reg
export const EXPR_REJECT: u32 = 14; //  x NFT_REJECT_* type | len: the code
export const EXPR_FLOW: u32 = 15; //    +4 u32 flowtable id + 1 (0: none)
export const EXPR_BYTEORDER: u32 = 16; // hton of reg's len bytes in x-byte words (2, 4 or 8)
export const EXPR_LIMIT: u32 = 17; //   x 0 packets / 1 bytes, len 1: over | +4 u32 bucket | +8 u64 tokens_max |
//                                       +16 u64 cost (packets) or nsecs (bytes) | +24 u64 rate
export const EXPR_QUOTA: u32 = 18; //   len 1: over | +4 u32 consumed | +8 u64 quota
export const EXPR_LOG: u32 = 19; //     x NF_LOG_TYPE_*, len level | +4 u32 ring | +8 u16 group, u16 flags |
//                                       +12 u32 snaplen | +16 prefix (128 bytes)
export const EXPR_OBJMAP: u32 = 20; //  len: key bytes | +4 u32 object map offset in the blob (a set's layout, then
//                                       count × u32: each element's object expression — a COUNTER, LIMIT or QUOTA
//                                       over the object's state — as an offset in the blob)
export const EXPR_VMAP: u32 = 21; //    len: key bytes | +4 u32 verdict map offset (a set's layout, then count ×
//                                       (u32 NFTV_*, u32 chain offset for jump / goto))

export const EXPR_DATAMAP: u32 = 22; // x: data reg, len: key bytes | +4 u32 map offset (a set's layout, then count ×
//                                       data padded to 4) | +8 u32 data bytes: nft_lookup with a dreg
export const EXPR_NUMGEN: u32 = 23; // x 0 inc / 1 random → reg (u32, host order) | +4 u32 modulus | +8 u32 offset |
//                                       +12 u32 counter address (inc: its u32 in the arena, shared by the workers)
export const EXPR_NOTRACK: u32 = 25; // nft_notrack: a packet without a conntrack yet is untracked (IP_CT_UNTRACKED)
export const EXPR_FWD: u32 = 26; //    x 0 fwd (NF_STOLEN) / 1 dup (goes on) / 2, 3 fwd to an IPv4, IPv6 neighbour / 4, 5 dup to an IPv4, IPv6 address | +4 u32 ifindex (dup to an address: 0 for none) | +8 the address (16): nft_fwd_netdev, nft_dup_netdev, nft_fwd_neigh, nft_dup_ipv4 / _ipv6
export const EXPR_FIB: u32 = 27; //    x NFT_FIB_RESULT_* (1 oif, 2 oifname, 3 addrtype) | +4 u32 NFTA_FIB_F_* → reg (nft_fib4, nft_fib6)
export const EXPR_EXTHDR: u32 = 40; // x the TCP option's kind → reg, len bytes | +4 u8 offset in the option, u8 1: present (a
//                                       one-byte boolean), u8 0: nft_exthdr_tcp_eval / 1: the IPv6 header of protocol x,
//                                       nft_exthdr_ipv6_eval / 2: the IPv4 option of type x, nft_exthdr_ipv4_eval (nft_exthdr.ts)
export const EXPR_EXTHDR_SET: u32 = 41; // x the kind, reg the source, len 2 or 4 | +4 u8 offset: nft_exthdr_tcp_set_eval;
//                                       len 0: nft_exthdr_tcp_strip_eval (`reset tcp option`)
export const EXPR_RT: u32 = 42; //     x NFT_RT_* → reg: nft_rt_get_eval
export const EXPR_DYNSET: u32 = 28; // x 0 add / 1 update / 2 delete, reg: the key's, len: key bytes | +4 u32 the set's store
//                                       (nft_dynset.ts) | +8 u64 timeout ms (0: the set's) | +16 u32 template bytes |
//                                       +20 u32 a map's data register + 1 (sreg_data; 0: a set) | +24 the new
//                                       element's expressions (nft_dynset.ts's blocks)
export const EXPR_DYNLOOKUP: u32 = 29; // x 1: inverted | +4 u32 the store of a set the data path writes (nft_lookup)
export const EXPR_DYNDATAMAP: u32 = 48; // x: data reg, len: key bytes | +4 u32 the store of a map the data path writes |
//                                       +8 u32 data bytes: nft_lookup with a dreg over it (no element breaks)
export const EXPR_JHASH: u32 = 24; //  x: source reg, len: source bytes → reg (u32, host order) | +4 u32 modulus |
//                                       +8 u32 seed | +12 u32 offset

export const NFT_META_LEN: u32 = 0; // the kernel's enum nft_meta_keys
export const NFT_META_PROTOCOL: u32 = 1;
export const NFT_META_MARK: u32 = 3;
export const NFT_META_IIF: u32 = 4;
export const NFT_META_OIF: u32 = 5;
export const NFT_META_IIFNAME: u32 = 6;
export const NFT_META_OIFNAME: u32 = 7;
export const NFT_META_IIFTYPE: u32 = 8;
export const NFT_META_OIFTYPE: u32 = 9;
export const NFT_META_SKUID: u32 = 10;
export const NFT_META_SKGID: u32 = 11;
export const NFT_META_NFPROTO: u32 = 15;
export const NFT_META_L4PROTO: u32 = 16;
export const NFT_META_PKTTYPE: u32 = 19;
export const NFT_META_CPU: u32 = 20;
export const NFT_META_TIME_NS: u32 = 30;
export const NFT_META_TIME_DAY: u32 = 31;
export const NFT_META_TIME_HOUR: u32 = 32;
const SECS_PER_DAY: u64 = 86400;
// dev->type (ARPHRD_*): wxdp's devices are Ethernet ones but for the loopback
const ARPHRD_ETHER: u32 = 1;
const ARPHRD_LOOPBACK: u32 = 772;
export const NFT_CT_STATE: u32 = 0; // enum nft_ct_keys
export const NFT_CT_DIRECTION: u32 = 1;
export const NFT_CT_STATUS: u32 = 2;
export const NFT_CT_MARK: u32 = 3;
export const NFT_CT_EXPIRATION: u32 = 5;
export const NFT_CT_L3PROTOCOL: u32 = 7;
export const NFT_CT_PROTOCOL: u32 = 10;
export const NFT_CT_PROTO_SRC: u32 = 11;
export const NFT_CT_PROTO_DST: u32 = 12;
export const NFT_CT_PKTS: u32 = 14;
export const NFT_CT_BYTES: u32 = 15;
export const NFT_CT_AVGPKT: u32 = 16;
export const NFT_CT_ZONE: u32 = 17;
export const NFT_CT_SRC_IP: u32 = 19;
export const NFT_CT_DST_IP: u32 = 20;
export const NFT_CT_SRC_IP6: u32 = 21;
export const NFT_CT_DST_IP6: u32 = 22;
/** EXPR_CT's x: the key in the low 6 bits, its direction (NFTA_CT_DIRECTION) + 1 above them (0: none). */
const CT_DIR_SHIFT: u32 = 6;
// skb->pkt_type (PACKET_*)
const PACKET_HOST: u32 = 0;
const PACKET_BROADCAST: u32 = 1;
const PACKET_MULTICAST: u32 = 2;
const PACKET_OTHERHOST: u32 = 3;
export const NFT_CMP_EQ: u32 = 0; // enum nft_cmp_ops
export const NFT_CMP_NEQ: u32 = 1;
export const NFT_CMP_LT: u32 = 2;
export const NFT_CMP_LTE: u32 = 3;
export const NFT_CMP_GT: u32 = 4;
export const NFT_CMP_GTE: u32 = 5;
export const NFTV_DROP: u32 = 0; // verdict codes in EXPR_VERDICT (not the kernel's negative numbers)
export const NFTV_ACCEPT: u32 = 1;
export const NFTV_JUMP: u32 = 2;
export const NFTV_GOTO: u32 = 3;
export const NFTV_RETURN: u32 = 4;
export const NFTV_CONTINUE: u32 = 5;
export const NFTN_SNAT: u32 = 0; // nft_nat's NF_NAT_MANIP_SRC / DST, then masquerade and redirect
export const NFTN_DNAT: u32 = 1;
export const NFTN_MASQ: u32 = 2;
export const NFTN_REDIR: u32 = 3;
export const NFT_JUMP_STACK_SIZE: u32 = 16;

/**
 * nft_ct_get_eval's NFT_CT_PKTS / BYTES / AVGPKT of entry `ct`: `dir` 1 the original direction's counters, 2 the
 * reply's, 0 both summed (nft_ct_get_eval_counter); 0 when the entry has no acct extension (nf_conn_acct_find).
 */
function ctAcctRead(ct: u32, key: u32, dir: u32): u64 {
  if (load<u8>(ct + CT_ACCT) == 0) return 0;
  const c = ct + CT_COUNTERS;
  let pk: u64 = 0;
  let by: u64 = 0;
  if (dir != 2) {
    pk += load<u64>(c);
    by += load<u64>(c, 8);
  }
  if (dir != 1) {
    pk += load<u64>(c, 16);
    by += load<u64>(c, 24);
  }
  if (key == NFT_CT_PKTS) return pk;
  if (key == NFT_CT_BYTES) return by;
  return pk != 0 ? by / pk : 0;
}

// ctinfo (IP_CT_*) → `ct state` bits, as nft_ct_get_eval computes them
const IP_CT_UNTRACKED: u32 = 7;
const IP_CT_NONE: u32 = 0xff; // wxdp: no conntrack attached (nf_conntrack.ts)
const NF_CT_STATE_INVALID_BIT: u32 = 1;
const NF_CT_STATE_UNTRACKED_BIT: u32 = 64;

// Scratch (netScratch() + SCR_NFT): +0 registers 16 × u32 | +64 jump stack 16 × (chain, rule) |
// +192 a NAT range (nf_nat_range2, 48 bytes) | +256 reject's addresses | +320 the hook state kept while
// reject's answer passes the hooks (64) | +384 a per-field lookup's bitmaps, one u32 address per field (16) |
// +512 the frames fwd / dup send when their hook is done (nft_hooks.ts, 16 × 16) | +768 their neighbours' addresses (16 × 16)
const SCR_FIELD_MAPS: u32 = 384;
@inline function regs(): u32 {
  return netScratch() + SCR_NFT;
}

// Internal results of one expression: keep going, break out of the rule, or a verdict was set.
const R_NEXT: i32 = 0;
const R_BREAK: i32 = 1;
const R_VERDICT: i32 = 2;

/** reciprocal_scale: `v` into [0, n) by the high half of a 32 × 32 product. */
@inline function reciprocalScale(v: u32, n: u32): u32 {
  return <u32>((<u64>v * <u64>n) >>> 32);
}

/**
 * nft_ng_inc_gen: the rule's counter (set to modulus - 1 when the rule is loaded, so the first value is 0) moves to
 * the next value mod N by compare-and-swap, one counter for every worker as the kernel's atomic_t is for every CPU.
 */
function numgenInc(at: u32, mod: u32): u32 {
  if (!ASC_FEATURE_THREADS) {
    const v: u32 = load<u32>(at) + 1 < mod ? load<u32>(at) + 1 : 0;
    store<u32>(at, v);
    return v;
  }
  let old: u32 = atomic.load<u32>(at);
  while (true) {
    const next: u32 = old + 1 < mod ? old + 1 : 0;
    const seen: u32 = atomic.cmpxchg<u32>(at, old, next);
    if (seen == old) return next;
    old = seen;
  }
}

// nft_ng_random_gen's get_random_u32: a per-worker xorshift32 (the kernel's values cannot be known, their spread can)
let ngRnd: u32 = 0;
function numgenRandom(): u32 {
  if (ngRnd == 0) ngRnd = <u32>netNow() ^ 0x9e3779b9 | 1;
  ngRnd ^= ngRnd << 13;
  ngRnd ^= ngRnd >> 17;
  ngRnd ^= ngRnd << 5;
  return ngRnd;
}

// nft_symhash_eval's __skb_get_hash_symmetric: the flow dissector's addresses and ports (their order made one for both
// directions: __flow_hash_consistentify) and protocol, hashed with a seed drawn once (the kernel's hashrnd,
// net_get_random_once): the values cannot be the kernel's, their symmetry and spread can. The key's words:
// +0 lower address | +16 higher (IPv4: the first 4 bytes) | +32 the lower address's port << 16 | the other's | +36 proto
const SYM_KEY: usize = memory.data(40);
const SYM_SEED: usize = memory.data(4);
function symHash(st: u32): u32 {
  let seed = load<u32>(SYM_SEED);
  if (seed == 0) {
    seed = numgenRandom() | 1;
    store<u32>(SYM_SEED, seed);
  }
  const l3 = load<u32>(st, NFS_DATA);
  const pf = <u32>load<u8>(st, NFS_PF);
  const v6 = pf == 10 || (pf != 2 && (<u32>load<u8>(l3) >> 4) == 6);
  const proto = <u32>load<u8>(st, NFS_L4PROTO);
  const th = load<u32>(st, NFS_THOFF);
  fillBytes(<u32>SYM_KEY, 0, 40);
  // skb_flow_get_ports (proto_ports_offset): TCP, UDP, DCCP, ESP, SCTP, UDP-Lite at 0, AH at 4; none in a fragment
  let sp: u32 = 0;
  let dp: u32 = 0;
  const off: i32 = proto == 6 || proto == 17 || proto == 33 || proto == 50 || proto == 132 || proto == 136 ? 0 : proto == 51 ? 4 : -1;
  if (th != 0 && off >= 0 && th + <u32>off + 4 <= load<u32>(st, NFS_LEN)) {
    sp = <u32>load<u16>(l3 + th + <u32>off);
    dp = <u32>load<u16>(l3 + th + <u32>off + 2);
  }
  const alen: u32 = v6 ? 16 : 4;
  const src = l3 + (v6 ? 8 : 12);
  const dst = src + alen;
  // swap when dst < src (IPv4: as u32 words in memory; IPv6: memcmp), or the addresses are equal and dport < sport
  const c = v6 ? memcmpN(dst, src, 16) : (load<u32>(dst) < load<u32>(src) ? -1 : load<u32>(dst) > load<u32>(src) ? 1 : 0);
  const swap = c < 0 || (c == 0 && dp < sp);
  copyBytes(<u32>SYM_KEY, swap ? dst : src, alen);
  copyBytes(<u32>SYM_KEY + 16, swap ? src : dst, alen);
  store<u32>(SYM_KEY, swap ? (dp << 16) | sp : (sp << 16) | dp, 32);
  store<u32>(SYM_KEY, proto, 36);
  const h = jhash(SYM_KEY, 40, seed);
  return h != 0 ? h : 1;
}

/** Compare `len` bytes at a and b as memcmp does: < 0, 0, > 0. */
function memcmpN(a: u32, b: u32, len: u32): i32 {
  for (let i: u32 = 0; i < len; i++) {
    const x = <i32>load<u8>(a + i);
    const y = <i32>load<u8>(b + i);
    if (x != y) return x - y;
  }
  return 0;
}

@inline function pad4(len: u32): u32 {
  return (len + 3) & ~3;
}

/** skb->len of the packet the hook state describes (at egress its MAC header counts too). */
@inline function skbLen(st: u32): u32 {
  return load<u32>(st, NFS_LEN) + load<u32>(st, NFS_LLEN);
}

/** A set header's flag: each element has an expiry and a counter after the keys. */
const SET_EXT: u32 = 0x80000000;

/** Where a set's ext array (SET_EXT) begins: after its keys. */
@inline function setExt(set: u32): u32 {
  return set + 8 + load<u32>(set, 4) * (pad4(load<u32>(set) & 0xffff) << 1);
}

/** Where a map's data begins: after its keys and its ext array. */
@inline function setData(set: u32): u32 {
  return setExt(set) + ((load<u32>(set) & SET_EXT) != 0 ? load<u32>(set, 4) << 4 : 0);
}

/**
 * nft_set_do_lookup then nft_set_elem_update_expr: the element the key is in, or -1 when there is none or it has
 * expired (nft_set_elem_expired: now at or past its expiry); a hit counts on the element's counter when `count`.
 */
function setLookup(set: u32, k: u32, st: u32, count: bool): i32 {
  const i = setFind(set, k);
  if (i < 0 || (load<u32>(set) & SET_EXT) == 0) return i;
  const x = setExt(set) + (<u32>i << 4);
  const exp = load<u64>(x);
  if (exp != 0 && netNow() >= exp) return -1;
  if (count && load<u32>(x, 8) != 0) nftCounter(load<u32>(x, 8), skbLen(st));
  return i;
}

/** nft_lookup over a sorted interval array: the index of the interval the key at `k` (klen bytes) is in, or -1. */
function setFind(set: u32, k: u32): i32 {
  const klen = load<u32>(set) & 0xffff;
  const fields = (load<u32>(set) >>> 16) & 0x7fff;
  if (fields != 0) return fieldsFind(set, k, klen, fields);
  const n = load<u32>(set, 4);
  const step = pad4(klen) << 1;
  const base = set + 8;
  let lo: u32 = 0;
  let hi: u32 = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const e = base + mid * step;
    if (memcmpN(k, e + pad4(klen), klen) > 0) lo = mid + 1;
    else hi = mid;
  }
  if (lo >= n) return -1;
  return memcmpN(k, base + lo * step, klen) >= 0 ? <i32>lo : -1;
}

/**
 * nft_pipapo_lookup's answer over per-field intervals: the first element (in the order they were added) whose every
 * field holds the key's, or -1. The index before the set's header (src/control/nft_pipapo.ts fieldIndex draws it)
 * gives, per field, the points where elements' ranges begin and end and a bitmap of the elements holding each
 * elementary interval: one binary search per field finds the key's interval, and the fields' bitmaps AND-ed have
 * the matching elements as bits, the lowest the first added. `fields` marks the 4-byte words where a field begins.
 */
function fieldsFind(set: u32, k: u32, klen: u32, fields: u32): i32 {
  const n = load<u32>(set, 4);
  if (n == 0) return -1;
  const words = pad4(klen) >>> 2;
  const mapw = (n + 31) >>> 5;
  const maps = regs() + SCR_FIELD_MAPS;
  let p = set - 4 - load<u32>(set - 4);
  let nf: u32 = 0;
  let w: u32 = 0;
  while (w < words) {
    let end = w + 1;
    while (end < words && ((fields >>> (end - 1)) & 1) == 0) end++;
    const width = (end - w) << 2;
    const m = load<u32>(p);
    const pts = p + 4;
    // the last point at or below the key's field (point 0 is zero: there is one)
    let lo: u32 = 0;
    let hi: u32 = m;
    while (hi - lo > 1) {
      const mid = (lo + hi) >>> 1;
      if (beCmp(k + (w << 2), pts + mid * width, end - w) >= 0) lo = mid;
      else hi = mid;
    }
    store<u32>(maps + (nf << 2), pts + m * width + lo * (mapw << 2));
    nf++;
    p = pts + m * width + m * (mapw << 2);
    w = end;
  }
  for (let i: u32 = 0; i < mapw; i++) {
    let acc = load<u32>(load<u32>(maps) + (i << 2));
    for (let f: u32 = 1; f < nf && acc != 0; f++) acc &= load<u32>(load<u32>(maps + (f << 2)) + (i << 2));
    // an expired element is passed over for the next that matches (nft_pipapo_lookup's next_match)
    while (acc != 0) {
      const e = (i << 5) + ctz(acc);
      if ((load<u32>(set) & SET_EXT) == 0) return <i32>e;
      const exp = load<u64>(setExt(set) + (e << 4));
      if (exp == 0 || netNow() < exp) return <i32>e;
      acc &= acc - 1;
    }
  }
  return -1;
}

/** `n` 4-byte words at a and b compared as big-endian numbers (memcmp's order): < 0, 0, > 0. */
@inline function beCmp(a: u32, b: u32, n: u32): i32 {
  for (let j: u32 = 0; j < n; j++) {
    const x = bswap<u32>(load<u32>(a + (j << 2)));
    const y = bswap<u32>(load<u32>(b + (j << 2)));
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

/**
 * A counter, limit or quota expression at `p` (a rule's, or a named object's reached through a map): false when
 * it breaks out of the rule (a limit or quota not matching).
 */
function statefulEval(p: u32, st: u32): bool {
  const w = load<u32>(p);
  const op = w & 0xff;
  const len = (w >>> 16) & 0xff;
  const x = w >>> 24;
  if (op == EXPR_COUNTER) {
    nftCounter(load<u32>(p, 4), skbLen(st));
    return true;
  }
  if (op == EXPR_LIMIT) {
    // nft_limit_pkts_eval's cost is fixed; nft_limit_bytes_eval's is nsecs × skb->len / rate
    const cost = x == 0 ? load<u64>(p, 16) : (load<u64>(p, 16) * <u64>skbLen(st)) / load<u64>(p, 24);
    return nftLimit(load<u32>(p, 4), load<u64>(p, 8), cost) == (len != 0);
  }
  return nftOverquota(load<u32>(p, 4), load<u64>(p, 8), skbLen(st)) == (len != 0);
}

/**
 * skb->pkt_type at this hook (nft_meta_get_eval's NFT_META_PKTTYPE): at a netdev or arp input hook eth_type_trans's
 * for the frame's destination MAC on its device; at the ip hooks of a received datagram (PRE_ROUTING, LOCAL_IN,
 * FORWARD, and the POST_ROUTING of a forwarded one) the type ip_rcv / ipv6_rcv took it with; a packet of the host's
 * own, or one leaving a netdev egress hook, is PACKET_HOST as its skb was allocated.
 */
function pktTypeOf(st: u32): u32 {
  const pf = <u32>load<u8>(st, NFS_PF);
  const hook = <u32>load<u8>(st, NFS_HOOK);
  if (pf == 5 || pf == 3) {
    // (as an earlier `meta pkttype set` of the ingress chains left it)
    if (load<u32>(st, NFS_PKTTYPE) != 0) return load<u32>(st, NFS_PKTTYPE) - 1;
    const mac = load<u32>(st, NFS_MAC);
    const nd = netdevGet(load<u32>(st, NFS_IIF));
    if (hook != 0 || mac == 0 || nd == 0) return PACKET_HOST;
    if ((load<u8>(mac) & 1) != 0) return load<u32>(mac) == 0xffffffff && load<u16>(mac, 4) == 0xffff ? PACKET_BROADCAST : PACKET_MULTICAST;
    return load<u32>(mac) == load<u32>(nd, ND_MAC) && load<u16>(mac, 4) == load<u16>(nd, ND_MAC + 4) ? PACKET_HOST : PACKET_OTHERHOST;
  }
  if (load<u32>(st, NFS_IIF) == 0) return PACKET_HOST;
  return pf == 10 ? rxPktType : rx4PktType;
}

function ctStateBits(st: u32): u32 {
  const ctinfo = <u32>load<u8>(st, NFS_CTINFO);
  if (ctinfo == IP_CT_UNTRACKED) return NF_CT_STATE_UNTRACKED_BIT;
  // a zone's template (`ct zone set` before conntrack) is the packet's conntrack until conntrack runs: IP_CT_NEW
  if (load<u32>(st, NFS_CT) == 0 && load<u32>(st, NFS_ZONE) != 0) return <u32>1 << 3;
  if (load<u32>(st, NFS_CT) == 0 || ctinfo == 0xff) return NF_CT_STATE_INVALID_BIT;
  // NF_CT_STATE_BIT(ctinfo) = 1 << (ctinfo % IP_CT_IS_REPLY + 1)
  return <u32>1 << ((ctinfo % 3) + 1);
}

/**
 * Run chain slot `chain` of the published ruleset over the packet the hook state `st` describes.
 * NF_ACCEPT or NF_DROP (reject has sent its answer; the caller frees the frame). No ruleset, or no
 * such chain in this generation (a swap in progress): NF_ACCEPT, as an unregistered hook would.
 */
export function nft_do_chain(st: u32, chain: u32): u32 {
  const root = netRoot();
  if (root == 0) return NF_ACCEPT;
  const blob = load<u32>(root + NR_NFT);
  if (blob == 0 || chain >= load<u32>(blob, 8)) return NF_ACCEPT;
  const coff = load<u32>(blob + 16 + (chain << 2));
  if (coff == 0) return NF_ACCEPT;
  const base = blob + coff;
  const r = regs();
  const stack = r + 64;
  let depth: u32 = 0;
  let c = base;
  let rule = c + 8;
  while (true) {
    const size = load<u32>(rule);
    if (size == 0) {
      // end of a chain: a regular one returns to its caller, a base chain applies its policy
      if (depth == 0) return load<u32>(base);
      depth--;
      c = load<u32>(stack + (depth << 3));
      rule = load<u32>(stack + (depth << 3) + 4);
      continue;
    }
    const next = rule + size;
    let p = rule + 4;
    let res = R_NEXT;
    let code: u32 = NFTV_CONTINUE;
    let target: u32 = 0;
    while (p < next) {
      const w = load<u32>(p);
      const op = w & 0xff;
      const reg = r + (((w >>> 8) & 0xff) << 2);
      const len = (w >>> 16) & 0xff;
      const x = w >>> 24;
      if (op == EXPR_PAYLOAD) {
        const off = load<u32>(p, 4);
        let from = load<u32>(st, NFS_DATA);
        let avail = load<u32>(st, NFS_LEN);
        if (x == 0) {
          // the link-layer base: the frame's MAC header, where the hook has one (NFT_PAYLOAD_LL_HEADER: none, NFT_BREAK)
          const mac = load<u32>(st, NFS_MAC);
          if (mac == 0) { res = R_BREAK; break; }
          avail += from - mac;
          from = mac;
        } else if (x == 2) {
          const th = load<u32>(st, NFS_THOFF);
          if (th == 0 || th > avail) { res = R_BREAK; break; }
          from += th;
          avail -= th;
        }
        if (off + len > avail) { res = R_BREAK; break; }
        store<u32>(reg + ((len - 1) & ~3), 0); // the last word is zero-padded, as nft_payload_eval does
        memory.copy(reg, from + off, len);
        p += 8;
      } else if (op == EXPR_META) {
        if (x == NFT_META_IIFNAME || x == NFT_META_OIFNAME) {
          // nft_meta_store_ifname: the device's name as it is now, NUL-padded ("" without a device)
          const nd = netdevGet(x == NFT_META_IIFNAME ? load<u32>(st, NFS_IIF) : load<u32>(st, NFS_OIF));
          if (nd != 0) memory.copy(reg, nd + ND_NAME, 16);
          else memory.fill(reg, 0, 16);
          p += 4;
          continue;
        }
        // nft_meta_get_eval's SKUID / SKGID read the packet's full socket; no packet here carries one (wxdp's
        // sockets have no owner, forwarded and received packets none at these hooks): NFT_BREAK, as with no socket
        if (x == NFT_META_SKUID || x == NFT_META_SKGID) { res = R_BREAK; break; }
        let v: u32 = 0;
        if (x == NFT_META_IIFTYPE) {
          // nft_meta_get_eval: the input device's dev->type (none: NFT_BREAK); at a netdev egress hook the device's
          // own, though `meta iif` has none there (Linux 6.18, measured: a frame fwd'd out of eth1 matches `meta
          // iiftype ether` at eth1's egress chain, not `iif "eth1"`; the link-layer matches behind it count)
          const egress = <u32>load<u8>(st, NFS_PF) == 5 && <u32>load<u8>(st, NFS_HOOK) == 1; // NFPROTO_NETDEV, NF_NETDEV_EGRESS
          const nd = netdevGet(egress ? load<u32>(st, NFS_OIF) : load<u32>(st, NFS_IIF));
          if (nd == 0) { res = R_BREAK; break; }
          v = (load<u32>(nd + ND_FLAGS) & IFF_LOOPBACK) != 0 ? ARPHRD_LOOPBACK : ARPHRD_ETHER;
        } else if (x == NFT_META_TIME_NS) {
          // ktime_get_real_ns as a u64 in host order: the stack's wall clock (to the ms) in ns
          store<u64>(reg, netRealtimeMs() * 1000000);
          p += 4;
          continue;
        } else if (x == NFT_META_OIFTYPE) {
          const nd = netdevGet(load<u32>(st, NFS_OIF));
          if (nd == 0) { res = R_BREAK; break; }
          v = (load<u32>(nd + ND_FLAGS) & IFF_LOOPBACK) != 0 ? ARPHRD_LOOPBACK : ARPHRD_ETHER;
        } else if (x == NFT_META_PKTTYPE) v = pktTypeOf(st);
        else if (x == NFT_META_CPU) v = load<u32>(RUN_BASE + RUN_CPU);
        else if (x == NFT_META_TIME_DAY || x == NFT_META_TIME_HOUR) {
          // nft_meta_weekday (1970-01-01 was a Thursday; sys_tz is 0 here, as the kernel has it unless set) and
          // nft_meta_hour: the seconds since midnight UTC of ktime_get_real_seconds, here the stack's wall clock
          const secs = netRealtimeMs() / 1000;
          v = x == NFT_META_TIME_DAY ? <u32>((4 + secs / SECS_PER_DAY) % 7) : <u32>(secs % SECS_PER_DAY);
        }
        else if (x == NFT_META_MARK) v = load<u32>(st, NFS_MARK);
        else if (x == NFT_META_IIF) v = load<u32>(st, NFS_IIF);
        else if (x == NFT_META_OIF) v = load<u32>(st, NFS_OIF);
        else if (x == NFT_META_L4PROTO) v = load<u8>(st, NFS_L4PROTO);
        else if (x == NFT_META_NFPROTO) v = load<u8>(st, NFS_PF);
        else if (x == NFT_META_LEN) v = skbLen(st);
        else if (x == NFT_META_PROTOCOL) {
          const pf = <u32>load<u8>(st, NFS_PF);
          // the netdev and arp families' hook state holds skb->protocol (nf_netdev_hook); inet's is its family's
          v = pf == 5 || pf == 3 ? <u32>load<u16>(st, NFS_PROTO) : pf == 10 ? 0xdd86 : 0x0008;
        }
        store<u32>(reg, v);
        p += 4;
      } else if (op == EXPR_CMP) {
        const d = memcmpN(reg, p + 4, len);
        let ok: bool;
        if (x == NFT_CMP_EQ) ok = d == 0;
        else if (x == NFT_CMP_NEQ) ok = d != 0;
        else if (x == NFT_CMP_LT) ok = d < 0;
        else if (x == NFT_CMP_LTE) ok = d <= 0;
        else if (x == NFT_CMP_GT) ok = d > 0;
        else ok = d >= 0;
        if (!ok) { res = R_BREAK; break; }
        p += 4 + pad4(len);
      } else if (op == EXPR_RANGE) {
        const lo = p + 4;
        const hi = lo + pad4(len);
        const inside = memcmpN(reg, lo, len) >= 0 && memcmpN(reg, hi, len) <= 0;
        if (inside != (x == 0)) { res = R_BREAK; break; }
        p = hi + pad4(len);
      } else if (op == EXPR_BITWISE) {
        if (x != 0) {
          // nft_bitwise_eval_lshift / _rshift over one 32-bit word (the compiler shifts marks only)
          const n = load<u32>(p, 4);
          store<u32>(reg, x == 1 ? load<u32>(reg) << n : load<u32>(reg) >> n);
          p += 8;
          continue;
        }
        const m = p + 4;
        const xr = m + pad4(len);
        for (let i: u32 = 0; i < pad4(len); i += 4) store<u32>(reg + i, (load<u32>(reg + i) & load<u32>(m + i)) ^ load<u32>(xr + i));
        p = xr + pad4(len);
      } else if (op == EXPR_LOOKUP) {
        // nft_lookup_eval: an inverted lookup's hit breaks before the element's expressions run
        if ((setLookup(blob + load<u32>(p, 4), reg, st, x == 0) >= 0) == (x == 1)) { res = R_BREAK; break; }
        p += 8;
      } else if (op == EXPR_DYNSET) {
        // nft_dynset_eval: a full set, or an element's expression that breaks, breaks the rule
        const tlen = load<u32>(p, 16);
        const dreg = load<u32>(p, 20);
        if (!dynsetEval(load<u32>(p, 4), reg, x, load<u64>(p, 8), p + 24, tlen, skbLen(st), dreg != 0 ? regs() + ((dreg - 1) << 2) : 0)) { res = R_BREAK; break; }
        p += 24 + tlen;
      } else if (op == EXPR_DYNLOOKUP) {
        // nft_lookup_eval over a dynamic set: an inverted lookup's hit breaks before the element's expressions run
        const slot = dynsetFind(load<u32>(p, 4), reg);
        if ((slot != 0) == (x == 1)) { res = R_BREAK; break; }
        if (slot != 0 && !dynsetElemUpdate(load<u32>(p, 4), slot, reg, skbLen(st))) { res = R_BREAK; break; }
        p += 8;
      } else if (op == EXPR_DYNDATAMAP) {
        // nft_lookup with a dreg over a map the data path writes: the element's expressions (nft_set_elem_update_expr),
        // then its data into register x; no element breaks
        const ds = load<u32>(p, 4);
        const slot = dynsetFind(ds, reg);
        if (slot == 0) { res = R_BREAK; break; }
        // the expressions first: the key's register may be the data's (nft gives a map's dreg its sreg)
        if (!dynsetElemUpdate(ds, slot, reg, skbLen(st))) { res = R_BREAK; break; }
        memory.copy(regs() + (x << 2), dynsetData(slot, ds), load<u32>(p, 8));
        p += 12;
      } else if (op == EXPR_VMAP) {
        // nft_lookup into NFT_REG_VERDICT: no element breaks; NFT_CONTINUE goes on with the rule's next expression
        const m = blob + load<u32>(p, 4);
        const i = setLookup(m, reg, st, true);
        if (i < 0) { res = R_BREAK; break; }
        const d = setData(m) + (<u32>i << 3);
        if (load<u32>(d) == NFTV_CONTINUE) { p += 8; continue; }
        code = load<u32>(d);
        target = load<u32>(d, 4);
        res = R_VERDICT;
        break;
      } else if (op == EXPR_DATAMAP) {
        // nft_lookup with a dreg: the element's data into register x; no element breaks
        const m = blob + load<u32>(p, 4);
        const i = setLookup(m, reg, st, true);
        if (i < 0) { res = R_BREAK; break; }
        const dlen = load<u32>(p, 8);
        memory.copy(regs() + (x << 2), setData(m) + <u32>i * pad4(dlen), dlen);
        p += 12;
      } else if (op == EXPR_NUMGEN) {
        const n = x == 0 ? numgenInc(load<u32>(p, 12), load<u32>(p, 4)) : reciprocalScale(x == 1 ? numgenRandom() : symHash(st), load<u32>(p, 4));
        store<u32>(reg, n + load<u32>(p, 8));
        p += 16;
      } else if (op == EXPR_JHASH) {
        // nft_jhash_eval: jhash of the source registers' bytes with the seed, scaled into the modulus
        store<u32>(reg, reciprocalScale(jhash(regs() + (x << 2), len, load<u32>(p, 8)), load<u32>(p, 4)) + load<u32>(p, 12));
        p += 16;
      } else if (op == EXPR_OBJMAP) {
        // nft_objref_map_eval: no element for the key breaks; otherwise the object's own eval
        const m = blob + load<u32>(p, 4);
        const i = setLookup(m, reg, st, false);
        if (i < 0) { res = R_BREAK; break; }
        const offs = setData(m);
        if (!statefulEval(blob + load<u32>(offs + (<u32>i << 2)), st)) { res = R_BREAK; break; }
        p += 8;
      } else if (op == EXPR_CT) {
        let v: u32 = 0;
        if (x == NFT_CT_STATE) v = ctStateBits(st);
        else if (x == NFT_CT_MARK) {
          const ct = load<u32>(st, NFS_CT);
          if (ct == 0) { res = R_BREAK; break; } // no conntrack: nft_ct_get_eval breaks
          v = nftCtMarkGet(ct);
        } else if (x == NFT_CT_STATUS) {
          const ct = load<u32>(st, NFS_CT);
          if (ct == 0) { res = R_BREAK; break; }
          v = nftCtStatusGet(ct);
        } else if (x == NFT_CT_DIRECTION) {
          if (load<u32>(st, NFS_CT) == 0) { res = R_BREAK; break; }
          v = <u32>load<u8>(st, NFS_CTINFO) >= 3 ? 1 : 0;
        } else {
          // nft_ct_get_eval's keys of the entry's tuples: no conntrack breaks (a zone's template too: only its state reads)
          const ct = load<u32>(st, NFS_CT);
          if (ct == 0) { res = R_BREAK; break; }
          const key = x & ((1 << CT_DIR_SHIFT) - 1);
          const dir = x >>> CT_DIR_SHIFT;
          const orig = ct + CT_TUPLE_ORIG;
          const t = dir == 2 ? ct + CT_TUPLE_REPLY : orig;
          if (key == NFT_CT_EXPIRATION) {
            // jiffies_to_msecs(nf_ct_expires(ct)): max((s32)(ct->timeout - nfct_time_stamp), 0), the timeout absolute
            // jiffies once confirmed (relative before, as the kernel keeps it: an unconfirmed entry's reads so too)
            const left = <i32>(load<u32>(ct, CT_TIMEOUT_JIFFIES) - <u32>(netNow() / JIFFY_MS));
            v = left > 0 ? <u32>left * <u32>JIFFY_MS : 0;
          } else if (key == NFT_CT_PKTS || key == NFT_CT_BYTES || key == NFT_CT_AVGPKT) {
            // nf_conn_acct's counters (a u64 in host order): 0 for an entry without the acct extension;
            // a direction's, or both summed; avgpkt bytes / packets (0 with no packets)
            store<u64>(reg, ctAcctRead(ct, key, dir));
            p += 4;
            continue;
          } else if (key == NFT_CT_PROTO_SRC || key == NFT_CT_PROTO_DST) {
            // the direction's tuple.src.u.all / dst.u.all: a port (an ICMP id, type and code), network order
            v = <u32>load<u16>(t + (key == NFT_CT_PROTO_SRC ? CTT_SPORT : CTT_DPORT));
          } else if (key == NFT_CT_L3PROTOCOL) v = load<u8>(orig, CTT_FAMILY);
          else if (key == NFT_CT_PROTOCOL) v = load<u8>(orig, CTT_PROTO);
          else if (key == NFT_CT_ZONE) {
            // nf_ct_zone_id: a direction's zone, or the zone's id (a zone of one direction is in that tuple only)
            v = load<u16>(t, CTT_ZONE);
            if (dir == 0 && v == 0) v = load<u16>(ct + CT_TUPLE_REPLY, CTT_ZONE);
          } else {
            // SRC_IP / DST_IP: an IPv4 entry's address (an IPv6 one's breaks); SRC_IP6 / DST_IP6 the other way round
            const six = key == NFT_CT_SRC_IP6 || key == NFT_CT_DST_IP6;
            if (<u32>load<u8>(orig, CTT_FAMILY) != (six ? 10 : 2)) { res = R_BREAK; break; }
            const a = t + (key == NFT_CT_SRC_IP || key == NFT_CT_SRC_IP6 ? CTT_SRC : CTT_DST);
            if (six) {
              memory.copy(reg, a, 16);
              p += 4;
              continue;
            }
            v = load<u32>(a);
          }
        }
        store<u32>(reg, v);
        p += 4;
      } else if (op == EXPR_CT_SET) {
        const ct = load<u32>(st, NFS_CT);
        if ((x & ((1 << CT_DIR_SHIFT) - 1)) == NFT_CT_ZONE) {
          // nft_ct_set_zone_eval: a packet without a conntrack (untracked too: nf_ct_get finds none) takes a template
          // of the zone to conntrack's lookup, IP_CT_NEW in place of untracked; one with a template already (an
          // earlier `ct zone set`) keeps it. `ct original|reply zone set`: the zone of that direction only
          if (ct == 0 && load<u32>(st, NFS_ZONE) == 0) {
            const d = x >>> CT_DIR_SHIFT;
            store<u32>(st, NFS_ZONE_TMPL | ((d == 0 ? 3 : d) << 16) | <u32>load<u16>(reg), NFS_ZONE);
            if (<u32>load<u8>(st, NFS_CTINFO) == IP_CT_UNTRACKED) store<u8>(st, <u8>IP_CT_NONE, NFS_CTINFO);
          }
        } else if (ct != 0) nftCtMarkSet(ct, load<u32>(reg));
        p += 4;
      } else if (op == EXPR_META_SET) {
        if (x == NFT_META_PKTTYPE) {
          // nft_meta_set_eval: a type of host, broadcast, multicast or otherhost replaces another of them (skb_pkt_type_ok)
          const v = <u32>load<u8>(reg);
          const pf = <u32>load<u8>(st, NFS_PF);
          const cur = pktTypeOf(st);
          if (v != cur && v <= PACKET_OTHERHOST && cur <= PACKET_OTHERHOST && load<u32>(st, NFS_IIF) != 0) {
            if (pf == 10) rxPktType = v;
            else if (pf == 2) rx4PktType = v;
            else store<u32>(st, v + 1, NFS_PKTTYPE); // netdev ingress: the frame carries it on (netfilter.ts)
          }
        } else store<u32>(st, load<u32>(reg), NFS_MARK);
        p += 4;
      } else if (op == EXPR_IMM) {
        memory.copy(reg, p + 4, pad4(len));
        p += 4 + pad4(len);
      } else if (op == EXPR_VERDICT) {
        code = x;
        target = load<u32>(p, 4);
        res = R_VERDICT;
        break;
      } else if (op == EXPR_COUNTER || op == EXPR_LIMIT || op == EXPR_QUOTA) {
        if (!statefulEval(p, st)) { res = R_BREAK; break; }
        p += op == EXPR_COUNTER ? 8 : op == EXPR_LIMIT ? 32 : 16;
      } else if (op == EXPR_NAT) {
        const verdict = nftNat(st, x, load<u32>(p, 4), load<u32>(p, 8), r, regs() + 192);
        code = verdict == NF_ACCEPT ? NFTV_ACCEPT : NFTV_DROP;
        res = R_VERDICT;
        break;
      } else if (op == EXPR_REJECT && <u32>load<u8>(st, NFS_PF) == 5) { // NFPROTO_NETDEV
        // nft_reject_netdev_eval: the answer leaves now, through its device's egress chains (which reuse the hook
        // state, registers and jump stack: nothing reads them after this DROP)
        nftRejectNetdev(st, x, len);
        code = NFTV_DROP;
        res = R_VERDICT;
        break;
      } else if (op == EXPR_REJECT) {
        // the answer goes out through the hooks (LOCAL_OUT, POST_ROUTING), which reuse the hook state:
        // keep this packet's and give it back for the caller (netfilter.ts reads it after the verdict). One slot: a
        // reset's dup whose copy's chain rejects again overwrites it (nftDup keeps only +0..+192), harmless as the
        // verdict is DROP and nothing reads the state after a DROP
        const saved = regs() + 320;
        memory.copy(saved, st, 64);
        nftReject(st, x, len, regs() + 256);
        memory.copy(st, saved, 64);
        code = NFTV_DROP;
        res = R_VERDICT;
        break;
      } else if (op == EXPR_EXTHDR) {
        const a = load<u32>(p, 4);
        const xop = a >>> 16;
        const ok = xop == 1 ? nftExthdrIpv6(st, reg, x, a & 0xff, len, (a & 0x100) != 0) : xop == 2 ? nftExthdrIpv4(st, reg, x, a & 0xff, len, (a & 0x100) != 0) : nftExthdrTcp(st, reg, x, a & 0xff, len, (a & 0x100) != 0);
        if (!ok) { res = R_BREAK; break; }
        p += 8;
      } else if (op == EXPR_EXTHDR_SET) {
        if (len == 0) {
          // nft_exthdr_tcp_strip_eval: a malformed option it cannot remove drops the packet
          const r = nftExthdrTcpStrip(st, x);
          if (r < 0) { code = NFTV_DROP; res = R_VERDICT; break; }
          if (r == 0) { res = R_BREAK; break; }
          p += 8;
          continue;
        }
        if (!nftExthdrTcpSet(st, reg, x, load<u32>(p, 4) & 0xff, len)) { res = R_BREAK; break; }
        p += 8;
      } else if (op == EXPR_RT) {
        if (!nftRt(st, reg, x)) { res = R_BREAK; break; }
        p += 4;
      } else if (op == EXPR_FIB) {
        if (!nftFib4(st, reg, x, load<u32>(p, 4))) { res = R_BREAK; break; }
        p += 8;
      } else if (op == EXPR_NOTRACK) {
        nftNotrack(st);
        p += 4;
      } else if (op == EXPR_FWD) {
        // nft_fwd_netdev_eval: the frame leaves by the device (NF_STOLEN); nft_dup_netdev_eval: a copy does
        if (x == 0) {
          nftFwd(st, load<u32>(p, 4), false);
          return NF_STOLEN;
        }
        if (x >= 4) {
          // nft_dup_ipv4_eval / nft_dup_ipv6_eval: a copy routed to the address now; this packet goes on
          nftDup(st, load<u32>(p, 4), p + 8, x == 5);
          p += 24;
          continue;
        }
        if (x >= 2) {
          const r = nftFwdNeigh(st, load<u32>(p, 4), p + 8, x == 3);
          if (r == FWDN_STOLEN) return NF_STOLEN;
          if (r == FWDN_DROP) {
            code = NFTV_DROP;
            res = R_VERDICT;
          } else res = R_BREAK;
          break;
        }
        nftFwd(st, load<u32>(p, 4), true);
        p += 8;
      } else if (op == EXPR_FLOW) {
        nftFlowAdd(st, load<u32>(p, 4));
        p += 8;
      } else if (op == EXPR_BYTEORDER) {
        for (let i: u32 = 0; i < len; i += x) {
          if (x == 2) store<u16>(reg + i, bswap<u16>(load<u16>(reg + i)));
          else if (x == 8) store<u64>(reg + i, bswap<u64>(load<u64>(reg + i)));
          else store<u32>(reg + i, bswap<u32>(load<u32>(reg + i)));
        }
        p += 4;
      } else if (op == EXPR_LOG) {
        nftLog(st, load<u32>(p, 4), x, len, <u32>load<u16>(p, 8), <u32>load<u16>(p, 10), load<u32>(p, 12), p + 16);
        p += 144;
      } else {
        // an op this evaluator does not know cannot come from the compiler: treat the rule as not matching
        res = R_BREAK;
        break;
      }
    }
    if (res != R_VERDICT || code == NFTV_CONTINUE) {
      rule = next;
      continue;
    }
    if (code == NFTV_ACCEPT) return NF_ACCEPT;
    if (code == NFTV_DROP) return NF_DROP;
    if (code == NFTV_JUMP) {
      if (depth >= NFT_JUMP_STACK_SIZE) {
        netDrop(NDROP_NFT_JUMP_STACK);
        return NF_DROP;
      }
      store<u32>(stack + (depth << 3), c);
      store<u32>(stack + (depth << 3) + 4, next);
      depth++;
      c = blob + target;
      rule = c + 8;
    } else if (code == NFTV_GOTO) {
      c = blob + target;
      rule = c + 8;
    } else {
      // return: to the rule after the last jump, or the base chain's policy
      if (depth == 0) return load<u32>(base);
      depth--;
      c = load<u32>(stack + (depth << 3));
      rule = load<u32>(stack + (depth << 3) + 4);
    }
  }
  return NF_ACCEPT;
}

/** Publish a ruleset blob (0: none) and return the one it replaces, for the caller to retire. */
export function nft_publish(blob: u32): u32 {
  const root = netRoot();
  if (root == 0) return 0;
  const old = load<u32>(root + NR_NFT);
  store<u32>(root + NR_NFT, blob); // one aligned store: a reader sees the old or the new address
  return old;
}

/** The hook state area (netfilter.ts's, NFS_*) tests fill before calling nft_do_chain themselves. */
export function nft_state(): u32 {
  return netRoot() == 0 ? 0 : netScratch() + SCR_NF;
}
