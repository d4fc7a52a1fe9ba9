// Network namespaces for the kernel as an oracle: a Linux router (or any topology) built of namespaces
// and veth pairs, configured with iproute2 text and sysctls, and the kernel's BPF_PROG_TEST_RUN run
// inside one of them (bpf_fib_lookup then answers from that namespace's FIB).
//
// Names: every namespace is `wx-<owner>-<pid>-<n>` (owner: the test or bench that made it), so
//  - a run never touches another owner's namespaces, and
//  - namespaces left by a process that died (a killed test run) are found and removed at the next
//    start: removeStaleNamespaces(owner) deletes `wx-<owner>-<pid>-*` whose pid no longer runs.
// Every Namespaces set also registers process exit, SIGINT and SIGTERM hooks that delete what is still
// alive; tests call cleanup() from afterAll (tests/support/netns.ts does), benches from finally.
//
// Everything goes through the `ip` binary (spawnSync, as the bpftool oracle does): `ip -n NS …` for
// iproute2 commands and batches, `ip netns exec NS …` for other programs. The exception is bpftool:
// `ip netns exec` unmounts /sys in a fresh mount namespace, which takes the host's bpffs (and the
// oracle's pins) away, so test runs inside a namespace use `nsenter --net`, which switches only the
// network namespace.

import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WxdpError } from '../errors.js';

export type NetnsAvailability = { ok: true } | { ok: false; reason: string };

/** A namespace command that failed: the command line and what it printed. */
export class NetnsError extends WxdpError {
  readonly stderr: string;
  /** For a failed batch: the 1-based line `ip -batch` stopped at. */
  readonly line: number | undefined;
  constructor(message: string, stderr: string, line?: number) {
    super('KERNEL_RUN', message);
    this.stderr = stderr;
    this.line = line;
  }
}

const OWNER_RE = /^[a-z0-9]{1,16}$/;
const NETNS_DIR = '/run/netns';
/** Longest any single command may run (a 1M-route batch takes ~10-30 s on this kind of machine). */
const DEFAULT_TIMEOUT_MS = 120_000;

function run(cmd: string, args: readonly string[], opts: { input?: string; timeoutMs?: number } = {}): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, {
    encoding: 'utf8',
    input: opts.input,
    timeout: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    maxBuffer: 256 * 1024 * 1024,
  });
  if (r.error) throw new NetnsError(`${cmd} ${args.join(' ')}: ${r.error.message}`, r.stderr ?? '');
  return r;
}

function check(r: SpawnSyncReturns<string>, what: string): string {
  if (r.status !== 0) {
    const err = (r.stderr || r.stdout || '').trim();
    throw new NetnsError(`${what} failed (exit ${r.status ?? r.signal}): ${err.split('\n').slice(0, 3).join(' | ')}`, err);
  }
  return r.stdout;
}

const availability = new Map<string, NetnsAvailability>();

/**
 * Can this process build namespaces? Linux, root, iproute2's `ip` and util-linux's `nsenter`, and a
 * probe namespace `wx-<owner>-<pid>-probe` that can be added and deleted. Cached per owner.
 */
export function netnsAvailability(owner: string): NetnsAvailability {
  let a = availability.get(owner);
  if (!a) availability.set(owner, (a = probe(owner)));
  return a;
}

function probe(owner: string): NetnsAvailability {
  if (!OWNER_RE.test(owner)) throw new WxdpError('USAGE', `namespace owner '${owner}' must be 1-16 characters of [a-z0-9]`);
  if (process.platform !== 'linux') return { ok: false, reason: `network namespaces need Linux (this is ${process.platform})` };
  if (process.env['WXDP_NO_NETNS']) return { ok: false, reason: 'WXDP_NO_NETNS is set' };
  const uid = process.getuid?.() ?? -1;
  if (uid !== 0) return { ok: false, reason: `network namespaces need root (CAP_SYS_ADMIN, CAP_NET_ADMIN); this is uid ${uid}` };
  for (const [tool, args] of [['ip', ['-V']], ['nsenter', ['--version']]] as const) {
    const r = spawnSync(tool, args, { encoding: 'utf8' });
    if (r.error || r.status !== 0) return { ok: false, reason: `${tool} not found or not working (${r.error?.message ?? r.stderr.trim()}); install ${tool === 'ip' ? 'iproute2' : 'util-linux'}` };
  }
  const name = `wx-${owner}-${process.pid}-probe`;
  spawnSync('ip', ['netns', 'del', name], { encoding: 'utf8' });
  const add = spawnSync('ip', ['netns', 'add', name], { encoding: 'utf8' });
  if (add.status !== 0) return { ok: false, reason: `ip netns add failed: ${add.stderr.trim()}` };
  const del = spawnSync('ip', ['netns', 'del', name], { encoding: 'utf8' });
  if (del.status !== 0) return { ok: false, reason: `ip netns del failed: ${del.stderr.trim()}` };
  return { ok: true };
}

/** Names of the namespaces that exist (`ip netns list`, without the "(id: N)" suffix). */
export function listNamespaces(): string[] {
  const r = run('ip', ['netns', 'list']);
  return check(r, 'ip netns list')
    .split('\n')
    .map((l) => l.split(' ')[0]!)
    .filter((n) => n.length > 0);
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Delete `wx-<owner>-<pid>-*` namespaces whose process is gone; returns the names removed. */
export function removeStaleNamespaces(owner: string): string[] {
  const re = new RegExp(`^wx-${owner}-(\\d+)-`);
  const removed: string[] = [];
  for (const n of listNamespaces()) {
    const m = re.exec(n);
    if (!m || pidAlive(Number(m[1]))) continue;
    if (spawnSync('ip', ['netns', 'del', n], { encoding: 'utf8' }).status === 0) removed.push(n);
  }
  return removed;
}

/** One network namespace this process created. */
export class Netns {
  /** /run/netns/NAME, for nsenter and setns. */
  readonly path: string;
  constructor(readonly name: string) {
    this.path = join(NETNS_DIR, name);
  }

  /** `ip -n NAME ARGS…`; returns stdout, throws NetnsError with ip's message on failure. */
  ip(...args: string[]): string {
    return check(run('ip', ['-n', this.name, ...args]), `ip -n ${this.name} ${args.join(' ')}`);
  }

  /** `ip -j -n NAME ARGS…`, parsed. */
  ipJson<T = unknown>(...args: string[]): T {
    const out = this.ip('-j', ...args);
    return (out.trim() === '' ? [] : JSON.parse(out)) as T;
  }

  /**
   * `ip -n NAME -batch FILE` with `text` as the file. ip stops at the first failing line (as without
   * -force); the NetnsError then carries that line number and ip's message for it.
   */
  batch(text: string, opts: { timeoutMs?: number } = {}): void {
    const dir = mkdtempSync(join(tmpdir(), 'wx-netns-'));
    const file = join(dir, 'batch');
    try {
      writeFileSync(file, text);
      const r = run('ip', ['-n', this.name, '-batch', file], opts);
      if (r.status !== 0) {
        const err = (r.stderr || '').trim();
        // ip prints its message for the line, then "Command failed FILE:LINE"
        const m = /Command failed .*:(\d+)\s*$/m.exec(err);
        const line = m ? Number(m[1]) : undefined;
        const why = err.split('\n').filter((l) => !l.startsWith('Command failed'))[0] ?? err;
        throw new NetnsError(`ip -n ${this.name} -batch: ${line !== undefined ? `line ${line}: ${text.split('\n')[line - 1]?.trim()}: ` : ''}${why}`, err, line);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  /** Run a program inside the namespace (`ip netns exec NAME ARGV…`); returns the raw result. */
  spawn(argv: readonly string[], opts: { input?: string; timeoutMs?: number } = {}): SpawnSyncReturns<string> {
    return run('ip', ['netns', 'exec', this.name, ...argv], opts);
  }

  /** Run a program inside the namespace; returns stdout, throws NetnsError on a non-zero exit. */
  exec(argv: readonly string[], opts: { input?: string; timeoutMs?: number } = {}): string {
    return check(this.spawn(argv, opts), `ip netns exec ${this.name} ${argv.join(' ')}`);
  }

  /** Run a program in the namespace's network namespace only (nsenter --net): the host's mounts stay. */
  enter(argv: readonly string[], opts: { input?: string; timeoutMs?: number } = {}): string {
    return check(run('nsenter', [`--net=${this.path}`, ...argv], opts), `nsenter --net=${this.path} ${argv.join(' ')}`);
  }

  /** Set sysctls by name (`net.ipv4.ip_forward`), in order, in one process. */
  sysctl(values: Readonly<Record<string, string | number>> | ReadonlyArray<readonly [string, string | number]>): void {
    const pairs = Array.isArray(values) ? values : Object.entries(values);
    if (pairs.length === 0) return;
    this.exec(['sysctl', '-q', '-w', ...pairs.map(([k, v]) => `${k}=${v}`)]);
  }

  /** Read one sysctl. */
  sysctlGet(name: string): string {
    return this.exec(['sysctl', '-n', name]).trim();
  }
}

/** An end of a veth pair: the namespace it lives in, its name, and how to set it up. */
export interface VethEnd {
  ns: Netns;
  name: string;
  mac?: string;
  mtu?: number;
  /** Bring the link up (default true). */
  up?: boolean;
}

const liveSets = new Set<Namespaces>();
let exitHook = false;

/**
 * The namespaces of one owner in this process: `create()` names them `wx-<owner>-<pid>-<n>`;
 * `cleanup()` deletes them all (and is also run at process exit for whatever is still alive).
 */
export class Namespaces {
  private readonly created: Netns[] = [];
  private static serial = 0;

  constructor(readonly owner: string) {
    if (!OWNER_RE.test(owner)) throw new WxdpError('USAGE', `namespace owner '${owner}' must be 1-16 characters of [a-z0-9]`);
    liveSets.add(this);
    if (!exitHook) {
      exitHook = true;
      const all = () => {
        for (const s of liveSets) s.cleanup();
      };
      process.once('exit', all);
      // An interrupted bench (Ctrl-C, kill) removes its namespaces too, then dies of the same signal.
      for (const sig of ['SIGINT', 'SIGTERM'] as const) {
        process.once(sig, () => {
          all();
          process.kill(process.pid, sig);
        });
      }
    }
  }

  /** Add a namespace (loopback brought up unless `lo: false`). */
  create(opts: { lo?: boolean } = {}): Netns {
    const ns = new Netns(`wx-${this.owner}-${process.pid}-${Namespaces.serial++}`);
    check(run('ip', ['netns', 'add', ns.name]), `ip netns add ${ns.name}`);
    this.created.push(ns);
    if (opts.lo !== false) ns.ip('link', 'set', 'lo', 'up');
    return ns;
  }

  /** A veth pair between two namespaces (or within one), addresses and MTUs set, up by default. */
  veth(a: VethEnd, b: VethEnd): void {
    a.ns.ip('link', 'add', a.name, 'type', 'veth', 'peer', 'name', b.name, 'netns', b.ns.name);
    for (const e of [a, b]) {
      const set = ['link', 'set', 'dev', e.name];
      if (e.mac) set.push('address', e.mac);
      if (e.mtu) set.push('mtu', String(e.mtu));
      if (e.up !== false) set.push('up');
      if (set.length > 4) e.ns.ip(...set);
    }
  }

  /** The namespaces created and not yet deleted. */
  get namespaces(): readonly Netns[] {
    return this.created;
  }

  /** Delete every namespace this set created (errors ignored: a namespace already gone is fine). */
  cleanup(): void {
    while (this.created.length > 0) {
      const ns = this.created.pop()!;
      spawnSync('ip', ['netns', 'del', ns.name], { encoding: 'utf8' });
    }
    liveSets.delete(this);
  }
}

export interface NetnsRunResult {
  retval: number;
  /** The kernel's average ns per run over `repeat`. */
  durationNs: number;
  data: Uint8Array;
}

/**
 * BPF_PROG_TEST_RUN of a pinned program (KernelProgram.pinPath) with the calling process in `ns`'s
 * network namespace: the kernel's test run takes current's netns, so bpf_fib_lookup answers from that
 * namespace's FIB and ctx_in's ingress_ifindex names one of its devices.
 */
export function testRunInNamespace(ns: Netns, pinPath: string, opts: { data: Uint8Array; ctx?: Uint8Array; repeat?: number }): NetnsRunResult {
  const dir = mkdtempSync(join(tmpdir(), 'wx-netns-run-'));
  try {
    const f = (n: string) => join(dir, n);
    writeFileSync(f('data_in'), opts.data);
    const args = ['bpftool', '-j', 'prog', 'run', 'pinned', pinPath, 'data_in', f('data_in'), 'data_out', f('data_out')];
    if (opts.ctx) {
      writeFileSync(f('ctx_in'), opts.ctx);
      args.push('ctx_in', f('ctx_in'), 'ctx_out', f('ctx_out'));
    }
    args.push('repeat', String(opts.repeat ?? 1));
    const o = JSON.parse(ns.enter(args)) as { retval?: number; duration?: number; error?: string };
    if (typeof o.retval !== 'number') throw new NetnsError(`test run of ${pinPath} in ${ns.name}: ${o.error ?? 'no retval'}`, '');
    let data = new Uint8Array(0);
    try {
      data = new Uint8Array(readFileSync(f('data_out')));
    } catch {
      // bpftool writes no data_out for an empty result
    }
    return { retval: o.retval >>> 0, durationNs: o.duration ?? NaN, data };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
