// `ping`, `ping -6` and `ping -s 3000` from a Linux namespace to wxdp's addresses, through a VXLAN link:
// ARP, NDISC, ICMP echo and IPv4 fragmentation and reassembly by wxdp's stack, with the counters both
// ends keep (RFC 792 / 4443 echo; RFC 791 fragments on 8-byte boundaries).
//
//   namespace C: vx0 192.0.2.1/24 2001:db8::1/64 (mtu 1450) ══ vxlan vni 42 over the slot-20 veth ══
//   this process: wxdp vx0 192.0.2.2/24 2001:db8::2/64 (mtu 1450)

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Datapath } from '../../src/control/datapath.js';
import type { Device } from '../../src/control/device.js';
import type { Netns } from '../support/netns.js';
import { kernelSnmp, rootUnderlay, runIn, useE2e, vxlanClient, vxlanSpec } from './support.js';

const e2e = useE2e(['ping']);
const WXDP_MAC = '02:00:00:00:e2:02';

describe.skipIf(e2e.why !== '')('ping from a Linux namespace to wxdp through a VXLAN link', () => {
  let ns: Netns;
  let dp: Datapath;
  let dev: Device;
  const mib = (name: string) => dp.stack.mib()[name] ?? 0;

  beforeAll(async () => {
    const u = rootUnderlay(e2e.set.create(), 20);
    ns = u.ns;
    vxlanClient(u, { vni: 42, addrs: ['192.0.2.1/24', '2001:db8::1/64'] });
    dp = await Datapath.create();
    dev = dp.addDevice({ name: 'vx0', mac: WXDP_MAC, mtu: 1450 });
    for (const line of ['link set vx0 up', 'addr add 192.0.2.2/24 dev vx0', 'addr add 2001:db8::2/64 dev vx0']) dp.ip(line);
    await dev.attachLink(vxlanSpec(u, 42));
  });

  afterAll(async () => {
    await dp?.close();
  });

  it('ping: ARP resolves wxdp\'s MAC through the tunnel, and wxdp answers every echo', async () => {
    const echos = mib('Icmp:InEchos');
    const reps = mib('Icmp:OutEchoReps');
    const r = await runIn(ns, ['ping', '-n', '-c', '3', '-i', '0.2', '-W', '2', '192.0.2.2']);
    expect(r.stdout).toContain('3 packets transmitted, 3 received, 0% packet loss');
    expect(r.stdout).toMatch(/64 bytes from 192\.0\.2\.2: icmp_seq=1 ttl=64/);
    expect(ns.ip('neigh', 'show', '192.0.2.2', 'dev', 'vx0')).toContain(`lladdr ${WXDP_MAC}`);
    expect(mib('Icmp:InEchos') - echos).toBe(3);
    expect(mib('Icmp:OutEchoReps') - reps).toBe(3);
  });

  it('ping -6: neighbour discovery and ICMPv6 echo by wxdp\'s stack', async () => {
    const echos = mib('Icmp6:InEchos');
    const r = await runIn(ns, ['ping', '-6', '-n', '-c', '3', '-i', '0.2', '-W', '2', '2001:db8::2']);
    expect(r.stdout).toContain('3 packets transmitted, 3 received, 0% packet loss');
    expect(r.stdout).toMatch(/64 bytes from 2001:db8::2: icmp_seq=1 ttl=64/);
    expect(ns.ip('-6', 'neigh', 'show', '2001:db8::2', 'dev', 'vx0')).toContain(`lladdr ${WXDP_MAC}`);
    expect(mib('Icmp6:InEchos') - echos).toBe(3);
  });

  it('ping -s 3000: each echo leaves Linux in three fragments, wxdp reassembles it and fragments its reply alike', async () => {
    // 3000 data + 8 ICMP = 3008 bytes of IP payload; at MTU 1450 a fragment carries (1450 − 20) rounded
    // down to 8 = 1424 bytes: 1424 + 1424 + 160, three fragments each way for each echo.
    const before = { reqds: mib('Ip:ReasmReqds'), oks: mib('Ip:ReasmOKs'), creates: mib('Ip:FragCreates'), fragOks: mib('Ip:FragOKs') };
    const linuxOks = kernelSnmp(ns, 'Ip').ReasmOKs!;
    const linuxCreates = kernelSnmp(ns, 'Ip').FragCreates!;
    const r = await runIn(ns, ['ping', '-n', '-c', '2', '-i', '0.3', '-s', '3000', '-W', '2', '192.0.2.2']);
    expect(r.stdout).toContain('3008 bytes from 192.0.2.2: icmp_seq=1');
    expect(r.stdout).toContain('2 packets transmitted, 2 received, 0% packet loss');
    expect(kernelSnmp(ns, 'Ip').FragCreates! - linuxCreates).toBe(6);
    expect(mib('Ip:ReasmReqds') - before.reqds).toBe(6);
    expect(mib('Ip:ReasmOKs') - before.oks).toBe(2);
    expect(mib('Ip:FragCreates') - before.creates).toBe(6);
    expect(mib('Ip:FragOKs') - before.fragOks).toBe(2);
    expect(kernelSnmp(ns, 'Ip').ReasmOKs! - linuxOks).toBe(2);
  });
});
