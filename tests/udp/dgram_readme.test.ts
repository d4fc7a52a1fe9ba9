// The README's dp.udp example, as it stands there (between the markers): two data paths joined by a
// wire, a node:dgram-style echo service on one behind an XDP filter, a client on the other.

import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import { Datapath, assemble } from '../../src/index.js';

describe('README: UDP sockets', () => {
  it('the example in the README is the one this test runs', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const body = readFileSync(new URL(import.meta.url), 'utf8');
    const start = body.indexOf('// >>> README', body.indexOf('async function example'));
    const end = body.indexOf('// <<< README', start);
    const code = body
      .slice(body.indexOf('\n', start) + 1, end)
      .split('\n')
      .map((l) => l.replace(/^ {2}/, ''))
      .join('\n')
      .trim();
    expect(readme).toContain(code);
  });

  it('runs: the datagram to port 9 is dropped by the XDP filter, the echo comes back with the service address as rinfo', async () => {
    expect(await example()).toEqual({ reply: 'ping', from: { address: '192.0.2.2', family: 'IPv4', port: 7, size: 4 }, dropped: 1 });
  });
});

async function example(): Promise<{ reply: string; from: object; dropped: number }> {
  // >>> README
  const a = await Datapath.create();
  const b = await Datapath.create();
  const bEth0 = b.addDevice({ name: 'eth0' });
  const wire = Datapath.wire(a, a.addDevice({ name: 'eth0' }), b, bEth0);
  a.ip('link set eth0 up');
  a.ip('addr add 192.0.2.1/24 dev eth0');
  b.ip('link set eth0 up');
  b.ip('addr add 192.0.2.2/24 dev eth0');

  // b's XDP filter: UDP to port 9 is dropped before the stack sees it, the rest passes
  bEth0.attachXdp(
    await b.loadInsns(
      assemble(`
        r2 = *(u32 *)(r1 + 4)
        r1 = *(u32 *)(r1 + 0)
        r3 = r1
        r3 += 38
        if r3 > r2 goto pass
        r4 = *(u16 *)(r1 + 12)
        if r4 != 0x0008 goto pass   ; IPv4 (the Ethernet type, read little-endian)
        r4 = *(u8 *)(r1 + 23)
        if r4 != 17 goto pass       ; UDP
        r4 = *(u16 *)(r1 + 36)
        if r4 != 0x0900 goto pass   ; destination port 9
        r0 = 1                      ; XDP_DROP
        exit
      pass:
        r0 = 2                      ; XDP_PASS
        exit`),
    ),
  );

  // on b, an echo service written for node:dgram: only the import changed
  const { createSocket } = b.udp; // was: import { createSocket } from 'node:dgram'
  const service = createSocket('udp4', (msg, rinfo) => service.send(msg, rinfo.port, rinfo.address));
  service.bind(7, '192.0.2.2');
  await once(service, 'listening');

  // on a, a client: the datagram to port 9 dies in b's filter, the echo comes back
  const client = a.udp.createSocket('udp4');
  client.send('discard me', 9, '192.0.2.2');
  client.send('ping', 7, '192.0.2.2');
  const [reply, from] = await once(client, 'message');
  const dropped = bEth0.stats().verdicts.XDP_DROP; // 1

  client.close();
  service.close();
  wire.close();
  // <<< README
  return { reply: reply.toString(), from, dropped };
}
