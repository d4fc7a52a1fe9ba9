// The example files Debian's nftables ships (/usr/share/doc/nftables/examples/*.nft), a demanding user's first test:
// each one wxdp takes is listed as nft 1.0.6 lists it (loaded by `nft -f` in a namespace of the test's own, with the
// devices the files name); each one it does not is refused by the name of what wxdp lacks — the family, the helper,
// the expression — with nothing of the file applied, where nft takes the file (or the kernel refuses it too).

import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadListedAsNft, nftAgainst, nftIn, nftOurs, nftSession } from './nft_support.js';

const EXAMPLES = '/usr/share/doc/nftables/examples';
const { nsa, skip, why } = nftAgainst('nft47x');
const missing = existsSync(EXAMPLES) ? '' : `${EXAMPLES} is not installed`;

describe.skipIf(skip || missing !== '')(`Debian's nftables examples, compared with nft 1.0.6${why || missing ? ` (skipped: ${why || missing})` : ''}`, () => {
  const s = nftSession(nsa, 'nft47x');
  const devices = (): void => {
    if (s.dp.links.has('eth1')) return;
    // the devices the files name: eth0 is the session's; a veth pair's peer is made first (index order as ours)
    s.ns.ip('link', 'add', 'eth1', 'type', 'veth', 'peer', 'name', 'eth0');
    s.ns.ip('link', 'add', 'eth3', 'type', 'veth', 'peer', 'name', 'eth2');
    for (const name of ['eth1', 'eth2', 'eth3']) s.dp.addDevice({ name });
  };
  /** Both sides emptied, as each file is a user's first. */
  const flush = (): void => {
    nftIn(s.ns, ['flush', 'ruleset']);
    s.dp.nft('flush ruleset');
  };
  /** One example file run from the examples' directory (its `./` includes are from there): ours as nft names it. */
  const ours = (name: string): ReturnType<typeof nftOurs> => nftOurs(() => s.dp.nftables.run(readFileSync(join(EXAMPLES, name), 'utf8'), name, false, { cwd: EXAMPLES }));

  it.each(['inet-filter', 'inet-nat', 'ipv4-filter', 'ipv4-mangle', 'ipv4-nat', 'ipv4-raw', 'ipv6-filter', 'ipv6-mangle', 'ipv6-nat', 'ipv6-raw', 'workstation', 'nat', 'netdev-ingress', 'arp-filter'])('%s.nft is listed as nft lists it', (name) => {
    devices();
    flush();
    loadListedAsNft(s.ns, s.dp, join(EXAMPLES, `${name}.nft`));
  });

  const refused: ReadonlyArray<readonly [string, boolean, string]> = [
    // [file, whether this kernel's nft takes it, how wxdp refuses it]
    ['bridge-filter', true, 'bridge-filter.nft:1:7-12: Error: wxdp has no bridge family: it has no bridge devices'],
    ['all-in-one', true, 'In file included from all-in-one.nft:35:1-30:\n./bridge-filter.nft:1:7-12: Error: wxdp has no bridge family: it has no bridge devices'],
    ['ct_helpers', true, 'ct_helpers.nft:19:8-12: Error: wxdp has no conntrack helper "ftp" (the kernel\'s nf_conntrack_ftp)'],
    // (its first command deletes table filter, which must be there)
    ['sets_and_maps', true, 'sets_and_maps.nft:25:16-16: Error: wxdp has no named sets of network interface index'],
    // the kernel refuses these two as well (a NAT chain at priority -300 next to notrack; secmark without an LSM)
    ['load_balancing', false, 'load_balancing.nft:37:24-35: Error: wxdp has no payload writes yet (ip daddr set …: nft_payload_set)'],
    ['secmark', false, 'secmark.nft:14:2-8: Error: wxdp has no secmark: no Linux security module labels its packets'],
  ];
  it.each(refused)('%s.nft is refused by the name of what wxdp lacks, nothing of it applied', (name, kernelTakes, why) => {
    devices();
    flush();
    for (const cmd of ['add table ip before', 'add table ip filter']) {
      nftIn(s.ns, [cmd]);
      s.dp.nft(cmd);
    }
    const listed = s.dp.nft('list ruleset');
    expect(nftIn(s.ns, ['-f', `${name}.nft`], undefined, EXAMPLES).ok).toBe(kernelTakes);
    const o = ours(`${name}.nft`);
    expect(o.ok).toBe(false);
    expect(o.out.startsWith(why), o.out).toBe(true);
    expect(s.dp.nft('list ruleset')).toBe(listed);
  });
});
