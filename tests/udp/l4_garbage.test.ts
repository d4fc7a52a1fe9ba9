// Bad input never traps: random bytes as the L4 payload of IPv4 and IPv6 datagrams for this host —
// UDP, UDP-Lite, TCP, ICMP and ICMPv6 (errors quoting garbage among them) — with sockets bound and
// connected to be found, and every frame is accounted for (delivered, answered or dropped with a
// reason); the sockets stay readable.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Fixture, stackUnready, eth, inetChecksum, ipv4, ipv6 } from '../net/support.js';
import { ipv6Bytes } from '../../src/control/addresses.js';
import { H_MAC, LINKS, NEIGH, R_MAC } from './support.js';

const unready = await stackUnready();

describe.skipIf(unready !== '')('L4 garbage', () => {
  it('random L4 bytes over IPv4 and IPv6 (with valid ICMP checksums so errors reach the sockets) never trap', async () => {
    const fx = await Fixture.create(LINKS, [], NEIGH);
    const t = fx.dp.socketTable;
    const a = t.create({ family: 'inet' });
    t.bind(a, undefined, 53);
    const c = t.create({ family: 'inet' });
    t.connect(c, '192.0.2.2', 53);
    const d = t.create({ family: 'inet6', reusePort: true });
    t.bind(d, undefined, 54);
    const lite = t.create({ family: 'inet6', protocol: 'udplite' });
    t.bind(lite, undefined, 53);
    const v4 = (proto: number, body: Uint8Array) => eth({ dst: R_MAC, src: H_MAC, type: 0x0800 }, ipv4({ src: '192.0.2.2', dst: '192.0.2.1', proto }, body));
    const v6 = (nh: number, body: Uint8Array) => eth({ dst: R_MAC, src: H_MAC, type: 0x86dd }, ipv6({ src: '2001:db8:1::2', dst: '2001:db8:1::1', nh }, body));
    const fixIcmp4 = (b: Uint8Array): Uint8Array => {
      if (b.length < 4) return b;
      b[2] = b[3] = 0;
      const s = inetChecksum(b);
      b[2] = s >> 8;
      b[3] = s & 0xff;
      return b;
    };
    const fixIcmp6 = (b: Uint8Array): Uint8Array => {
      if (b.length < 4) return b;
      b[2] = b[3] = 0;
      const ph = Uint8Array.from([...ipv6Bytes('2001:db8:1::2'), ...ipv6Bytes('2001:db8:1::1'), 0, 0, b.length >> 8, b.length & 0xff, 0, 0, 0, 58]);
      const s = inetChecksum(ph, b);
      b[2] = s >> 8;
      b[3] = s & 0xff;
      return b;
    };
    const body = fc.uint8Array({ minLength: 0, maxLength: 120 });
    const frame = fc.oneof(
      fc.tuple(fc.constantFrom(17, 136, 6), body).map(([p, b]) => v4(p, b)),
      fc.tuple(fc.constantFrom(17, 136, 6), body).map(([p, b]) => v6(p, b)),
      // ICMP errors (types 3, 11, 12) quoting random bytes, and ones quoting a UDP header to our ports
      fc.tuple(fc.constantFrom(3, 4, 11, 12), fc.integer({ min: 0, max: 15 }), body).map(([ty, co, b]) => v4(1, fixIcmp4(Uint8Array.from([ty, co, 0, 0, 0, 0, 5, 0x40, ...b])))),
      fc.tuple(fc.constantFrom(1, 2, 3, 4), fc.integer({ min: 0, max: 7 }), body).map(([ty, co, b]) => v6(58, fixIcmp6(Uint8Array.from([ty, co, 0, 0, 0, 0, 5, 0, ...b])))),
    );
    const x = fx.dp.fastPath.exports as unknown as { dp_pool_free(): number; sk_mem_held(): number };
    // one datagram in and out first, so the rings and the pool are in their steady state
    fx.rx('eth0', v4(17, Uint8Array.of(0, 1, 0, 53, 0, 8, 0, 0)));
    t.recvBatch(a, 64);
    fx.tx();
    const pool = x.dp_pool_free();
    await fc.assert(
      fc.asyncProperty(fc.array(frame, { minLength: 1, maxLength: 8 }), async (frames) => {
        for (const f of frames) fx.rx('eth0', f);
        for (const s of [a, c, d, lite]) {
          t.takeError(s);
          t.recvBatch(s, 64);
        }
        // the answers sent (ICMP errors, resets) went out and came back; nothing is held or lost
        fx.tx();
        return x.sk_mem_held() === 0 && x.dp_pool_free() === pool;
      }),
      { numRuns: 150, seed: 11 },
    );
    expect(t.count).toBe(4);
    expect(t.queued(a)).toBe(0);
  });
});
