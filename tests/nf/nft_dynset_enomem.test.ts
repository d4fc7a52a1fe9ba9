// A command refused for ENOMEM part way through its dynamic sets' stores (src/control/nft.ts dynLive) gives them back:
// a later dynamic set that fits is taken (wxdp kept the refused command's stores until a publish succeeded, so every
// later dynamic set was refused too).

import { expect, it } from 'vitest';
import { Datapath } from '../../src/control/datapath.js';

it('a refused command leaves no dynamic set store behind', async () => {
  const dp = await Datapath.create({ memoryLimit: 96 * 2 ** 20 });
  // 40 default-size sets: 4 MB stores each, past the limit
  const sets = Array.from({ length: 40 }, (_, i) => `\tset s${i} { type ipv4_addr; flags dynamic; }`).join('\n');
  expect(() => dp.nft(`table ip t {\n${sets}\n}\n`)).toThrow('Cannot allocate memory');
  for (let r = 0; r < 3; r++) dp.nft(`table ip u${r} {\n\tset a { type ipv4_addr; flags dynamic; }\n}\n`);
  expect(dp.nft('list tables')).toBe('table ip u0\ntable ip u1\ntable ip u2\n');
});
