// The kernel log's line for a packet that an nft `log` statement (NF_LOG_TYPE_LOG, a level below audit) hands
// to the syslog logger: net/netfilter/nf_log_syslog.c's nf_log_ip_packet / nf_log_ip6_packet, field by field
// and in its printf formats (%pI4 dotted, %pI6 as eight groups of four lowercase hex digits, uncompressed;
// %pM lowercase; TOS / PREC / options in uppercase hex; MARK / SPI / MAC in lowercase).
//
//   <level>PREFIX IN=dev OUT=dev [MAC=xx:..:xx | MACSRC= MACDST= MACPROTO=] SRC= DST= LEN= ...
//
// The level is printk's KERN_SOH '0' + level, shown as the syslog priority `<N>` (the kernel facility is 0);
// the text is what printk stores (nf_log_buf_close adds the newline printk strips). nf_log_buf_add stops at
// S_SIZE (1020 bytes with the two of the level): a longer line is cut there, as the kernel's is.
//
// The packet is read as skb_header_pointer reads the skb: a header past `len` (skb->len from the network
// header) is missing and printed as TRUNCATED / INCOMPLETE where the kernel does. The bytes given are the
// ones the log ring copied (LOG_CAP from the network header): a header lying past them but within `len`
// is read as missing too — no header the kernel prints reaches that far in any but an IPv6 packet with
// hundreds of bytes of extension headers.

import { NF_LOG } from './nft_parse.js';

/** What nf_log_packet hands nf_log_syslog for one packet. */
export interface NfLogPacket {
  /** NFPROTO_IPV4 (2) or NFPROTO_IPV6 (10). */
  pf: number;
  /** 0 (emerg) … 7 (debug). */
  level: number;
  /** NF_LOG_* flags. */
  logflags: number;
  prefix: string;
  /** The input device's name, undefined when there is none (OUTPUT, POSTROUTING). */
  in?: string;
  out?: string;
  /** The input device's ARPHRD type (ARPHRD_ETHER 1, ARPHRD_LOOPBACK 772) and its MAC header's 14 bytes. */
  inType?: number;
  mac?: Uint8Array;
  /** NFPROTO_NETDEV (5): skb->protocol (the type after an outer tag) and that tag, held out of band (skb->vlan_tci). */
  proto?: number;
  vlan?: { proto: number; tci: number };
  /** skb->len from the network header, and the bytes of it at hand. */
  len: number;
  /** Bytes of skb->len before the network header: the MAC header's 14 at a netdev egress hook (dev_queue_xmit), else 0. */
  llen?: number;
  packet: Uint8Array;
  mark: number;
}

export const ARPHRD_ETHER = 1;
export const ARPHRD_LOOPBACK = 772;
/** nf_log.c's buffer: 1024 less its count word. */
const S_SIZE = 1020;
const ETH_HLEN = 14;

const IPPROTO_ICMP = 1;
const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;
const IPPROTO_ESP = 50;
const IPPROTO_AH = 51;
const IPPROTO_ICMPV6 = 58;
const IPPROTO_UDPLITE = 136;
const NEXTHDR_HOP = 0;
const NEXTHDR_ROUTING = 43;
const NEXTHDR_FRAGMENT = 44;
const NEXTHDR_NONE = 59;
const NEXTHDR_DEST = 60;

const IP_CE = 0x8000;
const IP_DF = 0x4000;
const IP_MF = 0x2000;
const IP_OFFSET = 0x1fff;
const IPTOS_TOS_MASK = 0x1e;
const IPTOS_PREC_MASK = 0xe0;

/** icmp_print's required_len: the bytes after the IP header a type's fields need (NR_ICMP_TYPES = 18). */
const ICMP_REQUIRED_LEN: Readonly<Record<number, number>> = { 0: 4, 3: 28, 4: 28, 5: 28, 8: 4, 11: 28, 12: 28, 13: 20, 14: 20, 17: 12, 18: 12 };
const NR_ICMP_TYPES = 18;

const hex2 = (v: number): string => v.toString(16).padStart(2, '0');
const HEX2 = (v: number): string => hex2(v).toUpperCase();

/** %pM */
function pM(b: Uint8Array): string {
  return Array.from(b.subarray(0, 6), hex2).join(':');
}

/** %pI4 */
function pI4(b: Uint8Array, at: number): string {
  return `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
}

/** %pI6: eight groups of four hex digits, never compressed (%pI6c is the compressed form). */
function pI6(b: Uint8Array, at: number): string {
  const g: string[] = [];
  for (let i = 0; i < 16; i += 2) g.push(hex2(b[at + i]!) + hex2(b[at + i + 1]!));
  return g.join(':');
}

/** The skb as skb_header_pointer sees it: `n` bytes at `off` exist when they lie within skb->len. */
class Skb {
  constructor(readonly b: Uint8Array, readonly len: number) {}

  has(off: number, n: number): boolean {
    return off + n <= this.len && off + n <= this.b.length;
  }

  u8(off: number): number {
    return this.b[off]!;
  }

  be16(off: number): number {
    return (this.b[off]! << 8) | this.b[off + 1]!;
  }

  be32(off: number): number {
    return ((this.b[off]! << 24) | (this.b[off + 1]! << 16) | (this.b[off + 2]! << 8) | this.b[off + 3]!) >>> 0;
  }

  hexUpper(off: number, n: number): string {
    return Array.from(this.b.subarray(off, off + n), HEX2).join('');
  }
}

/** nf_log_buf: text added until S_SIZE, then nothing more (nf_log_buf_add's overflow). */
class LogBuf {
  text = '';
  private full = false;

  add(s: string): void {
    if (this.full) return;
    if (this.text.length + s.length < S_SIZE) {
      this.text += s;
      return;
    }
    // vsnprintf wrote what fit before its NUL; count is S_SIZE from here on
    this.text = (this.text + s).slice(0, S_SIZE - 1);
    this.full = true;
  }
}

/** nf_log_dump_tcp_header; true when the caller stops (the header or its options are missing). */
function dumpTcp(m: LogBuf, skb: Skb, fragment: boolean, off: number, logflags: number): boolean {
  m.add('PROTO=TCP ');
  if (fragment) return false;
  if (!skb.has(off, 20)) {
    m.add(`INCOMPLETE [${skb.len - off} bytes] `);
    return true;
  }
  m.add(`SPT=${skb.be16(off)} DPT=${skb.be16(off + 2)} `);
  if (logflags & NF_LOG.TCPSEQ) m.add(`SEQ=${skb.be32(off + 4)} ACK=${skb.be32(off + 8)} `);
  m.add(`WINDOW=${skb.be16(off + 14)} `);
  const b12 = skb.u8(off + 12);
  const b13 = skb.u8(off + 13);
  // (tcp_flag_word & TCP_RESERVED_BITS (0x0E000000)) >> 22: the three bits between doff and AE
  m.add(`RES=0x${hex2((b12 & 0x0e) << 2)} `);
  const flags: Array<[number, number, string]> = [
    [b12, 0x01, 'AE'], [b13, 0x80, 'CWR'], [b13, 0x40, 'ECE'], [b13, 0x20, 'URG'], [b13, 0x10, 'ACK'],
    [b13, 0x08, 'PSH'], [b13, 0x04, 'RST'], [b13, 0x02, 'SYN'], [b13, 0x01, 'FIN'],
  ];
  for (const [byte, bit, name] of flags) if (byte & bit) m.add(`${name} `);
  m.add(`URGP=${skb.be16(off + 18)} `);
  const doff = (b12 >> 4) * 4;
  if (logflags & NF_LOG.TCPOPT && doff > 20) {
    if (!skb.has(off + 20, doff - 20)) {
      m.add('OPT (TRUNCATED)');
      return true;
    }
    m.add(`OPT (${skb.hexUpper(off + 20, doff - 20)}) `);
  }
  return false;
}

/** nf_log_dump_udp_header; true when the header is missing. */
function dumpUdp(m: LogBuf, skb: Skb, proto: number, fragment: boolean, off: number): boolean {
  m.add(proto === IPPROTO_UDP ? 'PROTO=UDP ' : 'PROTO=UDPLITE ');
  if (fragment) return false;
  if (!skb.has(off, 8)) {
    m.add(`INCOMPLETE [${skb.len - off} bytes] `);
    return true;
  }
  m.add(`SPT=${skb.be16(off)} DPT=${skb.be16(off + 2)} LEN=${skb.be16(off + 4)} `);
  return false;
}

/** dump_ipv4_packet: the header at `iphoff`, its transport, and (at the top level) the mark. */
function dumpIpv4(m: LogBuf, p: NfLogPacket, skb: Skb, iphoff: number): void {
  const logflags = p.logflags;
  if (!skb.has(iphoff, 20)) {
    m.add('TRUNCATED');
    return;
  }
  const tos = skb.u8(iphoff + 1);
  const fragOff = skb.be16(iphoff + 6);
  const ihl = (skb.u8(iphoff) & 0xf) * 4;
  const proto = skb.u8(iphoff + 9);
  m.add(`SRC=${pI4(skb.b, iphoff + 12)} DST=${pI4(skb.b, iphoff + 16)} `);
  m.add(`LEN=${skb.be16(iphoff + 2)} TOS=0x${HEX2(tos & IPTOS_TOS_MASK)} PREC=0x${HEX2(tos & IPTOS_PREC_MASK)} TTL=${skb.u8(iphoff + 8)} ID=${skb.be16(iphoff + 4)} `);
  if (fragOff & IP_CE) m.add('CE ');
  if (fragOff & IP_DF) m.add('DF ');
  if (fragOff & IP_MF) m.add('MF ');
  if (fragOff & IP_OFFSET) m.add(`FRAG:${fragOff & IP_OFFSET} `);
  if (logflags & NF_LOG.IPOPT && ihl > 20) {
    if (!skb.has(iphoff + 20, ihl - 20)) {
      m.add('TRUNCATED');
      return;
    }
    m.add(`OPT (${skb.hexUpper(iphoff + 20, ihl - 20)}) `);
  }
  const fragment = (fragOff & IP_OFFSET) !== 0;
  const l4 = iphoff + ihl;
  switch (proto) {
    case IPPROTO_TCP:
      if (dumpTcp(m, skb, fragment, l4, logflags)) return;
      break;
    case IPPROTO_UDP:
    case IPPROTO_UDPLITE:
      if (dumpUdp(m, skb, proto, fragment, l4)) return;
      break;
    case IPPROTO_ICMP: {
      m.add('PROTO=ICMP ');
      if (fragment) break;
      if (!skb.has(l4, 8)) {
        m.add(`INCOMPLETE [${skb.len - l4} bytes] `);
        break;
      }
      const type = skb.u8(l4);
      const code = skb.u8(l4 + 1);
      m.add(`TYPE=${type} CODE=${code} `);
      const need = type <= NR_ICMP_TYPES ? ICMP_REQUIRED_LEN[type] : undefined;
      if (need !== undefined && skb.len - l4 < need) {
        m.add(`INCOMPLETE [${skb.len - l4} bytes] `);
        break;
      }
      if (type === 0 || type === 8) {
        // ICMP_ECHOREPLY, ICMP_ECHO
        m.add(`ID=${skb.be16(l4 + 4)} SEQ=${skb.be16(l4 + 6)} `);
      } else if (type === 12) {
        // ICMP_PARAMETERPROB
        m.add(`PARAMETER=${skb.u8(l4 + 4)} `);
      } else if (type === 5 || type === 3 || type === 4 || type === 11) {
        // ICMP_REDIRECT (its gateway first), ICMP_DEST_UNREACH, ICMP_SOURCE_QUENCH, ICMP_TIME_EXCEEDED
        if (type === 5) m.add(`GATEWAY=${pI4(skb.b, l4 + 4)} `);
        if (iphoff === 0) {
          // only one level of recursion
          m.add('[');
          dumpIpv4(m, p, skb, l4 + 8);
          m.add('] ');
        }
        if (type === 3 && code === 4) m.add(`MTU=${skb.be16(l4 + 6)} `); // ICMP_FRAG_NEEDED
      }
      break;
    }
    case IPPROTO_AH:
      if (fragment) break;
      m.add('PROTO=AH ');
      if (!skb.has(l4, 12)) {
        m.add(`INCOMPLETE [${skb.len - l4} bytes] `);
        break;
      }
      m.add(`SPI=0x${skb.be32(l4 + 4).toString(16)} `);
      break;
    case IPPROTO_ESP:
      m.add('PROTO=ESP ');
      if (fragment) break;
      if (!skb.has(l4, 8)) {
        m.add(`INCOMPLETE [${skb.len - l4} bytes] `);
        break;
      }
      m.add(`SPI=0x${skb.be32(l4).toString(16)} `);
      break;
    default:
      m.add(`PROTO=${proto} `);
  }
  // NF_LOG_UID: nf_log_dump_sk_uid_gid prints only for a full socket with a file; no packet here has one
  if (iphoff === 0 && p.mark !== 0) m.add(`MARK=0x${(p.mark >>> 0).toString(16)} `);
}

/** nf_ip6_ext_hdr */
const isExtHdr = (h: number): boolean => h === NEXTHDR_HOP || h === NEXTHDR_ROUTING || h === NEXTHDR_FRAGMENT || h === IPPROTO_ESP || h === IPPROTO_AH || h === NEXTHDR_NONE || h === NEXTHDR_DEST;

/** dump_ipv6_packet: the header at `ip6hoff`, its extension headers and transport, and (when `recurse`) the mark. */
function dumpIpv6(m: LogBuf, p: NfLogPacket, skb: Skb, ip6hoff: number, recurse: boolean): void {
  const logflags = p.logflags;
  const opt = (logflags & NF_LOG.IPOPT) !== 0;
  if (!skb.has(ip6hoff, 40)) {
    m.add('TRUNCATED');
    return;
  }
  const w0 = skb.be32(ip6hoff);
  m.add(`SRC=${pI6(skb.b, ip6hoff + 8)} DST=${pI6(skb.b, ip6hoff + 24)} `);
  m.add(`LEN=${skb.be16(ip6hoff + 4) + 40} TC=${(w0 & 0x0ff00000) >>> 20} HOPLIMIT=${skb.u8(ip6hoff + 7)} FLOWLBL=${w0 & 0x000fffff} `);
  let fragment = false;
  let ptr = ip6hoff + 40;
  let cur = skb.u8(ip6hoff + 6);
  while (cur !== NEXTHDR_NONE && isExtHdr(cur)) {
    if (!skb.has(ptr, 2)) {
      m.add('TRUNCATED');
      return;
    }
    let hdrlen = 0;
    if (opt) m.add('OPT ( ');
    switch (cur) {
      case NEXTHDR_FRAGMENT: {
        m.add('FRAG:');
        if (!skb.has(ptr, 8)) {
          m.add('TRUNCATED ');
          return;
        }
        const fo = skb.be16(ptr + 2);
        m.add(`${fo & 0xfff8} `);
        if (fo & 0x0001) m.add('INCOMPLETE ');
        m.add(`ID:${skb.be32(ptr + 4).toString(16).padStart(8, '0')} `);
        if (fo & 0xfff8) fragment = true;
        hdrlen = 8;
        break;
      }
      case NEXTHDR_DEST:
      case NEXTHDR_ROUTING:
      case NEXTHDR_HOP:
        if (fragment) {
          if (opt) m.add(')');
          return;
        }
        hdrlen = (skb.u8(ptr + 1) + 1) << 3; // ipv6_optlen
        break;
      case IPPROTO_AH:
        if (opt) {
          m.add('AH ');
          if (fragment) {
            m.add(')');
            return;
          }
          if (!skb.has(ptr, 12)) {
            m.add(`INCOMPLETE [${skb.len - ptr} bytes] )`);
            return;
          }
          m.add(`SPI=0x${skb.be32(ptr + 4).toString(16)} `);
        }
        hdrlen = (skb.u8(ptr + 1) + 2) << 2; // ipv6_authlen
        break;
      case IPPROTO_ESP:
        if (opt) {
          m.add('ESP ');
          if (fragment) {
            m.add(')');
            return;
          }
          if (!skb.has(ptr, 8)) {
            m.add(`INCOMPLETE [${skb.len - ptr} bytes] )`);
            return;
          }
          m.add(`SPI=0x${skb.be32(ptr).toString(16)} )`);
        }
        return;
    }
    if (opt) m.add(') ');
    cur = skb.u8(ptr);
    ptr += hdrlen;
  }
  switch (cur) {
    case IPPROTO_TCP:
      if (dumpTcp(m, skb, fragment, ptr, logflags)) return;
      break;
    case IPPROTO_UDP:
    case IPPROTO_UDPLITE:
      if (dumpUdp(m, skb, cur, fragment, ptr)) return;
      break;
    case IPPROTO_ICMPV6: {
      m.add('PROTO=ICMPv6 ');
      if (fragment) break;
      if (!skb.has(ptr, 8)) {
        m.add(`INCOMPLETE [${skb.len - ptr} bytes] `);
        return;
      }
      const type = skb.u8(ptr);
      m.add(`TYPE=${type} CODE=${skb.u8(ptr + 1)} `);
      if (type === 128 || type === 129) {
        // ICMPV6_ECHO_REQUEST, ICMPV6_ECHO_REPLY
        m.add(`ID=${skb.be16(ptr + 4)} SEQ=${skb.be16(ptr + 6)} `);
      } else if (type >= 1 && type <= 4) {
        // ICMPV6_PARAMPROB (its pointer first), ICMPV6_DEST_UNREACH, ICMPV6_PKT_TOOBIG, ICMPV6_TIME_EXCEED
        if (type === 4) m.add(`POINTER=${skb.be32(ptr + 4).toString(16).padStart(8, '0')} `);
        if (recurse) {
          m.add('[');
          dumpIpv6(m, p, skb, ptr + 8, false);
          m.add('] ');
        }
        if (type === 2) m.add(`MTU=${skb.be32(ptr + 4)} `);
      }
      break;
    }
    default:
      m.add(`PROTO=${cur} `);
  }
  if (recurse && p.mark !== 0) m.add(`MARK=0x${(p.mark >>> 0).toString(16)} `);
}

const hex4 = (v: number): string => v.toString(16).padStart(4, '0');

/** dump_arp_packet: the header, and for Ethernet / IPv4 its addresses (no space after the last). */
function dumpArp(m: LogBuf, p: NfLogPacket): void {
  const a = p.packet;
  if (p.len < 8 || a.length < 8) {
    m.add('TRUNCATED');
    return;
  }
  if (p.logflags & NF_LOG.MACDECODE && p.mac) {
    m.add(`MACSRC=${pM(p.mac.subarray(6))} MACDST=${pM(p.mac)} `);
    if (p.vlan) m.add(`VPROTO=${hex4(p.vlan.proto)} VID=${p.vlan.tci} `);
    m.add(`MACPROTO=${hex2(p.mac[12]!)}${hex2(p.mac[13]!)} `);
  }
  const u16 = (o: number): number => (a[o]! << 8) | a[o + 1]!;
  m.add(`ARP HTYPE=${u16(0)} PTYPE=0x${hex4(u16(2))} OPCODE=${u16(6)}`);
  if (u16(0) !== ARPHRD_ETHER || a[4] !== 6 || a[5] !== 4) return;
  if (p.len < 28 || a.length < 28) {
    // skb->len - sizeof(struct arphdr): the whole skb, the MAC header too at egress
    m.add(` INCOMPLETE [${p.len + (p.llen ?? 0) - 8} bytes]`);
    return;
  }
  m.add(` MACSRC=${pM(a.subarray(8))} IPSRC=${pI4(a, 14)} MACDST=${pM(a.subarray(18))} IPDST=${pI4(a, 24)}`);
}

/** dump_mac_header, for a packet with an input device. */
function dumpMac(m: LogBuf, p: NfLogPacket): void {
  const mac = p.mac;
  if (p.logflags & NF_LOG.MACDECODE && p.inType === ARPHRD_ETHER) {
    if (!mac) return;
    // no VLAN tag is left on a packet at an IP hook (__netif_receive_skb_core clears it): no VPROTO / VID; at a
    // netdev hook nf_log_dump_vlan prints the out-of-band one, its whole TCI as the VID
    m.add(`MACSRC=${pM(mac.subarray(6))} MACDST=${pM(mac)} `);
    if (p.vlan) m.add(`VPROTO=${hex4(p.vlan.proto)} VID=${p.vlan.tci} `);
    m.add(`MACPROTO=${hex2(mac[12]!)}${hex2(mac[13]!)} `);
    return;
  }
  m.add('MAC=');
  // hard_header_len is ETH_HLEN on every device here (a VLAN device over a parent with tag offload: veth's)
  if (mac) m.add(Array.from(mac.subarray(0, ETH_HLEN), hex2).join(':'));
  m.add(' ');
}

/**
 * The line nf_log_syslog writes for the packet, with its level as the syslog priority: `<4>PREFIX IN=…`.
 */
export function nfLogSyslogLine(p: NfLogPacket): string {
  const m = new LogBuf();
  m.add('\x01' + String(p.level)); // KERN_SOH "%c": counted in the buffer, taken off by printk
  m.add(`${p.prefix}IN=${p.in ?? ''} OUT=${p.out ?? ''} `);
  // the arp family: nf_log_arp_packet, its MAC header only for MACDECODE and only with an input device (at NF_ARP_OUT
  // the skb's MAC header was never set: Linux 6.18 prints none, measured). The netdev family's non-IP packets:
  // nf_log_l2packet, ARP and RARP by nf_log_arp_packet as well, anything else by nf_log_unknown_packet: the MAC
  // header, at either hook (dump_mac_header reads skb->dev's, not `in`'s)
  if (p.pf === 3 || (p.pf === 5 && p.proto !== 0x0800 && p.proto !== 0x86dd)) {
    if (p.pf === 3 || p.proto === 0x0806 || p.proto === 0x8035) dumpArp(m, p);
    else dumpMac(m, p);
    return `<${p.level}>${m.text.slice(2)}`;
  }
  if (p.in !== undefined) dumpMac(m, p);
  const skb = new Skb(p.packet, p.len);
  if (p.pf === 10 || p.proto === 0x86dd) dumpIpv6(m, p, skb, 0, true);
  else dumpIpv4(m, p, skb, 0);
  return `<${p.level}>${m.text.slice(2)}`;
}
