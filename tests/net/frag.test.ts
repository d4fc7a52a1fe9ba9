// IPv4 fragmentation on output (ip_fragment; ip_frag_init / ip_frag_next as the kernel's), checked
// against RFC 791 and ip_do_fragment's rules worked out by hand: sizes ((mtu - ihl) & ~7 but the last),
// offsets and MF, the ID kept, options without the copied flag turned into NOPs after the first
// fragment, checksums recomputed here.

import { describe, expect, it } from 'vitest';
import { ETH_HDR, Harness, inetChecksum, ipv4, pattern, type V4 } from './frag_support.js';

interface Frag {
  eth: Uint8Array;
  l3: Uint8Array;
}

/** Every fragment ip_frag_next makes of `l3` for `mtu` (frames given back). */
function fragmentAll(h: Harness, l3: Uint8Array, mtu: number, placeBig = false): Frag[] {
  let data: number;
  if (placeBig) {
    const f = h.x.bigFrameAlloc() >>> 0;
    h.bytes().set(ETH_HDR, f + 256);
    h.bytes().set(l3, f + 270);
    data = f + 270;
  } else data = h.place(l3);
  const st = h.x.arena_alloc(32, 8) >>> 0;
  expect(h.x.ip_frag_init(st, data, l3.length, mtu)).toBe(0);
  const out: Frag[] = [];
  for (let eth = h.x.ip_frag_next(st) >>> 0; eth !== 0; eth = h.x.ip_frag_next(st) >>> 0) {
    const len = h.x.ip_frag_len(st);
    out.push({ eth: h.read(eth, 14), l3: h.read(eth + 14, len - 14) });
    h.x.frame_free(eth);
  }
  h.x.frame_free(data);
  return out;
}

const fo = (b: Uint8Array): number => (b[6] << 8) | b[7];
const totLen = (b: Uint8Array): number => (b[2] << 8) | b[3];

describe('IPv4 fragmentation (ip_fragment)', () => {
  const p: V4 = { id: 0xbeef, ttl: 63, tos: 0x10, proto: 17, payload: pattern(3400) };
  const dgram = ipv4(p);

  it('cuts (mtu - ihl) & ~7 bytes per fragment, the rest in the last, each a valid datagram of its own', async () => {
    const h = await Harness.create();
    const frags = fragmentAll(h, dgram, 1500);
    expect(frags.map((f) => f.l3.length)).toEqual([1500, 1500, 460]);
    expect(frags.map((f) => fo(f.l3))).toEqual([0x2000 | 0, 0x2000 | 185, 370]);
    frags.forEach((f, i) => {
      expect(totLen(f.l3)).toBe(f.l3.length);
      expect(inetChecksum(f.l3.subarray(0, 20))).toBe(0);
      // Everything but length, flags/offset and checksum is the datagram's header.
      for (const k of [0, 1, 4, 5, 8, 9, 12, 13, 14, 15, 16, 17, 18, 19]) expect(f.l3[k], `byte ${k}`).toBe(dgram[k]);
      expect(Buffer.from(f.l3.subarray(20))).toEqual(Buffer.from(p.payload.subarray(i * 1480, i * 1480 + f.l3.length - 20)));
      expect(Buffer.from(f.eth)).toEqual(Buffer.from(ETH_HDR));
    });
  });

  it('rounds the data space down to 8 bytes when the MTU leaves an odd amount (mtu 1000: 976 per fragment)', async () => {
    const h = await Harness.create();
    const frags = fragmentAll(h, dgram, 1000);
    expect(frags.map((f) => f.l3.length - 20)).toEqual([976, 976, 976, 472]);
    expect(frags.map((f) => (fo(f.l3) & 0x1fff) * 8)).toEqual([0, 976, 1952, 2928]);
  });

  it('fragments a datagram held in a big frame (a reassembled 9,000-byte one) at the minimum MTU of 68', async () => {
    const h = await Harness.create();
    const big = ipv4({ ...p, payload: pattern(8980) });
    const frags = fragmentAll(h, big, 1280, true);
    expect(frags.length).toBe(Math.ceil(8980 / 1256));
    expect(frags.slice(0, -1).every((f) => f.l3.length === 1276)).toBe(true);
    const tiny = fragmentAll(h, ipv4({ ...p, payload: pattern(100) }), 68);
    expect(tiny.map((f) => f.l3.length - 20)).toEqual([48, 48, 4]);
  });

  it('keeps options with the copied flag in every fragment and turns the others into NOPs after the first', async () => {
    const h = await Harness.create();
    // Record route (7, not copied, 7 bytes), then router alert (148: copied, 4 bytes), then END: 12 bytes.
    const options = [7, 7, 4, 0, 0, 0, 0, 148, 4, 0, 0, 0];
    const q: V4 = { ...p, options, payload: pattern(2000) };
    const frags = fragmentAll(h, ipv4(q), 1500);
    expect(frags.map((f) => f.l3[0])).toEqual([0x48, 0x48]);
    expect([...frags[0].l3.subarray(20, 32)]).toEqual(options);
    expect([...frags[1].l3.subarray(20, 32)]).toEqual([1, 1, 1, 1, 1, 1, 1, 148, 4, 0, 0, 0]);
    frags.forEach((f) => expect(inetChecksum(f.l3.subarray(0, 32))).toBe(0));
    expect(frags.map((f) => f.l3.length - 32)).toEqual([1464, 536]);
  });

  it('fragments a fragment: offsets continue from its own, MF on every piece when it had MF', async () => {
    const h = await Harness.create();
    const mid = fragmentAll(h, ipv4({ ...p, offset: 1480, mf: true, payload: pattern(2000) }), 1000);
    expect(mid.map((f) => fo(f.l3))).toEqual([0x2000 | 185, 0x2000 | 307, 0x2000 | 429]);
    const last = fragmentAll(h, ipv4({ ...p, offset: 1480, payload: pattern(2000) }), 1000);
    expect(last.map((f) => fo(f.l3))).toEqual([0x2000 | 185, 0x2000 | 307, 429]);
  });

  it('clears DF in the fragments of a datagram the caller fragments anyway', async () => {
    const h = await Harness.create();
    const frags = fragmentAll(h, ipv4({ ...p, df: true }), 1500);
    expect(frags.map((f) => fo(f.l3) & 0x4000)).toEqual([0, 0, 0]);
  });

  it('counts FragOKs and one FragCreates per fragment handed to neigh_output, and frees the datagram', async () => {
    const h = await Harness.create();
    const data = h.place(dgram);
    const pool = h.poolFree();
    h.x.ip_fragment(2, data + 16, 1500, 0, data, dgram.length);
    const m = h.mib();
    expect([m['Ip:FragOKs'], m['Ip:FragCreates'], m['Ip:FragFails']]).toEqual([1, 3, 0]);
    expect(h.poolFree()).toBeLessThanOrEqual(pool + 1);
  });

  it('fails with NOMEM when the pool has no frame for a fragment (FragFails), giving the datagram back', async () => {
    const h = await Harness.create(16);
    const data = h.place(dgram);
    const held: number[] = [];
    for (let f = h.x.frameAlloc() >>> 0; f !== 0; f = h.x.frameAlloc() >>> 0) held.push(f);
    h.x.ip_fragment(2, data + 16, 1500, 0, data, dgram.length);
    expect(h.mib()['Ip:FragFails']).toBe(1);
    expect(h.mib()['Ip:FragOKs']).toBe(0);
    expect(h.drops()).toEqual({ NOMEM: 1 });
    expect(h.poolFree()).toBe(1);
    held.forEach((f) => h.x.frame_free(f));
  });

  it('refuses an MTU that leaves no 8 bytes beside the header (FragFails, PKT_TOO_BIG)', async () => {
    const h = await Harness.create();
    const data = h.place(dgram);
    const st = h.x.arena_alloc(32, 8) >>> 0;
    expect(h.x.ip_frag_init(st, data, dgram.length, 27)).toBe(-90);
    h.x.ip_fragment(2, data + 16, 27, 0, data, dgram.length);
    expect(h.mib()['Ip:FragFails']).toBe(1);
    expect(h.drops()).toEqual({ PKT_TOO_BIG: 1 });
  });
});
