// A command's copy of the ruleset shares named sets' elements with the committed state (src/control/nft_elems.ts)
// and the compiled set image is patched, not rebuilt (nft_compile.ts namedImage). Checked against the plain model:
// after a seeded sequence of element adds and deletes — some in commands or files that fail, which must change
// nothing, index included — the listing and every probe's verdict equal those of a fresh ruleset loaded with the
// elements the sequence leaves (a set of distinct IPv4 values, so the expected contents are plain set arithmetic).

import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { NftError } from '../../src/control/nft.js';
import { ipv4, udp } from '../support/frames.js';
import { ChainRunner, nftDatapath } from './nft_support.js';

const NF_DROP = 0;
const NF_ACCEPT = 1;
const built = existsSync(new URL('../../build/fastpath.wasm', import.meta.url));

const addr = (i: number): string => `198.51.${100 + (i >> 8)}.${i & 255}`;
const file = (elems: number[], extra = ''): string =>
  `table ip t {\n\tset s {\n\t\ttype ipv4_addr\n${elems.length ? `\t\telements = { ${elems.map(addr).join(', ')} }\n` : ''}\t}\n` +
  `\tset c {\n\t\ttype ipv4_addr\n\t\tcounter\n\t}\n${extra}` +
  '\tchain in {\n\t\ttype filter hook input priority filter; policy drop;\n\t\tip saddr @s accept\n\t\tip saddr @c accept\n\t}\n}\n';
const dgram = (src: string): Uint8Array => ipv4({ src, dst: '203.0.113.1', proto: 17, payload: udp(src, '203.0.113.1', 4000, 7, new Uint8Array(4)) });

/** A small LCG (Numerical Recipes' constants): the same sequence every run. */
function rng(seed: number): () => number {
  let x = seed >>> 0;
  return () => (x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

describe.skipIf(!built)('named set elements shared between commands, copied on write', () => {
  it('adds and deletes, failing ones included, leave what a fresh load of the same elements gives', async () => {
    const dp = await nftDatapath(['eth0']);
    const SPACE = 1024;
    const have = new Set<number>();
    for (let i = 0; i < SPACE; i += 3) have.add(i);
    dp.nft(file([...have]));
    const r = new ChainRunner(dp);
    const rand = rng(15);
    const pick = (n: number): number[] => [...new Set(Array.from({ length: n }, () => Math.floor(rand() * SPACE)))];
    for (let step = 0; step < 40; step++) {
      const kind = step % 4;
      const xs = pick(1 + Math.floor(rand() * 6));
      if (kind === 0) {
        dp.nft(`add element ip t s { ${xs.map(addr).join(', ')} }`);
        for (const x of xs) have.add(x);
      } else if (kind === 1) {
        const gone = xs.filter((x) => have.has(x));
        if (gone.length) dp.nft(`delete element ip t s { ${gone.map(addr).join(', ')} }`);
        for (const x of gone) have.delete(x);
      } else if (kind === 2) {
        // a file that adds, deletes, then fails on its last line: nothing of it is applied
        const absent = xs.filter((x) => !have.has(x));
        const present = [...have].slice(step, step + 2);
        const text = `add element ip t s { ${absent.map(addr).join(', ') || addr(SPACE)} }\ndelete element ip t s { ${present.map(addr).join(', ')} }\nadd element ip t nosuch { 192.0.2.1 }\n`;
        expect(() => dp.nftables.run(text, 'f')).toThrow(NftError);
      } else {
        // a command refused by the kernel after some of its elements went in (create of one that is there)
        const absent = xs.filter((x) => !have.has(x));
        const there = [...have][step % have.size]!;
        expect(() => dp.nft(`create element ip t s { ${[...absent, there].map(addr).join(', ')} }`)).toThrow('File exists');
      }
    }
    // the model's elements loaded afresh: the same listing, the same verdicts
    const fresh = await nftDatapath(['eth0']);
    fresh.nft(file([...have]));
    expect(dp.nftables.list()).toBe(fresh.nftables.list());
    const fr = new ChainRunner(fresh);
    const verdicts = (run: ChainRunner): number[] => Array.from({ length: SPACE + 1 }, (_, i) => run.run('ip', 't', 'in', dgram(addr(i)), { hook: 1 }).verdict);
    const want = Array.from({ length: SPACE + 1 }, (_, i) => (have.has(i) ? NF_ACCEPT : NF_DROP));
    expect(verdicts(fr)).toEqual(want);
    expect(verdicts(r)).toEqual(want);
    // a failed command's elements are not in the index either: adding them later works, deleting them is ENOENT
    const out = [...Array(SPACE).keys()].find((i) => !have.has(i))!;
    expect(() => dp.nftables.run(`add element ip t s { ${addr(out)} }\nadd element ip t nosuch { 192.0.2.1 }\n`, 'f')).toThrow(NftError);
    expect(() => dp.nft(`delete element ip t s { ${addr(out)} }`)).toThrow('No such file or directory');
    dp.nft(`create element ip t s { ${addr(out)} }`);
    expect(r.run('ip', 't', 'in', dgram(addr(out)), { hook: 1 }).verdict).toBe(NF_ACCEPT);
  });

  it('a counter set\'s elements keep their counters across commands that copy the set', async () => {
    const dp = await nftDatapath(['eth0']);
    dp.nft(file([]));
    const r = new ChainRunner(dp);
    dp.nft('add element ip t c { 192.0.2.1, 192.0.2.2 }');
    // 20 + 8 + 4 = 32 bytes a datagram
    expect([r.run('ip', 't', 'in', dgram('192.0.2.1'), { hook: 1 }).verdict, r.run('ip', 't', 'in', dgram('192.0.2.1'), { hook: 1 }).verdict]).toEqual([NF_ACCEPT, NF_ACCEPT]);
    dp.nft('add element ip t c { 192.0.2.3 }');
    expect(() => dp.nftables.run('delete element ip t c { 192.0.2.1 }\nadd element ip t nosuch { 192.0.2.1 }\n', 'f')).toThrow(NftError);
    dp.nft('delete element ip t c { 192.0.2.2 }');
    expect(r.run('ip', 't', 'in', dgram('192.0.2.3'), { hook: 1 }).verdict).toBe(NF_ACCEPT);
    expect(r.run('ip', 't', 'in', dgram('192.0.2.2'), { hook: 1 }).verdict).toBe(NF_DROP);
    expect(dp.nft('list set ip t c')).toContain('elements = { 192.0.2.1 counter packets 2 bytes 64, 192.0.2.3 counter packets 1 bytes 32 }');
  });
});
