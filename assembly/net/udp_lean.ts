// The lean local IPv4 receive for UDP: the common case of stack_rx → ipv4_rcv → ip_rcv_finish →
// ip_local_deliver → udp_rcv, decided for the frames of a burst at once (eth.ts stack_rx_burst), as
// fwd4_lean.ts does for a plain forward.
//
// Why: a datagram for one of our sockets passes the stages written for every case (VLAN tags, options,
// multicast, martians, rp_filter, fragments, netfilter hooks, the protocol table…), each re-deriving the
// root, the device record and the scratch addresses, then a socket lookup that is a chain of dependent
// loads; the common case needs a few loads and compares, and the lookups of a burst can overlap.
//
// Which frames: untagged IPv4 on a ring device (not loopback) to the device's own MAC; a 20-byte header
// with a good checksum, its total length within the frame; not a fragment; UDP or UDP-Lite with the
// protocol table's UDP handler (or PH_CONSUME: taken and freed, as wxdp bench udp's no-L4 baseline
// sets); neither address multicast, limited broadcast, 0.0.0.0 or loopback; no netfilter hook
// registered; rp_filter off on the device; the destination in ipv4_rcv.ts's local input memo for this
// TOS at this FIB generation, with no custom rules (routeInput's own short cut: the FIB said
// RTN_LOCAL); the source not one of our addresses unless accept_local (fib_validate_source with
// rp_filter off). Anything else is left untouched for the full path, which then does everything
// itself; the checks come before any counter or byte is written.
//
// What a frame taken here gets is what the full path gives it: the caller counts it on the device (RX
// packets/bytes) and sets the ring device, as stack_rx does; then Ip:InReceives and Ip:InDelivers, and
// the datagram (trimmed to its total length) is queued on the socket the burst's lookup found
// (udp4_burst_rcv, below), or handed to udp_rcv with the route flags of a local route (RTCF_LOCAL), or
// freed (PH_CONSUME), as ip_local_deliver does.
//
// Reads: the frame, the device record (MAC, rp_filter, accept_local), the netfilter gate, the local
// input memo, the source address cache, the protocol table, the UDP socket tables. Sets: this worker's
// scratch (SCR_L4_BURST, SCR_L4_KEYS); Ip counters, then the socket's queue (udp.ts udp4_queue_found) or udp_rcv's
// doing. Next: the socket's queue, udp_rcv (udp.ts), or the full path (eth.ts stack_rx).

import { mibAdd, mibInc, netFree, netRoot, netScratch } from './core';
import {
  CONF4_ACCEPT_LOCAL, CONF4_RP_FILTER, LOOPBACK_IFINDEX, MIB_IP_IN_DELIVERS, MIB_IP_IN_RECEIVES, MIB_IP6_IN_DELIVERS, MIB_IP6_IN_RECEIVES, ND_CONF4, ND_MAC, SCR_L4_BURST, SCR_L4_KEYS,
  SK_REUSEPORT_GROUP, SK_RMEM,
} from './abi';
import { ETH_HLEN, IPH_DADDR, IPH_FRAG_OFF, IPH_PROTOCOL, IPH_SADDR, IPH_TOS, IPH_TOT_LEN, IPPROTO_UDP, IPPROTO_UDPLITE, IP_MF, IP_OFFSET, ldBe16, PACKET_HOST } from './inet';
import { csumIota, csumM16, ipHeaderValid, ipUdp4ShortOkV, IPUDP_SHORT_MAX, IPUDP_SHORT_MIN } from './csum';
import { fullSourceCheck4, localMemoHit, noCustomRules4, sourceIsLocal } from './ipv4_rcv';
import { nfActive } from './netfilter';
import { protoHandler, PH_CONSUME, PH_UDP } from './local';
import { RTCF_LOCAL } from './icmp';
import { udp_queue_burst, udp_queue_run, udp_rcv, udp4_queue_found, udp4CsumOk } from './udp';
import {
  H2_GROUP, H2_HEAD, H2_INLINE, H2_KEY, h2Member, H2_NUM, h2SeqBegin, h2SeqRetry, H2_SHIFT, H2_SOCKS, l4Root, L4_LIVE, RG_DEV, RG_PORT, RG_RCV4,
  RG_SLOW, RG_V6ONLY, RGS_DEV, SKX_NEXT2, TB_CONNECTED, TB_HASH2, udpTables,
} from './sock';
import { addrHash4, hash2Of4, hash2OfWord4, matches4, udpHashSecret } from './sock_lookup';
import { jhash3w } from '../maps/jhash';
import { skLookupAttached } from './sk_prog';
import { udp6_burst_demux, udp6_burst_rcv } from './udp6_lean';

/** leanGate's bits: which protocols' handlers the lean path may hand to, accept_local. */
const LG_UDP: u32 = 1;
const LG_LITE: u32 = 2;
const LG_ACCEPT_LOCAL: u32 = 4;

/**
 * What the lean path's checks read of the device and the stack, once a burst: 0 when no frame from ring
 * device `ifindex` (record `nd`) can take it (loopback, a netfilter hook registered, rp_filter on,
 * custom rules, a group MAC), else LG_* bits: the protocols whose handler is UDP's or PH_CONSUME (not an embedder's),
 * and the device's accept_local.
 */
@inline function leanGate(ifindex: u32, nd: u32): u32 {
  if (ifindex == LOOPBACK_IFINDEX || nfActive() || load<u32>(nd, ND_CONF4 + (CONF4_RP_FILTER << 2)) != 0 || !noCustomRules4() || fullSourceCheck4()) return 0;
  // a device whose own MAC has the group bit: a frame to it is multicast to eth_type_trans (leanLen
  // compares the address alone)
  if ((load<u8>(nd, ND_MAC) & 1) != 0) return 0;
  const hu = protoHandler(false, IPPROTO_UDP);
  const hl = protoHandler(false, IPPROTO_UDPLITE);
  let g: u32 = 0;
  if (hu == PH_UDP || hu == PH_CONSUME) g |= LG_UDP;
  if (hl == PH_UDP || hl == PH_CONSUME) g |= LG_LITE;
  if (g != 0 && load<u32>(nd, ND_CONF4 + (CONF4_ACCEPT_LOCAL << 2)) != 0) g |= LG_ACCEPT_LOCAL;
  return g;
}

/** The last source of this burst sourceIsLocal said is not ours (valid while foreignValid). */
let foreign: u32 = 0;
let foreignValid = false;
/** The last destination and TOS of this burst the local input memo answered (valid while localValid). */
let localDst: u32 = 0;
let localTos: u32 = 0;
let localValid = false;

/**
 * The datagram's total length when the frame at `data` (`len` bytes from its Ethernet header), received
 * on a device whose MAC is `mac4` `mac2` (its first four bytes and last two, as loaded) and whose
 * leanGate is `gate` (not 0), takes the lean path; 0 when the full path must take it. Reads only.
 */
@inline function leanLen(mac4: u32, mac2: u16, data: u32, len: u32, gate: u32): u32 {
  // untagged IPv4 with a 20-byte version 4 header: the EtherType (08 00) and the version and header
  // length byte (45) as one word
  if (len < ETH_HLEN + 28 || (load<u32>(data, 12) & 0xffffff) != 0x450008) return 0;
  // to our MAC (PACKET_HOST: the device's address, whose group bit is clear: leanGate)
  if (load<u32>(data) != mac4 || load<u16>(data, 4) != mac2) return 0;
  const ip = data + ETH_HLEN;
  // not a fragment, UDP or UDP-Lite to the handlers the gate allows
  const proto = <u32>load<u8>(ip, IPH_PROTOCOL);
  if (proto == IPPROTO_UDP ? (gate & LG_UDP) == 0 : proto != IPPROTO_UDPLITE || (gate & LG_LITE) == 0) return 0;
  if ((ldBe16(ip + IPH_FRAG_OFF) & (IP_MF | IP_OFFSET)) != 0) return 0;
  // ip_rcv_core: the checksum, the total length within the frame
  if (!ipHeaderValid(ip, 20)) return 0;
  const tot = ldBe16(ip + IPH_TOT_LEN);
  if (tot < 20 || tot > len - ETH_HLEN) return 0;
  // the martians ip_route_input_slow sorts out, as network-order words (the first octet in the low byte)
  const daddr = load<u32>(ip, IPH_DADDR);
  const saddr = load<u32>(ip, IPH_SADDR);
  if (!plainUnicast(daddr) || !plainUnicast(saddr)) return 0;
  // routeInput's local input memo (RTN_LOCAL at this generation; the gate saw no custom rules), then
  // localInput's fib_validate_source with rp_filter off: our own address as the source is a martian
  // (a burst's frames mostly share a destination: its answer holds for the burst)
  const tos = <u32>load<u8>(ip, IPH_TOS) & 0xfc;
  if (!localValid || daddr != localDst || tos != localTos) {
    if (!localMemoHit(daddr, tos)) return 0;
    localDst = daddr;
    localTos = tos;
    localValid = true;
  }
  if ((gate & LG_ACCEPT_LOCAL) == 0 && (!foreignValid || saddr != foreign)) {
    if (sourceIsLocal(saddr)) return 0;
    foreign = saddr; // a burst's frames mostly share a source: asked once (the answer holds for the burst)
    foreignValid = true;
  }
  return tot;
}

/**
 * The datagram at `ip` (`tot` bytes, leanLen's answer) from `ifindex`, queue `q`: counted as
 * ipv4_rcv and ip_local_deliver count it, then udp_rcv. Takes the frame.
 */
export function udp4_lean_rcv(ifindex: u32, q: u32, ip: u32, tot: u32): void {
  mibInc(MIB_IP_IN_RECEIVES);
  mibInc(MIB_IP_IN_DELIVERS);
  if (protoHandler(false, <u32>load<u8>(ip, IPH_PROTOCOL)) == PH_CONSUME) netFree(q, ip);
  else udp_rcv(ifindex, q, ip, tot, 20, RTCF_LOCAL, PACKET_HOST);
}

/**
 * The frame at `data` (`flen` bytes; its IPv4 header at `ip`, whose first 32 bytes are `h0` `h1` as
 * loaded) is of the last flow looked up (`rh` `rp`: the first 16 bytes of the Ethernet header and of
 * the IPv4 header of the latest frame that went to it; `fd` its destination address), to our MAC, UDP,
 * and its own fields pass the checks that depend on them: not a fragment, the total length within the
 * frame and room for UDP, UDP's length within it, both checksums. True: the frame passes leanLen and
 * udp4Demux's checks as that flow's frame did; false: it is to be decided the whole way. The caller
 * has a last flow (its frame's bytes are rh, rp). (Reads only the frame's first line; the loads are
 * safe for any frame: the buffer is FRAME_SIZE.) The bytes compared with the flow's frame's are two
 * vectors under masks (LF_MASKS): the destination MAC, the EtherType, version and header length, TOS,
 * MF and the offset (zero in the flow's frame), the protocol, the source address; the destination
 * address is one word; the checksum takes the header's vectors as loaded, and a frame of the flow with
 * other ports goes on the lookup's list at once (its addresses the flow's). Measured 12-08 (spu58;
 * beside the scalar word below, bench udp's demux workload, the builds in one process, ~150 ms blocks in
 * turns, data path ns, both creation orders, load 14-17): 10k 59.8 → 46.5 (15/16 won), 66.8 → 65.2
 * (13/16), 46.0 → 46.0 (11/20), 77.8 → 60.7 (18/20); 100k 59.6 → 56.8 (14/16), 88.7 → 83.6 (13/16),
 * 62.0 → 57.4 (18/20), 90.1 → 85.0 (15/20); 10 sockets 26.5 → 24.9 (13/16), 40.6 → 35.6 (12/16): the
 * scalar word held the flow's MAC, +12 word and addresses in registers V8 spilled. (Before, 12-07: the same
 * tests as one word of scalar comparisons, one branch; before that a chain of && each compiled to a
 * set, a test and a branch — 10k 105.4 → 107.0 and 101.4 → 93.9 (8/16 won), 100k 123.2 → 86.7 and
 * 113.8 → 97.0 (14/16), in one process, 2 × 8 rounds at load 12-26.)
 */
@inline function lastFlow(data: u32, ip: u32, flen: u32, h0: v128, h1: v128, rh: v128, rp: v128, mh: v128, mp: v128, fd: u32, iota: v128, m16: v128): bool {
  const tot = ldBe16(ip + IPH_TOT_LEN);
  const ulen = ldBe16(ip + 24);
  const x = v128.or(v128.and(v128.xor(v128.load(data), rh), mh), v128.and(v128.xor(h0, rp), mp));
  // (with flen ≥ 42, tot within 28..flen − 14 and ulen within 8..tot − 20 as unsigned differences)
  const ok = <u32>!v128.any_true(x) & <u32>(i32x4.extract_lane(h1, 0) == fd) & <u32>(flen >= ETH_HLEN + 28) &
    <u32>(tot - 28 <= flen - ETH_HLEN - 28) & <u32>(ulen - 8 <= tot - 28);
  if (ok == 0) return false;
  // a short datagram with a checksum (a small service's): both checksums in one pass
  if (ulen - IPUDP_SHORT_MIN <= IPUDP_SHORT_MAX - IPUDP_SHORT_MIN && load<u16>(ip, 26) != 0) return ipUdp4ShortOkV(ip, h0, h1, ulen, iota, m16);
  return ipHeaderValid(ip, 20) && udp4CsumOk(ip, ip + 20, ulen);
}

/**
 * lastFlow's masks: of the Ethernet header's first 16 bytes the destination MAC and the EtherType (the
 * version and TOS bytes are the IPv4 header's); of the IPv4 header's first 16 the version and header
 * length, TOS, MF and the fragment offset (frag_off & 0x3fff, big-endian), the protocol, the source
 * address. Loaded once a burst (V8 builds a v128 constant at each use in a loop: csum.ts CSUM_CONSTS).
 */
const LF_MASKS: usize = memory.data<u8>([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0,
  0xff, 0xff, 0, 0, 0, 0, 0x3f, 0xff, 0, 0xff, 0, 0, 0xff, 0xff, 0xff, 0xff], 16);

/** Network-order `a` is none of multicast (224/4), 255.255.255.255, 0.0.0.0, 127/8. */
@inline function plainUnicast(a: u32): bool {
  const b0 = a & 0xff;
  return (b0 & 0xf0) != 0xe0 && a != 0xffffffff && a != 0 && b0 != 127;
}

// ---- A burst at a time ----
//
// udp4_burst_demux decides the frames of a burst (eth.ts stack_rx_burst's, before any goes up) a stage
// at a time across all of them: which take the lean path (leanGate, leanLen), their UDP length and
// checksum, then the socket lookup level by level — the hash2 slot (its head, or a copy of the head's
// reuseport group: sock.ts H2_*), the head's score or the group's key, the member the flow hash picks
// (the slot's first line holds the group's key and first 16 members: slotPick4). With thousands of sockets
// each level is a cache miss (sock_prefetch.ts's reason); a level at a time, a tight pass first loads
// the level's lines for all frames (few instructions a frame, so many misses are in flight at once),
// then the stage's own work finds them in cache. With fewer sockets than SOCKS_DEEP the lines are in
// cache (or near) and those passes are skipped. The lookup is udp4_lookup_fast's short cut, staged: only while
// no UDP socket is connected and no sk_lookup program is attached, and only what a hash2 chain's head
// decides (a member of a group without a program or connected members, picked by reciprocal_scale of
// udp_ehashfn and not ESTABLISHED; a socket alone on its chain in no group); nothing is written but
// this worker's scratch. Then, frame by frame in their order, eth.ts hands each taken frame to
// udp4_burst_rcv: a socket found is queued as udp_rcv would queue it (udp4_queue_found); anything else
// the stages could not decide (UDP-Lite, a bad length or checksum, no socket, a head that does not
// score, a longer chain, a group with a program or connected members, a connected pick) goes through
// udp4_lean_rcv → udp_rcv, which decides it whole. A frame whose addresses and ports are those of the
// flow looked up last in the burst — its checksum and length checked as any — skips the levels and
// takes that frame's answer (LB_SAME: same input, same tables); an earlier flow coming back is looked
// up again (a table of the burst's flows, as udp6_lean.ts also kept once, cost more per frame than the lookups
// it saved: measured, bench udp 10k sockets 56.2 → 54.0 ns a datagram without it, 100k even); a frame with the last flow's addresses whose other header fields leanLen
// reads are those of a frame that passed (MAC, EtherType, version/IHL, TOS, protocol) is not asked them
// again, only its own (lastFlow: fragment, checksums, lengths — a burst from one sender is mostly such
// frames, of one flow or of many between the same two addresses), then its ports decide. Before queueing, one pass loads what the queueing writes (lbWarm). Frames in a row queued on one socket (one family) go in
// at once, the first one's call taking the run (udp.ts udp_queue_run: one hold of the socket, SO_RCVBUF
// and udp_mem decided per datagram in order; the others become LB_DONE); frames in a row that found
// sockets, not all one, likewise (udp_queue_burst: each as alone, in order; udp_mem reserved once for
// the row, the ready ring's tail kept in a local — with thousands of sockets most frames are in such rows). The tables are read once per burst, as a reader of
// sock.ts's tables may (the control plane publishes with single stores; a record is reused only after
// this worker's next quiescent point, reclaim.ts).
//
// Branches. With thousands of flows whether a frame repeats an earlier one of the burst, whether a
// socket's queue is empty and whether it is marked ready are coin tosses per frame, and a mispredicted
// branch (~15-20 cycles) costs more than doing both ways' work: those are selects (lbSame, sock.ts's
// enqueue), and the lookup's passes walk the list of the frames to look
// up (SCR_L4_KEYS +1024) rather than skipping the others (measured, bench udp: 10k sockets 77 → 60 ns
// a datagram, 100k 94 → 80). The one branch kept is "the last flow again", right for a whole burst
// with tens of sockets, wrong a few times in a hundred with thousands.
//
// Scratch (SCR_L4_BURST, abi.ts; sock_prefetch.ts uses it only for bursts where this took nothing):
//   +0   BURST_MAX × u32 per frame: 0 the full path | LB_UDP: udp_rcv | LB_SAME: as the frame at +256 |
//        LB_DONE: queued with its run | LB_HSLOT: the hash2 slot's address is at +256 | a record or
//        group address with its stage in the low 2 bits (LB_SOCK the socket found, LB_HEAD, LB_GROUP;
//        records and groups are 16-aligned, reclaim.ts)
//   +256 BURST_MAX × u32 per frame: the hash2 slot's address, then the address the head was looked up
//        with (the exact one, or 0 for the wildcard chain)
// and SCR_L4_KEYS (lbK): per frame 16 bytes of keys (saddr, daddr, ports), then the lookup's list

export const LB_UDP: u32 = 4; // below any record address (memoryBase): "lean IP, then udp_rcv"
export const LB_SAME: u32 = 2; // the flow of an earlier frame of the burst: its answer (its index at +256)
export const LB_DONE: u32 = 1; // queued with the run of frames before it (udp4_burst_rcv)
export const LB_HSLOT: u32 = 8;
export const LB_SOCK: u32 = 0;
export const LB_HEAD: u32 = 1;
export const LB_GROUP: u32 = 2;
export const LB_B: u32 = 256;
/**
 * Sockets live (all protocols) from which the levels are loaded ahead: 32768 records are 8 MiB, past
 * what this worker keeps of them in cache. Measured (wxdp bench udp, same runs): with 100k sockets the
 * passes ahead take 164 → 152 ns a datagram; with 10k (2.5 MiB of records, mostly in L2/L3) they cost
 * more than they save (112 → 120), as with tens of sockets. Still so on 12-06 (bench udp --quick, the
 * rows sampled in turns, 6 paired rounds at load 18–20): at 4096 the 10k row went 49.3 → 51.9 ns (v6 10k
 * even). Where 10k's lookup waits (perf, cpu-clock): half of udp4Lookup's samples on the hash2 slot's
 * first load, nearly all of lbWarm's on the records' line; asking for the slot three frames ahead on the
 * list within the one pass (a few instructions a frame) was slower too: 10k 49.4 → 51.2, 1/8 rounds won
 * (load 13–19). (LB_AHEAD 8 rather than 4: even, 6 rounds.) Again on 12-07 with the checksum's read of
 * the frame's second line gone (csum.ts ipUdp4ShortOk): the levels' passes for 10k too, 109.9 → 114.7
 * (in one process, 6 rounds at load ~12, 0 won).
 */
export const SOCKS_DEEP: u32 = 32768;

/** Keeps the loads of the passes ahead alive. */
let sink: u32 = 0;

@inline export function lbSink(s: u32): void {
  sink += s;
}

/**
 * Frames a first pass asks ahead for (lbAhead). A burst's headers sit at one offset of 2 KiB frames:
 * they share two L1 sets, so each is an L2 hit when the pass reaches it, and the checks after it wait
 * for it (the largest single stall of the pass, measured). Four frames ahead the line is in flight
 * while the frames before it are checked, and the lines asked for stay within the sets' 16 ways.
 * (8 ahead again after lastFlow's vector compare shortened the pass, 12-08 spu58 — perf put 22 % of
 * udp4Demux's samples on this load's sum: even, in one process, both orders, 16 rounds each at load
 * ~22: 10k 44.7 → 43.9 (5/16 won) and 47.0 → 47.0 (7/16), 100k 54.9 → 55.6 (3/16) and 58.6 → 58.9.)
 */
const LB_AHEAD: u32 = 4;

/**
 * udp4Demux's first pass asks ahead (lbAhead) only after a burst of many flows: LB_AHEAD_FLOWS or more
 * of its frames looked up (thousands of sockets: the lines the lookups and queues read evict the
 * headers, which the checks then wait for). After a burst of one or a few flows (tens of sockets), or of
 * none looked up (bench udp's stack without L4), the loads cost more than they save: measured, bench
 * udp --quick data path, 4+3 rounds interleaved against asking ahead always — 10 sockets 27.7–28.0 →
 * 26.5–27.2 ns, stack without L4 24.0–25.0 → 22.5–22.8 (22.2–22.7 before e82bb79 and 8cfb920), 10k and 100k
 * even. The answer is a guess for the next burst: a wrong one costs a few loads or a few waits, never a
 * different verdict. (IPv6's first pass asks ahead always: one flow measured ~1 ns slower without.)
 * Not asking ahead at all, 12-07 (the checksum no longer reading the frame's second line): 10k 102.5 →
 * 102.2 (3/6 won), 100k 120.8 → 125.1 (2/6), in one process at load ~12: kept. All the burst's header
 * lines loaded in a tight pass before the first (no lbAhead then), 12-07, 6 rounds in one process at
 * load ~20: 10k 108.3 → 109.5 (1/6 won), 100k 125.0 → 125.8 (3/6).
 */
const LB_AHEAD_FLOWS: u32 = 8;
/** The last burst udp4Demux decided looked up LB_AHEAD_FLOWS flows or more (its first pass asks ahead). */
let lbMany4 = false;

/**
 * The header line of frame `i` + LB_AHEAD of the `n` at `burst` (the last frame's past the end) loaded
 * now, for a first pass. (The words summed in a local and added to the global once a burst, not a load
 * and a store of it a frame: no gain — bench udp --quick, 8 alternating rounds, load 12-18: 10k 54.9 →
 * 52.2 ns with pairs either way, v6 10k 54.6 → 54.6, 10k +pass 63.7 → 66.7.)
 */
@inline export function lbAhead(burst: u32, i: u32, n: u32): void {
  const j = select<u32>(i + LB_AHEAD, n - 1, i + LB_AHEAD < n);
  sink += load<u32>(load<u32>(burst + (j << 3)), ETH_HLEN + IPH_SADDR);
}

@inline export function lbA(): u32 {
  return netScratch() + SCR_L4_BURST;
}

/**
 * The burst's keys (SCR_L4_KEYS, abi.ts): per frame the first pass found a UDP datagram for the lookup in, 16 bytes — +0 source address, +4 destination address, +8 the UDP ports word (as loaded: the
 * source port's bytes low). The passes after the first read these, not the frames: all of a burst's
 * headers sit at one page offset, so they share an L1 set and a pass over 64 of them misses it for each.
 */
@inline function lbK(): u32 {
  return netScratch() + SCR_L4_KEYS;
}

/** The burst's keys (lbK), for udp6_lean.ts: its frames' words there are its own (K6_*). */
@inline export function lbKeys(): u32 {
  return lbK();
}
const K_SADDR: u32 = 0;
const K_DADDR: u32 = 4;
const K_PORTS: u32 = 8;
/** +12 the UDP length (every frame a first pass checked, repeats too; IPv6's too): what the enqueue reads (lbUlens). */
const K_ULEN: u32 = 12;
/** After the keys: BURST_MAX × u32, the indices of the frames udp4Demux looks up, in order. */
const K_LIST: u32 = 1024;

/** The list of the frames to look up (udp6_lean.ts's too: its stage runs after IPv4's lookup is done). */
@inline export function lbList(): u32 {
  return lbK() + K_LIST;
}

/** The destination port (host order) of a ports word as loaded from a UDP header. */
@inline export function kDport(pp: u32): u32 {
  return <u32>bswap<u16>(<u16>(pp >> 16));
}

/** The source port (host order) of a ports word. */
@inline export function kSport(pp: u32): u32 {
  return <u32>bswap<u16>(<u16>pp);
}

/**
 * The first word of each head record the `m` frames listed at `L` were staged with (stage words at `A`):
 * their lines asked for in a pass of their own, the sum for lbSink.
 */
@inline export function headLines(A: u32, L: u32, m: u32): u32 {
  let s: u32 = 0;
  for (let j: u32 = 0; j < m; j++) {
    const a = load<u32>(A + (load<u32>(L + (j << 2)) << 2));
    if (staged(a, LB_HEAD)) s += load<u32>(a & ~3);
  }
  return s;
}

/** A frame's stage word `a` is a record or group address tagged `tag` (not a marker below 16). */
@inline export function staged(a: u32, tag: u32): bool {
  return a >= 16 && (a & 3) == tag;
}

/**
 * Decide the `n` frames at `burst` (BURST_MAX × (u32 data, u32 len), eth.ts) from ring device `ifindex`
 * (record `nd`): how many take the lean path. Reads only (and this worker's scratch).
 */
export function udp4_burst_demux(ifindex: u32, nd: u32, burst: u32, n: u32): u32 {
  v6Seen = 0;
  lbV6 = 0;
  lbLooked = false;
  lbBurst = burst;
  lbN = n;
  // When udp6_lean.ts took the whole of the last burst (an IPv6 service's traffic) IPv4's stage is left
  // out, as when its gate is closed: its first pass would read every header only to find IPv6 (each
  // pass over a burst's headers misses L1 on every frame: ~3 ns a frame, measured); an IPv4 frame
  // among them takes the full path, which decides what the lean one would (and the next burst is
  // IPv4's to look at again)
  let l: u32 = 0;
  if (v6WholeLast) {
    const A = lbA();
    for (let i: u32 = 0; i < n; i++) store<u32>(A + (i << 2), 0);
    v6Seen = 0xffffffff;
    lbV6 = 0xffffffffffffffff;
  } else l = udp4Demux(ifindex, nd, burst, n);
  // the burst's IPv6 frames (counted by udp4Demux's first pass; all of them when it had none): udp6_lean.ts
  const l6 = v6Seen != 0 ? udp6_burst_demux(ifindex, nd, burst, n) : 0;
  v6WholeLast = l6 == n && n != 0;
  if (lbLooked) lbWarm(lbA(), n);
  return l + l6;
}

/** udp6_burst_demux took every frame of the last burst udp4_burst_demux decided. */
let v6WholeLast = false;

/**
 * The line queueing writes, loaded for every frame a socket was found for, in one pass (their misses
 * overlap, not one after the other between frames): the socket's queue line. (The datagram's queue
 * record is in the line of its headers, just read: sock.ts QR_*.)
 * Where the L4 ns go (12-06, perf cpu-clock over one row alone, bench udp's workload): with 10k sockets
 * udp4Lookup ~9 ns a datagram (over a quarter on the hash2 slot's first load, most of the rest the flow
 * hash), the enqueue (sock.ts skEnqueueBurst) ~8, this pass ~5 (nearly all on the records' line); with
 * 100k this pass ~12, udp4Lookup ~18. The line loaded in udp4Lookup's own pass right after the pick
 * instead, its miss to overlap the next frames' hashing: 10k 48.1 → 63.0 ns (bench udp --quick, 6 rounds
 * interleaved, load 15-21; with sock.ts's two-list queue too, even alone) — a load that misses holds the reorder window, which then spans two or three
 * frames' lookups, where this pass's few instructions a frame keep many misses in flight.
 * Measured on 12-06 late (bench udp --quick data path ns, each variant a row of its own Datapath in the
 * same process, switched by a global, sampled in turns with the kept code's row and an A/A control row
 * (within 1.5 %), medians of paired rounds, load 7-9): without this pass, 10k 88.7 → 101.8 (6 rounds, 0
 * won) — it pays; a second loop here loading each found socket's queue tail record too (the line the
 * enqueue's link writes), 10k 66.5 → 68.3 (4 rounds, 0 won), 100k 79.3 → 82.0 (1/4), IPv6 100k 70.9 →
 * 74.3 (0/4); this pass for the first half of the list run between two halves of udp4Lookup (its misses
 * under the second half's hashing), 10k 88.7 → 91.5 (2/6 won).
 * 12-07, after the checksum stopped reading each frame's second line (perf cpu-clock, bench udp's
 * workload in one process with its reader, per datagram): 10k — udp4Demux ~19 ns (flat: ~220 hot
 * instructions, no single stall), udp4Lookup ~11 (3 of them on the slot's line 0, 1 on the member
 * bytes), skEnqueueBurst ~11 (its stores into the frame's record line and the record's line 1), this
 * pass ~7, napi/stack_rx_burst/udpFound ~7 more; 100k — udp4Demux ~17, udp4Lookup ~15 (6 of them the
 * slots' wave), this pass ~11, enqueue ~10. A datagram's dependent levels: its header (L2: the
 * generator wrote it; all of a burst's share one L1 set), the hash2 slot's line 0 (key + members), the
 * chosen record's line 1; lines written: the record's line 1, the frame's own header line (its QR
 * record), the queue's previous tail record when the queue is not empty, the ready ring's entry. The
 * records are 256-aligned from the slab: at 10k their line 1 falls in half of L2's sets (1024 of 2048,
 * measured by address), which with the reader's frames between bursts leaves many of them outside L2.
 */
function lbWarm(A: u32, n: u32): void {
  let s: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    const a = load<u32>(A + (i << 2));
    if (a >= 16) s += load<u32>(a + SK_RMEM);
  }
  sink += s;
}

/** Untagged IPv6 frames udp4Demux's first pass saw (u32::MAX: it made none). */
let v6Seen: u32 = 0;
/**
 * Bit i: frame i of the burst is untagged IPv6 (udp4Demux's first pass; all ones when it read no frame,
 * which then took none: every frame taken is udp6_lean.ts's). What udp4_burst_rcv and its runs ask of a
 * taken frame's family, without reading its header again (a burst's 64 headers share one L1 set: each
 * read is a miss).
 */
let lbV6: u64 = 0;

/** Frame `i` of the burst udp4_burst_demux decided (and took) is IPv6. */
@inline function lbIsV6(i: u32): bool {
  return ((lbV6 >> <u64>i) & 1) != 0;
}
/** The burst udp4_burst_demux decided (its (data, len) pairs) and its size, for udp4_burst_rcv's runs. */
let lbBurst: u32 = 0;
let lbN: u32 = 0;
/** A lookup ran for some frame of the burst (udp4Demux, udp6_lean.ts): lbWarm has sockets to warm. */
let lbLooked = false;

@inline export function lbLookedSet(): void {
  lbLooked = true;
}

function udp4Demux(ifindex: u32, nd: u32, burst: u32, n: u32): u32 {
  const A = lbA();
  const B = A + LB_B;
  // the short cut's conditions, once for the burst (udp4_lookup_fast reads them per datagram)
  const r = netRoot() != 0 ? l4Root() : 0;
  const t = r != 0 ? udpTables(r, IPPROTO_UDP) : 0;
  const fast = t != 0 && load<u32>(t + TB_CONNECTED) == 0 && !skLookupAttached() && protoHandler(false, IPPROTO_UDP) == PH_UDP;
  const h2 = fast ? load<u32>(t + TB_HASH2) : 0;
  const deep = fast && load<u32>(r + L4_LIVE) >= SOCKS_DEEP;
  const gate = leanGate(ifindex, nd);
  if (gate == 0) {
    for (let i: u32 = 0; i < n; i++) store<u32>(A + (i << 2), 0);
    v6Seen = 0xffffffff;
    lbV6 = 0xffffffffffffffff;
    return 0;
  }
  foreignValid = false;
  localValid = false;
  const mac4 = load<u32>(nd, ND_MAC);
  const mac2 = load<u16>(nd, ND_MAC + 4);
  let taken: u32 = 0;
  let slots: u32 = 0;
  let same: u32 = 0;
  // the first frame to take another's answer: lbSame runs from it (the lookup runs over its list: a
  // burst of one flow, as tens of sockets mostly see, looks up its first frame alone)
  let sameLo: u32 = 0;
  // the last flow given a hash2 slot: its frame, addresses and ports (the lookup's whole input with
  // the burst's device: a later frame of the flow gets the same answer, LB_SAME)
  const K = lbK();
  const L = K + K_LIST;
  let fi: u32 = 0xffffffff;
  let fs: u32 = 0;
  let fd: u32 = 0;
  let fp: u32 = 0;
  // the first 16 bytes of the Ethernet and of the IPv4 header of the latest frame that went to the last
  // flow (lastFlow compares them under LF_MASKS)
  let rh = v128.splat<i32>(0);
  let rp = v128.splat<i32>(0);
  const mh = v128.load(<u32>LF_MASKS);
  const mp = v128.load(<u32>LF_MASKS, 16);
  // the lean path's checks; UDP's length and checksum; the hash2 slot
  const ahead = lbMany4;
  // the checksum's constants (csum.ts csumIota)
  const iota = csumIota();
  const m16 = csumM16();
  for (let i: u32 = 0; i < n; i++) {
    const data = load<u32>(burst + (i << 3));
    if (ahead) lbAhead(burst, i, n);
    const flen = load<u32>(burst + (i << 3), 4);
    const ip = data + ETH_HLEN;
    const uh = ip + 20;
    let a: u32 = 0;
    // a datagram for the lookup below (its length and checksum checked)
    let look = false;
    // The last flow's addresses again, told by the bytes everything but the datagram's own checks and
    // its ports depend on — our MAC, the word at +12 and the protocol of a frame that passed them all,
    // the flow's addresses (leanLen's answers are functions of these and of what this pass does not
    // change; the ports only choose the socket): only the checks of the datagram's own fields are made
    // (lastFlow). Any of them failing, the frame goes the whole way, which decides it as any frame.
    // (A burst from one sender is mostly such frames: with tens of sockets one flow, with thousands
    // many flows between the same two addresses.)
    const h0 = v128.load(ip);
    const h1 = v128.load(ip, 16);
    if (fi != 0xffffffff && lastFlow(data, ip, flen, h0, h1, rh, rp, mh, mp, fd, iota, m16)) {
      taken++;
      const k = K + (i << 4);
      store<u32>(k, ldBe16(uh + 4), K_ULEN); // the length lastFlow checked, for the enqueue
      const pp = i32x4.extract_lane(h1, 1);
      if (pp == fp) {
        // its ports too: the last flow again (the answer of its frame), all of a burst with tens of sockets
        store<u32>(B + (i << 2), fi);
        store<u32>(A + (i << 2), LB_SAME);
        if (same == 0) sameLo = i;
        same++;
        continue;
      }
      // other ports: a lookup (its addresses the flow's)
      store<u32>(k, i32x4.extract_lane(h0, 3), K_SADDR);
      store<u32>(k, fd, K_DADDR);
      store<u32>(k, pp, K_PORTS);
      store<u32>(A + (i << 2), LB_HSLOT);
      store<u32>(L + (slots << 2), i);
      slots++;
      fi = i;
      fp = pp;
      continue;
    } else {
      const tot = leanLen(mac4, mac2, data, flen, gate);
      if (tot == 0) {
        const v6 = load<u16>(data, 12) == 0xdd86;
        v6Seen += <u32>v6;
        lbV6 |= <u64>v6 << <u64>i;
      } else {
        taken++;
        a = LB_UDP;
        if (fast && <u32>load<u8>(ip, IPH_PROTOCOL) == IPPROTO_UDP && tot >= 28) {
          const ulen = ldBe16(uh + 4);
          if (ulen >= 8 && ulen <= tot - 20 && udp4CsumOk(ip, uh, ulen)) {
            // for the enqueue, which then finds it in this worker's scratch rather than the frame's header
            store<u32>(K + (i << 4), ulen, K_ULEN);
            rh = v128.load(data);
            rp = h0;
            look = true;
          }
        }
      }
    }
    if (look) {
      const sa = load<u32>(ip, IPH_SADDR);
      const da = load<u32>(ip, IPH_DADDR);
      const pp = load<u32>(uh);
      if (fi != 0xffffffff && pp == fp && sa == fs && da == fd) {
        // the last flow again, after frames the lean path did not take (the answer of its frame)
        store<u32>(B + (i << 2), fi);
        a = LB_SAME;
        if (same == 0) sameLo = i;
        same++;
      } else {
        // a lookup: the frame's keys, and the frame on the list
        const k = K + (i << 4);
        store<u32>(k, sa, K_SADDR);
        store<u32>(k, da, K_DADDR);
        store<u32>(k, pp, K_PORTS);
        a = LB_HSLOT;
        store<u32>(L + (slots << 2), i);
        slots++;
        fi = i;
        fs = sa;
        fd = da;
        fp = pp;
      }
    }
    store<u32>(A + (i << 2), a);
  }
  lbMany4 = slots >= LB_AHEAD_FLOWS;
  if (slots == 0) return taken;
  lbLooked = true;
  udp4Lookup(A, B, K, L, slots, ifindex, h2, deep);
  if (same != 0) lbSame(A, sameLo, n);
  return taken;
}

/**
 * The frames marked LB_SAME (none before frame `lo`) take the answer of the frame whose flow they
 * repeat (a socket, or LB_UDP for whatever it did not decide): the lookup read the same tables with the
 * same input.
 */
export function lbSame(A: u32, lo: u32, n: u32): void {
  const B = A + LB_B;
  // without branches (udp4Demux says why): a frame not at LB_SAME reads frame 0's word and keeps its own
  for (let i = lo; i < n; i++) {
    const a = load<u32>(A + (i << 2));
    const s = a == LB_SAME;
    const r = load<u32>(A + (select<u32>(load<u32>(B + (i << 2)), 0, s) << 2));
    store<u32>(A + (i << 2), select<u32>(select<u32>(r, LB_UDP, r >= 16), a, s));
  }
}

/**
 * udp4Demux's lookup for the `m` frames listed at L. Below SOCKS_DEEP live sockets one pass decides a
 * frame whose slot names a group at once (its lines in cache or near: the levels' passes cost more in
 * loads and stores of the stage words than they save), staging only heads in no group. Past it, a level
 * at a time, for the `m` frames listed at L (their indices, in order; their
 * stage words at A, their keys at K: lbK's). A slot holds a copy of its head's reuseport group
 * (sock.ts H2_*): such a chain is decided from the slot, which holds the group's members' key — the
 * head's, what matches4 compares (sock.ts RGS_MIXED: not any more) — and its first 16 members in its
 * first line (slotPick4); only a head in no group is read itself. The passes run over the list, not the burst: with thousands of flows
 * the frames that repeat an earlier one (LB_SAME) fall anywhere, and a branch skipping them would be
 * mispredicted every few frames. (Below SOCKS_DEEP, the frames' exact slots loaded in a tight pass of
 * their own before the one pass — the slot index recomputed there, nothing stored: 10k 65.9 → 67.4 ns,
 * 8 rounds in one process beside the kept code, 1 won, load ~7, 12-06 late.)
 */
function udp4Lookup(A: u32, B: u32, K: u32, L: u32, m: u32, ifindex: u32, h2: u32, deep: bool): void {
  const secret = udpHashSecret();
  if (!deep) {
    // the lines are in cache or near (SOCKS_DEEP): one pass, each frame's levels in a row — a slot that
    // names a group is decided there; only heads in no group are staged for the passes below
    let heads: u32 = 0;
    // the destination's mix, kept while the burst's frames share the destination (they mostly do)
    let ma: u32 = load<u32>(K + (load<u32>(L) << 4), K_DADDR);
    let mw = addrHash4(ma);
    for (let j: u32 = 0; j < m; j++) {
      const i = load<u32>(L + (j << 2));
      const k = K + (i << 4);
      const pp = load<u32>(k, K_PORTS);
      const dport = kDport(pp);
      let laddr = load<u32>(k, K_DADDR);
      if (laddr != ma) {
        ma = laddr;
        mw = addrHash4(laddr);
      }
      let slot = h2 + (hash2OfWord4(mw, dport) << H2_SHIFT);
      if (slotEmpty(slot)) {
        slot = h2 + (hash2Of4(0, dport) << H2_SHIFT);
        laddr = 0;
      }
      store<u32>(B + (i << 2), laddr);
      const head = load<u16>(slot + H2_NUM) != 0 ? 0 : load<u32>(slot + H2_HEAD);
      if (head == 0 && load<u16>(slot + H2_NUM) != 0) {
        const sk = slotPick4(slot, laddr, load<u32>(k, K_SADDR), pp, ifindex, secret);
        store<u32>(A + (i << 2), sk != 0 ? sk : LB_UDP);
      } else if (head != 0) {
        store<u32>(A + (i << 2), head | LB_HEAD);
        heads++;
      } else store<u32>(A + (i << 2), LB_UDP);
    }
    if (heads != 0) udp4LookupHeads(A, B, K, L, m, ifindex, 0);
    return;
  }
  let s: u32 = 0;
  // the exact slots, then asked for at once in a pass of their own: the most misses in flight
  for (let j: u32 = 0; j < m; j++) {
    const i = load<u32>(L + (j << 2));
    const k = K + (i << 4);
    store<u32>(B + (i << 2), h2 + (hash2Of4(load<u32>(k, K_DADDR), kDport(load<u32>(k, K_PORTS))) << H2_SHIFT));
  }
  for (let j: u32 = 0; j < m; j++) s += load<u32>(load<u32>(B + (load<u32>(L + (j << 2)) << 2)));
  // the slots' heads, and the picks of the slots that name a group, from the slot's copy of it (the
  // wildcard slot's when the exact one is empty)
  let heads: u32 = 0;
  for (let j: u32 = 0; j < m; j++) {
    const i = load<u32>(L + (j << 2));
    const k = K + (i << 4);
    let slot = load<u32>(B + (i << 2));
    let laddr = load<u32>(k, K_DADDR);
    const pp = load<u32>(k, K_PORTS);
    if (slotEmpty(slot)) {
      slot = h2 + (hash2Of4(0, kDport(pp)) << H2_SHIFT);
      laddr = 0;
    }
    store<u32>(B + (i << 2), laddr);
    const head = load<u16>(slot + H2_NUM) != 0 ? 0 : load<u32>(slot + H2_HEAD);
    if (head == 0 && load<u16>(slot + H2_NUM) != 0) {
      // the pick: not ESTABLISHED, its group having no connected member (sk_connect sets RG_HAS_CONNS
      // before the state, and nothing clears it), so none is skipped; what its enqueue reads (line 1 of
      // the record alone: sock.ts SKX_HIT) lbWarm loads for all of them in one pass
      const sk = slotPick4(slot, laddr, load<u32>(k, K_SADDR), pp, ifindex, secret);
      store<u32>(A + (i << 2), sk != 0 ? sk : LB_UDP);
    } else if (head != 0) {
      store<u32>(A + (i << 2), head | LB_HEAD);
      heads++;
    } else store<u32>(A + (i << 2), LB_UDP);
  }
  if (heads != 0) s += headLines(A, L, m);
  if (heads != 0) udp4LookupHeads(A, B, K, L, m, ifindex, s);
  else lbSink(s);
}

/**
 * udp4Lookup's heads in no group (their stage words at A: LB_HEAD; B: the address each chain was walked
 * with): do they take the datagram at all (compute_score ≥ 1), and are they alone. A head that is in a
 * group after all (it joined one since the slot was read: the slot names it now) is left to udp_rcv.
 * `s`: the sum of the loads ahead so far, for lbSink.
 */
function udp4LookupHeads(A: u32, B: u32, K: u32, L: u32, m: u32, ifindex: u32, s: u32): void {
  for (let j: u32 = 0; j < m; j++) {
    const i = load<u32>(L + (j << 2));
    const a = load<u32>(A + (i << 2));
    if (!staged(a, LB_HEAD)) continue;
    const head = a & ~3;
    const k = K + (i << 4);
    const pp = load<u32>(k, K_PORTS);
    let next = LB_UDP;
    if (matches4(head, load<u32>(k, K_SADDR), kSport(pp), load<u32>(B + (i << 2)), kDport(pp), ifindex) &&
      load<u32>(head + SK_REUSEPORT_GROUP) == 0 && load<u32>(head + SKX_NEXT2) == 0) next = head | LB_SOCK;
    store<u32>(A + (i << 2), next);
  }
  sink += s;
}

/**
 * Hash2 slot `slot` has no chain (the lookup goes on with the wildcard slot's): no group in its copy (line
 * 0, the line the pick reads) and no head (line 1, read only then).
 */
@inline export function slotEmpty(slot: u32): bool {
  return load<u16>(slot + H2_NUM) == 0 && load<u32>(slot + H2_HEAD) == 0;
}

/**
 * The hash2 slot `slot` names a reuseport group (no program, no connected members) whose key matches as
 * the chain's head would (port, bound address `laddr` — the one the chain was walked with —, not
 * IPV6_V6ONLY, device; no member has a peer while none connected): the chain's first scoring socket is
 * in it, and reuseport_select_sock_by_hash's first pick decides — that member, read from the slot's copy
 * of the group (sock.ts H2_*: the group's own lines are not read, but its device with RGS_DEV, or a
 * member past the copy's from the member array); 0 when the group does not decide or the copy was being
 * written (h2SeqRetry). The datagram's source `saddr`, its ports word `pp` (as loaded), from `ifindex`.
 */
@inline function slotPick4(slot: u32, laddr: u32, saddr: u32, pp: u32, ifindex: u32, secret: u32): u32 {
  const seq = h2SeqBegin(slot);
  const k = <u32>load<u16>(slot + H2_NUM);
  const dport = kDport(pp);
  // the key word without branches between its tests (with thousands of groups all of them pass): RG_RCV4,
  // RG_PORT, RG_V6ONLY the address the chain was walked with, the port, not IPV6_V6ONLY; RG_SLOW (the
  // top byte) nothing but RGS_DEV, whose device (the group's line 1) is asked only then
  if (RG_PORT != RG_RCV4 + 4 || RG_V6ONLY != RG_RCV4 + 6 || RG_SLOW != RG_RCV4 + 7) ERROR('slotPick4: the group key words moved');
  const off = load<u64>(slot + H2_KEY) ^ (<u64>laddr | (<u64>dport << 32));
  if ((<u32>((off & ~(<u64>RGS_DEV << 56)) == 0) & <u32>(k != 0)) == 0) return 0;
  if ((off >> 56) != 0 && load<u32>(load<u32>(slot + H2_GROUP) + RG_DEV) != ifindex) return 0;
  // udpEhash4s with the source port as loaded (its bytes swapped twice there). (What it costs: a probe
  // with two multiplies in its place, not the kernel's hash, took bench udp --quick's 10k sockets from
  // 48.5 to 45.3 ns a datagram, 100k 61.6 → 59.3, 8 rounds interleaved at load ~10. The burst's hashes
  // four at a time in i32x4 lanes, the same arithmetic, in a pass before the lookup's: even, 12 rounds
  // at load ~8, 10k 46.4 → 46.2: __jhash_final's chain of dependent steps is as long in the lanes. The
  // hash of a listed frame computed in udp4Demux's first pass instead, under its header misses, stored
  // at +256 and taken here when the exact chain is walked: even, 12-06 late, 10 rounds in one process
  // beside an A/A row at load ~8, 10k 68.7 → 69.0. The hash's arithmetic is not what the lookup waits on.
  // The exact slot's line loaded in udp4Demux's first pass as a frame of the last flow with other ports
  // goes on the list (addrHash4 of the flow's destination kept, the loads summed for lbSink), 12-08
  // spu58, the builds in one process, both orders, 16 rounds each at load ~20: 10k 46.2 → 47.6 (6/16
  // won) and 49.8 → 47.0 (13/16), 100k 57.1 → 80.9 (0/16) and 60.0 → 82.1 (1/16), 10 sockets 24.7 →
  // 25.7 (4/16).)
  const hash = jhash3w(laddr, saddr, (dport << 16) | (pp & 0xffff), secret);
  const x = <u32>((<u64>hash * <u64>k) >> 32);
  // the copy's members or, past them, the array's (line 1 of the slot, then the array's line)
  const sk = x < H2_INLINE ? h2Member(slot, x) : load<u32>(load<u32>(slot + H2_SOCKS) + (x << 2));
  return h2SeqRetry(slot, seq) ? 0 : sk;
}

/**
 * Frame `i` and the frames right after it that found the same socket `a` in the same
 * family: queued at once, under one hold of the socket, each decided in order as alone (udp.ts
 * udp_queue_run); the others become LB_DONE. false (nothing done) when the next one is of the other
 * family (a dual-stack socket).
 */
function udpRun(ifindex: u32, q: u32, i: u32, a: u32): bool {
  const A = lbA();
  const v6 = lbIsV6(i);
  let k: u32 = 1;
  while (i + k < lbN && load<u32>(A + ((i + k) << 2)) == a && lbIsV6(i + k) == v6) {
    store<u32>(A + ((i + k) << 2), LB_DONE);
    k++;
  }
  if (k == 1) return false;
  mibAdd(v6 ? MIB_IP6_IN_RECEIVES : MIB_IP_IN_RECEIVES, <u64>k);
  mibAdd(v6 ? MIB_IP6_IN_DELIVERS : MIB_IP_IN_DELIVERS, <u64>k);
  udp_queue_run(a, q, lbBurst + (i << 3), A + LB_B + (i << 2), k, ifindex, v6, lbUlens(i));
  return true;
}

/**
 * Frame `i` and the frames right after it that found a socket each (not all the same one) in
 * the same family: queued one after the other in their order, each as alone (udp.ts udp_queue_burst), the
 * counters added once; the others become LB_DONE. false (nothing done) when the next one is of the other
 * family.
 */
function udpMixedRun(ifindex: u32, q: u32, i: u32): bool {
  const A = lbA();
  const v6 = lbIsV6(i);
  let k: u32 = 1;
  while (i + k < lbN && load<u32>(A + ((i + k) << 2)) >= 16 && lbIsV6(i + k) == v6) k++;
  if (k == 1) return false;
  mibAdd(v6 ? MIB_IP6_IN_RECEIVES : MIB_IP_IN_RECEIVES, <u64>k);
  mibAdd(v6 ? MIB_IP6_IN_DELIVERS : MIB_IP_IN_DELIVERS, <u64>k);
  udp_queue_burst(q, lbBurst + (i << 3), A + (i << 2), A + LB_B + (i << 2), k, ifindex, v6, lbUlens(i));
  for (let j: u32 = 1; j < k; j++) store<u32>(A + ((i + j) << 2), LB_DONE);
  return true;
}

/** Frame `i` of the burst was queued and counted with the run of frames before it (udp4_burst_rcv does nothing for it). */
@inline export function udp4BurstDone(i: u32): bool {
  return load<u32>(lbA() + (i << 2)) == LB_DONE;
}

/**
 * The UDP lengths of frame `i` and those after it (stride 16: K_ULEN, which udp4Demux and
 * udp6_burst_demux write for every frame they check) for the enqueue. All of a burst's headers share
 * one L1 set (lbK says why): a length from the frame was a miss a datagram there.
 */
@inline function lbUlens(i: u32): u32 {
  return lbK() + (i << 4) + K_ULEN;
}

/** Frame `i`'s UDP length for the enqueue (lbUlens), from udp6_burst_demux's first pass. */
@inline export function lbUlenSet(i: u32, ulen: u32): void {
  store<u32>(lbUlens(i), ulen);
}

/** Frame `i` of the burst udp4_burst_demux decided takes the lean path. */
@inline export function udp4BurstTaken(i: u32): bool {
  return load<u32>(lbA() + (i << 2)) != 0;
}

/**
 * Frame `i` of the burst (Ethernet header at `data`), taken by udp4_burst_demux, from `ifindex` queue
 * `q`: counted as ipv4_rcv and ip_local_deliver count it, then queued on the socket found, or udp_rcv.
 * Takes the frame.
 */
export function udp4_burst_rcv(ifindex: u32, q: u32, i: u32, data: u32): void {
  const a = load<u32>(lbA() + (i << 2));
  if (a == LB_DONE) return; // queued and counted with the run it is in
  if (a >= 16) {
    udpFound(ifindex, q, i, a, data);
    return;
  }
  if (lbIsV6(i)) {
    udp6_burst_rcv(ifindex, q, a, data);
    return;
  }
  const ip = data + ETH_HLEN;
  udp4_lean_rcv(ifindex, q, ip, ldBe16(ip + IPH_TOT_LEN));
}

/** Frame `i` (at `data`) of the burst, for whose datagram the burst's lookup found socket `a`: queued. */
function udpFound(ifindex: u32, q: u32, i: u32, a: u32, data: u32): void {
  // the frame right after it found the same socket: a run; another socket: a mixed run
  if (i + 1 < lbN) {
    const b = load<u32>(lbA() + ((i + 1) << 2));
    if (b == a ? udpRun(ifindex, q, i, a) : b >= 16 && udpMixedRun(ifindex, q, i)) return;
  }
  if (lbIsV6(i)) {
    udp6_burst_rcv(ifindex, q, a, data);
    return;
  }
  const ip = data + ETH_HLEN;
  mibInc(MIB_IP_IN_RECEIVES);
  mibInc(MIB_IP_IN_DELIVERS);
  udp4_queue_found(a, q, ip, load<u32>(lbUlens(i)), ifindex);
}
