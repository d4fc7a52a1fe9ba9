// numgen, symhash and jhash compared with a value rather than used as a map's key (`numgen inc mod 2 0 drop`,
// `numgen inc mod 4 { 1, 2 }`, `symhash mod 2 offset 7 { 7, 8 }`, `jhash ip saddr . udp sport mod 1 0`): nft_numgen / nft_hash into a
// register, then nft_cmp or nft_lookup of an anonymous set. The same rule file in a Linux router (nft 1.0.6) and in
// wxdp, the same frames: numgen inc is deterministic (nft_ng_inc_init sets the counter to modulus - 1, so the first
// packet reads 0); symhash's and jhash's values depend on a seed, so only comparisons every value meets (or none)
// are run, and the listings with their counters alike.

import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eth, ipv4, stackUnready, udp4 } from '../net/support.js';
import { kernelUnavailable } from '../net/kernel.js';
import { H0, M0 } from './ct_support.js';
import { expectOursAsKernel, kernelNftRun } from './nft_kernel_support.js';
import { nftDatapath } from './nft_support.js';

const unready = await stackUnready();
const noKernel = kernelUnavailable() || (spawnSync('nft', ['--version']).status !== 0 ? 'nft (Debian nftables) missing' : '');

const RULESET = `table ip f {
	chain forward {
		type filter hook forward priority filter; policy accept;
		udp dport 3000 numgen inc mod 2 0 counter drop
		udp dport 3001 numgen inc mod 4 { 1, 2 } counter drop
		udp dport 3002 numgen inc mod 3 offset 5 >= 6 counter drop
		udp dport 3003 symhash mod 2 offset 7 { 7, 8 } counter accept
		udp dport 3003 drop
		udp dport 3004 jhash ip saddr . udp sport mod 1 0 counter accept
		udp dport 3004 drop
		udp dport 3005 symhash mod 4 > 3 counter drop
		udp dport 3005 numgen random mod 2 > 1 counter drop
	}
}
`;

const dgram = (host: number, dport: number, i: number): Uint8Array =>
  eth({ dst: M0, src: H0, type: 0x0800 }, ipv4({ src: `192.0.2.${host}`, dst: '203.0.113.9', proto: 17, id: 0x7400 + i }, udp4(`192.0.2.${host}`, '203.0.113.9', 4000 + i, dport, new Uint8Array(20 + host).fill(i))));

// [dport, frames, how many go through (derived by hand), source host]
const RUNS: Array<[number, number, number, number]> = [
  [3000, 6, 3, 2], // 0 1 0 1 0 1: the 0s dropped
  [3001, 8, 4, 3], // 0 1 2 3 0 1 2 3: 1 and 2 dropped
  [3002, 6, 2, 4], // 5 6 7 5 6 7: 6 and 7 dropped
  [3003, 4, 4, 5], // 7 or 8: accepted
  [3004, 4, 4, 6], // mod 1: always 0
  [3005, 4, 4, 7], // symhash mod 4 is 0-3; numgen random mod 2 is 0 or 1
];
const FRAMES = RUNS.flatMap(([dport, n, , host]) => Array.from({ length: n }, (_, i) => dgram(host, dport, i)));

describe.skipIf(unready !== '' || noKernel !== '')(`numgen and hashes compared with values, against the kernel${noKernel ? ` (skipped: ${noKernel})` : ''}`, () => {
  const kern = kernelNftRun(RULESET, FRAMES, 'nft57ng', ['list ruleset']);
  it(`forwards what the kernel forwards of ${FRAMES.length} frames and lists the rules and counters alike`, async () => {
    await expectOursAsKernel(kern, RULESET, FRAMES, RUNS);
  });
});

// values past offset + modulus - 1: nft's evaluator refuses them (expr_evaluate_numgen / _hash set the bound)
const OVER = ['numgen inc mod 2 2 drop', 'symhash mod 2 offset 7 { 7, 9 } drop', 'jhash ip saddr mod 4 4 drop', 'numgen inc mod 4 offset 3 < 7 drop', 'numgen random mod 2 1 drop'];

describe.skipIf(unready !== '' || noKernel !== '')(`values past numgen's and hashes' range refused as nft refuses them${noKernel ? ` (skipped: ${noKernel})` : ''}`, () => {
  const NS = 'nft57ngr';
  beforeAll(() => {
    spawnSync('ip', ['netns', 'add', NS]);
    spawnSync('ip', ['netns', 'exec', NS, 'nft', 'add table ip t ; add chain ip t c { type filter hook forward priority 0 ; }']);
  });
  afterAll(() => void spawnSync('ip', ['netns', 'del', NS]));
  it.each(OVER)('%s', async (rule) => {
    const cmd = `add rule ip t c ${rule}`;
    const k = spawnSync('ip', ['netns', 'exec', NS, 'nft', cmd], { encoding: 'utf8' });
    const dp = await nftDatapath();
    dp.nft('add table ip t\nadd chain ip t c { type filter hook forward priority 0 ; }\n');
    let err = '';
    try {
      dp.nft(cmd);
    } catch (e) {
      err = (e as Error).message;
    }
    expect(k.status === 0 ? '' : k.stderr.split('\n').slice(0, 3).join('\n')).toBe(err);
  });
});
