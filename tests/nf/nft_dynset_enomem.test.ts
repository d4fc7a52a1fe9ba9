// A command refused for ENOMEM part way through its dynamic sets' stores (src/control/nft.ts dynLive) gives them back:
// the stores made before the one that could not be are reused, so the same refused command again and again takes no
// more memory, and a later dynamic set is taken (wxdp kept the refused command's stores until a publish succeeded, so
// every later dynamic set was refused too). (A set of size 60000000 was the refused one here: the kernel takes it,
// tests/nf/nft_dynset_huge_kernel.)

import { expect, it } from 'vitest';
import { Datapath } from '../../src/control/datapath.js';

// Stores start small now (a table of 64 slots, nft_dynset.ts): a command refuses for ENOMEM when memory itself runs
// out, with no room left to record the stores it made as retired (reclaim.ts rc_retire's chunk) — they were lost,
// and every later dynamic set refused with ENOMEM though the refused command changed nothing (review rv57).
it('a command refused because memory ran out leaves room for a later dynamic set', async () => {
  const dp = await Datapath.create({ memoryLimit: 8 * 2 ** 20 });
  const x = dp.stack.exports<{ arena_top(): number }>();
  const sets = Array.from({ length: 4000 }, (_, i) => `\tset s${i} { type ipv4_addr; flags dynamic; }`).join('\n');
  const cmd = `table ip t {\n${sets}\n}\n`;
  expect(() => dp.nft(cmd)).toThrow('Cannot allocate memory');
  const top = x.arena_top() >>> 0;
  for (let r = 0; r < 2; r++) expect(() => dp.nft(cmd)).toThrow('Cannot allocate memory');
  expect(x.arena_top() >>> 0).toBe(top);
  for (let r = 0; r < 3; r++) dp.nft(`table ip u${r} {\n\tset a { type ipv4_addr; flags dynamic; }\n}\n`);
  expect(dp.nft('list tables')).toBe('table ip u0\ntable ip u1\ntable ip u2\n');
}, 30_000);
