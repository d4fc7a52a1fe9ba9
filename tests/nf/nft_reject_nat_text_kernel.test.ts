// Two listing rules of nft 1.0.6 the nf fuzzer's rule sets showed (seeds 1-300 of genRuleset's `x`, listed by
// both): a reject releases the network protocol's dependency — `meta nfproto ipv6 udp dport 443 reject with
// icmpv6 …` lists without the nfproto (stmt_reject_postprocess; an icmpx reject keeps it, and so does any
// statement other than a match between them: rule_maybe_reset_payload_deps) — and an inet table's plain
// `reject` after the protocol is known is that protocol's port unreachable, listed in full
// (stmt_evaluate_reject_default); a NAT address range that is a prefix lists as one (`/32` for one address
// written as a range; IPv6 with ports unbracketed), and a prefix is accepted as the range of its addresses
// (host bits cleared). Also the IPv6 range `[lo]-[hi]:ports`, which wxdp took as `lo` alone.
// fixtures/nft_reject_nat_text.listed is what nft and the 6.18 kernel listed for fixtures/nft_reject_nat_text.nft;
// where namespaces and nft are at hand it is listed again live.

import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { loadListedAsNft, nftAgainst, nftDatapath, nftSession } from './nft_support.js';

const FIXTURE = new URL('./fixtures/nft_reject_nat_text.nft', import.meta.url).pathname;
const LISTED = readFileSync(new URL('./fixtures/nft_reject_nat_text.listed', import.meta.url), 'utf8');

describe('reject dependencies and NAT prefixes list as nft 1.0.6 lists them', () => {
  it('lists the fixture as the kernel and nft did', async () => {
    const dp = await nftDatapath(['eth0']);
    try {
      dp.nftFile(FIXTURE);
      expect(dp.nft('list ruleset')).toBe(LISTED);
    } finally {
      await dp.close();
    }
  });

  it('a plain reject in an inet rule that fixed IPv4 is ICMP port unreachable, after tcp dport alone icmpx', async () => {
    const dp = await nftDatapath(['eth0']);
    try {
      dp.nft('add table inet r; add chain inet r c { type filter hook input priority 0; }; add rule inet r c ip saddr 192.0.2.1 reject; add rule inet r c tcp dport 22 reject');
      const rules = dp.nftables.tables[0]!.chains[0]!.rules.map((r) => r.stmts.at(-1));
      expect(rules).toEqual([
        { k: 'reject', type: 0, code: 3, family: 'ip' },
        { k: 'reject', type: 2, code: 1, family: 'inet' },
      ]);
    } finally {
      await dp.close();
    }
  });
});

const { nsa, skip, why } = nftAgainst('nftrn');
describe.skipIf(skip)(`the recorded listing is nft's${why ? ` (skipped: ${why})` : ''}`, () => {
  const s = nftSession(nsa, 'nftrn');
  it('nft and wxdp list the fixture the same, and as recorded', () => {
    expect(loadListedAsNft(s.ns, s.dp, FIXTURE)).toBe(LISTED);
  });
});
