// The running Linux kernel as an oracle: load an object with `bpftool prog loadall` (libbpf + the
// kernel's verifier), run it with BPF_PROG_TEST_RUN through `bpftool -j prog run`, and compare.
//
// Everything goes through the bpftool binary (spawnSync), so there is no native addon: the price is
// one process per command, about 5–10 ms. Each loaded object lives in its own pin directory
// `/sys/fs/bpf/wxdp_<pid>_<n>_<rand>/<program name>` plus a temp directory for the object and the
// data files; `close()` removes both, and an exit hook removes whatever a caller forgot.
//
// What the kernel imposes (6.x):
//  - XDP test runs need at least ETH_HLEN (14) bytes of data (else EINVAL, KERNEL_RUN here); past
//    3520 bytes (a page minus headroom and skb_shared_info) the rest goes to 4 KiB fragments, up to
//    MAX_SKB_FRAGS of them.
//  - BPF_PROG_TEST_RUN reports r0 truncated to 32 bits (`retval` is a u32).
//  - `duration` is the kernel's average over `repeat` runs in whole nanoseconds.

import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseObject } from '../elf/index.js';
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
  /**
   * Context in (XDP: a `struct xdp_md`, 24 bytes): data = metadata length, data_end = the linear data
   * length, data_meta and egress_ifindex 0 (see xdpContext()).
   */
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
  /**
   * Also pin every map of the object (bpftool's `pinmaps`), under a directory next to the programs', so
   * that KernelObject.map() can read and write them between runs. Pinning also keeps the maps alive
   * with a user reference: without it, a PROG_ARRAY that libbpf filled at load time is emptied as soon
   * as bpftool exits (the kernel clears prog arrays when their last user reference goes). An object
   * with LIBBPF_PIN_BY_NAME maps (xdp-filter's) has its programs' maps pinned there by id after the load
   * (bpftool's `pinmaps` refuses those); see KernelObject.reusedPins for a by-name pin that was already there.
   */
  pinMaps?: boolean;
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

/**
 * Does this kernel let an XDP program call helper `id`? A probe `call id` (the ctx in r1, 0 in r2..r5):
 * `{ ok: true }` unless the verifier refuses the helper itself (then its line is the reason). For a kernel-oracle test whose program needs a
 * helper a kernel build can lack (6.18.44-fc-v1300 refuses bpf_xdp_adjust_meta#54 with "program of this
 * type cannot use helper", which mainline and the v1272 build the recordings were made on allow): the
 * test skips with this reason instead of reading that kernel's refusal as wxdp's bug. Cached per helper.
 */
export function kernelXdpHelper(id: number): KernelAvailability {
  const known = helperProbes.get(id);
  if (known) return known;
  const avail = kernelAvailability();
  let r: KernelAvailability = avail;
  if (avail.ok) {
    try {
      const prog = loadKernelInsns(
        [Alu64.mov.imm(2, 0), Alu64.mov.imm(3, 0), Alu64.mov.imm(4, 0), Alu64.mov.imm(5, 0), Ins.call(id), Alu64.mov.imm(0, 2), Ins.exit()],
        { name: 'wxdp_helper_probe', license: 'GPL' },
      );
      prog.close();
      r = { ok: true };
    } catch (e) {
      // only a refusal of the helper itself says it is missing; one of the probe's arguments (a helper
      // that wants a map or a pointer in r1..r5) means the kernel has it
      const log = e instanceof KernelRejected ? `${e.message}\n${e.log}` : e instanceof Error ? e.message : String(e);
      const line = log.split('\n').find((l) => /cannot use helper|unknown func|invalid func/.test(l));
      r = line === undefined ? { ok: true } : { ok: false, reason: `this kernel refuses helper #${id} in an XDP program: ${line.trim()}` };
    }
  }
  helperProbes.set(id, r);
  return r;
}
const helperProbes = new Map<number, KernelAvailability>();

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
  /** libbpf's by-name pins the load creates (/sys/fs/bpf/NAME). */
  byName: string[];
  /** libbpf's by-name pins that were there before the load: libbpf reuses those maps, contents and all. */
  reused: string[];
  /** Where the maps are pinned, when asked (KernelLoadOptions.pinMaps). */
  mapDir?: string;
  /** The maps go into mapDir by id after the load (bpftool's `pinmaps` cannot pin a by-name map elsewhere). */
  pinById?: boolean;
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
  const plan: LoadPlan = {
    workDir,
    objPath,
    pinDir,
    what: typeof obj === 'string' ? obj : 'object',
    args: ['prog', 'loadall', objPath, pinDir, 'type', opts.type ?? 'xdp'],
    byName: [],
    reused: [],
  };
  // Maps declared with LIBBPF_PIN_BY_NAME are pinned by libbpf at /sys/fs/bpf/NAME whatever bpftool is
  // told: those the load will create (not there before) are removed with the object, never left behind.
  // One there before is reused by libbpf, with what earlier loads wrote into it (KernelObject.reusedPins).
  const declared = byNamePins(objPath);
  plan.byName = declared.filter((p) => !existsSync(p));
  plan.reused = declared.filter((p) => !plan.byName.includes(p));
  for (const p of plan.byName) track(p);
  if (opts.pinMaps) {
    plan.mapDir = `${pinDir}_maps`;
    track(plan.mapDir);
    // libbpf refuses `pinmaps DIR` for a map that has its by-name pin path ("already has pin path"):
    // such objects have their programs' maps pinned by id after the load instead.
    if (declared.length > 0) plan.pinById = true;
    else plan.args.push('pinmaps', plan.mapDir);
  }
  return plan;
}

/** libbpf's default pin paths of the object's LIBBPF_PIN_BY_NAME maps (none for an object it cannot parse). */
function byNamePins(objPath: string): string[] {
  try {
    return parseObject(readFileSync(objPath)).maps.filter((m) => m.pinning === 'by_name').map((m) => join('/sys/fs/bpf', m.name));
  } catch {
    return [];
  }
}

/** Remove everything a plan created (pins, maps, temp files). */
function unplan(plan: LoadPlan): void {
  untrack(plan.pinDir);
  if (plan.mapDir) untrack(plan.mapDir);
  for (const p of plan.byName) untrack(p);
  untrack(plan.workDir);
}

/** Turn a failed `prog loadall` into KernelRejected (after removing what the plan created). */
function rejected(plan: LoadPlan, stderr: string, output: unknown): KernelRejected {
  unplan(plan);
  const o = output as Record<string, unknown> | undefined;
  const why = typeof o?.['error'] === 'string' ? o['error'] : '';
  return new KernelRejected(plan.what, verifierLog(stderr) ?? libbpfMessages(stderr, why), stderr);
}

/** The object for a plan whose `prog loadall` succeeded. */
function loaded(plan: LoadPlan): KernelObject {
  let names: string[];
  let maps: KernelObjectMaps | undefined;
  try {
    names = readdirSync(plan.pinDir).sort();
    if (plan.pinById) pinMapsById(plan, names);
    if (plan.mapDir) {
      // An object without maps makes bpftool create no directory at all.
      const mapNames = existsSync(plan.mapDir) ? readdirSync(plan.mapDir).sort() : [];
      maps = { dir: plan.mapDir, names: mapNames, objName: libbpfObjectName(plan.objPath) };
    }
  } catch (e) {
    unplan(plan);
    throw new WxdpError('KERNEL_RUN', `bpftool loaded ${plan.objPath} but pinned nothing under ${plan.pinDir}`, { cause: e });
  }
  return new KernelObject(plan.pinDir, plan.workDir, names, maps, plan.byName, plan.reused);
}

/**
 * Pin the maps the loaded programs hold under plan.mapDir, each under libbpf's name with '.' as '_' (as
 * `pinmaps` names them; a name the kernel cut to 15 characters is completed from the object's maps). A
 * map no program uses is not there: without a pin the kernel freed it when bpftool exited.
 */
function pinMapsById(plan: LoadPlan, programs: readonly string[]): void {
  const dir = plan.mapDir!;
  mkdirSync(dir);
  let specNames: string[] = [];
  try {
    specNames = parseObject(readFileSync(plan.objPath)).maps.map((m) => m.name.replace(/\./g, '_'));
  } catch {
    // an object libbpf loads and wxdp cannot parse: the kernel's names as they are
  }
  const ids = new Set<number>();
  for (const p of programs) {
    const mapIds = parseJson(runBpftool(['-j', 'prog', 'show', 'pinned', join(plan.pinDir, p)]).stdout)?.['map_ids'];
    if (Array.isArray(mapIds)) for (const id of mapIds) if (typeof id === 'number') ids.add(id);
  }
  for (const id of ids) {
    const o = parseJson(runBpftool(['-j', 'map', 'show', 'id', String(id)]).stdout);
    if (!o || typeof o['name'] !== 'string') continue;
    let name = o['name'].replace(/\./g, '_');
    if (name.length === BPF_OBJ_NAME_LEN - 1) {
      const whole = specNames.filter((n) => n.startsWith(name));
      if (whole.length === 1) name = whole[0]!;
    }
    const r = runBpftool(['map', 'pin', 'id', String(id), join(dir, name)]);
    if (r.status !== 0) throw new WxdpError('KERNEL_RUN', `bpftool map pin id ${id} ${join(dir, name)}: ${bpftoolError(r)}`);
  }
}

/** libbpf's object name: the file name up to its first '.' ("xdp_lb.o" -> "xdp_lb"). */
function libbpfObjectName(objPath: string): string {
  const base = objPath.slice(objPath.lastIndexOf('/') + 1);
  const dot = base.indexOf('.');
  return dot < 0 ? base : base.slice(0, dot);
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

/** @internal The pinned maps of an object loaded with `pinMaps`. */
interface KernelObjectMaps {
  dir: string;
  /** File names under `dir`: libbpf's map names with '.' turned into '_' ("xdp_lb.rodata" -> "xdp_lb_rodata"). */
  names: string[];
  /** libbpf's object name, the prefix of internal map names. */
  objName: string;
}

/** The programs of one object, loaded and pinned. */
export class KernelObject {
  readonly pinDir: string;
  /** Program names (libbpf's: the entry function symbols), sorted. */
  readonly programNames: readonly string[];
  /** Pinned map names, sorted (empty unless loaded with `pinMaps`). libbpf names with '.' replaced by '_'. */
  readonly mapNames: readonly string[];
  /** Where the maps are pinned (loaded with `pinMaps`), else undefined. */
  readonly mapDir: string | undefined;
  /** @internal */
  readonly workDir: string;
  private readonly objName: string;
  private closed = false;

  /** @internal use loadKernelObject */
  /** The LIBBPF_PIN_BY_NAME pins this load created (removed with the object). */
  private readonly byName: readonly string[];
  /**
   * LIBBPF_PIN_BY_NAME pins (/sys/fs/bpf/NAME) that were there before the load: libbpf reused those maps,
   * so they hold what earlier loads (of any object declaring them) wrote and ran — state a fresh wxdp
   * load does not start with. Empty when every such map is this load's own.
   */
  readonly reusedPins: readonly string[];

  constructor(pinDir: string, workDir: string, names: string[], maps?: KernelObjectMaps, byName: readonly string[] = [], reusedPins: readonly string[] = []) {
    this.byName = byName;
    this.reusedPins = reusedPins;
    this.pinDir = pinDir;
    this.workDir = workDir;
    this.programNames = names;
    this.mapDir = maps?.dir;
    this.mapNames = maps?.names ?? [];
    this.objName = maps?.objName ?? '';
  }

  program(name: string): KernelProgram {
    if (!this.programNames.includes(name)) {
      throw new WxdpError('USAGE', `no program '${name}' in ${this.pinDir} (have: ${this.programNames.join(', ')})`);
    }
    return new KernelProgram(this, name, join(this.pinDir, name));
  }

  /**
   * One of the object's maps (the object must have been loaded with `pinMaps`), by its pinned name or
   * by its name in the ELF object: a declared map's name (`flows`), or a global-data section
   * (`.bss`, `.data`, `.rodata`, `.data.cfg`), which libbpf names `<object name prefix>.bss` etc.
   */
  map(name: string): KernelMap {
    this.assertOpen();
    if (this.mapDir === undefined) throw new WxdpError('USAGE', `kernel object ${this.pinDir} was loaded without pinMaps`);
    const pinned = this.resolveMapName(name);
    if (pinned === undefined) {
      throw new WxdpError('USAGE', `no map '${name}' in ${this.pinDir} (have: ${this.mapNames.join(', ') || 'none'})`);
    }
    return new KernelMap(this, pinned, join(this.mapDir, pinned));
  }

  private resolveMapName(name: string): string | undefined {
    if (this.mapNames.includes(name)) return name;
    const sanitized = name.replace(/\./g, '_');
    if (this.mapNames.includes(sanitized)) return sanitized;
    if (!name.startsWith('.')) return undefined;
    // libbpf (internal_map_name): "<obj name, at most 15 - max(7, len(section)) chars>.<section>",
    // except for custom sections with a second dot (".data.cfg"), which keep their own name.
    const sfx = Math.max(7, name.length);
    const prefix = this.objName.slice(0, Math.max(0, Math.min(BPF_OBJ_NAME_LEN - sfx - 1, this.objName.length)));
    const want = `${prefix}${name}`.replace(/\./g, '_');
    return this.mapNames.includes(want) ? want : undefined;
  }

  /** Unpin every program and map (the kernel frees them) and remove the temp files. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    untrack(this.pinDir);
    if (this.mapDir) untrack(this.mapDir);
    for (const p of this.byName) untrack(p);
    untrack(this.workDir);
  }

  /** @internal */
  assertOpen(): void {
    if (this.closed) throw new WxdpError('USAGE', `kernel object ${this.pinDir} is closed`);
  }
}

const BPF_OBJ_NAME_LEN = 16;

/** A map as the kernel describes it (`bpftool map show`). */
export interface KernelMapInfo {
  id: number;
  /** bpftool's type name: 'array', 'percpu_array', 'hash', 'lru_hash', 'lpm_trie', 'prog_array', 'devmap'… */
  type: string;
  /** The kernel's name (at most 15 characters). */
  name: string;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  frozen: boolean;
}

/** One map entry: `value` for ordinary maps, `values` (one per possible CPU, CPU 0 first) for per-CPU maps. */
export interface KernelMapEntry {
  key: Uint8Array;
  value?: Uint8Array;
  values?: Uint8Array[];
}

/** `bpftool map update` flags: BPF_ANY, BPF_NOEXIST, BPF_EXIST. */
export type KernelMapUpdateFlag = 'any' | 'noexist' | 'exist';

/**
 * One pinned map of a loaded object, read and written through bpftool. Frozen maps (`.rodata`) cannot
 * be opened through their pin (the kernel refuses a writable fd), so they are reached by id, found
 * through the map ids of the object's programs.
 */
export class KernelMap {
  /** The pinned name. */
  readonly name: string;
  readonly pinPath: string;
  private readonly object: KernelObject;
  private cachedInfo: KernelMapInfo | undefined;

  /** @internal use KernelObject.map */
  constructor(object: KernelObject, name: string, pinPath: string) {
    this.object = object;
    this.name = name;
    this.pinPath = pinPath;
  }

  info(): KernelMapInfo {
    this.object.assertOpen();
    if (this.cachedInfo) return this.cachedInfo;
    const r = runBpftool(['-j', 'map', 'show', 'pinned', this.pinPath]);
    const o = parseJson(r.stdout);
    if (r.status === 0 && o && typeof o['id'] === 'number') {
      this.cachedInfo = mapInfoOf(o);
      return this.cachedInfo;
    }
    const byId = this.findById();
    if (!byId) throw new WxdpError('KERNEL_RUN', `bpftool map show pinned ${this.pinPath}: ${bpftoolError(r)}`);
    this.cachedInfo = byId;
    return byId;
  }

  /** Every entry, in the order the kernel iterates them (hash maps: hash order, which varies per load). */
  dump(): KernelMapEntry[] {
    const target = this.target();
    const r = runBpftool(['-j', 'map', 'dump', ...target]);
    let v: unknown;
    try {
      v = JSON.parse(r.stdout);
    } catch {
      v = undefined;
    }
    if (r.status !== 0 || !Array.isArray(v)) {
      throw new WxdpError('KERNEL_RUN', `bpftool map dump ${target.join(' ')}: ${bpftoolError(r)}`);
    }
    return v.map((e: Record<string, unknown>) => {
      const entry: KernelMapEntry = { key: bytesOfHexList(e['key']) };
      if (Array.isArray(e['values'])) {
        entry.values = (e['values'] as Record<string, unknown>[])
          .slice()
          .sort((a, b) => Number(a['cpu']) - Number(b['cpu']))
          .map((c) => bytesOfHexList(c['value']));
      } else {
        entry.value = bytesOfHexList(e['value']);
      }
      return entry;
    });
  }

  /** Insert or replace one entry. For per-CPU maps bpftool writes `value` to every CPU. */
  update(key: Uint8Array, value: Uint8Array, flag: KernelMapUpdateFlag = 'any'): void {
    const target = this.target();
    const r = runBpftool(['map', 'update', ...target, 'key', 'hex', ...hexList(key), 'value', 'hex', ...hexList(value), flag]);
    if (r.status !== 0) throw new WxdpError('KERNEL_RUN', `bpftool map update ${target.join(' ')}: ${bpftoolError(r)}`);
  }

  /** Remove one entry (not possible for arrays). */
  delete(key: Uint8Array): void {
    const target = this.target();
    const r = runBpftool(['map', 'delete', ...target, 'key', 'hex', ...hexList(key)]);
    if (r.status !== 0) throw new WxdpError('KERNEL_RUN', `bpftool map delete ${target.join(' ')}: ${bpftoolError(r)}`);
  }

  /** bpftool's way to name the map: by pin, or by id for maps the pin cannot open. */
  private target(): string[] {
    const info = this.info();
    return info.frozen ? ['id', String(info.id)] : ['pinned', this.pinPath];
  }

  /** The map among the object's programs' maps whose kernel name pins as this map's name. */
  private findById(): KernelMapInfo | undefined {
    const ids = new Set<number>();
    for (const p of this.object.programNames) {
      const o = parseJson(runBpftool(['-j', 'prog', 'show', 'pinned', join(this.object.pinDir, p)]).stdout);
      const mapIds = o?.['map_ids'];
      if (Array.isArray(mapIds)) for (const id of mapIds) if (typeof id === 'number') ids.add(id);
    }
    for (const id of ids) {
      const o = parseJson(runBpftool(['-j', 'map', 'show', 'id', String(id)]).stdout);
      if (!o || typeof o['name'] !== 'string') continue;
      const pinnedAs = o['name'].replace(/\./g, '_');
      // The kernel keeps 15 characters of the name; the pin has libbpf's whole name.
      if (pinnedAs === this.name || (pinnedAs.length === BPF_OBJ_NAME_LEN - 1 && this.name.startsWith(pinnedAs))) {
        return mapInfoOf(o);
      }
    }
    return undefined;
  }
}

function mapInfoOf(o: Record<string, unknown>): KernelMapInfo {
  return {
    id: Number(o['id']),
    type: String(o['type']),
    name: String(o['name'] ?? ''),
    keySize: Number(o['bytes_key']),
    valueSize: Number(o['bytes_value']),
    maxEntries: Number(o['max_entries']),
    flags: Number(o['flags'] ?? 0),
    frozen: Boolean(o['frozen']),
  };
}

function bpftoolError(r: SpawnSyncReturns<string>): string {
  const o = parseJson(r.stdout);
  if (typeof o?.['error'] === 'string') return o['error'];
  return (r.stderr || r.stdout || `exit status ${r.status}`).trim();
}

const hexList = (b: Uint8Array): string[] => Array.from(b, (x) => x.toString(16).padStart(2, '0'));

function bytesOfHexList(v: unknown): Uint8Array {
  if (!Array.isArray(v)) return new Uint8Array(0);
  return Uint8Array.from(v, (h) => parseInt(String(h), 16));
}

/**
 * A `struct xdp_md` for KernelRunOptions.ctx (24 bytes). Since Linux 6.18 the kernel reads `data_end`
 * as the length of the linear part of the packet (the rest goes into fragments), so an all-zero context
 * hands the program an empty packet: data_end must be the packet length. `metaLength` bytes at the
 * start of the data become metadata (ctx->data = metaLength). egress_ifindex must stay 0, and
 * rx_queue_index must be a queue the device has (EINVAL otherwise).
 */
export function xdpContext(opts: { dataLength: number; ingressIfindex?: number; rxQueueIndex?: number; metaLength?: number }): Uint8Array {
  const ctx = new Uint8Array(24);
  const v = new DataView(ctx.buffer);
  v.setUint32(0, opts.metaLength ?? 0, true); // data
  v.setUint32(4, opts.dataLength, true); // data_end
  v.setUint32(8, 0, true); // data_meta
  v.setUint32(12, opts.ingressIfindex ?? 0, true); // ingress_ifindex (0: the loopback device)
  v.setUint32(16, opts.rxQueueIndex ?? 0, true); // rx_queue_index
  v.setUint32(20, 0, true); // egress_ifindex
  return ctx;
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
    unplan(plan);
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
