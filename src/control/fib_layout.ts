// The FIB's record layout as assembly/net/fib.ts draws it, for the control plane that builds records
// aside (tests/net/fib.test.ts proves the numbers agree with the module's exported constants).

/** The FIB root, a table, a prefix record (fib.ts draws them). */
export const FRT = { RULES4: 0, RULES6: 4, TABLES: 8, FLAGS: 12 } as const;
export const TB = { ID: 0, FAMILY: 4, BUCKETS: 8, LPM: 12, LENS: 16, COUNT: 40, USED: 44, LENCOUNT: 64 } as const;
export const PX = { ADDR: 0, LEN: 16, ALIASES: 20, SUBTREE: 24, SIZE: 32 } as const;
/** An IPv6 prefix's subtree of source prefixes: +0 count, then entries from HEADER. */
export const SUB = { ADDR: 0, LEN: 16, ALIASES: 20, SIZE: 24, HEADER: 8 } as const;
export const FA = { TYPE: 0, SCOPE: 1, DSCP: 2, PROTOCOL: 3, PRIORITY: 4, FLAGS: 8, MTU: 12, LOCK: 16, NHS: 20, PREFSRC: 24, HAS_PREFSRC: 40, TABLE: 44, ID: 48, PLEN: 52, ECMP6: 53, NH_SADDR_ONE: 54, DEFAULT: 56, NH: 64 } as const;
export const NH = { OIF: 0, FLAGS: 4, WEIGHT: 8, UPPER: 12, GW_FAMILY: 16, SCOPE: 17, GW: 20, SADDR: 36, SADDR_GEN: 40, NEIGH: 44, SIZE: 48 } as const;
export const RTNH_F = { DEAD: 1, PERVASIVE: 2, ONLINK: 4, LINKDOWN: 16 } as const;
export const RU = {
  PREF: 0, ACTION: 4, TABLE: 8, TARGET: 12, IIF: 16, OIF: 20, MARK: 24, MARK_MASK: 28, INVERT: 32, DSCP: 33, PROTO: 34,
  SRC_LEN: 35, DST_LEN: 36, SPORT_LO: 38, SPORT_HI: 40, DPORT_LO: 42, DPORT_HI: 44, SUPPRESS_PLEN: 48, SUPPRESS_IFGROUP: 52,
  SRC: 56, DST: 72, UID_LO: 88, UID_HI: 92, SIZE: 96, HEADER: 8,
} as const;
export const FR_ACT = { TO_TBL: 1, GOTO: 2, NOP: 3, BLACKHOLE: 6, UNREACHABLE: 7, PROHIBIT: 8 } as const;
/** 1 << RTAX_MTU in FA.LOCK: the route's mtu is locked (`mtu lock N`). */
export const RTAX_MTU_LOCK = 4;

/** The fast path's FIB exports the control plane calls. */
export interface FibExports {
  fib_alloc(size: number): number;
  fib_free(addr: number, size: number): void;
  fib_reclaim(): number;
  fib_batch_begin(): number;
  fib_batch_commit(): number;
  fib_nh_saddr_init(fa: number): void;
  fib6_rebalance(list: number): void;
  fib_prefix_set(family: number, table: number, addr: number, len: number, list: number): number;
  fib_prefix_get(family: number, table: number, addr: number, len: number): number;
  fib_prefix_set2(family: number, table: number, addr: number, len: number, saddr: number, slen: number, list: number): number;
  fib_prefix_get2(family: number, table: number, addr: number, len: number, saddr: number, slen: number): number;
  fib_rules_set(family: number, list: number, custom: number): number;
  fib_custom_local4(): number;
  fib_rebalance(fa: number): void;
  fib_changed(): void;
  fib_ctl_lookup(mode: number, table: number): number;
  fib_flow_buf(): number;
  fib_res_buf(): number;
  fib4_local_type(addr: number, ifindex: number): number;
  fib4_addr_type_table(addr: number, table: number): number;
  fib4_local_dev(addr: number): number;
  netdev_get(ifindex: number): number;
  fib4_lookup_nopath(fl: number, res: number): number;
  fib4_select_path(fl: number, res: number): void;
  fib_select_default(fl: number, res: number): void;
  fib_result_prefsrc(res: number): number;
  fib6_lookup_oif(fl: number, res: number, oif: number, hasSaddr: number, iface: number, suppress: number): number;
  fib6_table_lookup(id: number, fl: number, oif: number, res: number, iface: number): number;
  fib6_select_path(fl: number, res: number, oif: number, haveOifMatch: number, iface: number): void;
  inet_select_addr(ifindex: number, dst: number, scope: number): number;
  ipv6_dev_get_saddr(ifindex: number, dst: number, out: number): number;
  netdev_conf_get(ifindex: number, family: number, i: number): number;
  dst_pmtu(family: number, dst: number): number;
  dst_pmtu_expires(family: number, dst: number): bigint;
  dst_pmtu_sync_dev(ifindex: number, mtu: number, orig: number, fl: number, res: number): void;
  dst_pmtu6_sync_dev(ifindex: number, mtu: number, orig: number, fl: number, res: number): void;
  rt6_redirect_apply(dst: number, res: number): number;
  rt6_redirect_flush(ifindex: number): void;
}
