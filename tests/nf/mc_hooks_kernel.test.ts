// What the host sends to a group passes LOCAL_OUT and POST_ROUTING as Linux's does, against the kernel: an IPv6
// multicast UDP datagram (ip6_local_out → ip6_output → POST_ROUTING → ip6_finish_output2, whose copy for this host —
// the device is in the group — goes through a POST_ROUTING run of its own before dev_loopback_xmit brings it back up
// on the device: ingress, prerouting and input with its conntrack, `new`), the IGMPv3 report a join sends
// (igmpv3_sendpack → ip_local_out: LOCAL_OUT, POST_ROUTING, a conntrack entry of the generic protocol) and the MLDv2
// one (mld_sendpack's NF_HOOK(LOCAL_OUT) → ip6_output: POST_ROUTING; untracked, nf_conntrack_icmpv6_error's
// noct_valid_new). The same rules in a Linux namespace (nft -f, Python sockets) and in wxdp, the same calls, then what
// the socket read, nft's counters and conntrack -L compared. A join's report is repeated (robustness 2, the repeat
// within the unsolicited report interval; wxdp's on its stack clock, which this test does not run): the kernel's IGMP
// robustness is set to 1 (igmp_qrv) and its MLD report interval, 1 ms while the setup's groups are reported, to 1000 s
// before the join (mld_qrv is the initial namespace's alone).

import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fixture, stackUnready, type LinkCfg, type RouteCfg } from '../net/support.js';
import { KernelRouter, kernelUnavailable } from '../net/kernel.js';
import { recvFrom, udpSocket } from '../net/udp_send_support.js';
import { UdpSender } from '../../src/control/udp_send.js';
import { AF_INET6 } from '../../src/runtime/net_abi.js';
import { LINKS, NEIGH, NEIGH6, ROUTES6, parseConntrackL } from './ct_support.js';

const unready = await stackUnready();
const noKernel = kernelUnavailable() || (spawnSync('nft', ['--version']).status !== 0 ? 'nft (Debian nftables) missing' : '') ||
  (spawnSync('conntrack', ['--version']).status !== 0 ? 'conntrack (conntrack-tools) missing' : '');

const LINKS46: LinkCfg[] = LINKS.map((l) => ({ ...l, v6: [l.name === 'eth0' ? '2001:db8:1::1/64' : '2001:db8:2::1/64'] }));
// eth1's gateway by routes of a jumbo MTU (5000: more than a pool frame holds); 203.0.113.0/24 through it by its
// IPv6 address (RFC 5549)
const ROUTES46: RouteCfg[] = [
  { dst: '198.51.100.2/32', dev: 'eth1', mtu: 5000 },
  { dst: '2001:db8:2::2/128', dev: 'eth1', mtu: 5000 },
  { dst: '203.0.113.0/24', via: 'inet6 2001:db8:2::2', dev: 'eth1' },
  ...ROUTES6,
];

const RULESET = `table inet t {
	chain out {
		type filter hook output priority filter; policy accept;
		ip protocol igmp counter packets 0 bytes 0
		icmpv6 type mld2-listener-report counter packets 0 bytes 0
		ip6 daddr ff0e::1:1 counter packets 0 bytes 0
		udp dport 7501 counter packets 0 bytes 0
		udp dport 7502 counter packets 0 bytes 0
		udp dport 7503 counter packets 0 bytes 0
	}

	chain post {
		type filter hook postrouting priority filter; policy accept;
		oifname "eth0" ip protocol igmp ct state new counter packets 0 bytes 0
		oifname "eth0" icmpv6 type mld2-listener-report ct state untracked counter packets 0 bytes 0
		oifname "eth0" ip6 daddr ff0e::1:1 counter packets 0 bytes 0
		oifname "eth1" udp dport 7501 counter packets 0 bytes 0
		oifname "eth1" udp dport 7502 counter packets 0 bytes 0
		oifname "eth1" udp dport 7503 counter packets 0 bytes 0
	}

	chain pre {
		type filter hook prerouting priority filter; policy accept;
		iifname "eth0" ip6 daddr ff0e::1:1 ct state new counter packets 0 bytes 0
	}

	chain in {
		type filter hook input priority filter; policy accept;
		ip6 daddr ff0e::1:1 ct state new counter packets 0 bytes 0
	}
}
table netdev n {
	chain e0_in {
		type filter hook ingress device "eth0" priority filter; policy accept;
		ip6 daddr ff0e::1:1 counter packets 0 bytes 0
	}
}
`;

const PY = String.raw`
import json, socket, subprocess, time
idx = socket.if_nametoindex('eth0')
# the reports of the setup's groups were repeated at once (interval 1 ms); the join's repeat waits past the test
open('/proc/sys/net/ipv6/conf/eth0/mldv2_unsolicited_report_interval', 'w').write('1000000')
m4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
m4.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, socket.inet_aton('239.1.1.1') + socket.inet_aton('192.0.2.1'))
m = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); m.bind(('::', 7900)); m.setblocking(False)
m.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, socket.inet_pton(socket.AF_INET6, 'ff0e::1:1') + idx.to_bytes(4, 'little'))
c = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); c.bind(('2001:db8:1::1', 6002))
c.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, idx)
c.sendto(b'\x0d\x0e', ('ff0e::1:1', 7900))
time.sleep(0.05)
out = []
try:
    d, src = m.recvfrom(100); out.append([d.hex(), src[0], src[1]])
except BlockingIOError:
    out.append(['', '', 0])
# the jumbo route MTU: 4000 bytes whole at the hooks (IPv4 and IPv6); through the IPv6 gateway one frame and 3000 bytes cut
c4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); c4.bind(('192.0.2.1', 6003))
c6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); c6.bind(('2001:db8:1::1', 6004))
c4.sendto(bytes(4000), ('198.51.100.2', 7501))
c6.sendto(bytes(4000), ('2001:db8:2::2', 7501))
c4.sendto(bytes(100), ('203.0.113.5', 7503))
c4.sendto(bytes(3000), ('203.0.113.5', 7502))
time.sleep(0.05)
rules = subprocess.run(['nft', 'list', 'ruleset'], capture_output=True, text=True).stdout
ct = subprocess.run(['conntrack', '-L', '-f', 'ipv4'], capture_output=True, text=True).stdout + subprocess.run(['conntrack', '-L', '-f', 'ipv6'], capture_output=True, text=True).stdout
print(json.dumps({'got': out, 'rules': rules, 'ct': ct}))
`;

interface Side {
  got: unknown[];
  rules: string;
  ct: string[];
  fx?: Fixture;
}

async function wxdpSide(): Promise<Side> {
  const fx = await Fixture.create(LINKS46, ROUTES46, [...NEIGH, ...NEIGH6]);
  fx.dp.ip('link set lo up');
  fx.dp.nft(RULESET);
  const t = fx.dp.socketTable;
  const eth0 = fx.dp.links.ifindex('eth0');
  const m4 = udpSocket(fx.dp, {});
  t.membership(m4, 'join', '239.1.1.1', { iface: '192.0.2.1' });
  const m = udpSocket(fx.dp, { family: AF_INET6, bind: { addr: '::', port: 7900 } });
  t.membership(m, 'join', 'ff0e::1:1', { iface: eth0 });
  const c = udpSocket(fx.dp, { family: AF_INET6, bind: { addr: '2001:db8:1::1', port: 6002 } });
  t.setOption(c, 'IPV6_MULTICAST_IF', eth0);
  const tx = new UdpSender(fx.dp);
  tx.send(c, Uint8Array.of(13, 14), { address: 'ff0e::1:1', port: 7900 });
  const r = recvFrom(fx.dp, m);
  const c4 = udpSocket(fx.dp, { bind: { addr: '192.0.2.1', port: 6003 } });
  const c6 = udpSocket(fx.dp, { family: AF_INET6, bind: { addr: '2001:db8:1::1', port: 6004 } });
  tx.send(c4, new Uint8Array(4000), { address: '198.51.100.2', port: 7501 });
  tx.send(c6, new Uint8Array(4000), { address: '2001:db8:2::2', port: 7501 });
  tx.send(c4, new Uint8Array(100), { address: '203.0.113.5', port: 7503 });
  tx.send(c4, new Uint8Array(3000), { address: '203.0.113.5', port: 7502 });
  const got = [r === null ? ['', '', 0] : [Buffer.from(r.data).toString('hex'), '2001:db8:1::1', r.port]];
  const ct = parseConntrackL(fx.dp.conntrack.format()).map((l) => `${l.proto} ${l.rest}`);
  return { got, rules: fx.dp.nft('list ruleset'), ct, fx };
}

describe.skipIf(unready !== '' || noKernel !== '')(`multicast sends and group reports pass the output hooks as on Linux${noKernel ? ` (skipped: ${noKernel})` : ''}`, () => {
  let k: KernelRouter | undefined;
  let kern: { got: unknown[]; rules: string; ct: string } = { got: [], rules: '', ct: '' };
  beforeAll(() => {
    k = KernelRouter.create(LINKS46, ROUTES46, [...NEIGH, ...NEIGH6], { 'net.ipv4.igmp_qrv': 1, 'net.ipv6.conf.eth0.mldv2_unsolicited_report_interval': 1, 'net.ipv6.conf.eth1.mldv2_unsolicited_report_interval': 1 }, 'mk52');
    const ns = (cmd: string[], input?: string): string => {
      const r = spawnSync('ip', ['netns', 'exec', k!.router, ...cmd], { input, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`${cmd.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    ns(['ip', 'link', 'set', 'lo', 'up']);
    // The devices' link-local addresses go through DAD (the test's own are nodad), and Linux holds the MLD reports
    // of groups joined meanwhile until it completes (ipv6_mc_dad_complete): left alone they land in the counters
    // below, 3-7 of them under load (fx52b, 12-07). Wait until no address is tentative and the held reports (1 ms
    // interval) are out before the ruleset counts anything.
    const sleep = (ms: number): void => void Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
    for (let i = 0; i < 100 && ns(['ip', '-6', 'addr', 'show', 'tentative']).trim() !== ''; i++) sleep(50);
    sleep(200);
    ns(['nft', '-f', '-'], RULESET);
    kern = JSON.parse(ns(['python3', '-c', PY])) as typeof kern;
  }, 60_000);
  afterAll(() => k?.close());

  it('reads, counts and tracks as Linux does', async () => {
    const { got, rules, ct } = await wxdpSide();
    if (process.env.CT_DEBUG) console.log(JSON.stringify(got), JSON.stringify(kern.got), ct, kern.ct, rules, kern.rules);
    expect(got).toEqual(kern.got);
    expect(rules).toBe(kern.rules);
    expect(ct).toEqual(parseConntrackL(kern.ct).map((l) => `${l.proto} ${l.rest}`));
    // by hand: each report once at output and postrouting (IGMP's new, MLD's untracked); the datagram once at
    // output, twice at postrouting (itself, then the copy), the copy once at ingress, prerouting and input
    expect(rules).toContain('oifname "eth0" ip protocol igmp ct state new counter packets 1 bytes 40\n');
    expect(rules).toContain('oifname "eth0" icmpv6 type mld2-listener-report ct state untracked counter packets 1 bytes 76\n');
    expect(rules).toContain('oifname "eth0" ip6 daddr ff0e::1:1 counter packets 2 bytes 100\n');
    expect(rules).toContain('ip6 daddr ff0e::1:1 ct state new counter packets 1 bytes 50\n\t}\n}');
  });
});
