// Named stateful objects (counter, quota, limit) in the nft text front end against nft itself (Debian's nftables
// 1.0.6 and the 6.18 kernel, in a namespace of the test's own): a file that declares them in table blocks and
// references them from rules listed back by both (objects first, in creation order whatever their type, handles
// as cmd_expand gives them), then one command sequence run on both, each command's output or error compared —
// adding (a quota's update, a counter's none), `list counters|quotas|limits [table …]`, `list counter …`,
// NFT_MSG_GETOBJ_RESET (`reset counters`, `reset quota …`: the values, then zero), deleting one a rule references
// (EBUSY), unknown names (the kernel's ENOENT, nft's own with obj_lookup_fuzzy's suggestion) and bad declarations.

import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { useNamespaces } from '../support/netns.js';
import { expectRefusedAsNft, expectSequenceAsNft, loadListedAsNft, nftSession } from './nft_support.js';

const FIXTURE = new URL('./fixtures/nft_objects.nft', import.meta.url).pathname;
const built = existsSync(new URL('../../build/fastpath.wasm', import.meta.url));
const nftMissing = spawnSync('nft', ['--version']).status !== 0 ? 'nft (Debian nftables) is not installed' : '';
const nsa = useNamespaces('nftob');
const skip = !built || !nsa.available.ok || nftMissing !== '';
// (useNamespaces names its own reason when namespaces are unavailable)
const why = !built ? 'build/fastpath.wasm is not built' : nftMissing;

/** Run in order on both after the fixture; each one's output (or first error) must be nft's. */
const SEQUENCE = [
  'add counter inet t c2',
  'add quota inet t q3 25 mbytes',
  'add quota inet t q over 30 mbytes', // nft_quota_obj_update: the new size and flags, the consumed bytes kept
  'add quota inet t q3 { until 26 mbytes used 1 kbytes ; }',
  'add limit inet t l3 { rate 10/second burst 5 packets ; }',
  'add limit inet t l3 rate 20/second', // no update op: unchanged
  'add counter inet t c packets 9 bytes 9', // no update op: unchanged
  'add counter inet t c5 packets 1 bytes 2',
  'list counters',
  'list quotas',
  'list limits',
  'list counters table ip x',
  'list quotas table ip x',
  'list limits table ip x',
  'list counter inet t c',
  'list quota inet t q',
  'list limit inet t l2',
  'list counter inet t q2',
  'list quota inet t q2',
  'reset counter inet t c',
  'list counter inet t c',
  'reset quotas table inet t',
  'list quotas',
  'reset counters',
  'reset quota ip x q',
  'list ruleset',
  // refusals
  'delete counter inet t c',
  'delete quota inet t q2',
  'delete limit inet t l',
  'delete counter inet t nosuch',
  'delete counter inet t q3', // a quota of that name, no counter
  'create counter inet t c2',
  'create quota inet t q3 1 bytes',
  'add rule inet t in counter name zz',
  'add rule inet t in quota name c',
  'add rule inet t in limit name "q"',
  'add counter inet nosuch c',
  'add counter inet tt c',
  'delete counter inet tt c',
  'list counter inet tt c',
  'reset quota inet tt c',
  'list counters table inet nosuch',
  'list quotas table inet tt',
  'list counter inet t abx',
  'list counter inet t xyz',
  'list counter inet t nosuch',
  'list quota inet t l',
  'list limit inet t cc',
  'reset limits',
  'reset limit inet t l',
  'add quota inet t qq 10 bytes used 20 bytes',
  'add quota inet t qq 10 packets',
  'add quota inet t qq',
  'add limit inet t ll rate 0/second',
  'add limit inet t ll { rate 10/second burst 0 packets ; }',
  'add limit inet t ll burst 5',
  'add counter inet t cx packets 1',
  'add counter inet t cx { bytes 1 }',
  // deletes that pass, and what is left
  'delete limit inet t l3',
  'list limit inet t l3',
  'delete counter inet t c2',
  'add rule inet t in counter name c5 limit name l4 quota name q4 accept',
  'list ruleset',
];

describe.skipIf(skip)(`named counters, quotas and limits, compared with nft 1.0.6${why ? ` (skipped: ${why})` : ''}`, () => {
  const s = nftSession(nsa, 'nftob');

  it('lists a file of declarations and references as nft does, handles included', () => {
    const k = loadListedAsNft(s.ns, s.dp, FIXTURE);
    // the comparison covers what nft shows: the objects before the set, a reference's name quoted
    expect(k).toContain('\tcounter c {\n\t\tpackets 3 bytes 100\n\t}\n\n\tquota q {\n\t\tover 100 mbytes used 10 kbytes\n\t}\n');
    expect(k).toContain('ip saddr 192.0.2.1 quota name "q" limit name "l" accept\n');
  });

  it('answers each command of a sequence as nft does: listings, resets, updates and refusals', () => {
    expectSequenceAsNft(s.ns, s.dp, SEQUENCE);
  });

  it('refuses bad declarations in a file with nft\'s message and place, applying nothing', () => {
    const bad = [
      'counter c', 'counter c { packets 1 }', 'counter c { packets 1 bytes }', 'quota q { 5 }', 'quota q 5 bytes',
      'limit l { }', 'limit l { burst 5 packets }', 'limit l { foo }', 'limit l { rate 5 }', 'limit l { rate 0/second }', 'quota q { 5 bytes used 6 bytes }',
      'counters c { }', 'quota q { 5 bytes } ; counter q { } ; limit q { rate 1/day }; quota q { over 1 bytes used 2 bytes }',
    ];
    const before = s.dp.nft('list ruleset');
    for (const [i, decl] of bad.entries()) {
      const path = join(s.dir, `bad${i}.nft`);
      writeFileSync(path, `table inet b {\n\t${decl}\n}\n`);
      expectRefusedAsNft(s.ns, s.dp, path, decl);
    }
    expect(s.dp.nft('list ruleset')).toBe(before);
  });
});
