// The nft scanner stage: text → tokens, as nftables' scanner.l, with what nft resolves before its grammar sees a
// statement: `include "FILE"` (scanner_include_file: the file's tokens in its place) and the symbols of
// `define NAME = VALUE` / `redefine` / `undefine` (parser_bison.y's common_block), so that `$NAME` reaches the parser
// (nft_parse.ts) as the tokens of its value, each still located where the value was written (nft's variable
// expression is a clone of the define's, errors in it show at the define). Reads: the text, included files. Sets:
// the sources (file names and texts) nft.ts renders errors with. Errors: NftParseError with nft's message.
//
// Scopes are nft's: the top level, each `table … {` block and each `chain … {` block; a define is refused when any
// enclosing scope has the name ("redefinition of symbol"), redefine and undefine act on the current scope only
// (undefine of an absent name is silent in 1.0.6, measured), a `$NAME` is looked up from the current scope out.
//
// Include paths are nft's (scanner.l search_in_include_path, include_glob): a name starting with `/`, `./` or `../`
// is opened as written — relative to the working directory, not the including file's (measured: nft -f
// /dir/all-in-one.nft run from / fails on its `include "./inet-filter.nft"`); any other is tried in each include
// path in turn (nft's default: /etc). A pattern with `*`, `?` or `[` includes every match in sorted order (none is
// no error), directories are skipped, and 16 nested includes are the most.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { isIPv6 } from 'node:net';
import { isAbsolute, resolve } from 'node:path';
import { objMisspell } from './nft_misspell.js';

/** A place in the input: 1-based line, first and last column (as nft's `FILE:LINE:FIRST-LAST`). */
export interface Loc {
  line: number;
  col: number;
  end: number;
  /** Which input (NftSource) the place is in: absent for the text given, else an included file's index. */
  src?: number;
}

export class NftParseError extends Error {
  constructor(readonly msg: string, readonly loc: Loc, readonly also?: Loc) {
    super(msg);
  }
}

export interface Tok {
  /** w: word, s: quoted string, p: punctuation, nl: end of line, eof */
  t: 'w' | 's' | 'p' | 'nl' | 'eof';
  v: string;
  loc: Loc;
  /** A `$NAME`'s value: where the `$` is (nft's grammar takes a variable where an expression may be, not a table's name). */
  via?: Loc;
}


/** One input nft read: the text given (index 0) or an included file, and the include that read it. */
export interface NftSource {
  /** The file as nft names it (the path as found); undefined for a command line. */
  name?: string;
  text: string;
  /** Where the `include` that read it is (its own src: the includer). */
  from?: Loc;
}

export interface ScanOptions {
  /** `nft -I DIR`: where a relative include name is looked for (default nft's: /etc). */
  includePaths?: readonly string[];
  /** What `./` and `../` names are relative to (default the process's working directory, as nft). */
  cwd?: string;
}

/** nft's DEFAULT_INCLUDE_PATH on Debian (`nft -h`: "Default is: /etc"). */
export const NFT_INCLUDE_PATHS: readonly string[] = ['/etc'];
/** scanner.l MAX_INCLUDE_DEPTH. */
const MAX_INCLUDE_DEPTH = 16;

// Words the grammar knows as keywords: a syntax error names them as themselves, others as `string`.
export const KEYWORDS = new Set([
  'table', 'chain', 'rule', 'set', 'element', 'flowtable', 'ruleset', 'add', 'create', 'insert', 'delete', 'flush', 'list',
  'ip', 'ip6', 'inet', 'tcp', 'udp', 'meta', 'ct', 'device', 'counter', 'accept', 'drop', 'return', 'continue', 'jump', 'goto',
  'reject', 'with', 'snat', 'dnat', 'masquerade', 'redirect', 'to', 'flow', 'type', 'hook', 'priority', 'policy', 'flags',
  'elements', 'devices', 'packets', 'bytes', 'handle', 'mark', 'iif', 'oif', 'iifname', 'oifname', 'saddr', 'daddr',
  'sport', 'dport', 'protocol', 'state', 'nexthdr', 'l4proto', 'position', 'reset',
  // statement starters and the words nft's scanner knows outside a statement's own scope (`rate`, `burst`, `used`,
  // `until`, `level`… are keywords only inside theirs)
  'limit', 'quota', 'log', 'name', 'over', 'map', 'vmap', 'timeout', 'expires', 'comment', 'typeof',
]);

/**
 * The words nft 1.0.6's scanner returns as keyword tokens in every start condition (scanner.l's rules with no
 * `<SCANSTATE_…>` prefix: flex `%s` states are inclusive): whatever the grammar expects, such a word is never a
 * name. Measured with Debian's nft 1.0.6: each of these as a table, chain and set name is "syntax error, unexpected
 * WORD, expecting string"; every other word of scanner.l (342) is a name there. The operator spellings (eq, and, …)
 * are keywords too and bison names them by their symbol (OPERATOR_WORDS).
 */
export const SCANNER_KEYWORDS = new Set([
  'accept', 'add', 'ah', 'all', 'arp', 'auto-merge', 'bridge', 'cgroup', 'chain', 'comment', 'comp', 'constant',
  'continue', 'counter', 'cpu', 'create', 'ct', 'day', 'dccp', 'define', 'delete', 'describe', 'device', 'devices',
  'dnat', 'drop', 'dst', 'dup', 'dynamic', 'ecn', 'element', 'elements', 'esp', 'ether', 'exists', 'expires',
  'export', 'exthdr', 'fib', 'flags', 'flow', 'flowtable', 'flush', 'frag', 'fwd', 'gc-interval', 'get', 'goto',
  'handle', 'hbh', 'hook', 'hour', 'ibriport', 'ibrname', 'icmp', 'icmpv6', 'igmp', 'iif', 'iifgroup', 'iifname',
  'iiftype', 'import', 'include', 'index', 'inet', 'insert', 'interval', 'ip', 'ip6', 'ipsec', 'jhash', 'jump',
  'limit', 'list', 'log', 'map', 'mark', 'masquerade', 'meta', 'meter', 'mh', 'missing', 'monitor', 'netdev',
  'nftrace', 'notrack', 'numgen', 'obriport', 'obrname', 'offload', 'oif', 'oifgroup', 'oifname', 'oiftype', 'osf',
  'pkttype', 'policy', 'position', 'priority', 'queue', 'quota', 'random', 'redefine', 'redirect', 'reject',
  'rename', 'replace', 'reset', 'return', 'rt', 'rt0', 'rt2', 'rtclassid', 'rule', 'ruleset', 'sctp', 'secmark',
  'set', 'size', 'skgid', 'skuid', 'snat', 'socket', 'srh', 'symhash', 'synproxy', 'table', 'tcp', 'th', 'time',
  'timeout', 'tproxy', 'type', 'typeof', 'udp', 'udplite', 'undefine', 'update', 'vlan', 'vmap', 'xt',
]);

/** scanner.l's operator words and the symbol bison's "unexpected X" shows for each (measured, nft 1.0.6). */
const OPERATOR_WORDS = new Map([
  ['eq', '=='], ['ne', '!='], ['lt', '<'], ['gt', '>'], ['le', '<='], ['ge', '>='], ['and', '&'], ['or', "'|'"],
  ['xor', '^'], ['not', '!'], ['lshift', '<<'], ['rshift', '>>'],
]);

/** A word nft's scanner never gives the grammar as a name (a STRING token). */
export function isScannerKeyword(v: string): boolean {
  return SCANNER_KEYWORDS.has(v) || OPERATOR_WORDS.has(v);
}

// scanner.l's patterns whose match is a STRING token (nft 1.0.6): {string}, {timestring}, {addrstring} (a MAC, an
// IPv4 or IPv6 address), {classid}, and the two words it returns as strings itself. Measured: `1d`, `8021q`,
// `.x`, `a/b`, `00:11:22:33:44:55`, `1.2.3.4`, `2001:db8::1` are all chain names nft takes.
const NFT_STRING = /^[A-Za-z_.][A-Za-z0-9/\-_.]*$/;
const NFT_TIMESTRING = /^(?=[0-9])([0-9]+d)?([0-9]+h)?([0-9]+m)?([0-9]+s)?([0-9]+ms)?$/;
const NFT_MAC = /^([0-9A-Fa-f]{1,2}:){5}[0-9A-Fa-f]{1,2}$/;
const NFT_IP4 = /^([0-9]{1,3}\.){3}[0-9]{1,3}$/;
const NFT_CLASSID = /^[0-9A-Fa-f]{1,4}:[0-9A-Fa-f]{1,4}$/;
/** scanner.l's {asteriskstring}: bison's "string with a trailing asterisk". */
const NFT_ASTERISK = /^([A-Za-z_.][A-Za-z0-9/\-_.]*\\?\*|\\\*|[A-Za-z_.][A-Za-z0-9/\-_.]*\\\*[A-Za-z_.][A-Za-z0-9/\-_.]*)$/;

/** Whether nft's scanner reads the whole word as one STRING token (a name wherever the grammar takes one). */
export function isNftString(v: string): boolean {
  if (isScannerKeyword(v)) return false;
  if (NFT_STRING.test(v) || v === '8021ad' || v === '8021q') return true;
  if (NFT_TIMESTRING.test(v) && !/^[0-9]+$/.test(v)) return true;
  return NFT_MAC.test(v) || NFT_IP4.test(v) || NFT_CLASSID.test(v) || (v.includes(':') && isIPv6(v));
}

const WORD = /[A-Za-z0-9_.:/\-*$\[\]]/;

function tokenize(text: string, src: number): Tok[] {
  const out: Tok[] = [];
  let line = 1;
  let col = 1;
  let i = 0;
  const push = (t: Tok['t'], v: string, c: number, len: number): void => {
    out.push({ t, v, loc: { line, col: c, end: c + Math.max(len, 1) - 1, ...(src ? { src } : {}) } });
  };
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === '\\' && text[i + 1] === '\n') {
      i += 2;
      line++;
      col = 1;
      continue;
    }
    if (ch === '\n') {
      push('nl', '\n', col, 1);
      i++;
      line++;
      col = 1;
      continue;
    }
    if (ch === ' ' || ch === '\t' || ch === '\r') {
      i++;
      col++;
      continue;
    }
    if (ch === '#') {
      while (i < text.length && text[i] !== '\n') {
        i++;
        col++;
      }
      continue;
    }
    if (ch === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"' && text[j] !== '\n') j++;
      const v = text.slice(i + 1, j);
      push('s', v, col, j - i + 1);
      col += j - i + 1;
      i = j + 1;
      continue;
    }
    const two = text.slice(i, i + 2);
    if (two === '!=' || two === '==' || two === '<=' || two === '>=') {
      push('p', two, col, 2);
      i += 2;
      col += 2;
      continue;
    }
    if ('{},;@<>=+!'.includes(ch)) {
      push('p', ch, col, 1);
      i++;
      col++;
      continue;
    }
    if (WORD.test(ch)) {
      let j = i;
      while (j < text.length && WORD.test(text[j]!)) j++;
      push('w', text.slice(i, j), col, j - i);
      col += j - i;
      i = j;
      continue;
    }
    push('w', ch, col, 1); // junk: a syntax error where it is used
    i++;
    col++;
  }
  out.push({ t: 'eof', v: '', loc: { line, col, end: col, ...(src ? { src } : {}) } });
  return out;
}

/** How bison names a token in "unexpected X". */
export function describe(t: Tok): string {
  if (t.t === 'eof') return 'end of file';
  if (t.t === 'nl') return 'newline';
  if (t.t === 's') return 'quoted string';
  if (t.t === 'p') return t.v === ';' ? 'semicolon' : `'${t.v}'`;
  if (t.v === ':') return 'colon'; // our scanner keeps a colon a word (`: verdict`); nft's token is COLON
  if (KEYWORDS.has(t.v)) return t.v;
  const op = OPERATOR_WORDS.get(t.v);
  if (op !== undefined) return op;
  if (SCANNER_KEYWORDS.has(t.v)) return t.v;
  if (/^[0-9]+$/.test(t.v)) return 'number';
  if (NFT_ASTERISK.test(t.v)) return 'string with a trailing asterisk';
  // a word our scanner keeps whole that nft's starts with a number (`1x`: NUM then STRING; `1.2.3.4x` starts as an address)
  if (/^[0-9]+(?![0-9.:])/.test(t.v) && !isNftString(t.v)) return 'number';
  return 'string';
}

/** A `{` of the token stream: whether it opened a symbol scope (a table's or a chain's block). */
type Brace = boolean;

class Scanner {
  readonly out: Tok[] = [];
  /** Where the statement being emitted starts in `out`. */
  private stmt = 0;
  private readonly scopes: Array<Map<string, Tok[]>> = [new Map()];
  private readonly braces: Brace[] = [];

  constructor(readonly sources: NftSource[], private readonly opts: ScanOptions) {}

  /** Scan one input's tokens into `out`; `depth`: how many includes deep it is. */
  input(toks: Tok[], depth: number): void {
    let i = 0;
    const term = (): Tok => {
      const t = toks[i]!;
      if (t.t === 'nl' || (t.t === 'p' && t.v === ';')) {
        i++;
        return t;
      }
      throw unexpected(t, 'newline or semicolon');
    };
    while (i < toks.length) {
      const t = toks[i]!;
      if (t.t === 'eof') {
        if (depth === 0) this.out.push(t);
        return;
      }
      const atStart = this.stmt === this.out.length;
      if (atStart && t.t === 'w' && (t.v === 'include' || t.v === 'define' || t.v === 'redefine' || t.v === 'undefine')) {
        i++;
        if (t.v === 'include') {
          const f = toks[i]!;
          if (f.t !== 's') throw unexpected(f, 'quoted string');
          i++;
          const end = term();
          // nft marks an include over its separator too (measured: `include "./x.nft"` is 1-18 on its line)
          this.include(f.v, { ...t.loc, end: end.loc.end }, depth);
          continue;
        }
        const n = toks[i++]!;
        if (n.t !== 'w' || describe(n) !== 'string' || !/^[A-Za-z_][A-Za-z0-9_.\-]*$/.test(n.v)) throw unexpected(n, 'string');
        const scope = this.scopes[this.scopes.length - 1]!;
        if (t.v === 'undefine') {
          term();
          scope.delete(n.v);
          continue;
        }
        const eq = toks[i++]!;
        if (eq.t !== 'p' || eq.v !== '=') throw unexpected(eq, "'='");
        const value: Tok[] = [];
        let depthB = 0;
        for (;;) {
          const v = toks[i]!;
          if (v.t === 'eof' || (depthB === 0 && (v.t === 'nl' || (v.t === 'p' && v.v === ';')))) break;
          if (v.t === 'p' && v.v === '{') depthB++;
          if (v.t === 'p' && v.v === '}') depthB--;
          i++;
          if (v.t === 'w' && v.v.startsWith('$')) value.push(...this.lookup(v));
          else value.push(v);
        }
        if (value.length === 0) throw unexpected(toks[i]!);
        term();
        if (t.v === 'define' && this.scopes.some((s) => s.has(n.v))) throw new NftParseError(`redefinition of symbol '${n.v}'`, n.loc);
        scope.set(n.v, value);
        continue;
      }
      i++;
      if (t.t === 'w' && t.v.startsWith('$')) {
        this.out.push(...this.lookup(t));
        continue;
      }
      if (t.t === 'p' && t.v === '{') {
        const head = this.out.slice(this.stmt).filter((x) => x.t === 'w').map((x) => x.v);
        const opens = head[0] === 'table' || head[0] === 'chain' || ((head[0] === 'add' || head[0] === 'create') && (head[1] === 'table' || head[1] === 'chain'));
        this.braces.push(opens);
        if (opens) this.scopes.push(new Map());
      } else if (t.t === 'p' && t.v === '}') {
        if (this.braces.pop()) this.scopes.pop();
      }
      this.out.push(t);
      if (t.t === 'nl' || (t.t === 'p' && (t.v === ';' || t.v === '{' || t.v === '}'))) this.stmt = this.out.length;
    }
  }

  /** `$NAME`: its value's tokens, from the innermost scope that has it; nft's error (at NAME) when none does. */
  private lookup(t: Tok): Tok[] {
    const name = t.v.slice(1);
    for (let s = this.scopes.length - 1; s >= 0; s--) {
      const v = this.scopes[s]!.get(name);
      if (v) {
        const via: Loc = { ...t.loc, end: t.loc.col };
        return v.map((x) => ({ ...x, via }));
      }
    }
    const at: Loc = { ...t.loc, col: t.loc.col + 1 };
    // symbol_lookup_fuzzy: every scope's names, innermost first, the closest within misspell's threshold
    let best: string | undefined;
    let bd = Infinity;
    for (let s = this.scopes.length - 1; s >= 0; s--) {
      for (const k of this.scopes[s]!.keys()) {
        const d = objMisspell(k, name);
        if (d !== undefined && d < bd) [best, bd] = [k, d];
      }
    }
    throw new NftParseError(best === undefined ? `unknown identifier '${name}'` : `unknown identifier '${name}'; did you mean identifier ‘${best}’?`, at);
  }

  /** scanner_include_file: an absolute or ./ ../ name as written, others in each include path until one is found. */
  private include(name: string, loc: Loc, depth: number): void {
    const cwd = this.opts.cwd ?? process.cwd();
    if (name.startsWith('/') || name.startsWith('./') || name.startsWith('../')) {
      if (this.glob(name, cwd, loc, depth) !== 'none') return;
    } else {
      for (const dir of this.opts.includePaths ?? NFT_INCLUDE_PATHS) {
        const r = this.glob(`${dir}/${name}`, cwd, loc, depth);
        if (r === 'file') return;
      }
    }
    throw new NftParseError(`File not found: ${name}`, loc);
  }

  /**
   * include_glob: every file the pattern matches, in glob(3)'s sorted order (directories skipped); 'file' when the
   * name had no wildcard and was found, 'wild' when it had one (matches or not), 'none' when a plain name was absent.
   */
  private glob(pattern: string, cwd: string, loc: Loc, depth: number): 'file' | 'wild' | 'none' {
    const wild = /[*?[]/.test(pattern);
    const matches = wild ? globPaths(pattern, cwd) : existsAt(pattern, cwd) ? [pattern] : [];
    if (matches.length === 0) return wild ? 'wild' : 'none';
    for (const path of matches) {
      let st;
      try {
        st = statSync(isAbsolute(path) ? path : resolve(cwd, path));
      } catch {
        continue;
      }
      if (st.isDirectory()) continue;
      if (depth + 1 >= MAX_INCLUDE_DEPTH) throw new NftParseError(`Include nested too deeply, max ${MAX_INCLUDE_DEPTH} levels`, loc);
      let text: string;
      try {
        text = readFileSync(isAbsolute(path) ? path : resolve(cwd, path), 'utf8');
      } catch (e) {
        throw new NftParseError(`Could not open file "${path}": ${errnoText(e)}`, loc);
      }
      const src = this.sources.length;
      this.sources.push({ name: path, text, from: loc });
      this.input(tokenize(text, src), depth + 1);
    }
    return wild ? 'wild' : 'file';
  }
}

function unexpected(t: Tok, expecting?: string): NftParseError {
  return syntaxError(t, expecting);
}

/**
 * bison's "syntax error, unexpected X[, expecting Y]" at the token; a word nft's scanner starts with a number (`1x`:
 * NUM then STRING, describe) is marked over that number alone, the token bison met.
 */
export function syntaxError(t: Tok, expecting?: string): NftParseError {
  const what = describe(t);
  const num = what === 'number' && t.t === 'w' ? /^[0-9]+/.exec(t.v)![0].length : 0;
  const loc = num ? { ...t.loc, end: t.loc.col + num - 1 } : t.loc;
  return new NftParseError(`syntax error, unexpected ${what}${expecting ? `, expecting ${expecting}` : ''}`, loc);
}

function existsAt(path: string, cwd: string): boolean {
  try {
    statSync(isAbsolute(path) ? path : resolve(cwd, path));
    return true;
  } catch {
    return false;
  }
}

/** strerror's text for a file that could not be read. */
function errnoText(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'EACCES' ? 'Permission denied' : code === 'EISDIR' ? 'Is a directory' : code ?? String(e);
}

/** A glob(3) component (`*`, `?`, `[…]`, GLOB_NOESCAPE) as a regular expression; a leading dot matched only by one. */
function componentRe(p: string): RegExp {
  let re = '';
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const close = p.indexOf(']', i + 2);
      if (close < 0) re += '\\[';
      else {
        let body = p.slice(i + 1, close);
        if (body.startsWith('!')) body = `^${body.slice(1)}`;
        re += `[${body.replace(/\\/g, '\\\\')}]`;
        i = close;
      }
    } else re += c.replace(/[.+^${}()|\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** The paths matching a pattern, as glob(3) returns them (written as the pattern is: relative stays relative), sorted. */
function globPaths(pattern: string, cwd: string): string[] {
  const parts = pattern.split('/');
  let paths = [parts[0] === '' ? '' : undefined] as Array<string | undefined>;
  const start = parts[0] === '' ? 1 : 0;
  for (let k = start; k < parts.length; k++) {
    const part = parts[k]!;
    if (part === '') continue;
    const next: Array<string | undefined> = [];
    for (const base of paths) {
      const join = (name: string): string => (base === undefined ? name : `${base}/${name}`);
      if (!/[*?[]/.test(part)) {
        next.push(join(part));
        continue;
      }
      const dir = base === undefined ? cwd : base === '' ? '/' : isAbsolute(base) ? base : resolve(cwd, base);
      let names: string[];
      try {
        names = readdirSync(dir);
      } catch {
        continue;
      }
      const re = componentRe(part);
      for (const n of names.sort()) if ((!n.startsWith('.') || part.startsWith('.')) && re.test(n)) next.push(join(n));
    }
    paths = next;
  }
  return paths.filter((p): p is string => p !== undefined && existsAt(p, cwd)).sort();
}

/**
 * nft's input as the parser reads it: the text's tokens with its includes' in their place and every `$NAME`
 * replaced by its value; `sources` gets the text (index 0) and each file included.
 */
export function scan(text: string, file: string | undefined, opts: ScanOptions, sources: NftSource[]): Tok[] {
  sources.push({ name: file, text });
  const s = new Scanner(sources, opts);
  s.input(tokenize(text, 0), 0);
  return s.out;
}
