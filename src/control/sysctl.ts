// Sysctls by the kernel's names (dp.sysctls, dp.sysctl(name, value?)), with the kernel's defaults,
// value checks and propagation rules:
//
//   net.ipv4.* / net.ipv6.* globals      the fast path's SYSCTL_* words (net_sysctl_set / net_sysctl_get)
//   net.ipv4.conf.{all,default,DEV}.*   devinet.c: a new link copies `default`; writing default.X copies
//                                        X to every link that never had X written (devinet_copy_dflt_conf;
//                                        not for route_localnet, disable_policy, promote_secondaries);
//                                        writing all.forwarding (= net.ipv4.ip_forward) sets it on every
//                                        link and on default, and all.accept_redirects to its negation
//                                        (inet_forward_change)
//   net.ipv6.conf.{all,default,DEV}.*   addrconf.c: all.forwarding and all.disable_ipv6 go to default and
//                                        every link; a new link copies default, with mtu = the link's MTU
//   net.ipv{4,6}.neigh.{default,DEV}.*  checked here, kept by dp.neigh (setParam / getParam, in the
//                                        unit of each name: seconds, ms, USER_HZ ticks, packets, bytes)
//
// What the fast path reads. The netdev record's ND_CONF4 / ND_CONF6 words (one aligned u32 each, so a
// reader never sees half a value) hold the value the kernel would act on, with `all` already folded
// in as inetdevice.h folds it: IN_DEV_MAXCONF (rp_filter, arp_ignore, arp_announce, arp_accept),
// IN_DEV_ORCONF (send_redirects, accept_local, proxy_arp, arp_filter, route_localnet,
// disable_policy, promote_secondaries), IN_DEV_RX_REDIRECTS for accept_redirects (all AND dev when forwarding, all OR dev
// when not), the link's own value for forwarding and every IPv6 word. The values as written (what a
// read returns) are kept here.
//
// The hook with dp.links: Links calls dp.sysctlsIfCreated?.linkAdded(ifindex) once it has published a
// new link's record (a link made after a conf.default write takes it at once; with no Sysctls yet no
// default was changed and the record's own kernel defaults are right), linkChanged(ifindex) after an
// MTU change (net.ipv6.conf.DEV.mtu follows it, as NETDEV_CHANGEMTU does) and linkRemoved(ifindex)
// when it goes. Every call here also picks up links it has not seen, so a missed hook costs only the
// time until the next sysctl access.
//
// Time units (jiffies.ts): the kernel compared with runs at HZ=250, so a millisecond sysctl reads back
// on the 4 ms jiffy grid (1001 → 1004), a USER_HZ one through clock_t (123 → 122), IPv6's
// neigh retrans_time in raw jiffies; wxdp stores the same jiffies (as milliseconds) and prints what the
// kernel prints. "jiffies" seconds go up to INT_MAX / HZ.
//
// The neighbour "default" parameters (net.ipv{4,6}.neigh.default.*, gc_thresh1..3 and gc_interval
// among them) exist only in the kernel's initial namespace (arp_init / ndisc_init register them for
// init_net alone; a new namespace has per-device ones only). wxdp has them: its stack is a whole host,
// as the initial namespace is, and its tables are global as the kernel's gc_thresh are.
//
// wxdp's own choice, from the issue: ICMP redirects are off by default, so conf.all.send_redirects
// and conf.default.send_redirects start at 0 (the kernel's are 1).

import { NetError, type Family } from './net_types.js';
import { JIFFIES_SECONDS_MAX, toStoredMs, fromStoredMs } from './jiffies.js';
import { NEIGH_DEVICE_PARAMS, neighParamRange } from './neigh.js';
import { CONF4, CONF6, ND, SYSCTL } from '../runtime/net_abi.js';
import type { Datapath } from './datapath.js';

/** The neighbour tables' parameters (dp.neigh implements it; values in the unit of the sysctl's name). */
export interface NeighParams {
  setParam(family: Family, dev: string | 'default', name: string, value: number): void;
  getParam(family: Family, dev: string | 'default', name: string): number;
}

/** What Sysctls needs from a Datapath (a test can give its own). */
export interface SysctlHost {
  globalGet(i: number): number;
  globalSet(i: number, v: number): void;
  links(): Array<{ ifindex: number; ifname: string; mtu: number }>;
  /** The memory and address of ifindex's netdev record, or undefined when it has none. */
  record(ifindex: number): { view: DataView; address: number } | undefined;
  neigh: NeighParams | undefined;
  /** A conf word the FIB's view depends on was written (ignore_routes_with_linkdown). */
  confChanged?(key: string): void;
}

export type SysctlValue = number | string;

const INT_MAX = 0x7fffffff;
const INT_MIN = -0x80000000;
/** proc_dointvec_jiffies: |seconds| ≤ INT_MAX / HZ. */
const JIFFIES_S = JIFFIES_SECONDS_MAX;

interface Range {
  min: number;
  max: number;
  /** Read back as a signed int (the kernel's int sysctls). */
  signed?: boolean;
  /** proc_dointvec_ms_jiffies: kept on the jiffy grid, read back as an unsigned count of ms. */
  ms?: boolean;
}

const u8 = (min = 0, max = 255): Range => ({ min, max });
const int = (min = INT_MIN, max = INT_MAX): Range => ({ min, max, signed: true });
const uint = (min = 0, max = 0xffffffff): Range => ({ min, max });
const msJiffies = (): Range => ({ min: 0, max: INT_MAX, ms: true });

/** Global sysctls: name → SYSCTL_* word and range (measured against the kernel of this machine). */
const GLOBALS: Readonly<Record<string, { i: number; r: Range }>> = {
  'net.ipv4.icmp_ratelimit': { i: SYSCTL.ICMP_RATELIMIT, r: msJiffies() },
  'net.ipv4.icmp_ratemask': { i: SYSCTL.ICMP_RATEMASK, r: int() },
  'net.ipv4.icmp_echo_ignore_all': { i: SYSCTL.ICMP_ECHO_IGNORE_ALL, r: u8(0, 1) },
  'net.ipv4.icmp_echo_ignore_broadcasts': { i: SYSCTL.ICMP_ECHO_IGNORE_BROADCASTS, r: u8(0, 1) },
  'net.ipv4.icmp_msgs_per_sec': { i: SYSCTL.ICMP_MSGS_PER_SEC, r: int(0) },
  'net.ipv4.icmp_msgs_burst': { i: SYSCTL.ICMP_MSGS_BURST, r: int(0) },
  'net.ipv4.ip_default_ttl': { i: SYSCTL.IP_DEFAULT_TTL, r: u8(1, 255) },
  'net.ipv4.igmp_qrv': { i: SYSCTL.IGMP_QRV, r: int(1) },
  'net.ipv6.mld_qrv': { i: SYSCTL.MLD_QRV, r: int(1) },
  'net.ipv4.ip_no_pmtu_disc': { i: SYSCTL.IP_NO_PMTU_DISC, r: u8() },
  'net.ipv4.fib_multipath_hash_policy': { i: SYSCTL.FIB_MULTIPATH_HASH_POLICY, r: u8(0, 3) },
  'net.ipv4.fib_multipath_hash_seed': { i: SYSCTL.FIB_MULTIPATH_HASH_SEED, r: uint() },
  'net.ipv4.fib_multipath_hash_fields': { i: SYSCTL.FIB_MULTIPATH_HASH_FIELDS, r: uint(1, 0xfff) },
  'net.ipv4.fib_multipath_use_neigh': { i: SYSCTL.FIB_MULTIPATH_USE_NEIGH, r: u8(0, 1) },
  'net.ipv4.ipfrag_high_thresh': { i: SYSCTL.IPFRAG_HIGH_THRESH, r: uint() },
  'net.ipv4.ipfrag_low_thresh': { i: SYSCTL.IPFRAG_LOW_THRESH, r: uint() },
  'net.ipv4.ipfrag_time': { i: SYSCTL.IPFRAG_TIME, r: int(-JIFFIES_S, JIFFIES_S) },
  'net.ipv4.ipfrag_max_dist': { i: SYSCTL.IPFRAG_MAX_DIST, r: int(0) },
  'net.ipv4.route.mtu_expires': { i: SYSCTL.ROUTE_MTU_EXPIRES, r: int(-JIFFIES_S, JIFFIES_S) },
  'net.ipv4.route.min_pmtu': { i: SYSCTL.ROUTE_MIN_PMTU, r: int(68) },
  'net.ipv6.ip6frag_high_thresh': { i: SYSCTL.IP6FRAG_HIGH_THRESH, r: uint() },
  'net.ipv6.ip6frag_low_thresh': { i: SYSCTL.IP6FRAG_LOW_THRESH, r: uint() },
  'net.ipv6.ip6frag_time': { i: SYSCTL.IP6FRAG_TIME, r: int(-JIFFIES_S, JIFFIES_S) },
  'net.ipv6.icmp.ratelimit': { i: SYSCTL.ICMP6_RATELIMIT, r: msJiffies() },
  'net.ipv6.icmp.echo_ignore_all': { i: SYSCTL.ICMP6_ECHO_IGNORE_ALL, r: u8() },
  'net.ipv6.fib_multipath_hash_policy': { i: SYSCTL.FIB6_MULTIPATH_HASH_POLICY, r: u8(0, 3) },
  'net.ipv6.fib_multipath_hash_fields': { i: SYSCTL.FIB6_MULTIPATH_HASH_FIELDS, r: uint(1, 0xfff) },
  'net.ipv6.route.mtu_expires': { i: SYSCTL.ROUTE6_MTU_EXPIRES, r: int(-JIFFIES_S, JIFFIES_S) },
  'net.ipv4.neigh.default.gc_thresh1': { i: SYSCTL.NEIGH4_GC_THRESH1, r: int() },
  'net.ipv4.neigh.default.gc_thresh2': { i: SYSCTL.NEIGH4_GC_THRESH2, r: int() },
  'net.ipv4.neigh.default.gc_thresh3': { i: SYSCTL.NEIGH4_GC_THRESH3, r: int() },
  'net.ipv4.neigh.default.gc_interval': { i: SYSCTL.NEIGH4_GC_INTERVAL, r: int(-JIFFIES_S, JIFFIES_S) },
  'net.ipv6.neigh.default.gc_thresh1': { i: SYSCTL.NEIGH6_GC_THRESH1, r: int() },
  'net.ipv6.neigh.default.gc_thresh2': { i: SYSCTL.NEIGH6_GC_THRESH2, r: int() },
  'net.ipv6.neigh.default.gc_thresh3': { i: SYSCTL.NEIGH6_GC_THRESH3, r: int() },
  'net.ipv6.neigh.default.gc_interval': { i: SYSCTL.NEIGH6_GC_INTERVAL, r: int(-JIFFIES_S, JIFFIES_S) },
  'net.ipv4.icmp_errors_use_inbound_ifaddr': { i: SYSCTL.ICMP_ERRORS_USE_INBOUND_IFADDR, r: u8(0, 1) },
  'net.ipv4.ip_forward_use_pmtu': { i: SYSCTL.IP_FORWARD_USE_PMTU, r: u8() },
  // net.netfilter.* (nf_conntrack_max and _buckets are read when conntrack is enabled: the table's size)
  'net.netfilter.nf_conntrack_max': { i: SYSCTL.NF_CONNTRACK_MAX, r: int(0) },
  'net.netfilter.nf_conntrack_buckets': { i: SYSCTL.NF_CONNTRACK_BUCKETS, r: int(0) },
  'net.netfilter.nf_conntrack_tcp_be_liberal': { i: SYSCTL.NF_CONNTRACK_TCP_BE_LIBERAL, r: u8(0, 1) },
  'net.netfilter.nf_conntrack_tcp_loose': { i: SYSCTL.NF_CONNTRACK_TCP_LOOSE, r: u8(0, 1) },
  'net.netfilter.nf_conntrack_tcp_ignore_invalid_rst': { i: SYSCTL.NF_CONNTRACK_TCP_IGNORE_INVALID_RST, r: u8(0, 1) },
  'net.netfilter.nf_conntrack_tcp_max_retrans': { i: SYSCTL.NF_CONNTRACK_TCP_MAX_RETRANS, r: int(0) },
  'net.netfilter.nf_conntrack_tcp_timeout_syn_sent': { i: SYSCTL.NF_CONNTRACK_TCP_TIMEOUT_SYN_SENT, r: int(0, JIFFIES_S) },
  'net.netfilter.nf_conntrack_tcp_timeout_syn_recv': { i: SYSCTL.NF_CONNTRACK_TCP_TIMEOUT_SYN_RECV, r: int(0, JIFFIES_S) },
  'net.netfilter.nf_conntrack_tcp_timeout_established': { i: SYSCTL.NF_CONNTRACK_TCP_TIMEOUT_ESTABLISHED, r: int(0, JIFFIES_S) },
  'net.netfilter.nf_conntrack_tcp_timeout_fin_wait': { i: SYSCTL.NF_CONNTRACK_TCP_TIMEOUT_FIN_WAIT, r: int(0, JIFFIES_S) },
  'net.netfilter.nf_conntrack_tcp_timeout_close_wait': { i: SYSCTL.NF_CONNTRACK_TCP_TIMEOUT_CLOSE_WAIT, r: int(0, JIFFIES_S) },
  'net.netfilter.nf_conntrack_tcp_timeout_last_ack': { i: SYSCTL.NF_CONNTRACK_TCP_TIMEOUT_LAST_ACK, r: int(0, JIFFIES_S) },
  'net.netfilter.nf_conntrack_tcp_timeout_time_wait': { i: SYSCTL.NF_CONNTRACK_TCP_TIMEOUT_TIME_WAIT, r: int(0, JIFFIES_S) },
  'net.netfilter.nf_conntrack_tcp_timeout_close': { i: SYSCTL.NF_CONNTRACK_TCP_TIMEOUT_CLOSE, r: int(0, JIFFIES_S) },
  'net.netfilter.nf_conntrack_tcp_timeout_max_retrans': { i: SYSCTL.NF_CONNTRACK_TCP_TIMEOUT_MAX_RETRANS, r: int(0, JIFFIES_S) },
  'net.netfilter.nf_conntrack_tcp_timeout_unacknowledged': { i: SYSCTL.NF_CONNTRACK_TCP_TIMEOUT_UNACKNOWLEDGED, r: int(0, JIFFIES_S) },
  'net.netfilter.nf_conntrack_udp_timeout': { i: SYSCTL.NF_CONNTRACK_UDP_TIMEOUT, r: int(0, JIFFIES_S) },
  'net.netfilter.nf_conntrack_udp_timeout_stream': { i: SYSCTL.NF_CONNTRACK_UDP_TIMEOUT_STREAM, r: int(0, JIFFIES_S) },
  'net.netfilter.nf_conntrack_icmp_timeout': { i: SYSCTL.NF_CONNTRACK_ICMP_TIMEOUT, r: int(0, JIFFIES_S) },
  'net.netfilter.nf_conntrack_icmpv6_timeout': { i: SYSCTL.NF_CONNTRACK_ICMPV6_TIMEOUT, r: int(0, JIFFIES_S) },
  'net.netfilter.nf_conntrack_generic_timeout': { i: SYSCTL.NF_CONNTRACK_GENERIC_TIMEOUT, r: int(0, JIFFIES_S) },
  'net.netfilter.nf_conntrack_checksum': { i: SYSCTL.NF_CONNTRACK_CHECKSUM, r: u8(0, 1) },
  'net.netfilter.nf_conntrack_acct': { i: SYSCTL.NF_CONNTRACK_ACCT, r: u8(0, 1) },
  'net.netfilter.nf_flowtable_tcp_timeout': { i: SYSCTL.NF_FLOWTABLE_TCP_TIMEOUT, r: int(0, JIFFIES_S) },
  'net.netfilter.nf_flowtable_udp_timeout': { i: SYSCTL.NF_FLOWTABLE_UDP_TIMEOUT, r: int(0, JIFFIES_S) },
};

const RATEMASK6 = 'net.ipv6.icmp.ratemask';

/** How `all` folds into a link's word (inetdevice.h). */
type Fold = 'own' | 'or' | 'max' | 'rx_redirects';

/**
 * net.ipv4.conf.*.NAME: the ND_CONF4 word, the kernel's default, how `all` folds in, read-only, and
 * `flushing`: devinet's DEVINET_SYSCTL_FLUSHING_ENTRY words, whose handler (ipv4_doint_and_flush) does
 * not copy a default write to the links (devinet_conf_proc does, for the others).
 */
const CONF4_NAMES: Readonly<Record<string, { i: number; dflt: number; fold: Fold; ro?: boolean; flushing?: boolean }>> = {
  forwarding: { i: CONF4.FORWARDING, dflt: 0, fold: 'own' },
  accept_redirects: { i: CONF4.ACCEPT_REDIRECTS, dflt: 1, fold: 'rx_redirects' },
  send_redirects: { i: CONF4.SEND_REDIRECTS, dflt: 0, fold: 'or' }, // kernel: 1 (wxdp: redirects off, see above)
  rp_filter: { i: CONF4.RP_FILTER, dflt: 0, fold: 'max' },
  accept_local: { i: CONF4.ACCEPT_LOCAL, dflt: 0, fold: 'or' },
  arp_ignore: { i: CONF4.ARP_IGNORE, dflt: 0, fold: 'max' },
  arp_announce: { i: CONF4.ARP_ANNOUNCE, dflt: 0, fold: 'max' },
  arp_accept: { i: CONF4.ARP_ACCEPT, dflt: 0, fold: 'max' },
  proxy_arp: { i: CONF4.PROXY_ARP, dflt: 0, fold: 'or' },
  arp_filter: { i: CONF4.ARP_FILTER, dflt: 0, fold: 'or' },
  route_localnet: { i: CONF4.ROUTE_LOCALNET, dflt: 0, fold: 'or', flushing: true },
  disable_policy: { i: CONF4.DISABLE_POLICY, dflt: 0, fold: 'or', flushing: true },
  mc_forwarding: { i: CONF4.MC_FORWARDING, dflt: 0, fold: 'own', ro: true },
  promote_secondaries: { i: CONF4.PROMOTE_SECONDARIES, dflt: 0, fold: 'or', flushing: true },
  ignore_routes_with_linkdown: { i: CONF4.IGNORE_ROUTES_WITH_LINKDOWN, dflt: 0, fold: 'or' },
  igmpv3_unsolicited_report_interval: { i: CONF4.IGMPV3_UNSOLICITED_REPORT_INTERVAL, dflt: 1000, fold: 'own' },
};

/** net.ipv6.conf.*.NAME: the ND_CONF6 word, the kernel's default and range. */
const CONF6_NAMES: Readonly<Record<string, { i: number; dflt: number; r: Range }>> = {
  forwarding: { i: CONF6.FORWARDING, dflt: 0, r: int() },
  hop_limit: { i: CONF6.HOP_LIMIT, dflt: 64, r: int(1, 255) },
  mtu: { i: CONF6.MTU, dflt: 1280, r: int(1280) },
  disable_ipv6: { i: CONF6.DISABLE_IPV6, dflt: 0, r: int() },
  accept_redirects: { i: CONF6.ACCEPT_REDIRECTS, dflt: 1, r: int() },
  force_forwarding: { i: CONF6.FORCE_FORWARDING, dflt: 0, r: int(0, 1) },
  use_oif_addrs_only: { i: CONF6.USE_OIF_ADDRS_ONLY, dflt: 0, r: int() },
  ignore_routes_with_linkdown: { i: CONF6.IGNORE_ROUTES_WITH_LINKDOWN, dflt: 0, r: int() },
  mldv2_unsolicited_report_interval: { i: CONF6.MLDV2_UNSOLICITED_REPORT_INTERVAL, dflt: 1000, r: int() }, // kept in ms (the kernel's jiffies read back rounded up to 4 ms)
};

/** A link's IPv4/IPv6 conf as written, and which IPv4 words were written (devinet's cnf.state). */
interface LinkConf {
  v4: Int32Array;
  v4set: Set<number>;
  v6: Int32Array;
  mtu: number;
}

function hostOf(dp: Datapath): SysctlHost {
  const x = dp.stack.exports<{ net_sysctl_set(i: number, v: number): number; net_sysctl_get(i: number): number; netdev_get(ifindex: number): number }>();
  return {
    globalGet: (i) => x.net_sysctl_get(i) >>> 0,
    globalSet: (i, v) => {
      const r = x.net_sysctl_set(i, v >>> 0);
      if (r !== 0) throw new NetError('EINVAL', `net_sysctl_set(${i}) refused (${r})`);
    },
    links: () => (dp.links as unknown as { list(): Array<{ ifindex: number; ifname: string; mtu: number }> }).list(),
    record: (ifindex) => {
      const address = x.netdev_get(ifindex) >>> 0;
      return address ? { view: dp.memory.view(), address } : undefined;
    },
    confChanged: (key) => {
      if (key === 'ignore_routes_with_linkdown') (dp.routes as unknown as { linkdownPolicyChanged?(): void }).linkdownPolicyChanged?.();
      if (key === 'forwarding') dp.addresses.forwardingChanged();
    },
    get neigh() {
      const n = dp.neigh as unknown as Partial<NeighParams>;
      return typeof n.setParam === 'function' && typeof n.getParam === 'function' ? (n as NeighParams) : undefined;
    },
  };
}

function enoent(name: string): NetError {
  return new NetError('ENOENT', `sysctl: cannot stat /proc/sys/${name.replace(/\./g, '/')}: No such file or directory`);
}

function einval(name: string): NetError {
  return new NetError('EINVAL', `sysctl: setting key "${name}": Invalid argument`);
}

/** proc_get_long: blanks, an optional '-', then a number in C's base 0; anything after it must be blank (further numbers of a vector are ignored). */
function parseInt32Text(name: string, v: SysctlValue): number {
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw einval(name);
    return v;
  }
  const m = /^\s*(-?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)(\s.*)?$/s.exec(v);
  if (!m) throw einval(name);
  const digits = m[2]!;
  const n = digits.startsWith('0x') || digits.startsWith('0X') ? parseInt(digits.slice(2), 16) : digits.length > 1 && digits[0] === '0' ? parseInt(digits, 8) : parseInt(digits, 10);
  return m[1] ? -n : n;
}

function check(name: string, r: Range, v: number): number {
  if (v < r.min || v > r.max) throw einval(name);
  return v;
}

/** proc_do_large_bitmap for a 128-bit map: "a-b,c" ranges → 4 words; "" clears it. */
function parseBitmap(name: string, text: SysctlValue): number[] {
  const words = [0, 0, 0, 0];
  const s = String(text).trim();
  if (s === '') return words;
  for (const part of s.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) throw einval(name);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo || hi > 127) throw einval(name);
    for (let b = lo; b <= hi; b++) words[b >> 5] = (words[b >> 5]! | (1 << (b & 31))) >>> 0;
  }
  return words;
}

function formatBitmap(words: number[]): string {
  const out: string[] = [];
  for (let b = 0; b < 128; ) {
    if (!((words[b >> 5]! >>> (b & 31)) & 1)) {
      b++;
      continue;
    }
    let e = b;
    while (e + 1 < 128 && (words[(e + 1) >> 5]! >>> ((e + 1) & 31)) & 1) e++;
    out.push(e === b ? String(b) : `${b}-${e}`);
    b = e + 1;
  }
  return out.join(',');
}

export class Sysctls {
  private readonly host: SysctlHost;
  private readonly all4 = new Int32Array(16);
  private readonly dflt4 = new Int32Array(16);
  private readonly all6 = new Int32Array(16);
  private readonly dflt6 = new Int32Array(16);
  private readonly conf = new Map<number, LinkConf>();

  constructor(dp: Datapath | SysctlHost) {
    this.host = 'fastPath' in dp ? hostOf(dp) : dp;
    for (const d of Object.values(CONF4_NAMES)) {
      this.all4[d.i] = d.dflt;
      this.dflt4[d.i] = d.dflt;
    }
    for (const d of Object.values(CONF6_NAMES)) {
      this.all6[d.i] = d.dflt;
      this.dflt6[d.i] = d.dflt;
    }
    this.sync();
  }

  // ---- the hook with dp.links ----

  /** A link was created (its record published): it takes conf.default, as in_dev / inet6_dev creation copies it. */
  linkAdded(ifindex: number): void {
    const l = this.host.links().find((x) => x.ifindex === ifindex);
    this.conf.delete(ifindex);
    if (l) this.adopt(l);
  }

  /** A link changed (MTU): net.ipv6.conf.DEV.mtu follows the link's MTU, as addrconf's NETDEV_CHANGEMTU does. */
  linkChanged(ifindex: number): void {
    const l = this.host.links().find((x) => x.ifindex === ifindex);
    const c = this.conf.get(ifindex);
    if (!l || !c) {
      this.sync();
      return;
    }
    if (l.mtu !== c.mtu) {
      c.mtu = l.mtu;
      c.v6[CONF6.MTU] = l.mtu;
      this.publish(ifindex);
    }
  }

  /** A link went away. */
  linkRemoved(ifindex: number): void {
    this.conf.delete(ifindex);
  }

  /** Pick up links created or removed without the hook. */
  private sync(): Array<{ ifindex: number; ifname: string; mtu: number }> {
    let links: Array<{ ifindex: number; ifname: string; mtu: number }>;
    try {
      links = this.host.links();
    } catch {
      links = [];
    }
    const seen = new Set<number>();
    for (const l of links) {
      seen.add(l.ifindex);
      if (!this.conf.has(l.ifindex)) this.adopt(l);
      else if (this.conf.get(l.ifindex)!.mtu !== l.mtu) this.linkChanged(l.ifindex);
    }
    for (const k of [...this.conf.keys()]) if (!seen.has(k)) this.conf.delete(k);
    return links;
  }

  private adopt(l: { ifindex: number; mtu: number }): void {
    const c: LinkConf = { v4: Int32Array.from(this.dflt4), v4set: new Set(), v6: Int32Array.from(this.dflt6), mtu: l.mtu };
    c.v6[CONF6.MTU] = l.mtu;
    this.conf.set(l.ifindex, c);
    this.publish(l.ifindex);
  }

  /** Write a link's folded words into its record (each one aligned u32 store). */
  private publish(ifindex: number): void {
    const c = this.conf.get(ifindex);
    const rec = this.host.record(ifindex);
    if (!c || !rec) return;
    const fwd = c.v4[CONF4.FORWARDING]! !== 0;
    for (const d of Object.values(CONF4_NAMES)) {
      const all = this.all4[d.i]!;
      const own = c.v4[d.i]!;
      let v: number;
      if (d.fold === 'or') v = all || own ? 1 : 0;
      else if (d.fold === 'max') v = Math.max(all, own);
      else if (d.fold === 'rx_redirects') v = (fwd ? all && own : all || own) ? 1 : 0;
      else v = own;
      rec.view.setUint32(rec.address + ND.CONF4 + d.i * 4, v >>> 0, true);
    }
    for (const d of Object.values(CONF6_NAMES)) rec.view.setUint32(rec.address + ND.CONF6 + d.i * 4, c.v6[d.i]! >>> 0, true);
  }

  private publishAll(): void {
    for (const k of this.conf.keys()) this.publish(k);
  }

  // ---- get / set / list ----

  /** The value of sysctl `name` (numbers; net.ipv6.icmp.ratemask as its range list). ENOENT when there is no such sysctl. */
  get(name: string): SysctlValue {
    const links = this.sync();
    const g = GLOBALS[name];
    if (g) {
      const v = this.host.globalGet(g.i);
      if (g.r.ms) return fromStoredMs('ms', v >>> 0);
      return g.r.signed ? v | 0 : v >>> 0;
    }
    if (name === RATEMASK6) return formatBitmap([0, 1, 2, 3].map((k) => this.host.globalGet(SYSCTL.ICMP6_RATEMASK_0 + k)));
    if (name === 'net.ipv4.ip_forward') return this.all4[CONF4.FORWARDING]!;
    const conf = /^net\.ipv([46])\.conf\.([^.]+)\.([^.]+)$/.exec(name);
    if (conf) {
      const [, fam, dev, key] = conf;
      const d = fam === '4' ? CONF4_NAMES[key!] : CONF6_NAMES[key!];
      if (!d) throw enoent(name);
      if (dev === 'all') return (fam === '4' ? this.all4 : this.all6)[d.i]!;
      if (dev === 'default') return (fam === '4' ? this.dflt4 : this.dflt6)[d.i]!;
      const c = this.linkConf(name, links, dev!);
      return (fam === '4' ? c.v4 : c.v6)[d.i]!;
    }
    const neigh = this.neighName(name, links);
    if (neigh) {
      const n = this.host.neigh;
      if (!n) throw enoent(name);
      return n.getParam(neigh.family, neigh.dev, neigh.name);
    }
    throw enoent(name);
  }

  /** Set sysctl `name` (a number, or the text `sysctl -w` would take). EINVAL out of range, ENOENT unknown. */
  set(name: string, value: SysctlValue): void {
    const links = this.sync();
    const g = GLOBALS[name];
    if (g) {
      const v = check(name, g.r, parseInt32Text(name, value));
      // ipfrag thresholds bound each other (proc_doulongvec_minmax with extra1/extra2)
      if (name.endsWith('frag_high_thresh') && v < this.host.globalGet(g.i + 1)) throw einval(name);
      if (name.endsWith('frag_low_thresh') && v > this.host.globalGet(g.i - 1)) throw einval(name);
      this.host.globalSet(g.i, g.r.ms ? toStoredMs('ms', v) : v);
      return;
    }
    if (name === RATEMASK6) {
      parseBitmap(name, value).forEach((w, k) => this.host.globalSet(SYSCTL.ICMP6_RATEMASK_0 + k, w));
      return;
    }
    if (name === 'net.ipv4.ip_forward') {
      // its own entry (ipv4_sysctl_forward, proc_dointvec): an error names the key written, as sysctl(8) does
      try {
        return this.set('net.ipv4.conf.all.forwarding', value);
      } catch (e) {
        if (e instanceof NetError && e.errno === 'EINVAL') throw einval(name);
        throw e;
      }
    }
    const conf = /^net\.ipv([46])\.conf\.([^.]+)\.([^.]+)$/.exec(name);
    if (conf) {
      const [, fam, dev, key] = conf;
      if (fam === '4') this.setConf4(name, dev!, key!, value, links);
      else this.setConf6(name, dev!, key!, value, links);
      this.host.confChanged?.(key!);
      return;
    }
    const neigh = this.neighName(name, links);
    if (neigh) {
      const n = this.host.neigh;
      if (!n) throw enoent(name);
      const v = check(name, neigh.r, parseInt32Text(name, value));
      n.setParam(neigh.family, neigh.dev, neigh.name, v);
      return;
    }
    throw enoent(name);
  }

  /** Every sysctl wxdp has, by name, with its value (sorted as `sysctl -a` sorts). */
  list(): Record<string, SysctlValue> {
    const links = this.sync();
    const names = [...Object.keys(GLOBALS), RATEMASK6, 'net.ipv4.ip_forward'];
    for (const dev of ['all', 'default', ...links.map((l) => l.ifname)]) {
      for (const k of Object.keys(CONF4_NAMES)) names.push(`net.ipv4.conf.${dev}.${k}`);
      for (const k of Object.keys(CONF6_NAMES)) names.push(`net.ipv6.conf.${dev}.${k}`);
    }
    if (this.host.neigh) {
      for (const fam of ['ipv4', 'ipv6']) for (const dev of ['default', ...links.map((l) => l.ifname)]) for (const k of NEIGH_DEVICE_PARAMS) names.push(`net.${fam}.neigh.${dev}.${k}`);
    }
    const out: Record<string, SysctlValue> = {};
    for (const n of names.sort()) out[n] = this.get(n);
    return out;
  }

  /** A link's own net.ipv6.conf.DEV.KEY by ifindex (a name with dots, eth0.7, has no dotted sysctl name); undefined for an unknown link or word. */
  conf6Of(ifindex: number, key: string): number | undefined {
    this.sync();
    const d = CONF6_NAMES[key];
    return d ? this.conf.get(ifindex)?.v6[d.i] : undefined;
  }

  private linkConf(name: string, links: Array<{ ifindex: number; ifname: string }>, dev: string): LinkConf {
    const l = links.find((x) => x.ifname === dev);
    const c = l && this.conf.get(l.ifindex);
    if (!c) throw enoent(name);
    return c;
  }

  private neighName(name: string, links: Array<{ ifname: string }>): { family: Family; dev: string; name: string; r: Range } | undefined {
    const m = /^net\.ipv([46])\.neigh\.([^.]+)\.([^.]+)$/.exec(name);
    if (!m || !NEIGH_DEVICE_PARAMS.includes(m[3]!)) return undefined; // gc_thresh*, gc_interval: globals of "default" only
    const family: Family = m[1] === '4' ? 'inet' : 'inet6';
    const r = neighParamRange(family, m[3]!);
    if (!r) return undefined;
    if (m[2] !== 'default' && !links.some((l) => l.ifname === m[2])) return undefined;
    return { family, dev: m[2]!, name: m[3]!, r: int(r.min, r.max) };
  }

  /** devinet_conf_proc / devinet_sysctl_forward */
  private setConf4(name: string, dev: string, key: string, value: SysctlValue, links: Array<{ ifindex: number; ifname: string }>): void {
    const d = CONF4_NAMES[key];
    if (!d) throw enoent(name);
    const c = dev === 'all' || dev === 'default' ? undefined : this.linkConf(name, links, dev);
    const v = check(name, int(), parseInt32Text(name, value));
    if (d.ro) throw einval(name);
    if (key === 'forwarding') {
      if (dev === 'all') {
        // inet_forward_change
        this.all4[d.i] = v;
        this.all4[CONF4.ACCEPT_REDIRECTS] = v ? 0 : 1;
        this.dflt4[d.i] = v;
        for (const lc of this.conf.values()) lc.v4[d.i] = v;
        this.publishAll();
      } else if (dev === 'default') this.dflt4[d.i] = v;
      else {
        c!.v4[d.i] = v;
        this.publish(links.find((l) => l.ifname === dev)!.ifindex);
      }
      return;
    }
    if (dev === 'all') {
      this.all4[d.i] = v;
      this.publishAll();
    } else if (dev === 'default') {
      // devinet_copy_dflt_conf: links that never had this word written follow the default
      this.dflt4[d.i] = v;
      if (!d.flushing) for (const lc of this.conf.values()) if (!lc.v4set.has(d.i)) lc.v4[d.i] = v;
      this.publishAll();
    } else {
      c!.v4[d.i] = v;
      c!.v4set.add(d.i);
      this.publish(links.find((l) => l.ifname === dev)!.ifindex);
    }
  }

  /** addrconf_sysctl_forward / addrconf_sysctl_disable / addrconf_sysctl_mtu / proc_dointvec_minmax */
  private setConf6(name: string, dev: string, key: string, value: SysctlValue, links: Array<{ ifindex: number; ifname: string; mtu: number }>): void {
    const d = CONF6_NAMES[key];
    if (!d) throw enoent(name);
    const link = dev === 'all' || dev === 'default' ? undefined : links.find((l) => l.ifname === dev);
    const c = link ? this.linkConf(name, links, dev) : undefined;
    const v = check(name, d.r, parseInt32Text(name, value));
    if (key === 'mtu' && link && v > link.mtu) throw einval(name);
    if (dev === 'all') {
      this.all6[d.i] = v;
      // ip6_forward reads devconf_all->forwarding itself: the fast path keeps it as a global word
      if (key === 'forwarding') this.host.globalSet(SYSCTL.IPV6_ALL_FORWARDING, v);
      // devconf_all->hop_limit, read by nf_reject_skb_v6_* (the netdev family's reject answers): a global word too
      if (key === 'hop_limit') this.host.globalSet(SYSCTL.IPV6_ALL_HOP_LIMIT, v);
      if (key === 'forwarding' || key === 'disable_ipv6' || key === 'ignore_routes_with_linkdown') {
        this.dflt6[d.i] = v;
        for (const lc of this.conf.values()) lc.v6[d.i] = v;
        this.publishAll();
      }
    } else if (dev === 'default') this.dflt6[d.i] = v;
    else {
      c!.v6[d.i] = v;
      this.publish(link!.ifindex);
    }
  }
}
