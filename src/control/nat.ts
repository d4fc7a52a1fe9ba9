// NAT rules without a rule language (dp.nat): the builtin NAT chain assembly/net/nf_nat.ts runs after any
// nftables NAT chain, for a connection's first packet, at the hook the rule names — what
// `nft add rule ip nat postrouting oifname "eth1" masquerade` or `... prerouting tcp dport 80 dnat to
// 203.0.113.5:8080` set up, as objects:
//
//   dp.nat.add({ hook: 'postrouting', oif: 'eth1', type: 'masquerade' })
//   dp.nat.add({ hook: 'prerouting', proto: 'tcp', dport: 80, type: 'dnat', to: '203.0.113.5:8080' })
//   dp.nat.add({ hook: 'postrouting', src: '192.0.2.0/24', type: 'snat', to: '198.51.100.1:20000-20099' })
//
// `to` is nft's syntax: ADDR, ADDR-ADDR, with :PORT or :PORT-PORT (IPv6 in brackets: [2001:db8::1]:80).
// Rules are matched in the order added; the first that matches decides (a later one never runs for that
// connection and hook). The whole list is rebuilt and published on each change.
//
// References, as the equivalent nftables ruleset holds them: each rule is a rule with a NAT statement, whose
// expression takes a conntrack reference for its family when the rule is added (nft_nat_init, nft_masq_init:
// nf_ct_netns_get) and drops it when the rule goes (nft_nat_destroy: nf_ct_netns_put). The rules of a
// family at one hook are a NAT base chain, made with its first rule and deleted with its last (del of the
// last rule, flush): the chain holds NAT's steps in the family's hooks (nf_nat_register_fn /
// nf_nat_unregister_fn). So once a family's rules are gone nothing of this API keeps conntrack or NAT on
// for it: packets pass untracked unless something else uses conntrack, and a connection translated before
// goes out untranslated unless another NAT chain of its family is there (as after `delete table ip nat`).

import type { Datapath } from './datapath.js';
import { NetError } from './net_types.js';
import { parseAddr, parsePrefix } from './route_text.js';

export type NatHook = 'prerouting' | 'input' | 'output' | 'postrouting';
export type NatType = 'snat' | 'dnat' | 'masquerade';

export interface NatRuleSpec {
  hook: NatHook;
  type: NatType;
  /** 'ipv4' (default, or as the addresses say) or 'ipv6'. */
  family?: 'ipv4' | 'ipv6';
  proto?: 'tcp' | 'udp' | 'icmp' | 'icmpv6' | 'udplite' | number;
  src?: string;
  dst?: string;
  /** A destination port or [min, max] (TCP / UDP / UDP-Lite). */
  dport?: number | [number, number];
  iif?: string;
  oif?: string;
  /** snat / dnat: ADDR[-ADDR][:PORT[-PORT]]; masquerade: optional :PORT[-PORT] ("to :1024-2047"). */
  to?: string;
  /** nft's `random`, `fully-random`, `persistent`. */
  flags?: Array<'random' | 'fully-random' | 'persistent'>;
}

const HOOKS: Readonly<Record<NatHook, number>> = { prerouting: 0, input: 1, output: 3, postrouting: 4 };
const TYPES: Readonly<Record<NatType, number>> = { snat: 1, dnat: 2, masquerade: 3 };
const PROTOS: Readonly<Record<string, number>> = { icmp: 1, tcp: 6, udp: 17, icmpv6: 58, udplite: 136 };
const F = { MAP_IPS: 1, PROTO_SPECIFIED: 2, RANDOM: 4, PERSISTENT: 8, RANDOM_FULLY: 16 } as const;
const RULE_SIZE = 128;

interface NatExports {
  nf_nat_rules_alloc(n: number): number;
  nf_nat_rules_publish(a: number, n: number): number;
  nf_nat_seed(s: number): void;
  nf_nat_seed_port(manip: number, port: number): void;
  nf_nat_register_fn(pf: number): number;
  nf_nat_unregister_fn(pf: number): number;
}

interface Encoded {
  spec: NatRuleSpec;
  bytes: Uint8Array;
}

export class Nat {
  private readonly rules: Encoded[] = [];

  constructor(private readonly dp: Datapath) {}

  /** Add a rule at the end; returns its index (for del). Throws NetError (EINVAL) naming the bad field. */
  add(spec: NatRuleSpec): number {
    const enc = encode(this.dp, spec);
    const pf = enc.bytes[0]!;
    // the rule's conntrack reference, then its chain's NAT one (a new chain), before it can run; a
    // failure puts back what was taken
    this.dp.conntrack.netnsGet(pf);
    try {
      if (!this.chainHas(enc)) this.registerFn(pf);
    } catch (e) {
      this.dp.conntrack.netnsPut(pf);
      throw e;
    }
    this.rules.push(enc);
    try {
      this.publish();
    } catch (e) {
      this.release(this.rules.splice(-1));
      throw e;
    }
    return this.rules.length - 1;
  }

  /** Remove rule `index` (as add returned; later ones move down). */
  del(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.rules.length) throw new NetError('ENOENT', `nat: no rule ${index} (there are ${this.rules.length})`);
    const [gone] = this.rules.splice(index, 1);
    this.publish();
    this.release([gone!]);
  }

  /** Remove every rule (their chains go with them). */
  flush(): void {
    const gone = this.rules.splice(0);
    if (gone.length === 0) return;
    this.publish();
    this.release(gone);
  }

  /** Whether a rule in the list is of `r`'s chain (its family and hook). */
  private chainHas(r: Encoded): boolean {
    return this.rules.some((o) => o.bytes[0] === r.bytes[0] && o.bytes[1] === r.bytes[1]);
  }

  /**
   * The references of rules no longer published (dropped after the rules are gone, as nftables' commit
   * does): each rule's conntrack one, and its chain's NAT one when the chain has no rule left.
   */
  private release(gone: Encoded[]): void {
    const emptied = new Map<number, number>(); // chain (family << 8 | hook) → family
    for (const r of gone) {
      if (!this.chainHas(r)) emptied.set((r.bytes[0]! << 8) | r.bytes[1]!, r.bytes[0]!);
      this.dp.conntrack.netnsPut(r.bytes[0]!);
    }
    for (const pf of emptied.values()) this.unregisterFn(pf);
  }

  private get x(): NatExports {
    return this.dp.fastPath.exports as unknown as NatExports;
  }

  list(): NatRuleSpec[] {
    return this.rules.map((r) => ({ ...r.spec }));
  }

  /**
   * nf_nat_register_fn: a user of NAT's steps in family `pf` (2 IPv4, 10 IPv6) — a NAT base chain. The
   * first puts NAT's four steps in the family's hooks; without a user a connection gets no translation,
   * not even a null binding, whatever NAT it was given before.
   */
  registerFn(pf: number): void {
    const r = this.x.nf_nat_register_fn(pf);
    if (r !== 0) throw new NetError(r === -12 ? 'ENOMEM' : r === -28 ? 'ENOBUFS' : 'EINVAL', `nat: registering NAT's hooks for family ${pf} failed (${r})`);
  }

  /** nf_nat_unregister_fn: a user of family `pf` less; the last one's takes NAT's steps out. */
  unregisterFn(pf: number): void {
    if (this.x.nf_nat_unregister_fn(pf) !== 0) throw new NetError('ENOENT', `nat: no NAT user of family ${pf} to put`);
  }

  /** Make port choices repeatable (the kernel's get_random_u16 offsets), for tests. */
  seed(s: number): void {
    this.x.nf_nat_seed(s >>> 0);
  }

  /**
   * Replay a kernel's port choice (tests): the next random offset of a port search for source (or
   * destination) NAT starts at `port` when the range holds it, as the kernel's get_random_u16 did when
   * it picked that port. The search goes on from there as usual, so a port wxdp holds is not taken.
   * undefined clears the hint.
   */
  seedPort(manip: 'src' | 'dst', port: number | undefined): void {
    if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) throw bad('port', `${port} out of range (0-65535)`);
    this.x.nf_nat_seed_port(manip === 'src' ? 0 : 1, port ?? -1);
  }

  private publish(): void {
    const x = this.x;
    const a = x.nf_nat_rules_alloc(this.rules.length);
    if (a === 0) throw new NetError('ENOMEM', 'nat: no memory for the rules');
    const mem = this.dp.memory.bytes();
    this.rules.forEach((r, i) => mem.set(r.bytes, a + i * RULE_SIZE));
    if (x.nf_nat_rules_publish(a, this.rules.length) !== 0) throw new NetError('EINVAL', 'nat: conntrack is not enabled');
  }
}

function bad(field: string, why: string): NetError {
  return new NetError('EINVAL', `nat: ${field}: ${why}`);
}

function port(text: string, field: string): number {
  if (!/^\d+$/.test(text)) throw bad(field, `not a port: ${JSON.stringify(text)}`);
  const n = Number(text);
  if (n > 65535) throw bad(field, `port ${n} out of range (0-65535)`);
  return n;
}

/** nft's `to` argument: addresses and ports. */
export function parseTo(to: string, family: 2 | 10 | undefined): { family: 2 | 10; min?: Uint8Array; max?: Uint8Array; ports?: [number, number] } {
  let addr = to.trim();
  let ports: [number, number] | undefined;
  const v6 = /^\[([^\]]+)\](?:-\[([^\]]+)\])?(?::(.+))?$/.exec(addr);
  let lo: string | undefined;
  let hi: string | undefined;
  if (v6) {
    lo = v6[1];
    hi = v6[2];
    if (v6[3] !== undefined) ports = portRange(v6[3]);
  } else {
    const colon = addr.split(':');
    if (colon.length > 2) {
      lo = addr; // a bare IPv6 address without ports
    } else {
      if (colon.length === 2) {
        ports = portRange(colon[1]!);
        addr = colon[0]!;
      }
      if (addr !== '') [lo, hi] = addr.split('-');
    }
  }
  if (lo === undefined) return { family: family ?? 2, ports };
  const a = parseAddr(lo);
  const b = hi !== undefined ? parseAddr(hi) : a;
  if (a.family !== b.family) throw bad('to', `${lo} and ${hi} are of different families`);
  if (family !== undefined && a.family !== family) throw bad('to', `${lo} is not of the rule's family`);
  for (let i = 0; i < a.bytes.length; i++) {
    if (a.bytes[i]! < b.bytes[i]!) break;
    if (a.bytes[i]! > b.bytes[i]!) throw bad('to', `range ${lo}-${hi} runs backwards`);
  }
  return { family: a.family, min: a.bytes, max: b.bytes, ports };
}

function portRange(text: string): [number, number] {
  const [a, b] = text.split('-');
  const lo = port(a!, 'to');
  const hi = b !== undefined ? port(b, 'to') : lo;
  if (hi < lo) throw bad('to', `port range ${text} runs backwards`);
  return [lo, hi];
}

function encode(dp: Datapath, spec: NatRuleSpec): Encoded {
  const b = new Uint8Array(RULE_SIZE);
  const v = new DataView(b.buffer);
  if (!(spec.hook in HOOKS)) throw bad('hook', `${JSON.stringify(spec.hook)} is not one of ${Object.keys(HOOKS).join(', ')}`);
  if (!(spec.type in TYPES)) throw bad('type', `${JSON.stringify(spec.type)} is not one of ${Object.keys(TYPES).join(', ')}`);
  const hook = HOOKS[spec.hook];
  // nft: snat / masquerade only at postrouting and input, dnat at prerouting and output
  const srcHook = hook === 4 || hook === 1;
  if (spec.type !== 'dnat' && !srcHook) throw bad('hook', `${spec.type} is for postrouting or input, not ${spec.hook}`);
  if (spec.type === 'dnat' && srcHook) throw bad('hook', `dnat is for prerouting or output, not ${spec.hook}`);
  let family: 2 | 10 | undefined = spec.family === 'ipv6' ? 10 : spec.family === 'ipv4' ? 2 : undefined;
  const src = spec.src !== undefined ? parsePrefix(spec.src) : undefined;
  const dst = spec.dst !== undefined ? parsePrefix(spec.dst) : undefined;
  for (const p of [src, dst]) {
    if (p && family !== undefined && p.family !== family) throw bad(p === src ? 'src' : 'dst', 'not of the rule\'s family');
    if (p) family = p.family;
  }
  const to = spec.to !== undefined ? parseTo(spec.to, family) : undefined;
  if (to?.min) family = to.family;
  family ??= 2;
  if (spec.type !== 'masquerade' && !to?.min) throw bad('to', `${spec.type} needs an address (to: 'ADDR[:PORT]')`);
  if (spec.type === 'masquerade' && to?.min) throw bad('to', 'masquerade takes ports only (to: \':PORT[-PORT]\')');
  let proto = 0;
  if (spec.proto !== undefined) {
    proto = typeof spec.proto === 'number' ? spec.proto : PROTOS[spec.proto] ?? -1;
    if (!Number.isInteger(proto) || proto < 0 || proto > 255) throw bad('proto', `unknown protocol ${JSON.stringify(spec.proto)}`);
  }
  const portsProto = proto === 6 || proto === 17 || proto === 136;
  if ((to?.ports || spec.dport !== undefined) && !portsProto) throw bad(to?.ports ? 'to' : 'dport', 'ports need proto tcp, udp or udplite');
  b[0] = family;
  b[1] = hook;
  b[2] = TYPES[spec.type];
  b[3] = proto;
  const dev = (name: string | undefined, field: string): number => {
    if (name === undefined) return 0;
    if (!dp.links.has(name)) throw bad(field, `no device ${JSON.stringify(name)}`);
    return dp.links.ifindex(name);
  };
  v.setUint32(4, dev(spec.iif, 'iif'), true);
  v.setUint32(8, dev(spec.oif, 'oif'), true);
  b[12] = src ? src.len : 0xff;
  b[13] = dst ? dst.len : 0xff;
  if (spec.dport !== undefined) {
    const [lo, hi] = typeof spec.dport === 'number' ? [spec.dport, spec.dport] : spec.dport;
    if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < 1 || hi > 65535 || hi < lo) throw bad('dport', `bad port range ${JSON.stringify(spec.dport)}`);
    v.setUint16(14, lo, true);
    v.setUint16(16, hi, true);
  }
  if (src) b.set(src.bytes, 20);
  if (dst) b.set(dst.bytes, 36);
  // the range (struct nf_nat_range2) at 52
  let flags = 0;
  if (to?.min) {
    flags |= F.MAP_IPS;
    b.set(to.min, 52 + 4);
    b.set(to.max!, 52 + 20);
  }
  if (to?.ports) {
    flags |= F.PROTO_SPECIFIED;
    v.setUint16(52 + 36, to.ports[0], false);
    v.setUint16(52 + 38, to.ports[1], false);
  }
  for (const f of spec.flags ?? []) {
    if (f === 'random') flags |= F.RANDOM;
    else if (f === 'fully-random') flags |= F.RANDOM_FULLY;
    else if (f === 'persistent') flags |= F.PERSISTENT;
    else throw bad('flags', `unknown flag ${JSON.stringify(f)}`);
  }
  v.setUint32(52, flags, true);
  return { spec: { ...spec }, bytes: b };
}
