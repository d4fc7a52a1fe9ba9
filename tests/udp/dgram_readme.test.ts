// The README's dp.udp example, as it stands there (between the markers): two data paths joined by a
// wire, a node:dgram-style echo service on one, a client on the other.

import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import { Datapath } from '../../src/index.js';

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

  it('runs: the echo comes back with the service address as rinfo', async () => {
    expect(await example()).toEqual({ reply: 'ping', from: { address: '192.0.2.2', family: 'IPv4', port: 7, size: 4 } });
  });
});

async function example(): Promise<{ reply: string; from: object }> {
  // >>> README
  const a = await Datapath.create();
  const b = await Datapath.create();
  const wire = Datapath.wire(a, a.addDevice({ name: 'eth0' }), b, b.addDevice({ name: 'eth0' }));
  a.ip('link set eth0 up');
  a.ip('addr add 192.0.2.1/24 dev eth0');
  b.ip('link set eth0 up');
  b.ip('addr add 192.0.2.2/24 dev eth0');

  // on b, an echo service written for node:dgram: only the import changed
  const { createSocket } = b.udp; // was: import { createSocket } from 'node:dgram'
  const service = createSocket('udp4', (msg, rinfo) => service.send(msg, rinfo.port, rinfo.address));
  service.bind(7, '192.0.2.2');
  await once(service, 'listening');

  // on a, a client
  const client = a.udp.createSocket('udp4');
  client.send('ping', 7, '192.0.2.2');
  const [reply, from] = await once(client, 'message');

  client.close();
  service.close();
  wire.close();
  // <<< README
  return { reply: reply.toString(), from };
}
