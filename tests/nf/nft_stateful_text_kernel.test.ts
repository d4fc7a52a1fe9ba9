// limit, quota and log in the nft text front end against nft itself (Debian's nftables 1.0.6 and the 6.18
// kernel, in a namespace of the test's own): one file of every form listed back by both (nft's units folded
// the way get_rate folds them, defaults left out, a log's options as nft_log keeps them for its type), and
// bad statements refused with the same message, line and columns — the parser's, nft's evaluation's and the
// kernel's (nft_limit_init, nft_quota_do_init, nft_log_init, nft_objref_init).

import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { useNamespaces } from '../support/netns.js';
import { expectRefusedAsNft, loadListedAsNft, nftIn, nftSession } from './nft_support.js';

const FIXTURE = new URL('./fixtures/nft_stateful.nft', import.meta.url).pathname;
const built = existsSync(new URL('../../build/fastpath.wasm', import.meta.url));
const nftMissing = spawnSync('nft', ['--version']).status !== 0 ? 'nft (Debian nftables) is not installed' : '';
const nsa = useNamespaces('nftst');
const skip = !built || !nsa.available.ok || nftMissing !== '';
// (useNamespaces names its own reason when namespaces are unavailable)
const why = !built ? 'build/fastpath.wasm is not built' : nftMissing;

/** Bad statements, each alone in a chain of a file. */
const BAD = [
  // the parser's
  'limit', 'limit rate', 'limit rate 10', 'limit rate 10/sec', 'limit rate 10/second burst', 'limit rate 10/second burst 5',
  'limit rate 10/second burst 5 kbytes', 'limit rate 10 kbytes/second burst 5 packets', 'limit rate 10 gbytes/second',
  'limit rate over', 'limit rate 10 bytes', 'limit rate foo/second', 'limit rate 10/second burst 0 packets', 'limit rate until 5/second',
  'limit rate 10 kbytes/sec', 'limit rate 10 kbytes', 'limit rate 10 kbytes/second burst 3',
  'limit rate 5 kbytes/second burst 2 foo', 'limit name',
  'quota', 'quota 10', 'quota over', 'quota 10 packets', 'quota 10 bytes used', 'quota 10 bytes used 5', 'quota until over 5 bytes',
  'quota 5 kbytes used 7 foo',
  'log prefix', 'log level foo', 'log level WARN', 'log level', 'log group', 'log flags', 'log flags foo', 'log flags tcp',
  'log flags tcp sequence,', 'log flags ip', 'log flags ip foo',
  // nft's evaluation
  'log level warn group 3', 'log flags all group 2', 'log level audit prefix "x"', 'log prefix "x" level audit', 'log snaplen 9 level info',
  // the kernel's
  'limit rate 0/second', 'limit rate 0 bytes/second', 'limit rate 17593 mbytes/second', 'limit rate 18446744073709551615/second',
  'quota 1048576 kbytes used 2048 mbytes', `log prefix "${'a'.repeat(128)}"`, 'limit name "x"', 'quota name "x"',
];

describe.skipIf(skip)(`limit, quota and log statements, compared with nft 1.0.6${why ? ` (skipped: ${why})` : ''}`, () => {
  const s = nftSession(nsa, 'nftst');

  it('lists every form as nft does: units folded, defaults left out, a log as its type keeps it', () => {
    const k = loadListedAsNft(s.ns, s.dp, FIXTURE);
    // the comparison covers what nft changes: a burst beyond a u32 (5000 mbytes) wraps to 904 mbytes
    expect(k).toContain('limit rate 10 mbytes/second burst 904 mbytes\n');
    expect(k).toContain('quota over 2 mbytes used 1025 bytes\n');
    expect(k).toContain('log group 4464\n');
  });

  it('refuses bad statements with nft\'s message and place, applying nothing', () => {
    const before = s.dp.nft('list ruleset');
    const beforeK = nftIn(s.ns, ['list', 'ruleset']).out;
    for (const [i, stmt] of BAD.entries()) {
      const path = join(s.dir, `bad${i}.nft`);
      writeFileSync(path, `table inet b {\n\tchain c {\n\t\t${stmt}\n\t}\n}\n`);
      expectRefusedAsNft(s.ns, s.dp, path, stmt);
    }
    expect(s.dp.nft('list ruleset')).toBe(before);
    expect(nftIn(s.ns, ['list', 'ruleset']).out).toBe(beforeK);
  });
});
