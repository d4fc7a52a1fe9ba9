// A host's datagrams to itself keep their conntrack across lo (loopback_xmit → netif_rx keeps skb->_nfct;
// nf_conntrack_in at lo's PRE_ROUTING: "Previously seen (loopback or untracked)? Ignore."): the same inet rule
// file in a Linux namespace (nft -f; UDP sockets of Python) and in wxdp (its UDP sockets), the same sends over
// IPv4 and IPv6 to the host's own address, then what each socket read (payload, source), nft's counters and
// conntrack -L compared. Covered: `redirect to :PORT` at output (the transparent-proxy set-up: one entry, the
// looped-back datagram not NATed again, the reply un-NATed so the client reads it from the address and port it
// sent to), `notrack` at output (untracked at lo's prerouting and input), `ct mark` set at output and matched at
// input, `ct state` at prerouting priority raw (before conntrack: the state output gave), the port unreachable
// the host sends itself (RELATED at output and input), and the one it sends about a datagram notrack'd at output
// (no conntrack to attach: looked up at output and again at lo's prerouting, `invalid` at both).

import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fixture, stackUnready, type LinkCfg } from '../net/support.js';
import { KernelRouter, kernelUnavailable } from '../net/kernel.js';
import { recvFrom, udpSocket } from '../net/udp_send_support.js';
import { UdpSender } from '../../src/control/udp_send.js';
import { AF_INET, AF_INET6 } from '../../src/runtime/net_abi.js';
import { LINKS, NEIGH, ROUTES, parseConntrackL } from './ct_support.js';

const unready = await stackUnready();
const noKernel = kernelUnavailable() || (spawnSync('nft', ['--version']).status !== 0 ? 'nft (Debian nftables) missing' : '') ||
  (spawnSync('conntrack', ['--version']).status !== 0 ? 'conntrack (conntrack-tools) missing' : '');

const LINKS46: LinkCfg[] = LINKS.map((l) => (l.name === 'eth0' ? { ...l, v6: ['2001:db8:1::1/64'] } : l));
const A4 = '192.0.2.1';
const A6 = '2001:db8:1::1';

const RULESET = `table inet t {
	chain out_raw {
		type filter hook output priority raw; policy accept;
		udp dport { 7100, 7101 } notrack
	}
	chain out_nat {
		type nat hook output priority -100; policy accept;
		udp dport 7777 redirect to :7000
	}
	chain out_f {
		type filter hook output priority filter; policy accept;
		udp dport 7000 ct mark set 0x00000005
		meta l4proto { icmp, ipv6-icmp } ct state related counter packets 0 bytes 0
		meta l4proto { icmp, ipv6-icmp } ct state invalid counter packets 0 bytes 0
	}
	chain pre_raw {
		type filter hook prerouting priority raw; policy accept;
		iifname "lo" udp dport 7000 ct state new counter packets 0 bytes 0
		iifname "lo" udp dport 7100 ct state untracked counter packets 0 bytes 0
		iifname "lo" ct state untracked counter packets 0 bytes 0
	}
	chain in_f {
		type filter hook input priority filter; policy accept;
		udp dport 7100 ct state untracked counter packets 0 bytes 0
		udp dport 7100 ct state new counter packets 0 bytes 0
		udp dport 7000 ct state new counter packets 0 bytes 0
		udp dport 7000 ct mark 0x00000005 counter packets 0 bytes 0
		udp sport 7000 ct state established counter packets 0 bytes 0
		udp dport 7200 ct state new counter packets 0 bytes 0
		meta l4proto { icmp, ipv6-icmp } ct state related counter packets 0 bytes 0
		meta l4proto { icmp, ipv6-icmp } ct state invalid counter packets 0 bytes 0
		meta l4proto { icmp, ipv6-icmp } ct state new counter packets 0 bytes 0
	}
}
`;

/**
 * Per family: the client (bound to the host's address, port 6000) sends to port 7777 (redirected to :7000, where the
 * server listens on the loopback address, where redirect at output sends it: nf_nat_redirect_ipv4's 127.0.0.1, IPv6's ::1), the server answers whoever it read; then to 7100 (notrack'd; a socket
 * there) and to 7200 (nobody: a port unreachable back), then to 7101 (notrack'd, nobody). What each socket reads: [socket, payload, source, port].
 */
const PY = String.raw`
import json, socket, sys, time
out = []
for fam, addr, any_ in ((socket.AF_INET, '${A4}', '127.0.0.1'), (socket.AF_INET6, '${A6}', '::1')):
    def sk(a, port):
        s = socket.socket(fam, socket.SOCK_DGRAM)
        if fam == socket.AF_INET6: s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.bind((a, port)); s.setblocking(False); return s
    def read(i, s):
        time.sleep(0.05)
        try:
            d, src = s.recvfrom(100); out.append([i, d.hex(), src[0], src[1]]); return src
        except BlockingIOError:
            out.append([i, '', '', 0]); return None
    c, srv, n = sk(addr, 6000), sk(any_, 7000), sk(addr, 7100)
    c.sendto(b'\x01\x02', (addr, 7777))
    src = read(1, srv)
    if src: srv.sendto(b'\x03\x04\x05', src[:2])
    read(0, c)
    c.sendto(b'\x06', (addr, 7100))
    read(2, n)
    c.sendto(b'\x07\x08', (addr, 7200))
    c.sendto(b'\x09', (addr, 7101))
    time.sleep(0.05)
    for s in (c, srv, n): s.close()
print(json.dumps(out))
`;

describe.skipIf(unready !== '' || noKernel !== '')(`conntrack across lo against the kernel${noKernel ? ` (skipped: ${noKernel})` : ''}`, () => {
  let k: KernelRouter | undefined;
  let kernGot: unknown[] = [];
  let kernRules = '';
  let kernCt = '';
  beforeAll(() => {
    k = KernelRouter.create(LINKS46, ROUTES, NEIGH, {}, 'lo50');
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

  it('reads, counts and tracks what the host sends itself as Linux does', async () => {
    const fx = await Fixture.create(LINKS46, ROUTES, NEIGH);
    fx.dp.ip('link set lo up');
    fx.dp.nft(RULESET);
    const got: unknown[] = [];
    const tx = new UdpSender(fx.dp);
    for (const [family, addr, any] of [[AF_INET, A4, '127.0.0.1'], [AF_INET6, A6, '::1']] as const) {
      const sk = (a: string, port: number): number => udpSocket(fx.dp, { family, v6only: family === AF_INET6, bind: { addr: a, port } });
      const read = (i: number, s: number): { addr: string; port: number } | null => {
        const r = recvFrom(fx.dp, s);
        const src = r === null ? null : { addr: family === AF_INET ? [...r.addr.subarray(0, 4)].join('.') : v6text(r.addr), port: r.port };
        got.push(r === null ? [i, '', '', 0] : [i, Buffer.from(r.data).toString('hex'), src!.addr, src!.port]);
        return src;
      };
      const c = sk(addr, 6000);
      const srv = sk(any, 7000);
      const n = sk(addr, 7100);
      tx.send(c, Uint8Array.of(1, 2), { address: addr, port: 7777 });
      const src = read(1, srv);
      if (src) tx.send(srv, Uint8Array.of(3, 4, 5), { address: src.addr, port: src.port });
      read(0, c);
      tx.send(c, Uint8Array.of(6), { address: addr, port: 7100 });
      read(2, n);
      tx.send(c, Uint8Array.of(7, 8), { address: addr, port: 7200 });
      tx.send(c, Uint8Array.of(9), { address: addr, port: 7101 });
    }
    if (process.env.CT_DEBUG) console.log(JSON.stringify(got), JSON.stringify(kernGot), fx.dp.conntrack.format(), kernCt, fx.dp.nft('list ruleset'), kernRules);
    expect(got).toEqual(kernGot);
    // not silences: the reply came from the address and port the client sent to
    expect((kernGot[1] as unknown[]).slice(1)).toEqual(['030405', A4, 7777]);
    expect(fx.dp.nft('list ruleset')).toBe(kernRules);
    const ours = parseConntrackL(fx.dp.conntrack.format()).map((l) => `${l.proto} ${l.rest}`);
    expect(ours).toEqual(parseConntrackL(kernCt).map((l) => `${l.proto} ${l.rest}`));
    // one entry per redirected exchange and per port-unreachable'd send, per family; none for the notrack'd
    expect(ours.length).toBe(4);
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
