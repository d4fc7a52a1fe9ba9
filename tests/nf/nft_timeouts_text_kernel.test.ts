// Element timeouts and per-element counters in the nft text front end against nft itself (Debian's nftables 1.0.6
// and the 6.18 kernel, in a namespace of the test's own): a file of named sets and maps with `flags timeout`, a
// set's `timeout`, elements' `timeout` / `expires` / `comment`, sets with `counter` and elements with their values,
// listed back by both, plain and with handles (what is left of a timeout follows the kernel's clock, so `expires`
// values are compared as `expires …`); then a command sequence run on both, each command's output or first error
// compared — re-adding an element (its timeout renewed, its counter kept), `create element`, timeouts refused by the
// kernel (no timeout flag: EINVAL, an expiry longer than the timeout: ERANGE, an expiry without a timeout: EOPNOTSUPP)
// and by nft (a counter the set does not declare, a time that is not one).

import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expectRefusedAsNft, expectSequenceAsNft, loadListedAsNft, nftAgainst, nftSession, noExpiry } from './nft_support.js';

const FIXTURE = new URL('./fixtures/nft_timeouts.nft', import.meta.url).pathname;
const { nsa, skip, why } = nftAgainst('ks42tm');

const SEQUENCE = [
  'add element inet t tmo { 192.0.2.1 timeout 2h, 192.0.2.5 timeout 1m, 192.0.2.7 timeout 1h30s500ms }', // renewed, given one, new
  'add element inet t cnt { 192.0.2.2 counter packets 7 bytes 7, 192.0.2.3 counter packets 5 bytes 5 }', // kept, new with values
  'create element inet t cnt { 192.0.2.3 }',
  'create element inet t cnt { 192.0.2.4 }',
  'add element inet t cnt { 192.0.2.11 timeout 3s }',
  'add element inet t tmo { 192.0.2.9 timeout 5s expires 10s }',
  'add element inet t tmo { 192.0.2.10 expires 10s }',
  'add element inet t tmo { 192.0.2.12 counter }',
  'add element inet t tmo { 192.0.2.13 timeout 1x }',
  'add element inet t tmo { 192.0.2.13 timeout 30 }',
  'add element inet t tmo { 192.0.2.13 timeout foo }',
  'add element inet t tmo { 192.0.2.13 timeout 10000000d }',
  'add element inet t dflt { 9 expires 2m }',
  'add element inet t dflt { 10 timeout 0s, 11 expires 1m }',
  'add element inet t vm { 24 timeout 1m : accept }',
  'add set inet t s2 { type ipv4_addr; timeout 30m30m; }',
  'add set inet t s3 { type ipv4_addr; flags constant; timeout 10s; }',
  'add set inet t s4 { type ipv4_addr; flags timeout, interval; timeout 1d; counter; }',
  'delete element inet t cnt { 192.0.2.2 }',
  'delete element inet t tmo { 192.0.2.99 }',
  'list set inet t tmo',
  'list set inet t cnt',
  '-a list sets',
  'list maps',
  'list ruleset',
];

describe.skipIf(skip)(`element timeouts and counters, compared with nft 1.0.6${why ? ` (skipped: ${why})` : ''}`, () => {
  const s = nftSession(nsa, 'ks42tm');

  it('lists sets and maps with timeouts and counters as nft does, handles included', () => {
    const k = loadListedAsNft(s.ns, s.dp, FIXTURE, noExpiry);
    // what the comparison covers: the kernel's whole jiffies (`1h1ms` is 1h, `1ms` 4ms), a set's own timeout left
    // out of its elements, `flags timeout` left out with a timeout, counters before timeouts, data last
    expect(noExpiry(k)).toContain('192.0.2.4 timeout 1h expires …');
    expect(k).toContain('\t\ttimeout 4ms\n');
    expect(noExpiry(k)).toContain('{ 22 expires …, 80 expires …, 443 timeout 2m expires …, 8080 expires … }');
    expect(noExpiry(k)).toContain('22 counter packets 1 bytes 60 timeout 10m expires … : accept, 23 counter packets 0 bytes 0 : drop');
  });

  it('answers each command of a sequence as nft does: renewals, create, refusals of timeouts and counters', () => {
    expectSequenceAsNft(s.ns, s.dp, SEQUENCE, noExpiry);
  });

  it("refuses a file with a bad timeout or counter with nft's message and place, applying nothing of it", () => {
    const bad = [
      'set x1 { type ipv4_addr; elements = { 192.0.2.1 timeout 3s }; }',
      'set x2 { type ipv4_addr; timeout 10s; elements = { 192.0.2.1 expires 20s }; }',
      'set x3 { type ipv4_addr; elements = { 192.0.2.1 counter }; }',
      'set x4 { type ipv4_addr; timeout 1x; }',
      'set x5 { type ipv4_addr; flags timeout; elements = { 192.0.2.1 timeout 1h counter }; }',
    ];
    const before = s.dp.nft('list ruleset');
    for (const [i, body] of bad.entries()) {
      const path = join(s.dir, `bad${i}.nft`);
      writeFileSync(path, `table inet t {\n\t${body}\n}\n`);
      expectRefusedAsNft(s.ns, s.dp, path, body);
    }
    expect(noExpiry(s.dp.nft('list ruleset'))).toBe(noExpiry(before));
  });
});
