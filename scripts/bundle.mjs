// The CLI's start-up bundle (run by `npm run build:ts` after tsc): the ~120 modules a command loads,
// merged into a few chunks in dist/src/bundle/ by rolldown (installed with vitest), so that a cached
// `wxdp prog run` spends its time on the program and not on resolving and reading modules. Commands
// still load lazily (one chunk per dynamic import); binaryen stays outside (loaded only on a cache miss).
//
// dist/src/bundle/ sits at the depth of dist/src/<dir>/, so the modules' `import.meta.url`-relative
// paths (build/fastpath.wasm, the cache's source identity) resolve as they do unbundled. bin/ uses the
// bundle only when it is at least as new as dist/src/cli/main.js; without rolldown nothing is bundled
// and bin/ runs the modules themselves.

import { existsSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const src = join(root, 'dist', 'src');
const out = join(src, 'bundle');

let rolldown;
try {
  ({ rolldown } = await import('rolldown'));
} catch {
  rmSync(out, { recursive: true, force: true });
  console.log('bundle: rolldown is not installed; bin/ runs dist/src/cli directly');
  process.exit(0);
}
if (!existsSync(join(src, 'cli', 'main.js'))) {
  console.error('bundle: dist/src/cli/main.js is missing: run tsc first');
  process.exit(1);
}

const tmp = `${out}.${process.pid}.tmp`;
rmSync(tmp, { recursive: true, force: true });
const build = await rolldown({
  input: { cli: join(src, 'cli', 'main.js'), plugin: join(src, 'cli', 'plugin.js') },
  platform: 'node',
  // node: built-ins and the npm dependencies stay imports (binaryen is loaded only on a cache miss).
  external: [/^node:/, 'binaryen', 'benchmark'],
  logLevel: 'warn',
});
await build.write({ dir: tmp, format: 'esm', entryFileNames: '[name].js', chunkFileNames: '[name]-[hash].js' });
await build.close();
rmSync(out, { recursive: true, force: true });
renameSync(tmp, out);
