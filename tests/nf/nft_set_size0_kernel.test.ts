// `size 0` is no size (the kernel dumps NFTA_SET_DESC_SIZE only when it is not 0, and nft_dynset_init gives a set
// bound to a dynset without one 65535): nft 1.0.6 on Linux 6.18 lists a plain set of size 0 without a size, and a set
// or meter of size 0 that packets add to with size 65535 — wxdp listed `size 0` (review rv57).

import { describe, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadListedAsNft, nftAgainst, nftSession } from './nft_support.js';

const { nsa, skip, why } = nftAgainst('rv57s0');

const RULESET = `flush ruleset
table ip t {
	set plain { type ipv4_addr; size 0; elements = { 192.0.2.1, 192.0.2.2 }; }
	set dyn { type ipv4_addr; size 0; flags dynamic; }
	chain c {
		type filter hook prerouting priority raw; policy accept;
		add @dyn { ip saddr }
		meter m size 0 { ip saddr limit rate 1/second }
	}
}
`;

describe.skipIf(skip)(`sets of size 0${skip ? ` (skipped: ${why})` : ''}`, () => {
  const s = nftSession(nsa, 'rv57s0');
  it('are listed as nft lists them', () => {
    const file = join(s.dir, 'size0.nft');
    writeFileSync(file, RULESET);
    loadListedAsNft(s.ns, s.dp, file);
  });
});
