// What nft's expressions need from conntrack, NAT and flowtables (nf_conntrack.ts, nf_nat.ts, nf_flow_table.ts), in one file
// so the evaluator reads the same whatever those stages become: the conntrack mark, a NAT binding for the
// connection (nft_nat_eval → nf_nat_setup_info, nft_masq_eval → nf_nat_masquerade, nft_redir_eval →
// nf_nat_redirect) and flowtable offload.
//
// Reads: the hook state (ct, oif) and the registers. Sets: the conntrack mark; the range nft hands NAT
// (nf_nat_range2 as nf_nat.ts reads it: +0 u32 flags | +4 min addr (16) | +20 max addr (16) | +36 u16 min
// proto | +38 u16 max proto, network order | +40 u16 base proto). Next: back to the evaluator.

import { NFS_CT, NFS_HOOK, NFS_IIF, NFS_OIF, NFS_PF } from './abi';
import { CT_MARK } from './nf_conntrack';
import { nf_nat_masquerade, nf_nat_redirect, nf_nat_setup_info } from './nf_nat';
import { nf_flow_offload_eval } from './nf_flow_table';

const NF_ACCEPT: u32 = 1;
const NFTN_SNAT: u32 = 0;
const NFTN_DNAT: u32 = 1;
const NFTN_MASQ: u32 = 2;

export function nftCtMarkGet(ct: u32): u32 {
  return load<u32>(ct + CT_MARK);
}

export function nftCtMarkSet(ct: u32, mark: u32): void {
  store<u32>(ct + CT_MARK, mark);
}

/**
 * nft_nat_eval / nft_masq_eval / nft_redir_eval: the range from the registers (`rw`: u8 min addr, max addr, min proto,
 * max proto register numbers, 0xff for none) into `range`, then the binding; its verdict. A packet
 * without a conntrack passes (nat chains run only for tracked connections).
 */
export function nftNat(st: u32, type: u32, flags: u32, rw: u32, regs: u32, range: u32): u32 {
  memory.fill(range, 0, 48);
  store<u32>(range, flags);
  const alen: u32 = <u32>load<u8>(st, NFS_PF) == 10 ? 16 : 4;
  const amin = rw & 0xff;
  const amax = (rw >>> 8) & 0xff;
  const pmin = (rw >>> 16) & 0xff;
  const pmax = rw >>> 24;
  if (amin != 0xff) {
    memory.copy(range + 4, regs + (amin << 2), alen);
    memory.copy(range + 20, regs + (amax << 2), alen);
  }
  if (pmin != 0xff) {
    store<u16>(range + 36, load<u16>(regs + (pmin << 2)));
    store<u16>(range + 38, load<u16>(regs + (pmax << 2)));
  }
  const ct = load<u32>(st, NFS_CT);
  if (ct == 0) return NF_ACCEPT;
  if (type == NFTN_SNAT || type == NFTN_DNAT) return nf_nat_setup_info(ct, range, type);
  if (type == NFTN_MASQ) return nf_nat_masquerade(ct, range, load<u32>(st, NFS_OIF));
  return nf_nat_redirect(ct, range, <u32>load<u8>(st, NFS_HOOK), load<u32>(st, NFS_IIF)); // NFTN_REDIR
}

/** nft_flow_offload_eval: an established connection offloaded into flowtable `ft` - 1 (0: none); the packet goes on. */
export function nftFlowAdd(st: u32, ft: u32): void {
  if (ft != 0) nf_flow_offload_eval(st, ft - 1);
}
