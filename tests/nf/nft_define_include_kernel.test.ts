// nft's `define` / `redefine` / `undefine` with `$NAME`, and `include "FILE"` (nft_scan.ts), against nft itself
// (Debian's nftables 1.0.6, `nft -f` in a namespace of the test's own, run from the same directory): the same files
// listed alike, the same bad input refused with the same message, place and include chain, nothing applied from a
// file that fails.

import { beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Datapath } from '../../src/index.js';
import type { Netns } from '../support/netns.js';
import { nftAgainst, nftIn, nftOurs, nftSession } from './nft_support.js';

const { nsa, skip, why } = nftAgainst('nft47');

describe.skipIf(skip)(`nft define and include, compared with nft 1.0.6${why ? ` (skipped: ${why})` : ''}`, () => {
  const session = nftSession(nsa, 'nft47');
  let ns: Netns;
  let dp: Datapath;
  let dir: string;
  beforeAll(() => {
    ({ ns, dp, dir } = session);
    // a veth pair's peer is made first: eth0 and eth1 get the namespace's indexes 2 and 3, as the Datapath's
    ns.ip('link', 'add', 'eth1', 'type', 'veth', 'peer', 'name', 'eth0');
    dp.addDevice({ name: 'eth1' });
    mkdirSync(join(dir, 'conf.d', 'skipped.d'), { recursive: true });
  });

  /** Write `files` (name → text) under the scratch directory. */
  const write = (files: Record<string, string>): void => {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  };
  /** `main.nft` run by nft and by wxdp from the scratch directory: the same output or the same first error. */
  const both = (main: string): { k: ReturnType<typeof nftIn>; o: ReturnType<typeof nftIn> } => {
    write({ 'main.nft': main });
    const k = nftIn(ns, ['-f', 'main.nft'], undefined, dir);
    const o = nftOurs(() => dp.nftables.runFile(join(dir, 'main.nft'), { cwd: dir }));
    // nft names the file as given (`main.nft`); ours was given its full path
    return { k, o: { ...o, out: o.out.split(`${dir}/`).join('') } };
  };
  const listed = (): void => expect(dp.nft('list ruleset')).toBe(nftIn(ns, ['list', 'ruleset']).out);

  it('expands defines: values, sets in sets, a define of defines, scopes of table and chain blocks', () => {
    const { k, o } = both(
      [
        'define web = 80',
        'define ports = { 22, $web }',
        'define more = { $ports, 443, 8000-8080 }; define nets = { 192.0.2.0/24, 198.51.100.7 }',
        'define ifs = { eth0, eth1 }',
        'define x = 1',
        'table ip t {',
        '\tredefine x = 2',
        '\tdefine target = d',
        '\tchain c {',
        '\t\tundefine x',
        '\t\ttcp dport $x accept',
        '\t\ttcp dport $more ip saddr $nets counter',
        '\t\tiif $ifs iifname { $ifs } tcp dport { $ports, 25 } drop',
        '\t\tudp dport 53 jump $target',
        '\t}',
        '\tchain d {',
        '\t}',
        '}',
        'table ip u {',
        '\tchain c {',
        '\t\ttcp dport $x accept',
        '\t}',
        '}',
        'undefine web',
        'define web = 8080',
        'add rule ip u c tcp dport $web',
        '',
      ].join('\n'),
    );
    expect(o).toEqual(k);
    expect(k.ok).toBe(true);
    listed();
  });

  it('includes files: ./ from the working directory, absolute, a glob in sorted order, a directory skipped', () => {
    rmSync(join(dir, 'conf.d', 'b.nft'), { force: true });
    write({
      'conf.d/b.nft': 'add rule ip v c tcp dport $p drop\n',
      'conf.d/a.nft': 'define p = 23\ntable ip v {\n\tchain c {\n\t}\n}\n',
      'conf.d/c.txt': 'this is not nft\n',
      'abs.nft': 'add rule ip v c udp dport 53 accept\n',
    });
    const { k, o } = both(['flush ruleset', 'include "./conf.d/*.nft"', `include "${dir}/abs.nft"`, 'include "./conf.d/skipped.d"', 'include "./conf.d/*.none"', ''].join('\n'));
    expect(o).toEqual(k);
    expect(k.ok).toBe(true);
    listed();
  });

  it("refuses as nft: unknown identifier (and nft's suggestion), redefinition, a define's bad value where it is written", () => {
    write({ 'bad.nft': 'table ip w {\n\tchain c {\n\t\ttcp dport $zz accept\n\t}\n}\n' });
    const cases = [
      'define port = 22\nadd table ip w\nadd chain ip w c\nadd rule ip w c tcp dport $prt accept\n',
      'define x = 1\nadd table ip w\nadd chain ip w c\nadd rule ip w c tcp dport $y accept\n',
      'define x = 1\ntable ip w {\n\tdefine x = 2\n}\n',
      'define v = nosuchservice\nadd table ip w\nadd chain ip w c\nadd rule ip w c tcp dport $v\n',
      'add table ip w\nadd chain ip w c\nadd rule ip w c tcp dport $later\ndefine later = 1\n',
      'add table ip w\ninclude "./nope.nft"\n',
      'add table ip w\ninclude "nope.nft"\n',
      'add table ip w\ninclude "./bad.nft"\n',
      'add table ip w\ninclude "./bad.nft"',
      'include "./main.nft"\n',
      'define x = w\nadd table ip $x\n',
    ];
    for (const c of cases) {
      const { k, o } = both(c);
      expect(k.ok, c).toBe(false);
      expect(o, c).toEqual(k);
      listed(); // nothing of a failing file applied
    }
  });

  it('a command line: `$NAME` of its own defines, includes from the include path (nft -I), the <cmdline> chain', () => {
    write({ 'inc.nft': 'add table ip cl\nadd chain ip cl c\nadd rule ip cl c tcp dport $nope\n', 'ok.nft': 'add table ip cl\n' });
    for (const cmd of ['define p = 7; add table ip cl; add chain ip cl c; add rule ip cl c tcp dport $p', 'include "inc.nft"', 'include "ok.nft"', 'include "none.nft"']) {
      const k = nftIn(ns, ['-I', dir, cmd]);
      const o = nftOurs(() => dp.nftables.run(cmd, undefined, false, { includePaths: [dir] }));
      expect(o, cmd).toEqual(k);
    }
    listed();
  });
});
