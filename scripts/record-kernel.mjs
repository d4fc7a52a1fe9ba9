#!/usr/bin/env node
// Records what the running Linux kernel does with every program of programs/ on every frame of
// programs/corpus/, into programs/expected/<program>.json: the reference results wxdp must match.
//
//   npm run build && node scripts/record-kernel.mjs [config…]     (root, bpftool, bpffs; see README)
//
// For each configuration programs/<object>.json (format in scripts/program-suite.mjs), each program
// of the object and each corpus frame: load the object fresh with its maps pinned (so maps hold only
// libbpf's initial values), apply the configuration's map setup with `bpftool map update`, run once
// with BPF_PROG_TEST_RUN (`bpftool prog run`, ctx_in when configured), and keep retval, data_out and
// a dump of the recorded maps. With "sequence": true the whole corpus also runs in order on a single
// load, and the maps are dumped after the last frame.
//
// The recorder runs itself pinned to CPU 0 (taskset), so that per-CPU map values land in values[0].
// Output files are stable: no timestamps, entries sorted by key.

import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { release } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  corpusDigest,
  describeRecordedMaps,
  fileDigest,
  loadConfigs,
  loadCorpus,
  loadForRecording,
  programsOf,
  recordPacket,
  recordSequence,
} from './program-suite.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const PINNED_ENV = 'WXDP_RECORD_ON_CPU0';

if (!process.env[PINNED_ENV]) {
  const r = spawnSync('taskset', ['-c', '0', process.execPath, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, [PINNED_ENV]: '1' },
  });
  if (!r.error) process.exit(r.status ?? 1);
  console.warn(`record-kernel: taskset unavailable (${r.error.message}); per-CPU values land on whichever CPU runs the test`);
  process.env[PINNED_ENV] = 'unpinned';
}

let oracle;
try {
  oracle = await import('../dist/src/oracle/index.js');
} catch (e) {
  console.error(`record-kernel: cannot import dist/src/oracle/index.js (run \`npm run build\` first): ${e.message}`);
  process.exit(2);
}
const avail = oracle.kernelAvailability();
if (!avail.ok) {
  console.error(`record-kernel: the kernel oracle is unavailable: ${avail.reason}`);
  process.exit(2);
}

const only = new Set(process.argv.slice(2));
const corpus = loadCorpus(ROOT);
const configs = loadConfigs(ROOT).filter((c) => only.size === 0 || only.has(c.name));
if (only.size > 0 && configs.length !== only.size) {
  console.error(`record-kernel: unknown configuration in ${[...only].join(', ')}`);
  process.exit(2);
}
const outDir = join(ROOT, 'programs', 'expected');
mkdirSync(outDir, { recursive: true });

const environment = {
  kernel: release(),
  bpftool: (spawnSync('bpftool', ['version'], { encoding: 'utf8' }).stdout ?? '').split('\n')[0].trim(),
  possibleCpus: possibleCpus(),
  cpu: process.env[PINNED_ENV] === '1' ? 0 : null,
};
const digest = corpusDigest(corpus);

for (const config of configs) {
  const t0 = Date.now();
  const programs = programsOf(oracle, config);
  let mapInfo;
  {
    const obj = loadForRecording(oracle, config);
    try {
      mapInfo = describeRecordedMaps(obj, config);
    } finally {
      obj.close();
    }
  }
  for (const program of programs) {
    const out = {
      program,
      object: `programs/${config.object}`,
      source: `programs/${config.source}`,
      section: 'xdp',
      config: relative(ROOT, join(ROOT, 'programs', `${config.name}.json`)),
      objectSha256: fileDigest(config.objectPath),
      corpusSha256: digest,
      recordedWith: environment,
      ctx: config.ctx ?? null,
      setup: config.setup.map((s) => ({
        map: s.map,
        key: Buffer.from(s.keyBytes).toString('hex'),
        value: Buffer.from(s.valueBytes).toString('hex'),
        flag: s.flag,
        ...(s.note ? { note: s.note } : {}),
      })),
      maps: mapInfo,
      notes: config.notes,
      packets: corpus.map((p) => recordPacket(oracle, config, program, p)),
    };
    if (config.sequence) out.sequence = recordSequence(oracle, config, program, corpus);
    writeFileSync(join(outDir, `${program}.json`), JSON.stringify(out, null, 1) + '\n');
    const actions = {};
    for (const p of out.packets) actions[p.action] = (actions[p.action] ?? 0) + 1;
    console.log(`${program}: ${out.packets.length} packets${config.sequence ? ' + sequence' : ''} (${Object.entries(actions).map(([a, n]) => `${a} ${n}`).join(', ')})`);
  }
  console.log(`  ${config.name}.o: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

function possibleCpus() {
  try {
    // "0-1", "0", "0-3,8-11"
    return readFileSync('/sys/devices/system/cpu/possible', 'utf8')
      .trim()
      .split(',')
      .reduce((n, r) => {
        const [a, b] = r.split('-').map(Number);
        return n + (b === undefined ? 1 : b - a + 1);
      }, 0);
  } catch {
    return null;
  }
}
