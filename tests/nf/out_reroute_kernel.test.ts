// What the host sends passes LOCAL_OUT / POST_ROUTING as Linux's ip_local_out → ip_output do it, and lo's receive
// runs lo's netdev ingress chains (__netif_receive_skb_core → nf_hook_ingress): the same rule files in a Linux
// namespace (nft -f; UDP sockets of Python) and in wxdp (its UDP sockets), the same sends over IPv4 and IPv6, then
// what each socket read, nft's counters and conntrack -L compared. Covered: a DNAT at output from a local
// destination to a remote one (nf_nat_ipv4_local_fn / nf_nat_ipv6_local_fn → ip_route_me_harder: the datagram
// leaves on eth1, not lo) and from a remote one to a local one (back through lo to the socket); a datagram larger
// than the path MTU (the hooks see it whole: one packet of its whole length at output and postrouting, one entry,
// then cut in fragments); lo's ingress chain counting one datagram to this host and dropping another; an IPv4
// broadcast and multicast (ip_mc_output: LOCAL_OUT once, the copy for this host through its own POST_ROUTING, then
// back up on eth0 — its ingress chain, prerouting, input — with its conntrack, `new`). A second
// test checks the wxdp side alone (no root): the same sends, the counters, entries and frames as literals.

import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fixture, stackUnready, type LinkCfg } from '../net/support.js';
import { KernelRouter, kernelUnavailable } from '../net/kernel.js';
import { recvFrom, udpSocket } from '../net/udp_send_support.js';
import { UdpSender } from '../../src/control/udp_send.js';
import { AF_INET, AF_INET6 } from '../../src/runtime/net_abi.js';
import { LINKS, NEIGH, NEIGH6, ROUTES, ROUTES6, parseConntrackL } from './ct_support.js';

const unready = await stackUnready();
const noKernel = kernelUnavailable() || (spawnSync('nft', ['--version']).status !== 0 ? 'nft (Debian nftables) missing' : '') ||
  (spawnSync('conntrack', ['--version']).status !== 0 ? 'conntrack (conntrack-tools) missing' : '');

const LINKS46: LinkCfg[] = LINKS.map((l) => ({ ...l, v6: [l.name === 'eth0' ? '2001:db8:1::1/64' : '2001:db8:2::1/64'] }));
const ROUTES46 = [...ROUTES, ...ROUTES6];
const NEIGH46 = [...NEIGH, ...NEIGH6];

// per family: this host's address, the gateway on eth1 (a remote DNAT target, the big datagram's peer), an
// address behind it (DNAT'd back to this host)
const FAMILIES = [
  { family: AF_INET, addr: '192.0.2.1', peer: '198.51.100.2', far: '203.0.113.5' },
  { family: AF_INET6, addr: '2001:db8:1::1', peer: '2001:db8:2::2', far: '2001:db8:3::5' },
] as const;

const RULESET = `table inet t {
	chain out_nat {
		type nat hook output priority -100; policy accept;
		ip daddr 192.0.2.1 udp dport 7300 dnat ip to 198.51.100.2
		ip6 daddr 2001:db8:1::1 udp dport 7300 dnat ip6 to 2001:db8:2::2
		ip daddr 203.0.113.5 udp dport 7400 dnat ip to 192.0.2.1:7401
		ip6 daddr 2001:db8:3::5 udp dport 7400 dnat ip6 to [2001:db8:1::1]:7401
	}
	chain out_f {
		type filter hook output priority filter; policy accept;
		udp dport 7500 counter packets 0 bytes 0
	}
	chain out_mc {
		type filter hook output priority filter; policy accept;
		ip daddr 192.0.2.255 counter packets 0 bytes 0
		ip daddr 239.1.1.1 counter packets 0 bytes 0
	}
	chain pre_mc {
		type filter hook prerouting priority filter; policy accept;
		iifname "eth0" ip daddr 192.0.2.255 ct state new counter packets 0 bytes 0
		iifname "eth0" ip daddr 239.1.1.1 ct state new counter packets 0 bytes 0
	}
	chain in_mc {
		type filter hook input priority filter; policy accept;
		ip daddr 192.0.2.255 ct state new counter packets 0 bytes 0
		ip daddr 239.1.1.1 ct state new counter packets 0 bytes 0
	}
	chain post {
		type filter hook postrouting priority filter; policy accept;
		oifname "eth0" ip daddr 192.0.2.255 counter packets 0 bytes 0
		oifname "eth0" ip daddr 239.1.1.1 counter packets 0 bytes 0
		oifname "eth1" udp dport 7300 counter packets 0 bytes 0
		oifname "lo" udp dport 7300 counter packets 0 bytes 0
		oifname "lo" udp dport 7401 counter packets 0 bytes 0
		oifname "eth1" udp dport 7401 counter packets 0 bytes 0
		oifname "eth1" udp dport 7500 counter packets 0 bytes 0
	}
}
table netdev n {
	chain lo_in {
		type filter hook ingress device "lo" priority filter; policy accept;
		udp dport 7600 counter packets 0 bytes 0
		udp dport 7601 counter packets 0 bytes 0 drop
	}
	chain e0_in {
		type filter hook ingress device "eth0" priority filter; policy accept;
		ip daddr 192.0.2.255 counter packets 0 bytes 0
		ip daddr 239.1.1.1 counter packets 0 bytes 0
	}
}
`;

/**
 * Per family: the client (the host's address, port 6000) sends to its own address port 7300 (DNAT'd to the gateway),
 * to the far address port 7400 (DNAT'd to its own address port 7401, where a socket reads), 3000 bytes to the gateway
 * port 7500 (fragmented on eth1), then to its own ports 7600 (read) and 7601 (dropped at lo's ingress). What each
 * socket reads: [socket, payload, source, port].
 */
const PY = String.raw`
import json, socket, time
out = []
for fam, addr, peer, far in ${JSON.stringify(FAMILIES.map((f) => [f.family === AF_INET ? 'v4' : 'v6', f.addr, f.peer, f.far]))}:
    fam = socket.AF_INET if fam == 'v4' else socket.AF_INET6
    def sk(port):
        s = socket.socket(fam, socket.SOCK_DGRAM)
        if fam == socket.AF_INET6: s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.bind((addr, port)); s.setblocking(False); return s
    def read(i, s):
        time.sleep(0.05)
        try:
            d, src = s.recvfrom(100); out.append([i, d.hex(), src[0], src[1]])
        except BlockingIOError:
            out.append([i, '', '', 0])
    c, r, a, b = sk(6000), sk(7401), sk(7600), sk(7601)
    c.sendto(b'\x01', (addr, 7300))
    c.sendto(b'\x02\x03', (far, 7400))
    read(1, r)
    c.sendto(bytes(3000), (peer, 7500))
    c.sendto(b'\x06', (addr, 7600))
    read(2, a)
    c.sendto(b'\x07', (addr, 7601))
    read(3, b)
    for s in (c, r, a, b): s.close()
# IPv4 broadcast and multicast (ip_mc_output): a copy for this host through its own POST_ROUTING and back up on eth0
bc = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); bc.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1); bc.bind(('192.0.2.1', 6001))
w = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); w.bind(('0.0.0.0', 7700)); w.setblocking(False)
m = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); m.bind(('0.0.0.0', 7800)); m.setblocking(False)
m.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, socket.inet_aton('239.1.1.1') + socket.inet_aton('192.0.2.1'))
bc.sendto(b'\x0a', ('192.0.2.255', 7700))
read(4, w)
bc.sendto(b'\x0b\x0c', ('239.1.1.1', 7800))
read(5, m)
for s in (bc, w, m): s.close()
print(json.dumps(out))
`;

interface Side {
  got: unknown[];
  rules: string;
  ct: string[];
  fx: Fixture;
}

/** The sends of PY on wxdp: what the sockets read, the rule set, conntrack -L (proto and the rest). */
async function wxdpSide(): Promise<Side> {
  const fx = await Fixture.create(LINKS46, ROUTES46, NEIGH46);
  fx.dp.ip('link set lo up');
  fx.dp.nft(RULESET);
  const got: unknown[] = [];
  const tx = new UdpSender(fx.dp);
  for (const { family, addr, peer, far } of FAMILIES) {
    const sk = (port: number): number => udpSocket(fx.dp, { family, v6only: family === AF_INET6, bind: { addr, port } });
    const read = (i: number, s: number): void => {
      const r = recvFrom(fx.dp, s);
      got.push(r === null ? [i, '', '', 0] : [i, Buffer.from(r.data).toString('hex'), family === AF_INET ? [...r.addr.subarray(0, 4)].join('.') : v6text(r.addr), r.port]);
    };
    const c = sk(6000);
    const r = sk(7401);
    const a = sk(7600);
    const b = sk(7601);
    tx.send(c, Uint8Array.of(1), { address: addr, port: 7300 });
    tx.send(c, Uint8Array.of(2, 3), { address: far, port: 7400 });
    read(1, r);
    tx.send(c, new Uint8Array(3000), { address: peer, port: 7500 });
    tx.send(c, Uint8Array.of(6), { address: addr, port: 7600 });
    read(2, a);
    tx.send(c, Uint8Array.of(7), { address: addr, port: 7601 });
    read(3, b);
  }
  const bc = udpSocket(fx.dp, { broadcast: true, bind: { addr: '192.0.2.1', port: 6001 } });
  const w = udpSocket(fx.dp, { bind: { addr: '0.0.0.0', port: 7700 } });
  const m = udpSocket(fx.dp, { bind: { addr: '0.0.0.0', port: 7800 } });
  fx.dp.socketTable.membership(m, 'join', '239.1.1.1', { iface: '192.0.2.1' });
  const read4 = (i: number, s: number): void => {
    const r = recvFrom(fx.dp, s);
    got.push(r === null ? [i, '', '', 0] : [i, Buffer.from(r.data).toString('hex'), [...r.addr.subarray(0, 4)].join('.'), r.port]);
  };
  tx.send(bc, Uint8Array.of(10), { address: '192.0.2.255', port: 7700 });
  read4(4, w);
  tx.send(bc, Uint8Array.of(11, 12), { address: '239.1.1.1', port: 7800 });
  read4(5, m);
  const ct = parseConntrackL(fx.dp.conntrack.format()).map((l) => `${l.proto} ${l.rest}`);
  return { got, rules: fx.dp.nft('list ruleset'), ct, fx };
}

describe.skipIf(unready !== '')('output NAT re-routes, big datagrams pass the hooks whole, lo runs its ingress chains', () => {
  it('wxdp side: reads, counters, entries and frames (no root)', async () => {
    const { got, rules, ct, fx } = await wxdpSide();
    expect(got).toEqual([
      [1, '0203', '192.0.2.1', 6000], [2, '06', '192.0.2.1', 6000], [3, '', '', 0],
      [1, '0203', '2001:db8:1::1', 6000], [2, '06', '2001:db8:1::1', 6000], [3, '', '', 0],
      [4, '0a', '192.0.2.1', 6001], [5, '0b0c', '192.0.2.1', 6001],
    ]);
    const counts = [...rules.matchAll(/(udp dport \d+) counter packets (\d+) bytes (\d+)/g)].map((m) => `${m[1]} ${m[2]} ${m[3]}`);
    // both families: 7300 out of eth1 (29 + 49 bytes), 7401 through lo (30 + 50), the 3000-byte datagram whole at
    // output and postrouting (3028 + 3048), lo's ingress 7600 / 7601 (29 + 49 each)
    expect(counts).toEqual([
      'udp dport 7500 2 6076', 'udp dport 7300 2 78', 'udp dport 7300 0 0', 'udp dport 7401 2 80', 'udp dport 7401 0 0',
      'udp dport 7500 2 6076', 'udp dport 7600 2 78', 'udp dport 7601 2 78',
    ]);
    // the broadcast (29 bytes) and the multicast (30): once at output, twice at postrouting (the copy for this host,
    // then the datagram), the copy once at eth0's ingress, prerouting and input, conntrack's `new` there
    const mc = [...rules.matchAll(/ip daddr (192\.0\.2\.255|239\.1\.1\.1) (?:ct state new )?counter packets (\d+) bytes (\d+)/g)].map((m) => `${m[1]} ${m[2]} ${m[3]}`);
    expect(mc).toEqual([
      '192.0.2.255 1 29', '239.1.1.1 1 30', '192.0.2.255 1 29', '239.1.1.1 1 30', '192.0.2.255 1 29', '239.1.1.1 1 30',
      '192.0.2.255 2 58', '239.1.1.1 2 60', '192.0.2.255 1 29', '239.1.1.1 1 30',
    ]);
    expect(ct.length).toBe(13); // with the join's IGMP report's (unknown 2)
    // eth1 carried the DNAT'd datagram (to the gateway, port 7300) and the big one in fragments: 3 + 3 frames
    const out = fx.tx();
    const eth1 = out.get('eth1') ?? [];
    const udp = eth1.map((f) => (f[12] === 0x08 ? `4 ${f.length}` : `6 ${f.length}`));
    expect(udp).toEqual(['4 43', '4 1514', '4 1514', '4 82', '6 63', '6 1510', '6 1510', '6 174']);
    // eth0: the join's IGMP report, then the broadcast and the multicast, once each
    expect((out.get('eth0') ?? []).map((f) => `${f[0] === 0xff ? 'bcast' : 'mcast'} ${f.length}`)).toEqual(['mcast 54', 'bcast 43', 'mcast 44']);
  });
});

describe.skipIf(unready !== '' || noKernel !== '')(`output re-route, whole datagrams at the hooks and lo's ingress against the kernel${noKernel ? ` (skipped: ${noKernel})` : ''}`, () => {
  let k: KernelRouter | undefined;
  let kernGot: unknown[] = [];
  let kernRules = '';
  let kernCt = '';
  beforeAll(() => {
    k = KernelRouter.create(LINKS46, ROUTES46, NEIGH46, {}, 'lo51');
    const ns = (cmd: string[], input?: string): string => {
      const r = spawnSync('ip', ['netns', 'exec', k!.router, ...cmd], { input, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`${cmd.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    ns(['ip', 'link', 'set', 'lo', 'up']);
    ns(['nft', '-f', '-'], RULESET);
    kernGot = JSON.parse(ns(['python3', '-c', PY])) as unknown[];
    kernRules = ns(['nft', 'list', 'ruleset']);
    kernCt = ns(['conntrack', '-L', '-f', 'ipv4']) + ns(['conntrack', '-L', '-f', 'ipv6']);
  }, 60_000);
  afterAll(() => k?.close());

  it('reads, counts and tracks as Linux does', async () => {
    const { got, rules, ct } = await wxdpSide();
    if (process.env.CT_DEBUG) console.log(JSON.stringify(got), JSON.stringify(kernGot), ct, kernCt, rules, kernRules);
    expect(got).toEqual(kernGot);
    expect(rules).toBe(kernRules);
    // (the IGMP report for the join has an entry too — proto 2, `unknown`)
    expect(ct).toEqual(parseConntrackL(kernCt).map((l) => `${l.proto} ${l.rest}`));
  });
});

/** An IPv6 address's 16 bytes as the kernel prints them (RFC 5952: the longest run of zero groups as ::). */
function v6text(b: Uint8Array): string {
  const g = Array.from({ length: 8 }, (_, i) => ((b[2 * i]! << 8) | b[2 * i + 1]!).toString(16));
  let best = -1;
  let len = 0;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && g[j] === '0') j++;
    if (j - i > len && j - i > 1) [best, len] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  return best < 0 ? g.join(':') : `${g.slice(0, best).join(':')}::${g.slice(best + len).join(':')}`;
}
