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
// The second part drives the maps from a program as well: a small XDP program (DRIVER_C, built with
// clang at test time) applies the lookups, updates and deletes encoded in its packet through the
// helpers, so program lookups set reference bits; its packets run through BPF_PROG_TEST_RUN
// (`bpftool prog run`, pinned to the CPU) and through wxdp's Datapath, interleaved with syscall
// operations on the same map, and the per-operation results and final contents are compared.
//
// Needs root, bpftool, bpffs and taskset (and clang for the second part); skipped (with the reason)
// otherwise.

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Datapath } from '../../src/control/datapath.js';
import { BPF_ANY, BPF_EXIST, BPF_NOEXIST, createMap, MapFlag, MapType, type BpfMap } from '../../src/maps/index.js';
import { Errno } from '../../src/maps/uapi.js';
import { RUN, RUN_BASE } from '../../src/runtime/memory.js';
import { KernelMap, kernelSkipReason } from './bpftool.js';
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
function tmpFile(name = 'batch'): string {
  workDir ??= mkdtempSync(join(tmpdir(), 'wxdp-lru-'));
  return join(workDir, name);
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
 * Lookups, deletes and EXIST updates mostly pick a recently updated key, so that most of them find
 * it (each failure costs a bpftool run) unless the LRU evicted it; BPF_ANY updates of recent keys
 * replace elements and set their reference bits.
 */
function mixed(seed: number, count: number, keyRange: number, cpus = 1): Op[] {
  const r = rng(seed);
  const ops: Op[] = [];
  const recent: number[] = [];
  const recentKey = () => (recent.length > 0 && r(8) !== 0 ? recent[r(recent.length)]! : 1 + r(keyRange));
  let cpu = 0;
  for (let i = 0; i < count; i++) {
    // Stay on a CPU for a while (fewer bpftool runs), then maybe move.
    if (cpus > 1 && r(24) === 0) cpu = r(cpus);
    const value = i + 1000;
    const dice = r(20);
    let op: Op;
    if (dice < 9) op = { kind: 'update', key: 1 + r(keyRange), value, flag: 'any', cpu };
    else if (dice < 12) op = { kind: 'update', key: recentKey(), value, flag: 'any', cpu };
    else if (dice < 13) op = { kind: 'update', key: 1 + r(keyRange), value, flag: 'noexist', cpu };
    else if (dice < 15) op = { kind: 'update', key: recentKey(), value, flag: 'exist', cpu };
    else if (dice < 17) op = { kind: 'delete', key: recentKey(), cpu };
    else op = { kind: 'lookup', key: recentKey(), cpu };
    if (op.kind === 'update') {
      recent.push(op.key);
      if (recent.length > Math.max(2, keyRange >> 3)) recent.shift();
    }
    ops.push(op);
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
        const n = max >= 300 ? 1200 : Math.max(200, 8 * max);
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

// ---- programs' operations (BPF_PROG_TEST_RUN) interleaved with the syscall's ----

const DRIVER_C = `
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, MAP_TYPE);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, MAX_ENTRIES);
	__uint(map_flags, MAP_FLAGS);
} lru SEC(".maps");

/* One operation: op 0 lookup (ret 1 found, value = the value seen), 1 update with flags, 2 delete. */
struct rec {
	__u8 op;
	__u8 flags;
	__s16 ret;
	__u32 key;
	__u32 value;
};

SEC("xdp")
int drive(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;

	for (int i = 0; i < MAX_RECS; i++) {
		struct rec *r = data + HDR + i * sizeof(struct rec);
		__u32 key, value, *v;
		long ret;

		if ((void *)(r + 1) > data_end)
			break;
		key = r->key;
		value = r->value;
		if (r->op == 0) {
			v = bpf_map_lookup_elem(&lru, &key);
			ret = v != 0;
			if (v)
				r->value = *v;
		} else if (r->op == 1) {
			ret = bpf_map_update_elem(&lru, &key, &value, r->flags);
		} else {
			ret = bpf_map_delete_elem(&lru, &key);
		}
		r->ret = ret;
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
`;
const HDR = 16; // room for an Ethernet header: XDP test runs need at least 14 bytes
const REC = 12;
const MAX_RECS = 128;

function driverSkipReason(): string | undefined {
  if (SKIP) return SKIP;
  if (spawnSync('clang', ['--version']).status !== 0) return 'clang is not installed (it builds the driver program)';
  return undefined;
}
const DRIVER_SKIP = driverSkipReason();

type POp = (Op & { side: 'sys' }) | { side: 'prog'; kind: 'lookup' | 'update' | 'delete'; key: number; value: number; flags: number; cpu: number };

/** Build the driver for one map: an object file in the work directory. */
function buildDriver(type: string, maxEntries: number, flags: number): string {
  const src = tmpFile('drive.c');
  writeFileSync(src, DRIVER_C);
  const obj = tmpFile(`drive_${type}_${maxEntries}_${flags}.o`);
  const arch = `/usr/include/${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu`;
  const compat = new URL('../../programs/compat', import.meta.url).pathname;
  const r = spawnSync('clang', ['-O2', '-g', '-target', 'bpf', `-I${arch}`, `-I${compat}`,
    `-DMAP_TYPE=BPF_MAP_TYPE_${type.toUpperCase()}`, `-DMAX_ENTRIES=${maxEntries}`, `-DMAP_FLAGS=${flags}`,
    `-DMAX_RECS=${MAX_RECS}`, `-DHDR=${HDR}`, '-c', src, '-o', obj], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`clang: ${r.stderr}`);
  return obj;
}

function packet(ops: POp[]): Uint8Array {
  const b = new Uint8Array(HDR + ops.length * REC);
  const dv = new DataView(b.buffer);
  ops.forEach((op, i) => {
    if (op.side !== 'prog') throw new Error('not a program op');
    const o = HDR + i * REC;
    dv.setUint8(o, op.kind === 'lookup' ? 0 : op.kind === 'update' ? 1 : 2);
    dv.setUint8(o + 1, op.flags);
    dv.setUint32(o + 4, op.key, true);
    dv.setUint32(o + 8, op.kind === 'update' ? op.value : 0, true);
  });
  return b;
}

/** The results a driver packet carries back: the helper's return, and the value a lookup saw. */
function packetResults(out: Uint8Array, n: number): Result[] {
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const res: Result[] = [];
  for (let i = 0; i < n; i++) {
    const o = HDR + i * REC;
    const op = dv.getUint8(o);
    const ret = dv.getInt16(o + 2, true);
    if (op === 0) res.push(ret ? { errno: 0, value: hexOf(out.subarray(o + 8, o + 12)) } : { errno: Errno.ENOENT });
    else res.push({ errno: -ret });
  }
  return res;
}

/** Consecutive operations of one side on one CPU (program ones at most MAX_RECS per packet). */
function* runsOf(ops: POp[]): Generator<POp[]> {
  let i = 0;
  while (i < ops.length) {
    const { side, cpu } = ops[i]!;
    let j = i;
    while (j < ops.length && ops[j]!.side === side && ops[j]!.cpu === cpu && (side === 'sys' || j - i < MAX_RECS)) j++;
    yield ops.slice(i, j);
    i = j;
  }
}

function runKernelDriven(progPin: string, mapPin: string, ops: POp[]): Result[] {
  const results: Result[] = [];
  for (const run of runsOf(ops)) {
    if (run[0]!.side === 'sys') {
      results.push(...runKernel(mapPin, run as Op[]));
      continue;
    }
    const inFile = tmpFile('data_in');
    const outFile = tmpFile('data_out');
    writeFileSync(inFile, packet(run));
    const r = spawnSync('taskset', ['-c', String(run[0]!.cpu), 'bpftool', '-j', 'prog', 'run', 'pinned', progPin,
      'data_in', inFile, 'data_out', outFile, 'repeat', '1'], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`bpftool prog run: ${r.stdout} ${r.stderr}`);
    results.push(...packetResults(new Uint8Array(readFileSync(outFile)), run.length));
  }
  return results;
}

/** A workload of program phases (lookups, which set reference bits, updates, deletes) and syscall phases. */
function driven(seed: number, count: number, keyRange: number, cpus: number): POp[] {
  const r = rng(seed);
  const ops: POp[] = [];
  const recent: number[] = [];
  const recentKey = () => (recent.length > 0 && r(6) !== 0 ? recent[r(recent.length)]! : 1 + r(keyRange));
  const remember = (k: number) => {
    recent.push(k);
    if (recent.length > Math.max(2, keyRange >> 2)) recent.shift();
  };
  let cpu = 0;
  while (ops.length < count) {
    if (cpus > 1 && r(3) === 0) cpu = r(cpus);
    if (r(4) !== 0) {
      for (let n = 10 + r(120); n > 0; n--) {
        const value = ops.length + 5000;
        const dice = r(40);
        if (dice < 15) ops.push({ side: 'prog', kind: 'lookup', key: recentKey(), value: 0, flags: 0, cpu });
        else if (dice < 18) ops.push({ side: 'prog', kind: 'lookup', key: 1 + r(keyRange), value: 0, flags: 0, cpu });
        else if (dice < 30) ops.push({ side: 'prog', kind: 'update', key: 1 + r(keyRange), value, flags: 0, cpu });
        else if (dice < 33) ops.push({ side: 'prog', kind: 'update', key: recentKey(), value, flags: 0, cpu });
        else if (dice < 35) ops.push({ side: 'prog', kind: 'update', key: 1 + r(keyRange), value, flags: 1, cpu });
        else if (dice < 37) ops.push({ side: 'prog', kind: 'update', key: recentKey(), value, flags: 2, cpu });
        else if (dice < 38) ops.push({ side: 'prog', kind: 'update', key: recentKey(), value, flags: 3 + r(2), cpu });
        else ops.push({ side: 'prog', kind: 'delete', key: recentKey(), value: 0, flags: 0, cpu });
        const last = ops[ops.length - 1]!;
        if (last.kind === 'update') remember(last.key);
      }
    } else {
      for (let n = 1 + r(8); n > 0; n--) {
        const value = ops.length + 5000;
        const dice = r(10);
        if (dice < 6) ops.push({ side: 'sys', kind: 'update', key: 1 + r(keyRange), value, flag: 'any', cpu });
        else if (dice < 8) ops.push({ side: 'sys', kind: 'lookup', key: recentKey(), cpu });
        else ops.push({ side: 'sys', kind: 'delete', key: recentKey(), cpu });
        const last = ops[ops.length - 1]!;
        if (last.kind === 'update') remember(last.key);
      }
    }
  }
  return ops;
}

interface DrivenCase {
  name: string;
  type: 'lru_hash' | 'lru_percpu_hash';
  maxEntries: number;
  noCommon: boolean;
  ops: POp[];
}

function drivenCases(): DrivenCase[] {
  const out: DrivenCase[] = [];
  const cpus = Math.min(NCPUS, 2);
  for (const type of ['lru_hash', 'lru_percpu_hash'] as const) {
    for (const noCommon of [false, true]) {
      for (const max of [3, 8, 64, 300]) {
        if (type === 'lru_percpu_hash' && max === 300) continue;
        const n = max >= 300 ? 4000 : max >= 64 ? 2000 : 800;
        const tag = `${type}${noCommon ? ' BPF_F_NO_COMMON_LRU' : ''} entries ${max}`;
        out.push({ name: `${tag}: ${n} program and syscall operations on CPU 0`, type, maxEntries: max, noCommon, ops: driven(max * 3 + 1, n, 2 * max + 2, 1) });
        if (cpus > 1) {
          out.push({ name: `${tag}: ${n} program and syscall operations on CPUs 0 and 1`, type, maxEntries: max, noCommon, ops: driven(max * 5 + 2, n, 2 * max + 2, cpus) });
        }
      }
    }
  }
  return out;
}

async function compareDriven(c: DrivenCase): Promise<void> {
  const flags = MapFlag.ZERO_SEED | (c.noCommon ? MapFlag.NO_COMMON_LRU : 0);
  const obj = buildDriver(c.type, c.maxEntries, flags);
  const pinDir = `${process.env['WXDP_BPFFS'] ?? '/sys/fs/bpf'}/wxdp_lru_${process.pid}_${pinDirs.length}`;
  mkdirSync(pinDir);
  pinDirs.push(pinDir);
  const load = spawnSync('bpftool', ['prog', 'load', obj, `${pinDir}/prog`, 'type', 'xdp', 'pinmaps', `${pinDir}/maps`], { encoding: 'utf8' });
  if (load.status !== 0) throw new Error(`bpftool prog load: ${load.stderr}`);
  const want = runKernelDriven(`${pinDir}/prog`, `${pinDir}/maps/lru`, c.ops);
  const kdump = kernelDump(`${pinDir}/maps/lru`);
  rmSync(pinDir, { recursive: true, force: true });

  const dp = await Datapath.create({ ncpus: NCPUS, cpu: 0 });
  const o = await dp.loadObject(obj);
  const m = o.map('lru');
  const prog = o.program('drive');
  const setRunCpu = (cpu: number) => dp.memory.view().setUint32(RUN_BASE + RUN.CPU, cpu, true);
  const got: Result[] = [];
  for (const run of runsOf(c.ops)) {
    if (run[0]!.side === 'sys') {
      got.push(...runWxdp(setRunCpu, m, run as Op[]));
      continue;
    }
    setRunCpu(run[0]!.cpu);
    const r = prog.testRun({ data: packet(run) });
    got.push(...packetResults(r.data, run.length));
  }
  const firstDiff = want.findIndex((w, i) => JSON.stringify(w) !== JSON.stringify(got[i]));
  expect(firstDiff === -1 ? 'all operations agree' : { at: firstDiff, op: c.ops[firstDiff], kernel: want[firstDiff], wxdp: got[firstDiff] })
    .toBe('all operations agree');
  expect(wxdpDump(m)).toEqual(kdump);
  expect(m.count).toBe(kdump.length);
}

const pinDirs: string[] = [];
afterAll(() => {
  for (const d of pinDirs) rmSync(d, { recursive: true, force: true });
});

describe.skipIf(DRIVER_SKIP !== undefined)(`LRU maps driven by a program match the kernel (${NCPUS} possible CPUs)`, () => {
  it.each(drivenCases().map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    await compareDriven(c);
  }, 60_000);
});

describe.skipIf(DRIVER_SKIP === undefined)('LRU maps driven by a program match the kernel', () => {
  it.skip(`skipped: ${DRIVER_SKIP}`, () => {});
});
