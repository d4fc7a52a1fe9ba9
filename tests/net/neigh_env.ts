// A test bench for the neighbour stage: a Datapath with devices and addresses, frames handed to
// neigh_output / arp_rcv / ndisc_rcv the way the other stages hand them, and packet builders whose
// bytes are written here by hand (RFC 826, RFC 791, RFC 8200, RFC 4861, RFC 1071 checksums).
//
// Devices are ring devices (dp.addDevice) configured through dp.ip and dp.sysctl, so their records,
// address lists and the kernel's routes for the addresses are what dp.links / dp.addresses make; what
// they transmit is read back from their TX rings.

import { Datapath } from '../../src/index.js';
import type { Device } from '../../src/control/device.js';
import { concat as cat, hex } from './support.js';
import { ADDR_ENTRY_SIZE, ADDR_LIST_HEADER, AE, AF_INET, AF_INET6, ND } from '../../src/runtime/net_abi.js';

export interface BenchExports {
  frameAlloc(): number;
  dp_pool_free(): number;
  scratch_base(): number;
  neigh_output(family: number, ifindex: number, nh: number, q: number, data: number, len: number): void;
  neigh_output_from(family: number, ifindex: number, nh: number, q: number, data: number, len: number, iif: number): void;
  neigh_lookup(family: number, ifindex: number, addr: number): number;
  arp_rcv(ifindex: number, q: number, data: number, len: number): void;
  ndisc_rcv(ifindex: number, q: number, data: number, len: number, l4off: number): void;
  stack_rx(ifindex: number, q: number, qi: number, data: number, len: number): void;
  neigh_seed(seed: number): void;
}

export interface Addr4 {
  addr: string;
  plen: number;
  scope?: 'host' | 'link' | 'global';
}
export interface Addr6 {
  addr: string;
  plen: number;
}
export interface BenchDev {
  name: string;
  ifindex: number;
  mac: Uint8Array;
  rec: number;
  /** The ring device, for what it transmits (loopback has none). */
  dev?: Device;
}

const HEADROOM = 256;

export function ip4(s: string): Uint8Array {
  return Uint8Array.from(s.split('.').map(Number));
}

export function ip6(s: string): Uint8Array {
  const [h, t] = s.split('::') as [string, string | undefined];
  const parse = (x: string | undefined): number[] => (x ? x.split(':').map((g) => parseInt(g, 16)) : []);
  const head = parse(h);
  const tail = parse(t);
  const words = t === undefined ? head : [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  const out = new Uint8Array(16);
  words.forEach((w, i) => {
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 0xff;
  });
  return out;
}

export function mac(s: string): Uint8Array {
  return Uint8Array.from(s.split(':').map((h) => parseInt(h, 16)));
}

/** RFC 1071: the one's-complement sum of 16-bit big-endian words, folded, not complemented. */
export function sum16(b: Uint8Array, seed = 0): number {
  let s = seed;
  for (let i = 0; i + 1 < b.length; i += 2) s += (b[i]! << 8) | b[i + 1]!;
  if (b.length & 1) s += b[b.length - 1]! << 8;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

export function csum(b: Uint8Array, seed = 0): number {
  return ~sum16(b, seed) & 0xffff;
}

export function eth(dst: Uint8Array, src: Uint8Array, type: number): Uint8Array {
  const h = new Uint8Array(14);
  h.set(dst, 0);
  h.set(src, 6);
  h[12] = type >> 8;
  h[13] = type & 0xff;
  return h;
}

/** An ARP packet (RFC 826) for Ethernet/IPv4, 28 bytes. */
export function arp(op: number, sha: Uint8Array, sip: Uint8Array, tha: Uint8Array, tip: Uint8Array, hrd = 1, pro = 0x0800, hln = 6, pln = 4): Uint8Array {
  const a = new Uint8Array(28);
  a[0] = hrd >> 8;
  a[1] = hrd & 0xff;
  a[2] = pro >> 8;
  a[3] = pro & 0xff;
  a[4] = hln;
  a[5] = pln;
  a[7] = op;
  a.set(sha, 8);
  a.set(sip, 14);
  a.set(tha, 18);
  a.set(tip, 24);
  return a;
}

/** An IPv4 packet (RFC 791, 20-byte header, checksum filled) carrying `payload`. */
export function ipv4(src: Uint8Array, dst: Uint8Array, proto: number, payload: Uint8Array, ttl = 64, id = 0x1234): Uint8Array {
  const h = new Uint8Array(20);
  h[0] = 0x45;
  const tot = 20 + payload.length;
  h[2] = tot >> 8;
  h[3] = tot & 0xff;
  h[4] = id >> 8;
  h[5] = id & 0xff;
  h[6] = 0x40;
  h[8] = ttl;
  h[9] = proto;
  h.set(src, 12);
  h.set(dst, 16);
  const c = csum(h);
  h[10] = c >> 8;
  h[11] = c & 0xff;
  return cat(h, payload);
}

/** An IPv6 packet (RFC 8200) with next header `nh` and hop limit `hop`. */
export function ipv6(src: Uint8Array, dst: Uint8Array, nh: number, payload: Uint8Array, hop = 64): Uint8Array {
  const h = new Uint8Array(40);
  h[0] = 0x60;
  h[4] = payload.length >> 8;
  h[5] = payload.length & 0xff;
  h[6] = nh;
  h[7] = hop;
  h.set(src, 8);
  h.set(dst, 24);
  return cat(h, payload);
}

/** An ICMPv6 message with its checksum over the RFC 8200 pseudo-header. */
export function icmp6(src: Uint8Array, dst: Uint8Array, msg: Uint8Array): Uint8Array {
  const m = msg.slice();
  m[2] = 0;
  m[3] = 0;
  const pseudo = new Uint8Array(40);
  pseudo.set(src, 0);
  pseudo.set(dst, 16);
  pseudo[34] = m.length >> 8;
  pseudo[35] = m.length & 0xff;
  pseudo[39] = 58;
  const c = csum(m, sum16(pseudo));
  m[2] = c >> 8;
  m[3] = c & 0xff;
  return m;
}

/** A link-layer address option (RFC 4861 4.6.1): type 1 (source) or 2 (target). */
export function llOpt(type: number, ll: Uint8Array): Uint8Array {
  return cat(Uint8Array.of(type, 1), ll);
}

/** Neighbor Solicitation (RFC 4861 4.3) for `target`, options appended. */
export function nsMsg(target: Uint8Array, ...opts: Uint8Array[]): Uint8Array {
  const m = new Uint8Array(24);
  m[0] = 135;
  m.set(target, 8);
  return cat(m, ...opts);
}

/** Neighbor Advertisement (RFC 4861 4.4): flags R 0x80, S 0x40, O 0x20. */
export function naMsg(target: Uint8Array, flags: number, ...opts: Uint8Array[]): Uint8Array {
  const m = new Uint8Array(24);
  m[0] = 136;
  m[4] = flags;
  m.set(target, 8);
  return cat(m, ...opts);
}

/** ff02::1:ffXX:XXXX for `a`. */
export function solicitedNode(a: Uint8Array): Uint8Array {
  const m = ip6('ff02::1:ff00:0');
  m.set(a.subarray(13), 13);
  return m;
}

export class NeighBench {
  readonly devs = new Map<string, BenchDev>();
  readonly x: BenchExports;

  private constructor(readonly dp: Datapath) {
    this.x = dp.fastPath.exports as unknown as BenchExports;
  }

  static async create(): Promise<NeighBench> {
    const dp = await Datapath.create({ umemFrames: 4096 }); // each ring device stocks its fill ring from the pool
    dp.stack; // the stack's root
    return new NeighBench(dp);
  }

  /**
   * A ring device (dp.addDevice: the first one sets up the UMEM pool), brought up, without the IPv6
   * link-local address addrconf gives it (the kernel host of the oracle tests runs addrgenmode none).
   * `noarp`: `arp off` (IFF_NOARP).
   */
  addDev(name: string, macText: string, opts: { noarp?: boolean } = {}): BenchDev {
    const dev = this.dp.addDevice({ name, mac: macText });
    this.dp.ip(`link set ${name}${opts.noarp ? ' arp off' : ''} up`);
    this.dp.ip(`addr flush dev ${name}`);
    return this.register(name, dev.ifindex, dev);
  }

  /** The loopback device (ifindex 1), up. */
  lo(): BenchDev {
    this.dp.ip('link set lo up');
    return this.register('lo', 1, undefined);
  }

  private register(name: string, ifindex: number, dev: Device | undefined): BenchDev {
    const rec = this.dp.stack.exports<{ netdev_get(i: number): number }>().netdev_get(ifindex) >>> 0;
    const d: BenchDev = { name, ifindex, mac: this.dp.memory.bytes().slice(rec + ND.MAC, rec + ND.MAC + 6), rec, dev };
    this.devs.set(name, d);
    return d;
  }

  /** IPv4 addresses (`ip addr add A/LEN brd + dev D [scope S]`): dp.addresses installs the kernel's routes for them. */
  addrs4(d: BenchDev, addrs: Addr4[]): void {
    for (const a of addrs) this.dp.ip(`addr add ${a.addr}/${a.plen} brd + dev ${d.name}${a.scope !== undefined ? ` scope ${a.scope}` : ''}`);
  }

  /** IPv6 addresses (`ip addr add A/LEN dev D nodad`). */
  addrs6(d: BenchDev, addrs: Addr6[]): void {
    for (const a of addrs) this.dp.ip(`addr add ${a.addr}/${a.plen} dev ${d.name} nodad`);
  }

  /**
   * Mark an IPv6 address of `d` tentative (IFA_F_TENTATIVE) in its published list: dp.addresses runs
   * no DAD, so its addresses are never tentative by themselves.
   */
  markTentative(d: BenchDev, addr: string): void {
    const v = this.dp.memory.view();
    const list = v.getUint32(d.rec + ND.ADDR6, true);
    const want = hex(ip6(addr));
    for (let i = 0; i < v.getUint32(list, true); i++) {
      const e = list + ADDR_LIST_HEADER + i * ADDR_ENTRY_SIZE;
      if (hex(this.dp.memory.bytes().slice(e + AE.ADDR, e + AE.ADDR + 16)) === want) v.setUint16(e + AE.FLAGS, v.getUint16(e + AE.FLAGS, true) | 0x40, true);
    }
  }

  /** net.ipv4.conf.DEV.NAME. */
  conf4(d: BenchDev, name: string, value: number): void {
    this.dp.sysctl(`net.ipv4.conf.${d.name}.${name}`, value);
  }

  /** net.ipv6.conf.DEV.NAME. */
  conf6(d: BenchDev, name: string, value: number): void {
    this.dp.sysctl(`net.ipv6.conf.${d.name}.${name}`, value);
  }

  /** What `dev` transmitted since the last look. */
  tx(dev: string): Uint8Array[] {
    return this.devs.get(dev)!.dev!.readTx().map((o) => o.data);
  }

  /** A pool frame holding `bytes` at the usual headroom: its data address. */
  frame(bytes: Uint8Array): number {
    const f = this.x.frameAlloc() >>> 0;
    if (f === 0) throw new Error('the UMEM pool is empty');
    this.dp.memory.bytes().set(bytes, f + HEADROOM);
    return f + HEADROOM;
  }

  /**
   * Hand an L3 packet (Ethernet header to be filled) to neigh_output toward next hop `nh`; with
   * `from`, as a datagram forwarded from that device (neigh_output_from), its received Ethernet
   * header `rxEth` (default: to the input device's MAC) still in front of it.
   */
  output(family: 'inet' | 'inet6', dev: string, nh: string, l3: Uint8Array, from?: { dev: string; rxEth?: Uint8Array }): void {
    const d = this.devs.get(dev)!;
    const key = family === 'inet' ? ip4(nh) : ip6(nh);
    const s = this.x.scratch_base() >>> 0;
    this.dp.memory.bytes().set(key, s);
    const fam = family === 'inet' ? AF_INET : AF_INET6;
    if (!from) {
      this.x.neigh_output(fam, d.ifindex, s, 0, this.frame(cat(new Uint8Array(14), l3)), 14 + l3.length);
      return;
    }
    const iif = this.devs.get(from.dev)!;
    const head = from.rxEth ?? eth(iif.mac, mac('02:00:00:00:99:99'), family === 'inet' ? 0x0800 : 0x86dd);
    this.x.neigh_output_from(fam, d.ifindex, s, 0, this.frame(cat(head, l3)), 14 + l3.length, iif.ifindex);
  }

  /** An Ethernet frame carrying ARP into arp_rcv (data at the ARP header). */
  arpIn(dev: string, frame: Uint8Array): void {
    const data = this.frame(frame);
    this.x.arp_rcv(this.devs.get(dev)!.ifindex, 0, data + 14, frame.length - 14);
  }

  /** An Ethernet frame carrying an ND message into ndisc_rcv (data at the IPv6 header). */
  ndiscIn(dev: string, frame: Uint8Array, l4off = 40): void {
    const data = this.frame(frame);
    this.x.ndisc_rcv(this.devs.get(dev)!.ifindex, 0, data + 14, frame.length - 14, l4off);
  }

  /** A whole Ethernet frame into the stack's receive path (eth.ts stack_rx), as XDP_PASS hands it over. */
  rx(dev: string, frame: Uint8Array): void {
    const data = this.frame(frame);
    this.x.stack_rx(this.devs.get(dev)!.ifindex, 0, 0, data, frame.length);
  }

  /** The NUD state names of an entry ([] for NONE), undefined when there is none. */
  state(to: string, dev: string): string[] | undefined {
    try {
      return this.dp.neigh.get(to, dev).state;
    } catch {
      return undefined;
    }
  }

  mib(name: string): number {
    return this.dp.stack.mib()[name]!;
  }

  drops(name: string): number {
    return this.dp.stack.drops()[name]!;
  }
}

export { AF_INET, AF_INET6, cat, hex };
