// The README's "Links to Linux interfaces" example as it stands there (between the markers): the Linux end
// is the recipe (a vxlan in a namespace over a veth underlay, 198.51.100.1/30 ↔ .2), built here in
// a namespace of this test's own; wxdp's side is the README's code, run as written.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { Datapath } from '../../src/index.js';
import { useNamespaces } from '../support/netns.js';
import { readmeBlock, readmeText } from '../support/readme.js';
import { toolMissing, underlay } from './support.js';

const nsf = useNamespaces('links');
const noPing = toolMissing('ping', 'iputils-ping');

describe('README: links to Linux interfaces', () => {
  it('the example in the README is the one this test runs', () => {
    expect(readmeText()).toContain(readmeBlock(import.meta.url));
  });

  it.skipIf(!nsf.available.ok || noPing !== '')('runs: ping from the namespace answered by wxdp through VXLAN', async () => {
    // The issue's recipe, with this test's namespace in place of `c` and slot 0's /30 (198.51.100.0/30).
    const u = underlay(nsf.set, 0);
    u.ns.ip('link', 'add', 'vx0', 'type', 'vxlan', 'id', '42', 'local', '198.51.100.2', 'remote', '198.51.100.1', 'dstport', '4789');
    u.ns.ip('addr', 'add', '192.0.2.1/24', 'dev', 'vx0');
    u.ns.ip('link', 'set', 'vx0', 'up');
    const r = await example(u.ns.name);
    expect(r.stdout).toContain('3 packets transmitted, 3 received');
    expect(r.stats).toMatchObject({ rxDropped: 0, txErrors: 0 });
    expect(r.stats.rxPackets).toBeGreaterThanOrEqual(4); // the ARP request and three echo requests
    expect(r.stats.txPackets).toBeGreaterThanOrEqual(4);
  });
});

async function example(NS: string) {
  // >>> README
  const dp = await Datapath.create();
  const vx0 = dp.addDevice({ name: 'vx0', mac: '02:00:00:00:00:02', mtu: 1450 });
  dp.ip('link set vx0 up');
  dp.ip('addr add 192.0.2.2/24 dev vx0');
  const link = await vx0.attachLink({ type: 'vxlan', vni: 42, local: '198.51.100.1', remote: '198.51.100.2' });

  // Linux pings wxdp: ARP and ICMP are answered by wxdp's stack, through the tunnel
  const { stdout } = await promisify(execFile)('ip', ['netns', 'exec', NS, 'ping', '-c', '3', '-i', '0.2', '192.0.2.2']);
  console.log(stdout); // 3 packets transmitted, 3 received, 0% packet loss
  const stats = link.stats(); // { rxPackets: 4, txPackets: 4, errors: { VNI_NOT_FOUND: 0, … }, … }
  await vx0.detachLink(); // the socket is closed: nothing keeps the process alive
  // <<< README
  return { stdout, stats };
}
