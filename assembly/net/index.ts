// The stack behind XDP_PASS, stage by stage (each file's header says what it reads, what it sets and
// where the frame goes next). Exported whole so the control plane reaches every stage's API.

export * from './abi';
export * from './core';
export * from './netdev';
export * from './fib';
export * from './neigh';
export * from './frag';
export * from './eth';
export * from './icmp';
export * from './local';
export * from './ipv4_rcv';
export * from './ipv6_rcv';
export * from './forward';
export * from './output';
export * from './lpm4';
export * from './lpm6';
export * from './mphash';
export * from './dst';
export { rt6_redirect_apply, rt6_redirect_flush } from './rt6_redirect';
export { net_fwd6_lean_set, net_fwd6_lean_taken } from './fwd6_lean';
export * from './fib_helper';
export * from './lpm';
export * from './reclaim';
export * from './sock';
export * from './sk_prog';
export * from './bpf_sk_lookup';
export * from './udp_output';
export * from './udp_mcast';
export * from './netfilter';
export * from './nf_conntrack';
export * from './nf_nat';
export { TCP_CONNTRACK_NONE, TCP_CONNTRACK_SYN_SENT, TCP_CONNTRACK_SYN_RECV, TCP_CONNTRACK_ESTABLISHED, TCP_CONNTRACK_FIN_WAIT, TCP_CONNTRACK_CLOSE_WAIT, TCP_CONNTRACK_LAST_ACK, TCP_CONNTRACK_TIME_WAIT, TCP_CONNTRACK_CLOSE, TCP_CONNTRACK_SYN_SENT2 } from './nf_conntrack_proto_tcp';
export * from './nf_flow_table';
export * from './nf_conntrack_bpf';
export * from './syncookies';
export * from './nft_eval';
export { nft_dynset_ctl, nft_dynset_drop, nft_dynset_find_n, nft_dynset_free, nft_dynset_new, nft_dynset_reap } from './nft_dynset';
