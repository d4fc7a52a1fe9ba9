// Reassembly for local delivery, driven through ip_defrag / ipv6_defrag with fragments built by hand.
// Expected values come from RFC 791 / 815 / 8200 / 5722 / 7112 / 3168 and the kernel's rules
// (net/ipv4/ip_fragment.c, inet_fragment.c, net/ipv6/reassembly.c) worked out by hand per case.

import { describe, expect, it } from 'vitest';
import { frag4, Harness, inetChecksum, ipv4, ipv6frag, pattern, udp, type V4 } from './frag_support.js';

const TRUESIZE = 4096 + 256; // a fragment held in a 4 KiB frame, as SKB_TRUESIZE(4096 - 320)
const QSIZE4 = 200;
const QSIZE6 = 184;

/** The datagram the fragments of `p` make: its header with offset 0, no MF. */
const whole = (p: V4): Uint8Array => ipv4({ ...p, offset: 0, mf: false });

describe('IPv4 reassembly (ip_defrag)', () => {
  const dgram: V4 = { id: 0x4242, proto: 17, payload: pattern(3000) };

  it('reassembles fragments that come in order into one datagram with a fresh header and checksum', async () => {
    const h = await Harness.create();
    const pool = h.poolFree();
    expect(h.defrag4(frag4(dgram, 0, 1480, false))).toBeNull();
    expect(h.defrag4(frag4(dgram, 1480, 1480, false))).toBeNull();
    const out = h.defrag4(frag4(dgram, 2960, 40, true));
    expect(out).not.toBeNull();
    expect(Buffer.from(out!)).toEqual(Buffer.from(whole(dgram)));
    expect(inetChecksum(out!.subarray(0, 20))).toBe(0);
    expect([...h.lastEth]).toEqual([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 8, 0]);
    const m = h.mib();
    expect([m['Ip:ReasmReqds'], m['Ip:ReasmOKs'], m['Ip:ReasmFails']]).toEqual([3, 1, 0]);
    expect(h.drops()).toEqual({});
    expect(h.poolFree()).toBe(pool); // every fragment's frame and the result's came back
    expect(h.x.reasm_queues()).toBe(0);
    expect(h.x.reasm_mem(2)).toBe(0);
  });

  it('reassembles out of order (last first, then the middle, then the first)', async () => {
    const h = await Harness.create();
    expect(h.defrag4(frag4(dgram, 2960, 40, true))).toBeNull();
    expect(h.defrag4(frag4(dgram, 1480, 1480, false))).toBeNull();
    expect(Buffer.from(h.defrag4(frag4(dgram, 0, 1480, false))!)).toEqual(Buffer.from(whole(dgram)));
  });

  it('uses the first fragment\'s header, options included, and the last fragment\'s device', async () => {
    const h = await Harness.create();
    // A first fragment with a timestamp option (type 68, not copied) and NOPs to a 32-bit boundary.
    const opts = [68, 8, 5, 0, 0, 0, 0, 0];
    const p: V4 = { ...dgram, options: opts, ttl: 17 };
    expect(h.defrag4(frag4({ ...dgram, ttl: 99 }, 1480, 1520, true))).toBeNull();
    const out = h.defrag4(frag4(p, 0, 1480, false))!;
    expect(Buffer.from(out)).toEqual(Buffer.from(whole(p)));
    expect(out[0]).toBe(0x47);
    expect(out[8]).toBe(17);
  });

  it('drops a duplicate and keeps the queue (DUP_FRAG)', async () => {
    const h = await Harness.create();
    const pool = h.poolFree();
    expect(h.defrag4(frag4(dgram, 0, 1480, false))).toBeNull();
    expect(h.defrag4(frag4(dgram, 0, 1480, false))).toBeNull();
    expect(h.drops()).toEqual({ DUP_FRAG: 1 });
    expect(h.defrag4(frag4(dgram, 1480, 1480, false))).toBeNull();
    expect(Buffer.from(h.defrag4(frag4(dgram, 2960, 40, true))!)).toEqual(Buffer.from(whole(dgram)));
    expect(h.mib()['Ip:ReasmFails']).toBe(0);
    expect(h.poolFree()).toBe(pool);
  });

  it('counts a fragment inside a run of adjacent ones as a duplicate, but one across two runs as an overlap', async () => {
    const small: V4 = { id: 7, payload: pattern(48) };
    // In order: [0,8) then [8,16) join one run; [0,16) lies inside it.
    let h = await Harness.create();
    h.defrag4(frag4(small, 0, 8, false));
    h.defrag4(frag4(small, 8, 8, false));
    h.defrag4(frag4(small, 0, 16, false));
    expect(h.drops()).toEqual({ DUP_FRAG: 1 });
    expect(h.x.reasm_queues()).toBe(1);
    // Reversed: [8,16) then [0,8) make two runs; [0,16) meets both: the datagram is discarded.
    h = await Harness.create();
    h.defrag4(frag4(small, 8, 8, false));
    h.defrag4(frag4(small, 0, 8, false));
    h.defrag4(frag4(small, 0, 16, false));
    expect(h.drops()).toEqual({ FRAG_INVALID: 3 });
    expect(h.mib()['Ip:ReasmFails']).toBe(1);
    expect(h.x.reasm_queues()).toBe(0);
  });

  it('discards the whole datagram on an overlap (FragmentSmack) and starts over with the next fragment', async () => {
    const h = await Harness.create();
    const pool = h.poolFree();
    h.defrag4(frag4(dgram, 0, 1480, false));
    h.defrag4(frag4(dgram, 1472, 1480, false)); // starts 8 bytes inside the first
    expect(h.drops()).toEqual({ FRAG_INVALID: 2 });
    expect(h.mib()['Ip:ReasmFails']).toBe(1);
    expect(h.x.reasm_queues()).toBe(0);
    expect(h.poolFree()).toBe(pool);
    // What follows makes a new queue, which a later whole set completes.
    h.defrag4(frag4(dgram, 2960, 40, true));
    h.defrag4(frag4(dgram, 0, 1480, false));
    expect(Buffer.from(h.defrag4(frag4(dgram, 1480, 1480, false))!)).toEqual(Buffer.from(whole(dgram)));
  });

  it('trims a non-final fragment to a multiple of 8 and discards one left empty (RFC 791)', async () => {
    const p: V4 = { id: 9, payload: pattern(40) };
    let h = await Harness.create();
    // [0,12) with MF keeps [0,8); bytes 8..11 come from the next fragment instead.
    h.defrag4(frag4(p, 0, 12, false));
    const out = h.defrag4(frag4(p, 8, 32, true));
    expect(Buffer.from(out!)).toEqual(Buffer.from(whole(p)));
    // A 7-byte fragment with MF is nothing after the trim: the queue goes.
    h = await Harness.create();
    h.defrag4(frag4(p, 0, 7, false));
    expect(h.drops()).toEqual({ FRAG_INVALID: 1 });
    expect(h.mib()['Ip:ReasmFails']).toBe(1);
  });

  it('discards a datagram whose end is contradicted (a second last fragment, data past the end)', async () => {
    const p: V4 = { id: 10, payload: pattern(64) };
    let h = await Harness.create();
    h.defrag4(frag4(p, 32, 32, true)); // ends at 64
    h.defrag4(frag4(p, 16, 32, true)); // a last fragment ending at 48 < 64
    expect(h.drops()).toEqual({ FRAG_INVALID: 2 });
    h = await Harness.create();
    h.defrag4(frag4(p, 8, 8, true)); // ends at 16
    h.defrag4(frag4(p, 16, 16, false)); // MF data beyond the end
    expect(h.drops()).toEqual({ FRAG_INVALID: 2 });
    expect(h.mib()['Ip:ReasmFails']).toBe(1);
  });

  it('keeps queues apart by source, destination, ID and protocol', async () => {
    const h = await Harness.create();
    const a: V4 = { id: 5, proto: 17, payload: pattern(16, 1) };
    const b: V4 = { id: 5, proto: 6, payload: pattern(16, 2) };
    const c: V4 = { id: 5, proto: 17, src: '198.51.100.9', payload: pattern(16, 3) };
    h.defrag4(frag4(a, 0, 8, false));
    h.defrag4(frag4(b, 0, 8, false));
    h.defrag4(frag4(c, 0, 8, false));
    expect(h.x.reasm_queues()).toBe(3);
    expect(Buffer.from(h.defrag4(frag4(b, 8, 8, true))!)).toEqual(Buffer.from(whole(b)));
    expect(Buffer.from(h.defrag4(frag4(c, 8, 8, true))!)).toEqual(Buffer.from(whole(c)));
    expect(Buffer.from(h.defrag4(frag4(a, 8, 8, true))!)).toEqual(Buffer.from(whole(a)));
  });

  it('times out after ipfrag_time on the stack clock, dropping every fragment (FRAG_REASM_TIMEOUT)', async () => {
    const h = await Harness.create();
    const pool = h.poolFree();
    h.sysctl('IPFRAG_TIME', 5);
    h.defrag4(frag4(dgram, 0, 1480, false));
    h.advance(2000);
    h.defrag4(frag4(dgram, 2960, 40, true)); // does not restart the timer (RFC 791 says it should; the kernel does not)
    h.advance(2999);
    expect(h.x.reasm_queues()).toBe(1);
    h.advance(1);
    expect(h.x.reasm_queues()).toBe(0);
    const m = h.mib();
    expect([m['Ip:ReasmTimeout'], m['Ip:ReasmFails'], m['Ip:ReasmOKs']]).toEqual([1, 1, 0]);
    expect(h.drops()).toEqual({ FRAG_REASM_TIMEOUT: 2 });
    expect(h.poolFree()).toBe(pool);
    expect(h.x.reasm_mem(2)).toBe(0);
    // The missing middle fragment now starts a queue of its own.
    h.defrag4(frag4(dgram, 1480, 1480, false));
    expect(h.x.reasm_queues()).toBe(1);
  });

  it('expires queues in the order their timers were set, whatever ipfrag_time was then', async () => {
    const h = await Harness.create();
    h.sysctl('IPFRAG_TIME', 30);
    h.defrag4(frag4({ ...dgram, id: 1 }, 0, 8, false)); // expires at 30 s
    h.sysctl('IPFRAG_TIME', 10);
    h.defrag4(frag4({ ...dgram, id: 2 }, 0, 8, false)); // expires at 10 s
    h.advance(10_000);
    expect(h.x.reasm_queues()).toBe(1);
    h.advance(20_000);
    expect(h.x.reasm_queues()).toBe(0);
    expect(h.mib()['Ip:ReasmTimeout']).toBe(2);
  });

  it('refuses fragments while the memory is above ipfrag_high_thresh (truesize accounting)', async () => {
    const h = await Harness.create();
    // One queue (200) and fragments of 4352 each: 4552, 8904, 13256. The check is "above", before the
    // fragment is added, so the third is taken (8904 <= 10000) and the fourth is not (13256 > 10000).
    h.sysctl('IPFRAG_HIGH_THRESH', 10_000);
    const p: V4 = { id: 11, payload: pattern(64) };
    for (let i = 0; i < 3; i++) h.defrag4(frag4(p, i * 8, 8, false));
    expect(h.x.reasm_mem(2)).toBe(QSIZE4 + 3 * TRUESIZE);
    h.defrag4(frag4(p, 24, 8, false));
    expect(h.drops()).toEqual({ FRAG_MEM: 1 });
    // A new datagram is refused as well, and so is the fragment that would have completed the first.
    h.defrag4(frag4({ ...p, id: 12 }, 0, 8, false));
    expect(h.defrag4(frag4(p, 24, 40, true))).toBeNull();
    expect(h.drops()).toEqual({ FRAG_MEM: 3 });
    expect(h.mib()['Ip:ReasmFails']).toBe(3);
    expect(h.mib()['Ip:ReasmReqds']).toBe(6);
    // Raising the threshold lets the datagram complete; a threshold of 0 refuses everything.
    h.sysctl('IPFRAG_HIGH_THRESH', 4194304);
    expect(Buffer.from(h.defrag4(frag4(p, 24, 40, true))!)).toEqual(Buffer.from(whole(p)));
    h.sysctl('IPFRAG_HIGH_THRESH', 0);
    h.defrag4(frag4(p, 0, 8, false));
    expect(h.drops().FRAG_MEM).toBe(4);
    expect(h.x.reasm_queues()).toBe(0);
  });

  it('reassembles a datagram of 65,535 bytes into a big frame and refuses one byte more', async () => {
    const h = await Harness.create(64);
    const step = 3480; // fits a 4 KiB frame with its header
    const send = (p: V4, total: number): Uint8Array | null => {
      let out: Uint8Array | null = null;
      for (let off = 0; off < total; off += step) out = h.defrag4(frag4(p, off, Math.min(step, total - off), off + step >= total));
      return out;
    };
    const p: V4 = { id: 13, payload: pattern(65515) };
    const big = h.x.dp_big_free();
    const out = send(p, 65515);
    expect(out!.length).toBe(65535);
    expect(Buffer.from(out!)).toEqual(Buffer.from(whole(p)));
    expect(h.x.dp_big_free()).toBe(big); // the big frame came back through frame_free
    const q: V4 = { id: 14, payload: pattern(65516) };
    expect(send(q, 65516)).toBeNull();
    expect(h.mib()['Ip:ReasmFails']).toBe(1);
    expect(h.drops()).toEqual({ FRAG_OVERSIZE: Math.ceil(65516 / step) });
  });

  it('drops a stale queue after ipfrag_max_dist other fragments from its source, keeping the newcomer', async () => {
    const h = await Harness.create();
    h.sysctl('IPFRAG_MAX_DIST', 2);
    const a: V4 = { id: 20, payload: pattern(16) };
    h.defrag4(frag4(a, 0, 8, false)); // rid 1
    for (let i = 0; i < 3; i++) h.defrag4(frag4({ ...a, id: 30 + i }, 0, 8, false)); // rid 2, 3, 4
    // rid 5 - 1 = 4 > 2: queue a is flushed (FRAG_TOO_FAR), ReasmFails, and this fragment starts it anew.
    expect(h.defrag4(frag4(a, 8, 8, true))).toBeNull();
    expect(h.drops()).toEqual({ FRAG_TOO_FAR: 1 });
    expect(h.mib()['Ip:ReasmFails']).toBe(1);
    expect(Buffer.from(h.defrag4(frag4(a, 0, 8, false))!)).toEqual(Buffer.from(whole(a)));
    // With ipfrag_max_dist 0 the check is off.
    h.sysctl('IPFRAG_MAX_DIST', 0);
    const b: V4 = { id: 40, payload: pattern(16), src: '203.0.113.7' };
    h.defrag4(frag4(b, 0, 8, false));
    for (let i = 0; i < 5; i++) h.defrag4(frag4({ ...b, id: 50 + i }, 0, 8, false));
    expect(Buffer.from(h.defrag4(frag4(b, 8, 8, true))!)).toEqual(Buffer.from(whole(b)));
  });

  it('combines ECN as RFC 3168 5.3 says: CE wins over ECT, Not-ECT mixed with ECT drops the datagram', async () => {
    const h = await Harness.create();
    const p: V4 = { id: 60, payload: pattern(16), tos: 0x02 }; // ECT(0)
    h.defrag4(frag4(p, 0, 8, false));
    const out = h.defrag4(frag4({ ...p, tos: 0x03 }, 8, 8, true))!; // CE
    expect(out[1]).toBe(0x03);
    expect(inetChecksum(out.subarray(0, 20))).toBe(0);
    const q: V4 = { id: 61, payload: pattern(16), tos: 0x00 }; // Not-ECT
    h.defrag4(frag4(q, 0, 8, false));
    expect(h.defrag4(frag4({ ...q, tos: 0x01 }, 8, 8, true))).toBeNull(); // ECT(1)
    expect(h.drops()).toEqual({ FRAG_ECN: 2 });
    expect(h.mib()['Ip:ReasmFails']).toBe(1);
  });

  it('sets DF on the datagram only when the largest fragment had it', async () => {
    const h = await Harness.create();
    const p: V4 = { id: 70, payload: pattern(24), df: true };
    h.defrag4(frag4(p, 0, 16, false));
    expect(new DataView(h.defrag4(frag4(p, 16, 8, true))!.buffer).getUint16(6)).toBe(0x4000);
    const q: V4 = { id: 71, payload: pattern(24) };
    h.defrag4(frag4({ ...q, df: true }, 16, 8, true));
    expect(new DataView(h.defrag4(frag4(q, 0, 16, false))!.buffer).getUint16(6)).toBe(0);
  });
});

describe('IPv6 reassembly (ipv6_defrag)', () => {
  const body = udp(pattern(2000));
  const frag6 = (off: number, len: number, last: boolean, extra: Partial<Parameters<typeof ipv6frag>[0]> = {}) =>
    ipv6frag({ offset: off, mf: !last, payload: body.subarray(off, off + len), ...extra });
  /** The datagram the fragments make: IPv6 header then the UDP datagram, next header 17. */
  const whole6 = (unfrag: Uint8Array = new Uint8Array(0), nh0 = 17): Uint8Array => {
    const b = new Uint8Array(40 + unfrag.length + body.length);
    const f = frag6(0, 8, false);
    b.set(f.subarray(0, 40));
    new DataView(b.buffer).setUint16(4, unfrag.length + body.length);
    b[6] = unfrag.length ? 60 : nh0;
    b.set(unfrag, 40);
    if (unfrag.length) b[40] = nh0;
    b.set(body, 40 + unfrag.length);
    return b;
  };

  it('reassembles out of order, taking the Fragment header out (RFC 8200 4.5)', async () => {
    const h = await Harness.create();
    expect(h.defrag6(frag6(1232, body.length - 1232, true), 40)).toBeNull();
    const out = h.defrag6(frag6(0, 1232, false), 40)!;
    expect(Buffer.from(out)).toEqual(Buffer.from(whole6()));
    expect([h.x.reasmNhoff(), h.x.reasmThoff()]).toEqual([6, 40]);
    expect([...h.lastEth.subarray(12)]).toEqual([0x86, 0xdd]);
    const m = h.mib();
    expect([m['Ip6:ReasmReqds'], m['Ip6:ReasmOKs'], m['Ip6:ReasmFails']]).toEqual([2, 1, 0]);
    expect(h.x.reasm_mem(10)).toBe(0);
  });

  it('keeps the unfragmentable extension headers and sets the next header byte that named the Fragment header', async () => {
    const h = await Harness.create();
    const dst = { type: 60, body: Uint8Array.from([1, 4, 0, 0, 0, 0]) }; // Destination Options, PadN
    const unfrag = [dst];
    h.defrag6(frag6(1232, body.length - 1232, true, { unfrag }), 48);
    const out = h.defrag6(frag6(0, 1232, false, { unfrag }), 48)!;
    const opts = Uint8Array.from([0, 0, 1, 4, 0, 0, 0, 0]);
    expect(Buffer.from(out)).toEqual(Buffer.from(whole6(opts)));
    expect([h.x.reasmNhoff(), h.x.reasmThoff()]).toEqual([40, 48]);
  });

  it('delivers an atomic fragment as it is, in its own frame (RFC 6946)', async () => {
    const h = await Harness.create();
    const f = ipv6frag({ payload: udp(pattern(100)) });
    const data = h.place(f);
    expect(h.x.ipv6_defrag(2, 0, data, f.length, 40) >>> 0).toBe(data);
    expect([h.x.reasmLen(), h.x.reasmNhoff(), h.x.reasmThoff()]).toEqual([f.length, 40, 48]);
    expect(h.mib()['Ip6:ReasmOKs']).toBe(1);
    expect(h.x.reasm_queues()).toBe(0);
  });

  it('goes on after an atomic fragment\'s Fragment header in local delivery, and refuses a second one (IP6SKB_FRAGMENTED)', async () => {
    const h = await Harness.create();
    const f = ipv6frag({ nexthdr: 59, payload: new Uint8Array(8) }); // No Next Header after it
    h.x.ip6_local_deliver(2, 0, h.place(f), f.length, 6, 40, 1, 1);
    let m = h.mib();
    expect([m['Ip6:ReasmReqds'], m['Ip6:ReasmOKs'], m['Ip6:InHdrErrors']]).toEqual([1, 1, 0]);
    // An atomic fragment whose Fragment header names another Fragment header: a bad field at offset 48.
    const g = ipv6frag({ nexthdr: 44, payload: Uint8Array.from([59, 0, 0, 0, 0, 0, 0, 1]) });
    h.x.ip6_local_deliver(2, 0, h.place(g), g.length, 6, 40, 1, 1);
    m = h.mib();
    expect([m['Ip6:ReasmReqds'], m['Ip6:ReasmOKs'], m['Ip6:InHdrErrors']]).toEqual([2, 2, 1]);
    expect(h.drops().FRAG_INVALID).toBe(1);
  });

  it('discards the whole datagram silently on any overlap (RFC 5722) and ignores exact duplicates', async () => {
    const h = await Harness.create();
    h.defrag6(frag6(0, 1232, false), 40);
    h.defrag6(frag6(0, 1232, false), 40);
    expect(h.drops()).toEqual({ DUP_FRAG: 1 });
    h.defrag6(frag6(1224, 16, false), 40);
    expect(h.drops()).toEqual({ DUP_FRAG: 1, FRAG_INVALID: 2 });
    expect(h.mib()['Ip6:ReasmFails']).toBe(1);
    expect(h.mib()['Icmp6:OutParmProblems']).toBe(0);
    expect(h.x.reasm_queues()).toBe(0);
  });

  it('answers a non-final fragment whose length is not a multiple of 8 with a parameter problem (InHdrErrors)', async () => {
    const h = await Harness.create();
    h.defrag6(frag6(0, 1230, false), 40);
    expect(h.mib()['Ip6:InHdrErrors']).toBe(1);
    expect(h.drops()).toEqual({ FRAG_INVALID: 1 });
    // The queue was made before the check, as the kernel's fq_find does: it waits for its timer.
    expect(h.x.reasm_queues()).toBe(1);
  });

  it('answers a fragment that would end past 65,535 bytes with a parameter problem', async () => {
    const h = await Harness.create();
    h.defrag6(ipv6frag({ offset: 65528, mf: false, payload: pattern(16) }), 40);
    expect(h.mib()['Ip6:InHdrErrors']).toBe(1);
    expect(h.drops()).toEqual({ FRAG_INVALID: 1 });
  });

  it('drops a first fragment without the whole upper-layer header (RFC 7112), but not a later one', async () => {
    const h = await Harness.create();
    // A first fragment of 0 bytes after the Fragment header names UDP: 8 bytes short.
    h.defrag6(ipv6frag({ offset: 0, mf: true, payload: pattern(4) }), 40);
    expect(h.mib()['Ip6:InHdrErrors']).toBe(1);
    expect(h.drops()).toEqual({ FRAG_HDR_INCOMP: 1 });
    expect(h.x.reasm_queues()).toBe(0);
    h.defrag6(ipv6frag({ offset: 8, mf: true, payload: pattern(8) }), 40);
    expect(h.x.reasm_queues()).toBe(1);
  });

  it('refuses a Fragment header the packet cuts short, and a jumbogram', async () => {
    const h = await Harness.create();
    const f = ipv6frag({ offset: 8, mf: true, payload: new Uint8Array(0) });
    h.defrag6(f.subarray(0, 44), 40);
    expect(h.mib()['Ip6:InHdrErrors']).toBe(1);
  });

  it('times out after ip6frag_time while the device exists, counting ReasmTimeout', async () => {
    const h = await Harness.create();
    h.fakeNetdev(2);
    h.defrag6(frag6(0, 1232, false), 40, 2);
    h.advance(59_999);
    expect(h.x.reasm_queues()).toBe(1);
    h.advance(1);
    expect(h.x.reasm_queues()).toBe(0);
    expect([h.mib()['Ip6:ReasmTimeout'], h.mib()['Ip6:ReasmFails']]).toEqual([1, 1]);
    expect(h.drops()).toEqual({ FRAG_REASM_TIMEOUT: 1 });
    // A queue whose device is gone expires without a count (ip6frag_expire_frag_queue).
    h.defrag6(frag6(0, 1232, false), 40, 7);
    h.advance(60_000);
    expect(h.mib()['Ip6:ReasmTimeout']).toBe(1);
    expect(h.drops()).toEqual({ FRAG_REASM_TIMEOUT: 2 });
  });

  it('accounts IPv6 memory apart from IPv4, against ip6frag_high_thresh', async () => {
    const h = await Harness.create();
    h.defrag6(frag6(0, 1232, false), 40);
    expect(h.x.reasm_mem(10)).toBe(QSIZE6 + TRUESIZE);
    expect(h.x.reasm_mem(2)).toBe(0);
    h.sysctl('IP6FRAG_HIGH_THRESH', 1000);
    h.defrag6(frag6(1232, body.length - 1232, true), 40);
    expect(h.drops()).toEqual({ FRAG_MEM: 1 });
    expect(h.mib()['Ip6:ReasmFails']).toBe(1);
  });

  it('keys link-local and multicast destinations by device, others not', async () => {
    const h = await Harness.create();
    const ll = { dst: 'fe80::2' };
    h.defrag6(frag6(0, 1232, false, ll), 40, 2);
    h.defrag6(frag6(1232, body.length - 1232, true, ll), 40, 3);
    expect(h.x.reasm_queues()).toBe(2);
    h.defrag6(frag6(0, 1232, false), 40, 2);
    expect(h.defrag6(frag6(1232, body.length - 1232, true), 40, 3)).not.toBeNull();
  });
});
