// The ruleset as the control plane keeps it: tables, chains, sets, flowtables and rules with their values
// typed (nft_types.ts). nft.ts changes it in transactions, nft_compile.ts turns it into the blob the fast
// path runs, nft_print.ts prints it as `nft list ruleset` does.

import type { CmpOp, Loc, NftFamily, Selector } from './nft_parse.js';
import type { DataType, Elem } from './nft_types.js';

export type MatchValue =
  | { k: 'elem'; e: Elem }
  | { k: 'flags'; bits: number } // a comma list of ct states
  | { k: 'masked'; mask: number; value: number } // tcp flags: (flags & mask) op value
  | { k: 'set'; elems: Elem[] } // anonymous set
  | { k: 'ref'; name: string };

/** One nft_bitwise over a 32-bit register: NFT_BITWISE_BOOL (`reg & mask ^ xor`), NFT_BITWISE_LSHIFT / _RSHIFT by `n`. */
export type BitOp = { k: 'bool'; mask: number; xor: number } | { k: 'shl' | 'shr'; n: number };

export type RStmt =
  /**
   * `concat`: a concatenation's fields' types (sel.concat's; `type` is then 'concat', the value an anonymous set);
   * `bits`: the loaded field goes through nft_bitwise first (`meta mark & 0xc == 0x8`); `exact`: a bitmask (ct state)
   * written with `==` / `!=` compares the whole value (`ct state != established`: cmp neq 2), not its bits; `abits`: an
   * address's (`ip saddr & 255.255.255.0 == 192.0.2.0`), its mask and xor as the field's bytes.
   */
  | { k: 'match'; sel: Selector; type: DataType; op: CmpOp; value: MatchValue; loc: Loc; concat?: DataType[]; bits?: { mask: number; xor: number }; exact?: boolean; abits?: { mask: Uint8Array; xor: Uint8Array }; /** numgen's or jhash's number compared (sel a stand-in) */ key?: Exclude<NatMap['key'], { k: 'sel' }> }
  | { k: 'counter'; packets: bigint; bytes: bigint; /** its u64 packets, u64 bytes in the arena (0 until published) */ addr: number }
  | { k: 'verdict'; v: 'accept' | 'drop' | 'return' | 'continue' | 'jump' | 'goto'; chain?: string }
  | { k: 'reject'; type: 0 | 1 | 2; code: number; family: 'ip' | 'ip6' | 'inet' }
  /**
   * `map`: the address is the key's element's data (`text` is then what comes before the key: `dnat to`, `dnat ip to`);
   * `portMap`: the port is (`dnat to 192.0.2.1 : numgen inc mod 2 map { 0 : 4040, 1 : 4050 }`), flags printed after it.
   */
  | { k: 'nat'; type: 'snat' | 'dnat' | 'masquerade' | 'redirect'; family?: 'ip' | 'ip6'; addr?: [Uint8Array, Uint8Array]; port?: [number, number]; flags: number; text: string; map?: NatMap; portMap?: NatMap }
  /** `key`: the mark is numgen's or jhash's value; `map`: the key's element's data (`meta mark set ip saddr map { … }`). */
  /** `bits`: the key's mark (a `meta mark` / `ct mark` key) goes through these nft_bitwise operations first. */
  | { k: 'set'; target: 'meta mark' | 'ct mark' | 'meta pkttype' | 'ct zone'; value: number; key?: NatMap['key']; map?: NatMap; bits?: BitOp[]; dir?: 'original' | 'reply' }
  | { k: 'flow'; name: string }
  /** nft_exthdr's TCP option write: `value` (the field's bytes, network order), or (`rt`) nft_rt's TCPMSS, hton'd. */
  | { k: 'optset'; sel: Selector; value?: Uint8Array; rt: boolean }
  /** nft_exthdr's TCP option strip (`reset tcp option NAME`): `name` as nft lists it. */
  | { k: 'optreset'; name: string }
  | { k: 'notrack' }
  /**
   * fwd (the frame itself) or dup (a copy) out of `ifindex`, named `name` when the rule was loaded; `nh`: to that
   * neighbour of the device (`fwd ip to ADDR device DEV`), its address 4 or 16 bytes.
   */
  | { k: 'fwd'; dup: boolean; ifindex: number; name: string; nh?: { family: 'ip' | 'ip6'; addr: Uint8Array } }
  /** nft_dup_ipv4 / nft_dup_ipv6: a copy routed to `addr` (4 or 16 bytes), out of `ifindex` (0: any; `name` as loaded). */
  | { k: 'dup'; family: 'ip' | 'ip6'; addr: Uint8Array; ifindex: number; name?: string }
  /**
   * nft_limit: `rate` packets (or bytes) per `unit` seconds, `burst` (packets; bytes, 0: none); `inv`: `over`
   * (NFT_LIMIT_F_INV). Its bucket (u32 lock, u32 pad, u64 tokens, u64 last in ns) lives in the arena and outlives a
   * ruleset generation, as a counter's does (0 until published).
   */
  | { k: 'limit'; bytes: boolean; rate: bigint; unit: number; burst: bigint; inv: boolean; addr: number }
  /** nft_quota: `bytes`, `used` at load (NFTA_QUOTA_CONSUMED); the u64 consumed lives in the arena (0 until published). */
  | { k: 'quota'; bytes: bigint; used: bigint; inv: boolean; addr: number }
  /**
   * nft_log as the kernel keeps it: NF_LOG_TYPE_ULOG when a group is given (group, snaplen, queue threshold),
   * NF_LOG_TYPE_LOG otherwise (level, default warn, and the NF_LOG_* flags); an optional prefix.
   */
  | { k: 'log'; prefix?: string; group?: number; snaplen: number; qthreshold: number; level: number; logflags: number }
  /**
   * nft_objref: `counter name "c"`, `quota name "q"`, `limit name "l"` — the table's stateful object of that type
   * and name (nf_tables_api.c nft_obj_lookup: objects are keyed by type and name), evaluated as its own
   * statement over its own state block; the reference holds the object (obj->use) while the rule lives.
   */
  | { k: 'objref'; type: NftObjType; name: string }
  /**
   * nft_objref_map: `counter name ip saddr map { 192.0.2.1 : "c1" }` or `… map @m` — the key selects the object
   * (no element: the rule breaks there). A named map's object type is the map's (the kernel keeps set->objtype:
   * `quota name … map @counters` counts, and lists as `counter name …`).
   */
  | { k: 'objmap'; type: NftObjType; sel: Selector; keyType: DataType; map: { k: 'set'; elems: Elem[] } | { k: 'ref'; name: string } }
  /**
   * A verdict map (nft_lookup into NFT_REG_VERDICT): `tcp dport vmap { 22 : accept, 23 : jump c }` or `vmap @m` —
   * the key's element gives the verdict; no element breaks out of the rule, `continue` goes on with it.
   */
  | { k: 'vmap'; sel: Selector; keyType: DataType; map: { k: 'set'; elems: Elem[] } | { k: 'ref'; name: string }; concat?: DataType[]; /** numgen's or jhash's number as the key (keyType integer32) */ key?: NatMap['key'] }
  /**
   * nft_dynset: `add @s { ip saddr }`, `update @s { … timeout 10s }`, `delete @s { … }`, or a meter's (`meter` set: the
   * statement is listed as `meter NAME size N { … }`); `timeout` the rule's in ms (0: the set's); `exprs` the new
   * element's statements (templates: their state is each element's, in the set's store).
   */
  | { k: 'dynset'; op: 'add' | 'update' | 'delete'; set: string; sel: Selector; keyType: DataType; concat?: DataType[]; timeout: number; exprs: Array<Extract<RStmt, { k: 'counter' | 'limit' | 'quota' }>>; meter?: boolean; /** A map's data (sreg_data): a field's value or a constant's bytes as the register holds them. */ data?: { sel?: Selector; value?: Uint8Array; type: DataType; len: number } };

/**
 * A NAT map (`dnat to KEY map { key : address, … }`): the key — a field, nft_numgen's number (inc: its u32 counter in
 * the arena, 0 until published) or nft_hash's jhash of fields (`types`: theirs) — and the elements, each with its
 * address as data.
 */
export interface NatMap {
  /** `concat`: a concatenated key's fields' types (keyType 'concat'). */
  key: { k: 'sel'; sel: Selector; concat?: DataType[] } | { k: 'numgen'; mode: 'inc' | 'random' | 'symhash'; mod: number; offset: number; addr: number } | { k: 'jhash'; sel: Selector; types: DataType[]; mod: number; seed: number; seedSet: boolean; offset: number };
  keyType: DataType;
  elems: Elem[];
  /** The data's type: an address (NAT), a port (NAT's), a mark, an address and a port (NatTo). */
  dataType: DataType | MapData;
  /** A named map's name (`map @m`): its elements are the map's (`elems` is then empty). */
  ref?: string;
}

/** What a named data map maps to (`type ipv4_addr : ipv4_addr`): the types NAT and marks read. */
/**
 * `interval ipv4_addr`: each element's data a range of addresses (min, then max: NAT's address range);
 * `interval ipv4_addr . inet_service`: min address, min port, max address, max port (NAT's ranges of both).
 */
export type MapData = 'ipv4_addr' | 'ipv6_addr' | 'inet_service' | 'mark' | NatTo | 'interval ipv4_addr' | 'interval ipv6_addr' | `interval ${NatTo}`;

/** A NAT map's data of an address and a port (`198.51.100.1 . 8080`): NAT's address and port registers. */
export type NatTo = 'ipv4_addr . inet_service' | 'ipv6_addr . inet_service';

/** The stateful object types wxdp has (NFT_OBJECT_COUNTER, NFT_OBJECT_QUOTA, NFT_OBJECT_LIMIT). */
export type NftObjType = 'counter' | 'quota' | 'limit';

/**
 * A named stateful object (nf_tables_newobj): its state is the anonymous statement's (an RStmt of its type,
 * whose arena block every rule that references it shares, so a counter counts all of them), its handle from
 * the table's counter.
 */
export interface NftObj {
  name: string;
  handle: number;
  stmt: Extract<RStmt, { k: NftObjType }>;
}

export interface NftRule {
  handle: number;
  stmts: RStmt[];
}

export interface NftChain {
  name: string;
  handle: number;
  base?: { type: 'filter' | 'nat' | 'route'; hook: string; prio: number; policy: 'accept' | 'drop'; devices?: string[] };
  rules: NftRule[];
}

export interface NftSet {
  name: string;
  handle: number;
  type: DataType;
  /**
   * A map: of stateful objects (`type ipv4_addr : counter`), each element's obj naming one of that type; or a
   * verdict map (`type inet_service : verdict`), each element's verdict its data; or a data map (`type ipv4_addr :
   * ipv4_addr`), each element's data bytes (Elem.data) what NAT or a mark reads.
   */
  mapTo?: NftObjType | 'verdict' | MapData;
  /** A data map declared with `typeof … : EXPR`: the data's expression as nft lists it (`ip daddr`). */
  dataTypeof?: string;
  flags: string[];
  /** The elements' default timeout in ms (whole jiffies), 0: none. */
  timeout: number;
  /** `counter`: each element has its own counter (the set's expression template). */
  counter: boolean;
  /** A concatenation's fields' types (`type ipv4_addr . inet_service`; `type` is then 'concat'): exact lookups only. */
  concat?: DataType[];
  /** Declared with `typeof`: the expression as nft lists it (`ip saddr`, `meta mark`, `iifname`). */
  typeof?: string;
  /** `auto-merge` (an interval set's): nft merges overlapping and adjacent intervals, old and new. */
  autoMerge?: boolean;
  /** `size N` (set->size; nft_dynset_init makes it 65535 when a rule adds to a set without one). */
  size?: number;
  /** A meter's set (nft's anonymous NFT_SET_EVAL set): listed by `list meters`, not with the table's sets. */
  meter?: boolean;
  /**
   * A set the data path writes (a dynset statement names it, or `flags dynamic`): its elements live in a store in the
   * arena (assembly/net/nft_dynset.ts), at this address once published (0 until then); `elems` are the ones the
   * control plane added, copied into the store when published.
   */
  live?: number;
  /** `flush set` of a set with a store: counted, so the publish empties the store of what the data path added too. */
  flushed?: number;
  /** `delete element` of elements only the store holds (the data path added them): their keys, taken out when published. */
  dels?: Uint8Array[];
  elems: Elem[];
}

export interface NftFlowtable {
  name: string;
  handle: number;
  hook: string;
  prio: number;
  devices: string[];
  /** `counter` (NFT_FLOWTABLE_COUNTER): its hits count into their connections' counters. */
  counter: boolean;
  /** The id the flowtable stage (dp.flowtable) gave it, plus one; 0 when there is none. */
  id: number;
}

export interface NftTable {
  family: NftFamily;
  name: string;
  handle: number;
  /** Handles of chains, sets, rules and flowtables come from one counter per table, as the kernel's. */
  hgen: number;
  chains: NftChain[];
  sets: NftSet[];
  flowtables: NftFlowtable[];
  /** Named stateful objects in the order they were created (the kernel's table->objects list, as nft lists them). */
  objects: NftObj[];
}

export interface NftState {
  tables: NftTable[];
  /** Table handles are per network namespace. */
  tgen: number;
}

export const HOOKS: Readonly<Record<string, number>> = { prerouting: 0, input: 1, forward: 2, output: 3, postrouting: 4 };
/** The netdev family's hooks (NF_NETDEV_INGRESS, NF_NETDEV_EGRESS): per device, not per address family. */
export const NETDEV_HOOKS: Readonly<Record<string, number>> = { ingress: 0, egress: 1 };
/** The arp family's (NF_ARP_IN, NF_ARP_OUT; NF_ARP_FORWARD is the bridge's, which nft's arp chains cannot use). */
export const ARP_HOOKS: Readonly<Record<string, number>> = { input: 0, output: 1 };

/** nft's named priorities (nftables' std_prios) and the hooks where each is a name (nft 1.0.6 prints an
 * output nat chain at -100 as `-100`, measured). */
export const STD_PRIOS: ReadonlyArray<{ name: string; value: number; hooks?: readonly string[] }> = [
  { name: 'raw', value: -300 },
  { name: 'mangle', value: -150 },
  { name: 'dstnat', value: -100, hooks: ['prerouting'] },
  { name: 'filter', value: 0 },
  { name: 'security', value: 50 },
  { name: 'srcnat', value: 100, hooks: ['postrouting'] },
];
