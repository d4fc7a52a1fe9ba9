// The burst warm-up of the UDP demux (assembly/net/sock_prefetch.ts) only loads memory: with enough
// sockets for it to walk the lookups (≥ 1024 live), datagrams polled as one burst reach the sockets
// their ports say, a reuseport group picks as it does without the warm-up (the same member for a
// flow as a table holding only the group), and malformed frames in the burst are counted as always.

import { describe, expect, it } from 'vitest';
import { Fixture, stackUnready, eth, ipv4, udp4 } from '../net/support.js';
import { H_MAC, LINKS, NEIGH, R_MAC } from './support.js';
import type { SocketTable } from '../../src/control/sockets.js';

const SOCKETS = 1100; // over sock_prefetch.ts's SOCKS_DEEP (1024)
const BASE = 20000;
const u4 = (sport: number, dport: number, tag: number): Uint8Array =>
  eth({ dst: R_MAC, src: H_MAC, type: 0x0800 }, ipv4({ src: '192.0.2.2', dst: '192.0.2.1', proto: 17 }, udp4('192.0.2.2', '192.0.2.1', sport, dport, Uint8Array.of(tag >> 8, tag & 0xff))));

const unready = await stackUnready();

/** Frames injected together, then one poll: the stack gets them as one burst (up to 64). */
function burst(fx: Fixture, frames: Uint8Array[]): void {
  const d = fx.devs.get('eth0')!;
  for (const f of frames) if (!d.inject(f)) throw new Error('inject failed');
  d.poll();
}

/** Which socket of `ids` (by index) each datagram's 2-byte tag reached. */
function tags(t: SocketTable, ids: number[]): Map<number, number> {
  const m = new Map<number, number>();
  ids.forEach((id, i) => {
    for (let d = t.recv(id); d; d = t.recv(id)) m.set((d.data[0]! << 8) | d.data[1]!, i);
  });
  return m;
}

describe.skipIf(unready !== '')('the UDP demux warmed a burst at a time', () => {
  it(`${SOCKETS} sockets on ports of their own: every datagram of a burst reaches its port's socket`, async () => {
    const fx = await Fixture.create(LINKS, [], NEIGH);
    const t = fx.dp.socketTable;
    const ids = Array.from({ length: SOCKETS }, (_, i) => {
      const s = t.create({ family: 'inet' });
      t.bind(s, '192.0.2.1', BASE + i);
      return s;
    });
    const sent = new Map<number, number>();
    for (let b = 0; b < 4; b++) {
      const frames: Uint8Array[] = [];
      for (let k = 0; k < 48; k++) {
        const tag = b * 48 + k;
        const port = (tag * 389) % SOCKETS; // spread over the table
        sent.set(tag, port);
        frames.push(u4(40000 + tag, BASE + port, tag));
      }
      burst(fx, frames);
    }
    expect(tags(t, ids)).toEqual(sent);
    expect(fx.nonzero()).toEqual({ 'Ip:InReceives': 192, 'Ip:InDelivers': 192, 'Udp:InDatagrams': 192 });
  });

  it('a reuseport group among them: each flow reaches the member it reaches with the group alone', async () => {
    const pick = async (others: number): Promise<Map<number, number>> => {
      const fx = await Fixture.create(LINKS, [], NEIGH);
      const t = fx.dp.socketTable;
      t.setHashSecret(0x5eed);
      for (let i = 0; i < others; i++) t.bind(t.create({ family: 'inet' }), '192.0.2.1', BASE + i);
      const g = [0, 1, 2, 3].map(() => t.create({ family: 'inet', reusePort: true }));
      for (const s of g) t.bind(s, '192.0.2.1', 6005);
      burst(fx, Array.from({ length: 64 }, (_, f) => u4(30000 + f, 6005, f)));
      return tags(t, g);
    };
    const alone = await pick(0);
    expect(alone.size).toBe(64);
    expect(await pick(SOCKETS)).toEqual(alone);
  });

  it('malformed frames in a warmed burst: counted as the checks say (UDP header cut short, a fragment, another protocol)', async () => {
    const fx = await Fixture.create(LINKS, [], NEIGH);
    const t = fx.dp.socketTable;
    for (let i = 0; i < SOCKETS; i++) t.bind(t.create({ family: 'inet' }), '192.0.2.1', BASE + i);
    const e = (p: Uint8Array): Uint8Array => eth({ dst: R_MAC, src: H_MAC, type: 0x0800 }, p);
    // 4 bytes of UDP header: the IP total length says 24 (__udp4_lib_rcv: no room for 8, InErrors)
    const short = e(ipv4({ src: '192.0.2.2', dst: '192.0.2.1', proto: 17 }, Uint8Array.of(0x9c, 0x40, 0x4e, 0x20)));
    // a first fragment (MF): held for reassembly, never demuxed on its own
    const frag = e(ipv4({ src: '192.0.2.2', dst: '192.0.2.1', proto: 17, mf: true }, udp4('192.0.2.2', '192.0.2.1', 40000, BASE, new Uint8Array(16)).subarray(0, 16)));
    // protocol 253 (RFC 3692 experimentation): no handler, protocol unreachable
    const other = e(ipv4({ src: '192.0.2.2', dst: '192.0.2.1', proto: 253 }, new Uint8Array(8)));
    burst(fx, [short, u4(40001, BASE + 1, 1), frag, other, u4(40002, BASE + 2, 2)]);
    const mib = fx.mib();
    expect(mib['Udp:InErrors']).toBe(1);
    expect(mib['Ip:InReceives']).toBe(5);
    expect(mib['Ip:ReasmReqds']).toBe(1);
    expect(mib['Ip:InUnknownProtos']).toBe(1);
    expect(t.ready().length).toBe(2);
  });
});
