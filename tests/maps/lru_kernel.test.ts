// LRU_HASH and LRU_PERCPU_HASH against the running kernel: the same sequence of control-plane
// updates, lookups and deletes, each on a chosen CPU, goes to a map made with bpftool (run through
// `taskset -c CPU`, `bpftool batch` for speed) and to wxdp's map (RUN_CPU set to that CPU); every
// operation's result (errno, value) and the final contents must agree. With BPF_F_ZERO_SEED the dump
// order (get_next_key: buckets, newest first within a bucket) must agree too; without it the kernel's
// seed is random and the keys are compared sorted.
//
// What this exercises of kernel/bpf/bpf_lru_list.c: the common LRU's per-CPU local free and pending
// lists, target_free (clamp(max_entries / ncpus / 2, 1, 128): so a full map can lose several elements
// at once), the rotation and shrinking of the active/inactive lists with reference bits (set here by
// updates of existing keys; `bpftool map lookup` does not set them), stealing from the other CPU's
// local lists, and BPF_F_NO_COMMON_LRU's per-CPU lists. wxdp's CPU count is the kernel's possible CPUs.
//
// Needs root, bpftool, bpffs and taskset; skipped (with the reason) otherwise.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BPF_ANY, BPF_EXIST, BPF_NOEXIST, createMap, MapFlag, MapType, type BpfMap } from '../../src/maps/index.js';
import { Errno } from '../../src/maps/uapi.js';
import { haveKernel, KernelMap, kernelSkipReason } from './bpftool.js';
import { fresh, haveWasm, setCpu, u32le } from './support.js';

/** Possible CPUs (the kernel's num_possible_cpus(), what its percpu and LRU lists are made for). */
function possibleCpus(): number {
  try {
    const text = readFileSync('/sys/devices/system/cpu/possible', 'utf8').trim();
    let n = 0;
    for (const part of text.split(',')) {
      const [a, b] = part.split('-').map(Number);
      n += b === undefined ? 1 : b - a! + 1;
    }
    return n;
  } catch {
    return 1;
  }
}

const NCPUS = possibleCpus();

function skipReason(): string | undefined {
  if (!haveWasm) return 'build/fastpath.wasm is missing (npm run build:as)';
  if (kernelSkipReason) return kernelSkipReason;
  if (spawnSync('taskset', ['-c', '0', 'true']).status !== 0) return 'taskset cannot pin to CPU 0';
  return undefined;
}
const SKIP = skipReason();

type Flag = 'any' | 'noexist' | 'exist';
type Op =
  | { kind: 'update'; key: number; value: number; flag: Flag; cpu: number }
  | { kind: 'lookup'; key: number; cpu: number }
  | { kind: 'delete'; key: number; cpu: number };

/** What an operation gave: 0 or the errno, and a lookup's value(s) as hex. */
interface Result {
  errno: number;
  value?: string;
}

const hexOf = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const hexWords = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
const fromJson = (a: string[]): string => a.map((s) => s.replace(/^0x/, '').padStart(2, '0')).join('');

const STRERROR: [string, number][] = [
  ['No such file or directory', Errno.ENOENT],
  ['File exists', Errno.EEXIST],
  ['Invalid argument', Errno.EINVAL],
  ['Cannot allocate memory', Errno.ENOMEM],
  ['Argument list too long', Errno.E2BIG],
];

const FLAG_NUM: Record<Flag, number> = { any: BPF_ANY, noexist: BPF_NOEXIST, exist: BPF_EXIST };

function valueText(out: { value?: string[]; values?: { cpu: number; value: string[] }[] }): string {
  if (out.values) return out.values.map((v) => fromJson(v.value)).join('|');
  return fromJson(out.value!);
}

let workDir: string | undefined;
function tmpFile(): string {
  workDir ??= mkdtempSync(join(tmpdir(), 'wxdp-lru-'));
  return join(workDir, 'batch');
}

/** Run `ops` on the pinned kernel map: one `bpftool batch` per run of ops on the same CPU, restarted after a failure. */
function runKernel(pin: string, ops: Op[]): Result[] {
  const results: Result[] = [];
  let i = 0;
  while (i < ops.length) {
    const cpu = ops[i]!.cpu;
    let j = i;
    while (j < ops.length && ops[j]!.cpu === cpu) j++;
    const lines = ops.slice(i, j).map((op) => {
      const key = `key hex ${hexWords(u32le(op.key))}`;
      if (op.kind === 'update') return `map update pinned ${pin} ${key} value hex ${hexWords(u32le(op.value))} ${op.flag}`;
      return `map ${op.kind} pinned ${pin} ${key}`;
    });
    const file = tmpFile();
    writeFileSync(file, lines.join('\n') + '\n');
    const r = spawnSync('taskset', ['-c', String(cpu), 'bpftool', '-j', 'batch', 'file', file], { encoding: 'utf8' });
    const out = JSON.parse(r.stdout || '[]') as { output: null | { error?: string; value?: string[]; values?: { cpu: number; value: string[] }[] } }[];
    if (out.length === 0 || out.length > j - i) throw new Error(`bpftool batch: unexpected output ${r.stdout} ${r.stderr}`);
    const failed = r.status !== 0;
    out.forEach((o, k) => {
      const op = ops[i + k]!;
      const last = k === out.length - 1;
      if (failed && last) {
        if (o.output === null) {
          results.push({ errno: Errno.ENOENT }); // a lookup that found nothing
          return;
        }
        const known = STRERROR.find(([text]) => o.output!.error?.includes(text));
        if (!known) throw new Error(`bpftool: unrecognised failure ${JSON.stringify(o.output)}`);
        results.push({ errno: known[1] });
        return;
      }
      results.push(op.kind === 'lookup' ? { errno: 0, value: valueText(o.output!) } : { errno: 0 });
    });
    if (!failed && out.length !== j - i) throw new Error(`bpftool batch stopped early: ${r.stderr}`);
    i += out.length;
  }
  return results;
}

function runWxdp(fpSetCpu: (cpu: number) => void, m: BpfMap, ops: Op[]): Result[] {
  return ops.map((op) => {
    fpSetCpu(op.cpu);
    try {
      if (op.kind === 'update') {
        m.update(u32le(op.key), u32le(op.value), FLAG_NUM[op.flag]);
        return { errno: 0 };
      }
      if (op.kind === 'delete') {
        m.delete(u32le(op.key));
        return { errno: 0 };
      }
      if (m.isPercpu) {
        const v = m.lookupPerCpu(u32le(op.key));
        return v ? { errno: 0, value: v.map(hexOf).join('|') } : { errno: Errno.ENOENT };
      }
      const v = m.lookup(u32le(op.key));
      return v ? { errno: 0, value: hexOf(v) } : { errno: Errno.ENOENT };
    } catch (e) {
      const errno = (e as { errno?: number }).errno;
      if (typeof errno !== 'number') throw e;
      return { errno };
    }
  });
}

function kernelDump(pin: string): string[] {
  const r = spawnSync('bpftool', ['-j', 'map', 'dump', 'pinned', pin], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`bpftool map dump: ${r.stdout} ${r.stderr}`);
  const entries = JSON.parse(r.stdout) as { key: string[]; value?: string[]; values?: { cpu: number; value: string[] }[] }[];
  return entries.map((e) => `${fromJson(e.key)}=${valueText(e)}`);
}

function wxdpDump(m: BpfMap): string[] {
  const out: string[] = [];
  for (const k of m.keys()) {
    const v = m.isPercpu ? m.lookupPerCpu(k)!.map(hexOf).join('|') : hexOf(m.lookup(k)!);
    out.push(`${hexOf(k)}=${v}`);
  }
  return out;
}

/** A small deterministic PRNG (LCG), so a failing case can be rerun. */
function rng(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n: number) => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return (s >>> 8) % n;
  };
}

/** Insert keys 1..count in order on CPU `cpu`. */
function sequential(count: number, cpu = 0): Op[] {
  return Array.from({ length: count }, (_, i) => ({ kind: 'update', key: i + 1, value: i + 1, flag: 'any', cpu }) as Op);
}

/**
 * A mixed workload over keys 1..keyRange: updates (BPF_ANY mostly, some NOEXIST / EXIST, so some
 * fail: after taking a node), lookups and deletes; on CPU 0, or on random CPUs when `cpus` > 1.
 */
function mixed(seed: number, count: number, keyRange: number, cpus = 1): Op[] {
  const r = rng(seed);
  const ops: Op[] = [];
  let cpu = 0;
  for (let i = 0; i < count; i++) {
    // Stay on a CPU for a while (fewer bpftool runs), then maybe move.
    if (cpus > 1 && r(8) === 0) cpu = r(cpus);
    const key = 1 + r(keyRange);
    const dice = r(20);
    if (dice < 11) ops.push({ kind: 'update', key, value: i + 1000, flag: 'any', cpu });
    else if (dice < 13) ops.push({ kind: 'update', key, value: i + 1000, flag: 'noexist', cpu });
    else if (dice < 15) ops.push({ kind: 'update', key, value: i + 1000, flag: 'exist', cpu });
    else if (dice < 17) ops.push({ kind: 'delete', key, cpu });
    else ops.push({ kind: 'lookup', key, cpu });
  }
  return ops;
}

interface Case {
  name: string;
  type: 'lru_hash' | 'lru_percpu_hash';
  maxEntries: number;
  noCommon: boolean;
  ops: Op[];
}

function cases(): Case[] {
  const out: Case[] = [];
  const cpus = Math.min(NCPUS, 2);
  for (const type of ['lru_hash', 'lru_percpu_hash'] as const) {
    for (const noCommon of [false, true]) {
      for (const max of [4, 8, 64, 300]) {
        const tag = `${type}${noCommon ? ' BPF_F_NO_COMMON_LRU' : ''} entries ${max}`;
        if (type === 'lru_percpu_hash' && max === 300) continue; // the percpu list machinery is the same; keep the run short
        out.push({ name: `${tag}: keys 1..${3 * max + 5} inserted in order on CPU 0`, type, maxEntries: max, noCommon, ops: sequential(3 * max + 5) });
        const n = max >= 300 ? 1500 : Math.max(300, 12 * max);
        out.push({ name: `${tag}: ${n} mixed operations on CPU 0`, type, maxEntries: max, noCommon, ops: mixed(max * 7 + (noCommon ? 1 : 0), n, 2 * max + 3) });
        if (cpus > 1 && max !== 300) {
          out.push({ name: `${tag}: ${n} mixed operations on CPUs 0 and 1`, type, maxEntries: max, noCommon, ops: mixed(max * 13 + 5, n, 2 * max + 3, cpus) });
        }
      }
    }
  }
  return out;
}

const pins: KernelMap[] = [];
afterAll(() => {
  for (const p of pins) p.close();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

async function compare(c: Case, zeroSeed: boolean): Promise<void> {
  const flags = (zeroSeed ? MapFlag.ZERO_SEED : 0) | (c.noCommon ? MapFlag.NO_COMMON_LRU : 0);
  const km = KernelMap.must(c.type, 4, 4, c.maxEntries, flags);
  pins.push(km);
  const fp = await fresh({ ncpus: NCPUS, cpu: 0 });
  const m = createMap(fp, {
    name: 'l', type: c.type === 'lru_hash' ? MapType.LRU_HASH : MapType.LRU_PERCPU_HASH, keySize: 4, valueSize: 4,
    maxEntries: c.maxEntries, flags,
  });
  expect(m.maxEntries).toBe(km.show().max_entries);
  const want = runKernel(km.pin, c.ops);
  const got = runWxdp((cpu) => setCpu(fp, cpu), m, c.ops);
  const firstDiff = want.findIndex((w, i) => JSON.stringify(w) !== JSON.stringify(got[i]));
  expect(firstDiff === -1 ? 'all operations agree' : { at: firstDiff, op: c.ops[firstDiff], kernel: want[firstDiff], wxdp: got[firstDiff] })
    .toBe('all operations agree');
  const kdump = kernelDump(km.pin);
  const wdump = wxdpDump(m);
  if (zeroSeed) expect(wdump).toEqual(kdump);
  else expect([...wdump].sort()).toEqual([...kdump].sort());
  expect(m.count).toBe(kdump.length);
  km.close();
}

describe.skipIf(SKIP !== undefined)(`LRU maps match the kernel (${NCPUS} possible CPUs)`, () => {
  it.each(cases().map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    await compare(c, true);
  }, 60_000);

  it('with a random hash seed the same elements survive (lru_hash entries 64, mixed)', async () => {
    await compare({ name: 'seeded', type: 'lru_hash', maxEntries: 64, noCommon: false, ops: mixed(99, 800, 131) }, false);
  }, 60_000);
});

describe.skipIf(SKIP === undefined)('LRU maps match the kernel', () => {
  it.skip(`skipped: ${SKIP}`, () => {});
});
