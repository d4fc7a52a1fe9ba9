// What nft's expressions need from conntrack, NAT and the flowtable (ct15's nf_conntrack.ts, nf_nat.ts,
// nf_flow_table.ts): one file, so the evaluator stays the same whether those stages are built in or not.
// Until they are merged this file answers as a kernel without them would: no conntrack mark, NAT that
// binds nothing (NF_ACCEPT), no offload.
//
// Reads: the hook state (ct at NFS + 20, oif at NFS + 8) and the registers. Sets: the range nft hands
// nf_nat_setup_info (nf_nat_range2: +0 u32 flags | +4 min addr (16) | +20 max addr (16) | +36 u16 min
// proto | +38 u16 max proto, network order | +40 u16 base proto).

const NFS_OIF: u32 = 8;
const NFS_PF: u32 = 1;
const NFS_CT: u32 = 20;
const NF_ACCEPT: u32 = 1;

export function nftCtMarkGet(ct: u32): u32 {
  return 0;
}

export function nftCtMarkSet(ct: u32, mark: u32): void {}

/**
 * nft_nat_eval / nft_masq_eval: the range from the registers (`rw`: u8 min addr, max addr, min proto,
 * max proto register numbers, 0xff for none) into `range`, then the binding. The verdict it returns.
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
  return natBind(ct, type, range, load<u32>(st, NFS_OIF));
}

function natBind(ct: u32, type: u32, range: u32, oif: u32): u32 {
  return NF_ACCEPT;
}

export function nftFlowAdd(st: u32, ft: u32): void {}
