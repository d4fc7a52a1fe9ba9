// UDP services on wxdp's node:dgram-compatible sockets (dp.udp), answering real Linux clients in two
// namespaces through VXLAN links: an echo service answering `socat`, the README's DNS responder ("A UDP
// service behind an XDP filter", its answer() as the README has it) answering `dig`, then
// programs/xdp_dns_filter.o attached in front: the blocked namespace's queries are dropped (dig times
// out), the other's answered, and what is not DNS (the echo) no longer reaches the stack.
//
//   namespace A: vx0 192.0.2.1/24    ═ vni 42 (slot 23) ═ wxdp vx0 192.0.2.53/24
//   namespace B: vx0 203.0.113.66/24 ═ vni 43 (slot 24) ═ wxdp vx1 203.0.113.53/24   (B's source blocked)
//   wxdp: echo on *:7, DNS on *:53 (both sockets this process's, on dp.udp)

import { once } from 'node:events';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Datapath } from '../../src/control/datapath.js';
import type { BpfObject } from '../../src/control/datapath.js';
import type { Device } from '../../src/control/device.js';
import { dnsAnswerOf } from '../support/readme_dns.js';
import type { Netns } from '../support/netns.js';
import { rootUnderlay, runIn, useE2e, vxlanClient, vxlanSpec } from './support.js';

const e2e = useE2e(['socat', 'dig', 'ping']);
const root = new URL('../../', import.meta.url).pathname;

/** `dig` in `ns` for www.example.test (or `name`) at `server`: one try, 2 s, no EDNS (RFC 1035 only). */
const dig = (ns: Netns, server: string, name = 'www.example.test') =>
  runIn(ns, ['dig', `@${server}`, name, 'A', '+noedns', '+tries=1', '+time=2'], 10_000);

describe.skipIf(e2e.why !== '')('UDP services on wxdp sockets answering Linux clients, behind an XDP filter', () => {
  let a: Netns;
  let b: Netns;
  let dp: Datapath;
  let devs: Device[];
  let filter: BpfObject | undefined;
  const mib = (name: string) => dp.stack.mib()[name] ?? 0;

  beforeAll(async () => {
    const ua = rootUnderlay(e2e.set.create(), 23);
    const ub = rootUnderlay(e2e.set.create(), 24);
    a = ua.ns;
    b = ub.ns;
    vxlanClient(ua, { vni: 42, addrs: ['192.0.2.1/24'] });
    vxlanClient(ub, { vni: 43, addrs: ['203.0.113.66/24'] });
    dp = await Datapath.create();
    devs = [dp.addDevice({ name: 'vx0', mac: '02:00:00:00:e2:20', mtu: 1450 }), dp.addDevice({ name: 'vx1', mac: '02:00:00:00:e2:21', mtu: 1450 })];
    for (const line of ['link set vx0 up', 'link set vx1 up', 'addr add 192.0.2.53/24 dev vx0', 'addr add 203.0.113.53/24 dev vx1']) dp.ip(line);
    await devs[0]!.attachLink(vxlanSpec(ua, 42));
    await devs[1]!.attachLink(vxlanSpec(ub, 43));

    const echo = dp.udp.createSocket('udp4');
    echo.on('message', (msg, rinfo) => echo.send(msg, rinfo.port, rinfo.address));
    echo.bind(7);
    await once(echo, 'listening');
    const answer = await dnsAnswerOf();
    const dns = dp.udp.createSocket('udp4');
    dns.on('message', (msg, rinfo) => {
      const reply = answer(msg);
      if (reply) dns.send(reply, rinfo.port, rinfo.address);
    });
    dns.bind(53);
    await once(dns, 'listening');
  });

  afterAll(async () => {
    await dp?.close();
  });

  it('echo: socat from each namespace gets its line back from wxdp\'s socket', async () => {
    for (const [ns, server] of [[a, '192.0.2.53'], [b, '203.0.113.53']] as const) {
      const r = await runIn(ns, ['sh', '-c', `echo "hello from ${ns.name}" | socat -t 1 -T 3 - UDP:${server}:7`]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe(`hello from ${ns.name}\n`);
    }
  });

  it('DNS: dig from both namespaces gets the README responder\'s answer: www.example.test A 192.0.2.80, TTL 300, authoritative', async () => {
    for (const [ns, server] of [[a, '192.0.2.53'], [b, '203.0.113.53']] as const) {
      const r = await dig(ns, server);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toContain('status: NOERROR');
      expect(r.stdout).toMatch(/flags: qr aa rd;/);
      expect(r.stdout).toMatch(/^www\.example\.test\.\s+300\s+IN\s+A\s+192\.0\.2\.80$/m);
      expect(r.stdout).toContain(`SERVER: ${server}#53(${server})`);
    }
    const nx = await dig(a, '192.0.2.53', 'nope.example.test');
    expect(nx.stdout).toContain('status: NXDOMAIN');
  });

  it('xdp_dns_filter in front: B (blocked) times out, A is answered, the echo (not DNS) is dropped; ICMP still passes', async () => {
    filter = await dp.loadObject(join(root, 'programs/xdp_dns_filter.o'));
    for (const d of devs) d.attachXdp(filter.program('xdp_dns_filter'));
    filter.map('blocked').update(Uint8Array.of(203, 0, 113, 66), Uint8Array.of(1));
    const verdicts = filter.typedMap<number, bigint>('verdicts');
    const inDatagrams = mib('Udp:InDatagrams');

    const blocked = await dig(b, '203.0.113.53');
    expect(blocked.code).toBe(9); // dig: no reply from the server
    expect(blocked.stdout).toMatch(/timed out/);
    const ok = await dig(a, '192.0.2.53');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^www\.example\.test\.\s+300\s+IN\s+A\s+192\.0\.2\.80$/m);
    const echo = await runIn(a, ['sh', '-c', 'echo dropped | socat -t 1 -T 1 - UDP:192.0.2.53:7']);
    expect(echo.stdout).toBe('');
    const ping = await runIn(b, ['ping', '-n', '-c', '2', '-i', '0.2', '-W', '2', '203.0.113.53']);
    expect(ping.stdout).toContain('2 packets transmitted, 2 received');

    // [0] DNS passed, [1] DNS from a blocked source, [2] UDP/TCP not to port 53: one query each way, one echo
    expect([0, 1, 2].map((k) => verdicts.get(k))).toEqual([1n, 1n, 1n]);
    expect(mib('Udp:InDatagrams') - inDatagrams).toBe(1);
  });
});
