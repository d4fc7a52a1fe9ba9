// Which build bin/ runs: the start-up bundle (dist/src/bundle/, scripts/bundle.mjs) when it is at least
// as new as the compiled modules, else the modules themselves (dist/src/cli/).
import { statSync } from 'node:fs';

const DIST = new URL('../dist/src/', import.meta.url);

/** The URL to import for the bundle's entry `name`, or for `fallback` (a path under dist/src/). */
export function entry(name, fallback, dist = DIST) {
  const bundled = new URL(`bundle/${name}`, dist);
  const modules = new URL(fallback, dist);
  try {
    if (!process.env.WXDP_NO_BUNDLE && statSync(bundled).mtimeMs >= statSync(modules).mtimeMs) return bundled.href;
  } catch {
    // no bundle (or no modules: the import below says so)
  }
  return modules.href;
}
