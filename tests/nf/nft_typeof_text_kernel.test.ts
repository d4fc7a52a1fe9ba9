// `typeof` set and map declarations in the nft text front end against nft itself (Debian's nftables 1.0.6 and the
// 6.18 kernel, in a namespace of the test's own): a file with a typeof set of each kind wxdp keeps (addresses, marks,
// ports with intervals, interface names, protocols, ct state) and a verdict map, listed back by both as nft lists
// them (`typeof iifname`: meta_expr_print leaves iif, oif, iifname and oifname unqualified); a command sequence
// whose outputs and first errors (nft's grammar: `typeof ip saddr : counter` is a syntax error at `counter`, a set
// with `: verdict` one at the colon) are compared; then the verdict map keyed by a typeof declaration runs.

import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { ipv4, udp } from '../support/frames.js';
import { ChainRunner, expectSequenceAsNft, loadListedAsNft, nftAgainst, nftDatapath, nftSession } from './nft_support.js';

const FIXTURE = new URL('./fixtures/nft_typeof.nft', import.meta.url).pathname;
const { nsa, skip, why } = nftAgainst('ks43ty');
const built = existsSync(new URL('../../build/fastpath.wasm', import.meta.url));

const SEQUENCE = [
  'add set inet t c1 { typeof udp sport; elements = { 53, 67 } ; }',
  'add map inet t c2 { typeof ip daddr : verdict; flags interval; elements = { 198.51.100.0/24 : accept } ; }',
  'add set inet t e1 { typeof ip foo; }',
  'add map inet t e2 { typeof ip saddr; }',
  'add set inet t e3 { typeof ip saddr : verdict; }',
  'add map inet t e4 { typeof ip saddr : counter; }',
  'add set inet t e5 { typeof ip saddr; elements = { 2001:db8::1 } ; }',
  'add rule inet t in tcp dport @src4 accept',
  'add rule inet t in ip daddr vmap @dports',
  'add rule inet t in udp sport @c1 accept',
  'add rule inet t in ip daddr vmap @c2',
  'add element inet t marks { 0x7 }',
  'list set inet t marks',
  'list map inet t c2',
  'list sets',
];

describe.skipIf(skip)(`typeof set and map declarations, compared with nft 1.0.6${why ? ` (skipped: ${why})` : ''}`, () => {
  const s = nftSession(nsa, 'ks43ty');

  it('lists the file as nft does, handles included', () => {
    const k = loadListedAsNft(s.ns, s.dp, FIXTURE);
    expect(k).toContain('\tset names {\n\t\ttypeof iifname\n');
    expect(k).toContain('\tmap dports {\n\t\ttypeof th dport : verdict\n');
  });

  it('answers each command of a sequence as nft does: declarations, their syntax errors, type mismatches', () => {
    expectSequenceAsNft(s.ns, s.dp, SEQUENCE);
  });
});

describe.skipIf(!built)('typeof declarations in the data path', () => {
  it('a typeof set and a typeof verdict map match as their type-declared twins do', async () => {
    const dp = await nftDatapath(['eth0']);
    dp.nftFile(FIXTURE);
    const r = new ChainRunner(dp);
    const dgram = (src: string, dport: number): Uint8Array => ipv4({ src, dst: '203.0.113.1', proto: 17, payload: udp(src, '203.0.113.1', 4000, dport, new Uint8Array(4)) });
    const run = (src: string, dport: number): number => r.run('inet', 't', 'in', dgram(src, dport), { hook: 1 }).verdict;
    // 192.0.2.1 is in @src4; from elsewhere: 22 accept, 23 drop, 53 jumps to dns (sport 4000: drop), others the policy
    expect([run('192.0.2.1', 23), run('192.0.2.9', 22), run('192.0.2.9', 23), run('192.0.2.9', 53), run('192.0.2.9', 80)]).toEqual([1, 1, 0, 0, 0]);
    // what nft takes and wxdp does not keep is refused by name (data maps; sets of interface indexes)
    expect(() => dp.nft('add map inet t x { typeof ip saddr : ip protocol; }')).toThrow('wxdp maps keys to verdicts, stateful objects, addresses, ports and marks only, not to ip protocol');
    expect(() => dp.nft('add set inet t y { typeof meta iif; }')).toThrow('wxdp has no named sets of');
  });
});
