// The nftables evaluator's entry as netfilter.ts and nf_nat.ts call it: nft_do_chain(hook state, chain
// slot) → NF_* verdict, from assembly/net/nft_eval.ts.
//
// Reads: nothing. Sets: nothing. Next: back to nf_hook_slow / nf_nat_inet_fn.

export { nft_do_chain } from './nft_eval';
