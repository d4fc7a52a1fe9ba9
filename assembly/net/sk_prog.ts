// The two programmable steps of socket lookup: BPF_PROG_TYPE_SK_LOOKUP (before the tables, may assign a
// socket with bpf_sk_assign or drop) and BPF_PROG_TYPE_SK_REUSEPORT (picks a member of a reuseport
// group with bpf_sk_select_reuseport), and the helpers those programs call.
//
// Reads: the socket programs root (NR_SKPROG), socket records (SK_*), socket maps (maps/sockmap.ts).
// Sets: the programs' contexts and socket views (below); nothing in the socket records.
// Called from: the socket lookup (sock_lookup.ts: skLookupRun first, then the tables; the reuseport
// selection: skReuseportRun before the choice by hash). Programs run through the shared funcref
// table (their JIT'd `run`), one call per program, as napi.ts runs XDP programs.
//
// The root (arena, made by the first attach; its address at net root + NR_SKPROG):
//
//   +0     u32 sk_lookup programs attached (published after their slots)
//   +4     u32 socket view directory: VIEW_CHUNKS × u32 chunk address (0: not made yet)
//   +8     u32 the program a test run runs (a one-program array)
//   +12    u32 1: every socket has a view (a loaded XDP program looks sockets up: bpf_sk_lookup.ts)
//   +16    SKL_MAX × u32 the sk_lookup programs' `run` table slots, in attach order
//   (an sk_reuseport program's slot is its group's RG_PROG, sock.ts)
//   +272   the sk_lookup context: struct bpf_sk_lookup (72 bytes) | u32 selected record | u32 no_reuseport
//   +352   the sk_reuseport context: struct sk_reuseport_md (56) | u32 selected record | u32 group
//
// A program sees a socket as struct bpf_sock (uapi/linux/bpf.h): each socket a program may reach (in a
// socket map, or a reuseport group's attached member) has a view of VIEW_SIZE bytes, refreshed from the
// record whenever a program is handed it. Views are found by socket id (256 per chunk) and made by the
// control plane (a map update, an attach), so the data path never allocates:
//
//   +0 bound_dev_if +4 family +8 type +12 protocol +16 mark +20 priority +24 src_ip4 +28 src_ip6[4]
//   +44 src_port (host order) +48 dst_port (be16, 2 bytes of zero) +52 dst_ip4 +56 dst_ip6[4]
//   +72 state +76 rx_queue_mapping | +80 u32 the socket's record (wxdp's, not in bpf_sock) +84 u32 id
//
// Aligned u32 stores are atomic in wasm: a count is published after the slots it covers.
// Worker note: the contexts are one per fast path (one worker runs socket lookup at a time).

import { RUN_BASE, RUN_TAIL_CALLS } from '../abi';
import { arena_alloc } from '../maps/arena';
import { sockMapRecord, sockMapsForget } from '../maps/sockmap';
import {
  BPF_MAP_TYPE_REUSEPORT_SOCKARRAY, E2BIG, EAFNOSUPPORT, EBADF, EBADFD, EEXIST, EFAULT, EINVAL, ENOENT, ENOMEM, EOPNOTSUPP, EPROTOTYPE, ERANGE,
  ESOCKTNOSUPPORT, helperErr,
} from '../maps/uapi';
import {
  AF_INET, AF_INET6, NR_SKPROG, SK_BOUND_DEV_IF, SK_COOKIE, SK_DADDR, SK_DPORT, SK_FAMILY, SK_FLAGS, SK_ID, SK_MARK, SK_NUM, SK_PROTOCOL,
  SK_RCV_SADDR, SK_REUSEPORT_GROUP, SK_STATE, SKF_DEAD, SKF_IPV6ONLY, TCP_CLOSE,
} from './abi';
import { netRoot } from './core';
import { IPPROTO_TCP, IPPROTO_UDP } from './inet';
import { groupSlowSet, RG_BIND_INANY, rgNum, RG_PROG, RG_SOCKS, RGS_PROG, SK_MAX, SKX_RCV4, sockById } from './sock';

export const SK_LOOKUP_DROP: u32 = 0xffffffff;

const SK_DROP: u32 = 0;
const SK_PASS: u32 = 1;
const BPF_SK_LOOKUP_F_REPLACE: u64 = 1;
const BPF_SK_LOOKUP_F_NO_REUSEPORT: u64 = 2;
const SOCK_STREAM: u32 = 1;
const SOCK_DGRAM: u32 = 2;
const TCP_LISTEN: u32 = 10;

const SKP_LOOKUP_COUNT: u32 = 0;
const SKP_VIEWS: u32 = 4;
const SKP_TEST_SLOT: u32 = 8;
const SKP_VIEWS_ALL: u32 = 12;
const SKP_LOOKUP_SLOTS: u32 = 16;
/** netns_bpf_max_progs(NETNS_BPF_SK_LOOKUP): 64 programs per namespace. */
export const SKL_MAX: u32 = 64;
const SKP_LOOKUP_CTX: u32 = 272;
const SKP_REUSEPORT_CTX: u32 = 352;
const SKP_SIZE: u32 = 416;

// struct bpf_sk_lookup and the two words behind it
const LC_SK: u32 = 0;
const LC_FAMILY: u32 = 8;
const LC_PROTOCOL: u32 = 12;
const LC_REMOTE_IP4: u32 = 16;
const LC_REMOTE_IP6: u32 = 20;
const LC_REMOTE_PORT: u32 = 36;
const LC_LOCAL_IP4: u32 = 40;
const LC_LOCAL_IP6: u32 = 44;
const LC_LOCAL_PORT: u32 = 60;
const LC_INGRESS_IFINDEX: u32 = 64;
const LC_SELECTED: u32 = 72;
const LC_NO_REUSEPORT: u32 = 76;
const LC_SIZE: u32 = 80;

// struct sk_reuseport_md and the two words behind it
const RC_DATA: u32 = 0;
const RC_DATA_END: u32 = 8;
const RC_LEN: u32 = 16;
const RC_ETH_PROTOCOL: u32 = 20;
const RC_IP_PROTOCOL: u32 = 24;
const RC_BIND_INANY: u32 = 28;
const RC_HASH: u32 = 32;
const RC_SK: u32 = 40;
const RC_MIGRATING_SK: u32 = 48;
const RC_SELECTED: u32 = 56;
const RC_GROUP: u32 = 60;

// struct bpf_sock
const BS_BOUND_DEV_IF: u32 = 0;
const BS_FAMILY: u32 = 4;
const BS_TYPE: u32 = 8;
const BS_PROTOCOL: u32 = 12;
const BS_MARK: u32 = 16;
const BS_PRIORITY: u32 = 20;
const BS_SRC_IP4: u32 = 24;
const BS_SRC_IP6: u32 = 28;
const BS_SRC_PORT: u32 = 44;
const BS_DST_PORT: u32 = 48;
const BS_DST_IP4: u32 = 52;
const BS_DST_IP6: u32 = 56;
const BS_STATE: u32 = 72;
const BS_RX_QUEUE_MAPPING: u32 = 76;
const VIEW_RECORD: u32 = 80;
const VIEW_ID: u32 = 84;
const VIEW_SIZE: u32 = 96;
const VIEW_CHUNK: u32 = 256;
/** Enough chunks for every socket id sock.ts can give. */
const VIEW_CHUNKS: u32 = SK_MAX / VIEW_CHUNK;

@inline function skRoot(): u32 {
  const n = netRoot();
  return n == 0 ? 0 : load<u32>(n + NR_SKPROG);
}

/** The root, made on first use (control plane only). 0 when the stack is not set up or memory is out. */
function skRootMake(): u32 {
  const n = netRoot();
  if (n == 0) return 0;
  let r = load<u32>(n + NR_SKPROG);
  if (r != 0) return r;
  r = arena_alloc(SKP_SIZE, 8);
  if (r == 0) return 0;
  memory.fill(r, 0, SKP_SIZE);
  const dir = arena_alloc(VIEW_CHUNKS * 4, 8);
  if (dir == 0) return 0;
  memory.fill(dir, 0, VIEW_CHUNKS * 4);
  store<u32>(r + SKP_VIEWS, dir);
  store<u32>(n + NR_SKPROG, r);
  return r;
}

// ---- sockets as programs see them ----

/** The record of socket `id`, 0 when there is none. */
@inline export function skRecord(id: u32): u32 {
  return id == 0 ? 0 : sockById(id);
}

/** A socket that is open (made and not closed). */
@inline export function skLive(rec: u32): bool {
  return load<u8>(rec + SK_STATE) != 0 && (<u32>load<u8>(rec + SK_FLAGS) & SKF_DEAD) == 0;
}

@inline function viewSlot(id: u32): u32 {
  const r = skRoot();
  if (r == 0 || id >= VIEW_CHUNK * VIEW_CHUNKS) return 0;
  const chunk = load<u32>(load<u32>(r + SKP_VIEWS) + ((id / VIEW_CHUNK) << 2));
  return chunk == 0 ? 0 : chunk + (id % VIEW_CHUNK) * VIEW_SIZE;
}

/** Make sure socket `id` has a view (control plane: a map update, an attach). */
export function skViewReserve(id: u32): bool {
  const r = skRootMake();
  if (r == 0 || id == 0 || id >= VIEW_CHUNK * VIEW_CHUNKS) return false;
  const dir = load<u32>(r + SKP_VIEWS) + ((id / VIEW_CHUNK) << 2);
  if (load<u32>(dir) != 0) return true;
  const chunk = arena_alloc(VIEW_CHUNK * VIEW_SIZE, 8);
  if (chunk == 0) return false;
  memory.fill(chunk, 0, VIEW_CHUNK * VIEW_SIZE);
  store<u32>(dir, chunk);
  return true;
}

/**
 * Give every socket a view, now and from now on (control plane): a loaded XDP program calls
 * bpf_sk_lookup_udp/tcp or bpf_skc_lookup_tcp, which may hand it any socket. `ids`: one past the
 * highest socket id given so far. 0 or -ENOMEM.
 */
export function skViewsForAll(ids: u32): i32 {
  const r = skRootMake();
  if (r == 0) return -ENOMEM;
  for (let id: u32 = 1; id < ids; id += VIEW_CHUNK) if (!skViewReserve(id)) return -ENOMEM;
  store<u32>(r + SKP_VIEWS_ALL, 1);
  return 0;
}

/** A socket was made (control plane): its view, when every socket has one. false: out of memory. */
export function skViewOnCreate(id: u32): bool {
  const r = skRoot();
  return r == 0 || load<u32>(r + SKP_VIEWS_ALL) == 0 || skViewReserve(id);
}

@inline function copyIp6(dst: u32, a: u32, family: u32): void {
  if (family == AF_INET6) {
    store<u64>(dst, load<u64>(a));
    store<u64>(dst + 8, load<u64>(a + 8));
  } else {
    store<u64>(dst, 0);
    store<u64>(dst + 8, 0);
  }
}

/** The socket's struct bpf_sock view, refreshed from its record (bpf_sock_convert_ctx_access). 0: none. */
export function sockView(rec: u32): u32 {
  const id = load<u32>(rec + SK_ID);
  const v = viewSlot(id);
  if (v == 0) return 0;
  const family = <u32>load<u8>(rec + SK_FAMILY);
  const proto = <u32>load<u8>(rec + SK_PROTOCOL);
  store<u32>(v + BS_BOUND_DEV_IF, load<u32>(rec + SK_BOUND_DEV_IF));
  store<u32>(v + BS_FAMILY, family);
  store<u32>(v + BS_TYPE, proto == IPPROTO_TCP ? SOCK_STREAM : SOCK_DGRAM);
  store<u32>(v + BS_PROTOCOL, proto);
  store<u32>(v + BS_MARK, load<u32>(rec + SK_MARK));
  store<u32>(v + BS_PRIORITY, 0);
  // src_ip4 is skc_rcv_saddr: an IPv6 socket's IPv4 view of its bound address (127.0.0.6 for a native one).
  const v4 = family == AF_INET;
  store<u32>(v + BS_SRC_IP4, load<u32>(rec + (v4 ? SK_RCV_SADDR : SKX_RCV4)));
  copyIp6(v + BS_SRC_IP6, rec + SK_RCV_SADDR, family);
  store<u32>(v + BS_SRC_PORT, <u32>load<u16>(rec + SK_NUM));
  store<u32>(v + BS_DST_PORT, <u32>bswap<u16>(load<u16>(rec + SK_DPORT)));
  // (Linux 6.18 shows an IPv6 socket's native IPv6 peer as dst_ip4 0, a v4-mapped one as its IPv4.)
  const d = rec + SK_DADDR;
  const mapped = load<u64>(d) == 0 && load<u32>(d + 8) == 0xffff0000;
  store<u32>(v + BS_DST_IP4, v4 ? load<u32>(d) : mapped ? load<u32>(d + 12) : 0);
  copyIp6(v + BS_DST_IP6, rec + SK_DADDR, family);
  store<u32>(v + BS_STATE, <u32>load<u8>(rec + SK_STATE));
  // NO_QUEUE_MAPPING reads as -1.
  store<i32>(v + BS_RX_QUEUE_MAPPING, -1);
  store<u32>(v + VIEW_RECORD, rec);
  store<u32>(v + VIEW_ID, id);
  return v;
}

/** The record behind a view a program passed to a helper. */
@inline function viewRecord(view: u32): u32 {
  return view == 0 ? 0 : load<u32>(view + VIEW_RECORD);
}

/** viewRecord for the socket maps (a program's bpf_map_update_elem). */
export function viewRecordOf(view: u32): u32 {
  return viewRecord(view);
}

// ---- BPF_PROG_TYPE_SK_LOOKUP ----

/** Whether the last skLookupRun's chosen socket skips its reuseport group (BPF_SK_LOOKUP_F_NO_REUSEPORT). */
let lastNoReuseport: bool = false;

/**
 * Run the sk_lookup programs attached to the stack for this datagram (addresses at `saddr`/`daddr`,
 * 16 bytes each as abi.ts keeps them, ports host order). Returns a socket record address the
 * programs assigned, 0 when none did (the tables decide), or SK_LOOKUP_DROP. With a socket chosen,
 * skLookupNoReuseport() says whether its reuseport group is skipped.
 *
 * bpf_sk_lookup_run_v4/v6 (include/linux/filter.h): every program runs, in attach order, each seeing
 * the most recent selection in ctx->sk; the last SK_PASS with a socket wins; SK_DROP drops only when
 * no program selected a socket.
 */
export function skLookupRun(family: u32, protocol: u32, saddr: u32, sport: u32, daddr: u32, dport: u32, ifindex: u32): u32 {
  lastNoReuseport = false;
  const r = skRoot();
  if (r == 0) return 0;
  const n = load<u32>(r + SKP_LOOKUP_COUNT);
  if (n == 0) return 0;
  const ctx = r + SKP_LOOKUP_CTX;
  memory.fill(ctx, 0, LC_SIZE);
  store<u32>(ctx + LC_FAMILY, family);
  store<u32>(ctx + LC_PROTOCOL, protocol);
  if (family == AF_INET) {
    store<u32>(ctx + LC_REMOTE_IP4, load<u32>(saddr));
    store<u32>(ctx + LC_LOCAL_IP4, load<u32>(daddr));
  } else {
    copyIp6(ctx + LC_REMOTE_IP6, saddr, AF_INET6);
    copyIp6(ctx + LC_LOCAL_IP6, daddr, AF_INET6);
  }
  store<u16>(ctx + LC_REMOTE_PORT, bswap<u16>(<u16>sport));
  store<u32>(ctx + LC_LOCAL_PORT, dport);
  store<u32>(ctx + LC_INGRESS_IFINDEX, ifindex);
  const selected = runLookupArray(r + SKP_LOOKUP_SLOTS, n, ctx);
  if (selected == SK_LOOKUP_DROP) return SK_LOOKUP_DROP;
  lastNoReuseport = selected != 0 && load<u32>(ctx + LC_NO_REUSEPORT) != 0;
  return selected;
}

/**
 * BPF_PROG_SK_LOOKUP_RUN_ARRAY over the `n` programs whose `run` slots are at `slots`, the context
 * filled in: the chosen record (0: none) or SK_LOOKUP_DROP; the context keeps the final selection.
 */
function runLookupArray(slots: u32, n: u32, ctx: u32): u32 {
  let selected: u32 = 0;
  let noReuseport: u32 = 0;
  let allPass = true;
  for (let i: u32 = 0; i < n; i++) {
    const slot = load<u32>(slots + (i << 2));
    // Restore the most recent selection.
    store<u32>(ctx + LC_SELECTED, selected);
    store<u32>(ctx + LC_NO_REUSEPORT, noReuseport);
    store<u64>(ctx + LC_SK, selected == 0 ? 0 : <u64>sockView(selected));
    store<u32>(RUN_BASE + RUN_TAIL_CALLS, 0);
    const ret = <u32>call_indirect<u64>(slot, <u64>ctx, <u64>0, <u64>0, <u64>0, <u64>0);
    const chosen = load<u32>(ctx + LC_SELECTED);
    if (ret == SK_PASS && chosen != 0) {
      selected = chosen;
      noReuseport = load<u32>(ctx + LC_NO_REUSEPORT);
    } else if (ret == SK_DROP) {
      allPass = false;
    }
  }
  store<u32>(ctx + LC_SELECTED, selected);
  store<u32>(ctx + LC_NO_REUSEPORT, noReuseport);
  return !allPass && selected == 0 ? SK_LOOKUP_DROP : selected;
}

/**
 * BPF_PROG_TEST_RUN of one sk_lookup program (bpf_prog_test_run_sk_lookup): `user` holds struct
 * bpf_sk_lookup (ctx_in); the program runs as a one-program array. Returns the retval (SK_PASS when
 * it passed or chose a socket, else SK_DROP) with the chosen socket's cookie written to user->cookie
 * (0: none), or -errno: -EINVAL (ctx->sk set, fields after local_port not zero), -ERANGE (local_port
 * past 65535), -EAFNOSUPPORT (family), -EOPNOTSUPP (the chosen socket is in a reuseport group and
 * BPF_SK_LOOKUP_F_NO_REUSEPORT was not given).
 */
export function sk_lookup_test_run(slot: u32, user: u32): i32 {
  const r = skRootMake();
  if (r == 0) return -ENOMEM;
  if (load<u64>(user + LC_SK) != 0 || load<u32>(user + LC_INGRESS_IFINDEX) != 0 || load<u32>(user + LC_INGRESS_IFINDEX + 4) != 0) return -EINVAL;
  if (load<u32>(user + LC_LOCAL_PORT) > 0xffff) return -ERANGE;
  const family = <u32>load<u16>(user + LC_FAMILY);
  if (family != AF_INET && family != AF_INET6) return -EAFNOSUPPORT;
  const ctx = r + SKP_LOOKUP_CTX;
  memory.fill(ctx, 0, LC_SIZE);
  store<u32>(ctx + LC_FAMILY, family);
  store<u32>(ctx + LC_PROTOCOL, <u32>load<u16>(user + LC_PROTOCOL));
  if (family == AF_INET) {
    store<u32>(ctx + LC_REMOTE_IP4, load<u32>(user + LC_REMOTE_IP4));
    store<u32>(ctx + LC_LOCAL_IP4, load<u32>(user + LC_LOCAL_IP4));
  } else {
    copyIp6(ctx + LC_REMOTE_IP6, user + LC_REMOTE_IP6, AF_INET6);
    copyIp6(ctx + LC_LOCAL_IP6, user + LC_LOCAL_IP6, AF_INET6);
  }
  store<u16>(ctx + LC_REMOTE_PORT, load<u16>(user + LC_REMOTE_PORT));
  store<u32>(ctx + LC_LOCAL_PORT, <u32>load<u16>(user + LC_LOCAL_PORT));
  store<u32>(r + SKP_TEST_SLOT, slot);
  const selected = runLookupArray(r + SKP_TEST_SLOT, 1, ctx);
  store<u64>(user + LC_SK, 0);
  if (selected == SK_LOOKUP_DROP) return <i32>SK_DROP;
  if (selected != 0) {
    if (load<u32>(selected + SK_REUSEPORT_GROUP) != 0 && load<u32>(ctx + LC_NO_REUSEPORT) == 0) return -EOPNOTSUPP;
    store<u64>(user + LC_SK, load<u64>(selected + SK_COOKIE));
  }
  return <i32>SK_PASS;
}

/** After skLookupRun chose a socket: true when the program asked to skip its reuseport group. */
/** Whether any sk_lookup program is attached (the receive path's short cut needs none). */
@inline export function skLookupAttached(): bool {
  const r = skRoot();
  return r != 0 && load<u32>(r + SKP_LOOKUP_COUNT) != 0;
}

export function skLookupNoReuseport(): bool {
  return lastNoReuseport;
}

/** bpf_sk_assign (124) in an sk_lookup program (bpf_sk_lookup_assign, net/core/filter.c). */
export function bpf_sk_assign(ctx: u64, sk: u64, flags: u64, r4: u64, r5: u64): u64 {
  const c = <u32>ctx;
  if ((flags & ~(BPF_SK_LOOKUP_F_REPLACE | BPF_SK_LOOKUP_F_NO_REUSEPORT)) != 0) return helperErr(EINVAL);
  const rec = viewRecord(<u32>sk);
  if (rec != 0) {
    const proto = <u32>load<u8>(rec + SK_PROTOCOL);
    const state = <u32>load<u8>(rec + SK_STATE);
    // Only a listening TCP socket, or an unconnected UDP one.
    if (proto == IPPROTO_TCP && state != TCP_LISTEN) return helperErr(ESOCKTNOSUPPORT);
    if (proto == IPPROTO_UDP && state != TCP_CLOSE) return helperErr(ESOCKTNOSUPPORT);
    if (proto != load<u32>(c + LC_PROTOCOL)) return helperErr(EPROTOTYPE);
    const family = <u32>load<u8>(rec + SK_FAMILY);
    const v6only = (<u32>load<u8>(rec + SK_FLAGS) & SKF_IPV6ONLY) != 0;
    if (family != load<u32>(c + LC_FAMILY) && (family == AF_INET || v6only)) return helperErr(EAFNOSUPPORT);
  }
  if (load<u32>(c + LC_SELECTED) != 0 && (flags & BPF_SK_LOOKUP_F_REPLACE) == 0) return helperErr(EEXIST);
  store<u32>(c + LC_SELECTED, rec);
  store<u64>(c + LC_SK, rec == 0 ? 0 : sk);
  store<u32>(c + LC_NO_REUSEPORT, (flags & BPF_SK_LOOKUP_F_NO_REUSEPORT) != 0 ? 1 : 0);
  return 0;
}

/** bpf_sk_release (86): wxdp's sockets are freed after a grace period, not counted (SOCK_RCU_FREE). */
export function bpf_sk_release(sk: u64, r2: u64, r3: u64, r4: u64, r5: u64): u64 {
  return 0;
}

/** Attach an sk_lookup program (its `run` slot) after those attached: its index, or -E2BIG past SKL_MAX. */
export function sk_lookup_attach(slot: u32): i32 {
  const r = skRootMake();
  if (r == 0) return -ENOMEM;
  const n = load<u32>(r + SKP_LOOKUP_COUNT);
  if (n >= SKL_MAX) return -E2BIG;
  store<u32>(r + SKP_LOOKUP_SLOTS + (n << 2), slot);
  store<u32>(r + SKP_LOOKUP_COUNT, n + 1);
  return <i32>n;
}

/** Detach the sk_lookup program at `index`; those after it move up. 0, or -ENOENT. */
export function sk_lookup_detach(index: u32): i32 {
  const r = skRoot();
  if (r == 0) return -ENOENT;
  const n = load<u32>(r + SKP_LOOKUP_COUNT);
  if (index >= n) return -ENOENT;
  // Readers take the count once: shrink it first when the last goes, else shift then shrink.
  if (index == n - 1) {
    store<u32>(r + SKP_LOOKUP_COUNT, n - 1);
    return 0;
  }
  for (let i = index; i + 1 < n; i++) {
    store<u32>(r + SKP_LOOKUP_SLOTS + (i << 2), load<u32>(r + SKP_LOOKUP_SLOTS + ((i + 1) << 2)));
  }
  store<u32>(r + SKP_LOOKUP_COUNT, n - 1);
  return 0;
}

/** The `run` slot of attached sk_lookup program `index` (0 when none): what the control plane lists. */
export function sk_lookup_prog_slot(index: u32): u32 {
  const r = skRoot();
  if (r == 0 || index >= load<u32>(r + SKP_LOOKUP_COUNT)) return 0;
  return load<u32>(r + SKP_LOOKUP_SLOTS + (index << 2));
}

// ---- BPF_PROG_TYPE_SK_REUSEPORT ----

/**
 * SO_ATTACH_REUSEPORT_EBPF on socket `id`: the program (its `run` slot) chooses among the socket's
 * reuseport group from now on (replacing one attached before; the group's RG_PROG). -EBADF: no such
 * socket; -EINVAL: not in a reuseport group (reuseport_attach_prog: bound with SO_REUSEPORT).
 */
export function sk_reuseport_attach(id: u32, slot: u32): i32 {
  const rec = skRecord(id);
  if (rec == 0 || !skLive(rec)) return -EBADF;
  const group = load<u32>(rec + SK_REUSEPORT_GROUP);
  if (group == 0) return -EINVAL;
  // Views for every member (ctx->sk is one of them); new members get theirs when a map takes them.
  const n = rgNum(group);
  const socks = load<u32>(group + RG_SOCKS);
  for (let i: u32 = 0; i < n; i++) if (!skViewReserve(load<u32>(load<u32>(socks + (i << 2)) + SK_ID))) return -ENOMEM;
  if (skRootMake() == 0) return -ENOMEM;
  store<u32>(group + RG_PROG, slot);
  groupSlowSet(group, RGS_PROG, slot != 0);
  return 0;
}

/** SO_DETACH_REUSEPORT_BPF: -EINVAL when not in a group, -ENOENT when the group has no program. */
export function sk_reuseport_detach(id: u32): i32 {
  const rec = skRecord(id);
  if (rec == 0 || !skLive(rec)) return -EBADF;
  const group = load<u32>(rec + SK_REUSEPORT_GROUP);
  if (group == 0) return -EINVAL;
  if (load<u32>(group + RG_PROG) == 0) return -ENOENT;
  store<u32>(group + RG_PROG, 0);
  groupSlowSet(group, RGS_PROG, false);
  return 0;
}

/**
 * Run the SK_REUSEPORT program of reuseport group `group` (sock.ts's record) for the datagram at `data`
 * (`len` bytes from the UDP header), hash `hash`. Returns the chosen socket record, 0 for the
 * kernel's default choice (by hash), or SK_LOOKUP_DROP.
 *
 * bpf_run_sk_reuseport: SK_PASS gives the socket bpf_sk_select_reuseport chose (none: by hash);
 * anything else refuses the datagram (ECONNREFUSED).
 */
export function skReuseportRun(group: u32, data: u32, len: u32, hash: u32): u32 {
  const r = skRoot();
  const slot = load<u32>(group + RG_PROG);
  if (r == 0 || slot == 0 || rgNum(group) == 0) return 0;
  // ctx->sk: a member of the group (the kernel's is the one the hash chain met first; every member
  // shares the family, protocol and port a program reads from it).
  const rec = load<u32>(load<u32>(group + RG_SOCKS));
  const ctx = r + SKP_REUSEPORT_CTX;
  store<u64>(ctx + RC_DATA, <u64>data);
  store<u64>(ctx + RC_DATA_END, <u64>(data + len));
  store<u32>(ctx + RC_LEN, len);
  // skb->protocol, a __be16 (ETH_P_IP 0x0800, ETH_P_IPV6 0x86dd), by the group's family (known gap: an
  // IPv4 datagram to a dual-stack IPv6 group shows ETH_P_IPV6; the seam passes no family).
  store<u32>(ctx + RC_ETH_PROTOCOL, <u32>load<u8>(rec + SK_FAMILY) == AF_INET6 ? 0xdd86 : 0x0008);
  store<u32>(ctx + RC_IP_PROTOCOL, <u32>load<u8>(rec + SK_PROTOCOL));
  store<u32>(ctx + RC_BIND_INANY, load<u32>(group + RG_BIND_INANY) != 0 ? 1 : 0);
  store<u32>(ctx + RC_HASH, hash);
  store<u64>(ctx + RC_SK, <u64>sockView(rec));
  store<u64>(ctx + RC_MIGRATING_SK, 0);
  store<u32>(ctx + RC_SELECTED, 0);
  store<u32>(ctx + RC_GROUP, group);
  store<u32>(RUN_BASE + RUN_TAIL_CALLS, 0);
  const ret = <u32>call_indirect<u64>(slot, <u64>ctx, <u64>0, <u64>0, <u64>0, <u64>0);
  return ret == SK_PASS ? load<u32>(ctx + RC_SELECTED) : SK_LOOKUP_DROP;
}

/** bpf_sk_select_reuseport (82): choose the socket at `key` of `map` (sk_select_reuseport). */
export function bpf_sk_select_reuseport(ctx: u64, map: u64, key: u64, flags: u64, r5: u64): u64 {
  const c = <u32>ctx;
  const m = <u32>map;
  const rec = sockMapRecord(m, <u32>key);
  if (rec == 0) return helperErr(ENOENT);
  const group = load<u32>(rec + SK_REUSEPORT_GROUP);
  if (group == 0) return helperErr(load<u32>(m) == BPF_MAP_TYPE_REUSEPORT_SOCKARRAY ? ENOENT : EINVAL);
  if (group != load<u32>(c + RC_GROUP)) {
    const own = viewRecord(<u32>load<u64>(c + RC_SK));
    if (own == 0 || load<u8>(own + SK_PROTOCOL) != load<u8>(rec + SK_PROTOCOL)) return helperErr(EPROTOTYPE);
    if (load<u8>(own + SK_FAMILY) != load<u8>(rec + SK_FAMILY)) return helperErr(EAFNOSUPPORT);
    // Likely bound to another address or port.
    return helperErr(EBADFD);
  }
  store<u32>(c + RC_SELECTED, rec);
  return 0;
}

/**
 * bpf_skb_load_bytes (26) in an sk_reuseport program (sk_reuseport_load_bytes): `len` bytes from
 * `offset` past the UDP header; past the datagram, `to` is zeroed and the result is -EFAULT.
 */
export function bpf_skb_load_bytes(ctx: u64, offset: u64, to: u64, len: u64, r5: u64): u64 {
  const c = <u32>ctx;
  const off = <u32>offset;
  const n = <u32>len;
  if (off > 0x7fffffff || <u64>off + <u64>n > <u64>load<u32>(c + RC_LEN)) {
    memory.fill(<u32>to, 0, n);
    return helperErr(EFAULT);
  }
  memory.copy(<u32>to, <u32>load<u64>(c + RC_DATA) + off, n);
  return 0;
}

/** bpf_get_socket_cookie (46) on a socket pointer (bpf_get_socket_ptr_cookie): the socket's cookie. */
export function bpf_get_socket_cookie(sk: u64, r2: u64, r3: u64, r4: u64, r5: u64): u64 {
  const rec = viewRecord(<u32>sk);
  return rec == 0 ? 0 : load<u64>(rec + SK_COOKIE);
}

/** Socket `id` closed (sock.ts's sk_close calls this): out of every socket map, its attachments gone. */
export function sk_prog_sock_closed(id: u32): void {
  sockMapsForget(id);
}
