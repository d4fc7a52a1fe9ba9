// nf_tables' stateful statements that keep their state apart from the ruleset blob: counter (nft_counter.c),
// limit (net/netfilter/nft_limit.c), quota (nft_quota.c) and log (nft_log.c → nf_log / nfnetlink_log). Each state
// block is allocated by the control plane (src/control/nft.ts) and outlives a ruleset generation, as a
// counter's does, so a rule kept across a transaction keeps its bucket, its consumed bytes and its ring.
//
// Named objects (nft_objref: `counter name "c"`) are the same statements over the object's block.
//
// Reads: the hook state (NFS_*: hook, pf, iif, oif, mark, data, len), the stack's clock (netNow, ms).
// Sets: the counter's packets and bytes, the limit's bucket, the quota's consumed bytes, a log record in
// the log ring. Frames: none (the caller breaks out of the rule or goes on; a log never changes the verdict).
//
// counter:       +0 u64 packets | +8 u64 bytes
// limit bucket:  +0 u32 lock | +4 reserved | +8 u64 tokens (ns) | +16 u64 last (ns on the stack clock)
// quota:         +0 u64 consumed bytes
// log ring:      +0 u32 head (records written, mod 2^32) | +4 u32 tail (records read by TypeScript) |
//                +8 u32 lost (records not written: the ring was full) | +12 u32 lock | then LOG_RING records:
//   record (LOG_REC bytes): +0 u8 hook | +1 u8 pf | +2 u8 type (0 NF_LOG_TYPE_LOG, 1 NF_LOG_TYPE_ULOG) |
//   +3 u8 level | +4 u16 group | +6 u16 NF_LOG_* flags | +8 u32 iif | +12 u32 oif | +16 u32 mark |
//   +20 u32 packet length | +24 u32 bytes copied | +28 the netdev family's outer VLAN TCI, +30 its skb->protocol
//   (network order both) | +32 prefix (NF_LOG_PREFIXLEN, NUL-padded) |
//   +160 the MAC header (ETH_HLEN bytes: the 14 before the network header, untagged as eth.ts leaves them;
//   read only when there is an input device, as nf_log_ip_packet calls dump_mac_header only `if (in)`; in the
//   netdev family always, as the kernel's skb has it: addresses and the type after an outer tag) | +174 that tag's
//   TPID (0: none) |
//   +176 the packet from its network header (LOG_CAP bytes at most)

import { netNow } from './core';
import { NFS_DATA, NFS_HOOK, NFS_IIF, NFS_LEN, NFS_MAC, NFS_MARK, NFS_OIF, NFS_PF, NFS_PROTO } from './abi';
import { spinLock, spinUnlock } from './lock';

export const LOG_RING: u32 = 256; // records
export const LOG_REC: u32 = 512;
export const LOG_HDR: u32 = 16;
export const LOG_PREFIX: u32 = 32;
export const LOG_MAC: u32 = 160;
export const LOG_PKT: u32 = 176;
const NF_LOG_PREFIXLEN: u32 = 128;
const ETH_HLEN: u32 = 14;
export const LOG_CAP: u32 = LOG_REC - LOG_PKT;
const NSEC_PER_MSEC: u64 = 1000000;

/**
 * nft_limit_eval over the bucket at `b`: refill by the time since the last packet (capped at `max`), then take
 * `cost`. True when the packet is over the limit (no tokens for it), which with `over` (NFT_LIMIT_F_INV) is a
 * match and without it breaks out of the rule. Time is the stack's clock in ns, as ktime_get_ns is the kernel's.
 */
export function nftLimit(b: u32, max: u64, cost: u64): bool {
  spinLock(b);
  const now = netNow() * NSEC_PER_MSEC;
  let tokens = load<u64>(b, 8) + now - load<u64>(b, 16);
  if (tokens > max) tokens = max;
  store<u64>(b, now, 16);
  const delta = <i64>(tokens - cost);
  const over = delta < 0;
  store<u64>(b, over ? tokens : <u64>delta, 8);
  spinUnlock(b);
  return over;
}

/**
 * nft_counter_do_eval: one packet and its bytes. Several workers run the same rule, and a named counter
 * (nft_objref) is shared by every rule that names it: the shared build adds atomically (the kernel's per-CPU
 * counters summed when read), the plain build has one thread.
 */
export function nftCounter(a: u32, len: u32): void {
  if (ASC_FEATURE_THREADS) {
    atomic.add<u64>(a, 1);
    atomic.add<u64>(a + 8, <u64>len);
  } else {
    store<u64>(a, load<u64>(a) + 1);
    store<u64>(a + 8, load<u64>(a + 8) + <u64>len);
  }
}

/** nft_overquota: the packet's bytes are consumed whatever the verdict; over once more than `quota` are. */
export function nftOverquota(a: u32, quota: u64, len: u32): bool {
  let consumed: u64;
  if (ASC_FEATURE_THREADS) consumed = atomic.add<u64>(a, <u64>len) + <u64>len;
  else {
    consumed = load<u64>(a) + <u64>len;
    store<u64>(a, consumed);
  }
  return consumed > quota;
}

/**
 * nft_log_eval: one record of what nf_log_packet hands a logger (the hook, the devices, the mark, the prefix,
 * the MAC header of a packet that came in on a device, the packet from its network header: all of it up
 * to LOG_CAP, or snaplen bytes for a group with one) for
 * TypeScript to read (dp.nftables.pollLog). Never rate-limited; a full ring counts the record lost.
 */
export function nftLog(st: u32, ring: u32, type: u32, level: u32, group: u32, flags: u32, snaplen: u32, prefix: u32): void {
  spinLock(ring + 12);
  const head = load<u32>(ring);
  if (head - load<u32>(ring, 4) >= LOG_RING) {
    store<u32>(ring, load<u32>(ring, 8) + 1, 8);
    spinUnlock(ring + 12);
    return;
  }
  const r = ring + LOG_HDR + (head % LOG_RING) * LOG_REC;
  const len = load<u32>(st, NFS_LEN);
  let cap = len < LOG_CAP ? len : LOG_CAP;
  if (type == 1 && snaplen != 0 && snaplen < cap) cap = snaplen;
  store<u8>(r, load<u8>(st, NFS_HOOK));
  store<u8>(r, load<u8>(st, NFS_PF), 1);
  store<u8>(r, <u8>type, 2);
  store<u8>(r, <u8>level, 3);
  store<u16>(r, <u16>group, 4);
  store<u16>(r, <u16>flags, 6);
  store<u32>(r, load<u32>(st, NFS_IIF), 8);
  store<u32>(r, load<u32>(st, NFS_OIF), 12);
  store<u32>(r, load<u32>(st, NFS_MARK), 16);
  store<u32>(r, len, 20);
  store<u32>(r, cap, 24);
  memory.copy(r + LOG_PREFIX, prefix, NF_LOG_PREFIXLEN);
  const data = load<u32>(st, NFS_DATA);
  if (<u32>load<u8>(st, NFS_PF) == 5) {
    // NFPROTO_NETDEV: eth_hdr(skb) after skb_vlan_untag moved the addresses up to the type after an outer tag,
    // which went into skb->vlan_tci
    const mac = load<u32>(st, NFS_MAC);
    memory.copy(r + LOG_MAC, mac, 12);
    store<u16>(r + LOG_MAC + 12, load<u16>(data - 2));
    const tagged = data - mac > ETH_HLEN;
    store<u16>(r + LOG_MAC + 14, tagged ? load<u16>(mac + 12) : 0);
    store<u16>(r + 28, tagged ? load<u16>(mac + 14) : 0);
    store<u16>(r + 30, load<u16>(st, NFS_PROTO));
  } else if (load<u32>(st, NFS_IIF) != 0) {
    // every frame that has an input device keeps its Ethernet header before L3 (eth.ts, reasm.ts)
    memory.copy(r + LOG_MAC, data - ETH_HLEN, ETH_HLEN);
  }
  memory.copy(r + LOG_PKT, data, cap);
  store<u32>(ring, head + 1);
  spinUnlock(ring + 12);
}
