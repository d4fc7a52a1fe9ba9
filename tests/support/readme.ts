// README examples that tests run as written: the code between `// >>> README` and `// <<< README` in a
// test file's `example` function, unindented one level, is what the README must contain verbatim.

import { readFileSync } from 'node:fs';

/** The marked block of the test file at `testUrl` (its `async function example` body). */
export function readmeBlock(testUrl: string | URL): string {
  const body = readFileSync(new URL(testUrl), 'utf8');
  const start = body.indexOf('// >>> README', body.indexOf('async function example'));
  const end = body.indexOf('// <<< README', start);
  return body
    .slice(body.indexOf('\n', start) + 1, end)
    .split('\n')
    .map((l) => l.replace(/^ {2}/, ''))
    .join('\n')
    .trim();
}

/** The project's README text. */
export function readmeText(): string {
  return readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
}
