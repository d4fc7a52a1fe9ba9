// The README's examples ("Loading and running an XDP object", "Embedding the data path", "The stack behind XDP_PASS") run as written: the fenced block is extracted,
// pointed at this checkout instead of the installed package, and imported (its asserts are the test).

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { inCheckout } from '../support/readme.js';
import { root } from './support.js';

it.each(['## Loading and running an XDP object', '## Embedding the data path', '## The stack behind XDP_PASS'])('the README example under "%s" runs as written', async (title) => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  expect(readme).toContain(title);
  const section = readme.slice(readme.indexOf(title));
  const block = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  expect(block).toBeDefined();
  expect(block).toContain("from 'wxdp'");
  const code = inCheckout(block!);
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
