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

import { AF_INET, AF_INET6 } from '../runtime/net_abi.js';
import { ipv4Text, ipv6Text } from './addresses.js';
import type { Datapath } from './datapath.js';
import { RM_SIZE, SOCKET_ERRNO, SocketError, type SocketOption, type SocketTable } from './sockets.js';
import type { AddressInfo, MessageBuffer, SockOpt, SocketBackend } from './udp.js';
import { UdpSendError, UdpSender } from './udp_send.js';

const ENOPROTOOPT = SOCKET_ERRNO.ENOPROTOOPT!;
/** sock.ts's RM_* offsets. */
const RM_FAMILY = 0;
const RM_PORT = 2;
const RM_LEN = 8;
const RM_OFF = 12;
const RM_ADDR = 16;
const BATCH = 256;
const BUF_SIZE = 1 << 18;

interface RecvExports {
  sk_recv_batch(id: number, max: number, buf: number, bufLen: number, meta: number): number;
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
  /** The last sender's address (family and four words) and its text. */
  private readonly last = new Uint32Array(5);
  private lastText = '';

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
    return this.table.address(id);
  }

  peer(id: number): AddressInfo | undefined {
    return this.table.remoteAddress(id);
  }

  send(id: number, data: Uint8Array, address: string | undefined, port: number): number {
    return this.call(() => this.sender.send(id, data, address === undefined ? undefined : { address, port }, this.v6.has(id) ? AF_INET6 : AF_INET));
  }

  recv(id: number, max: number, each: (msg: MessageBuffer, address: string, port: number) => void): number {
    if (this.scratch === 0) {
      this.scratch = this.x.arena_alloc(BATCH * RM_SIZE + BUF_SIZE, 64) >>> 0;
      if (this.scratch === 0) throw new Error(`dp.udp's receive area: ENOMEM: ${this.dp.memory.limitReached()}`);
    }
    const meta = this.scratch;
    const buf = meta + BATCH * RM_SIZE;
    let got = 0;
    while (got < max) {
      const n = this.x.sk_recv_batch(id, Math.min(max - got, BATCH), buf, BUF_SIZE, meta);
      if (n <= 0) break;
      const mem = this.dp.memory.bytes();
      const v = new DataView(mem.buffer);
      const lastM = meta + (n - 1) * RM_SIZE;
      const used = Math.min(BUF_SIZE, v.getUint32(lastM + RM_OFF, true) + v.getUint32(lastM + RM_LEN, true));
      // one Buffer of its own per batch (not pooled, not shared); each datagram a Buffer over it
      const copy = Buffer.allocUnsafeSlow(used);
      copy.set(mem.subarray(buf, buf + used));
      for (let i = 0; i < n; i++) {
        const m = meta + i * RM_SIZE;
        const off = v.getUint32(m + RM_OFF, true);
        const len = Math.min(v.getUint32(m + RM_LEN, true), used - off);
        each(copy.subarray(off, off + len), this.senderText(mem, v, m), v.getUint16(m + RM_PORT, true));
      }
      got += n;
    }
    return got;
  }

  /** The sender's address as text, formatted once per run of datagrams from the same address. */
  private senderText(mem: Uint8Array, v: DataView, m: number): string {
    const a = m + RM_ADDR;
    const fam = mem[m + RM_FAMILY]!;
    const l = this.last;
    const w0 = v.getUint32(a, true);
    const w1 = v.getUint32(a + 4, true);
    const w2 = v.getUint32(a + 8, true);
    const w3 = v.getUint32(a + 12, true);
    if (this.lastText === '' || l[0] !== fam || l[1] !== w0 || l[2] !== w1 || l[3] !== w2 || l[4] !== w3) {
      l[0] = fam;
      l[1] = w0;
      l[2] = w1;
      l[3] = w2;
      l[4] = w3;
      this.lastText = fam === AF_INET6 ? ipv6Text(mem.subarray(a, a + 16)) : ipv4Text(mem.subarray(a, a + 4));
    }
    return this.lastText;
  }

  ready(): number[] {
    const out: number[] = [];
    for (;;) {
      const ids = this.table.ready();
      out.push(...ids);
      if (ids.length < 1024) return out;
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
  return new TableBackend(dp.socketTable, dp);
}
