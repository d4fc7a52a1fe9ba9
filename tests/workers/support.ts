// Shared by the workers tests.

import { expect } from 'vitest';
import { Datapath } from '../../src/control/datapath.js';
import type { Device } from '../../src/control/device.js';
import { WxdpError } from '../../src/errors.js';

/** "CODE: message" of the WxdpError `f` throws, or 'accepted' when it throws nothing. */
export function refusal(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(WxdpError);
    return `${(e as WxdpError).code}: ${(e as Error).message}`;
  }
  return 'accepted';
}

/** The MACs of a two-worker router test: its two ports, the client behind eth0 and the gateway behind eth1. */
export interface RouterMacs {
  eth0: string;
  eth1: string;
  client: string;
  gw: string;
}

/**
 * A Datapath of two workers routing eth0 (192.0.2.1/24, `clients` on it) to eth1 (203.0.113.1/24,
 * default via 203.0.113.2): two queues a device, no RSS (the test puts each frame on the queue it wants),
 * forwarding on, the neighbours permanent. Pushed onto `open` for the test's afterEach to close.
 */
export async function twoWorkerRouter(
  open: Datapath[],
  mac: RouterMacs,
  opts: { umemFrames: number; ringSize: number; clients?: string[] },
): Promise<{ dp: Datapath; eth0: Device; eth1: Device }> {
  const dp = await Datapath.create({ umemFrames: opts.umemFrames, workers: 2 });
  open.push(dp);
  const eth0 = dp.addDevice({ name: 'eth0', mac: mac.eth0, queues: 2, ringSize: opts.ringSize, rss: false });
  const eth1 = dp.addDevice({ name: 'eth1', mac: mac.eth1, queues: 2, ringSize: opts.ringSize, rss: false });
  for (const l of ['link set dev eth0 up', 'link set dev eth1 up', 'addr add 192.0.2.1/24 dev eth0', 'addr add 203.0.113.1/24 dev eth1']) dp.ip(l);
  dp.sysctl('net.ipv4.conf.all.forwarding', 1);
  for (const c of opts.clients ?? ['192.0.2.2']) dp.ip(`neigh add ${c} lladdr ${mac.client} dev eth0 nud permanent`);
  dp.ip(`neigh add 203.0.113.2 lladdr ${mac.gw} dev eth1 nud permanent`);
  dp.ip('route add default via 203.0.113.2 dev eth1');
  return { dp, eth0, eth1 };
}
