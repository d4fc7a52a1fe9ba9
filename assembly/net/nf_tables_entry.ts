// The nftables evaluator's entry as netfilter.ts calls it: nft_do_chain(hook state, chain handle) →
// NF_* verdict. nft15's assembly/net/nf_tables.ts provides the evaluator; until it is merged this stub
// accepts every packet (no chain can be registered without the evaluator's control plane anyway).
// When merging: replace the body below with `export { nft_do_chain } from './nf_tables';`.
//
// Reads: nothing. Sets: nothing. Next: back to nf_hook_slow.

export function nft_do_chain(st: u32, chain: u32): u32 {
  return 1; // NF_ACCEPT
}
