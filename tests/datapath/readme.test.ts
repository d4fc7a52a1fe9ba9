// The README's "Embedding the data path" example runs as written: the fenced block is extracted,
// pointed at this checkout instead of the installed package, and imported (its asserts are the test).

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { root } from './support.js';

it('the README embedding example runs as written', async () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Embedding the data path'));
  const block = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  expect(block).toBeDefined();
  expect(block).toContain("from 'wxdp'");
  const code = block!.replace("from 'wxdp'", `from ${JSON.stringify(join(root, 'src', 'index.ts'))}`);
  const file = join(mkdtempSync(join(tmpdir(), 'wxdp-readme-')), 'example.ts');
  writeFileSync(file, code);
  const cwd = process.cwd();
  process.chdir(root);
  try {
    await import(/* @vite-ignore */ file);
  } finally {
    process.chdir(cwd);
  }
});
