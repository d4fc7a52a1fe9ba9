// npm's install step for the native addon (binding.gyp → build/Release/wxdp_native.node): npm's own
// node-gyp against the headers of the Node that runs it (its prefix's include/node, so nothing is
// downloaded). The addon only gives wasm memory 2 MiB pages (src/runtime/hugepages.ts), so a machine
// without a compiler, Python or the headers installs without it: this script says why once and exits 0,
// and the data path runs on 4 KiB pages. WXDP_NATIVE=0 skips the build.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));

function nodeGyp() {
  // npm sets npm_config_node_gyp for its lifecycle scripts; run by hand, look beside npm itself.
  const candidates = [process.env.npm_config_node_gyp];
  try {
    candidates.push(createRequire(join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'package.json')).resolve('node-gyp/bin/node-gyp.js'));
  } catch {}
  return candidates.find((p) => p && existsSync(p));
}

function skip(why) {
  console.log(`wxdp: native addon not built (${why}); wasm memory stays on 4 KiB pages`);
  process.exit(0);
}

if (process.env.WXDP_NATIVE === '0') skip('WXDP_NATIVE=0');
if (process.platform !== 'linux') skip(`${process.platform} has no madvise(MADV_HUGEPAGE)`);
const gyp = nodeGyp();
if (!gyp) skip('node-gyp not found beside npm');
const nodedir = dirname(dirname(process.execPath));
if (!existsSync(join(nodedir, 'include', 'node', 'node_api.h'))) skip(`no Node headers in ${join(nodedir, 'include', 'node')}`);

// configure then build, never `rebuild`: its clean step removes build/, where fastpath.wasm lives.
for (const step of ['configure', 'build']) {
  const r = spawnSync(process.execPath, [gyp, step, `--nodedir=${nodedir}`, '--loglevel=warn'], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) {
    const last = `${r.stderr ?? ''}${r.stdout ?? ''}`.trim().split('\n').filter((l) => /error/i.test(l)).slice(-1)[0];
    skip(`node-gyp ${step} failed${last ? `: ${last.trim()}` : r.error ? `: ${r.error.message}` : ''}`);
  }
}
console.log('wxdp: native addon built (build/Release/wxdp_native.node: 2 MiB pages for wasm memory)');
