// dp.nftables: the nf_tables ruleset of a Datapath, changed the way nft changes the kernel's — one input
// (a command line or a whole `nft -f` file) is one transaction: every command is checked and applied to a
// copy, and only when all of them pass is the copy compiled (nft_compile.ts) and published with one store
// (nft_eval.ts nft_publish), so the fast path never sees half a file and a failing file changes nothing.
//
// Base chains are registered with netfilter's hooks (ct15's nf_hook_register) by a stable slot id; new
// ones after the blob that holds them is published, removed ones before. Conntrack is held per family while
// the ruleset has an expression that uses it (ctFamilies: nf_ct_netns_get / put), not for chains alone.
// Counters live in blocks of their own that outlive a ruleset generation; list output reads them. Errors
// are nft's words and places (NftError: `FILE:LINE:FIRST-LAST: Error: …`, the line, and carets under the
// place).

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Datapath } from './datapath.js';
import { WxdpError } from '../errors.js';
import { addrBits, bitOps, evalBinop, type Evaluated, type Fail } from './nft_bitwise.js';
import { LOG_LEVELS, NftParseError, parseNft, type BinExpr, type ChainSpec, type Cmd, type ElemOpts, type Handle, type Loc, type NatKey, type NftFamily, type ObjSpec, type RawValue, type Selector, type Stmt } from './nft_parse.js';
import type { NftSource, ScanOptions } from './nft_scan.js';
import { ARP_HOOKS, HOOKS, NETDEV_HOOKS, STD_PRIOS, type MatchValue, type NftChain, type NftObj, type NftObjType, type NftRule, type NftSet, type NftState, type NftTable, type RStmt, type NatMap, type MapData, type NatTo } from './nft_model.js';
import { FIELD_INDEX_MAX, FieldElems, FieldIndexTooLarge, anonFields, fieldBounds, fieldFind } from './nft_pipapo.js';
import { SET_TYPES, TYPE_INFO, cmpBytes, concatKey, formatElem, memcmpKey, prefixBounds, prefixLen, runs, parseElem, type DataType, type Elem } from './nft_types.js';
import { chainKey, compileRuleset, dynsetTemplate, limitTokensMax, type CompileEnv } from './nft_compile.js';
import { fieldAt } from './nft_merge.js';
import { exthdrAt, ipoptAt, payloadBits, rtType, tcpOptAt } from './nft_exthdr.js';
import { REJECT_CODES, dynExprText, natFlagsText, type CounterReader, chainText, chainsText, objectsText, rulesetText, setText, setsText, tableText } from './nft_print.js';
import { formatAddr, parseAddr } from './route_text.js';
import { JIFFY_MS } from './jiffies.js';
import { ElemStore, elemKey } from './nft_elems.js';
import { misspell, objMisspell } from './nft_misspell.js';
import type { LinkView } from './links.js';
import { ARPHRD_ETHER, ARPHRD_LOOPBACK, nfLogSyslogLine } from './nf_log_syslog.js';

/** An nft input refused: nft's message, and where (line and columns, 1-based). */
export class NftError extends WxdpError {
  constructor(code: 'NFT_SYNTAX' | 'NFT_REJECTED', message: string, readonly line: number, readonly column: number, readonly nftMessage: string) {
    super(code, message);
  }
}

interface NftExports {
  rc_alloc(size: number): number;
  rc_retire(b: number, size: number): number;
  nft_publish(blob: number): number;
  nft_dynset_new(klen: number, dlen: number, size: number, slot: number, most: number, tlo: number, thi: number, timeouts: number): number;
  nft_dynset_reap(st: number): void;
  nft_dynset_free(st: number): void;
  nft_dynset_drop(st: number): void;
  nf_hook_register?(pf: number, hook: number, prio: number, kind: number, arg: number): number;
  nf_hook_unregister?(pf: number, hook: number, prio: number, kind: number, arg: number): number;
  nf_netdev_hook_register?(hook: number, ifindex: number, prio: number, arg: number): number;
  nf_netdev_hook_unregister?(hook: number, ifindex: number, prio: number, arg: number): number;
}

/** A dynamic set's table header: its slots start here (assembly/net/nft_dynset.ts TB_HDR). */
const TB_HDR = 64;
/** NFPROTO_NETDEV: a hook entry of this family is per device ([pf, hook, prio, kind, slot, ifindex]). */
const NFPROTO_NETDEV = 5;
/** NFPROTO_ARP: a hook entry of the arp family (its hooks are the namespace's, as the inet families'). */
const NFPROTO_ARP = 3;
type HookEntry = [number, number, number, number, number, number];

/** The flowtable stage's control API (dp.flowtable), when the Datapath has one. */
interface FlowtableApi {
  create(spec: { name: string; devices: string[]; offload?: boolean; family?: 'ipv4' | 'ipv6' | 'both'; counter?: boolean }): number;
  setCounter(name: string, counter: boolean): void;
  delete(name: string): void;
}

const NFK_CHAIN = 3;
const NFK_NAT_CHAIN = 4;
const NFK_ROUTE_CHAIN = 8;
const CHAIN_TYPES = new Set(['filter', 'nat', 'route']);
const TERMINAL = new Set(['verdict', 'reject', 'nat']);
/** fwd is terminal too (nft's stmt_ops fwd: STMT_F_TERMINAL), dup is not. */
const isTerminal = (s: Stmt): boolean => TERMINAL.has(s.k) || (s.k === 'fwd' && !s.dup);

/**
 * What a netdev or arp chain cannot hold, with nft 1.0.6's and Linux 6.18's words (measured): conntrack's
 * expressions the kernel refuses itself (nft_ct_get_init's nf_ct_netns_get for NFPROTO_NETDEV: EPROTO); NAT nft
 * refuses (its evaluation: only IPv4/IPv6, at the statement's keyword), as it refuses reject in the arp family; a
 * reject in a netdev egress chain the kernel refuses when it validates the rule (nft_reject_netdev's hooks are
 * ingress only: EOPNOTSUPP, at the whole rule) — in a chain jumps reach, when the table is validated
 * (netdevRejectAtEgress). reject (ingress), log and notrack run in any netdev chain; log and notrack in the arp family
 * too (nft_log_init finds nf_log_syslog's ARP logger; notrack marks an ARP packet nothing reads the mark of). What
 * nft and the kernel take and wxdp does not run yet — flow offload — is refused by name.
 */
function refuseInNetdev(s: Stmt, family: 'netdev' | 'arp', hook: string | undefined, rule: Loc): void {
  const keyword = (w: string): Loc => ({ ...s.loc, end: s.loc.col + w.length - 1 });
  if (s.k === 'nat') throw new Refusal('NAT is only supported for IPv4/IPv6', keyword(s.type), false);
  if (family === 'arp' && s.k === 'reject') throw new Refusal('cannot use reject with arp', keyword('reject'), false);
  if (family === 'netdev' && s.k === 'reject' && hook === 'egress') throw new Refusal('Could not process rule: Operation not supported', rule, true);
  if (family === 'arp' && s.k === 'fwd') throw new Refusal('unsupported family', s.loc, false);
  const sel = s.k === 'match' || s.k === 'objmap' || s.k === 'vmap' ? s.sel : undefined;
  if (sel && (sel.proto === 'ct' || sel.concat?.some((f) => f.proto === 'ct'))) throw new Refusal('Could not process rule: Protocol error', sel.loc, true);
  if (sel?.proto === 'meta' && sel.field === 'nfproto') throw new Refusal('meta nfproto is only useful in the inet family', sel.loc, false);
  if (s.k === 'set' && (s.target === 'ct mark' || s.target === 'ct zone')) throw new Refusal('Could not process rule: Protocol error', s.loc, true);
  // reject (netdev, ingress or a chain jumps reach), log (nf_log_netdev's lines by skb->protocol, nf_log_arp_packet's in
  // the arp family), notrack (at ingress the frame reaches conntrack untracked: netfilter.ts nf_ingress_burst_begin; at
  // egress it has passed conntrack, an ARP packet never meets it: the mark goes unread) run in any chain of theirs
  if (s.k === 'flow') throw new Refusal(`wxdp has no flow in ${family === 'arp' ? 'an' : 'a'} ${family} chain yet (its chains run accept, drop, counters, limits, quotas, marks and matches)`, s.loc, false);
}

/**
 * nft_table_validate for the netdev family's reject (nft_reject_netdev_validate: nft_chain_validate_hooks, ingress
 * only): every base chain's rules are validated with that chain as the context, and a jump's or goto's chain
 * (nft_immediate_validate, a verdict map's elements likewise) with the same context, so a reject answers to the hooks
 * of every base chain that reaches it. The kernel validates the whole table at each rule or element of a batch it
 * replays (NFT_VALIDATE_DO): the one after which an egress chain reaches a reject is refused (EOPNOTSUPP, at the whole
 * command) — the jump, or the reject when the jump came first (Linux 6.18, measured). A chain nothing reaches may hold
 * one.
 */
/**
 * Whether a rule's statements can make a path from an egress chain to a reject: a reject, a jump or goto,
 * a verdict map. Another rule adds no edge and no reject, and the table had no such path before it (each
 * command that made one was refused), so netdevRejectAtEgress's walk is skipped for it: a 10,000-rule
 * netdev egress chain loaded 4.8× slower walking the table at each rule.
 */
const mayReachReject = (stmts: readonly RStmt[]): boolean =>
  stmts.some((x) => x.k === 'reject' || (x.k === 'verdict' && x.chain !== undefined) || x.k === 'vmap');

/** Whether elements as written carry a jump or goto verdict (a reference, unknown here, counts as one). */
function rawJumps(v: RawValue): boolean {
  if (v.k === 'pair') return v.chain !== undefined;
  if (v.k === 'set') return v.elems.some(rawJumps);
  if (v.k === 'list') return v.items.some(rawJumps);
  return v.k === 'ref';
}

/**
 * `ct original proto-src 53`: nft types the key by the rule's transport protocol so far (ct_expr_update_type: a port
 * once a match fixed one — `meta l4proto tcp`, `udp dport 53` — else an invalid type it cannot parse a value of); the
 * kernel takes it with a direction only (nft_ct_get_init: EINVAL). Compared with a set, nft 1.0.6 lists the elements
 * of an invalid type (`0x35 [invalid type]`): wxdp refuses those by name.
 */
function ctProtoCheck(s: Extract<Stmt, { k: 'match' }>, l4: number): void {
  const first = s.value.k === 'set' ? s.value.elems[0] ?? s.value : s.value;
  if (l4 < 0) throw new Refusal("Can't parse symbolic invalid expressions", first.loc, false);
  if (s.value.k === 'set' || s.value.k === 'ref') throw new Refusal(`wxdp compares ${s.sel.field.replace(/^(original|reply) /, '')} with a value or a range only (nft 1.0.6 lists a set's elements of it with invalid types)`, s.value.loc, false);
  if (!/^(original|reply) /.test(s.sel.field)) throw new Refusal('Could not process rule: Invalid argument', s.sel.loc, true);
}

/** fib is the ip, ip6 and inet families' (nft_fib4 / 6 / inet). */
function fibFamily(t: NftTable, sel: Selector): void {
  if (t.family !== 'ip' && t.family !== 'ip6' && t.family !== 'inet') throw new Refusal(`wxdp has fib in the ip, ip6 and inet families only`, sel.loc, false);
}

/** A statement whose expression answers to its chain's hooks: fib and rt mtu loads, `meta pkttype set`. */
function isFib(x: RStmt): boolean {
  return ((x.k === 'match' || x.k === 'vmap') && (x.sel.proto === 'fib' || (x.sel.proto === 'rt' && x.sel.field === 'mtu'))) || (x.k === 'optset' && x.rt) || (x.k === 'set' && x.target === 'meta pkttype');
}

/**
 * nft_fib_validate's hooks: a fib expression in a chain some base chain of a hook it does not allow reaches (the
 * kernel's EOPNOTSUPP). oif / oifname: prerouting, input, forward; type with iif: those, with oif: output,
 * postrouting, forward; type alone: all five.
 */
function fibHookRefused(t: NftTable): boolean {
  const allowed = (x: RStmt, hook: string): boolean => {
    // nft_meta_set_validate: NFT_META_PKTTYPE at prerouting (ip, ip6, inet), a netdev chain's ingress; no arp hook
    if (x.k === 'set') return t.family === 'netdev' ? hook === 'ingress' : t.family !== 'arp' && hook === 'prerouting';
    // nft_rt_validate: NFT_RT_TCPMSS needs the packet's route, at forward, output and postrouting
    if (x.k === 'optset' || ((x.k === 'match' || x.k === 'vmap') && x.sel.proto === 'rt')) return ['forward', 'output', 'postrouting'].includes(hook);
    if (x.k !== 'match' && x.k !== 'vmap') return true;
    const f = x.sel.field.split(' ');
    if (f[f.length - 1] !== 'type') return ['prerouting', 'input', 'forward'].includes(hook);
    if (f.includes('iif')) return ['prerouting', 'input', 'forward'].includes(hook);
    if (f.includes('oif')) return ['output', 'postrouting', 'forward'].includes(hook);
    return true;
  };
  return t.chains.some((b) => {
    if (!b.base) return false;
    const seen = new Set<NftChain>();
    const bad = (c: NftChain): boolean => {
      if (seen.has(c)) return false;
      seen.add(c);
      return c.rules.some((r) => r.stmts.some((x) => isFib(x) && !allowed(x, b.base!.hook)) || jumpTargets(t, r.stmts).some((n) => {
        const next = t.chains.find((x) => x.name === n);
        return next !== undefined && bad(next);
      }));
    };
    return bad(b);
  });
}

function netdevRejectAtEgress(t: NftTable): boolean {
  if (t.family !== 'netdev') return false;
  const seen = new Set<NftChain>();
  const reaches = (c: NftChain): boolean => {
    if (seen.has(c)) return false;
    seen.add(c);
    return c.rules.some((r) => r.stmts.some((x) => x.k === 'reject') || jumpTargets(t, r.stmts).some((n) => {
      const next = t.chains.find((x) => x.name === n);
      return next !== undefined && reaches(next);
    }));
  };
  return t.chains.some((c) => c.base?.hook === 'egress' && reaches(c));
}

/**
 * The families whose conntrack a ruleset uses: the expressions whose init calls nf_ct_netns_get with
 * their table's family (inet: IPv4 and IPv6) — ct matches (nft_ct_get_init), `ct mark set`
 * (nft_ct_set_init), snat / dnat / masquerade / redirect (nft_nat_init, nft_masq_init, nft_redir_init)
 * and `flow add` (nft_flow_offload_init). Chains take none, NAT chains included (Linux 6.18, measured:
 * a table with an empty NAT chain tracks nothing).
 */
function ctFamilies(st: NftState): Set<number> {
  const out = new Set<number>();
  for (const t of st.tables) {
    const uses = t.chains.some((c) => c.rules.some((r) => r.stmts.some((s) =>
      ((s.k === 'match' || s.k === 'objmap' || s.k === 'vmap') && s.sel.proto === 'ct') || (s.k === 'set' && (s.target === 'ct mark' || s.target === 'ct zone')) || s.k === 'nat' || s.k === 'flow')));
    if (!uses) continue;
    if (t.family !== 'ip6') out.add(2);
    if (t.family !== 'ip') out.add(10);
  }
  return out;
}

/** A refusal found while applying (turned into NftError with the input's text). */
class Refusal extends Error {
  constructor(readonly msg: string, readonly loc: Loc, readonly kernel: boolean, readonly also?: Loc) {
    super(msg);
  }
}
const ENOENT = 'Could not process rule: No such file or directory';
/**
 * An anonymous set's elements written with statements or options (`{ 192.0.2.1 counter, … }`, a comment, a
 * timeout): nft 1.0.6 keeps counters and comments there (listed with the element) and the kernel refuses a
 * timeout (EINVAL); wxdp keeps none of them in an anonymous set, so it refuses them by name rather than drop them.
 */
function refuseAnonElemOpts(v: RawValue, map = false): void {
  if (v.k !== 'set') return;
  for (const item of v.elems) {
    const key = item.k === 'pair' ? item.key : item;
    const opts = key.k === 'word' || key.k === 'str' || key.k === 'concat' ? key.opts : undefined;
    // an anonymous map has no statements for its elements to match (nft's set_elem_stmt_list, measured at `counter`)
    if (map && opts?.counter) throw new Refusal('missing statement in map declaration', opts.counter.loc, false);
    if (opts) throw new Refusal("wxdp does not keep counters, comments or timeouts on an anonymous set's elements yet", opts.counter?.loc ?? key.loc, false);
  }
}
/**
 * The one element of an anonymous set nft folds into a plain relational (expr_evaluate_relational's single-element
 * set): `ip saddr { 192.0.2.1 }` is `ip saddr 192.0.2.1`, with no set and no handle for one; `tcp flags { syn }` is
 * the implicit `tcp flags syn`, `!= { syn }` is `!= syn`; the element's statements go with the set (nft 1.0.6 lists
 * `ip saddr { 192.0.2.1 counter }` as `ip saddr 192.0.2.1`). Not a concatenation's, nor a map's (measured with
 * --debug=netlink and -a).
 */
function foldedElem(s: Extract<Stmt, { k: 'match' }>): RawValue | undefined {
  if (s.sel.concat || s.value.k !== 'set' || s.value.elems.length !== 1) return undefined;
  const e = s.value.elems[0]!;
  return e.k === 'pair' ? undefined : e;
}
const EEXIST = 'Could not process rule: File exists';
const EBUSY = 'Could not process rule: Device or resource busy';
const EOPNOTSUPP = 'Could not process rule: Operation not supported';
const EMLINK = 'Could not process rule: Too many links';
const EINVAL = 'Could not process rule: Invalid argument';
const EOVERFLOW = 'Could not process rule: Value too large for defined data type';
const ERANGE = 'Could not process rule: Numerical result out of range';
const E2BIG = 'Could not process rule: Argument list too long';
const ENFILE = 'Could not process rule: Too many open files in system';
const U64 = (1n << 64n) - 1n;
/** NSEC_PER_SEC */
const NSEC = 1_000_000_000n;
/** NF_LOG_PREFIXLEN: the kernel's prefix buffer, its NUL included. */
const NF_LOG_PREFIXLEN = 128;
const NFT_LOGLEVEL_WARNING = 4;
const NFT_LOGLEVEL_AUDIT = 8;

/**
 * nftables' stmt_evaluate_log, then what nft_log_init keeps: a group makes it NF_LOG_TYPE_ULOG (level and flags
 * refused with it), otherwise NF_LOG_TYPE_LOG, whose snaplen and queue threshold the kernel ignores (measured:
 * `log snaplen 5` lists as `log`).
 */
function logStmt(s: Extract<Stmt, { k: 'log' }>): RStmt {
  const ulog = s.group !== undefined || s.snaplen !== undefined || s.qthreshold !== undefined;
  if (ulog && s.level !== undefined) throw new Refusal('level and group are mutually exclusive', s.loc, false);
  if (ulog && s.logflags !== 0) throw new Refusal('flags and group are mutually exclusive', s.loc, false);
  if (s.level === NFT_LOGLEVEL_AUDIT && (ulog || s.prefix !== undefined || s.logflags !== 0)) throw new Refusal("log level audit doesn't support any further options", s.loc, false);
  if (s.prefix !== undefined && new TextEncoder().encode(s.prefix).length >= NF_LOG_PREFIXLEN) throw new Refusal(ERANGE, s.loc, true);
  if (s.group !== undefined) return { k: 'log', prefix: s.prefix, group: s.group, snaplen: s.snaplen ?? 0, qthreshold: s.qthreshold ?? 0, level: 0, logflags: 0 };
  return { k: 'log', prefix: s.prefix, snaplen: 0, qthreshold: 0, level: s.level ?? NFT_LOGLEVEL_WARNING, logflags: s.logflags };
}

/** The candidate nft suggests for `name`: the closest by `near`, the first of equals in list order. */
function closest<T extends { name: string }, U = NftTable>(cands: Array<{ x: T; t: U }>, name: string, near: (have: string, want: string) => number | undefined): { x: T; t: U } | undefined {
  let best: { x: T; t: U } | undefined;
  let bd = Infinity;
  for (const c of cands) {
    const d = near(c.x.name, name);
    if (d !== undefined && d < bd) {
      bd = d;
      best = c;
    }
  }
  return best;
}

export class Nft {
  private state: NftState = { tables: [], tgen: 0 };
  /** Named sets' elements: shared with the committed state, copied on write (nft_elems.ts). */
  private readonly store = new ElemStore();
  private readonly slots = new Map<string, number>();
  /**
   * The most bytes one set's per-field index may take (concatenations with `flags interval`, nft_pipapo.ts): past it
   * a command fails with ENOMEM naming the set.
   */
  fieldIndexMax = FIELD_INDEX_MAX;
  private blob = 0;
  private blobSize = 0;
  /** Registered hooks: key → [pf, hook, prio, kind, slot]. */
  private hooks = new Map<string, HookEntry>();
  private readonly localFlowtableIds = new Map<string, number>();
  /** The families whose conntrack the ruleset's expressions use (one nf_ct_netns_get each, held). */
  private ctHeld = new Set<number>();
  /** The families with a NAT base chain: each holds NAT's steps (nf_nat_register_fn). */
  private natHeld = new Set<number>();
  /** The log ring (assembly/net/nft_stateful.ts draws it; allocated with the first log rule, kept). */
  private logRing = 0;
  /** Stores of the sets the data path writes (nft_dynset.ts): their bytes, slot bytes, and the elements the control plane put there. */
  private dynStores = new Map<number, { slot: number; put: Map<Elem, Uint8Array>; flushed: number }>();
  /** The stores dynLive made for the command being published, retired again when it fails (dynUndo). */
  private dynMade: Array<[number, { live?: number }]> = [];
  /** The handles taken for the meters' sets of the rule being added, before its own. */
  private readonly meterHandles = new Map<string, number>();
  /** 64 bytes for a key the control plane hands nft_dynset_ctl. */
  private dynKey = 0;
  private readonly logListeners = new Set<(e: NftLogEntry) => void>();
  private txState: NftState = this.state;
  /** This transaction's commands (what nft's cache holds when the kernel refuses one of them: cacheChains). */
  private txCmds: readonly Cmd[] = [];
  /** `nft -a`: this input's listings show handles. */
  private handles = false;

  constructor(private readonly dp: Datapath) {}

  private get x(): NftExports {
    return this.dp.stack.exports<NftExports>();
  }

  /** Run nft input (a command line, or a file's text with `file` naming it); the output of its list commands. */
  run(text: string, file?: string, handles = false, opts: ScanOptions = {}): string {
    this.handles = handles;
    let cmds: Cmd[];
    // the text (a command line ends as if with a newline: nft's "unexpected newline" there, a file with its end)
    // and each file it includes, where errors are shown
    const sources: NftSource[] = [];
    try {
      cmds = parseNft(file === undefined ? `${text}\n` : text, file, opts, sources);
    } catch (e) {
      if (e instanceof NftParseError) throw this.error('NFT_SYNTAX', sources, e.msg, e.loc, e.also);
      throw e;
    }
    const next = this.store.clone(this.state);
    this.txState = next;
    this.txCmds = cmds;
    let out = '';
    try {
      for (const c of cmds) out += this.apply(next, c);
    } catch (e) {
      this.store.abort();
      if (e instanceof Refusal && e.kernel) {
        // an aborted transaction does not give back the handles it took (table->hgen only grows)
        for (const t of this.state.tables) {
          const n = next.tables.find((x) => x.family === t.family && x.name === t.name && x.handle === t.handle);
          if (n) t.hgen = n.hgen;
        }
      }
      if (e instanceof Refusal) throw this.error(e.kernel ? 'NFT_REJECTED' : 'NFT_SYNTAX', sources, e.msg, e.loc, e.also);
      if (e instanceof NftParseError) throw this.error('NFT_SYNTAX', sources, e.msg, e.loc, e.also);
      throw e;
    }
    try {
      this.commit(next);
    } catch (e) {
      this.store.abort();
      throw e;
    }
    this.store.commit(next);
    return out;
  }

  /** `nft -f FILE` (`opts`: nft -I, and what `./` includes are relative to). */
  runFile(path: string, opts: ScanOptions = {}): string {
    return this.run(readFileSync(path, 'utf8'), path, false, opts);
  }

  /** `nft list ruleset` (optionally of one family; `handles`: `nft -a`). */
  list(family?: NftFamily, handles = false): string {
    return rulesetText(this.state, this.counterReader(), family, handles);
  }

  /** A rule counter's values by table, chain and rule handle (for tests and the CLI). */
  counters(family: NftFamily, table: string, chain: string): Array<{ handle: number; packets: bigint; bytes: bigint }> {
    const t = this.state.tables.find((x) => x.family === family && x.name === table);
    const c = t?.chains.find((x) => x.name === chain);
    if (!c) throw new NftError('NFT_REJECTED', `Error: ${ENOENT}`, 0, 0, ENOENT);
    const read = this.counterReader();
    const out: Array<{ handle: number; packets: bigint; bytes: bigint }> = [];
    for (const r of c.rules) for (const s of r.stmts) if (s.k === 'counter') out.push({ handle: r.handle, ...read(s.addr, s) });
    return out;
  }

  /** Log entries (what nf_log hands a logger): `listener` gets them when pollLog() drains the ring. */
  on(event: 'log', listener: (e: NftLogEntry) => void): this {
    if (event !== 'log') throw new WxdpError('USAGE', `nftables: no event ${String(event)}`);
    this.logListeners.add(listener);
    return this;
  }

  off(event: 'log', listener: (e: NftLogEntry) => void): this {
    this.logListeners.delete(listener);
    return this;
  }

  /** Entries the log statements wrote since the last drain (up to LOG_RING wait; more are counted in logLost). */
  pollLog(): NftLogEntry[] {
    const ring = this.logRing;
    if (ring === 0) return [];
    const v = this.dp.memory.view();
    const head = v.getUint32(ring, true);
    let tail = v.getUint32(ring + 4, true);
    const out: NftLogEntry[] = [];
    while (tail !== head) {
      const r = ring + LOG_HDR + (tail % LOG_RING) * LOG_REC;
      out.push(logEntry(v, r, (i) => this.dp.links.view(i)));
      tail = (tail + 1) >>> 0;
    }
    v.setUint32(ring + 4, tail, true);
    for (const e of out) for (const l of this.logListeners) l(e);
    return out;
  }

  /** Log entries not written because the ring was full. */
  get logLost(): number {
    return this.logRing === 0 ? 0 : this.dp.memory.view().getUint32(this.logRing + 8, true);
  }

  /** The state of the ruleset as a plain object (tables, chains, rules' handles). */
  get tables(): ReadonlyArray<Readonly<NftTable>> {
    return this.state.tables;
  }

  /**
   * nft's rendering of an error: `FILE:LINE:FIRST-LAST: Error: …` (a command line's: `Error: …`), the line, carets
   * under the place (tildes under `also`); an error in an included file first names each include that led there.
   */
  private error(code: 'NFT_SYNTAX' | 'NFT_REJECTED', sources: readonly NftSource[], msg: string, loc: Loc, also?: Loc): NftError {
    const at = (l: Loc): NftSource => sources[l.src ?? 0] ?? { text: '' };
    const { name: file, text } = at(loc);
    const lines = text.split('\n');
    let src = lines[loc.line - 1] ?? '';
    // at the end of a file that ends with a newline nft shows the last line it read
    if (file !== undefined && src === '' && loc.line === lines.length && loc.line > 1) src = lines[loc.line - 2]!;
    let marks = '';
    const last = Math.max(loc.end, also?.end ?? 0);
    for (let c = 1; c <= last; c++) {
      if (c >= loc.col && c <= loc.end) marks += '^';
      else if (also && c >= also.col && c <= also.end) marks += '~';
      else marks += src[c - 1] === '\t' ? '\t' : ' ';
    }
    let chain = '';
    for (let from = at(loc).from; from; from = at(from).from) {
      chain += `${chain ? '                 from' : 'In file included from'} ${at(from).name ?? '<cmdline>'}:${from.line}:${from.col}-${from.end}:\n`;
    }
    const head = file !== undefined ? `${file}:${loc.line}:${loc.col}-${loc.end}: Error: ${msg}` : `Error: ${msg}`;
    return new NftError(code, `${chain}${head}\n${src}\n${marks}`, loc.line, loc.col, msg);
  }

  // ---- applying commands to a copy ----

  /** `near`: how close a name must be to be suggested (commands on objects measure with the threshold). */
  private findTable(s: NftState, family: NftFamily, name: string, loc: Loc, near = misspell): NftTable {
    const t = s.tables.find((x) => x.family === family && x.name === name);
    if (t) return t;
    const best = closest(s.tables.map((x) => ({ x, t: x })), name, near)?.t;
    if (best) throw new Refusal(`No such file or directory; did you mean table ‘${best.name}’ in family ${best.family}?`, loc, true);
    throw new Refusal('No such file or directory', loc, true);
  }

  /**
   * The chains nft's cache holds when the kernel refuses this transaction: every table's, in order, with the chains
   * any command of the transaction adds — nft evaluated them all before it sent the batch, so a chain added after
   * the failing command is among them (measured: `add rule ip t c jump forwad` then `add chain ip t forward` is
   * answered with ‘forward’).
   */
  private cacheChains(): Array<{ x: { name: string }; t: { family: NftFamily; name: string } }> {
    const tables = this.txState.tables.map((t) => ({ t: { family: t.family, name: t.name }, chains: t.chains.map((c) => c.name) }));
    for (const c of this.txCmds) {
      if (c.obj !== 'chain' || (c.op !== 'add' && c.op !== 'create') || !c.chain) continue;
      let e = tables.find((x) => x.t.family === c.family && x.t.name === c.table);
      if (!e) tables.push((e = { t: { family: c.family, name: c.table }, chains: [] }));
      if (!e.chains.includes(c.chain)) e.chains.push(c.chain);
    }
    return tables.flatMap((e) => e.chains.map((name) => ({ x: { name }, t: e.t })));
  }

  private findChain(s: NftState, t: NftTable, name: string, loc: Loc): NftChain {
    const c = t.chains.find((x) => x.name === name);
    if (c) return c;
    const best = closest(s.tables.flatMap((tt) => tt.chains.map((x) => ({ x, t: tt }))), name, misspell);
    if (best) throw new Refusal(`No such file or directory; did you mean chain ‘${best.x.name}’ in table ${best.t.family} ‘${best.t.name}’?`, loc, true);
    throw new Refusal('No such file or directory', loc, true);
  }

  private apply(s: NftState, c: Cmd): string {
    if (c.obj === 'objects') {
      // nft's do_list_obj over every table (or one: `table FAMILY NAME`, which must exist); a reset lists the
      // values NFT_MSG_GETOBJ_RESET dumped, then they are zero
      const tables = c.where ? [this.findTable(s, c.where.family, c.where.table, c.where.tableLoc, objMisspell)] : s.tables.filter((t) => c.family === undefined || t.family === c.family);
      const objs = tables.flatMap((t) => t.objects.filter((o) => o.stmt.k === c.type).map((o) => [t, o] as const));
      const out = objectsText(tables, c.type, this.counterReader(), c.op === 'reset', this.handles);
      if (c.op === 'reset') for (const [, o] of objs) this.resetObj(o);
      return out;
    }
    if (c.obj === 'tables') return s.tables.filter((t) => c.family === undefined || t.family === c.family).map((t) => `table ${t.family} ${t.name}\n`).join('');
    if (c.obj === 'chains') return chainsText(s.tables.filter((t) => c.family === undefined || t.family === c.family), this.handles);
    if (c.obj === 'sets') return setsText(s.tables.filter((t) => c.family === undefined || t.family === c.family), c.map, this.handles, this.counterReader(), c.meters);
    if (c.obj === 'ruleset') {
      if (c.op === 'list') return rulesetText(s, this.counterReader(), c.family, this.handles);
      s.tables = s.tables.filter((t) => c.family !== undefined && t.family !== c.family);
      return '';
    }
    if (c.obj === 'table') {
      const i = s.tables.findIndex((t) => t.family === c.family && t.name === c.table);
      if (c.op === 'add' || c.op === 'create') {
        if (i >= 0) {
          if (c.op === 'create') throw new Refusal(EEXIST, c.tableLoc, true);
          return '';
        }
        s.tables.push({ family: c.family, name: c.table, handle: ++s.tgen, hgen: 0, chains: [], sets: [], flowtables: [], objects: [] });
        return '';
      }
      const t = c.handle ? byHandle(s.tables.filter((x) => x.family === c.family), c.handle) : this.findTable(s, c.family, c.table, c.tableLoc);
      if (c.op === 'delete') s.tables.splice(s.tables.indexOf(t), 1);
      else if (c.op === 'flush') for (const ch of t.chains) ch.rules = [];
      else return tableText(t, this.counterReader(), this.handles).join('\n') + '\n';
      return '';
    }
    // an object's table is suggested with the threshold its name is (measured: `tt` is answered with `t`, `nosuch` not)
    // a delete by handle is the kernel's ENOENT alone (nft_cmd_enoent has no name to suggest one for)
    const byH = 'handle' in c && c.op === 'delete' && c.handle !== undefined;
    if (byH && !s.tables.some((x) => x.family === c.family && x.name === c.table)) throw new Refusal(ENOENT, c.tableLoc, true);
    const t = this.findTable(s, c.family, c.table, c.tableLoc, c.obj === 'object' ? objMisspell : misspell);
    switch (c.obj) {
      case 'object':
        return this.object(s, t, c);
      case 'chain': {
        const existing = t.chains.find((x) => x.name === c.chain);
        if (c.op === 'add' || c.op === 'create') {
          if (existing && c.op === 'create') throw new Refusal(EEXIST, c.chainLoc, true);
          // `add chain … { policy drop; }` on a base chain that exists: its policy alone (nf_tables_updchain)
          const spec = c.spec;
          if (spec && spec.policy && !spec.type && !spec.hook && !spec.priority) {
            // a policy is a base chain's: the kernel refuses one for a chain with no hook (EOPNOTSUPP)
            if (!existing?.base) throw new Refusal(EOPNOTSUPP, spec.policyLoc!, true);
            existing.base.policy = spec.policy;
            return '';
          }
          const base = spec ? this.chainBase(spec, t) : undefined;
          if (existing) {
            if (base && existing.base) existing.base.policy = base.policy;
            else if (base) throw new Refusal(EEXIST, c.chainLoc, true);
            return '';
          }
          if (c.chain.length > 255) throw new Refusal('Could not process rule: Numerical result out of range', c.chainLoc, true);
          t.chains.push({ name: c.chain, handle: ++t.hgen, base, rules: [] });
          return '';
        }
        if (c.op === 'rename') {
          // nf_tables_updchain with a new name: the chain keeps its handle and rules; jumps to it follow it (the
          // kernel's point at the chain, ours name it)
          // (nft's own lookup in its cache: ENOENT with no suggestion; the kernel's EEXIST at the whole command)
          const ch = t.chains.find((x) => x.name === c.chain);
          if (!ch) throw new Refusal('No such file or directory', c.chainLoc, false);
          // a chain added in this transaction has no handle in nft's cache yet: nft sends the rename without one and
          // the kernel finds no chain by it (ENOENT at the whole command, measured: `add chain ip t c` then `rename
          // chain ip t c d` in one file); a chain deleted and added again is a new one too
          const before = this.state.tables.find((x) => x.family === t.family && x.name === t.name && x.handle === t.handle);
          if (!before?.chains.some((x) => x.handle === ch.handle)) throw new Refusal(ENOENT, c.loc, true);
          if (t.chains.some((x) => x.name === c.to)) throw new Refusal(EEXIST, c.loc, true);
          for (const o of t.chains) {
            for (const r of o.rules) {
              for (const x of r.stmts) {
                if (x.k === 'verdict' && x.chain === ch.name) x.chain = c.to;
                if (x.k === 'vmap' && x.map.k === 'set') for (const e of x.map.elems) if (e.verdict?.chain === ch.name) e.verdict.chain = c.to;
              }
            }
          }
          // (a named map's elements are replaced, not edited: the committed state shares them)
          for (const x of t.sets) for (const e of x.elems) if (e.verdict?.chain === ch.name) this.store.replace(x, e, { ...e, verdict: { ...e.verdict, chain: c.to } });
          ch.name = c.to;
          return '';
        }
        const ch = c.handle ? byHandle(t.chains, c.handle) : this.findChain(s, t, c.chain, c.chainLoc);
        if (c.op === 'delete') {
          const used = t.chains.some((o) => o.rules.some((r) => jumpTargets(t, r.stmts).includes(ch.name))) || t.sets.some((x) => x.elems.some((e) => e.verdict?.chain === ch.name));
          if (ch.rules.length > 0 || used) throw new Refusal(EBUSY, c.chainLoc, true);
          t.chains.splice(t.chains.indexOf(ch), 1);
        } else if (c.op === 'flush') ch.rules = [];
        else return `table ${t.family} ${t.name} {\n${chainText(t, ch, this.counterReader(), this.handles, '\t').join('\n')}\n}\n`;
        return '';
      }
      case 'rule': {
        const ch = this.findChain(s, t, c.chain, c.chainLoc);
        if (c.op === 'delete') {
          const i = ch.rules.findIndex((r) => r.handle === c.handle);
          if (i < 0) throw new Refusal(ENOENT, c.handleLoc, true);
          ch.rules.splice(i, 1);
          return '';
        }
        // anonymous sets take a handle each before the rule's own, as the kernel gives them, before it looks the
        // rule's position up (measured: a missing one costs the sets their handles, not the rule) or checks its
        // expressions and the sets' elements — a refused rule has used them up too
        for (const st of c.stmts) if ((st.k === 'match' && st.value.k === 'set' && !foldedElem(st)) || ((st.k === 'objmap' || st.k === 'vmap') && st.map?.k === 'set')) t.hgen++;
        // (a named map's reference takes none: `dnat to ip saddr map @m`)
        for (const st of c.stmts) {
          if (st.k === 'nat') t.hgen += (st.map && st.map.value.k !== 'ref' ? 1 : 0) + (st.portMap && st.portMap.value.k !== 'ref' ? 1 : 0);
          else if (st.k === 'set') t.hgen += st.map && st.map.k !== 'ref' ? 1 : 0;
        }
        let at = c.op === 'add' ? ch.rules.length : 0;
        // `index N` is nft's: the Nth rule of its cache, whose handle it sends as a position
        const i = c.index !== undefined ? (c.index < ch.rules.length ? c.index : -1) : ch.rules.findIndex((r) => r.handle === c.handle);
        if ((c.handle !== undefined || c.index !== undefined) && i < 0) throw new Refusal(c.index !== undefined ? 'Could not process rule: No such file or directory' : ENOENT, c.posLoc!, c.index === undefined);
        if (i >= 0) at = c.op === 'add' ? i + 1 : i;
        // a meter's new set is sent before its rule: its handle comes first (measured: set 4, its rule 5)
        this.meterHandles.clear();
        for (const st of c.stmts) if (st.k === 'dynset' && st.meter && !t.sets.some((x) => x.name === st.set) && !this.meterHandles.has(st.set)) this.meterHandles.set(st.set, ++t.hgen);
        // a replaced rule keeps its handle (nf_tables_newrule allocates none with NFTA_RULE_HANDLE)
        const handle = c.op === 'replace' ? c.handle! : ++t.hgen;
        const stmts = this.resolveRule(t, ch, c.stmts, c.cmdLoc);
        const rule: NftRule = { handle, stmts };
        if (c.op === 'replace') ch.rules.splice(i, 1, rule);
        else ch.rules.splice(at, 0, rule);
        const jump = c.stmts.find((x) => (x.k === 'verdict' && x.chain !== undefined) || x.k === 'vmap');
        if (jump && tooDeep(t)) throw new Refusal(EMLINK, jump.loc, true);
        // a hook-bound expression, or a jump to a chain that may hold one (the walk only when the table has one)
        const hookBound = stmts.some(isFib) || (jump !== undefined && t.chains.some((x) => x.rules.some((r) => r.stmts.some(isFib))));
        if (hookBound && fibHookRefused(t)) throw new Refusal(EOPNOTSUPP, c.cmdLoc ?? { ...c.stmts[0]!.loc, end: c.stmts[c.stmts.length - 1]!.loc.end }, true);
        if (mayReachReject(stmts) && netdevRejectAtEgress(t)) throw new Refusal(EOPNOTSUPP, c.cmdLoc ?? { ...c.stmts[0]!.loc, end: c.stmts[c.stmts.length - 1]!.loc.end }, true);
        return '';
      }
      case 'set': {
        const existing = t.sets.find((x) => x.name === c.set);
        if (c.op === 'add' || c.op === 'create') {
          if (existing) {
            if (c.op === 'create') throw new Refusal(EEXIST, c.setLoc, true);
            if (c.spec?.elements) this.addElems(t, existing, c.spec.elements);
            // its new jumps validated as an element command's (nft_setelem_validate), at its block
            if (c.spec?.elements && existing.mapTo === 'verdict' && rawJumps(c.spec.elements) && netdevRejectAtEgress(t)) throw new Refusal(EOPNOTSUPP, c.spec.blockLoc ?? c.setLoc, true);
            return '';
          }
          const spec = c.spec;
          // a data map's type: named, or its `typeof` expression's
          const data = spec?.data?.sel ? `${spec.data.interval ? 'interval ' : ''}${spec.data.sel.concat ? spec.data.sel.concat.map(selType).join(' . ') : selType(spec.data.sel)}` : spec?.data?.v;
          if (spec?.data?.sel && !DATA_MAPS.has(data!)) throw new Refusal(`wxdp maps keys to verdicts, stateful objects, addresses, ports and marks only, not to ${spec.data.v.slice(7)}`, spec.data.loc, false);
          // (a `flags dynamic` one keeps its elements in a store of the data path's, with their timeouts and counters)
          if (spec?.data && DATA_MAPS.has(data!) && !spec.flags.includes('dynamic') && (spec.timeout !== undefined || spec.counter || spec.flags.includes('timeout'))) {
            throw new Refusal('wxdp has no timeouts or counters in maps to addresses, ports or marks yet', spec.loc, false);
          }
          if (spec?.data && !MAP_DATA.has(data!) && !DATA_MAPS.has(data!)) {
            // a type nft has and wxdp's maps do not carry (`type iface_index : ipv4_addr`) is named, others are nft's error
            if (knownType(spec.data.v)) throw new Refusal(`wxdp maps keys to verdicts, stateful objects, addresses, ports and marks only, not to ${spec.data.v}`, spec.data.loc, false);
            throw new Refusal(`unknown datatype ${spec.data.v}`, spec.data.loc, false);
          }
          let concat: DataType[] | undefined;
          if (spec?.typeof) {
            // the expression's type (nft's typeof: the family is not checked, `typeof ip6 daddr` in an ip table is one)
            for (const f of spec.typeof.concat ?? [spec.typeof]) {
              const type = selType(f);
              if (!SET_TYPES.has(type)) throw new Refusal(`wxdp has no named sets of ${TYPE_NAMES[type]}`, f.loc, false);
            }
            if (spec.typeof.concat) concat = spec.typeof.concat.map(selType);
            spec.type = concat ? 'concat' : selType(spec.typeof);
          }
          if (!spec?.type) throw new Refusal('set definition does not specify key', c.setLoc, false);
          // devices' indexes are keys of sets the data path writes only (`add @s { iif }`: their elements are the
          // indexes the packets came with); the control plane's (names resolved when a rule is loaded) are not kept
          const dynIface = (type: string): boolean => type === 'iface_index' && spec.flags.includes('dynamic') && !data;
          if (spec.type.includes(' . ')) {
            concat = spec.type.split(' . ') as DataType[];
            concat.forEach((type, i) => {
              if (!SET_TYPES.has(type) && !dynIface(type)) throw new Refusal(`unknown datatype ${type}`, spec.typeLocs?.[i] ?? spec.loc, false);
            });
            spec.type = 'concat';
          }
          if (!concat && !SET_TYPES.has(spec.type) && !dynIface(spec.type)) {
            if (knownType(spec.type)) throw new Refusal(`wxdp has no named sets of ${knownType(spec.type)}`, spec.loc, false);
            throw new Refusal(`unknown datatype ${spec.type}`, spec.loc, false);
          }
          for (const f of spec.flags) if (!['interval', 'constant', 'timeout', 'dynamic'].includes(f)) throw new Refusal(`syntax error, unexpected string`, spec.loc, false);
          // nft sends NFT_SET_TIMEOUT with a timeout (measured: `timeout 30s` alone makes a set of timeouts)
          const flags = spec.timeout ? [...new Set([...spec.flags, 'timeout'])] : spec.flags;
          if (spec.timeout !== undefined && spec.timeout >= MSEC_MAX) throw new Refusal(ERANGE, c.declLoc ?? c.setLoc, true);
          if (flags.includes('constant') && flags.includes('timeout')) throw new Refusal(EOPNOTSUPP, c.declLoc ?? c.setLoc, true);
          // no set type of the kernel's both updates from the data path and holds intervals (nft_select_set_ops)
          if (flags.includes('dynamic') && flags.includes('interval')) throw new Refusal(EOPNOTSUPP, c.declLoc ?? c.setLoc, true);
          // nft's set_evaluate (measured: a command's error is over its block, a table block's at the set's name)
          if (spec.autoMerge && !flags.includes('interval')) throw new Refusal('auto-merge only works with interval sets', c.declLoc ? spec.blockLoc ?? spec.loc : c.setLoc, false);
          const set: NftSet = {
            name: c.set, handle: ++t.hgen, type: spec.type as DataType, mapTo: data as NftSet['mapTo'], flags,
            timeout: jiffiesMs(spec.timeout ?? 0), counter: spec.counter ?? false, elems: [],
          };
          if (spec.size !== undefined) set.size = spec.size;
          // (a map to intervals declared by typeof lists by its types: nft 1.0.6 keeps no typeof for it, measured)
          if (spec.data?.sel && !spec.data.interval) set.dataTypeof = typeofText(spec.data.sel);
          if (spec.autoMerge) set.autoMerge = true;
          if (concat) set.concat = concat;
          if (spec.typeof && !spec.data?.interval) set.typeof = typeofText(spec.typeof);
          if (spec.elements) this.addElems(t, set, spec.elements);
          t.sets.push(set);
          return '';
        }
        // a listing looks in nft's cache, where a set is not a map (nor a map a set); a delete asks the kernel
        const set = c.handle ? byHandle(t.sets, c.handle) : t.sets.find((x) => x.name === c.set && (c.op === 'delete' || c.op === 'flush' || (x.mapTo !== undefined) === c.map));
        if (!set) throw new Refusal(c.op === 'list' ? 'No such file or directory' : ENOENT, c.setLoc, c.op !== 'list');
        if (c.op === 'delete') {
          if (setUse(t, set.name) > 0) throw new Refusal(EBUSY, c.setLoc, true);
          t.sets.splice(t.sets.indexOf(set), 1);
        } else if (c.op === 'flush') {
          set.elems = [];
          // the elements the data path added go too, when the flush is published (dynLive)
          if (set.live) set.flushed = (set.flushed ?? 0) + 1;
        }
        else return `table ${t.family} ${t.name} {\n${setText(set, '\t', this.handles, this.counterReader()).join('\n')}\n}\n`;
        return '';
      }
      case 'element': {
        const set = t.sets.find((x) => x.name === c.set);
        if (!set) throw new Refusal(ENOENT, c.setLoc, true);
        if (c.op !== 'delete') {
          this.addElems(t, set, c.elems, c.op === 'create');
          // a verdict map's new jump (nft_setelem_validate), at the whole command and one past it, as nft marks a rule's
          if (set.mapTo === 'verdict' && rawJumps(c.elems) && netdevRejectAtEgress(t)) throw new Refusal(EOPNOTSUPP, { ...c.loc, end: c.elems.loc.end + 1 }, true);
        } else {
          const items = c.elems.k === 'set' ? c.elems.elems : [c.elems];
          const index = this.liveIndex(set);
          const gone = new Set<Elem>();
          const interval = set.flags.includes('interval');
          for (const item of items) {
            // a map's element is found by its key (the data written is not compared)
            const key = item.k === 'pair' ? item.key : item;
            const d = this.keyParser(set)(key);
            if (interval && set.concat) {
              // nft_pipapo_deactivate: the element the start key is in, whatever its end (nft_pipapo.ts)
              const e = fieldFind(set.concat, set.elems, fieldBounds(set.concat, d)[0], gone);
              if (!e) throw new Refusal(ENOENT, key.loc, true);
              gone.add(e);
              continue;
            }
            const e = index.get(elemKey(interval ? canonical(set.type, d) : d));
            if (!e && !interval && set.live && this.dynStores.get(set.live)!.flushed === (set.flushed ?? 0) && this.dynHas(set, d)) {
              // an element the data path added (nft_dynset): the kernel's set holds it like any other, and deletes
              // it (nft_del_setelem finds it in the set's hash); out of the store when the command is published. A flush
              // earlier in the command took it already (ENOENT)
              const k = this.dynKeyOf(set, d);
              const text = k.join(',');
              if ((set.dels ?? []).some((x) => x.join(',') === text)) throw new Refusal(ENOENT, key.loc, true);
              set.dels = [...(set.dels ?? []), k];
              continue;
            }
            // an interval set's elements are nft's to find (its cache): its own words
            if (!e || gone.has(e)) throw interval ? new Refusal('element does not exist', key.loc, false) : new Refusal(ENOENT, key.loc, true);
            gone.add(e);
          }
          this.store.remove(set, gone);
        }
        return '';
      }
      case 'flowtable': {
        const existing = t.flowtables.find((x) => x.name === c.flowtable);
        if (c.op === 'add' || c.op === 'create') {
          if (existing) {
            if (c.op === 'create') throw new Refusal(EEXIST, c.ftLoc, true);
            // nft_flowtable_update: nft sends flags only when the declaration has some (`counter`), the
            // kernel keeps the old ones otherwise
            if (c.spec?.counter) existing.counter = true;
            return '';
          }
          const spec = c.spec;
          if (!spec?.hook) throw new Refusal('missing hook and priority in flowtable declaration', c.ftLoc, false);
          if (spec.hook !== 'ingress') throw new Refusal(`unknown chain hook`, spec.loc, false);
          // a device that does not exist: the kernel's ENOENT over a command's whole text (measured, nft 1.0.6 on 6.18)
          for (const d of spec.devices) if (!this.dp.links.has(d)) throw new Refusal(ENOENT, c.declLoc ?? c.ftLoc, true);
          const prio = spec.priority ? this.prioValue(spec.priority, 'ingress') : 0;
          t.flowtables.push({ name: c.flowtable, handle: ++t.hgen, hook: spec.hook, prio, devices: spec.devices, counter: spec.counter ?? false, id: 0 });
          return '';
        }
        const ft = c.handle ? byHandle(t.flowtables, c.handle) : t.flowtables.find((x) => x.name === c.flowtable);
        if (!ft) throw new Refusal(ENOENT, c.ftLoc, true);
        if (c.op === 'delete') {
          const used = t.chains.some((ch) => ch.rules.some((r) => r.stmts.some((x) => x.k === 'flow' && x.name === ft.name)));
          if (used) throw new Refusal(EBUSY, c.ftLoc, true);
          t.flowtables.splice(t.flowtables.indexOf(ft), 1);
        }
        return '';
      }
    }
  }

  /**
   * nf_tables_newobj / nf_tables_delobj / nf_tables_getobj for one named object. The kernel looks objects up by
   * type and name (a counter and a quota may share a name). Adding one that exists: EEXIST with NLM_F_EXCL
   * (`create`), otherwise its type's update if it has one — a quota takes the new size and flags and keeps
   * what it consumed (nft_quota_obj_update); a counter and a limit have none and stay as they are. Deleting
   * one a rule references (obj->use) is EBUSY.
   */
  private object(s: NftState, t: NftTable, c: Extract<Cmd, { obj: 'object' }>): string {
    // the kernel looks an object up by type and handle as it does by type and name
    const o = c.handle ? byHandle(t.objects.filter((x) => x.stmt.k === c.type), c.handle) : t.objects.find((x) => x.stmt.k === c.type && x.name === c.name);
    if (c.op === 'add' || c.op === 'create') {
      // the kernel's refusals of an object (its type's init) are shown at the command
      const stmt = this.objStmt({ ...c.spec!, loc: c.loc });
      if (o) {
        if (c.op === 'create') throw new Refusal(EEXIST, c.nameLoc, true);
        if (o.stmt.k === 'quota' && stmt.k === 'quota') {
          o.stmt.bytes = stmt.bytes;
          o.stmt.inv = stmt.inv;
        }
        return '';
      }
      if (new TextEncoder().encode(c.name).length > NFT_OBJ_MAXNAMELEN - 1) throw new Refusal(ERANGE, c.nameLoc, true);
      t.objects.push({ name: c.name, handle: ++t.hgen, stmt });
      return '';
    }
    if (!o) {
      // a list or reset is nft's own answer (its cache has no such object: obj_not_found); a delete the kernel's
      // ENOENT, which nft_cmd_enoent words as obj_not_found does when its cache has a name close enough
      const nf = this.objNotFound(s, c.name, c.nameLoc);
      if (c.op === 'delete') throw new Refusal(nf.msg.includes(';') ? nf.msg : ENOENT, c.nameLoc, true);
      throw nf;
    }
    if (c.op === 'delete') {
      if (objUse(t, o) > 0) throw new Refusal(EBUSY, c.nameLoc, true);
      t.objects.splice(t.objects.indexOf(o), 1);
      return '';
    }
    const out = objectsText([{ ...t, objects: [o] }], o.stmt.k, this.counterReader(), c.op === 'reset', this.handles);
    if (c.op === 'reset') this.resetObj(o);
    return out;
  }

  /** nft's set_not_found: ENOENT, with the closest named set or map of any table (set_lookup_fuzzy, measured: thresholded). */
  private setNotFound(name: string, loc: Loc): Refusal {
    const best = closest(this.txState.tables.flatMap((t) => t.sets.map((x) => ({ x, t }))), name, objMisspell);
    if (best) return new Refusal(`No such file or directory; did you mean ${best.x.mapTo ? 'map' : 'set'} ‘${best.x.name}’ in table ${best.t.family} ‘${best.t.name}’?`, loc, false);
    return new Refusal('No such file or directory', loc, false);
  }

  /** nft's obj_not_found: ENOENT, with the closest name of any object of any table (obj_lookup_fuzzy). */
  private objNotFound(s: NftState, name: string, loc: Loc): Refusal {
    const best = closest(s.tables.flatMap((t) => t.objects.map((x) => ({ x, t }))), name, objMisspell);
    if (best) return new Refusal(`No such file or directory; did you mean obj ‘${best.x.name}’ in table ${best.t.family} ‘${best.t.name}’?`, loc, false);
    return new Refusal('No such file or directory', loc, false);
  }

  /** An object's declaration → the state its statement keeps, with the statement's own checks (the kernel's init). */
  private objStmt(spec: ObjSpec): Extract<RStmt, { k: NftObjType }> {
    if (spec.k === 'counter') return { k: 'counter', packets: spec.packets, bytes: spec.bytes, addr: 0 };
    if (spec.k === 'quota') return this.quota(spec);
    return this.limit(spec) as Extract<RStmt, { k: 'limit' }>;
  }

  /**
   * The reset half of NFT_MSG_GETOBJ_RESET, after the values were listed: a counter's packets and bytes less what
   * was read (nft_counter_reset), a quota's consumed bytes less what was read (nft_quota_do_dump), so packets
   * counted in between are kept. Before the object is published its initial values are its state.
   */
  private resetObj(o: NftObj): void {
    const st = o.stmt;
    if (st.k === 'limit') return;
    if (st.addr === 0) {
      if (st.k === 'counter') st.packets = st.bytes = 0n;
      else st.used = 0n;
      return;
    }
    const words = new BigUint64Array(this.dp.memory.bytes().buffer);
    const i = st.addr >>> 3;
    const read = this.counterReader()(st.addr, { packets: 0n, bytes: 0n });
    Atomics.sub(words, i, read.packets);
    if (st.k === 'counter') Atomics.sub(words, i + 1, read.bytes);
  }

  private prioValue(p: { name?: string; value: number; loc: Loc }, hook: string): number {
    if (p.name === undefined) return p.value;
    const std = STD_PRIOS.find((x) => x.name === p.name && (!x.hooks || x.hooks.includes(hook)));
    if (!std) throw new Refusal(`'${p.name}' is invalid priority in this context.`, p.loc, false);
    return std.value + p.value;
  }

  private chainBase(spec: ChainSpec, t: NftTable): NftChain['base'] {
    if (!spec.type || !spec.hook || !spec.priority) throw new Refusal('missing type, hook or priority in base chain declaration', spec.loc, false);
    if (t.family === 'netdev' || t.family === 'arp') return this.netdevBase(spec, spec.priority, t.family);
    if (spec.devices) throw new Refusal('This chain type cannot be bound to device', spec.devLoc ?? spec.loc, false);
    if (!CHAIN_TYPES.has(spec.type)) throw new Refusal(`unknown chain type`, spec.loc, false);
    if (HOOKS[spec.hook] === undefined) throw new Refusal(`unknown chain hook`, spec.loc, false);
    if (spec.type === 'nat' && spec.hook === 'forward') throw new Refusal(EOPNOTSUPP, spec.cmdLoc ?? spec.loc, true);
    if (spec.type === 'route' && spec.hook !== 'output') throw new Refusal(EOPNOTSUPP, spec.cmdLoc ?? spec.loc, true);
    void t;
    return { type: spec.type as 'filter', hook: spec.hook, prio: this.prioValue(spec.priority, spec.hook), policy: spec.policy ?? 'accept', devices: spec.devices };
  }

  /**
   * A netdev or arp base chain (nft's chain_evaluate, then nf_tables_addchain): a hook of the family (ingress, egress;
   * input, output), a netdev chain's device(s) named, only `filter` as a priority name (std_prio_family_hook_compat), then the kernel's: only the
   * filter type exists for the family (nft_chain_type_get: ENOENT). A device that does not exist is taken (Linux
   * 6.18 keeps the hook and registers it when the device appears, measured: `device "nope"` loads and lists).
   */
  private netdevBase(spec: ChainSpec, prio: NonNullable<ChainSpec['priority']>, family: 'netdev' | 'arp'): NftChain['base'] {
    const hook = spec.hook!;
    // (the arp family's forward hook exists in nft's table and not in the kernel's arp chain type: EOPNOTSUPP)
    if (family === 'arp' && hook === 'forward') throw new Refusal(EOPNOTSUPP, spec.cmdLoc ?? spec.loc, true);
    if ((family === 'netdev' ? NETDEV_HOOKS : ARP_HOOKS)[hook] === undefined) throw new Refusal(`The ${family} family does not support this hook`, spec.hookLoc ?? spec.loc, false);
    if (family === 'arp' && spec.devices) throw new Refusal('This chain type cannot be bound to device', spec.devLoc ?? spec.loc, false);
    if (family === 'netdev' && !spec.devices) throw new Refusal("Missing `device' in this chain definition", spec.declLoc ?? spec.loc, false);
    if (prio.name !== undefined && prio.name !== 'filter') throw new Refusal('invalid priority expression value in this context.', spec.prioLoc ?? prio.loc, false);
    if (spec.type !== 'filter') throw new Refusal(ENOENT, spec.typeLoc ?? spec.loc, true);
    // nft_chain_parse_netdev: a name longer than IFNAMSIZ - 1 does not fit (measured on 6.18 with nft 1.0.6: one device,
    // sent as NFTA_HOOK_DEV, ERANGE; two or more, NFTA_HOOK_DEVS, E2BIG)
    if (spec.devices?.some((d) => d.length > 15)) throw new Refusal(spec.devices.length === 1 ? ERANGE : E2BIG, spec.cmdLoc ?? spec.loc, true);
    return { type: 'filter', hook, prio: prio.value, policy: spec.policy ?? 'accept', devices: spec.devices };
  }

  /**
   * Elements as written for a set of `type` — a map of `mapTo` objects takes `key : "name"` pairs, each naming an
   * object of the table (nft_set_elem_init's nft_obj_lookup: ENOENT at the element; no data: EINVAL). An element
   * that overlaps an earlier one of the same list is nft's "conflicting intervals", one with the same key the
   * kernel's EEXIST (in an anonymous map; a named map's element with another object too).
   */
  private elems(t: NftTable, type: DataType, mapTo: NftSet['mapTo'] | 'ipv4_addr' | 'ipv6_addr' | 'inet_service' | 'mark', v: RawValue, parse = (key: RawValue): Elem => parseElem(type, key), fields?: readonly DataType[], named = false): Array<{ e: Elem; loc: Loc; opts?: ElemOpts }> {
    const out: Array<{ e: Elem; loc: Loc; opts?: ElemOpts }> = [];
    // values conflict only when equal: found by key; intervals are compared with every earlier element
    const byKey = new Map<string, Elem>();
    let ranges = false;
    for (const item of v.k === 'set' ? v.elems : [v]) {
      const key = item.k === 'pair' ? item.key : item;
      const e = parse(key);
      const opts = key.k === 'word' || key.k === 'str' || key.k === 'concat' ? key.opts : undefined;
      if (mapTo !== undefined) {
        if (item.k !== 'pair') throw new Refusal(EINVAL, key.loc, true);
        const d = item.data;
        const name = d.k === 'word' || d.k === 'str' ? d.v : '';
        if (mapTo === 'verdict') {
          // nft_verdict_init: a jump's chain must exist (ENOENT) and not be a base chain (EOPNOTSUPP)
          if (d.k !== 'word' || !['accept', 'drop', 'return', 'continue', 'jump', 'goto'].includes(name)) throw new Refusal('syntax error, unexpected string', d.loc, false);
          const target = item.chain === undefined ? undefined : t.chains.find((x) => x.name === item.chain);
          if (item.chain !== undefined && !target) throw new Refusal(ENOENT, key.loc, true);
          if (target?.base) throw new Refusal(EOPNOTSUPP, key.loc, true);
          e.verdict = { v: name as 'accept', chain: item.chain };
        } else if (mapTo === 'ipv4_addr . inet_service' || mapTo === 'ipv6_addr . inet_service') {
          e.data = natToData(mapTo, d, named);
        } else if (mapTo === 'interval ipv4_addr . inet_service' || mapTo === 'interval ipv6_addr . inet_service') {
          // an address and a port of which one at least is a range or a prefix (both single: nft sends the short
          // value, the kernel's EINVAL at the element's key, measured)
          const base = mapTo.slice(9) as NatTo;
          e.data = natToData(base, d, false);
          if (e.data.length === (base === 'ipv4_addr . inet_service' ? 8 : 20)) throw new Refusal(EINVAL, key.loc, true);
        } else if (mapTo === 'interval ipv4_addr' || mapTo === 'interval ipv6_addr') {
          // a range or a prefix of addresses: min, then max (nft sends a single address as one value: the kernel's
          // EINVAL, measured, at the element's key)
          const x = parseElem(mapTo === 'interval ipv4_addr' ? 'ipv4_addr' : 'ipv6_addr', d);
          if (x.kind === 'value') throw new Refusal(EINVAL, key.loc, true);
          e.data = Uint8Array.from([...x.lo, ...x.hi]);
        } else if (mapTo === 'ipv4_addr' || mapTo === 'ipv6_addr' || mapTo === 'inet_service' || mapTo === 'mark') {
          // a NAT map's address: one value (nft's ranges as data, NFT_NAT_F_INTERVAL, are not kept yet)
          const x = parseElem(mapTo, d);
          if (x.kind !== 'value') throw new Refusal('wxdp has no address ranges or prefixes as a NAT map\'s data yet', d.loc, false);
          e.data = x.lo;
        } else {
          if (!t.objects.some((o) => o.stmt.k === mapTo && o.name === name)) throw new Refusal(ENOENT, key.loc, true);
          e.obj = name;
        }
        const k = memcmpKey(type);
        // (the same element twice is one: nft merges it)
        const same = byKey.get(elemKey(e));
        if (same && sameData(same, e)) continue;
        if (same) throw new Refusal(EEXIST, key.loc, true);
        ranges ||= e.kind !== 'value';
        // (a concatenation's per-field intervals are the kernel's to check: nft_pipapo.ts)
        if (ranges && type !== 'concat') {
          for (const o of out) {
            if (cmpBytes(k(o.e.lo), k(e.hi)) <= 0 && cmpBytes(k(e.lo), k(o.e.hi)) <= 0) throw new Refusal('conflicting intervals specified', key.loc, false, o.loc);
          }
        }
      }
      // (a concatenation's element twice is one: measured, `{ 192.0.2.1 . 22, 192.0.2.1 . 22 }` lists once)
      if (fields && byKey.has(elemKey(e))) continue;
      byKey.set(elemKey(e), e);
      out.push({ e, loc: key.loc, opts });
    }
    return fields && anonFields(out.map((x) => x.e)) ? this.anonFieldElems(fields, out) : out;
  }

  /**
   * An anonymous set or map of per-field intervals as the kernel builds it (nft_set_pipapo, nft_pipapo.ts): each
   * element inserted after the ones before it, the same bounds again one element (another verdict: EEXIST), one
   * whose corner lies in an earlier element EEXIST (ENOTEMPTY), at that element.
   */
  private anonFieldElems(types: readonly DataType[], items: Array<{ e: Elem; loc: Loc; opts?: ElemOpts }>): Array<{ e: Elem; loc: Loc; opts?: ElemOpts }> {
    const out: typeof items = [];
    const taken = new FieldElems(types);
    for (const item of items) {
      const r = taken.insert(item.e);
      if (r === 'overlap' || (r !== 'fresh' && !sameData(r, item.e))) throw new Refusal(EEXIST, item.loc, true);
      if (r !== 'fresh') continue;
      taken.push(item.e);
      out.push(item);
    }
    return out;
  }

  /**
   * Elements into a named set (nft_add_set_elem): each with the set's counter and its timeout. An element that is
   * there already keeps its counter and takes a timeout or expiry written with it (measured on 6.18: even one that
   * had none); `create` (NLM_F_EXCL) refuses it with EEXIST. One pass over a key index: linear in the set's size.
   */
  private addElems(t: NftTable, set: NftSet, v: RawValue, excl = false): void {
    const now = this.now();
    const index = this.liveIndex(set);
    const interval = set.flags.includes('interval');
    // per-field intervals (nft_pipapo.ts): the kernel's checks, not nft's; nothing merged
    const fields = interval && set.concat ? new FieldElems(set.concat, set.elems) : undefined;
    const existing = interval && !set.autoMerge && !fields ? new IntervalIndex(set.type, set.elems) : undefined;
    const fresh = new Set<Elem>();
    // the set's elements (counted once, at the first new one: then one more each)
    let held: number | undefined;
    // (a named map's NAT data is one address and port: nft's `Value must be a singleton` for a range)
    for (const { e: written, loc, opts } of this.elems(t, set.type, set.mapTo, v, this.keyParser(set), undefined, true)) {
      // an interval set keeps what the kernel keeps, the bounds: nft lists them back as a value, a prefix or a range
      const e = interval && !fields ? canonical(set.type, written) : written;
      if (e.kind !== 'value' && !interval) {
        if (set.mapTo && e.kind === 'prefix') throw new Refusal("You must add 'flags interval' to your map declaration if you want to add prefix elements", loc, false);
        throw new Refusal('Set member cannot be range, missing interval flag on declaration', v.loc, false);
      }
      // nft's evaluation: an element's statements must be the set's (set_elem_stmt_list against set->stmt_list)
      if (opts?.counter && !set.counter) throw new Refusal('missing statement in set declaration', opts.counter.loc, false);
      if ((opts?.stmts ?? 0) > 1) throw new Refusal(`number of statements mismatch, set expects 1 but element has ${opts!.stmts}`, loc, false);
      this.elemTimeout(set, e, opts, loc, now);
      const k = elemKey(e);
      const put = fields?.insert(e);
      if (put === 'overlap') throw new Refusal(EEXIST, loc, true);
      const had = fields ? (put === 'fresh' ? undefined : put) : index.get(k);
      if (had && (excl || !sameData(had, e))) throw new Refusal(EEXIST, loc, true);
      // nft's own check against its cache (measured: `interval overlaps with an existing one` at the element)
      if (!had && existing?.overlaps(e)) throw new Refusal('interval overlaps with an existing one', loc, false);
      if (had) {
        if (opts?.timeout || opts?.expires) {
          const next = { ...had, timeout: e.timeout, expiration: e.expiration };
          this.store.replace(set, had, next);
          fields?.replace(had, next);
        }
        continue;
      }
      // nft_add_set_elem: atomic_add_unless(&set->nelems, 1, set->size + set->ndeact) — a set of a size holds that
      // many, what the packets added to a dynamic one included (ENFILE at the element; an interval set's bounds are
      // counted otherwise by the kernel's backends, not checked here)
      if (set.size && !interval && (held ??= this.elemCount(set)) >= set.size) throw new Refusal(ENFILE, loc, true);
      if (held !== undefined) held++;
      if (set.counter) e.counter = { k: 'counter', packets: opts?.counter?.packets ?? 0n, bytes: opts?.counter?.bytes ?? 0n, addr: 0 };
      if (opts?.comment !== undefined) e.comment = opts.comment;
      this.store.add(set, e);
      fields?.push(e);
      fresh.add(e);
    }
    if (set.autoMerge && !fields) set.elems = mergeIntervals(set.type, set.elems, fresh);
  }

  /**
   * The elements set `set` holds as this command leaves it so far (set->nelems): its own; a dynamic set's store's
   * (what the packets added and the control plane put there), less what this command deleted or flushed, plus what
   * it added.
   */
  private elemCount(set: NftSet): number {
    if (!set.live) return set.elems.length;
    const store = this.dynStores.get(set.live)!;
    const flushed = (set.flushed ?? 0) !== store.flushed;
    const now = new Set(set.elems);
    let n = flushed ? 0 : this.dp.memory.view().getUint32(set.live + 12, true);
    if (!flushed) for (const e of store.put.keys()) if (!now.has(e)) n--;
    for (const e of set.elems) if (flushed || !store.put.has(e)) n++;
    return n;
  }

  /**
   * nft_add_set_elem's timeout checks and state: a timeout or expiry needs a set of timeouts (EINVAL), an expiry a
   * timeout (EOPNOTSUPP) no shorter than it (ERANGE); the set's timeout is the default. Times are whole jiffies.
   */
  private elemTimeout(set: NftSet, e: Elem, written: ElemOpts | undefined, loc: Loc, now: number): void {
    // nft sends a timeout or an expiry only when it is not 0 (measured: `timeout 0s` takes the set's)
    const opts = { timeout: written?.timeout || undefined, expires: written?.expires || undefined };
    const given = opts.timeout !== undefined || opts.expires !== undefined;
    if (given && !set.flags.includes('timeout')) throw new Refusal(EINVAL, loc, true);
    if ((opts.timeout ?? 0) >= MSEC_MAX || (opts.expires ?? 0) >= MSEC_MAX) throw new Refusal(ERANGE, loc, true);
    const timeout = opts.timeout !== undefined ? jiffiesMs(opts.timeout) : set.timeout;
    if (opts.expires !== undefined) {
      if (timeout === 0) throw new Refusal(EOPNOTSUPP, loc, true);
      if (jiffiesMs(opts.expires) > timeout) throw new Refusal(ERANGE, loc, true);
    }
    if (timeout === 0) return;
    e.timeout = timeout;
    e.expiration = now + (opts.expires !== undefined ? jiffiesMs(opts.expires) : timeout);
  }

  /**
   * A named set's elements by key, its expired ones dropped first (nft_set_elem_expired: gone for lookups, dumps and
   * inserts alike; the kernel's GC frees them later, here the next change does).
   */
  private liveIndex(set: NftSet): Map<string, Elem> {
    const now = this.now();
    if (set.elems.some((e) => e.expiration !== undefined && now >= e.expiration)) set.elems = set.elems.filter((e) => e.expiration === undefined || now < e.expiration);
    return this.store.index(set);
  }

  /** The stack's clock in ms (element timeouts run on it, as the kernel's on jiffies). */
  private now(): number {
    return this.dp.stack.now();
  }

  // ---- statements: typing and checks ----

  /**
   * The map an object map or verdict map looks its key up in: a named one (it must exist, map to `mapTo`'s kind
   * and have the selector's key type), or the anonymous one written in the rule (intervals when it needs them:
   * nft sets NFT_SET_INTERVAL itself).
   */
  /**
   * An iface_index value: nft resolves the name to the device's index as it parses (an absent device is its error),
   * so `iif { eth0, eth1 }` holds two elements, listed in index order (the data path resolves names again as it
   * compiles: nft_compile.ts).
   */
  private ifaceElem(v: RawValue): Elem {
    const e = parseElem('iface_index', v);
    let index = this.env().ifindexes(e.name ?? '')[0];
    if (index === undefined || !this.dp.links.has(e.name ?? '')) {
      // not a device's name: nft takes an index (ifindex_type_parse: strtol base 10, 0 to INT_MAX; a bare number
      // comes to it as its decimal text, so `0x7` and `007` are 7), listed by the device's name when there is one,
      // else as the number (measured with nft 1.0.6: `meta oif 1` lists `oif "lo"`, `meta oif 7` `oif 7`)
      const t = e.name ?? '';
      const n = v.k === 'word' && /^(0x[0-9a-f]+|0[0-7]*|[1-9][0-9]*)$/i.test(t) ? (/^0[0-7]/.test(t) ? parseInt(t, 8) : Number(t)) : /^[0-9]+$/.test(t) ? Number(t) : NaN;
      if (!(n <= 0x7fffffff)) throw new Refusal('Interface does not exist', v.loc, false);
      index = n;
      e.name = this.dp.links.name(n);
      if (e.name === undefined) delete e.name;
    }
    new DataView(e.lo.buffer, e.lo.byteOffset).setUint32(0, index, false);
    e.hi.set(e.lo);
    return e;
  }

  private mapOperand(t: NftTable, m: RawValue, keyType: DataType, mapTo: NftObjType | 'verdict', selLoc: Loc, concat?: readonly DataType[]): { k: 'set'; elems: Elem[] } | { k: 'ref'; name: string } {
    if (m.k !== 'ref') {
      refuseAnonElemOpts(m, true);
      return { k: 'set', elems: this.elems(t, keyType, mapTo, m, keyType === 'iface_index' ? (key) => this.ifaceElem(key) : undefined).map((x) => x.e) };
    }
    const set = t.sets.find((x) => x.name === m.name);
    if (!set) throw this.setNotFound(m.name, m.loc);
    const verdicts = mapTo === 'verdict';
    if (verdicts && set.mapTo !== undefined && DATA_MAPS.has(set.mapTo)) throw new Refusal(`datatype mismatch: expected netfilter verdict, expression has type ${dataName(set.mapTo as MapData)}`, { ...selLoc, end: m.loc.end }, false); // (measured)
    if (set.mapTo === undefined || (verdicts ? set.mapTo !== 'verdict' : !['counter', 'quota', 'limit'].includes(set.mapTo))) throw new Refusal(verdicts ? 'Expression is not a map' : 'Expression is not a map with objects', m.loc, false); // (measured: `vmap @set`, `vmap @countermap`)
    if (set.type !== keyType || String(set.concat) !== String(concat)) throw new Refusal(`datatype mismatch, map expects ${typeName(set.type, set.concat)}, mapping expression has type ${typeName(keyType, concat)}`, m.loc, false, selLoc);
    return { k: 'ref', name: m.name };
  }

  /**
   * A named data map (`dnat to ip saddr map @m`, `meta mark set … map @m`): it must exist and be a map (nft's
   * expr_evaluate_map), of the key's type, to the data the statement reads (stmt_evaluate_arg).
   */
  private dataMapRef(t: NftTable, m: Extract<RawValue, { k: 'ref' }>, keyType: DataType, data: MapData, keyLoc: Loc, stmtLoc: Loc, concat?: readonly DataType[]): NftSet {
    const set = t.sets.find((x) => x.name === m.name);
    if (!set) throw this.setNotFound(m.name, m.loc);
    if (set.mapTo === undefined || set.mapTo === 'counter' || set.mapTo === 'quota' || set.mapTo === 'limit') throw new Refusal('Expression is not a map', m.loc, false);
    if (set.type !== keyType || (set.concat ?? []).join() !== (concat ?? []).join()) throw new Refusal(`datatype mismatch, map expects ${typeName(set.type, set.concat)}, mapping expression has type ${typeName(keyType, concat)}`, m.loc, false, keyLoc);
    if (set.mapTo !== data) throw new Refusal(`datatype mismatch: expected ${dataName(data)}, expression has type ${set.mapTo === 'verdict' ? 'netfilter verdict' : dataName(set.mapTo)}`, { ...keyLoc, end: m.loc.end }, false, stmtLoc);
    return set;
  }

  private selectorType(t: NftTable, s: { sel: Selector }): DataType {
    const { proto } = s.sel;
    // expr_evaluate_exthdr: an IPv6 extension header needs ip6 at the network base, an IPv4 option ip; a table of
    // another family is refused at the expression (measured: `frag id 1` in an ip table, `ip option rr exists` in an
    // ip6 or arp one — nft 1.0.6)
    const exthdrFam = proto === 'exthdr' ? 'ip6' : proto === 'ipopt' ? 'ip' : undefined;
    if (exthdrFam && (t.family === 'arp' || ((t.family === 'ip' || t.family === 'ip6') && t.family !== exthdrFam))) throw new Refusal(`cannot use exthdr with ${t.family}`, s.sel.loc, false);
    // the arp family's packets are ARP's: another protocol's header conflicts (nft's payload dependency)
    if (t.family === 'arp' && proto !== 'arp' && proto !== 'meta' && !s.sel.concat) throw new Refusal(`conflicting protocols specified: arp vs. ${proto}`, s.sel.loc, false);
    if (proto === 'arp' && t.family !== 'arp') throw new Refusal('wxdp has arp header matches only in the arp family yet', s.sel.loc, false);
    if ((proto === 'ether' || proto === 'vlan') && t.family === 'arp') throw new Refusal(`wxdp has ${proto} matches in the arp family not yet`, s.sel.loc, false);
    if ((proto === 'ip' && t.family === 'ip6') || (proto === 'ip6' && t.family === 'ip')) {
      throw new Refusal(`conflicting protocols specified: ${t.family === 'ip' ? 'ip' : 'ip6'} vs. ${proto}`, s.sel.loc, false);
    }
    // a conntrack address of the other family (measured: `ct original ip6 saddr` in an ip table)
    const ctFam = proto === 'ct' ? /^(?:original|reply) (ip6?) /.exec(s.sel.field)?.[1] : undefined;
    if (ctFam && (t.family === 'ip' || t.family === 'ip6') && ctFam !== t.family) throw new Refusal(`conflicting protocols specified: ${t.family} vs. ${ctFam}`, s.sel.loc, false);
    return selType(s.sel);
  }

  /** How a named set's elements' keys are read: by its type, or a concatenation's field by field. */
  private keyParser(set: NftSet): (key: RawValue) => Elem {
    const types = set.concat;
    if (set.type === 'iface_index') return (key) => this.ifaceElem(key);
    if (types?.includes('iface_index')) {
      return (key) => {
        throw new Refusal('wxdp has no elements with a device index in a concatenation but the ones packets add yet', key.loc, false);
      };
    }
    return types ? (key) => this.concatElem(types, key, undefined, set) : (key) => parseElem(set.type, key);
  }

  /** A concatenation's fields' types (each checked as a selector of its own: `conflicting protocols` at that field). */
  private concatTypes(t: NftTable, sel: Selector, dynset = false): DataType[] {
    const types = sel.concat!.map((f) => this.selectorType(t, { sel: f }));
    types.forEach((type, i) => {
      // iif / oif elements are device names the rule resolves to indexes when loaded: not kept per field yet (a set
      // the data path writes keeps the indexes the packets came with)
      if (type === 'iface_index' && !dynset) throw new Refusal(`wxdp does not support ${TYPE_NAMES[type]} in concatenations yet`, sel.concat![i]!.loc, false);
      // nft 1.0.6 shifts ip6 dscp's two bytes in a concatenation as one host-order word (listed `ip6 dscp >> 6`, its
      // elements as cs0): Linux 6.18 then matches none of the frames the rule names (measured, rv54: `ip6 dscp .
      // ip6 nexthdr { cs1 . udp }` passed traffic classes 0-0xff alike; wxdp matched cs1)
      if (type === 'dscp6') throw new Refusal('wxdp refuses ip6 dscp in a concatenation: with nft 1.0.6 the kernel matches none of its frames', sel.concat![i]!.loc, false);
    });
    // nft_concat's key lives in the 16 NFT_REG32 registers (NFT_REG32_COUNT)
    if (types.reduce((n, type) => n + ((TYPE_INFO[type].len + 3) & ~3), 0) > 64) throw new Refusal('wxdp keeps a concatenation in 64 bytes of registers, as the kernel does', sel.loc, false);
    return types;
  }

  /**
   * One element of a concatenation: a `.`-joined value with one component per field, each typed by its field
   * (nft's expr_evaluate_concat: a lone value is `invalid data type`, one component too many the concatenation's).
   * Ranges and prefixes per field are the kernel's pipapo sets (nft_pipapo.ts): an anonymous set's always, a named
   * set's with `flags interval` (without: nft's own error at the field, measured); each field then kept as the kernel's bounds list it back (a value, a prefix or a range).
   */
  private concatElem(types: readonly DataType[], v: RawValue, sel?: Selector, set?: NftSet): Elem {
    if (v.k !== 'concat') throw new Refusal(`invalid data type, expected ${typeName('concat', types)}`, v.loc, false);
    // (an element of a named set: its extra component has no type, `Can't parse symbolic invalid expressions`, measured)
    if (v.items.length > types.length && !sel) throw new Refusal("Can't parse symbolic invalid expressions", { ...v.dots[types.length - 1]!, end: v.items[types.length]!.loc.end }, false);
    if (v.items.length > types.length) throw new Refusal('too many concatenation components', v.loc, false, sel!.loc);
    if (v.items.length < types.length) throw new Refusal(`datatype mismatch, expected concatenation of (${types.map((x) => TYPE_NAMES[x]).join(', ')}), expression has type concatenation of (${types.slice(0, v.items.length).map((x) => TYPE_NAMES[x]).join(', ')})`, v.loc, false);
    const interval = !set || set.flags.includes('interval');
    let written = false;
    const parts = v.items.map((x, i) => {
      const e = parseElem(types[i]!, x);
      if (e.name?.endsWith('*')) throw new Refusal('wxdp does not support name wildcards in concatenations yet', x.loc, false);
      if (e.kind === 'value') return e;
      if (!interval) throw new Refusal(`You must add 'flags interval' to your ${set!.mapTo ? 'map' : 'set'} declaration if you want to add ${e.kind} elements`, x.loc, false);
      written = true;
      return canonical(types[i]!, e);
    });
    return { lo: concatKey(parts), hi: concatKey(parts.map((p) => ({ ...p, lo: p.hi }))), kind: written ? 'range' : 'value', parts };
  }

  /** `ip saddr . tcp dport { 192.0.2.1 . 22, … }` and `!=`: an exact lookup of the concatenated key (nft_set_hash). */
  private concatMatch(t: NftTable, s: Extract<Stmt, { k: 'match' }>): RStmt {
    const v = s.value;
    // (a device's index in a concatenation: looked up in a set the data path writes, whose keys are indexes)
    const types = this.concatTypes(t, s.sel, v.k === 'ref' && !!t.sets.find((x) => x.name === v.name)?.flags.includes('dynamic'));
    if (s.op !== 'eq' && s.op !== 'neq') throw new Refusal(`Relational expression (${{ lt: '<', gt: '>', lte: '<=', gte: '>=' }[s.op]}) is undefined for concat expressions`, s.sel.loc, false);
    if (v.k === 'ref') {
      const set = t.sets.find((x) => x.name === v.name);
      if (!set) throw this.setNotFound(v.name, v.loc);
      if (String(set.concat) !== String(types)) throw new Refusal(`datatype mismatch, expected ${typeName('concat', types)}, expression has type ${typeName(set.type, set.concat)}`, v.loc, false, s.sel.loc);
      return { k: 'match', sel: s.sel, type: 'concat', op: s.op, value: { k: 'ref', name: v.name }, loc: s.loc, concat: types };
    }
    if (v.k !== 'set') throw new Refusal('Use concatenations with sets and maps, not singleton values', s.sel.loc, false, v.loc);
    // the same element twice is one (measured: `{ 192.0.2.1 . 22, 192.0.2.1 . 22 }` lists once)
    refuseAnonElemOpts(v);
    const elems = this.elems(t, 'concat', undefined, v, (key) => this.concatElem(types, key, s.sel), types).map((x) => x.e);
    return { k: 'match', sel: s.sel, type: 'concat', op: s.op, value: { k: 'set', elems }, loc: s.loc, concat: types };
  }

  /**
   * A mark matched through binary operations (nft_bitwise.ts): the value's own constants folded, a top `^` moved into
   * the value (binop_transfer: a value or a set of values, not a range), the rest one NFT_BITWISE_BOOL before the
   * comparison, which then runs as a plain match's.
   */
  private bitwiseMatch(t: NftTable, ch: NftChain, s: Extract<Stmt, { k: 'match' }>): RStmt {
    const type = this.selectorType(t, s);
    const where = s.lhs ?? s.rhs!;
    // `ct state established | related`: the bitmask's values or-ed, as `established,related` (nft lists it so)
    const leaves = (e: BinExpr): RawValue[] | undefined => (e.k === 'val' ? [e.v] : e.k === 'op' && e.op === '|' ? [...(leaves(e.l) ?? [{ k: 'word', v: '', loc: e.loc }]), ...(leaves(e.r) ?? [])] : undefined);
    const ors = !s.lhs && (type === 'ct_state' || type === 'ct_status') ? leaves(s.rhs!) : undefined;
    if (ors && ors.every((x) => x.k === 'word' && x.v !== '')) return this.resolveRule(t, ch, [{ ...s, rhs: undefined, value: { k: 'list', items: ors, loc: s.rhs!.loc } }])[0]!;
    if (type === 'ipv4_addr' || type === 'ipv6_addr') return this.addrMaskMatch(t, ch, s, type);
    // marks (host order, 32 bits), and the one- and two-byte integers of headers (ip ttl, ip6 hoplimit, ports,
    // ip protocol / meta l4proto: network order)
    if (type !== 'mark' && type !== 'ct_status' && type !== 'integer8' && type !== 'integer16' && type !== 'inet_service' && type !== 'inet_proto') throw new Refusal('wxdp has binary operations (nft_bitwise) on marks, ct status, addresses, ip ttl, ip6 hoplimit, protocols, ports and header integers only', where.loc, false);
    const width = TYPE_INFO[type].len * 8;
    const fail: Fail = (msg, loc, kernel, also) => {
      throw new Refusal(msg, loc, kernel, also);
    };
    const mark = (v: RawValue): number => {
      const e = parseElem(type, v);
      if (TYPE_INFO[type].host) return new DataView(e.lo.buffer, e.lo.byteOffset).getUint32(0, true);
      return e.lo.reduce((n, b) => n * 256 + b, 0);
    };
    const constant = (e: Extract<BinExpr, { k: 'val' }>): number => {
      const e2 = parseElem(type, e.v);
      if (e2.kind !== 'value') throw new Refusal(`Binary operation is undefined for ${e2.kind} expressions`, e.loc, false);
      return mark(e.v);
    };
    const word = (v: number, loc: Loc): RawValue => ({ k: 'word', v: TYPE_INFO[type].host ? `0x${v.toString(16)}` : String(v), loc });
    let value = s.value;
    if (s.rhs) {
      const r = evalBinop(s.rhs, constant, fail, width);
      if (r.k !== 'const') throw new Refusal('Right hand side of relational expression must be constant', s.rhs.loc, false);
      value = word(r.v, s.rhs.loc);
    }
    let ops: Extract<Evaluated, { k: 'expr' }>['ops'] = [];
    if (s.lhs) {
      const l = evalBinop(s.lhs, constant, fail, width);
      if (l.k !== 'expr') throw new Refusal(`Relational expression (${OP_SYMBOL[s.op]}) has constant value`, s.lhs.loc, false, value.loc);
      ops = l.ops;
    }
    // a shift leaves an integer (expr_evaluate_shift), which nft does not compare with a mark (the value's errors first)
    if (ops.some((o) => o.op === '<<' || o.op === '>>')) {
      if (type !== 'mark') throw new Refusal('wxdp has no shifts in matches of header fields yet', s.lhs!.loc, false);
      if (value.k === 'word' || value.k === 'str') parseElem('mark', value);
      throw new Refusal('datatype mismatch, expected packet mark, expression has type integer', value.loc, false, s.lhs!.loc);
    }
    const top = ops[ops.length - 1];
    if (top?.op === '^') {
      const single = (v: RawValue): boolean => (v.k === 'word' || v.k === 'str') && parseElem(type, v).kind === 'value';
      if (single(value)) {
        value = word((mark(value) ^ top.v) >>> 0, value.loc);
        ops = ops.slice(0, -1);
      } else if (value.k === 'set' && value.elems.every(single)) {
        value = { ...value, elems: value.elems.map((x) => word((mark(x) ^ top.v) >>> 0, x.loc)) };
        ops = ops.slice(0, -1);
      }
    }
    const inner = this.resolveRule(t, ch, [{ ...s, lhs: undefined, rhs: undefined, value }])[0] as Extract<RStmt, { k: 'match' }>;
    const bits = bitOps(ops, fail, width)[0];
    return bits && bits.k === 'bool' ? { ...inner, bits: { mask: bits.mask, xor: bits.xor } } : inner;
  }

  /**
   * An address matched through `&`, `|`, `^` (nft_bitwise.ts addrBits): one NFT_BITWISE_BOOL over its 4 or 16 bytes
   * before the comparison, a top `^` moved into a value or a set of values. nft 1.0.6 lists a range after a mask as
   * garbage (`0xc0000200 [invalid type]/24-…`) and ands a prefix value's mask into the bitwise wrongly (byte order):
   * wxdp refuses those rather than evaluate what nft would not show back.
   */
  private addrMaskMatch(t: NftTable, ch: NftChain, s: Extract<Stmt, { k: 'match' }>, type: 'ipv4_addr' | 'ipv6_addr'): RStmt {
    const len = TYPE_INFO[type].len;
    const fail: Fail = (msg, loc, kernel, also) => {
      throw new Refusal(msg, loc, kernel, also);
    };
    const constant = (e: Extract<BinExpr, { k: 'val' }>): Uint8Array => {
      const el = parseElem(type, e.v);
      if (el.kind !== 'value') throw new Refusal(`Binary operation is undefined for ${el.kind} expressions`, e.loc, false);
      return el.lo;
    };
    let value = s.value;
    const shift = (loc: Loc): never => {
      // a shift leaves an integer (expr_evaluate_shift): the value is read as one, then the types differ
      if (value.k === 'word' || value.k === 'str') parseElem('integer32', value);
      throw new Refusal(`datatype mismatch, expected ${TYPE_NAMES[type]}, expression has type integer`, value.loc, false, loc);
    };
    const text = (b: Uint8Array, loc: Loc): RawValue => ({ k: 'word', v: formatElem(type, { kind: 'value', lo: b, hi: b }), loc });
    if (s.rhs) {
      const r = addrBits(s.rhs, constant, fail, len, shift);
      if (!(r instanceof Uint8Array)) throw new Refusal('Right hand side of relational expression must be constant', s.rhs.loc, false);
      value = text(r, s.rhs.loc);
    }
    const l = addrBits(s.lhs ?? { k: 'sel', sel: s.sel, loc: s.sel.loc }, constant, fail, len, shift);
    if (l instanceof Uint8Array) throw new Refusal(`Relational expression (${OP_SYMBOL[s.op]}) has constant value`, s.lhs!.loc, false, value.loc);
    const single = (v: RawValue): boolean => (v.k === 'word' || v.k === 'str') && parseElem(type, v).kind === 'value';
    let { mask, xor } = l;
    if (l.top) {
      const flip = (v: RawValue): RawValue => text(parseElem(type, v).lo.map((b, i) => b ^ l.top![i]!), v.loc);
      if (single(value)) value = flip(value);
      else if (value.k === 'set' && value.elems.every(single)) value = { ...value, elems: value.elems.map(flip) };
      else {
        // not moved: the `^` stays in the bitwise (after the rest)
        xor = xor.map((x, i) => x ^ l.top![i]!);
      }
    }
    if (value.k === 'set' ? !value.elems.every(single) : !single(value) && value.k !== 'ref')
      throw new Refusal('wxdp refuses a prefix or range after an address mask: nft 1.0.6 cannot list it back', value.loc, false);
    const inner = this.resolveRule(t, ch, [{ ...s, lhs: undefined, rhs: undefined, value }])[0] as Extract<RStmt, { k: 'match' }>;
    return { ...inner, abits: { mask, xor } };
  }

  /** `meta mark set EXPR` / `ct mark set EXPR` of binary operations: a constant, or a mark through nft_bitwise. */
  private bitwiseSet(t: NftTable, s: Extract<Stmt, { k: 'set' }>, expr: BinExpr): RStmt {
    const fail: Fail = (msg, loc, kernel, also) => {
      throw new Refusal(msg, loc, kernel, also);
    };
    const constant = (e: Extract<BinExpr, { k: 'val' }>): number => {
      const el = parseElem('mark', e.v);
      return new DataView(el.lo.buffer, el.lo.byteOffset).getUint32(0, true);
    };
    const r = evalBinop(expr, constant, fail);
    if (r.k === 'const') return { k: 'set', target: s.target, value: r.v };
    // stmt_evaluate_meta / _ct: the expression's type is the field's (`tcp dport & 0xff` is a service)
    const type = this.selectorType(t, { sel: r.sel });
    if (type !== 'mark') throw new Refusal(`datatype mismatch: expected packet mark, expression has type ${TYPE_NAMES[type]}`, expr.loc, false, s.loc);
    const key = this.natMapOf(t, { key: { k: 'sel', sel: r.sel, loc: r.sel.loc }, value: { k: 'set', elems: [], loc: s.loc } }, 'mark', s.loc).key;
    return { k: 'set', target: s.target, value: 0, key, bits: bitOps(r.ops, fail) };
  }

  /** `cmdLoc`: a command line's whole `add rule …`, where the kernel's refusal of the rule points (a block's: its statements). */
  private resolveRule(t: NftTable, ch: NftChain, stmts: Stmt[], cmdLoc?: Loc): RStmt[] {
    const ruleLoc = stmts.length ? cmdLoc ?? { ...stmts[0]!.loc, end: stmts[stmts.length - 1]!.loc.end } : undefined;
    const out: RStmt[] = [];
    let l4 = -1;
    /** The transport protocol a `ct proto-src` is typed by (ctProtoCheck): `ct protocol` fixes it where the family is known. */
    let l4ctx = -1;
    /** The network protocol the rule's matches fixed so far (nft's pctx network base: meta nfproto, ip, ip6, icmp…). */
    let net: 'ip' | 'ip6' | undefined;
    /** A netdev rule's match fixing another network protocol than IPv4 / IPv6 (a reject refuses it). */
    let netOther: Loc | undefined;
    let netLoc: Loc | undefined;
    let terminal: Loc | undefined;
    for (let s of stmts) {
      if (terminal) throw new Refusal('Statement after terminal statement has no effect', s.loc, false, terminal);
      // `rt nexthop`: the table's family says which (nft lists `rt ip nexthop`); inet's cannot
      if ((s.k === 'match' || s.k === 'vmap') && s.sel.proto === 'rt' && s.sel.field === 'nexthop') {
        if (t.family !== 'ip' && t.family !== 'ip6') throw new Refusal('cannot determine ip protocol version, use "ip nexthop" or "ip6 nexthop" instead', s.sel.loc, false);
        s = { ...s, sel: { ...s.sel, field: `${t.family} nexthop` } };
      }
      if (isTerminal(s)) terminal = s.loc;
      if (t.family === 'netdev' || t.family === 'arp') refuseInNetdev(s, t.family, ch.base?.hook, ruleLoc!);
      switch (s.k) {
        case 'match': {
          if (s.lhs || s.rhs) {
            out.push(this.bitwiseMatch(t, ch, s));
            break;
          }
          if (s.sel.concat) {
            out.push(this.concatMatch(t, s));
            for (const f of s.sel.concat) if (f.proto === 'tcp' || f.proto === 'udp') l4 = f.proto === 'tcp' ? 6 : 17;
            break;
          }
          if (s.sel.proto === 'fib') fibFamily(t, s.sel);
          // `fib … oif exists` / `missing`: nft's boolean (NFTA_FIB_F_PRESENT, one byte); the kernel refuses it of oifname (nft_fib_init)
          const present = s.sel.proto === 'fib' && !s.sel.field.endsWith(' type') && s.value.k === 'word' && (s.value.v === 'exists' || s.value.v === 'missing');
          if (present && s.sel.field.endsWith(' oifname')) throw new Refusal('Could not process rule: Invalid argument', s.sel.loc, true);
          if (s.sel.proto === 'ct' && /proto-(src|dst)$/.test(s.sel.field)) ctProtoCheck(s, l4ctx);
          const type = present ? 'boolean' : s.key ? 'integer32' : this.selectorType(t, s);
          let value: MatchValue;
          const one = foldedElem(s);
          const m = !one ? s : type === 'tcp_flag' && !s.explicitOp && s.op === 'eq' ? { ...s, op: 'neq' as const, mask: one, value: { k: 'word' as const, v: '0', loc: one.loc } } : { ...s, value: one };
          let op = m.op;
          const v = m.value;
          if (m.mask) {
            value = { k: 'masked', mask: parseElem(type, m.mask).lo[0]!, value: parseElem(type, v).lo[0]! };
          } else if (type === 'tcp_flag' && v.k === 'list') {
            value = { k: 'elem', e: parseElem(type, v) };
          } else if (v.k === 'ref') {
            const set = t.sets.find((x) => x.name === v.name);
            if (!set) throw this.setNotFound(v.name, v.loc);
            // `iif @s`: a set of names resolved when the rule is loaded, or one of indexes the data path wrote
            const want = type === 'iface_index' && set.type !== 'iface_index' ? 'ifname' : type;
            if (set.type !== want) throw new Refusal(`datatype mismatch, expected ${TYPE_NAMES[type]}, expression has type ${typeName(set.type, set.concat)}`, v.loc, false, s.sel.loc);
            value = { k: 'ref', name: v.name };
          } else if (v.k === 'set') {
            refuseAnonElemOpts(v);
            value = { k: 'set', elems: automerge(type, v.elems.map((e) => (type === 'iface_index' ? this.ifaceElem(e) : parseElem(type, e)))) };
          } else if (v.k === 'list') {
            let bits = 0;
            for (const i of v.items) bits |= new DataView(parseElem(type, i).lo.buffer).getUint32(0, true);
            value = { k: 'flags', bits };
          } else if (type === 'hour' && (v.k === 'str' || v.k === 'word') && v.v.indexOf('-', 1) > 0 && (m.op === 'eq' || m.op === 'neq') && overnight(v.v, v.loc)) {
            // a range across midnight (`"23:00"-"01:00"`): nft matches outside the other way round, `!= "01:00"-"23:00"`
            const at = v.v.indexOf('-', 1);
            const [a, b] = [v.v.slice(at + 1), v.v.slice(0, at)].map((x) => parseElem(type, { ...v, v: x }).lo);
            value = { k: 'elem', e: { lo: a!, hi: b!, kind: 'range' } };
            op = m.op === 'eq' ? 'neq' : 'eq';
          } else {
            value = { k: 'elem', e: type === 'iface_index' ? this.ifaceElem(v) : parseElem(type, v) };
          }
          if (s.key) {
            // numgen's and hash's number: nft's evaluator bounds the values compared with it (expr_evaluate_numgen /
            // _hash set ectx.maxval to offset + modulus - 1)
            const max = s.key.offset + s.key.mod - 1;
            const hi = (e: Elem): number => new DataView(e.hi.buffer, e.hi.byteOffset).getUint32(0, true);
            const over = (e: Elem, loc: Loc): void => {
              if (hi(e) > max) throw new Refusal(`Value ${hi(e)} exceeds valid range 0-${max}`, loc, false);
            };
            if (value.k === 'elem') over(value.e, v.loc);
            else if (value.k === 'set' && v.k === 'set') v.elems.forEach((x) => over(parseElem(type, x), x.loc));
          }
          if (m.op !== 'eq' && m.op !== 'neq' && value.k !== 'elem') throw new Refusal(`Relational expression (${m.op}) is undefined for set expressions`, s.loc, false);
          // ct state with `==` / `!=`: nft compares the whole value (cmp eq / neq of the states or-ed), measured
          // with --debug=netlink; implicit, it tests the bits (bitwise, cmp neq 0)
          const exact = (type === 'ct_state' || type === 'ct_status') && s.explicitOp && (m.op === 'eq' || m.op === 'neq') && (value.k === 'flags' || (value.k === 'elem' && value.e.kind === 'value'));
          if (exact && value.k === 'elem') value = { k: 'flags', bits: new DataView(value.e.lo.buffer, value.e.lo.byteOffset).getUint32(0, true) };
          out.push({ k: 'match', sel: s.sel, type, op, value, loc: s.loc, ...(exact ? { exact: true } : {}), ...(s.key ? { key: this.natKeyOf(t, s.key) as Exclude<NatMap['key'], { k: 'sel' }> } : {}) });
          if (value.k === 'elem' && value.e.kind === 'value' && m.op === 'eq' && type === 'inet_proto') l4 = value.e.lo[0]!;
          // (measured: `ct protocol tcp` types a later `ct reply proto-dst` in an ip table, not in an inet one)
          if (value.k === 'elem' && value.e.kind === 'value' && m.op === 'eq' && type === 'inet_proto' && !(s.sel.proto === 'ct' && t.family === 'inet')) l4ctx = value.e.lo[0]!;
          if (s.sel.proto === 'tcp' || s.sel.proto === 'udp') l4ctx = s.sel.proto === 'tcp' ? 6 : 17;
          if (s.sel.proto === 'tcp') l4 = 6;
          if (s.sel.proto === 'udp') l4 = 17;
          if (s.sel.proto === 'icmp' || s.sel.proto === 'icmpv6') l4 = s.sel.proto === 'icmp' ? 1 : 58;
          if (s.sel.proto === 'ip' || s.sel.proto === 'icmp') net = 'ip';
          if (s.sel.proto === 'ip6' || s.sel.proto === 'icmpv6') net = 'ip6';
          if (value.k === 'elem' && value.e.kind === 'value' && m.op === 'eq' && type === 'nf_proto') net = value.e.lo[0] === 2 ? 'ip' : value.e.lo[0] === 10 ? 'ip6' : net;
          if (value.k === 'elem' && value.e.kind === 'value' && m.op === 'eq' && type === 'ether_type' && t.family === 'netdev' && s.sel.proto !== 'vlan') {
            // skb->protocol or the Ethernet type fixes the network protocol nft's reject evaluates against (netdev)
            const et = (value.e.lo[0]! << 8) | value.e.lo[1]!;
            net = et === 0x0800 ? 'ip' : et === 0x86dd ? 'ip6' : undefined;
            netOther = net === undefined ? s.loc : undefined;
            netLoc = s.loc;
          }
          break;
        }
        case 'counter':
          out.push({ k: 'counter', packets: s.packets, bytes: s.bytes, addr: 0 });
          break;
        case 'verdict':
          if ((s.v === 'jump' || s.v === 'goto') && s.chain !== undefined) {
            const target = t.chains.find((x) => x.name === s.chain);
            if (!target) {
              // The kernel's ENOENT, then nft_cmd_enoent_rule's suggestion: the chain closest to the *rule's* chain
              // (not to the target) among every chain nft's cache holds, named only when it is another chain (so
              // never when the rule's own chain is the closest: measured with nft 1.0.6, `chain forward { jump
              // forwad }` gets no suggestion, `chain c { jump forwad }` beside a chain forward gets "did you mean
              // chain ‘forward’" — a one-letter name is no candidate).
              const best = closest(this.cacheChains(), ch.name, misspell);
              if (best && best.x.name !== ch.name) throw new Refusal(`No such file or directory; did you mean chain ‘${best.x.name}’ in table ${best.t.family} ‘${best.t.name}’?`, s.chainLoc!, true);
              throw new Refusal(ENOENT, s.chainLoc!, true);
            }
            if (target.base) throw new Refusal(EOPNOTSUPP, s.chainLoc!, true);
          }
          out.push({ k: 'verdict', v: s.v, chain: s.chain });
          break;
        case 'reject':
          if (netOther) throw new Refusal('cannot reject this network family', { ...s.loc, end: s.loc.col + 5 }, false, netOther);
          // nft's stmt_evaluate_reject_netdev words a family other than the one the rule fixed so, either way round
          if (t.family === 'netdev' && net && netLoc && (s.with === 'icmp' || s.with === 'icmpv6') && (s.with === 'icmp') !== (net === 'ip')) throw new Refusal('conflicting protocols specified: ip vs ip6', s.codeLoc!, false, netLoc);
          out.push(this.reject(t, s, net));
          break;
        case 'nat':
          if (ch.base?.type !== 'nat') throw new Refusal(EOPNOTSUPP, s.loc, true);
          out.push(this.nat(t, ch, s, l4));
          break;
        case 'set': {
          if (s.expr) {
            out.push(this.bitwiseSet(t, s, s.expr));
            break;
          }
          if (s.map) {
            const map = this.natMapOf(t, { key: s.key!, value: s.map }, 'mark', { ...s.loc, end: s.key!.loc.col - 1 });
            out.push({ k: 'set', target: s.target, value: 0, map });
            break;
          }
          if (s.key) {
            out.push({ k: 'set', target: s.target, value: 0, key: this.natMapOf(t, { key: s.key, value: { k: 'set', elems: [], loc: s.loc } }, 'mark', s.loc).key });
            break;
          }
          if (s.target === 'ct zone') {
            // nft_ct_set_init takes it at any hook: after conntrack the packet has its entry and it does nothing
            out.push({ k: 'set', target: s.target, value: new DataView(parseElem('zone16', s.value).lo.buffer).getUint16(0, true), ...(s.dir ? { dir: s.dir } : {}) });
            break;
          }
          if (s.target === 'meta pkttype') {
            // nft_meta_set_validate's hooks (prerouting; a netdev chain's ingress) are checked with the table
            // (fibHookRefused); the arp family has none (EOPNOTSUPP)
            out.push({ k: 'set', target: s.target, value: parseElem('pkt_type', s.value).lo[0]! });
            break;
          }
          const e = parseElem('mark', s.value);
          out.push({ k: 'set', target: s.target, value: new DataView(e.lo.buffer).getUint32(0, true) });
          break;
        }
        case 'notrack':
          out.push({ k: 'notrack' });
          break;
        case 'fwd': {
          // nft's stmt_evaluate_dup: in the ip and ip6 families an address of the table's family (its errors at the
          // address), then the device named, resolved to its index now (nft_dup_ipv4 / _ipv6); in netdev a device
          if (s.to && (t.family === 'ip' || t.family === 'ip6')) {
            const e = parseElem(t.family === 'ip' ? 'ipv4_addr' : 'ipv6_addr', s.to);
            if (e.kind !== 'value') throw new Refusal('wxdp takes one address after dup to (nft 1.0.6 aborts on a prefix or range there)', s.to.loc, false);
            if (s.device && !this.dp.links.has(s.device.v)) throw new Refusal('Interface does not exist', s.device.loc, false);
            out.push({ k: 'dup', family: t.family, addr: e.lo, ifindex: s.device ? this.dp.links.ifindex(s.device.v) : 0, name: s.device?.v });
            break;
          }
          if (s.device && t.family === 'netdev') throw new Refusal('cannot specify device', s.loc, false);
          // nft's stmt_evaluate_fwd / _dup: the netdev family only; the device resolved to its index now
          if (t.family !== 'netdev') throw new Refusal('unsupported family', s.loc, false);
          if (!this.dp.links.has(s.dev)) throw new Refusal('Interface does not exist', s.devLoc, false);
          const nh = s.nh && { family: s.nh.family, addr: parseElem(s.nh.family === 'ip' ? 'ipv4_addr' : 'ipv6_addr', s.nh.addr).lo };
          out.push({ k: 'fwd', dup: s.dup, ifindex: this.dp.links.ifindex(s.dev), name: s.dev, nh });
          break;
        }
        case 'flow':
          if (!t.flowtables.some((f) => f.name === s.name)) throw new Refusal(ENOENT, s.loc, true);
          out.push({ k: 'flow', name: s.name });
          break;
        case 'limit':
          out.push(this.limit(s));
          break;
        case 'quota':
          out.push(this.quota(s));
          break;
        case 'log':
          out.push(logStmt(s));
          break;
        case 'objref':
          // nft_objref_init: nft_obj_lookup by type and name in the rule's table, ENOENT at the name
          if (!t.objects.some((o) => o.stmt.k === s.type && o.name === s.name)) throw new Refusal(ENOENT, s.nameLoc, true);
          out.push({ k: 'objref', type: s.type, name: s.name });
          break;
        case 'objmap': {
          const keyType = this.selectorType(t, s);
          // a name is a string: a selector with no map is evaluated as the object's name (expr_evaluate_objref)
          if (!s.map) throw new Refusal(`datatype mismatch: expected string, expression has type ${TYPE_NAMES[keyType]}`, s.sel.loc, false, { ...s.loc, end: s.sel.loc.end });
          out.push({ k: 'objmap', type: s.type, sel: s.sel, keyType, map: this.mapOperand(t, s.map, keyType, s.type, s.sel.loc) });
          break;
        }
        case 'vmap': {
          if (s.key) {
            // a u32 in host order (nft's integer of 32 bits): numgen's or jhash's number as nft_lookup's key
            const key = this.natKeyOf(t, s.key);
            out.push({ k: 'vmap', sel: s.sel, keyType: 'integer32', map: this.mapOperand(t, s.map, 'integer32', 'verdict', s.key.loc), key });
            break;
          }
          if (s.sel.concat) {
            const types = this.concatTypes(t, s.sel);
            if (s.map.k !== 'ref') refuseAnonElemOpts(s.map, true);
            const map = s.map.k === 'ref' ? this.mapOperand(t, s.map, 'concat', 'verdict', s.sel.loc, types) : { k: 'set' as const, elems: this.elems(t, 'concat', 'verdict', s.map, (key) => this.concatElem(types, key, s.sel), types).map((x) => x.e) };
            out.push({ k: 'vmap', sel: s.sel, keyType: 'concat', map, concat: types });
            break;
          }
          if (s.sel.proto === 'fib') fibFamily(t, s.sel);
          const keyType = this.selectorType(t, s);
          out.push({ k: 'vmap', sel: s.sel, keyType, map: this.mapOperand(t, s.map, keyType, 'verdict', s.sel.loc) });
          break;
        }
        case 'optreset':
          out.push({ k: 'optreset', name: s.name });
          break;
        case 'optset': {
          // nft_exthdr_tcp_set_init: a 2- or 4-byte field only (EOPNOTSUPP, shown at the field)
          const at = tcpOptAt(s.sel.field);
          if (at.present || (at.len !== 2 && at.len !== 4)) throw new Refusal(EOPNOTSUPP, s.sel.loc, true);
          if (s.rt && at.len !== 2) throw new Refusal(`datatype mismatch: expected integer, expression has type integer`, s.loc, false);
          out.push({ k: 'optset', sel: s.sel, value: s.value ? parseElem(at.type, s.value).lo : undefined, rt: s.rt });
          break;
        }
        case 'dynset':
          out.push(this.dynset(t, s));
          break;
        case 'absent':
          // what a kernel without the expression's module (nft_connlimit, nft_synproxy) answers:
          // nf_tables_expr_parse finds no type (nft_expr_type_get: -ENOENT) and marks the expression
          // (NL_SET_BAD_ATTR), which nft shows at the statement
          throw new Refusal(ENOENT, s.loc, true);
      }
    }
    return out;
  }

  /**
   * A set statement or a meter (nft's stmt_evaluate_set / stmt_evaluate_meter, then nft_dynset_init's checks in its
   * order, each the kernel's errno at the statement). A meter makes its set the first time (NFT_SET_ANONYMOUS |
   * NFT_SET_EVAL, with NFT_SET_TIMEOUT when its key has a timeout; nft then writes `update`, else `add`).
   */
  private dynset(t: NftTable, s: Extract<Stmt, { k: 'dynset' }>): RStmt {
    const types = s.key.concat ? this.concatTypes(t, s.key, true) : undefined;
    const keyType = types ? 'concat' : this.selectorType(t, { sel: s.key });
    const timeout = s.timeout !== undefined ? jiffiesMs(s.timeout) : 0;
    let set = t.sets.find((x) => x.name === s.set);
    let op = s.op;
    if (s.meter) {
      // meter_stmt needs a statement in its braces (nft's grammar, measured: `syntax error, unexpected '}'`)
      if (s.exprs.length === 0) throw new Refusal("syntax error, unexpected '}'", { ...s.loc, col: s.loc.end, end: s.loc.end }, false);
      if (s.timeout !== undefined) op = 'update';
      if (!set) {
        set = { name: s.set, handle: this.meterHandles.get(s.set) ?? ++t.hgen, type: keyType, flags: s.timeout !== undefined ? ['dynamic', 'timeout'] : ['dynamic'], timeout: 0, counter: false, elems: [], size: s.meter.size, meter: true };
        if (types) set.concat = types;
        t.sets.push(set);
      }
    }
    if (!set) throw this.setNotFound(s.set, s.setLoc);
    if (set.type !== keyType || String(set.concat) !== String(types)) {
      throw new Refusal(`datatype mismatch: expected ${typeName(set.type, set.concat)}, expression has type ${typeName(keyType, types)}`, s.key.loc, false, s.loc);
    }
    // a map's data: of the map's type (nft's evaluation, before the kernel sees the rule)
    let data: Extract<RStmt, { k: 'dynset' }>['data'];
    if (s.data) {
      if (set.mapTo === undefined) throw new Refusal(`wxdp refuses data for set ${set.name}: it is not a map (nft 1.0.6 crashes on it)`, s.data.loc, false);
      if (set.mapTo === 'verdict' && !('sel' in s.data)) throw new Refusal("Can't parse symbolic netfilter verdict expressions", s.data.loc, false);
      if (set.mapTo === 'ipv4_addr . inet_service' || set.mapTo === 'ipv6_addr . inet_service') {
        // an address and a port: the fields into the data registers one each (`ip daddr . tcp dport`), or a constant
        const types = set.mapTo.split(' . ') as DataType[];
        const len = mapDataLen(set.mapTo);
        if ('sel' in s.data) {
          const fields = s.data.sel.concat ?? [s.data.sel];
          const tys = fields.map((f) => this.selectorType(t, { sel: f }));
          if (tys.join() !== types.join()) throw new Refusal(`datatype mismatch: expected ${dataName(set.mapTo)}, expression has type ${typeName(tys.length > 1 ? 'concat' : tys[0]!, tys.length > 1 ? tys : undefined)}`, s.data.loc, false, s.loc);
          data = { sel: s.data.sel, type: types[0]!, len };
        } else data = { value: natToData(set.mapTo, s.data.value, true), type: types[0]!, len };
      }
    }
    if (s.data && data === undefined && set.mapTo !== undefined) {
      const want = set.mapTo as DataType;
      if ('sel' in s.data) {
        const ty = this.selectorType(t, { sel: s.data.sel });
        if (ty !== want) throw new Refusal(`datatype mismatch: expected ${set.mapTo === 'verdict' ? 'netfilter verdict' : DATA_MAPS.has(set.mapTo) ? dataName(set.mapTo as MapData) : set.mapTo}, expression has type ${typeName(ty)}`, s.data.loc, false, s.loc);
        data = { sel: s.data.sel, type: want, len: TYPE_INFO[want].len };
      } else {
        const e = parseElem(want, s.data.value);
        if (e.kind !== 'value') throw new Refusal(`syntax error, unexpected ${e.kind}`, s.data.loc, false);
        data = { value: e.lo, type: want, len: TYPE_INFO[want].len };
      }
    }
    if (set.mapTo === 'counter' || set.mapTo === 'quota' || set.mapTo === 'limit') throw new Refusal(EOPNOTSUPP, s.loc, true); // NFT_SET_OBJECT
    if (set.flags.includes('interval')) throw new Refusal(EOPNOTSUPP, s.loc, true); // rbtree and pipapo have no update
    if (set.flags.includes('constant')) throw new Refusal(EBUSY, s.loc, true);
    if (s.timeout !== undefined && !set.flags.includes('timeout')) throw new Refusal(EOPNOTSUPP, s.loc, true);
    if (set.mapTo !== undefined && !data) throw new Refusal(EINVAL, s.loc, true); // a map's dynset needs a data register
    if (data && (set.mapTo === 'verdict' || !DATA_MAPS.has(set.mapTo!))) throw new Refusal(EINVAL, s.loc, true);
    if (s.exprs.length && !set.flags.includes('dynamic')) throw new Refusal(EINVAL, s.loc, true); // NFT_SET_EVAL
    if (s.exprs.length > 2) throw new Refusal(E2BIG, s.loc, true); // NFT_SET_EXPR_MAX
    const exprs = s.exprs.map((x) => (x.k === 'counter' ? { k: 'counter' as const, packets: 0n, bytes: 0n, addr: 0 } : x.k === 'limit' ? (this.limit(x) as Extract<RStmt, { k: 'limit' }>) : this.quota(x)));
    // the set's own expression (`counter` in its block): the statement's must be the same, or it is the elements'
    if (set.counter && exprs.length && (exprs.length !== 1 || exprs[0]!.k !== 'counter')) throw new Refusal(EOPNOTSUPP, s.loc, true);
    if (set.counter && exprs.length === 0) exprs.push({ k: 'counter', packets: 0n, bytes: 0n, addr: 0 });
    if (!set.size) set.size = 0xffff; // nft_dynset_init: a set bound without a size (or of size 0) gets 65535
    const r: RStmt = { k: 'dynset', op, set: set.name, sel: s.key, keyType, timeout, exprs };
    if (data) r.data = data;
    if (types) r.concat = types;
    if (s.meter) r.meter = true;
    return r;
  }

  /** nft_quota_do_init: a quota already used beyond its size is EINVAL. */
  private quota(s: Extract<Stmt, { k: 'quota' }>): Extract<RStmt, { k: 'quota' }> {
    if (s.used > s.bytes) throw new Refusal(EINVAL, s.loc, true);
    return { k: 'quota', bytes: s.bytes, used: s.used, inv: s.inv, addr: 0 };
  }

  /** nft_limit_init's checks: a zero rate is EINVAL; nsecs, rate + burst and the bucket must fit in a u64 (EOVERFLOW). */
  private limit(s: Extract<Stmt, { k: 'limit' }>): RStmt {
    if (s.rate === 0n) throw new Refusal(EINVAL, s.loc, true);
    const nsecs = BigInt(s.unit) * NSEC;
    let burst = BigInt.asUintN(32, s.burst); // nft's stmt->limit.burst and NFTA_LIMIT_BURST are u32
    if (!s.bytes && burst === 0n) burst = 5n; // nft_limit_init: NFT_LIMIT_PKT_BURST_DEFAULT for a packet limit without one
    if (s.rate + burst > U64) throw new Refusal(EOVERFLOW, s.loc, true);
    if ((s.bytes ? nsecs * (s.rate + burst) : (nsecs / s.rate) * burst) > U64) throw new Refusal(EOVERFLOW, s.loc, true);
    return { k: 'limit', bytes: s.bytes, rate: s.rate, unit: s.unit, burst, inv: s.inv, addr: 0 };
  }

  /** `net`: the network protocol the rule fixed before the reject (an inet table's plain `reject` then answers in its ICMP). */
  private reject(tt: NftTable, s: Extract<Stmt, { k: 'reject' }>, net?: 'ip' | 'ip6'): RStmt {
    // (refused in a netdev or arp table before: refuseInNetdev)
    const t = { family: tt.family === 'netdev' || tt.family === 'arp' ? 'inet' : tt.family };
    if (s.with === 'tcp') return { k: 'reject', type: 1, code: 0, family: t.family };
    if (s.with === undefined) {
      // nft's stmt_evaluate_reject_default: in inet, the port unreachable of the protocol known, else icmpx's
      if (t.family === 'inet' && net !== undefined) return { k: 'reject', type: 0, code: net === 'ip' ? 3 : 4, family: net };
      if (t.family === 'inet') return { k: 'reject', type: 2, code: 1, family: 'inet' };
      return { k: 'reject', type: 0, code: t.family === 'ip' ? 3 : 4, family: t.family };
    }
    const table = REJECT_CODES[s.with];
    const code = /^[0-9]+$/.test(s.code!) ? Number(s.code) : Number(Object.entries(table).find(([, n]) => n === s.code)?.[0] ?? NaN);
    // (a name nft does not know: `Could not parse icmp code`, measured with nft 1.0.6)
    if (!Number.isInteger(code) || table[code] === undefined) throw new Refusal(`Could not parse ${s.with === 'icmpx' ? 'icmpx' : s.with === 'icmp' ? 'icmp' : 'icmpv6'} code${Number.isInteger(code) ? ' type' : ''}`, s.codeLoc!, false);
    if (s.with === 'icmpx') return { k: 'reject', type: 2, code, family: t.family };
    const fam = s.with === 'icmp' ? 'ip' : 'ip6';
    if (t.family !== 'inet' && t.family !== fam) throw new Refusal(`conflicting protocols specified: ${t.family} vs. ${fam}`, s.loc, false);
    return { k: 'reject', type: 0, code, family: fam };
  }

  private nat(t: NftTable, ch: NftChain, s: Extract<Stmt, { k: 'nat' }>, l4: number): RStmt {
    const flagBits: Record<string, number> = { random: 4, persistent: 8, 'fully-random': 16 };
    let flags = 0;
    for (const f of s.flags) flags |= flagBits[f]!;
    let addr: [Uint8Array, Uint8Array] | undefined;
    /** Written as a range or a prefix (nft sends both address registers): listed as one, however narrow. */
    let range = false;
    let port: [number, number] | undefined;
    let family = s.family ?? (t.family === 'inet' ? undefined : t.family);
    const to = s.to;
    const loc = s.toLoc ?? s.loc;
    const portMap = s.portMap && this.natMapOf(t, s.portMap, 'inet_service', { ...s.loc, end: s.loc.col + s.type.length - 1 });
    if (portMap) {
      // the port register needs a transport protocol: matched before, or the address map's key's own (`dnat to tcp
      // dport map { … } : …`; nft evaluates that key, and its dependency, before it checks: the port map's key does
      // not count, measured)
      const k = s.map?.key;
      const keyL4 = k?.k === 'sel' && ['tcp', 'udp', 'th'].includes(k.sel.proto);
      if (!keyL4 && l4 !== 6 && l4 !== 17 && l4 !== 132 && l4 !== 33 && l4 !== 136) throw new Refusal('transport protocol mapping is only valid after transport protocol match', { ...s.portMap!.key.loc, end: s.portMap!.value.loc.end }, false, { ...s.loc, end: s.loc.col + s.type.length - 1 });
      flags |= 2;
    }
    if (s.map) {
      const fam = family === 'ip6' ? 'ip6' : 'ip';
      const kw = { ...s.loc, end: s.loc.col + s.type.length - 1 };
      // to an address and a port (`map { k : 198.51.100.1 . 8080 }`, a map of `… : ipv4_addr . inet_service`): the
      // port register needs a transport protocol, matched before or the key's own (nft's stmt_evaluate_nat_map)
      const v = s.map.value;
      const named = v.k === 'ref' ? t.sets.find((x) => x.name === v.name) : undefined;
      const withPort = named ? typeof named.mapTo === 'string' && named.mapTo.includes(' . ') : v.k === 'set' && v.elems.some((x) => x.k === 'pair' && x.data.k === 'concat');
      const addrType = fam === 'ip6' ? 'ipv6_addr' : 'ipv4_addr';
      if (withPort) {
        const k = s.map.key;
        const keyL4 = k.k === 'sel' && (k.sel.concat ?? [k.sel]).some((f) => ['tcp', 'udp', 'th'].includes(f.proto));
        if (!keyL4 && l4 !== 6 && l4 !== 17 && l4 !== 132 && l4 !== 33 && l4 !== 136) throw new Refusal('transport protocol mapping is only valid after transport protocol match', { ...k.loc, end: v.loc.end }, false, kw);
      }
      // (nft 1.0.6 fails an assertion on a port map after one: netlink_gen_nat_stmt, measured)
      if (withPort && s.portMap) throw new Refusal('wxdp has no port map after a NAT map to an address and a port (nft 1.0.6 aborts on it)', s.portMap.key.loc, false);
      // a named map to address ranges (`: interval ipv4_addr`): min and max, NF_NAT_RANGE_MAP_IPS over them
      // and an anonymous map whose data holds a range or a prefix: nft makes all its data intervals (a single address
      // among them then the kernel's EINVAL at its key, as a named map's; measured with nft 1.0.6 on Linux 6.18)
      const rangeData = (x: RawValue): boolean => (x.k === 'word' || x.k === 'str') && (x.v.includes('/') || x.v.indexOf('-', 1) > 0);
      const ranges = (typeof named?.mapTo === 'string' && named.mapTo === `interval ${addrType}`) || (!withPort && v.k === 'set' && v.elems.some((x) => x.k === 'pair' && rangeData(x.data)));
      // (a named map to address and port ranges, `: interval ipv4_addr . inet_service`, likewise)
      const portRanges = withPort && typeof named?.mapTo === 'string' && named.mapTo === `interval ${addrType} . inet_service`;
      const map = this.natMapOf(t, s.map, portRanges ? (`interval ${addrType} . inet_service` as MapData) : withPort ? (`${addrType} . inet_service` as NatTo) : ranges ? (`interval ${addrType}` as MapData) : addrType, kw);
      natHook(ch, s);
      // listed with its family even in an ip table (measured: `dnat ip to ip daddr . tcp dport map { … }`, and
      // `dnat ip to ip daddr map @m` of a map to address ranges)
      return { k: 'nat', type: s.type, family: fam, flags: flags | (withPort ? 3 : 1), text: `${s.type}${t.family === 'inet' || withPort || ranges ? ` ${fam}` : ''} to`, map, portMap };
    }
    if (to !== undefined) {
      let a = to;
      let p: string | undefined;
      const v6 = a.startsWith('[');
      if (v6) {
        // `[lo]:ports` or `[lo]-[hi]:ports` (nft's nat_stmt_args: a range of bracketed addresses)
        const close = a.indexOf(']');
        let rest = a.slice(close + 1);
        let range = a.slice(1, close);
        if (rest.startsWith('-[') && rest.includes(']')) {
          range += `-${rest.slice(2, rest.indexOf(']'))}`;
          rest = rest.slice(rest.indexOf(']') + 1);
        }
        p = close >= 0 && rest.startsWith(':') ? rest.slice(1) : undefined;
        a = range;
      } else if (a.startsWith(':')) {
        p = a.slice(1);
        a = '';
      } else if ((a.match(/:/g) ?? []).length === 1) {
        [a, p] = a.split(':') as [string, string];
      }
      if (a !== '') {
        const isV6 = a.includes(':');
        family ??= isV6 ? 'ip6' : 'ip';
        const parts = a.split('-');
        const [first, plen] = parts.length === 1 ? (parts[0]!.split('/') as [string, string?]) : [parts[0]!];
        const bits = family === 'ip6' ? 128 : 32;
        if (plen !== undefined && (!/^[0-9]+$/.test(plen) || Number(plen) > bits)) throw new Refusal('Could not resolve hostname: Name or service not known', loc, false);
        try {
          const lo = parseAddr(first, family === 'ip6' ? 'inet6' : 'inet').bytes.slice(0, bits / 8);
          const hi = parts[1] !== undefined ? parseAddr(parts[1], family === 'ip6' ? 'inet6' : 'inet').bytes.slice(0, lo.length) : lo.slice();
          // a prefix is the range of its addresses (nft's nat_evaluate_addr: host bits cleared, then set)
          addr = plen !== undefined ? prefixBounds(lo, Number(plen)) : [lo, hi];
          range = plen !== undefined || parts[1] !== undefined;
          flags |= 1;
        } catch {
          throw new Refusal('Could not resolve hostname: Name or service not known', loc, false);
        }
      }
      if (p !== undefined) {
        const [x, y] = p.split('-');
        const lo = Number(x);
        const hi = y === undefined ? lo : Number(y);
        if (!/^[0-9]+$/.test(x ?? '') || !Number.isInteger(hi) || lo > 65535 || hi > 65535) throw new Refusal('Service out of range', loc, false);
        if (l4 !== 6 && l4 !== 17 && l4 !== 132 && l4 !== 33 && l4 !== 136) {
          const at = loc.col + to.length - p.length;
          const kw = { ...s.loc, end: s.loc.col + s.type.length - 1 };
          throw new Refusal('transport protocol mapping is only valid after transport protocol match', { ...loc, col: at }, false, kw);
        }
        port = [lo, hi];
        flags |= 2;
      }
    }
    if ((s.type === 'snat' || s.type === 'dnat') && !addr) throw new Refusal('syntax error, unexpected newline', loc, false);
    natHook(ch, s);
    // how nft prints it back
    let text: string = s.type;
    if (t.family === 'inet' && addr) text += family === 'ip6' ? ' ip6' : ' ip';
    if (addr || port) {
      const f = family === 'ip6' ? 10 : 2;
      let a = '';
      if (addr) {
        // nft lists a range of a prefix's addresses as the prefix (/32 for one address written as a range), an
        // IPv6 one with ports unbracketed (`2001:db8::/126:80`, which nft cannot read back); other ranges as ranges
        const lo = formatAddr(f, addr[0]);
        const hi = formatAddr(f, addr[1]);
        const plen = range ? prefixLen(addr[0], addr[1]) : undefined;
        if (plen !== undefined) a = `${lo}/${plen}`;
        else {
          a = f === 10 && port ? `[${lo}]` : lo;
          if (range) a += f === 10 && port ? `-[${hi}]` : `-${hi}`;
        }
      }
      text += ` to ${a}${port ? `:${port[0]}${port[1] !== port[0] ? `-${port[1]}` : ''}` : ''}`;
    }
    if (!portMap) text += natFlagsText(flags);
    return { k: 'nat', type: s.type, family: family as 'ip' | 'ip6' | undefined, addr, port, flags, text, portMap };
  }

  /**
   * `dnat to KEY map { key : address, … }`: nft_lookup of the key (a field, numgen, jhash) into the address
   * register nft_nat reads (NF_NAT_RANGE_MAP_IPS, min and max the same register).
   */
  /** numgen's or jhash's key as the data path reads it, checked as nft_ng_inc_init / nft_jhash_init check it. */
  private natKeyOf(t: NftTable, k: Exclude<NatKey, { k: 'sel' }>): NatMap['key'] {
    if (k.mod === 0) throw new Refusal(ERANGE, k.loc, true);
    if (k.offset + k.mod - 1 > 0xffffffff) throw new Refusal(EOVERFLOW, k.loc, true);
    if (k.k === 'numgen') return { k: 'numgen', mode: k.mode, mod: k.mod, offset: k.offset, addr: 0 };
    const seed = k.seedSet ? k.seed : randomBytes(4).readUInt32LE(0);
    return { k: 'jhash', sel: k.sel, types: k.sel.concat ? this.concatTypes(t, k.sel) : [this.selectorType(t, k)], mod: k.mod, seed, seedSet: k.seedSet, offset: k.offset };
  }

  private natMapOf(t: NftTable, m: NonNullable<Extract<Stmt, { k: 'nat' }>['map']>, data: MapData, stmtLoc: Loc): NatMap {
    const k = m.key;
    let key: NatMap['key'];
    if (k.k === 'sel') key = k.sel.concat ? { k: 'sel', sel: k.sel, concat: this.concatTypes(t, k.sel) } : { k: 'sel', sel: k.sel };
    else if (k.k === 'numgen') key = { k: 'numgen', mode: k.mode, mod: k.mod, offset: k.offset, addr: 0 };
    else {
      // nft sends no seed when none is written: nft_jhash_init then draws one (get_random_bytes), listed as none
      const seed = k.seedSet ? k.seed : randomBytes(4).readUInt32LE(0);
      key = { k: 'jhash', sel: k.sel, types: k.sel.concat ? this.concatTypes(t, k.sel) : [this.selectorType(t, k)], mod: k.mod, seed, seedSet: k.seedSet, offset: k.offset };
    }
    // nft_ng_inc_init, nft_jhash_init: a modulus of 0 is ERANGE, offset + modulus - 1 past the u32 EOVERFLOW
    if (k.k !== 'sel' && k.mod === 0) throw new Refusal(ERANGE, k.loc, true);
    if (k.k !== 'sel' && k.offset + k.mod - 1 > 0xffffffff) throw new Refusal(EOVERFLOW, k.loc, true);
    const concat = key.k === 'sel' ? key.concat : undefined;
    const keyType = concat ? 'concat' : k.k === 'sel' ? this.selectorType(t, k) : 'integer32';
    if (m.value.k === 'ref') return { key, keyType, dataType: data, elems: [], ref: this.dataMapRef(t, m.value, keyType, data, k.loc, stmtLoc, concat).name };
    if (m.value.k !== 'set') throw new Refusal("syntax error, unexpected '@'", m.value.loc, false);
    refuseAnonElemOpts(m.value, true);
    const parse = concat ? (x: RawValue): Elem => this.concatElem(concat, x) : undefined;
    const items = this.elems(t, keyType, data, m.value, parse, concat);
    if (data.includes(' . ')) {
      // ranges in the data (twice the registers): every element's then, nft sends each as written (measured: the
      // kernel refuses the first of a shorter data with EINVAL, at its key); IPv6's ENODATA at the statement
      const alen = data.startsWith('ipv6') ? 16 : 4;
      const ranged = items.some((x) => x.e.data!.length > alen + 4);
      const short = ranged && items.find((x) => x.e.data!.length === alen + 4);
      if (short) throw new Refusal(EINVAL, short.loc, true);
      if (ranged && alen === 16) throw new Refusal('Could not process rule: No data available', stmtLoc, true);
    }
    return { key, keyType, dataType: data, elems: items.map((x) => x.e) };
  }

  // ---- publishing ----

  private counterReader(): CounterReader {
    const read = (addr: number, s: { packets: bigint; bytes: bigint }): { packets: bigint; bytes: bigint } => {
      if (addr === 0) return { packets: s.packets, bytes: s.bytes };
      return { packets: this.dp.memory.loadU64(addr), bytes: this.dp.memory.loadU64(addr + 8) };
    };
    return Object.assign(read, { now: this.now(), ifname: (i: number) => this.dp.links.name(i), dynElems: (set: NftSet) => this.dynElems(set) });
  }

  private env(): CompileEnv {
    return {
      fieldIndexMax: this.fieldIndexMax,
      elemsBase: (elems) => this.store.base(elems),
      ifindexes: (pattern) => {
        const links = this.dp.links;
        const wild = pattern.endsWith('*');
        const stem = wild ? pattern.slice(0, -1) : pattern;
        return links.indexes().filter((i) => {
          const n = links.name(i) ?? '';
          return wild ? n.startsWith(stem) : n === stem;
        });
      },
      flowtableId: (table, name) => {
        const ft = table.flowtables.find((f) => f.name === name);
        return ft?.id ?? 0;
      },
      logRing: () => this.logRing,
    };
  }

  private commit(next: NftState): void {
    const x = this.x;
    // counters, limits' buckets and quotas' consumed bytes: a block each, kept while their rule lives
    // (a named object's is its own, shared by the rules that reference it)
    const oldState = new Map<number, number>();
    for (const s of statefuls(this.state)) if (s.addr) oldState.set(s.addr, STATE_BYTES[s.k]);
    const keep = new Set<number>();
    const now = BigInt(this.dp.stack.exports<{ net_now(): bigint }>().net_now()) * 1_000_000n;
    for (const s of statefuls(next)) {
      if (s.addr === 0) {
        const a = x.rc_alloc(STATE_BYTES[s.k]) >>> 0;
        if (a === 0) throw new NftError('NFT_REJECTED', 'Error: Could not process rule: Cannot allocate memory', 0, 0, 'Could not process rule: Cannot allocate memory');
        const v = this.dp.memory.view(); // after the allocation: memory may have grown
        if (s.k === 'counter') {
          v.setBigUint64(a, s.packets, true);
          v.setBigUint64(a + 8, s.bytes, true);
        } else if (s.k === 'quota') v.setBigUint64(a, s.used, true);
        else if (s.k === 'numgen') v.setBigUint64(a, BigInt(s.mod - 1), true); // nft_ng_inc_init: atomic_set(counter, modulus - 1)
        else {
          // nft_limit_init: a full bucket, stamped now
          v.setUint32(a, 0, true);
          v.setBigUint64(a + 8, limitTokensMax(s), true);
          v.setBigUint64(a + 16, now, true);
        }
        s.addr = a;
      }
      keep.add(s.addr);
    }
    if (this.logRing === 0 && next.tables.some((t) => t.chains.some((c) => c.rules.some((r) => r.stmts.some((s) => s.k === 'log'))))) {
      const ring = x.rc_alloc(LOG_HDR + LOG_RING * LOG_REC) >>> 0;
      if (ring === 0) throw new NftError('NFT_REJECTED', 'Error: Could not process rule: Cannot allocate memory', 0, 0, 'Could not process rule: Cannot allocate memory');
      const v = this.dp.memory.view();
      new Uint8Array(v.buffer, v.byteOffset + ring, LOG_HDR).fill(0);
      this.logRing = ring;
    }
    this.flowtables(next);
    this.dynMade = [];
    let dynOld: number[];
    try {
      dynOld = this.dynLive(next);
    } catch (e) {
      this.dynUndo();
      throw e;
    }
    // hooks: which base chains are registered where
    const want = new Map<string, HookEntry>();
    let blobBytes: Uint8Array;
    try {
      blobBytes = compileRuleset(next, this.env(), this.slots);
    } catch (e) {
      // a per-field set's index past its bound: the kernel's words for a failed allocation, and which set
      this.dynUndo();
      if (!(e instanceof FieldIndexTooLarge)) throw e;
      const msg = `Could not process rule: Cannot allocate memory (${e.message})`;
      throw new NftError('NFT_REJECTED', `Error: ${msg}`, 0, 0, msg);
    }
    for (const t of next.tables) {
      for (const c of t.chains) {
        if (!c.base) continue;
        const slot = this.slots.get(chainKey(t, c))!;
        if (t.family === 'arp') {
          const hook = ARP_HOOKS[c.base.hook]!;
          want.set(`${NFPROTO_ARP}/${hook}/${c.base.prio}/${slot}`, [NFPROTO_ARP, hook, c.base.prio, NFK_CHAIN, slot, 0]);
          continue;
        }
        if (t.family === 'netdev') {
          this.netdevWant(c, slot, want);
          continue;
        }
        // a route chain runs as a filter chain, then routes a packet it re-marked again (nf_route_table_hook4/6)
        const kind = c.base.type === 'nat' ? NFK_NAT_CHAIN : c.base.type === 'route' ? NFK_ROUTE_CHAIN : NFK_CHAIN;
        const pfs = t.family === 'ip' ? [2] : t.family === 'ip6' ? [10] : [2, 10];
        for (const pf of pfs) want.set(`${pf}/${c.base.hook}/${c.base.prio}/${kind}/${slot}`, [pf, HOOKS[c.base.hook]!, c.base.prio, kind, slot, 0]);
      }
    }
    // what can fail comes first, so a failure changes nothing: the blob, then conntrack's references
    // (taken before the rules that use it run, dropped after the ones that used it are gone)
    const blob = x.rc_alloc(blobBytes.length) >>> 0;
    if (blob === 0) {
      this.dynUndo();
      throw new NftError('NFT_REJECTED', 'Error: Could not process rule: Cannot allocate memory', 0, 0, 'Could not process rule: Cannot allocate memory');
    }
    const ctWant = ctFamilies(next);
    const natWant = new Set([...want.values()].filter((h) => h[3] === NFK_NAT_CHAIN).map((h) => h[0]));
    const taken: number[] = [];
    const natTaken: number[] = [];
    try {
      for (const pf of ctWant) {
        if (this.ctHeld.has(pf)) continue;
        this.dp.conntrack.netnsGet(pf);
        taken.push(pf);
      }
      for (const pf of natWant) {
        if (this.natHeld.has(pf)) continue;
        this.dp.nat.registerFn(pf);
        natTaken.push(pf);
      }
    } catch (e) {
      for (const pf of taken) this.dp.conntrack.netnsPut(pf);
      for (const pf of natTaken) this.dp.nat.unregisterFn(pf);
      x.rc_retire(blob, blobBytes.length);
      this.dynUndo();
      throw e;
    }
    this.dynMade = [];
    this.dynElemsPut(next);
    this.unhook(want);
    const v = this.dp.memory.view();
    new Uint8Array(v.buffer, v.byteOffset + blob, blobBytes.length).set(blobBytes);
    const old = x.nft_publish(blob) >>> 0;
    if (old !== 0) x.rc_retire(old, this.blobSize);
    this.blob = blob;
    this.blobSize = blobBytes.length;
    this.hook(want);
    for (const pf of this.ctHeld) if (!ctWant.has(pf)) this.dp.conntrack.netnsPut(pf);
    this.ctHeld = ctWant;
    for (const pf of this.natHeld) if (!natWant.has(pf)) this.dp.nat.unregisterFn(pf);
    this.natHeld = natWant;
    for (const [a, size] of oldState) if (!keep.has(a)) x.rc_retire(a, size);
    for (const a of dynOld) {
      x.nft_dynset_free(a);
      this.dynStores.delete(a);
    }
    this.state = next;
  }

  /**
   * A refused command's new dynamic set stores retired (nothing published has them): they stayed until the next
   * publish that succeeded, so a command refused for ENOMEM part way through its sets (1100 default-size sets: the
   * first ~1000 stores made, 4 MB each) left every later dynamic set refused with ENOMEM too.
   */
  private dynUndo(): void {
    const x = this.x as NftExports;
    // never published: straight back on the free lists (retiring them needs memory to record them, which a command
    // refused because memory ran out no longer has: the stores were lost, and every later dynamic set refused)
    for (const [a, set] of this.dynMade) {
      x.nft_dynset_drop(a);
      this.dynStores.delete(a);
      set.live = undefined;
    }
    this.dynMade = [];
  }

  /**
   * The sets the data path writes (`flags dynamic`, or named by a dynset statement): a store each, made the first time
   * one is published (slots for 1.25 × its size, a power of two; each slot as large as the largest element template of
   * the rules that add to it). Returns the stores of sets that are gone, for the caller to retire once the new ruleset
   * is published. Nothing in a store changes here: the command may still be refused (dynElemsPut does that once
   * nothing can fail).
   */
  private dynLive(next: NftState): number[] {
    const x = this.x as NftExports & { nft_dynset_ctl(st: number, k: number, op: number, tlo: number, thi: number): number };
    const nomem = (): NftError => new NftError('NFT_REJECTED', 'Error: Could not process rule: Cannot allocate memory', 0, 0, 'Could not process rule: Cannot allocate memory');
    if (this.dynKey === 0) {
      this.dynKey = x.rc_alloc(128) >>> 0; // the key, then a map's data at +64
      if (this.dynKey === 0) throw nomem();
    }
    const keep = new Set<number>();
    for (const t of next.tables) {
      const tmpl = new Map<string, number>();
      for (const c of t.chains) for (const r of c.rules) for (const st of r.stmts) if (st.k === 'dynset') tmpl.set(st.set, Math.max(tmpl.get(st.set) ?? 0, dynsetTemplate(st.exprs).length));
      for (const set of t.sets) {
        // A set that has a store keeps it when the rules that add to it are gone: the elements the data path added
        // are only there (the kernel's set stays what it was, every element in it), and the rules read it. A data map
        // the data path writes (`add @m { ip saddr : 0x1 }`, or declared `flags dynamic`) keeps its data in its slots;
        // verdict and object maps keep their elements in the blob (nft's grammar gives a set statement no verdict or
        // object as data)
        if (!set.flags.includes('dynamic') && !tmpl.has(set.name) && !set.live) continue;
        if (set.mapTo !== undefined && !DATA_MAPS.has(set.mapTo)) continue;
        const klen = set.concat ? set.concat.reduce((n, ty) => n + ((TYPE_INFO[ty].len + 3) & ~3), 0) : TYPE_INFO[set.type].len;
        const dlen = set.mapTo !== undefined ? mapDataLen(set.mapTo as MapData) : 0;
        const need = 24 + ((klen + 7) & ~7) + ((dlen + 7) & ~7) + (tmpl.get(set.name) ?? 0);
        if (set.live && this.dynStores.get(set.live)!.slot < need) {
          throw new NftError('NFT_REJECTED', `Error: wxdp keeps a dynamic set's element statements as its first rules gave them: set ${set.name} cannot take larger ones`, 0, 0, `wxdp keeps a dynamic set's element statements as its first rules gave them: set ${set.name} cannot take larger ones`);
        }
        if (!set.live) {
          const size = set.size || 0xffff;
          let slots = 16;
          while (slots < size + (size >>> 2)) slots *= 2;
          // the store's table starts small and doubles as elements come (nft_dynset.ts), up to `slots`: one of
          // 4 GiB or more could never be held (a u32 address space), so the table stops growing at the largest that
          // could — the set is taken, as the kernel takes any size (rhashtable allocates as elements come; measured:
          // size 60000000 and 4294967295), its size still the limit; an insert past what memory holds fails (the rule
          // breaks), as the kernel's does
          while (TB_HDR + slots * need > 0xffffffff) slots /= 2;
          const a = x.nft_dynset_new(klen, dlen, set.size || 0xffffffff, need, slots, set.timeout % 2 ** 32, Math.floor(set.timeout / 2 ** 32), set.flags.includes('timeout') ? 1 : 0) >>> 0;
          if (a === 0) throw nomem();
          set.live = a;
          this.dynStores.set(a, { slot: need, put: new Map(), flushed: set.flushed ?? 0 });
          this.dynMade.push([a, set]);
        }
        keep.add(set.live);
        x.nft_dynset_reap(set.live);
      }
    }
    return [...this.dynStores.keys()].filter((a) => !keep.has(a));
  }

  /**
   * The elements the control plane added or deleted since (and a flush) put in or taken out of each dynamic set's
   * store — once the command can no longer be refused: nf_tables commits a batch whole or not at all, and the
   * elements the data path added live only in the store (a refused `flush set` had emptied it).
   */
  private dynElemsPut(next: NftState): void {
    for (const t of next.tables) {
      for (const set of t.sets) {
        if (!set.live) continue;
        const store = this.dynStores.get(set.live)!;
        const now = new Set(set.elems);
        const keyOf = (e: Elem): Uint8Array => this.dynKeyOf(set, e);
        const ctl = (key: Uint8Array, op: number, timeout: number, data?: Uint8Array): number => this.dynCtl(set.live!, key, op, timeout, data);
        if ((set.flushed ?? 0) !== store.flushed) {
          ctl(new Uint8Array(0), 2, 0);
          store.put.clear();
          store.flushed = set.flushed ?? 0;
        }
        // elements the data path added that `delete element` named (a flush in the same command came before them)
        for (const k of set.dels ?? []) ctl(k, 1, 0);
        delete set.dels;
        for (const [e, key] of store.put) {
          if (now.has(e)) continue;
          ctl(key, 1, 0);
          store.put.delete(e);
        }
        for (const e of set.elems) {
          if (store.put.has(e)) continue;
          const key = keyOf(e);
          ctl(key, 0, e.timeout ?? (set.flags.includes('timeout') ? set.timeout : 0), e.data);
          store.put.set(e, key);
        }
      }
    }
  }

  /** An element's key as a dynamic set's store holds it (the data path's register bytes). */
  private dynKeyOf(set: NftSet, e: Elem): Uint8Array {
    return set.concat ? e.lo : TYPE_INFO[set.type].host && e.lo.length === 4 && set.type !== 'iface_index' ? e.lo.slice().reverse() : e.lo;
  }

  /** nft_dynset_ctl on the store at `st` with `key` (and a map's `data`): 1 done (or found), 0 not. */
  private dynCtl(st: number, key: Uint8Array, op: number, timeout: number, data?: Uint8Array): number {
    const x = this.x as NftExports & { nft_dynset_ctl(st: number, k: number, op: number, tlo: number, thi: number): number };
    const v = this.dp.memory.view();
    new Uint8Array(v.buffer, v.byteOffset + this.dynKey, 128).fill(0).set(key);
    if (data) new Uint8Array(v.buffer, v.byteOffset + this.dynKey + 64, 64).set(data);
    return x.nft_dynset_ctl(st, this.dynKey, op, timeout % 2 ** 32, Math.floor(timeout / 2 ** 32));
  }

  /** Whether a dynamic set's store holds the element `e` now (live: not expired), one the data path may have added. */
  private dynHas(set: NftSet, e: Elem): boolean {
    return this.dynCtl(set.live!, this.dynKeyOf(set, e), 3, 0) === 1;
  }

  /**
   * A device key the data path wrote, as nft lists it: an index (big-endian in `lo`) by the device's name when one has
   * it (ifindex_type_print), a name (NUL-padded) as the name.
   */
  private dynDevice(lo: Uint8Array, type: 'iface_index' | 'ifname'): Elem {
    const e: Elem = { lo, hi: lo, kind: 'value' };
    const name = type === 'ifname' ? new TextDecoder().decode(lo.subarray(0, lo.indexOf(0) < 0 ? lo.length : lo.indexOf(0))) : this.dp.links.name(new DataView(lo.buffer, lo.byteOffset).getUint32(0, false));
    if (name !== undefined) e.name = name;
    return e;
  }

  /** A dynamic set's elements now, read from its store (nft_dynset.ts's slots), as a dump lists them. */
  private dynElems(set: NftSet): Elem[] | undefined {
    if (!set.live) return undefined;
    const m = this.dp.memory;
    const v = m.view();
    const st = set.live;
    const klen = v.getUint32(st, true);
    const dlen = v.getUint32(st + 36, true);
    const tb = v.getUint32(st + 48, true);
    const slots = v.getUint32(tb, true);
    const sb = v.getUint32(st + 16, true);
    const now = this.now();
    const table = [...this.txState.tables, ...this.state.tables].find((t) => t.sets.some((x) => x.live === st));
    const rules = table ? table.chains.flatMap((c) => c.rules.flatMap((r) => r.stmts)).filter((x): x is Extract<RStmt, { k: 'dynset' }> => x.k === 'dynset' && x.set === set.name) : [];
    const out: Elem[] = [];
    for (let i = 0; i < slots; i++) {
      const slot = tb + TB_HDR + i * sb;
      if (v.getUint32(slot, true) !== 1) continue;
      const exp = Number(m.loadU64(slot + 8));
      if (exp !== 0 && now >= exp) continue;
      const key = new Uint8Array(v.buffer.slice(v.byteOffset + slot + 24, v.byteOffset + slot + 24 + klen));
      let e: Elem;
      if (set.concat) {
        let at = 0;
        const parts = set.concat.map((ty) => {
          const len = TYPE_INFO[ty].len;
          const lo = key.slice(at, at + len);
          at += (len + 3) & ~3;
          // a device's index is in its register's host order (meta iif): listed by the device's name
          if (ty === 'iface_index') return this.dynDevice(lo.reverse(), ty);
          return ty === 'ifname' ? this.dynDevice(lo, ty) : { lo, hi: lo, kind: 'value' as const };
        });
        e = { lo: key, hi: key, kind: 'value', parts };
      } else {
        const lo = TYPE_INFO[set.type].host && klen === 4 && set.type !== 'iface_index' ? key.slice().reverse() : key;
        e = set.type === 'iface_index' || set.type === 'ifname' ? this.dynDevice(lo, set.type) : { lo, hi: lo, kind: 'value' };
      }
      if (dlen) e.data = new Uint8Array(v.buffer.slice(v.byteOffset + slot + 24 + ((klen + 7) & ~7), v.byteOffset + slot + 24 + ((klen + 7) & ~7) + dlen));
      const timeout = Number(m.loadU64(slot + 16));
      if (exp !== 0) {
        e.timeout = timeout;
        e.expiration = exp;
      }
      // the element's statements: their kinds as the first rule whose template has them, their state from the slot
      const tlen = v.getUint32(slot + 4, true);
      if (tlen) {
        const base = slot + 24 + ((klen + 7) & ~7) + ((dlen + 7) & ~7);
        const kinds: number[] = [];
        for (let p = base; p < base + tlen; p += (v.getUint32(p, true) & 0xff) === 17 ? 56 : 24) kinds.push(p);
        const src = rules.find((r) => r.exprs.length === kinds.length && r.exprs.every((x, j) => ({ counter: 12, limit: 17, quota: 18 })[x.k] === (v.getUint32(kinds[j]!, true) & 0xff)));
        if (src) e.exprs = src.exprs.map((x, j) => dynExprText(x, x.k === 'counter' ? { packets: m.loadU64(kinds[j]! + 8), bytes: m.loadU64(kinds[j]! + 16) } : x.k === 'quota' ? { packets: m.loadU64(kinds[j]! + 16), bytes: 0n } : undefined)).join(' ');
      }
      out.push(e);
    }
    return out;
  }

  /**
   * Flowtables get their ids from the flowtable stage (dp.flowtable, named nft.FAMILY.TABLE.NAME there, without
   * its own offload rule: `flow add @ft` rules offload); ones the new ruleset no longer has are deleted there.
   */
  private flowtables(next: NftState): void {
    const api = (this.dp as unknown as { flowtable?: FlowtableApi }).flowtable;
    const keep = new Set<string>();
    for (const t of next.tables) {
      for (const f of t.flowtables) {
        const key = `nft.${t.family}.${t.name}.${f.name}`;
        keep.add(key);
        if (f.id !== 0) {
          api?.setCounter(key, f.counter);
          continue;
        }
        // the table's family decides which connections conntrack tracks for it (inet: both)
        const family = t.family === 'ip6' ? 'ipv6' : t.family === 'inet' ? 'both' : 'ipv4';
        const had = this.localFlowtableIds.get(key);
        if (had !== undefined) api?.setCounter(key, f.counter);
        f.id = had ?? (api ? api.create({ name: key, devices: f.devices, offload: false, family, counter: f.counter }) + 1 : 0);
        this.localFlowtableIds.set(key, f.id);
      }
    }
    for (const key of [...this.localFlowtableIds.keys()]) {
      if (keep.has(key)) continue;
      api?.delete(key);
      this.localFlowtableIds.delete(key);
    }
  }

  /** A netdev chain's hooks: one per device of its list that exists now (nf_tables_register_hook). */
  private netdevWant(c: NftChain, slot: number, want: Map<string, HookEntry>): void {
    const hook = NETDEV_HOOKS[c.base!.hook]!;
    for (const name of c.base!.devices ?? []) {
      if (!this.dp.links.has(name)) continue;
      const ifindex = this.dp.links.ifindex(name);
      want.set(`${NFPROTO_NETDEV}/${hook}/${ifindex}/${c.base!.prio}/${slot}`, [NFPROTO_NETDEV, hook, c.base!.prio, NFK_CHAIN, slot, ifindex]);
    }
  }

  /** The registered hooks `want` no longer has, out. */
  private unhook(want: ReadonlyMap<string, HookEntry>): void {
    const x = this.x;
    for (const [k, [pf, hook, prio, kind, slot, ifindex]] of this.hooks) {
      if (want.has(k)) continue;
      if (pf === NFPROTO_NETDEV || pf === NFPROTO_ARP) x.nf_netdev_hook_unregister?.(pf === NFPROTO_ARP ? hook + 2 : hook, ifindex, prio, slot);
      else x.nf_hook_unregister?.(pf, hook, prio, kind, slot);
    }
  }

  /** The hooks of `want` not registered yet, in; `want` is then what is registered. */
  private hook(want: Map<string, HookEntry>): void {
    const x = this.x;
    for (const [k, [pf, hook, prio, kind, slot, ifindex]] of want) {
      if (this.hooks.has(k)) continue;
      if (pf === NFPROTO_NETDEV || pf === NFPROTO_ARP) x.nf_netdev_hook_register?.(pf === NFPROTO_ARP ? hook + 2 : hook, ifindex, prio, slot);
      else x.nf_hook_register?.(pf, hook, prio, kind, slot);
    }
    this.hooks = want;
  }

  /**
   * A device was added, removed or renamed: the netdev chains' hooks follow the names (Linux 6.18's
   * nf_tables_netdev_event: a chain naming a device hooks it when it appears and lets it go when it leaves).
   */
  devicesChanged(): void {
    const want = new Map([...this.hooks].filter(([, h]) => h[0] !== NFPROTO_NETDEV));
    for (const t of this.state.tables) {
      if (t.family !== 'netdev') continue;
      for (const c of t.chains) if (c.base) this.netdevWant(c, this.slots.get(chainKey(t, c))!, want);
    }
    this.unhook(want);
    this.hook(want);
  }

  /** The slot id a base chain is registered with (the `chain` argument of nft_do_chain); undefined: none. */
  chainSlot(family: NftFamily, table: string, chain: string): number | undefined {
    return this.slots.get(`${family}\0${table}\0${chain}`);
  }

  /** The ruleset blob's address (0: none published), for tests. */
  get blobAddress(): number {
    return this.blob;
  }
}

type RuleState = Extract<RStmt, { k: 'counter' | 'limit' | 'quota' }>;
/** A state block in the arena: a counter's, limit's or quota's, or numgen inc's counter. */
type Stateful = RuleState | Extract<NatMap['key'], { k: 'numgen' }>;
function isStateful(s: RStmt): s is RuleState {
  return s.k === 'counter' || s.k === 'limit' || s.k === 'quota';
}

/** Every state block a ruleset holds: its rules' anonymous counters, limits and quotas, and its named objects'. */
function* statefuls(st: NftState): Generator<Stateful> {
  for (const t of st.tables) {
    for (const o of t.objects) yield o.stmt;
    for (const c of t.chains) {
      for (const r of c.rules) {
        for (const s of r.stmts) {
          if (isStateful(s)) yield s;
          // numgen inc's counter (nft_ng_inc's atomic_t), kept while its rule lives
          else if (s.k === 'nat' || s.k === 'set' || s.k === 'vmap' || s.k === 'match') {
            for (const k of s.k === 'nat' ? [s.map?.key, s.portMap?.key] : s.k === 'vmap' || s.k === 'match' ? [s.key] : [s.map?.key ?? s.key]) if (k?.k === 'numgen' && k.mode === 'inc') yield k;
          }
        }
      }
    }
    for (const set of t.sets) if (set.counter) for (const e of set.elems) if (e.counter) yield e.counter;
  }
}

/** nf_msecs_to_jiffies64's bound: ms at or above U64_MAX / NSEC_PER_MSEC are ERANGE. */
const MSEC_MAX = Number(U64 / 1_000_000n);

/**
 * A timeout as the kernel keeps it (nf_msecs_to_jiffies64: ⌊ms / jiffy⌋, at least one jiffy for a nonzero one) and
 * lists it (nf_jiffies64_to_msecs), in ms: 1001ms is 1s, 1ms is 4ms (measured, HZ 250).
 */
function jiffiesMs(ms: number): number {
  return (Math.floor(ms / JIFFY_MS) || (ms > 0 ? 1 : 0)) * JIFFY_MS;
}

/** NFT_OBJ_MAXNAMELEN, its NUL included. */
const NFT_OBJ_MAXNAMELEN = 256;

/**
 * obj->use: the rules of the table that reference the object (nft_objref_init takes one, destroy drops it) and
 * the map elements that name it, named maps' and anonymous ones' (nft_set_elem_init: nft_use_inc).
 */
function objUse(t: NftTable, o: NftObj): number {
  const type = o.stmt.k;
  const named = (elems: Elem[]): number => elems.filter((e) => e.obj === o.name).length;
  let n = 0;
  for (const s of t.sets) if (s.mapTo === type) n += named(s.elems);
  for (const c of t.chains) {
    for (const r of c.rules) {
      for (const s of r.stmts) {
        if (s.k === 'objref' && s.type === type && s.name === o.name) n++;
        if (s.k === 'objmap' && s.map.k === 'set' && s.type === type) n += named(s.map.elems);
      }
    }
  }
  return n;
}

/** set->use: the rules that look the named set or map up (a match's `@s`, an object map's `map @m`). */
function setUse(t: NftTable, name: string): number {
  let n = 0;
  for (const c of t.chains) {
    for (const r of c.rules) for (const x of r.stmts) if ((x.k === 'match' && x.value.k === 'ref' && x.value.name === name) || ((x.k === 'objmap' || x.k === 'vmap') && x.map.k === 'ref' && x.map.name === name)) n++;
        else if ((x.k === 'nat' || x.k === 'set') && [x.map, x.k === 'nat' ? x.portMap : undefined].some((m) => m?.ref === name)) n++;
        else if (x.k === 'dynset' && x.set === name) n++;
  }
  return n;
}

/** The kernel's lookups by handle (nft_table_lookup_byhandle, nft_chain_lookup_byhandle, …): ENOENT at the number. */
function byHandle<T extends { handle: number }>(xs: readonly T[], h: Handle): T {
  const x = xs.find((y) => y.handle === h.n);
  if (!x) throw new Refusal(ENOENT, h.loc, true);
  return x;
}

/** What a map's elements may map to (`type KEY : …`). */
const MAP_DATA: ReadonlySet<string> = new Set<NonNullable<NftSet['mapTo']>>(['counter', 'quota', 'limit', 'verdict']);
/** What a data map may map to: what NAT's address and port and a mark read. */
const DATA_MAPS: ReadonlySet<string> = new Set<MapData>(['ipv4_addr', 'ipv6_addr', 'inet_service', 'mark', 'ipv4_addr . inet_service', 'ipv6_addr . inet_service', 'interval ipv4_addr', 'interval ipv6_addr', 'interval ipv4_addr . inet_service', 'interval ipv6_addr . inet_service']);
/** A data map element's data bytes as its registers hold them (an address and a port: the port in its own register). */
function mapDataLen(d: MapData): number {
  return { ipv4_addr: 4, ipv6_addr: 16, inet_service: 2, mark: 4, 'ipv4_addr . inet_service': 8, 'ipv6_addr . inet_service': 20, 'interval ipv4_addr': 8, 'interval ipv6_addr': 32, 'interval ipv4_addr . inet_service': 16, 'interval ipv6_addr . inet_service': 40 }[d];
}

/**
 * A NAT map element's address and port (`198.51.100.1 . 8080`): the address's bytes, then the port's two in a
 * register of its own (four bytes, as nft sends them: `016433c6 0000901f`).
 */
function natToData(mapTo: NatTo, d: RawValue, single: boolean): Uint8Array {
  const items = d.k === 'concat' ? d.items : [d];
  // nft reads a third component as neither (measured)
  if (d.k === 'concat' && items.length > 2) throw new Refusal("Can't parse symbolic invalid expressions", { ...d.dots[1]!, end: items[2]!.loc.end }, false);
  const addr = parseElem(mapTo === 'ipv4_addr . inet_service' ? 'ipv4_addr' : 'ipv6_addr', items[0]!);
  const port = items[1] ? parseElem('inet_service', items[1]) : undefined;
  if (!port) throw new Refusal(`invalid data type, expected ${dataName(mapTo)}`, d.loc, false);
  if (single && (addr.kind !== 'value' || port.kind !== 'value')) throw new Refusal('Value must be a singleton', d.loc, false);
  const alen = addr.lo.length;
  if (addr.kind === 'value' && port.kind === 'value') {
    const out = new Uint8Array(alen + 4);
    out.set(addr.lo, 0);
    out.set(port.lo, alen);
    return out;
  }
  // a range or a prefix in either (`198.51.100.0/30 . 80-81`): nft sends min address, min port, max address, max
  // port (`006433c6 00005000 036433c6 00005100`, NFTA_NAT_REG_ADDR_MAX and _PROTO_MAX their registers)
  const out = new Uint8Array(2 * (alen + 4));
  out.set(addr.lo, 0);
  out.set(port.lo, alen);
  out.set(addr.hi, alen + 4);
  out.set(port.hi, 2 * alen + 4);
  return out;
}
/** The arena block of each stateful statement (nft_stateful.ts draws the limit's and the quota's). */
const STATE_BYTES: Readonly<Record<Stateful['k'], number>> = { counter: 16, limit: 24, quota: 8, numgen: 8 };

// Keep in step with assembly/net/nft_stateful.ts
const LOG_RING = 256;
const LOG_REC = 512;
const LOG_HDR = 16;
const LOG_PREFIX = 32;
const LOG_MAC = 160;
const LOG_PKT = 176;
const HOOK_NAMES = ['prerouting', 'input', 'forward', 'output', 'postrouting'] as const;

/** One log entry: what nf_log_packet hands a logger, with the headers nf_log_ip / nf_log_ipv6 print decoded. */
export interface NftLogEntry {
  prefix: string;
  hook: (typeof HOOK_NAMES)[number] | 'ingress' | 'egress';
  family: 'ip' | 'ip6' | 'netdev' | 'arp';
  /** NF_LOG_TYPE_ULOG (a `group`, nfnetlink_log) or NF_LOG_TYPE_LOG (a `level`, the kernel's log). */
  type: 'ulog' | 'log';
  level?: string;
  group?: number;
  /** NF_LOG_* flags. */
  flags: number;
  iif: string;
  oif: string;
  mark: number;
  /** The packet's length (from its network header) and the bytes copied of it. */
  len: number;
  packet: Uint8Array;
  src: string;
  dst: string;
  proto: number;
  ttl: number;
  sport?: number;
  dport?: number;
  /**
   * A `log` to the kernel log (type 'log', a level below audit): the line nf_log_syslog writes for the
   * packet, its level as the syslog priority (`<4>PREFIX IN=eth0 OUT=eth1 MAC=… SRC=… …`).
   */
  line?: string;
}

function logEntry(v: DataView, r: number, link: (i: number) => LinkView | undefined): NftLogEntry {
  const b = new Uint8Array(v.buffer, v.byteOffset + r, LOG_REC);
  const pf = b[1]!;
  const type = b[2] === 1 ? 'ulog' : 'log';
  const pfx = b.subarray(LOG_PREFIX, LOG_MAC);
  const nul = pfx.indexOf(0);
  const cap = v.getUint32(r + 24, true);
  const packet = b.slice(LOG_PKT, LOG_PKT + cap);
  // the netdev family: skb->protocol says what the packet is (its fields below read as IPv4's or IPv6's, else empty);
  // the arp family's is ARP (NF_ARP_IN / NF_ARP_OUT: 0, 1)
  const netdev = pf === 5;
  const arp = pf === NFPROTO_ARP;
  const l2proto = netdev ? (b[30]! << 8) | b[31]! : arp ? 0x0806 : pf === 10 ? 0x86dd : 0x0800;
  const v6 = l2proto === 0x86dd;
  const ip = l2proto === 0x0800 || v6;
  const l4 = v6 ? 40 : ((packet[0] ?? 0) & 0xf) * 4;
  const proto = ip ? packet[v6 ? 6 : 9] ?? 0 : 0;
  const frag = !v6 && ((((packet[6] ?? 0) << 8) | (packet[7] ?? 0)) & 0x1fff) !== 0;
  const ports = (proto === 6 || proto === 17) && !frag && packet.length >= l4 + 4;
  const e: NftLogEntry = {
    prefix: new TextDecoder().decode(pfx.subarray(0, nul < 0 ? pfx.length : nul)),
    hook: netdev ? (b[0] === 1 ? 'egress' : 'ingress') : arp ? (b[0] === 1 ? 'output' : 'input') : HOOK_NAMES[b[0]!] ?? 'prerouting',
    family: netdev ? 'netdev' : arp ? 'arp' : v6 ? 'ip6' : 'ip',
    type,
    flags: v.getUint16(r + 6, true),
    iif: link(v.getUint32(r + 8, true))?.name ?? '',
    oif: link(v.getUint32(r + 12, true))?.name ?? '',
    mark: v.getUint32(r + 16, true),
    len: v.getUint32(r + 20, true),
    packet,
    src: ip && packet.length >= (v6 ? 24 : 16) ? formatAddr(v6 ? 10 : 2, packet.subarray(v6 ? 8 : 12, v6 ? 24 : 16)) : '',
    dst: ip && packet.length >= (v6 ? 40 : 20) ? formatAddr(v6 ? 10 : 2, packet.subarray(v6 ? 24 : 16, v6 ? 40 : 20)) : '',
    proto,
    ttl: ip ? packet[v6 ? 7 : 8] ?? 0 : 0,
  };
  if (ports) {
    e.sport = (packet[l4]! << 8) | packet[l4 + 1]!;
    e.dport = (packet[l4 + 2]! << 8) | packet[l4 + 3]!;
  }
  if (type === 'ulog') e.group = v.getUint16(r + 4, true);
  else e.level = LOG_LEVELS[b[3]!];
  if (type === 'log' && b[3]! < NFT_LOGLEVEL_AUDIT) {
    const iif = v.getUint32(r + 8, true);
    const inDev = iif !== 0 ? link(iif) : undefined;
    e.line = nfLogSyslogLine({
      pf, level: b[3]!, logflags: e.flags, prefix: e.prefix, len: e.len, packet, mark: e.mark,
      in: iif !== 0 ? e.iif : undefined, out: v.getUint32(r + 12, true) !== 0 ? e.oif : undefined,
      inType: inDev?.kind === 'loopback' ? ARPHRD_LOOPBACK : ARPHRD_ETHER,
      mac: iif !== 0 || netdev ? b.slice(LOG_MAC, LOG_MAC + 14) : undefined,
      ...(netdev ? { proto: l2proto, llen: b[0] === 1 ? 14 : 0, vlan: b[174] || b[175] ? { proto: (b[174]! << 8) | b[175]!, tci: (b[28]! << 8) | b[29]! } : undefined } : {}),
    });
  }
  return e;
}

/** A `type` word nft knows and wxdp has a name for (not its internal integer8/16, concat): its description. */
function knownType(word: string): string | undefined {
  return Object.hasOwn(TYPE_NAMES, word) && !['integer8', 'integer16', 'integer32', 'concat'].includes(word) ? TYPE_NAMES[word as DataType] : undefined;
}

const OP_SYMBOL: Readonly<Record<string, string>> = { eq: '==', neq: '!=', lt: '<', gt: '>', lte: '<=', gte: '>=' };
const TYPE_NAMES: Readonly<Record<DataType, string>> = {
  ipv4_addr: 'IPv4 address', ipv6_addr: 'IPv6 address', inet_service: 'internet network service', inet_proto: 'Internet protocol',
  mark: 'packet mark', iface_index: 'network interface index', ifname: 'network interface name', ct_state: 'conntrack state', ct_status: 'conntrack status', fib_addrtype: 'fib address type', boolean: 'boolean type',
  ct_dir: 'conntrack direction', nf_proto: 'netfilter protocol', integer8: 'integer', integer16: 'integer', integer32: 'integer', integer32be: 'integer', integer16h: 'integer',
  arp_op: 'ARP operation', ether_addr: 'Ethernet address', ether_type: 'Ethernet protocol', vlan_id: 'integer', vlan_pcp: 'integer', vlan_dei: 'integer', bits4h: 'integer', bits4l: 'integer', ecn6: 'Explicit Congestion Notification', flowlabel: 'integer', frag_off: 'integer', frag_res2: 'integer', frag_mf: 'integer', integer64h: 'integer', dscp: 'Differentiated Services Code Point', dscp6: 'Differentiated Services Code Point', ecn: 'Explicit Congestion Notification', icmp_type: 'ICMP type', icmpv6_type: 'ICMPv6 type', icmp_code: 'icmp code', icmpv6_code: 'icmpv6 code', tcp_flag: 'TCP flag',
  uid: 'user ID', gid: 'group ID', pkt_type: 'packet type', iface_type: 'network interface type', zone16: 'integer', day: 'Day of week of packet reception', hour: 'Hour of day of packet reception', ct_time: 'relative time', time: 'Relative time of packet reception', concat: 'concatenation',
};

/** A key type as nft names it: `concatenation of (IPv4 address, internet network service)` for a concatenation. */
/** A data map's data type's name: a type's, or an address and a port's (a concatenation). */
function dataName(data: MapData): string {
  if (data.startsWith('interval ')) return typeName(data.slice(9) as DataType);
  return data.includes(' . ') ? typeName('concat', data.split(' . ') as DataType[]) : typeName(data as DataType);
}

function typeName(type: DataType, concat?: readonly DataType[]): string {
  return concat ? `concatenation of (${concat.map((x) => TYPE_NAMES[x]).join(', ')})` : TYPE_NAMES[type];
}

/** An anonymous set drops the elements another one covers, as nft's automerge does. */
function automerge(type: DataType, elems: Elem[]): Elem[] {
  // a value written twice is one element (`{ 1, host-unreachable }`, measured)
  if (!elems.some((e) => e.kind !== 'value')) {
    const seen = new Set<string>();
    return elems.filter((e) => {
      const k = Buffer.from(e.lo).toString('hex');
      return !seen.has(k) && !!seen.add(k);
    });
  }
  // with a range or prefix among them the set is an interval one: nft merges what overlaps or touches into one
  // element, listed as a value, a prefix or a range (measured: `{ 1, 2-5 }` is `{ 1-5 }`, `{ 1-5, 6, 9 }` is
  // `{ 1-6, 9 }`, 10.0.0.0/25 and 10.0.0.128/25 are 10.0.0.0/24); an element inside another is dropped
  const back = memcmpKey(type);
  return runs(type, elems, true).map((r) => (r.grew.length === 1 ? r.grew[0]! : canonical(type, { ...r.grew[0]!, lo: back(r.lo), hi: back(r.hi), kind: 'range', plen: undefined })));
}

/**
 * nft_chain_validate's depth: a chain reached by a jump or goto from a base chain is one level deeper, and
 * reaching level NFT_JUMP_STACK_SIZE (16) is EMLINK, which also ends a loop (measured: 15 chains deep pass,
 * 16 do not; a loop is refused at the rule that closes it).
 */
function tooDeep(t: NftTable): boolean {
  const targets = (c: NftChain): string[] => c.rules.flatMap((r) => jumpTargets(t, r.stmts));
  const deepest = new Map<NftChain, number>(); // a chain seen as deep before has nothing new to show
  const walk = (c: NftChain, level: number): boolean => {
    if (level === 16) return true;
    if ((deepest.get(c) ?? -1) >= level) return false;
    deepest.set(c, level);
    for (const n of targets(c)) {
      const next = t.chains.find((x) => x.name === n);
      if (next && walk(next, level + 1)) return true;
    }
    return false;
  };
  return t.chains.some((c) => c.base !== undefined && walk(c, 0));
}

/** The chains a rule's statements may jump or go to: its verdict's, its verdict maps' elements'. */
function jumpTargets(t: NftTable, stmts: readonly RStmt[]): string[] {
  const out: string[] = [];
  for (const x of stmts) {
    if (x.k === 'verdict' && x.chain !== undefined) out.push(x.chain);
    if (x.k !== 'vmap') continue;
    const elems = x.map.k === 'set' ? x.map.elems : t.sets.find((s) => s.name === (x.map as { name: string }).name)?.elems ?? [];
    for (const e of elems) if (e.verdict?.chain !== undefined) out.push(e.verdict.chain);
  }
  return out;
}

/** A map element's data, the same (an object's name, a verdict and its chain). */
/** Where each NAT type may be (nft_nat_validate: EOPNOTSUPP at the statement). */
function natHook(ch: NftChain, s: Extract<Stmt, { k: 'nat' }>): void {
  const hook = ch.base?.hook;
  if (hook === undefined) return;
  if (s.type === 'snat' && hook !== 'postrouting' && hook !== 'input') throw new Refusal(EOPNOTSUPP, s.loc, true);
  if (s.type === 'dnat' && hook !== 'prerouting' && hook !== 'output') throw new Refusal(EOPNOTSUPP, s.loc, true);
  if (s.type === 'masquerade' && hook !== 'postrouting') throw new Refusal(EOPNOTSUPP, s.loc, true);
}

function sameData(a: Elem, b: Elem): boolean {
  return a.obj === b.obj && a.verdict?.v === b.verdict?.v && a.verdict?.chain === b.verdict?.chain && String(a.data) === String(b.data);
}

/** An interval as nft lists it back: one value, a prefix (addresses), or a range. */
function canonical(type: DataType, e: Elem): Elem {
  if (e.name !== undefined) return e;
  if (cmpBytes(e.lo, e.hi) === 0) return { ...e, kind: 'value', plen: undefined };
  if (type === 'ipv4_addr' || type === 'ipv6_addr') {
    const plen = prefixLen(e.lo, e.hi);
    if (plen !== undefined) return { ...e, kind: 'prefix', plen };
  }
  return { ...e, kind: 'range', plen: undefined };
}

/**
 * nft's set_automerge (intervals.c) over a set's elements, the command's `fresh` ones among them: in key order, each
 * element that meets or touches the interval before it joins it, and the merged element is one of those it was
 * made of (6.18 with nft 1.0.6, measured): a new element that extends an old one replaces it (its timeout, expiry,
 * comment and a counter from zero; the old one's are gone), one that extends a new one is absorbed by it, and one
 * inside the interval adds nothing and is dropped. So a merged element has the state of the lowest new element
 * that extended it, or stays the old one when none did. It lists as a value, a prefix or a range (192.0.2.0/25 and
 * 192.0.2.128/25 list as 192.0.2.0/24; 1-10 and 11-20 as 1-20).
 */
function mergeIntervals(type: DataType, elems: Elem[], fresh: ReadonlySet<Elem>): Elem[] {
  const back = memcmpKey(type); // its own inverse: memcmp order back to register bytes
  return runs(type, elems, true).map((r) => {
    if (r.grew.length === 1) return r.grew[0]!;
    const e = r.grew.find((x) => fresh.has(x)) ?? r.grew[0]!;
    return canonical(type, { ...e, lo: back(r.lo), hi: back(r.hi), kind: 'range', plen: undefined });
  });
}

/** An interval set's elements sorted by their low bound, for overlap checks by binary search (they are disjoint). */
class IntervalIndex {
  private readonly ivals: Array<[Uint8Array, Uint8Array]>;
  private readonly k: (b: Uint8Array) => Uint8Array;
  constructor(type: DataType, elems: readonly Elem[]) {
    this.k = memcmpKey(type);
    this.ivals = elems.map((e) => [this.k(e.lo), this.k(e.hi)] as [Uint8Array, Uint8Array]).sort((a, b) => cmpBytes(a[0], b[0]));
  }

  /** Whether [e.lo, e.hi] meets an interval: the last one starting at or below e.hi must end below e.lo. */
  overlaps(e: Elem): boolean {
    const lo = this.k(e.lo);
    const hi = this.k(e.hi);
    let a = 0;
    let b = this.ivals.length;
    while (a < b) {
      const m = (a + b) >>> 1;
      if (cmpBytes(this.ivals[m]![0], hi) <= 0) a = m + 1;
      else b = m;
    }
    return a > 0 && cmpBytes(this.ivals[a - 1]![1], lo) >= 0;
  }
}

/** Whether `lo-hi` of `meta hour` runs across midnight (its start after its end, as seconds since midnight UTC). */
function overnight(text: string, loc: Loc): boolean {
  const at = text.indexOf('-', 1);
  const [a, b] = [text.slice(0, at), text.slice(at + 1)].map((x) => new DataView(parseElem('hour', { k: 'str', v: x, loc }).lo.buffer).getUint32(0, true));
  return a! > b!;
}

/** A selector's data type (nft's expression types). */
function selType(sel: Selector): DataType {
  const { proto, field } = sel;
  // the two-byte integers of headers (ip length, id, frag-off, checksum; ip6 length; udp length, checksum; tcp window…)
  if (fieldAt(sel)?.len === 2 && (proto === 'ip' || proto === 'ip6' || ((proto === 'tcp' || proto === 'udp') && field !== 'sport' && field !== 'dport'))) return 'integer16';
  if (field === 'dscp') return proto === 'ip' ? 'dscp' : 'dscp6';
  const bits = payloadBits(sel);
  if (bits) return bits.type;
  if (proto === 'ip' && field === 'ecn') return 'ecn';
  if (proto === 'ip') return field === 'protocol' ? 'inet_proto' : field === 'ttl' ? 'integer8' : 'ipv4_addr';
  if (proto === 'ip6') return field === 'nexthdr' ? 'inet_proto' : field === 'hoplimit' ? 'integer8' : 'ipv6_addr';
  if (proto === 'fib') return field.endsWith(' type') ? 'fib_addrtype' : field.endsWith(' oifname') ? 'ifname' : 'iface_index';
  if (proto === 'tcpopt') return tcpOptAt(field).type;
  if (proto === 'rt') return rtType(field);
  if (proto === 'exthdr') return exthdrAt(field).type;
  if (proto === 'ipopt') return ipoptAt(field).type;
  if (proto === 'tcp' && field === 'flags') return 'tcp_flag';
  if (proto === 'tcp' || proto === 'udp' || proto === 'th') return 'inet_service';
  if (proto === 'icmp' || proto === 'icmpv6') return `${proto}_${field as 'type' | 'code'}`;
  if (proto === 'ct') {
    if (field.endsWith(' saddr') || field.endsWith(' daddr')) return field.includes(' ip6 ') ? 'ipv6_addr' : 'ipv4_addr';
    if (field.endsWith('zone')) return 'zone16';
    if (field === 'expiration') return 'ct_time';
    if (/(^| )(bytes|packets|avgpkt)$/.test(field)) return 'integer64h';
    if (/(^| )proto-(src|dst)$/.test(field)) return 'inet_service';
    return ({ state: 'ct_state', status: 'ct_status', mark: 'mark', direction: 'ct_dir', l3proto: 'nf_proto', protocol: 'inet_proto' } as const)[field as 'mark']!;
  }
  if (proto === 'arp') return ({ operation: 'arp_op', htype: 'integer16', ptype: 'ether_type', hlen: 'integer8', plen: 'integer8', 'saddr ether': 'ether_addr', 'daddr ether': 'ether_addr' } as const)[field as 'htype'] ?? 'ipv4_addr';
  if (proto === 'ether') return field === 'type' ? 'ether_type' : 'ether_addr';
  if (proto === 'vlan') return field === 'id' ? 'vlan_id' : field === 'pcp' ? 'vlan_pcp' : field === 'type' ? 'ether_type' : 'vlan_dei';
  return ({ l4proto: 'inet_proto', mark: 'mark', iif: 'iface_index', oif: 'iface_index', iifname: 'ifname', oifname: 'ifname', nfproto: 'nf_proto', skuid: 'uid', skgid: 'gid', protocol: 'ether_type', pkttype: 'pkt_type', cpu: 'integer32', iiftype: 'iface_type', oiftype: 'iface_type', day: 'day', hour: 'hour', time: 'time' } as const)[field as 'mark']!;
}

/** A typeof declaration's expression as nft lists it (meta_expr_print: iif, oif, iifname, oifname unqualified). */
function typeofText(sel: Selector): string {
  if (sel.concat) return sel.concat.map(typeofText).join(' . ');
  return sel.proto === 'meta' && ['iif', 'oif', 'iifname', 'oifname'].includes(sel.field) ? sel.field : `${sel.proto} ${sel.field}`;
}
