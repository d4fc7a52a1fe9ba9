// Record the kernel's answers for the third-party objects in programs/realworld/ (see its README.md):
// for each object, what `bpftool -d prog loadall` says (loaded, or the errno) and how many instructions
// the verifier processed per program, then every XDP program on every corpus frame in order on that one
// load (BPF_PROG_TEST_RUN through `bpftool prog run`, pinned to CPU 0): the return value and the sha256 of
// data_out. Writes tests/realworld/fixtures/sweep56.json, which tests/realworld/sweep56.test.ts holds
// wxdp to; with `58`, the objects of programs/realworld/sweep58/ into fixtures/sweep58.json (sweep58.test.ts).
// A program the kernel will not test-run (an xdp/cpumap or xdp/devmap one: EINVAL) is recorded with the
// error. Needs root, bpftool and bpffs.   Usage: node scripts/record-realworld.mjs [58]
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { corpusDigest, fileDigest, loadCorpus } from './program-suite.mjs';

const ROOT = new URL('../', import.meta.url).pathname;
const SWEEP = process.argv[2] === '58' ? 'sweep58' : 'sweep56';
const DIR = join(ROOT, 'programs', 'realworld', ...(SWEEP === 'sweep58' ? ['sweep58'] : []));
const OUT = join(ROOT, 'tests', 'realworld', 'fixtures', `${SWEEP}.json`);
const corpus = loadCorpus(ROOT);
const sha = (b) => createHash('sha256').update(b).digest('hex');
const bpftool = (args) => spawnSync('taskset', ['-c', '0', 'bpftool', ...args], { encoding: 'utf8', maxBuffer: 256 << 20 });
const work = mkdtempSync(join(tmpdir(), 'wxdp-realworld-'));
const objects = {};
try {
  for (const file of readdirSync(DIR).filter((f) => f.endsWith('.o')).sort()) {
    const path = join(DIR, file);
    const pin = `/sys/fs/bpf/wxdp_realworld_${process.pid}`;
    rmSync(pin, { recursive: true, force: true });
    // sections libbpf cannot type (SEC("xdp_fwd")): loaded as bpftool's `type xdp`, as their loaders do
    let type;
    let load = bpftool(['-d', 'prog', 'loadall', path, pin]);
    if (load.status !== 0 && /failed to guess program type/.test(load.stderr)) {
      type = 'xdp';
      load = bpftool(['-d', 'prog', 'loadall', path, pin, 'type', 'xdp']);
    }
    const processed = {};
    let current;
    for (const line of load.stderr.split('\n')) {
      const begin = line.match(/^libbpf: prog '([^']+)': -- BEGIN PROG LOAD LOG --/);
      if (begin) current = begin[1];
      const p = line.match(/^processed (\d+) insns/);
      if (p && current) processed[current] = Number(p[1]);
    }
    const rec = { object: `${DIR.slice(ROOT.length)}/${file}`, sha256: fileDigest(path), ...(type ? { type } : {}), processed };
    if (load.status !== 0) {
      const m = [...load.stderr.matchAll(/failed to load: -(\d+)/g)].pop();
      rec.refused = m ? Number(m[1]) : -1;
    } else {
      rec.runs = {};
      for (const prog of readdirSync(pin).sort()) {
        const show = JSON.parse(bpftool(['-j', 'prog', 'show', 'pinned', join(pin, prog)]).stdout);
        if (show.type !== 'xdp') continue;
        rec.runs[prog] = corpus.map((f) => {
          writeFileSync(join(work, 'in'), f.data);
          rmSync(join(work, 'out'), { force: true });
          const r = bpftool(['prog', 'run', 'pinned', join(pin, prog), 'data_in', join(work, 'in'), 'data_out', join(work, 'out')]);
          if (r.status !== 0) return { frame: f.name, error: r.stderr.trim().split('\n').pop() };
          return { frame: f.name, retval: Number(r.stdout.match(/Return value: (\d+)/)[1]), data: sha(readFileSync(join(work, 'out'))) };
        });
      }
    }
    rmSync(pin, { recursive: true, force: true });
    objects[file.slice(0, -2)] = rec;
    console.log(`${file}: ${rec.refused ? `refused -${rec.refused}` : `loaded, ${Object.keys(rec.runs).length} program(s)`}`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
const kernel = spawnSync('uname', ['-r'], { encoding: 'utf8' }).stdout.trim();
writeFileSync(OUT, `${JSON.stringify({ kernel, corpus: corpusDigest(corpus), objects }, null, 1)}\n`);
