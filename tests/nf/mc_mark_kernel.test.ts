// skb->mark on the output path and on a looped multicast copy, against the kernel. What the output path gives a datagram
// — the socket's SO_MARK (ip_append_data's sockc.mark), a `meta mark set` at output — is what the device's netdev
// egress chains see (nf_hook_egress in __dev_queue_xmit runs on the same skb), fragments included (ip_copy_metadata /
// ip6_copy_metadata copy the mark). The copy ip_mc_output / ip6_finish_output2 loops back for this host is a clone:
// it keeps the mark through dev_loopback_xmit → netif_rx into the device's ingress chains, and a mark set there is what
// prerouting and input see. An IPv6 multicast datagram over the device MTU passes output and postrouting whole, then
// ip6_fragment cuts it and ip6_finish_output2 runs each fragment's copy through postrouting of its own (conntrack and
// mark copied to it), back up as fragments that pass prerouting and input one by one (the copies carry the
// datagram's conntrack: ipv6_defrag leaves them to ipv6_frag_rcv). The same rules and sends in a Linux namespace
// (nft -f, Python sockets) and in wxdp; what the sockets read and nft's counters compared.

import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fixture, stackUnready, type LinkCfg } from '../net/support.js';
import { KernelRouter, kernelUnavailable } from '../net/kernel.js';
import { recvFrom, udpSocket } from '../net/udp_send_support.js';
import { UdpSender } from '../../src/control/udp_send.js';
import { AF_INET6 } from '../../src/runtime/net_abi.js';
import { LINKS, NEIGH, NEIGH6, ROUTES6 } from './ct_support.js';

const unready = await stackUnready();
const noKernel = kernelUnavailable() || (spawnSync('nft', ['--version']).status !== 0 ? 'nft (Debian nftables) missing' : '');

const LINKS46: LinkCfg[] = LINKS.map((l) => ({ ...l, v6: [l.name === 'eth0' ? '2001:db8:1::1/64' : '2001:db8:2::1/64'] }));

// the group datagrams by port: 7900 marked 5 at output (3000 bytes: three fragments), 7901 SO_MARK 3 and marked 6 at
// eth0's ingress, 7902 (IPv4) SO_MARK 4 and 6 at ingress; 7503 SO_MARK 9 out of eth1 (3000 bytes: three fragments),
// 7504 marked 5 at output out of eth1
const RULESET = `table inet t {
	chain out {
		type filter hook output priority filter; policy accept;
		udp dport { 7504, 7900 } meta mark set 0x00000005 counter packets 0 bytes 0
		udp dport 7900 counter packets 0 bytes 0
	}

	chain post {
		type filter hook postrouting priority filter; policy accept;
		oifname "eth0" udp dport 7900 meta mark 0x00000005 counter packets 0 bytes 0
		oifname "eth0" ip6 daddr ff0e::1:1 ip6 nexthdr ipv6-frag meta mark 0x00000005 counter packets 0 bytes 0
		oifname "eth0" meta mark 0x00000003 counter packets 0 bytes 0
		oifname "eth0" meta mark 0x00000004 counter packets 0 bytes 0
		oifname "eth1" meta mark 0x00000009 counter packets 0 bytes 0
		oifname "eth1" meta mark 0x00000005 counter packets 0 bytes 0
	}

	chain pre {
		type filter hook prerouting priority filter; policy accept;
		iifname "eth0" ip6 daddr ff0e::1:1 meta mark 0x00000005 counter packets 0 bytes 0
		iifname "eth0" meta mark 0x00000006 counter packets 0 bytes 0
		iifname "eth0" meta mark { 0x00000003, 0x00000004 } counter packets 0 bytes 0
	}

	chain in {
		type filter hook input priority filter; policy accept;
		ip6 daddr ff0e::1:1 ct state new meta mark 0x00000005 counter packets 0 bytes 0
		meta mark 0x00000006 counter packets 0 bytes 0
	}
}
table netdev n {
	chain e0_in {
		type filter hook ingress device "eth0" priority filter; policy accept;
		meta mark 0x00000005 counter packets 0 bytes 0
		meta mark { 0x00000003, 0x00000004 } meta mark set 0x00000006 counter packets 0 bytes 0
	}

	chain e0_out {
		type filter hook egress device "eth0" priority filter; policy accept;
		meta mark 0x00000005 counter packets 0 bytes 0
		meta mark 0x00000003 counter packets 0 bytes 0
		meta mark 0x00000004 counter packets 0 bytes 0
	}

	chain e1_out {
		type filter hook egress device "eth1" priority filter; policy accept;
		meta mark 0x00000009 counter packets 0 bytes 0
		meta mark 0x00000005 counter packets 0 bytes 0
		udp dport { 7503, 7504 } meta mark 0x00000000 counter packets 0 bytes 0
	}
}
`;

const PY = String.raw`
import json, socket, subprocess, time
idx = socket.if_nametoindex('eth0')
SO_MARK = 36
m4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); m4.bind(('0.0.0.0', 7902)); m4.setblocking(False)
m4.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, socket.inet_aton('239.1.1.1') + socket.inet_aton('192.0.2.1'))
m = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); m.bind(('::', 7900)); m.setblocking(False)
m.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, socket.inet_pton(socket.AF_INET6, 'ff0e::1:1') + idx.to_bytes(4, 'little'))
m1 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); m1.bind(('::', 7901)); m1.setblocking(False)
c = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); c.bind(('2001:db8:1::1', 6002))
c.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, idx)
c.sendto(bytes(range(250)) * 12, ('ff0e::1:1', 7900))
c3 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); c3.bind(('2001:db8:1::1', 6003)); c3.setsockopt(socket.SOL_SOCKET, SO_MARK, 3)
c3.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, idx)
c3.sendto(b'\x07' * 100, ('ff0e::1:1', 7901))
c4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); c4.bind(('192.0.2.1', 6004)); c4.setsockopt(socket.SOL_SOCKET, SO_MARK, 4)
c4.sendto(b'\x09' * 60, ('239.1.1.1', 7902))
c9 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); c9.bind(('198.51.100.1', 6005)); c9.setsockopt(socket.SOL_SOCKET, SO_MARK, 9)
c9.sendto(bytes(3000), ('203.0.113.5', 7503))
c9.sendto(bytes(20), ('203.0.113.5', 7504))
time.sleep(0.05)
out = []
for s in (m, m1, m4):
    try:
        d, src = s.recvfrom(4000); out.append([len(d), d[:4].hex(), src[1]])
    except BlockingIOError:
        out.append([0, '', 0])
rules = subprocess.run(['nft', 'list', 'ruleset'], capture_output=True, text=True).stdout
print(json.dumps({'got': out, 'rules': rules}))
`;

// the netdev chains alone (no inet hook: the sends take no hooked path): the copies' ingress chains see the socket's mark
const RULESET_NETDEV = RULESET.slice(RULESET.indexOf('table netdev'));

async function wxdpSide(ruleset: string): Promise<{ got: unknown[]; rules: string }> {
  const fx = await Fixture.create(LINKS46, [{ dst: '203.0.113.0/24', via: '198.51.100.2', dev: 'eth1' }, ...ROUTES6], [...NEIGH, ...NEIGH6]);
  fx.dp.ip('link set lo up');
  fx.dp.nft(ruleset);
  const t = fx.dp.socketTable;
  const eth0 = fx.dp.links.ifindex('eth0');
  const m4 = udpSocket(fx.dp, { bind: { addr: '0.0.0.0', port: 7902 } });
  t.membership(m4, 'join', '239.1.1.1', { iface: '192.0.2.1' });
  const m = udpSocket(fx.dp, { family: AF_INET6, bind: { addr: '::', port: 7900 } });
  t.membership(m, 'join', 'ff0e::1:1', { iface: eth0 });
  const m1 = udpSocket(fx.dp, { family: AF_INET6, bind: { addr: '::', port: 7901 } });
  const tx = new UdpSender(fx.dp);
  const c = udpSocket(fx.dp, { family: AF_INET6, bind: { addr: '2001:db8:1::1', port: 6002 } });
  t.setOption(c, 'IPV6_MULTICAST_IF', eth0);
  const big = new Uint8Array(3000).map((_, i) => i % 250);
  tx.send(c, big, { address: 'ff0e::1:1', port: 7900 });
  const c3 = udpSocket(fx.dp, { family: AF_INET6, bind: { addr: '2001:db8:1::1', port: 6003 }, mark: 3 });
  t.setOption(c3, 'IPV6_MULTICAST_IF', eth0);
  tx.send(c3, new Uint8Array(100).fill(7), { address: 'ff0e::1:1', port: 7901 });
  const c4 = udpSocket(fx.dp, { bind: { addr: '192.0.2.1', port: 6004 }, mark: 4 });
  tx.send(c4, new Uint8Array(60).fill(9), { address: '239.1.1.1', port: 7902 });
  const c9 = udpSocket(fx.dp, { bind: { addr: '198.51.100.1', port: 6005 }, mark: 9 });
  tx.send(c9, new Uint8Array(3000), { address: '203.0.113.5', port: 7503 });
  tx.send(c9, new Uint8Array(20), { address: '203.0.113.5', port: 7504 });
  const got = [m, m1, m4].map((s) => {
    const r = recvFrom(fx.dp, s);
    return r === null ? [0, '', 0] : [r.data.length, Buffer.from(r.data.subarray(0, 4)).toString('hex'), r.port];
  });
  return { got, rules: fx.dp.nft('list ruleset') };
}

describe.skipIf(unready !== '' || noKernel !== '')(`the output path's mark at egress and on a looped multicast copy, as on Linux${noKernel ? ` (skipped: ${noKernel})` : ''}`, () => {
  let k: KernelRouter | undefined;
  let kern: { got: unknown[]; rules: string } = { got: [], rules: '' };
  beforeAll(() => {
    k = KernelRouter.create(LINKS46, [{ dst: '203.0.113.0/24', via: '198.51.100.2', dev: 'eth1' }, ...ROUTES6], [...NEIGH, ...NEIGH6], {}, 'mk53');
    const ns = (cmd: string[], input?: string): string => {
      const r = spawnSync('ip', ['netns', 'exec', k!.router, ...cmd], { input, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`${cmd.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    ns(['ip', 'link', 'set', 'lo', 'up']);
    ns(['nft', '-f', '-'], RULESET);
    kern = JSON.parse(ns(['python3', '-c', PY])) as typeof kern;
  }, 60_000);
  afterAll(() => k?.close());

  it('reads and counts as Linux does', async () => {
    const { got, rules } = await wxdpSide(RULESET);
    if (process.env.CT_DEBUG) console.log(JSON.stringify(got), JSON.stringify(kern.got), rules, kern.rules);
    expect(got).toEqual(kern.got);
    expect(rules).toBe(kern.rules);
    // by hand: the 3000-byte group datagram once whole at output and postrouting, its three fragments' copies at
    // postrouting, ingress, prerouting and input, all marked 5; the fragments marked 5 at eth0's egress
    expect(rules).toContain('udp dport 7900 counter packets 1 bytes 3048\n');
    expect(rules).toContain('ip6 nexthdr ipv6-frag meta mark 0x00000005 counter packets 3 bytes 3152\n');
    expect(rules).toContain('ip6 daddr ff0e::1:1 ct state new meta mark 0x00000005 counter packets 3 bytes 3152\n');
  });
});

describe.skipIf(unready !== '' || noKernel !== '')(`the socket's mark at egress and on a looped copy with netdev chains alone, as on Linux${noKernel ? ` (skipped: ${noKernel})` : ''}`, () => {
  let k: KernelRouter | undefined;
  let kern: { got: unknown[]; rules: string } = { got: [], rules: '' };
  beforeAll(() => {
    k = KernelRouter.create(LINKS46, [{ dst: '203.0.113.0/24', via: '198.51.100.2', dev: 'eth1' }, ...ROUTES6], [...NEIGH, ...NEIGH6], {}, 'mk53n');
    const ns = (cmd: string[], input?: string): string => {
      const r = spawnSync('ip', ['netns', 'exec', k!.router, ...cmd], { input, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`${cmd.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    ns(['ip', 'link', 'set', 'lo', 'up']);
    ns(['nft', '-f', '-'], RULESET_NETDEV);
    kern = JSON.parse(ns(['python3', '-c', PY])) as typeof kern;
  }, 60_000);
  afterAll(() => k?.close());

  it('reads and counts as Linux does', async () => {
    const { got, rules } = await wxdpSide(RULESET_NETDEV);
    if (process.env.CT_DEBUG) console.log(JSON.stringify(got), JSON.stringify(kern.got), rules, kern.rules);
    expect(got).toEqual(kern.got);
    expect(rules).toBe(kern.rules);
    // by hand: the copies of the SO_MARK 3 and 4 datagrams met eth0's ingress chain with their marks
    expect(rules).toContain('meta mark { 0x00000003, 0x00000004 } meta mark set 0x00000006 counter packets 2 bytes 236\n');
  });
});
