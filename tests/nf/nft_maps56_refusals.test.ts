// Set statements into maps nft or the kernel refuses, with nft 1.0.6's words and places against Linux 6.18 (measured in
// a namespace: `nft add rule ip t in …` after the sets below): a map's data of the wrong type (nft's evaluation, at
// the data within the statement), a constant out of range or not of the type, data for a verdict map, none for a map
// (nft_dynset_init's EINVAL at the statement), a prefix or range as data (nft's grammar); a set given data crashes nft
// 1.0.6 (a segmentation fault), so wxdp refuses it by name; and a map to address ranges given a single address.

import { describe, expect, it } from 'vitest';
import { stackUnready } from '../net/support.js';
import { nftDatapath } from './nft_support.js';

const unready = await stackUnready();

const SETS = `table ip t {
	set a { type ipv4_addr; flags dynamic; }
	map m { type ipv4_addr : mark; flags dynamic; }
	map n { type ipv4_addr : ipv4_addr; flags dynamic; }
	map vm { type ipv4_addr : verdict; flags dynamic; }
	chain in { type filter hook input priority 0; policy accept; }
}
`;

const CASES: Array<[string, string, string]> = [
  ['add @m { ip saddr : ip daddr }', 'datatype mismatch: expected packet mark, expression has type IPv4 address', '~~~~~~~~~~~~~~~~~~~~^^^^^^^^~~'],
  ['add @m { ip saddr : iif }', 'datatype mismatch: expected packet mark, expression has type network interface index', '~~~~~~~~~~~~~~~~~~~~^^^~~'],
  ['add @m { ip saddr : 0x100000000 }', 'Value 4294967296 exceeds valid range 0-4294967295', ' '.repeat(20) + '^'.repeat(11)],
  ['add @m { ip saddr : 192.0.2.1 }', 'Could not parse packet mark', ' '.repeat(20) + '^'.repeat(9)],
  ['add @vm { ip saddr : 0x1 }', "Can't parse symbolic netfilter verdict expressions", ' '.repeat(21) + '^^^'],
  ['add @m { ip saddr }', 'Could not process rule: Invalid argument', '^'.repeat(19)],
  ['add @n { ip saddr : 192.0.2.0/24 }', "syntax error, unexpected /, expecting '}'", ' '.repeat(29) + '^'],
  ['add @n { ip saddr : 192.0.2.1-192.0.2.3 }', "syntax error, unexpected -, expecting '}'", ' '.repeat(29) + '^'],
  ['add @m { ip saddr : meta mark counter }', "syntax error, unexpected counter, expecting '}'", ' '.repeat(30) + '^'.repeat(7)],
  ['add @a { ip saddr : 0x1 }', 'wxdp refuses data for set a: it is not a map (nft 1.0.6 crashes on it)', ' '.repeat(20) + '^^^'],
];

describe.skipIf(unready !== '')('set statements into maps refused as nft 1.0.6 and Linux 6.18 refuse them', () => {
  it.each(CASES)('%s: %s', async (stmt, msg, marks) => {
    const dp = await nftDatapath();
    dp.nft(SETS);
    const cmd = `add rule ip t in ${stmt}`;
    let err = '';
    try {
      dp.nft(cmd);
    } catch (e) {
      err = (e as Error).message;
    }
    expect(err).toBe(`Error: ${msg}\n${cmd}\n${' '.repeat(17)}${marks}`);
  });

  it('accepts what nft accepts: an address or a field as an address map\'s data, ct mark with a timeout', async () => {
    const dp = await nftDatapath();
    dp.nft(SETS);
    dp.nft('add map ip t mt { type ipv4_addr : mark; flags dynamic,timeout; timeout 30s; }');
    for (const stmt of ['add @n { ip saddr : 192.0.2.1 }', 'add @n { ip saddr : ip daddr }', 'update @mt { ip saddr timeout 5s : ct mark }']) dp.nft(`add rule ip t in ${stmt}`);
    expect(dp.nft('list chain ip t in')).toContain('\t\tadd @n { ip saddr : 192.0.2.1 }\n\t\tadd @n { ip saddr : ip daddr }\n\t\tupdate @mt { ip saddr timeout 5s : ct mark }\n');
  });

  it('a map to address ranges takes ranges and prefixes, a single address is the kernel\'s EINVAL at its key', async () => {
    const dp = await nftDatapath();
    const cmd = 'add map ip x n { type ipv4_addr : interval ipv4_addr; elements = { 192.0.2.1 : 203.0.113.5 }; }';
    dp.nft('add table ip x');
    expect(() => dp.nft(cmd)).toThrow(`Error: Could not process rule: Invalid argument\n${cmd}\n${' '.repeat(67)}${'^'.repeat(9)}`);
  });
});
