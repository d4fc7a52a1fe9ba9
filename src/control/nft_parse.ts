// The nft text front end: a subset of nftables' syntax (its scanner.l / parser_bison.y), parsed into
// commands the ruleset (nft.ts) applies. Nothing here touches a ruleset; errors carry nft's message
// and where it is (line, first and last column), and nft.ts renders them as nft prints them.
//
// Input is a command line (`add rule inet filter forward ct state established accept`) or a file as
// `nft -f` reads it: commands one per line or separated by ';', `table FAMILY NAME { … }` blocks with
// `chain`, `set` and `flowtable` blocks inside, `#` comments, a backslash continuing a line.

import { EXTHDR_NAMES, exthdrFields, IPOPT_FIELD_WORDS, IPOPT_NAMES, ipoptFields, tcpOptFields, tcpOptName } from './nft_exthdr.js';
import { isNftString, isScannerKeyword, KEYWORDS, NftParseError, scan, syntaxError, type Loc, type NftSource, type ScanOptions, type Tok } from './nft_scan.js';

export { NftParseError, type Loc } from './nft_scan.js';

export type NftFamily = 'ip' | 'ip6' | 'inet' | 'netdev' | 'arp';

/** A value as written, typed later by what it is compared with (nft.ts). */
export type RawValue =
  | { k: 'word'; v: string; loc: Loc; opts?: ElemOpts }
  | { k: 'str'; v: string; loc: Loc; opts?: ElemOpts }
  | { k: 'set'; elems: RawValue[]; loc: Loc }
  | { k: 'ref'; name: string; loc: Loc }
  | { k: 'list'; items: RawValue[]; loc: Loc }
  /** `192.0.2.1 . 22`: a concatenation's components, as written (typed by the selector's fields). */
  | { k: 'concat'; items: RawValue[]; /** each `.`: before items[i + 1] */ dots: Loc[]; loc: Loc; opts?: ElemOpts }
  /** A map element, `key : data` (located at its key, where nft shows an element's errors). */
  | { k: 'pair'; key: RawValue; data: RawValue; loc: Loc; /** `jump NAME` / `goto NAME` data: the chain */ chain?: string };

/**
 * What a set element may carry after its key (nft's set_elem_expr: its statements, then its options): a counter
 * with its values, a timeout and an expiry in ms (written), a comment.
 */
export interface ElemOpts {
  counter?: { packets: bigint; bytes: bigint; loc: Loc };
  /** How many statements the element was written with (`counter counter`: 2; nft compares with the set's). */
  stmts?: number;
  timeout?: number;
  expires?: number;
  comment?: string;
}

export type CmpOp = 'eq' | 'neq' | 'lt' | 'gt' | 'lte' | 'gte';

/** What a match reads: `ip saddr`, `tcp dport`, `meta mark`, `ct state`… */
export interface Selector {
  proto: 'ip' | 'ip6' | 'tcp' | 'udp' | 'th' | 'icmp' | 'icmpv6' | 'meta' | 'ct' | 'arp' | 'ether' | 'vlan' | 'fib' | 'tcpopt' | 'rt' | 'exthdr' | 'ipopt';
  /** fib's: its flags and result as nft lists them (`saddr . iif oif`: the flags in NFTA_FIB_F_* bit order) */
  field: string;
  loc: Loc;
  /** `ip saddr . tcp dport` (a concatenation): every field, the first one's proto and field above; loc spans all. */
  concat?: Selector[];
}

/**
 * What a NAT map is keyed by: a packet field, nft_numgen's number (`numgen inc|random mod N [offset M]`) or
 * nft_hash's jhash of fields (`jhash EXPR mod N [seed S] [offset M]`), each a u32 in host order.
 */
export type NatKey =
  | { k: 'sel'; sel: Selector; loc: Loc }
  /** mode `symhash`: nft_hash's NFT_HASH_SYM (`symhash mod N [offset M]`), the packet's symmetric flow hash */
  | { k: 'numgen'; mode: 'inc' | 'random' | 'symhash'; mod: number; offset: number; loc: Loc }
  | { k: 'jhash'; sel: Selector; mod: number; seed: number; seedSet: boolean; offset: number; loc: Loc };

/** nft's binary operators (and_expr, exclusive_or_expr, inclusive_or_expr, shift_expr; `and`, `xor`, `or`, `lshift`, `rshift` are words for them). */
export type BinOp = '&' | '|' | '^' | '<<' | '>>';

/** A binary operation as written (C's precedence: shifts, then `&`, `^`, `|`): its operands a selector, a constant, or another. */
export type BinExpr =
  | { k: 'sel'; sel: Selector; loc: Loc }
  | { k: 'val'; v: RawValue; loc: Loc }
  | { k: 'op'; op: BinOp; l: BinExpr; r: BinExpr; loc: Loc };

export type Stmt =
  /**
   * `mask`: `tcp flags & mask op value` (Parser.flagsMatch); `lhs`: the selector in binary operations (`meta mark & 0xc
   * == 0x8`, its leftmost operand `sel`); `rhs`: a value in binary operations of constants (`== 0x1 | 0x2`, `value` its first).
   */
  | { k: 'match'; sel: Selector; op: CmpOp; explicitOp: boolean; value: RawValue; mask?: RawValue; lhs?: BinExpr; rhs?: BinExpr; loc: Loc; /** compared: numgen's or jhash's number (`numgen inc mod 2 0`); sel then a stand-in */ key?: Exclude<NatKey, { k: 'sel' }> }
  | { k: 'counter'; packets: bigint; bytes: bigint; loc: Loc }
  | { k: 'verdict'; v: 'accept' | 'drop' | 'return' | 'continue' | 'jump' | 'goto'; chain?: string; chainLoc?: Loc; loc: Loc }
  | { k: 'reject'; with?: 'icmp' | 'icmpv6' | 'icmpx' | 'tcp'; code?: string; codeLoc?: Loc; loc: Loc }
  /** `map`: `dnat to KEY map { key : address, … }` — the key's element gives the address (nft_lookup's dreg). */
  | { k: 'nat'; type: 'snat' | 'dnat' | 'masquerade' | 'redirect'; family?: 'ip' | 'ip6'; to?: string; toLoc?: Loc; map?: { key: NatKey; value: RawValue }; portMap?: { key: NatKey; value: RawValue }; flags: string[]; loc: Loc }
  /**
   * `key`: the mark from numgen or jhash (`meta mark set numgen inc mod 3`), or from a map (`… map { 0 : 0x1 }`);
   * `expr`: from binary operations (`meta mark set ct mark & 0xff | 0x100`); `dir`: `ct original|reply zone set`,
   * the zone of one direction.
   */
  | { k: 'set'; target: 'meta mark' | 'ct mark' | 'meta pkttype' | 'ct zone'; value: RawValue; key?: NatKey; map?: RawValue; expr?: BinExpr; dir?: 'original' | 'reply'; loc: Loc }
  | { k: 'flow'; name: string; nameLoc: Loc; loc: Loc }
  | { k: 'notrack'; loc: Loc }
  /**
   * `fwd to DEV` / `dup to DEV` (the netdev family's nft_fwd_netdev, nft_dup_netdev); `fwd ip to ADDR device DEV`
   * (`nh`: the next hop's family and address, nft_fwd_neigh). `dup to X [device DEV]` is read as nft's dup_stmt, the
   * family deciding later what X is: the netdev family's device (`dev`), the ip and ip6 families' address (`to`,
   * nft_dup_ipv4 / nft_dup_ipv6) with `device` its output device.
   */
  | { k: 'fwd'; dup: boolean; dev: string; devLoc: Loc; loc: Loc; nh?: { family: 'ip' | 'ip6'; addr: RawValue }; to?: RawValue; device?: { v: string; loc: Loc } }
  /** limit_stmt: a rate in packets or bytes per `unit` seconds, a burst (packets, or bytes: 0 none). */
  | { k: 'limit'; inv: boolean; bytes: boolean; rate: bigint; unit: number; burst: bigint; loc: Loc }
  /** quota_stmt: bytes, and the bytes already used. */
  | { k: 'quota'; inv: boolean; bytes: bigint; used: bigint; loc: Loc }
  /** log_stmt: what nft sends (NFTA_LOG_*); `set` names the options written (STMT_LOG_*). */
  | { k: 'log'; prefix?: string; group?: number; snaplen?: number; qthreshold?: number; level?: number; logflags: number; loc: Loc }
  /** `counter name X` / `quota name X` / `limit name X`: the table's stateful object of that type (nft_objref). */
  | { k: 'objref'; type: 'counter' | 'quota' | 'limit'; name: string; nameLoc: Loc; loc: Loc }
  /**
   * `counter name ip saddr map { 192.0.2.1 : "c1" }` / `… map @m` (objref_stmt over a map); `map` undefined: a
   * selector with no map after it, which nft's evaluation refuses (a name must be a string).
   */
  | { k: 'objmap'; type: 'counter' | 'quota' | 'limit'; sel: Selector; map?: RawValue; loc: Loc }
  /** `SELECTOR vmap { key : verdict, … }` / `vmap @m`. */
  | { k: 'vmap'; sel: Selector; map: RawValue; loc: Loc; /** keyed by numgen or jhash (`numgen inc mod 2 vmap { … }`); sel then jhash's fields or a stand-in */ key?: Exclude<NatKey, { k: 'sel' }> }
  /** `reset tcp option NAME` (nft_exthdr_tcp_strip_eval: the option's bytes become NOPs). */
  | { k: 'optreset'; name: string; loc: Loc }
  /** `tcp option maxseg size set 1400` / `… set rt mtu` (nft_exthdr's TCP option write): a value, or the route's MSS. */
  | { k: 'optset'; sel: Selector; value?: RawValue; rt: boolean; loc: Loc }
  /**
   * set_stmt (`add @s { ip saddr }`, `update @s { ip saddr . tcp dport timeout 10s counter }`, `delete @s { … }`) and
   * meter_stmt (`meter m size 100 { ip saddr limit rate 10/second }`): nft_dynset. `exprs`: the element's statements.
   */
  | { k: 'dynset'; op: 'add' | 'update' | 'delete'; set: string; setLoc: Loc; key: Selector; timeout?: number; exprs: Array<Extract<Stmt, { k: 'counter' | 'limit' | 'quota' }>>; meter?: { size?: number }; data?: { sel: Selector; loc: Loc } | { value: RawValue; loc: Loc }; loc: Loc }
  /** A statement of nft's grammar whose expression type this data path lacks (the kernel's reply: ENOENT). */
  | { k: 'absent'; expr: 'connlimit' | 'synproxy'; loc: Loc };

export interface ChainSpec {
  type?: string;
  hook?: string;
  priority?: { name?: string; value: number; loc: Loc };
  policy?: 'accept' | 'drop';
  /** Where `policy X` is written. */
  policyLoc?: Loc;
  devices?: string[];
  /** Where the chain type word is, and `type … priority P` (the hook declaration: nft's errors about it point there). */
  typeLoc?: Loc;
  hookLoc?: Loc;
  declLoc?: Loc;
  /** `device x` / `devices = { … }` as written, and `priority P`. */
  devLoc?: Loc;
  prioLoc?: Loc;
  /** Where the kernel's refusal of the chain points: a command's whole `add chain …`, a table block's chain name (measured). */
  cmdLoc?: Loc;
  loc: Loc;
}

export interface SetSpec {
  type?: string;
  /** Where each of a concatenation's `type` words is (nft's `unknown datatype` for one is at that field). */
  typeLocs?: Loc[];
  /** `typeof ip saddr`: the key's type is the expression's (nft keeps the expression and lists it back). */
  typeof?: Selector;
  /** `timeout 30s`: the elements' default timeout in ms (nft sets NFT_SET_TIMEOUT with it). */
  timeout?: number;
  /** `counter`: every element has a counter (the set's expression, NFT_SET_EXPR). */
  counter?: boolean;
  /** `auto-merge`: nft merges overlapping and adjacent intervals as they are added. */
  autoMerge?: boolean;
  /** `size N`: the most elements (NFTA_SET_DESC_SIZE). */
  size?: number;
  /** The block from its `{` to its `}`. */
  blockLoc?: Loc;
  /** A map's data type (`type ipv4_addr : counter`), where it is written. */
  /** `sel`: a `typeof` map's data expression. */
  /** `interval`: `typeof … : interval ip daddr . tcp dport` (a map to ranges of the fields' types). */
  data?: { v: string; loc: Loc; sel?: Selector; interval?: boolean };
  flags: string[];
  elements?: RawValue;
  loc: Loc;
}

export interface FlowtableSpec {
  hook?: string;
  priority?: { name?: string; value: number; loc: Loc };
  devices: string[];
  /** `counter` (NFT_FLOWTABLE_COUNTER): the flowtable's hits count into their connections' counters. */
  counter?: boolean;
  loc: Loc;
}

/** A stateful object's declaration: the statement of its type (counter_obj, quota_obj, limit_obj in nft's grammar). */
export type ObjSpec = Extract<Stmt, { k: 'counter' | 'quota' | 'limit' }>;

/** `… handle N` in a delete: the number, and where it is (the kernel's ENOENT shows there). */
export interface Handle {
  n: number;
  loc: Loc;
}

export interface Where {
  family: NftFamily;
  table: string;
  tableLoc: Loc;
}

export type Cmd =
  | ({ op: 'add' | 'create' | 'delete' | 'flush' | 'list'; obj: 'table'; handle?: Handle } & Where & { loc: Loc })
  | ({ op: 'add' | 'create' | 'delete' | 'flush' | 'list'; obj: 'chain'; chain: string; chainLoc: Loc; spec?: ChainSpec; handle?: Handle } & Where & { loc: Loc })
  /** `add|insert rule … [handle|position N | index N]`, `replace rule … handle N`. */
  /** `cmdLoc`: a command line's whole `add rule …` (where the kernel's refusal of the rule points; a block's rule: its statements). */
  | ({ op: 'add' | 'insert' | 'replace'; obj: 'rule'; chain: string; chainLoc: Loc; stmts: Stmt[]; handle?: number; index?: number; posLoc?: Loc; loc: Loc; cmdLoc?: Loc } & Where)
  /** `rename chain FAMILY TABLE NAME NEWNAME`. */
  | ({ op: 'rename'; obj: 'chain'; chain: string; chainLoc: Loc; to: string; toLoc: Loc } & Where & { loc: Loc })
  | { op: 'list'; obj: 'tables'; family?: NftFamily; loc: Loc }
  | { op: 'list'; obj: 'chains'; family?: NftFamily; loc: Loc }
  | ({ op: 'delete'; obj: 'rule'; chain: string; chainLoc: Loc; handle: number; handleLoc: Loc; loc: Loc } & Where)
  | ({ op: 'add' | 'create' | 'delete' | 'flush' | 'list'; obj: 'set'; set: string; setLoc: Loc; /** where the kernel refuses the set itself */ declLoc?: Loc; spec?: SetSpec; handle?: Handle; /** written as `map` */ map: boolean } & Where & { loc: Loc })
  | ({ op: 'add' | 'create' | 'delete'; obj: 'element'; set: string; setLoc: Loc; elems: RawValue } & Where & { loc: Loc })
  | ({ op: 'add' | 'create' | 'delete' | 'list'; obj: 'flowtable'; flowtable: string; ftLoc: Loc; /** a command's whole `add flowtable …` */ declLoc?: Loc; spec?: FlowtableSpec; handle?: Handle } & Where & { loc: Loc })
  /** One named stateful object: declared (spec), deleted, listed, or listed and reset (NFT_MSG_GETOBJ_RESET). */
  | ({ op: 'add' | 'create' | 'delete' | 'list' | 'reset'; obj: 'object'; type: ObjSpec['k']; name: string; nameLoc: Loc; spec?: ObjSpec; handle?: Handle } & Where & {
      /** The command (a command line's: all of it; a table block's declaration: its name), where the kernel's refusals show. */
      loc: Loc;
    })
  /** `list counters [table FAMILY NAME]`, `reset quotas …`: every object of a type, of one table or all. */
  | { op: 'list' | 'reset'; obj: 'objects'; type: ObjSpec['k']; where?: Where; family?: NftFamily; loc: Loc }
  /** `list sets [FAMILY]`, `list maps [FAMILY]`: every table (of the family), its named sets or maps. */
  | { op: 'list'; obj: 'sets'; map: boolean; meters?: boolean; family?: NftFamily; loc: Loc }
  | { op: 'list' | 'flush'; obj: 'ruleset'; family?: NftFamily; loc: Loc };

/** nft's time_unit keywords (limit_rate_pkts) and rate_parse's units, in seconds. */
export const TIME_UNITS: Readonly<Record<string, number>> = { second: 1, minute: 60, hour: 3600, day: 86400, week: 604800 };
/** data_unit_parse: bytes, kbytes, mbytes. */
const DATA_UNITS: Readonly<Record<string, bigint>> = { bytes: 1n, kbytes: 1024n, mbytes: 1048576n };
/** The syslog levels nft names (statement.c syslog_level; NFT_LOGLEVEL_AUDIT is 8). */
export const LOG_LEVELS: readonly string[] = ['emerg', 'alert', 'crit', 'err', 'warn', 'notice', 'info', 'debug', 'audit'];
/** NF_LOG_* flags (nf_log.h). */
export const NF_LOG = { TCPSEQ: 0x01, TCPOPT: 0x02, IPOPT: 0x04, UID: 0x08, MACDECODE: 0x20, MASK: 0x2f } as const;
const FAMILIES = new Set(['ip', 'ip6', 'inet', 'netdev', 'arp']);
/** nft's other families, refused by name with what wxdp lacks for each. */
const ABSENT_FAMILIES: Readonly<Record<string, string>> = {
  bridge: 'it has no bridge devices',
};
const SECMARK = 'wxdp has no secmark: no Linux security module labels its packets';
/** Expressions of nft's grammar this data path lacks, refused by name where a value may be written. */
const ABSENT_EXPRS: Readonly<Record<string, string>> = {
  numgen: 'wxdp has numgen only as a NAT map\'s key yet (dnat to numgen inc mod N map { … })',
  jhash: 'wxdp has jhash only as a NAT map\'s key yet (dnat to jhash EXPR mod N map { … })',
};
/** A verdict map's data words. */
const VERDICTS = new Set(['accept', 'drop', 'return', 'continue', 'jump', 'goto']);
/** What bison lists when a chain or flowtable's `device NAME` is no name (nft 1.0.6, measured). */
const DEVICE_EXPECTED = "string or quoted string or string with a trailing asterisk or '$'";
/** … and when a verdict map element's `jump NAME` / `goto NAME` is none. */
const MAP_CHAIN_EXPECTED = "string or '$'";
/** Words a selector starts with (Parser.selector). */
/** nft_fib's NFTA_FIB_F_* flags by bit: SADDR 1, DADDR 2, MARK 4, IIF 8, OIF 16 (PRESENT 32 is `exists` / `missing`'s). */
export const FIB_FLAGS: readonly string[] = ['saddr', 'daddr', 'mark', 'iif', 'oif'];
const SELECTORS = new Set(['exthdr', 'hbh', 'frag', 'dst', 'mh', 'rt', 'arp', 'ether', 'vlan', 'ip', 'ip6', 'tcp', 'udp', 'th', 'icmp', 'icmpv6', 'meta', 'mark', 'iif', 'oif', 'iifname', 'oifname', 'skuid', 'skgid', 'pkttype', 'cpu', 'iiftype', 'oiftype', 'ct']);
class Parser {
  private i = 0;
  constructor(private readonly toks: Tok[]) {}

  private peek(n = 0): Tok {
    return this.toks[Math.min(this.i + n, this.toks.length - 1)]!;
  }
  private next(): Tok {
    const t = this.peek();
    if (this.i < this.toks.length - 1) this.i++;
    return t;
  }
  private unexpected(t: Tok, expecting?: string): never {
    throw syntaxError(t, expecting);
  }
  private isWord(v?: string, n = 0): boolean {
    const t = this.peek(n);
    return t.t === 'w' && (v === undefined || t.v === v);
  }
  private isP(v: string, n = 0): boolean {
    const t = this.peek(n);
    return t.t === 'p' && t.v === v;
  }
  private expectP(v: string, expecting = `'${v}'`): Tok {
    const t = this.next();
    if (t.t !== 'p' || t.v !== v) this.unexpected(t, expecting);
    return t;
  }
  private expectWord(v: string): Tok {
    const t = this.next();
    if (t.t !== 'w' || t.v !== v) this.unexpected(t, v);
    return t;
  }
  /**
   * A name: a word nft's scanner gives as a STRING (never one of its keywords, isScannerKeyword) or a quoted string;
   * `variable`: a `$NAME` may give it (nft's chain_expr, dev_spec); `expecting`: what bison lists in that place.
   */
  private name(variable = false, expecting = 'string'): Tok {
    const t = this.next();
    if (t.via && !variable) throw new NftParseError("syntax error, unexpected '$', expecting string", t.via);
    if (t.t === 's' || (t.t === 'w' && isNftString(t.v))) return t;
    this.unexpected(t, expecting);
  }
  /** The name after `@`: `@` starts scanner.l's SCANSTATE_AT, where `ll` and `nh` are keywords (@ll, @nh: raw payload bases). */
  private atName(expecting = 'string'): Tok {
    const t = this.peek();
    if (t.t === 'w' && (t.v === 'll' || t.v === 'nh')) throw new NftParseError(`syntax error, unexpected ${t.v}, expecting ${expecting}`, t.loc);
    return this.name(false, expecting);
  }
  private skipNl(): void {
    while (this.peek().t === 'nl' || this.isP(';')) this.next();
  }
  /**
   * A command's end: a newline, `;` or the end of input. What else comes is a syntax error expecting, at the top
   * level (a command of its own, in a file or on the command line: nft's `line: base_cmd TOKEN_EOF | base_cmd
   * stmt_separator`), "end of file or newline or semicolon"; inside a block "newline or semicolon" (nft 1.0.6, measured).
   */
  private endOfCommand(top = false): void {
    const t = this.peek();
    if (t.t === 'nl' || t.t === 'eof' || this.isP(';')) {
      if (t.t !== 'eof') this.next();
      return;
    }
    this.unexpected(t, this.endExpected(top));
  }
  private endExpected(top: boolean): string {
    return top ? 'end of file or newline or semicolon' : 'newline or semicolon';
  }

  parse(): Cmd[] {
    const out: Cmd[] = [];
    this.skipNl();
    while (this.peek().t !== 'eof') {
      this.command(out);
      this.skipNl();
    }
    return out;
  }

  private where(): Where {
    let family: NftFamily = 'ip';
    const f = this.peek();
    // a family nft has and wxdp does not (followed by the table's name: otherwise `arp` is a table named so)
    if (f.t === 'w' && ABSENT_FAMILIES[f.v] !== undefined && (this.peek(1).t === 'w' || this.peek(1).t === 's')) {
      throw new NftParseError(`wxdp has no ${f.v} family: ${ABSENT_FAMILIES[f.v]}`, f.loc);
    }
    if (this.isWord() && FAMILIES.has(this.peek().v)) {
      family = this.next().v as NftFamily;
    }
    const t = this.name();
    return { family, table: t.v, tableLoc: t.loc };
  }

  private command(out: Cmd[]): void {
    const t = this.peek();
    if (t.t !== 'w') this.unexpected(t);
    if (t.v === 'table') {
      // `table FAMILY NAME { … }` in a file: add the table and what its block declares
      this.next();
      const w = this.where();
      out.push({ op: 'add', obj: 'table', ...w, loc: t.loc });
      if (this.isP('{')) this.tableBlock(w, out);
      this.endOfCommand(true);
      return;
    }
    const verbs = ['add', 'create', 'insert', 'replace', 'delete', 'flush', 'list', 'reset', 'rename'] as const;
    if (!(verbs as readonly string[]).includes(t.v)) this.unexpected(t);
    const verb = this.next().v as (typeof verbs)[number];
    // `replace` is a rule's only (and `rename` a chain's, handled below): the other objects' verbs
    const op = verb as Exclude<typeof verb, 'replace' | 'rename'>;
    const o = this.next();
    if (o.t !== 'w') this.unexpected(o);
    if (['counter', 'counters', 'quota', 'quotas', 'limit', 'limits'].includes(o.v) && (op !== 'reset' || !o.v.startsWith('limit'))) {
      this.objCommand(op, o, t.loc, out);
      this.endOfCommand(true);
      return;
    }
    if (op === 'reset') this.unexpected(o, 'counter or counters or quotas or quota');
    if (verb === 'rename' && o.v !== 'chain') this.unexpected(o, 'chain');
    if (verb === 'replace' && o.v !== 'rule') this.unexpected(o);
    if (verb === 'rename') {
      const w = this.where();
      const c = this.name();
      const to = this.name();
      // the command's place runs to its newline (measured: a refused rename is marked one past its last word)
      const end = this.peek().t === 'nl' ? this.peek().loc.end : to.loc.end;
      out.push({ op: verb, obj: 'chain', ...w, chain: c.v, chainLoc: c.loc, to: to.v, toLoc: to.loc, loc: { ...t.loc, end } });
      this.endOfCommand(true);
      return;
    }
    switch (o.v) {
      case 'ruleset': {
        if (op !== 'list' && op !== 'flush') this.unexpected(o);
        let family: NftFamily | undefined;
        if (this.isWord() && FAMILIES.has(this.peek().v)) family = this.next().v as NftFamily;
        out.push({ op, obj: 'ruleset', family, loc: t.loc });
        break;
      }
      case 'table': {
        if (op === 'insert') this.unexpected(o);
        if (op === 'delete' && (this.isWord('handle') || (FAMILIES.has(this.peek().v) && this.isWord('handle', 1)))) {
          const family = (this.isWord('handle') ? 'ip' : this.next().v) as NftFamily;
          const handle = this.handle()!;
          out.push({ op, obj: 'table', family, table: '', tableLoc: handle.loc, handle, loc: t.loc });
          break;
        }
        const w = this.where();
        out.push({ op, obj: 'table', ...w, loc: t.loc });
        if ((op === 'add' || op === 'create') && this.isP('{')) this.tableBlock(w, out);
        break;
      }
      case 'chain': {
        if (op === 'insert') this.unexpected(o);
        const w = this.where();
        const handle = op === 'delete' ? this.handle() : undefined;
        if (handle) {
          out.push({ op, obj: 'chain', ...w, chain: '', chainLoc: handle.loc, handle, loc: t.loc });
          break;
        }
        const c = this.name();
        let spec: ChainSpec | undefined;
        if ((op === 'add' || op === 'create') && this.isP('{')) spec = this.chainBlock(w, c.v, c.loc, out);
        if (spec) spec.cmdLoc = { ...t.loc, end: this.peek().t === 'nl' ? this.peek().loc.end : this.peek(-1).loc.end };
        out.push({ op, obj: 'chain', ...w, chain: c.v, chainLoc: c.loc, spec, loc: t.loc });
        // rules of the block come after their chain
        const rules = this.pendingRules;
        this.pendingRules = [];
        out.push(...rules);
        break;
      }
      case 'rule': {
        if (verb !== 'add' && verb !== 'insert' && verb !== 'delete' && verb !== 'replace') this.unexpected(o);
        const op = verb;
        const w = this.where();
        const c = this.name();
        if (op === 'delete') {
          this.expectWord('handle');
          const h = this.next();
          if (h.t !== 'w' || !/^[0-9]+$/.test(h.v)) this.unexpected(h, 'number');
          out.push({ op, obj: 'rule', ...w, chain: c.v, chainLoc: c.loc, handle: Number(h.v), handleLoc: h.loc, loc: t.loc });
          break;
        }
        // rule_position: `handle N` / `position N` (the rule after or before which), `index N` (the Nth rule);
        // located over both words, where the kernel's ENOENT for a missing one shows
        let handle: number | undefined;
        let index: number | undefined;
        let posLoc: Loc | undefined;
        if (op === 'replace' && !this.isWord('handle')) this.unexpected(this.peek(), 'handle');
        if (this.isWord('handle') || this.isWord('position') || (op !== 'replace' && this.isWord('index'))) {
          const kw = this.next();
          const h = this.next();
          if (h.t !== 'w' || !/^[0-9]+$/.test(h.v)) this.unexpected(h, 'number');
          if (kw.v === 'index') index = Number(h.v);
          else handle = Number(h.v);
          // measured: `position N` (and `index N`) is marked over both words, `handle N` at the number
          posLoc = kw.v === 'handle' ? h.loc : { ...kw.loc, end: h.loc.end };
        }
        const start = this.peek().loc;
        const stmts = this.rule();
        // (nft's command runs over the newline that ends it: the caret one past the last statement, measured)
        const cmdLoc = stmts.length ? { ...t.loc, end: stmts[stmts.length - 1]!.loc.end + 1 } : undefined;
        out.push({ op, obj: 'rule', ...w, chain: c.v, chainLoc: c.loc, stmts, handle, index, posLoc, loc: start, cmdLoc });
        return; // rule() consumed the end of the command
      }
      case 'chains':
      case 'tables': {
        // `list tables [FAMILY]`, `list chains [FAMILY]`
        if (op !== 'list') this.unexpected(o);
        const family = this.isWord() && FAMILIES.has(this.peek().v) ? (this.next().v as NftFamily) : undefined;
        out.push({ op, obj: o.v === 'tables' ? 'tables' : 'chains', family, loc: t.loc });
        break;
      }
      case 'set':
      case 'map': {
        if (op === 'insert') this.unexpected(o);
        const map = o.v === 'map';
        const w = this.where();
        // nft 1.0.6 has `delete set … handle N` (which deletes a map too), not `delete map … handle N`
        const handle = op === 'delete' && !map ? this.handle() : undefined;
        if (handle) {
          out.push({ op, obj: 'set', ...w, set: '', setLoc: handle.loc, handle, map, loc: t.loc });
          break;
        }
        const s = this.name();
        let spec: SetSpec | undefined;
        if ((op === 'add' || op === 'create') && this.isP('{')) spec = this.setBlock(map);
        // a command's set is refused by the kernel over the whole command (measured), a block's at its name
        const end = this.peek().t === 'nl' ? this.peek().loc.end : this.peek(-1).loc.end;
        out.push({ op, obj: 'set', ...w, set: s.v, setLoc: s.loc, declLoc: { ...t.loc, end }, spec, map, loc: t.loc });
        break;
      }
      case 'sets':
      case 'meters':
      case 'maps': {
        if (op !== 'list') this.unexpected(o);
        const family = this.isWord() && FAMILIES.has(this.peek().v) ? (this.next().v as NftFamily) : undefined;
        out.push({ op, obj: 'sets', map: o.v === 'maps', meters: o.v === 'meters', family, loc: t.loc });
        break;
      }
      case 'element': {
        if (op !== 'add' && op !== 'create' && op !== 'delete') this.unexpected(o);
        const w = this.where();
        const s = this.name();
        if (!this.isP('{')) this.unexpected(this.peek(), "'{' or '$'");
        const elems = this.value(false);
        out.push({ op, obj: 'element', ...w, set: s.v, setLoc: s.loc, elems, loc: t.loc });
        break;
      }
      case 'flowtable': {
        if (op === 'insert' || op === 'flush') this.unexpected(o);
        const w = this.where();
        const handle = op === 'delete' ? this.handle() : undefined;
        if (handle) {
          out.push({ op, obj: 'flowtable', ...w, flowtable: '', ftLoc: handle.loc, handle, loc: t.loc });
          break;
        }
        const f = this.name();
        let spec: FlowtableSpec | undefined;
        if ((op === 'add' || op === 'create') && this.isP('{')) spec = this.flowtableBlock();
        const end = this.peek().t === 'nl' ? this.peek().loc.end : this.peek(-1).loc.end;
        out.push({ op, obj: 'flowtable', ...w, flowtable: f.v, ftLoc: f.loc, declLoc: { ...t.loc, end }, spec, loc: t.loc });
        break;
      }
      default:
        this.unexpected(o);
    }
    this.endOfCommand(true);
  }

  private pendingRules: Cmd[] = [];

  /** `handle N` when it comes next (a delete by handle). */
  private handle(): Handle | undefined {
    if (!this.isWord('handle')) return undefined;
    this.next();
    const h = this.next();
    if (h.t !== 'w' || !/^[0-9]+$/.test(h.v)) this.unexpected(h, 'number');
    return { n: Number(h.v), loc: h.loc };
  }

  /** `VERB counter|quota|limit FAMILY TABLE NAME [spec]`, `list|reset counters|quotas|limits [table FAMILY NAME]`. */
  private objCommand(op: 'add' | 'create' | 'insert' | 'delete' | 'flush' | 'list' | 'reset', o: Tok, loc: Loc, out: Cmd[]): void {
    if (o.v.endsWith('s')) {
      if (op !== 'list' && op !== 'reset') this.unexpected(o);
      let where: Where | undefined;
      let family: NftFamily | undefined;
      if (this.isWord('table')) {
        this.next();
        where = this.where();
      } else if (this.isWord() && FAMILIES.has(this.peek().v)) family = this.next().v as NftFamily;
      out.push({ op, obj: 'objects', type: o.v.slice(0, -1) as ObjSpec['k'], where, family, loc });
      return;
    }
    if (op === 'insert' || op === 'flush') this.unexpected(o);
    const type = o.v as ObjSpec['k'];
    const w = this.where();
    const handle = op === 'delete' ? this.handle() : undefined;
    if (handle) {
      out.push({ op, obj: 'object', type, ...w, name: '', nameLoc: handle.loc, handle, loc });
      return;
    }
    const n = this.name();
    const spec = op === 'add' || op === 'create' ? this.objSpec(type, n, false) : undefined;
    // the command's place runs to its newline (measured: the carets of a refused `add quota …` line end one past it)
    const end = this.peek().t === 'nl' ? this.peek().loc.end : this.peek(-1).loc.end;
    out.push({ op, obj: 'object', type, ...w, name: n.v, nameLoc: n.loc, spec, loc: { ...loc, end } });
  }

  /**
   * A stateful object's body: `{ … }` (required in a table block), or written after the name on a command line
   * (`add quota inet t q over 25 mbytes`); a block may be empty.
   */
  private objSpec(type: ObjSpec['k'], at: Tok, inBlock: boolean): ObjSpec {
    const braced = this.isP('{');
    if (!braced && inBlock) this.unexpected(this.peek(), "'{'");
    if (braced) {
      this.next();
      this.skipNl();
    }
    let spec: ObjSpec;
    if (braced && this.isP('}') && type !== 'counter') {
      // an empty block is nft's too: the object's values stay zero (a quota of 0 bytes; a limit of rate 0, which
      // nft_limit_init refuses)
      spec = type === 'quota' ? { k: 'quota', inv: false, bytes: 0n, used: 0n, loc: at.loc } : { k: 'limit', inv: false, bytes: false, rate: 0n, unit: 1, burst: 0n, loc: at.loc };
    } else if (type === 'counter') {
      spec = this.counterStmt(at);
    } else if (type === 'quota') {
      // quota_config's place begins with its mode, or where the token before an empty one ends (bison's empty rule)
      const prev = this.peek(-1);
      const from = this.isWord('over') || this.isWord('until') ? this.peek() : { ...prev, loc: { ...prev.loc, col: prev.loc.end } };
      spec = { ...(this.quotaStmt(from, false) as ObjSpec), loc: at.loc };
    }
    else {
      // after a command line's name `rate or '{'` is expected, inside a block nothing by name; `burst` is a keyword
      // in a limit's scanner scope, named as itself (measured)
      const expecting = braced ? '' : ", expecting rate or '{'";
      if (this.isWord('burst')) throw new NftParseError(`syntax error, unexpected burst${expecting}`, this.peek().loc);
      if (!this.isWord('rate')) this.unexpected(this.peek(), braced ? undefined : "rate or '{'");
      spec = this.limitStmt(at, false) as ObjSpec;
    }
    if (braced) {
      this.skipNl();
      if (!this.isP('}')) this.unexpected(this.peek()); // (a block's many alternatives: nothing expected by name)
      this.next();
    }
    return spec;
  }

  /**
   * `table … { … }`: as nft's cmd_expand orders a table block — its chains, then stateful objects (in the order
   * written, whatever their type), then sets, then flowtables,
   * then every chain's rules — which is also the order handles are given in.
   */
  private tableBlock(w: Where, out: Cmd[]): void {
    this.expectP('{');
    const chains: Cmd[] = [];
    const sets: Cmd[] = [];
    const fts: Cmd[] = [];
    const objs: Cmd[] = [];
    const rules: Cmd[] = [];
    for (;;) {
      this.skipNl();
      const t = this.peek();
      if (this.isP('}')) {
        this.next();
        out.push(...chains, ...objs, ...sets, ...fts, ...rules);
        return;
      }
      if (t.t !== 'w') this.unexpected(t);
      this.next();
      if (t.v === 'chain') {
        const c = this.name();
        let spec: ChainSpec | undefined;
        if (this.isP('{')) spec = this.chainBody({ ...w }, c.v, c.loc, rules);
        if (spec) spec.cmdLoc = c.loc;
        chains.push({ op: 'add', obj: 'chain', ...w, chain: c.v, chainLoc: c.loc, spec, loc: t.loc });
      } else if (t.v === 'set' || t.v === 'map') {
        const s = this.name();
        const spec = this.setBlock(t.v === 'map');
        sets.push({ op: 'add', obj: 'set', ...w, set: s.v, setLoc: s.loc, spec, map: t.v === 'map', loc: t.loc });
      } else if (t.v === 'flowtable') {
        const f = this.name();
        const spec = this.flowtableBlock();
        fts.push({ op: 'add', obj: 'flowtable', ...w, flowtable: f.v, ftLoc: f.loc, spec, loc: t.loc });
      } else if (t.v === 'counter' || t.v === 'quota' || t.v === 'limit') {
        const n = this.name();
        const spec = this.objSpec(t.v, n, true);
        objs.push({ op: 'add', obj: 'object', type: t.v, ...w, name: n.v, nameLoc: n.loc, spec, loc: n.loc });
      } else if (t.v === 'ct' && this.isWord('helper')) {
        this.ctHelperObj();
      } else if (t.v === 'secmark') {
        throw new NftParseError(SECMARK, t.loc);
      } else this.unexpected(t);
      this.endOfCommand();
    }
  }

  /**
   * `ct helper NAME { type "ftp" protocol tcp; l3proto inet }`: refused at its type, naming the helper wxdp lacks
   * (the kernel's nf_conntrack_ftp, _sip, _tftp… parse a protocol's payload to expect its related connections).
   */
  private ctHelperObj(): never {
    const h = this.next();
    this.name();
    this.expectP('{');
    for (;;) {
      const x = this.next();
      if (x.t === 'eof' || (x.t === 'p' && x.v === '}')) throw new NftParseError('wxdp has no conntrack helpers (ct helper objects)', h.loc);
      if (x.t === 'w' && x.v === 'type' && this.peek().t === 's') {
        const ty = this.next();
        throw new NftParseError(`wxdp has no conntrack helper "${ty.v}" (the kernel's nf_conntrack_${ty.v})`, ty.loc);
      }
    }
  }

  private chainBlock(w: Where, chain: string, chainLoc: Loc, _out: Cmd[]): ChainSpec | undefined {
    const rules: Cmd[] = [];
    const spec = this.chainBody(w, chain, chainLoc, rules);
    this.pendingRules = rules;
    return spec;
  }

  /** `{ type T hook H priority P; policy X; rules… }` — the base chain's spec (undefined: a regular chain). */
  private chainBody(w: Where, chain: string, chainLoc: Loc, rules: Cmd[]): ChainSpec | undefined {
    const open = this.expectP('{');
    let spec: ChainSpec | undefined;
    for (;;) {
      this.skipNl();
      const t = this.peek();
      if (this.isP('}')) {
        this.next();
        return spec;
      }
      if (this.isWord('type')) {
        this.next();
        const ty = this.next();
        if (ty.t !== 'w') this.unexpected(ty);
        spec ??= { loc: open.loc };
        spec.type = ty.v;
        spec.typeLoc = ty.loc;
        this.expectWord('hook');
        const h = this.next();
        if (h.t !== 'w') this.unexpected(h);
        spec.hook = h.v;
        spec.hookLoc = h.loc;
        const dev = this.peek();
        if (this.isWord('device')) {
          this.next();
          spec.devices = [this.name(true, DEVICE_EXPECTED).v];
          spec.devLoc = { ...dev.loc, end: this.toks[this.i - 1]!.loc.end };
        } else if (this.isWord('devices')) {
          this.next();
          spec.devices = this.deviceSet();
          spec.devLoc = { ...dev.loc, end: this.toks[this.i - 1]!.loc.end };
        }
        const pkw = this.peek();
        this.expectWord('priority');
        spec.priority = this.priority();
        spec.declLoc = { ...t.loc, end: spec.priority.loc.end };
        spec.prioLoc = { ...pkw.loc, end: spec.priority.loc.end };
        this.endOfCommand();
        continue;
      }
      if (this.isWord('policy')) {
        const kw = this.next();
        const p = this.next();
        if (p.t !== 'w' || (p.v !== 'accept' && p.v !== 'drop')) this.unexpected(p, "accept or drop or '$'");
        spec ??= { loc: open.loc };
        spec.policy = p.v;
        spec.policyLoc = { ...kw.loc, end: p.loc.end };
        this.endOfCommand();
        continue;
      }
      const stmts = this.rule(true);
      rules.push({ op: 'add', obj: 'rule', ...w, chain, chainLoc, stmts, loc: t.loc });
    }
  }

  private priority(): { name?: string; value: number; loc: Loc } {
    const t = this.next();
    if (t.t !== 'w') this.unexpected(t);
    if (/^-?[0-9]+$/.test(t.v)) return { value: Number(t.v), loc: t.loc };
    if (/^[a-z]+$/.test(t.v)) {
      let off = 0;
      let end = t.loc.end;
      if ((this.isP('+') || this.isWord('-')) && this.peek(1).t === 'w' && /^[0-9]+$/.test(this.peek(1).v)) {
        const sign = this.next().v === '+' ? 1 : -1;
        const n = this.next();
        off = sign * Number(n.v);
        end = n.loc.end;
      }
      return { name: t.v, value: off, loc: { ...t.loc, end } };
    }
    this.unexpected(t);
  }

  /** `{ item; item … }`: each item (its first token taken) up to its end of command, until `}`. */
  private block(item: (t: Tok) => void): Loc {
    const open = this.expectP('{');
    for (;;) {
      this.skipNl();
      if (this.isP('}')) {
        this.next();
        return open.loc;
      }
      item(this.next());
      if (!this.isP('}')) this.endOfCommand(); // the last item may end at the block's brace
    }
  }

  private word(): string {
    const t = this.next();
    if (t.t !== 'w') this.unexpected(t);
    return t.v;
  }

  private setBlock(map = false): SetSpec {
    const spec: SetSpec = { flags: [], loc: this.peek().loc };
    const open = this.peek().loc;
    this.block((t) => {
      if (t.t === 'w' && t.v === 'type') {
        // a map's `KEY : DATA` (our scanner keeps a colon written against the key in the key's word)
        // `ipv4_addr . inet_service`: a concatenation's types, kept joined by ` . `
        const keys = [this.word()];
        spec.typeLocs = [this.peek(-1).loc];
        while (this.isWord('.')) {
          this.next();
          keys.push(this.word());
          spec.typeLocs.push(this.peek(-1).loc);
        }
        let key = keys.pop()!;
        if (!map) {
          spec.type = [...keys, key].join(' . ');
          return;
        }
        const glued = key.endsWith(':') && key.length > 1;
        if (glued) key = key.slice(0, -1);
        if (!glued && !this.isWord(':')) this.unexpected(this.peek(), 'colon or .');
        if (!glued) this.next();
        spec.type = [...keys, key].join(' . ');
        const d = this.next();
        if (d.t !== 'w') this.unexpected(d);
        if (d.v === 'interval') {
          // `: interval ipv4_addr` (NAT's address ranges, nft's NFT_DATA_VALUE of min and max), `: interval ipv4_addr .
          // inet_service` (an address range and a port range: min address, min port, max address, max port)
          const ty = this.next();
          if (ty.t !== 'w') this.unexpected(ty);
          spec.data = { v: `interval ${ty.v}`, loc: { ...d.loc, end: ty.loc.end } };
          while (this.isWord('.')) {
            this.next();
            spec.data.v += ` . ${this.word()}`;
            spec.data.loc = { ...spec.data.loc, end: this.peek(-1).loc.end };
          }
          return;
        }
        spec.data = { v: d.v, loc: d.loc };
        // `: ipv4_addr . inet_service` (NAT's address and port)
        while (this.isWord('.')) {
          this.next();
          spec.data.v += ` . ${this.word()}`;
          spec.data.loc = { ...spec.data.loc, end: this.peek(-1).loc.end };
        }
      }
      else if (t.t === 'w' && t.v === 'typeof') this.typeofDecl(spec, map);
      else if (t.t === 'w' && t.v === 'timeout') spec.timeout = this.timeSpec('newline or semicolon');
      else if (t.t === 'w' && t.v === 'counter') {
        // nft takes up to two statements here (NFT_SET_EXPRESSIONS) and quota and limit among them; an element of
        // wxdp's sets has one counter at most
        if (spec.counter) throw new NftParseError('wxdp keeps one counter per set element: a second set statement is not supported', t.loc);
        spec.counter = true;
      } else if (t.t === 'w' && (t.v === 'quota' || t.v === 'limit')) {
        throw new NftParseError(`wxdp keeps no ${t.v} per set element: only counter is supported as a set statement`, t.loc);
      } else if (t.t === 'w' && t.v === 'auto-merge') spec.autoMerge = true;
      else if (t.t === 'w' && t.v === 'size') {
        const n = this.next();
        if (n.t !== 'w' || !/^[0-9]+$/.test(n.v)) this.unexpected(n, 'number');
        spec.size = Number(n.v);
      }
      else if (t.t === 'w' && t.v === 'flags') {
        do spec.flags.push(this.word());
        while (this.isP(',') && this.next());
      } else if (t.t === 'w' && t.v === 'elements') {
        this.expectP('=');
        spec.elements = this.value(false);
      } else this.unexpected(t);
    });
    // bison's place of set_block: from its `{` to the end of its last item (the `}` not included, measured)
    spec.blockLoc = { ...open, end: this.peek(-2).loc.end };
    return spec;
  }

  /** `ip saddr . tcp dport`: the fields after `sel` joined by `.` (concat_expr), or `sel` itself. */
  private concatSel(sel: Selector): Selector {
    if (!this.isWord('.')) return sel;
    const parts = [sel];
    while (this.isWord('.')) {
      this.next();
      const t = this.next();
      const f = t.t === 'w' ? this.selector(t) : undefined;
      if (!f) this.unexpected(t);
      parts.push(f);
    }
    return { ...sel, concat: parts, loc: { ...sel.loc, end: parts[parts.length - 1]!.loc.end } };
  }

  /** A value, then `. value` for each further component of a concatenation. */
  private concatValue(first: RawValue): RawValue {
    if (!this.isWord('.')) return first;
    const items = [first];
    const dots: Loc[] = [];
    while (this.isWord('.')) {
      dots.push(this.next().loc);
      items.push(this.single());
    }
    return { k: 'concat', items, dots, loc: { ...first.loc, end: items[items.length - 1]!.loc.end } };
  }

  /**
   * `typeof EXPR` (a set) or `typeof EXPR : verdict|EXPR` (a map): nft's grammar has only expressions and `verdict`
   * there (measured: `typeof ip saddr : counter` is a syntax error at `counter`).
   */
  private typeofDecl(spec: SetSpec, map: boolean): void {
    const first = this.next();
    const sel = first.t === 'w' ? this.selector(first) : undefined;
    if (!sel) this.unexpected(first);
    spec.typeof = this.concatSel(sel);
    if (!map) {
      if (this.isWord(':')) this.unexpected(this.peek(), 'newline or semicolon or .');
      return;
    }
    if (!this.isWord(':')) this.unexpected(this.peek(), 'colon or .');
    this.next();
    let d = this.next();
    if (d.t === 'w' && d.v === 'verdict') {
      spec.data = { v: 'verdict', loc: d.loc };
      return;
    }
    // `: interval ip daddr . tcp dport`: ranges of the fields' types (NAT's)
    const interval = d.t === 'w' && d.v === 'interval';
    if (interval) d = this.next();
    const data = d.t === 'w' ? this.selector(d) : undefined;
    if (!data) this.unexpected(d);
    // a map to a packet field's type (nft's data maps): nft.ts takes the field's type; `ip daddr . tcp dport` (NAT's
    // address and port) the fields'
    const dsel = this.concatSel(data);
    spec.data = { v: `typeof ${(dsel.concat ?? [dsel]).map((f) => `${f.proto} ${f.field}`).join(' . ')}`, loc: dsel.loc, sel: dsel, ...(interval ? { interval } : {}) };
  }

  /** `= name` or `= { a, b }` after `devices` (nft's dev_spec: a set of names), in a chain's hook or a flowtable. */
  private deviceSet(): string[] {
    this.expectP('=');
    // nft 1.0.6's dev_spec is `DEVICES '=' flowtable_expr`: a braced list or a variable, never a bare name
    if (!this.isP('{')) {
      if (!this.peek().via) this.unexpected(this.peek(), "'{' or '$'");
      return [this.name(true).v];
    }
    this.next();
    this.skipNl();
    const devs = [this.name(true, "string or quoted string or '$'").v];
    // flowtable_list_expr: after a comma (a trailing one allowed) bison has reduced the list: what it expects is more of it
    for (;;) {
      this.skipNl();
      if (this.isP('}')) break;
      if (!this.isP(',')) this.unexpected(this.peek(), "comma or '}'");
      this.next();
      this.skipNl();
      if (this.isP('}')) break;
      devs.push(this.name(true, "comma or '}'").v);
    }
    this.expectP('}');
    return devs;
  }

  private flowtableBlock(): FlowtableSpec {
    const spec: FlowtableSpec = { devices: [], loc: this.peek().loc };
    this.block((t) => {
      if (t.t === 'w' && t.v === 'hook') {
        spec.hook = this.word();
        this.expectWord('priority');
        spec.priority = this.priority();
      } else if (t.t === 'w' && t.v === 'devices') {
        spec.devices.push(...this.deviceSet());
      } else if (t.t === 'w' && t.v === 'counter') {
        spec.counter = true;
      } else this.unexpected(t);
    });
    return spec;
  }

  /** A value: a word, a quoted string, `@set`, `{ a, b-c, d/24 }`, or a comma list `a,b` (flags). */
  private value(allowList: boolean): RawValue {
    const t = this.peek();
    if (this.isP('@')) {
      this.next();
      const n = this.atName();
      return { k: 'ref', name: n.v, loc: { ...t.loc, end: n.loc.end } };
    }
    if (this.isP('{')) {
      this.next();
      const elems: RawValue[] = [];
      for (;;) {
        this.skipNl();
        if (this.isP('}') && elems.length === 0) this.unexpected(this.peek());
        // a set in a set (`{ $ports, 443 }` with `define ports = { 22, 80 }`): nft merges its elements in
        if (this.isP('{')) {
          const inner = this.value(false);
          if (inner.k === 'set') elems.push(...inner.elems);
        } else elems.push(this.element());
        this.skipNl();
        if (this.isP(',')) {
          this.next();
          this.skipNl();
          if (this.isP('}')) break;
          continue;
        }
        break;
      }
      const close = this.expectP('}', "comma or '}'");
      return { k: 'set', elems, loc: { ...t.loc, end: close.loc.end } };
    }
    const first = this.concatValue(this.single());
    if (allowList && this.isP(',')) {
      const items = [first];
      while (this.isP(',')) {
        this.next();
        items.push(this.single());
      }
      return { k: 'list', items, loc: { ...first.loc, end: items[items.length - 1]!.loc.end } };
    }
    return first;
  }

  /** A set's element, or a map's `key : data` (`key:` written against its key too). */
  private element(): RawValue {
    if (this.isWord('|', 1)) return this.flagExpr(false); // `syn | ack` (tcp flags)
    const key = this.concatValue(this.single());
    if (key.k === 'word' || key.k === 'str' || key.k === 'concat') this.elemOpts(key);
    if (this.isWord(':')) {
      this.next();
      // a NAT map's data may be an address and a port (`198.51.100.1 . 8080`)
      const data = this.concatValue(this.single());
      // a verdict's chain (`82 : jump c`)
      if (data.k === 'word' && (data.v === 'jump' || data.v === 'goto')) return { k: 'pair', key, data, loc: key.loc, chain: this.name(true, MAP_CHAIN_EXPECTED).v };
      return { k: 'pair', key, data, loc: key.loc };
    }
    if (key.k === 'word' && key.v.endsWith(':') && key.v.length > 1 && (this.peek().t === 's' || this.peek().t === 'w') && !this.isP(',')) {
      const k: RawValue = { k: 'word', v: key.v.slice(0, -1), loc: { ...key.loc, end: key.loc.end - 1 } };
      return { k: 'pair', key: k, data: this.single(), loc: k.loc };
    }
    return key;
  }

  /** set_elem_expr's statements (a counter) then options (`timeout T`, `expires T`, `comment "c"`; a later one wins). */
  private elemOpts(key: Extract<RawValue, { k: 'word' | 'str' | 'concat' }>): void {
    const opts: ElemOpts = {};
    while (this.isWord('counter')) {
      const c = this.counterStmt(this.next());
      opts.counter ??= { packets: c.packets, bytes: c.bytes, loc: c.loc };
      opts.stmts = (opts.stmts ?? 0) + 1;
    }
    for (;;) {
      if (this.isWord('timeout') || this.isWord('expires')) {
        const w = this.next().v;
        opts[w as 'timeout'] = this.timeSpec("comma or '}'");
      } else if (this.isWord('comment')) {
        this.next();
        const c = this.next();
        if (c.t !== 's' && c.t !== 'w') this.unexpected(c, 'quoted string');
        opts.comment = c.v;
      } else break;
    }
    if (Object.keys(opts).length) key.opts = opts;
  }

  /**
   * time_spec: a STRING nft's time_parse reads (`30s`, `1h2m3s`, `500ms`, `1d`) in ms. nft's scanner takes the longest
   * timestring it can: a bare number is NUM ("expecting string"), what follows a timestring's end is the next token.
   */
  private timeSpec(expecting: string): number {
    const t = this.next();
    if (t.t === 's' || (t.t === 'w' && /^[A-Za-z_]/.test(t.v))) {
      const ms = timeMs(t.v);
      if (ms === undefined) throw new NftParseError('wrong time format', t.loc);
      return ms;
    }
    if (t.t !== 'w' || !/^[0-9]/.test(t.v)) this.unexpected(t, 'string');
    for (let n = t.v.length; n > 0; n--) {
      const ms = timeMs(t.v.slice(0, n));
      if (ms === undefined) continue;
      if (n < t.v.length) {
        this.unexpected(this.part(t, n), expecting);
      }
      return ms;
    }
    const digits = /^[0-9]+/.exec(t.v)![0]!;
    throw new NftParseError('syntax error, unexpected number, expecting string', this.part(t, 0, digits.length).loc);
  }

  private single(): RawValue {
    const t = this.next();
    if (t.t === 's' && this.isWord('-') && this.peek(1).t === 's') {
      // a range of quoted values (`meta hour "17:00"-"18:00"`, `meta day "Monday"-"Friday"`): one value, lo-hi
      this.next();
      const u = this.next();
      return { k: 'str', v: `${t.v}-${u.v}`, loc: { ...t.loc, end: u.loc.end } };
    }
    if (t.t === 's') return { k: 'str', v: t.v, loc: t.loc };
    // nft's scanner makes a leading dash a token of its own, which no value starts with
    if (t.t === 'w' && t.v.startsWith('-')) throw new NftParseError('syntax error, unexpected -', this.part(t, 0, 1).loc);
    if (t.t === 'w') return { k: 'word', v: t.v, loc: t.loc };
    this.unexpected(t);
  }

  private isEnd(inBlock: boolean): boolean {
    const t = this.peek();
    return t.t === 'nl' || t.t === 'eof' || this.isP(';') || (inBlock && this.isP('}'));
  }

  /** The rule being read is a block's (a statement that ends it early says what a block's end expects). */
  private ruleInBlock = false;

  /** One rule's statements, up to and including its end (newline, ';' or end of input). */
  private rule(inBlock = false): Stmt[] {
    this.ruleInBlock = inBlock;
    const out: Stmt[] = [];
    while (!this.isEnd(inBlock)) out.push(this.stmt(out.length > 0));
    if (out.length === 0) this.unexpected(this.peek());
    if (inBlock && this.isP('}')) this.unexpected(this.peek(), 'newline or semicolon');
    this.endOfCommand(!inBlock);
    return out;
  }

  /**
   * fib_expr: FIB fib_tuple fib_result — flags (saddr, daddr, mark, iif, oif) joined by `.`, then oif, oifname or
   * type; the tuple's checks are the grammar's (parser_bison.y), each located over the tuple.
   */
  private fibSel(t: Tok): Selector {
    let flags = 0;
    let first: Tok | undefined;
    let last: Tok;
    for (;;) {
      const f = this.next();
      const bit = f.t === 'w' ? FIB_FLAGS.indexOf(f.v) : -1;
      if (bit < 0) this.unexpected(f);
      first ??= f;
      last = f;
      flags |= 1 << bit;
      if (!this.isWord('.')) break;
      this.next();
    }
    const r = this.next();
    if (r.t !== 'w' || !['oif', 'oifname', 'type'].includes(r.v)) this.unexpected(r);
    const at = { ...first.loc, end: last.loc.end };
    if ((flags & 3) === 0) throw new NftParseError('fib: need either saddr or daddr', at);
    if ((flags & 3) === 3) throw new NftParseError('fib: saddr and daddr are mutually exclusive', at);
    if ((flags & 24) === 24) throw new NftParseError('fib: iif and oif are mutually exclusive', at);
    const tuple = FIB_FLAGS.filter((_, i) => (flags & (1 << i)) !== 0).join(' . ');
    return { proto: 'fib', field: `${tuple} ${r.v}`, loc: { ...t.loc, end: r.loc.end } };
  }

  private selectorField(proto: Selector['proto'], t: Tok, fields: readonly string[]): Selector {
    const f = this.next();
    if (f.t !== 'w' || !fields.includes(f.v)) this.unexpected(f);
    return { proto, field: f.v, loc: { ...t.loc, end: f.loc.end } };
  }

  private match(sel: Selector): Stmt {
    sel = this.concatSel(sel);
    // `meta mark & 0xc == 0x8`: the selector in binary operations of constants (tcp flags has its own forms below)
    let lhs: BinExpr | undefined;
    if (!sel.concat && !(sel.proto === 'tcp' && sel.field === 'flags') && this.binopNext()) lhs = this.binRest({ k: 'sel', sel, loc: sel.loc }, 1, false);
    let op: CmpOp = 'eq';
    let explicitOp = false;
    const ops: Record<string, CmpOp> = { '==': 'eq', '!=': 'neq', '<': 'lt', '>': 'gt', '<=': 'lte', '>=': 'gte', eq: 'eq', ne: 'neq', lt: 'lt', gt: 'gt', le: 'lte', ge: 'gte' };
    const t = this.peek();
    if ((t.t === 'p' || t.t === 'w') && ops[t.v] !== undefined) {
      this.next();
      op = ops[t.v]!;
      explicitOp = true;
    }
    if (sel.proto === 'tcp' && sel.field === 'flags' && (op === 'eq' || op === 'neq')) {
      const flags = this.flagsMatch(sel, op, explicitOp);
      if (flags) return flags;
    }
    if (this.isEnd(true)) this.unexpected(this.peek());
    if (!explicitOp && this.isWord('vmap')) {
      if (lhs) throw new NftParseError('wxdp has no verdict maps keyed by a binary operation yet', { ...lhs.loc, end: this.peek().loc.end });
      return this.vmap(sel);
    }
    const value = this.value(sel.proto === 'ct' && (sel.field === 'state' || sel.field === 'status'));
    const rhs = value.k === 'word' && this.binopNext() ? this.binRest({ k: 'val', v: value, loc: value.loc }, 1, false) : undefined;
    return { k: 'match', sel, op, explicitOp, value, lhs, rhs, loc: { ...sel.loc, end: (rhs ?? value).loc.end } };
  }

  /** The binary operator next, if any, and how many tokens it is (the scanner reads `<<` as two `<`). */
  private binopNext(): { op: BinOp; n: number } | undefined {
    const t = this.peek();
    if (t.t === 'w' && BINOP_WORDS[t.v] !== undefined) return { op: BINOP_WORDS[t.v]!, n: 1 };
    if (t.t === 'p' && (t.v === '<' || t.v === '>')) {
      const u = this.peek(1);
      if (u.t === 'p' && u.v === t.v && u.loc.line === t.loc.line && u.loc.col === t.loc.end + 1) return { op: t.v === '<' ? '<<' : '>>', n: 2 };
    }
    return undefined;
  }

  /**
   * The binary operations after `left` whose operators bind at least as tightly as `min` (precedence climbing over
   * nft's grammar: shift_expr, and_expr, exclusive_or_expr, inclusive_or_expr); `sels`: operands may be selectors
   * (a statement's expression: nft's evaluation refuses them there, a relational's grammar does not take them).
   */
  private binRest(left: BinExpr, min: number, sels: boolean): BinExpr {
    for (;;) {
      const o = this.binopNext();
      if (!o || BINOP_PREC[o.op] < min) return left;
      for (let i = 0; i < o.n; i++) this.next();
      let right = this.binOperand(sels);
      for (;;) {
        const p = this.binopNext();
        if (!p || BINOP_PREC[p.op] <= BINOP_PREC[o.op]) break;
        right = this.binRest(right, BINOP_PREC[o.op] + 1, sels);
      }
      left = { k: 'op', op: o.op, l: left, r: right, loc: { ...left.loc, end: right.loc.end } };
    }
  }

  /** One operand of a binary operation: a constant, `( … )`, or (`sels`) a selector. */
  private binOperand(sels: boolean): BinExpr {
    if (this.isWord('(')) {
      const open = this.next();
      const inner = this.binRest(this.binOperand(sels), 1, sels);
      const close = this.next();
      if (close.t !== 'w' || close.v !== ')') this.unexpected(close);
      return { ...inner, loc: { ...open.loc, end: close.loc.end } };
    }
    const t = this.peek();
    if (t.t === 'w' && (SELECTORS.has(t.v) || t.v === 'numgen' || t.v === 'jhash' || t.v === 'symhash')) {
      if (!sels || t.v === 'numgen' || t.v === 'jhash' || t.v === 'symhash') this.unexpected(t);
      const sel = this.selector(this.next())!;
      return { k: 'sel', sel, loc: sel.loc };
    }
    const v = this.single();
    // the scanner reads `1-3` as a number, `-`, a number: an operand is one of them (primary_expr takes no range)
    const dash = v.k === 'word' ? /^[0-9][0-9a-fA-Fx]*-/.exec(v.v) : null;
    if (dash) throw new NftParseError('syntax error, unexpected -', { ...v.loc, col: v.loc.col + dash[0].length - 1, end: v.loc.col + dash[0].length - 1 });
    // nor a prefix: `255.255.255.0/24` is an address, then `/`
    const slash = v.k === 'word' ? /^[0-9a-fA-F:.x]+\//.exec(v.v) : null;
    if (slash) throw new NftParseError('syntax error, unexpected /', { ...v.loc, col: v.loc.col + slash[0].length - 1, end: v.loc.col + slash[0].length - 1 });
    return { k: 'val', v, loc: v.loc };
  }

  /**
   * `tcp flags` in nft's bitmask forms, all as `flags & mask ==|!= value` (what nft compiles them to): `& M op V`,
   * `V / M`, `!= V / M`, `! F` (`& F == 0`) and the implicit `F` (`& F != 0`, any of the flags); an explicit
   * `== F` / `!= F` compares the whole byte. Undefined for a set or a map.
   */
  private flagsMatch(sel: Selector, op: CmpOp, explicitOp: boolean): Stmt | undefined {
    const zero = (loc: Loc): RawValue => ({ k: 'word', v: '0', loc });
    const done = (op: CmpOp, mask: RawValue, value: RawValue): Stmt =>
      ({ k: 'match', sel, op, explicitOp: true, mask, value, loc: { ...sel.loc, end: Math.max(mask.loc.end, value.loc.end) } });
    if (!explicitOp && this.isWord('&')) {
      this.next();
      const mask = this.flagExpr();
      const o = this.next();
      if (o.t !== 'p' || (o.v !== '==' && o.v !== '!=')) this.unexpected(o);
      return done(o.v === '==' ? 'eq' : 'neq', mask, this.flagExpr());
    }
    if (!explicitOp && this.isP('!')) {
      this.next();
      const f = this.flagExpr();
      return done('eq', f, zero(f.loc));
    }
    if (this.isP('{') || this.isP('@') || this.isWord('vmap') || this.isEnd(true)) return undefined;
    const f = this.flagExpr();
    if (this.isWord('/')) {
      this.next();
      return done(op, this.flagExpr(), f);
    }
    if (explicitOp) return { k: 'match', sel, op, explicitOp, value: f, loc: { ...sel.loc, end: f.loc.end } };
    return done('neq', f, zero(f.loc));
  }

  /** Flags joined by `|` (or `,` but in a set), in parentheses or not: a list the resolver ORs together. */
  private flagExpr(commas = true): RawValue {
    const open = this.isWord('(') ? this.next() : undefined;
    const items = [this.single()];
    while ((commas && this.isP(',')) || this.isWord('|')) {
      this.next();
      items.push(this.single());
    }
    const close = open ? this.next() : undefined;
    if (open && (close!.t !== 'w' || close!.v !== ')')) this.unexpected(close!);
    const loc = { ...(open ?? items[0]!).loc, end: (close ?? items[items.length - 1]!).loc.end };
    return { k: 'list', items, loc };
  }

  /** What `t` (a selector's first word, SELECTORS) and the words after it read: `ip saddr`, `mark`, `ct state`… */
  private selector(t: Tok): Selector | undefined {
    switch (t.v) {
      case 'ip':
        if (this.isWord('option')) {
          // ip_option_expr: IP OPTION ip_option_type [ip_option_field]; a field the option lacks: nft's evaluation, at `ip`
          this.next();
          const n = this.next();
          if (n.t !== 'w' || !IPOPT_NAMES.includes(n.v)) this.unexpected(n, 'lsrr or rr or ssrr or ra');
          const f = this.peek();
          if (f.t === 'w' && IPOPT_FIELD_WORDS.includes(f.v)) {
            this.next();
            if (!ipoptFields(n.v).includes(f.v)) throw new NftParseError('unknown ip option type/field', t.loc);
            return { proto: 'ipopt', field: `${n.v} ${f.v}`, loc: { ...t.loc, end: f.loc.end } };
          }
          return { proto: 'ipopt', field: n.v, loc: { ...t.loc, end: n.loc.end } };
        }
        return this.selectorField('ip', t, ['saddr', 'daddr', 'protocol', 'ttl', 'length', 'id', 'frag-off', 'checksum', 'dscp', 'ecn', 'version', 'hdrlength']);
      case 'ip6':
        return this.selectorField('ip6', t, ['saddr', 'daddr', 'nexthdr', 'hoplimit', 'length', 'dscp', 'ecn', 'version', 'flowlabel']);
      case 'tcp':
        if (this.isWord('option')) return this.tcpOption(t);
        return this.selectorField(t.v, t, ['sport', 'dport', 'flags', 'window', 'checksum', 'urgptr', 'doff', 'reserved']);
      case 'exthdr': {
        // exthdr_exists_expr: EXTHDR exthdr_key (hbh, rt, frag, dst, mh), then exists / missing
        const n = this.next();
        if (n.t !== 'w' || !EXTHDR_NAMES.includes(n.v)) this.unexpected(n);
        return { proto: 'exthdr', field: n.v, loc: { ...t.loc, end: n.loc.end } };
      }
      case 'hbh':
      case 'frag':
      case 'dst':
      case 'mh':
        return this.exthdrField(t);
      case 'rt': {
        // rt_expr: RT rt_key | RT nf_key_proto rt_key (nexthop's family: ip, ip6); rt_hdr_expr: the routing header's fields
        if (exthdrFields('rt').includes(this.peek().v)) return this.exthdrField(t);
        const f = this.next();
        if (f.t === 'w' && (f.v === 'ip' || f.v === 'ip6')) {
          const k = this.next();
          if (k.t !== 'w' || k.v !== 'nexthop') this.unexpected(k);
          return { proto: 'rt', field: `${f.v} nexthop`, loc: { ...t.loc, end: k.loc.end } };
        }
        if (f.t !== 'w' || !['mtu', 'classid', 'nexthop'].includes(f.v)) this.unexpected(f);
        return { proto: 'rt', field: f.v, loc: { ...t.loc, end: f.loc.end } };
      }
      case 'udp':
        return this.selectorField(t.v, t, ['sport', 'dport', 'length', 'checksum']);
      case 'th':
        return this.selectorField(t.v, t, ['sport', 'dport']);
      case 'icmp':
      case 'icmpv6':
        return this.selectorField(t.v, t, ['type', 'code']);
      case 'meta':
        return this.selectorField('meta', t, ['l4proto', 'protocol', 'mark', 'iif', 'oif', 'iifname', 'oifname', 'nfproto', 'skuid', 'skgid', 'pkttype', 'cpu', 'iiftype', 'oiftype', 'day', 'hour', 'time']);
      case 'skuid':
      case 'skgid':
      case 'pkttype':
      case 'cpu':
      case 'iiftype':
      case 'oiftype':
      case 'mark':
      case 'iif':
      case 'oif':
      case 'iifname':
      case 'oifname':
        return { proto: 'meta', field: t.v, loc: t.loc };
      case 'ct': {
        const sel = this.selectorField('ct', t, ['state', 'status', 'mark', 'direction', 'l3proto', 'protocol', 'zone', 'expiration', 'bytes', 'packets', 'avgpkt', 'proto-src', 'proto-dst', 'original', 'reply']);
        if (sel.field !== 'original' && sel.field !== 'reply') return sel;
        // ct_key_dir: a direction's tuple address (`ct original ip saddr`, nft's NFT_CT_SRC_IP with NFTA_CT_DIRECTION)
        // or its zone (`ct reply zone`)
        const f = this.next();
        // or its counters (`ct original bytes`, nf_conn_acct's of that direction)
        if (f.t === 'w' && ['zone', 'bytes', 'packets', 'avgpkt', 'proto-src', 'proto-dst'].includes(f.v)) return { proto: 'ct', field: `${sel.field} ${f.v}`, loc: { ...t.loc, end: f.loc.end } };
        if (f.t !== 'w' || (f.v !== 'ip' && f.v !== 'ip6')) this.unexpected(f);
        const a = this.next();
        if (a.t !== 'w' || (a.v !== 'saddr' && a.v !== 'daddr')) this.unexpected(a);
        return { proto: 'ct', field: `${sel.field} ${f.v} ${a.v}`, loc: { ...t.loc, end: a.loc.end } };
      }
      case 'ether':
        return this.selectorField('ether', t, ['saddr', 'daddr', 'type']);
      case 'vlan': {
        // vlan_hdr_expr: the tag's bit fields and `vlan type`, the protocol after it
        const sel = this.selectorField('vlan', t, ['id', 'pcp', 'dei', 'cfi', 'type']);
        return sel.field === 'cfi' ? { ...sel, field: 'dei' } : sel;
      }
      case 'arp': {
        // arp_hdr_expr: the fixed fields, then the addresses of Ethernet and IPv4 (`arp saddr ether`, `arp daddr ip`)
        const f = this.next();
        if (f.t !== 'w' || !['htype', 'ptype', 'hlen', 'plen', 'operation', 'saddr', 'daddr'].includes(f.v)) this.unexpected(f);
        if (f.v !== 'saddr' && f.v !== 'daddr') return { proto: 'arp', field: f.v, loc: { ...t.loc, end: f.loc.end } };
        const a = this.next();
        if (a.t !== 'w' || (a.v !== 'ip' && a.v !== 'ether')) this.unexpected(a, 'ether or ip');
        return { proto: 'arp', field: `${f.v} ${a.v}`, loc: { ...t.loc, end: a.loc.end } };
      }
    }
    return undefined;
  }

  /**
   * `tcp option NAME [FIELD]` (tcp_hdr_option_type, tcp_option_field): an option by name or kind number, then one of
   * its fields; none is a presence test (`exists` / `missing` follows, typed later).
   */
  private tcpOption(t: Tok): Selector {
    this.next(); // option
    const n = this.next();
    const name = n.t === 'w' ? tcpOptName(n.v) : undefined;
    if (name === undefined) this.unexpected(n);
    const f = this.peek();
    if (f.t === 'w' && tcpOptFields(name).includes(f.v)) {
      this.next();
      return { proto: 'tcpopt', field: `${name} ${f.v}`, loc: { ...t.loc, end: f.loc.end } };
    }
    if (f.t === 'w' && (f.v === 'exists' || f.v === 'missing')) return { proto: 'tcpopt', field: name, loc: { ...t.loc, end: n.loc.end } };
    this.unexpected(this.isEnd(true) ? this.peek() : this.peek(1));
  }

  /** An IPv6 extension header's field (`frag id`, `rt seg-left`): the header named by `t`. */
  private exthdrField(t: Tok): Selector {
    const f = this.next();
    if (f.t !== 'w' || !exthdrFields(t.v).includes(f.v)) {
      if (f.t === 'w' && ['type', 'last-entry', 'flags', 'tag', 'checksum'].includes(f.v)) throw new NftParseError(`wxdp has no ${t.v} ${f.v} yet`, { ...t.loc, end: f.loc.end });
      this.unexpected(f);
    }
    return { proto: 'exthdr', field: `${t.v} ${f.v}`, loc: { ...t.loc, end: f.loc.end } };
  }

  /** `vmap @m` / `vmap { key : verdict, … }` (the key's element gives the rule's verdict). */
  private vmap(sel: Selector): Stmt {
    this.next();
    const open = this.peek();
    if (this.isP('@')) {
      const map = this.value(false);
      return { k: 'vmap', sel, map, loc: { ...sel.loc, end: map.loc.end } };
    }
    this.expectP('{', "@ or '{' or '$'");
    const elems: RawValue[] = [];
    for (;;) {
      this.skipNl();
      const key = this.concatValue(this.single());
      // an element's statements and options parse here as in a set (nft.ts refuses them in an anonymous map)
      if (key.k === 'word' || key.k === 'str' || key.k === 'concat') this.elemOpts(key);
      this.skipNl();
      if (!this.isWord(':')) this.unexpected(this.peek(), 'colon');
      this.next();
      const d = this.next();
      if (d.t !== 'w' || !VERDICTS.has(d.v)) this.unexpected(d);
      const data: RawValue = { k: 'word', v: d.v, loc: d.loc };
      elems.push({ k: 'pair', key, data, loc: key.loc, chain: d.v === 'jump' || d.v === 'goto' ? this.name(true, MAP_CHAIN_EXPECTED).v : undefined });
      this.skipNl();
      if (!this.isP(',')) break;
      this.next();
      this.skipNl();
      if (this.isP('}')) break;
    }
    const close = this.expectP('}', "comma or '}'");
    const map: RawValue = { k: 'set', elems, loc: { ...open.loc, end: close.loc.end } };
    return { k: 'vmap', sel, map, loc: { ...sel.loc, end: close.loc.end } };
  }

  /** One statement; `after`: another ended just before it (a keyword that starts none ends the rule there). */
  private stmt(after = false): Stmt {
    const t = this.next();
    if (t.t !== 'w') this.unexpected(t);
    if ((t.v === 'add' || t.v === 'update' || t.v === 'delete') && this.isP('@')) return this.dynsetStmt(t);
    switch (t.v) {
      case 'arp':
      case 'ether':
      case 'vlan':
      case 'ip':
      case 'ip6':
      case 'tcp':
      case 'udp':
      case 'th':
      case 'icmp':
      case 'icmpv6':
      case 'meta':
      case 'mark':
      case 'iif':
      case 'oif':
      case 'iifname':
      case 'oifname':
      case 'skuid':
      case 'skgid':
      case 'pkttype':
      case 'cpu':
      case 'iiftype':
      case 'oiftype':
      case 'exthdr':
      case 'hbh':
      case 'frag':
      case 'dst':
      case 'mh':
      case 'rt': {
        const sel = this.selector(t)!;
        if (sel.field === 'mark' && this.isWord('set')) return this.setStmt(sel);
        if (sel.proto === 'meta' && sel.field === 'pkttype' && this.isWord('set')) {
          // meta_stmt: `meta pkttype set host` (nft_meta_set_eval's NFT_META_PKTTYPE), a value
          this.next();
          const value = this.single();
          return { k: 'set', target: 'meta pkttype', value, loc: { ...sel.loc, end: value.loc.end } };
        }
        if (sel.proto === 'tcpopt' && this.isWord('set')) return this.optSet(sel);
        // payload_stmt: `ip daddr set …` rewrites the packet (nft_payload_set) — wxdp keeps no payload writes
        if (['ip', 'ip6', 'tcp', 'udp', 'th'].includes(sel.proto) && this.isWord('set')) throw new NftParseError(`wxdp has no payload writes yet (${sel.proto} ${sel.field} set …: nft_payload_set)`, { ...sel.loc, end: this.peek().loc.end });
        return this.match(sel);
      }
      case 'fib':
        return this.match(this.fibSel(t));
      case 'reset': {
        // optstrip_stmt: RESET TCP OPTION tcp_hdr_option_type (no field after it)
        const p = this.next();
        if (p.t !== 'w' || p.v !== 'tcp') this.unexpected(p);
        const o = this.next();
        if (o.t !== 'w' || o.v !== 'option') this.unexpected(o, 'option');
        const n = this.next();
        const name = n.t === 'w' ? tcpOptName(n.v) : undefined;
        if (name === undefined) this.unexpected(n);
        if (!this.isEnd(true) && this.peek().t === 'w' && tcpOptFields(name).includes(this.peek().v)) this.unexpected(this.peek(), this.endExpected(!this.ruleInBlock));
        return { k: 'optreset', name, loc: { ...t.loc, end: n.loc.end } };
      }
      case 'ct': {
        // connlimit_stmt: CT COUNT [OVER] NUM, located over all of it
        if (this.isWord('count')) {
          this.next();
          const over = this.isWord('over') ? this.next() : undefined;
          const n = this.next();
          if (n.t !== 'w' || !/^[0-9]+$/.test(n.v)) this.unexpected(n, over ? 'number' : 'number or over');
          return { k: 'absent', expr: 'connlimit', loc: { ...t.loc, end: n.loc.end } };
        }
        if (this.isWord('helper')) throw new NftParseError('wxdp has no conntrack helpers (ct helper set)', { ...t.loc, end: this.peek().loc.end });
        const sel = this.selector(t)!;
        if (this.isWord('set') && /(^| )zone$/.test(sel.field)) {
          // ct_stmt: `ct zone set 3` (nft_ct_set_zone_eval), a value; `ct original zone set 3`: the zone of one
          // direction (NFTA_CT_DIRECTION)
          this.next();
          const w = this.peek();
          if (w.t === 'w' && (SELECTORS.has(w.v) || w.v === 'numgen' || w.v === 'jhash' || w.v === 'symhash')) throw new NftParseError('wxdp sets ct zone from a value only yet', w.loc);
          const value = this.single();
          const dir = sel.field === 'original zone' ? 'original' : sel.field === 'reply zone' ? 'reply' : undefined;
          return { k: 'set', target: 'ct zone', value, ...(dir ? { dir } : {}), loc: { ...sel.loc, end: value.loc.end } };
        }
        if (this.isWord('set')) return this.setStmt(sel);
        return this.match(sel);
      }
      case 'meter':
        return this.dynsetStmt(t);
      case 'counter':
        if (this.isWord('name')) return this.objref('counter', t);
        return this.counterStmt(t);
      case 'limit':
        return this.limitStmt(t);
      case 'quota':
        return this.quotaStmt(t);
      case 'log':
        return this.logStmt(t);
      case 'accept':
      case 'drop':
      case 'return':
      case 'continue':
        return { k: 'verdict', v: t.v, loc: t.loc };
      case 'jump':
      case 'goto': {
        const c = this.name(true, "'{'");
        return { k: 'verdict', v: t.v, chain: c.v, chainLoc: c.loc, loc: { ...t.loc, end: c.loc.end } };
      }
      case 'notrack':
        return { k: 'notrack', loc: t.loc };
      case 'fwd':
      case 'dup': {
        // fwd_stmt / dup_stmt: `to X`, `fwd ip to ADDR device DEV` (a neighbour's output, nft_fwd_neigh), `dup to X
        // device DEV` (nf_dup_ipv4 / nf_dup_ipv6: a copy routed to an address, out of that device)
        if (t.v === 'fwd' && (this.isWord('ip') || this.isWord('ip6'))) {
          const family = this.next().v as 'ip' | 'ip6';
          this.expectWord('to');
          const addr = this.single();
          if (!this.isWord('device')) this.unexpected(this.peek(), 'device');
          this.next();
          const d = this.name(true);
          return { k: 'fwd', dup: false, dev: d.v, devLoc: d.loc, loc: { ...t.loc, end: d.loc.end }, nh: { family, addr } };
        }
        this.expectWord('to');
        if (t.v === 'fwd') {
          const d = this.name(true);
          if (this.isWord('device')) this.endOfCommand(!this.ruleInBlock); // fwd_stmt has no `device` after a device: a syntax error there
          return { k: 'fwd', dup: false, dev: d.v, devLoc: d.loc, loc: { ...t.loc, end: d.loc.end } };
        }
        const to = this.single() as RawValue & { v: string };
        // `dup to ip saddr map { … }`: an address from an expression, which nft takes
        if (to.k === 'word' && ['ip', 'ip6', 'meta', 'ct', 'numgen', 'jhash', 'symhash'].includes(to.v) && !this.isEnd(true) && !this.isWord('device')) {
          throw new NftParseError("wxdp has no dup to an expression's value yet (only to an address)", { ...t.loc, end: this.peek().loc.end });
        }
        let device: { v: string; loc: Loc } | undefined;
        if (this.isWord('device')) {
          this.next();
          if (this.isEnd(true)) this.unexpected(this.peek()); // DEVICE stmt_expr: nothing expected by name
          const d = this.name(true);
          device = { v: d.v, loc: d.loc };
        }
        return { k: 'fwd', dup: true, dev: to.v, devLoc: to.loc, loc: { ...t.loc, end: (device ?? to).loc.end }, to, device };
      }
      case 'synproxy': {
        // synproxy_stmt: its location is the SYNPROXY token's (synproxy_stmt_alloc), then its options
        for (;;) {
          if (this.isWord('mss') || this.isWord('wscale')) {
            this.next();
            const n = this.next();
            if (n.t !== 'w' || !/^[0-9]+$/.test(n.v)) this.unexpected(n, 'number');
          } else if (this.isWord('timestamp') || this.isWord('sack-perm')) this.next();
          else break;
        }
        return { k: 'absent', expr: 'synproxy', loc: t.loc };
      }
      case 'numgen':
      case 'jhash':
      case 'symhash': {
        // `numgen inc mod 2 vmap { 0 : accept, 1 : drop }`: nft_numgen's or nft_hash's number as a verdict map's key
        const key = this.natKey(t) as Exclude<NatKey, { k: 'sel' }>;
        // a statement's keyword after it is bison's syntax error; a value (a match on the number) wxdp lacks
        const n = this.peek();
        if (!this.isWord('vmap') && (this.isEnd(true) || (n.t === 'w' && isScannerKeyword(n.v) && !['eq', 'ne', 'lt', 'gt', 'le', 'ge'].includes(n.v)))) this.unexpected(n);
        if (!this.isWord('vmap')) {
          // compared with a value (relational_expr: `numgen inc mod 2 0`, `symhash mod 4 != 1`, `… { 0, 1 }`): the
          // number a u32 in host order, as `meta mark`'s
          const m = this.match({ proto: 'meta', field: 'numgen', loc: key.loc });
          if (m.k !== 'match' || m.lhs || m.rhs) throw new NftParseError(`wxdp has no binary operations on ${t.v} yet`, m.loc);
          return { ...m, key, loc: { ...key.loc, end: m.loc.end } };
        }
        const sel: Selector = key.k === 'jhash' ? key.sel : { proto: 'meta', field: 'numgen', loc: key.loc };
        return { ...(this.vmap({ ...sel, loc: key.loc }) as Extract<Stmt, { k: 'vmap' }>), key };
      }
      case 'reject': {
        if (!this.isWord('with')) return { k: 'reject', loc: t.loc };
        this.next();
        const w = this.next();
        if (w.t !== 'w' || !['icmp', 'icmpv6', 'icmpx', 'tcp'].includes(w.v)) this.unexpected(w);
        if (w.v === 'tcp') {
          const r = this.expectWord('reset');
          return { k: 'reject', with: 'tcp', loc: { ...t.loc, end: r.loc.end } };
        }
        if (this.isWord('type')) this.next();
        const c = this.next();
        if (c.t !== 'w') this.unexpected(c);
        return { k: 'reject', with: w.v as 'icmp', code: c.v, codeLoc: c.loc, loc: { ...t.loc, end: c.loc.end } };
      }
      case 'snat':
      case 'dnat':
      case 'masquerade':
      case 'redirect': {
        let family: 'ip' | 'ip6' | undefined;
        if ((t.v === 'snat' || t.v === 'dnat') && (this.isWord('ip') || this.isWord('ip6')) && !this.isWord('map', 2)) family = this.next().v as 'ip';
        let to: string | undefined;
        let toLoc: Loc | undefined;
        let map: { key: NatKey; value: RawValue } | undefined;
        let portMap: { key: NatKey; value: RawValue } | undefined;
        let end = t.loc.end;
        if (this.isWord('to') || ((t.v === 'snat' || t.v === 'dnat') && SELECTORS.has(this.peek().v) && this.isWord('map', 2))) {
          if (this.isWord('to')) this.next();
          const v = this.next();
          if (v.t !== 'w') this.unexpected(v);
          // `dnat to tcp dport map { 1000 : 192.0.2.1 }` (and nft's older `dnat tcp dport map …`), `dnat to numgen …`
          if (SELECTORS.has(v.v) || v.v === 'numgen' || v.v === 'jhash' || v.v === 'symhash') {
            map = this.natMap(v, t.v);
            end = map.value.loc.end;
          } else {
            if (ABSENT_EXPRS[v.v] !== undefined) throw new NftParseError(ABSENT_EXPRS[v.v]!, v.loc);
            to = v.v;
            end = v.loc.end;
          }
          toLoc = v.loc;
          // `dnat to 192.0.2.1:tcp sport map @q`, as nft lists it: the scanner kept the key's first word in the address's
          const glued = to !== undefined ? /^(.+):([a-z][a-z0-9]*)$/.exec(to) : null;
          if (glued && (SELECTORS.has(glued[2]!) || glued[2] === 'numgen' || glued[2] === 'jhash' || glued[2] === 'symhash')) {
            to = glued[1]!;
            toLoc = { ...v.loc, end: v.loc.col + to.length - 1 };
            portMap = this.natMap({ t: 'w', v: glued[2]!, loc: { ...v.loc, col: v.loc.col + to.length + 1 } }, t.v);
          }
          // `dnat to 192.0.2.1 : numgen inc mod 2 map { 0 : 4040, 1 : 4050 }`: the port from a map
          portMap ??= this.natPortMap(t.v);
          if (this.isWord(':') && ABSENT_EXPRS[this.peek(1).v] !== undefined) throw new NftParseError(ABSENT_EXPRS[this.peek(1).v]!, this.peek(1).loc);
          if (portMap) end = portMap.value.loc.end;
        } else if (t.v === 'snat' || t.v === 'dnat') this.unexpected(this.peek(), 'to');
        const flags: string[] = [];
        while (this.isWord('random') || this.isWord('fully-random') || this.isWord('persistent')) {
          const f = this.next();
          flags.push(f.v);
          end = f.loc.end;
          if (this.isP(',')) this.next();
        }
        return { k: 'nat', type: t.v, family, to, toLoc, map, portMap, flags, loc: { ...t.loc, end } };
      }
      case 'flow': {
        const a = this.next();
        if (a.t !== 'w' || (a.v !== 'add' && a.v !== 'offload')) this.unexpected(a);
        this.expectP('@');
        const n = this.atName('string or quoted string or string with a trailing asterisk');
        return { k: 'flow', name: n.v, nameLoc: n.loc, loc: { ...t.loc, end: n.loc.end } };
      }
      default:
        // after a whole statement nft's grammar could end the rule: a keyword no statement starts with is met there
        if (after && KEYWORDS.has(t.v)) this.unexpected(t, this.endExpected(!this.ruleInBlock));
        this.unexpected(t);
    }
  }

  /**
   * set_stmt: `add|update|delete @NAME { KEY [timeout T] [STATEFUL…] }`; meter_stmt: `meter NAME [size N] { … }`,
   * located from the keyword to the closing brace.
   */
  private dynsetStmt(t: Tok): Stmt {
    let set: Tok;
    let meter: { size?: number } | undefined;
    if (t.v === 'meter') {
      set = this.name();
      meter = {};
      if (this.isWord('size')) {
        this.next();
        const n = this.next();
        if (n.t !== 'w' || !/^[0-9]+$/.test(n.v)) this.unexpected(n, 'number');
        meter.size = Number(n.v);
      }
    } else {
      const at = this.expectP('@');
      set = this.atName();
      // nft's set reference is located from its `@` (measured: ENOENT's carets under `@zz`)
      set = { ...set, loc: { ...at.loc, end: set.loc.end } };
    }
    this.expectP('{');
    const k = this.next();
    const f = k.t === 'w' ? this.selector(k) : undefined;
    if (!f) this.unexpected(k);
    const key = this.concatSel(f);
    let timeout: number | undefined;
    if (this.isWord('timeout')) {
      this.next();
      timeout = this.timeSpec("'}'");
    }
    const exprs: Array<Extract<Stmt, { k: 'counter' | 'limit' | 'quota' }>> = [];
    while (this.isWord('counter') || this.isWord('limit') || this.isWord('quota')) {
      const w = this.next();
      const x = w.v === 'counter' ? this.counterStmt(w) : w.v === 'limit' ? this.limitStmt(w) : this.quotaStmt(w, false);
      if (x.k !== 'counter' && x.k !== 'limit' && x.k !== 'quota') this.unexpected(w);
      exprs.push(x);
    }
    // a map's data after the key (set_stmt's `set_elem_expr_stmt COLON set_elem_expr_stmt`): a field or a constant
    let data: Extract<Stmt, { k: 'dynset' }>['data'];
    if (!meter && this.isWord(':')) {
      this.next();
      const d = this.next();
      const sel = d.t === 'w' ? this.selector(d) : undefined;
      // (a prefix or a range is no data of a set statement's: nft's grammar stops at its `/` or `-`, measured)
      const cut = d.t === 'w' && !sel ? d.v.search(/[/-]/) : -1;
      if (cut > 0) throw new NftParseError(`syntax error, unexpected ${d.v[cut]}, expecting '}'`, { ...d.loc, col: d.loc.col + cut, end: d.loc.col + cut });
      if (sel) {
        // `ip daddr . tcp dport` (a map to an address and a port)
        const cs = this.concatSel(sel);
        data = { sel: cs, loc: cs.loc };
      } else if (d.t === 'w' || d.t === 's') {
        const v: RawValue = { k: d.t === 'w' ? 'word' : 'str', v: d.v, loc: d.loc };
        if (!this.isWord('.')) data = { value: v, loc: d.loc };
        else {
          // `192.0.2.1 . 80`
          const items: RawValue[] = [v];
          const dots: Loc[] = [];
          while (this.isWord('.')) {
            dots.push(this.next().loc);
            const w = this.next();
            if (w.t !== 'w' && w.t !== 's') this.unexpected(w);
            items.push({ k: w.t === 'w' ? 'word' : 'str', v: w.v, loc: w.loc });
          }
          const loc = { ...d.loc, end: items[items.length - 1]!.loc.end };
          data = { value: { k: 'concat', items, dots, loc }, loc };
        }
      } else this.unexpected(d);
    }
    const close = this.expectP('}');
    return { k: 'dynset', op: t.v === 'meter' ? 'add' : (t.v as 'add'), set: set.v, setLoc: set.loc, key, timeout, exprs, meter, data, loc: { ...t.loc, end: close.loc.end } };
  }

  /** `KEY map { … }` after `dnat to` (`v` the key's first word). */
  private natMap(v: Tok, type: string): { key: NatKey; value: RawValue } {
    const key = this.natKey(v);
    if (!this.isWord('map')) throw new NftParseError(`wxdp has ${key.k === 'sel' ? 'a field' : key.k} after ${type} to only as a map's key (${type} to EXPR map { … })`, key.loc);
    this.next();
    if (!this.isP('{') && !this.isP('@')) this.unexpected(this.peek(), "'{'");
    return { key, value: this.value(false) };
  }

  /** `: KEY map { … }` after a NAT statement's address: the port from a map (undefined when there is none). */
  private natPortMap(type: string): { key: NatKey; value: RawValue } | undefined {
    if (!this.isWord(':')) return undefined;
    const w = this.peek(1);
    if (w.t !== 'w' || !(SELECTORS.has(w.v) || w.v === 'numgen' || w.v === 'jhash' || w.v === 'symhash')) return undefined;
    this.next();
    return this.natMap(this.next(), type);
  }

  /** A NAT map's key (NatKey): `numgen inc|random mod N [offset M]`, `jhash EXPR mod N [seed S] [offset M]` or a field. */
  private natKey(t: Tok): NatKey {
    if (t.v !== 'numgen' && t.v !== 'jhash' && t.v !== 'symhash') {
      const sel = this.selector(t);
      if (!sel) this.unexpected(t);
      const key = this.concatSel(sel);
      return { k: 'sel', sel: key, loc: key.loc };
    }
    let mode: 'inc' | 'random' | 'symhash' = t.v === 'symhash' ? 'symhash' : 'inc';
    let sel: Selector | undefined;
    if (t.v === 'numgen') {
      const m = this.next();
      if (m.t !== 'w' || (m.v !== 'inc' && m.v !== 'random')) this.unexpected(m, 'inc or random');
      mode = m.v as 'inc';
    } else if (t.v === 'jhash') {
      const f = this.next();
      sel = f.t === 'w' ? this.selector(f) : undefined;
      if (!sel) this.unexpected(f);
      sel = this.concatSel(sel);
    }
    this.expectWord('mod');
    const u32 = (expecting: string): { n: number; t: Tok } => {
      const x = this.next();
      // nft's NUM: decimal or 0x hex
      if (x.t !== 'w' || !/^(0x[0-9a-fA-F]+|[0-9]+)$/.test(x.v)) this.unexpected(x, expecting);
      const n = Number(x.v);
      if (n > 0xffffffff) throw new NftParseError(`Value ${x.v} exceeds valid range 0-4294967295`, x.loc);
      return { n, t: x };
    };
    const mod = u32('number');
    let seed = 0;
    let seedSet = false;
    let end = mod.t.loc.end;
    // symhash takes no seed: `seed` is a keyword of the hash expressions' scanner state (bison's syntax error there)
    if (mode === 'symhash' && this.isWord('seed')) throw new NftParseError('syntax error, unexpected seed', this.peek().loc);
    if (sel && this.isWord('seed')) {
      this.next();
      const x = u32('number');
      seed = x.n;
      seedSet = true;
      end = x.t.loc.end;
    }
    let offset = 0;
    if (this.isWord('offset')) {
      this.next();
      const x = u32('number');
      offset = x.n;
      end = x.t.loc.end;
    }
    const loc = { ...t.loc, end };
    return sel ? { k: 'jhash', sel, mod: mod.n, seed, seedSet, offset, loc } : { k: 'numgen', mode, mod: mod.n, offset, loc };
  }

  /** counter_stmt's arguments: `[packets N bytes N]`. */
  private counterStmt(t: Tok): Extract<Stmt, { k: 'counter' }> {
    let packets = 0n;
    let bytes = 0n;
    if (this.isWord('packets')) {
      this.next();
      const p = this.next();
      if (p.t !== 'w' || !/^[0-9]+$/.test(p.v)) this.unexpected(p, 'number');
      this.expectWord('bytes');
      const b = this.next();
      if (b.t !== 'w' || !/^[0-9]+$/.test(b.v)) this.unexpected(b, 'number');
      packets = BigInt(p.v);
      bytes = BigInt(b.v);
    }
    return { k: 'counter', packets, bytes, loc: t.loc };
  }

  /**
   * `counter name X`, `quota name X`, `limit name X` (the `name` keyword is next): nft_objref's reference; or
   * `counter name SELECTOR map { key : "X", … }` / `map @m`: the object the key maps to (nft_objref_map).
   */
  private objref(type: 'counter' | 'quota' | 'limit', t: Tok): Stmt {
    this.next();
    if (this.peek().t === 'w' && SELECTORS.has(this.peek().v) && !(this.peek().v === 'ct' && this.isWord('count', 1))) {
      const sel = this.selector(this.next())!;
      // object maps keyed by a concatenation: not kept yet (refused where the `.` is)
      if (this.isWord('.')) throw new NftParseError('wxdp does not support concatenations (`a . b`) in object maps yet', this.peek().loc);
      if (!this.isWord('map')) return { k: 'objmap', type, sel, loc: { ...t.loc, end: sel.loc.end } };
      this.next();
      if (!this.isP('@') && !this.isP('{')) this.unexpected(this.peek(), "@ or '{' or '$'");
      const map = this.value(false);
      return { k: 'objmap', type, sel, map, loc: { ...t.loc, end: map.loc.end } };
    }
    const n = this.next();
    if (n.t !== 's' && n.t !== 'w') this.unexpected(n);
    if (n.t === 'w' && !/^[A-Za-z_]/.test(n.v)) this.unexpected(n);
    return { k: 'objref', type, name: n.v, nameLoc: n.loc, loc: { ...t.loc, end: n.loc.end } };
  }

  /** A NUM token (nft's u64), or the syntax error naming what was expected. */
  private num(expecting: string, asString: readonly string[] = []): { n: bigint; t: Tok } {
    const t = this.next();
    if (t.t === 'w' && /^[0-9]+$/.test(t.v)) return { n: BigInt.asUintN(64, BigInt(t.v)), t };
    // words that are keywords only in other scopes of nft's scanner read as strings here
    if (t.t === 'w' && asString.includes(t.v)) throw new NftParseError(`syntax error, unexpected string, expecting ${expecting}`, t.loc);
    this.unexpected(t, expecting);
  }

  /** A word's part as a token of its own (nft's scanner splits `10/second` where ours keeps one word). */
  private part(t: Tok, from: number, to = t.v.length): Tok {
    return { t: 'w', v: t.v.slice(from, to), loc: { ...t.loc, col: t.loc.col + from, end: t.loc.col + Math.max(to, from + 1) - 1 } };
  }

  /**
   * limit_stmt: `limit rate [over] N/unit [burst N packets]` or `limit rate [over] N bytes/unit | N kbytes/unit
   * [burst N bytes|kbytes|mbytes]` (rate_parse, data_unit_parse: "Wrong rate format"); `limit name X`.
   */
  private limitStmt(t: Tok, stmt = true): Stmt {
    if (this.isWord('name')) return this.objref('limit', t);
    const r = this.next();
    if (r.t !== 'w' || r.v !== 'rate') this.unexpected(r, 'name or rate');
    let inv = false;
    if (this.isWord('over')) {
      this.next();
      inv = true;
    }
    // NUM: alone (then `bytes /unit` or a `kbytes/unit` string), or `N/unit` as one word of ours
    const first = this.peek();
    const slash = first.t === 'w' ? first.v.indexOf('/') : -1;
    if (slash > 0 && /^[0-9]+$/.test(first.v.slice(0, slash))) {
      this.next();
      const rate = BigInt.asUintN(64, BigInt(first.v.slice(0, slash)));
      const unitTok = this.part(first, slash + 1);
      if (slash + 1 >= first.v.length) this.unexpected(this.peek());
      const unit = TIME_UNITS[unitTok.v];
      if (unit === undefined) this.unexpected(unitTok);
      let burst = 5n; // limit_burst_pkts: nft sends 5 when none is written (iptables' default)
      let end = first.loc.end;
      if (this.isWord('burst')) {
        const b = this.next();
        const n = this.num('number');
        const p = this.next();
        if (p.t !== 'w' || p.v !== 'packets') this.unexpected(p, 'packets');
        // limit_stmt refuses a zero burst; limit_config (an object's) passes it on (measured)
        if (stmt && n.n === 0n) throw new NftParseError('packet limit burst must be > 0', { ...b.loc, end: p.loc.end });
        burst = n.n;
        end = p.loc.end;
      }
      return { k: 'limit', inv, bytes: false, rate, unit, burst, loc: { ...t.loc, end } };
    }
    const n = this.num('number', ['until']);
    const u = this.next();
    let rate: bigint;
    let unit: number;
    if (u.t === 'w' && u.v === 'bytes') {
      const sl = this.peek();
      if (sl.t !== 'w' || !sl.v.startsWith('/')) this.unexpected(sl, '/');
      this.next();
      const tu = this.part(sl, 1);
      if (TIME_UNITS[tu.v] === undefined) this.unexpected(tu);
      rate = n.n;
      unit = TIME_UNITS[tu.v]!;
      u.loc = { ...u.loc, end: sl.loc.end };
    } else if (u.t === 'w' && !KEYWORDS.has(u.v) && /^[A-Za-z_.]/.test(u.v)) {
      const where = { ...n.t.loc, end: u.loc.end };
      const sl = u.v.indexOf('/');
      if (sl < 0) throw new NftParseError('wrong rate format', where);
      const mult = DATA_UNITS[u.v.slice(0, sl)];
      const tu = TIME_UNITS[u.v.slice(sl + 1)];
      if (mult === undefined || tu === undefined) throw new NftParseError('Wrong rate format', where);
      rate = BigInt.asUintN(64, n.n * mult);
      unit = tu;
    } else this.unexpected(u, '/ or string or bytes');
    let burst = 0n;
    let end = u.loc.end;
    if (this.isWord('burst')) {
      this.next();
      const b = this.bytesValue('string or bytes');
      burst = b.n;
      end = b.loc.end;
    }
    return { k: 'limit', inv, bytes: true, rate, unit, burst, loc: { ...t.loc, end } };
  }

  /**
   * NUM BYTES | NUM STRING (data_unit_parse: "Wrong rate format" over both, or over `where` of them); `asString`:
   * keywords elsewhere that this statement's scanner scope reads as strings (`packets` in a quota's).
   */
  private bytesValue(expecting: string, where?: (l: Loc) => Loc, asString: readonly string[] = []): { n: bigint; loc: Loc } {
    const n = this.num('number');
    const u = this.next();
    const loc = { ...n.t.loc, end: u.loc.end };
    if (u.t === 'w' && u.v === 'bytes') return { n: n.n, loc };
    if (u.t !== 'w' || (KEYWORDS.has(u.v) && !asString.includes(u.v)) || !/^[A-Za-z_.]/.test(u.v)) this.unexpected(u, expecting);
    const mult = DATA_UNITS[u.v];
    if (mult === undefined) throw new NftParseError('Wrong rate format', where ? where(loc) : loc);
    return { n: BigInt.asUintN(64, n.n * mult), loc };
  }

  /** quota_stmt: `quota [over|until] N unit [used N unit]`. */
  private quotaStmt(t: Tok, named = true): Stmt {
    if (named && this.isWord('name')) return this.objref('quota', t);
    let inv = false;
    if (this.isWord('over') || this.isWord('until')) inv = this.next().v === 'over';
    // the unit is checked in quota_stmt's action: its error is over the whole statement so far
    const b = this.bytesValue('string or bytes', (l) => ({ ...t.loc, end: l.end }), ['packets']);
    let used = 0n;
    let end = b.loc.end;
    if (this.isWord('used')) {
      const w = this.next();
      const u = this.bytesValue('string or bytes', (l) => ({ ...w.loc, end: l.end }), ['packets']);
      used = u.n;
      end = u.loc.end;
    }
    return { k: 'quota', inv, bytes: b.n, used, loc: { ...t.loc, end } };
  }

  /** log_stmt: its options in any order (a later one of a kind replaces the earlier), located at `log`. */
  private logStmt(t: Tok): Stmt {
    const s: Extract<Stmt, { k: 'log' }> = { k: 'log', logflags: 0, loc: t.loc };
    const strExp = 'string or quoted string or string with a trailing asterisk';
    for (;;) {
      if (this.isWord('prefix')) {
        this.next();
        const p = this.next();
        if (p.t !== 's' && !(p.t === 'w' && !KEYWORDS.has(p.v) && /^[A-Za-z_.*]/.test(p.v))) this.unexpected(p, strExp);
        s.prefix = p.v;
      } else if (this.isWord('group') || this.isWord('snaplen') || this.isWord('queue-threshold')) {
        const k = this.next().v;
        const n = Number(BigInt.asUintN(32, this.num('number').n));
        if (k === 'group') s.group = n & 0xffff; // NFTA_LOG_GROUP is a u16: nft truncates (70000 → 4464, measured)
        else if (k === 'snaplen') s.snaplen = n;
        else s.qthreshold = n & 0xffff;
      } else if (this.isWord('level')) {
        this.next();
        const l = this.next();
        if (l.t !== 's' && l.t !== 'w') this.unexpected(l, strExp);
        const i = LOG_LEVELS.indexOf(l.v);
        if (i < 0) throw new NftParseError('invalid log level', l.loc);
        s.level = i;
      } else if (this.isWord('flags')) {
        this.next();
        const f = this.next();
        if (f.t === 'w' && f.v === 'tcp') {
          do {
            const x = this.next();
            if (x.t === 'w' && (x.v === 'sequence' || x.v === 'seq')) s.logflags |= NF_LOG.TCPSEQ;
            else if (x.t === 'w' && x.v === 'options') s.logflags |= NF_LOG.TCPOPT;
            else this.unexpected(x, 'seq or options');
          } while (this.isP(',') && this.next());
        } else if (f.t === 'w' && f.v === 'ip') {
          const x = this.next();
          if (x.t !== 'w' || x.v !== 'options') this.unexpected(x, 'options');
          s.logflags |= NF_LOG.IPOPT;
        } else if (f.t === 'w' && f.v === 'skuid') s.logflags |= NF_LOG.UID;
        else if (f.t === 'w' && f.v === 'ether') s.logflags |= NF_LOG.MACDECODE;
        else if (f.t === 'w' && f.v === 'all') s.logflags |= NF_LOG.MASK;
        else this.unexpected(f);
      } else break;
    }
    return s;
  }

  /** `tcp option NAME FIELD set VALUE|rt mtu` (nft_exthdr's TCP option write). */
  private optSet(sel: Selector): Stmt {
    this.next(); // set
    if (this.isWord('rt')) {
      const rt = this.selector(this.next())!;
      if (rt.field !== 'mtu') throw new NftParseError('wxdp sets a tcp option from a value or rt mtu only', rt.loc);
      return { k: 'optset', sel, rt: true, loc: { ...sel.loc, end: rt.loc.end } };
    }
    const value = this.single();
    return { k: 'optset', sel, value, rt: false, loc: { ...sel.loc, end: value.loc.end } };
  }

  private setStmt(sel: Selector): Stmt {
    this.next(); // set
    if (!(sel.field === 'mark')) this.unexpected(this.peek(-1));
    const w = this.peek();
    if (w.t === 'w' && ABSENT_EXPRS[w.v] !== undefined && w.v !== 'numgen' && w.v !== 'jhash') throw new NftParseError(ABSENT_EXPRS[w.v]!, w.loc);
    if (this.isWord('(')) {
      const expr = this.binRest(this.binOperand(true), 1, true);
      return { k: 'set', target: sel.proto === 'ct' ? 'ct mark' : 'meta mark', value: { k: 'word', v: '0', loc: expr.loc }, expr, loc: { ...sel.loc, end: expr.loc.end } };
    }
    if (w.t === 'w' && (SELECTORS.has(w.v) || w.v === 'numgen' || w.v === 'jhash' || w.v === 'symhash')) {
      const key = this.natKey(this.next());
      if (key.k === 'sel' && !key.sel.concat && this.binopNext()) {
        const expr = this.binRest({ k: 'sel', sel: key.sel, loc: key.loc }, 1, true);
        if (this.isWord('map')) throw new NftParseError('wxdp has no maps keyed by a binary operation yet', { ...expr.loc, end: this.peek().loc.end });
        return { k: 'set', target: sel.proto === 'ct' ? 'ct mark' : 'meta mark', value: { k: 'word', v: '0', loc: expr.loc }, expr, loc: { ...sel.loc, end: expr.loc.end } };
      }
      if (!this.isWord('map')) {
        // a mark from the other mark (`meta mark set ct mark`, `ct mark set meta mark`: the restore and save
        // idioms, a load and nft_meta_set / nft_ct_set of its register); other fields only through a map
        if (key.k === 'sel' && !(key.sel.field === 'mark' && (key.sel.proto === 'meta' || key.sel.proto === 'ct') && !key.sel.concat)) {
          throw new NftParseError(`wxdp sets a mark from a field only through a map (${sel.proto === 'ct' ? 'ct' : 'meta'} mark set EXPR map { … })`, key.loc);
        }
        return { k: 'set', target: sel.proto === 'ct' ? 'ct mark' : 'meta mark', value: { k: 'word', v: '0', loc: key.loc }, key, loc: { ...sel.loc, end: key.loc.end } };
      }
      this.next();
      if (!this.isP('{') && !this.isP('@')) this.unexpected(this.peek(), "'{'");
      const map = this.value(false);
      return { k: 'set', target: sel.proto === 'ct' ? 'ct mark' : 'meta mark', value: map, key, map, loc: { ...sel.loc, end: map.loc.end } };
    }
    const value = this.single();
    if (this.binopNext()) {
      const expr = this.binRest({ k: 'val', v: value, loc: value.loc }, 1, true);
      return { k: 'set', target: sel.proto === 'ct' ? 'ct mark' : 'meta mark', value, expr, loc: { ...sel.loc, end: expr.loc.end } };
    }
    return { k: 'set', target: sel.proto === 'ct' ? 'ct mark' : 'meta mark', value, loc: { ...sel.loc, end: value.loc.end } };
  }
}

/** The scanner's words for binary operators (`&` and `|` come as words too). */
const BINOP_WORDS: Readonly<Record<string, BinOp>> = { '&': '&', and: '&', '|': '|', or: '|', '^': '^', xor: '^', lshift: '<<', rshift: '>>' };
/** How tightly each binds (C's order, as nft's grammar nests them). */
export const BINOP_PREC: Readonly<Record<BinOp, number>> = { '<<': 4, '>>': 4, '&': 3, '^': 2, '|': 1 };

/** A timestring (`1d2h3m4s5ms`, each unit optional, in this order) in ms; undefined when it is not one. */
export function timeMs(text: string): number | undefined {
  const m = /^(?:([0-9]+)d)?(?:([0-9]+)h)?(?:([0-9]+)m)?(?:([0-9]+)s)?(?:([0-9]+)ms)?$/.exec(text);
  if (!m || text === '') return undefined;
  const [d, h, mi, s, ms] = m.slice(1).map((x) => Number(x ?? 0)) as [number, number, number, number, number];
  return (((d * 24 + h) * 60 + mi) * 60 + s) * 1000 + ms;
}

/**
 * Parse nft input (a command line, or a whole file named `file`) into commands; NftParseError on the first error.
 * `sources` gets the text and each file it includes (nft_scan.ts), where the errors' places are.
 */
export function parseNft(text: string, file?: string, opts: ScanOptions = {}, sources: NftSource[] = []): Cmd[] {
  return new Parser(scan(text, file, opts, sources)).parse();
}
