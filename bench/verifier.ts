// Verifier benchmark (`wxdp bench verifier [--object FILE.o]...`): for each program of programs/ (and of
// any object named with --object: katran's balancer, xdp-tools' programs, built by the user), the
// instructions wxdp's verifier processes and the time and memory it takes, beside the kernel verifier's
// own count and `verification time` for the same object, measured in the same run.
//
// wxdp's side verifies the program as loaded, with maps described from the object (shape, flags, frozen
// .rodata) at made-up addresses: no Datapath, so objects whose maps wxdp cannot create yet still verify.
// The kernel's side: bench/kernel_verify.c (libbpf, log level 4 = statistics only), compiled here when
// cc and libbpf-dev exist; else `bpftool -d prog loadall`, whose log level 7 inflates the kernel's time
// (noted in the header); neither without root (skipped, with the reason).

import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { defaultCacheDir } from '../src/cache/program_cache.js';
import { verifierProgType } from '../src/control/datapath.js';
import { globalFuncs } from '../src/control/func_args.js';
import { resolveKfuncs } from '../src/control/kfunc_calls.js';
import { configureObject, parseObject, resolveKconfig, tpBtfTarget, unsupportedProgram, type MapSpec, type ObjectConfig, type ObjectSpec, type ProgramSpec } from '../src/elf/index.js';
import { spinLockOffset, SPIN_LOCK_TYPES } from '../src/elf/spin_lock.js';
import { WxdpError } from '../src/errors.js';
import { encode, Ins, Jmp, Alu64, type Insn } from '../src/isa/index.js';
import { PseudoLd } from '../src/isa/opcodes.js';
import { kernelAvailability, writeBpfObject } from '../src/oracle/index.js';
import { verify, type VerifierMap, type VerifyOptions } from '../src/verifier/verifier.js';
import { projectRoot } from './project_root.js';

export interface VerifierRow {
  /** object:program */
  program: string;
  insns: number;
  /** wxdp's processed instructions, or null when it rejected the program. */
  processed: number;
  /** The best of wxdpReps verifications in one warm process. */
  wxdpMs: number;
  /** How many: 3 (1 with --quick), more while they took under WARM_BUDGET_MS (at most WARM_MAX_REPS). */
  wxdpReps: number;
  /** Growth of the process's resident memory over the first verification, MB. */
  wxdpMB: number;
  wxdpAccepted: boolean;
  kernelProcessed: number | null;
  kernelMs: number | null;
  kernelAccepted: boolean | null;
  /** wxdp / kernel, processed instructions. */
  processedRatio: number | null;
  /** wxdp / kernel, time. */
  ratio: number | null;
  /**
   * Programs of COLD_MIN_PROCESSED+ processed insns: the same verification as the first of a fresh process
   * (what one CLI command pays; wxdpMs is warmed up), ms and resident-memory growth, MB. Else null.
   */
  coldMs: number | null;
  coldMB: number | null;
  /** Why wxdp does not load this program (a program type or kfunc it lacks): not verified, not counted. */
  unsupported?: string;
}

/** Programs this large also get a cold measurement (a child process each). */
export const COLD_MIN_PROCESSED = 10_000;

interface KernelResult {
  processed: number;
  ms: number;
  accepted: boolean;
}

/** A parser-shaped program of about `n` instructions: bounds checks and loads at growing offsets. */
export function syntheticParser(n: number): Insn[] {
  const p: Insn[] = [
    Ins.ldx('w', 6, 1, 0), // r6 = data
    Ins.ldx('w', 7, 1, 4), // r7 = data_end
    Alu64.mov.imm(8, 0),
  ];
  const blocks = Math.floor((n - 5) / 6);
  const exitAt = 3 + blocks * 6;
  for (let b = 0; b < blocks; b++) {
    const at = p.length;
    p.push(Alu64.mov.reg(2, 6), Alu64.add.imm(2, b + 1), Jmp.jgt.reg(2, 7, exitAt - (at + 3)), Ins.ldx('b', 3, 6, b), Alu64.add.reg(8, 3), Jmp.jset.imm(8, 1 << 20, exitAt - (at + 6)));
  }
  p.push(Alu64.mov.imm(0, 2), Ins.exit());
  return p;
}

/** How the kernel side is measured in this run, or why it is not. */
export function kernelMethod(): { ok: true; tool: string; note: string } | { ok: false; reason: string } {
  const avail = kernelAvailability();
  if (!avail.ok) return { ok: false, reason: avail.reason };
  const tool = kernelVerifyTool();
  if (tool) return { ok: true, tool, note: 'libbpf, verifier log level 4 (bench/kernel_verify.c)' };
  return { ok: true, tool: 'bpftool', note: 'bpftool -d prog loadall: log level 7, which slows the kernel verifier (no cc/libbpf-dev to build bench/kernel_verify.c)' };
}

let toolPath: string | null | undefined;

/**
 * bench/kernel_verify.c, compiled once per source version into wxdp's cache directory (beside the program
 * cache's entries: nothing is left in the temporary directory), or the temporary one when that is not
 * writable.
 */
function kernelVerifyTool(): string | null {
  if (toolPath !== undefined) return toolPath;
  toolPath = null;
  const src = join(projectRoot(), 'bench', 'kernel_verify.c');
  if (!existsSync(src)) return null;
  const hash = createHash('sha256').update(readFileSync(src)).digest('hex').slice(0, 16);
  let dir = join(defaultCacheDir(), 'tools', `kernel_verify-${hash}`);
  try {
    mkdirSync(dir, { recursive: true });
  } catch {
    dir = join(tmpdir(), `wxdp-kernel-verify-${hash}`);
    mkdirSync(dir, { recursive: true });
  }
  const bin = join(dir, 'kernel_verify');
  if (existsSync(bin)) return (toolPath = bin);
  const tmp = `${bin}.${process.pid}`;
  const r = spawnSync('cc', ['-O2', '-o', tmp, src, '-lbpf'], { encoding: 'utf8' });
  if (r.status !== 0) return null;
  renameSync(tmp, bin);
  return (toolPath = bin);
}

function kernelResults(obj: Uint8Array | string, args: readonly string[] = [], kconfig?: string): Map<string, KernelResult> | null {
  const how = kernelMethod();
  if (!how.ok) return null;
  // bpftool cannot set max_entries, initial values or kconfig text before load
  if ((args.length || kconfig !== undefined) && how.tool === 'bpftool') return null;
  const dir = mkdtempSync(join(tmpdir(), 'wxdp-vbench-'));
  try {
    let path = obj as string;
    if (typeof obj !== 'string') writeFileSync((path = join(dir, 'p.o')), obj);
    const out = new Map<string, KernelResult>();
    if (how.tool !== 'bpftool') {
      const kargs = [...args];
      if (kconfig !== undefined) {
        writeFileSync(join(dir, 'kconfig'), kconfig);
        kargs.push('-k', join(dir, 'kconfig'));
      }
      const text = execFileSync(how.tool, [path, ...kargs], { encoding: 'utf8', maxBuffer: 1 << 24 });
      for (const line of text.split('\n')) {
        const m = /^(\S+) (\d+) (\d+) (accepted|rejected)$/.exec(line);
        if (m) out.set(m[1]!, { processed: Number(m[2]), ms: Number(m[3]) / 1000, accepted: m[4] === 'accepted' });
      }
      return out;
    }
    // bpftool names no program in its log: results come in the object's program order.
    const pin = join('/sys/fs/bpf', `wxdp_vbench_${process.pid}`);
    try {
      const text = execFileSync('sh', ['-c', `bpftool -d prog loadall "${path}" "${pin}" 2>&1; true`], { encoding: 'utf8', maxBuffer: 1 << 30 });
      const names = parseObject(readFileSync(path), { path }).programs.map((p) => p.name);
      const processed = [...text.matchAll(/processed (\d+) insns/g)].map((m) => Number(m[1]));
      const times = [...text.matchAll(/verification time (\d+) usec/g)].map((m) => Number(m[1]) / 1000);
      names.forEach((n, i) => {
        if (processed[i] !== undefined) out.set(n, { processed: processed[i]!, ms: times[i] ?? NaN, accepted: true });
      });
      return out;
    } finally {
      rmSync(pin, { recursive: true, force: true });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A program as loaded, for the verifier alone: ld_imm64 map references patched to made-up, distinct
 * addresses; the maps as the verifier sees them (shape, program-side read-only, a frozen .rodata's bytes).
 */
export function verifierInput(spec: ObjectSpec, prog: ProgramSpec): { insns: Insn[]; opts: VerifyOptions } {
  // a struct bpf_spin_lock in the values, as applySpinLocks finds it for a loaded object
  const lockOff = (t: MapSpec): number => {
    const off = SPIN_LOCK_TYPES.includes(t.type) ? spinLockOffset(spec.btf, t.valueTypeId) : -1;
    return typeof off === 'number' ? off : -1;
  };
  const maps: VerifierMap[] = spec.maps.map((m, i) => {
    const address = 0x100000 + i * 0x100000;
    const v: VerifierMap = { name: m.name, type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, address, valueAddress: address + 0x100, readonly: !!m.readonly };
    // frozen at load (Datapath.createMap freezes read-only maps): .rodata and the resolved .kconfig
    if (m.readonly && (m.kind === 'rodata' || m.kind === 'kconfig') && m.data && m.maxEntries === 1) v.frozenValue = m.data;
    v.spinLockOff = lockOff(m);
    // array_of_maps / hash_of_maps: lookups return the inner map, checked against its template.
    const t = m.innerMap;
    if (t) v.inner = { name: t.name, type: t.type, keySize: t.keySize, valueSize: t.valueSize, maxEntries: t.maxEntries, spinLockOff: lockOff(t) };
    return v;
  });
  const byName = new Map(maps.map((m) => [m.name, m]));
  const insns = prog.insns.map((i) => ({ ...i }));
  for (const r of prog.mapRefs) {
    const m = byName.get(r.map);
    const ins = insns[r.index];
    if (!m || !ins) continue;
    ins.src = r.kind === 'fd' ? PseudoLd.MAP_FD : PseudoLd.MAP_VALUE;
    ins.imm64 = BigInt(r.kind === 'fd' ? m.address : m.valueAddress + r.offset);
  }
  // as Program.load verifies it: kfuncs resolved, the program type and attach type, a tp_btf target
  resolveKfuncs(prog, insns);
  const tracepoint = tpBtfTarget(prog.section);
  return {
    insns,
    opts: {
      maps,
      name: prog.name,
      progType: verifierProgType(prog),
      lineInfo: prog.lineInfo,
      globalFuncs: spec.btf ? globalFuncs(prog, spec.btf, verifierProgType(prog)) : [],
      ...(prog.attachType !== undefined ? { attachType: prog.attachType } : {}),
      ...(prog.type === 'tracing' ? { tracepoint: tracepoint ?? '' } : {}),
    },
  };
}

/**
 * Warm time: the best of `reps` verifications, and of more while they have taken under WARM_BUDGET_MS
 * (at most WARM_MAX_REPS): V8 optimises the verifier's paths a program is the first to use only after
 * they have run a few times (loop_csum's bpf_loop callbacks: 29.8 ms the first time, 2.4 from the 15th;
 * a 27-instruction sk_lookup program is still warming up at its 40th: 70 µs, 20 µs by the 3000th), so a
 * small program's first three verifications measured V8's warm-up, not the walk. The first one is
 * reported apart as cold (coldVerify, a fresh process) for the programs that take long enough to matter.
 */
const WARM_BUDGET_MS = 250;
const WARM_MAX_REPS = 400;

function measure(insns: readonly Insn[], opts: VerifyOptions, reps: number): { processed: number; ms: number; mb: number; accepted: boolean; reps: number } {
  let processed = 0;
  let accepted = true;
  let ms = Infinity;
  let mb = 0;
  const start = performance.now();
  let i = 0;
  for (; i < reps || (reps > 1 && i < WARM_MAX_REPS && performance.now() - start < WARM_BUDGET_MS); i++) {
    const rss0 = process.memoryUsage().rss;
    const t0 = performance.now();
    try {
      processed = verify(insns, opts).stats.insnsProcessed;
    } catch {
      accepted = false;
      processed = 0;
    }
    ms = Math.min(ms, performance.now() - t0);
    if (i === 0) mb = Math.max(0, (process.memoryUsage().rss - rss0) / 1e6);
  }
  return { processed, ms, mb, accepted, reps: i };
}

function row(program: string, insns: number, w: ReturnType<typeof measure>, k: KernelResult | undefined): VerifierRow {
  return {
    program,
    insns,
    processed: w.processed,
    wxdpMs: w.ms,
    wxdpReps: w.reps,
    wxdpMB: w.mb,
    wxdpAccepted: w.accepted,
    kernelProcessed: k?.processed ?? null,
    kernelMs: k?.ms ?? null,
    kernelAccepted: k?.accepted ?? null,
    processedRatio: k && k.processed && w.processed ? w.processed / k.processed : null,
    ratio: k && k.ms ? w.ms / k.ms : null,
    coldMs: null,
    coldMB: null,
  };
}

/**
 * The part of `config` that applies to `spec`: the maps and variables it has (one setting serves
 * every --object that has the name, as the same settings serve xdp-bench's several objects).
 */
export function configFor(spec: ObjectSpec, config: BenchConfig): BenchConfig {
  const maxEntries = Object.entries(config.maxEntries ?? {}).filter(([name]) => spec.maps.some((m) => m.name === name || m.innerMap?.name === name));
  const globals = Object.entries(config.globals ?? {}).filter(([name, value]) => {
    try {
      configureObject(spec, { globals: { [name]: value } });
      return true;
    } catch (e) {
      if (e instanceof WxdpError && e.code === 'NOT_FOUND') return false;
      throw e;
    }
  });
  return {
    ...(maxEntries.length ? { maxEntries: Object.fromEntries(maxEntries) } : {}),
    ...(globals.length ? { globals: Object.fromEntries(globals) } : {}),
    ...(config.kconfig !== undefined && spec.maps.some((m) => m.kind === 'kconfig') ? { kconfig: config.kconfig } : {}),
    ...(config.programType !== undefined ? { programType: config.programType } : {}),
  };
}

/** What Program.load verifies: the object configured (max_entries, globals), then its .kconfig filled in. */
export function benchSpec(parsed: ObjectSpec, config: BenchConfig): ObjectSpec {
  return resolveKconfig(configureObject(parsed, config), config.kconfig);
}

/** A loader's settings, as the command line gives them to bench verifier. */
export type BenchConfig = ObjectConfig & { kconfig?: string };

/** bench/kernel_verify.c's options for the same settings: -e MAP=N, and -s MAP=HEX for each global data map they change. */
function kernelConfigArgs(spec: ObjectSpec, configured: ObjectSpec, config: ObjectConfig): string[] {
  const args = Object.entries(config.maxEntries ?? {}).flatMap(([name, n]) => ['-e', `${name}=${n}`]);
  if (config.programType !== undefined) args.push('-t', config.programType);
  configured.maps.forEach((m, i) => {
    // .kconfig is libbpf's to fill in (from -k, else the running kernel's config)
    if (m.kind === 'kconfig') return;
    const before = spec.maps[i]!.data;
    if (m.data && (!before || !Buffer.from(before).equals(Buffer.from(m.data)))) args.push('-s', `${m.name}=${Buffer.from(m.data).toString('hex')}`);
  });
  return args;
}

/** JSON with bigints (a --global past 2^53) kept: { "$bigint": "…" }. */
const toJson = (v: unknown) => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? { $bigint: x.toString() } : x));
const fromJson = (s: string): unknown => JSON.parse(s, (_k, x: unknown) => (x && typeof x === 'object' && '$bigint' in x ? BigInt((x as { $bigint: string }).$bigint) : x));

export async function runVerifierBench(
  opts: { quick?: boolean; log?: (s: string) => void; only?: string; objects?: readonly string[]; config?: BenchConfig } = {},
): Promise<VerifierRow[]> {
  const root = projectRoot();
  const rows: VerifierRow[] = [];
  const reps = opts.quick ? 1 : 3;
  const synth = syntheticParser(1000);
  // Warm V8 up on the verifier first (a load in a running service is not the process's first).
  for (let i = 0; i < 5; i++) verify(synth);
  if (!opts.only || 'synthetic_parser_1000'.includes(opts.only)) {
    opts.log?.(`verifier: synthetic parser (${synth.length} insns)\n`);
    const k = kernelResults(writeBpfObject([{ name: 'synthetic', section: 'xdp', insns: encode(synth) }], { license: 'GPL' }));
    rows.push(row('synthetic_parser_1000', synth.length, measure(synth, {}, reps), k?.get('synthetic')));
  }
  const used = new Set<string>();
  let kconfigUsed = false;
  const files = [
    ...readdirSync(join(root, 'programs')).filter((x) => x.endsWith('.o')).sort().map((f) => join(root, 'programs', f)),
    ...(opts.objects ?? []),
  ];
  for (const path of files) {
    const f = basename(path);
    const stem = f.replace(/\.o$/, '');
    // --only NAME: an object whose file name holds it (every program), or the rows OBJ:PROG that do
    const wholeObject = !opts.only || f.includes(opts.only);
    const parsed = parseObject(readFileSync(path), { path });
    if (!wholeObject && !parsed.programs.some((p) => `${stem}:${p.name}`.includes(opts.only!))) continue;
    opts.log?.(`verifier: ${f}\n`);
    const config = configFor(parsed, opts.config ?? {});
    for (const name of [...Object.keys(config.maxEntries ?? {}), ...Object.keys(config.globals ?? {})]) used.add(name);
    kconfigUsed ||= config.kconfig !== undefined;
    const spec = benchSpec(parsed, config);
    const k = kernelResults(path, kernelConfigArgs(parsed, spec, config), config.kconfig);
    for (const p of spec.programs) {
      const label = `${stem}:${p.name}`;
      if (!wholeObject && !label.includes(opts.only!)) continue;
      const size = p.insns.filter((x) => !x.isLdImm64Tail).length;
      // a program wxdp does not load (its type, a kfunc it lacks) is reported as such, not verified as XDP
      let input: ReturnType<typeof verifierInput>;
      try {
        const why = unsupportedProgram(p);
        if (why !== undefined) throw new WxdpError('PROG_UNSUPPORTED', why);
        input = verifierInput(spec, p);
      } catch (e) {
        if (!(e instanceof WxdpError) || e.code !== 'PROG_UNSUPPORTED') throw e;
        rows.push({ ...row(label, size, { processed: 0, ms: 0, mb: 0, accepted: false, reps: 0 }, k?.get(p.name)), ratio: null, unsupported: e.message });
        continue;
      }
      const { insns, opts: vopts } = input;
      const r = row(label, size, measure(insns, vopts, reps), k?.get(p.name));
      if (r.wxdpAccepted && r.processed >= COLD_MIN_PROCESSED) Object.assign(r, coldVerify(path, p.name, config));
      rows.push(r);
    }
  }
  const unused = [...Object.keys(opts.config?.maxEntries ?? {}), ...Object.keys(opts.config?.globals ?? {})].filter((n) => !used.has(n));
  if (unused.length && rows.length) throw new WxdpError('USAGE', `no object measured has ${unused.map((n) => `'${n}'`).join(', ')} (--max-entries / --global)`);
  if (opts.config?.kconfig !== undefined && !kconfigUsed && rows.length) throw new WxdpError('USAGE', 'no object measured has __kconfig externs (--kconfig)');
  return rows;
}

/**
 * Verifies `program` of the object at `path` once in a fresh Node process (this module loaded, nothing
 * verified before): the time and resident-memory growth of that first verification.
 */
function coldVerify(path: string, program: string, config: BenchConfig = {}): { coldMs: number; coldMB: number } | Record<string, never> {
  // The unbundled module when built (a bundle's chunk renames its exports), else this one.
  const built = join(projectRoot(), 'dist', 'bench', 'verifier.js');
  const self = existsSync(built) ? pathToFileURL(built).href : import.meta.url;
  const code =
    `const m = await import(${JSON.stringify(self)});` +
    `process.stdout.write(JSON.stringify(m.verifyOnce(${JSON.stringify(path)}, ${JSON.stringify(program)}, ${JSON.stringify(toJson(config))})));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8' });
  if (r.status !== 0) return {};
  const o = JSON.parse(r.stdout) as { ms: number; mb: number };
  return { coldMs: o.ms, coldMB: o.mb };
}

/** One verification of `program` (coldVerify's child side): ms and resident-memory growth, MB. */
export function verifyOnce(path: string, program: string, config = '{}'): { ms: number; mb: number } {
  const spec = benchSpec(parseObject(readFileSync(path), { path }), fromJson(config) as BenchConfig);
  const p = spec.programs.find((x) => x.name === program)!;
  const { insns, opts } = verifierInput(spec, p);
  const rss0 = process.memoryUsage().rss;
  const t0 = performance.now();
  verify(insns, opts);
  const ms = performance.now() - t0;
  return { ms, mb: Math.max(0, (process.memoryUsage().rss - rss0) / 1e6) };
}

export function formatVerifierTable(rows: readonly VerifierRow[]): string {
  const head = ['program', 'insns', 'processed', 'kernel', 'ratio', 'wxdp ms', 'MB', 'cold ms', 'MB', 'kernel ms', 'ratio', 'verdicts'];
  const x = (v: number | null) => (v === null ? '—' : `${v.toFixed(2)}×`);
  const verdict = (r: VerifierRow) =>
    r.unsupported !== undefined ? 'wxdp: not supported'
    : r.kernelAccepted === null ? (r.wxdpAccepted ? 'accept' : 'reject')
    : r.kernelAccepted === r.wxdpAccepted ? 'same'
    : `DIFFER (wxdp ${r.wxdpAccepted ? 'accepts' : 'rejects'})`;
  const body = rows.map((r) => [
    r.program,
    `${r.insns}`,
    r.unsupported !== undefined ? '—' : r.wxdpAccepted ? `${r.processed}` : 'rejected',
    r.kernelProcessed === null ? '—' : `${r.kernelProcessed}`,
    x(r.processedRatio),
    r.unsupported !== undefined ? '—' : r.wxdpMs.toFixed(1),
    r.unsupported !== undefined ? '—' : r.wxdpMB.toFixed(0),
    r.coldMs === null ? '—' : r.coldMs.toFixed(0),
    r.coldMB === null ? '—' : r.coldMB.toFixed(0),
    r.kernelMs === null ? '—' : r.kernelMs.toFixed(1),
    x(r.ratio),
    verdict(r),
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (c: string[]) => c.map((v, i) => (i === 0 || i === c.length - 1 ? v.padEnd(w[i]!) : v.padStart(w[i]!))).join('  ');
  return [line(head), ...body.map(line)].join('\n') + '\n';
}

export interface StartupResult {
  /** `node -e 0`: the runtime alone, this run. */
  nodeMs: number;
  /** A cached `wxdp prog run` through bin/ (the bundle when built). */
  cachedRunMs: number;
  /** The same through the unbundled modules (WXDP_NO_BUNDLE=1). */
  modulesMs: number;
  bundled: boolean;
}

/**
 * Start-up: wall time of a cached `wxdp prog run programs/xdp_pass_drop.o` (the cache filled by a first
 * run in a fresh directory), median of `runs`, beside `node -e 0` and the unbundled modules, same run.
 */
export function runStartupBench(runs = 5): StartupResult {
  const root = projectRoot();
  const dir = mkdtempSync(join(tmpdir(), 'wxdp-startup-'));
  try {
    const pkt = join(dir, 'pkt.bin');
    writeFileSync(pkt, new Uint8Array(64));
    const env = { ...process.env, WXDP_CACHE_DIR: join(dir, 'cache') };
    const wxdp = [join(root, 'bin', 'wxdp.js'), 'prog', 'run', join(root, 'programs', 'xdp_pass_drop.o'), 'data_in', pkt];
    const time = (args: string[], e: NodeJS.ProcessEnv): number => {
      const t: number[] = [];
      for (let i = 0; i < runs; i++) {
        const t0 = performance.now();
        const r = spawnSync(process.execPath, args, { env: e, stdio: 'ignore' });
        if (r.status !== 0) throw new Error(`startup bench: ${args.join(' ')} exited ${r.status}`);
        t.push(performance.now() - t0);
      }
      return t.sort((a, b) => a - b)[Math.floor(runs / 2)]!;
    };
    spawnSync(process.execPath, wxdp, { env, stdio: 'ignore' }); // fills the cache
    return {
      nodeMs: time(['-e', '0'], env),
      cachedRunMs: time(wxdp, env),
      modulesMs: time(wxdp, { ...env, WXDP_NO_BUNDLE: '1' }),
      bundled: existsSync(join(root, 'dist', 'src', 'bundle', 'cli.js')),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatStartup(s: StartupResult): string {
  return (
    `start-up: cached wxdp prog run ${s.cachedRunMs.toFixed(0)} ms${s.bundled ? ' (bundle)' : ' (no bundle built)'}, ` +
    `unbundled ${s.modulesMs.toFixed(0)} ms, node -e 0 ${s.nodeMs.toFixed(0)} ms (same run; medians) — ` +
    `target ≤ 300 ms: ${s.cachedRunMs <= 300 ? 'met' : 'NOT met'}\n`
  );
}
