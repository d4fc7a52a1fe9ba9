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
export * from './fib_helper';
export * from './lpm';
export * from './reclaim';
export * from './sock';
export * from './sk_prog';
export * from './udp_output';
export * from './udp_mcast';
export * from './nft_eval';
