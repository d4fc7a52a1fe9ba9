// Set statements and meters nft or the kernel refuses, with nft 1.0.6's words and places against Linux 6.18 (measured
// in a namespace: `nft add rule ip t in …` after the sets below): nft_dynset_init's errno at the statement, nft's own
// evaluation errors at the key or the set's name.

import { describe, expect, it } from 'vitest';
import { stackUnready } from '../net/support.js';
import { nftDatapath } from './nft_support.js';

const unready = await stackUnready();

const SETS = `table ip t {
	set a { type ipv4_addr; flags dynamic; }
	set b { type ipv4_addr; }
	set i { type ipv4_addr; flags interval; }
	set k { type ipv4_addr; flags constant; }
	set e { type ipv4_addr; flags timeout; }
	map m { type ipv4_addr : mark; flags dynamic; }
	chain in { type filter hook input priority 0; policy accept; }
}
`;

const CASES: Array<[string, string, string]> = [
  ['add @b { ip saddr counter }', 'Could not process rule: Invalid argument', '^^^^^^^^^^^^^^^^^^^^^^^^^^^'],
  ['update @b { ip saddr timeout 1s }', 'Could not process rule: Operation not supported', '^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^'],
  ['add @a { ip saddr timeout 1s }', 'Could not process rule: Operation not supported', '^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^'],
  ['add @i { ip saddr }', 'Could not process rule: Operation not supported', '^^^^^^^^^^^^^^^^^^^'],
  ['add @k { ip saddr }', 'Could not process rule: Device or resource busy', '^^^^^^^^^^^^^^^^^^^'],
  ['add @m { ip saddr }', 'Could not process rule: Invalid argument', '^^^^^^^^^^^^^^^^^^^'],
  ['add @a { ip saddr counter quota 5 bytes limit rate 1/second }', 'Could not process rule: Argument list too long', '^'.repeat(61)],
  ['add @a { ip daddr . tcp dport }', 'datatype mismatch: expected IPv4 address, expression has type concatenation of (IPv4 address, internet network service)', '~~~~~~~~~^^^^^^^^^^^^^^^^^^^^~~'],
  ['add @zz { ip daddr }', 'No such file or directory; did you mean set ‘a’ in table ip ‘t’?', '    ^^^'],
  ['add @a { ip6 saddr }', 'conflicting protocols specified: ip vs. ip6', '         ^^^^^^^^^'],
  ['meter q2 size 10 { ip saddr . tcp dport timeout 5s }', "syntax error, unexpected '}'", ' '.repeat(51) + '^'],
];

describe.skipIf(unready !== '')('set statements and meters refused as nft 1.0.6 and Linux 6.18 refuse them', () => {
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
    // nothing of a refused command stays: the set keeps no size a binding would have given it
    expect(dp.nft('list set ip t a')).not.toContain('size');
  });
});
