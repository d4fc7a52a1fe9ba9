// The README's "A UDP service on a real link" example as it stands there (between the markers): the DNS
// responder of "A UDP service behind an XDP filter" (its answer(), as the README has it) on wxdp's
// sockets, behind programs/xdp_dns_filter.o, reached over a VXLAN link from a Linux namespace that asks
// with `dig` — once from its own address (answered) and once from a blocked one (dropped by the filter,
// so dig gets no reply: exit 9). The Linux end is the Links section's recipe, built in this test's own
// namespace, with a second address to be blocked and TX checksum offload off (see the README).

import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { Datapath } from '../../src/index.js';
import { softwareChecksums } from '../../bench/link_topology.js';
import { useNamespaces } from '../support/netns.js';
import { readmeBlock, readmeText } from '../support/readme.js';
import { dnsAnswerOf, type DnsAnswer } from '../support/readme_dns.js';
import { toolMissing, underlay } from './support.js';

const nsf = useNamespaces('lnsvc');
const noDig = toolMissing('dig', 'bind9-dnsutils');

describe('README: a UDP service on a real link', () => {
  it('the example in the README is the one this test runs', () => {
    expect(readmeText()).toContain(readmeBlock(import.meta.url));
  });

  it.skipIf(!nsf.available.ok || noDig !== '')(`runs: dig from a namespace answered through VXLAN, a blocked source dropped by the filter${noDig ? ` (skipped: ${noDig})` : ''}`, async () => {
    const u = underlay(nsf.set, 1);
    u.ns.ip('link', 'add', 'vx0', 'type', 'vxlan', 'id', '42', 'local', u.nsAddr, 'remote', u.hostAddr, 'dstport', '4789');
    u.ns.ip('addr', 'add', '192.0.2.1/24', 'dev', 'vx0');
    u.ns.ip('addr', 'add', '192.0.2.66/24', 'dev', 'vx0');
    u.ns.ip('link', 'set', 'vx0', 'up');
    softwareChecksums(u.ns, 'vx0');
    const r = await example(u.ns.name, await dnsAnswerOf(), u.hostAddr, u.nsAddr);
    expect(r.answered.stdout).toBe('192.0.2.80\n');
    expect(r.blockedCode).toBe(9); // dig: no reply from the server
    expect(r.verdicts).toEqual([1n, 1n, 0n]); // one query passed, one blocked, nothing else
    expect(r.mib['Udp:InDatagrams']).toBe(1);
    expect(r.mib['Udp:InCsumErrors'] ?? 0).toBe(0);
  });
});

async function example(NS: string, answer: DnsAnswer, LOCAL: string, REMOTE: string) {
  // >>> README
  const dp = await Datapath.create();
  const vx0 = dp.addDevice({ name: 'vx0', mac: '02:00:00:00:00:02', mtu: 1450 });
  dp.ip('link set vx0 up');
  dp.ip('addr add 192.0.2.2/24 dev vx0');
  await vx0.attachLink({ type: 'vxlan', vni: 42, local: LOCAL, remote: REMOTE });

  const filter = await dp.loadObject(import.meta.resolve('wxdp/programs/xdp_dns_filter.o'));
  vx0.attachXdp(filter.program('xdp_dns_filter'));
  filter.map('blocked').update(Uint8Array.of(192, 0, 2, 66), Uint8Array.of(1)); // drop this source

  const dns = dp.udp.createSocket('udp4'); // answer(): the responder of the section above
  dns.on('message', (msg, rinfo) => {
    const reply = answer(msg);
    if (reply) dns.send(reply, rinfo.port, rinfo.address);
  });
  dns.bind(53, '192.0.2.2');
  await once(dns, 'listening');

  // Linux asks: from its own address (answered), then from the blocked one (dropped by the filter)
  const dig = (...args: string[]) => promisify(execFile)('ip', ['netns', 'exec', NS, 'dig', '@192.0.2.2', 'www.example.test', 'A', '+short', '+tries=1', '+time=1', ...args]);
  const answered = await dig('-b', '192.0.2.1');
  console.log(answered.stdout); // 192.0.2.80
  const blockedCode = await dig('-b', '192.0.2.66').then(() => 0, (e: { code: number }) => e.code);
  console.log(blockedCode); // 9: no reply from the server

  const verdicts = [0, 1, 2].map((k) => filter.typedMap<number, bigint>('verdicts').get(k)); // passed, blocked, not DNS
  const mib = dp.stack.mib(); // Udp:InDatagrams 1
  await dp.close(); // the link, the socket and the poller: nothing keeps the process alive
  // <<< README
  return { answered, blockedCode, verdicts, mib };
}
