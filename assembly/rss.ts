// Receive-side scaling: the NIC's choice of RX queue for a frame, as Microsoft's RSS specification and
// Linux's ethtool -X/-x describe it. The Toeplitz hash of the flow's 2-tuple (IPv4/IPv6 source and
// destination address) or 4-tuple (with TCP/UDP source and destination port), keyed by a 40-byte
// secret, picks an entry of the device's indirection table: its queue gets the frame. The hash and its
// type go with the frame (the frame head, below), where bpf_xdp_metadata_rx_hash reads them.
//
// Reads: the frame's Ethernet (one 802.1Q tag skipped), IPv4 or IPv6 header and the L4 ports; the
// device's RSS block. Sets: the frame head's hash words. Frames go to the chosen queue's RX ring
// (device.ts rxOne); a device without RSS (or with one queue) receives on queue 0.
//
// Input byte order, per the specification: source address, destination address, source port,
// destination port, all as on the wire. Fragments (IPv4 MF or offset set) hash the 2-tuple: their ports
// are not in every fragment. IPv6 takes the ports when the next header is TCP or UDP directly.
//
// The device's RSS block (address at the device header's DEV_RSS; 0: no RSS):
//
//   +0   40 B  key (RSS_KEY_SIZE)
//   +40  u32   flags: RSS_F_UDP4 / RSS_F_UDP6 hash UDP's ports too (ethtool rx-flow-hash udp4 sdfn)
//   +44  u32   indirection table entries (a power of two, 1 .. RSS_INDIR_MAX)
//   +64  u32 × RSS_INDIR_MAX  the queue of each entry; entry (hash mod entries) is used
//
// The frame head (the first bytes of the xdp_frame room, XDP_FRAME_STRUCT, at hard_start):
//
//   +32  u32   the Toeplitz hash
//   +36  u32   RX_HASH_VALID | enum xdp_rss_hash_type (include/net/xdp.h), or 0: no hash (ENODATA)

import { CTX_BASE, CTX_HARD_START, DEV_NQUEUES, FRAME_SIZE } from './abi';

export const DEV_RSS: u32 = 60; // u32 address of the device's RSS block (0: none)
export const RSS_KEY_SIZE: u32 = 40;
export const RSS_FLAGS: u32 = 40;
export const RSS_INDIR_SIZE: u32 = 44;
export const RSS_INDIR: u32 = 64;
export const RSS_INDIR_MAX: u32 = 512;
export const RSS_BLOCK_SIZE: u32 = RSS_INDIR + RSS_INDIR_MAX * 4;
export const RSS_F_UDP4: u32 = 1;
export const RSS_F_UDP6: u32 = 2;
export const RX_HASH_OFF: u32 = 32;
export const RX_HASH_TYPE_OFF: u32 = 36;
export const RX_HASH_VALID: u32 = 0x80000000;

// enum xdp_rss_hash_type's bits (include/net/xdp.h): XDP_RSS_TYPE_L4_IPV4_TCP is L3_IPV4 | L4 | L4_TCP
// (0x19), XDP_RSS_TYPE_L3_IPV6 is L3_IPV6 (0x2). (L3_DYNHDR, bit 2, is the hardware's to report for IPv4
// options and IPv6 extension headers; this NIC does not.)
export const XDP_RSS_L3_IPV4: u32 = 1 << 0;
export const XDP_RSS_L3_IPV6: u32 = 1 << 1;
export const XDP_RSS_L4: u32 = 1 << 3;
export const XDP_RSS_L4_TCP: u32 = 1 << 4;
export const XDP_RSS_L4_UDP: u32 = 1 << 5;

/** The flow's hash input, built per frame (the receiving side: one thread per device queue's producer). */
const INPUT: usize = memory.data(36);

/**
 * The Toeplitz hash of `len` bytes at `input` under the key at `key` (RSS_KEY_SIZE bytes): for every
 * input bit that is set, the 32 key bits starting at that bit's position are XORed in.
 */
export function rss_toeplitz(key: u32, input: u32, len: u32): u32 {
  let result: u32 = 0;
  let window = bswap<u32>(load<u32>(key));
  for (let i: u32 = 0; i < len; i++) {
    const b = <u32>load<u8>(input + i);
    const next = i + 4 < RSS_KEY_SIZE ? <u32>load<u8>(key + i + 4) : 0;
    for (let j: i32 = 7; j >= 0; j--) {
      if (((b >> j) & 1) != 0) result ^= window;
      window = (window << 1) | ((next >> j) & 1);
    }
  }
  return result;
}

// What rssQueue found for the last frame: its hash and its type word (RX_HASH_VALID | xdp_rss_hash_type).
let lastHash: u32 = 0;
let lastType: u32 = 0;

/** The hash input of the frame at `data` (`len` bytes) at INPUT, its type in lastType; the input's length (0: not IP). */
function flowInput(rss: u32, data: u32, len: u32): u32 {
  let l3: u32 = 14;
  if (len < l3) return 0;
  let proto = <u32>bswap<u16>(load<u16>(data, 12));
  if (proto == 0x8100 && len >= 18) {
    proto = <u32>bswap<u16>(load<u16>(data, 16));
    l3 = 18;
  }
  const flags = load<u32>(rss, RSS_FLAGS);
  if (proto == 0x0800) {
    if (len < l3 + 20) return 0;
    const ip = data + l3;
    const ihl = (<u32>load<u8>(ip) & 0xf) << 2;
    store<u64>(INPUT, load<u64>(ip, 12)); // saddr, daddr
    lastType = XDP_RSS_L3_IPV4;
    const fragment = (bswap<u16>(load<u16>(ip, 6)) & 0x3fff) != 0;
    const p = <u32>load<u8>(ip, 9);
    if (!fragment && ihl >= 20 && len >= l3 + ihl + 4 && (p == 6 || (p == 17 && (flags & RSS_F_UDP4) != 0))) {
      store<u32>(INPUT + 8, load<u32>(ip + ihl)); // sport, dport
      lastType |= XDP_RSS_L4 | (p == 6 ? XDP_RSS_L4_TCP : XDP_RSS_L4_UDP);
      return 12;
    }
    return 8;
  }
  if (proto == 0x86dd) {
    if (len < l3 + 40) return 0;
    const ip = data + l3;
    for (let k: u32 = 0; k < 32; k += 8) store<u64>(INPUT + k, load<u64>(ip + 8 + k));
    lastType = XDP_RSS_L3_IPV6;
    const p = <u32>load<u8>(ip, 6);
    if (len >= l3 + 44 && (p == 6 || (p == 17 && (flags & RSS_F_UDP6) != 0))) {
      store<u32>(INPUT + 32, load<u32>(ip + 40));
      lastType |= XDP_RSS_L4 | (p == 6 ? XDP_RSS_L4_TCP : XDP_RSS_L4_UDP);
      return 36;
    }
    return 32;
  }
  return 0;
}

/** The last frame's type word for its head (0: no hash). */
@inline export function rssType(): u32 {
  return lastType;
}

/** The last frame's hash. */
@inline export function rssHash(): u32 {
  return lastHash;
}

/**
 * The queue device `dev` receives the frame at `data` (`len` bytes) on; rssHash() / rssType() then hold
 * what goes in its frame head. Queue 0 (no hash) without RSS, for frames that are not IP, and on a device
 * with one queue.
 */
export function rssQueue(dev: u32, data: u32, len: u32): u32 {
  lastHash = 0;
  lastType = 0;
  const rss = load<u32>(dev, DEV_RSS);
  if (rss == 0) return 0;
  const n = flowInput(rss, data, len);
  if (n == 0) {
    lastType = 0;
    return 0;
  }
  lastHash = rss_toeplitz(rss, <u32>INPUT, n);
  lastType |= RX_HASH_VALID;
  const entries = load<u32>(rss, RSS_INDIR_SIZE);
  const q = load<u32>(rss + RSS_INDIR + ((lastHash & (entries - 1)) << 2));
  const nq = load<u32>(dev, DEV_NQUEUES);
  return q < nq ? q : 0;
}

/** Write the hash words of the frame holding `addr` (any address inside it). */
@inline export function rxHashSet(addr: u32, hash: u32, type: u32): void {
  const head = addr & ~(FRAME_SIZE - 1);
  store<u32>(head, hash, RX_HASH_OFF);
  store<u32>(head, type, RX_HASH_TYPE_OFF);
}

const ENODATA: i64 = 61;

/**
 * kfunc bpf_xdp_metadata_rx_hash(ctx, u32 *hash, enum xdp_rss_hash_type *rss_type): the hash RSS computed
 * for the frame being run when it was received (its head's words) and its type, returning 0; -ENODATA when
 * the frame has none (a device without RSS, a frame RSS does not hash, a queue picked by hand), the
 * outputs left as they were — as a driver answers (mlx5e_xdp_rx_hash, veth_xdp_rx_hash). The frame is
 * the one the calling thread's xdp_buff holds (CTX_HARD_START), so each worker reads its own.
 */
export function bpf_xdp_metadata_rx_hash(ctx: u64, hash: u64, rssType: u64, r4: u64, r5: u64): u64 {
  const head = load<u32>(CTX_BASE + CTX_HARD_START);
  const t = load<u32>(head, RX_HASH_TYPE_OFF);
  if ((t & RX_HASH_VALID) == 0) return <u64>-ENODATA;
  store<u32>(<u32>hash, load<u32>(head, RX_HASH_OFF));
  store<u32>(<u32>rssType, t & ~RX_HASH_VALID);
  return 0;
}

/**
 * kfuncs bpf_xdp_metadata_rx_timestamp(ctx, u64 *) and bpf_xdp_metadata_rx_vlan_tag(ctx, __be16 *, u16 *):
 * this NIC's descriptors carry neither, so -ENODATA with the outputs untouched (veth without an skb).
 * In the fast path so that a program asking for them runs on the workers as on the main thread.
 */
export function bpf_xdp_metadata_rx_timestamp(ctx: u64, ts: u64, r3: u64, r4: u64, r5: u64): u64 {
  return <u64>-ENODATA;
}
export function bpf_xdp_metadata_rx_vlan_tag(ctx: u64, proto: u64, tci: u64, r4: u64, r5: u64): u64 {
  return <u64>-ENODATA;
}

/** Where the hash words of the frame at hard_start `head` are: what bpf_xdp_metadata_rx_hash reads. */
export function rx_hash_of(head: u32): u64 {
  return (<u64>load<u32>(head, RX_HASH_TYPE_OFF) << 32) | <u64>load<u32>(head, RX_HASH_OFF);
}
