// Warming the UDP demux for a burst: before the frames of a burst go up the stack one by one, the
// memory each IPv4 UDP datagram's socket lookup and enqueue will read is loaded for all of them at
// once, a level at a time across the burst (fib_prefetch.ts does the same for the FIB, and says why).
//
// With thousands of sockets the demux is a chain of dependent loads: the hash2 slot, the chain head's
// record (three lines, sock.ts), its reuseport group, the group's member array, the chosen member's
// record, the record of its queue's last datagram (sock.ts QR_*). One datagram at a time each waits for memory (10k-100k
// sockets: +300-800 ns a datagram); a level at a time over the burst the loads of a level are
// independent and overlap.
//
// Only for bursts the lean local receive took nothing of (udp_lean.ts decides those a level at a time
// itself, with the lookup's own loads): frames the full path takes, e.g. with rp_filter on or a netfilter
// hook registered. Only with enough sockets that their records may have left the cache (SOCKS_DEEP): with tens of
// sockets everything is in cache and the pass is pure cost. (A frame's own queue record is in the line of
// its headers, which the stack reads anyway.)
//
// Only a guess of what the lookup will read: the head of the (address, port) slot, its group's choice
// by the flow hash (no SK_REUSEPORT program, connected members not skipped), no hash4, no wildcard
// slot. A wrong guess costs loads, never a different answer: nothing here is written but this worker's
// scratch, and everything read is what a lookup may read (records reclaimed only after this worker's
// next quiescent point, reclaim.ts).
//
// Reads: the frames, the UDP tables, socket records, reuseport groups, queued datagrams' records.
// Sets: this worker's scratch (SCR_L4_BURST, abi.ts: BURST_MAX × u32 record or group per frame, then
// BURST_MAX × u32 member array or member index; apart from SCR_BURST, whose answers the FIB keeps).
// Next: the caller's per-frame path (eth.ts).

import { netScratch } from './core';
import { SCR_L4_BURST, SK_REUSEPORT_GROUP, SK_RMEM, SK_STATE } from './abi';
import { IPPROTO_UDP, ldBe16 } from './inet';
import { H2_HEAD, H2_SHIFT, L4_LIVE, rgNum, RG_PROG, RG_SOCKS, SKX_QTAIL, SKX_RCV4, TB_CONNECTED, TB_HASH2, l4Root, udpTables } from './sock';
import { hash2Of4, udpEhash4 } from './sock_lookup';

const ETH_HLEN: u32 = 14;
const PS_A: u32 = 0;
const PS_B: u32 = 256;
/** Sockets live (all protocols) from which the lookups are warmed: 1024 records are 256 KiB. */
const SOCKS_DEEP: u32 = 1024;

/** Keeps the warm-up loads alive. */
let sink: u32 = 0;

/**
 * Warm the demux for the `n` frames at `burst` (BURST_MAX × (u32 data, u32 len), eth.ts): the untagged,
 * unfragmented IPv4 UDP ones with a whole header. Nothing while fewer than SOCKS_DEEP sockets live, or
 * while some UDP ones are connected (the lookup then walks hash4 first; not guessed).
 */
export function udp4_prefetch(burst: u32, n: u32): void {
  const r = l4Root();
  if (r == 0) return;
  const t = udpTables(r, IPPROTO_UDP);
  if (t == 0 || load<u32>(t + TB_CONNECTED) != 0) return;
  const h2 = load<u32>(t + TB_HASH2);
  if (load<u32>(r + L4_LIVE) < SOCKS_DEEP) return;
  const a = netScratch() + SCR_L4_BURST + PS_A;
  const b = a + (PS_B - PS_A);
  let s: u32 = 0;
  let m: u32 = 0;
  // the slots' heads
  for (let i: u32 = 0; i < n; i++) {
    const data = load<u32>(burst + (i << 3));
    const len = load<u32>(burst + (i << 3), 4);
    store<u32>(a + (i << 2), 0);
    if (len < ETH_HLEN + 28 || load<u16>(data, 12) != 0x0008) continue;
    const ihl = (<u32>load<u8>(data, ETH_HLEN) & 0xf) << 2;
    if (ihl < 20 || len < ETH_HLEN + ihl + 8 || <u32>load<u8>(data, ETH_HLEN + 9) != IPPROTO_UDP) continue;
    if ((ldBe16(data + ETH_HLEN + 6) & 0x1fff) != 0) continue;
    const uh = data + ETH_HLEN + ihl;
    store<u32>(a + (i << 2), load<u32>(h2 + (hash2Of4(load<u32>(data, ETH_HLEN + 16), ldBe16(uh + 2)) << H2_SHIFT) + H2_HEAD));
    m++;
  }
  if (m == 0) return;
  // the heads' records (the lines a lookup scores and the group pointer); then their groups
  for (let i: u32 = 0; i < n; i++) {
    const sk = load<u32>(a + (i << 2));
    if (sk == 0) continue;
    s += <u32>load<u8>(sk) + load<u32>(sk + SKX_RCV4);
    store<u32>(a + (i << 2), load<u32>(sk + SK_REUSEPORT_GROUP));
  }
  // the groups: their member arrays and the member the flow hash picks
  for (let i: u32 = 0; i < n; i++) {
    const g = load<u32>(a + (i << 2));
    store<u32>(b + (i << 2), 0);
    if (g == 0) continue;
    const k = rgNum(g);
    if (k == 0 || load<u32>(g + RG_PROG) != 0) {
      store<u32>(a + (i << 2), 0);
      continue;
    }
    const data = load<u32>(burst + (i << 3));
    const uh = data + ETH_HLEN + ((<u32>load<u8>(data, ETH_HLEN) & 0xf) << 2);
    const hash = udpEhash4(load<u32>(data, ETH_HLEN + 16), ldBe16(uh + 2), load<u32>(data, ETH_HLEN + 12), ldBe16(uh));
    store<u32>(a + (i << 2), load<u32>(g + RG_SOCKS));
    store<u32>(b + (i << 2), <u32>((<u64>hash * <u64>k) >> 32));
  }
  for (let i: u32 = 0; i < n; i++) {
    const arr = load<u32>(a + (i << 2));
    if (arr != 0) store<u32>(a + (i << 2), load<u32>(arr + (load<u32>(b + (i << 2)) << 2)));
  }
  // the members' records (state, rmem / rcvbuf, queue) and their queues' last records
  for (let i: u32 = 0; i < n; i++) {
    const sk = load<u32>(a + (i << 2));
    if (sk == 0) continue;
    s += <u32>load<u8>(sk + SK_STATE) + load<u32>(sk + SK_RMEM);
    store<u32>(a + (i << 2), load<u32>(sk + SKX_QTAIL));
  }
  for (let i: u32 = 0; i < n; i++) {
    const f = load<u32>(a + (i << 2));
    if (f != 0) s += load<u32>(f);
  }
  sink += s;
}
