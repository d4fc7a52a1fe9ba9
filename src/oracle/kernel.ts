// The running Linux kernel as an oracle: load an object with `bpftool prog loadall` (libbpf + the
// kernel's verifier), run it with BPF_PROG_TEST_RUN through `bpftool -j prog run`, and compare.
//
// Everything goes through the bpftool binary (spawnSync), so there is no native addon: the price is
// one process per command, about 5–10 ms. Each loaded object lives in its own pin directory
// `/sys/fs/bpf/wxdp_<pid>_<n>_<rand>/<program name>` plus a temp directory for the object and the
// data files; `close()` removes both, and an exit hook removes whatever a caller forgot.
//
// What the kernel imposes (6.x):
//  - XDP test runs need at least ETH_HLEN (14) bytes of data and at most about a page minus headroom
//    and skb_shared_info (~3.5 KiB); anything else is EINVAL (KERNEL_RUN here).
//  - BPF_PROG_TEST_RUN reports r0 truncated to 32 bits (`retval` is a u32).
//  - `duration` is the kernel's average over `repeat` runs in whole nanoseconds.

import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WxdpError } from '../errors.js';
import { Alu64, encode, Ins, type Insn } from '../isa/insn.js';
import { writeBpfObject } from './bpf_object.js';
import { returnHigh32, wrapForXdp, XDP_MIN_DATA } from './xdp_wrapper.js';

export { entryFunctionEnd, returnHigh32, wrapForXdp, XDP_MIN_DATA, XDP_WRAP_SHORT_PACKET } from './xdp_wrapper.js';

export type KernelAvailability = { ok: true } | { ok: false; reason: string };

/** The kernel (libbpf or its verifier) refused to load a program. `log` holds the verifier's log. */
export class KernelRejected extends WxdpError {
  /** The verifier log the kernel returned (between libbpf's BEGIN/END PROG LOAD LOG markers), or libbpf's own messages when the kernel was never asked. */
  readonly log: string;
  /** Everything bpftool printed on stderr. */
  readonly output: string;
  constructor(what: string, log: string, output: string) {
    super('KERNEL_REJECTED', `kernel rejected ${what}: ${summarizeLog(log)}`);
    this.log = log;
    this.output = output;
  }
}

export interface KernelRunOptions {
  /** Packet bytes (XDP: 14 bytes at least). */
  data: Uint8Array;
  /** Runs in one BPF_PROG_TEST_RUN call; the reported duration is their average. Default 1. */
  repeat?: number;
  /** Context in (XDP: a `struct xdp_md`, 24 bytes, with data/data_end zero). */
  ctx?: Uint8Array;
}

export interface KernelRunResult {
  /** r0 at exit, low 32 bits only (the kernel reports a u32). */
  retval: number;
  /** The packet after the run (as the program left it, including adjust_head/tail). */
  data: Uint8Array;
  /** Kernel-measured average time per run, whole nanoseconds. */
  durationNs: number;
  /** Context out, when `ctx` was given. */
  ctx?: Uint8Array;
}

export interface KernelLoadOptions {
  /** Program type for every program in the object (bpftool's `type` argument). Default 'xdp'. */
  type?: string;
}

const PIN_ROOT = process.env['WXDP_BPFFS'] ?? '/sys/fs/bpf';

// ---- Availability ----

let availability: KernelAvailability | undefined;

/**
 * Can this process use the kernel as an oracle? Checks, in order: WXDP_NO_KERNEL, bpftool on PATH, a
 * mounted bpffs (mounting it when root), and that a trivial XDP program loads and returns 2. Cached.
 */
export function kernelAvailability(): KernelAvailability {
  availability ??= probeAvailability();
  return availability;
}

function probeAvailability(): KernelAvailability {
  if (process.platform !== 'linux') return { ok: false, reason: `the kernel oracle needs Linux (this is ${process.platform})` };
  if (process.env['WXDP_NO_KERNEL']) return { ok: false, reason: 'WXDP_NO_KERNEL is set' };
  const uid = process.getuid?.() ?? -1;
  const root = uid === 0;
  const tool = bpftoolPath();
  if (!tool) return { ok: false, reason: 'bpftool not found on PATH (nor /usr/sbin, /usr/local/sbin); install bpftool or set WXDP_BPFTOOL' };
  const fs = ensureBpffs(root);
  if (!fs.ok) return fs;
  try {
    const prog = loadKernelInsns([Alu64.mov.imm(0, 2), Ins.exit()], { name: 'wxdp_probe' });
    try {
      const r = prog.run({ data: new Uint8Array(64) });
      if (r.retval !== 2) return { ok: false, reason: `probe program returned ${r.retval}, expected 2` };
    } finally {
      prog.close();
    }
  } catch (e) {
    const msg = e instanceof Error ? e.message.split('\n')[0] : String(e);
    return {
      ok: false,
      reason: `cannot load a trivial XDP program${root ? '' : ` (not root, uid ${uid}: loading needs CAP_BPF and CAP_NET_ADMIN)`}: ${msg}`,
    };
  }
  return { ok: true };
}

let bpftool: string | null | undefined;
function bpftoolPath(): string | null {
  if (bpftool !== undefined) return bpftool;
  const candidates = [process.env['WXDP_BPFTOOL'] ?? 'bpftool', '/usr/sbin/bpftool', '/usr/local/sbin/bpftool'];
  bpftool = null;
  for (const c of candidates) {
    const r = spawnSync(c, ['version'], { encoding: 'utf8' });
    if (!r.error && r.status === 0) {
      bpftool = c;
      break;
    }
  }
  return bpftool;
}

function ensureBpffs(root: boolean): KernelAvailability {
  if (bpffsMounted()) return { ok: true };
  if (!root) return { ok: false, reason: `no bpf filesystem mounted at ${PIN_ROOT}, and not root to mount it` };
  try {
    mkdirSync(PIN_ROOT, { recursive: true });
  } catch {
    // /sys/fs/bpf exists on every kernel with CONFIG_BPF_SYSCALL; mount reports the real problem
  }
  const r = spawnSync('mount', ['-t', 'bpf', 'bpf', PIN_ROOT], { encoding: 'utf8' });
  if (r.error || r.status !== 0 || !bpffsMounted()) {
    return { ok: false, reason: `mounting bpffs at ${PIN_ROOT} failed: ${(r.stderr || r.error?.message || '').trim()}` };
  }
  return { ok: true };
}

function bpffsMounted(): boolean {
  try {
    return readFileSync('/proc/mounts', 'utf8')
      .split('\n')
      .some((line) => {
        const f = line.split(' ');
        return f[1] === PIN_ROOT && f[2] === 'bpf';
      });
  } catch {
    return false;
  }
}

// ---- Loading ----

/** Every pin directory and temp directory still alive, removed at process exit. */
const live = new Set<string>();
let exitHook = false;
function track(path: string): void {
  live.add(path);
  if (!exitHook) {
    exitHook = true;
    process.once('exit', () => {
      for (const p of live) rmSync(p, { recursive: true, force: true });
    });
  }
}
function untrack(path: string): void {
  rmSync(path, { recursive: true, force: true });
  live.delete(path);
}

let serial = 0;

/** A load in progress: the temp directory holding the object, the pin directory bpftool will create. */
interface LoadPlan {
  workDir: string;
  objPath: string;
  pinDir: string;
  what: string;
  args: string[];
}

function planLoad(obj: Uint8Array | string, opts: KernelLoadOptions): LoadPlan {
  const workDir = mkdtempSync(join(tmpdir(), 'wxdp-oracle-'));
  track(workDir);
  let objPath: string;
  if (typeof obj === 'string') {
    objPath = obj;
  } else {
    objPath = join(workDir, 'prog.o');
    writeFileSync(objPath, obj);
  }
  const pinDir = join(PIN_ROOT, `wxdp_${process.pid}_${serial++}_${Math.random().toString(36).slice(2, 8)}`);
  track(pinDir);
  return {
    workDir,
    objPath,
    pinDir,
    what: typeof obj === 'string' ? obj : 'object',
    args: ['prog', 'loadall', objPath, pinDir, 'type', opts.type ?? 'xdp'],
  };
}

/** Turn a failed `prog loadall` into KernelRejected (after removing what the plan created). */
function rejected(plan: LoadPlan, stderr: string, output: unknown): KernelRejected {
  untrack(plan.pinDir);
  untrack(plan.workDir);
  const o = output as Record<string, unknown> | undefined;
  const why = typeof o?.['error'] === 'string' ? o['error'] : '';
  return new KernelRejected(plan.what, verifierLog(stderr) ?? libbpfMessages(stderr, why), stderr);
}

/** The object for a plan whose `prog loadall` succeeded. */
function loaded(plan: LoadPlan): KernelObject {
  let names: string[];
  try {
    names = readdirSync(plan.pinDir).sort();
  } catch (e) {
    untrack(plan.pinDir);
    untrack(plan.workDir);
    throw new WxdpError('KERNEL_RUN', `bpftool loaded ${plan.objPath} but pinned nothing under ${plan.pinDir}`, { cause: e });
  }
  return new KernelObject(plan.pinDir, plan.workDir, names);
}

/** A test run in progress: its bpftool arguments and the files they name. */
interface RunPlan {
  args: string[];
  files: { dataIn: string; dataOut: string; ctxIn: string; ctxOut: string };
  pinPath: string;
  opts: KernelRunOptions;
}

function planRun(pinPath: string, workDir: string, tagName: string, opts: KernelRunOptions): RunPlan {
  const repeat = opts.repeat ?? 1;
  if (!Number.isInteger(repeat) || repeat < 1 || repeat > 0xffffffff) {
    throw new WxdpError('USAGE', `run: repeat ${repeat} is not an integer in [1, 2^32)`);
  }
  const tag = join(workDir, `${tagName}_${serial++}`);
  const files = { dataIn: `${tag}.data_in`, dataOut: `${tag}.data_out`, ctxIn: `${tag}.ctx_in`, ctxOut: `${tag}.ctx_out` };
  writeFileSync(files.dataIn, opts.data);
  const args = ['prog', 'run', 'pinned', pinPath, 'data_in', files.dataIn, 'data_out', files.dataOut];
  if (opts.ctx) {
    writeFileSync(files.ctxIn, opts.ctx);
    args.push('ctx_in', files.ctxIn, 'ctx_out', files.ctxOut);
  }
  args.push('repeat', String(repeat));
  return { args, files, pinPath, opts };
}

/** Read a run's results (and remove its files). `output` is bpftool's JSON for the command. */
function finishRun(plan: RunPlan, output: unknown, failure: string): KernelRunResult {
  const { files, opts } = plan;
  try {
    const o = output as Record<string, unknown> | undefined;
    if (typeof o?.['retval'] !== 'number') {
      const why = typeof o?.['error'] === 'string' ? o['error'] : failure.trim();
      throw new WxdpError(
        'KERNEL_RUN',
        `BPF_PROG_TEST_RUN of ${plan.pinPath} with ${opts.data.length} bytes of data failed: ${why}` +
          (opts.data.length < 14 ? ' (XDP test runs need at least 14 bytes, ETH_HLEN)' : ''),
      );
    }
    const out: KernelRunResult = {
      retval: o['retval'] >>> 0,
      data: existsSync(files.dataOut) ? new Uint8Array(readFileSync(files.dataOut)) : new Uint8Array(0),
      durationNs: typeof o['duration'] === 'number' ? o['duration'] : NaN,
    };
    if (opts.ctx) out.ctx = existsSync(files.ctxOut) ? new Uint8Array(readFileSync(files.ctxOut)) : new Uint8Array(0);
    return out;
  } finally {
    removeRunFiles(plan);
  }
}

function removeRunFiles(plan: RunPlan): void {
  for (const f of Object.values(plan.files)) rmSync(f, { force: true });
}

/** The programs of one object, loaded and pinned. */
export class KernelObject {
  readonly pinDir: string;
  /** Program names (libbpf's: the entry function symbols), sorted. */
  readonly programNames: readonly string[];
  /** @internal */
  readonly workDir: string;
  private closed = false;

  /** @internal use loadKernelObject */
  constructor(pinDir: string, workDir: string, names: string[]) {
    this.pinDir = pinDir;
    this.workDir = workDir;
    this.programNames = names;
  }

  program(name: string): KernelProgram {
    if (!this.programNames.includes(name)) {
      throw new WxdpError('USAGE', `no program '${name}' in ${this.pinDir} (have: ${this.programNames.join(', ')})`);
    }
    return new KernelProgram(this, name, join(this.pinDir, name));
  }

  /** Unpin every program (the kernel frees them) and remove the temp files. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    untrack(this.pinDir);
    untrack(this.workDir);
  }

  /** @internal */
  assertOpen(): void {
    if (this.closed) throw new WxdpError('USAGE', `kernel object ${this.pinDir} is closed`);
  }
}

/** One loaded program, run through BPF_PROG_TEST_RUN. */
export class KernelProgram {
  readonly name: string;
  readonly pinPath: string;
  private readonly object: KernelObject;

  /** @internal use loadKernelProgram or KernelObject.program */
  constructor(object: KernelObject, name: string, pinPath: string) {
    this.object = object;
    this.name = name;
    this.pinPath = pinPath;
  }

  run(opts: KernelRunOptions): KernelRunResult {
    this.object.assertOpen();
    const plan = planRun(this.pinPath, this.object.workDir, this.name, opts);
    let r: SpawnSyncReturns<string>;
    try {
      r = runBpftool(['-j', ...plan.args]);
    } catch (e) {
      removeRunFiles(plan);
      throw e;
    }
    return finishRun(plan, parseJson(r.stdout), r.stderr || r.stdout);
  }

  /** Close the object this program came from (all its programs). */
  close(): void {
    this.object.close();
  }
}

/**
 * Load every program of an ELF object (bytes, or a path to a `.o`) and pin them under a fresh
 * directory. Throws KernelRejected with the verifier log when libbpf or the kernel refuses.
 */
export function loadKernelObject(obj: Uint8Array | string, opts: KernelLoadOptions = {}): KernelObject {
  const plan = planLoad(obj, opts);
  let r: SpawnSyncReturns<string>;
  try {
    r = runBpftool(['-j', ...plan.args]);
  } catch (e) {
    untrack(plan.pinDir);
    untrack(plan.workDir);
    throw e;
  }
  if (r.status !== 0) throw rejected(plan, r.stderr ?? '', parseJson(r.stdout));
  return loaded(plan);
}

/**
 * Load an object and return one program: `opts.name`, or the only program in it. `close()` on the
 * program closes the whole object.
 */
export function loadKernelProgram(obj: Uint8Array | string, opts: KernelLoadOptions & { name?: string } = {}): KernelProgram {
  const o = loadKernelObject(obj, opts);
  try {
    if (opts.name !== undefined) return o.program(opts.name);
    if (o.programNames.length !== 1) {
      throw new WxdpError('USAGE', `object holds ${o.programNames.length} programs (${o.programNames.join(', ')}); pass opts.name`);
    }
    return o.program(o.programNames[0]!);
  } catch (e) {
    o.close();
    throw e;
  }
}

/** Wrap an instruction stream (Insn[] or wire bytes) in an object and load it. Default name 'prog', section 'xdp'. */
export function loadKernelInsns(
  prog: readonly Insn[] | Uint8Array,
  opts: KernelLoadOptions & { name?: string; section?: string; license?: string } = {},
): KernelProgram {
  const name = opts.name ?? 'prog';
  const insns = prog instanceof Uint8Array ? prog : encode(prog);
  const obj = writeBpfObject([{ name, section: opts.section ?? 'xdp', insns }], opts.license ? { license: opts.license } : {});
  return loadKernelProgram(obj, { ...opts, name });
}

// ---- Conformance-style programs ----

export type KernelConformanceResult =
  | {
      accepted: true;
      /** r0 at exit; all 64 bits when `full64`, else only the low 32. */
      r0: bigint;
      /** False when the kernel accepted the program but not its `r0 >> 32` variant. */
      full64: boolean;
      /** The input memory after the run (stores the program made). */
      mem: Uint8Array;
      /** Kernel ns per run of the wrapped program (prologue included), over `repeat` runs. */
      durationNs: number;
    }
  | { accepted: false; log: string; error: KernelRejected };

/**
 * Run a conformance program (r1 = mem, r2 = mem length) in the kernel as XDP and return its full
 * 64-bit r0, or the verifier's refusal. Needs kernelAvailability().ok.
 *
 * Both variants (plain, and `r0 >> 32`) go into one object, and the load and both test runs into one
 * `bpftool batch`: one process, ~15 ms. If that object is rejected, the plain variant is loaded alone
 * so that the verdict and the log are the original program's.
 */
export function runConformanceInKernel(
  prog: readonly Insn[],
  mem: Uint8Array,
  opts: { repeat?: number } = {},
): KernelConformanceResult {
  const lo = wrapForXdp(prog, mem.length);
  const hi = returnHigh32(lo);
  const data = new Uint8Array(Math.max(mem.length, XDP_MIN_DATA));
  data.set(mem);
  const repeat = opts.repeat ?? 1;

  const plan = planLoad(
    writeBpfObject([
      { name: 'lo', section: 'xdp', insns: encode(lo) },
      { name: 'hi', section: 'xdp', insns: encode(hi) },
    ]),
    {},
  );
  const runLo = planRun(join(plan.pinDir, 'lo'), plan.workDir, 'lo', { data, repeat });
  const runHi = planRun(join(plan.pinDir, 'hi'), plan.workDir, 'hi', { data });
  let batch: { status: number | null; stderr: string; outputs: unknown[] };
  try {
    batch = runBpftoolBatch([plan.args, runLo.args, runHi.args], plan.workDir);
  } catch (e) {
    untrack(plan.pinDir);
    untrack(plan.workDir);
    throw e;
  }
  const [loadOut, loOut, hiOut] = batch.outputs;
  const loadFailed = loadOut === undefined || (loadOut !== null && typeof (loadOut as Record<string, unknown>)['error'] === 'string');
  if (!loadFailed) {
    const obj = loaded(plan);
    try {
      const low = finishRun(runLo, loOut, batch.stderr);
      const high = finishRun(runHi, hiOut, batch.stderr);
      const r0 = BigInt(low.retval) | (BigInt(high.retval) << 32n);
      return { accepted: true, r0, full64: true, mem: low.data.slice(0, mem.length), durationNs: low.durationNs };
    } finally {
      obj.close();
    }
  }
  rejected(plan, batch.stderr, loadOut); // cleans up; the plain variant's own verdict follows

  let obj: KernelObject;
  try {
    obj = loadKernelObject(writeBpfObject([{ name: 'lo', section: 'xdp', insns: encode(lo) }]));
  } catch (e) {
    if (!(e instanceof KernelRejected)) throw e;
    return { accepted: false, log: e.log, error: e };
  }
  try {
    const low = obj.program('lo').run({ data, repeat });
    return { accepted: true, r0: BigInt(low.retval), full64: false, mem: low.data.slice(0, mem.length), durationNs: low.durationNs };
  } finally {
    obj.close();
  }
}

// ---- bpftool plumbing ----

function runBpftool(args: string[]): SpawnSyncReturns<string> {
  const tool = bpftoolPath();
  if (!tool) throw new WxdpError('KERNEL_UNAVAILABLE', 'bpftool not found');
  const r = spawnSync(tool, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.error) throw new WxdpError('KERNEL_RUN', `bpftool ${args.join(' ')}: ${r.error.message}`, { cause: r.error });
  return r;
}

/**
 * Run several bpftool commands in one process (`bpftool -j batch file F`); bpftool stops at the first
 * failing command. Returns each executed command's JSON `output` (null for commands that print nothing).
 */
function runBpftoolBatch(cmds: string[][], workDir: string): { status: number | null; stderr: string; outputs: unknown[] } {
  for (const c of cmds) {
    for (const a of c) {
      // bpftool's batch parser splits on blanks and treats quotes, backslashes and '#' specially.
      if (/[\s"'\\#]/.test(a)) throw new WxdpError('USAGE', `bpftool batch: argument '${a}' needs quoting`);
    }
  }
  const file = join(workDir, `batch_${serial++}.txt`);
  writeFileSync(file, cmds.map((c) => c.join(' ')).join('\n') + '\n');
  try {
    const r = runBpftool(['-j', 'batch', 'file', file]);
    let outputs: unknown[] = [];
    try {
      const v: unknown = JSON.parse(r.stdout);
      if (Array.isArray(v)) outputs = v.map((e) => (e as { output?: unknown }).output ?? null);
    } catch {
      // no JSON at all: every output stays unknown and the caller reports stderr
    }
    return { status: r.status, stderr: r.stderr ?? '', outputs };
  } finally {
    rmSync(file, { force: true });
  }
}

function parseJson(s: string | null): Record<string, unknown> | undefined {
  if (!s) return undefined;
  try {
    const v: unknown = JSON.parse(s);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const LOG_BEGIN = '-- BEGIN PROG LOAD LOG --\n';
const LOG_END = '-- END PROG LOAD LOG --';

/** The kernel verifier's log as libbpf prints it: `libbpf: prog 'x': -- BEGIN PROG LOAD LOG --\n…-- END PROG LOAD LOG --`. */
function verifierLog(stderr: string): string | undefined {
  const b = stderr.indexOf(LOG_BEGIN);
  if (b < 0) return undefined;
  const e = stderr.indexOf(LOG_END, b);
  return stderr.slice(b + LOG_BEGIN.length, e < 0 ? undefined : e);
}

/** libbpf's own complaints, without bpftool's strict-mode banner. */
function libbpfMessages(stderr: string, bpftoolError: string): string {
  const lines = stderr
    .split('\n')
    .filter((l) => l.trim() !== '' && !/^Warning: bpftool is now running in libbpf strict mode|^If it used to work for this object file/.test(l));
  if (bpftoolError) lines.push(`bpftool: ${bpftoolError}`);
  return lines.join('\n') + '\n';
}

/** The line that says why: the one before `processed N insns`, else libbpf's first error, else its first line, else the last line. */
function summarizeLog(log: string): string {
  const lines = log.split('\n').filter((l) => l.trim() !== '');
  const p = lines.findIndex((l) => /^processed \d+ insns/.test(l));
  if (p > 0) return lines[p - 1]!;
  const libbpf = lines.filter((l) => l.startsWith('libbpf: '));
  return libbpf.find((l) => /error/i.test(l)) ?? libbpf[0] ?? lines[lines.length - 1] ?? '(no log)';
}
