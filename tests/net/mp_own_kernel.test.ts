// Which next hop of a multipath route the stack's own output takes, against the kernel: the router of
// tests/net/fixtures/router.batch (net.ipv{4,6}.fib_multipath_hash_policy=1, a fixed hash seed, so the
// kernel's choice is deterministic) plus two siblings on one device (2001:db8:60::/48 via 2001:db8:2::2
// and 2001:db8:2::3, both on eth1). Eight flows a case, different source ports; what is compared is the
// device each answer leaves by and its destination MAC — the next hop.
//
//   - UDP sockets that connect to a peer behind 2001:db8:40::/48: ip6_datagram_connect's flow carries
//     the socket's port and the peer's (ip6_datagram_flow_key_init), so the next hop — and the source
//     it gives, which later sends hash with — is that of the 5-tuple. The kernel's side: a Python socket
//     in the router's namespace, its frame captured there (AF_PACKET, PACKET_OUTGOING).
//     A send to the connected peer keeps connect's route (ip6_sk_dst_check); when connect chose the
//     source, that route was looked up without one (ip6_dst_lookup_tail's first lookup), so its hash
//     read ::. IPv4 (ip_route_connect: the second lookup, with the source, is the one kept; the next
//     hop whose nh_saddr it is wins) was already the kernel's: its case passed before the fix too.
//   - UDP sockets bound to eth1 (SO_BINDTODEVICE) sending to 2001:db8:60::/48: ip6_pol_route hashes
//     among the siblings with have_oif_match false; a sibling on another device would score below zero.
//   - nft `reject with tcp reset` of SYNs from sources behind the multipath routes: nf_send_reset's
//     route is ip_route_me_harder's flow, which sets no protocol and no ports; nf_send_reset6's is TCP
//     with the reset's ports.

import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { ETH_P_IP, ETH_P_IPV6, eth, hex, ipv4, ipv6, macOf } from '../support/frames.js';
import { useNamespaces } from '../support/netns.js';
import { pythonAvailability } from '../support/afpacket.js';
import { KernelRouter, parseRouterConfig, WxdpRouter, type PortOutput } from '../support/router.js';
import { MAC, PORTS, tcp4 } from './router_cases.js';
import { sockClose, udpSocket } from './udp_send_support.js';
import { UdpSender } from '../../src/control/udp_send.js';
import { AF_INET, AF_INET6 } from '../../src/runtime/net_abi.js';

const SIBLINGS_MAC = '02:00:00:00:0b:04';
const config = parseRouterConfig(
  readFileSync(new URL('./fixtures/router.batch', import.meta.url), 'utf8') +
    `\nneigh add 2001:db8:2::3 lladdr ${SIBLINGS_MAC} dev eth1 nud permanent\n` +
    'route add 2001:db8:60::/48 nexthop via 2001:db8:2::2 dev eth1 nexthop via 2001:db8:2::3 dev eth1\n',
);

const nsa = useNamespaces('mp46');
const py = pythonAvailability();
const nft = spawnSync('nft', ['--version']).status === 0;
const ready = nsa.available.ok && py.ok;
if (!nsa.available.ok) it.skip(`namespaces unavailable: ${nsa.available.reason}`, () => {});
if (nsa.available.ok && !py.ok) it.skip(`AF_PACKET helper unavailable: ${py.reason}`, () => {});

const EIGHT = Array.from({ length: 8 }, (_, i) => i);

/** A UDP flow the router itself sends: from port `sport`, to `dst` port 9, bound to `dev` or connected first. */
interface SockFlow {
  sport: number;
  dst: string;
  dev?: string;
  connect?: boolean;
}

// Each flow from a fresh socket (IPv6 or IPv4 by the destination) in the router's namespace; its frame found among the outgoing ones
// by its source port: the device and destination MAC it left with.
const KERNEL_SEND = `
import json, socket, sys
flows = json.load(sys.stdin)
cap = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
cap.settimeout(1.0)
out = []
for f in flows:
    v6 = ':' in f['dst']
    s = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET, socket.SOCK_DGRAM)
    if f.get('dev'):
        s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, f['dev'].encode())
    s.bind(('::' if v6 else '0.0.0.0', f['sport']))
    if f.get('connect'):
        s.connect((f['dst'], 9))
        s.send(b'mp46mp46')
    else:
        s.sendto(b'mp46mp46', (f['dst'], 9))
    got = None
    while got is None:
        try:
            data, addr = cap.recvfrom(4096)
        except socket.timeout:
            break
        if addr[2] != socket.PACKET_OUTGOING:
            continue
        if v6 and data[12:14] == b'\\x86\\xdd' and data[20] == 17 and int.from_bytes(data[54:56], 'big') == f['sport']:
            got = {'dev': addr[0], 'mac': data[0:6].hex(':'), 'src': data[22:38].hex()}
        if not v6 and data[12:14] == b'\\x08\\x00' and data[23] == 17 and int.from_bytes(data[34:36], 'big') == f['sport']:
            got = {'dev': addr[0], 'mac': data[0:6].hex(':'), 'src': data[26:30].hex()}
    out.append(got)
    s.close()
print(json.dumps(out))
`;

type Sent = { dev: string; mac: string; src: string } | null;

function kernelSends(k: KernelRouter, flows: SockFlow[]): Sent[] {
  const r = k.router.spawn(['python3', '-c', KERNEL_SEND], { input: JSON.stringify(flows) });
  if (r.status !== 0) throw new Error(`kernel sender: ${r.stderr}`);
  return JSON.parse(r.stdout) as Sent[];
}

function wxdpSends(w: WxdpRouter, flows: SockFlow[]): Sent[] {
  const dp = w.dp;
  const tx = new UdpSender(dp);
  const devs = PORTS.map((p) => p.name);
  return flows.map((f) => {
    const v6 = f.dst.includes(':');
    const id = udpSocket(dp, {
      family: v6 ? AF_INET6 : AF_INET,
      bind: { port: f.sport },
      ...(f.dev ? { boundDev: dp.links.ifindex(f.dev) } : {}),
      ...(f.connect ? { connect: { addr: f.dst, port: 9 } } : {}),
    });
    const payload = new TextEncoder().encode('mp46mp46');
    const n = f.connect ? tx.send(id, payload) : tx.send(id, payload, { address: f.dst, port: 9 });
    if (typeof n !== 'number') throw new Error(`wxdp send: ${String(n)}`);
    const out = w.drain();
    sockClose(dp, id);
    const src = (fr: Uint8Array) => hex(v6 ? fr.subarray(22, 38) : fr.subarray(26, 30));
    for (const d of devs) for (const fr of out[d] ?? []) return { dev: d, mac: macOf(fr.subarray(0, 6)), src: src(fr) };
    return null;
  });
}

/** The port and destination MAC of each case's one output frame. */
function nextHops(outs: PortOutput[]): Array<string | null> {
  return outs.map((o) => {
    const hit = Object.entries(o).filter(([, fs]) => fs.length > 0);
    if (hit.length !== 1 || hit[0]![1].length !== 1) return hit.length === 0 ? null : `several: ${hit.map(([d, fs]) => `${d}×${fs.length}`).join(', ')}`;
    return `${hit[0]![0]} ${macOf(hit[0]![1][0]!.subarray(0, 6))}`;
  });
}

// each test's wxdp router, closed after it
const opened: WxdpRouter[] = [];
async function routerOfWxdp(): Promise<WxdpRouter> {
  const w = await WxdpRouter.create(PORTS, config);
  opened.push(w);
  return w;
}
afterEach(async () => {
  for (const w of opened.splice(0)) await w.dp.close();
});

/**
 * The flows from the kernel's sockets and from wxdp's leave alike (device, next hop's MAC, source), and
 * in the kernel they use two next hops (`by`: two devices, or two MACs of one device's siblings).
 */
async function sendsAlike(flows: SockFlow[], by: 'dev' | 'mac'): Promise<void> {
  const kernel = kernelSends(KernelRouter.build(nsa.set, PORTS, config), flows);
  const w = await routerOfWxdp();
  expect(kernel.every((x) => x !== null)).toBe(true);
  expect(new Set(kernel.map((x) => x![by])).size, 'the eight flows use two next hops in the kernel').toBe(2);
  expect(wxdpSends(w, flows)).toEqual(kernel);
}

describe.skipIf(!ready)('the stack\'s own output over multipath routes takes the kernel\'s next hop', () => {
  it('UDP sockets connected to peers behind the IPv6 multipath route send by the next hop of their 5-tuple', async () => {
    const flows = EIGHT.map((i) => ({ sport: 43000 + i * 7, dst: `2001:db8:40::${(0x60 + i).toString(16)}`, connect: true }));
    await sendsAlike(flows, 'dev');
  });

  it('UDP sockets connected to peers behind the IPv4 multipath route send by the next hop of their 5-tuple', async () => {
    const flows = EIGHT.map((i) => ({ sport: 43100 + i * 7, dst: `198.51.100.${160 + i}`, connect: true }));
    await sendsAlike(flows, 'dev');
  });

  it('UDP sockets bound to eth1 hash among the siblings on eth1', async () => {
    const flows = EIGHT.map((i) => ({ sport: 44000 + i * 11, dst: `2001:db8:60::${(0x70 + i).toString(16)}`, dev: 'eth1' }));
    await sendsAlike(flows, 'mac');
  });

  it.skipIf(!nft)('nft resets to sources behind the multipath routes leave by the kernel\'s next hop (IPv4 and IPv6)', async () => {
    const rules = 'table inet mp46 {\n  chain input {\n    type filter hook input priority 0; policy accept;\n    tcp dport 9 reject with tcp reset\n  }\n}\n';
    const from2 = (type: number, ip: Uint8Array) => eth(MAC.r1, MAC.h2, type, ip);
    const v4 = (i: number) => `198.51.100.${150 + i}`;
    const v6 = (i: number) => `2001:db8:40::${(0x50 + i).toString(16)}`;
    const cases = [
      ...EIGHT.map((i) => ({ ingress: 'eth1', frames: [from2(ETH_P_IP, ipv4({ src: v4(i), dst: '198.51.100.1', proto: 6, id: 0x7200 + i, payload: tcp4(v4(i), '198.51.100.1', 45000 + i * 13, 9, 0x02) }))] })),
      ...EIGHT.map((i) => ({ ingress: 'eth1', frames: [from2(ETH_P_IPV6, ipv6({ src: v6(i), dst: '2001:db8:2::1', nextHeader: 6, payload: tcp4(v6(i), '2001:db8:2::1', 45000 + i * 13, 9, 0x02) }))] })),
    ];
    const k = KernelRouter.build(nsa.set, PORTS, config);
    const r = k.router.spawn(['nft', '-f', '-'], { input: rules });
    if (r.status !== 0) throw new Error(`nft -f: ${r.stderr}`);
    const kernel = nextHops(k.run(cases));
    const w = await routerOfWxdp();
    w.dp.nft(rules);
    expect(kernel.every((x) => x !== null && !x.startsWith('several'))).toBe(true);
    expect(new Set(kernel.slice(0, 8)).size, 'the IPv4 resets use both next hops in the kernel').toBe(2);
    expect(new Set(kernel.slice(8)).size, 'the IPv6 resets use both next hops in the kernel').toBe(2);
    expect(nextHops(w.run(cases))).toEqual(kernel);
  });
});
