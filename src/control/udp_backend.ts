// The socket table as dp.udp's handles use it (udp.ts's SocketBackend): part A's SocketTable
// (sockets.ts, over sock.ts's exports) and part B's UdpSender (udp_send.ts, over udp_sendmsg), with
// their typed errors turned back into the -errno results a libuv handle works with.
//
// Receiving is the one hot path and reads sk_recv_batch itself: one view of the memory and one copy per
// batch (each datagram a Buffer over that copy), the sender's text reused while it repeats — the
// table's recvBatch takes a view, a copy and a formatted address per datagram (a shared memory's
// `buffer` is a new object at each access): 5 µs per datagram there, measured, against ~1 here.
//
//   scratch (arena, once): meta BATCH × RM_SIZE (sock.ts RM_*) │ data BUF_SIZE

import { readFileSync } from 'node:fs';
import { AF_INET, AF_INET6 } from '../runtime/net_abi.js';
import { ipv4Text, ipv6IsLinkLocalText, ipv6Text } from './addresses.js';
import type { Datapath } from './datapath.js';
import { RM_SIZE, SOCKET_ERRNO, SocketError, type SocketOption, type SocketTable } from './sockets.js';
import type { AddressInfo, Datagram, MessageBatch, MessageBuffer, SockOpt, SocketBackend } from './udp.js';
import { UdpSendError, UdpSender } from './udp_send.js';

const ENOPROTOOPT = SOCKET_ERRNO.ENOPROTOOPT!;
/** sock.ts's RM_* record in 32-bit words: RM_FAMILY, RM_FLAGS and RM_PORT share word 0. */
const RM_WORDS = RM_SIZE >> 2;
const RM_IFINDEX_W = 1;
const RM_LEN_W = 2;
const RM_OFF_W = 3;
const RM_ADDR_W = 4;
const BATCH = 256;
const BUF_SIZE = 1 << 18;
/** Datagram bytes are copied out into slabs of this size (a batch over a quarter of one gets its own block). */
const SLAB = 1 << 16;
/** The least `bytes` of a MessageBatch (udp.ts): a datagram of any size fits whole, as in node's 64 KiB receive buffer. */
export const MESSAGE_BATCH_MIN_BYTES = 65536;

interface RecvExports {
  sk_recv_batch(id: number, max: number, buf: number, bufLen: number, meta: number): number;
  sk_ready(out: number, max: number): number;
  arena_alloc(size: number, align: number): number;
}

/** The option by the kernel's name, per family where they differ; undefined: the table does not keep it. */
const OPTS: Record<SockOpt, [v4: SocketOption | undefined, v6: SocketOption | undefined]> = {
  reuseaddr: ['SO_REUSEADDR', 'SO_REUSEADDR'],
  reuseport: ['SO_REUSEPORT', 'SO_REUSEPORT'],
  broadcast: ['SO_BROADCAST', 'SO_BROADCAST'],
  rcvbuf: ['SO_RCVBUF', 'SO_RCVBUF'],
  sndbuf: ['SO_SNDBUF', 'SO_SNDBUF'],
  ipv6only: ['IPV6_V6ONLY', 'IPV6_V6ONLY'],
  ttl: ['IP_TTL', 'IPV6_UNICAST_HOPS'],
  mcttl: ['IP_MULTICAST_TTL', 'IPV6_MULTICAST_HOPS'],
  mcloop: ['IP_MULTICAST_LOOP', 'IPV6_MULTICAST_LOOP'],
};

/** A SocketError / UdpSendError as -errno; anything else is a bug and goes on. */
function errno(e: unknown): number {
  if (e instanceof SocketError || e instanceof UdpSendError) return -e.errnoValue;
  throw e;
}

class TableBackend implements SocketBackend {
  private readonly sender: UdpSender;
  private readonly v6 = new Set<number>();
  private readonly x: RecvExports;
  private scratch = 0;
  /** The last sender's address (family, four words, the device it came in on) and its text. */
  private readonly last = new Uint32Array(6);
  private lastText = '';
  /** The scratch's meta records and data, as views kept while the memory's buffer is the same. */
  private meta = new Uint32Array(0);
  private data = new Uint8Array(0);
  /** The slab being filled, and where its free part starts; `block`: where the last batch went. */
  private slab: MessageBuffer = Buffer.allocUnsafeSlow(0);
  private slabAt = SLAB;
  private block = this.slab;

  constructor(
    private readonly table: SocketTable,
    private readonly dp: Datapath,
  ) {
    this.sender = new UdpSender(dp);
    this.x = dp.fastPath.exports as unknown as RecvExports;
  }

  private call(f: () => unknown): number {
    try {
      const r = f();
      return typeof r === 'number' ? r : 0;
    } catch (e) {
      return errno(e);
    }
  }

  private opt(id: number, o: SockOpt): SocketOption | undefined {
    return OPTS[o][this.v6.has(id) ? 1 : 0];
  }

  create(family: 4 | 6): number {
    const id = this.call(() => this.table.create({ family: family === 4 ? 'inet' : 'inet6' }));
    if (id > 0 && family === 6) this.v6.add(id);
    return id;
  }

  setsockopt(id: number, o: SockOpt, value: number): number {
    const name = this.opt(id, o);
    return name === undefined ? -ENOPROTOOPT : this.call(() => this.table.setOption(id, name, value));
  }

  getsockopt(id: number, o: SockOpt): number {
    const name = this.opt(id, o);
    return name === undefined ? -ENOPROTOOPT : this.call(() => this.table.getOption(id, name));
  }

  bind(id: number, address: string, port: number): number {
    return this.call(() => this.table.bind(id, address, port));
  }

  connect(id: number, address: string, port: number): number {
    return this.call(() => this.table.connect(id, address, port));
  }

  disconnect(id: number): number {
    return this.call(() => this.table.disconnect(id));
  }

  close(id: number): void {
    this.call(() => this.table.close(id));
    this.v6.delete(id);
  }

  local(id: number): AddressInfo {
    return this.zoned(id, this.table.address(id));
  }

  peer(id: number): AddressInfo | undefined {
    const p = this.table.remoteAddress(id);
    return p && this.zoned(id, p);
  }

  /**
   * inet6_getname's scope id (the bound device, for an address that needs one) as node writes it: a
   * link-local address ends in '%' and the device's name (AddressToJS).
   */
  private zoned(id: number, a: AddressInfo): AddressInfo {
    if (a.family === 'IPv6' && ipv6IsLinkLocalText(a.address)) {
      const name = this.dp.links.name(this.table.getOption(id, 'SO_BINDTODEVICE'));
      if (name !== undefined) a.address += `%${name}`;
    }
    return a;
  }

  send(id: number, data: Uint8Array, address: string | undefined, port: number): number {
    return this.call(() => this.sender.send(id, data, address === undefined ? undefined : { address, port }, this.v6.has(id) ? AF_INET6 : AF_INET));
  }

  /**
   * The scratch's meta records and data as views, made again when the memory's buffer was replaced: an
   * unshared memory's is detached when it grows (the views read 0 bytes then); a shared one's stays
   * valid below its old size, where the scratch is.
   */
  private scratchViews(): void {
    if (this.data.byteLength !== 0) return;
    if (this.scratch === 0) {
      this.scratch = this.x.arena_alloc(BATCH * RM_SIZE + BUF_SIZE, 64) >>> 0;
      if (this.scratch === 0) throw new Error(`dp.udp's receive area: ENOMEM: ${this.dp.memory.limitReached()}`);
    }
    const memory = this.dp.memory.memory.buffer;
    this.meta = new Uint32Array(memory, this.scratch, BATCH * RM_WORDS);
    this.data = new Uint8Array(memory, this.scratch + BATCH * RM_SIZE, BUF_SIZE);
  }

  recv(id: number, max: number, family: 'IPv4' | 'IPv6', out: Datagram[]): number {
    this.scratchViews();
    const meta = this.meta;
    const data = this.data;
    let got = 0;
    while (got < max) {
      const n = this.x.sk_recv_batch(id, Math.min(max - got, BATCH), data.byteOffset, BUF_SIZE, meta.byteOffset);
      if (n <= 0) break;
      const lastM = (n - 1) * RM_WORDS;
      const used = Math.min(BUF_SIZE, meta[lastM + RM_OFF_W]! + meta[lastM + RM_LEN_W]!);
      const base = this.place(used);
      const block = this.block;
      block.set(used === BUF_SIZE ? data : data.subarray(0, used), base);
      for (let i = 0, w = 0; i < n; i++, w += RM_WORDS) {
        const off = meta[w + RM_OFF_W]!;
        const len = Math.min(meta[w + RM_LEN_W]!, used - off);
        const w0 = meta[w]!; // RM_FAMILY, RM_FLAGS, RM_PORT (little-endian, as wasm stores them)
        const msg = block.subarray(base + off, base + off + len);
        out.push({ msg, rinfo: { address: this.senderText(meta, w, w0 & 0xff), family, port: w0 >>> 16, size: len } });
      }
      got += n;
    }
    return got;
  }

  recvInto(id: number, max: number, into: MessageBatch, from = 0, at = 0): number {
    this.scratchViews();
    const meta = this.meta;
    const data = this.data;
    const { offsets, lengths, ports, addresses } = into;
    const room = into.data.length;
    let got = from;
    max += from;
    // after the batch's first datagram, another call only while a datagram of any size still fits whole
    while (got < max && (got === 0 || room - at >= MESSAGE_BATCH_MIN_BYTES)) {
      const bufLen = Math.min(BUF_SIZE, room - at);
      const n = this.x.sk_recv_batch(id, Math.min(max - got, BATCH), data.byteOffset, bufLen, meta.byteOffset);
      if (n <= 0) break;
      const lastM = (n - 1) * RM_WORDS;
      const used = Math.min(bufLen, meta[lastM + RM_OFF_W]! + meta[lastM + RM_LEN_W]!);
      into.data.set(used === BUF_SIZE ? data : data.subarray(0, used), at);
      for (let i = 0, w = 0; i < n; i++, w += RM_WORDS, got++) {
        const off = meta[w + RM_OFF_W]!;
        const w0 = meta[w]!;
        offsets[got] = at + off;
        lengths[got] = Math.min(meta[w + RM_LEN_W]!, used - off);
        ports[got] = w0 >>> 16;
        addresses[got] = this.senderText(meta, w, w0 & 0xff);
      }
      at = (at + used + 7) & ~7;
    }
    return got - from;
  }

  /**
   * Where a batch's `used` bytes go (this.block, at the offset returned): the free end of the current slab
   * (a new slab when they do not fit), or a block of their own when they are over a quarter of a slab.
   */
  private place(used: number): number {
    if (used > SLAB >> 2) {
      this.block = Buffer.allocUnsafeSlow(used);
      return 0;
    }
    if (this.slabAt + used > SLAB) {
      this.slab = Buffer.allocUnsafeSlow(SLAB);
      this.slabAt = 0;
    }
    const base = this.slabAt;
    this.slabAt = (base + used + 7) & ~7;
    this.block = this.slab;
    return base;
  }

  /**
   * The sender's address (meta words `w`…) as text, formatted once per run of datagrams from the same
   * address and device. A link-local sender's ends in '%' and the name of the device it came in on
   * (udpv6_recvmsg's sin6_scope_id, ipv6_iface_scope_id; node's AddressToJS writes it so).
   */
  private senderText(m: Uint32Array, w: number, fam: number): string {
    const l = this.last;
    const a0 = m[w + RM_ADDR_W]!;
    const a1 = m[w + RM_ADDR_W + 1]!;
    const a2 = m[w + RM_ADDR_W + 2]!;
    const a3 = m[w + RM_ADDR_W + 3]!;
    const dev = m[w + RM_IFINDEX_W]!;
    if (this.lastText === '' || l[0] !== fam || l[1] !== a0 || l[2] !== a1 || l[3] !== a2 || l[4] !== a3 || l[5] !== dev) {
      l[0] = fam;
      l[1] = a0;
      l[2] = a1;
      l[3] = a2;
      l[4] = a3;
      l[5] = dev;
      const bytes = new Uint8Array(m.buffer, m.byteOffset + (w + RM_ADDR_W) * 4, 16);
      this.lastText = fam === AF_INET6 ? ipv6Text(bytes) : ipv4Text(bytes);
      // fe80::/10: the first two bytes, as the little-endian word holds them
      const name = fam === AF_INET6 && (a0 & 0xc0ff) === 0x80fe ? this.dp.links.name(dev) : undefined;
      if (name !== undefined) this.lastText += `%${name}`;
    }
    return this.lastText;
  }

  /** sk_ready into the scratch's meta area (read at once, as the datagrams are), as many times as it fills it. */
  ready(): number[] {
    this.scratchViews();
    const ids = this.meta;
    const out: number[] = [];
    for (;;) {
      const n = this.x.sk_ready(ids.byteOffset, ids.length);
      for (let i = 0; i < n; i++) out.push(ids[i]!);
      if (n < ids.length) return out;
    }
  }

  membership(id: number, join: boolean, group: string, source: string | undefined, iface: string | number | undefined): number {
    const op = source === undefined ? (join ? 'join' : 'leave') : join ? 'joinSource' : 'leaveSource';
    return this.call(() => this.table.membership(id, op, group, { source, iface }));
  }

  multicastInterface(id: number, v4: string | undefined, ifindex: number): number {
    return this.call(() => (v4 !== undefined ? this.table.setMulticastIf4(id, v4) : this.table.setOption(id, 'IPV6_MULTICAST_IF', ifindex)));
  }

  ifindex(name: string): number {
    try {
      return this.dp.links.ifindex(name);
    } catch {
      return 0;
    }
  }

  takeError(id: number): number {
    const name = this.table.takeError(id);
    return name === undefined ? 0 : (SOCKET_ERRNO[name] ?? Number(name.slice(1)));
  }
}

/** The socket table of `dp`, or undefined when this build has none (no sk_* exports). */
export function socketBackend(dp: Datapath): SocketBackend | undefined {
  const x = dp.fastPath.exports as unknown as Record<string, unknown>;
  if (typeof x.sk_create !== 'function' || typeof x.sk_io_area !== 'function') return undefined;
  // Loopback alone carries datagrams too: the frames they travel in exist before any device does, and
  // before the socket table, whose udp_mem (half the UMEM's frames) is taken when it is set up.
  dp.ensurePool();
  const table = dp.socketTable;
  hostMemLimits(table);
  return new TableBackend(table, dp);
}

/**
 * net.core.{r,w}mem_{default,max} of the machine this runs on, for dp.udp's sockets. Linux keeps them
 * once for every namespace (net/core/sock.c's sysctl_rmem_max… are globals; sysctl_net_core.c
 * registers them for init_net only), so a socket of any namespace here is bounded by them, as
 * node:dgram's are: setRecvBufferSize(1 MiB) reads back 2 MiB where rmem_max allows it, on wxdp too.
 * Where /proc cannot be read, the table keeps the kernel's defaults (212992).
 */
function hostMemLimits(table: SocketTable): void {
  const read = (name: string): number | undefined => {
    try {
      const v = Number(readFileSync(`/proc/sys/net/core/${name}`, 'utf8').trim());
      return Number.isInteger(v) && v > 0 && v <= 0x7fffffff ? v : undefined;
    } catch {
      return undefined;
    }
  };
  table.hostMem({ rmem_default: read('rmem_default'), rmem_max: read('rmem_max'), wmem_default: read('wmem_default'), wmem_max: read('wmem_max') });
}
