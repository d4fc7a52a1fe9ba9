// The README's examples from an app that installed the package: `npm pack` makes the tarball a user
// downloads, it is unpacked as node_modules/wxdp of a fresh app (its two run-time dependencies linked
// beside it, as npm would install them), and then
//   - every TypeScript block is compiled against the shipped declarations with the strictest settings a
//     user may have: `lib: ["ES2022"]` (no DOM), `skipLibCheck: false`, `strict`; a block that says it
//     continues another gets the names it says it takes, declared;
//   - every block that needs nothing but the package runs as written (the TypeScript stripped of its
//     types) with the app as its working directory, and exits 0; the blocks that need a Linux namespace
//     (links) run from this checkout in tests/link/readme_*.test.ts, as written there;
//   - the CLI example runs through the app's node_modules/.bin/wxdp and prints what the README shows.

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readmeText } from './support/readme.js';

const root = new URL('..', import.meta.url).pathname;

interface Block {
  /** The section heading above the block. */
  section: string;
  lang: 'ts' | 'js' | 'sh' | 'json' | '';
  code: string;
}

function readmeBlocks(): Block[] {
  const out: Block[] = [];
  let section = '';
  const lines = readmeText().split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith('#')) section = line.replace(/^#+\s*/, '');
    const fence = /^```(\w*)$/.exec(line);
    if (!fence) continue;
    const end = lines.indexOf('```', i + 1);
    out.push({ section, lang: fence[1] as Block['lang'], code: lines.slice(i + 1, end).join('\n') });
    i = end;
  }
  return out;
}

/** Blocks that continue an earlier one say which names they take in their first comment; declared here. */
const CONTINUES: Record<string, string> = {
  'A UDP service on a real link': [
    "import { execFile } from 'node:child_process';",
    "import { once } from 'node:events';",
    "import { promisify } from 'node:util';",
    "import { Datapath } from 'wxdp';",
    'declare const NS: string, LOCAL: string, REMOTE: string;',
    'declare function answer(q: Buffer): Buffer | undefined;',
  ].join('\n'),
};

/** Blocks that need a Linux namespace of the recipe before them: compiled here, run in tests/link/. */
const needsNamespace = (b: Block) => /attachLink\(|ip', \['netns'/.test(b.code);

const blocks = readmeBlocks();
const tsBlocks = blocks.filter((b) => b.lang === 'ts' && (b.code.includes("from 'wxdp'") || b.section in CONTINUES));
let app = '';

beforeAll(() => {
  app = mkdtempSync(join(tmpdir(), 'wxdp-installed-'));
  const packed = JSON.parse(execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', app], { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 })) as Array<{ filename: string }>;
  const pkg = join(app, 'node_modules', 'wxdp');
  mkdirSync(pkg, { recursive: true });
  execFileSync('tar', ['-xzf', join(app, packed[0]!.filename), '-C', pkg, '--strip-components=1']);
  // what `npm install wxdp` puts beside it: the dependencies (from this checkout's install) and, for the
  // type check, the user's own @types/node
  const deps = Object.keys((JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies);
  for (const d of [...deps, '@types/node', 'undici-types']) {
    mkdirSync(join(app, 'node_modules', d, '..'), { recursive: true });
    symlinkSync(join(root, 'node_modules', d), join(app, 'node_modules', d), 'dir');
  }
  // and the bin links npm makes
  const bins = (JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')) as { bin: Record<string, string> }).bin;
  mkdirSync(join(app, 'node_modules', '.bin'));
  for (const [name, target] of Object.entries(bins)) symlinkSync(join('..', 'wxdp', target), join(app, 'node_modules', '.bin', name));
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'readme-app', private: true, type: 'module' }));
}, 120_000);

afterAll(() => {
  if (app) rmSync(app, { recursive: true, force: true });
});

describe('the README from an installed package', () => {
  it('has the examples this test reads', () => {
    expect(tsBlocks.map((b) => b.section)).toEqual(
      expect.arrayContaining(['Loading and running an XDP object', 'Embedding the data path', 'The stack behind XDP_PASS', 'UDP sockets with node:dgram\'s interface', 'A UDP service behind an XDP filter', 'Links to Linux interfaces', 'A UDP service on a real link', 'Engine API']),
    );
  });

  it('unpacks without source maps, .wat, sources or tests', () => {
    const shipped = execFileSync('find', ['.', '-type', 'f'], { cwd: join(app, 'node_modules', 'wxdp'), encoding: 'utf8' }).split('\n');
    // src/native/: the addon's C source, which npm's install step builds where the package lands
    expect(shipped.filter((f) => /\.map$|\.wat$|^\.\/tests\/|^\.\/src\/(?!native\/)|^\.\/assembly\//.test(f))).toEqual([]);
  });

  it('compiles every TypeScript example against the shipped types: lib ES2022 without DOM, skipLibCheck off, strict', () => {
    const files: string[] = [];
    tsBlocks.forEach((b, i) => {
      const file = join(app, `example_${i}.ts`);
      writeFileSync(file, `${CONTINUES[b.section] ?? ''}\n${b.code}\nexport {};\n`);
      files.push(file);
    });
    const program = ts.createProgram(files, {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      lib: ['lib.es2022.d.ts'],
      types: ['node'],
      strict: true,
      skipLibCheck: false,
      noEmit: true,
    });
    const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => {
      const where = d.file ? `${d.file.fileName.replace(app + '/', '')}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}` : '';
      return `${where} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
    });
    expect(diagnostics).toEqual([]);
  }, 120_000);

  const runnable = tsBlocks.filter((b) => !(b.section in CONTINUES) && !needsNamespace(b));
  it.each(runnable.map((b) => [b.section, b] as const))('runs "%s" as written, with the app as its working directory', (_section, b) => {
    const js = ts.transpileModule(b.code, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext } }).outputText;
    const file = join(app, `run_${runnable.indexOf(b)}.mjs`);
    writeFileSync(file, js);
    const r = spawnSync(process.execPath, [file], { cwd: app, encoding: 'utf8', timeout: 120_000 });
    expect(r.status, `${r.stderr}\n${r.stdout}`).toBe(0);
  }, 150_000);

  it('runs the CLI example through node_modules/.bin/wxdp and prints what the README shows', () => {
    const cli = blocks.find((b) => b.lang === '' && b.code.startsWith('$ printf'))!;
    expect(cli).toBeDefined();
    const [command, ...shown] = cli.code.split('\n');
    const r = spawnSync('sh', ['-c', command!.slice(2)], { cwd: app, encoding: 'utf8', env: { ...process.env, PATH: `${join(app, 'node_modules', '.bin')}:${process.env.PATH}`, npm_config_offline: 'true' }, timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trimEnd()).toBe(shown.join('\n'));
  }, 90_000);

  it('builds the native addon from what it ships, as npm install\'s install step does (or says why not, exit 0)', () => {
    const dir = join(app, 'node_modules', 'wxdp');
    const r = spawnSync(process.execPath, ['scripts/build-native.mjs'], { cwd: dir, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^wxdp: native addon (built|not built \(.+\); wasm memory stays on 4 KiB pages)/);
    expect(existsSync(join(dir, 'build', 'Release', 'wxdp_native.node'))).toBe(r.stdout.includes('addon built'));
    // node-gyp leaves the shipped fast path where it was
    expect(existsSync(join(dir, 'build', 'fastpath.wasm'))).toBe(true);
  });
});
