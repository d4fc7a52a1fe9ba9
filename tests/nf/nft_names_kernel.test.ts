// Names in nft input against nft itself (Debian's nftables 1.0.6 in a namespace of the test's own): which words
// are names (scanner.l's STRING token: `1d`, `8021q`, `.x`, an address) and which are keywords wherever they stand
// (`rt`, `ct`, `eq`…), with bison's "expecting" for each place a name goes; a device name longer than IFNAMSIZ - 1;
// and the chain nft suggests when a rule jumps to one that does not exist (nft_cmd_enoent_rule). Each command is
// checked with `nft -c` (nothing applied in the kernel) and run by wxdp, whose ruleset is flushed after a command it
// took.

import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SCANNER_KEYWORDS } from '../../src/control/nft_scan.js';
import { expectRefusedAsNft, nftAgainst, nftIn, nftOurs, nftSession } from './nft_support.js';

const { nsa, skip, why } = nftAgainst('nf52nm');

/** Every fourth of the keyword list (the sweep of all 342 words of scanner.l in six places agreed on 12-07), and the operator words. */
const KEYWORD_SAMPLE = [...[...SCANNER_KEYWORDS].filter((_, i) => i % 4 === 0), 'eq', 'ne', 'lt', 'gt', 'le', 'ge', 'and', 'or', 'xor', 'not', 'lshift', 'rshift'];
/** Words scanner.l reads as one STRING although our old name pattern refused them, and near misses. */
const STRINGS = ['1d', '1h2m', '8021q', '8021ad', '.x', 'a/b', 'a-b.c_d', '00:11:22:33:44:55', '1.2.3.4', '2001:db8::1', '1:2', 'x*', '1x', '5', 'filter', 'input'];
/** One keyword, one operator word, the `@` state's own keywords, a number, a name. */
const FEW = ['rt', 'eq', 'll', 'ct', '5', 'ok_name'];

const PLACES: Record<string, (w: string) => string> = {
  table: (w) => `add table ip ${w}`,
  set: (w) => `add table ip t; add set ip t ${w} { type ipv4_addr; }`,
  counter: (w) => `add table ip t; add counter ip t ${w}`,
  jump: (w) => `add table ip t; add chain ip t c; add rule ip t c jump ${w}`,
  'vmap jump': (w) => `add table ip t; add chain ip t c; add rule ip t c ip daddr vmap { 192.0.2.1 : jump ${w} }`,
  'map element jump': (w) => `add table ip t; add chain ip t c; add map ip t m { type inet_service : verdict; elements = { 1 : jump ${w} } }`,
  '@set': (w) => `add table ip t; add chain ip t c; add rule ip t c ip saddr @${w}`,
  'flow add @': (w) => `add table ip t; add chain ip t c; add rule ip t c flow add @${w}`,
  device: (w) => `add table netdev t; add chain netdev t c { type filter hook ingress device ${w} priority 0; }`,
  'devices first': (w) => `add table netdev t; add chain netdev t c { type filter hook ingress devices = { ${w} } priority 0; }`,
  'devices second': (w) => `add table netdev t; add chain netdev t c { type filter hook ingress devices = { eth0, ${w} } priority 0; }`,
  'devices bare': (w) => `add table netdev t; add chain netdev t c { type filter hook ingress devices = ${w} priority 0; }`,
};

describe.skipIf(skip)(`names and keywords, compared with nft 1.0.6${why ? ` (skipped: ${why})` : ''}`, () => {
  const s = nftSession(nsa, 'nf52nm');

  /** `cmd` checked by nft (-c) and run by wxdp: the same result, wxdp's ruleset emptied again. */
  const same = (cmd: string): void => {
    const k = nftIn(s.ns, ['-c', cmd]);
    const o = nftOurs(() => s.dp.nft(cmd));
    if (o.ok) s.dp.nft('flush ruleset');
    expect(o, cmd).toEqual(k);
  };

  it('refuses scanner.l keywords as a chain name and takes its other strings, as nft', () => {
    // the namespace gets the eth0 the data path has (a veth: this kernel has no dummy)
    const made = spawnSync('ip', ['-n', s.ns.name, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0p'], { encoding: 'utf8' });
    expect(made.stderr).toBe('');
    for (const w of [...KEYWORD_SAMPLE, ...STRINGS]) same(`add table ip t; add chain ip t ${w}`);
  });

  it('says what each place expects when a keyword, a number or a name stands there', () => {
    for (const [, cmd] of Object.entries(PLACES)) for (const w of FEW) same(cmd(w));
    // this kernel has no nf_flow_table: a flowtable nft takes is refused by it (ENOENT), so only what nft's parser refuses compares
    for (const w of ['rt', 'eq', '5']) same(`add table ip t; add flowtable ip t ${w} { hook ingress priority 0; devices = { eth0 }; }`);
    for (const w of ['rt', 'eq', '5', 'll']) same(`add table ip t; add flowtable ip t f { hook ingress priority 0; devices = { eth0, ${w} }; }`);
  });

  it('refuses a device name longer than 15 characters as the kernel does: ERANGE alone, E2BIG in a list', () => {
    for (const cmd of [PLACES['device']!, PLACES['devices first']!]) for (const w of ['abcdefghijklmno', 'abcdefghijklmnop']) same(cmd(w));
    same('add table netdev t; add chain netdev t c { type filter hook ingress devices = { eth0, abcdefghijklmnop } priority 0; }');
  });

  it('suggests the chain closest to the jumping rule\'s own chain, never that chain itself (nft_cmd_enoent_rule)', () => {
    const files: Record<string, string> = {
      // the rule's chain is one letter (no candidate): the nearest other chain is named, even one added later
      'later.nft': 'table ip t {\n\tchain c {\n\t\tjump forwad\n\t}\n\tchain forward {\n\t}\n}\n',
      // the rule's own chain is the closest: no suggestion, however near another is
      'own.nft': 'table ip t {\n\tchain forwar {\n\t}\n\tchain forward {\n\t\tjump forwad\n\t}\n}\n',
      'cmds.nft': 'add table ip t\nadd chain ip t c\nadd rule ip t c jump forwad\nadd table ip6 u\nadd chain ip6 u forward\n',
      'short.nft': 'table ip t {\n\tchain c {\n\t\tjump d\n\t}\n}\n',
    };
    for (const [name, text] of Object.entries(files)) {
      const path = join(s.dir, name);
      writeFileSync(path, text);
      expectRefusedAsNft(s.ns, s.dp, path, name);
    }
    // a table already in place: `c` is no candidate, `input` is nearer to it than `forward`
    for (const cmd of ['add table ip t', 'add chain ip t c', 'add chain ip t forward', 'add chain ip t input']) {
      expect(nftIn(s.ns, [cmd]).ok, cmd).toBe(true);
      s.dp.nft(cmd);
    }
    for (const cmd of ['add rule ip t c jump xyz', 'add rule ip t input jump xyz']) expect(nftOurs(() => s.dp.nft(cmd)), cmd).toEqual(nftIn(s.ns, [cmd]));
    expect(nftIn(s.ns, ['flush', 'ruleset']).ok).toBe(true);
    s.dp.nft('flush ruleset');
  });
});
