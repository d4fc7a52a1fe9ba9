// nf_log_syslog's line in the cases the kernel comparison (nft_log_kernel.test.ts) cannot reach with frames
// through veths: a loopback input device (dump_mac_header falls back to MAC= for a device that is not
// ARPHRD_ETHER, even with `flags ether`), headers past skb->len (TRUNCATED, INCOMPLETE, OPT (TRUNCATED)) and a
// line past nf_log_buf's S_SIZE. Every expected line is written out by hand from nf_log_syslog.c's formats.

import { describe, expect, it } from 'vitest';
import { ARPHRD_ETHER, ARPHRD_LOOPBACK, nfLogSyslogLine, type NfLogPacket } from '../../src/control/nf_log_syslog.js';
import { ipv4, udp } from '../support/frames.js';
import { tcp } from './nft_support.js';

const NF_LOG_TCPOPT = 0x02;
const NF_LOG_IPOPT = 0x04;
const NF_LOG_MACDECODE = 0x20;

const dgram = ipv4({ src: '127.0.0.1', dst: '127.0.0.1', proto: 17, payload: udp('127.0.0.1', '127.0.0.1', 1000, 2000, new Uint8Array(4)) });
const base = (packet: Uint8Array, o: Partial<NfLogPacket> = {}): NfLogPacket => ({
  pf: 2, level: 4, logflags: 0, prefix: 'p ', len: packet.length, packet, mark: 0, ...o,
});

describe('nf_log_syslog lines', () => {
  it('ARP cut short at a netdev egress hook: INCOMPLETE counts skb->len with its MAC header', () => {
    // an Ethernet/IPv4 ARP header (8 bytes) and 12 of its 20 address bytes: 20 from the network header
    const arp = Uint8Array.of(0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 2, 0, 192, 0, 2, 2, 0, 0);
    const p = base(arp, { pf: 5, proto: 0x0806, out: 'eth1' });
    const head = '<4>p IN= OUT=eth1 ARP HTYPE=1 PTYPE=0x0800 OPCODE=1 INCOMPLETE';
    // derived by hand: ingress, skb->len 20: 20 - 8; egress, skb->len 14 + 20: 34 - 8
    expect(nfLogSyslogLine(p)).toBe(`${head} [12 bytes]`);
    expect(nfLogSyslogLine({ ...p, llen: 14 })).toBe(`${head} [26 bytes]`);
  });
  it('prints a loopback device\'s MAC header in full, `flags ether` or not (it is no ARPHRD_ETHER)', () => {
    const mac = Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0);
    const rest = 'SRC=127.0.0.1 DST=127.0.0.1 LEN=32 TOS=0x00 PREC=0x00 TTL=64 ID=4660 PROTO=UDP SPT=1000 DPT=2000 LEN=12 ';
    const lo = base(dgram, { in: 'lo', inType: ARPHRD_LOOPBACK, mac, logflags: NF_LOG_MACDECODE });
    expect(nfLogSyslogLine(lo)).toBe(`<4>p IN=lo OUT= MAC=00:00:00:00:00:00:00:00:00:00:00:00:08:00 ${rest}`);
    expect(nfLogSyslogLine({ ...lo, inType: ARPHRD_ETHER })).toBe(`<4>p IN=lo OUT= MACSRC=00:00:00:00:00:00 MACDST=00:00:00:00:00:00 MACPROTO=0800 ${rest}`);
    // no input device: no MAC at all (OUTPUT, POSTROUTING of the stack's own)
    expect(nfLogSyslogLine(base(dgram, { out: 'lo' }))).toBe(`<4>p IN= OUT=lo ${rest}`);
  });

  it('says what skb_header_pointer could not read', () => {
    // 12 bytes of IP header: TRUNCATED, nothing after
    expect(nfLogSyslogLine(base(dgram.slice(0, 12)))).toBe('<4>p IN= OUT= TRUNCATED');
    // the UDP header cut at 4 bytes: INCOMPLETE [4 bytes], and no MARK after it
    expect(nfLogSyslogLine(base(dgram.slice(0, 24), { mark: 1 }))).toBe(
      '<4>p IN= OUT= SRC=127.0.0.1 DST=127.0.0.1 LEN=32 TOS=0x00 PREC=0x00 TTL=64 ID=4660 PROTO=UDP INCOMPLETE [4 bytes] ',
    );
    // IP options asked for and cut short: TRUNCATED ends the line
    const withOpts = ipv4({ src: '192.0.2.1', dst: '192.0.2.2', proto: 17, options: Uint8Array.of(1, 1, 1, 0), payload: new Uint8Array(8) });
    expect(nfLogSyslogLine(base(withOpts.slice(0, 22), { logflags: NF_LOG_IPOPT }))).toBe(
      '<4>p IN= OUT= SRC=192.0.2.1 DST=192.0.2.2 LEN=32 TOS=0x00 PREC=0x00 TTL=64 ID=4660 TRUNCATED',
    );
    // TCP options asked for, the header's 32 bytes (doff 8) past the end: OPT (TRUNCATED), no space, no MARK
    const t = tcp('192.0.2.1', '192.0.2.2', 1, 2, 0x02, 0, 0, new Uint8Array(12));
    t[12] = 8 << 4;
    const seg = ipv4({ src: '192.0.2.1', dst: '192.0.2.2', proto: 6, payload: t.slice(0, 24) });
    expect(nfLogSyslogLine(base(seg, { logflags: NF_LOG_TCPOPT, mark: 1 }))).toBe(
      '<4>p IN= OUT= SRC=192.0.2.1 DST=192.0.2.2 LEN=44 TOS=0x00 PREC=0x00 TTL=64 ID=4660 PROTO=TCP SPT=1 DPT=2 WINDOW=64240 RES=0x00 SYN URGP=0 OPT (TRUNCATED)',
    );
  });

  it('stops where nf_log_buf is full: 1019 bytes with the level\'s two', () => {
    const prefix = 'x'.repeat(127);
    const ifname = 'y'.repeat(15);
    const opts = Uint8Array.from({ length: 40 }, () => 1);
    const p = ipv4({ src: '192.0.2.1', dst: '192.0.2.2', proto: 17, options: opts, payload: udp('192.0.2.1', '192.0.2.2', 1, 2, new Uint8Array(0)) });
    const full = `${prefix}IN=${ifname} OUT=${ifname} MAC=${'00:'.repeat(13)}00 ` +
      `SRC=192.0.2.1 DST=192.0.2.2 LEN=68 TOS=0x00 PREC=0x00 TTL=64 ID=4660 OPT (${'01'.repeat(40)}) PROTO=UDP SPT=1 DPT=2 LEN=8 MARK=0xffffffff `;
    const line = nfLogSyslogLine(base(p, { prefix, in: ifname, out: ifname, inType: ARPHRD_ETHER, mac: new Uint8Array(14), logflags: NF_LOG_IPOPT, mark: 0xffffffff }));
    expect(line).toBe(`<4>${full}`); // 2 + full.length < 1020: whole
    // a line that would reach 1020: cut to 1017 characters of text
    const big = nfLogSyslogLine(base(p, { prefix: 'z'.repeat(1000) }));
    expect(big).toBe(`<4>${`${'z'.repeat(1000)}IN= OUT= SRC=192.0.2.1 DST=192.0.2.2`.slice(0, 1017)}`);
  });
});
