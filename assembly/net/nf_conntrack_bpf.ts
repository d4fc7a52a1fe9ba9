// The conntrack kfuncs of XDP programs (net/netfilter/nf_conntrack_bpf.c) over wxdp's conntrack table
// (nf_conntrack.ts): bpf_xdp_ct_lookup finds the entry of a struct bpf_sock_tuple, bpf_ct_release lets it
// go (wxdp's entries are not reference counted: a no-op, src/helpers/kfuncs.ts).
//
// Reads: the tuple and struct bpf_ct_opts the program passes, the table under its lock. Sets: opts->error
// (a failure) or opts->dir (the direction of the tuple found), and nothing else; the entry's status and
// mark are what a program reads through the returned pointer (src/elf/core.ts WXDP_BTF nf_conn).
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
// A zone (16-byte opts) is matched by its id in both directions (wxdp's tuples carry one zone: ct_zone_dir
// is not looked at).

import { AF_INET, AF_INET6 } from './abi';
import { netRoot } from './core';
import { CT_TUPLE_SIZE, CTT_DPORT, CTT_DST, CTT_FAMILY, CTT_PROTO, CTT_SPORT, CTT_SRC, CTT_ZONE, ctFind, ctLock, ctRoot, ctUnlock, hDir, hEntry, TUPLE_INNER } from './nf_conntrack';

const NF_BPF_CT_OPTS_SZ: u64 = 16;
const NF_BPF_CT_OPTS_SZ_OLD: u64 = 12;
const OPT_ERROR: u32 = 4;
const OPT_L4PROTO: u32 = 8;
const OPT_DIR: u32 = 9;
const OPT_ZONE_ID: u32 = 10;
const OPT_RESERVED: u32 = 13;
const IPPROTO_TCP: u32 = 6;
const IPPROTO_UDP: u32 = 17;
const EINVAL: i32 = -22;
const EPROTO: i32 = -71;
const EAFNOSUPPORT: i32 = -97;
const ENONET: i32 = -64;
const ENOENT: i32 = -2;

/** The lookup's entry, or 0 with the error in `err`. */
function ctLookup(t: u32, tLen: u64, o: u32, oLen: u64): u32 {
  if (oLen != NF_BPF_CT_OPTS_SZ && oLen != NF_BPF_CT_OPTS_SZ_OLD) return fail(o, EINVAL);
  const zone = <u32>load<u16>(o + OPT_ZONE_ID);
  if (oLen == NF_BPF_CT_OPTS_SZ) {
    if (load<u8>(o + OPT_RESERVED) != 0 || load<u8>(o + OPT_RESERVED + 1) != 0 || load<u8>(o + OPT_RESERVED + 2) != 0) return fail(o, EINVAL);
  } else if (zone != 0) return fail(o, EINVAL);
  const proto = <u32>load<u8>(o + OPT_L4PROTO);
  if (proto != IPPROTO_TCP && proto != IPPROTO_UDP) return fail(o, EPROTO);
  const netns = load<i32>(o);
  if (netns < -1) return fail(o, EINVAL);
  if (tLen != 12 && tLen != 36) return fail(o, EAFNOSUPPORT);
  if (netns >= 0) return fail(o, ENONET);
  const root = netRoot() != 0 ? ctRoot() : 0;
  if (root == 0) return fail(o, ENOENT);
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
  if (oLen == NF_BPF_CT_OPTS_SZ) store<u16>(k + CTT_ZONE, <u16>zone);
  ctLock(root);
  const h = ctFind(root, k);
  ctUnlock(root);
  if (h == 0) return fail(o, ENOENT);
  store<u8>(o + OPT_DIR, <u8>hDir(h));
  return hEntry(h);
}

@inline function fail(o: u32, err: i32): u32 {
  store<i32>(o + OPT_ERROR, err);
  return 0;
}

/**
 * bpf_xdp_ct_lookup(ctx, bpf_tuple, tuple__sz, opts, opts__sz): the conntrack entry (struct nf_conn *) whose
 * tuple in either direction is `bpf_tuple`, opts->dir its direction; else NULL and opts->error.
 */
export function bpf_xdp_ct_lookup(ctx: u64, tuple: u64, tupleLen: u64, opts: u64, optsLen: u64): u64 {
  return <u64>ctLookup(<u32>tuple, tupleLen, <u32>opts, optsLen);
}

