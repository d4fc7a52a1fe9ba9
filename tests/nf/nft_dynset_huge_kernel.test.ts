// A dynamic set of any size nft accepts (Linux 6.18 measured in a namespace: size 60000000, 4294967295, 200000000 of a
// concatenation — rhashtable allocates as elements come, its nelem_hint a u16) is taken by wxdp: its store starts at 64
// slots and grows (nft_dynset.ts); a table wasm32 could never hold is not a reason to refuse the set, only where the
// table stops growing. wxdp refused these with ENOMEM before any element existed (review rv57).

import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ipv4, udp4 } from '../net/support.js';
import { ChainRunner, loadListedAsNft, nftAgainst, nftSession } from './nft_support.js';

const { nsa, skip, why } = nftAgainst('rv57hg');

const RULESET = `flush ruleset
table ip t {
	set big { type ipv4_addr; size 60000000; flags dynamic; }
	set every { type ipv4_addr; size 4294967295; flags dynamic; }
	set pairs { type ipv4_addr . ipv4_addr; size 200000000; flags dynamic,timeout; timeout 1m; }
	chain c {
		type filter hook forward priority filter; policy accept;
		add @big { ip saddr }
		add @every { ip saddr }
		update @pairs { ip saddr . ip daddr counter }
	}
}
`;

describe.skipIf(skip)(`dynamic sets of sizes past what one table could hold${skip ? ` (skipped: ${why})` : ''}`, () => {
  const s = nftSession(nsa, 'rv57hg');
  it('are taken and listed as nft lists them, and the packets add to them', () => {
    const file = join(s.dir, 'huge.nft');
    writeFileSync(file, RULESET);
    loadListedAsNft(s.ns, s.dp, file);
    const run = new ChainRunner(s.dp);
    for (let h = 1; h <= 100; h++) {
      const src = `198.51.100.${h}`;
      run.run('ip', 't', 'c', ipv4({ src, dst: '203.0.113.9', proto: 17, id: h }, udp4(src, '203.0.113.9', 4000, 4800, new Uint8Array(8))));
    }
    for (const set of ['big', 'every']) expect(s.dp.nft(`list set ip t ${set}`).match(/198\.51\.100\.\d+/g)?.length).toBe(100);
    expect(s.dp.nft('list set ip t pairs').match(/198\.51\.100\.\d+ \. 203\.0\.113\.9/g)?.length).toBe(100);
  });
});
