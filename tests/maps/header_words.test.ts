// The map header's generic words (after the type's own bytes 32..59) are claimed by several files:
// three branches once took +60 for three different things (spin lock offset, map-in-map template, the
// shared build's writer lock). This reads the claims from the sources and fails on any overlap.

import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';

const src = (p: string) => readFileSync(new URL(`../../assembly/${p}`, import.meta.url), 'utf8');
const word = (text: string, name: string): number => {
  const m = new RegExp(`export const ${name}: u32 = (\\d+);`).exec(text);
  if (!m) throw new Error(`${name} not found`);
  return Number(m[1]);
};

it('the generic map header words are distinct, 4-byte aligned, past the types\' own bytes and inside the header', () => {
  const abi = src('abi.ts');
  const size = word(abi, 'MAP_HEADER_SIZE');
  const claims: Record<string, number> = {
    MAP_SPIN_LOCK: word(abi, 'MAP_SPIN_LOCK'),
    MAPS_MIM_META: word(src('maps/map_in_map.ts'), 'MAPS_MIM_META'),
    MAP_WRITER_LOCK: word(src('maps/map_lock.ts'), 'MAP_WRITER_LOCK'),
    MAP_ALLOC_SIZE: word(abi, 'MAP_ALLOC_SIZE'),
    MAP_TIMER: word(abi, 'MAP_TIMER'),
    MAPS_LRU_LAST: word(src('maps/lru.ts'), 'MAPS_LRU_LAST'),
  };
  const offsets = Object.values(claims);
  expect(new Set(offsets).size, JSON.stringify(claims)).toBe(offsets.length);
  for (const [name, off] of Object.entries(claims)) {
    expect(off % 4, name).toBe(0);
    expect(off, name).toBeGreaterThanOrEqual(60);
    expect(off + 4, name).toBeLessThanOrEqual(size);
  }
});
