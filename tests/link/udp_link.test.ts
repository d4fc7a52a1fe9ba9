// The plain "frames in datagrams" link between two wxdp data paths, over real loopback UDP sockets: their
// stacks resolve each other (ARP through the link) and a node:dgram-style echo service on one answers a
// client on the other; a peer that goes away leaves the survivor sending into nothing, counted, and
// closing the links releases the sockets (the ports can be bound again; nothing holds the process).

import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { Datapath } from '../../src/control/datapath.js';
import type { Device } from '../../src/control/device.js';

/** Two free UDP ports on 127.0.0.1 (bound, read, released). */
async function freePorts(n: number): Promise<number[]> {
  const socks = await Promise.all(
    Array.from({ length: n }, async () => {
      const s = createSocket('udp4');
      s.bind(0, '127.0.0.1');
      await once(s, 'listening');
      return s;
    }),
  );
  const ports = socks.map((s) => s.address().port);
  await Promise.all(socks.map((s) => new Promise<void>((r) => s.close(() => r()))));
  return ports;
}

const devices: Device[] = [];
afterEach(async () => {
  for (const d of devices.splice(0)) await d.detachLink();
});

async function pair() {
  const [pa, pb] = await freePorts(2);
  const a = await Datapath.create();
  const b = await Datapath.create();
  const ea = a.addDevice({ name: 'eth0', mac: '02:00:00:00:0a:01' });
  const eb = b.addDevice({ name: 'eth0', mac: '02:00:00:00:0b:01' });
  devices.push(ea, eb);
  for (const [dp, addr] of [[a, '192.0.2.1/24'], [b, '192.0.2.2/24']] as const) {
    dp.ip('link set eth0 up');
    dp.ip(`addr add ${addr} dev eth0`);
  }
  const la = await ea.attachLink({ type: 'udp', local: '127.0.0.1', port: pa!, remote: '127.0.0.1', remotePort: pb! });
  const lb = await eb.attachLink({ type: 'udp', local: '127.0.0.1', port: pb!, remote: '127.0.0.1', remotePort: pa! });
  return { a, b, ea, eb, la, lb, pa: pa!, pb: pb! };
}

describe('udp link between two data paths', () => {
  it('carries ARP and a UDP exchange between their stacks', async () => {
    const { a, b, ea, la, lb } = await pair();
    const service = b.udp.createSocket('udp4', (msg, rinfo) => service.send(msg, rinfo.port, rinfo.address));
    service.bind(7, '192.0.2.2');
    await once(service, 'listening');
    const client = a.udp.createSocket('udp4');
    client.send('hello through a real socket', 7, '192.0.2.2');
    const [reply, from] = await once(client, 'message');
    expect(reply.toString()).toBe('hello through a real socket');
    expect(from).toMatchObject({ address: '192.0.2.2', port: 7 });
    // a resolved b's MAC through the link: the ARP request and reply crossed it too
    expect(a.ip('neigh show 192.0.2.2').stdout).toContain('02:00:00:00:0b:01');
    // ARP request + datagram one way, ARP reply + echo the other (b learnt a from the request)
    expect(la.stats()).toMatchObject({ txPackets: 2, rxPackets: 2, rxDropped: 0, txErrors: 0 });
    expect(lb.stats()).toMatchObject({ txPackets: 2, rxPackets: 2 });
    expect(ea.link).toBe(la);
    client.close();
    service.close();
  });

  it('when the peer goes away the survivor keeps sending into nothing (counted) and keeps running', async () => {
    const { a, eb, la } = await pair();
    await eb.detachLink();
    expect(eb.link).toBeUndefined();
    const client = a.udp.createSocket('udp4');
    for (let i = 0; i < 5; i++) client.send(`lost ${i}`, 9, '192.0.2.2');
    // ARP for 192.0.2.2 goes out and is never answered: the stack retries, frames leave, nothing comes back.
    const deadline = Date.now() + 3000;
    while (la.stats().txPackets < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(la.stats().txPackets).toBeGreaterThanOrEqual(2);
    expect(la.stats().rxPackets).toBe(0);
    client.close();
  });

  it('closing a link releases its socket: the port binds again, a second attach works', async () => {
    const { ea, pa, la } = await pair();
    await ea.detachLink();
    await la.close(); // twice: nothing happens
    const s = createSocket('udp4');
    s.bind(pa, '127.0.0.1');
    await once(s, 'listening');
    await new Promise<void>((r) => s.close(() => r()));
    const again = await ea.attachLink({ type: 'udp', local: '127.0.0.1', port: pa, remote: '127.0.0.1', remotePort: 9 });
    expect(ea.link).toBe(again);
  });

  it('refuses a second link on a device, and a port another socket holds (SOCKET, EADDRINUSE)', async () => {
    const { ea, eb, pa } = await pair();
    await expect(ea.attachLink({ type: 'udp', local: '127.0.0.1', port: 0, remote: '127.0.0.1', remotePort: 9 })).rejects.toThrow(/has a link already/);
    await eb.detachLink();
    await expect(eb.attachLink({ type: 'udp', local: '127.0.0.1', port: pa, remote: '127.0.0.1', remotePort: 9 })).rejects.toMatchObject({
      code: 'SOCKET',
      errno: 'EADDRINUSE',
      message: `bind 127.0.0.1:${pa} (device eth0, udp link): Address already in use (EADDRINUSE)`,
    });
    // an address this host does not have (TEST-NET-3, on no interface here)
    await expect(eb.attachLink({ type: 'udp', local: '203.0.113.77', port: 0, remote: '127.0.0.1', remotePort: 9 })).rejects.toMatchObject({
      code: 'SOCKET',
      errno: 'EADDRNOTAVAIL',
    });
    expect(eb.link).toBeUndefined();
  });
});

// ---- two processes (the dist build is what a child can import) ----

const dist = fileURLToPath(new URL('../../dist/src/index.js', import.meta.url));
const noDist = existsSync(dist) ? '' : 'needs the dist build (npm run build:ts)';

describe.skipIf(noDist !== '')(`udp link between two wxdp processes${noDist ? ` (skipped: ${noDist})` : ''}`, () => {
  it('a child process answers through its link, then detaches it and exits by itself', async () => {
    const [pa, pb] = await freePorts(2);
    // The child: an echo service on 192.0.2.2:7 behind a udp link; after one echo it closes the service
    // and the link, and nothing else keeps it alive.
    const script = `
      const { Datapath } = await import(${JSON.stringify(dist)});
      const dp = await Datapath.create();
      const eth0 = dp.addDevice({ name: 'eth0', mac: '02:00:00:00:0b:01' });
      dp.ip('link set eth0 up');
      dp.ip('addr add 192.0.2.2/24 dev eth0');
      await eth0.attachLink({ type: 'udp', local: '127.0.0.1', port: ${pb}, remote: '127.0.0.1', remotePort: ${pa} });
      const service = dp.udp.createSocket('udp4', (msg, rinfo) => {
        service.send(msg, rinfo.port, rinfo.address, async () => {
          service.close();
          // let the echo leave the link before it closes
          setTimeout(async () => { await eth0.detachLink(); console.log('detached'); }, 100);
        });
      });
      service.bind(7, '192.0.2.2', () => console.log('ready'));`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    try {
      const deadline = Date.now() + 15_000;
      while (!out.includes('ready') && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 20));
      expect(out, err).toContain('ready');
      const a = await Datapath.create();
      const ea = a.addDevice({ name: 'eth0', mac: '02:00:00:00:0a:01' });
      devices.push(ea);
      a.ip('link set eth0 up');
      a.ip('addr add 192.0.2.1/24 dev eth0');
      await ea.attachLink({ type: 'udp', local: '127.0.0.1', port: pa!, remote: '127.0.0.1', remotePort: pb! });
      const client = a.udp.createSocket('udp4');
      client.send('across processes', 7, '192.0.2.2');
      const [reply, from] = await once(client, 'message');
      expect(reply.toString()).toBe('across processes');
      expect(from).toMatchObject({ address: '192.0.2.2', port: 7 });
      client.close();
      expect(await exited).toBe(0);
      expect(out).toContain('detached');
    } finally {
      clearTimeout(killer);
      child.kill('SIGKILL');
    }
  }, 40_000);
});
