// The nf_tables evaluator (assembly/net/nft_eval.ts) run as netfilter runs a base chain: verdicts,
// counters and marks for hand-built packets, each expected value derived from the rule it meets
// (nft's semantics: first matching verdict wins, jump returns, goto does not, the policy at the end).

import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import type { Datapath } from '../../src/index.js';
import { ipv4, ipv6, udp, pattern } from '../support/frames.js';
import { ChainRunner, TH, nftDatapath, tcp } from './nft_support.js';

const NF_DROP = 0;
const NF_ACCEPT = 1;
const built = existsSync(new URL('../../build/fastpath.wasm', import.meta.url));

const RULES = `
table inet filter {
	set blocked {
		type ipv4_addr
		flags interval
		elements = { 192.0.2.128/25, 198.51.100.7 }
	}
	chain forward {
		type filter hook forward priority filter; policy drop;
		ct state established,related accept
		ip saddr @blocked counter drop
		ip daddr 203.0.113.0/24 tcp dport { 22, 80-90 } counter accept
		meta l4proto udp udp dport 53 accept
		ip6 saddr 2001:db8:1::/48 ip6 daddr 2001:db8:2::1 accept
		meta mark 0x10 meta mark set 0x20 jump marks
		iifname "veth0" oifname != "veth1" drop
		ip saddr 192.0.2.1-192.0.2.9 tcp sport < 1024 accept
		ip saddr != { 192.0.2.10, 192.0.2.11 } goto last
		counter
	}
	chain marks {
		meta mark 0x20 tcp dport 443 accept
		return
	}
	chain last {
		udp dport 7 accept
	}
}
`;

describe.skipIf(!built)('nft_do_chain over a published ruleset', () => {
  let dp: Datapath;
  let run: ChainRunner;
  const v4 = (src: string, dst: string, l4: Uint8Array, proto: number): Uint8Array => ipv4({ src, dst, proto, payload: l4 });
  const t4 = (src: string, dst: string, sport: number, dport: number): Uint8Array => v4(src, dst, tcp(src, dst, sport, dport, TH.SYN, 1000, 0), 6);
  const u4 = (src: string, dst: string, sport: number, dport: number): Uint8Array => v4(src, dst, udp(src, dst, sport, dport, pattern(8)), 17);

  beforeAll(async () => {
    dp = await nftDatapath(['veth0', 'veth1', 'veth2']);
    dp.nft(RULES);
    run = new ChainRunner(dp);
  });
  const fwd = (p: Uint8Array, h = {}): number => run.run('inet', 'filter', 'forward', p, h).verdict;

  it('accepts what ct state established,related names, whatever else the packet is', () => {
    expect(fwd(u4('192.0.2.200', '203.0.113.1', 1, 2), { ct: 0x1000, ctinfo: 0 })).toBe(NF_ACCEPT); // ESTABLISHED
    expect(fwd(u4('192.0.2.200', '203.0.113.1', 1, 2), { ct: 0x1000, ctinfo: 4 })).toBe(NF_ACCEPT); // RELATED_REPLY
    // NEW from a blocked source: the set's drop
    expect(fwd(u4('192.0.2.200', '203.0.113.1', 1, 2), { ct: 0x1000, ctinfo: 2 })).toBe(NF_DROP);
  });

  it('looks addresses up in an interval set: a prefix and a single element', () => {
    expect(fwd(t4('192.0.2.128', '203.0.113.1', 1000, 22))).toBe(NF_DROP);
    expect(fwd(t4('192.0.2.255', '203.0.113.1', 1000, 22))).toBe(NF_DROP);
    expect(fwd(t4('198.51.100.7', '203.0.113.1', 1000, 22))).toBe(NF_DROP);
    // 192.0.2.127 is outside /25 and 198.51.100.8 is not the element: the next rule accepts port 22
    expect(fwd(t4('192.0.2.127', '203.0.113.1', 1000, 22))).toBe(NF_ACCEPT);
    expect(fwd(t4('198.51.100.8', '203.0.113.1', 1000, 22))).toBe(NF_ACCEPT);
  });

  it('matches a prefix and an anonymous set of a port and a range, and counts what matched', () => {
    const before = dp.nftables.counters('inet', 'filter', 'forward');
    expect(fwd(t4('198.51.100.1', '203.0.113.9', 1000, 80))).toBe(NF_ACCEPT);
    expect(fwd(t4('198.51.100.1', '203.0.113.9', 1000, 90))).toBe(NF_ACCEPT);
    const p = t4('198.51.100.1', '203.0.113.9', 1000, 85);
    expect(fwd(p)).toBe(NF_ACCEPT);
    const after = dp.nftables.counters('inet', 'filter', 'forward');
    expect(after[1]!.packets - before[1]!.packets).toBe(3n);
    expect(after[1]!.bytes - before[1]!.bytes).toBe(3n * BigInt(p.length)); // 40-byte SYNs: IP + TCP
    // port 91 and 21 fall outside; the source is not in 192.0.2.1-9 nor .10/.11: goto last, no match there,
    // and the end of a goto'd chain is the base chain's policy (drop)
    expect(fwd(t4('198.51.100.1', '203.0.113.9', 1000, 91))).toBe(NF_DROP);
    expect(fwd(t4('198.51.100.1', '203.0.113.9', 1000, 21))).toBe(NF_DROP);
    // a UDP datagram to port 22 is not `tcp dport` (the l4proto dependency)
    expect(fwd(u4('198.51.100.1', '203.0.113.9', 1000, 22))).toBe(NF_DROP);
  });

  it('matches IPv6 prefixes and addresses only for IPv6 packets', () => {
    const p6 = (src: string, dst: string): Uint8Array => ipv6({ src, dst, nextHeader: 17, payload: udp(src, dst, 1, 9, pattern(4)) });
    expect(fwd(p6('2001:db8:1:ffff::5', '2001:db8:2::1'))).toBe(NF_ACCEPT);
    expect(fwd(p6('2001:db8:1:ffff::5', '2001:db8:2::2'))).toBe(NF_DROP);
    expect(fwd(p6('2001:db8:3::5', '2001:db8:2::1'))).toBe(NF_DROP);
  });

  it('sets the mark and jumps; a regular chain returns to the rule after the jump', () => {
    // mark 0x10 → set 0x20, jump marks: tcp 443 accepted there
    let r = run.run('inet', 'filter', 'forward', t4('198.51.100.1', '198.51.100.2', 1000, 443), { mark: 0x10 });
    expect(r).toEqual({ verdict: NF_ACCEPT, mark: 0x20 });
    // port 444: marks returns; the iifname rule drops what enters veth0 unless it leaves by veth1
    r = run.run('inet', 'filter', 'forward', t4('198.51.100.1', '198.51.100.2', 1000, 444), { mark: 0x10, iif: 1, oif: 3 });
    expect(r).toEqual({ verdict: NF_DROP, mark: 0x20 });
    // into veth0 and out of veth1: on to the range rule (source 192.0.2.5, sport 80 < 1024)
    r = run.run('inet', 'filter', 'forward', t4('192.0.2.5', '198.51.100.2', 80, 444), { mark: 0x10, iif: 1, oif: 2 });
    expect(r).toEqual({ verdict: NF_ACCEPT, mark: 0x20 });
    // sport 1024 is not < 1024; 192.0.2.5 is not .10/.11: goto last, udp 7 only → policy drop
    expect(fwd(t4('192.0.2.5', '198.51.100.2', 1024, 444))).toBe(NF_DROP);
  });

  it('falls through a non-matching goto target to the policy, and accepts what that chain accepts', () => {
    expect(fwd(u4('192.0.2.77', '198.51.100.2', 1000, 7))).toBe(NF_ACCEPT);
    // 192.0.2.10 is in the != set's exceptions: the last rule counts it and the policy drops it
    const before = dp.nftables.counters('inet', 'filter', 'forward');
    expect(fwd(u4('192.0.2.10', '198.51.100.2', 1000, 7))).toBe(NF_DROP);
    const after = dp.nftables.counters('inet', 'filter', 'forward');
    expect(after[2]!.packets - before[2]!.packets).toBe(1n);
  });

  it('does not read a transport header a later fragment does not have', () => {
    const frag = ipv4({ src: '198.51.100.1', dst: '203.0.113.9', proto: 6, fragOffset: 100, payload: pattern(24) });
    expect(fwd(frag)).toBe(NF_DROP);
  });

  it('never reads past the packet: a transport header cut short matches no port', () => {
    // an IPv4 header saying TCP with 2 bytes of it: `tcp dport` (bytes 2-3) breaks, the set lookups and
    // the goto run on addresses only, and the policy decides
    const cut = ipv4({ src: '198.51.100.1', dst: '203.0.113.9', proto: 6, payload: Uint8Array.of(0x03, 0xe8) });
    expect(fwd(cut)).toBe(NF_DROP);
    // the same source with a whole header to port 22 is accepted by the anonymous-set rule
    expect(fwd(t4('198.51.100.1', '203.0.113.9', 1000, 22))).toBe(NF_ACCEPT);
  });

  it('reads an ICMP or ICMPv6 type after its family and protocol, and takes a verdict map\'s verdict', () => {
    dp.nft(`table inet icm { chain c { type filter hook forward priority 0; policy accept;
      icmp type echo-request drop
      icmpv6 type { echo-request, nd-neighbor-solicit } drop
      udp dport vmap { 7 : drop, 8 : continue, 9 : accept }
      udp dport 8 drop
    }; }`);
    const icmp = (type: number): Uint8Array => Uint8Array.of(type, 0, 0, 0, 0, 1, 0, 1);
    const c = (p: Uint8Array): number => run.run('inet', 'icm', 'c', p).verdict;
    expect(c(v4('192.0.2.1', '192.0.2.2', icmp(8), 1))).toBe(NF_DROP); // echo-request
    expect(c(v4('192.0.2.1', '192.0.2.2', icmp(0), 1))).toBe(NF_ACCEPT); // echo-reply: the policy
    expect(c(v4('192.0.2.1', '192.0.2.2', icmp(128), 58))).toBe(NF_ACCEPT); // an IPv4 packet is no ICMPv6
    expect(c(ipv6({ src: '2001:db8::1', dst: '2001:db8::2', nextHeader: 58, payload: icmp(135) }))).toBe(NF_DROP);
    expect(c(ipv6({ src: '2001:db8::1', dst: '2001:db8::2', nextHeader: 58, payload: icmp(129) }))).toBe(NF_ACCEPT);
    expect(c(u4('192.0.2.1', '192.0.2.2', 1, 7))).toBe(NF_DROP); // the map's drop
    expect(c(u4('192.0.2.1', '192.0.2.2', 1, 8))).toBe(NF_DROP); // continue: the next rule drops
    expect(c(u4('192.0.2.1', '192.0.2.2', 1, 10))).toBe(NF_ACCEPT); // no element: the rule breaks
    dp.nft('delete table inet icm');
  });

  it('reads tcp flags under a mask, th ports of any transport header and ICMP codes', () => {
    dp.nft(`table inet tf { chain c { type filter hook forward priority 0; policy accept;
      tcp dport 1 tcp flags & (fin|syn|rst|ack) == syn drop
      tcp dport 2 tcp flags syn,rst drop
      tcp dport 3 tcp flags != syn / syn,ack drop
      tcp dport 4 tcp flags ! syn,ack drop
      tcp dport 5 tcp flags == syn drop
      tcp dport 6 tcp flags { syn | ack, rst } drop
      th dport 7 drop
      icmp code port-unreachable drop
      icmpv6 code { admin-prohibited } drop
    }; }`);
    const c = (p: Uint8Array): number => run.run('inet', 'tf', 'c', p).verdict;
    const seg = (dport: number, flags: number): number => c(v4('192.0.2.1', '192.0.2.2', tcp('192.0.2.1', '192.0.2.2', 1000, dport, flags, 1, 0), 6));
    const { FIN, SYN, RST, PSH, ACK } = TH;
    // (flags & 0x17) == 0x02: a bare SYN, with PSH (outside the mask) too; not SYN+ACK nor SYN+FIN
    expect([seg(1, SYN), seg(1, SYN | PSH), seg(1, SYN | ACK), seg(1, SYN | FIN)]).toEqual([NF_DROP, NF_DROP, NF_ACCEPT, NF_ACCEPT]);
    // any of syn, rst
    expect([seg(2, SYN), seg(2, RST | ACK), seg(2, ACK | PSH)]).toEqual([NF_DROP, NF_DROP, NF_ACCEPT]);
    // (flags & 0x12) != 0x02
    expect([seg(3, SYN), seg(3, SYN | ACK), seg(3, ACK), seg(3, 0)]).toEqual([NF_ACCEPT, NF_DROP, NF_DROP, NF_DROP]);
    // neither syn nor ack
    expect([seg(4, FIN), seg(4, SYN), seg(4, ACK | PSH)]).toEqual([NF_DROP, NF_ACCEPT, NF_ACCEPT]);
    // the whole byte
    expect([seg(5, SYN), seg(5, SYN | PSH)]).toEqual([NF_DROP, NF_ACCEPT]);
    expect([seg(6, SYN | ACK), seg(6, RST), seg(6, SYN)]).toEqual([NF_DROP, NF_DROP, NF_ACCEPT]);
    // th reads UDP and TCP alike
    expect([c(u4('192.0.2.1', '192.0.2.2', 1, 7)), seg(7, ACK), c(u4('192.0.2.1', '192.0.2.2', 7, 8))]).toEqual([NF_DROP, NF_DROP, NF_ACCEPT]);
    const icmp = (type: number, code: number): Uint8Array => Uint8Array.of(type, code, 0, 0, 0, 0, 0, 0);
    expect(c(v4('192.0.2.1', '192.0.2.2', icmp(3, 3), 1))).toBe(NF_DROP);
    expect(c(v4('192.0.2.1', '192.0.2.2', icmp(3, 1), 1))).toBe(NF_ACCEPT);
    expect(c(ipv6({ src: '2001:db8::1', dst: '2001:db8::2', nextHeader: 58, payload: icmp(1, 1) }))).toBe(NF_DROP);
    expect(c(ipv6({ src: '2001:db8::1', dst: '2001:db8::2', nextHeader: 58, payload: icmp(1, 3) }))).toBe(NF_ACCEPT);
    expect(c(v4('192.0.2.1', '192.0.2.2', icmp(1, 1), 58))).toBe(NF_ACCEPT); // an IPv4 packet is no ICMPv6
    dp.nft('delete table inet tf');
  });

  it('swaps a ruleset whole: a new file replaces the policy and the rules at once', () => {
    dp.nft('flush ruleset\ntable ip t { chain c { type filter hook forward priority 0; policy accept; udp dport 9 drop; }; }');
    const slot = dp.nftables.chainSlot('ip', 't', 'c');
    expect(slot).toBeDefined();
    expect(run.run('ip', 't', 'c', u4('192.0.2.1', '192.0.2.2', 1, 9)).verdict).toBe(NF_DROP);
    expect(run.run('ip', 't', 'c', u4('192.0.2.1', '192.0.2.2', 1, 10)).verdict).toBe(NF_ACCEPT);
    // the old inet chain's slot has no chain in this generation: accept, as an unregistered hook
    expect(dp.nftables.chainSlot('inet', 'filter', 'forward')).toBeDefined();
    expect(() => run.run('inet', 'filter', 'forward', u4('192.0.2.1', '192.0.2.2', 1, 9))).not.toThrow();
    expect(run.run('inet', 'filter', 'forward', u4('192.0.2.1', '192.0.2.2', 1, 9)).verdict).toBe(NF_ACCEPT);
  });
});

// ct state with `==` / `!=` compares the whole value (nft 1.0.6: `cmp eq|neq reg 1 0x00000006`, --debug=netlink), the
// implicit form its bits; marks through nft_bitwise (meta mark & m ^ x, set through mask, xor and shifts)
describe.skipIf(!built)('whole-value ct state compares and marks through nft_bitwise', () => {
  let run: ChainRunner;
  const pkt = ipv4({ src: '192.0.2.1', dst: '203.0.113.1', proto: 17, payload: udp('192.0.2.1', '203.0.113.1', 1, 2, pattern(8)) });
  beforeAll(async () => {
    const dp = await nftDatapath(['veth0']);
    dp.nft(`table inet s {
	chain cne { type filter hook forward priority 0; policy accept; ct state != established,related drop; }
	chain ceq { type filter hook forward priority 1; policy accept; ct state == established,related drop; }
	chain bits { type filter hook forward priority 2; policy accept; ct state established,related drop; }
	chain mk { type filter hook prerouting priority 0; policy accept; meta mark & 0xff00 == 0x1200 meta mark set meta mark & 0xffff00ff | 0x3400; meta mark ^ 0x1 == 0x10 meta mark set meta mark << 4 >> 8; }
}`);
    run = new ChainRunner(dp);
  });
  it('!= established,related drops an established packet (2 is not 6); == never matches one state; implicit tests the bits', () => {
    const est = { ct: 0x1000, ctinfo: 0 };
    expect([run.run('inet', 's', 'cne', pkt, est).verdict, run.run('inet', 's', 'ceq', pkt, est).verdict, run.run('inet', 's', 'bits', pkt, est).verdict]).toEqual([NF_DROP, NF_ACCEPT, NF_DROP]);
  });
  it('sets a mark through a mask and or, and through shifts, under masked and xor-ed matches', () => {
    const mark = (m: number): number => run.run('inet', 's', 'mk', pkt, { hook: 0, mark: m }).mark >>> 0;
    // 0xab12cd & 0xffff00ff | 0x3400 = 0xab34cd; 0x11 ^ 0x1 = 0x10: (0x11 << 4) >> 8 = 0x1; 0x5 untouched
    expect([mark(0xab12cd), mark(0x11), mark(0x5)]).toEqual([0xab34cd, 0x1, 0x5]);
  });
});
