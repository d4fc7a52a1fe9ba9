// The conntrack kfuncs of XDP programs (net/netfilter/nf_conntrack_bpf.c, nf_nat_bpf.c) over wxdp's
// conntrack table (nf_conntrack.ts): bpf_xdp_ct_lookup finds the entry of a struct bpf_sock_tuple,
// bpf_ct_release lets it go (wxdp's entries are not reference counted: a no-op, src/helpers/kfuncs.ts);
// bpf_xdp_ct_alloc makes an entry outside the table (the kernel's struct nf_conn___init), which
// bpf_ct_set_timeout / bpf_ct_set_status / bpf_ct_set_nat_info shape and bpf_ct_insert_entry puts in
// the table (or frees); bpf_ct_change_timeout / bpf_ct_change_status act on an entry in the table. The
// verifier keeps the two kinds apart (an nf_conn___init reference goes only to the set_* kfuncs and the
// insert, which releases it and acquires an nf_conn), so these trust what they are given.
//
// Reads: the tuple and struct bpf_ct_opts the program passes, the table under its lock. Sets: opts->error
// (a failure), opts->dir (the direction of the tuple found), opts->ct_zone_dir (0 becomes
// NF_CT_DEFAULT_ZONE_DIR, as the kernel writes it back); the entries.
//
// struct bpf_ct_opts (6.18: NF_BPF_CT_OPTS_SZ 16; the 12-byte layout before ct zones is accepted too):
//   +0 s32 netns_id | +4 s32 error | +8 u8 l4proto | +9 u8 dir | +10 u16 ct_zone_id | +12 u8 ct_zone_dir
//   | +13 u8 reserved[3]
// struct bpf_sock_tuple: ipv4 { saddr, daddr, sport, dport } (12 bytes) or ipv6 { saddr[16], daddr[16],
// sport, dport } (36 bytes), addresses and ports as in the packet.
//
// __bpf_nf_ct_lookup's checks, in its order, each a NULL return with opts->error:
//   opts__sz not 16 or 12                           -EINVAL
//   16: reserved[0..2] not 0; 12: ct_zone_id not 0  -EINVAL
//   l4proto not TCP or UDP                          -EPROTO
//   netns_id < -1                                   -EINVAL
//   tuple__sz not 12 or 36                          -EAFNOSUPPORT
//   netns_id >= 0: wxdp has one namespace and gives it no id (get_net_ns_by_id finds none)  -ENONET
//   no entry                                        -ENOENT
// __bpf_nf_ct_alloc_entry's are the same but for netns_id < -1 before l4proto (its l4proto check is
// bpf_nf_ct_tuple_parse's), and a full table (nf_conntrack_alloc: early drop found nothing) -ENOMEM;
// without a table (conntrack not enabled) wxdp answers -ENOMEM too (nowhere to allocate from).
// A zone (16-byte opts) applies to the directions ct_zone_dir names (NF_CT_ZONE_DIR_ORIG 1, _REPL 2; 0 is
// both): wxdp's tuples carry their zone id each, so an allocation's original tuple gets the id if the
// zone applies to the original direction (else the default zone, 0) and its reply tuple likewise, as
// nf_ct_zone_id(zone, dir) hashes them; a lookup's tuple (the original direction's) gets the id for the
// original direction and is compared with the found direction's tuple zone (the kernel compares the
// zone ids of the direction found: the same but for a zone of one direction met in the other).

import { AF_INET, AF_INET6 } from './abi';
import { JIFFY_MS, netNow, netRoot } from './core';
import {
  CT_STATUS, CT_TIMEOUT, CT_TUPLE_SIZE, CTT_DPORT, CTT_DST, CTT_FAMILY, CTT_PROTO, CTT_SPORT, CTT_SRC, CTT_ZONE, IPS_ASSURED,
  IPS_CONFIRMED, IPS_DYING, IPS_EXPECTED, IPS_FIXED_TIMEOUT, IPS_SEEN_REPLY, IP_CT_DIR_ORIGINAL, IP_CT_DIR_REPLY, ctFind, CT_DIRS_BOTH, ctFree, ctSetTimeout, ctHashCheckInsert, ctLock,
  ctNew, ctRoot, ctUnlock, hDir, hEntry, invertTuple, TUPLE_INNER, TUPLE_INV,
} from './nf_conntrack';
import { nf_nat_bpf_setup } from './nf_nat';

const NF_BPF_CT_OPTS_SZ: u64 = 16;
const NF_BPF_CT_OPTS_SZ_OLD: u64 = 12;
const OPT_ERROR: u32 = 4;
const OPT_L4PROTO: u32 = 8;
const OPT_DIR: u32 = 9;
const OPT_ZONE_ID: u32 = 10;
const OPT_ZONE_DIR: u32 = 12;
const OPT_RESERVED: u32 = 13;
/** NF_CT_DEFAULT_ZONE_DIR: NF_CT_ZONE_DIR_ORIG | NF_CT_ZONE_DIR_REPL. */
const NF_CT_DEFAULT_ZONE_DIR: u8 = 3;
const IPPROTO_TCP: u32 = 6;
const IPPROTO_UDP: u32 = 17;
const EINVAL: i32 = -22;
const EPROTO: i32 = -71;
const EAFNOSUPPORT: i32 = -97;
const ENONET: i32 = -64;
const ENOENT: i32 = -2;
const ENOMEM: i32 = -12;
const EBUSY: i32 = -16;
const EPERM: i32 = -1;
const ETIME: i32 = -62;
/** The bpf_ct_alloc timeout (seconds: __bpf_nf_ct_alloc_entry's `timeout * HZ`). */
const BPF_CT_ALLOC_TIMEOUT_MS: u64 = 10 * 1000;
/** __nf_ct_set_timeout's cap: INT_MAX jiffies. */
const TIMEOUT_MAX_JIFFIES: u64 = 0x7fffffff;
/** IPS_UNCHANGEABLE_MASK's complement within __IPS_MAX_BIT (16): SEEN_REPLY, ASSURED, FIXED_TIMEOUT, HELPER. */
const IPS_CHANGEABLE: u32 = (1 << 1) | (1 << 2) | (1 << 10) | (1 << 13);

/**
 * The checks of __bpf_nf_ct_lookup (`alloc` false) or __bpf_nf_ct_alloc_entry (true) in their order, and
 * bpf_nf_ct_tuple_parse's original-direction tuple in TUPLE_INNER (wxdp's layout, the zone in it): 0, or
 * the error for opts->error.
 */
function ctOpts(t: u32, tLen: u64, o: u32, oLen: u64, alloc: bool): i32 {
  if (oLen != NF_BPF_CT_OPTS_SZ && oLen != NF_BPF_CT_OPTS_SZ_OLD) return EINVAL;
  const zone = <u32>load<u16>(o + OPT_ZONE_ID);
  if (oLen == NF_BPF_CT_OPTS_SZ) {
    if (load<u8>(o + OPT_RESERVED) != 0 || load<u8>(o + OPT_RESERVED + 1) != 0 || load<u8>(o + OPT_RESERVED + 2) != 0) return EINVAL;
  } else if (zone != 0) return EINVAL;
  const proto = <u32>load<u8>(o + OPT_L4PROTO);
  const badProto = proto != IPPROTO_TCP && proto != IPPROTO_UDP;
  const netns = load<i32>(o);
  if (!alloc && badProto) return EPROTO;
  if (netns < -1) return EINVAL;
  if (badProto) return EPROTO;
  if (tLen != 12 && tLen != 36) return EAFNOSUPPORT;
  if (netns >= 0) return ENONET;
  if (oLen == NF_BPF_CT_OPTS_SZ && load<u8>(o + OPT_ZONE_DIR) == 0) store<u8>(o + OPT_ZONE_DIR, NF_CT_DEFAULT_ZONE_DIR);
  // the table's tuple (nf_conntrack.ts): addresses in 16 bytes each, ports, l4proto, family, zone
  const k = TUPLE_INNER();
  memory.fill(k, 0, CT_TUPLE_SIZE);
  if (tLen == 12) {
    store<u32>(k + CTT_SRC, load<u32>(t));
    store<u32>(k + CTT_DST, load<u32>(t + 4));
    store<u16>(k + CTT_SPORT, load<u16>(t + 8));
    store<u16>(k + CTT_DPORT, load<u16>(t + 10));
    store<u8>(k + CTT_FAMILY, <u8>AF_INET);
  } else {
    memory.copy(k + CTT_SRC, t, 16);
    memory.copy(k + CTT_DST, t + 16, 16);
    store<u16>(k + CTT_SPORT, load<u16>(t + 32));
    store<u16>(k + CTT_DPORT, load<u16>(t + 34));
    store<u8>(k + CTT_FAMILY, <u8>AF_INET6);
  }
  store<u8>(k + CTT_PROTO, <u8>proto);
  store<u16>(k + CTT_ZONE, <u16>zoneId(o, oLen, IP_CT_DIR_ORIGINAL));
  return 0;
}

/**
 * nf_ct_zone_id of the opts' zone (nf_ct_zone_init(ct_zone_id, ct_zone_dir)) in direction `dir`: the id
 * where the zone applies to that direction, else NF_CT_DEFAULT_ZONE_ID (0); 12-byte opts: the default zone.
 */
function zoneId(o: u32, oLen: u64, dir: u32): u32 {
  if (oLen != NF_BPF_CT_OPTS_SZ) return 0;
  return (<u32>load<u8>(o + OPT_ZONE_DIR) & (1 << dir)) != 0 ? <u32>load<u16>(o + OPT_ZONE_ID) : 0;
}

/** The lookup's entry, or 0 with the error in opts->error. */
function ctLookup(t: u32, tLen: u64, o: u32, oLen: u64): u32 {
  const err = ctOpts(t, tLen, o, oLen, false);
  if (err != 0) return fail(o, err);
  const root = netRoot() != 0 ? ctRoot() : 0;
  if (root == 0) return fail(o, ENOENT);
  ctLock(root);
  const h = ctFind(root, TUPLE_INNER(), CT_DIRS_BOTH);
  ctUnlock(root);
  if (h == 0) return fail(o, ENOENT);
  store<u8>(o + OPT_DIR, <u8>hDir(h));
  return hEntry(h);
}

@inline function fail(o: u32, err: i32): u32 {
  store<i32>(o + OPT_ERROR, err);
  return 0;
}

// Each export takes r1..r5 as every kfunc the engines call (src/helpers/kfuncs.ts kfuncHelpers).

/**
 * bpf_xdp_ct_lookup(ctx, bpf_tuple, tuple__sz, opts, opts__sz): the conntrack entry (struct nf_conn *) whose
 * tuple in either direction is `bpf_tuple`, opts->dir its direction; else NULL and opts->error.
 */
export function bpf_xdp_ct_lookup(ctx: u64, tuple: u64, tupleLen: u64, opts: u64, optsLen: u64): u64 {
  return <u64>ctLookup(<u32>tuple, tupleLen, <u32>opts, optsLen);
}

/**
 * bpf_xdp_ct_alloc(ctx, bpf_tuple, tuple__sz, opts, opts__sz): a new entry (struct nf_conn___init *) of
 * the tuple and its inverse, unconfirmed and outside the table, its timeout 10 s (relative until
 * inserted), the protocol state zeroed; else NULL and opts->error.
 */
export function bpf_xdp_ct_alloc(ctx: u64, tuple: u64, tupleLen: u64, opts: u64, optsLen: u64): u64 {
  const o = <u32>opts;
  const err = ctOpts(<u32>tuple, tupleLen, o, optsLen, true);
  if (err != 0) return <u64>fail(o, err);
  const root = netRoot() != 0 ? ctRoot() : 0;
  if (root == 0) return <u64>fail(o, ENOMEM);
  const inv = TUPLE_INV();
  invertTuple(inv, TUPLE_INNER());
  store<u16>(inv + CTT_ZONE, <u16>zoneId(o, optsLen, IP_CT_DIR_REPLY));
  ctLock(root);
  const e = ctNew(root, TUPLE_INNER(), inv);
  ctUnlock(root);
  if (e == 0) return <u64>fail(o, ENOMEM);
  ctSetTimeout(e, BPF_CT_ALLOC_TIMEOUT_MS);
  return <u64>e;
}

/**
 * bpf_ct_insert_entry(nfct_i): the allocated entry confirmed (its relative timeout made absolute) and put
 * in the table, now a struct nf_conn *; NULL when either tuple is there already, the entry freed.
 */
export function bpf_ct_insert_entry(ct: u64, r2: u64, r3: u64, r4: u64, r5: u64): u64 {
  const e = <u32>ct;
  const root = ctRoot();
  const s = load<u32>(e + CT_STATUS);
  if ((s & IPS_CONFIRMED) == 0) ctSetTimeout(e, load<u64>(e + CT_TIMEOUT) + netNow());
  store<u32>(e + CT_STATUS, s | IPS_CONFIRMED);
  ctLock(root);
  const ok = ctHashCheckInsert(root, e);
  if (!ok) ctFree(root, e);
  ctUnlock(root);
  return ok ? ct : 0;
}

/**
 * __nf_ct_set_timeout(ct, msecs_to_jiffies(ms)): in whole jiffies (rounded up, capped at INT_MAX), from now
 * for a confirmed entry, relative for one not yet inserted.
 */
function setTimeout(e: u32, ms: u64): void {
  let j = (ms + JIFFY_MS - 1) / JIFFY_MS;
  if (j > TIMEOUT_MAX_JIFFIES) j = TIMEOUT_MAX_JIFFIES;
  const t = j * JIFFY_MS;
  ctSetTimeout(e, (load<u32>(e + CT_STATUS) & IPS_CONFIRMED) != 0 ? netNow() + t : t);
}

/** bpf_ct_set_timeout(nfct, timeout): the allocated entry's timeout, `timeout` ms. */
export function bpf_ct_set_timeout(ct: u64, ms: u64, r3: u64, r4: u64, r5: u64): u64 {
  setTimeout(<u32>ct, ms & 0xffffffff);
  return 0;
}

/**
 * bpf_ct_change_timeout(nfct, timeout) (__nf_ct_change_timeout): -EPERM for an entry of fixed timeout; the
 * timeout set, then -ETIME if the entry is dying; else 0.
 */
export function bpf_ct_change_timeout(ct: u64, ms: u64, r3: u64, r4: u64, r5: u64): u64 {
  const e = <u32>ct;
  if ((load<u32>(e + CT_STATUS) & IPS_FIXED_TIMEOUT) != 0) return <u64>EPERM;
  setTimeout(e, ms & 0xffffffff);
  return <u64>((load<u32>(e + CT_STATUS) & IPS_DYING) != 0 ? ETIME : 0);
}

/**
 * nf_ct_change_status_common, for bpf_ct_set_status and bpf_ct_change_status: -EBUSY when `status` would
 * change EXPECTED, CONFIRMED or DYING, or clear SEEN_REPLY or ASSURED; else its changeable bits set (none
 * cleared: __nf_ct_change_status(ct, status, 0)).
 */
function changeStatus(ct: u64, status: u64): u64 {
  const e = <u32>ct;
  const s = load<u32>(e + CT_STATUS);
  const st = <u32>status;
  const d = s ^ st;
  if ((d & (IPS_EXPECTED | IPS_CONFIRMED | IPS_DYING)) != 0) return <u64>EBUSY;
  if ((d & IPS_SEEN_REPLY) != 0 && (st & IPS_SEEN_REPLY) == 0) return <u64>EBUSY;
  if ((d & IPS_ASSURED) != 0 && (st & IPS_ASSURED) == 0) return <u64>EBUSY;
  store<u32>(e + CT_STATUS, s | (st & IPS_CHANGEABLE));
  return 0;
}

/** bpf_ct_set_status(nfct, status): of an allocated entry. */
export function bpf_ct_set_status(ct: u64, status: u64, r3: u64, r4: u64, r5: u64): u64 {
  return changeStatus(ct, status);
}

/** bpf_ct_change_status(nfct, status): of an entry in the table. */
export function bpf_ct_change_status(ct: u64, status: u64, r3: u64, r4: u64, r5: u64): u64 {
  const root = ctRoot();
  ctLock(root);
  const r = changeStatus(ct, status);
  ctUnlock(root);
  return r;
}

/** bpf_ct_set_nat_info(nfct, addr, port, manip): nf_nat.ts nf_nat_bpf_setup. */
export function bpf_ct_set_nat_info(ct: u64, addr: u64, port: u64, manip: u64, r5: u64): u64 {
  return <u64>nf_nat_bpf_setup(<u32>ct, <u32>addr, <i32>port, <u32>manip);
}
