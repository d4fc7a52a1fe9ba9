// Path MTU learning of UDP sockets, against the kernel. In a namespace pair this file creates
// (wx-udpgaps-…: H with the wxdp fixture's addresses and routes through a gateway on P's side of a veth),
// a Python socket in H sends a 1400-byte datagram; P answers it with an ICMP fragmentation needed /
// ICMPv6 packet too big quoting it (built from the frame H sent); the socket sends the same datagram
// again. The second send's frames (or its errno) and what the socket was told are compared with wxdp
// doing the same: fragments at the learned MTU (ipv4_sk_update_pmtu / ip6_sk_update_pmtu), EMSGSIZE
// with IP_PMTUDISC_DO / IPV6_DONTFRAG, min_pmtu (552) for a smaller IPv4 MTU, nothing learned from an
// IPv6 MTU under 1280 or from one above the route's. Masked: the IPv4 ID and header checksum, the IPv6 flow label and
// fragment identification (the kernel hashes a secret into them), and the UDP checksum (the kernel's
// veth leaves it to offload: the frame P reads carries the partial sum).

import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { useNamespaces } from '../support/netns.js';
import { Fixture, stackUnready, eth, hex, icmp4, icmp6, ipv4, ipv6 } from '../net/support.js';
import { H_MAC, LINKS, NEIGH, R_MAC } from './support.js';
import { UdpSender, UdpSendError } from '../../src/control/udp_send.js';
import { AF_INET, AF_INET6 } from '../../src/runtime/net_abi.js';

const nsa = useNamespaces('udpgaps');
const unready = await stackUnready();
const py = spawnSync('/usr/bin/python3', ['-c', 'import socket']).status === 0;
const skip = !nsa.available.ok || unready !== '' || !py;
if (!py) it.skip('python3 is missing', () => {});

const ROUTES = [{ dst: '203.0.113.0/24', via: '192.0.2.2', dev: 'eth0' }, { dst: '2001:db8:2::/64', via: '2001:db8:1::2', dev: 'eth0' }];

interface Case {
  what: string;
  family: 4 | 6;
  dst: string;
  /** The MTU the ICMP message names. */
  mtu: number;
  /** IP_MTU_DISCOVER / IPV6_MTU_DISCOVER. */
  pmtudisc?: number;
  dontfrag?: 1;
  connect?: 1;
}
const CASES: Case[] = [
  { what: 'IPv4, IP_PMTUDISC_WANT: fragments at 1000', family: 4, dst: '203.0.113.1', mtu: 1000 },
  { what: 'IPv4, connected: EMSGSIZE reported, fragments at 1000', family: 4, dst: '203.0.113.2', mtu: 1000, connect: 1 },
  { what: 'IPv4, IP_PMTUDISC_DO: EMSGSIZE from the send', family: 4, dst: '203.0.113.3', mtu: 1000, pmtudisc: 2 },
  { what: 'IPv4, IP_PMTUDISC_DONT: learned all the same', family: 4, dst: '203.0.113.4', mtu: 1000, pmtudisc: 0 },
  { what: 'IPv4, an MTU under min_pmtu: 552, locked', family: 4, dst: '203.0.113.5', mtu: 400 },
  { what: 'IPv4, an MTU above the route\'s: nothing learned', family: 4, dst: '203.0.113.6', mtu: 1600 },
  { what: 'IPv4, IP_PMTUDISC_OMIT: nothing learned', family: 4, dst: '203.0.113.7', mtu: 1000, pmtudisc: 5 },
  { what: 'IPv6: fragments at 1280', family: 6, dst: '2001:db8:2::1', mtu: 1280 },
  { what: 'IPv6, an MTU under 1280: discarded, nothing learned', family: 6, dst: '2001:db8:2::2', mtu: 1000 },
  { what: 'IPv6, IPV6_DONTFRAG: EMSGSIZE from the send', family: 6, dst: '2001:db8:2::3', mtu: 1300, dontfrag: 1 },
  { what: 'IPv6, connected: EMSGSIZE reported', family: 6, dst: '2001:db8:2::4', mtu: 1400, connect: 1 },
];
const SIZE = 1400;
const payload = Uint8Array.from({ length: SIZE }, (_, i) => (i * 11) & 0xff);

/** The ICMP error P sends about the frame `sent` (an Ethernet frame H sent), naming `mtu`. */
function icmpFor(sent: Uint8Array, mtu: number): Uint8Array {
  if (sent[12] === 0x08) {
    const quote = sent.subarray(14, 14 + 28);
    return eth({ dst: R_MAC, src: H_MAC, type: 0x0800 }, ipv4({ src: '192.0.2.2', dst: '192.0.2.1', proto: 1, id: 77 }, icmp4(3, 4, [0, 0, mtu >> 8, mtu & 255], quote)));
  }
  const quote = sent.subarray(14, Math.min(sent.length, 14 + 1232));
  return eth({ dst: R_MAC, src: H_MAC, type: 0x86dd }, ipv6({ src: '2001:db8:1::2', dst: '2001:db8:1::1', nh: 58 }, icmp6('2001:db8:1::2', '2001:db8:1::1', 2, 0, [mtu >>> 24, (mtu >> 16) & 255, (mtu >> 8) & 255, mtu & 255], quote)));
}

function mask(f: Uint8Array): string {
  const c = Uint8Array.from(f);
  if (c[12] === 0x08) {
    c.fill(0, 18, 20);
    c.fill(0, 24, 26);
    const off = ((c[20]! << 8) | c[21]!) & 0x1fff;
    if (off === 0) c.fill(0, 14 + 20 + 6, 14 + 20 + 8);
  } else {
    c[15]! &= 0xf0;
    c[16] = c[17] = 0;
    if (c[20] === 44) {
      c.fill(0, 14 + 44, 14 + 48);
      const off = ((c[56]! << 8) | c[57]!) & 0xfff8;
      if (off === 0) c.fill(0, 14 + 48 + 6, 14 + 48 + 8);
    } else c.fill(0, 14 + 40 + 6, 14 + 40 + 8);
  }
  return hex(c);
}

const CODE = `
import ctypes, errno, json, os, select, socket, sys, time
cfg = json.loads(sys.argv[1])
libc = ctypes.CDLL(None, use_errno=True)
home = os.open('/proc/self/ns/net', os.O_RDONLY)
probe = os.open('/run/netns/' + cfg['probe'], os.O_RDONLY)
assert libc.setns(probe, 0x40000000) == 0
cap = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
cap.bind(('eth0', 0))
assert libc.setns(home, 0x40000000) == 0
def frames():
    out = []
    while select.select([cap], [], [], 0.1)[0]:
        f, a = cap.recvfrom(70000)
        if a[2] != socket.PACKET_OUTGOING and (f[12:14] == b'\\x08\\x00' and f[23] == 17 or f[12:14] == b'\\x86\\xdd' and f[20] in (17, 44)):
            out.append(f.hex())
    return out
payload = bytes((i * 11) & 0xff for i in range(cfg['size']))
out = []
for c in cfg['cases']:
    v6 = c['family'] == 6
    s = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(('2001:db8:1::1' if v6 else '192.0.2.1', 7500))
    if 'pmtudisc' in c:
        s.setsockopt(41 if v6 else 0, 23 if v6 else 10, c['pmtudisc'])
    if c.get('dontfrag'):
        s.setsockopt(41, 62, 1)
    if c.get('connect'):
        s.connect((c['dst'], 9))
    def send():
        try:
            return s.send(payload) if c.get('connect') else s.sendto(payload, (c['dst'], 9))
        except OSError as e:
            return errno.errorcode[e.errno]
    frames()
    r1 = send()
    first = frames()
    out.append(None)
    print(json.dumps({'case': len(out) - 1, 'first': first}), flush=True)
    req = sys.stdin.readline()
    icmp = bytes.fromhex(req.strip())
    assert libc.setns(probe, 0x40000000) == 0
    tx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    tx.bind(('eth0', 0))
    tx.send(icmp)
    tx.close()
    assert libc.setns(home, 0x40000000) == 0
    time.sleep(0.05)
    err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    r2 = send()
    out[-1] = {'first': r1, 'err': errno.errorcode.get(err, 0) if err else 0, 'second': r2, 'frames': frames()}
    s.close()
print(json.dumps({'done': out}), flush=True)
`;

describe.skipIf(skip)('UDP sockets learn the path MTU from ICMP, against the kernel', () => {
  it('the send after the ICMP message: the same frames or errno, the same error told to the socket', async () => {
    const h = nsa.set.create();
    const p = nsa.set.create();
    h.sysctl({ 'net.ipv6.conf.all.accept_dad': 0, 'net.ipv6.conf.default.accept_dad': 0, 'net.ipv6.conf.default.router_solicitations': 0, 'net.ipv4.icmp_ratelimit': 0 });
    p.sysctl({ 'net.ipv6.conf.default.disable_ipv6': 1 });
    nsa.set.veth({ ns: h, name: 'eth0', mac: R_MAC }, { ns: p, name: 'eth0', mac: H_MAC });
    h.batch([
      'addr add 192.0.2.1/24 brd + dev eth0', 'addr add 198.51.100.1/24 brd + dev eth0', 'addr add 2001:db8:1::1/64 dev eth0 nodad',
      `neigh replace 192.0.2.2 lladdr ${H_MAC} dev eth0 nud permanent`, `neigh replace 2001:db8:1::2 lladdr ${H_MAC} dev eth0 nud permanent`,
      'route add 203.0.113.0/24 via 192.0.2.2 dev eth0', 'route add 2001:db8:2::/64 via 2001:db8:1::2 dev eth0',
    ].join('\n'));
    // the kernel's side, driven case by case: Python reports the first send's frames, this file answers
    // with the ICMP message for them
    const { spawn } = await import('node:child_process');
    const child = spawn('ip', ['netns', 'exec', h.name, '/usr/bin/python3', '-c', CODE, JSON.stringify({ probe: p.name, size: SIZE, cases: CASES})]);
    const kernel = await new Promise<Array<{ first: number | string; err: string | 0; second: number | string; frames: string[] }>>((resolve, reject) => {
      let buf = '';
      let errText = '';
      child.stderr.on('data', (d) => (errText += String(d)));
      child.on('exit', (code) => (code !== 0 ? reject(new Error(`python: ${errText}`)) : undefined));
      child.stdout.on('data', (d) => {
        buf += String(d);
        for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
          const msg = JSON.parse(buf.slice(0, nl)) as { case?: number; first?: string[]; done?: never };
          buf = buf.slice(nl + 1);
          if (msg.done) resolve(msg.done);
          else {
            const sent = Uint8Array.from(Buffer.from(msg.first![0] ?? '', 'hex'));
            child.stdin.write(hex(icmpFor(sent, CASES[msg.case!]!.mtu)) + '\n');
          }
        }
      });
    });

    const fx = await Fixture.create(LINKS, ROUTES, NEIGH, { sysctls: { 'net.ipv4.icmp_ratelimit': 0 } });
    const t = fx.dp.socketTable;
    const send = new UdpSender(fx.dp);
    const ours = CASES.map((c) => {
      const v6 = c.family === 6;
      const id = t.create({ family: v6 ? 'inet6' : 'inet' });
      t.bind(id, v6 ? '2001:db8:1::1' : '192.0.2.1', 7500);
      if (c.pmtudisc !== undefined) t.setOption(id, v6 ? 'IPV6_MTU_DISCOVER' : 'IP_MTU_DISCOVER', c.pmtudisc);
      if (c.dontfrag) t.setOption(id, 'IPV6_DONTFRAG', 1);
      if (c.connect) t.connect(id, c.dst, 9);
      const once = (): number | string => {
        try {
          return send.send(id, payload, c.connect ? undefined : { address: c.dst, port: 9 }, v6 ? AF_INET6 : AF_INET);
        } catch (e) {
          if (e instanceof UdpSendError) return e.errno;
          throw e;
        }
      };
      fx.tx();
      const first = once();
      const sent = (fx.tx().get('eth0') ?? [])[0]!;
      fx.rx('eth0', icmpFor(sent, c.mtu));
      const err = t.takeError(id) ?? 0;
      const second = once();
      const frames = (fx.tx().get('eth0') ?? []).filter((f) => (f[12] === 8 && f[23] === 17) || (f[12] === 0x86 && (f[20] === 17 || f[20] === 44)));
      t.close(id);
      return { first, err, second, frames: frames.map(mask) };
    });
    CASES.forEach((c, i) => {
      const k = kernel[i]!;
      expect(ours[i], c.what).toEqual({ ...k, frames: k.frames.map((h) => mask(Uint8Array.from(Buffer.from(h, 'hex')))) });
    });
    // not vacuous: the kernel fragmented after learning, and refused where it should
    expect(kernel[0]!.frames.length).toBe(2);
    expect(kernel[2]!.second).toBe('EMSGSIZE');
    expect(kernel[1]!.err).toBe('EMSGSIZE');
  }, 60_000);
});
