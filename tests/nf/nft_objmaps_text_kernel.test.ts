// Maps of stateful objects and deletes by handle in the nft text front end against nft itself (Debian's nftables
// 1.0.6 and the 6.18 kernel, in a namespace of the test's own): a file with object maps (named, `type KEY :
// counter|quota|limit`, and anonymous in `counter name ip saddr map { … }`) and named sets long enough to wrap in a
// listing, listed back by both, plain and with handles; then one command sequence run on both, each command's
// output or first error compared — elements added to and deleted from maps, objects and maps a rule or element
// holds (EBUSY), `list sets|maps|counters` with and without -a, deletes by handle of every kind, unknown handles.

import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { useNamespaces } from '../support/netns.js';
import { expectRefusedAsNft, expectSequenceAsNft, loadListedAsNft, nftSession } from './nft_support.js';

const FIXTURE = new URL('./fixtures/nft_objmaps.nft', import.meta.url).pathname;
const built = existsSync(new URL('../../build/fastpath.wasm', import.meta.url));
const nftMissing = spawnSync('nft', ['--version']).status !== 0 ? 'nft (Debian nftables) is not installed' : '';
const nsa = useNamespaces('nftom');
const skip = !built || !nsa.available.ok || nftMissing !== '';
// (useNamespaces names its own reason when namespaces are unavailable)
const why = !built ? 'build/fastpath.wasm is not built' : nftMissing;

/** Run in order on both after the fixture (`-a …`: with handles); each one's output (or first error) must be nft's. */
const SEQUENCE = [
  'add element inet t m { 192.0.2.4 : "c1" }',
  'add element inet t m { 192.0.2.1 : "c1" }', // the same object: nothing to do
  'add element inet t m { 192.0.2.1 : "c2" }', // another object: EEXIST
  'add element inet t m { 192.0.2.5 : "nosuch" }',
  'add element inet t m { 192.0.2.5 : "q1" }', // a quota, in a map of counters
  'add element inet t m { 192.0.2.7 }',
  'add element inet t m { 192.0.2.0/24 : "c2" }',
  'delete element inet t m { 192.0.2.3 }',
  'delete element inet t m { 192.0.2.9 }',
  'delete element inet t m { 192.0.2.4, 192.0.2.99 }',
  'delete counter inet t c1',
  'delete quota inet t q1',
  'delete map inet t m',
  'add rule inet t in quota name ip saddr map @m', // a map's own type: a counter, listed as one
  'add rule inet t in counter name ip saddr map @nosuch',
  'add rule inet t in counter name ip saddr map @w',
  'add rule inet t in counter name tcp dport map @m',
  'add rule inet t in counter name ip saddr map { 192.0.2.1 : "nosuch" }',
  'add rule inet t in counter name ip saddr map { 192.0.2.1 : "c1", 192.0.2.1 : "c2" }',
  'add rule inet t in counter name ip saddr map { 192.0.2.1 : "c1", 192.0.2.1 : "c1" }', // the same element twice: one
  'add rule inet t in counter name ip saddr map { 192.0.2.0/24 : "c1", 192.0.2.1 : "c2" }',
  'add rule inet t in counter name ip saddr map { 192.0.2.1 }',
  'add rule inet t in counter name ip saddr map 192.0.2.1',
  'add rule inet t in counter name ip saddr',
  'add map inet t m2 { type ipv4_addr : counter ; }',
  'add map inet t m3 { type ipv4_addr : foo ; }',
  'add map inet t m4 { type ipv4_addr ; }',
  'add map inet t m5 { type ipv4_addr : quota ; elements = { 192.0.2.1 : "c1" } ; }',
  'list maps',
  'list sets',
  'list sets ip',
  'list map inet t m',
  'list set inet t m',
  'list map inet t nosuch',
  '-a list maps',
  '-a list sets',
  '-a list counters',
  '-a list quotas',
  '-a list counter inet t c2',
  '-a list map inet t mq',
  'list counters inet',
  'flush map inet t mq',
  'list map inet t mq',
  '-a list chain inet t in',
  // deletes by handle
  'delete rule inet t in handle 99',
  'delete chain inet t handle 99',
  'delete set inet t handle 99',
  'delete set inet t handle 6', // the map m, which a rule uses
  'delete map inet t handle 7',
  'delete counter inet t handle 99',
  'delete counter inet t handle 4', // the quota's handle
  'delete limit inet t handle 5',
  'delete set ip w handle 1',
  'delete set ip w handle 1',
  'delete chain inet t handle abc',
  'delete set inet t handle',
  'delete table handle 99',
  'delete table ip6 handle 3',
  'delete chain ip nosuch handle 1',
  'delete counter ip nosuch handle 1',
  'delete flowtable inet t handle 9',
  'delete element inet t m handle 3',
  'add chain ip w c',
  'delete chain ip w handle 6',
  'delete map inet t m2',
  'add counter inet t c3',
  '-a list counter inet t c3',
  'delete counter inet t handle 24',
  'list ruleset',
];

describe.skipIf(skip)(`object maps and deletes by handle, compared with nft 1.0.6${why ? ` (skipped: ${why})` : ''}`, () => {
  const s = nftSession(nsa, 'nftom');

  it('lists a file of object maps and long sets as nft does, handles included', () => {
    const k = loadListedAsNft(s.ns, s.dp, FIXTURE);
    // the comparison covers what nft shows: a map's data type and elements, a named set wrapped by its key's type
    expect(k).toContain('\tmap m {\n\t\ttype ipv4_addr : counter\n\t\telements = { 192.0.2.1 : "c1", 192.0.2.2 : "c2",\n\t\t\t     192.0.2.3 : "c1" }\n');
    expect(k).toContain('counter name ip saddr map { 192.0.2.1 : "c1", 192.0.2.2 : "c2" }\n');
  });

  it('answers each command of a sequence as nft does: elements, references, listings, deletes by handle', () => {
    expectSequenceAsNft(s.ns, s.dp, SEQUENCE);
  });

  it('refuses a file with a bad map or element with nft\'s message and place, applying nothing of it', () => {
    const bad = [
      'map m9 { type ipv4_addr : counter; elements = { 192.0.2.1 : "c1" }; }\nadd element inet t m9 { 192.0.2.2 : "nosuch" }',
      'chain in9 { counter name ip saddr map { 192.0.2.1 : "c1", 192.0.2.2 : "c2", 192.0.2.1 : "c2" } ; }',
      'map v9 { type inet_service : verdict; elements = { 1 : jump nosuch }; }',
      'chain c9 { tcp dport vmap { 1 : accept, 2 : jump in } ; }',
      'map m9 { type ipv4_addr : counter; flags interval; elements = { 192.0.2.0/24 : "c1", 192.0.2.7 : "c1" }; }',
      'map m9 { type ipv4_addr : verdict; }\nadd rule inet t in counter name ip saddr map @m9',
    ];
    const before = s.dp.nft('list ruleset');
    for (const [i, body] of bad.entries()) {
      const [decl, after] = body.split('\n');
      const path = join(s.dir, `bad${i}.nft`);
      writeFileSync(path, `table inet t {\n\t${decl}\n}\n${after ?? ''}\n`);
      expectRefusedAsNft(s.ns, s.dp, path, body);
    }
    expect(s.dp.nft('list ruleset')).toBe(before);
  });
});
