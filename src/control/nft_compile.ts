// The ruleset → the blob assembly/net/nft_eval.ts runs (its header draws the layout). Each rule becomes
// the expressions nft itself would send the kernel (`nft --debug=netlink` shows them): a dependency
// (`meta nfproto ipv4` before `ip saddr` in an inet table, `meta l4proto tcp` before `tcp dport`), a
// load into a register, then cmp / range / bitwise+cmp / lookup; actions after.

import { type NftChain, type NftObjType, type NftSet, type NftState, type NftTable, type RStmt, type NatMap, type BitOp } from './nft_model.js';
import { FIB_FLAGS, type Selector } from './nft_parse.js';
import { fieldAt, stmtReduce } from './nft_merge.js';
import { exthdrAt, ipoptAt, payloadBits, RT_KEYS, tcpOptAt, tcpOptKind } from './nft_exthdr.js';
import { FieldIndexTooLarge, anonFields, fieldBounds, fieldIndex } from './nft_pipapo.js';
import { BITFIELDS, TYPE_INFO, cmpBytes, isBitfield, fieldStarts, keyLen, intervals, memcmpKey, sortElems, type DataType, type Elem } from './nft_types.js';

// Keep in step with assembly/net/nft_eval.ts
export const NFT_MAGIC = 0x4254464e;
const NFTC_REGULAR = 0xffffffff;
const EXPR = { PAYLOAD: 1, META: 2, CMP: 3, RANGE: 4, BITWISE: 5, LOOKUP: 6, CT: 7, CT_SET: 8, META_SET: 9, IMM: 10, VERDICT: 11, COUNTER: 12, NAT: 13, REJECT: 14, FLOW: 15, BYTEORDER: 16, LIMIT: 17, QUOTA: 18, LOG: 19, OBJMAP: 20, VMAP: 21, DATAMAP: 22, NUMGEN: 23, JHASH: 24, NOTRACK: 25, FWD: 26, FIB: 27, DYNSET: 28, DYNLOOKUP: 29, EXTHDR: 40, EXTHDR_SET: 41, RT: 42, DYNDATAMAP: 48 } as const;
const META = { LEN: 0, PROTOCOL: 1, MARK: 3, IIF: 4, OIF: 5, IIFNAME: 6, OIFNAME: 7, IIFTYPE: 8, OIFTYPE: 9, SKUID: 10, SKGID: 11, NFPROTO: 15, L4PROTO: 16, PKTTYPE: 19, CPU: 20, TIME_NS: 30, TIME_DAY: 31, TIME_HOUR: 32 } as const;
const CT = { STATE: 0, DIRECTION: 1, STATUS: 2, MARK: 3, EXPIRATION: 5, L3PROTOCOL: 7, PROTOCOL: 10, PROTO_SRC: 11, PROTO_DST: 12, PKTS: 14, BYTES: 15, AVGPKT: 16, ZONE: 17, SRC_IP: 19, DST_IP: 20, SRC_IP6: 21, DST_IP6: 22 } as const;
/** An EXPR_CT key's direction (nft's NFTA_CT_DIRECTION), in x's top bits: none, IP_CT_DIR_ORIGINAL + 1, IP_CT_DIR_REPLY + 1. */
const CT_DIR_SHIFT = 6;
const CMP = { eq: 0, neq: 1, lt: 2, lte: 3, gt: 4, gte: 5 } as const;
const VERDICT = { drop: 0, accept: 1, jump: 2, goto: 3, return: 4, continue: 5 } as const;
const NAT = { snat: 0, dnat: 1, masquerade: 2, redirect: 3 } as const;
const NOREG = 0xff;

/** What compiling needs from outside: device names → indexes, flowtable names → ids, the log ring's address. */
export interface CompileEnv {
  ifindexes(pattern: string): number[];
  /** What a named set's element array was copied from and how it changed since (nft_elems.ts), if known. */
  elemsBase?(elems: Elem[]): { base: Elem[]; added: Elem[]; removed: ReadonlySet<Elem> } | undefined;
  flowtableId(table: NftTable, name: string): number;
  logRing(): number;
  /** The most bytes a per-field set's index may take (nft_pipapo.ts FIELD_INDEX_MAX unless given). */
  fieldIndexMax?: number;
}

/** NSEC_PER_SEC */
const NSEC = 1_000_000_000n;
/** NF_LOG_PREFIXLEN */
const PREFIX_LEN = 128;

/** The chain's key for slots: family, table and chain names. */
export function chainKey(t: NftTable, c: NftChain): string {
  return `${t.family}\0${t.name}\0${c.name}`;
}

class Code {
  /** The bytes after the last chunk. */
  bytes: number[] = [];
  /** Earlier bytes: runs of numbers and whole chunks (a named set's image, kept between compiles). */
  private readonly parts: Array<number[] | Uint8Array> = [];
  private base = 0;
  word(v: number): void {
    this.bytes.push(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
  }
  data(b: Uint8Array): void {
    for (const x of b) this.bytes.push(x);
    while (this.bytes.length & 3) this.bytes.push(0);
  }
  /** Bytes appended as they are (a multiple of 4 long). */
  chunk(b: Uint8Array): void {
    this.parts.push(this.bytes, b);
    this.base += this.bytes.length + b.length;
    this.bytes = [];
  }
  u64(v: bigint): void {
    this.word(Number(v & 0xffffffffn));
    this.word(Number((v >> 32n) & 0xffffffffn));
  }
  op(op: number, reg: number, len: number, x: number): void {
    this.word(op | (reg << 8) | (len << 16) | (x << 24));
  }
  get pos(): number {
    return this.base + this.bytes.length;
  }
  /** A word written with word() (never inside a chunk). */
  patch(at: number, v: number): void {
    let part = this.bytes;
    let off = at - this.base;
    if (off < 0) {
      let start = 0;
      for (const p of this.parts) {
        if (at < start + p.length) {
          part = p as number[];
          off = at - start;
          break;
        }
        start += p.length;
      }
    }
    part[off] = v & 0xff;
    part[off + 1] = (v >>> 8) & 0xff;
    part[off + 2] = (v >>> 16) & 0xff;
    part[off + 3] = (v >>> 24) & 0xff;
  }
  /** All of it, in one array. */
  done(): Uint8Array {
    const out = new Uint8Array(this.pos);
    let at = 0;
    for (const p of [...this.parts, this.bytes]) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}

interface SetImage {
  type: DataType;
  /** A concatenation's key length (its fields padded to 4); other types' is TYPE_INFO's. */
  klen?: number;
  ivals: Array<[Uint8Array, Uint8Array]>;
  /** A named set with timeouts or counters: each interval's element's expiry (ms, 0 none) and counter (0 none). */
  ext?: Array<{ expiration: number; counter: number }>;
  /** A named set's: the elements in key order (ivals[i] and ext[i] are sorted[i]'s), and its bytes once written. */
  sorted?: Elem[];
  bytes?: Uint8Array;
  /** Per-field intervals (nft_pipapo.ts): the fields, ivals in added order, the index laid before the header. */
  fields?: FieldSet;
}

/** A per-field set's fields, what ENOMEM names it by, and its lookup index once made (fieldIndex). */
interface FieldSet {
  types: readonly DataType[];
  label: string;
  index?: Uint8Array;
}

/** The set header's flag for an ext array after the keys (assembly/net/nft_eval.ts SET_EXT). */
const SET_EXT = 0x80000000;

/** A named set whose elements carry state of their own (timeouts, counters): looked up element by element. */
function hasExt(set: NftSet): boolean {
  return set.timeout !== 0 || set.counter || set.elems.some((e) => e.expiration !== undefined);
}

/** Each element's expiry and counter address, as the ext array holds them. */
function extOf(e: Elem): { expiration: number; counter: number } {
  return { expiration: e.expiration ?? 0, counter: e.counter?.addr ?? 0 };
}

/** An object map (its elements, each with the statement, the object's, it runs) or a verdict map (elems' verdicts). */
interface MapImage {
  type: DataType;
  /** The key's length in bytes (a concatenation's: its fields padded to 4). */
  klen: number;
  elems: Array<{ e: Elem; obj?: Stateful }>;
  verdicts: boolean;
  /** A NAT map: each element's data (an address) of this many bytes, padded to 4, after the keys. */
  data?: number;
  /** A named map with timeouts or counters: the ext array after the keys. */
  ext: boolean;
  /** Per-field intervals: the concatenation's fields (keys as fieldBound lays them out, in added order). */
  fields?: FieldSet;
}

/** A named set's or map's fields when it holds per-field intervals (a concatenation with `flags interval`). */
function fieldsOf(set: NftSet): readonly DataType[] | undefined {
  return set.concat && set.flags.includes('interval') ? set.concat : undefined;
}

/** Per-field intervals' image: each element's bounds field by field, in the order they were added (the first match wins). */
function fieldImage(types: readonly DataType[], elems: readonly Elem[], label: string): SetImage {
  return { type: 'concat', klen: keyLen('concat', types), fields: { types, label }, ivals: elems.map((e) => fieldBounds(types, e)) };
}

/** The index of a per-field set (before its header), or ENOMEM naming it when it would pass FIELD_INDEX_MAX. */
function fieldIndexOf(env: CompileEnv, f: FieldSet, ivals: ReadonlyArray<readonly [Uint8Array, Uint8Array]>): Uint8Array {
  try {
    return (f.index ??= fieldIndex(f.types, ivals, env.fieldIndexMax));
  } catch (e) {
    if (e instanceof FieldIndexTooLarge) throw new FieldIndexTooLarge(e.bytes, e.max, f.label);
    throw e;
  }
}

/** What a rule compiles against: its table, the sets it refers to, where jumps and sets are patched. */
interface Ctx {
  table: NftTable;
  env: CompileEnv;
  sets: SetImage[];
  setFix: Array<{ at: number; set: number }>;
  maps: MapImage[];
  mapFix: Array<{ at: number; map: number }>;
  jumpFix: Array<{ at: number; key: string }>;
}

function le32(v: number): Uint8Array {
  return Uint8Array.from([v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff]);
}

/** iface_index elements → the devices' indexes now (a name with no device matches nothing). */
function ifaceElems(env: CompileEnv, elems: Elem[]): Elem[] {
  const out: Elem[] = [];
  for (const e of elems) for (const i of ifaceIndexes(env, e)) out.push({ lo: le32(i), hi: le32(i), kind: 'value' });
  return out;
}

/** An iface_index element's devices: by its name now, or the index it was given as a number (no device had it). */
function ifaceIndexes(env: CompileEnv, e: Elem): number[] {
  return e.name !== undefined ? env.ifindexes(e.name) : [new DataView(e.lo.buffer, e.lo.byteOffset).getUint32(0, false)];
}

function addSet(ctx: Ctx, type: DataType, elems: Elem[]): number {
  ctx.sets.push(addSetImage(ctx.env, type, elems));
  return ctx.sets.length - 1;
}

function addSetImage(env: CompileEnv, type: DataType, elems: Elem[]): SetImage {
  const isIface = type === 'iface_index';
  return { type: isIface ? 'mark' : type, ivals: intervals(isIface ? 'mark' : type, isIface ? ifaceElems(env, elems) : elems) };
}

function compileRule(code: Code, ctx: Ctx, stmts: RStmt[]): void {
  // nft_objref_eval runs the object's own eval over the object's state: here the statement of its type over the
  // object's block, so every rule that names it counts into one place
  stmts = stmts.map((s) => {
    if (s.k !== 'objref') return s;
    return ctx.table.objects.find((o) => o.stmt.k === s.type && o.name === s.name)!.stmt;
  });
  const fam = ctx.table.family;
  let nf = fam === 'ip' ? 2 : fam === 'ip6' ? 10 : 0;
  let l4 = -1;
  let ether = false;
  let vlan = false;
  const needNf = (v: number): void => {
    if (nf === v) return;
    if (ether) {
      // after an Ethernet header's field nft's dependency for the network header is `ether type`, after a VLAN
      // tag's `vlan type` (`--debug=netlink`)
      code.op(EXPR.PAYLOAD, 0, 2, 0);
      code.word(vlan ? 16 : 12);
      code.op(EXPR.CMP, 0, 2, CMP.eq);
      code.data(v === 2 ? Uint8Array.of(0x08, 0x00) : Uint8Array.of(0x86, 0xdd));
    } else if (fam === 'netdev') {
      // a netdev chain sees any protocol: nft's dependency is `meta protocol ip` / `ip6` (skb->protocol, big-endian)
      code.op(EXPR.META, 0, 2, META.PROTOCOL);
      code.op(EXPR.CMP, 0, 2, CMP.eq);
      code.data(v === 2 ? Uint8Array.of(0x08, 0x00) : Uint8Array.of(0x86, 0xdd));
    } else {
      code.op(EXPR.META, 0, 1, META.NFPROTO);
      code.op(EXPR.CMP, 0, 1, CMP.eq);
      code.data(Uint8Array.of(v));
    }
    nf = v;
  };
  const needL4 = (p: number): void => {
    if (l4 === p) return;
    code.op(EXPR.META, 0, 1, META.L4PROTO);
    code.op(EXPR.CMP, 0, 1, CMP.eq);
    code.data(Uint8Array.of(p));
    l4 = p;
  };
  /** What reading the selector's field needs checked first (nft's payload dependencies), then its load. */
  const dep = (sel: Selector): void => {
    const { proto } = sel;
    if (proto === 'ip' || proto === 'ip6' || proto === 'exthdr' || proto === 'ipopt') needNf(proto === 'ip' || proto === 'ipopt' ? 2 : 10);
    else if ((proto === 'ether' || proto === 'vlan') && !ether) {
      // nft's dependency for the link-layer header: `meta iiftype ether` (ARPHRD_ETHER, host order; `--debug=netlink`)
      code.op(EXPR.META, 0, 2, META.IIFTYPE);
      code.op(EXPR.CMP, 0, 2, CMP.eq);
      code.data(Uint8Array.of(1, 0));
      ether = true;
    }
    if (proto === 'vlan' && !vlan) {
      // then `ether type vlan`: the kernel's payload puts an accelerated tag back where the frame had it
      code.op(EXPR.PAYLOAD, 0, 2, 0);
      code.word(12);
      code.op(EXPR.CMP, 0, 2, CMP.eq);
      code.data(Uint8Array.of(0x81, 0x00));
      vlan = true;
    }
    // `th` reads any transport header with no dependency (nft adds none, `--debug=netlink`, measured)
    else if (proto === 'tcp' || proto === 'udp') needL4(proto === 'tcp' ? 6 : 17);
    else if (proto === 'icmp' || proto === 'icmpv6') {
      // nft's dependencies for an ICMP header: the family, then the protocol (`--debug=netlink`, measured)
      needNf(proto === 'icmp' ? 2 : 10);
      needL4(proto === 'icmp' ? 1 : 58);
    }
  };
  /** A bit field's mask over the bytes just loaded (nft_bitwise: `reg & mask ^ 0`); nothing for other types. */
  const bitsMask = (type: DataType, len: number, reg: number): void => {
    if (!isBitfield(type)) return;
    code.op(EXPR.BITWISE, reg, len, 0);
    code.data(Uint8Array.from(BITFIELDS[type].mask.slice(0, len)));
    code.data(new Uint8Array(len));
  };
  /** The selector's load into register `reg` (`len` bytes of a payload field: a prefix's leading bytes). */
  const loadOnly = (sel: Selector, len: number, reg: number): void => {
    const { proto, field } = sel;
    if ((proto === 'ip' || proto === 'ip6') && (field === 'dscp' || field === 'ecn') && !payloadBits(sel)) {
      // the TOS byte (IPv4) or the traffic class across the first two bytes (IPv6), its bits kept by nft_bitwise
      code.op(EXPR.PAYLOAD, reg, len, 1);
      code.word(proto === 'ip' ? 1 : 0);
      code.op(EXPR.BITWISE, reg, len, 0);
      code.data(proto === 'ip6' ? Uint8Array.of(0x0f, 0xc0) : Uint8Array.of(field === 'dscp' ? 0xfc : 0x03));
      code.data(new Uint8Array(len));
    } else if (payloadBits(sel)) {
      // a bit field of the IP or TCP header (`ip version`, `ip6 flowlabel`, `tcp doff`): its bytes, then its mask
      const at = payloadBits(sel)!;
      code.op(EXPR.PAYLOAD, reg, len, proto === 'tcp' ? 2 : 1);
      code.word(at.off);
      bitsMask(at.type, len, reg);
    } else if (proto === 'ip' || proto === 'ip6') {
      code.op(EXPR.PAYLOAD, reg, len, 1);
      code.word(fieldAt(sel)!.off);
    } else if (proto === 'arp') {
      // the ARP header of Ethernet and IPv4 addresses (nft_merge.ts draws its fields' places)
      code.op(EXPR.PAYLOAD, reg, len, 1);
      code.word(fieldAt(sel)!.off);
    } else if (proto === 'ether') {
      // nft_payload's link-layer base: the Ethernet header (daddr at 0, saddr at 6, type at 12)
      code.op(EXPR.PAYLOAD, reg, len, 0);
      code.word(field === 'daddr' ? 0 : field === 'saddr' ? 6 : 12);
    } else if (proto === 'vlan' && field === 'type') {
      // the protocol after the tag, at 16 (`--debug=netlink`)
      code.op(EXPR.PAYLOAD, reg, len, 0);
      code.word(16);
    } else if (proto === 'vlan') {
      // the tag's TCI at 14, its bit field kept by nft_bitwise (pcp the top 3 bits, dei the next, the id the low 12)
      code.op(EXPR.PAYLOAD, reg, len, 0);
      code.word(14);
      code.op(EXPR.BITWISE, reg, len, 0);
      code.data(field === 'id' ? Uint8Array.of(0x0f, 0xff) : Uint8Array.of(field === 'pcp' ? 0xe0 : 0x10));
      code.data(new Uint8Array(len));
    } else if (proto === 'tcp' || proto === 'udp' || proto === 'th') {
      code.op(EXPR.PAYLOAD, reg, len, 2);
      code.word(field === 'flags' ? 13 : fieldAt(sel)!.off);
    } else if (proto === 'icmp' || proto === 'icmpv6') {
      code.op(EXPR.PAYLOAD, reg, len, 2);
      code.word(field === 'code' ? 1 : 0);
    } else if (proto === 'tcpopt') {
      // nft_exthdr (NFT_EXTHDR_OP_TCPOPT): x the option's kind | +4 u8 offset in the option, u8 NFT_EXTHDR_F_PRESENT
      const at = tcpOptAt(field);
      code.op(EXPR.EXTHDR, reg, len, at.kind);
      code.word(at.off | (at.present ? 0x100 : 0));
      bitsMask(at.type, len, reg);
    } else if (proto === 'rt') {
      code.op(EXPR.RT, reg, len, RT_KEYS[field]!);
    } else if (proto === 'exthdr') {
      // nft_exthdr (NFT_EXTHDR_OP_IPV6): x the header's protocol number | +4 u8 offset, u8 present, u8 1 (IPv6)
      const at = exthdrAt(field);
      code.op(EXPR.EXTHDR, reg, len, at.kind);
      code.word(at.off | (at.present ? 0x100 : 0) | 0x10000);
      bitsMask(at.type, len, reg);
    } else if (proto === 'ipopt') {
      // NFT_EXTHDR_OP_IPV4 (u8 2 in the operand's third byte): x the option's type
      const at = ipoptAt(field);
      code.op(EXPR.EXTHDR, reg, len, at.kind);
      code.word(at.off | (at.present ? 0x100 : 0) | 0x20000);
    } else if (proto === 'fib') {
      // nft_fib: the result (NFT_FIB_RESULT_OIF 1, OIFNAME 2, ADDRTYPE 3) and the NFTA_FIB_F_* flags, PRESENT (32)
      // for `exists` / `missing` (their one-byte boolean)
      const words = field.split(' ');
      const result = words.pop()!;
      let flags = words.reduce((f, w) => (w === '.' ? f : f | (1 << FIB_FLAGS.indexOf(w))), 0);
      if (result !== 'type' && len === 1) flags |= 32;
      code.op(EXPR.FIB, reg, len, result === 'oif' ? 1 : result === 'oifname' ? 2 : 3);
      code.word(flags);
    } else if (proto === 'meta') {
      const key = { l4proto: META.L4PROTO, mark: META.MARK, iif: META.IIF, oif: META.OIF, iifname: META.IIFNAME, oifname: META.OIFNAME, nfproto: META.NFPROTO, protocol: META.PROTOCOL, length: META.LEN, skuid: META.SKUID, skgid: META.SKGID, pkttype: META.PKTTYPE, cpu: META.CPU, iiftype: META.IIFTYPE, oiftype: META.OIFTYPE, time: META.TIME_NS, day: META.TIME_DAY, hour: META.TIME_HOUR }[field]!;
      code.op(EXPR.META, reg, len, key);
    } else {
      // `ct original ip saddr`, `ct reply zone`: the key with its direction
      const words = field.split(' ');
      const dir = words[0] === 'original' ? 1 : words[0] === 'reply' ? 2 : 0;
      const f = dir ? words.slice(1).join(' ') : field;
      const key = { state: CT.STATE, status: CT.STATUS, mark: CT.MARK, direction: CT.DIRECTION, expiration: CT.EXPIRATION, l3proto: CT.L3PROTOCOL, protocol: CT.PROTOCOL, 'proto-src': CT.PROTO_SRC, 'proto-dst': CT.PROTO_DST, packets: CT.PKTS, bytes: CT.BYTES, avgpkt: CT.AVGPKT, zone: CT.ZONE, 'ip saddr': CT.SRC_IP, 'ip daddr': CT.DST_IP, 'ip6 saddr': CT.SRC_IP6, 'ip6 daddr': CT.DST_IP6 }[f]!;
      code.op(EXPR.CT, reg, len, key | (dir << CT_DIR_SHIFT));
    }
  };
  /** The selector's load into register 0, its dependency first. */
  const load = (sel: Selector, len: number): void => {
    dep(sel);
    loadOnly(sel, len, 0);
  };
  /**
   * A concatenation's fields into registers 0 up (each padded to 4 bytes, as nft_concat's field lengths), every
   * dependency before the first load (nft emits them first, `--debug=netlink`): the key's length in bytes.
   */
  const loadConcat = (sel: Selector, types: readonly DataType[], fields = false): number => {
    for (const f of sel.concat!) dep(f);
    let at = 0;
    sel.concat!.forEach((f, i) => {
      const len = TYPE_INFO[types[i]!].len;
      loadOnly(f, len, at >> 2);
      // per-field intervals compare each field by memcmp: a host-order one is turned big-endian (nft's byteorder hton)
      if (fields && TYPE_INFO[types[i]!].host && len > 1) code.op(EXPR.BYTEORDER, at >> 2, len, len === 2 ? 2 : 4);
      at += (len + 3) & ~3;
    });
    return at;
  };
  /** A data map's key into register 0: a field, nft_numgen's number, or nft_jhash over the fields' registers. */
  const natMapKey = (k: NatMap['key'], keyType: DataType): void => {
    if (k.k === 'sel') load(k.sel, TYPE_INFO[keyType].len);
    else if (k.k === 'numgen') {
      // x: nft_numgen's NFT_NG_INCREMENTAL 0, NFT_NG_RANDOM 1; 2 nft_hash's NFT_HASH_SYM (symhash)
      code.op(EXPR.NUMGEN, 0, 0, k.mode === 'inc' ? 0 : k.mode === 'random' ? 1 : 2);
      code.word(k.mod);
      code.word(k.offset);
      code.word(k.addr);
    } else {
      let len = TYPE_INFO[k.types[0]!].len;
      if (k.sel.concat) len = loadConcat(k.sel, k.types);
      else load(k.sel, len);
      code.op(EXPR.JHASH, 0, len, 0);
      code.word(k.mod);
      code.word(k.seed);
      code.word(k.offset);
    }
  };
  /** A data map (NAT's address or port, a mark): its key into register 0, then nft_lookup's dreg holds the data. */
  const natMap = (m: NatMap, dreg: number, dlen: number): void => {
    // a named map's elements are the map's (nft.ts refuses timeouts and counters in data maps: no ext array)
    const named = m.ref !== undefined ? namedMap(ctx.table, m.ref) : undefined;
    const elems = named ? named.elems : m.elems;
    const concat = m.key.k === 'sel' ? m.key.concat : undefined;
    if (named?.live) {
      // a map the data path writes: its store (nft_dynset.ts), keyed as its set statements key it (a concatenation's
      // fields padded, a host-order single key turned big-endian)
      let klen: number;
      if (concat && m.key.k === 'sel') klen = loadConcat(m.key.sel, concat);
      else {
        natMapKey(m.key, m.keyType);
        klen = TYPE_INFO[m.keyType].len;
        if (TYPE_INFO[m.keyType].host) code.op(EXPR.BYTEORDER, 0, klen, 4);
      }
      code.op(EXPR.DYNDATAMAP, 0, klen, dreg);
      code.word(named.live);
      code.word(dlen);
      return;
    }
    let klen: number;
    let fields: { types: readonly DataType[]; label: string } | undefined;
    if (concat && m.key.k === 'sel') {
      // a concatenated key (`ip daddr . tcp dport`): its fields' registers, per-field intervals as a vmap's
      const types = named ? fieldsOf(named) : anonFields(elems) ? concat : undefined;
      fields = types && { types, label: named ? `map ${ctx.table.family} ${ctx.table.name} ${named.name}` : `an anonymous map in table ${ctx.table.family} ${ctx.table.name}` };
      klen = loadConcat(m.key.sel, concat, fields !== undefined);
    } else {
      natMapKey(m.key, m.keyType);
      klen = TYPE_INFO[m.keyType].len;
      if (TYPE_INFO[m.keyType].host) code.op(EXPR.BYTEORDER, 0, klen, klen === 2 ? 2 : 4);
    }
    ctx.maps.push({ type: m.keyType, klen, elems: elems.map((e) => ({ e })), verdicts: false, ext: false, data: dlen, fields });
    code.op(EXPR.DATAMAP, 0, klen, dreg);
    ctx.mapFix.push({ at: code.pos, map: ctx.maps.length - 1 });
    code.word(0);
    code.word(dlen);
  };
  /** An explicit protocol match stands for the dependency it would need. */
  const explicit = (s: Extract<RStmt, { k: 'match' }>): void => {
    const { proto, field } = s.sel;
    const v = s.value;
    if (v.k === 'elem' && v.e.kind === 'value' && s.op === 'eq') {
      if ((proto === 'meta' && field === 'l4proto') || (proto === 'ip' && field === 'protocol') || (proto === 'ip6' && field === 'nexthdr')) l4 = v.e.lo[0]!;
      if (proto === 'meta' && field === 'nfproto') nf = v.e.lo[0]!;
      // `vlan type ip` before an ip header's field is its dependency (nft adds none after it, `--debug=netlink`)
      const et = (v.e.lo[0]! << 8) | v.e.lo[1]!;
      if (proto === 'vlan' && field === 'type' && (et === 0x0800 || et === 0x86dd)) nf = et === 0x0800 ? 2 : 10;
    }
  };
  /** Matches of adjacent fields nft joined (nft_merge.ts): one load of them all, one compare of their values. */
  const joined = (run: Array<Extract<RStmt, { k: 'match' }>>): void => {
    for (const m of run) dep(m.sel);
    const at = fieldAt(run[0]!.sel)!;
    const value = run.flatMap((m) => [...(m.value as { e: Elem }).e.lo]);
    code.op(EXPR.PAYLOAD, 0, value.length, at.base);
    code.word(at.off);
    code.op(EXPR.CMP, 0, value.length, CMP[run[0]!.op]);
    code.data(Uint8Array.from(value));
    run.forEach(explicit);
  };
  const slots = stmtReduce(stmts);
  slots.forEach((slot, i) => {
    // a match joined into one placed later leaves its dependencies here, where nft had inserted them
    const s0 = stmts[i]!;
    if (slot[0] !== s0 && s0.k === 'match') dep(s0.sel);
    if (slot.length > 1) joined(slot as Array<Extract<RStmt, { k: 'match' }>>);
    else if (slot.length === 1) one(slot[0]!);
  });
  /** nft_bitwise over register 0's 32 bits: x 0 `reg & mask ^ xor`, x 1 / 2 a left / right shift by the word after. */
  function bitwise(ops: readonly BitOp[]): void {
    for (const b of ops) {
      if (b.k === 'bool') {
        code.op(EXPR.BITWISE, 0, 4, 0);
        code.data(le32(b.mask));
        code.data(le32(b.xor));
      } else {
        code.op(EXPR.BITWISE, 0, 4, b.k === 'shl' ? 1 : 2);
        code.word(b.n);
      }
    }
  }
  function one(s: RStmt): void {
    switch (s.k) {
      case 'match': {
        if (s.concat) {
          // an exact lookup of the whole key: host-order fields stay as the registers hold them (no byteorder)
          const v = s.value;
          const named = v.k === 'ref' ? ctx.table.sets.find((x) => x.name === v.name)! : undefined;
          const fields = named ? fieldsOf(named) !== undefined : v.k === 'set' && anonFields(v.elems);
          const klen = loadConcat(s.sel, s.concat, fields);
          if (named?.live) {
            code.op(EXPR.DYNLOOKUP, 0, klen, s.op === 'neq' ? 1 : 0);
            code.word(named.live);
            break;
          }
          if (v.k === 'set') ctx.sets.push(fields ? fieldImage(s.concat, v.elems, `an anonymous set in table ${ctx.table.family} ${ctx.table.name}`) : { type: 'concat', klen, ivals: v.elems.map((e) => [e.lo, e.hi] as [Uint8Array, Uint8Array]).sort((a, b) => cmpBytes(a[0], b[0])) });
          const set = named ? namedSet(ctx, named) : ctx.sets.length - 1;
          code.op(EXPR.LOOKUP, 0, klen, s.op === 'neq' ? 1 : 0);
          ctx.setFix.push({ at: code.pos, set });
          code.word(0);
          break;
        }
        const info = TYPE_INFO[s.type];
        const len = info.len;
        const { proto } = s.sel;
        const v = s.value;
        // a byte-aligned prefix compares only its leading bytes, as nft does
        let prefixBytes = 0;
        const payload = proto === 'ip' || proto === 'ip6' || proto === 'tcp' || proto === 'udp' || proto === 'th' || proto === 'ether';
        if (payload && v.k === 'elem' && v.e.kind === 'prefix' && v.e.plen! % 8 === 0 && (s.op === 'eq' || s.op === 'neq')) {
          prefixBytes = v.e.plen! / 8;
        }
        if (s.key) natMapKey(s.key, 'integer32');
        else load(s.sel, prefixBytes || len);
        if (s.bits && info.host) bitwise([{ k: 'bool', ...s.bits }]);
        else if (s.bits) {
          // a header's integer in network order: the mask and xor as its bytes
          const be = (n: number): Uint8Array => Uint8Array.from({ length: len }, (_, i) => (n >>> (8 * (len - 1 - i))) & 0xff);
          code.op(EXPR.BITWISE, 0, len, 0);
          code.data(be(s.bits.mask));
          code.data(be(s.bits.xor));
        }
        if (s.abits) {
          code.op(EXPR.BITWISE, 0, len, 0);
          code.data(s.abits.mask);
          code.data(s.abits.xor);
        }
        // the comparison
        const isIface = s.type === 'iface_index';
        if (v.k === 'masked') {
          code.op(EXPR.BITWISE, 0, 1, 0);
          code.data(Uint8Array.of(v.mask));
          code.data(Uint8Array.of(0));
          code.op(EXPR.CMP, 0, 1, s.op === 'neq' ? CMP.neq : CMP.eq);
          code.data(Uint8Array.of(v.value));
          break;
        }
        if (s.exact && v.k === 'flags') {
          code.op(EXPR.CMP, 0, 4, s.op === 'neq' ? CMP.neq : CMP.eq);
          code.data(le32(v.bits));
          break;
        }
        if ((s.type === 'ct_state' || s.type === 'ct_status') && (v.k === 'flags' || (v.k === 'elem' && (s.op === 'eq' || s.op === 'neq')))) {
          const bits = v.k === 'flags' ? v.bits : new DataView(v.e.lo.buffer).getUint32(0, true);
          code.op(EXPR.BITWISE, 0, 4, 0);
          code.data(le32(bits));
          code.data(le32(0));
          code.op(EXPR.CMP, 0, 4, s.op === 'neq' ? CMP.eq : CMP.neq);
          code.data(le32(0));
          break;
        }
        if (s.type === 'ifname' && v.k === 'elem') {
          // nft_cmp over the name register: the whole 16 bytes, or a wildcard's stem only (nft's prefix compare)
          const stem = v.e.hi.findIndex((c, i) => c !== v.e.lo[i]);
          const n = stem < 0 ? 16 : stem;
          code.op(EXPR.CMP, 0, n, s.op === 'neq' ? CMP.neq : CMP.eq);
          code.data(v.e.lo.slice(0, n));
          break;
        }
        if (isIface && v.k === 'elem') {
          const idx = ifaceIndexes(ctx.env, v.e);
          if (idx.length === 1 && !(v.e.name ?? '').endsWith('*')) {
            code.op(EXPR.CMP, 0, 4, CMP[s.op]);
            code.data(le32(idx[0]!));
          } else {
            code.op(EXPR.BYTEORDER, 0, 4, 4);
            const set = addSet(ctx, s.type, [v.e]);
            code.op(EXPR.LOOKUP, 0, 4, s.op === 'neq' ? 1 : 0);
            ctx.setFix.push({ at: code.pos, set });
            code.word(0);
          }
          break;
        }
        const host = info.host;
        const toBe = (b: Uint8Array): Uint8Array => (host && b.length > 1 ? b.slice().reverse() : b);
        // nft's byteorder hton in words of the field's size (a u16 in host order: `byteorder reg 1 = hton(reg 1, 2, 2)`)
        const bo = len === 2 || len === 8 ? len : 4;
        if (v.k === 'elem' && v.e.kind === 'value') {
          if (host && s.op !== 'eq' && s.op !== 'neq') {
            code.op(EXPR.BYTEORDER, 0, len, bo);
            code.op(EXPR.CMP, 0, len, CMP[s.op]);
            code.data(toBe(v.e.lo));
          } else {
            code.op(EXPR.CMP, 0, len, CMP[s.op]);
            code.data(v.e.lo);
          }
        } else if (v.k === 'elem' && v.e.kind === 'prefix') {
          if (prefixBytes) {
            code.op(EXPR.CMP, 0, prefixBytes, s.op === 'neq' ? CMP.neq : CMP.eq);
            code.data(v.e.lo.slice(0, prefixBytes));
          } else {
            const mask = new Uint8Array(len);
            for (let i = 0; i < v.e.plen!; i++) mask[i >> 3]! |= 0x80 >> (i & 7);
            code.op(EXPR.BITWISE, 0, len, 0);
            code.data(mask);
            code.data(new Uint8Array(len));
            code.op(EXPR.CMP, 0, len, s.op === 'neq' ? CMP.neq : CMP.eq);
            code.data(v.e.lo);
          }
        } else if (v.k === 'elem') {
          if (host) code.op(EXPR.BYTEORDER, 0, len, bo);
          code.op(EXPR.RANGE, 0, len, s.op === 'neq' ? 1 : 0);
          code.data(toBe(v.e.lo));
          code.data(toBe(v.e.hi));
        } else if (v.k === 'set' || v.k === 'ref') {
          if (host) code.op(EXPR.BYTEORDER, 0, len, bo);
          let set: number;
          const live = v.k === 'ref' ? ctx.table.sets.find((x) => x.name === v.name)!.live : undefined;
          if (live) {
            // a set the data path writes: its store (nft_dynset.ts), not an image in the blob
            code.op(EXPR.DYNLOOKUP, 0, len, s.op === 'neq' ? 1 : 0);
            code.word(live);
            explicit(s);
            break;
          }
          if (v.k === 'set') set = addSet(ctx, s.type, v.elems);
          else {
            const named = ctx.table.sets.find((x) => x.name === v.name)!;
            // `iif @s` over a set of names: the devices' indexes now (iif resolves names when the rule is loaded)
            set = s.type === 'iface_index' ? addSet(ctx, 'iface_index', named.elems) : namedSet(ctx, named);
          }
          code.op(EXPR.LOOKUP, 0, len, s.op === 'neq' ? 1 : 0);
          ctx.setFix.push({ at: code.pos, set });
          code.word(0);
        }
        explicit(s);
        break;
      }
      case 'objmap':
      case 'vmap': {
        // nft_objref_map_eval (the key's element names the object, whose statement runs over its state) and
        // nft_lookup into the verdict register: no element breaks out of the rule
        const concat = s.k === 'vmap' ? s.concat : undefined;
        const named = s.map.k === 'ref' ? namedMap(ctx.table, s.map.name) : undefined;
        const elems = s.map.k === 'set' ? s.map.elems : named!.elems;
        const types = concat && (named ? fieldsOf(named) : anonFields(elems) ? concat : undefined);
        const fields = types && { types, label: named ? `map ${ctx.table.family} ${ctx.table.name} ${named.name}` : `an anonymous map in table ${ctx.table.family} ${ctx.table.name}` };
        const len = concat ? loadConcat(s.sel, concat, fields !== undefined) : TYPE_INFO[s.keyType].len;
        if (s.k === 'vmap' && s.key) natMapKey(s.key, s.keyType);
        else if (!concat) load(s.sel, len);
        if (TYPE_INFO[s.keyType].host) code.op(EXPR.BYTEORDER, 0, len, len === 2 ? 2 : 4);
        // a named map's objects are of its type (set->objtype: `quota name … map @counters` counts)
        const type = s.k === 'objmap' ? ((named?.mapTo as NftObjType | undefined) ?? s.type) : undefined;
        const obj = (e: Elem): Stateful | undefined => ctx.table.objects.find((o) => o.stmt.k === type && o.name === e.obj)?.stmt;
        ctx.maps.push({ type: s.keyType, klen: len, elems: elems.map((e) => ({ e, obj: obj(e) })), verdicts: s.k === 'vmap', ext: named !== undefined && hasExt(named), fields: fields || undefined });
        code.op(s.k === 'objmap' ? EXPR.OBJMAP : EXPR.VMAP, 0, len, 0);
        ctx.mapFix.push({ at: code.pos, map: ctx.maps.length - 1 });
        code.word(0);
        break;
      }
      case 'counter':
      case 'limit':
      case 'quota':
        statefulExpr(code, s);
        break;
      case 'dynset': {
        // nft_dynset: the key as a lookup in the set loads it (host-order fields of a single key turned big-endian)
        if (s.data?.sel) for (const f of s.data.sel.concat ?? [s.data.sel]) dep(f);
        let klen: number;
        if (s.concat) klen = loadConcat(s.sel, s.concat);
        else {
          klen = TYPE_INFO[s.keyType].len;
          load(s.sel, klen);
          if (TYPE_INFO[s.keyType].host) code.op(EXPR.BYTEORDER, 0, klen, 4);
        }
        const tmpl = dynsetTemplate(s.exprs);
        // a map's data in the registers after the key's (nft's sreg_data)
        const dreg = (klen + 3) >> 2;
        if (s.data?.sel?.concat) {
          // an address and a port: one register each from dreg on (NAT's address and port registers' layout)
          const alen = s.data.len - 4;
          loadOnly(s.data.sel.concat[0]!, alen, dreg);
          loadOnly(s.data.sel.concat[1]!, 2, dreg + alen / 4);
        } else if (s.data?.sel) loadOnly(s.data.sel, s.data.len, dreg);
        else if (s.data) {
          code.op(EXPR.IMM, dreg, s.data.len, 0);
          code.data(s.data.value!);
        }
        code.op(EXPR.DYNSET, 0, klen, { add: 0, update: 1, delete: 2 }[s.op]);
        code.word(ctx.table.sets.find((x) => x.name === s.set)!.live ?? 0);
        code.u64(BigInt(s.timeout));
        code.word(tmpl.length);
        code.word(s.data ? dreg + 1 : 0);
        code.data(tmpl);
        break;
      }
      case 'verdict': {
        code.op(EXPR.VERDICT, 0, 0, VERDICT[s.v]);
        if (s.chain !== undefined) ctx.jumpFix.push({ at: code.pos, key: `${ctx.table.family}\0${ctx.table.name}\0${s.chain}` });
        code.word(0);
        break;
      }
      case 'reject':
        if (s.type === 1) needL4(6);
        else if (s.family === 'ip') needNf(2);
        else if (s.family === 'ip6') needNf(10);
        code.op(EXPR.REJECT, 0, s.code, s.type);
        break;
      case 'nat': {
        const alen = s.family === 'ip6' || (s.family === undefined && fam === 'ip6') ? 16 : 4;
        let rw = NOREG | (NOREG << 8) | (NOREG << 16) | (NOREG << 24);
        // the port in the last register first (the address's key may take the ones before), then the address in
        // register 0: min and max of the range alike
        if (s.portMap) {
          natMap(s.portMap, 15, 2);
          rw = (rw & 0x0000ffff) | (15 << 16) | (15 << 24);
        }
        if (s.map?.dataType.includes(' . ')) {
          // an address and a port from the map (`… : 198.51.100.1 . 8080`): the address in register 0, the port
          // in the register after it (nft's NFTA_NAT_REG_ADDR_MIN/MAX and NFTA_NAT_REG_PROTO_MIN/MAX, measured)
          const ranged = s.map.dataType.startsWith('interval ') || s.map.elems.some((e) => e.data!.length > alen + 4);
          natMap(s.map, 0, ranged ? 2 * (alen + 4) : alen + 4);
          // ranges: min address, min port, max address, max port (nft's `addr_max reg 10 … proto_max reg 11`)
          rw = ranged ? 0 | (((alen + 4) / 4) << 8) | ((alen / 4) << 16) | (((2 * alen + 4) / 4) << 24) : 0 | (0 << 8) | ((alen / 4) << 16) | ((alen / 4) << 24);
        } else if (s.map?.dataType.startsWith('interval ')) {
          // a map to address ranges: min in register 0, max after it (nft's addr_min reg 1 addr_max reg 9)
          natMap(s.map, 0, 2 * alen);
          rw = (rw & 0xffff0000) | 0 | ((alen / 4) << 8);
        } else if (s.map) {
          natMap(s.map, 0, alen);
          rw = (rw & 0xffff0000) | 0 | (0 << 8);
        }
        if (s.addr) {
          code.op(EXPR.IMM, 0, alen, 0);
          code.data(s.addr[0]);
          code.op(EXPR.IMM, 4, alen, 0);
          code.data(s.addr[1]);
          rw = (rw & 0xffff0000) | 0 | (4 << 8);
        }
        if (s.port) {
          code.op(EXPR.IMM, 8, 2, 0);
          code.data(Uint8Array.of(s.port[0] >> 8, s.port[0] & 0xff));
          code.op(EXPR.IMM, 12, 2, 0);
          code.data(Uint8Array.of(s.port[1] >> 8, s.port[1] & 0xff));
          rw = (rw & 0x0000ffff) | (8 << 16) | (12 << 24);
        }
        code.op(EXPR.NAT, 0, 0, NAT[s.type]);
        code.word(s.flags);
        code.word(rw >>> 0);
        break;
      }
      case 'set':
        if (s.target === 'ct zone') {
          // nft_ct_set_zone_eval reads a u16 in host order (nft_reg_load16)
          code.op(EXPR.IMM, 0, 2, 0);
          code.data(Uint8Array.of(s.value & 0xff, s.value >> 8));
          code.op(EXPR.CT_SET, 0, 2, CT.ZONE | ((s.dir === 'original' ? 1 : s.dir === 'reply' ? 2 : 0) << CT_DIR_SHIFT));
          break;
        }
        if (s.target === 'meta pkttype') {
          // nft_meta_set_eval: the byte from an immediate
          code.op(EXPR.IMM, 0, 1, 0);
          code.data(Uint8Array.of(s.value));
          code.op(EXPR.META_SET, 0, 1, META.PKTTYPE);
          break;
        }
        if (s.map) natMap(s.map, 0, 4);
        else if (s.key) {
          natMapKey(s.key, 'integer32');
          if (s.bits) bitwise(s.bits);
        } else {
          code.op(EXPR.IMM, 0, 4, 0);
          code.data(le32(s.value));
        }
        code.op(s.target === 'ct mark' ? EXPR.CT_SET : EXPR.META_SET, 0, 4, s.target === 'ct mark' ? CT.MARK : META.MARK);
        break;
      case 'optreset':
        // nft_exthdr's strip: the write with no bytes (len 0)
        code.op(EXPR.EXTHDR_SET, 0, 0, tcpOptKind(s.name));
        code.word(0);
        break;
      case 'optset': {
        // the value into register 0 (`rt mtu`: nft_rt's TCPMSS, then byteorder hton(reg, 2, 2)), then nft_exthdr's
        // write: x the option's kind | +4 u8 offset in the option
        const at = tcpOptAt(s.sel.field);
        if (s.rt) {
          code.op(EXPR.RT, 0, 2, RT_KEYS.mtu!);
          code.op(EXPR.BYTEORDER, 0, 2, 2);
        } else {
          code.op(EXPR.IMM, 0, at.len, 0);
          code.data(s.value!);
        }
        code.op(EXPR.EXTHDR_SET, 0, at.len, at.kind);
        code.word(at.off);
        break;
      }
      case 'notrack':
        code.op(EXPR.NOTRACK, 0, 0, 0);
        break;
      case 'fwd':
        // x: 0 fwd, 1 dup, 2 fwd to an IPv4 neighbour, 3 to an IPv6 one (its address after the index, 16 bytes)
        code.op(EXPR.FWD, 0, 0, s.nh ? (s.nh.family === 'ip' ? 2 : 3) : s.dup ? 1 : 0);
        code.word(s.ifindex);
        if (s.nh) code.data(Uint8Array.from({ length: 16 }, (_, i) => s.nh!.addr[i] ?? 0));
        break;
      case 'dup':
        // x 4 / 5: dup to an IPv4 / IPv6 address (nft_dup_ipv4 / _ipv6), the output device's index (0: any), the address
        code.op(EXPR.FWD, 0, 0, s.family === 'ip' ? 4 : 5);
        code.word(s.ifindex);
        code.data(Uint8Array.from({ length: 16 }, (_, i) => s.addr[i] ?? 0));
        break;
      case 'flow':
        code.op(EXPR.FLOW, 0, 0, 0);
        code.word(ctx.env.flowtableId(ctx.table, s.name));
        break;
      case 'log': {
        code.op(EXPR.LOG, 0, s.level, s.group !== undefined ? 1 : 0);
        code.word(ctx.env.logRing());
        code.word((s.group ?? 0) | (s.logflags << 16));
        code.word(s.snaplen);
        const prefix = new Uint8Array(PREFIX_LEN);
        prefix.set(new TextEncoder().encode(s.prefix ?? '').subarray(0, PREFIX_LEN - 1));
        code.data(prefix);
        break;
      }
    }
  }
}

type Stateful = Extract<RStmt, { k: 'counter' | 'limit' | 'quota' }>;

/** A counter, limit or quota over its state block: a rule's own, or a named object's (a reference's, a map's). */
function statefulExpr(code: Code, s: Stateful): void {
  if (s.k === 'counter') {
    code.op(EXPR.COUNTER, 0, 0, 0);
    code.word(s.addr);
  } else if (s.k === 'limit') {
    // nft_limit_init: the bucket holds tokens_max ns; a packet costs nsecs / rate, or nsecs × len / rate bytes
    const nsecs = BigInt(s.unit) * NSEC;
    code.op(EXPR.LIMIT, 0, s.inv ? 1 : 0, s.bytes ? 1 : 0);
    code.word(s.addr);
    code.u64(limitTokensMax(s));
    code.u64(s.bytes ? nsecs : nsecs / s.rate);
    code.u64(s.rate);
  } else {
    code.op(EXPR.QUOTA, 0, s.inv ? 1 : 0, 0);
    code.word(s.addr);
    code.u64(s.bytes);
  }
}

/**
 * A dynset's new element's expressions as assembly/net/nft_dynset.ts's blocks: counter (24 bytes), limit (56: its
 * parameters, then the bucket the element fills), quota (24).
 */
export function dynsetTemplate(exprs: readonly Stateful[]): Uint8Array {
  const c = new Code();
  for (const s of exprs) {
    if (s.k === 'counter') {
      c.op(EXPR.COUNTER, 0, 0, 0);
      c.word(0);
      c.u64(0n);
      c.u64(0n);
    } else if (s.k === 'limit') {
      const nsecs = BigInt(s.unit) * NSEC;
      c.op(EXPR.LIMIT, 0, s.inv ? 1 : 0, s.bytes ? 1 : 0);
      c.word(0);
      c.u64(limitTokensMax(s));
      c.u64(s.bytes ? nsecs : nsecs / s.rate);
      c.u64(s.rate);
      for (let i = 0; i < 6; i++) c.word(0);
    } else {
      c.op(EXPR.QUOTA, 0, s.inv ? 1 : 0, 0);
      c.word(0);
      c.u64(s.bytes);
      c.u64(0n);
    }
  }
  return c.done();
}

/** A named set or map of the table (the rules refer to ones that exist: nft.ts checked them). */
function namedMap(t: NftTable, name: string): NftSet {
  return t.sets.find((x) => x.name === name)!;
}

/**
 * nft_limit_init's bucket size in ns: packets, nsecs / rate × burst (a packet costs nsecs / rate); bytes,
 * nsecs × (rate + burst) / rate. The bucket starts full.
 */
export function limitTokensMax(s: Extract<RStmt, { k: 'limit' }>): bigint {
  const nsecs = BigInt(s.unit) * NSEC;
  return s.bytes ? (nsecs * (s.rate + s.burst)) / s.rate : (nsecs / s.rate) * s.burst;
}

const namedIndex = new WeakMap<Ctx, Map<NftSet, number>>();
function namedSet(ctx: Ctx, set: NftSet): number {
  let m = namedIndex.get(ctx);
  if (!m) namedIndex.set(ctx, (m = new Map()));
  let i = m.get(set);
  if (i === undefined) {
    ctx.sets.push(namedImage(ctx.env, set, ctx.table));
    i = ctx.sets.length - 1;
    m.set(set, i);
  }
  return i;
}

/**
 * A named set's image: one interval per element (a named set's do not overlap), in key order, with each element's
 * state beside it when it has some. Kept per element array — an array a committed state holds is never written
 * (nft_elems.ts) — and made from the image of the array it was copied from when that is known: its elements
 * removed and the new ones inserted in place, so a small change to a big set costs no sort of it.
 */
const namedImages = new WeakMap<Elem[], SetImage>();
function namedImage(env: CompileEnv, set: NftSet, t: NftTable): SetImage {
  const hit = namedImages.get(set.elems);
  if (hit) return hit;
  const ext = hasExt(set);
  const fields = fieldsOf(set);
  if (fields) {
    const image = fieldImage(fields, set.elems, `${set.mapTo ? 'map' : 'set'} ${t.family} ${t.name} ${set.name}`);
    if (ext) image.ext = set.elems.map(extOf);
    namedImages.set(set.elems, image);
    return image;
  }
  const key = memcmpKey(set.type);
  const d = env.elemsBase?.(set.elems);
  const prev = d && namedImages.get(d.base);
  let image: SetImage;
  if (d && prev?.sorted && (prev.ext !== undefined) === ext && set.type !== 'iface_index') {
    const sorted = prev.sorted.slice();
    const ivals = prev.ivals.slice();
    const exts = prev.ext?.slice();
    const at = (lo: Uint8Array): number => {
      let a = 0;
      let b = ivals.length;
      while (a < b) {
        const mid = (a + b) >>> 1;
        if (cmpBytes(ivals[mid]![0], lo) < 0) a = mid + 1;
        else b = mid;
      }
      return a;
    };
    // the bytes too, when the base's were written and have no ext array: moved, not written again
    const bytes = prev.bytes && !exts ? new PairBytes(keyLen(set.type, set.concat), prev.bytes, d.added.length) : undefined;
    for (const e of d.removed) {
      const i = at(key(e.lo));
      sorted.splice(i, 1);
      ivals.splice(i, 1);
      exts?.splice(i, 1);
      bytes?.remove(i);
    }
    for (const e of d.added) {
      const lo = key(e.lo);
      const i = at(lo);
      const hi = key(e.hi);
      sorted.splice(i, 0, e);
      ivals.splice(i, 0, [lo, hi]);
      exts?.splice(i, 0, extOf(e));
      bytes?.insert(i, lo, hi);
    }
    image = { type: set.type, ivals, ext: exts, sorted, bytes: bytes?.done() };
  } else if (set.type === 'iface_index' && !ext) {
    return addSetImage(env, set.type, set.elems);
  } else {
    const sorted = sortElems(set.type, set.elems);
    image = { type: set.type, ivals: sorted.map((e) => [key(e.lo), key(e.hi)]), sorted };
    if (ext) image.ext = sorted.map(extOf);
  }
  if (set.concat) image.klen = keyLen(set.type, set.concat);
  namedImages.set(set.elems, image);
  return image;
}

/** A set image's bytes (no ext array) edited in place: pairs moved up or down by one, the count in the header kept. */
class PairBytes {
  private readonly buf: Uint8Array;
  private n: number;
  private readonly pair: number;
  constructor(private readonly klen: number, from: Uint8Array, room: number) {
    this.pair = 2 * ((klen + 3) & ~3);
    this.n = new DataView(from.buffer, from.byteOffset).getUint32(4, true);
    this.buf = new Uint8Array(8 + (this.n + room) * this.pair);
    this.buf.set(from.subarray(0, 8 + this.n * this.pair));
  }
  private at(i: number): number {
    return 8 + i * this.pair;
  }
  remove(i: number): void {
    this.buf.copyWithin(this.at(i), this.at(i + 1), this.at(this.n));
    this.n--;
  }
  insert(i: number, lo: Uint8Array, hi: Uint8Array): void {
    this.buf.copyWithin(this.at(i + 1), this.at(i), this.at(this.n));
    const a = this.at(i);
    this.buf.fill(0, a, a + this.pair);
    this.buf.set(lo.subarray(0, this.klen), a);
    this.buf.set(hi.subarray(0, this.klen), a + this.pair / 2);
    this.n++;
  }
  done(): Uint8Array {
    new DataView(this.buf.buffer).setUint32(4, this.n, true);
    return this.buf.subarray(0, this.at(this.n));
  }
}

/** A set's header, intervals and ext array as the evaluator reads them. */
function setBytes(set: SetImage): Uint8Array {
  if (set.bytes) return set.bytes;
  const klen = set.klen ?? TYPE_INFO[set.type].len;
  const pad = (klen + 3) & ~3;
  const out = new Uint8Array(8 + set.ivals.length * 2 * pad + (set.ext ? set.ext.length * 16 : 0));
  const v = new DataView(out.buffer);
  v.setUint32(0, (set.ext ? klen | SET_EXT : klen) | (set.fields ? fieldStarts(set.fields.types) << 16 : 0), true);
  v.setUint32(4, set.ivals.length, true);
  let at = 8;
  for (const [lo, hi] of set.ivals) {
    // byte by byte: a set() per key costs more than the copy for keys this short
    for (let i = 0; i < klen; i++) {
      out[at + i] = lo[i]!;
      out[at + pad + i] = hi[i]!;
    }
    at += 2 * pad;
  }
  for (const x of set.ext ?? []) {
    v.setBigUint64(at, BigInt(x.expiration), true);
    v.setUint32(at + 8, x.counter, true);
    at += 16;
  }
  if (set.sorted) set.bytes = out;
  return out;
}

/** One element's ext entry: u64 expiry (ms on the stack clock, 0 never), u32 counter address (0 none), u32 0. */
function extWords(out: Code, x: { expiration: number; counter: number }): void {
  out.u64(BigInt(x.expiration));
  out.word(x.counter);
  out.word(0);
}

/** The whole ruleset as one blob; `slots` gives each base chain its stable slot id (extended as needed). */
export function compileRuleset(state: NftState, env: CompileEnv, slots: Map<string, number>): Uint8Array {
  const out = new Code();
  const chains: Array<{ key: string; t: NftTable; c: NftChain }> = [];
  for (const t of state.tables) for (const c of t.chains) chains.push({ key: chainKey(t, c), t, c });
  for (const { key, c } of chains) if (c.base && !slots.has(key)) slots.set(key, Math.max(-1, ...slots.values()) + 1);
  const nslots = Math.max(-1, ...slots.values()) + 1;
  out.word(NFT_MAGIC);
  out.word(0); // size, patched
  out.word(nslots);
  out.word(0);
  for (let i = 0; i < nslots; i++) out.word(0);
  const chainAt = new Map<string, number>();
  const allSetFix: Array<{ at: number; set: SetImage }> = [];
  const allJumpFix: Array<{ at: number; key: string }> = [];
  const allMapFix: Array<{ at: number; map: MapImage; t: NftTable }> = [];
  for (const { key, t, c } of chains) {
    const at = out.pos;
    chainAt.set(key, at);
    out.word(c.base ? (c.base.policy === 'accept' ? 1 : 0) : NFTC_REGULAR);
    out.word(0);
    for (const r of c.rules) {
      const code = new Code();
      const ctx: Ctx = { table: t, env, sets: [], setFix: [], jumpFix: [], maps: [], mapFix: [] };
      compileRule(code, ctx, r.stmts);
      const start = out.pos;
      out.word(code.pos + 4);
      for (const f of ctx.setFix) allSetFix.push({ at: start + 4 + f.at, set: ctx.sets[f.set]! });
      for (const f of ctx.mapFix) allMapFix.push({ at: start + 4 + f.at, map: ctx.maps[f.map]!, t });
      for (const f of ctx.jumpFix) allJumpFix.push({ at: start + 4 + f.at, key: f.key });
      out.bytes.push(...code.bytes);
    }
    out.word(0);
    const slot = slots.get(key);
    if (c.base && slot !== undefined) out.patch(16 + slot * 4, at);
  }
  const setAt = new Map<SetImage, number>();
  for (const f of allSetFix) {
    let at = setAt.get(f.set);
    if (at === undefined) {
      // a per-field set's index lies before its header (nft_pipapo.ts fieldIndex)
      if (f.set.fields) out.chunk(fieldIndexOf(env, f.set.fields, f.set.ivals));
      at = out.pos;
      setAt.set(f.set, at);
      out.chunk(setBytes(f.set));
    }
    out.patch(f.at, at);
  }
  // object maps: the keys as a set's intervals, then each element's object expression's offset, then the
  // expressions (an object's statement over its own state block, once per object)
  const exprAt = new Map<Stateful, number>();
  for (const f of allMapFix) {
    const key = memcmpKey(f.map.type);
    const byElem = new Map(f.map.elems.map((x) => [x.e, x]));
    // (a concatenation's keys are compared whole, as memcmp orders them: its type's key is the bytes themselves)
    const fields = f.map.fields;
    const elems = fields ? f.map.elems : sortElems(f.map.type, f.map.elems.map((x) => x.e)).map((e) => byElem.get(e)!);
    const ivals = elems.map(({ e }): [Uint8Array, Uint8Array] => (fields ? fieldBounds(fields.types, e) : [key(e.lo), key(e.hi)]));
    if (fields) out.chunk(fieldIndexOf(env, fields, ivals));
    out.patch(f.at, out.pos);
    out.word((f.map.ext ? f.map.klen | SET_EXT : f.map.klen) | (fields ? fieldStarts(fields.types) << 16 : 0));
    out.word(elems.length);
    for (const [lo, hi] of ivals) {
      out.data(lo);
      out.data(hi);
    }
    if (f.map.ext) for (const { e } of elems) extWords(out, extOf(e));
    if (f.map.data !== undefined) {
      for (const { e } of elems) {
        const d = new Uint8Array((f.map.data + 3) & ~3);
        d.set(e.data!);
        out.data(d);
      }
      continue;
    }
    if (f.map.verdicts) {
      // each element's verdict code and chain (jump, goto: patched with the others below)
      for (const { e } of elems) {
        out.word(VERDICT[e.verdict!.v]);
        if (e.verdict!.chain !== undefined) allJumpFix.push({ at: out.pos, key: `${f.t.family}\0${f.t.name}\0${e.verdict!.chain}` });
        out.word(0);
      }
      continue;
    }
    const offs = out.pos;
    for (let i = 0; i < elems.length; i++) out.word(0);
    elems.forEach(({ obj }, i) => {
      let at = exprAt.get(obj!);
      if (at === undefined) {
        at = out.pos;
        exprAt.set(obj!, at);
        const c = new Code();
        statefulExpr(c, obj!);
        out.bytes.push(...c.bytes);
      }
      out.patch(offs + i * 4, at);
    });
  }
  for (const f of allJumpFix) out.patch(f.at, chainAt.get(f.key) ?? 0);
  out.patch(4, out.pos);
  return out.done();
}

