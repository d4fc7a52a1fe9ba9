// The control socket of a running data path (`dp.listen(path)`, `wxdp up`): a Unix stream socket that
// speaks JSON lines. The `wxdp` client commands given `--socket PATH` (or WXDP_SOCKET) talk to it.
//
//   request   {"id": 7, "cmd": "map.lookup", "args": {"name": "blocked", "key": "c0000202"}}\n
//   answer    {"id": 7, "ok": true, "result": {…}}\n
//             {"id": 7, "ok": false, "error": {"code": "MAP_NOT_FOUND", "errno": "ENOENT", "message": "…"}}\n
//
// `id` is any JSON scalar the client picks, echoed back (null when the line could not be read at all).
// A connection's requests are answered in the order they came; several connections are served at once,
// and commands that change the programs (prog.attach, prog.detach, reload) run one at a time.
// `error.code` is the WxdpError code (CONTROL for the protocol's own errors), `error.errno` the kernel's
// errno name when there is one (else null); `ip` errors also carry ip's `status`, `stdout` and `stderr`.
//
//   cmd           args                                              result
//   info          —                                                 { pid, node, uptimeMs, socket, devices, …daemon's }
//   ip            { argv: [words] } | { batch: TEXT, name?, force?, options? }   { stdout, stderr } (+ commands, failed for a batch)
//   prog.list     —                                                 { devices: [{ device, ifindex, program, object, section }], objects }
//   prog.attach   { object: ABS_PATH, program?, device, maps? }     { device, program, object, replaced }
//   prog.detach   { device }                                        { device, program }   (ENOENT: nothing attached)
//   map.show      —                                                 { maps: [MapInfo] }
//   map.dump      { name } | { id }                                 { maps: [{ map: MapInfo, entries: [Entry] }] }
//   map.lookup    { name | id, key }                                { map, entry }        (ENOENT: no such key)
//   map.update    { name | id, key, value, flags? }                 { map, entry }
//   map.delete    { name | id, key }                                { map, key }
//   map.push      { name | id, value, flags? }  (queue, stack, bloom_filter)   { map, entry }  (E2BIG: full)
//   map.pop       { name | id }                 (queue, stack)                 { map, entry }  (ENOENT: empty)
//   map.peek      { name | id, value? }         (value: a bloom filter's)      { map, entry }  (ENOENT: empty, not in the filter)
//   link.show     { device? }                                       { links: [{ ifname, ifindex, mtu, address, …, stats }] }
//   stats         —                                                 { timeMs, devices: [counters], stack: { drops, mib } }
//   reload        —                                                 what the daemon's reload reports (EOPNOTSUPP without one)
//
// Keys and values are hex strings or, for maps with BTF, JSON values (map_json.ts). Bad input never
// ends the data path: a line that is not JSON or not a request is answered with an error (id null
// when there was none to echo); a line past MAX_LINE bytes is answered and the connection closed; a
// client gone mid-command loses its answer, nothing else. A device that does not exist is ENODEV.
// The socket file is mode 0600 (it can reconfigure the data path); requests that may change something
// (ip, prog.attach|detach, map.update|delete|push|pop, reload) go to the server's log with how they ended.

import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { chmodSync, existsSync, lstatSync, statSync, unlinkSync } from 'node:fs';
import { WxdpError } from '../errors.js';
import { errnoName } from '../maps/uapi.js';
import type { BpfMap } from '../maps/index.js';
import type { BpfObject, Datapath, Program } from './datapath.js';
import type { Device } from './device.js';
import { ipArgv, ipBatch, IpError, type IpOptions } from './ip/index.js';
import type { LinkSpec, LinkStats } from './link.js';
import { dumpJson, entryJson, isKeyless, jsonSafe, keylessDumpError, keylessLookup, keylessOp, mapBytes, mapInfo } from './map_json.js';
import { NetError } from './net_types.js';
import { Poller } from './poller.js';

/** The longest request line served (bytes, newline excluded): an ip batch of a full table fits. */
export const MAX_LINE = 64 << 20;

/** A control socket failure: `errno` names the cause (EADDRINUSE, ECONNREFUSED, EINVAL, …). */
export class ControlError extends WxdpError {
  readonly errno: string;
  constructor(errno: string, message: string) {
    super('CONTROL', message);
    this.errno = errno;
  }
}

export interface ErrorJson {
  code: string;
  errno: string | null;
  message: string;
  /** `ip` only: ip's exit status and what it printed; in a batch, the failing line and whether ip itself gave up there. */
  status?: number;
  stdout?: string;
  stderr?: string;
  file?: string;
  line?: number;
  fatal?: boolean;
}

export type Answer = { id: unknown; ok: true; result: unknown } | { id: unknown; ok: false; error: ErrorJson };

export interface ControlServerOptions {
  /** What the `reload` command runs (a daemon's config reload); without it, reload answers EOPNOTSUPP. */
  reload?: () => Promise<unknown>;
  /** Fields `info` adds (a daemon's config file, start time). */
  info?: () => Record<string, unknown>;
  /** Where the server reports what it could not answer (a client's garbage, a command that threw). */
  log?: (line: string) => void;
  /** The longest request line served, in bytes (default MAX_LINE). */
  maxLine?: number;
}

type Args = Record<string, unknown>;
type Command = (args: Args) => unknown;

export class ControlServer {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  /** When it started listening (ms since the epoch). */
  readonly startedAt = Date.now();
  private ino = -1;
  private closing: Promise<void> | undefined;
  private exclusive: Promise<unknown> = Promise.resolve();
  private readonly commands: Record<string, Command>;
  private removeCloser: () => void = () => undefined;

  private constructor(
    readonly dp: Datapath,
    readonly path: string,
    private readonly opts: ControlServerOptions,
  ) {
    this.server = createServer((s) => this.connection(s));
    this.commands = commandTable(dp, this, opts);
  }

  /** Datapath.listen: claim `path` (refusing one another process serves), listen, and close with the Datapath. */
  static async listen(dp: Datapath, path: string, opts: ControlServerOptions = {}): Promise<ControlServer> {
    await claimSocketPath(path);
    const s = new ControlServer(dp, path, opts);
    await new Promise<void>((resolve, reject) => {
      const onError = (e: NodeJS.ErrnoException) => {
        s.server.off('listening', onListening);
        // Another process listened between the probe and here.
        if (e.code === 'EADDRINUSE') reject(new ControlError('EADDRINUSE', `${path}: another process serves this control socket`));
        else reject(new ControlError(e.code ?? 'EIO', `cannot listen on ${path}: ${e.code ?? e.message}`));
      };
      const onListening = () => {
        s.server.off('error', onError);
        resolve();
      };
      s.server.once('error', onError);
      s.server.once('listening', onListening);
      s.server.listen(path);
    });
    s.server.on('error', (e) => opts.log?.(`control socket ${path}: ${e.message}`));
    // The socket can reconfigure the data path: only its owner (root, for a system daemon) may connect.
    chmodSync(path, 0o600);
    s.ino = statSync(path).ino;
    s.removeCloser = dp.onClose(() => s.close());
    return s;
  }

  /** Clients connected now. */
  get connections(): number {
    return this.sockets.size;
  }

  /** Stop listening, drop the clients, remove the socket file (when it is still ours). */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.removeCloser();
      for (const s of this.sockets) s.destroy();
      this.server.close(() => resolve());
      try {
        if (statSync(this.path).ino === this.ino) unlinkSync(this.path);
      } catch {
        // gone already
      }
    });
    return this.closing;
  }

  /** One request, as a connection's line is served (what tests and embedders can call in process). */
  async request(req: unknown): Promise<Answer> {
    if (typeof req !== 'object' || req === null || Array.isArray(req)) return fail(null, new ControlError('EINVAL', 'a request is a JSON object: {"id": …, "cmd": "…", "args": {…}}'));
    const r = req as Record<string, unknown>;
    const id = r['id'] ?? null;
    if (typeof id === 'object' && id !== null) return fail(null, new ControlError('EINVAL', 'id must be a string, a number or null'));
    const cmd = r['cmd'];
    if (typeof cmd !== 'string') return fail(id, new ControlError('EINVAL', 'cmd must be a string (the command: ip, prog.list, map.dump, stats, …)'));
    const args = r['args'] ?? {};
    if (typeof args !== 'object' || args === null || Array.isArray(args)) return fail(id, new ControlError('EINVAL', `${cmd}: args must be an object`));
    const fn = Object.hasOwn(this.commands, cmd) ? this.commands[cmd] : undefined;
    if (!fn) return fail(id, new ControlError('EOPNOTSUPP', `unknown command "${cmd}" (have: ${Object.keys(this.commands).join(', ')})`));
    const audit = CHANGES.has(cmd) && this.opts.log ? `control: ${[cmd, describe(cmd, args as Args)].filter((x) => x !== '').join(' ')}` : undefined;
    try {
      const run = () => Promise.resolve(fn(args as Args));
      const result = EXCLUSIVE.has(cmd) ? await this.serialize(run) : await run();
      if (audit) this.opts.log!(`${audit}: ok`);
      return { id, ok: true, result: jsonSafe(result) };
    } catch (e) {
      if (!(e instanceof WxdpError) && !isErrnoError(e)) this.opts.log?.(`control socket: ${cmd} failed: ${(e as Error)?.stack ?? String(e)}`);
      const a = fail(id, e);
      if (audit && !a.ok) this.opts.log!(`${audit}: ${a.error.errno ?? a.error.code}: ${a.error.message}`);
      return a;
    }
  }

  private serialize<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.exclusive.then(fn, fn);
    this.exclusive = next.catch(() => undefined);
    return next;
  }

  private connection(sock: Socket): void {
    if (this.closing) {
      sock.destroy();
      return;
    }
    this.sockets.add(sock);
    let chunks: Buffer[] = [];
    let size = 0;
    let queue: Promise<void> = Promise.resolve();
    const maxLine = this.opts.maxLine ?? MAX_LINE;
    const send = (a: Answer) => {
      if (!sock.destroyed && sock.writable) sock.write(JSON.stringify(a) + '\n');
    };
    const serve = (line: Buffer) => {
      const text = line.toString('utf8').trim();
      if (text === '') return;
      let req: unknown;
      try {
        req = JSON.parse(text);
      } catch {
        send(fail(null, new ControlError('EINVAL', `not JSON: ${JSON.stringify(text.length > 60 ? text.slice(0, 60) + '…' : text)}`)));
        return;
      }
      queue = queue.then(async () => send(await this.request(req)));
    };
    sock.on('data', (data: Buffer) => {
      let start = 0;
      for (let nl = data.indexOf(10); nl >= 0; nl = data.indexOf(10, start)) {
        const part = data.subarray(start, nl);
        if (size + part.length > maxLine) return tooLong();
        serve(chunks.length ? Buffer.concat([...chunks, part]) : part);
        chunks = [];
        size = 0;
        start = nl + 1;
      }
      if (start < data.length) {
        const rest = data.subarray(start);
        if (size + rest.length > maxLine) return tooLong();
        chunks.push(Buffer.from(rest));
        size += rest.length;
      }
    });
    const tooLong = () => {
      chunks = [];
      size = 0;
      sock.pause();
      queue = queue.then(() => {
        send(fail(null, new ControlError('EMSGSIZE', `request line longer than ${maxLine} bytes: closing the connection`)));
        sock.end();
      });
    };
    // A client that goes away (ECONNRESET, EPIPE while answering) is only a client gone.
    sock.on('error', () => undefined);
    sock.on('close', () => this.sockets.delete(sock));
  }
}

/** Commands that change what runs: one at a time, so a reload and an attach do not interleave. */
const EXCLUSIVE = new Set(['prog.attach', 'prog.detach', 'reload']);

/** Commands that may change the data path: each goes to the log (what was asked, and how it ended). */
const CHANGES = new Set(['ip', 'prog.attach', 'prog.detach', 'map.update', 'map.delete', 'map.push', 'map.pop', 'reload', 'conntrack.flush']);

/** A change request in one line, for the log. */
function describe(cmd: string, a: Args): string {
  const s = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v) ?? '');
  switch (cmd) {
    case 'ip':
      return Array.isArray(a['argv']) ? a['argv'].map(s).join(' ') : `-batch ${s(a['name'] ?? '-')}`;
    case 'prog.attach':
      return `${s(a['object'])}${a['program'] !== undefined ? ` name ${s(a['program'])}` : ''} dev ${s(a['device'])}`;
    case 'prog.detach':
      return `dev ${s(a['device'])}`;
    case 'map.push':
    case 'map.pop':
      return `${a['id'] !== undefined ? `id ${s(a['id'])}` : `name ${s(a['name'])}`}${cmd === 'map.push' ? ` value ${s(a['value'])}` : ''}`;
    case 'map.update':
    case 'map.delete':
      return `${a['id'] !== undefined ? `id ${s(a['id'])}` : `name ${s(a['name'])}`} key ${s(a['key'])}${cmd === 'map.update' ? ` value ${s(a['value'])}` : ''}`;
    default:
      return '';
  }
}

function isErrnoError(e: unknown): e is NodeJS.ErrnoException {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string' && /^E[A-Z0-9]+$/.test((e as NodeJS.ErrnoException).code!);
}

/** The error object of an answer: WxdpErrors by code and errno, node's errno errors by errno. */
export function errorJson(e: unknown): ErrorJson {
  if (e instanceof IpError) {
    return {
      code: e.code,
      errno: e.errno ?? null,
      message: e.message,
      status: e.status,
      stdout: e.stdout,
      stderr: e.stderr,
      ...(e.line !== undefined ? { file: e.file ?? '-', line: e.line, fatal: e.fatal } : {}),
    };
  }
  if (e instanceof WxdpError) {
    const en = (e as { errno?: unknown }).errno;
    const errno = typeof en === 'string' ? en : typeof en === 'number' ? errnoName(en) : DEFAULT_ERRNO[e.code] ?? null;
    return { code: e.code, errno, message: e.message };
  }
  if (isErrnoError(e)) return { code: 'CONTROL', errno: e.code!, message: e.message };
  return { code: 'CONTROL', errno: 'EIO', message: `internal error: ${(e as Error)?.message ?? String(e)}` };
}

/** The errno the kernel's bpf() would give for errors that carry none. */
const DEFAULT_ERRNO: Partial<Record<string, string>> = {
  USAGE: 'EINVAL',
  NOT_FOUND: 'ENOENT',
  MAP_NOT_FOUND: 'ENOENT',
  VERIFIER_REJECTED: 'EACCES',
  PROG_INVALID: 'EINVAL',
  PROG_ATTACH: 'EINVAL',
  JIT_COMPILE: 'EINVAL',
  CONFIG: 'EINVAL',
};

function fail(id: unknown, e: unknown): Answer {
  return { id: id ?? null, ok: false, error: errorJson(e) };
}

// ---- Claiming the socket path ----

/**
 * Make `path` free to listen on: nothing there, or a stale socket file (nobody accepts on it: a
 * process that died without removing it) that is removed. A socket some process serves is refused with
 * EADDRINUSE, naming its pid when it is a wxdp that answers `info`; a file that is not a socket, EEXIST.
 */
export async function claimSocketPath(path: string): Promise<void> {
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return;
  }
  if (!st.isSocket()) throw new ControlError('EEXIST', `${path} exists and is not a socket: not replacing it`);
  const live = await probe(path);
  if (live.serving) {
    throw new ControlError('EADDRINUSE', `${path}: another ${live.pid ? `wxdp (pid ${live.pid})` : 'process'} serves this control socket`);
  }
  try {
    unlinkSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new ControlError((e as NodeJS.ErrnoException).code ?? 'EIO', `cannot remove the stale socket ${path}: ${(e as Error).message}`);
  }
}

/** Connect to `path`: does something accept there, and if it is wxdp, which pid? */
function probe(path: string): Promise<{ serving: boolean; pid?: number }> {
  return new Promise((resolve) => {
    const c = createConnection(path);
    let buf = '';
    let done = false;
    const finish = (r: { serving: boolean; pid?: number }) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      c.destroy();
      resolve(r);
    };
    // Something accepted but does not answer like wxdp: it is still serving the path.
    const timer = setTimeout(() => finish({ serving: true }), 1000);
    c.on('connect', () => c.write(JSON.stringify({ id: 0, cmd: 'info' }) + '\n'));
    c.on('data', (d) => {
      buf += d.toString();
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      try {
        const a = JSON.parse(buf.slice(0, nl)) as { result?: { pid?: unknown } };
        finish({ serving: true, ...(typeof a.result?.pid === 'number' ? { pid: a.result.pid } : {}) });
      } catch {
        finish({ serving: true });
      }
    });
    c.on('error', (e: NodeJS.ErrnoException) => finish({ serving: e.code !== 'ECONNREFUSED' && e.code !== 'ENOENT' }));
    c.on('close', () => finish({ serving: true }));
  });
}

// ---- Programs attached from object files ----

export interface MapEntryInput {
  key: unknown;
  value: unknown;
  flags?: 'any' | 'noexist' | 'exist';
  /** Where the entry came from, for errors ("programs[0].maps.blocked[1]"). */
  where?: string;
}

export interface AttachSpec {
  /** The object file (absolute, or relative to this process's directory). */
  object: string;
  /** The program's name (default: the object's first). */
  program?: string;
  device: string;
  /** Entries loaded into the object's maps before the attach. */
  maps?: Record<string, MapEntryInput[]>;
  /** Set before the load, as LoadOptions has them (bpf_map__set_max_entries, a skeleton's globals, kconfig text). */
  maxEntries?: Record<string, number>;
  globals?: Record<string, unknown>;
  kconfig?: string;
  /** Where the spec came from, for errors ("programs[1]"). */
  where?: string;
}

/** Objects loaded from files for an attach: unloaded when no device runs any of their programs. */
const OWNED = new WeakMap<Datapath, Set<BpfObject>>();

const FLAGS = { any: 0, noexist: 1, exist: 2 } as const;

/**
 * An error at a place of an attach spec (`where`, a key path such as "programs[0].maps.blocked[1].key"),
 * with the errno of the error it wraps; `reason` is the message without the place.
 */
export class AttachSpecError extends WxdpError {
  readonly where: string;
  readonly reason: string;
  readonly errno: string | null;
  constructor(where: string, e: unknown) {
    const j = errorJson(e);
    super(e instanceof WxdpError ? e.code : 'CONTROL', `${where}: ${j.message}`, { cause: e });
    this.where = where;
    this.reason = j.message;
    this.errno = j.errno;
  }
}

/** Load the object and fill its maps, without attaching (a reload loads everything before it changes anything). */
export async function loadForAttach(dp: Datapath, spec: AttachSpec): Promise<{ obj: BpfObject; program: Program }> {
  const base = spec.where ? `${spec.where}.` : '';
  if (!existsSync(spec.object)) throw new AttachSpecError(`${base}object`, new ControlError('ENOENT', `cannot read ${spec.object}: ENOENT`));
  try {
    deviceNamed(dp, spec.device);
  } catch (e) {
    throw new AttachSpecError(`${base}device`, e);
  }
  let obj: BpfObject;
  try {
    obj = await dp.loadObject(spec.object, {
      path: spec.object,
      ...(spec.maxEntries ? { maxEntries: spec.maxEntries } : {}),
      ...(spec.globals ? { globals: spec.globals } : {}),
      ...(spec.kconfig !== undefined ? { kconfig: spec.kconfig } : {}),
    });
  } catch (e) {
    throw new AttachSpecError(`${base}object`, e);
  }
  let owned = OWNED.get(dp);
  if (!owned) OWNED.set(dp, (owned = new Set()));
  owned.add(obj);
  try {
    let program: Program;
    try {
      program = obj.program(spec.program);
    } catch (e) {
      throw new AttachSpecError(`${base}program`, new ControlError('ENOENT', (e as Error).message));
    }
    for (const [name, entries] of Object.entries(spec.maps ?? {})) {
      let map: BpfMap;
      try {
        map = obj.map(name);
      } catch (e) {
        throw new AttachSpecError(`${base}maps.${name}`, new ControlError('ENOENT', (e as Error).message));
      }
      entries.forEach((e, i) => {
        const at = e.where ?? `${base}maps.${name}[${i}]`;
        const key = mapBytes(obj, map, 'key', e.key, `${at}.key`);
        const value = mapBytes(obj, map, 'value', e.value, `${at}.value`);
        try {
          map.update(key, value, FLAGS[e.flags ?? 'any']);
        } catch (err) {
          throw new AttachSpecError(at, err);
        }
      });
    }
    return { obj, program };
  } catch (e) {
    release(dp, obj);
    throw e;
  }
}

/** Attach a loaded program to `device` (the one there is replaced in one store) and release what it replaced. */
export function attachLoaded(dp: Datapath, device: string, program: Program): { replaced?: string } {
  const dev = dp.device(device);
  const before = dev.program;
  dev.attachXdp(program);
  if (before && before !== program) releaseProgram(dp, before);
  return before && before !== program ? { replaced: before.name } : {};
}

/** Detach `device`'s program (ENOENT when it runs none); returns its name. */
export function detachDevice(dp: Datapath, device: string): string {
  const dev = deviceNamed(dp, device);
  const p = dev.program;
  if (!p) throw new ControlError('ENOENT', `${device} runs no XDP program`);
  dev.detachXdp();
  releaseProgram(dp, p);
  return p.name;
}

/** The object `p` belongs to, among the loaded ones. */
export function objectOf(dp: Datapath, p: Program): BpfObject | undefined {
  return dp.loadedObjects().find((o) => [...o.programs.values()].includes(p));
}

function releaseProgram(dp: Datapath, p: Program): void {
  const obj = objectOf(dp, p);
  if (obj) release(dp, obj);
}

/** An owned object no device runs any more: unloaded (its maps leave map.show). */
export function release(dp: Datapath, obj: BpfObject): void {
  const owned = OWNED.get(dp);
  if (!owned?.has(obj)) return;
  const progs = new Set(obj.programs.values());
  if (dp.listDevices().some((d) => d.program !== undefined && progs.has(d.program))) return;
  owned.delete(obj);
  dp.unloadObject(obj);
}

// ---- The commands ----

/** A device by name: ENODEV when there is none. */
function deviceNamed(dp: Datapath, name: string): Device {
  try {
    return dp.device(name);
  } catch (e) {
    throw new ControlError('ENODEV', (e as Error).message);
  }
}

function str(args: Args, key: string, cmd: string): string {
  const v = args[key];
  if (typeof v !== 'string' || v === '') throw new ControlError('EINVAL', `${cmd}: args.${key} must be a non-empty string`);
  return v;
}

function optStr(args: Args, key: string, cmd: string): string | undefined {
  return args[key] === undefined ? undefined : str(args, key, cmd);
}

interface LiveMap {
  map: BpfMap;
  obj: BpfObject;
}

function liveMaps(dp: Datapath): LiveMap[] {
  return dp.loadedObjects().flatMap((obj) => [...obj.maps.values()].map((map) => ({ map, obj })));
}

/** The maps args name: { id } or { name } (every map of that name). ENOENT when none. */
function selectMaps(dp: Datapath, args: Args, cmd: string): LiveMap[] {
  const all = liveMaps(dp);
  if (args['id'] !== undefined) {
    const id = args['id'];
    if (typeof id !== 'number' || !Number.isInteger(id)) throw new ControlError('EINVAL', `${cmd}: args.id must be an integer`);
    const m = all.filter((x) => x.map.id === id);
    if (m.length === 0) throw new ControlError('ENOENT', `no live map with id ${id}`);
    return m;
  }
  const name = str(args, 'name', cmd);
  const m = all.filter((x) => x.map.name === name);
  if (m.length === 0) throw new ControlError('ENOENT', `no live map named ${name}${all.length ? ` (have: ${[...new Set(all.map((x) => x.map.name))].join(', ')})` : ': no object is loaded'}`);
  return m;
}

/** Exactly one map (lookup, update, delete): several of the same name need the id, as bpftool's handles do. */
function oneMap(dp: Datapath, args: Args, cmd: string): LiveMap {
  const m = selectMaps(dp, args, cmd);
  if (m.length > 1) throw new ControlError('EINVAL', `several live maps are named ${m[0]!.map.name} (ids ${m.map((x) => x.map.id).join(', ')}): give the id`);
  return m[0]!;
}

function nonZero(r: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(r).filter(([, v]) => v !== 0));
}

/** What a device's link (Device.attachLink) says of itself, when the device has one. */
function linkOf(dev: Device): { spec: LinkSpec; stats: LinkStats } | undefined {
  const link = dev.link;
  return link ? { spec: link.spec, stats: link.stats() } : undefined;
}

function commandTable(dp: Datapath, server: ControlServer, opts: ControlServerOptions): Record<string, Command> {
  const kick = () => Poller.of(dp).kick();
  return {
    info: () => ({
      pid: process.pid,
      node: process.version,
      uptimeMs: Date.now() - server.startedAt,
      socket: server.path,
      devices: dp.listDevices().map((d) => d.name),
      ...(opts.info?.() ?? {}),
    }),

    ip: (args) => {
      if (args['batch'] !== undefined) {
        const text = str(args, 'batch', 'ip');
        const o = (args['options'] ?? {}) as IpOptions;
        if (typeof o !== 'object' || o === null) throw new ControlError('EINVAL', 'ip: args.options must be an object { json, family, details, stats }');
        const r = ipBatch(dp, text, { ...o, name: optStr(args, 'name', 'ip') ?? '-', force: args['force'] === true });
        kick();
        return { stdout: r.stdout, stderr: r.stderr, commands: r.commands, failed: r.errors.length };
      }
      const argv = args['argv'];
      if (!Array.isArray(argv) || argv.length === 0 || argv.some((w) => typeof w !== 'string')) throw new ControlError('EINVAL', 'ip: args.argv must be a non-empty array of strings (the words after "ip")');
      const r = ipArgv(dp, argv as string[]);
      kick();
      return { stdout: r.stdout, stderr: r.stderr };
    },

    'prog.list': () => ({
      devices: dp.listDevices().map((d) => {
        const p = d.program;
        const obj = p ? objectOf(dp, p) : undefined;
        return { device: d.name, ifindex: d.ifindex, program: p?.name ?? null, section: p?.section ?? null, object: obj?.spec.path ?? (p ? '' : null) };
      }),
      objects: dp.loadedObjects().map((o) => ({
        object: o.spec.path ?? '',
        programs: [...o.programs.values()].map((p) => ({ name: p.name, section: p.section, type: p.spec.type, insns: p.insns.filter((i) => !i.isLdImm64Tail).length, verified: p.verifierStats !== undefined })),
        maps: [...o.maps.values()].map((m) => ({ id: m.id, name: m.name })),
      })),
    }),

    'prog.attach': async (args) => {
      const spec: AttachSpec = { object: str(args, 'object', 'prog.attach'), device: str(args, 'device', 'prog.attach') };
      const name = optStr(args, 'program', 'prog.attach');
      if (name !== undefined) spec.program = name;
      if (args['maps'] !== undefined) {
        const maps = args['maps'];
        if (typeof maps !== 'object' || maps === null || Array.isArray(maps)) throw new ControlError('EINVAL', 'prog.attach: args.maps must be an object MAP → [{ key, value, flags? }]');
        for (const [k, v] of Object.entries(maps)) if (!Array.isArray(v)) throw new ControlError('EINVAL', `prog.attach: args.maps.${k} must be an array of { key, value, flags? }`);
        spec.maps = maps as Record<string, MapEntryInput[]>;
      }
      if (args['maxEntries'] !== undefined) {
        const m = args['maxEntries'];
        if (typeof m !== 'object' || m === null || Array.isArray(m) || Object.values(m).some((n) => typeof n !== 'number')) throw new ControlError('EINVAL', 'prog.attach: args.maxEntries must be an object MAP → number');
        spec.maxEntries = m as Record<string, number>;
      }
      if (args['globals'] !== undefined) {
        const g = args['globals'];
        if (typeof g !== 'object' || g === null || Array.isArray(g)) throw new ControlError('EINVAL', 'prog.attach: args.globals must be an object VAR → value');
        spec.globals = g as Record<string, unknown>;
      }
      const kconfig = args['kconfig'];
      if (kconfig !== undefined && typeof kconfig !== 'string') throw new ControlError('EINVAL', 'prog.attach: args.kconfig must be a string (CONFIG_NAME=VALUE lines)');
      if (kconfig !== undefined) spec.kconfig = kconfig;
      const { obj, program } = await loadForAttach(dp, spec);
      const r = attachLoaded(dp, spec.device, program);
      kick();
      return { device: spec.device, program: program.name, object: obj.spec.path ?? '', ...r };
    },

    'prog.detach': (args) => {
      const device = str(args, 'device', 'prog.detach');
      return { device, program: detachDevice(dp, device) };
    },

    'map.show': () => ({ maps: liveMaps(dp).map(({ map, obj }) => mapInfo(obj, map)) }),

    'map.dump': (args) => ({
      maps: selectMaps(dp, args, 'map.dump').map(({ map, obj }) => {
        // a map without keys: no entries, and the error bpftool's walk exits with (keylessDumpError)
        const kd = keylessDumpError(map);
        if (kd) return { map: mapInfo(obj, map), entries: [], error: { errno: errnoName(kd.errno), message: kd.message } };
        return { map: mapInfo(obj, map), entries: dumpJson(obj, map) };
      }),
    }),

    'map.lookup': (args) => {
      const { map, obj } = oneMap(dp, args, 'map.lookup');
      if (args['key'] === undefined) {
        if (!isKeyless(map)) throw new ControlError('EINVAL', `map.lookup: map ${map.name}: did not find key (args.key)`);
        return { map: mapInfo(obj, map), entry: keylessLookup(obj, map) };
      }
      const key = mapBytes(obj, map, 'key', args['key'], 'args.key');
      const entry = entryJson(obj, map, key);
      if (!entry) throw new ControlError('ENOENT', `map ${map.name}: key ${Buffer.from(key).toString('hex')}: not found`);
      return { map: mapInfo(obj, map), entry };
    },

    'map.update': (args) => {
      const { map, obj } = oneMap(dp, args, 'map.update');
      const key = mapBytes(obj, map, 'key', args['key'], 'args.key');
      const value = mapBytes(obj, map, 'value', args['value'], 'args.value');
      const f = args['flags'] ?? 'any';
      if (typeof f !== 'string' || !(f in FLAGS)) throw new ControlError('EINVAL', `map.update: args.flags must be any, noexist or exist, not ${JSON.stringify(f)}`);
      map.update(key, value, FLAGS[f as keyof typeof FLAGS]);
      return { map: mapInfo(obj, map), entry: entryJson(obj, map, key) ?? null };
    },

    'map.push': (args) => {
      const { map, obj } = oneMap(dp, args, 'map.push');
      const value = args['value'] === undefined ? undefined : mapBytes(obj, map, 'value', args['value'], 'args.value');
      const f = args['flags'] ?? 'any';
      if (typeof f !== 'string' || !(f in FLAGS)) throw new ControlError('EINVAL', `map.push: args.flags must be any, noexist or exist, not ${JSON.stringify(f)}`);
      return { map: mapInfo(obj, map), entry: keylessOp(obj, map, 'push', value, FLAGS[f as keyof typeof FLAGS]) };
    },

    'map.pop': (args) => {
      const { map, obj } = oneMap(dp, args, 'map.pop');
      return { map: mapInfo(obj, map), entry: keylessOp(obj, map, 'pop') };
    },

    'map.peek': (args) => {
      const { map, obj } = oneMap(dp, args, 'map.peek');
      const value = args['value'] === undefined ? undefined : mapBytes(obj, map, 'value', args['value'], 'args.value');
      return { map: mapInfo(obj, map), entry: keylessOp(obj, map, 'peek', value) };
    },

    'map.delete': (args) => {
      const { map, obj } = oneMap(dp, args, 'map.delete');
      const key = mapBytes(obj, map, 'key', args['key'], 'args.key');
      map.delete(key);
      return { map: mapInfo(obj, map), key: Buffer.from(key).toString('hex') };
    },

    'conntrack.list': (args) => {
      const f: Record<string, unknown> = {};
      for (const k of ['proto', 'src', 'dst', 'family'] as const) {
        const v = optStr(args, k, 'conntrack.list');
        if (v !== undefined) f[k] = v;
      }
      const entries = dp.conntrack.list(f);
      return { entries, text: dp.conntrack.format(entries) };
    },
    'conntrack.stats': () => ({ stats: dp.conntrack.stats() }),
    'conntrack.flush': () => ({ deleted: dp.conntrack.flush() }),

    'link.show': (args) => {
      const name = optStr(args, 'device', 'link.show');
      const devs = name === undefined ? dp.listDevices() : [deviceNamed(dp, name)];
      return {
        links: devs.map((d) => {
          const s = d.stats();
          let info: Record<string, unknown> = {};
          let stack: unknown;
          // The stack's view of the device (state, its own counters), when a stack was made.
          if (dp.stackIfCreated) {
            try {
              info = { ...dp.links.show(d.name) };
              stack = dp.links.stats(d.name);
            } catch (e) {
              if (!(e instanceof NetError)) throw e;
            }
          }
          const p = d.program;
          const link = linkOf(d);
          return {
            ifname: d.name,
            ifindex: d.ifindex,
            mtu: d.mtu,
            address: Buffer.from(d.mac).toString('hex').replace(/(..)(?!$)/g, '$1:'),
            ...(info['operstate'] !== undefined ? { operstate: info['operstate'], flags: info['flags'] } : {}),
            queues: d.queues,
            xdp: p ? { program: p.name, object: objectOf(dp, p)?.spec.path ?? '' } : null,
            stats: { rxPackets: s.rxPackets, rxBytes: s.rxBytes, txPackets: s.txPackets, txBytes: s.txBytes, verdicts: s.verdicts, drops: nonZero(s.drops) },
            ...(stack !== undefined ? { stack } : {}),
            ...(link !== undefined ? { link } : {}),
          };
        }),
      };
    },

    stats: () => {
      const stackMade = dp.stackIfCreated !== undefined;
      return {
        timeMs: performance.now(),
        devices: dp.listDevices().map((d) => {
          const s = d.stats();
          return { name: d.name, ifindex: d.ifindex, rxPackets: s.rxPackets, rxBytes: s.rxBytes, txPackets: s.txPackets, txBytes: s.txBytes, verdicts: s.verdicts, drops: nonZero(s.drops) };
        }),
        stack: stackMade ? { drops: nonZero(dp.stack.drops()), mib: nonZero(dp.stack.mib()) } : { drops: {}, mib: {} },
        poller: { ...Poller.of(dp).counters },
      };
    },

    reload: async () => {
      if (!opts.reload) throw new ControlError('EOPNOTSUPP', 'reload: this data path was not started from a config (wxdp up CONFIG)');
      return opts.reload();
    },
  };
}
