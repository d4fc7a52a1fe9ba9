// The client commands: what `wxdp` asks of a running data path through its control socket
// (`wxdp up`, or an embedder's dp.listen(path)). The socket is `--socket PATH`, else $WXDP_SOCKET, else
// /run/wxdp.sock. Each command prints what it got (text, or --json: the answer's result as one JSON
// document), or one line naming the cause and its errno, and exits 1 when it did nothing.
//
//   wxdp prog list | attach OBJ.o [name PROG] dev DEV [--map-update MAP KEY VALUE]... | detach dev DEV
//   wxdp map show | dump (name MAP | id N) | lookup|delete (name MAP | id N) key BYTES | update … key BYTES value BYTES [flags F]
//   wxdp link show [DEV] [-s]
//   wxdp stats [--once] [--interval SECONDS] [--count N]
//   wxdp ip … --socket PATH   (ip.ts)

import { resolve } from 'node:path';
import { ControlClient, defaultSocketPath, RemoteError } from '../control/control_client.js';
import { ControlError } from '../control/control_socket.js';
import { KEYLESS_VERBS, type KeylessVerb, type MapEntryJson, type MapInfoJson } from '../control/map_json.js';
import { WxdpError } from '../errors.js';
import type { Io } from './io.js';
import { cliObjectConfig, refuseObjectOptions } from './object_options.js';
import { parseBytes } from './byte_words.js';

export const PROG_LIVE_USAGE = `usage: wxdp prog list [--socket PATH] [--json]
       wxdp prog attach OBJ.o [name PROG] dev DEV [--map-update MAP KEY VALUE]... [--socket PATH] [--json]
       wxdp prog detach dev DEV [--socket PATH] [--json]
  Programs of a running data path (wxdp up, dp.listen): list what each device runs; attach loads OBJ.o
  in the data path (its maps filled by --map-update, hex bytes) and swaps it in for what DEV ran, between
  two bursts (no frame is lost or runs under both); detach leaves DEV with no program.
`;

export const MAP_LIVE_USAGE = `usage: wxdp map show [--socket PATH] [--json]
       wxdp map dump (name MAP | id N) [--socket PATH] [--json]
       wxdp map lookup (name MAP | id N) key BYTES [--socket PATH] [--json]
       wxdp map update (name MAP | id N) key BYTES value BYTES [flags any|noexist|exist] [--socket PATH] [--json]
       wxdp map delete (name MAP | id N) key BYTES [--socket PATH] [--json]
       wxdp map push|enqueue (name MAP | id N) value BYTES [flags any|noexist|exist] [--socket PATH] [--json]
       wxdp map pop|dequeue (name MAP | id N) [--socket PATH] [--json]
       wxdp map peek (name MAP | id N) [value BYTES] [--socket PATH] [--json]
  Live maps of a running data path. BYTES as bpftool reads them: space-separated bytes, decimal or 0x hex
  ("0xc0 0 2 2"), or every byte hex after the word hex ("hex c0 00 02 02"; one word "c0000202" too),
  or "json TEXT" for a map with BTF (a struct as an object). Entries print as JSON lines: the bytes in hex
  and, when the map has BTF, the decoded key and value under "formatted".
`;

export const LINK_USAGE = `usage: wxdp link show [DEV] [-s] [--socket PATH] [--json]
  The devices of a running data path: ifindex, state, MTU, MAC, queues, the XDP program; -s adds the
  counters (packets and bytes each way, XDP verdicts, drops by reason, the stack's and the link's).
`;

export const STATS_USAGE = `usage: wxdp stats [--once] [--interval SECONDS] [--count N] [--socket PATH] [--json]
  Live counters of a running data path, as xdp-bench shows them: per device Mpps and Mbps each way and
  drops per second, then drops by reason (per second and in total), refreshed in place every interval
  (default 1 s) until Ctrl-C or N samples. --once: one sample (two reads an interval apart). --json:
  one JSON object per sample ({ intervalS, devices: [{ name, rxPps, rxBps, txPps, txBps, dropPps }], drops }).
`;

interface Common {
  socket: string;
  json: boolean;
  help: boolean;
  rest: string[];
}

/** --socket PATH / --socket=PATH, --json, --help out of argv; the other words in order. */
export function commonOptions(argv: readonly string[]): Common {
  const c: Common = { socket: defaultSocketPath(), json: false, help: false, rest: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--socket') {
      const v = argv[++i];
      if (v === undefined) throw new WxdpError('USAGE', '--socket needs a path');
      c.socket = v;
    } else if (a.startsWith('--socket=')) c.socket = a.slice('--socket='.length);
    else if (a === '--json') c.json = true;
    else if (a === '--help' || a === '-h') c.help = true;
    else c.rest.push(a);
  }
  return c;
}

/** An option word (-x, --xyz) that the command does not take: a usage error, as in the offline commands. */
function refuseUnknown(words: readonly string[], allowed: readonly string[]): void {
  const bad = words.find((x) => /^--?[a-zA-Z]/.test(x) && !allowed.includes(x));
  if (bad !== undefined) throw new WxdpError('USAGE', `unknown option '${bad}'`);
}

/** Whether argv names a socket (--socket) or the environment does (WXDP_SOCKET): commands with an offline form go live then. */
export function wantsSocket(argv: readonly string[]): boolean {
  return argv.some((a) => a === '--socket' || a.startsWith('--socket=')) || !!process.env['WXDP_SOCKET'];
}

/**
 * Connect, run `fn`, close. A refused request or a connection that fails is one line on stderr,
 * "wxdp CMD: MESSAGE (ERRNO)", and exit status 1.
 */
/**
 * Connect, run `fn`, close. A refusal (the server's, or no server) is one line on stderr, or with
 * `json` the CLI's one error shape on stdout, {"error":{"code","message"}} (code: the errno); exit 1.
 */
export async function withClient(io: Io, cmd: string, socket: string, json: boolean, fn: (c: ControlClient) => Promise<number>): Promise<number> {
  let client: ControlClient | undefined;
  try {
    client = await ControlClient.connect(socket);
    return await fn(client);
  } catch (e) {
    if (e instanceof RemoteError || e instanceof ControlError) {
      if (json) io.out(JSON.stringify({ error: { code: e.errno ?? 'EIO', message: `wxdp ${cmd}: ${withErrno(e.message, e.errno)}` } }) + '\n');
      else io.err(`wxdp ${cmd}: ${withErrno(e.message, e.errno)}\n`);
      return 1;
    }
    throw e;
  } finally {
    client?.close();
  }
}

function withErrno(message: string, errno: string | null): string {
  return errno && !message.includes(errno) ? `${message} (${errno})` : message;
}

const pretty = (x: unknown): string => JSON.stringify(x, null, 2) + '\n';

// ---- prog ----

interface ProgList {
  devices: Array<{ device: string; ifindex: number; program: string | null; section: string | null; object: string | null }>;
}

export async function progLiveCommand(sub: string, argv: string[], io: Io): Promise<number> {
  const c = commonOptions(argv);
  if (c.help) {
    io.out(PROG_LIVE_USAGE);
    return 0;
  }
  const w = c.rest;
  refuseUnknown(w, sub === 'attach' ? ['--map-update'] : []);
  const kv = (k: string): string | undefined => {
    const i = w.indexOf(k);
    if (i < 0) return undefined;
    const v = w[i + 1];
    if (v === undefined) throw new WxdpError('USAGE', `'${k}' needs a value`);
    return v;
  };
  // attach loads an object in the data path (sized there: no --max-memory); the others load none
  refuseObjectOptions(`wxdp prog ${sub}`, sub === 'attach' ? ['--max-entries', '--global', '--kconfig'] : []);
  switch (sub) {
    case 'list':
      if (w.length) throw new WxdpError('USAGE', `wxdp prog list takes no arguments (not '${w[0]}')\n${PROG_LIVE_USAGE}`);
      return withClient(io, 'prog list', c.socket, c.json, async (cl) => {
        const r = await cl.request<ProgList>('prog.list');
        if (c.json) io.out(pretty(r));
        else for (const d of r.devices) io.out(`${d.device}(${d.ifindex}): ${d.program ? `${d.program}  section ${d.section}  ${d.object}` : '-'}\n`);
        return 0;
      });
    case 'attach': {
      const dev = kv('dev');
      const obj = w[0];
      if (!obj || obj === 'dev' || obj === 'name' || !dev) throw new WxdpError('USAGE', `wxdp prog attach needs OBJ.o and dev DEV\n${PROG_LIVE_USAGE}`);
      const maps: Record<string, Array<{ key: string; value: string }>> = {};
      for (let i = 0; i < w.length; i++) {
        if (w[i] !== '--map-update') continue;
        const [m, k, v] = w.slice(i + 1, i + 4);
        if (v === undefined) throw new WxdpError('USAGE', '--map-update needs MAP KEY VALUE');
        (maps[m!] ??= []).push({ key: k!, value: v });
      }
      const name = kv('name');
      const config = jsonObjectConfig();
      return withClient(io, 'prog attach', c.socket, c.json, async (cl) => {
        // the data path may run elsewhere: the object's path is made absolute here
        const r = await cl.request<{ device: string; program: string; object: string; replaced?: string }>('prog.attach', {
          object: resolve(obj),
          device: dev,
          ...(name !== undefined ? { program: name } : {}),
          ...(Object.keys(maps).length ? { maps } : {}),
          ...config,
        });
        io.out(c.json ? pretty(r) : `${r.device}: ${r.program} attached${r.replaced ? ` (replaced ${r.replaced})` : ''}\n`);
        return 0;
      });
    }
    case 'detach': {
      const dev = kv('dev');
      if (!dev) throw new WxdpError('USAGE', `wxdp prog detach needs dev DEV\n${PROG_LIVE_USAGE}`);
      return withClient(io, 'prog detach', c.socket, c.json, async (cl) => {
        const r = await cl.request<{ device: string; program: string }>('prog.detach', { device: dev });
        io.out(c.json ? pretty(r) : `${r.device}: ${r.program} detached\n`);
        return 0;
      });
    }
    default:
      throw new WxdpError('USAGE', `usage: wxdp prog list|attach|detach … --socket PATH (not '${sub}')`);
  }
}

// ---- map ----

/** name MAP | id N → the request's args. */
function mapHandle(w: readonly string[]): { name: string } | { id: number } {
  const i = w.indexOf('name');
  if (i >= 0 && w[i + 1]) return { name: w[i + 1]! };
  const j = w.indexOf('id');
  if (j >= 0 && w[j + 1]) {
    const id = Number(w[j + 1]);
    if (!Number.isInteger(id) || id < 1) throw new WxdpError('USAGE', `id must be a positive integer, not '${w[j + 1]}'`);
    return { id };
  }
  throw new WxdpError('USAGE', `give the map as name MAP or id N\n${MAP_LIVE_USAGE}`);
}

/** The bytes after `word` (key, value): hex words up to the next keyword, or `json TEXT`. */
function bytesAfter(w: readonly string[], word: string): unknown {
  const i = w.indexOf(word);
  if (i < 0) return undefined;
  if (w[i + 1] === 'json') {
    const text = w[i + 2];
    if (text === undefined) throw new WxdpError('USAGE', `${word} json needs a JSON value`);
    try {
      return JSON.parse(text);
    } catch {
      throw new WxdpError('USAGE', `${word} json: not JSON: ${text}`);
    }
  }
  const out: string[] = [];
  for (let j = i + 1; j < w.length && !['name', 'id', 'key', 'value', 'flags'].includes(w[j]!); j++) out.push(w[j]!);
  if (out.length === 0 || (out.length === 1 && out[0] === 'hex')) throw new WxdpError('USAGE', `${word} needs BYTES`);
  // bpftool's bytes, as prog run and --map-update read them; the server takes hex
  return Buffer.from(parseBytes(out, word)).toString('hex');
}

const spaced = (hex: string): string => hex.replace(/(..)(?!$)/g, '$1 ');

/** An entry as `map lookup` / `map update` print it: the bytes, then the BTF-decoded entry when there is one. */
export function entryLine(e: MapEntryJson): string {
  const v = e.values ? `values: ${e.values.map(spaced).join(' | ')}` : `value: ${spaced(e.value ?? '')}`;
  return `key: ${spaced(e.key)}  ${v}\n${e.formatted ? `  ${JSON.stringify(e.formatted)}\n` : ''}`;
}

function mapLine(m: MapInfoJson): string {
  return `${m.id}: ${m.type}  name ${m.name}  key ${m.keySize}B  value ${m.valueSize}B  max_entries ${m.maxEntries}  flags 0x${m.flags.toString(16)}${m.btf ? '  btf' : ''}  ${m.object}\n`;
}

export async function mapLiveCommand(sub: string, argv: string[], io: Io): Promise<number> {
  const c = commonOptions(argv);
  if (c.help) {
    io.out(MAP_LIVE_USAGE);
    return 0;
  }
  refuseObjectOptions(`wxdp map ${sub}`);
  const w = c.rest;
  refuseUnknown(w, []);
  if (sub === 'show') {
    return withClient(io, 'map show', c.socket, c.json, async (cl) => {
      const r = await cl.request<{ maps: MapInfoJson[] }>('map.show');
      io.out(c.json ? pretty(r) : r.maps.map(mapLine).join(''));
      return 0;
    });
  }
  if (![...['dump', 'lookup', 'update', 'delete'], ...KEYLESS_VERBS].includes(sub)) throw new WxdpError('USAGE', `wxdp map ${sub}: not a live map command\n${MAP_LIVE_USAGE}`);
  const handle = mapHandle(w);
  if ((KEYLESS_VERBS as readonly string[]).includes(sub)) return keylessLive(sub as KeylessVerb, handle, w, c, io);
  if (sub === 'dump') {
    return withClient(io, 'map dump', c.socket, c.json, async (cl) => {
      // a map without keys comes with the walk's error (keylessDumpError): bpftool's "Found 0 elements", then it
      const r = await cl.request<{ maps: Array<{ map: MapInfoJson; entries: MapEntryJson[]; error?: { errno: string; message: string } }> }>('map.dump', handle);
      const failed = r.maps.find((m) => m.error)?.error;
      if (c.json) {
        if (failed) throw new ControlError(failed.errno, failed.message);
        io.out(pretty(r.maps.length === 1 ? r.maps[0] : r));
        return 0;
      }
      for (const m of r.maps) {
        if (r.maps.length > 1) io.out(`map ${m.map.id} (${m.map.object}):\n`);
        for (const e of m.entries) io.out(JSON.stringify(e) + '\n');
        io.out(`Found ${m.entries.length} element${m.entries.length === 1 ? '' : 's'}\n`);
      }
      if (failed) throw new ControlError(failed.errno, failed.message);
      return 0;
    });
  }
  const key = bytesAfter(w, 'key');
  // a lookup without a key: the daemon answers as bpftool (a queue's or a stack's peek; map_json keylessLookup)
  if (key === undefined && sub !== 'lookup') throw new WxdpError('USAGE', `wxdp map ${sub}: missing key BYTES`);
  if (sub === 'delete') {
    return withClient(io, 'map delete', c.socket, c.json, async (cl) => {
      const r = await cl.request<{ key: string }>('map.delete', { ...handle, key });
      io.out(c.json ? pretty(r) : `deleted key: ${spaced(r.key)}\n`);
      return 0;
    });
  }
  const args: Record<string, unknown> = { ...handle, ...(key !== undefined ? { key } : {}) };
  if (key === undefined) {
    return withClient(io, `map ${sub}`, c.socket, c.json, async (cl) => {
      const r = await cl.request<{ entry: MapEntryJson }>('map.lookup', args);
      io.out(c.json ? pretty(r.entry) : keylessLine(r.entry, false));
      return 0;
    });
  }
  if (sub === 'update') {
    const value = bytesAfter(w, 'value');
    if (value === undefined) throw new WxdpError('USAGE', 'wxdp map update: missing value BYTES');
    args['value'] = value;
    const f = w.indexOf('flags');
    if (f >= 0) args['flags'] = w[f + 1];
  }
  return withClient(io, `map ${sub}`, c.socket, c.json, async (cl) => {
    const r = await cl.request<{ entry: MapEntryJson }>(sub === 'update' ? 'map.update' : 'map.lookup', args);
    io.out(c.json ? pretty(r.entry) : entryLine(r.entry));
    return 0;
  });
}

/**
 * push / enqueue, pop / dequeue, peek on a live queue, stack or bloom filter: the value as `value: …`
 * (push: `pushed value: …`), the entry with --json; a failure is one line with bpftool's words and the
 * errno ("empty map (ENOENT)"), exit 1.
 */
async function keylessLive(verb: KeylessVerb, handle: { name: string } | { id: number }, w: readonly string[], c: Common, io: Io): Promise<number> {
  if (w.includes('key')) throw new WxdpError('USAGE', `wxdp map ${verb}: a ${verb} takes no key (queue, stack and bloom_filter maps have none)`);
  const value = bytesAfter(w, 'value');
  const push = verb === 'push' || verb === 'enqueue';
  if (push && value === undefined) throw new WxdpError('USAGE', `wxdp map ${verb}: did not find value`);
  if ((verb === 'pop' || verb === 'dequeue') && value !== undefined) throw new WxdpError('USAGE', `wxdp map ${verb}: unnecessary value`);
  const args: Record<string, unknown> = { ...handle, ...(value !== undefined ? { value } : {}) };
  const f = w.indexOf('flags');
  if (f >= 0) {
    if (!push) throw new WxdpError('USAGE', `wxdp map ${verb}: flags are for push and enqueue`);
    args['flags'] = w[f + 1];
  }
  const cmd = push ? 'map.push' : verb === 'peek' ? 'map.peek' : 'map.pop';
  return withClient(io, `map ${verb}`, c.socket, c.json, async (cl) => {
    const r = await cl.request<{ entry: MapEntryJson }>(cmd, args);
    io.out(c.json ? pretty(r.entry) : keylessLine(r.entry, push));
    return 0;
  });
}

/** A keyless entry as the map verbs print it: bpftool's `value: 01 00 00 00`, then the BTF-decoded value when there is one. */
export function keylessLine(e: MapEntryJson, pushed: boolean): string {
  return `${pushed ? 'pushed ' : ''}value: ${spaced(e.value ?? '')}\n${e.formatted ? `  ${JSON.stringify(e.formatted.value)}\n` : ''}`;
}

// ---- link ----

interface LinkJson {
  ifname: string;
  ifindex: number;
  mtu: number;
  address: string;
  operstate?: string;
  flags?: string[];
  queues: number;
  xdp: { program: string; object: string } | null;
  stats: { rxPackets: number; rxBytes: number; txPackets: number; txBytes: number; verdicts: Record<string, number>; drops: Record<string, number> };
  stack?: { rx: Record<string, number>; tx: Record<string, number> };
  link?: unknown;
}

export async function linkCommand(argv: string[], io: Io): Promise<number> {
  const c = commonOptions(argv);
  if (c.help) {
    io.out(LINK_USAGE);
    return 0;
  }
  const [sub, ...w] = c.rest;
  refuseUnknown(c.rest, ['-s', '-stats', '-statistics']);
  if (sub !== 'show' && sub !== 'list' && sub !== 'ls' && sub !== undefined) throw new WxdpError('USAGE', `wxdp link: unknown command '${sub}'\n${LINK_USAGE}`);
  const stats = w.includes('-s') || w.includes('-stats') || w.includes('-statistics');
  const names = w.filter((x) => !x.startsWith('-') && x !== 'dev');
  if (names.length > 1) throw new WxdpError('USAGE', `wxdp link show takes one device (not '${names.join(' ')}')`);
  return withClient(io, 'link show', c.socket, c.json, async (cl) => {
    const r = await cl.request<{ links: LinkJson[] }>('link.show', names[0] ? { device: names[0] } : {});
    if (c.json) {
      io.out(pretty(stats ? r : { links: r.links.map(({ stats: _s, stack: _t, ...l }) => l) }));
      return 0;
    }
    for (const l of r.links) io.out(linkText(l, stats));
    return 0;
  });
}

function linkText(l: LinkJson, stats: boolean): string {
  const flags = l.flags ? `<${l.flags.join(',')}> ` : '';
  let s = `${l.ifindex}: ${l.ifname}: ${flags}mtu ${l.mtu} queues ${l.queues}${l.operstate ? ` state ${l.operstate}` : ''}\n`;
  s += `    link/ether ${l.address}\n`;
  if (l.xdp) s += `    xdp ${l.xdp.program}${l.xdp.object ? ` (${l.xdp.object})` : ''}\n`;
  if (!stats) return s;
  const t = l.stats;
  const dropped = Object.values(t.drops).reduce((a, b) => a + b, 0);
  // iproute2's -s layout: a title row, then the numbers right-aligned under it
  const cols = (...v: Array<string | number>) => v.map((x, i) => String(x).padStart(i === 0 ? 10 : 8)).join('');
  s += `    RX: ${cols('bytes', 'packets', 'dropped').slice(4)}\n    ${cols(t.rxBytes, t.rxPackets, dropped)}\n`;
  s += `    TX: ${cols('bytes', 'packets').slice(4)}\n    ${cols(t.txBytes, t.txPackets)}\n`;
  const kv = (r: Record<string, number>) => Object.entries(r).filter(([, v]) => v !== 0).map(([k, v]) => `${k} ${v}`).join('  ');
  if (kv(t.verdicts)) s += `    verdicts: ${kv(t.verdicts)}\n`;
  if (dropped) s += `    drops: ${kv(t.drops)}\n`;
  if (l.stack) s += `    stack: rx ${l.stack.rx['packets']} packets ${l.stack.rx['dropped']} dropped, tx ${l.stack.tx['packets']} packets ${l.stack.tx['dropped']} dropped\n`;
  if (l.link !== undefined) s += `    link: ${JSON.stringify(l.link)}\n`;
  return s;
}

// ---- stats ----

interface StatsSample {
  timeMs: number;
  devices: Array<{ name: string; rxPackets: number; rxBytes: number; txPackets: number; txBytes: number; verdicts: Record<string, number>; drops: Record<string, number> }>;
  stack: { drops: Record<string, number>; mib: Record<string, number> };
}

interface Rates {
  intervalS: number;
  devices: Array<{ name: string; rxPps: number; rxBps: number; txPps: number; txBps: number; dropPps: number; rxPackets: number; txPackets: number }>;
  /** Drops by reason: "DEV REASON" or "stack REASON" → per second and total. */
  drops: Array<{ where: string; reason: string; perSecond: number; total: number }>;
}

/** Rates between two samples. */
export function rates(a: StatsSample, b: StatsSample): Rates {
  const dt = Math.max(1e-9, (b.timeMs - a.timeMs) / 1000);
  const sum = (r: Record<string, number>) => Object.values(r).reduce((x, y) => x + y, 0);
  const devices = b.devices.map((d) => {
    const p = a.devices.find((x) => x.name === d.name);
    const d0 = p ?? { rxPackets: 0, rxBytes: 0, txPackets: 0, txBytes: 0, drops: {} };
    return {
      name: d.name,
      rxPps: (d.rxPackets - d0.rxPackets) / dt,
      rxBps: ((d.rxBytes - d0.rxBytes) * 8) / dt,
      txPps: (d.txPackets - d0.txPackets) / dt,
      txBps: ((d.txBytes - d0.txBytes) * 8) / dt,
      dropPps: (sum(d.drops) - sum(d0.drops)) / dt,
      rxPackets: d.rxPackets,
      txPackets: d.txPackets,
    };
  });
  const drops: Rates['drops'] = [];
  for (const d of b.devices) {
    const p = a.devices.find((x) => x.name === d.name)?.drops ?? {};
    for (const [reason, total] of Object.entries(d.drops)) drops.push({ where: d.name, reason, perSecond: (total - (p[reason] ?? 0)) / dt, total });
  }
  for (const [reason, total] of Object.entries(b.stack.drops)) drops.push({ where: 'stack', reason, perSecond: (total - (a.stack.drops[reason] ?? 0)) / dt, total });
  return { intervalS: dt, devices, drops };
}

function statsText(r: Rates, socket: string): string {
  const n = (x: number, d: number) => x.toFixed(d).padStart(11);
  let s = `wxdp stats ${socket}: ${r.intervalS.toFixed(2)} s\n`;
  s += `${'device'.padEnd(16)}${'rx Mpps'.padStart(11)}${'rx Mbps'.padStart(11)}${'tx Mpps'.padStart(11)}${'tx Mbps'.padStart(11)}${'drops/s'.padStart(11)}\n`;
  let tot = { rxPps: 0, rxBps: 0, txPps: 0, txBps: 0, dropPps: 0 };
  for (const d of r.devices) {
    s += `${d.name.padEnd(16)}${n(d.rxPps / 1e6, 3)}${n(d.rxBps / 1e6, 1)}${n(d.txPps / 1e6, 3)}${n(d.txBps / 1e6, 1)}${n(d.dropPps, 0)}\n`;
    tot = { rxPps: tot.rxPps + d.rxPps, rxBps: tot.rxBps + d.rxBps, txPps: tot.txPps + d.txPps, txBps: tot.txBps + d.txBps, dropPps: tot.dropPps + d.dropPps };
  }
  s += `${'total'.padEnd(16)}${n(tot.rxPps / 1e6, 3)}${n(tot.rxBps / 1e6, 1)}${n(tot.txPps / 1e6, 3)}${n(tot.txBps / 1e6, 1)}${n(tot.dropPps, 0)}\n`;
  if (r.drops.length) {
    s += `drops by reason${' '.repeat(25)}${'per s'.padStart(11)}${'total'.padStart(14)}\n`;
    for (const d of r.drops) s += `  ${d.where.padEnd(16)}${d.reason.padEnd(22)}${n(d.perSecond, 0)}${String(d.total).padStart(14)}\n`;
  }
  return s;
}

export async function statsCommand(argv: string[], io: Io): Promise<number> {
  const c = commonOptions(argv);
  if (c.help) {
    io.out(STATS_USAGE);
    return 0;
  }
  let once = false;
  let intervalS = 1;
  let count = Infinity;
  for (let i = 0; i < c.rest.length; i++) {
    const a = c.rest[i]!;
    if (a === '--once') once = true;
    else if (a === '--interval' || a === '-i' || a === '--count') {
      const v = Number(c.rest[++i]);
      if (a === '--count') {
        if (!Number.isInteger(v) || v < 1) throw new WxdpError('USAGE', `--count must be a positive integer, not '${c.rest[i]}'`);
        count = v;
      } else {
        if (!Number.isFinite(v) || v < 0.01 || v > 3600) throw new WxdpError('USAGE', `--interval must be 0.01..3600 seconds, not '${c.rest[i]}'`);
        intervalS = v;
      }
    } else throw new WxdpError('USAGE', a.startsWith('-') ? `unknown option '${a}'` : `unexpected argument '${a}'`);
  }
  if (once) count = 1;
  const tty = !c.json && process.stdout.isTTY === true && count > 1;
  return withClient(io, 'stats', c.socket, c.json, async (cl) => {
    let prev = await cl.request<StatsSample>('stats');
    let lines = 0;
    for (let i = 0; i < count; i++) {
      await new Promise((r) => setTimeout(r, intervalS * 1000));
      const cur = await cl.request<StatsSample>('stats');
      const r = rates(prev, cur);
      prev = cur;
      if (c.json) {
        io.out(count === 1 ? pretty(r) : JSON.stringify(r) + '\n');
        continue;
      }
      const text = statsText(r, cl.path);
      // xdp-bench's way: the block is redrawn where it was (cursor up to its first line, clear below)
      io.out(tty && lines ? `\x1b[${lines}F\x1b[J${text}` : i > 0 ? `\n${text}` : text);
      lines = text.split('\n').length - 1;
    }
    return 0;
  });
}

/**
 * --max-entries, --global and --kconfig for a data path behind the control socket: JSON, so an integer
 * --global goes as a number (past 2^53 it cannot: refused rather than rounded).
 */
function jsonObjectConfig(): { maxEntries?: Record<string, number>; globals?: Record<string, unknown>; kconfig?: string } {
  const c = cliObjectConfig();
  const globals = c.globals
    ? Object.fromEntries(
        Object.entries(c.globals).map(([k, v]) => {
          if (typeof v !== 'bigint') return [k, v];
          if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
            throw new WxdpError('USAGE', `--global ${k}=${v}: past 2^53, which the control socket's JSON cannot carry exactly`);
          }
          return [k, Number(v)];
        }),
      )
    : undefined;
  return { ...(c.maxEntries ? { maxEntries: c.maxEntries } : {}), ...(globals ? { globals } : {}), ...(c.kconfig !== undefined ? { kconfig: c.kconfig } : {}) };
}
