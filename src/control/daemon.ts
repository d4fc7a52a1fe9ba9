// `wxdp up`: a data path that lives as long as its process, built from a config file (daemon_config.ts)
// and steered through its control socket (control_socket.ts). The order things are made in:
//
//   claim the socket path (fail at once when another instance serves it)
//   ─▶ sysctls not naming a device ─▶ devices (and their links) ─▶ sysctls naming one ─▶ devices up
//   ─▶ ip lines ─▶ programs (every object loaded and its maps filled, then each attached)
//   ─▶ services (start(dp, ctx) awaited, in order) ─▶ listen: the socket appears when the data path is ready
//
// Reload (SIGHUP, the `reload` command) reads the file again and changes only what differs, so traffic
// on what stayed keeps flowing: new programs are loaded and verified before anything changes (a program
// that fails leaves everything as it was); then, in one synchronous step no poll can interleave with,
// devices are added or re-set (mtu, mac, up), sysctls set (one the file no longer names gets back the
// value it had before wxdp first set it), ip lines that left the file undone (`add` → `del` with the same
// words, in reverse order) and new ones applied, programs swapped (Device.attachXdp: a burst runs wholly
// under the old or the new one) or detached; last, services whose module, file or options changed are
// stopped and started. Removing a device or changing its queues or link needs a restart: the reload is
// refused and nothing changes.
//
// Shutdown (SIGTERM, SIGINT): the control socket closes, services stop (newest first), the poller runs
// until the rings are empty, the final counters go to the log, and Datapath.close lets the process end.
//
// A device with no link has nothing to hand its frames to: what it transmits (and what XDP_PASS leaves
// on its host ring when the stack does not take it) is discarded after each poll — counted by the device
// as sent, like a NIC with no cable — so the rings never fill.

import { statSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { WxdpError } from '../errors.js';
import { ControlError, attachLoaded, claimSocketPath, detachDevice, loadForAttach, release, type ControlServer } from './control_socket.js';
import { defaultSocketPath } from './control_client.js';
import { ConfigError, readDaemonConfig, type DaemonConfig, type DeviceConfig, type ProgramConfig, type ServiceConfig } from './daemon_config.js';
import { Datapath, type BpfObject, type DatapathOptions, type Program } from './datapath.js';
import { dataPathExports, type Device } from './device.js';
import type { Ring } from './ring.js';
import { IpError, makeArgs } from './ip/index.js';
import { matches } from './ip/syntax.js';
import { NetError } from './net_types.js';
import { Poller } from './poller.js';

export interface DaemonOptions {
  /** The control socket (wins over the config's `socket`; default WXDP_SOCKET, else /run/wxdp.sock). */
  socket?: string;
  /** Log lines (no newline); default: stderr as "wxdp up[PID]: LINE". */
  log?: (line: string) => void;
  /** Options of the Datapath made. */
  datapath?: DatapathOptions;
}

/** What a service module's start(dp, ctx) gets as ctx. */
export interface ServiceContext {
  name: string;
  /** The config's `options` (default {}). */
  options: unknown;
  /** A line to the daemon's log, prefixed with the service's name. */
  log: (line: string) => void;
  /** The Datapath's poller: kick() it after injecting frames from outside its own sockets. */
  poller: Poller;
}

/** What a service's start() may return: something to stop it (a function, or an object with stop() or close()). */
type ServiceHandle = (() => unknown) | { stop?: () => unknown; close?: () => unknown } | undefined | void;

interface RunningService {
  config: ServiceConfig;
  identity: string;
  stop: () => Promise<void>;
}

interface RunningProgram {
  config: ProgramConfig;
  identity: string;
  program: Program;
  obj: BpfObject;
}

export interface ReloadReport {
  devices: { added: string[]; changed: string[] };
  sysctls: { set: string[]; restored: string[] };
  ip: { undone: string[]; applied: string[]; notUndone: string[] };
  programs: { attached: string[]; detached: string[]; kept: string[] };
  services: { stopped: string[]; started: string[]; kept: string[] };
}

export interface DeviceCounters {
  name: string;
  rxPackets: number;
  rxBytes: number;
  txPackets: number;
  txBytes: number;
  verdicts: Record<string, number>;
  drops: Record<string, number>;
}

export interface FinalCounters {
  uptimeMs: number;
  devices: DeviceCounters[];
  stackDrops: Record<string, number>;
}

const defaultLog = (line: string): void => void process.stderr.write(`wxdp up[${process.pid}]: ${line}\n`);

export class Daemon {
  private readonly programs = new Map<string, RunningProgram>();
  private readonly services: RunningService[] = [];
  private readonly linked = new Set<string>();
  private readonly links: unknown[] = [];
  /** Sysctls as they were before this daemon first set them (restored when the config drops them). */
  private readonly sysctlBefore = new Map<string, number | string>();
  private server: ControlServer | undefined;
  private readonly startedAt = Date.now();
  private stopping: Promise<FinalCounters> | undefined;
  private readonly log: (line: string) => void;
  /** Frames taken off rings no one reads (devices without a link): the device counted them as sent. */
  readonly discarded = { tx: 0, host: 0 };

  private constructor(
    readonly dp: Datapath,
    private config: DaemonConfig,
    readonly socket: string,
    opts: DaemonOptions,
  ) {
    this.log = opts.log ?? defaultLog;
  }

  /** Read `file`, build the data path it describes, start its services and serve the control socket. */
  static async start(file: string, opts: DaemonOptions = {}): Promise<Daemon> {
    const config = readDaemonConfig(file);
    const socket = opts.socket ?? config.socket ?? defaultSocketPath();
    await claimSocketPath(socket);
    const dp = await Datapath.create(opts.datapath);
    const d = new Daemon(dp, config, socket, opts);
    try {
      await d.build();
      d.server = await dp.listen(socket, {
        reload: () => d.reload(),
        info: () => ({ config: config.file, startedAt: new Date(d.startedAt).toISOString(), services: d.services.map((s) => s.config.name) }),
        log: d.log,
      });
    } catch (e) {
      await d.stopServices();
      await dp.close();
      throw e;
    }
    const c = d.config;
    d.log(`ready: ${c.devices.length} device${c.devices.length === 1 ? '' : 's'}, ${c.ip.length} ip command${c.ip.length === 1 ? '' : 's'}, ${c.programs.length} program${c.programs.length === 1 ? '' : 's'}, ${c.services.length} service${c.services.length === 1 ? '' : 's'}; control socket ${socket}`);
    return d;
  }

  /** The config in force (the last one loaded). */
  get current(): DaemonConfig {
    return this.config;
  }

  private async build(): Promise<void> {
    const c = this.config;
    const names = new Set(c.devices.map((d) => d.name));
    const namesDevice = (sysctl: string) => sysctl.split('.').some((part) => names.has(part));
    this.dp.stack;
    for (const [k, v] of c.sysctls) if (!namesDevice(k)) this.setSysctl(c, k, v);
    for (let i = 0; i < c.devices.length; i++) await this.addDevice(c, c.devices[i]!, i);
    for (const [k, v] of c.sysctls) if (namesDevice(k)) this.setSysctl(c, k, v);
    for (const d of c.devices) if (d.up) this.linkSet(c, d, { up: true });
    for (const l of c.ip) this.ipLine(c, l.text, l.where);
    const loaded = await this.loadPrograms(c, c.programs);
    for (const r of loaded) this.attach(r);
    Poller.of(this.dp).addStage(() => this.discard());
    for (const s of c.services) await this.startService(c, s);
  }

  private async addDevice(c: DaemonConfig, d: DeviceConfig, i: number): Promise<void> {
    let dev: Device;
    try {
      dev = this.dp.addDevice({ name: d.name, mtu: d.mtu, queues: d.queues, ...(d.mac ? { mac: d.mac } : {}) });
    } catch (e) {
      throw located(c, `devices[${i}]`, e);
    }
    if (d.link) {
      let link;
      try {
        link = await dev.attachLink(d.link);
      } catch (e) {
        throw located(c, `devices[${i}].link`, e); // e.g. EADDRNOTAVAIL: the link's local address is not the host's
      }
      this.linked.add(d.name);
      this.links.push(link);
    }
  }

  private setSysctl(c: DaemonConfig, name: string, value: number | string): void {
    try {
      if (!this.sysctlBefore.has(name)) this.sysctlBefore.set(name, this.dp.sysctl(name));
      this.dp.sysctl(name, value);
    } catch (e) {
      throw located(c, `sysctls["${name}"]`, e);
    }
  }

  private linkSet(c: DaemonConfig, d: DeviceConfig, change: { up?: boolean; mtu?: number; address?: string }): void {
    try {
      this.dp.links.set(d.name, change);
    } catch (e) {
      throw located(c, `devices[${c.devices.indexOf(d)}]`, e);
    }
  }

  private ipLine(c: DaemonConfig, text: string, where: string): void {
    try {
      this.dp.ip(text);
    } catch (e) {
      // a batch file's line is named FILE:LINE, an inline one by its key path
      if (where.startsWith('ip[')) throw located(c, where, e);
      throw new ConfigError(where, '', reasonOf(e));
    }
  }

  private async loadPrograms(c: DaemonConfig, list: readonly ProgramConfig[]): Promise<RunningProgram[]> {
    const out: RunningProgram[] = [];
    try {
      for (const p of list) {
        const { obj, program } = await loadForAttach(this.dp, {
          object: p.object,
          device: p.device,
          ...(p.program !== undefined ? { program: p.program } : {}),
          maps: p.maps,
          ...(p.maxEntries ? { maxEntries: p.maxEntries } : {}),
          ...(p.globals ? { globals: p.globals } : {}),
          ...(p.kconfig !== undefined ? { kconfig: p.kconfig } : {}),
          where: p.where,
        }).catch((e: unknown) => {
          throw e instanceof ConfigError ? e : located(c, '', e);
        });
        out.push({ config: p, identity: programIdentity(p), program, obj });
      }
    } catch (e) {
      for (const r of out) release(this.dp, r.obj);
      throw e;
    }
    return out;
  }

  private attach(r: RunningProgram): void {
    attachLoaded(this.dp, r.config.device, r.program);
    this.programs.set(r.config.device, r);
  }

  private async startService(c: DaemonConfig, s: ServiceConfig): Promise<void> {
    let mod: { start?: unknown };
    const mtime = mtimeOf(s.module);
    if (mtime < 0) throw new ConfigError(c.file, `${s.where}.module`, `cannot read ${s.module}: ENOENT`);
    try {
      // the file's mtime in the URL: a module edited since it was last imported is imported afresh
      mod = (await import(`${pathToFileURL(s.module).href}?mtime=${mtime}`)) as { start?: unknown };
    } catch (e) {
      throw new ConfigError(c.file, `${s.where}.module`, `cannot import ${s.module}: ${(e as Error)?.message ?? String(e)}`);
    }
    if (typeof mod.start !== 'function') throw new ConfigError(c.file, `${s.where}.module`, `${s.module} exports no start(dp, ctx) function`);
    const ctx: ServiceContext = { name: s.name, options: s.options, log: (l) => this.log(`${s.name}: ${l}`), poller: Poller.of(this.dp) };
    let handle: ServiceHandle;
    try {
      handle = (await (mod.start as (dp: Datapath, ctx: ServiceContext) => unknown)(this.dp, ctx)) as ServiceHandle;
    } catch (e) {
      throw new ConfigError(c.file, s.where, `service ${s.name}: start() failed: ${(e as Error)?.message ?? String(e)}`);
    }
    const stopFn = typeof handle === 'function' ? handle : typeof handle?.stop === 'function' ? handle.stop.bind(handle) : typeof handle?.close === 'function' ? handle.close.bind(handle) : undefined;
    this.services.push({ config: s, identity: serviceIdentity(s, mtime), stop: async () => void (await stopFn?.()) });
    this.log(`service ${s.name} started (${s.module})`);
  }

  private async stopService(s: RunningService): Promise<void> {
    try {
      await s.stop();
      this.log(`service ${s.config.name} stopped`);
    } catch (e) {
      this.log(`service ${s.config.name}: stop() failed: ${(e as Error)?.message ?? String(e)}`);
    }
    const i = this.services.indexOf(s);
    if (i >= 0) this.services.splice(i, 1);
  }

  private async stopServices(): Promise<void> {
    for (const s of [...this.services].reverse()) await this.stopService(s);
  }

  /** The rings the discard stage empties, per device (Ring objects read the memory afresh: safe to keep). */
  private readonly sinks = new Map<Device, { tx: Ring[]; host: Ring }>();

  /** The poll stage for devices without a link: their TX and host rings emptied (see the header). */
  private discard(): number {
    const x = dataPathExports(this.dp.fastPath);
    let n = 0;
    for (const dev of this.dp.listDevices()) {
      if (this.linked.has(dev.name)) continue;
      let sink = this.sinks.get(dev);
      if (!sink) this.sinks.set(dev, (sink = { tx: [...Array(dev.queues).keys()].map((q) => dev.rings(q).tx), host: dev.hostRing() }));
      for (let q = 0; q < sink.tx.length; q++) {
        const k = sink.tx[q]!.available();
        if (k > 0) {
          x.dev_tx_done(dev.address, q, k);
          this.discarded.tx += k;
          n += k;
        }
      }
      const h = sink.host.available();
      if (h > 0) {
        x.dev_host_done(dev.address, h);
        this.discarded.host += h;
        n += h;
      }
    }
    return n;
  }

  /**
   * Read the config file again and apply what changed (see the header). Resolves with what was done;
   * rejects with ConfigError (nothing changed) when the new file is refused or a new program fails to load.
   */
  reload(): Promise<ReloadReport> {
    // SIGHUP and the reload command may come together: one reload at a time, in the order asked
    const next = this.reloading.then(() => this.reloadNow());
    this.reloading = next.catch(() => undefined);
    return next;
  }

  private reloading: Promise<unknown> = Promise.resolve();

  private async reloadNow(): Promise<ReloadReport> {
    if (this.stopping) throw new ControlError('ESHUTDOWN', 'reload: the data path is shutting down');
    const cur = this.config;
    const next = readDaemonConfig(cur.file);
    const report: ReloadReport = {
      devices: { added: [], changed: [] },
      sysctls: { set: [], restored: [] },
      ip: { undone: [], applied: [], notUndone: [] },
      programs: { attached: [], detached: [], kept: [] },
      services: { stopped: [], started: [], kept: [] },
    };
    // What cannot change without a restart: refused before anything is done.
    for (const d of cur.devices) {
      const i = next.devices.findIndex((n) => n.name === d.name);
      if (i < 0) throw new ConfigError(next.file, 'devices', `device ${d.name} is gone from the file: removing a device needs a restart`);
      const n = next.devices[i]!;
      if (n.queues !== d.queues) throw new ConfigError(next.file, `devices[${i}].queues`, `changes only at restart (${d.name} runs with ${d.queues})`);
      if (JSON.stringify(n.link ?? null) !== JSON.stringify(d.link ?? null)) throw new ConfigError(next.file, `devices[${i}].link`, `changes only at restart`);
    }
    if (next.socket !== cur.socket) this.log(`reload: the control socket changes only at restart (still ${this.socket})`);

    // Programs that are new or changed: loaded (and verified) first.
    const changedPrograms = next.programs.filter((p) => this.programs.get(p.device)?.identity !== programIdentity(p));
    const loaded = await this.loadPrograms(next, changedPrograms);

    // From here on, nothing awaits until the services: no poll runs in between.
    try {
      const names = new Set(next.devices.map((d) => d.name));
      const namesDevice = (sysctl: string) => sysctl.split('.').some((part) => names.has(part));
      const curSysctls = new Map(cur.sysctls);
      const setChanged = (device: boolean) => {
        for (const [k, v] of next.sysctls) {
          if (namesDevice(k) !== device || curSysctls.get(k) === v) continue;
          this.setSysctl(next, k, v);
          report.sysctls.set.push(k);
        }
      };
      setChanged(false);
      for (let i = 0; i < next.devices.length; i++) {
        const n = next.devices[i]!;
        const d = cur.devices.find((x) => x.name === n.name);
        if (!d) {
          // a new device without a link: made synchronously (a link would await, and is refused above for existing ones)
          if (n.link) throw new ConfigError(next.file, `devices[${i}].link`, 'a device with a link can be added only at restart');
          try {
            this.dp.addDevice({ name: n.name, mtu: n.mtu, queues: n.queues, ...(n.mac ? { mac: n.mac } : {}) });
          } catch (e) {
            throw located(next, `devices[${i}]`, e);
          }
          report.devices.added.push(n.name);
          continue;
        }
        const change: { mtu?: number; address?: string; up?: boolean } = {};
        if (n.mtu !== d.mtu) change.mtu = n.mtu;
        if ((n.mac ?? null) !== (d.mac ?? null) && n.mac) change.address = n.mac;
        if (n.up !== d.up) change.up = n.up;
        if (Object.keys(change).length) {
          this.linkSet(next, n, change);
          report.devices.changed.push(n.name);
        }
      }
      setChanged(true);
      for (const n of next.devices) if (report.devices.added.includes(n.name) && n.up) this.linkSet(next, n, { up: true });
      for (const [k] of cur.sysctls) {
        if (next.sysctls.some(([x]) => x === k) || !this.sysctlBefore.has(k)) continue;
        this.setSysctl(next, k, this.sysctlBefore.get(k)!);
        report.sysctls.restored.push(k);
      }

      const { removed, added } = diffLines(cur.ip.map((l) => l.text), next.ip.map((l) => l.text));
      for (const text of removed.reverse()) {
        const undo = inverseIpLine(text);
        if (!undo) {
          report.ip.notUndone.push(text);
          continue;
        }
        try {
          this.dp.ip(undo);
          report.ip.undone.push(text);
        } catch (e) {
          // gone already (its link went, a route went with its address): nothing to undo
          if (!(e instanceof IpError)) throw e;
          report.ip.notUndone.push(`${text} (${e.message})`);
        }
      }
      for (const text of added) {
        this.ipLine(next, text, next.ip.find((l) => l.text === text)!.where);
        report.ip.applied.push(text);
      }

      for (const r of loaded) {
        this.attach(r);
        report.programs.attached.push(`${r.program.name} on ${r.config.device}`);
      }
      for (const [dev, r] of [...this.programs]) {
        if (next.programs.some((p) => p.device === dev)) {
          if (!loaded.some((l) => l.config.device === dev)) report.programs.kept.push(`${r.program.name} on ${dev}`);
          continue;
        }
        detachDevice(this.dp, dev);
        this.programs.delete(dev);
        report.programs.detached.push(`${r.program.name} on ${dev}`);
      }
    } catch (e) {
      for (const r of loaded) if (this.programs.get(r.config.device) !== r) release(this.dp, r.obj);
      this.log(`reload: stopped part way: ${(e as Error).message}`);
      throw e;
    }
    this.config = next;
    Poller.of(this.dp).kick();

    const wanted = new Map(next.services.map((s) => [s.name, s]));
    for (const s of [...this.services].reverse()) {
      const n = wanted.get(s.config.name);
      if (n && serviceIdentity(n, mtimeOf(n.module)) === s.identity) continue;
      await this.stopService(s);
      report.services.stopped.push(s.config.name);
    }
    for (const s of next.services) {
      if (this.services.some((r) => r.config.name === s.name)) {
        report.services.kept.push(s.name);
        continue;
      }
      await this.startService(next, s);
      report.services.started.push(s.name);
    }
    this.log(`reload: ${summarize(report)}`);
    return report;
  }

  /** Counters of every device and the stack's drops (what shutdown prints). */
  counters(): FinalCounters {
    return {
      uptimeMs: Date.now() - this.startedAt,
      devices: this.dp.listDevices().map((d) => {
        const s = d.stats();
        return { name: d.name, rxPackets: s.rxPackets, rxBytes: s.rxBytes, txPackets: s.txPackets, txBytes: s.txBytes, verdicts: nonZero(s.verdicts), drops: nonZero(s.drops) };
      }),
      stackDrops: this.dp.stackIfCreated ? nonZero(this.dp.stack.drops()) : {},
    };
  }

  /**
   * Stop (once; later calls get the same promise): the control socket closes, services stop, the rings
   * are drained, the final counters are logged and returned, and the Datapath is closed.
   */
  shutdown(why = 'shutdown'): Promise<FinalCounters> {
    this.stopping ??= (async () => {
      this.log(`${why}: stopping`);
      await this.server?.close();
      await this.stopServices();
      // drain: what is on the RX rings goes through (bounded: a peer that keeps sending cannot hold us)
      const poller = Poller.of(this.dp);
      for (let i = 0; i < 1000 && poller.run() > 0; i++);
      const c = this.counters();
      for (const line of formatCounters(c, this.discarded)) this.log(line);
      for (const l of this.links) await (l as { close?: () => unknown })?.close?.();
      await this.dp.close();
      this.log('stopped');
      return c;
    })();
    return this.stopping;
  }
}

function nonZero(r: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(r).filter(([, v]) => v !== 0));
}

function formatCounters(c: FinalCounters, discarded: { tx: number; host: number }): string[] {
  const kv = (r: Record<string, number>) => (Object.keys(r).length ? Object.entries(r).map(([k, v]) => `${k} ${v}`).join(', ') : 'none');
  return [
    `final counters after ${(c.uptimeMs / 1000).toFixed(1)} s:`,
    ...c.devices.map((d) => `  ${d.name}: rx ${d.rxPackets} packets ${d.rxBytes} bytes, tx ${d.txPackets} packets ${d.txBytes} bytes; verdicts ${kv(d.verdicts)}; drops ${kv(d.drops)}`),
    `  stack drops: ${kv(c.stackDrops)}`,
    ...(discarded.tx || discarded.host ? [`  discarded (devices without a link): tx ${discarded.tx}, host ${discarded.host}`] : []),
  ];
}

function summarize(r: ReloadReport): string {
  const parts: string[] = [];
  const add = (what: string, list: string[]) => list.length && parts.push(`${what} ${list.length}`);
  add('devices added', r.devices.added);
  add('devices changed', r.devices.changed);
  add('sysctls set', r.sysctls.set);
  add('sysctls restored', r.sysctls.restored);
  add('ip lines undone', r.ip.undone);
  add('ip lines applied', r.ip.applied);
  add('ip lines not undone', r.ip.notUndone);
  add('programs attached', r.programs.attached);
  add('programs detached', r.programs.detached);
  add('services stopped', r.services.stopped);
  add('services started', r.services.started);
  return parts.length ? parts.join(', ') : 'nothing changed';
}

/** A program config's identity: the same object file (path and modification time), program and map contents. */
function programIdentity(p: ProgramConfig): string {
  return JSON.stringify([p.object, mtimeOf(p.object), p.program ?? null, p.maps, p.maxEntries ?? null, p.globals ?? null, p.kconfig ?? null]);
}

function serviceIdentity(s: ServiceConfig, mtime: number): string {
  return JSON.stringify([s.module, mtime, s.options]);
}

function mtimeOf(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return -1;
  }
}

/** Lines of `a` not in `b` and of `b` not in `a`, as multisets, in their own order. */
function diffLines(a: readonly string[], b: readonly string[]): { removed: string[]; added: string[] } {
  const norm = (s: string) => makeArgs(s).join(' ');
  const count = (list: readonly string[]) => {
    const m = new Map<string, number>();
    for (const s of list) m.set(norm(s), (m.get(norm(s)) ?? 0) + 1);
    return m;
  };
  const take = (list: readonly string[], other: Map<string, number>) =>
    list.filter((s) => {
      const k = norm(s);
      const n = other.get(k) ?? 0;
      if (n > 0) {
        other.set(k, n - 1);
        return false;
      }
      return true;
    });
  return { removed: take(a, count(b)), added: take(b, count(a)) };
}

/**
 * The `ip` line that undoes `line`: address, route, rule and neighbour adds (add, append, replace,
 * prepend, change) become `del` with the same words; anything else has no inverse (undefined).
 */
export function inverseIpLine(line: string): string | undefined {
  const words = makeArgs(line);
  let i = 0;
  while (i < words.length && words[i]!.startsWith('-')) i++;
  const obj = words[i];
  const cmd = words[i + 1];
  if (obj === undefined || cmd === undefined) return undefined;
  // ip.c's table order decides an abbreviation: "a" is address, "r" route, "ru" rule, "n" neighbor
  const object = ['address', 'addrlabel', 'maddress', 'route', 'rule', 'neighbor', 'neighbour'].find((o) => matches(obj, o));
  if (object === undefined || object === 'addrlabel' || object === 'maddress') return undefined;
  const adds = object === 'address' ? ['add', 'replace', 'change'] : object === 'rule' ? ['add'] : ['add', 'append', 'replace', 'prepend', 'change'];
  if (!adds.some((a) => matches(cmd, a))) return undefined;
  return [...words.slice(0, i + 1), 'del', ...words.slice(i + 2)].map(quote).join(' ');
}

function quote(w: string): string {
  return /[\s'"]/.test(w) ? (w.includes('"') ? `'${w}'` : `"${w}"`) : w;
}

/** The reason an apply step failed, with the errno when the tables gave one. */
function reasonOf(e: unknown): string {
  if (e instanceof IpError) return `${e.message}${e.errno ? ` (${e.errno})` : ''}`;
  if (e instanceof NetError) return `${e.message} (${e.errno})`;
  return (e as Error)?.message ?? String(e);
}

/** An apply-time error as a ConfigError naming the config file and the key path it came from. */
function located(c: DaemonConfig, where: string, e: unknown): WxdpError {
  if (e instanceof ConfigError) return e;
  const at = (e as { where?: string }).where;
  if (at !== undefined) return new ConfigError(c.file, at, (e as { reason: string }).reason);
  return new ConfigError(c.file, where, reasonOf(e));
}
