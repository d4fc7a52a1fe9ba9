// A Linux vxlan / geneve device in a namespace talks to wxdp's stack through a link: `ping`, `ping -s 3000`
// (fragments both ways) and `ping -6` from the namespace answered by wxdp (ARP / NDISC and ICMP by its
// stack); what wxdp puts on the underlay compared byte for byte with a hand-built frame; datagrams Linux's
// device would never send (wrong VNI, junk) counted while pings keep working.
//
//   wxdp Datapath: device vx0 (192.0.2.2/24, 2001:db8::2/64) ── link ── socket HOST:port
//        ══ veth underlay ══  namespace: c0 ── vx0/gn0 (192.0.2.1/24, 2001:db8::1/64), id 42, remote HOST
//
// Linux bypasses the encapsulation when the remote is an address of its own namespace, hence the
// namespace and the veth (tests/link/support.ts).

import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Datapath } from '../../src/control/datapath.js';
import type { Device } from '../../src/control/device.js';
import type { Link } from '../../src/control/link.js';
import { afpacketAsync, pythonAvailability } from '../support/afpacket.js';
import { useNamespaces } from '../support/netns.js';
import { eth, hex, ipv4, udp4 } from '../net/support.js';
import { runIn, toolMissing, tunnelMissing, underlay, type Underlay } from './support.js';

const nsf = useNamespaces('links');
const noPing = toolMissing('ping', 'iputils-ping');
if (noPing) it.skip(`ping missing: ${noPing}`, () => {});
const py = pythonAvailability();
/** Kinds this kernel lacks (this one, built without modules, has vxlan but no geneve): skipped with the reason. */
const missing = new Map<string, string>();
if (nsf.available.ok && !noPing) {
  for (const kind of ['vxlan', 'geneve'] as const) {
    const why = tunnelMissing(nsf.set, kind);
    if (why) {
      missing.set(kind, why);
      it.skip(`${kind} link to a Linux ${kind} device: ${why}`, () => {});
    }
  }
}

const WXDP_MAC = '02:00:00:00:00:02';
const LINUX_MAC = '02:00:00:00:0c:01';

interface Case {
  kind: 'vxlan' | 'geneve';
  /** The underlay's family (the inner traffic is both either way). */
  underlay: 4 | 6;
  slot: number;
  port: number;
  /** The 8 bytes each kind's header has for VNI 42 and no options (RFC 7348 / RFC 8926, as Linux writes them). */
  header: number[];
  linuxDev(u: Underlay): string[];
}

const cases: Case[] = [
  {
    kind: 'vxlan',
    underlay: 4,
    slot: 8,
    port: 4789,
    header: [0x08, 0, 0, 0, 0, 0, 42, 0],
    linuxDev: (u) => ['link', 'add', 'tn0', 'address', LINUX_MAC, 'mtu', '1450', 'type', 'vxlan', 'id', '42', 'local', u.nsAddr, 'remote', u.hostAddr, 'dstport', '4789'],
  },
  {
    kind: 'vxlan',
    underlay: 6,
    slot: 10,
    port: 4789,
    header: [0x08, 0, 0, 0, 0, 0, 42, 0],
    linuxDev: (u) => ['link', 'add', 'tn0', 'address', LINUX_MAC, 'mtu', '1430', 'type', 'vxlan', 'id', '42', 'local', u.nsAddr6, 'remote', u.hostAddr6, 'dstport', '4789'],
  },
  {
    kind: 'geneve',
    underlay: 4,
    slot: 9,
    port: 6081,
    header: [0, 0, 0x65, 0x58, 0, 0, 42, 0],
    linuxDev: (u) => ['link', 'add', 'tn0', 'address', LINUX_MAC, 'mtu', '1450', 'type', 'geneve', 'id', '42', 'remote', u.hostAddr],
  },
];

describe.skipIf(!nsf.available.ok || noPing !== '').each(cases.filter((c) => !missing.has(c.kind)))('$kind link to a Linux $kind device over IPv$underlay', (c) => {
  let u: Underlay;
  let dp: Datapath;
  let dev: Device;
  let link: Link;

  beforeAll(async () => {
    u = underlay(nsf.set, c.slot);
    u.ns.sysctl({ 'net.ipv6.conf.all.accept_dad': 0, 'net.ipv6.conf.default.accept_dad': 0 });
    u.ns.ip(...c.linuxDev(u));
    u.ns.ip('addr', 'add', '192.0.2.1/24', 'dev', 'tn0');
    u.ns.ip('addr', 'add', '2001:db8::1/64', 'dev', 'tn0', 'nodad');
    u.ns.ip('link', 'set', 'tn0', 'up');
    dp = await Datapath.create();
    dev = dp.addDevice({ name: 'vx0', mac: WXDP_MAC, mtu: c.underlay === 4 ? 1450 : 1430 });
    for (const line of ['link set vx0 up', 'addr add 192.0.2.2/24 dev vx0', 'addr add 2001:db8::2/64 dev vx0']) dp.ip(line);
    link = await dev.attachLink(
      c.underlay === 4 ? { type: c.kind, vni: 42, local: u.hostAddr, remote: u.nsAddr } : { type: c.kind, vni: 42, local: u.hostAddr6, remote: u.nsAddr6 },
    );
  });

  afterAll(async () => {
    await dev?.detachLink();
  });

  it.skipIf(!py.ok || c.underlay === 6)('answers ARP for its address; its datagram on the underlay is the hand-built frame, byte for byte', async () => {
    // The capture starts when python is up, which a loaded machine delays: ask for ARP several times in
    // its window (the neighbour entry flushed each time), and look for the reply among what arrived.
    const capture = afpacketAsync(u.ns, [{ send: [], capture: ['c0'], windowMs: 4000, maxFrames: 64 }]);
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setTimeout(r, 500));
      u.ns.ip('neigh', 'flush', 'dev', 'tn0');
      const r = await runIn(u.ns, ['ping', '-c', '1', '-W', '1', '192.0.2.2']);
      expect(r.stdout).toContain('1 received');
    }
    const frames = (await capture).rounds[0]!.frames['c0'] ?? [];
    const mac = (ifname: string, ns?: typeof u.ns) =>
      (ns ? ns.ipJson<Array<{ address: string }>>('link', 'show', ifname) : JSON.parse(hostIp('-j', 'link', 'show', ifname)))[0].address as string;
    // The ARP reply wxdp's stack sends (RFC 826; 42 bytes as the kernel's arp_create, no padding on a tunnel).
    const arpReply = eth(
      { dst: LINUX_MAC, src: WXDP_MAC, type: 0x0806 },
      Uint8Array.from([0, 1, 8, 0, 6, 4, 0, 2, ...macBytes(WXDP_MAC), 192, 0, 2, 2, ...macBytes(LINUX_MAC), 192, 0, 2, 1]),
    );
    // The outer headers are the OS socket's: DF set (IP_PMTUDISC_WANT), TTL 64, from the link's port to the
    // kind's port. Masked: the IPv4 ID (ip_select_ident's counter) and with it the header checksum, and the
    // UDP checksum (the socket's datagram is CHECKSUM_PARTIAL on a veth: AF_PACKET sees the pseudo-header
    // sum, not the final one).
    const expected = eth(
      { dst: mac('c0', u.ns), src: mac(u.hostIf), type: 0x0800 },
      ipv4({ src: u.hostAddr, dst: u.nsAddr, proto: 17, id: 0, df: true, ttl: 64 }, udp4(u.hostAddr, u.nsAddr, link.address().port, c.port, Uint8Array.from([...c.header, ...arpReply]))),
    );
    const masked = (f: Uint8Array) => {
      const m = Uint8Array.from(f);
      for (const o of [18, 19, 24, 25, 40, 41]) if (o < m.length) m[o] = 0;
      return hex(m);
    };
    const fromWxdp = frames.filter((f) => f.length > 50 && f[23] === 17 && f[36] === c.port >> 8 && f[37] === (c.port & 0xff));
    expect(fromWxdp.map(masked)).toContain(masked(expected));
  });

  it('ping: three echo replies from wxdp; the namespace learnt wxdp\'s MAC through the tunnel', async () => {
    const r = await runIn(u.ns, ['ping', '-c', '3', '-i', '0.2', '-W', '2', '192.0.2.2']);
    expect(r.stdout).toContain('3 packets transmitted, 3 received');
    expect(u.ns.ip('neigh', 'show', '192.0.2.2', 'dev', 'tn0')).toContain(`lladdr ${WXDP_MAC}`);
    const s = link.stats();
    expect(s.rxPackets).toBeGreaterThanOrEqual(3);
    expect(s.txPackets).toBeGreaterThanOrEqual(3);
    expect(s.rxDropped).toBe(0);
  });

  it('ping -s 3000: fragments through the tunnel both ways, reassembled by wxdp and by Linux', async () => {
    const r = await runIn(u.ns, ['ping', '-c', '2', '-i', '0.3', '-s', '3000', '-W', '2', '192.0.2.2']);
    expect(r.stdout).toContain('3008 bytes from 192.0.2.2');
    expect(r.stdout).toContain('2 packets transmitted, 2 received');
  });

  it('ping -6: neighbour discovery and ICMPv6 echo by wxdp\'s stack', async () => {
    const r = await runIn(u.ns, ['ping', '-6', '-c', '3', '-i', '0.2', '-W', '2', '2001:db8::2']);
    expect(r.stdout).toContain('3 packets transmitted, 3 received');
    expect(u.ns.ip('-6', 'neigh', 'show', '2001:db8::2', 'dev', 'tn0')).toContain(`lladdr ${WXDP_MAC}`);
  });

  it('UDP from the namespace reaches a wxdp socket; with the checksum Linux leaves unfinished over a veth it is InCsumErrors', async () => {
    const sock = dp.udp.createSocket('udp4');
    const got: string[] = [];
    sock.on('message', (m) => got.push(m.toString()));
    sock.bind(7, '192.0.2.2');
    await new Promise((r) => sock.once('listening', r));
    const before = dp.stack.mib()['Udp:InCsumErrors'] ?? 0;
    const send = (noCheck: boolean, text: string) =>
      runIn(u.ns, [
        'python3',
        '-c',
        `import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n${noCheck ? 's.setsockopt(socket.SOL_SOCKET, 11, 1)\n' : ''}s.sendto(b'${text}', ('192.0.2.2', 7))`,
      ]);
    expect((await send(true, 'checksum 0')).code).toBe(0); // SO_NO_CHECK: no checksum, valid over IPv4
    expect((await send(false, 'partial')).code).toBe(0);
    const deadline = Date.now() + 3000;
    while ((got.length < 1 || (dp.stack.mib()['Udp:InCsumErrors'] ?? 0) === before) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(got).toEqual(['checksum 0']);
    expect((dp.stack.mib()['Udp:InCsumErrors'] ?? 0) - before).toBe(1);
    sock.close();
  });

  it('datagrams no Linux device sends (wrong VNI, truncated, junk) are counted and pings still get through', async () => {
    const before = link.stats();
    // From the namespace's underlay address, as a confused or hostile peer would send them.
    const script = [
      'import socket',
      c.underlay === 4
        ? `s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('${u.nsAddr}', 0)); dst = ('${u.hostAddr}', ${c.port})`
        : `s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.bind(('${u.nsAddr6}', 0)); dst = ('${u.hostAddr6}', ${c.port})`,
      `hdr = bytes(${JSON.stringify(c.header)})`,
      'frame = bytes.fromhex("020000000002020000000c010806") + bytes(28)',
      's.sendto(hdr[:6] + bytes([0, 43, 0]) + frame, dst)', // VNI 43 (bytes 4..6 rewritten: 0x00002b)
      's.sendto(hdr[:5], dst)', // truncated
      's.sendto(bytes([0x40 | 0x80]) + bytes(63), dst)', // junk: neither an I flag nor version 0
    ].join('\n');
    const r = await runIn(u.ns, ['python3', '-c', script]);
    expect(r.code).toBe(0);
    const deadline = Date.now() + 3000;
    while (link.stats().rxDatagrams < before.rxDatagrams + 3 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 10));
    const after = link.stats();
    expect(after.errors.VNI_NOT_FOUND - before.errors.VNI_NOT_FOUND).toBe(1);
    expect(after.errors.HDR_TRUNC - before.errors.HDR_TRUNC).toBe(1);
    expect(after.errors.INVALID_HDR - before.errors.INVALID_HDR).toBe(1);
    const p = await runIn(u.ns, ['ping', '-c', '2', '-i', '0.2', '-W', '2', '192.0.2.2']);
    expect(p.stdout).toContain('2 received');
  });
});

function macBytes(m: string): number[] {
  return m.split(':').map((x) => parseInt(x, 16));
}

function hostIp(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8' });
}
