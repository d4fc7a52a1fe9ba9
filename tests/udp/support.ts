// The host tests/udp/ builds on both sides (wxdp's fixture and the kernel's namespace): one Ethernet
// link with two IPv4 subnets and an IPv6 one, the peer's neighbours permanent.

import { Datapath } from '../../src/control/datapath.js';
import { Poller } from '../../src/control/poller.js';
import type { UdpSocket } from '../../src/control/udp.js';
import type { Wire } from '../../src/control/wire.js';
import type { LinkCfg, NeighCfg } from '../net/support.js';

export const R_MAC = '02:00:00:00:00:01';
export const H_MAC = '02:00:00:00:00:02';
export const LINKS: LinkCfg[] = [{ name: 'eth0', mac: R_MAC, v4: ['192.0.2.1/24', '198.51.100.1/24'], v6: ['2001:db8:1::1/64'] }];
export const NEIGH: NeighCfg[] = [
  { dev: 'eth0', addr: '192.0.2.2', mac: H_MAC },
  { dev: 'eth0', addr: '2001:db8:1::2', mac: H_MAC },
];
export const be16 = (v: number): number[] => [(v >> 8) & 0xff, v & 0xff];
export const be32 = (v: number): number[] => [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];

/** Two data paths joined by a wire, w0 ↔ w0 (192.0.2.1/24 ↔ 192.0.2.2/24): node:dgram's two hosts. */
export async function wiredPair(): Promise<{ a: Datapath; b: Datapath; wire: Wire }> {
  const a = await Datapath.create();
  const b = await Datapath.create();
  const da = a.addDevice({ name: 'w0', mac: '02:00:00:00:0a:01' });
  const db = b.addDevice({ name: 'w0', mac: '02:00:00:00:0b:01' });
  for (const line of ['link set w0 up', 'addr add 192.0.2.1/24 dev w0']) a.ip(line);
  for (const line of ['link set w0 up', 'addr add 192.0.2.2/24 dev w0']) b.ip(line);
  return { a, b, wire: Datapath.wire(a, da, b, db) };
}

/** Both pollers until neither has work (bounded): the data paths settle without waiting on the clock. */
export function settlePair(a: Datapath, b: Datapath): void {
  for (let i = 0; i < 100; i++) if (Poller.of(a).run() + Poller.of(b).run() === 0) return;
  throw new Error('the pollers did not settle');
}

/** Close the sockets a test opened (those it closed itself are passed over), emptying the list. */
export function closeOpened(open: UdpSocket[]): void {
  for (const s of open.splice(0)) {
    try {
      s.close();
    } catch {
      // closed by the test
    }
  }
}
