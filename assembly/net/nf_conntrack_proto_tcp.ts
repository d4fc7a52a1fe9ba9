// TCP connection tracking: nf_conntrack_proto_tcp.c — the state table (tcp_conntracks, indexed by
// direction, the segment's flag class and the old state), the window tracking of Guido van Rooij's
// "Real Stateful TCP Packet Filtering in IP Filter" as the kernel bounds it (I–IV below), mid-stream
// pick-up (nf_conntrack_tcp_loose), be_liberal, the ignored-packet resync, RST handling and the timeouts
// by state (nf_conntrack_tcp_timeout_*), shortened for retransmissions and unacknowledged data.
//
// The entry's TCP part (CT_TCP + …, nf_conntrack.ts draws the entry):
//   +0 seen[ORIGINAL], +20 seen[REPLY]: u32 td_end | u32 td_maxend | u32 td_maxwin | u32 td_maxack |
//      u8 td_scale | u8 flags (IP_CT_TCP_FLAG_*)
//   +40 u32 last_seq | +44 u32 last_ack | +48 u32 last_end | +52 u16 last_win | +54 u8 last_index |
//   +55 u8 last_dir | +56 u8 retrans | +57 u8 last_wscale | +58 u8 last_flags
//   The l4 state (TCP_CONNTRACK_*) is CT_L4STATE.
//
// Sequence numbers are compared as the kernel's before()/after(): by the sign of the 32-bit difference.
//
// Reads: the segment, the entry, the sysctls. Sets: the entry's TCP part, state, timeout, ASSURED.
// Next: back to nf_conntrack_in.

import { netNow, netScratch, sysctl } from './core';
import {
  SYSCTL_NF_CONNTRACK_CHECKSUM, SYSCTL_NF_CONNTRACK_TCP_BE_LIBERAL, SYSCTL_NF_CONNTRACK_TCP_LOOSE, SYSCTL_NF_CONNTRACK_TCP_IGNORE_INVALID_RST,
  SYSCTL_NF_CONNTRACK_TCP_MAX_RETRANS, SYSCTL_NF_CONNTRACK_TCP_TIMEOUT_CLOSE, SYSCTL_NF_CONNTRACK_TCP_TIMEOUT_MAX_RETRANS,
  SYSCTL_NF_CONNTRACK_TCP_TIMEOUT_SYN_SENT, SYSCTL_NF_CONNTRACK_TCP_TIMEOUT_UNACKNOWLEDGED, NFS_HOOK, NFS_PF, SCR_NF,
} from './abi';
import { IPPROTO_TCP, ldBe16 } from './inet';
import {
  CT_L4STATE, CT_STATUS, CT_TCP, IPCTNL_MSG_CT_UPDATE, IPS_ASSURED, IPS_CONFIRMED, IPS_FIXED_TIMEOUT, IPS_SEEN_REPLY,
  IP_CT_IS_REPLY, L4_INVALID, L4_OK, L4_REPEAT, ctDeleteLocked, ctEvent, ctRefresh, l4ChecksumOk,
} from './nf_conntrack';

export const TCP_CONNTRACK_NONE: u32 = 0;
export const TCP_CONNTRACK_SYN_SENT: u32 = 1;
export const TCP_CONNTRACK_SYN_RECV: u32 = 2;
export const TCP_CONNTRACK_ESTABLISHED: u32 = 3;
export const TCP_CONNTRACK_FIN_WAIT: u32 = 4;
export const TCP_CONNTRACK_CLOSE_WAIT: u32 = 5;
export const TCP_CONNTRACK_LAST_ACK: u32 = 6;
export const TCP_CONNTRACK_TIME_WAIT: u32 = 7;
export const TCP_CONNTRACK_CLOSE: u32 = 8;
export const TCP_CONNTRACK_SYN_SENT2: u32 = 9;
const sIV: u32 = 10; // TCP_CONNTRACK_MAX
const sIG: u32 = 11; // TCP_CONNTRACK_IGNORE

const TCP_SYN_SET: u32 = 0;
const TCP_SYNACK_SET: u32 = 1;
const TCP_FIN_SET: u32 = 2;
const TCP_ACK_SET: u32 = 3;
const TCP_RST_SET: u32 = 4;
const TCP_NONE_SET: u32 = 5;

const F_WINDOW_SCALE: u32 = 0x01;
const F_SACK_PERM: u32 = 0x02;
const F_CLOSE_INIT: u32 = 0x04;
const F_BE_LIBERAL: u32 = 0x08;
const F_DATA_UNACKNOWLEDGED: u32 = 0x10;
const F_MAXACK_SET: u32 = 0x20;
const F_EXP_CHALLENGE_ACK: u32 = 0x40;
const F_SIMULTANEOUS_OPEN: u32 = 0x80;

const TD_END: u32 = 0;
const TD_MAXEND: u32 = 4;
const TD_MAXWIN: u32 = 8;
const TD_MAXACK: u32 = 12;
const TD_SCALE: u32 = 16;
const TD_FLAGS: u32 = 17;
const LAST_SEQ: u32 = 40;
const LAST_ACK: u32 = 44;
const LAST_END: u32 = 48;
const LAST_WIN: u32 = 52;
const LAST_INDEX: u32 = 54;
const LAST_DIR: u32 = 55;
const RETRANS: u32 = 56;
const LAST_WSCALE: u32 = 57;
const LAST_FLAGS: u32 = 58;

const TH_FIN: u32 = 0x01;
const TH_SYN: u32 = 0x02;
const TH_RST: u32 = 0x04;
const TH_PSH: u32 = 0x08;
const TH_ACK: u32 = 0x10;
const TH_URG: u32 = 0x20;
const TH_ECE: u32 = 0x40;
const TH_CWR: u32 = 0x80;

// tcp_conntracks[dir][index][old state], states in enum order sNO sSS sSR sES sFW sCW sLA sTW sCL sS2;
// 10 is sIV (invalid, TCP_CONNTRACK_MAX), 11 sIG (ignored)
const TABLE: StaticArray<u8> = [
  // ORIGINAL
  /* syn    */ 1, 1, 11, 11, 11, 11, 11, 1, 1, 9,
  /* synack */ 10, 10, 2, 10, 10, 10, 10, 10, 10, 2,
  /* fin    */ 10, 10, 4, 4, 6, 6, 6, 7, 8, 10,
  /* ack    */ 3, 10, 3, 3, 5, 5, 7, 7, 8, 10,
  /* rst    */ 10, 8, 8, 8, 8, 8, 8, 8, 8, 8,
  /* none   */ 10, 10, 10, 10, 10, 10, 10, 10, 10, 10,
  // REPLY
  /* syn    */ 10, 9, 10, 10, 10, 10, 10, 1, 10, 9,
  /* synack */ 10, 2, 11, 11, 11, 11, 11, 11, 11, 2,
  /* fin    */ 10, 10, 4, 4, 6, 6, 6, 7, 8, 10,
  /* ack    */ 10, 11, 2, 3, 5, 5, 7, 7, 8, 11,
  /* rst    */ 10, 8, 8, 8, 8, 8, 8, 8, 8, 8,
  /* none   */ 10, 10, 10, 10, 10, 10, 10, 10, 10, 10,
];

@inline function nextState(dir: u32, index: u32, old: u32): u32 {
  return <u32>unchecked(TABLE[dir * 60 + index * 10 + old]);
}

/** Timeout of a state in ms: SYN_SENT … CLOSE from their sysctls; SYN_SENT2 is SYN_SENT's (2 minutes). */
function stateTimeout(s: u32): u64 {
  if (s == TCP_CONNTRACK_SYN_SENT2) s = TCP_CONNTRACK_SYN_SENT;
  if (s == 0) return 0;
  return <u64>sysctl(SYSCTL_NF_CONNTRACK_TCP_TIMEOUT_SYN_SENT + s - 1) * 1000;
}
@inline function RETRANS_MS(): u64 {
  return <u64>sysctl(SYSCTL_NF_CONNTRACK_TCP_TIMEOUT_MAX_RETRANS) * 1000;
}
@inline function UNACK_MS(): u64 {
  return <u64>sysctl(SYSCTL_NF_CONNTRACK_TCP_TIMEOUT_UNACKNOWLEDGED) * 1000;
}

@inline function before(a: u32, b: u32): bool {
  return <i32>(a - b) < 0;
}
@inline function after(a: u32, b: u32): bool {
  return <i32>(b - a) < 0;
}

@inline function flagsOf(th: u32): u32 {
  return <u32>load<u8>(th, 13);
}

function conntrackIndex(f: u32): u32 {
  if ((f & TH_RST) != 0) return TCP_RST_SET;
  if ((f & TH_SYN) != 0) return (f & TH_ACK) != 0 ? TCP_SYNACK_SET : TCP_SYN_SET;
  if ((f & TH_FIN) != 0) return TCP_FIN_SET;
  if ((f & TH_ACK) != 0) return TCP_ACK_SET;
  return TCP_NONE_SET;
}

/** segment_seq_plus_len: seq + payload length + SYN + FIN. */
@inline function segEnd(th: u32, seq: u32, l4len: u32): u32 {
  const doff = (<u32>load<u8>(th, 12) >> 4) << 2;
  const f = flagsOf(th);
  return seq + l4len - doff + ((f & TH_SYN) != 0 ? 1 : 0) + ((f & TH_FIN) != 0 ? 1 : 0);
}

/** tcp_valid_flags: the combinations of FIN SYN RST ACK URG (PSH, ECE, CWR aside) a segment may carry. */
function validFlags(f: u32): bool {
  f &= ~(TH_ECE | TH_CWR | TH_PSH);
  return f == TH_SYN || f == (TH_SYN | TH_URG) || f == (TH_SYN | TH_ACK) || f == TH_RST || f == (TH_RST | TH_ACK) ||
    f == (TH_FIN | TH_ACK) || f == (TH_FIN | TH_ACK | TH_URG) || f == TH_ACK || f == (TH_ACK | TH_URG);
}

/** tcp_error: a header cut short or with a bad data offset, a bad checksum at PRE_ROUTING, bad flags. true: invalid. */
export function tcp_error(st: u32, l3: u32, thoff: u32, len: u32): bool {
  if (thoff + 20 > len) return true;
  const th = l3 + thoff;
  const doff = (<u32>load<u8>(th, 12) >> 4) << 2;
  if (doff < 20 || len - thoff < doff) return true;
  if (sysctl(SYSCTL_NF_CONNTRACK_CHECKSUM) != 0 && <u32>load<u8>(st + NFS_HOOK) == 0 &&
    !l4ChecksumOk(<u32>load<u8>(st + NFS_PF), l3, thoff, len - thoff, IPPROTO_TCP)) return true;
  return !validFlags(flagsOf(th));
}

/** tcp_options: window scale and SACK-permitted into seen[] (`s`); td_scale reset first. */
function tcpOptions(th: u32, s: u32): void {
  let length = <i32>((<u32>load<u8>(th, 12) >> 4) << 2) - 20;
  if (length <= 0) return;
  store<u8>(s + TD_SCALE, 0);
  store<u8>(s + TD_FLAGS, <u8>(<u32>load<u8>(s + TD_FLAGS) & F_BE_LIBERAL));
  let p = th + 20;
  while (length > 0) {
    const op = <u32>load<u8>(p++);
    if (op == 0) return;
    if (op == 1) {
      length--;
      continue;
    }
    if (length < 2) return;
    const sz = <i32>load<u8>(p++);
    if (sz < 2 || sz > length) return;
    if (op == 4 && sz == 2) store<u8>(s + TD_FLAGS, <u8>(<u32>load<u8>(s + TD_FLAGS) | F_SACK_PERM));
    else if (op == 3 && sz == 3) {
      let sc = <u32>load<u8>(p);
      if (sc > 14) sc = 14;
      store<u8>(s + TD_SCALE, <u8>sc);
      store<u8>(s + TD_FLAGS, <u8>(<u32>load<u8>(s + TD_FLAGS) | F_WINDOW_SCALE));
    }
    p += <u32>sz - 2;
    length -= sz;
  }
}

/** tcp_sack: the highest right edge of the SACK blocks into `sack` (returned). */
function tcpSack(th: u32, sack: u32): u32 {
  let length = <i32>((<u32>load<u8>(th, 12) >> 4) << 2) - 20;
  if (length <= 0) return sack;
  let p = th + 20;
  // the timestamp-only layout: NOP NOP TS 10
  if (length == 12 && load<u32>(p) == 0x0a080101) return sack;
  while (length > 0) {
    const op = <u32>load<u8>(p++);
    if (op == 0) return sack;
    if (op == 1) {
      length--;
      continue;
    }
    if (length < 2) return sack;
    const sz = <i32>load<u8>(p++);
    if (sz < 2 || sz > length) return sack;
    if (op == 5 && sz >= 10 && ((sz - 2) & 7) == 0) {
      for (let i: i32 = 0; i < sz - 2; i += 8) {
        const tmp = bswap<u32>(load<u32>(p + <u32>i + 4));
        if (after(tmp, sack)) sack = tmp;
      }
      return sack;
    }
    p += <u32>sz - 2;
    length -= sz;
  }
  return sack;
}

@inline function seen(e: u32, dir: u32): u32 {
  return e + CT_TCP + dir * 20;
}
@inline function tcp(e: u32): u32 {
  return e + CT_TCP;
}
@inline function sflags(s: u32): u32 {
  return <u32>load<u8>(s + TD_FLAGS);
}
@inline function setFlag(s: u32, f: u32): void {
  store<u8>(s + TD_FLAGS, <u8>(sflags(s) | f));
}

/** tcp_new: a connection may start with a SYN, or be picked up mid-stream with nf_conntrack_tcp_loose. */
export function tcp_new(e: u32, l3: u32, thoff: u32, len: u32): bool {
  const th = l3 + thoff;
  const ns = nextState(0, conntrackIndex(flagsOf(th)), TCP_CONNTRACK_NONE);
  if (ns >= sIV) return false;
  memory.fill(tcp(e), 0, 64);
  const s0 = seen(e, 0);
  const end = segEnd(th, bswap<u32>(load<u32>(th, 4)), len - thoff);
  let win = <u32>ldBe16(th + 14);
  if (win == 0) win = 1;
  store<u32>(s0 + TD_END, end);
  store<u32>(s0 + TD_MAXWIN, win);
  if (ns == TCP_CONNTRACK_SYN_SENT) {
    store<u32>(s0 + TD_MAXEND, end);
    tcpOptions(th, s0);
  } else {
    if (sysctl(SYSCTL_NF_CONNTRACK_TCP_LOOSE) == 0) return false;
    store<u32>(s0 + TD_MAXEND, end + win);
    // picked up: SACK assumed, windows checked liberally (scaling unknown)
    store<u8>(s0 + TD_FLAGS, <u8>(F_SACK_PERM | F_BE_LIBERAL));
    store<u8>(seen(e, 1) + TD_FLAGS, <u8>(F_SACK_PERM | F_BE_LIBERAL));
  }
  store<u8>(tcp(e) + LAST_INDEX, <u8>TCP_NONE_SET);
  return true;
}

function initSender(sender: u32, receiver: u32, th: u32, end: u32, win: u32, dir: u32): void {
  store<u32>(sender + TD_END, end);
  store<u32>(sender + TD_MAXEND, end);
  store<u32>(sender + TD_MAXWIN, win == 0 ? 1 : win);
  tcpOptions(th, sender);
  // RFC 1323: both ends must send window scale for it to apply either way
  if (dir == 1 && !((sflags(sender) & F_WINDOW_SCALE) != 0 && (sflags(receiver) & F_WINDOW_SCALE) != 0)) {
    store<u8>(sender + TD_SCALE, 0);
    store<u8>(receiver + TD_SCALE, 0);
  }
}

const W_IGNORE: u32 = 0;
const W_INVALID: u32 = 1;
const W_ACCEPT: u32 = 2;

/** nf_tcp_log_invalid: with be_liberal (the sysctl or the sender's flag) a window failure is accepted. */
@inline function logInvalid(sender: u32, ret: u32): u32 {
  if ((sflags(sender) & F_BE_LIBERAL) != 0 || sysctl(SYSCTL_NF_CONNTRACK_TCP_BE_LIBERAL) != 0) return W_ACCEPT;
  return ret;
}

@inline function maxAckWindow(sender: u32): u32 {
  const w = load<u32>(sender + TD_MAXWIN);
  return w > 66000 ? w : 66000;
}

/** tcp_in_window: the segment against the windows of both ends (I–IV), updating them when it passes. */
function tcpInWindow(e: u32, dir: u32, index: u32, th: u32, l4len: u32): u32 {
  const t = tcp(e);
  const sender = seen(e, dir);
  const receiver = seen(e, 1 - dir);
  const f = flagsOf(th);
  let seq = bswap<u32>(load<u32>(th, 4));
  let ack = bswap<u32>(load<u32>(th, 8));
  let sack = ack;
  const winRaw = <u32>ldBe16(th + 14);
  let win = winRaw;
  let end = segEnd(th, seq, l4len);
  if ((sflags(receiver) & F_SACK_PERM) != 0) sack = tcpSack(th, sack);
  const state = <u32>load<u8>(e + CT_L4STATE);

  if (load<u32>(sender + TD_MAXWIN) == 0) {
    if ((f & TH_SYN) != 0) {
      initSender(sender, receiver, th, end, win, dir);
      if ((f & TH_ACK) == 0) return W_ACCEPT; // simultaneous open
    } else {
      // mid-connection: its history is lost to us; take what the segment says
      store<u32>(sender + TD_END, end);
      let swin = win << <u32>load<u8>(sender + TD_SCALE);
      if (swin == 0) swin = 1;
      store<u32>(sender + TD_MAXWIN, swin);
      store<u32>(sender + TD_MAXEND, end + swin);
      if (load<u32>(receiver + TD_MAXWIN) == 0) {
        store<u32>(receiver + TD_END, sack);
        store<u32>(receiver + TD_MAXEND, sack);
      } else if (sack == load<u32>(receiver + TD_END) + 1) {
        store<u32>(receiver + TD_END, load<u32>(receiver + TD_END) + 1); // a reply to a keepalive
      }
    }
  } else if ((f & TH_SYN) != 0 && after(end, load<u32>(sender + TD_END)) &&
    (state == TCP_CONNTRACK_SYN_SENT || state == TCP_CONNTRACK_SYN_RECV)) {
    // RFC 793: a reinitialised connection uses higher sequence numbers: this direction starts again
    initSender(sender, receiver, th, end, win, dir);
    if (dir == 1 && (f & TH_ACK) == 0) return W_ACCEPT;
  }

  if ((f & TH_ACK) == 0) {
    ack = sack = load<u32>(receiver + TD_END);
  } else if ((f & (TH_ACK | TH_RST)) == (TH_ACK | TH_RST) && ack == 0) {
    ack = sack = load<u32>(receiver + TD_END); // broken stacks: ACK set with a zero ack in a RST
  }
  if ((f & TH_RST) != 0 && seq == 0 && state == TCP_CONNTRACK_SYN_SENT) {
    seq = end = load<u32>(sender + TD_END); // a RST answering a SYN
  }

  // I. seq ≤ sender.td_maxend
  if (!before(seq, load<u32>(sender + TD_MAXEND) + 1)) {
    const overshot = end - load<u32>(sender + TD_MAXEND) + 1;
    const ackOk = after(sack, load<u32>(receiver + TD_END) - maxAckWindow(sender) - 1);
    const inRecvWin = load<u32>(receiver + TD_MAXWIN) != 0 &&
      after(end, load<u32>(sender + TD_END) - load<u32>(receiver + TD_MAXWIN) - 1);
    if (inRecvWin && ackOk && overshot <= load<u32>(receiver + TD_MAXWIN) && before(sack, load<u32>(receiver + TD_END) + 1)) {
      store<u32>(sender + TD_END, end);
      setFlag(sender, F_DATA_UNACKNOWLEDGED);
      return logInvalid(sender, W_IGNORE);
    }
    return logInvalid(sender, W_INVALID);
  }
  // III. sack ≤ receiver.td_end
  if (!before(sack, load<u32>(receiver + TD_END) + 1)) return logInvalid(sender, W_INVALID);
  // II. seq + len ≥ sender.td_end - receiver.td_maxwin
  const inRecvWin = load<u32>(receiver + TD_MAXWIN) == 0 ||
    after(end, load<u32>(sender + TD_END) - load<u32>(receiver + TD_MAXWIN) - 1);
  if (!inRecvWin) return logInvalid(sender, W_IGNORE);
  // IV. sack ≥ receiver.td_end - MAXACKWINDOW
  if (!after(sack, load<u32>(receiver + TD_END) - maxAckWindow(sender) - 1)) return logInvalid(sender, W_IGNORE);

  if ((f & TH_SYN) == 0) win <<= <u32>load<u8>(sender + TD_SCALE);
  const swin = win + (sack - ack);
  if (load<u32>(sender + TD_MAXWIN) < swin) store<u32>(sender + TD_MAXWIN, swin);
  if (after(end, load<u32>(sender + TD_END))) {
    store<u32>(sender + TD_END, end);
    setFlag(sender, F_DATA_UNACKNOWLEDGED);
  }
  if ((f & TH_ACK) != 0) {
    if ((sflags(sender) & F_MAXACK_SET) == 0) {
      store<u32>(sender + TD_MAXACK, ack);
      setFlag(sender, F_MAXACK_SET);
    } else if (after(ack, load<u32>(sender + TD_MAXACK))) {
      store<u32>(sender + TD_MAXACK, ack);
    }
  }
  if (load<u32>(receiver + TD_MAXWIN) != 0 && after(end, load<u32>(sender + TD_MAXEND))) {
    store<u32>(receiver + TD_MAXWIN, load<u32>(receiver + TD_MAXWIN) + end - load<u32>(sender + TD_MAXEND));
  }
  if (after(sack + win, load<u32>(receiver + TD_MAXEND) - 1)) {
    store<u32>(receiver + TD_MAXEND, sack + win + (win == 0 ? 1 : 0));
  }
  if (ack == load<u32>(receiver + TD_END)) store<u8>(receiver + TD_FLAGS, <u8>(sflags(receiver) & ~F_DATA_UNACKNOWLEDGED));

  if (index == TCP_ACK_SET) {
    if (<u32>load<u8>(t + LAST_DIR) == dir && load<u32>(t + LAST_SEQ) == seq && load<u32>(t + LAST_ACK) == ack &&
      load<u32>(t + LAST_END) == end && <u32>load<u16>(t + LAST_WIN) == winRaw) {
      store<u8>(t + RETRANS, load<u8>(t + RETRANS) + 1);
    } else {
      store<u8>(t + LAST_DIR, <u8>dir);
      store<u32>(t + LAST_SEQ, seq);
      store<u32>(t + LAST_ACK, ack);
      store<u32>(t + LAST_END, end);
      store<u16>(t + LAST_WIN, <u16>winRaw);
      store<u8>(t + RETRANS, 0);
    }
  }
  return W_ACCEPT;
}

/** nf_tcp_handle_invalid: an out-of-window FIN/RST answering the other side's shortens an assured entry's timeout. */
function handleInvalid(e: u32, dir: u32, index: u32): void {
  const s = load<u32>(e + CT_STATUS);
  if ((s & IPS_ASSURED) == 0 || (s & IPS_FIXED_TIMEOUT) != 0) return;
  if (index != TCP_RST_SET && index != TCP_FIN_SET) return;
  const t = tcp(e);
  const li = <u32>load<u8>(t + LAST_INDEX);
  if (<u32>load<u8>(t + LAST_DIR) != dir && (li == TCP_FIN_SET || li == TCP_RST_SET)) {
    const left = <i64>(load<u64>(e + 16) - netNow());
    if (left < 120000) return;
    if (<u64>left > UNACK_MS()) ctRefresh(e, UNACK_MS());
  } else {
    store<u8>(t + LAST_INDEX, <u8>index);
    store<u8>(t + LAST_DIR, <u8>dir);
  }
}

/**
 * nf_conntrack_tcp_set_closing (nf_ct_set_closing, called by nf_send_reset / nf_send_reset6 for the
 * segment they answer): a confirmed entry goes to CLOSE, with CLOSE's timeout unless it was in CLOSE
 * already or its timeout is fixed. Later segments then walk the table from CLOSE (an ACK stays there:
 * the entry does not become ASSURED). Under the table lock.
 */
export function nf_conntrack_tcp_set_closing(root: u32, e: u32): void {
  if ((load<u32>(e + CT_STATUS) & IPS_CONFIRMED) == 0) return;
  const old = <u32>load<u8>(e + CT_L4STATE);
  store<u8>(e + CT_L4STATE, <u8>TCP_CONNTRACK_CLOSE);
  if (old == TCP_CONNTRACK_CLOSE || (load<u32>(e + CT_STATUS) & IPS_FIXED_TIMEOUT) != 0) return;
  ctRefresh(e, <u64>sysctl(SYSCTL_NF_CONNTRACK_TCP_TIMEOUT_CLOSE) * 1000);
  ctEvent(root, e, IPCTNL_MSG_CT_UPDATE); // IPCT_PROTOINFO
}

/** tcp_can_early_drop: closing states may go first when the table is full. */
export function tcpCanEarlyDrop(e: u32): bool {
  const s = <u32>load<u8>(e + CT_L4STATE);
  return s == TCP_CONNTRACK_FIN_WAIT || s == TCP_CONNTRACK_LAST_ACK || s == TCP_CONNTRACK_TIME_WAIT ||
    s == TCP_CONNTRACK_CLOSE || s == TCP_CONNTRACK_CLOSE_WAIT;
}

/**
 * nf_conntrack_tcp_established: ESTABLISHED and ASSURED. A picked-up connection whose first reply came
 * (ESTABLISHED, but IPS_SEEN_REPLY only set after that reply's handler, so not yet ASSURED) is not
 * established for the RST checks: a RST whose sequence number is not the exact one closes it.
 */
@inline export function nf_conntrack_tcp_established(e: u32): bool {
  return <u32>load<u8>(e + CT_L4STATE) == TCP_CONNTRACK_ESTABLISHED && (load<u32>(e + CT_STATUS) & IPS_ASSURED) != 0;
}

/** flow_offload_ct_tcp: a connection the flowtable takes has window tracking liberal both ways (never cleared). */
export function tcp_offload_liberal(e: u32): void {
  for (let d: u32 = 0; d < 2; d++) setFlag(seen(e, d), F_BE_LIBERAL);
}

/** flow_offload_fixup_tcp: back from the flowtable, each side's td_maxwin 0 and MAXACK_SET cleared. */
export function tcp_offload_fixup(e: u32): void {
  for (let d: u32 = 0; d < 2; d++) {
    const s = seen(e, d);
    store<u32>(s + TD_MAXWIN, 0);
    store<u8>(s + TD_FLAGS, <u8>(sflags(s) & ~F_MAXACK_SET));
  }
}

/** nf_conntrack_tcp_packet under the table lock: L4_OK, L4_INVALID or L4_REPEAT (the entry was deleted). */
export function tcp_packet(root: u32, e: u32, st: u32, ctinfo: u32, l3: u32, thoff: u32, len: u32): u32 {
  const th = l3 + thoff;
  const t = tcp(e);
  const f = flagsOf(th);
  const l4len = len - thoff;
  let oldState = <u32>load<u8>(e + CT_L4STATE);
  const dir: u32 = ctinfo >= IP_CT_IS_REPLY ? 1 : 0;
  const index = conntrackIndex(f);
  let newState = nextState(dir, index, oldState);
  const seq = bswap<u32>(load<u32>(th, 4));
  const ackSeq = bswap<u32>(load<u32>(th, 8));
  let skipWindow = false;

  if (newState == TCP_CONNTRACK_SYN_SENT && oldState >= TCP_CONNTRACK_TIME_WAIT) {
    // a reopened (closed or aborted) connection: delete the old entry and look up again
    if (((sflags(seen(e, dir)) | sflags(seen(e, 1 - dir))) & F_CLOSE_INIT) != 0 ||
      (<u32>load<u8>(t + LAST_DIR) == dir && <u32>load<u8>(t + LAST_INDEX) == TCP_RST_SET)) {
      ctDeleteLocked(root, e);
      return L4_REPEAT;
    }
  }
  if (newState == sIG || (newState == TCP_CONNTRACK_SYN_SENT && oldState >= TCP_CONNTRACK_TIME_WAIT)) {
    if (index == TCP_SYNACK_SET && <u32>load<u8>(t + LAST_INDEX) == TCP_SYN_SET && <u32>load<u8>(t + LAST_DIR) != dir &&
      ackSeq == load<u32>(t + LAST_END)) {
      // this SYN/ACK answers a SYN we ignored: both ends are in sync, we are not; take the annotated values
      oldState = TCP_CONNTRACK_SYN_SENT;
      newState = TCP_CONNTRACK_SYN_RECV;
      const ld = <u32>load<u8>(t + LAST_DIR);
      const s = seen(e, ld);
      store<u32>(s + TD_END, load<u32>(t + LAST_END));
      store<u32>(s + TD_MAXEND, load<u32>(t + LAST_END));
      const lw = <u32>load<u16>(t + LAST_WIN);
      store<u32>(s + TD_MAXWIN, lw == 0 ? 1 : lw);
      store<u8>(s + TD_SCALE, load<u8>(t + LAST_WSCALE));
      store<u8>(t + LAST_FLAGS, <u8>(<u32>load<u8>(t + LAST_FLAGS) & ~F_EXP_CHALLENGE_ACK));
      store<u8>(s + TD_FLAGS, load<u8>(t + LAST_FLAGS));
      const o = seen(e, dir); // nf_ct_tcp_state_reset
      store<u32>(o + TD_END, 0);
      store<u32>(o + TD_MAXEND, 0);
      store<u32>(o + TD_MAXWIN, 0);
      store<u32>(o + TD_MAXACK, 0);
      store<u8>(o + TD_SCALE, 0);
      store<u8>(o + TD_FLAGS, <u8>(sflags(o) & F_BE_LIBERAL));
    } else {
      store<u8>(t + LAST_INDEX, <u8>index);
      store<u8>(t + LAST_DIR, <u8>dir);
      store<u32>(t + LAST_SEQ, seq);
      store<u32>(t + LAST_END, segEnd(th, seq, l4len));
      store<u16>(t + LAST_WIN, ldBe16(th + 14));
      if (index == TCP_SYN_SET && dir == 0) {
        // a SYN in ORIGINAL: note its options; after LAST_ACK an ACK may be a challenge ACK (RFC 5961)
        store<u8>(t + LAST_FLAGS, 0);
        store<u8>(t + LAST_WSCALE, 0);
        const sv = netScratch() + SCR_NF + 448; // a throwaway seen[] for tcp_options
        memory.fill(sv, 0, 20);
        tcpOptions(th, sv);
        let lf: u32 = 0;
        if ((sflags(sv) & F_WINDOW_SCALE) != 0) {
          lf |= F_WINDOW_SCALE;
          store<u8>(t + LAST_WSCALE, load<u8>(sv + TD_SCALE));
        }
        if ((sflags(sv) & F_SACK_PERM) != 0) lf |= F_SACK_PERM;
        if (oldState == TCP_CONNTRACK_LAST_ACK) lf |= F_EXP_CHALLENGE_ACK;
        store<u8>(t + LAST_FLAGS, <u8>lf);
      }
      if (oldState == TCP_CONNTRACK_SYN_SENT && index == TCP_ACK_SET && dir == 1) store<u32>(t + LAST_ACK, ackSeq);
      return L4_OK; // ignored: accepted, nothing changed
    }
  } else if (newState == sIV) {
    return L4_INVALID;
  } else if (newState == TCP_CONNTRACK_TIME_WAIT) {
    if (oldState == TCP_CONNTRACK_LAST_ACK && index == TCP_ACK_SET && <u32>load<u8>(t + LAST_DIR) != dir &&
      <u32>load<u8>(t + LAST_INDEX) == TCP_SYN_SET && (<u32>load<u8>(t + LAST_FLAGS) & F_EXP_CHALLENGE_ACK) != 0) {
      store<u8>(t + LAST_FLAGS, <u8>(<u32>load<u8>(t + LAST_FLAGS) & ~F_EXP_CHALLENGE_ACK));
      return L4_OK; // a challenge ACK, not the last ACK
    }
  } else if (newState == TCP_CONNTRACK_SYN_SENT2) {
    store<u8>(t + LAST_FLAGS, <u8>(<u32>load<u8>(t + LAST_FLAGS) | F_SIMULTANEOUS_OPEN));
  } else if (newState == TCP_CONNTRACK_SYN_RECV) {
    if (dir == 1 && index == TCP_ACK_SET && (<u32>load<u8>(t + LAST_FLAGS) & F_SIMULTANEOUS_OPEN) != 0) newState = TCP_CONNTRACK_ESTABLISHED;
  } else if (newState == TCP_CONNTRACK_CLOSE && index == TCP_RST_SET) {
    if (tcpCanEarlyDrop(e)) {
      skipWindow = true; // closing: the tuple may be reused already, nothing to check against
    } else {
      let checked = false; // the kernel's `break`: on to the window check
      const other = seen(e, 1 - dir);
      if ((sflags(other) & F_MAXACK_SET) != 0 && <u32>load<u8>(t + LAST_INDEX) != TCP_SYN_SET) {
        if (seq == 0 && !nf_conntrack_tcp_established(e)) checked = true;
        // an invalid RST, unless nf_conntrack_tcp_ignore_invalid_rst (then on as a RST of the wrong sequence number)
        else if (before(seq, load<u32>(other + TD_MAXACK)) && sysctl(SYSCTL_NF_CONNTRACK_TCP_IGNORE_INVALID_RST) == 0) return L4_INVALID;
        else if (!nf_conntrack_tcp_established(e) || seq == load<u32>(other + TD_MAXACK)) checked = true;
        else if (<u32>load<u8>(t + LAST_INDEX) == TCP_ACK_SET && <u32>load<u8>(t + LAST_DIR) == dir && seq == load<u32>(t + LAST_END)) checked = true;
        else newState = oldState; // not the exact sequence number: stay, a challenge ACK may follow
      }
      if (!checked) {
        const s = load<u32>(e + CT_STATUS);
        const li = <u32>load<u8>(t + LAST_INDEX);
        // a RST answering the last SYN must come from the other side (last_dir != dir: "netfilter:
        // conntrack: tcp: do not force CLOSE on invalid-seq RST without direction check", in 6.18.y
        // stable): a RST from the SYN's own sender is checked against the window. The half for an
        // ignored ACK has no direction: a RST from either side whose ack is that ACK's end skips it
        if ((((s & IPS_SEEN_REPLY) != 0 && li == TCP_SYN_SET && <u32>load<u8>(t + LAST_DIR) != dir) ||
          ((s & IPS_ASSURED) == 0 && li == TCP_ACK_SET)) && ackSeq == load<u32>(t + LAST_END)) {
          skipWindow = true; // a RST to a SYN or ACK we let through
        } else if (oldState == TCP_CONNTRACK_SYN_SENT && li == TCP_ACK_SET && <u32>load<u8>(t + LAST_DIR) == 1 &&
          seq == load<u32>(t + LAST_ACK)) {
          skipWindow = true; // a RST answering a challenge ACK we let through
        }
      }
    }
  }

  if (!skipWindow) {
    const res = tcpInWindow(e, dir, index, th, l4len);
    if (res == W_IGNORE) return L4_OK;
    if (res == W_INVALID) {
      handleInvalid(e, dir, index);
      return L4_INVALID;
    }
  }
  // in window from here on
  store<u8>(t + LAST_INDEX, <u8>index);
  store<u8>(t + LAST_DIR, <u8>dir);
  store<u8>(e + CT_L4STATE, <u8>newState);
  if (oldState != newState && newState == TCP_CONNTRACK_FIN_WAIT) setFlag(seen(e, dir), F_CLOSE_INIT);

  const ts = stateTimeout(newState);
  let timeout: u64;
  if (<u32>load<u8>(t + RETRANS) >= sysctl(SYSCTL_NF_CONNTRACK_TCP_MAX_RETRANS) && ts > RETRANS_MS()) timeout = RETRANS_MS();
  else if (index == TCP_RST_SET) timeout = <u64>sysctl(SYSCTL_NF_CONNTRACK_TCP_TIMEOUT_CLOSE) * 1000;
  else if (((sflags(seen(e, 0)) | sflags(seen(e, 1))) & F_DATA_UNACKNOWLEDGED) != 0 && ts > UNACK_MS()) timeout = UNACK_MS();
  else if (<u32>load<u16>(t + LAST_WIN) == 0 && ts > RETRANS_MS()) timeout = RETRANS_MS();
  else timeout = ts;

  if (newState != oldState) ctEvent(root, e, IPCTNL_MSG_CT_UPDATE);
  const s = load<u32>(e + CT_STATUS);
  if ((s & IPS_SEEN_REPLY) == 0) {
    if ((f & TH_RST) != 0) {
      // the only reply a RST: nothing was established, the entry goes at once (nf_ct_kill_acct). It
      // expires now rather than leaving the table under this packet, which still carries it (its NAT)
      if ((s & IPS_CONFIRMED) != 0) store<u64>(e + 16, netNow());
      return L4_OK;
    }
    if (index == TCP_SYN_SET && oldState == TCP_CONNTRACK_SYN_SENT) return L4_OK; // a SYN retransmit keeps the timeout
    if (newState == TCP_CONNTRACK_ESTABLISHED && timeout > UNACK_MS()) timeout = UNACK_MS();
  } else if ((s & IPS_ASSURED) == 0 && (oldState == TCP_CONNTRACK_SYN_RECV || oldState == TCP_CONNTRACK_ESTABLISHED) &&
    newState == TCP_CONNTRACK_ESTABLISHED) {
    store<u32>(e + CT_STATUS, s | IPS_ASSURED);
    ctEvent(root, e, IPCTNL_MSG_CT_UPDATE);
  }
  ctRefresh(e, timeout);
  return L4_OK;
}
