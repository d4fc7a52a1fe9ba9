// iproute2's lexical layer, as lib/utils.c has it: the argument cursor (NEXT_ARG), matches() for
// abbreviations, the number readers (get_u32, get_unsigned, get_integer … on top of C's strtoul, so
// "0x10", "010" and "+5" mean what they mean to `ip`), addresses and prefixes (get_addr, get_prefix,
// with the legacy "10.8" = 10.8.0.0 IPv4 form and dotted netmasks), and the error printers (invarg,
// duparg, duparg2, incomplete_command) with their exact wording and exit status.

import { WxdpError } from '../../errors.js';
import { ipv4Text, ipv6Bytes, ipv6Text, macText, prefixMatch } from '../addresses.js';

// inet_addr_match and ll_addr_n2a for the front end are the control plane's own (addresses.ts)
export { macText, prefixMatch };
import type { NetErrno } from '../net_types.js';

export const AF_UNSPEC = 0;
export const AF_INET = 2;
export const AF_INET6 = 10;
export const AF_PACKET = 17;

/**
 * A refused `ip` command: `message` is the first line `ip` prints (its own parse error, or
 * "RTNETLINK answers: …" / "Error: ….” for what the tables refused), `stderr` everything it prints.
 * `status` is ip's exit status (255 for exit(-1), 1, 2); `fatal` says `ip` exits on it even in a
 * batch (its parse errors call exit(), so a batch ends there without "Command failed FILE:LINE").
 * In a batch, `file` and `line` name the failing line (1-based, counting continuation lines as ip does).
 */
export class IpError extends WxdpError {
  readonly status: number;
  readonly fatal: boolean;
  readonly errno: NetErrno | undefined;
  stderr: string;
  file: string | undefined;
  line: number | undefined;
  /** What `ip` printed on stdout (a few usage texts go there; in a batch, the lines before this one). */
  stdout: string;
  constructor(stderr: string, opts: { status: number; fatal: boolean; errno?: NetErrno; stdout?: string }) {
    super('USAGE', (stderr || opts.stdout || '').split('\n').find((l) => l !== '') ?? stderr);
    this.stderr = stderr;
    this.stdout = opts.stdout ?? '';
    this.status = opts.status;
    this.fatal = opts.fatal;
    this.errno = opts.errno;
    this.file = undefined;
    this.line = undefined;
  }
}

/** fprintf(stderr, …); exit(-1) */
export function fatal(text: string): IpError {
  return new IpError(text, { status: 255, fatal: true });
}

/** fprintf(stderr, …); return -1 (the command fails; a batch says "Command failed"). */
export function failed(text: string, status = 1): IpError {
  return new IpError(text, { status, fatal: false });
}

export function invarg(msg: string, arg: string): IpError {
  return fatal(`Error: argument "${arg}" is wrong: ${msg}\n`);
}

export function duparg(key: string, arg: string): IpError {
  return fatal(`Error: duplicate "${key}": "${arg}" is the second value.\n`);
}

export function duparg2(key: string, arg: string): IpError {
  return fatal(`Error: either "${key}" is duplicate, or "${arg}" is a garbage.\n`);
}

export function incomplete(): IpError {
  return fatal('Command line is not complete. Try option "help"\n');
}

export function nodev(dev: string): IpError {
  return failed(`Cannot find device "${dev}"\n`);
}

/** iproute2's matches(): true when `prefix` is a non-empty prefix of `word` (the inverse of its C return). */
export function matches(prefix: string, word: string): boolean {
  return prefix.length > 0 && prefix.length <= word.length && word.startsWith(prefix);
}

/** The argv cursor of iproute2's parsers: `arg` is *argv, `argc` what is left, `next()` is NEXT_ARG(). */
export class Argv {
  i = 0;
  constructor(readonly words: readonly string[]) {}
  get argc(): number {
    return this.words.length - this.i;
  }
  get arg(): string {
    return this.words[this.i] ?? '';
  }
  /** NEXT_ARG(): step to the value of a keyword, or "Command line is not complete". */
  next(): string {
    this.i++;
    if (this.argc <= 0) throw incomplete();
    return this.arg;
  }
  /** NEXT_ARG_OK() */
  nextOk(): boolean {
    return this.argc - 1 > 0;
  }
  fwd(): void {
    this.i++;
  }
  rest(): string[] {
    return this.words.slice(this.i);
  }
}

// ---- numbers, as C's strtoul/strtol read them ----

interface Strto {
  /** The magnitude read (exact for anything up to 2^53; larger saturates, which every caller rejects). */
  value: number;
  negative: boolean;
  /** Index just past the last character consumed; 0 when no digits were read (endptr == nptr). */
  end: number;
}

const WS = /[ \t\n\v\f\r]/;

/** strtoul(s, &end, base) without the wrap-around: base 0 reads 0x… as hex and 0… as octal. */
export function strtoul(s: string, base: number): Strto {
  let i = 0;
  while (i < s.length && WS.test(s[i]!)) i++;
  let negative = false;
  if (s[i] === '+' || s[i] === '-') negative = s[i++] === '-';
  if ((base === 0 || base === 16) && s[i] === '0' && (s[i + 1] === 'x' || s[i + 1] === 'X') && digit(s.charCodeAt(i + 2)) < 16) {
    i += 2;
    base = 16;
  } else if (base === 0) base = s[i] === '0' ? 8 : 10;
  const start = i;
  let value = 0;
  for (; i < s.length; i++) {
    const d = digit(s.charCodeAt(i));
    if (d >= base) break;
    value = value * base + d;
  }
  if (i === start) return { value: 0, negative: false, end: 0 };
  return { value, negative, end: i };
}

/** The value of a digit character in any base up to 36 (99 for anything else). */
function digit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 122) return c - 87;
  if (c >= 65 && c <= 90) return c - 55;
  return 99;
}

/** An unsigned reader: the whole string must be a number ≤ max (a C negative wraps past any max). */
function unsignedIn(s: string, base: number, max: number): number | undefined {
  if (s === '') return undefined;
  const r = strtoul(s, base);
  if (r.end === 0 || r.end !== s.length) return undefined;
  if (r.negative && r.value !== 0) return undefined;
  return r.value > max ? undefined : r.value;
}

export const getU32 = (s: string, base = 0): number | undefined => unsignedIn(s, base, 0xffffffff);
export const getUnsigned = getU32;
export const getU16 = (s: string, base = 0): number | undefined => unsignedIn(s, base, 0xffff);
export const getU8 = (s: string, base = 0): number | undefined => unsignedIn(s, base, 0xff);

/** get_integer / get_s32: strtol into an int. */
export function getInteger(s: string, base = 0): number | undefined {
  if (s === '') return undefined;
  const r = strtoul(s, base);
  if (r.end === 0 || r.end !== s.length) return undefined;
  const v = r.negative ? -r.value : r.value;
  return v < -0x80000000 || v > 0x7fffffff ? undefined : v;
}

/** atoi(): the leading number, 0 when there is none. */
export function atoi(s: string): number {
  const r = strtoul(s, 10);
  const v = r.negative ? -r.value : r.value;
  return Math.max(-0x80000000, Math.min(0x7fffffff, v));
}

/** sscanf(s, "%hu-%hu"): how many were read and the values (a %hu wraps modulo 2^16, as glibc's does). */
export function scanRange(s: string): { n: 0 | 1 | 2; start: number; end: number } {
  const first = strtoul(s, 10);
  if (first.end === 0) return { n: 0, start: 0, end: 0 };
  const start = (first.negative ? -first.value : first.value) & 0xffff;
  if (s[first.end] !== '-') return { n: 1, start, end: 0 };
  const tail = s.slice(first.end + 1);
  const second = strtoul(tail, 10);
  if (second.end === 0) return { n: 1, start, end: 0 };
  return { n: 2, start, end: (second.negative ? -second.value : second.value) & 0xffff };
}

// ---- addresses and prefixes (inet_prefix) ----

export interface InetPrefix {
  /** AF_INET, AF_INET6, or the family asked for (maybe AF_UNSPEC) for "default"/"all"/"any". */
  family: number;
  bytes: Uint8Array;
  /** 0 for "all"/"any" and for "default" without a family. */
  bytelen: number;
  /** -1: an address without a length; -2: default/all/any before get_prefix; else the prefix length. */
  bitlen: number;
  /** A "/LEN" was given, or the word was "default". */
  prefixSpecified: boolean;
  /** "default", "all" or "any" was written. */
  any: boolean;
}

function afBitLen(af: number): number {
  return af === AF_INET6 ? 128 : af === AF_INET ? 32 : 0;
}

/** get_addr_ipv4: up to four parts, each a strtoul(…, 0) ≤ 255; "10.8" is 10.8.0.0. */
function parseIpv4(s: string, out: Uint8Array): boolean {
  let cp = s;
  for (let i = 0; i < 4; i++) {
    const r = strtoul(cp, 0);
    if (r.end === 0) return false;
    if (r.negative && r.value !== 0) return false;
    if (r.value > 255) return false;
    out[i] = r.value;
    if (r.end === cp.length) return true;
    if (i === 3 || cp[r.end] !== '.') return false;
    cp = cp.slice(r.end + 1);
  }
  return true;
}

/** inet_pton(AF_INET6, …) */
export function parseIpv6(s: string): Uint8Array | undefined {
  try {
    return ipv6Bytes(s);
  } catch {
    return undefined;
  }
}


/** get_addr_1: the address (or default/all/any) in `family` (AF_UNSPEC: either). */
export function getAddr1(name: string, family: number): InetPrefix | undefined {
  const blank = (fam: number, bytelen: number, prefixSpecified: boolean): InetPrefix => ({ family: fam, bytes: new Uint8Array(16), bytelen, bitlen: -2, prefixSpecified, any: true });
  if (name === 'default') return blank(family, afBitLen(family) / 8, true);
  if (name === 'all' || name === 'any') return blank(family, 0, false);
  if (family === AF_PACKET) return undefined;
  if (name.includes(':')) {
    if (family !== AF_UNSPEC && family !== AF_INET6) return undefined;
    const b = parseIpv6(name);
    if (!b) return undefined;
    return { family: AF_INET6, bytes: b, bytelen: 16, bitlen: -1, prefixSpecified: false, any: false };
  }
  if (family !== AF_UNSPEC && family !== AF_INET) return undefined;
  const b = new Uint8Array(16);
  if (!parseIpv4(name, b)) return undefined;
  return { family: AF_INET, bytes: b, bytelen: 4, bitlen: -1, prefixSpecified: false, any: false };
}

/** get_netmask: a length, or a dotted-quad netmask that is 2^n - 1 inverted. */
function getNetmask(s: string): number | undefined {
  const n = getUnsigned(s, 0);
  if (n !== undefined) return n;
  const a = getAddr1(s, AF_INET);
  if (!a || a.family !== AF_INET || a.any) return undefined;
  const mask = ((a.bytes[0]! << 24) | (a.bytes[1]! << 16) | (a.bytes[2]! << 8) | a.bytes[3]!) >>> 0;
  const host = ~mask >>> 0;
  if (((host & (host + 1)) >>> 0) !== 0) return undefined;
  let bits = 0;
  for (let m = mask; m; m = (m << 1) >>> 0) bits++;
  return bits;
}

/** get_prefix_1 */
export function getPrefix1(arg: string, family: number): InetPrefix | undefined {
  const slash = arg.indexOf('/');
  const dst = getAddr1(slash >= 0 ? arg.slice(0, slash) : arg, family);
  if (!dst) return undefined;
  let bitlen = afBitLen(dst.family);
  if (slash >= 0) {
    if (dst.bitlen === -2) return undefined;
    const plen = getNetmask(arg.slice(slash + 1));
    if (plen === undefined || plen > bitlen) return undefined;
    dst.prefixSpecified = true;
    bitlen = plen;
  } else if (dst.bitlen === -2) bitlen = 0;
  dst.bitlen = bitlen;
  return dst;
}

function familyNameVerbose(family: number): string {
  return family === AF_UNSPEC ? 'any valid' : familyName(family);
}

export function familyName(family: number): string {
  return family === AF_INET ? 'inet' : family === AF_INET6 ? 'inet6' : family === AF_PACKET ? 'link' : '???';
}

/** read_family */
export function readFamily(name: string): number {
  return name === 'inet' ? AF_INET : name === 'inet6' ? AF_INET6 : name === 'link' ? AF_PACKET : AF_UNSPEC;
}

/** get_addr: or "Error: inet address is expected rather than "X"." (exit 1). */
export function getAddr(arg: string, family: number): InetPrefix {
  const a = getAddr1(arg, family);
  if (!a) throw new IpError(`Error: ${familyNameVerbose(family)} address is expected rather than "${arg}".\n`, { status: 1, fatal: true });
  return a;
}

/** get_prefix: or "Error: inet prefix is expected rather than "X"." (exit 1). */
export function getPrefix(arg: string, family: number): InetPrefix {
  if (family === AF_PACKET) throw new IpError(`Error: "${arg}" may be inet prefix, but it is not allowed in this context.\n`, { status: 1, fatal: true });
  const p = getPrefix1(arg, family);
  if (!p) throw new IpError(`Error: ${familyNameVerbose(family)} prefix is expected rather than "${arg}".\n`, { status: 1, fatal: true });
  return p;
}

/** The text of an address as inet_ntop prints it (addresses.ts: RFC 5952, glibc's dotted forms). */
export function addrText(family: number, b: Uint8Array): string {
  return family === AF_INET ? ipv4Text(b) : ipv6Text(b);
}

/** "ADDR/LEN", "ADDR" (a host prefix) or "default" for a parsed prefix, as the specs take it. */
export function prefixText(p: InetPrefix): string {
  if (p.any || p.bytelen === 0) return p.bitlen === 0 ? 'default' : `0/${p.bitlen}`;
  return `${addrText(p.family, p.bytes)}/${p.bitlen}`;
}

/** ll_addr_a2n: "aa:bb:…" (or a dotted quad) to bytes; prints "X" is invalid lladdr. and returns -1 on error. */
export function llAddr(arg: string): Uint8Array | IpError {
  const bad = (part: string): IpError => failed(`"${part}" is invalid lladdr.\n`);
  if (arg.includes('.')) {
    const a = getAddr1(arg, AF_INET);
    if (!a || a.any) return bad(arg);
    return a.bytes.slice(0, 4);
  }
  const out: number[] = [];
  let rest = arg;
  for (let i = 0; i < 32; i++) {
    const colon = rest.indexOf(':');
    const part = colon >= 0 ? rest.slice(0, colon) : rest;
    // sscanf("%x") skips blanks, takes an optional sign and 0x, then hex digits; the rest is ignored
    const m = /^\s*([+-]?)(?:0[xX])?([0-9a-fA-F]+)/.exec(part);
    if (!m) return bad(part);
    const v = parseInt(m[2]!, 16) * (m[1] === '-' ? -1 : 1);
    if (v < 0 || v > 255) return bad(part);
    out.push(v);
    if (colon < 0) break;
    rest = rest.slice(colon + 1);
  }
  return Uint8Array.from(out);
}


/** check_ifname: what the kernel's dev_valid_name accepts, as `ip` checks it. */
export function validIfname(name: string): boolean {
  return name.length > 0 && Buffer.byteLength(name) < 16 && !/[/\s]/.test(name);
}
