// The stack's shared layout: what the stages behind XDP_PASS read and write in the one memory. Every
// stage file (assembly/net/*.ts) opens with what it reads, what it sets and where the frame goes next;
// this file holds only the facts more than one stage (or TypeScript) needs. src/runtime/net_abi.ts
// holds the same facts for TypeScript; tests/fastpath/net_abi.test.ts proves they agree.
//
// Addresses in records are kept in network byte order as bytes (an IPv4 address is the u32 loaded
// little-endian from its 4 bytes, so comparisons for equality work; prefix arithmetic uses bswap).
//
// The root (one block from the arena; its address at NET_ROOT_PTR, 0 until net_init):
//
//   +0    u32 magic 'WNET'
//   +8    u64 now: the stack's clock in milliseconds (advanced by the control plane, net_advance)
//   +16   u32 netdev table: NETDEV_MAX × u32 record address, by ifindex (netdev.ts)
//   +20   u32 FIB root, published by one atomic store (fib.ts)
//   +24   u32 neighbour root (neigh.ts)
//   +28   u32 reassembly root (frag.ts)
//   +32   u32 route cache / PMTU root (dst.ts)
//   +36   u32 ICMP rate-limit state (icmp.ts)
//   +40   u32 L4 root: the socket tables (sock.ts draws it)
//   +44   u32 scratch: NET_SCRATCH_SIZE bytes for one worker (flow keys, results, built headers)
//   +48   u32 FIB generation (bumped by every route/rule/address change; the dst cache checks it)
//   +52   u32 netdev stage state (netdev.ts): device order list, block allocator free lists
//   +56   u32 reclamation state (reclaim.ts): per-worker quiescent counters, retired blocks, free lists
//   +60   u32 local delivery's protocol tables (local.ts): 2 × 256 u8 handlers, IPv4 then IPv6
//   +64   u32 socket programs (sk_prog.ts): attached sk_lookup / sk_reuseport programs, their contexts
//   +68   u32 IPv6 redirect exceptions (rt6_redirect.ts)
//   +72   u32 netfilter hook table (netfilter.ts) | +76 conntrack root (nf_conntrack.ts) | +80 flowtable root
//   +88   spin locks of the shared build (NR_LOCK_*: lock.ts), to +127 | +128 u64 the wall clock at stack clock 0
//   +512  SYSCTL_COUNT × u32 global sysctls (SYSCTL_* below; defaults are the kernel's)
//   +1024 MIB_COUNT × u64 SNMP counters (MIB_* below; names as /proc/net/snmp and snmp6 print them)
//   +4096 NDROP_COUNT × u64 drop counters by reason (NDROP_*: the kernel's SKB_DROP_REASON_* names)

export const NET_ROOT_PTR: u32 = 0x2220; // in the data path root's free space (abi.ts DP_BASE + 32)
export const NET_MAGIC: u32 = 0x54454e57;
// The netfilter hook table's address once more, at DP_BASE + 36 beside NET_ROOT_PTR: a hook site's gate is
// then one load and a branch (netfilter.ts NF_HOOK4); 0 while no hook is registered.
export const NF_GATE_PTR: u32 = 0x2224;
export const NR_NOW: u32 = 8;
export const NR_NETDEVS: u32 = 16;
export const NR_FIB: u32 = 20;
export const NR_NEIGH: u32 = 24;
export const NR_FRAG: u32 = 28;
export const NR_DST: u32 = 32;
export const NR_ICMP: u32 = 36;
export const NR_L4: u32 = 40;
export const NR_SCRATCH: u32 = 44;
export const NR_FIB_GEN: u32 = 48;
export const NR_NETDEV: u32 = 52;
export const NR_RECLAIM: u32 = 56;
export const NR_PROTOS: u32 = 60;
export const NR_SKPROG: u32 = 64;
export const NR_RT6_REDIRECT: u32 = 68;
export const NR_NF: u32 = 72; //        netfilter hook table (netfilter.ts), 0: no hook registered anywhere
export const NR_CT: u32 = 76; //        conntrack root (nf_conntrack.ts), 0: conntrack never enabled
export const NR_FLOWTABLE: u32 = 80; // flowtable root (nf_flow_table.ts), 0: none
export const NR_NFT: u32 = 84; // the nf_tables ruleset blob (nft_eval.ts), published by one store
// Spin locks of the shared build (lock.ts), one word each; 0 free. What each guards is drawn in its stage.
export const NR_LOCK_FRAG: u32 = 88; //   reassembly queues (reasm.ts, reasm6.ts)
export const NR_LOCK_NEIGH: u32 = 92; //  neighbour tables, entries, queues, timers (neigh.ts)
export const NR_LOCK_CT: u32 = 96; //     reserved (conntrack keeps its lock in its own root)
export const NR_LOCK_READY: u32 = 100; // the sockets' ready ring (sock.ts)
export const NR_LOCK_ICMP: u32 = 104; //  the ICMP rate limiter's buckets (icmp.ts)
// u64 the wall clock (ms since the Unix epoch) when the stack clock read 0: ktime_get_real is this + NR_NOW
// (the control plane sets it at start-up from its own clock, Stack.setRealtime)
export const NR_REALTIME: u32 = 128;
export const NR_SYSCTL: u32 = 512;
export const NR_MIB: u32 = 1024;
export const NR_DROPS: u32 = 4096;
export const NET_ROOT_SIZE: u32 = 8192;
export const NET_SCRATCH_SIZE: u32 = 16384;
export const NETDEV_MAX: u32 = 4096; // ifindex 1 .. NETDEV_MAX-1

// ---- Global sysctls (u32 each, at NR_SYSCTL + index × 4), kernel names and defaults ----
// Per-device ones (net.ipv4.conf.DEV.*, net.ipv6.conf.DEV.*) live in the netdev record (ND_CONF4/6);
// per-device neighbour parameters (net.ipv4.neigh.DEV.*) in neigh.ts's parms.
export const SYSCTL_ICMP_RATELIMIT: u32 = 0; //             net.ipv4.icmp_ratelimit (ms) 1000
export const SYSCTL_ICMP_RATEMASK: u32 = 1; //              net.ipv4.icmp_ratemask 6168
export const SYSCTL_ICMP_ECHO_IGNORE_ALL: u32 = 2; //       net.ipv4.icmp_echo_ignore_all 0
export const SYSCTL_ICMP_ECHO_IGNORE_BROADCASTS: u32 = 3; // net.ipv4.icmp_echo_ignore_broadcasts 1
export const SYSCTL_ICMP_MSGS_PER_SEC: u32 = 4; //          net.ipv4.icmp_msgs_per_sec 1000
export const SYSCTL_ICMP_MSGS_BURST: u32 = 5; //            net.ipv4.icmp_msgs_burst 50
export const SYSCTL_IP_DEFAULT_TTL: u32 = 6; //             net.ipv4.ip_default_ttl 64
export const SYSCTL_IP_NO_PMTU_DISC: u32 = 7; //            net.ipv4.ip_no_pmtu_disc 0
export const SYSCTL_FIB_MULTIPATH_HASH_POLICY: u32 = 8; //  net.ipv4.fib_multipath_hash_policy 0
export const SYSCTL_FIB_MULTIPATH_HASH_SEED: u32 = 9; //    net.ipv4.fib_multipath_hash_seed 0 (0: random)
export const SYSCTL_FIB_MULTIPATH_HASH_FIELDS: u32 = 10; // net.ipv4.fib_multipath_hash_fields 0x7
export const SYSCTL_FIB_MULTIPATH_USE_NEIGH: u32 = 11; //   net.ipv4.fib_multipath_use_neigh 0
export const SYSCTL_IPFRAG_HIGH_THRESH: u32 = 12; //        net.ipv4.ipfrag_high_thresh 4194304
export const SYSCTL_IPFRAG_LOW_THRESH: u32 = 13; //         net.ipv4.ipfrag_low_thresh 3145728
export const SYSCTL_IPFRAG_TIME: u32 = 14; //               net.ipv4.ipfrag_time (s) 30
export const SYSCTL_IPFRAG_MAX_DIST: u32 = 15; //           net.ipv4.ipfrag_max_dist 64
export const SYSCTL_ROUTE_MTU_EXPIRES: u32 = 16; //         net.ipv4.route.mtu_expires (s) 600
export const SYSCTL_ROUTE_MIN_PMTU: u32 = 17; //            net.ipv4.route.min_pmtu 552
export const SYSCTL_IP6FRAG_HIGH_THRESH: u32 = 18; //       net.ipv6.ip6frag_high_thresh 4194304
export const SYSCTL_IP6FRAG_LOW_THRESH: u32 = 19; //        net.ipv6.ip6frag_low_thresh 3145728
export const SYSCTL_IP6FRAG_TIME: u32 = 20; //              net.ipv6.ip6frag_time (s) 60
export const SYSCTL_ICMP6_RATELIMIT: u32 = 21; //           net.ipv6.icmp.ratelimit (ms) 100 (HZ / 10, as 6.18)
export const SYSCTL_ICMP6_ECHO_IGNORE_ALL: u32 = 22; //     net.ipv6.icmp.echo_ignore_all 0
export const SYSCTL_FIB6_MULTIPATH_HASH_POLICY: u32 = 23; // net.ipv6.fib_multipath_hash_policy 0
export const SYSCTL_FIB6_MULTIPATH_HASH_FIELDS: u32 = 24; // net.ipv6.fib_multipath_hash_fields 0x7
export const SYSCTL_ROUTE6_MTU_EXPIRES: u32 = 25; //        net.ipv6.route.mtu_expires (s) 600
export const SYSCTL_NEIGH4_GC_THRESH1: u32 = 26; //         net.ipv4.neigh.default.gc_thresh1 128
export const SYSCTL_NEIGH4_GC_THRESH2: u32 = 27; //         net.ipv4.neigh.default.gc_thresh2 512
export const SYSCTL_NEIGH4_GC_THRESH3: u32 = 28; //         net.ipv4.neigh.default.gc_thresh3 1024
export const SYSCTL_NEIGH4_GC_INTERVAL: u32 = 29; //        net.ipv4.neigh.default.gc_interval (s) 30
export const SYSCTL_NEIGH6_GC_THRESH1: u32 = 30; //         net.ipv6.neigh.default.gc_thresh1 128
export const SYSCTL_NEIGH6_GC_THRESH2: u32 = 31; //         net.ipv6.neigh.default.gc_thresh2 512
export const SYSCTL_NEIGH6_GC_THRESH3: u32 = 32; //         net.ipv6.neigh.default.gc_thresh3 1024
export const SYSCTL_NEIGH6_GC_INTERVAL: u32 = 33; //        net.ipv6.neigh.default.gc_interval (s) 30
export const SYSCTL_ICMP_ERRORS_USE_INBOUND_IFADDR: u32 = 34; // net.ipv4.icmp_errors_use_inbound_ifaddr 0
export const SYSCTL_IP_FORWARD_USE_PMTU: u32 = 35; //       net.ipv4.ip_forward_use_pmtu 0
export const SYSCTL_ICMP6_RATEMASK_0: u32 = 36; //          net.ipv6.icmp.ratemask: 4 × u32 (a 128-bit type bitmap)
export const SYSCTL_ICMP6_RATEMASK_3: u32 = 39;
export const SYSCTL_IPV6_ALL_FORWARDING: u32 = 40; //   net.ipv6.conf.all.forwarding 0 (ip6_forward checks "all")
export const SYSCTL_NF_CONNTRACK_MAX: u32 = 41; //                 net.netfilter.nf_conntrack_max 65536 (the kernel's scales with RAM)
export const SYSCTL_NF_CONNTRACK_BUCKETS: u32 = 42; //             net.netfilter.nf_conntrack_buckets 65536 (read at enable)
export const SYSCTL_NF_CONNTRACK_TCP_BE_LIBERAL: u32 = 43; //      net.netfilter.nf_conntrack_tcp_be_liberal 0
export const SYSCTL_NF_CONNTRACK_TCP_LOOSE: u32 = 44; //           net.netfilter.nf_conntrack_tcp_loose 1
export const SYSCTL_NF_CONNTRACK_TCP_MAX_RETRANS: u32 = 45; //     net.netfilter.nf_conntrack_tcp_max_retrans 3
export const SYSCTL_NF_CONNTRACK_TCP_TIMEOUT_SYN_SENT: u32 = 46; // (s) 120; 46-53 in TCP_CONNTRACK_* order
export const SYSCTL_NF_CONNTRACK_TCP_TIMEOUT_SYN_RECV: u32 = 47; // 60
export const SYSCTL_NF_CONNTRACK_TCP_TIMEOUT_ESTABLISHED: u32 = 48; // 432000
export const SYSCTL_NF_CONNTRACK_TCP_TIMEOUT_FIN_WAIT: u32 = 49; // 120
export const SYSCTL_NF_CONNTRACK_TCP_TIMEOUT_CLOSE_WAIT: u32 = 50; // 60
export const SYSCTL_NF_CONNTRACK_TCP_TIMEOUT_LAST_ACK: u32 = 51; // 30
export const SYSCTL_NF_CONNTRACK_TCP_TIMEOUT_TIME_WAIT: u32 = 52; // 120
export const SYSCTL_NF_CONNTRACK_TCP_TIMEOUT_CLOSE: u32 = 53; //    10
export const SYSCTL_NF_CONNTRACK_TCP_TIMEOUT_MAX_RETRANS: u32 = 54; // 300
export const SYSCTL_NF_CONNTRACK_TCP_TIMEOUT_UNACKNOWLEDGED: u32 = 55; // 300
export const SYSCTL_NF_CONNTRACK_UDP_TIMEOUT: u32 = 56; //         30
export const SYSCTL_NF_CONNTRACK_UDP_TIMEOUT_STREAM: u32 = 57; //  120
export const SYSCTL_NF_CONNTRACK_ICMP_TIMEOUT: u32 = 58; //        30
export const SYSCTL_NF_CONNTRACK_ICMPV6_TIMEOUT: u32 = 59; //      30
export const SYSCTL_NF_CONNTRACK_GENERIC_TIMEOUT: u32 = 60; //     600
export const SYSCTL_NF_CONNTRACK_CHECKSUM: u32 = 61; //            1
export const SYSCTL_NF_FLOWTABLE_TCP_TIMEOUT: u32 = 62; //         30
export const SYSCTL_NF_FLOWTABLE_UDP_TIMEOUT: u32 = 63; //         30
export const SYSCTL_IPV6_ALL_HOP_LIMIT: u32 = 64; //  net.ipv6.conf.all.hop_limit 64 (devconf_all: the netdev reject's answers)
export const SYSCTL_IGMP_QRV: u32 = 65; //        net.ipv4.igmp_qrv 2 (the report's robustness: each state change reported so often)
export const SYSCTL_MLD_QRV: u32 = 66; //         net.ipv6.mld_qrv 2
export const SYSCTL_NF_CONNTRACK_TCP_IGNORE_INVALID_RST: u32 = 67; // net.netfilter.nf_conntrack_tcp_ignore_invalid_rst 0
export const SYSCTL_NF_CONNTRACK_ACCT: u32 = 68; // net.netfilter.nf_conntrack_acct 0 (an entry made with it on counts: nf_ct_acct_ext_add)
export const SYSCTL_COUNT: u32 = 69; // room up to 128

// ---- SNMP counters (u64 at NR_MIB + index × 8) ----
export const MIB_IP_IN_RECEIVES: u32 = 0;
export const MIB_IP_IN_HDR_ERRORS: u32 = 1;
export const MIB_IP_IN_ADDR_ERRORS: u32 = 2;
export const MIB_IP_FORW_DATAGRAMS: u32 = 3;
export const MIB_IP_IN_UNKNOWN_PROTOS: u32 = 4;
export const MIB_IP_IN_DISCARDS: u32 = 5;
export const MIB_IP_IN_DELIVERS: u32 = 6;
export const MIB_IP_OUT_REQUESTS: u32 = 7;
export const MIB_IP_OUT_DISCARDS: u32 = 8;
export const MIB_IP_OUT_NO_ROUTES: u32 = 9;
export const MIB_IP_REASM_TIMEOUT: u32 = 10;
export const MIB_IP_REASM_REQDS: u32 = 11;
export const MIB_IP_REASM_OKS: u32 = 12;
export const MIB_IP_REASM_FAILS: u32 = 13;
export const MIB_IP_FRAG_OKS: u32 = 14;
export const MIB_IP_FRAG_FAILS: u32 = 15;
export const MIB_IP_FRAG_CREATES: u32 = 16;
export const MIB_IP_IN_NO_ROUTES: u32 = 17;
export const MIB_IP_IN_TRUNCATED_PKTS: u32 = 18;
export const MIB_IP_IN_CSUM_ERRORS: u32 = 19;
export const MIB_ICMP_IN_MSGS: u32 = 20;
export const MIB_ICMP_IN_ERRORS: u32 = 21;
export const MIB_ICMP_IN_CSUM_ERRORS: u32 = 22;
export const MIB_ICMP_IN_DEST_UNREACHS: u32 = 23;
export const MIB_ICMP_IN_TIME_EXCDS: u32 = 24;
export const MIB_ICMP_IN_ECHOS: u32 = 25;
export const MIB_ICMP_IN_ECHO_REPS: u32 = 26;
export const MIB_ICMP_OUT_MSGS: u32 = 27;
export const MIB_ICMP_OUT_ERRORS: u32 = 28;
export const MIB_ICMP_OUT_RATE_LIMIT_GLOBAL: u32 = 29;
export const MIB_ICMP_OUT_RATE_LIMIT_HOST: u32 = 30;
export const MIB_ICMP_OUT_DEST_UNREACHS: u32 = 31;
export const MIB_ICMP_OUT_TIME_EXCDS: u32 = 32;
export const MIB_ICMP_OUT_ECHO_REPS: u32 = 33;
export const MIB_ICMP_OUT_REDIRECTS: u32 = 34;
export const MIB_ICMP_IN_PARM_PROBS: u32 = 35;
export const MIB_ICMP_IN_REDIRECTS: u32 = 36;
export const MIB_ICMP_OUT_PARM_PROBS: u32 = 37;
export const MIB_ICMP_IN_TIMESTAMPS: u32 = 38;
export const MIB_ICMP_OUT_TIMESTAMP_REPS: u32 = 39;
export const MIB_IP6_IN_RECEIVES: u32 = 40;
export const MIB_IP6_IN_HDR_ERRORS: u32 = 41;
export const MIB_IP6_IN_TOO_BIG_ERRORS: u32 = 42;
export const MIB_IP6_IN_NO_ROUTES: u32 = 43;
export const MIB_IP6_IN_ADDR_ERRORS: u32 = 44;
export const MIB_IP6_IN_UNKNOWN_PROTOS: u32 = 45;
export const MIB_IP6_IN_TRUNCATED_PKTS: u32 = 46;
export const MIB_IP6_IN_DISCARDS: u32 = 47;
export const MIB_IP6_IN_DELIVERS: u32 = 48;
export const MIB_IP6_OUT_FORW_DATAGRAMS: u32 = 49;
export const MIB_IP6_OUT_REQUESTS: u32 = 50;
export const MIB_IP6_OUT_DISCARDS: u32 = 51;
export const MIB_IP6_OUT_NO_ROUTES: u32 = 52;
export const MIB_IP6_REASM_TIMEOUT: u32 = 53;
export const MIB_IP6_REASM_REQDS: u32 = 54;
export const MIB_IP6_REASM_OKS: u32 = 55;
export const MIB_IP6_REASM_FAILS: u32 = 56;
export const MIB_IP6_FRAG_OKS: u32 = 57;
export const MIB_IP6_FRAG_FAILS: u32 = 58;
export const MIB_IP6_FRAG_CREATES: u32 = 59;
export const MIB_IP6_IN_MCAST_PKTS: u32 = 60;
export const MIB_ICMP6_IN_MSGS: u32 = 70;
export const MIB_ICMP6_IN_ERRORS: u32 = 71;
export const MIB_ICMP6_OUT_MSGS: u32 = 72;
export const MIB_ICMP6_OUT_ERRORS: u32 = 73;
export const MIB_ICMP6_IN_CSUM_ERRORS: u32 = 74;
export const MIB_ICMP6_OUT_RATE_LIMIT_HOST: u32 = 75;
export const MIB_ICMP6_IN_DEST_UNREACHS: u32 = 76;
export const MIB_ICMP6_IN_PKT_TOO_BIGS: u32 = 77;
export const MIB_ICMP6_IN_TIME_EXCDS: u32 = 78;
export const MIB_ICMP6_IN_ECHOS: u32 = 79;
export const MIB_ICMP6_IN_ECHO_REPLIES: u32 = 80;
export const MIB_ICMP6_IN_NEIGHBOR_SOLICITS: u32 = 81;
export const MIB_ICMP6_IN_NEIGHBOR_ADVERTISEMENTS: u32 = 82;
export const MIB_ICMP6_OUT_DEST_UNREACHS: u32 = 83;
export const MIB_ICMP6_OUT_PKT_TOO_BIGS: u32 = 84;
export const MIB_ICMP6_OUT_TIME_EXCDS: u32 = 85;
export const MIB_ICMP6_OUT_ECHO_REPLIES: u32 = 86;
export const MIB_ICMP6_OUT_NEIGHBOR_SOLICITS: u32 = 87;
export const MIB_ICMP6_OUT_NEIGHBOR_ADVERTISEMENTS: u32 = 88;
export const MIB_ICMP6_IN_PARM_PROBLEMS: u32 = 89;
export const MIB_ICMP6_OUT_PARM_PROBLEMS: u32 = 90;
export const MIB_ICMP6_IN_ROUTER_SOLICITS: u32 = 91;
export const MIB_ICMP6_IN_ROUTER_ADVERTISEMENTS: u32 = 92;
export const MIB_ICMP6_IN_REDIRECTS: u32 = 93;
export const MIB_ICMP6_OUT_REDIRECTS: u32 = 94;
export const MIB_ARP_IN_REQUESTS: u32 = 100; // wxdp's own: no /proc name (the kernel has none for ARP)
export const MIB_ARP_IN_REPLIES: u32 = 101;
export const MIB_ARP_OUT_REQUESTS: u32 = 102;
export const MIB_ARP_OUT_REPLIES: u32 = 103;
// 110, 111: once L4:UdpPending / L4:TcpPending (UDP and TCP to the host ring before the L4 demux); retired
export const MIB_L4_ICMP_PENDING: u32 = 112; //  ICMP/ICMPv6 the stack does not answer (echo replies, errors) to the host ring
// UDP and UDP-Lite (/proc/net/snmp Udp:, UdpLite:; snmp6 Udp6, UdpLite6), the kernel's UDP_MIB_* in its order:
// base + 0 InDatagrams, 1 NoPorts, 2 InErrors, 3 OutDatagrams, 4 RcvbufErrors, 5 SndbufErrors,
// 6 InCsumErrors, 7 IgnoredMulti, 8 MemErrors (offsets UDP_MIB_* below, the kernel's enum names)
export const UDP_MIB_BASE: u32 = 128;
export const UDPLITE_MIB_BASE: u32 = 137;
export const UDP6_MIB_BASE: u32 = 146;
export const UDPLITE6_MIB_BASE: u32 = 155;
export const UDP_MIB_INDATAGRAMS: u32 = 0; // offsets from a base above
export const UDP_MIB_NOPORTS: u32 = 1;
export const UDP_MIB_INERRORS: u32 = 2;
export const UDP_MIB_OUTDATAGRAMS: u32 = 3;
export const UDP_MIB_RCVBUFERRORS: u32 = 4;
export const UDP_MIB_SNDBUFERRORS: u32 = 5;
export const UDP_MIB_CSUMERRORS: u32 = 6;
export const UDP_MIB_IGNOREDMULTI: u32 = 7;
export const UDP_MIB_MEMERRORS: u32 = 8;
// TCP, as far as a stack without TCP sockets counts it (Tcp: in /proc/net/snmp)
export const MIB_TCP_IN_SEGS: u32 = 170;
export const MIB_TCP_OUT_SEGS: u32 = 171;
export const MIB_TCP_IN_ERRS: u32 = 172;
export const MIB_TCP_OUT_RSTS: u32 = 173;
export const MIB_TCP_IN_CSUM_ERRORS: u32 = 174;
// 175-199: the L4 stages' own (sock.ts, udp.ts, tcp.ts add them here and name them in net_abi.ts)
// 175-189: netfilter's (/proc/net/stat/nf_conntrack, `conntrack -S`, and the flowtable's own)
export const MIB_CT_FOUND: u32 = 175;
export const MIB_CT_INVALID: u32 = 176;
export const MIB_CT_INSERT: u32 = 177;
export const MIB_CT_INSERT_FAILED: u32 = 178;
export const MIB_CT_DROP: u32 = 179;
export const MIB_CT_EARLY_DROP: u32 = 180;
export const MIB_CT_ERROR: u32 = 181;
export const MIB_CT_SEARCH_RESTART: u32 = 182;
export const MIB_CT_CLASH_RESOLVE: u32 = 183;
export const MIB_CT_CHAINTOOLONG: u32 = 184;
export const MIB_FLOW_HIT: u32 = 185; //      a frame the flowtable forwarded
export const MIB_FLOW_SLOWPATH: u32 = 186; // a flowtable entry's frame left to the stack (FIN/RST, options, MTU, fragment)
export const MIB_NAT_NO_TUPLE: u32 = 187; //  nf_nat found no free tuple in the range
// 200-: /proc/net/netstat's TcpExt counters the IP stages bump (LINUX_MIB_*)
export const MIB_IP_RPFILTER: u32 = 200; //   TcpExt:IPReversePathFilter: ip_rcv_finish_core dropped for rp_filter (LINUX_MIB_IPRPFILTER)
export const MIB_COUNT: u32 = 256; // room up to 384

// ---- Drop reasons (u64 at NR_DROPS + index × 8): the kernel's SKB_DROP_REASON_* names ----
// Numbered in ranges so stages can add their own: 0-31 receive and forward, 32-63 neighbours,
// 64-95 fragments, 96-127 FIB and output, 128-159 L4 (udp.ts, sock.ts, tcp.ts, sk programs). src/runtime/net_abi.ts NET_DROP_REASONS maps number → name.
export const NDROP_NOT_SPECIFIED: u32 = 0;
export const NDROP_PKT_TOO_SMALL: u32 = 1;
export const NDROP_OTHERHOST: u32 = 2;
export const NDROP_IP_CSUM: u32 = 3;
export const NDROP_IP_INHDR: u32 = 4;
export const NDROP_IP_RPFILTER: u32 = 5;
export const NDROP_UNICAST_IN_L2_MULTICAST: u32 = 6;
export const NDROP_IP_NOPROTO: u32 = 7;
export const NDROP_IP_INADDRERRORS: u32 = 8;
export const NDROP_IP_INNOROUTES: u32 = 9;
export const NDROP_IP_LOCAL_SOURCE: u32 = 10;
export const NDROP_IP_INVALID_SOURCE: u32 = 11;
export const NDROP_IP_LOCALNET: u32 = 12;
export const NDROP_IP_INVALID_DEST: u32 = 13;
export const NDROP_PKT_TOO_BIG: u32 = 14;
export const NDROP_IPV6_BAD_EXTHDR: u32 = 15;
export const NDROP_IPV6DISABLED: u32 = 16;
export const NDROP_UNHANDLED_PROTO: u32 = 17;
export const NDROP_VLAN_FILTER: u32 = 18; // no VLAN sub-device for the tag
export const NDROP_MAC_INVALID_SOURCE: u32 = 19;
export const NDROP_NO_TX_TARGET: u32 = 20; // wxdp: the output device has nowhere to send (dummy, down)
export const NDROP_HOST_RING_FULL: u32 = 21; // wxdp: local delivery to the host ring found it full
export const NDROP_NOMEM: u32 = 22; // no UMEM frame for a reply or a fragment
export const NDROP_ICMP_CSUM: u32 = 23;
export const NDROP_IP_TTL: u32 = 24; // reserved (the kernel counts TTL expiry as IP_INHDR)
export const NDROP_INVALID_PROTO: u32 = 25; // ICMP to broadcast/multicast that is ignored (icmp_rcv)
export const NDROP_NO_SOCKET: u32 = 26; // local delivery found no host ring to hand the datagram to
export const NDROP_NEIGH_CREATEFAIL: u32 = 32;
export const NDROP_NEIGH_FAILED: u32 = 33;
export const NDROP_NEIGH_QUEUEFULL: u32 = 34;
export const NDROP_NEIGH_DEAD: u32 = 35;
export const NDROP_IPV6_NDISC_FRAG: u32 = 36;
export const NDROP_IPV6_NDISC_HOP_LIMIT: u32 = 37;
export const NDROP_IPV6_NDISC_BAD_CODE: u32 = 38;
export const NDROP_IPV6_NDISC_BAD_OPTIONS: u32 = 39;
export const NDROP_IPV6_NDISC_NS_OTHERHOST: u32 = 40;
export const NDROP_ARP_INVALID: u32 = 41; // wxdp: a malformed ARP packet (the kernel frees it unnamed)
export const NDROP_DUP_FRAG: u32 = 64;
export const NDROP_FRAG_REASM_TIMEOUT: u32 = 65;
export const NDROP_FRAG_TOO_FAR: u32 = 66;
export const NDROP_FRAG_MEM: u32 = 67; // wxdp: ipfrag_high_thresh reached (the kernel: NOMEM)
export const NDROP_FRAG_INVALID: u32 = 68; // overlapping or malformed fragment (RFC 5722 for IPv6)
export const NDROP_FRAG_HDR_INCOMP: u32 = 69; // wxdp: an IPv6 first fragment without the whole header chain (RFC 7112)
export const NDROP_FRAG_OVERSIZE: u32 = 70; // wxdp: the reassembled datagram would exceed 65,535 bytes
export const NDROP_FRAG_ECN: u32 = 71; // wxdp: fragments mix Not-ECT with ECT/CE (RFC 3168 5.3)
export const NDROP_IP_OUTNOROUTES: u32 = 96;
export const NDROP_IP_BLACKHOLE: u32 = 97; // wxdp: a blackhole route (the kernel's dst_discard)
export const NDROP_IP_PROHIBIT: u32 = 98; // wxdp: prohibit / unreachable routes (ICMP sent)
export const NDROP_CPU_BACKLOG: u32 = 124; // loopback's receive backlog full (netdev_max_backlog)
export const NDROP_RECURSION_LIMIT: u32 = 125; // stacked devices nested deeper than XMIT_RECURSION_LIMIT
export const NDROP_UDP_CSUM: u32 = 128;
export const NDROP_SOCKET_RCVBUFF: u32 = 129;
export const NDROP_TCP_CSUM: u32 = 130;
export const NDROP_SOCKET_FILTER: u32 = 131; // an sk_lookup program's SK_DROP
export const NDROP_PROTO_MEM: u32 = 132; // the UDP queues together hold their share of the UMEM (udp_mem)
// 132-159: the L4 stages' own, kernel names where they exist
export const NDROP_NETFILTER_DROP: u32 = 133; // a hook's NF_DROP (the kernel's SKB_DROP_REASON_NETFILTER_DROP)
export const NDROP_NF_CT_FULL: u32 = 134; //     conntrack table full and nothing to early-drop ("nf_conntrack: table full")
export const NDROP_NF_NAT_NO_TUPLE: u32 = 135; // NAT range exhausted
export const NDROP_NFT_JUMP_STACK: u32 = 142; // wxdp: nft jumps nested deeper than NFT_JUMP_STACK_SIZE (the kernel refuses such a ruleset at load)
export const NDROP_COUNT: u32 = 160;

// ---- A network device of the stack (netdev.ts), NETDEV_SIZE bytes ----
export const ND_IFINDEX: u32 = 0;
export const ND_FLAGS: u32 = 4; //      IFF_* (kernel values)
export const ND_MTU: u32 = 8;
export const ND_KIND: u32 = 12; //      NDK_*
export const ND_MAC: u32 = 16; //       6 bytes in an aligned u64 (bytes 6-7 zero): one 8-byte store publishes it, read it with one load (netdev.ts netdevMac)
export const ND_LINK: u32 = 24; //      parent ifindex (VLAN), peer ifindex (veth)
export const ND_VLAN_PROTO: u32 = 28; // u16 host order: 0x8100 or 0x88a8
export const ND_VLAN_ID: u32 = 30; //   u16
export const ND_DEV: u32 = 32; //       ring device address (device.ts), 0: none
export const ND_VLANS: u32 = 36; //     u32 address of the VLAN children table (netdev.ts), 0: none
export const ND_ADDR4: u32 = 40; //     u32 address of the IPv4 address list (immutable, swapped whole)
export const ND_ADDR6: u32 = 44; //     u32 address of the IPv6 address list
export const ND_GEN: u32 = 48; //       u32 bumped on every change of this record
export const ND_PCPU: u32 = 52; //      u32 the shared build: the per-CPU counters block (PCPU_*; 0: none, everything counted at ND_STATS)
export const ND_NF_INGRESS: u32 = 56; // u32 the device's netdev ingress chains (netfilter.ts list; 0: none): dev->nf_hooks_ingress
export const ND_NF_EGRESS: u32 = 60; //  u32 its egress chains (dev->nf_hooks_egress)
export const ND_CONF4: u32 = 64; //     CONF4_COUNT × u32: net.ipv4.conf.DEV.*
export const ND_CONF6: u32 = 128; //    CONF6_COUNT × u32: net.ipv6.conf.DEV.*
export const ND_STATS: u32 = 192; //    NDSTAT_COUNT × u64
export const ND_NAME: u32 = 256; //     16 bytes: the device's name (IFNAMSIZ), NUL-padded (nft's iifname / oifname read it)
export const NETDEV_SIZE: u32 = 512;
export const NDK_ETHER: u32 = 0; //   a device with rings (dp.addDevice)
export const NDK_LOOPBACK: u32 = 1;
export const NDK_DUMMY: u32 = 2;
export const NDK_VETH: u32 = 3;
export const NDK_VLAN: u32 = 4;
export const IFF_UP: u32 = 0x1;
export const IFF_BROADCAST: u32 = 0x2;
export const IFF_LOOPBACK: u32 = 0x8;
export const IFF_POINTOPOINT: u32 = 0x10;
export const IFF_RUNNING: u32 = 0x40;
export const IFF_NOARP: u32 = 0x80;
export const IFF_MULTICAST: u32 = 0x1000;
export const IFF_LOWER_UP: u32 = 0x10000;
// net.ipv4.conf.DEV.* (u32 at ND_CONF4 + i × 4)
export const CONF4_FORWARDING: u32 = 0; //        0
export const CONF4_ACCEPT_REDIRECTS: u32 = 1; //  1
export const CONF4_SEND_REDIRECTS: u32 = 2; //    1 (the issue: redirects off by default → set 0 at link creation)
export const CONF4_RP_FILTER: u32 = 3; //         0
export const CONF4_ACCEPT_LOCAL: u32 = 4; //      0
export const CONF4_ARP_IGNORE: u32 = 5; //        0
export const CONF4_ARP_ANNOUNCE: u32 = 6; //      0
export const CONF4_ARP_ACCEPT: u32 = 7; //        0
export const CONF4_PROXY_ARP: u32 = 8; //         0
export const CONF4_ARP_FILTER: u32 = 9; //        0
export const CONF4_ROUTE_LOCALNET: u32 = 10; //   0
export const CONF4_DISABLE_POLICY: u32 = 11;
export const CONF4_MC_FORWARDING: u32 = 12;
export const CONF4_PROMOTE_SECONDARIES: u32 = 13; // 0
export const CONF4_IGNORE_ROUTES_WITH_LINKDOWN: u32 = 14; // 0 (the control plane reads it: next hops it hides are flagged dead)
export const CONF4_IGMPV3_UNSOLICITED_REPORT_INTERVAL: u32 = 15; // 1000 (ms)
export const CONF4_COUNT: u32 = 16;
// net.ipv6.conf.DEV.* (u32 at ND_CONF6 + i × 4)
export const CONF6_FORWARDING: u32 = 0; //        0
export const CONF6_HOP_LIMIT: u32 = 1; //         64
export const CONF6_MTU: u32 = 2; //               device MTU (IPV6_MIN_MTU 1280 floor)
export const CONF6_DISABLE_IPV6: u32 = 3; //      0
export const CONF6_ACCEPT_REDIRECTS: u32 = 4; //  1
export const CONF6_FORCE_FORWARDING: u32 = 5; //  0 (forward from this device even with all.forwarding off)
export const CONF6_USE_OIF_ADDRS_ONLY: u32 = 6; // 0
export const CONF6_IGNORE_ROUTES_WITH_LINKDOWN: u32 = 7; // 0 (read by the control plane, as CONF4's)
export const CONF6_MLDV2_UNSOLICITED_REPORT_INTERVAL: u32 = 8; // 1000 (ms)
export const CONF6_COUNT: u32 = 16;
// Per-device counters (u64 at ND_STATS + i × 8), as `ip -s link` shows them.
export const NDSTAT_RX_PACKETS: u32 = 0;
export const NDSTAT_RX_BYTES: u32 = 1;
export const NDSTAT_RX_DROPPED: u32 = 2;
export const NDSTAT_TX_PACKETS: u32 = 3;
export const NDSTAT_TX_BYTES: u32 = 4;
export const NDSTAT_TX_DROPPED: u32 = 5;
export const NDSTAT_RX_ERRORS: u32 = 6;
export const NDSTAT_TX_ERRORS: u32 = 7;
export const NDSTAT_COUNT: u32 = 8;
// The per-CPU counters block (ND_PCPU), as the kernel's per-CPU netdev stats (dev->tstats / core_stats,
// summed by dev_get_stats): +0 u32 slots; slot s (0 the main thread, 1 + w worker w: lock.ts's id - 1)
// at PCPU_SLOT0 + s × PCPU_SLOT_SIZE, NDSTAT_COUNT × u64 each (one cache line: no line shared between
// CPUs). A thread counts in its own slot with plain adds; one without a slot adds atomically at ND_STATS.
// The readers sum ND_STATS and every slot.
export const PCPU_SLOTS: u32 = 0;
export const PCPU_SLOT0: u32 = 64;
export const PCPU_SLOT_SIZE: u32 = 64;
// An address list (immutable once published; a change builds a new one and swaps ND_ADDR4/6):
//   +0 u32 count | +4 reserved | then count × ADDR_ENTRY_SIZE entries, in the kernel's order (primary
//   addresses first, in the order added; secondaries after their primary):
export const ADDR_LIST_HEADER: u32 = 8;
export const AE_ADDR: u32 = 0; //       16 bytes (IPv4 in the first 4)
export const AE_PEER: u32 = 16; //      16 bytes: the peer (IFA_ADDRESS) when it differs; else the address
export const AE_BROADCAST: u32 = 32; // 4 bytes (IPv4)
export const AE_PREFIXLEN: u32 = 36; // u8
export const AE_SCOPE: u32 = 37; //     u8 RT_SCOPE_*
export const AE_FLAGS: u32 = 38; //     u16 IFA_F_* (SECONDARY 0x01, NODAD 0x02, DEPRECATED 0x20, TENTATIVE 0x40, PERMANENT 0x80, NOPREFIXROUTE 0x200)
export const AE_PREFERRED: u32 = 40; // u32 preferred lifetime end (ms clock), 0xffffffff: forever
export const AE_VALID: u32 = 44; //     u32 valid lifetime end
export const ADDR_ENTRY_SIZE: u32 = 48;

// ---- A flow key (struct flowi4 / flowi6 as the FIB needs it), FL_SIZE bytes ----
export const FL_DST: u32 = 0; //        16 bytes (IPv4 in the first 4)
export const FL_SRC: u32 = 16; //       16 bytes
export const FL_IIF: u32 = 32; //       u32 (flowi_iif; LOOPBACK_IFINDEX for locally generated)
export const FL_OIF: u32 = 36; //       u32
export const FL_MARK: u32 = 40; //      u32
export const FL_TOS: u32 = 44; //       u8 the IPv4 TOS byte / IPv6 traffic class (DSCP in the top 6 bits)
export const FL_PROTO: u32 = 45; //     u8
export const FL_SCOPE: u32 = 46; //     u8 RT_SCOPE_*
export const FL_FLAGS: u32 = 47; //     u8 FLOWI_FLAG_*
export const FL_SPORT: u32 = 48; //     u16 network order (as in the packet)
export const FL_DPORT: u32 = 50; //     u16 network order
export const FL_LABEL: u32 = 52; //     u32 IPv6 flowinfo: traffic class and flow label (network order)
export const FL_FAMILY: u32 = 56; //    u8 AF_INET 2 / AF_INET6 10
export const FL_ICMP_TYPE: u32 = 57; // u8 (sport/dport are 0 for ICMP)
export const FL_ICMP_CODE: u32 = 58; // u8
export const FL_UID: u32 = 60; //       u32 (uid range rules; 0 in the data path)
export const FL_SIZE: u32 = 64;
// ---- A FIB result (struct fib_result / fib6_result as the callers need it), FR_SIZE bytes ----
export const FR_TYPE: u32 = 0; //       u8 RTN_*
export const FR_SCOPE: u32 = 1; //      u8
export const FR_PREFIXLEN: u32 = 2; //  u8
export const FR_FAMILY: u32 = 3; //     u8
export const FR_TABLE: u32 = 4; //      u32
export const FR_OIF: u32 = 8; //        u32 the chosen next hop's device
export const FR_NH_FLAGS: u32 = 12; //  u32 RTNH_F_*
export const FR_GW: u32 = 16; //        16 bytes: the gateway, zero when directly connected
export const FR_GW_FAMILY: u32 = 32; // u8 0 (none), 2, 10 (an IPv4 route may have an IPv6 gateway)
export const FR_PREFSRC: u32 = 36; //   16 bytes (zero: none)
export const FR_MTU: u32 = 52; //       u32 the route's mtu metric (0: none; the device's then)
export const FR_INFO: u32 = 56; //      u32 the route record's address (for the dst cache)
export const FR_NH_INDEX: u32 = 60; //  u32 which next hop of the route was chosen
export const FR_SIZE: u32 = 64;
// ---- The FIB's part of the worker scratch area (netScratch() + SCR_FIB, SCR_FIB_SIZE bytes) ----
// The last KiB of the scratch area, so stages that lay theirs out from offset 0 do not collide:
//   +0 masked address (16) | +64 control-plane flow key (FL_SIZE) | +128 control-plane result (FR_SIZE)
//   +192 bpf_fib_lookup flow key | +256 bpf_fib_lookup result | +320 multipath hash key (80, 8-aligned)
//   +400 a flow key and +464 a result for address-type lookups (fib4_local_type)
export const SCR_FIB: u32 = NET_SCRATCH_SIZE - 1024;
export const SCR_FIB_SIZE: u32 = 1024;
// ---- The receive / forward / ICMP stages' part of the worker scratch area (netScratch() + SCR_RX) ----
//   +0 input route flow key, +64 its result (ipv4_rcv.ts) | +128 reverse-path key, +192 result
//   +256 IPv6 input key, +320 result (ipv6_rcv.ts) | +384 output key, +448 result (output.ts)
//   +512 next hop (16) | +528 source (16) | +544 PMTU address (16) | +560 ICMP address (16)
//   +576 ICMPv6 key (64), +640 result | +704, +720, +736 ICMPv6 addresses (16 each)
//   +768 the lean IPv6 forward's route memo (RX_FWD6_MEMO: 4 × 64 bytes, fwd6_lean.ts)
//   +1024 the martian-source cache: 256 × (u32 address | u32 FIB generation + 1, top bit local)
export const SCR_RX: u32 = 0;
export const SCR_RX_SIZE: u32 = 3072;
/** The lean IPv6 forward's route memo: an offset within SCR_RX (not an SCR_ part of its own; fwd6_lean.ts), 256 bytes before the martian-source cache. */
export const RX_FWD6_MEMO: u32 = 768;
export const RTN_UNSPEC: u32 = 0;
export const RTN_UNICAST: u32 = 1;
export const RTN_LOCAL: u32 = 2;
export const RTN_BROADCAST: u32 = 3;
export const RTN_ANYCAST: u32 = 4;
export const RTN_MULTICAST: u32 = 5;
export const RTN_BLACKHOLE: u32 = 6;
export const RTN_UNREACHABLE: u32 = 7;
export const RTN_PROHIBIT: u32 = 8;
export const RTN_THROW: u32 = 9;
export const RTN_NAT: u32 = 10;
export const RT_SCOPE_UNIVERSE: u32 = 0;
export const RT_SCOPE_SITE: u32 = 200;
export const RT_SCOPE_LINK: u32 = 253;
export const RT_SCOPE_HOST: u32 = 254;
export const RT_SCOPE_NOWHERE: u32 = 255;
export const RT_TABLE_DEFAULT: u32 = 253;
export const RT_TABLE_MAIN: u32 = 254;
export const RT_TABLE_LOCAL: u32 = 255;
export const LOOPBACK_IFINDEX: u32 = 1;
export const AF_INET: u32 = 2;
export const AF_INET6: u32 = 10;

// ---- A neighbour entry as other stages read it (neigh.ts owns the rest of the record) ----
export const NE_STATE: u32 = 0; //      u8 NUD_* bits
export const NE_FLAGS: u32 = 1; //      u8 NTF_*
export const NE_MAC: u32 = 2; //        6 bytes
// The rest of the entry, as neigh.ts and the control plane (src/control/neigh.ts) read it:
//
//   +0  state | flags | ha (6)          +8  ifindex        +12 next (chain slot 0) +16 next (slot 1)
//   +20 key (4 or 16 bytes)                                 +40 confirmed (i64 ms) +48 updated (i64)
//   +56 used (i64)                      +64 timer expiry (i64, valid while NE_TIMER_SLOT != 0)
//   +72 timer heap slot + 1             +76 timer arming order  +80 probes
//   +84 queue head | +88 queue tail | +92 queued bytes (truesize) | +96 queued frames
//   +100 gc list prev | +104 gc list next | +108 parms | +112 family, type, dead, xflags (u8 each)
//   +116 ha sequence (odd while the address is being written) | +120 protocol (u8) | +124 lock
export const NE_IFINDEX: u32 = 8;
export const NE_NEXT0: u32 = 12; //     hash chains: a table generation threads its own slot, so a resize
export const NE_NEXT1: u32 = 16; //     builds the new chains aside while readers walk the old ones
export const NE_KEY: u32 = 20; //       the primary key: IPv4 in the first 4 bytes
export const NE_CONFIRMED: u32 = 40; // i64 ms on the stack clock (may be negative: "long ago")
export const NE_UPDATED: u32 = 48;
export const NE_USED: u32 = 56;
export const NE_TIMER: u32 = 64;
export const NE_TIMER_SLOT: u32 = 72;
export const NE_TIMER_SEQ: u32 = 76;
export const NE_PROBES: u32 = 80;
export const NE_QHEAD: u32 = 84;
export const NE_QTAIL: u32 = 88;
export const NE_QBYTES: u32 = 92;
export const NE_QLEN: u32 = 96;
export const NE_GC_PREV: u32 = 100;
export const NE_GC_NEXT: u32 = 104;
export const NE_PARMS: u32 = 108;
export const NE_FAMILY: u32 = 112;
export const NE_TYPE: u32 = 113;
export const NE_DEAD: u32 = 114;
export const NE_XFLAGS: u32 = 115;
export const NE_HA_SEQ: u32 = 116;
export const NE_PROTOCOL: u32 = 120;
export const NE_LOCK: u32 = 124;
export const NE_SIZE: u32 = 128;
export const NUD_INCOMPLETE: u32 = 0x01;
export const NUD_REACHABLE: u32 = 0x02;
export const NUD_STALE: u32 = 0x04;
export const NUD_DELAY: u32 = 0x08;
export const NUD_PROBE: u32 = 0x10;
export const NUD_FAILED: u32 = 0x20;
export const NUD_NOARP: u32 = 0x40;
export const NUD_PERMANENT: u32 = 0x80;
export const NUD_VALID: u32 = NUD_PERMANENT | NUD_NOARP | NUD_REACHABLE | NUD_PROBE | NUD_STALE | NUD_DELAY;
export const NUD_CONNECTED: u32 = NUD_PERMANENT | NUD_NOARP | NUD_REACHABLE;
// ---- A burst's part of the worker scratch area (netScratch() + SCR_BURST, SCR_BURST_SIZE bytes) ----
// What napi.ts hands the stack a burst at a time and the FIB warms for it (fib_prefetch.ts):
//   +0 BURST_MAX × (u32 data, u32 len) frames for the stack | +512 BURST_MAX × u32 IPv4 destinations
//   +768, +1024, +1280 BURST_MAX × u32 each: the warm-up walk's node, key bits, value per destination
//   +1536, +1792 BURST_MAX × u32 each: the warm-up's main and local answers, kept for the per-frame lookups
export const SCR_BURST: u32 = 3072;
export const SCR_BURST_SIZE: u32 = 2048;
// ---- The UDP send path's part of the worker scratch area (netScratch() + SCR_UDP_TX; udp_output.ts draws it) ----
export const SCR_UDP_TX: u32 = 5120;
export const SCR_UDP_TX_SIZE: u32 = 256;
// ---- The L4 demux's part of the worker scratch area (netScratch() + SCR_L4): sock_lookup.ts, tcp.ts ----
//   +0 source address (16) | +16 destination address (16) | +32 zeros (16): a lookup's addresses for the
//   sk_lookup programs and the wildcard; +48 / +64 the reset's addresses (tcp.ts), or an XDP program's IPv6
//   tuple addresses (bpf_sk_lookup.ts). All of it only inside a lookup or a reset.
export const SCR_L4: u32 = 5376;
export const SCR_L4_SIZE: u32 = 128;
// ---- The UDP demux warm-up's part of the worker scratch area (netScratch() + SCR_L4_BURST; sock_prefetch.ts) ----
//   +0 BURST_MAX × u32 record or group per frame | +256 BURST_MAX × u32 member array or member index
export const SCR_L4_BURST: u32 = 5632;
export const SCR_L4_BURST_SIZE: u32 = 512;
// ---- Neighbour discovery's part of the worker scratch area (netScratch() + SCR_NDISC; ndisc.ts redirects) ----
//   +0 a redirect's flow key (64) | +64 its result (64) | +128 an address (16)
export const SCR_NDISC: u32 = 6144;
export const SCR_NDISC_SIZE: u32 = 256;

// ---- The local input route memo's part of the worker scratch area (netScratch() + SCR_RX_LOCAL; ipv4_rcv.ts) ----
//   LOCAL_MEMO_SLOTS (16) × (u32 destination | u32 tos | u32 FIB generation + 1 | u32 unused)
export const SCR_RX_LOCAL: u32 = 6400; // after SCR_NDISC (two branches took 6144 at once)
export const SCR_RX_LOCAL_SIZE: u32 = 256;

// ---- The neighbour output path's part of the worker scratch area (netScratch() + SCR_NEIGH; neigh.ts) ----
//   +0 the key an output lookup uses (16): per worker, as two workers look up at once
export const SCR_NEIGH: u32 = 6656;
export const SCR_NEIGH_SIZE: u32 = 64;

// ---- napi_poll's part of the worker scratch area (napi.ts): warmRing's slot per frame of a burst ----
//   +0 i8[BURST_MAX] the slot each frame of the burst got (-1: none); per worker, as every worker polls
export const SCR_NAPI_SLOTS: u32 = 6720;
export const SCR_NAPI_SLOTS_SIZE: u32 = 64;

// ---- A socket (sock.ts owns the tables; udp.ts, the send path, sk programs and TypeScript read it) ----
// SK_SIZE bytes in the arena, found by id (1-based, stable while the socket lives; 0 is "none").
// Addresses as the kernel keeps them: an AF_INET socket's in the first 4 bytes of 16; an AF_INET6
// socket's as IPv6 (an IPv4 peer or bound address of a dual-stack socket as ::ffff:a.b.c.d).
// Ports in host byte order. Fields written by the control plane are published before the socket is
// hashed; the data path writes only the queue, counters and SK_ERR.
// Three lines a datagram's way reads: line 0 what the lookup scores (with sock.ts's IPv4 views and hash2
// link at 48-59 and the reuseport group), line 1 what the enqueue writes (with sock.ts's queue at
// 72-91), line 2 the send path's and the options'. sock.ts's own: 48-59, 72-91, 184-255 (drawn there).
export const SK_ID: u32 = 0; //          u32 the socket's id
export const SK_STATE: u32 = 4; //       u8 TCP_CLOSE 7 (unconnected) / TCP_ESTABLISHED 1 (connected); 0 free
export const SK_FAMILY: u32 = 5; //      u8 AF_INET / AF_INET6
export const SK_PROTOCOL: u32 = 6; //    u8 IPPROTO_UDP 17 / IPPROTO_UDPLITE 136
export const SK_FLAGS: u32 = 7; //       u8 SKF_*
export const SK_NUM: u32 = 8; //         u16 local port (inet_num), 0 until bound
export const SK_DPORT: u32 = 10; //      u16 peer port when connected
export const SK_BOUND_DEV_IF: u32 = 12; // u32 SO_BINDTODEVICE ifindex, 0: any
export const SK_RCV_SADDR: u32 = 16; //  16 bytes: bound address (any: zeros)
export const SK_DADDR: u32 = 32; //      16 bytes: peer address when connected
export const SK_REUSEPORT_GROUP: u32 = 60; // u32 the reuseport group's address (sock.ts), 0: none
export const SK_RCVBUF: u32 = 64; //     u32 SO_RCVBUF (bytes, as getsockopt reports it: twice what was set)
export const SK_RMEM: u32 = 68; //       u32 bytes queued (truesize), the data path adds, the reader subtracts
export const SK_DROPS: u32 = 92; //      u32 sk_drops
export const SK_PCFLAG: u32 = 96; //     u8 the kernel's UDPLITE_SEND_CC 1 / UDPLITE_RECV_CC 2 bits: the option was set (coverages: sock.ts SKX_*_CSCOV)
export const SK_FLAGS6: u32 = 97; //     u8 SK6F_* (IPv6 socket options that are one bit)
export const SK_ERR: u32 = 100; //       u32 pending error (positive errno: ECONNREFUSED…), taken by the reader
export const SK_RX_PACKETS: u32 = 104; // u64 datagrams the reader took (sock.ts sk_rx_stats adds those queued now)
export const SK_RX_BYTES: u32 = 112; //  u64 their payload bytes
export const SK_REUSEPORT_INDEX: u32 = 120; // u32 this socket's index in its group
export const SK_LOCK: u32 = 124; //      u32
export const SK_SNDBUF: u32 = 128; //    u32 SO_SNDBUF
export const SK_TTL: u32 = 132; //       u8 IP_TTL (inet->uc_ttl; IPv4 and v4-mapped sends), 0: the default
export const SK_TOS: u32 = 133; //       u8 IP_TOS (inet->tos; IPv4 and v4-mapped sends)
export const SK_MC_TTL: u32 = 134; //    u8 IP_MULTICAST_TTL (1)
export const SK_PMTUDISC: u32 = 135; //  u8 IP_MTU_DISCOVER: IP_PMTUDISC_* (IP_PMTUDISC_DONT 0, WANT 1, DO 2, PROBE 3)
export const SK_MARK: u32 = 136; //      u32 SO_MARK
export const SK_QUEUE: u32 = 140; //     u32 the receive queue's address (sock.ts draws it)
export const SK_COOKIE: u32 = 144; //    u64 socket cookie (bpf_get_socket_cookie), never reused
export const SK_TX_PACKETS: u32 = 152; // u64
export const SK_TX_BYTES: u32 = 160; //  u64
export const SK_SADDR: u32 = 168; //     16 bytes: the source address sends use (set by connect)
// An IPv6 socket's own (struct ipv6_pinfo): native IPv6 sends read these, v4-mapped ones the IPv4 fields
// above (udpv6_sendmsg hands those to udp_sendmsg), so IP_TTL and IPV6_UNICAST_HOPS never share a value
export const SK_HOPS6: u32 = 228; //     u16 IPV6_UNICAST_HOPS + 1 (np->hop_limit; 0: -1, the route's; 1: a hop limit of 0)
export const SK_TCLASS: u32 = 230; //    u8 IPV6_TCLASS (np->tclass)
export const SK_PMTUDISC6: u32 = 231; // u8 IPV6_MTU_DISCOVER (np->pmtudisc: IPV6_PMTUDISC_WANT 1)
export const SK_SIZE: u32 = 256;
export const SKF_REUSEADDR: u32 = 0x01;
export const SKF_REUSEPORT: u32 = 0x02;
export const SKF_IPV6ONLY: u32 = 0x04;
export const SKF_BROADCAST: u32 = 0x08;
export const SKF_DEAD: u32 = 0x10; //    closed, waiting for readers to pass a quiescent point
export const SKF_NO_CHECK_TX: u32 = 0x20; // SO_NO_CHECK (IPv4 sends with a zero checksum)
export const SK6F_DONTFRAG: u32 = 0x01; // IPV6_DONTFRAG: a datagram over the path MTU is refused (EMSGSIZE), never fragmented
export const UDPLITE_SEND_CC: u32 = 0x1;
export const UDPLITE_RECV_CC: u32 = 0x2;
export const TCP_ESTABLISHED: u32 = 1;
export const TCP_CLOSE: u32 = 7;

// ---- Netfilter's part of the worker scratch area (netScratch() + SCR_NF; netfilter.ts draws it) ----
//   +0 the hook state handed to chains (NFS_*, 64) | +64 tuple being looked up (CT_TUPLE_SIZE) | +128 its
//   inverse | +192 the inner tuple of an ICMP error | +256 NAT candidate tuple | +320 NAT range of the
//   builtin rules / masquerade | +384 8 × u32 this worker's unconfirmed conntrack entries | +448 a TCP
//   tracker's throwaway seen[] (20) | +480 NAT target tuple | +544 NAT current tuple | +608 NAT reply probe
export const SCR_NF: u32 = 7168;
export const SCR_NF_SIZE: u32 = 1024;
export const NFS_HOOK: u32 = 0; //    u8 NF_INET_*
export const NFS_PF: u32 = 1; //      u8 NFPROTO_IPV4 2 / NFPROTO_IPV6 10 / NFPROTO_NETDEV 5
export const NFS_L4PROTO: u32 = 2; // u8 (after IPv6 extension headers)
export const NFS_CTINFO: u32 = 3; //  u8 IP_CT_* (0xff: no conntrack)
export const NFS_IIF: u32 = 4; //     u32 0: none
export const NFS_OIF: u32 = 8; //     u32 0: none
export const NFS_DATA: u32 = 12; //   u32 the L3 header
export const NFS_LEN: u32 = 16; //    u32 L3 bytes
export const NFS_CT: u32 = 20; //     u32 the conntrack entry, 0: none
export const NFS_THOFF: u32 = 24; //  u32 L4 offset from NFS_DATA (0: none, a non-first fragment)
export const NFS_MARK: u32 = 28; //   u32 meta mark
export const NFS_Q: u32 = 32; //      u32 the frame's queue (for reject's own frames; a drop is freed by netfilter.ts)
export const NFS_PROTO: u32 = 36; //  u16 skb->protocol, network order (read in the netdev and arp families: a netdev chain sees any)
export const NFS_MAC: u32 = 40; //    u32 the frame's Ethernet header (netdev hooks: where fwd / dup send from; a received datagram's at the ip hooks; 0: none)
export const NFS_LLEN: u32 = 44; //   u32 bytes of skb->len before NFS_DATA (the MAC header at egress, 0 elsewhere)
export const NFS_ZONE: u32 = 48; //   u32 the template `ct zone set` gave a packet not yet tracked (nft_ct_set_zone_eval): 0 none, else
//                                      NFS_ZONE_TMPL | directions (NF_CT_ZONE_DIR_ORIG 1, _REPL 2) << 16 | zone id; conntrack takes it
export const NFS_ZONE_TMPL: u32 = 0x80000000;
export const NFS_PKTTYPE: u32 = 52; // u32 skb->pkt_type a netdev chain's `meta pkttype set` gave the frame, + 1 (0: as eth_type_trans set it)
export const NFS_SIZE: u32 = 64;
// ---- The flowtable's part of the worker scratch area (netScratch() + SCR_FLOW; nf_flow_table.ts) ----
//   +0 BURST_MAX × u32 the burst's frames' direction records (nf_flow_burst_lookup) | +256 BURST_MAX × u32 their key hashes (the buckets' tags)
export const SCR_FLOW: u32 = 9216;
export const SCR_FLOW_SIZE: u32 = 512;
// ---- The lean IPv6 UDP receive's local input memo (netScratch() + SCR_UDP6_MEMO; udp6_lean.ts) ----
//   32 × 40 B direct-mapped: +0 destination (16) | +16 source (16) | +32 u32 FIB generation + 1, top bit: RTN_LOCAL
export const SCR_UDP6_MEMO: u32 = 9728;
export const SCR_UDP6_MEMO_SIZE: u32 = 1280;
// ---- The lean UDP receive's burst keys (netScratch() + SCR_L4_KEYS; udp_lean.ts) ----
//   BURST_MAX × 16 B per frame: +0 u32 source address | +4 u32 destination address | +8 u32 the UDP ports
//   word (as loaded) | +12 u32 the UDP length (the enqueue's): the first pass's copy, which the lookup
//   passes and the enqueue read instead of the frames (a burst's headers sit at one page offset, in one
//   L1 set: every pass over them misses L1);
//   +1024 BURST_MAX × u32: the indices of the frames to look up
export const SCR_L4_KEYS: u32 = 11008;
export const SCR_L4_KEYS_SIZE: u32 = 1280;
// ---- nf_tables' part of the worker scratch area (netScratch() + SCR_NFT; nft_eval.ts draws it) ----
export const SCR_NFT: u32 = 8192;
export const SCR_NFT_SIZE: u32 = 1024;
// ---- What nft's dup to an address keeps while its copy passes the hooks (netScratch() + SCR_NFT_DUP; nft_hooks.ts) ----
//   +0 the hook state (NFS_SIZE) | +64 the registers and jump stack (SCR_NFT +0 .. +192) | +256 the output route
//   (output.ts OUT_RES, FR_SIZE) | +320 an IPv6 source (16)
export const SCR_NFT_DUP: u32 = 12288;
export const SCR_NFT_DUP_SIZE: u32 = 336;
// ---- The frames a netdev ingress chain's notrack left untracked in the burst (netScratch() + SCR_NF_UNTRACKED; netfilter.ts) ----
//   64 × u32 their network headers: per worker, as each worker receives its own bursts
export const SCR_NF_UNTRACKED: u32 = 12672;
export const SCR_NF_UNTRACKED_SIZE: u32 = 256;
// ---- The marks a netdev ingress chain set on the burst's frames (netScratch() + SCR_NF_INGRESS_MARK; netfilter.ts) ----
//   64 × (u32 network header, u32 mark)
export const SCR_NF_INGRESS_MARK: u32 = 12928;
export const SCR_NF_INGRESS_MARK_SIZE: u32 = 512;
// ---- The packet types a netdev ingress chain set on the burst's frames (netScratch() + SCR_NF_INGRESS_TYPE; netfilter.ts) ----
//   64 × (u32 network header, u32 PACKET_*)
export const SCR_NF_INGRESS_TYPE: u32 = 13440;
export const SCR_NF_INGRESS_TYPE_SIZE: u32 = 512;
