// What `npm install wxdp` gets: the files `npm pack` puts in the tarball (package.json "files") and
// the dependencies a user installs. Users get the built fast path (build/fastpath.wasm), the compiled
// TypeScript, the CLI and the example programs — not the AssemblyScript compiler, its text output, the
// verifier's test corpus or source maps pointing at sources that are not shipped.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  exports: Record<string, unknown>;
  type: string;
};

describe('the package', () => {
  it('installs no build-time tool: the AssemblyScript compiler and its loader are devDependencies', () => {
    expect(Object.keys(pkg.dependencies).sort()).toEqual(['benchmark', 'binaryen']);
    expect(pkg.devDependencies).toHaveProperty('assemblyscript');
    expect(pkg.devDependencies).toHaveProperty('@assemblyscript/loader');
    expect(pkg.type).toBe('module'); // ESM only
  });

  it('npm pack ships the built fast path, dist, the CLI, programs/ and the addon\'s source, and nothing of the build or the tests', () => {
    const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 });
    expect(r.status, r.stderr).toBe(0);
    const files = (JSON.parse(r.stdout) as Array<{ files: Array<{ path: string }> }>)[0]!.files.map((f) => f.path);
    for (const must of ['build/fastpath.wasm', 'build/fastpath.shared.wasm', 'dist/src/index.js', 'dist/src/index.d.ts', 'bin/wxdp.js', 'programs/xdp_pass_drop.o', 'programs/xdp_pass_drop.c', 'programs/expected/xdp_drop.json', 'README.md', 'package.json',
      // the native addon (2 MiB pages for wasm memory) is built where the package is installed
      'binding.gyp', 'src/native/hugepages.c', 'scripts/build-native.mjs']) {
      expect(files, must).toContain(must);
    }
    const unwanted = files.filter((f) => /\.map$|\.wat$|^build\/fastpath\.(js|d\.ts)$|^programs\/verifier\/|^tests\/|^assembly\/|^src\/(?!native\/)|^build\/Release\//.test(f));
    expect(unwanted).toEqual([]);
  });

  it('installs without the native addon where it cannot be built: the install step says why and exits 0', () => {
    // a copy of what the package ships for it, built with a compiler that always fails
    const dir = mkdtempSync(join(tmpdir(), 'wxdp-nocc-'));
    try {
      mkdirSync(join(dir, 'scripts'));
      mkdirSync(join(dir, 'src', 'native'), { recursive: true });
      for (const f of ['binding.gyp', 'scripts/build-native.mjs', 'src/native/hugepages.c']) writeFileSync(join(dir, f), readFileSync(join(root, f)));
      const r = spawnSync(process.execPath, ['scripts/build-native.mjs'], { cwd: dir, encoding: 'utf8', env: { ...process.env, CC: '/bin/false' } });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^wxdp: native addon not built \(.+\); wasm memory stays on 4 KiB pages\n$/);
      expect(existsSync(join(dir, 'build', 'Release', 'wxdp_native.node'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exports the example programs: an app resolves wxdp/programs/NAME.o to the shipped object', () => {
    // an app with this package as node_modules/wxdp (a link: what the exports map allows is the point)
    const app = mkdtempSync(join(tmpdir(), 'wxdp-app-'));
    try {
      mkdirSync(join(app, 'node_modules'));
      symlinkSync(root, join(app, 'node_modules', 'wxdp'), 'dir');
      writeFileSync(join(app, 'main.mjs'), "console.log(import.meta.resolve('wxdp/programs/xdp_pass_drop.o'));\nconst { Datapath } = await import('wxdp');\nconsole.log(typeof Datapath);\n");
      const r = spawnSync(process.execPath, ['main.mjs'], { cwd: app, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      const [url, kind] = r.stdout.trim().split('\n');
      expect(realpathSync(new URL(url!))).toBe(realpathSync(join(root, 'programs/xdp_pass_drop.o')));
      expect(kind).toBe('function');
    } finally {
      rmSync(app, { recursive: true, force: true });
    }
  });
});
