// The stack's shared layout for TypeScript: the same facts as assembly/net/abi.ts (drawn there);
// tests/fastpath/net_abi.test.ts proves they agree.

export const NET_ROOT_PTR = 8736;
export const NET_MAGIC = 1413828183;
export const NET_ROOT_SIZE = 8192;
export const NET_SCRATCH_SIZE = 16384;
export const NETDEV_MAX = 4096;
export const NETDEV_SIZE = 512;
export const ADDR_LIST_HEADER = 8;
export const ADDR_ENTRY_SIZE = 48;
export const FL_SIZE = 64;
export const FR_SIZE = 64;
export const SYSCTL_COUNT = 69;
export const MIB_COUNT = 256;
export const NDROP_COUNT = 160;
export const LOOPBACK_IFINDEX = 1;
export const AF_INET = 2;
export const AF_INET6 = 10;
export const RT_TABLE_DEFAULT = 253;
export const RT_TABLE_MAIN = 254;
export const RT_TABLE_LOCAL = 255;
export const NR = { NOW: 8, NETDEVS: 16, FIB: 20, NEIGH: 24, FRAG: 28, DST: 32, ICMP: 36, L4: 40, SCRATCH: 44, FIB_GEN: 48, NETDEV: 52, RECLAIM: 56, PROTOS: 60, SKPROG: 64, RT6_REDIRECT: 68, NF: 72, CT: 76, FLOWTABLE: 80, NFT: 84, LOCK_FRAG: 88, LOCK_NEIGH: 92, LOCK_CT: 96, LOCK_READY: 100, LOCK_ICMP: 104, REALTIME: 128, SYSCTL: 512, MIB: 1024, DROPS: 4096 } as const;
export const ND = { IFINDEX: 0, FLAGS: 4, MTU: 8, KIND: 12, MAC: 16, LINK: 24, VLAN_PROTO: 28, VLAN_ID: 30, DEV: 32, VLANS: 36, ADDR4: 40, ADDR6: 44, GEN: 48, PCPU: 52, NF_INGRESS: 56, NF_EGRESS: 60, CONF4: 64, CONF6: 128, STATS: 192, NAME: 256 } as const;
export const NDK = { ETHER: 0, LOOPBACK: 1, DUMMY: 2, VETH: 3, VLAN: 4 } as const;
export const IFF = { UP: 1, BROADCAST: 2, LOOPBACK: 8, POINTOPOINT: 16, RUNNING: 64, NOARP: 128, MULTICAST: 4096, LOWER_UP: 65536 } as const;
export const CONF4 = { FORWARDING: 0, ACCEPT_REDIRECTS: 1, SEND_REDIRECTS: 2, RP_FILTER: 3, ACCEPT_LOCAL: 4, ARP_IGNORE: 5, ARP_ANNOUNCE: 6, ARP_ACCEPT: 7, PROXY_ARP: 8, ARP_FILTER: 9, ROUTE_LOCALNET: 10, DISABLE_POLICY: 11, MC_FORWARDING: 12, PROMOTE_SECONDARIES: 13, IGNORE_ROUTES_WITH_LINKDOWN: 14, IGMPV3_UNSOLICITED_REPORT_INTERVAL: 15 } as const;
export const CONF6 = { FORWARDING: 0, HOP_LIMIT: 1, MTU: 2, DISABLE_IPV6: 3, ACCEPT_REDIRECTS: 4, FORCE_FORWARDING: 5, USE_OIF_ADDRS_ONLY: 6, IGNORE_ROUTES_WITH_LINKDOWN: 7, MLDV2_UNSOLICITED_REPORT_INTERVAL: 8 } as const;
export const NDSTAT = { RX_PACKETS: 0, RX_BYTES: 1, RX_DROPPED: 2, TX_PACKETS: 3, TX_BYTES: 4, TX_DROPPED: 5, RX_ERRORS: 6, TX_ERRORS: 7 } as const;
export const AE = { ADDR: 0, PEER: 16, BROADCAST: 32, PREFIXLEN: 36, SCOPE: 37, FLAGS: 38, PREFERRED: 40, VALID: 44 } as const;
export const FL = { DST: 0, SRC: 16, IIF: 32, OIF: 36, MARK: 40, TOS: 44, PROTO: 45, SCOPE: 46, FLAGS: 47, SPORT: 48, DPORT: 50, LABEL: 52, FAMILY: 56, ICMP_TYPE: 57, ICMP_CODE: 58, UID: 60 } as const;
export const FR = { TYPE: 0, SCOPE: 1, PREFIXLEN: 2, FAMILY: 3, TABLE: 4, OIF: 8, NH_FLAGS: 12, GW: 16, GW_FAMILY: 32, PREFSRC: 36, MTU: 52, INFO: 56, NH_INDEX: 60 } as const;
export const RTN = { UNSPEC: 0, UNICAST: 1, LOCAL: 2, BROADCAST: 3, ANYCAST: 4, MULTICAST: 5, BLACKHOLE: 6, UNREACHABLE: 7, PROHIBIT: 8, THROW: 9, NAT: 10 } as const;
export const RT_SCOPE = { UNIVERSE: 0, SITE: 200, LINK: 253, HOST: 254, NOWHERE: 255 } as const;
export const NE = {
  STATE: 0, FLAGS: 1, MAC: 2, IFINDEX: 8, NEXT0: 12, NEXT1: 16, KEY: 20, CONFIRMED: 40, UPDATED: 48, USED: 56, TIMER: 64, TIMER_SLOT: 72,
  TIMER_SEQ: 76, PROBES: 80, QHEAD: 84, QTAIL: 88, QBYTES: 92, QLEN: 96, GC_PREV: 100, GC_NEXT: 104, PARMS: 108, FAMILY: 112, TYPE: 113,
  DEAD: 114, XFLAGS: 115, HA_SEQ: 116, PROTOCOL: 120, LOCK: 124,
} as const;
export const NE_SIZE = 128;
export const SK = {
  ID: 0, STATE: 4, FAMILY: 5, PROTOCOL: 6, FLAGS: 7, NUM: 8, DPORT: 10, BOUND_DEV_IF: 12, RCV_SADDR: 16, DADDR: 32, REUSEPORT_GROUP: 60,
  RCVBUF: 64, RMEM: 68, DROPS: 92, PCFLAG: 96, FLAGS6: 97, ERR: 100, RX_PACKETS: 104, RX_BYTES: 112, REUSEPORT_INDEX: 120, LOCK: 124,
  SNDBUF: 128, TTL: 132, TOS: 133, MC_TTL: 134, PMTUDISC: 135, MARK: 136, QUEUE: 140, COOKIE: 144, TX_PACKETS: 152, TX_BYTES: 160, SADDR: 168,
  HOPS6: 228, TCLASS: 230, PMTUDISC6: 231,
} as const;
export const SK_SIZE = 256;
export const SKF = { REUSEADDR: 1, REUSEPORT: 2, IPV6ONLY: 4, BROADCAST: 8, DEAD: 16, NO_CHECK_TX: 32 } as const;
export const SK6F = { DONTFRAG: 1 } as const;
export const UDPLITE = { SEND_CC: 1, RECV_CC: 2 } as const;
/** Where each UDP MIB group starts (UDP_MIB_* offsets in assembly/net/abi.ts, the kernel's order). */
export const UDP_MIB_BASES = { Udp: 128, UdpLite: 137, Udp6: 146, UdpLite6: 155 } as const;
export const UDP_MIB_COUNT = 9;
export const NUD = { INCOMPLETE: 1, REACHABLE: 2, STALE: 4, DELAY: 8, PROBE: 16, FAILED: 32, NOARP: 64, PERMANENT: 128, VALID: 222, CONNECTED: 194 } as const;
export const SYSCTL = { ICMP_RATELIMIT: 0, ICMP_RATEMASK: 1, ICMP_ECHO_IGNORE_ALL: 2, ICMP_ECHO_IGNORE_BROADCASTS: 3, ICMP_MSGS_PER_SEC: 4, ICMP_MSGS_BURST: 5, IP_DEFAULT_TTL: 6, IP_NO_PMTU_DISC: 7, FIB_MULTIPATH_HASH_POLICY: 8, FIB_MULTIPATH_HASH_SEED: 9, FIB_MULTIPATH_HASH_FIELDS: 10, FIB_MULTIPATH_USE_NEIGH: 11, IPFRAG_HIGH_THRESH: 12, IPFRAG_LOW_THRESH: 13, IPFRAG_TIME: 14, IPFRAG_MAX_DIST: 15, ROUTE_MTU_EXPIRES: 16, ROUTE_MIN_PMTU: 17, IP6FRAG_HIGH_THRESH: 18, IP6FRAG_LOW_THRESH: 19, IP6FRAG_TIME: 20, ICMP6_RATELIMIT: 21, ICMP6_ECHO_IGNORE_ALL: 22, FIB6_MULTIPATH_HASH_POLICY: 23, FIB6_MULTIPATH_HASH_FIELDS: 24, ROUTE6_MTU_EXPIRES: 25, NEIGH4_GC_THRESH1: 26, NEIGH4_GC_THRESH2: 27, NEIGH4_GC_THRESH3: 28, NEIGH4_GC_INTERVAL: 29, NEIGH6_GC_THRESH1: 30, NEIGH6_GC_THRESH2: 31, NEIGH6_GC_THRESH3: 32, NEIGH6_GC_INTERVAL: 33, ICMP_ERRORS_USE_INBOUND_IFADDR: 34, IP_FORWARD_USE_PMTU: 35, ICMP6_RATEMASK_0: 36, ICMP6_RATEMASK_3: 39, IPV6_ALL_FORWARDING: 40, NF_CONNTRACK_MAX: 41, NF_CONNTRACK_BUCKETS: 42, NF_CONNTRACK_TCP_BE_LIBERAL: 43, NF_CONNTRACK_TCP_LOOSE: 44, NF_CONNTRACK_TCP_MAX_RETRANS: 45, NF_CONNTRACK_TCP_TIMEOUT_SYN_SENT: 46, NF_CONNTRACK_TCP_TIMEOUT_SYN_RECV: 47, NF_CONNTRACK_TCP_TIMEOUT_ESTABLISHED: 48, NF_CONNTRACK_TCP_TIMEOUT_FIN_WAIT: 49, NF_CONNTRACK_TCP_TIMEOUT_CLOSE_WAIT: 50, NF_CONNTRACK_TCP_TIMEOUT_LAST_ACK: 51, NF_CONNTRACK_TCP_TIMEOUT_TIME_WAIT: 52, NF_CONNTRACK_TCP_TIMEOUT_CLOSE: 53, NF_CONNTRACK_TCP_TIMEOUT_MAX_RETRANS: 54, NF_CONNTRACK_TCP_TIMEOUT_UNACKNOWLEDGED: 55, NF_CONNTRACK_UDP_TIMEOUT: 56, NF_CONNTRACK_UDP_TIMEOUT_STREAM: 57, NF_CONNTRACK_ICMP_TIMEOUT: 58, NF_CONNTRACK_ICMPV6_TIMEOUT: 59, NF_CONNTRACK_GENERIC_TIMEOUT: 60, NF_CONNTRACK_CHECKSUM: 61, NF_FLOWTABLE_TCP_TIMEOUT: 62, NF_FLOWTABLE_UDP_TIMEOUT: 63, IPV6_ALL_HOP_LIMIT: 64, IGMP_QRV: 65, MLD_QRV: 66, NF_CONNTRACK_TCP_IGNORE_INVALID_RST: 67, NF_CONNTRACK_ACCT: 68 } as const;
export const CONF4_COUNT = 16;
export const CONF6_COUNT = 16;
export const NDSTAT_COUNT = 8;
/** The per-CPU counters block at ND.PCPU (assembly/net/abi.ts PCPU_*): slots, then slot s at SLOT0 + s × SLOT_SIZE. */
export const PCPU = { SLOTS: 0, SLOT0: 64, SLOT_SIZE: 64 } as const;
/** SNMP counters by index: "Group:Name" as /proc/net/snmp, netstat (IpExt) and snmp6 print them (Arp and L4 are wxdp's own). */
export const MIB_NAMES: Readonly<Record<number, string>> = {
  0: 'Ip:InReceives',
  1: 'Ip:InHdrErrors',
  2: 'Ip:InAddrErrors',
  3: 'Ip:ForwDatagrams',
  4: 'Ip:InUnknownProtos',
  5: 'Ip:InDiscards',
  6: 'Ip:InDelivers',
  7: 'Ip:OutRequests',
  8: 'Ip:OutDiscards',
  9: 'Ip:OutNoRoutes',
  10: 'Ip:ReasmTimeout',
  11: 'Ip:ReasmReqds',
  12: 'Ip:ReasmOKs',
  13: 'Ip:ReasmFails',
  14: 'Ip:FragOKs',
  15: 'Ip:FragFails',
  16: 'Ip:FragCreates',
  17: 'IpExt:InNoRoutes',
  18: 'IpExt:InTruncatedPkts',
  19: 'IpExt:InCsumErrors',
  20: 'Icmp:InMsgs',
  21: 'Icmp:InErrors',
  22: 'Icmp:InCsumErrors',
  23: 'Icmp:InDestUnreachs',
  24: 'Icmp:InTimeExcds',
  25: 'Icmp:InEchos',
  26: 'Icmp:InEchoReps',
  27: 'Icmp:OutMsgs',
  28: 'Icmp:OutErrors',
  29: 'Icmp:OutRateLimitGlobal',
  30: 'Icmp:OutRateLimitHost',
  31: 'Icmp:OutDestUnreachs',
  32: 'Icmp:OutTimeExcds',
  33: 'Icmp:OutEchoReps',
  34: 'Icmp:OutRedirects',
  35: 'Icmp:InParmProbs',
  36: 'Icmp:InRedirects',
  37: 'Icmp:OutParmProbs',
  38: 'Icmp:InTimestamps',
  39: 'Icmp:OutTimestampReps',
  40: 'Ip6:InReceives',
  41: 'Ip6:InHdrErrors',
  42: 'Ip6:InTooBigErrors',
  43: 'Ip6:InNoRoutes',
  44: 'Ip6:InAddrErrors',
  45: 'Ip6:InUnknownProtos',
  46: 'Ip6:InTruncatedPkts',
  47: 'Ip6:InDiscards',
  48: 'Ip6:InDelivers',
  49: 'Ip6:OutForwDatagrams',
  50: 'Ip6:OutRequests',
  51: 'Ip6:OutDiscards',
  52: 'Ip6:OutNoRoutes',
  53: 'Ip6:ReasmTimeout',
  54: 'Ip6:ReasmReqds',
  55: 'Ip6:ReasmOKs',
  56: 'Ip6:ReasmFails',
  57: 'Ip6:FragOKs',
  58: 'Ip6:FragFails',
  59: 'Ip6:FragCreates',
  60: 'Ip6:InMcastPkts',
  70: 'Icmp6:InMsgs',
  71: 'Icmp6:InErrors',
  72: 'Icmp6:OutMsgs',
  73: 'Icmp6:OutErrors',
  74: 'Icmp6:InCsumErrors',
  75: 'Icmp6:OutRateLimitHost',
  76: 'Icmp6:InDestUnreachs',
  77: 'Icmp6:InPktTooBigs',
  78: 'Icmp6:InTimeExcds',
  79: 'Icmp6:InEchos',
  80: 'Icmp6:InEchoReplies',
  81: 'Icmp6:InNeighborSolicits',
  82: 'Icmp6:InNeighborAdvertisements',
  83: 'Icmp6:OutDestUnreachs',
  84: 'Icmp6:OutPktTooBigs',
  85: 'Icmp6:OutTimeExcds',
  86: 'Icmp6:OutEchoReplies',
  87: 'Icmp6:OutNeighborSolicits',
  88: 'Icmp6:OutNeighborAdvertisements',
  89: 'Icmp6:InParmProblems',
  90: 'Icmp6:OutParmProblems',
  91: 'Icmp6:InRouterSolicits',
  92: 'Icmp6:InRouterAdvertisements',
  93: 'Icmp6:InRedirects',
  94: 'Icmp6:OutRedirects',
  100: 'Arp:InRequests',
  101: 'Arp:InReplies',
  102: 'Arp:OutRequests',
  103: 'Arp:OutReplies',
  112: 'L4:IcmpPending',
  128: 'Udp:InDatagrams',
  129: 'Udp:NoPorts',
  130: 'Udp:InErrors',
  131: 'Udp:OutDatagrams',
  132: 'Udp:RcvbufErrors',
  133: 'Udp:SndbufErrors',
  134: 'Udp:InCsumErrors',
  135: 'Udp:IgnoredMulti',
  136: 'Udp:MemErrors',
  137: 'UdpLite:InDatagrams',
  138: 'UdpLite:NoPorts',
  139: 'UdpLite:InErrors',
  140: 'UdpLite:OutDatagrams',
  141: 'UdpLite:RcvbufErrors',
  142: 'UdpLite:SndbufErrors',
  143: 'UdpLite:InCsumErrors',
  144: 'UdpLite:IgnoredMulti',
  145: 'UdpLite:MemErrors',
  146: 'Udp6:InDatagrams',
  147: 'Udp6:NoPorts',
  148: 'Udp6:InErrors',
  149: 'Udp6:OutDatagrams',
  150: 'Udp6:RcvbufErrors',
  151: 'Udp6:SndbufErrors',
  152: 'Udp6:InCsumErrors',
  153: 'Udp6:IgnoredMulti',
  154: 'Udp6:MemErrors',
  155: 'UdpLite6:InDatagrams',
  156: 'UdpLite6:NoPorts',
  157: 'UdpLite6:InErrors',
  158: 'UdpLite6:OutDatagrams',
  159: 'UdpLite6:RcvbufErrors',
  160: 'UdpLite6:SndbufErrors',
  161: 'UdpLite6:InCsumErrors',
  // 162: UdpLite6's IgnoredMulti is counted (__udp6_lib_mcast_deliver) but /proc/net/snmp6 has no line for it
  // (net/ipv6/proc.c snmp6_udplite6_list lists eight of the nine): unnamed, as nothing shows it
  163: 'UdpLite6:MemErrors',
  170: 'Tcp:InSegs',
  171: 'Tcp:OutSegs',
  172: 'Tcp:InErrs',
  173: 'Tcp:OutRsts',
  174: 'Tcp:InCsumErrors',
  175: 'nf_conntrack:found',
  176: 'nf_conntrack:invalid',
  177: 'nf_conntrack:insert',
  178: 'nf_conntrack:insert_failed',
  179: 'nf_conntrack:drop',
  180: 'nf_conntrack:early_drop',
  181: 'nf_conntrack:error',
  182: 'nf_conntrack:search_restart',
  183: 'nf_conntrack:clash_resolve',
  184: 'nf_conntrack:chaintoolong',
  185: 'nf_flowtable:hit',
  186: 'nf_flowtable:slowpath',
  187: 'nf_nat:no_tuple',
  200: 'TcpExt:IPReversePathFilter',
};
/** Drop reasons by index: the kernel's SKB_DROP_REASON_* names (without the prefix). */
export const NET_DROP_REASONS: Readonly<Record<number, string>> = {
  0: 'NOT_SPECIFIED',
  1: 'PKT_TOO_SMALL',
  2: 'OTHERHOST',
  3: 'IP_CSUM',
  4: 'IP_INHDR',
  5: 'IP_RPFILTER',
  6: 'UNICAST_IN_L2_MULTICAST',
  7: 'IP_NOPROTO',
  8: 'IP_INADDRERRORS',
  9: 'IP_INNOROUTES',
  10: 'IP_LOCAL_SOURCE',
  11: 'IP_INVALID_SOURCE',
  12: 'IP_LOCALNET',
  13: 'IP_INVALID_DEST',
  14: 'PKT_TOO_BIG',
  15: 'IPV6_BAD_EXTHDR',
  16: 'IPV6DISABLED',
  17: 'UNHANDLED_PROTO',
  18: 'VLAN_FILTER',
  19: 'MAC_INVALID_SOURCE',
  20: 'NO_TX_TARGET',
  21: 'HOST_RING_FULL',
  22: 'NOMEM',
  23: 'ICMP_CSUM',
  24: 'IP_TTL',
  25: 'INVALID_PROTO',
  26: 'NO_SOCKET',
  32: 'NEIGH_CREATEFAIL',
  33: 'NEIGH_FAILED',
  34: 'NEIGH_QUEUEFULL',
  35: 'NEIGH_DEAD',
  36: 'IPV6_NDISC_FRAG',
  37: 'IPV6_NDISC_HOP_LIMIT',
  38: 'IPV6_NDISC_BAD_CODE',
  39: 'IPV6_NDISC_BAD_OPTIONS',
  40: 'IPV6_NDISC_NS_OTHERHOST',
  41: 'ARP_INVALID',
  64: 'DUP_FRAG',
  65: 'FRAG_REASM_TIMEOUT',
  66: 'FRAG_TOO_FAR',
  67: 'FRAG_MEM',
  68: 'FRAG_INVALID',
  69: 'FRAG_HDR_INCOMP',
  70: 'FRAG_OVERSIZE',
  71: 'FRAG_ECN',
  96: 'IP_OUTNOROUTES',
  97: 'IP_BLACKHOLE',
  98: 'IP_PROHIBIT',
  124: 'CPU_BACKLOG',
  125: 'RECURSION_LIMIT',
  128: 'UDP_CSUM',
  129: 'SOCKET_RCVBUFF',
  130: 'TCP_CSUM',
  131: 'SOCKET_FILTER',
  132: 'PROTO_MEM',
  133: 'NETFILTER_DROP',
  134: 'NF_CT_FULL',
  135: 'NF_NAT_NO_TUPLE',
  142: 'NFT_JUMP_STACK',
};
