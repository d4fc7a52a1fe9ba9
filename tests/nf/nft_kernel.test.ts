// nftables rules through the whole stack against the kernel: a router with a filter chain (ct state, a
// set, rejects with an ICMP error and a TCP reset, marks, counters) and nat chains (masquerade, DNAT), the
// same rule file loaded into Linux with `nft -f` in namespaces and into wxdp with dp.nftFile; the same
// frames sent through both give the same frames out (forwarded, translated, or the reject's answer), and
// `nft list ruleset` afterwards prints the same counters on both sides.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fixture, echo4, eth, hex, inetChecksum, ipv4, ipv6, stackUnready, udp4, type LinkCfg, type NeighCfg, type RouteCfg } from '../net/support.js';
import { udp } from '../support/frames.js';
import { tcp, TH } from './nft_support.js';
import { KernelRouter, kernelUnavailable, maskOwn } from '../net/kernel.js';
import { ACK, H0, H1, LINKS, M0, M1, NEIGH, ROUTES, SYN, SYN_OPTS, tcpFrame } from './ct_support.js';

const unready = await stackUnready();
const noKernel = kernelUnavailable() || (spawnSync('nft', ['--version']).status !== 0 ? 'nft (Debian nftables) missing' : '');

const RULESET = `table inet filter {
	set blocked {
		type ipv4_addr
		flags interval
		elements = { 203.0.113.64/26 }
	}

	chain forward {
		type filter hook forward priority filter; policy drop;
		ct state established,related counter accept
		ct state invalid counter drop
		ip daddr @blocked counter reject with icmp type admin-prohibited
		tcp dport 23 counter reject with tcp reset
		udp dport 9 counter reject
		iifname "eth0" tcp dport { 80, 443 } counter accept
		iifname "eth0" udp dport 53 meta mark set 0x7 counter accept
		iifname "eth0" ip protocol icmp accept
		iifname "eth1" ip daddr 192.0.2.2 tcp dport 80 ct state new counter accept
		counter
	}
}
table ip nat {
	chain prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		iifname "eth1" tcp dport 8080 dnat to 192.0.2.2:80
	}

	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "eth1" masquerade
	}
}
`;

/**
 * A reset the router built: over IPv4 the kernel leaves its TCP checksum to the device (CHECKSUM_PARTIAL: the
 * field holds the pseudo-header's folded sum, and a veth hands it on as is), wxdp writes the whole checksum.
 * Both are checked for what they must be, then cleared so the rest of the frame is compared byte for byte.
 */
function settleRst(f: Uint8Array, kernel: boolean): Uint8Array {
  const c = Uint8Array.from(f);
  const v4 = c[12] === 0x08 && c[13] === 0x00 && c[23] === 6;
  const v6 = c[12] === 0x86 && c[13] === 0xdd && c[20] === 6;
  const th = v4 ? 34 : 54;
  if ((!v4 && !v6) || c.length < th + 20 || (c[th + 13]! & 0x04) === 0) return c;
  const seg = c.slice(th);
  const len = [(seg.length >>> 24) & 0xff, (seg.length >>> 16) & 0xff, seg.length >> 8 & 0xff, seg.length & 0xff];
  const pseudo = v4 ? Uint8Array.from([...c.slice(26, 34), 0, 6, len[2]!, len[3]!]) : Uint8Array.from([...c.slice(22, 54), ...len, 0, 0, 0, 6]);
  const field = (seg[16]! << 8) | seg[17]!;
  // nf_reject_ipv4 leaves the sum to the device; nf_reject_ipv6 computes it whole (csum_ipv6_magic)
  if (kernel && v4) expect(field).toBe(~inetChecksum(pseudo) & 0xffff);
  else expect(inetChecksum(pseudo, seg)).toBe(0);
  c[th + 16] = c[th + 17] = 0;
  return c;
}

const data = (n: number, seed = 0): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 5 + seed) & 0xff);
const inUdp = (dst: string, sp: number, dport: number, n: number): Uint8Array =>
  eth({ dst: M0, src: H0, type: 0x0800 }, ipv4({ src: '192.0.2.2', dst, proto: 17, id: 0x4001 }, udp4('192.0.2.2', dst, sp, dport, data(n))));
const C = '192.0.2.2';
const S = '203.0.113.5';
const PUB = '198.51.100.1';

const STEPS: Array<{ what: string; dev: 'eth0' | 'eth1'; frame: Uint8Array }> = [
  { what: 'TCP SYN out to port 80: accepted, masqueraded', dev: 'eth0', frame: tcpFrame('in', C, S, 40000, 80, { seq: 1000, flags: SYN, options: SYN_OPTS }) },
  { what: 'its SYN/ACK: established', dev: 'eth1', frame: tcpFrame('out', S, PUB, 80, 40000, { seq: 5000, ack: 1001, flags: SYN | ACK, win: 65160, options: SYN_OPTS }) },
  { what: 'the ACK out: established', dev: 'eth0', frame: tcpFrame('in', C, S, 40000, 80, { seq: 1001, ack: 5001, flags: ACK, win: 502 }) },
  { what: 'TCP SYN to port 23: a reset back', dev: 'eth0', frame: tcpFrame('in', C, S, 40001, 23, { seq: 777, flags: SYN, options: SYN_OPTS }) },
  { what: 'TCP ACK to port 23 (no connection: picked up): a reset with SEQ = its ACK', dev: 'eth0', frame: tcpFrame('in', C, S, 40002, 23, { seq: 900, ack: 31337, flags: ACK, win: 300, data: data(5) }) },
  { what: 'UDP to port 9: port unreachable (icmpx)', dev: 'eth0', frame: inUdp(S, 5000, 9, 12) },
  { what: 'UDP to a blocked address: admin prohibited', dev: 'eth0', frame: inUdp('203.0.113.70', 5001, 53, 8) },
  { what: 'UDP to port 53: accepted, marked', dev: 'eth0', frame: inUdp(S, 5002, 53, 20) },
  { what: 'UDP to port 54: counted, dropped by the policy', dev: 'eth0', frame: inUdp(S, 5003, 54, 20) },
  { what: 'ICMP echo out: accepted', dev: 'eth0', frame: eth({ dst: M0, src: H0, type: 0x0800 }, ipv4({ src: C, dst: S, proto: 1, id: 0x4002 }, echo4(0x99, 1, data(16)))) },
  { what: 'TCP SYN from outside to 8080: DNAT to the inside server, accepted', dev: 'eth1', frame: tcpFrame('out', '203.0.113.7', PUB, 33000, 8080, { seq: 7000, flags: SYN, options: SYN_OPTS }) },
  { what: 'TCP SYN from outside to the server directly: policy drop', dev: 'eth1', frame: tcpFrame('out', '203.0.113.8', C, 33001, 81, { seq: 7100, flags: SYN, options: SYN_OPTS }) },
];

describe.skipIf(unready !== '' || noKernel !== '')(`nft rules through the stack against the kernel${noKernel ? ` (skipped: ${noKernel})` : ''}`, () => {
  let k: KernelRouter | undefined;
  let kern: ReturnType<KernelRouter['send']> = [];
  let kernList = '';
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'wx-nft15-'));
    writeFileSync(join(dir, 'router.nft'), RULESET);
    k = KernelRouter.create(LINKS, ROUTES, NEIGH, {}, 'nft15');
    const r = spawnSync('ip', ['netns', 'exec', k.router, 'nft', '-f', join(dir, 'router.nft')], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`nft -f: ${r.stderr}`);
    kern = k.send(STEPS.map((s) => [s.dev, s.frame]));
    kernList = spawnSync('ip', ['netns', 'exec', k.router, 'nft', 'list', 'ruleset'], { encoding: 'utf8' }).stdout;
  }, 60_000);
  afterAll(() => {
    k?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it(`gives the kernel's output for ${STEPS.length} frames (verdicts, NAT, the reject's ICMP errors and resets) and its counters`, async () => {
    const fx = await Fixture.create(LINKS, ROUTES, NEIGH);
    fx.dp.nftFile(join(dir, 'router.nft'));
    STEPS.forEach((s, i) => {
      const ours = fx.rx(s.dev, s.frame);
      for (const dev of ['eth0', 'eth1']) {
        // the router's own datagrams (an ICMP error) carry an IP ID of its own choosing: compared masked
        const a = (ours.get(dev) ?? []).map((f) => hex(settleRst(maskOwn(f), false)));
        const b = (kern[i]!.tx.get(dev) ?? []).map((f) => hex(settleRst(maskOwn(f), true)));
        expect({ what: s.what, dev, out: a }).toEqual({ what: s.what, dev, out: b });
      }
    });
    // and the comparison is not of silences: where each step's output went, as the rules say it must
    const where = kern.map((r) => ['eth0', 'eth1'].map((d) => `${d}:${r.tx.get(d)?.length ?? 0}`).join(' '));
    expect(where).toEqual([
      'eth0:0 eth1:1', 'eth0:1 eth1:0', 'eth0:0 eth1:1', 'eth0:1 eth1:0', 'eth0:1 eth1:0', 'eth0:1 eth1:0',
      'eth0:1 eth1:0', 'eth0:0 eth1:1', 'eth0:0 eth1:0', 'eth0:0 eth1:1', 'eth0:1 eth1:0', 'eth0:0 eth1:0',
    ]);
    expect(fx.dp.nft('list ruleset')).toBe(kernList);
    expect(kernList).toContain('udp dport 9 counter packets 1 bytes 40 reject');
  });
});

// IPv6: an ip6 table's rejects (ICMPv6 port unreachable by default, admin prohibited, a TCP reset) and a set
const LINKS6: LinkCfg[] = [
  { name: 'eth0', mac: M0, forwarding: true, v6: ['2001:db8:1::1/64', 'fe80::ff:fe00:100/64'] },
  { name: 'eth1', mac: M1, forwarding: true, v6: ['2001:db8:2::1/64', 'fe80::ff:fe00:101/64'] },
];
const ROUTES6: RouteCfg[] = [{ dst: '2001:db8:3::/48', via: '2001:db8:2::2', dev: 'eth1' }];
const NEIGH6: NeighCfg[] = [
  { dev: 'eth0', addr: '2001:db8:1::2', mac: H0 },
  { dev: 'eth1', addr: '2001:db8:2::2', mac: H1 },
];
const SYSCTLS6 = { 'net.ipv6.conf.all.forwarding': 1, 'net.ipv6.icmp.ratelimit': 0 };
const RULESET6 = `table ip6 f6 {
	chain forward {
		type filter hook forward priority filter; policy drop;
		tcp dport 23 counter reject with tcp reset
		udp dport 9 counter reject
		ip6 daddr 2001:db8:3:66::/64 counter reject with icmpv6 type admin-prohibited
		ip6 saddr 2001:db8:1::/64 udp dport { 53, 123 } counter accept
		counter
	}
}
`;
const C6 = '2001:db8:1::2';
const e6 = (p: Uint8Array): Uint8Array => eth({ dst: M0, src: H0, type: 0x86dd }, p);
const u6 = (dst: string, dport: number, n: number): Uint8Array => e6(ipv6({ src: C6, dst, nh: 17 }, udp(C6, dst, 5000, dport, data(n))));
const STEPS6: Array<{ what: string; frame: Uint8Array; out: string }> = [
  { what: 'TCP SYN to port 23: a reset back', frame: e6(ipv6({ src: C6, dst: '2001:db8:3::5', nh: 6 }, tcp(C6, '2001:db8:3::5', 40000, 23, TH.SYN, 4242, 0))), out: 'eth0:1 eth1:0' },
  { what: 'TCP FIN|ACK with data to port 23: a reset with SEQ = its ACK', frame: e6(ipv6({ src: C6, dst: '2001:db8:3::5', nh: 6 }, tcp(C6, '2001:db8:3::5', 40001, 23, TH.FIN | TH.ACK, 10, 99, data(7)))), out: 'eth0:1 eth1:0' },
  { what: 'UDP to port 9: ICMPv6 port unreachable', frame: u6('2001:db8:3::5', 9, 10), out: 'eth0:1 eth1:0' },
  { what: 'UDP into the prohibited /64: admin prohibited', frame: u6('2001:db8:3:66::1', 53, 10), out: 'eth0:1 eth1:0' },
  { what: 'UDP to port 123: forwarded', frame: u6('2001:db8:3::5', 123, 10), out: 'eth0:0 eth1:1' },
  { what: 'UDP to port 124: counted, dropped', frame: u6('2001:db8:3::5', 124, 10), out: 'eth0:0 eth1:0' },
];

describe.skipIf(unready !== '' || noKernel !== '')(`nft ip6 rules through the stack against the kernel${noKernel ? ` (skipped: ${noKernel})` : ''}`, () => {
  let k: KernelRouter | undefined;
  let kern: ReturnType<KernelRouter['send']> = [];
  let kernList = '';
  beforeAll(() => {
    k = KernelRouter.create(LINKS6, ROUTES6, NEIGH6, SYSCTLS6, 'nft15');
    const r = spawnSync('ip', ['netns', 'exec', k.router, 'nft', '-f', '-'], { input: RULESET6, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`nft -f: ${r.stderr}`);
    kern = k.send(STEPS6.map((s) => ['eth0', s.frame]));
    kernList = spawnSync('ip', ['netns', 'exec', k.router, 'nft', 'list', 'ruleset'], { encoding: 'utf8' }).stdout;
  }, 60_000);
  afterAll(() => k?.close());

  it(`gives the kernel's output for ${STEPS6.length} IPv6 frames (resets, ICMPv6 errors, forwarding) and its counters`, async () => {
    const fx = await Fixture.create(LINKS6, ROUTES6, NEIGH6, { sysctls: SYSCTLS6 });
    fx.dp.nft(RULESET6);
    STEPS6.forEach((s, i) => {
      const ours = fx.rx('eth0', s.frame);
      for (const dev of ['eth0', 'eth1']) {
        const a = (ours.get(dev) ?? []).map((f) => hex(settleRst(maskOwn(f), false)));
        const b = (kern[i]!.tx.get(dev) ?? []).map((f) => hex(settleRst(maskOwn(f), true)));
        expect({ what: s.what, dev, out: a }).toEqual({ what: s.what, dev, out: b });
      }
    });
    expect(kern.map((r) => ['eth0', 'eth1'].map((d) => `${d}:${r.tx.get(d)?.length ?? 0}`).join(' '))).toEqual(STEPS6.map((s) => s.out));
    expect(fx.dp.nft('list ruleset')).toBe(kernList);
  });
});
