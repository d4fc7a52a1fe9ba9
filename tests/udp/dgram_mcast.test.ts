// node:dgram's multicast interface on wxdp's sockets: addMembership, dropMembership, the source-specific
// pair, setMulticastInterface / Loopback / TTL.
//   - Their results and errors, step by step (dgram_mcast_steps.mjs), against node:dgram itself run in a
//     namespace this file creates (wx-udpgaps-…: a veth a0 with 192.0.2.1/24, as wxdp's device a0).
//   - Delivery between two data paths joined by a wire: a member receives the group's datagrams until it
//     drops the group; a non-member bound to the port (IP_MULTICAST_ALL) too while the device is in the
//     group; the sender's own member gets the looped copy unless setMulticastLoopback(false).

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { Datapath } from '../../src/control/datapath.js';
import type { UdpSocket } from '../../src/control/udp.js';
import type { Wire } from '../../src/control/wire.js';
import { closeOpened, settlePair, wiredPair } from './support.js';
import { useNamespaces } from '../support/netns.js';
// @ts-expect-error: a plain ES module shared with the node child (no declarations)
import { steps } from './dgram_mcast_steps.mjs';

const STEPS = fileURLToPath(new URL('./dgram_mcast_steps.mjs', import.meta.url));
type Outcome = Array<[string, string, unknown, unknown?]>;
const runSteps = steps as (createSocket: (type: 'udp4' | 'udp6') => UdpSocket) => Outcome;

const nsa = useNamespaces('udpgaps');

describe.skipIf(!nsa.available.ok)('the multicast calls against node:dgram in a namespace', () => {
  it('every step: the same result, or the same error (code, message, errno)', async () => {
    const ns = nsa.set.create();
    ns.batch(['link add a0 type veth peer name a1', 'addr add 192.0.2.1/24 dev a0', 'link set a0 up', 'link set a1 up'].join('\n'));
    const node = JSON.parse(ns.exec([process.execPath, STEPS], { timeoutMs: 30_000 })) as Outcome;
    const dp = await Datapath.create();
    dp.addDevice({ name: 'a0', mac: '02:00:00:00:0a:01' });
    dp.ip('link set a0 up');
    dp.ip('addr add 192.0.2.1/24 dev a0');
    const ours = runSteps((type) => dp.udp.createSocket(type));
    // not vacuous: node refused some and took others
    expect(node.filter((o) => o[1] === 'ok').length).toBeGreaterThan(10);
    expect(node.filter((o) => o[1] !== 'ok').length).toBeGreaterThan(10);
    expect(ours).toEqual(node);
  });
});

describe('multicast between two data paths on a wire', () => {
  let a: Datapath;
  let b: Datapath;
  let wire: Wire;
  const open: UdpSocket[] = [];

  const settle = (): void => settlePair(a, b);

  beforeEach(async () => {
    ({ a, b, wire } = await wiredPair());
  });

  afterEach(() => {
    closeOpened(open);
    wire.close();
  });

  /** A datagram sent (its callback came: the address was taken and the frames are out) and the wire carried. */
  async function send(s: UdpSocket, msg: string, port: number, address: string): Promise<void> {
    await new Promise<void>((resolve, reject) => s.send(msg, port, address, (err) => (err ? reject(err) : resolve())));
    settle();
  }

  async function sock(dp: Datapath, port: number): Promise<{ s: UdpSocket; got: string[] }> {
    const s = dp.udp.createSocket({ type: 'udp4', reuseAddr: true });
    open.push(s);
    const got: string[] = [];
    s.on('message', (m, r) => got.push(`${m.toString()} from ${r.address}`));
    s.bind(port);
    await once(s, 'listening');
    return { s, got };
  }

  it('a member hears the group until it drops it; a socket of the port without a membership hears it too while the device is in the group', async () => {
    const m = await sock(b, 5000);
    const other = await sock(b, 5000);
    const tx = await sock(a, 0);
    tx.s.setMulticastInterface('192.0.2.1');
    m.s.addMembership('239.5.5.5', '192.0.2.2');
    await send(tx.s, 'one', 5000, '239.5.5.5');
    m.s.dropMembership('239.5.5.5', '192.0.2.2');
    await send(tx.s, 'two', 5000, '239.5.5.5');
    settle();
    expect(m.got).toEqual(['one from 192.0.2.1']);
    expect(other.got).toEqual(['one from 192.0.2.1']);
    expect(b.socketTable.deviceGroups()).toEqual([]);
  });

  it('source-specific: datagrams from the source only; the sender\'s own member gets the looped copy unless loopback is off', async () => {
    const m = await sock(b, 5001);
    const self = await sock(a, 5001);
    self.s.addMembership('239.6.6.6', '192.0.2.1');
    m.s.addSourceSpecificMembership('192.0.2.9', '232.6.6.6', '192.0.2.2');
    expect(b.socketTable.deviceGroups()).toEqual([{ ifindex: b.links.ifindex('w0'), family: 'inet', group: '232.6.6.6', users: 1 }]);
    const tx = await sock(a, 0);
    tx.s.setMulticastInterface('192.0.2.1');
    await send(tx.s, 'ssm', 5001, '232.6.6.6'); // from 192.0.2.1: not the source
    await send(tx.s, 'looped', 5001, '239.6.6.6');
    settle();
    tx.s.setMulticastLoopback(false);
    await send(tx.s, 'not looped', 5001, '239.6.6.6');
    settle();
    expect(m.got).toEqual([]);
    expect(self.got).toEqual(['looped from 192.0.2.1']);
  });
});
