// Shared by the UDP send tests: a socket record laid out as sock.ts keeps one (abi.ts SK_*), for sends
// through udp_sendmsg_sk before the socket tables exist to make one.

import type { Datapath } from '../../src/control/datapath.js';
import { ipv4Bytes, ipv6Bytes } from '../../src/control/addresses.js';
import { SK, UDPLITE, AF_INET, SK_SIZE } from '../../src/runtime/net_abi.js';

export interface SockOpts {
  family?: number;
  proto?: number;
  /** SKF_* */
  flags?: number;
  /** SK6F_* */
  flags6?: number;
  /** IP_MTU_DISCOVER / IPV6_MTU_DISCOVER (default IP_PMTUDISC_WANT, the kernel's). */
  pmtudisc?: number;
  ttl?: number;
  tos?: number;
  boundDev?: number;
  saddr?: string;
  connect?: { addr: string; port: number };
  /** UDPLITE_SEND_CSCOV as the socket keeps it (after the option's 1..7 → 8). */
  pcslen?: number;
  num?: number;
}

/** A socket record in the arena (an IPv4 socket's addresses in the first 4 bytes, an IPv6 one's v4-mapped). */
export function sockRecord(dp: Datapath, o: SockOpts = {}): number {
  const x = dp.fastPath.exports as unknown as { arena_alloc(s: number, a: number): number };
  const sk = x.arena_alloc(SK_SIZE, 64);
  const v = dp.memory.view();
  const b = dp.memory.bytes();
  const family = o.family ?? AF_INET;
  const addr = (a: string): Uint8Array => (family === AF_INET ? ipv4Bytes(a) : a.includes(':') ? ipv6Bytes(a) : ipv6Bytes(`::ffff:${a}`));
  v.setUint32(sk + SK.ID, 1, true);
  v.setUint8(sk + SK.STATE, o.connect ? 1 : 7);
  v.setUint8(sk + SK.FAMILY, family);
  v.setUint8(sk + SK.PROTOCOL, o.proto ?? 17);
  v.setUint8(sk + SK.FLAGS, o.flags ?? 0);
  v.setUint16(sk + SK.NUM, o.num ?? 0, true);
  v.setUint32(sk + SK.BOUND_DEV_IF, o.boundDev ?? 0, true);
  v.setUint8(sk + SK.TTL, o.ttl ?? 0);
  v.setUint8(sk + SK.TOS, o.tos ?? 0);
  v.setUint8(sk + SK.MC_TTL, 1);
  v.setUint8(sk + SK.PMTUDISC, o.pmtudisc ?? 1);
  v.setUint8(sk + SK.FLAGS6, o.flags6 ?? 0);
  if (o.saddr) b.set(addr(o.saddr), sk + SK.SADDR);
  if (o.connect) {
    b.set(addr(o.connect.addr), sk + SK.DADDR);
    v.setUint16(sk + SK.DPORT, o.connect.port, true);
  }
  if (o.pcslen !== undefined) {
    v.setUint16(sk + SK.PCSLEN, o.pcslen, true);
    v.setUint8(sk + SK.PCFLAG, UDPLITE.SEND_CC);
  }
  return sk;
}
