// SYN cookies as the kernel makes and checks them (net/ipv4/syncookies.c, net/ipv6/syncookies.c), for the
// XDP helpers bpf_tcp_raw_gen_syncookie_ipv4/ipv6 (204, 205) and bpf_tcp_raw_check_syncookie_ipv4/ipv6
// (206, 207) of net/core/filter.c, and the socket-bound bpf_tcp_check_syncookie (100) and
// bpf_tcp_gen_syncookie (110), which answer for a TCP listener only.
//
// Reads: the IP and TCP headers the program points at (the verifier proved 20 / 40 bytes of IP header and
// th_len (gen) or 20 (check) bytes of TCP header), the secret, the stack clock. Sets: nothing.
//
// The cookie (secure_tcp_syn_cookie, COOKIEBITS 24):
//   H(0, count=0) + seq + (count << 24) + ((H(1, count) + mssind) & 0xffffff)
// where H(c, count) = cookie_hash keyed with secret c: IPv4 siphash_4u32(saddr, daddr, sport << 16 | dport,
// count) (addresses and ports as u32 / u16 loads of the packet's bytes, little-endian); IPv6 siphash of
// the 40 bytes { saddr[16], daddr[16], u32 count, __be16 sport, __be16 dport }; count = the minute
// (tcp_cookie_time: jiffies / (60 * HZ); here the stack clock's ms / 60000). check_tcp_syn_cookie takes the
// ACK's ack_seq - 1 and seq - 1, accepts a cookie at most MAX_SYNCOOKIE_AGE - 1 = 1 minute old, and the
// MSS index it recovers must be < 4 (the msstab of the family).
//
// Secret: the kernel draws syncookie_secret[2] and syncookie6_secret[2] (siphash_key_t, 2 × u64 each) once
// per boot; wxdp's 64 bytes here are { v4 key 0, v4 key 1, v6 key 0, v6 key 1 }, written by TypeScript
// (src/control/syncookies.ts: random at start, settable for tests). Static data: one secret for every worker.

import { netNow, netRoot } from './core';
import { siphash, siphashBuf, siphashPair, sipPairB } from './mphash';

const COOKIEBITS: u32 = 24;
const COOKIEMASK: u32 = (<u32>1 << COOKIEBITS) - 1;
const MAX_SYNCOOKIE_AGE: u32 = 2;
/** TCP_SYNCOOKIE_PERIOD (60 * HZ) on the millisecond clock. */
const PERIOD_MS: u64 = 60000;
const TCP_MSS_DEFAULT: u32 = 536;
/** IPV6_MIN_MTU - sizeof(struct tcphdr) - sizeof(struct ipv6hdr) */
const MSS_CLAMP6: u32 = 1280 - 20 - 40;
const EINVAL: i64 = 22;
const EACCES: i64 = 13;

/** { v4 key 0, v4 key 1, v6 key 0, v6 key 1 }, each siphash_key_t { u64 key[2] }. */
const SECRET: usize = memory.data(64, 16);
/** msstab (IPv4) and msstab (IPv6: 1280-60, 1480-60, 1500-60, 9000-60). */
const MSSTAB4: usize = memory.data<u16>([536, 1300, 1440, 1460]);
const MSSTAB6: usize = memory.data<u16>([1220, 1420, 1440, 8940]);

/** Where TypeScript writes the 64-byte secret. */
export function syncookie_secret_addr(): u32 {
  return <u32>SECRET;
}

/** cookie_hash (IPv4): siphash_4u32(saddr, daddr, sport << 16 | dport, count) keyed with secret c. */
function hash4(iph: u32, th: u32, count: u32, c: u32): u32 {
  const m = siphashBuf();
  store<u64>(m, load<u64>(iph + 12)); // saddr, daddr
  store<u32>(m + 8, (<u32>load<u16>(th) << 16) | <u32>load<u16>(th + 2));
  store<u32>(m + 12, count);
  const key = SECRET + (c << 4);
  return <u32>siphash(m, 16, load<u64>(key), load<u64>(key + 8));
}

/** cookie_hash (IPv6): siphash of { saddr, daddr, count, sport, dport } (40 bytes) keyed with secret c. */
function hash6(iph: u32, th: u32, count: u32, c: u32): u32 {
  const m = siphashBuf();
  for (let i: u32 = 0; i < 32; i += 8) store<u64>(m + i, load<u64>(iph + 8 + i)); // saddr, daddr
  store<u32>(m + 32, count);
  store<u16>(m + 36, load<u16>(th));
  store<u16>(m + 38, load<u16>(th + 2));
  const key = SECRET + 32 + (c << 4);
  return <u32>siphash(m, 40, load<u64>(key), load<u64>(key + 8));
}

/**
 * cookie_hash(count 0, secret 0), returned, and cookie_hash(count, secret 1), left in sipPairB's low
 * half: hash4's / hash6's messages with count 0, lane b's count word xored with `count`.
 */
function hashPair(v6: bool, iph: u32, th: u32, count: u32): u32 {
  const m = siphashBuf();
  if (v6) {
    for (let i: u32 = 0; i < 32; i += 8) store<u64>(m + i, load<u64>(iph + 8 + i)); // saddr, daddr
    store<u32>(m + 32, 0);
    store<u16>(m + 36, load<u16>(th));
    store<u16>(m + 38, load<u16>(th + 2));
    const key = SECRET + 32;
    return <u32>siphashPair(m, 40, load<u64>(key), load<u64>(key + 8), load<u64>(key + 16), load<u64>(key + 24), 4, <u64>count);
  }
  store<u64>(m, load<u64>(iph + 12)); // saddr, daddr
  store<u32>(m + 8, (<u32>load<u16>(th) << 16) | <u32>load<u16>(th + 2));
  store<u32>(m + 12, 0);
  return <u32>siphashPair(m, 16, load<u64>(SECRET), load<u64>(SECRET + 8), load<u64>(SECRET + 16), load<u64>(SECRET + 24), 1, <u64>count << 32);
}

@inline function hashOf(v6: bool, iph: u32, th: u32, count: u32, c: u32): u32 {
  return v6 ? hash6(iph, th, count, c) : hash4(iph, th, count, c);
}

/** tcp_cookie_time: the minute counter. */
@inline function cookieTime(): u32 {
  return netRoot() != 0 ? <u32>(netNow() / PERIOD_MS) : 0;
}

@inline function bswap32(x: u32): u32 {
  return bswap<u32>(x);
}

/** tcp_parse_mss_option(th, 0): the MSS option's value (0 when none, or a malformed option list ends first). */
function parseMss(th: u32): u32 {
  let length = <i32>((<u32>load<u8>(th + 12) >> 4) << 2) - 20;
  let p = th + 20;
  let mss: u32 = 0;
  while (length > 0) {
    const opcode = <u32>load<u8>(p++);
    if (opcode == 0) return mss; // TCPOPT_EOL
    if (opcode == 1) { // TCPOPT_NOP
      length--;
      continue;
    }
    if (length < 2) return mss;
    const opsize = <i32>load<u8>(p++);
    if (opsize < 2 || opsize > length) return mss;
    if (opcode == 2 && opsize == 4) {
      const inMss = <u32>bswap<u16>(load<u16>(p));
      if (inMss != 0) mss = inMss;
    }
    p += <u32>(opsize - 2);
    length -= opsize;
  }
  return mss;
}

/** __cookie_v{4,6}_init_sequence + the helper's answer: cookie | mss << 32, or -EINVAL. */
function genCookie(v6: bool, iph: u64, th: u64, thLen: u64): u64 {
  const t = <u32>th;
  if (thLen < 20 || thLen != <u64>((<u32>load<u8>(t + 12) >> 4) << 2)) return <u64>-EINVAL;
  const ip = <u32>iph;
  let mss = parseMss(t);
  if (mss == 0) mss = v6 ? MSS_CLAMP6 : TCP_MSS_DEFAULT;
  const tab = v6 ? MSSTAB6 : MSSTAB4;
  let mssind: u32 = 3;
  for (; mssind > 0; mssind--) if (mss >= <u32>load<u16>(tab + (mssind << 1))) break;
  const count = cookieTime();
  const seq = bswap32(load<u32>(t + 4));
  // H(0, 0) and H(1, count) in one pass (siphashPair): the messages differ in the count word only
  const h0 = hashPair(v6, ip, t, count);
  const cookie = h0 + seq + (count << COOKIEBITS) + ((<u32>sipPairB + mssind) & COOKIEMASK);
  return <u64>cookie | (<u64>load<u16>(tab + (mssind << 1)) << 32);
}

/** __cookie_v{4,6}_check > 0: 0, else -EACCES. */
function checkCookie(v6: bool, iph: u64, th: u64): u64 {
  const ip = <u32>iph;
  const t = <u32>th;
  const count = cookieTime();
  let cookie = bswap32(load<u32>(t + 8)) - 1;
  const seq = bswap32(load<u32>(t + 4)) - 1;
  cookie -= hashOf(v6, ip, t, 0, 0) + seq;
  const diff = (count - (cookie >> COOKIEBITS)) & (<u32>-1 >> COOKIEBITS);
  if (diff >= MAX_SYNCOOKIE_AGE) return <u64>-EACCES;
  const mssind = (cookie - hashOf(v6, ip, t, count - diff, 1)) & COOKIEMASK;
  return mssind < 4 ? 0 : <u64>-EACCES;
}

/** bpf_tcp_raw_gen_syncookie_ipv4 (204): the cookie for this SYN in the low 32 bits, the MSS it encodes above. */
export function bpf_tcp_raw_gen_syncookie_ipv4(iph: u64, th: u64, thLen: u64, r4: u64, r5: u64): u64 {
  return genCookie(false, iph, th, thLen);
}

/** bpf_tcp_raw_gen_syncookie_ipv6 (205) */
export function bpf_tcp_raw_gen_syncookie_ipv6(iph: u64, th: u64, thLen: u64, r4: u64, r5: u64): u64 {
  return genCookie(true, iph, th, thLen);
}

/** bpf_tcp_raw_check_syncookie_ipv4 (206): 0 when the ACK carries a valid cookie, else -EACCES. */
export function bpf_tcp_raw_check_syncookie_ipv4(iph: u64, th: u64, r3: u64, r4: u64, r5: u64): u64 {
  return checkCookie(false, iph, th);
}

/** bpf_tcp_raw_check_syncookie_ipv6 (207) */
export function bpf_tcp_raw_check_syncookie_ipv6(iph: u64, th: u64, r3: u64, r4: u64, r5: u64): u64 {
  return checkCookie(true, iph, th);
}

// bpf_tcp_check_syncookie (100) and bpf_tcp_gen_syncookie (110) take a socket from bpf_sk_lookup_* /
// bpf_skc_lookup_tcp and answer only for a TCP listener (sk_protocol == IPPROTO_TCP, sk_state ==
// TCP_LISTEN); every other socket is -EINVAL, as are a th_len under sizeof(struct tcphdr) and, for gen,
// one that is not the header's doff * 4, which the kernel checks first. wxdp's stack has no TCP sockets
// (the lookups never find one), so the only sockets a program can pass are UDP ones: -EINVAL, whatever
// the headers hold.

/** bpf_tcp_check_syncookie (100): -EINVAL for every socket wxdp has (no TCP listeners). */
export function bpf_tcp_check_syncookie(sk: u64, iph: u64, iphLen: u64, th: u64, thLen: u64): u64 {
  return <u64>-EINVAL;
}

/** bpf_tcp_gen_syncookie (110): -EINVAL for every socket wxdp has (no TCP listeners). */
export function bpf_tcp_gen_syncookie(sk: u64, iph: u64, iphLen: u64, th: u64, thLen: u64): u64 {
  return <u64>-EINVAL;
}
