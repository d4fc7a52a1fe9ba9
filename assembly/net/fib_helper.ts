// bpf_fib_lookup (kernel helper 69) for XDP programs, as net/core/filter.c's bpf_xdp_fib_lookup,
// bpf_ipv4_fib_lookup, bpf_ipv6_fib_lookup and bpf_fib_set_fwd_params do it, backed by this FIB.
//
// Reads: the program's struct bpf_fib_lookup (64 bytes), the netdev records (forwarding, MAC, MTU),
// the FIB, the PMTU exceptions (dst.ts), the neighbour table (neigh_lookup), the devices' addresses
// (BPF_FIB_LOOKUP_SRC: nh_saddr / ipv6_dev_get_saddr). Sets: the struct's output fields and the return
// code; its flow key and result live in the worker's scratch (SCR_FIB + 192, + 256). Next: the program (which then typically rewrites the MACs and
// calls bpf_redirect).
//
// An IPv4 lookup with flags 0 (an XDP router's usual call) is first tried short (ipv4Lean): when the
// burst's FIB walk (fib_prefetch.ts, which napi.ts runs ahead of a program that calls this helper)
// already holds the whole answer — no rules, one next hop, a valid neighbour, within the MTU — it is
// read from the route directly, with no flow key, result buffer or path selection; anything else goes
// the full way (ipv4Lookup), which gives the same answer for what the short one takes. Ahead of an XDP
// program's burst, the poll has that short answer worked out for each warmed frame (fibAnswersWalk,
// FIB_ANSWERS below), which the JIT'd program reads inline when its call is the one it was made for.
//
// struct bpf_fib_lookup (include/uapi/linux/bpf.h):
//
//   +0 u8 family  +1 u8 l4_protocol  +2 be16 sport  +4 be16 dport  +6 u16 tot_len | mtu_result
//   +8 u32 ifindex  +12 u8 tos | be32 flowinfo | u32 rt_metric
//   +16 ipv4_src | ipv6_src[16]   +32 ipv4_dst | ipv6_dst[16]
//   +48 be16 h_vlan_proto, be16 h_vlan_TCI | u32 tbid   +52 u32 mark | u8 smac[6], u8 dmac[6]

import { fibGen, netdevGet, netScratch } from './core';
import {
  AF_INET, AF_INET6, CONF4_FORWARDING, CONF6_FORWARDING, CONF6_MTU, FL_DPORT, FL_DST, FL_FAMILY, FL_IIF,
  FL_LABEL, FL_MARK, FL_OIF, FL_PROTO, FL_SPORT, FL_SRC, FL_TOS, FR_GW, FR_GW_FAMILY, FR_INFO,
  FR_OIF, FR_SIZE, FR_TYPE, LOOPBACK_IFINDEX, ND_CONF4, ND_CONF6, ND_MAC, ND_MTU, NE_MAC,
  NE_STATE, NUD_VALID, RTN_BLACKHOLE, RTN_PROHIBIT, RTN_UNICAST, RTN_UNREACHABLE, RT_TABLE_MAIN, SCR_FIB,
  SYSCTL_IP_FORWARD_USE_PMTU,
} from './abi';
import { sysctl } from './core';
import {
  FA_HAS_PREFSRC, FA_LOCK, fib4_burst_ready, fib4BurstAliasAny, fib4RuleAliasOf, fib4RuleAliasOnPath, fib4RulePathMemo, fib4RulesWalkable, fib4BurstRouteOutAt, fib4BurstDirectAt, fib4BurstRuleRouteAt, fib4BurstRules, FA_MTU, FA_NH, FA_NHS, FA_PREFSRC, FA_PRIORITY, lookup4NoPath, fib4_burst_direct, fib4_burst_route, fib4_burst_rule_route, fib4CustomRules, fib4_mp_pick, fib4_mp_pick_addrs, fib4_mp_pick_hashed, NH_SIZE,
  fib4_select_path, fib6_lookup_oif, fib6_select_path, fib6_table_lookup, fib_result_prefsrc, fib_table_lookup, NH_GW, NH_GW_FAMILY,
  NH_NEIGH, NH_OIF,
} from './fib';
import { dst_pmtu, dstPmtuNone } from './dst';
import { neigh4LookupHintedDev, neigh_lookup } from './neigh';
import { ipv6_dev_get_saddr } from './netdev';
import { ipv6Copy, zero64 } from './inet';
import { mp_hash4_addrs_many, mp_hash4_addrs_only } from './mphash';
import { BURST_MAX, CTX_BASE, CTX_DATA, CTX_DATA_END, CTX_INGRESS_IFINDEX } from '../abi';
import {
  fib4_prefetch, fib4BurstDstAt, fib4BurstLocalsWalked, fib4BurstScratch, fib4BurstWalk, fib4PrefetchAliasCold, fib4PrefetchDsts, fib4PrefetchKeep, fib4PrefetchSettle,
  fib4PrefetchSink, fib4PrefetchWalk,
} from './fib_prefetch';

export const BPF_FIB_LOOKUP_DIRECT: u32 = 1;
export const BPF_FIB_LOOKUP_OUTPUT: u32 = 2;
export const BPF_FIB_LOOKUP_SKIP_NEIGH: u32 = 4;
export const BPF_FIB_LOOKUP_TBID: u32 = 8;
export const BPF_FIB_LOOKUP_SRC: u32 = 16;
export const BPF_FIB_LOOKUP_MARK: u32 = 32;
const FLAGS_ALL: u32 = 63;

export const BPF_FIB_LKUP_RET_SUCCESS: i32 = 0;
export const BPF_FIB_LKUP_RET_BLACKHOLE: i32 = 1;
export const BPF_FIB_LKUP_RET_UNREACHABLE: i32 = 2;
export const BPF_FIB_LKUP_RET_PROHIBIT: i32 = 3;
export const BPF_FIB_LKUP_RET_NOT_FWDED: i32 = 4;
export const BPF_FIB_LKUP_RET_FWD_DISABLED: i32 = 5;
export const BPF_FIB_LKUP_RET_UNSUPP_LWT: i32 = 6;
export const BPF_FIB_LKUP_RET_NO_NEIGH: i32 = 7;
export const BPF_FIB_LKUP_RET_FRAG_NEEDED: i32 = 8;
export const BPF_FIB_LKUP_RET_NO_SRC_ADDR: i32 = 9;

const P_FAMILY: u32 = 0;
const P_PROTO: u32 = 1;
const P_SPORT: u32 = 2;
const P_DPORT: u32 = 4;
const P_TOT_LEN: u32 = 6;
const P_IFINDEX: u32 = 8;
const P_TOS: u32 = 12;
const P_SRC: u32 = 16;
const P_DST: u32 = 32;
const P_VLAN_PROTO: u32 = 48;
const P_VLAN_TCI: u32 = 50;
const P_TBID: u32 = 48;
const P_MARK: u32 = 52;
const P_SMAC: u32 = 52;
const P_DMAC: u32 = 58;
const PARAMS_SIZE: u32 = 64;

const EINVAL: i64 = 22;
const ENODEV: i64 = 19;
const EAFNOSUPPORT: i64 = 97;
const IP_MAX_MTU: u32 = 65535;
const IPV6_MIN_MTU: u32 = 1280;
const RTAX_MTU_LOCK: u32 = 1 << 2; // 1 << RTAX_MTU

// the flow key and result live in the worker's scratch (SCR_FIB in abi.ts: +192 and +256)
@inline function flKey(): u32 {
  return netScratch() + SCR_FIB + 192;
}
@inline function result(): u32 {
  return netScratch() + SCR_FIB + 256;
}

/** bpf_fib_set_fwd_params: no VLAN on output; the MTU (0 when the caller did not check one). */
@inline function setFwdParams(p: u32, mtu: u32): i32 {
  store<u16>(p + P_VLAN_TCI, 0);
  store<u16>(p + P_VLAN_PROTO, 0);
  if (mtu != 0) store<u16>(p + P_TOT_LEN, <u16>mtu);
  return BPF_FIB_LKUP_RET_SUCCESS;
}

/** smac from the device, dmac from the neighbour: 6 bytes each as a u32 and a u16. */
@inline function copyMacs(p: u32, ne: u32, dev: u32): void {
  store<u32>(p + P_DMAC, load<u32>(ne + NE_MAC));
  store<u16>(p + P_DMAC + 4, load<u16>(ne + NE_MAC + 4));
  store<u32>(p + P_SMAC, load<u32>(dev + ND_MAC));
  store<u16>(p + P_SMAC + 4, load<u16>(dev + ND_MAC + 4));
}

/** ip_mtu_from_fib_result: the route's mtu when locked (or ip_forward_use_pmtu), a PMTU exception, the device's. */
function mtu4(dev: u32, daddr: u32): u32 {
  const res = result();
  const fa = load<u32>(res + FR_INFO);
  let mtu: u32 = 0;
  if (sysctl(SYSCTL_IP_FORWARD_USE_PMTU) != 0 || (load<u32>(fa + FA_LOCK) & RTAX_MTU_LOCK) != 0) mtu = load<u32>(fa + FA_MTU);
  if (mtu == 0) mtu = dst_pmtu(AF_INET, daddr);
  if (mtu == 0) {
    mtu = load<u32>(dev + ND_MTU);
    if (mtu > IP_MAX_MTU) mtu = IP_MAX_MTU;
  }
  return mtu;
}

/** ip6_mtu_from_fib6: the route's mtu when locked, a PMTU exception, the device's mtu6 (≥ 1280). */
function mtu6(dev: u32, daddr: u32): u32 {
  const res = result();
  const fa = load<u32>(res + FR_INFO);
  let mtu: u32 = 0;
  if ((load<u32>(fa + FA_LOCK) & RTAX_MTU_LOCK) != 0) {
    mtu = load<u32>(fa + FA_MTU);
    if (mtu != 0) return mtu;
  }
  mtu = dst_pmtu(AF_INET6, daddr);
  if (mtu == 0) {
    mtu = IPV6_MIN_MTU;
    const m6 = load<u32>(dev + ND_CONF6 + (CONF6_MTU << 2));
    if (m6 > mtu) mtu = m6;
  }
  return mtu > IP_MAX_MTU ? IP_MAX_MTU : mtu;
}

/** The flow key's protocol, ports and family from the struct. */
@inline function flowPorts(fl: u32, p: u32, family: u32): void {
  store<u8>(fl + FL_PROTO, load<u8>(p + P_PROTO));
  store<u16>(fl + FL_SPORT, load<u16>(p + P_SPORT));
  store<u16>(fl + FL_DPORT, load<u16>(p + P_DPORT));
  store<u8>(fl + FL_FAMILY, <u8>family);
}

/** BPF_FIB_LOOKUP_DIRECT's table: main, or tbid with BPF_FIB_LOOKUP_TBID (the field then zeroed for the VLAN output fields). */
@inline function directTable(p: u32, flags: u32): u32 {
  if ((flags & BPF_FIB_LOOKUP_TBID) == 0) return RT_TABLE_MAIN;
  const tbid = load<u32>(p + P_TBID);
  store<u32>(p + P_TBID, 0);
  return tbid;
}

@inline function ipv4Lookup(p: u32, flags: u32): i32 {
  const fl = flKey();
  const res = result();
  const ifindex = load<u32>(p + P_IFINDEX);
  let dev = netdevGet(ifindex);
  if (dev == 0) return <i32>-ENODEV;
  if (load<u32>(dev + ND_CONF4 + (CONF4_FORWARDING << 2)) == 0) return BPF_FIB_LKUP_RET_FWD_DISABLED;
  zero64(fl);
  if (flags & BPF_FIB_LOOKUP_OUTPUT) {
    store<u32>(fl + FL_IIF, LOOPBACK_IFINDEX);
    store<u32>(fl + FL_OIF, ifindex);
  } else {
    store<u32>(fl + FL_IIF, ifindex);
  }
  store<u8>(fl + FL_TOS, load<u8>(p + P_TOS) & 0xfc);
  store<u32>(fl + FL_DST, load<u32>(p + P_DST));
  store<u32>(fl + FL_SRC, load<u32>(p + P_SRC));
  flowPorts(fl, p, AF_INET);
  let err: i32;
  if (flags & BPF_FIB_LOOKUP_DIRECT) {
    // a missing table and a miss both answer NOT_FWDED
    err = fib_table_lookup(AF_INET, directTable(p, flags), fl, res);
  } else {
    if (flags & BPF_FIB_LOOKUP_MARK) store<u32>(fl + FL_MARK, load<u32>(p + P_MARK));
    err = lookup4NoPath(fl, res);
  }
  if (err != 0) {
    if (err == -22) return BPF_FIB_LKUP_RET_BLACKHOLE;
    if (err == -113) return BPF_FIB_LKUP_RET_UNREACHABLE;
    if (err == -13) return BPF_FIB_LKUP_RET_PROHIBIT;
    return BPF_FIB_LKUP_RET_NOT_FWDED;
  }
  if (<u32>load<u8>(res + FR_TYPE) != RTN_UNICAST) return BPF_FIB_LKUP_RET_NOT_FWDED;
  const fa = load<u32>(res + FR_INFO);
  if (load<u32>(fa + FA_NHS) > 1) fib4_select_path(fl, res);
  const oif = load<u32>(res + FR_OIF);
  dev = netdevGet(oif);
  if (dev == 0) return BPF_FIB_LKUP_RET_NOT_FWDED;
  const mtu = mtu4(dev, p + P_DST);
  if (<u32>load<u16>(p + P_TOT_LEN) > mtu) {
    store<u16>(p + P_TOT_LEN, <u16>mtu);
    return BPF_FIB_LKUP_RET_FRAG_NEEDED;
  }
  store<u32>(p + P_TOS, load<u32>(fa + FA_PRIORITY)); // rt_metric
  store<u32>(p + P_IFINDEX, oif);
  if (flags & BPF_FIB_LOOKUP_SRC) {
    // fib_result_prefsrc: the route's prefsrc, else the next hop's nh_saddr (refreshed when stale)
    store<u32>(p + P_SRC, fib_result_prefsrc(res));
  }
  const gwf = <u32>load<u8>(res + FR_GW_FAMILY);
  if (gwf == AF_INET) store<u32>(p + P_DST, load<u32>(res + FR_GW));
  else if (gwf == AF_INET6) {
    store<u8>(p + P_FAMILY, <u8>AF_INET6);
    ipv6Copy(p + P_DST, res + FR_GW);
  }
  if (flags & BPF_FIB_LOOKUP_SKIP_NEIGH) return setFwdParams(p, mtu);
  const ne = gwf == AF_INET6 ? neigh_lookup(AF_INET6, oif, p + P_DST) : neigh_lookup(AF_INET, oif, p + P_DST);
  if (ne == 0 || (<u32>load<u8>(ne + NE_STATE) & NUD_VALID) == 0) return BPF_FIB_LKUP_RET_NO_NEIGH;
  copyMacs(p, ne, dev);
  return setFwdParams(p, mtu);
}

/**
 * ipv4Lookup's common case, short. Flags 0 (rules, no mark, neighbour wanted): the FIB's answer held by
 * the burst's walk (fib4_burst_route: no rule ever added, main's unicast route, nothing in local).
 * DIRECT with or without SKIP_NEIGH (table main as the kernel merges it with local before any rule:
 * fib4_burst_direct, a miss answered NOT_FWDED). A multipath route's next hop as fib4_select_path picks
 * it over the flow key ipv4Lookup builds (fib4_mp_pick). Then: no locked route MTU and ip_forward_use_pmtu off, the datagram within
 * the MTU, an IPv4 gateway or none, the neighbour valid (unless SKIP_NEIGH). The answer is ipv4Lookup's;
 * -1 when any of this does not hold, with nothing written to the struct, and ipv4Lookup decides. (Its
 * flow key and result in the scratch are not written: nothing reads them after the call.)
 */
function ipv4Lean(p: u32, flags: u32): i32 {
  const dev = netdevGet(load<u32>(p + P_IFINDEX));
  if (dev == 0 || load<u32>(dev + ND_CONF4 + (CONF4_FORWARDING << 2)) == 0) return -1;
  const tos = <u32>load<u8>(p + P_TOS) & 0xfc;
  let fa: u32;
  let keyed = false;
  if ((flags & BPF_FIB_LOOKUP_DIRECT) != 0) {
    const dst = load<u32>(p + P_DST);
    const s = slotNow;
    // the frame's own slot, the walk current with no rules (fibHelperBurst): read, not searched, and
    // none of fib4_burst_direct's per-call checks of the root, tables and generations. 12-07 (bench
    // fib's 'wxdp bpf_fib_lookup' row, DIRECT | SKIP_NEIGH, one process, the two ways switched per
    // round, thread CPU time, load 14): dpdk-1M 63.4 -> 53.7 ns a lookup (0.87, 14/16 rounds faster;
    // 0.90, 9/12 in an earlier run), dpdk-54k 42.6 -> 37.1 (0.84, 12/16); same answers and structs
    if (s >= 0 && !slotRules && slotWalk == fib4BurstWalk() && fib4BurstDstAt(<u32>s) == dst) fa = fib4BurstDirectAt(<u32>s, tos);
    else fa = fib4_burst_direct(dst, tos);
    if (fa == 1) return BPF_FIB_LKUP_RET_NOT_FWDED;
  } else {
    const dst = load<u32>(p + P_DST);
    const s = slotNow;
    if (s >= 0 && slotWalk == fib4BurstWalk() && fib4BurstDstAt(<u32>s) == dst) {
      // the frame's own slot of the burst's walk, current for the burst (fibHelperBurst): read, not searched
      if (slotRules) {
        leanFlow(p, tos);
        keyed = true;
        fa = fib4BurstRuleRouteAt(<u32>s, flKey(), tos);
      } else fa = fib4BurstRouteOutAt(<u32>s, tos);
    } else {
      fa = fib4_burst_route(dst, tos);
      // rules added: the rules ipv4Lookup's flow key matches, walked to main (fib4_burst_rule_route)
      if (fa == 0 && fib4CustomRules()) {
        leanFlow(p, tos);
        keyed = true;
        fa = fib4_burst_rule_route(dst, flKey(), tos);
      }
    }
  }
  if (fa == 0 || sysctl(SYSCTL_IP_FORWARD_USE_PMTU) != 0 || (load<u32>(fa + FA_LOCK) & RTAX_MTU_LOCK) != 0) return -1;
  // a multipath route: fib4_select_path's next hop over ipv4Lookup's flow key (fib4_mp_pick)
  let k: i32 = 0;
  if (load<u32>(fa + FA_NHS) > 1) {
    // the hash over the addresses alone (the usual policies): no key to build
    if (mp_hash4_addrs_only()) k = fib4_mp_pick_addrs(fa, load<u32>(p + P_SRC), load<u32>(p + P_DST));
    else {
      if (!keyed) leanFlow(p, tos);
      k = fib4_mp_pick(fa, flKey());
    }
    if (k < 0) return -1;
  }
  const nh = fa + FA_NH + <u32>k * NH_SIZE;
  const oif = load<u32>(nh + NH_OIF);
  const odev = netdevGet(oif);
  if (odev == 0) return -1;
  // mtu4 without the route's locked mtu: a PMTU exception, else the device's
  let mtu: u32 = dstPmtuNone() ? 0 : dst_pmtu(AF_INET, p + P_DST);
  if (mtu == 0) {
    mtu = load<u32>(odev + ND_MTU);
    if (mtu > IP_MAX_MTU) mtu = IP_MAX_MTU;
  }
  if (<u32>load<u16>(p + P_TOT_LEN) > mtu) return -1;
  const gwf = <u32>load<u8>(nh + NH_GW_FAMILY);
  if (gwf != AF_INET && gwf != 0) return -1;
  let ne: u32 = 0;
  if ((flags & BPF_FIB_LOOKUP_SKIP_NEIGH) == 0) {
    ne = gwf == AF_INET ? neigh4LookupHintedDev(oif, odev, nh + NH_GW, nh + NH_NEIGH) : neigh_lookup(AF_INET, oif, p + P_DST);
    if (ne == 0 || (<u32>load<u8>(ne + NE_STATE) & NUD_VALID) == 0) return -1;
  }
  store<u32>(p + P_TOS, load<u32>(fa + FA_PRIORITY)); // rt_metric
  store<u32>(p + P_IFINDEX, oif);
  if (gwf == AF_INET) store<u32>(p + P_DST, load<u32>(nh + NH_GW));
  if (ne != 0) copyMacs(p, ne, odev);
  return setFwdParams(p, mtu);
}

/** ipv4Lookup's flow key for flags 0 (iif, TOS, addresses, protocol and ports; no mark), at flKey(). */
@inline function leanFlow(p: u32, tos: u32): void {
  const fl = flKey();
  zero64(fl);
  store<u32>(fl + FL_IIF, load<u32>(p + P_IFINDEX));
  store<u8>(fl + FL_TOS, <u8>tos);
  store<u32>(fl + FL_DST, load<u32>(p + P_DST));
  store<u32>(fl + FL_SRC, load<u32>(p + P_SRC));
  flowPorts(fl, p, AF_INET);
}

/** rt6_need_strict: multicast, link-local unicast or loopback. */
function needStrict(a: usize): bool {
  const b0 = load<u8>(a);
  if (b0 == 0xff) return true;
  if (b0 == 0xfe && (load<u8>(a + 1) & 0xc0) == 0x80) return true;
  return load<u64>(a) == 0 && load<u64>(a + 8) == 0x0100000000000000;
}

function ipv6Lookup(p: u32, flags: u32): i32 {
  const fl = flKey();
  const res = result();
  if (needStrict(p + P_DST) || needStrict(p + P_SRC)) return BPF_FIB_LKUP_RET_NOT_FWDED;
  const ifindex = load<u32>(p + P_IFINDEX);
  let dev = netdevGet(ifindex);
  if (dev == 0) return <i32>-ENODEV;
  if (load<u32>(dev + ND_CONF6 + (CONF6_FORWARDING << 2)) == 0) return BPF_FIB_LKUP_RET_FWD_DISABLED;
  zero64(fl);
  const oif = ifindex;
  let hasSaddr = false;
  if (flags & BPF_FIB_LOOKUP_OUTPUT) {
    store<u32>(fl + FL_IIF, LOOPBACK_IFINDEX);
    store<u32>(fl + FL_OIF, ifindex);
  } else {
    store<u32>(fl + FL_IIF, ifindex);
    hasSaddr = true; // RT6_LOOKUP_F_HAS_SADDR
  }
  store<u32>(fl + FL_LABEL, load<u32>(p + P_TOS));
  ipv6Copy(fl + FL_DST, p + P_DST);
  ipv6Copy(fl + FL_SRC, p + P_SRC);
  flowPorts(fl, p, AF_INET6);
  let err: i32;
  if (flags & BPF_FIB_LOOKUP_DIRECT) {
    err = fib6_table_lookup(directTable(p, flags), fl, oif, res, false);
  } else {
    if (flags & BPF_FIB_LOOKUP_MARK) store<u32>(fl + FL_MARK, load<u32>(p + P_MARK));
    // ipv6_stub->fib6_lookup: the fib6_result path, on which rules never suppress (fib6_rule_suppress needs an rt6_info)
    err = fib6_lookup_oif(fl, res, oif, hasSaddr, false, false);
  }
  if (err != 0) return BPF_FIB_LKUP_RET_NOT_FWDED;
  const type = <u32>load<u8>(res + FR_TYPE);
  if (type == RTN_BLACKHOLE) return BPF_FIB_LKUP_RET_BLACKHOLE;
  if (type == RTN_UNREACHABLE) return BPF_FIB_LKUP_RET_UNREACHABLE;
  if (type == RTN_PROHIBIT) return BPF_FIB_LKUP_RET_PROHIBIT;
  if (type != RTN_UNICAST) return BPF_FIB_LKUP_RET_NOT_FWDED;
  const flOif = load<u32>(fl + FL_OIF);
  fib6_select_path(fl, res, flOif, flOif != 0, false);
  const out = load<u32>(res + FR_OIF);
  dev = netdevGet(out);
  if (dev == 0) return BPF_FIB_LKUP_RET_NOT_FWDED;
  const mtu = mtu6(dev, p + P_DST);
  if (<u32>load<u16>(p + P_TOT_LEN) > mtu) {
    store<u16>(p + P_TOT_LEN, <u16>mtu);
    return BPF_FIB_LKUP_RET_FRAG_NEEDED;
  }
  const fa = load<u32>(res + FR_INFO);
  if (load<u8>(res + FR_GW_FAMILY) != 0) ipv6Copy(p + P_DST, res + FR_GW);
  store<u32>(p + P_TOS, load<u32>(fa + FA_PRIORITY)); // rt_metric
  store<u32>(p + P_IFINDEX, out);
  if (flags & BPF_FIB_LOOKUP_SRC) {
    if (load<u8>(fa + FA_HAS_PREFSRC)) ipv6Copy(p + P_SRC, fa + FA_PREFSRC);
    else if (ipv6_dev_get_saddr(out, fl + FL_DST, p + P_SRC) != 0) return BPF_FIB_LKUP_RET_NO_SRC_ADDR;
  }
  if (flags & BPF_FIB_LOOKUP_SKIP_NEIGH) return setFwdParams(p, mtu);
  const ne = neigh_lookup(AF_INET6, out, p + P_DST);
  if (ne == 0 || (<u32>load<u8>(ne + NE_STATE) & NUD_VALID) == 0) return BPF_FIB_LKUP_RET_NO_NEIGH;
  copyMacs(p, ne, dev);
  return setFwdParams(p, mtu);
}

// The frame the program runs for, as its poll (napi.ts) tells it: its slot among the destinations the
// burst's walk warmed (-1: none), and whether that walk's answers are current for the burst — checked once
// for it (fib4_burst_ready), as the stack's lean forward checks them (an update published during the burst
// is seen from the next one on). The short way then reads the frame's answer by its slot when the
// program asks for that destination (the slot's is compared), instead of searching the walk for it.
/** The walk (fib4BurstWalk) fibHelperBurst found current, for the slots it hands out; a later walk voids them. */
let slotWalk: u32 = 0;
let slotNow: i32 = -1;
/** The walk's frames are routed through the rules (fib4BurstRules at fibHelperBurst). */
let slotRules: bool = false;

/**
 * A burst's frames are about to run, their destinations just walked (fib4_prefetch): from now on
 * fibHelperSlot names each frame's slot. Nothing is kept when the walk's answers are not current.
 */
export function fibHelperBurst(): void {
  slotNow = -1;
  slotRules = false;
  if (!ASC_FEATURE_THREADS) {
    store<u32>(FIB_ANSWERS + ANS_VALID, 0);
    store<i32>(FIB_ANSWERS + ANS_SLOT, -1);
  }
  if (fib4_burst_ready()) {
    slotWalk = fib4BurstWalk();
    slotRules = fib4BurstRules();
  } else slotWalk = fib4BurstWalk() - 1; // no slot matches
}

/** The burst is over: no slot is handed out until the next fibHelperBurst. */
export function fibHelperBurstEnd(): void {
  slotNow = -1;
  slotWalk = fib4BurstWalk() - 1;
  fibAnswersVoid();
}

/** The frame that runs next is the walk's `s`-th destination (-1: none of them). */
@inline export function fibHelperSlot(s: i32): void {
  slotNow = s;
  if (!ASC_FEATURE_THREADS) store<i32>(FIB_ANSWERS + ANS_SLOT, s);
}

// ---- The burst's answers by slot: what the JIT inlines of bpf_fib_lookup (src/jit/emit.ts) ----
// For the common call — IPv4, flags 0, main's route (reached through the rules when rules were added),
// one next hop or the one fib4_mp_pick picks of several, an IPv4 gateway or none, no locked MTU, a valid
// neighbour — each warmed frame's answer is worked out before the program runs (fibAnswersWalk, in the
// last pass of the burst's walk, slot by slot), from the reads ipv4Lean makes, so the program's lookup
// is a match of its arguments against the running frame's record and a copy, with no call out of its
// module. The record's answer depends on the flow key's source, protocol and ports only when the rules
// or a multipath hash read them: then those are part of the match (the frame's own, as warmRing read them
// from its headers: fibAnswersFrame), else masked out. Anything that does not match calls the helper, which answers
// as before. tot_len alone is compared at the call (against the MTU kept). The records hold only while
// nothing can change what they were made from: voided at the burst's end and whenever the stack runs
// within a poll (napi.ts stackFlush: it may change a neighbour or learn a PMTU). Unshared build only
// (the area is one static; workers' programs call the helper).
//
//   FIB_ANSWERS + 0   u32 valid: 1 while the records are current
//               + 4   i32 the running frame's slot (-1: none; fibHelperSlot)
//               + 8   u32 lookups answered inline (the JIT's code adds 1; napi.ts's warm hint)
//               + 64 + ANS_REC_SIZE * s: the record of slot s
//                  +0 u32 ipv4_dst asked (network order)  +4 u32 ifindex asked (0: no answer)
//                  +8 u32 tos asked, & 0xfc  +12 u32 mtu (≥ 1)  +16 u32 rt_metric  +20 u32 output ifindex
//                  +24 u32 ipv4_dst answered (the gateway, or the destination)  +28 u32 ipv4_src asked
//                  +32 smac[6] dmac[6]: the struct's bytes 52..63 as the answer leaves them
//                  +44 u32 the multipath hash of the frame's addresses (mp_hash4_addrs_many), when the walk made them
//                  +48 u64 the struct's bytes 0..7 asked (family, l4_protocol, sport, dport); until the
//                      walk, the frame (fibAnswersFrame)
//                  +56 u64 the mask of those that decide with the family: none (0), or protocol and
//                      ports (0xffffffffff00), when ipv4_src decides too (the mask's bits 16..47 are its mask)
// The match compares under the mask on both sides, so a record that nothing but its destination,
// ingress and TOS decide sets only its mask (0: the match skips the rest).
export const ANS_VALID: u32 = 0;
export const ANS_SLOT: u32 = 4;
export const ANS_HITS: u32 = 8;
export const ANS_RECS: u32 = 64;
export const ANS_REC_SIZE: u32 = 64;
export const ANSR_DST: u32 = 0;
export const ANSR_IFINDEX: u32 = 4;
export const ANSR_TOS: u32 = 8;
export const ANSR_MTU: u32 = 12;
export const ANSR_METRIC: u32 = 16;
export const ANSR_OIF: u32 = 20;
export const ANSR_NEWDST: u32 = 24;
export const ANSR_MACS: u32 = 32;
export const ANSR_SRC: u32 = 28;
const ANSR_HASH: u32 = 44;
export const ANSR_KEY: u32 = 48;
export const ANSR_KEYMASK: u32 = 56;
/** ANSR_KEY's family byte (AF_INET), and the key mask of a record the flow key decides: the protocol, both ports (not tot_len) and the source. */
const KEY_FAMILY: u64 = 2;
const KEYMASK_FLOW: u64 = 0xffffffffff00;
// fibAnswersWalk stores DST/IFINDEX, MTU/METRIC and OIF/NEWDST as one u64 each: they stay adjacent pairs
/** The answers' area (0 in the shared build: no inline answers). */
export const FIB_ANSWERS: u32 = ASC_FEATURE_THREADS ? 0 : <u32>memory.data(ANS_RECS + BURST_MAX * ANS_REC_SIZE, 64);

/** The records are no longer current (the stack ran, the burst ended). */
@inline export function fibAnswersVoid(): void {
  if (!ASC_FEATURE_THREADS) store<u32>(FIB_ANSWERS + ANS_VALID, 0);
}

/** Lookups answered inline so far (wraps). */
@inline export function fibAnswersHits(): u32 {
  return ASC_FEATURE_THREADS ? 0 : load<u32>(FIB_ANSWERS + ANS_HITS);
}

/**
 * Before fibAnswersWalk: the IPv4 frame warmed into slot `s` (its Ethernet header at `data`, `len`
 * bytes): its TOS, and where the frame is (in ANSR_KEY until the walk writes the key there: only a
 * record the rules or a multipath hash decide reads the frame's flow key and source, answerKey). The
 * source too when the last walk met a multipath route: this walk then hashes every frame's addresses
 * ahead (mp_hash4_addrs_many), before any answerKey.
 */
@inline export function fibAnswersFrame(s: u32, data: u32, len: u32): void {
  if (ASC_FEATURE_THREADS) return;
  const r = FIB_ANSWERS + ANS_RECS + s * ANS_REC_SIZE;
  store<u32>(r + ANSR_TOS, <u32>load<u8>(data, 15) & 0xfc);
  if (walkMetMultipath) store<u32>(r + ANSR_SRC, load<u32>(data, 26));
  store<u64>(r + ANSR_KEY, <u64>data | (<u64>len << 32));
}

/**
 * The flow key of the frame fibAnswersFrame noted in record `r`, into the record: its source, protocol
 * and ports as an XDP router would ask with them (the ports of an unfragmented TCP or UDP datagram whose
 * first four bytes are in the frame, else 0) — what a rule or a multipath hash reads. A guess is
 * enough: the inline match compares it with what the program asks.
 */
function answerKey(r: u32): void {
  const f = load<u64>(r + ANSR_KEY);
  const data = <u32>f;
  const len = <u32>(f >> 32);
  const ihl4 = (<u32>load<u8>(data, 14) & 0xf) << 2;
  const proto = <u32>load<u8>(data, 23);
  const l4: u32 = 14 + ihl4;
  let ports: u64 = 0;
  if ((proto == 6 || proto == 17) && (load<u16>(data, 20) & 0xff1f) == 0 && l4 + 4 <= len) ports = <u64>load<u32>(data + l4);
  store<u64>(r + ANSR_KEY, KEY_FAMILY | (<u64>proto << 8) | (ports << 16));
  store<u32>(r + ANSR_SRC, load<u32>(data, 26));
}

/**
 * fib4_prefetch for the `n` destinations at fib4PrefetchDsts() of frames that arrived on `ifindex`, whose
 * last pass also works out each slot's answer as ipv4Lean gives it for flags 0 by slot (the TOS each
 * frame carries and, where rules or a multipath hash read it, its flow key: fibAnswersFrame), with the
 * MTU check left to the call: the pass loads each frame's route alias anyway, and one pass over the burst
 * instead of two saves the second's loads and loop (measured: ~2 ns a frame). A slot ipv4Lean would not
 * answer gets no record (ifindex 0). The records count once fibAnswersCommit, after fibHelperBurst, finds
 * the burst's walk current.
 *
 * A table's routes share a few next hops, and with an IPv4 gateway the answer depends on the next hop
 * only through its output device and gateway (the device's MTU and MAC, the gateway's neighbour): that
 * part is worked out once per next hop met in a row (nhAnswer) and copied, so a frame's own work is its
 * route's checks and the record's stores.
 */
export function fibAnswersWalk(ifindex: u32, n: u32): void {
  answersMade = false;
  if (ASC_FEATURE_THREADS) {
    fib4_prefetch(n);
    return;
  }
  const dev = netdevGet(ifindex);
  if (dev == 0 || ifindex == 0 || load<u32>(dev + ND_CONF4 + (CONF4_FORWARDING << 2)) == 0 || sysctl(SYSCTL_IP_FORWARD_USE_PMTU) != 0) {
    fib4_prefetch(n);
    return;
  }
  if (!fib4PrefetchWalk(n)) return;
  const pmtuNone = dstPmtuNone();
  const dsts = fib4PrefetchDsts();
  const s = fib4BurstScratch();
  const locals = fib4BurstLocalsWalked();
  // the last next hop with an IPv4 gateway (its output device, gateway) and nhAnswer's answer for it;
  // the others this walk met in NH_MEMO, told from the last walk's by the walk's number
  let lastOif: u32 = 0;
  let lastGw: u32 = 0;
  let lastMtu: u32 = 0;
  let lastMacs: u64 = 0;
  let lastMacsHi: u32 = 0;
  // (on the count's wrap every entry is cleared: none may carry a tag a later walk takes again)
  if (++nhMemoWalk == 0) {
    memory.fill(NH_MEMO, 0, NHM_ENTRIES * NHM_SIZE);
    memory.fill(ROUTE_MEMO, 0, RTM_ENTRIES * RTM_SIZE);
    nhMemoWalk = 1;
  }
  const walk = nhMemoWalk;
  // ROUTE_MEMO's generation tag (never 0, which a cleared entry holds)
  const gen = fibGen() | 0x80000000;
  let acc: u32 = 0;
  // rules added: each frame's route is the one the rules reach for its flow key (ipv4Lean's slot way,
  // fib4BurstRuleRouteAt); rules the walk cannot follow (a bulk load, no list): no answers
  const custom = fib4CustomRules();
  const rules = custom && fib4RulesWalkable();
  const mpAddrs = mp_hash4_addrs_only();
  // the last burst's walk met a multipath route: this one's hashes made ahead, four at a time
  const hashed = mpAddrs && walkMetMultipath;
  if (hashed) mp_hash4_addrs_many(FIB_ANSWERS + ANS_RECS + ANSR_SRC, dsts, n, FIB_ANSWERS + ANS_RECS + ANSR_HASH, ANS_REC_SIZE);
  let metMultipath = false;
  for (let j: u32 = 0; j < n; j++) {
    // the frames from j on that a route memo entry answers as they are, in a loop of their own
    if (pmtuNone && !custom) {
      j = answersFromMemo(j, n, ifindex, s, dsts, locals, walk, gen);
      if (j >= n) break;
    }
    const h = fib4PrefetchSettle(s, j);
    const r = FIB_ANSWERS + ANS_RECS + j * ANS_REC_SIZE;
    const tos = load<u32>(r + ANSR_TOS);
    const localH = locals != 0 ? load<u32>(locals + (j << 2)) : 0;
    // a route answered already through fib4BurstAliasAny (ROUTE_MEMO): its answer as it is
    const m = ROUTE_MEMO + ((h * 0x9e3779b1) >> (32 - RTM_BITS)) * RTM_SIZE;
    // an entry made at this FIB generation: its route part holds; its next hop's part is this walk's
    // NH_MEMO entry for that next hop (made here when the walk has none yet), no answer when its MTU is 0
    let memoHit = load<u64>(m) == (<u64>gen | (<u64>h << 32)) && load<u32>(m, 8) == tos && localH == 0 && !custom;
    let e: u32 = 0;
    if (memoHit) {
      e = nhMemoOf(load<u32>(m, 24), load<u32>(m, 28), load<u32>(m, 32), walk);
      memoHit = load<u32>(e, 12) != 0;
    }
    if (memoHit) {
      const dstAt = dsts + (j << 2);
      let mtuMetric = load<u64>(m, 16) | <u64>load<u32>(e, 12);
      if (!pmtuNone) {
        const pm = dst_pmtu(AF_INET, dstAt);
        if (pm != 0) mtuMetric = (mtuMetric & 0xffffffff00000000) | <u64>pm;
      }
      store<u64>(r + ANSR_DST, <u64>load<u32>(dstAt) | (<u64>ifindex << 32));
      store<u64>(r + ANSR_MTU, mtuMetric);
      store<u64>(r + ANSR_OIF, load<u64>(m, 24));
      store<u64>(r + ANSR_MACS, load<u64>(e, 16));
      store<u32>(r + ANSR_MACS + 8, load<u32>(e, 24));
      store<u64>(r + ANSR_KEYMASK, 0);
      continue;
    }
    // fib4BurstRouteOutAt: nothing in local, main's one route as ipv4Lean takes it, no locked MTU
    let keyed = false;
    let flow = false; // the flow key at flKey() is this frame's
    let fa: u32 = 0;
    if (rules) {
      answerKey(r);
      keyed = true;
      // the rule memo's path while it holds for the frame's source, TOS and protocol; else the flow key
      // built and the rules walked
      const path = fib4RulePathMemo(ifindex, load<u32>(r + ANSR_SRC), tos, <u32>(load<u64>(r + ANSR_KEY) >> 8) & 0xff);
      if (path >= 0) fa = fib4RuleAliasOnPath(<u32>path, h, localH, tos);
      else {
        keyFlow(r, ifindex, load<u32>(dsts + (j << 2)), tos);
        flow = true;
        fa = fib4RuleAliasOf(h, localH, flKey(), tos);
      }
    } else if (!custom && localH == 0) fa = fib4BurstAliasAny(h, tos);
    // a multipath route: the next hop fib4_mp_pick gives over the flow key (ipv4Lean's)
    let k: i32 = 0;
    if (fa != 0 && load<u32>(fa + FA_NHS) > 1) {
      if (!keyed) answerKey(r);
      keyed = true;
      metMultipath = true;
      // the hash over the addresses alone (the usual policies): the frame's source, no key to build
      if (hashed) k = fib4_mp_pick_hashed(fa, load<u32>(r + ANSR_HASH), load<u32>(r + ANSR_SRC));
      else if (mpAddrs) k = fib4_mp_pick_addrs(fa, load<u32>(r + ANSR_SRC), load<u32>(dsts + (j << 2)));
      else {
        if (!flow) keyFlow(r, ifindex, load<u32>(dsts + (j << 2)), tos);
        k = fib4_mp_pick(fa, flKey());
      }
      if (k < 0) fa = 0;
    }
    if (fa == 0) {
      store<u32>(r + ANSR_IFINDEX, 0);
      // warmed as fib4_prefetch warms it: the alias, or an alias list's first
      if ((h & 1) != 0) acc += fib4PrefetchAliasCold(h & ~1);
      else if (h != 0 && load<u32>(h) != 0) acc += fib4PrefetchAliasCold(load<u32>(h + 8));
      continue;
    }
    const nh = fa + FA_NH + <u32>k * NH_SIZE;
    const dstAt = dsts + (j << 2);
    const dst = load<u32>(dstAt);
    const oif = load<u32>(nh + NH_OIF);
    let newDst = dst;
    let mtu: u32;
    let macs: u64;
    let macsHi: u32;
    const viaGw = <u32>load<u8>(nh + NH_GW_FAMILY) == AF_INET;
    if (viaGw) {
      const gw = load<u32>(nh + NH_GW);
      if (oif != lastOif || gw != lastGw || lastOif == 0) {
        const e = nhMemoOf(oif, gw, nh, walk);
        lastOif = oif;
        lastGw = gw;
        lastMtu = load<u32>(e, 12);
        lastMacs = load<u64>(e, 16);
        lastMacsHi = load<u32>(e, 24);
      }
      newDst = gw;
      mtu = lastMtu;
      macs = lastMacs;
      macsHi = lastMacsHi;
    } else {
      // no gateway: the destination's own neighbour (an IPv6 gateway: no answer)
      directAnswer(oif, nh, dstAt);
      mtu = nhMtu;
      macs = nhMacs;
      macsHi = nhMacsHi;
    }
    if (mtu != 0 && !pmtuNone) {
      const pm = dst_pmtu(AF_INET, dstAt);
      if (pm != 0) mtu = pm;
    }
    if (mtu == 0) {
      store<u32>(r + ANSR_IFINDEX, 0);
      continue;
    }
    // adjacent words in pairs: dst and ifindex, mtu and metric, output ifindex and the new destination
    const mtuMetric = <u64>mtu | (<u64>load<u32>(fa + FA_PRIORITY) << 32);
    const oifGw = <u64>oif | (<u64>newDst << 32);
    store<u64>(r + ANSR_DST, <u64>dst | (<u64>ifindex << 32));
    store<u64>(r + ANSR_MTU, mtuMetric);
    store<u64>(r + ANSR_OIF, oifGw);
    if (viaGw && !custom && localH == 0 && load<u32>(fa + FA_NHS) == 1) {
      // one next hop with an IPv4 gateway, reached as fib4BurstAliasAny reaches it (no rules, nothing in
      // local): the route part of the answer that later frames with this handle and TOS take, in this
      // walk and later ones at this FIB generation (the next hop's part from its NH_MEMO entry)
      store<u64>(m, <u64>gen | (<u64>h << 32));
      store<u32>(m, tos, 8);
      store<u32>(m, nhMemoSlot(newDst), 12);
      store<u64>(m, mtuMetric & 0xffffffff00000000, 16);
      store<u64>(m, oifGw, 24);
      store<u32>(m, nh, 32);
    }
    // copyMacs' bytes: smac (the device's) at 52, dmac (the neighbour's) at 58
    store<u64>(r + ANSR_MACS, macs);
    store<u32>(r + ANSR_MACS + 8, macsHi);
    // what the match compares beyond destination, ingress and TOS: the flow key's rest when it decided
    store<u64>(r + ANSR_KEYMASK, keyed ? KEYMASK_FLOW : 0);
  }
  walkMetMultipath = metMultipath;
  fib4PrefetchKeep(n);
  fib4PrefetchSink(acc);
  answersMade = true;
}

/**
 * fibAnswersWalk's common frame, from frame `j` on: its route (handle and TOS, nothing in local, no rules)
 * answered at this FIB generation `gen` (ROUTE_MEMO), its next hop's part this walk's (NH_MEMO, `walk`),
 * no PMTU exception anywhere (dstPmtuNone): the memo entries' answer is the frame's record. Returns the first frame from `j` the memo does not answer (`n`: none).
 * A loop of its own (binaryen inlines it back into fibAnswersWalk, the loop stays): in the walk's loop,
 * with everything else that loop holds live, V8 kept even the frame index on the stack (a store and a
 * reload on every frame's path); here the few values it needs stay in registers.
 * Measured on 12-05 (xdp router, 10k prefixes, interleaved, load 15-20): each frame's record pointing at
 * the memo entry instead of a copy of it (two stores a frame instead of seven, the program's lookup
 * reading the answer through the pointer, which the poll read ahead with the slot) measured the same
 * as the copy (-0.1 to -0.3 ns a frame, ±0.6): the stores it saves (-1.2 to -1.7 ns with none made at
 * all, the answers then wrong) are paid back by the pointer's loads.
 */
// Not landed (before the entries left the next hop's part to NH_MEMO, above ROUTE_MEMO): renewing an
// earlier walk's entry inside this loop instead of breaking out to fibAnswersWalk's for it (12-06, one process, the variants switched per round, load 4-9): 1M
// 60.1 -> 54.8 ns (12/14 rounds faster) and 61.5 -> 59.3 (5/10); 10k 50.9 -> 64.3 median (6/12), noise
// either way — not shown to pay. Again at load 6-8 (flag per round, rounds alternated, data path a frame):
// 1M 67.6 -> 65.5 (0.97, 4/12 rounds faster), 61.9 -> 59.0 (0.95, 13/20); 10k 44.4 -> 48.0 (1.08, 6/20),
// 44.4 -> 44.0 (0.99, 8/16): still not shown to pay.
function answersFromMemo(j: u32, n: u32, ifindex: u32, s: u32, dsts: u32, locals: u32, walk: u32, gen: u32): u32 {
  const ifHi = <u64>ifindex << 32;
  const tag = <u64>gen;
  for (; j < n; j++) {
    const h = fib4PrefetchSettle(s, j);
    const r = FIB_ANSWERS + ANS_RECS + j * ANS_REC_SIZE;
    const m = ROUTE_MEMO + ((h * 0x9e3779b1) >> (32 - RTM_BITS)) * RTM_SIZE;
    if (load<u64>(m) != (tag | (<u64>h << 32)) || load<u32>(m, 8) != load<u32>(r + ANSR_TOS)) break;
    if (locals != 0 && load<u32>(locals + (j << 2)) != 0) break;
    // the next hop's part: this walk's answer for the entry's output device and gateway
    const e = load<u32>(m, 12);
    const mtu = load<u32>(e, 12);
    if (load<u32>(e) != walk || load<u64>(e, 4) != load<u64>(m, 24) || mtu == 0) break;
    store<u64>(r + ANSR_DST, <u64>load<u32>(dsts + (j << 2)) | ifHi);
    store<u64>(r + ANSR_MTU, load<u64>(m, 16) | <u64>mtu);
    store<u64>(r + ANSR_OIF, load<u64>(m, 24));
    store<u64>(r + ANSR_MACS, load<u64>(e, 16));
    store<u32>(r + ANSR_MACS + 8, load<u32>(e, 24));
    store<u64>(r + ANSR_KEYMASK, 0);
  }
  return j;
}

/**
 * fibAnswersWalk's last walk met a multipath route. A hint only: with it the next walk hashes every
 * frame's addresses ahead (mp_hash4_addrs_many: four SipHashes in about the time of one), which pays
 * when most frames' routes are multipath — one burst's hashes wasted when the table has none left.
 */
let walkMetMultipath = false;

/** fibAnswersWalk made this burst's records (the poll's ingress device forwards, ip_forward_use_pmtu off). */
let answersMade: bool = false;

/** After fibAnswersWalk and fibHelperBurst: the records count when the walk's answers are current for the burst. */
export function fibAnswersCommit(): void {
  if (ASC_FEATURE_THREADS) return;
  if (answersMade && slotWalk == fib4BurstWalk()) store<u32>(FIB_ANSWERS + ANS_VALID, 1);
}

/**
 * ipv4Lean's flow key (leanFlow) at flKey() for the frame of record `r` as warmRing read it, once
 * answerKey filled the record: arrived on `ifindex`, destination `dst` (network order), TOS `tos`, its
 * source, protocol and ports.
 */
function keyFlow(r: u32, ifindex: u32, dst: u32, tos: u32): void {
  const fl = flKey();
  zero64(fl);
  const key = load<u64>(r + ANSR_KEY);
  store<u32>(fl + FL_IIF, ifindex);
  store<u8>(fl + FL_TOS, <u8>tos);
  store<u32>(fl + FL_DST, dst);
  store<u32>(fl + FL_SRC, load<u32>(r + ANSR_SRC));
  store<u8>(fl + FL_PROTO, <u8>(key >> 8));
  store<u16>(fl + FL_SPORT, <u16>(key >> 16));
  store<u16>(fl + FL_DPORT, <u16>(key >> 32));
  store<u8>(fl + FL_FAMILY, <u8>AF_INET);
}

// nhAnswer's answers within one fibAnswersWalk, by next hop: a table's routes share a few next hops
// (a gateway on a device), and with an IPv4 gateway the answer depends on the next hop only through its
// output device and gateway (the device's MTU and MAC, the gateway's neighbour), so it is worked out
// once per next hop a walk meets — a multipath route's frames alternate between its next hops, which
// the last one alone would not hold. Direct-mapped by the gateway's last octet (gateways of one link
// differ there), each entry tagged with the walk that made it. Unshared build only, as FIB_ANSWERS.
//   entry (NHM_SIZE): +0 u32 walk  +4 u32 output ifindex  +8 u32 gateway  +12 u32 nhMtu  +16 u64 nhMacs  +24 u32 nhMacsHi
const NHM_ENTRIES: u32 = 16;
const NHM_SIZE: u32 = 32;
const NH_MEMO: u32 = ASC_FEATURE_THREADS ? 0 : <u32>memory.data(NHM_ENTRIES * NHM_SIZE, 32);
// fibAnswersWalk's answers by route: a frame answered through fib4BurstAliasAny whose route has one
// next hop with an IPv4 gateway, no rules and nothing in local, depends on nothing else of the frame
// than its route handle and TOS (its destination only through a PMTU exception, checked per frame), so a
// later frame with the same handle and TOS takes it as it is — a table's frames mostly share a few
// routes (the default, short prefixes), met in turn, which the last answer alone would not hold.
// Direct-mapped by the handle (Fibonacci hashing). Unshared build only, as FIB_ANSWERS.
// An entry holds the route's part of the answer (the handle's alias as fib4BurstAliasAny takes it, its
// next hop's device and gateway, the metric), which changes only with the FIB generation (fibGen: every
// route, rule, address, device or in-place next-hop change bumps it): tagged with the generation, it
// serves every walk at that generation. What the next hop decides (the device's MTU and MAC, the
// gateway's neighbour), which the neighbour table and the devices change without a bump, is not in the
// entry: the entry names its next hop's NH_MEMO entry, which a frame takes only when it is this walk's
// for the same device and gateway (made again once a walk, by the walk's first frame on that next hop).
// 12-07 (xdp router, one process, the variants switched by a flag per round, rounds alternated, load
// 5-8, data path a frame): before, the entry held the next hop's part too and was tagged with the walk
// that made or renewed it, so each walk's first frame of every route left the loop below for the full
// loop (a renewal: 10.8 frames of each 64-frame burst at 1M, 3.6 at 10k, counted); with 64 entries 6.9
// more frames a burst at 1M went the full way, their handles meeting in a slot (~20 alias records on the
// bench's 1M table: routes.ts acquire). Now 1.0 frame a burst leaves the loop at 1M (256 entries: none
// meet). 1M: 62.4 -> 50.2 ns (0.80, 9/10 rounds faster) with 64 entries, -> 54.9 (0.88, 9/10) with 256;
// again 77.8 -> 58.2 (0.75, 9/12) / 57.2 (0.74, 8/12). 10k: 51.4 -> 47.6 (0.93, 9/12) / 54.1 (1.05,
// 6/12): even within the noise. 256 entries alone (the walk-tagged entries): 1M 62.4 -> 66.4 (more
// entries kept, more renewed). Main's build and this one in alternated processes (4 pairs, load 5-9,
// medians of 5 rounds each): 1M 60.0 -> 53.3 ns (0.89, 3/4 pairs); 10k 47.7 -> 49.0 (1.03, 1/4): even.
//   entry (RTM_SIZE): +0 u32 FIB generation | 1 << 31  +4 u32 route handle  +8 u32 TOS  +12 u32 its
//   next hop's NH_MEMO entry  +16 u64 rt_metric << 32  +24 u64 output ifindex | new destination (the
//   gateway) << 32  +32 u32 the next hop
const RTM_BITS: u32 = 8;
const RTM_ENTRIES: u32 = 1 << RTM_BITS;
const RTM_SIZE: u32 = 64;
const ROUTE_MEMO: u32 = ASC_FEATURE_THREADS ? 0 : <u32>memory.data(RTM_ENTRIES * RTM_SIZE, 64);
/** NH_MEMO's slot for IPv4 gateway `gw` (network order: its last byte picks). */
@inline function nhMemoSlot(gw: u32): u32 {
  return NH_MEMO + ((gw >> 24) & (NHM_ENTRIES - 1)) * NHM_SIZE;
}

/**
 * NH_MEMO's entry for next hop `nh` (output device `oif`, IPv4 gateway `gw`) in walk `walk`: nhAnswer's
 * answer for it (MTU at +12, 0 when none; macs at +16, macsHi at +24), made once a walk.
 */
@inline function nhMemoOf(oif: u32, gw: u32, nh: u32, walk: u32): u32 {
  const e = nhMemoSlot(gw);
  if (load<u32>(e) != walk || load<u32>(e, 4) != oif || load<u32>(e, 8) != gw) {
    nhAnswer(oif, nh);
    store<u32>(e, walk);
    store<u32>(e, oif, 4);
    store<u32>(e, gw, 8);
    store<u32>(e, nhMtu, 12);
    store<u64>(e, nhMacs, 16);
    store<u32>(e, nhMacsHi, 24);
  }
  return e;
}

/** fibAnswersWalk's count of walks, NH_MEMO's and ROUTE_MEMO's tags (exported for tests to bring the wrap near). */
export let nhMemoWalk: u32 = 0;

// nhAnswer's answer: the device MTU (capped as mtu4 caps it; 0: no answer for the next hop) and the
// struct's bytes 52..63 (smac, dmac) as a u64 and a u32.
let nhMtu: u32 = 0;
let nhMacs: u64 = 0;
let nhMacsHi: u32 = 0;

/** The answer's part that next hop `nh` (output device `oif`, an IPv4 gateway) decides, into nhMtu/nhMacs: ipv4Lean's device, MTU and neighbour. */
function nhAnswer(oif: u32, nh: u32): void {
  nhMtu = 0;
  const odev = netdevGet(oif);
  if (odev == 0) return;
  const ne = neigh4LookupHintedDev(oif, odev, nh + NH_GW, nh + NH_NEIGH);
  nhAnswerSet(odev, ne);
}

/** nhAnswer for a next hop `nh` without a gateway, whose destination's own neighbour decides (at dstAt), per frame; an IPv6 gateway: none. */
function directAnswer(oif: u32, nh: u32, dstAt: u32): void {
  nhMtu = 0;
  if (<u32>load<u8>(nh + NH_GW_FAMILY) != 0) return;
  const odev = netdevGet(oif);
  if (odev == 0) return;
  nhAnswerSet(odev, neigh_lookup(AF_INET, oif, dstAt));
}

/** nhMtu and the MACs for output device `odev` and neighbour `ne` (0, or not valid: no answer). */
@inline function nhAnswerSet(odev: u32, ne: u32): void {
  if (ne == 0 || (<u32>load<u8>(ne + NE_STATE) & NUD_VALID) == 0) return;
  let mtu = load<u32>(odev + ND_MTU);
  if (mtu > IP_MAX_MTU) mtu = IP_MAX_MTU;
  nhMtu = mtu;
  nhMacs = <u64>load<u32>(odev + ND_MAC) | (<u64>load<u16>(odev + ND_MAC + 4) << 32) | (<u64>load<u16>(ne + NE_MAC) << 48);
  nhMacsHi = load<u32>(ne + NE_MAC + 2);
}

/** Calls so far (this worker's; wraps): napi.ts warms the FIB for the next burst of a program that makes them. */
export let fibHelperCalls: u32 = 0;

/**
 * bpf_xdp_fib_lookup(ctx, params, plen, flags): a BPF_FIB_LKUP_RET_* code, or -EINVAL (plen short,
 * unknown flags), -ENODEV (no device `ifindex`), -EAFNOSUPPORT. XDP always checks the MTU against
 * tot_len, as the kernel's XDP variant does.
 */
export function bpf_fib_lookup(ctx: u64, params: u64, plen: u64, flags: u64, r5: u64): u64 {
  fibHelperCalls++;
  if (<i32>plen < <i32>PARAMS_SIZE) return <u64>-EINVAL;
  if ((flags & ~(<u64>FLAGS_ALL)) != 0) return <u64>-EINVAL;
  const p = <u32>params;
  const family = <u32>load<u8>(p + P_FAMILY);
  if (family == AF_INET) {
    // flags 0, DIRECT, DIRECT | SKIP_NEIGH: the short way first
    if ((flags & ~(<u64>(BPF_FIB_LOOKUP_DIRECT | BPF_FIB_LOOKUP_SKIP_NEIGH))) == 0 && (flags == 0 || (flags & BPF_FIB_LOOKUP_DIRECT) != 0)) {
      const r = ipv4Lean(p, <u32>flags);
      if (r >= 0) return <u64><i64>r;
    }
    return <u64><i64>ipv4Lookup(p, <u32>flags);
  }
  if (family == AF_INET6) return <u64><i64>ipv6Lookup(p, <u32>flags);
  return <u64>-EAFNOSUPPORT;
}

/** BPF_MTU_CHK_RET_FRAG_NEEDED: the frame would not fit the device (BPF_MTU_CHK_RET_SUCCESS is 0). */
const BPF_MTU_CHK_RET_FRAG_NEEDED: u64 = 1;
/**
 * dev->hard_header_len of every device here: Ethernet's (ether_setup for ring devices, veth and dummy;
 * loopback_setup sets ETH_HLEN too; a VLAN over a device that inserts tags itself, as veth does —
 * NETIF_F_HW_VLAN_CTAG_TX — keeps its parent's, vlan_dev_init).
 */
const HARD_HEADER_LEN: i32 = 14;

/**
 * bpf_xdp_check_mtu(ctx, ifindex, mtu_len, len_diff, flags) (163, net/core/filter.c): would the frame
 * (or *mtu_len bytes of L3, as iph->tot_len) plus len_diff fit device `ifindex` (0: the one it arrived
 * on)? flags must be 0 (-EINVAL: the XDP variant checks no segments), no such device is -ENODEV; the
 * device takes mtu + hard_header_len. *mtu_len := the device's MTU either way;
 * BPF_MTU_CHK_RET_FRAG_NEEDED when it does not fit, else 0. Lengths are the kernel's ints (u32 + u16 into
 * an int, + s32): they wrap as its do.
 */
export function bpf_xdp_check_mtu(ctx: u64, ifindex: u64, mtuLen: u64, lenDiff: u64, flags: u64): u64 {
  if (flags != 0) return <u64>-EINVAL;
  const idx = <u32>ifindex;
  const dev = netdevGet(idx == 0 ? load<u32>(CTX_BASE + CTX_INGRESS_IFINDEX) : idx);
  if (dev == 0) return <u64>-ENODEV;
  const mtu = load<u32>(dev + ND_MTU);
  const devLen = <i32>mtu + HARD_HEADER_LEN;
  const p = <usize><u32>mtuLen;
  let xdpLen = <i32>(load<u32>(CTX_BASE + CTX_DATA_END) - load<u32>(CTX_BASE + CTX_DATA));
  const l3 = load<u32>(p);
  if (l3 != 0) xdpLen = <i32>l3 + HARD_HEADER_LEN;
  xdpLen += <i32>lenDiff;
  store<u32>(p, mtu);
  return xdpLen > devLen ? BPF_MTU_CHK_RET_FRAG_NEEDED : 0;
}

/** fib4_lookup_bulk's struct bpf_fib_lookup (one thread: the bench's and the control plane's). */
const BULK_PARAMS: usize = memory.data(PARAMS_SIZE, 8);

/**
 * bpf_fib_lookup as the data path runs it, for `n` IPv4 destinations (network-order u32s at `src`)
 * arriving on device `ifindex`, with `flags`: a burst of BURST_MAX at a time, the FIB warmed for the
 * burst first (fib4_prefetch, as napi.ts warms it ahead of a program that calls the helper, each lookup
 * told its slot), then the
 * helper on a struct set as an XDP program sets it (family, ifindex, ipv4_dst; the rest zero). To
 * `dst`, per destination, the egress ifindex on BPF_FIB_LKUP_RET_SUCCESS, else 0; when `out` is not 0,
 * per destination 68 bytes there: the return code (i32), then the struct as the helper left it.
 * Returns the SUCCESS count. For `wxdp bench fib` (the data path's whole lookup beside the kernel's
 * helper) and tests; not for workers (one struct).
 */
export function fib4_lookup_bulk(ifindex: u32, flags: u32, src: u32, dst: u32, n: u32, out: u32): u32 {
  const p = <u32>BULK_PARAMS;
  const d = fib4PrefetchDsts();
  let ok: u32 = 0;
  for (let done: u32 = 0; done < n; ) {
    const k = min(n - done, BURST_MAX);
    for (let i: u32 = 0; i < k; i++) store<u32>(d + (i << 2), load<u32>(src + ((done + i) << 2)));
    fib4_prefetch(k);
    fibHelperBurst();
    for (let i: u32 = 0; i < k; i++) {
      const j = done + i;
      fibHelperSlot(<i32>i);
      zero64(p);
      store<u8>(p + P_FAMILY, <u8>AF_INET);
      store<u32>(p + P_IFINDEX, ifindex);
      store<u32>(p + P_DST, load<u32>(src + (j << 2)));
      const rc = <i32>bpf_fib_lookup(0, <u64>p, PARAMS_SIZE, flags, 0);
      if (rc == BPF_FIB_LKUP_RET_SUCCESS) ok++;
      store<u32>(dst + (j << 2), rc == BPF_FIB_LKUP_RET_SUCCESS ? load<u32>(p + P_IFINDEX) : 0);
      if (out != 0) {
        const o = out + j * (PARAMS_SIZE + 4);
        store<i32>(o, rc);
        for (let w: u32 = 0; w < PARAMS_SIZE; w += 8) store<u64>(o + 4 + w, load<u64>(p + w));
      }
    }
    done += k;
  }
  fibHelperBurstEnd();
  return ok;
}
