// The `wxdp up` config file: JSON, read and validated here into a DaemonConfig before anything is built,
// so a bad file is refused whole, with one ConfigError naming the file and the key path
// ("router.json: devices[1].mtu: must be 68..3502"). Every key, its type and its default:
//
//   {
//     "socket":   "/run/wxdp.sock",          string, optional: the control socket (`--socket` wins over it)
//     "devices": [                           array of 1..MAX_DEVICES-2 objects, required
//       { "name":   "eth0",                  string, required: 1..15 bytes, no '/', ':' or blanks, not "." or "..",
//                                            unique ("lo" is the loopback's)
//         "mac":    "02:00:00:00:01:00",     string, optional: a unicast MAC (default 02:00:00:00:HH:LL from the ifindex)
//         "mtu":    1500,                    integer 68..3502, optional (default 1500)
//         "queues": 1,                       integer 1..64, optional (default 1): RX/TX queue pairs
//         "up":     true,                    boolean, optional (default true): set up after the sysctls
//         "link":   { "type": "vxlan", … } } a LinkSpec (src/control/link.ts: vxlan | geneve | udp), optional: what carries the device's
//     ],                                     frames to a real network (Device.attachLink); without one, what the
//                                            device transmits is discarded (counted as sent, like a NIC with no cable)
//     "sysctls":  { "net.ipv4.ip_forward": 1 },
//                                            object NAME → integer or string, optional: by the kernel's names; those
//                                            naming a configured device (net.ipv4.conf.eth0.…) apply once the devices
//                                            exist, the rest before (so conf.default.* reaches them)
//     "ip":       [ "addr add 192.0.2.1/24 dev eth0", … ]  or  "router.batch"
//                                            array of strings (one `ip -batch` line each, no newline), or a batch
//                                            file's path; optional. Applied after the devices are up.
//     "programs": [                          array of objects, optional: at most one per device
//       { "object":  "xdp_fw.o",             string, required: an ELF object
//         "program": "xdp_main",             string, optional (default: the object's first program)
//         "device":  "eth0",                 string, required: a configured device
//         "maps": {                          object MAP → array of entries, optional: loaded before the attach
//           "blocked": [ { "key": "c0000202", "value": "01", "flags": "any" } ] },
//         "maxEntries": { "rx_cnt": 2 },     object MAP → max_entries, optional: before the maps are created
//         "globals": { "nr_cpus": 2 },       object VAR → value (as a map value's JSON), optional: .rodata/.data/.bss
//                                            before load, as a libbpf skeleton sets them
//         "kconfig": "kernel.config" }       string, optional: a file of CONFIG_NAME=VALUE lines for __kconfig externs
//     ],                                     key/value: hex bytes ("c0 00 02 02", "0xc0000202") or any other JSON
//                                            value, encoded through the object's BTF (a struct as an object);
//                                            flags: "any" (default), "noexist" or "exist"
//     "services": [                          array of objects, optional: started last, stopped first
//       { "module":  "./echo.mjs",           string, required: an ES module exporting start(dp, ctx), awaited;
//                                            what it returns may have stop() (awaited at shutdown and reload)
//         "name":    "echo",                 string, optional (default: the module's file name), unique
//         "options": { "port": 7 } }         any JSON, optional (default {}): ctx.options
//     ]
//   }
//
// Relative paths are taken from the config file's directory. Unknown keys are errors (a typo should
// not be a silently ignored setting).

import { readFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { WxdpError } from '../errors.js';
import { MAX_DEVICES } from '../runtime/memory.js';
import { DEVICE_MAX_MTU, DEVICE_MIN_MTU } from './device.js';
import { batchLines } from './ip/index.js';
import { LinkSpecError, parseLinkSpec, type LinkSpec } from './link.js';
import { hexBytes } from './map_json.js';

/** A config file refused: `file` and `path` (the key path, e.g. "devices[1].mtu") say where. */
export class ConfigError extends WxdpError {
  readonly file: string;
  readonly path: string;
  readonly reason: string;
  constructor(file: string, path: string, reason: string) {
    super('CONFIG', `${file}: ${path ? `${path}: ` : ''}${reason}`);
    this.file = file;
    this.path = path;
    this.reason = reason;
  }
}

export interface DeviceConfig {
  name: string;
  mac?: string;
  mtu: number;
  queues: number;
  up: boolean;
  link?: LinkSpec;
}

export type MapFlags = 'any' | 'noexist' | 'exist';

export interface MapEntryConfig {
  /** A hex string, or a JSON value for the BTF codec. */
  key: unknown;
  value: unknown;
  flags: MapFlags;
  /** Key path of the entry, for errors at load time ("programs[0].maps.blocked[1]"). */
  where: string;
}

export interface ProgramConfig {
  /** Absolute path of the object. */
  object: string;
  program?: string;
  device: string;
  maps: Record<string, MapEntryConfig[]>;
  maxEntries?: Record<string, number>;
  globals?: Record<string, unknown>;
  /** The kconfig file's text (read when the config is). */
  kconfig?: string;
  where: string;
}

export interface ServiceConfig {
  /** Absolute path of the module. */
  module: string;
  name: string;
  options: unknown;
  where: string;
}

export interface IpLineConfig {
  /** The command, as an `ip -batch` line (no leading "ip"). */
  text: string;
  /** "ip[3]" for an inline line, "FILE:LINE" for a batch file's. */
  where: string;
}

export interface DaemonConfig {
  /** The config file's path as given, and its directory (absolute). */
  file: string;
  dir: string;
  socket?: string;
  devices: DeviceConfig[];
  sysctls: Array<[name: string, value: number | string]>;
  ip: IpLineConfig[];
  programs: ProgramConfig[];
  services: ServiceConfig[];
}

/** Read and validate a config file. Throws ConfigError (also for a file that cannot be read). */
export function readDaemonConfig(file: string): DaemonConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(file, '', `cannot read it: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return parseDaemonConfig(text, file);
}

/** Validate a config given as text (`file` names it in errors and anchors its relative paths). */
export function parseDaemonConfig(text: string, file: string): DaemonConfig {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    const at = jsonErrorOffset(text);
    const { line, column } = lineColumn(text, at);
    const what = at >= text.length ? 'unexpected end of the file' : `unexpected ${JSON.stringify(text[at])}`;
    throw new ConfigError(`${file}:${line}:${column}`, '', `not JSON: ${what}`);
  }
  return new Checker(file).config(json);
}

/**
 * Where JSON.parse gave up: the end of the longest prefix that is still the start of a JSON text (V8's
 * messages carry a position only for some errors). "Still a start" is monotonic in the prefix length,
 * so a binary search finds it in a few parses.
 */
function jsonErrorOffset(text: string): number {
  const viable = (k: number): boolean => {
    try {
      JSON.parse(text.slice(0, k));
      return true;
    } catch (e) {
      const m = (e as Error).message;
      if (/Unexpected end of JSON input/.test(m)) return true;
      const pos = /at position (\d+)/.exec(m);
      return pos !== null && Number(pos[1]) >= k;
    }
  };
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (viable(mid)) lo = mid;
    else hi = mid - 1;
  }
  // `lo` characters start a JSON text: the next one is the first that cannot (or the file ended)
  return lo;
}

function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}

type Json = Record<string, unknown>;

const IFNAMSIZ = 16;
const MAP_FLAGS: readonly MapFlags[] = ['any', 'noexist', 'exist'];

class Checker {
  private readonly dir: string;
  constructor(private readonly file: string) {
    this.dir = dirname(resolve(file));
  }

  private fail(path: string, reason: string): never {
    throw new ConfigError(this.file, path, reason);
  }

  /** An object with only `keys` (any keys: null). */
  private object(v: unknown, path: string, keys: readonly string[] | null): Json {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(path, `must be an object, not ${kind(v)}`);
    if (keys) for (const k of Object.keys(v)) if (!keys.includes(k)) this.fail(join(path, k), `unknown key (known: ${keys.join(', ')})`);
    return v as Json;
  }

  private array(v: unknown, path: string): unknown[] {
    if (!Array.isArray(v)) this.fail(path, `must be an array, not ${kind(v)}`);
    return v;
  }

  private string(v: unknown, path: string): string {
    if (typeof v !== 'string') this.fail(path, `must be a string, not ${kind(v)}`);
    if (v === '') this.fail(path, 'must not be empty');
    return v;
  }

  private integer(v: unknown, path: string, min: number, max: number): number {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) this.fail(path, `must be ${min}..${max}${typeof v === 'number' ? `, not ${v}` : `, not ${kind(v)}`}`);
    return v;
  }

  private path(v: unknown, path: string): string {
    return resolve(this.dir, this.string(v, path));
  }

  config(v: unknown): DaemonConfig {
    const o = this.object(v, '', ['socket', 'devices', 'sysctls', 'ip', 'programs', 'services']);
    if (o['devices'] === undefined) this.fail('devices', 'is required (at least one device)');
    const list = this.array(o['devices'], 'devices');
    if (list.length === 0) this.fail('devices', 'must list at least one device');
    if (list.length > MAX_DEVICES - 2) this.fail('devices', `at most ${MAX_DEVICES - 2} devices`);
    const devices = list.map((d, i) => this.device(d, `devices[${i}]`));
    devices.forEach((d, i) => {
      const first = devices.findIndex((x) => x.name === d.name);
      if (first !== i) this.fail(`devices[${i}].name`, `"${d.name}" is also devices[${first}]'s name`);
    });
    const names = new Set(devices.map((d) => d.name));
    const cfg: DaemonConfig = {
      file: this.file,
      dir: this.dir,
      devices,
      sysctls: o['sysctls'] === undefined ? [] : this.sysctls(o['sysctls']),
      ip: o['ip'] === undefined ? [] : this.ip(o['ip']),
      programs: o['programs'] === undefined ? [] : this.array(o['programs'], 'programs').map((p, i) => this.program(p, `programs[${i}]`, names)),
      services: o['services'] === undefined ? [] : this.array(o['services'], 'services').map((s, i) => this.service(s, `services[${i}]`)),
    };
    if (o['socket'] !== undefined) cfg.socket = this.path(o['socket'], 'socket');
    cfg.programs.forEach((p, i) => {
      const first = cfg.programs.findIndex((x) => x.device === p.device);
      if (first !== i) this.fail(`programs[${i}].device`, `"${p.device}" already runs programs[${first}] (one XDP program per device)`);
    });
    cfg.services.forEach((s, i) => {
      const first = cfg.services.findIndex((x) => x.name === s.name);
      if (first !== i) this.fail(`services[${i}].name`, `"${s.name}" is also services[${first}]'s name`);
    });
    return cfg;
  }

  private device(v: unknown, path: string): DeviceConfig {
    const o = this.object(v, path, ['name', 'mac', 'mtu', 'queues', 'up', 'link']);
    if (o['name'] === undefined) this.fail(join(path, 'name'), 'is required');
    const name = this.string(o['name'], join(path, 'name'));
    // dev_valid_name
    if (Buffer.byteLength(name) >= IFNAMSIZ) this.fail(join(path, 'name'), `"${name}" is longer than ${IFNAMSIZ - 1} bytes`);
    if (name === '.' || name === '..' || /[/:\s]/.test(name)) this.fail(join(path, 'name'), `"${name}" is not a valid device name (no '/', ':' or blanks; not "." or "..")`);
    if (name === 'lo') this.fail(join(path, 'name'), '"lo" is the loopback device');
    const d: DeviceConfig = {
      name,
      mtu: o['mtu'] === undefined ? 1500 : this.integer(o['mtu'], join(path, 'mtu'), DEVICE_MIN_MTU, DEVICE_MAX_MTU),
      queues: o['queues'] === undefined ? 1 : this.integer(o['queues'], join(path, 'queues'), 1, 64),
      up: true,
    };
    if (o['up'] !== undefined) {
      if (typeof o['up'] !== 'boolean') this.fail(join(path, 'up'), `must be true or false, not ${kind(o['up'])}`);
      d.up = o['up'];
    }
    if (o['mac'] !== undefined) d.mac = this.mac(o['mac'], join(path, 'mac'));
    if (o['link'] !== undefined) {
      const l = o['link'];
      if (typeof l !== 'object' || l === null || Array.isArray(l)) this.fail(join(path, 'link'), `must be an object, not ${kind(l)}`);
      // the link's own fields, checked by src/control/link.ts (a bad one named by its key path here)
      try {
        d.link = parseLinkSpec(l, join(path, 'link'));
      } catch (e) {
        if (e instanceof LinkSpecError) this.fail(join(path, 'link', e.field), e.reason);
        throw e;
      }
    }
    return d;
  }

  private mac(v: unknown, path: string): string {
    const s = this.string(v, path);
    if (!/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(s)) this.fail(path, `"${s}" is not a MAC address (six hex bytes, ':' between)`);
    // is_valid_ether_addr: not multicast (bit 0 of the first byte), not all zeros
    if (parseInt(s.slice(0, 2), 16) & 1) this.fail(path, `"${s}" is a multicast address: a device needs a unicast one`);
    if (/^(00:){5}00$/.test(s)) this.fail(path, `"${s}" is all zeros: a device needs a unicast address`);
    return s.toLowerCase();
  }

  private sysctls(v: unknown): Array<[string, number | string]> {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail('sysctls', `must be an object NAME → value, not ${kind(v)}`);
    return Object.entries(v as Json).map(([k, val]) => {
      const path = `sysctls["${k}"]`;
      if (!/^[a-z0-9_]+(\.[A-Za-z0-9_@-]+)+$/.test(k)) this.fail(path, 'is not a sysctl name (dotted, as net.ipv4.ip_forward)');
      if (typeof val === 'number') {
        if (!Number.isInteger(val)) this.fail(path, `must be an integer or a string, not ${val}`);
        return [k, val];
      }
      if (typeof val !== 'string') this.fail(path, `must be an integer or a string, not ${kind(val)}`);
      return [k, val];
    });
  }

  private ip(v: unknown): IpLineConfig[] {
    if (typeof v === 'string') {
      const file = this.path(v, 'ip');
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (e) {
        this.fail('ip', `cannot read the batch file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
      return batchCommands(text, file);
    }
    return this.array(v, 'ip').map((line, i) => {
      const path = `ip[${i}]`;
      const text = this.string(line, path);
      if (/[\r\n]/.test(text)) this.fail(path, 'one command per entry (no newline)');
      return { text, where: path };
    });
  }

  private program(v: unknown, path: string, devices: ReadonlySet<string>): ProgramConfig {
    const o = this.object(v, path, ['object', 'program', 'device', 'maps', 'maxEntries', 'globals', 'kconfig']);
    for (const k of ['object', 'device']) if (o[k] === undefined) this.fail(join(path, k), 'is required');
    const device = this.string(o['device'], join(path, 'device'));
    if (!devices.has(device)) this.fail(join(path, 'device'), `"${device}" is not a configured device (have: ${[...devices].join(', ')})`);
    const p: ProgramConfig = { object: this.path(o['object'], join(path, 'object')), device, maps: {}, where: path };
    if (o['program'] !== undefined) p.program = this.string(o['program'], join(path, 'program'));
    if (o['maps'] !== undefined) {
      const maps = o['maps'];
      if (typeof maps !== 'object' || maps === null || Array.isArray(maps)) this.fail(join(path, 'maps'), `must be an object MAP → entries, not ${kind(maps)}`);
      for (const [name, entries] of Object.entries(maps as Json)) {
        const mp = join(path, 'maps', name);
        p.maps[name] = this.array(entries, mp).map((e, i) => this.mapEntry(e, `${mp}[${i}]`));
      }
    }
    if (o['maxEntries'] !== undefined) {
      const sizes = this.object(o['maxEntries'], join(path, 'maxEntries'), null);
      for (const [name, n] of Object.entries(sizes)) {
        if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 0xffff_ffff) this.fail(join(path, 'maxEntries', name), `must be an integer 0..4294967295, not ${JSON.stringify(n)}`);
      }
      p.maxEntries = sizes as Record<string, number>;
    }
    if (o['globals'] !== undefined) p.globals = this.object(o['globals'], join(path, 'globals'), null);
    if (o['kconfig'] !== undefined) {
      const file = this.path(o['kconfig'], join(path, 'kconfig'));
      try {
        p.kconfig = readFileSync(file, 'utf8');
      } catch (e) {
        this.fail(join(path, 'kconfig'), `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
    }
    return p;
  }

  private mapEntry(v: unknown, path: string): MapEntryConfig {
    const o = this.object(v, path, ['key', 'value', 'flags']);
    for (const k of ['key', 'value']) {
      if (o[k] === undefined) this.fail(join(path, k), 'is required');
      if (typeof o[k] === 'string') hexBytes(o[k] as string, (reason) => this.fail(join(path, k), reason));
    }
    let flags: MapFlags = 'any';
    if (o['flags'] !== undefined) {
      if (!MAP_FLAGS.includes(o['flags'] as MapFlags)) this.fail(join(path, 'flags'), `must be any, noexist or exist, not ${JSON.stringify(o['flags'])}`);
      flags = o['flags'] as MapFlags;
    }
    return { key: o['key'], value: o['value'], flags, where: path };
  }

  private service(v: unknown, path: string): ServiceConfig {
    const o = this.object(v, path, ['module', 'name', 'options']);
    if (o['module'] === undefined) this.fail(join(path, 'module'), 'is required');
    const module = this.path(o['module'], join(path, 'module'));
    const name = o['name'] === undefined ? basename(module).replace(/\.[cm]?js$/, '') : this.string(o['name'], join(path, 'name'));
    return { module, name, options: o['options'] ?? {}, where: path };
  }
}

/** The commands of an `ip -batch` file, each with FILE:LINE (the line its command ends on, as ip counts). */
function batchCommands(text: string, file: string): IpLineConfig[] {
  return batchLines(text)
    .map((l) => ({ text: l.text.trim(), where: `${file}:${l.line}` }))
    .filter((l) => l.text !== '');
}

function join(path: string, ...keys: string[]): string {
  let p = path;
  for (const k of keys) p = /^[A-Za-z_][A-Za-z0-9_]*$/.test(k) ? (p ? `${p}.${k}` : k) : `${p}[${JSON.stringify(k)}]`;
  return p;
}

function kind(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return `a string (${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)})`;
  return `${typeof v === 'number' ? 'the number' : `a ${typeof v}`} ${String(v)}`;
}
