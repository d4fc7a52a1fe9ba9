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

/**
 * A README block pointed at this checkout instead of the installed package, for a file written outside
 * it: `from 'wxdp'` imports src/index.ts, and `import.meta.resolve('wxdp/…')` (the package's exported
 * programs/) becomes the checkout's file URL. tests/package_readme.test.ts runs the blocks unchanged
 * from an installed tarball.
 */
export function inCheckout(code: string): string {
  const root = new URL('../../', import.meta.url);
  return code
    .replaceAll("from 'wxdp'", `from ${JSON.stringify(new URL('src/index.ts', root).pathname)}`)
    .replace(/import\.meta\.resolve\((['`])wxdp\//g, (_m, q: string) => `(${JSON.stringify(root.href)} + ${q}`);
}
