// An IPv6 extension header match needs IPv6 at the network layer, an IPv4 option match IPv4 (nft's
// expr_evaluate_exthdr: "cannot use exthdr with ip" at the expression, before any netlink) — measured with nft 1.0.6
// on Linux 6.18 in a namespace; wxdp took them in an ip (ip6, for an option) table and the rule never matched.
// inet and netdev chains take them (nft adds the protocol dependency). Review rv57.

import { describe, it } from 'vitest';
import { nftAgainst, nftSession, expectTextRefusedAsNft, loadListedAsNft } from './nft_support.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const { nsa, skip, why } = nftAgainst('rv57xh');

const chain = (family: string, stmt: string): string =>
  `table ${family} t {\n\tchain c {\n\t\ttype filter hook ${family === 'arp' ? 'input' : 'prerouting'} priority 0; policy accept;\n\t\t${stmt}\n\t}\n}\n`;

describe.skipIf(skip)(`exthdr matches of the other family, as nft 1.0.6 refuses them${skip ? ` (skipped: ${why})` : ''}`, () => {
  const s = nftSession(nsa, 'rv57xh');
  it.each([
    ['ip', 'frag id 1'],
    ['ip', 'frag more-fragments 1'],
    ['ip', 'exthdr dst missing'],
    ['ip', 'hbh nexthdr 6'],
    ['ip', 'rt seg-left 1'],
    ['ip6', 'ip option rr exists'],
    ['arp', 'exthdr frag exists'],
    ['arp', 'ip option rr exists'],
  ])('%s table: %s refused', (family, stmt) => {
    expectTextRefusedAsNft(s, chain(family, stmt), `${family}: ${stmt}`);
  });

  it('inet and ip6 tables take an IPv6 header\'s, inet and ip tables an IPv4 option\'s', () => {
    const file = join(s.dir, 'ok.nft');
    writeFileSync(file, `flush ruleset\n${chain('inet', 'frag more-fragments 1')}${chain('ip6', 'exthdr dst missing').replace('table ip6 t', 'table ip6 t6')}${chain('ip', 'ip option rr exists').replace('table ip t', 'table ip t4')}`);
    loadListedAsNft(s.ns, s.dp, file);
  });
});
