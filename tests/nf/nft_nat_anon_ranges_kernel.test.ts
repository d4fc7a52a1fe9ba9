// Anonymous NAT maps with address ranges as data (`dnat to ip saddr map { 192.0.2.0/29 : 203.0.113.1-203.0.113.10 }`):
// nft makes every element's data an interval (min and max into NAT's address registers, listed `dnat ip to`), a
// single address among them is the kernel's EINVAL at its key. The same rule file and frames in a Linux router (nft
// 1.0.6) and in wxdp: each connection gets the kernel's address in its element's range (find_best_ips_proto).

import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { eth, ipv4, stackUnready, udp4 } from '../net/support.js';
import { kernelUnavailable } from '../net/kernel.js';
import { H0, M0 } from './ct_support.js';
import { kernelNftRun, oursNftRun } from './nft_kernel_support.js';
import { nftDatapath } from './nft_support.js';

const unready = await stackUnready();
const noKernel = kernelUnavailable() || (spawnSync('nft', ['--version']).status !== 0 ? 'nft (Debian nftables) missing' : '');

const dgram = (host: number, dport: number, i: number): Uint8Array =>
  eth({ dst: M0, src: H0, type: 0x0800 }, ipv4({ src: `192.0.2.${host}`, dst: '203.0.113.9', proto: 17, id: 0x5700 + i }, udp4(`192.0.2.${host}`, '203.0.113.9', 4000, dport, new Uint8Array(16 + host).fill(i))));

const RULESET = `table ip x {
	chain pre {
		type nat hook prerouting priority dstnat; policy accept;
		udp dport 3000 dnat to ip saddr map { 192.0.2.0/29 : 203.0.113.1-203.0.113.10, 192.0.2.8-192.0.2.15 : 203.0.113.32/28, 192.0.2.16 : 203.0.113.20-203.0.113.20 }
		udp dport 3001 dnat to ip saddr map { 192.0.2.0/28 : 203.0.113.64-203.0.113.70 } persistent
	}
}
`;
const HOSTS = [2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15, 16];
const FRAMES = [...HOSTS.map((h, i) => dgram(h, 3000, i)), ...[2, 3, 9].map((h, i) => dgram(h, 3001, i)), dgram(17, 3000, 0)];

describe.skipIf(unready !== '' || noKernel !== '')(`anonymous NAT maps to address ranges against the kernel${noKernel ? ` (skipped: ${noKernel})` : ''}`, () => {
  const kern = kernelNftRun(RULESET, FRAMES, 'nft57ar', ['list ruleset']);

  it(`translates each of ${FRAMES.length} connections to the kernel's address in its range and lists the rules as nft`, async () => {
    const { fx, out } = await oursNftRun(RULESET, FRAMES);
    expect(kern.out.every((o) => o.length === 1)).toBe(true);
    expect(out).toEqual(kern.out);
    expect(fx.dp.nft('list ruleset')).toBe(kern.lists['0 list ruleset']);
    // derived by hand: every destination in its element's range (the IPv4 header's daddr at 14 + 16)
    const daddr = (o: string[]): number => parseInt(o[0]!.slice(60, 68), 16) - 0xcb007100;
    kern.out.slice(0, 6).forEach((o) => expect(daddr(o)).toBeGreaterThanOrEqual(1));
    kern.out.slice(0, 6).forEach((o) => expect(daddr(o)).toBeLessThanOrEqual(10));
    kern.out.slice(6, 13).forEach((o) => expect(daddr(o) >= 32 && daddr(o) <= 47).toBe(true));
    expect(daddr(kern.out[13]!)).toBe(20);
    kern.out.slice(14, 17).forEach((o) => expect(daddr(o) >= 64 && daddr(o) <= 70).toBe(true));
    expect(daddr(kern.out[17]!)).toBe(9); // no element: not translated
    expect(kern.lists['0 list ruleset']).toContain('dnat ip to ip saddr map { 192.0.2.0/29 : 203.0.113.1-203.0.113.10, 192.0.2.8/29 : 203.0.113.32/28, 192.0.2.16 : 203.0.113.20/32 }');
  });

  it('refuses a single address among ranges as the kernel does (EINVAL at its key)', async () => {
    const dp = await nftDatapath();
    dp.nft('add table ip x\nadd chain ip x pre { type nat hook prerouting priority dstnat; }\n');
    const cmd = 'add rule ip x pre dnat to ip saddr map { 192.0.2.3 : 198.51.100.9, 192.0.2.2 : 198.51.100.1-198.51.100.3 }';
    expect(() => dp.nft(cmd)).toThrow(`Error: Could not process rule: Invalid argument\n${cmd}\n${' '.repeat(41)}^^^^^^^^^`);
  });
});
