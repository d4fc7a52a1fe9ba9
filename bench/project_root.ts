// Where the project is, for the benches that read its files (programs/*.o, scripts/, ../shared): a leaf
// module, so the benches and bench/engine.ts (which dispatches to them) import it without importing
// each other.

import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** The project root, whether running from bench/ (tsx/vitest) or dist/bench/ (compiled). */
export function projectRoot(): string {
  let d = here;
  for (let i = 0; i < 4; i++) {
    if (existsSync(join(d, 'package.json'))) return d;
    d = dirname(d);
  }
  return resolve(here, '..');
}
