// The iproute2-syntax front end: `ip` command lines and `ip -batch` text parsed into the specs of
// net_types.ts and applied through dp.links / dp.addresses / dp.routes / dp.rules / dp.neigh, and
// nothing else. It follows iproute2 6.1 (ip/ip.c, iproute.c, iprule.c, ipneigh.c, iplink.c,
// ipaddress.c, lib/utils.c): the same abbreviations (matches()), the same defaults filled in before the
// request, the same messages and exit statuses, the same text and `-j` JSON out of show and get.
//
//   dp.ip('route add 198.51.100.0/24 via 192.0.2.1 dev eth0 table 100')
//   dp.ip('-j route show table 100').stdout        // [{"dst":"198.51.100.0/24","gateway":…}]
//   ipBatch(dp, text, { name: 'net.batch' })       // stops at the first failing line, as ip -batch
//
// A refused command throws IpError: its `message` is the line `ip` prints, `stderr` all of it, and in
// a batch `line` names the failing line. Lines before it stay applied.

import type { Datapath } from '../datapath.js';
import { doIpaddr } from './addr.js';
import type { IpContext } from './context.js';
import { doIplink } from './link.js';
import { doIpneigh } from './neigh.js';
import { doIproute } from './route.js';
import { doIprule } from './rule.js';
import { AF_INET, AF_INET6, AF_PACKET, AF_UNSPEC, Argv, failed, fatal, invarg, IpError, matches, readFamily } from './syntax.js';
import { tablesOf, type IpTables } from './tables.js';

export { IpError } from './syntax.js';
export type { IpTables, AddrEntry, RouteQuery } from './tables.js';

export interface IpResult {
  /** What `ip` prints on stdout (text, or JSON with -j). */
  stdout: string;
  /** Warnings `ip` prints on stderr for a command that succeeded (empty when none). */
  stderr: string;
}

export interface IpOptions {
  /** -j */
  json?: boolean;
  /** -4 / -6 (or -f inet|inet6) */
  family?: 'inet' | 'inet6';
  /** -d (repeatable in ip: a count) */
  details?: number;
  /** -s */
  stats?: number;
}

export interface IpBatchOptions extends IpOptions {
  /** The file name `ip` names in "Command failed FILE:LINE" (default "-", stdin). */
  name?: string;
  /** -force: go on past lines the tables refuse (a parse error still ends the batch, as in ip). */
  force?: boolean;
  /** Called about every 1% of the lines (and once at the end) with lines done and lines in all. */
  onProgress?: (done: number, total: number) => void;
}

export interface IpBatchResult {
  /** Everything the batch printed on stdout. */
  stdout: string;
  /** Warnings (and, with force, the failures) it printed on stderr. */
  stderr: string;
  /** Commands run (blank and comment lines do not count). */
  commands: number;
  /** With force: the lines that failed. */
  errors: IpError[];
}

const OBJECTS: ReadonlyArray<readonly [string, ((ctx: IpContext, a: Argv) => string) | undefined]> = [
  ['address', doIpaddr], ['addrlabel', undefined], ['maddress', undefined], ['route', doIproute], ['rule', doIprule],
  ['neighbor', doIpneigh], ['neighbour', doIpneigh], ['ntable', undefined], ['ntbl', undefined], ['link', doIplink],
  ['l2tp', undefined], ['fou', undefined], ['ila', undefined], ['macsec', undefined], ['tunnel', undefined], ['tunl', undefined],
  ['tuntap', undefined], ['tap', undefined], ['token', undefined], ['tcpmetrics', undefined], ['tcp_metrics', undefined],
  ['monitor', undefined], ['xfrm', undefined], ['mroute', undefined], ['mrule', undefined], ['netns', undefined],
  ['netconf', undefined], ['vrf', undefined], ['sr', undefined], ['nexthop', undefined], ['mptcp', undefined], ['ioam', undefined],
  ['help', undefined], ['stats', undefined],
];

export const IP_USAGE = `Usage: ip [ OPTIONS ] OBJECT { COMMAND | help }
       ip [ -force ] -batch filename
where  OBJECT := { address | link | neighbor | neighbour | route | rule }
       OPTIONS := { -s[tatistics] | -d[etails] | -j[son] |
                    -f[amily] { inet | inet6 } | -4 | -6 |
                    -force | -b[atch] [filename] }
`;

/** do_cmd: the object word (by abbreviation, in ip.c's table order) and its command. */
function doCmd(ctx: IpContext, words: readonly string[]): string {
  const a = new Argv(words);
  const obj = a.arg;
  for (const [name, fn] of OBJECTS) {
    if (!matches(obj, name)) continue;
    if (name === 'help') throw fatal(IP_USAGE);
    if (!fn) throw new IpError(`Error: wxdp does not support "ip ${name}".\n`, { status: 2, fatal: false, errno: 'EOPNOTSUPP' });
    a.fwd();
    return fn(ctx, a);
  }
  // do_cmd prints and returns EXIT_FAILURE: a batch goes on to say "Command failed"
  throw failed(`Object "${obj}" is unknown, try "ip help".\n`);
}

function context(t: IpTables, o: IpOptions): IpContext {
  return {
    t,
    family: o.family === 'inet' ? AF_INET : o.family === 'inet6' ? AF_INET6 : AF_UNSPEC,
    json: o.json ?? false,
    details: o.details ?? 0,
    stats: o.stats ?? 0,
    warnings: [],
  };
}

/** ip.c's option loop over the leading "-x" words; returns the options and where the object starts. */
export function parseIpOptions(words: readonly string[]): { opts: IpOptions & { force?: boolean; batch?: string }; rest: string[] } {
  const opts: IpOptions & { force?: boolean; batch?: string } = {};
  let i = 0;
  const next = (): string => {
    i++;
    if (i >= words.length) throw fatal(IP_USAGE);
    return words[i]!;
  };
  for (; i < words.length; i++) {
    let opt = words[i]!;
    if (opt === '--') {
      i++;
      break;
    }
    if (opt[0] !== '-') break;
    if (opt[1] === '-') opt = opt.slice(1);
    const unsupportedOpt = (): IpError => new IpError(`Error: wxdp does not support the option "${opt}".\n`, { status: 255, fatal: true, errno: 'EOPNOTSUPP' });
    if (matches(opt, '-loops')) {
      next();
    } else if (matches(opt, '-family')) {
      const f = next();
      if (f === 'help') throw fatal(IP_USAGE);
      const af = readFamily(f);
      if (af === AF_UNSPEC) {
        if (f === 'mpls' || f === 'bridge') throw unsupportedOpt();
        throw invarg('invalid protocol family', f);
      }
      if (af === AF_PACKET) throw unsupportedOpt();
      opts.family = af === AF_INET ? 'inet' : 'inet6';
    } else if (opt === '-4') opts.family = 'inet';
    else if (opt === '-6') opts.family = 'inet6';
    else if (opt === '-0' || opt === '-M' || opt === '-B') throw unsupportedOpt();
    else if (matches(opt, '-human') || matches(opt, '-human-readable') || matches(opt, '-iec')) throw unsupportedOpt();
    else if (matches(opt, '-stats') || matches(opt, '-statistics')) opts.stats = (opts.stats ?? 0) + 1;
    else if (matches(opt, '-details')) opts.details = (opts.details ?? 0) + 1;
    else if (matches(opt, '-resolve') || matches(opt, '-oneline') || matches(opt, '-timestamp') || matches(opt, '-tshort')) throw unsupportedOpt();
    else if (matches(opt, '-Version')) throw unsupportedOpt();
    else if (matches(opt, '-force')) opts.force = true;
    else if (matches(opt, '-batch')) opts.batch = next();
    else if (matches(opt, '-brief')) throw unsupportedOpt();
    else if (matches(opt, '-json')) opts.json = true;
    else if (matches(opt, '-pretty') || matches(opt, '-rcvbuf') || matches(opt, '-color') || matches(opt, '-netns') || matches(opt, '-Numeric') || matches(opt, '-all') || opt === '-echo') throw unsupportedOpt();
    else if (matches(opt, '-help')) throw fatal(IP_USAGE);
    else throw fatal(`Option "${opt}" is unknown, try "ip -help".\n`);
  }
  return { opts, rest: words.slice(i) };
}

/** Run one `ip` command given as words (the CLI's argv after `ip`): options, then OBJECT COMMAND …. */
export function ipArgv(dp: Datapath | IpTables, words: readonly string[], base: IpOptions = {}): IpResult {
  const { opts, rest } = parseIpOptions(words);
  if (opts.batch !== undefined) throw new IpError('Error: -batch reads a file: use ipBatch().\n', { status: 255, fatal: true });
  if (rest.length === 0) throw fatal(IP_USAGE);
  const ctx = context(tablesFrom(dp), { ...base, ...stripped(opts) });
  try {
    const stdout = doCmd(ctx, rest);
    return { stdout, stderr: ctx.warnings.join('') };
  } catch (e) {
    // what ip printed before it gave up (warnings) comes first on its stderr
    if (e instanceof IpError) e.stderr = ctx.warnings.join('') + e.stderr;
    throw e;
  }
}

function stripped(o: IpOptions): IpOptions {
  const out: IpOptions = {};
  if (o.json !== undefined) out.json = o.json;
  if (o.family !== undefined) out.family = o.family;
  if (o.details !== undefined) out.details = o.details;
  if (o.stats !== undefined) out.stats = o.stats;
  return out;
}

function tablesFrom(dp: Datapath | IpTables): IpTables {
  return 'fastPath' in dp ? tablesOf(dp) : dp;
}

/** One iproute2 command line (without the leading `ip`), split as `ip -batch` splits a line. */
export function ipCommand(dp: Datapath | IpTables, line: string, opts: IpOptions = {}): IpResult {
  return ipArgv(dp, makeArgs(line), opts);
}

/** makeargs: words split at blanks; a word may be quoted with ' or " (no escapes inside). */
export function makeArgs(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  const ws = (c: string | undefined): boolean => c === ' ' || c === '\t' || c === '\r' || c === '\n';
  while (i < line.length) {
    while (i < line.length && ws(line[i])) i++;
    if (i >= line.length) break;
    if (out.length >= 511) throw new IpError('Too many arguments to command\n', { status: 1, fatal: true });
    const c = line[i]!;
    if (c === "'" || c === '"') {
      const end = line.indexOf(c, i + 1);
      if (end < 0) throw new IpError('Unterminated quoted string\n', { status: 1, fatal: true });
      out.push(line.slice(i + 1, end));
      i = end + 1; // makeargs ends the word at the quote: what follows starts the next word
    } else {
      let j = i;
      while (j < line.length && !ws(line[j])) j++;
      out.push(line.slice(i, j));
      i = j + 1;
    }
  }
  return out;
}

/** getcmdline: the commands of a batch text with the physical line each ends on ('#' to end of line is a comment; "\\\n" continues). */
export function batchLines(text: string): Array<{ line: number; text: string; missingContinuation?: boolean }> {
  const physical = text.split('\n');
  if (physical[physical.length - 1] === '') physical.pop();
  const out: Array<{ line: number; text: string; missingContinuation?: boolean }> = [];
  const cut = (s: string): string => {
    const hash = s.indexOf('#');
    return hash >= 0 ? s.slice(0, hash) : s;
  };
  for (let n = 0; n < physical.length; n++) {
    let cur = cut(physical[n]!) + (n < physical.length - 1 || text.endsWith('\n') ? '\n' : '');
    while (cur.includes('\\\n')) {
      if (n + 1 >= physical.length) {
        out.push({ line: n + 1, text: '', missingContinuation: true });
        return out;
      }
      n++;
      const at = cur.indexOf('\\\n');
      cur = cur.slice(0, at) + cut(physical[n]!) + (n < physical.length - 1 || text.endsWith('\n') ? '\n' : '');
    }
    out.push({ line: n + 1, text: cur });
  }
  return out;
}

/**
 * `ip [-force] -batch NAME` over `text`: each command runs as it is read; the first failure ends the
 * batch ("Command failed NAME:LINE" for a refused request, as ip prints it; a parse error ends ip
 * itself, so it prints only the error) and is thrown as IpError with `line` set and everything the
 * batch printed so far in `stdout`. What ran before stays applied.
 */
export function ipBatch(dp: Datapath | IpTables, text: string, opts: IpBatchOptions = {}): IpBatchResult {
  const t = tablesFrom(dp);
  const name = opts.name ?? '-';
  let stdout = '';
  let stderr = '';
  let commands = 0;
  const errors: IpError[] = [];
  const lines = batchLines(text);
  const step = Math.max(1, Math.floor(lines.length / 100));
  // a batch is many changes: dp.routes takes them in bulk (LPM rebuilt once, gateway checks remembered)
  const bulk = <R,>(fn: () => R): R => ('fastPath' in dp ? dp.routes.bulk(fn, lines.length) : fn());
  bulk(() => {
    for (const [i, l] of lines.entries()) {
      if (opts.onProgress && i % step === 0) opts.onProgress(i, lines.length);
      if (l.missingContinuation) {
        stderr += 'Missing continuation line\n';
        break;
      }
      const ctx = context(t, opts);
      try {
        const words = makeArgs(l.text);
        if (words.length === 0) continue;
        commands++;
        stdout += doCmd(ctx, words);
        stderr += ctx.warnings.join('');
      } catch (e) {
        if (!(e instanceof IpError)) throw e;
        stderr += ctx.warnings.join('') + e.stderr;
        e.file = name;
        e.line = l.line;
        if (!e.fatal) stderr += `Command failed ${name}:${l.line}\n`;
        e.stderr = stderr;
        e.stdout = stdout + e.stdout;
        if (e.fatal || !opts.force) throw e;
        errors.push(e);
      }
    }
  });
  opts.onProgress?.(lines.length, lines.length);
  return { stdout, stderr, commands, errors };
}
