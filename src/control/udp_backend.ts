// The socket table as dp.udp's handles use it (udp.ts's SocketBackend), over the exports drawn in
// assembly/net/sock.ts's header (sk_create, sk_bind, sk_connect, sk_setsockopt, sk_recv_batch,
// sk_ready, sk_err_take …) and the send path's door (udp_send.ts, UdpSender → udp_sendmsg).
//
// Scratch in the shared memory, allocated once from the arena:
//   +0 address (16 bytes) │ +64 ready ids (READY_MAX × u32) │ +META meta (BATCH_MAX × RM_SIZE) │ +BUF datagrams (BUF_SIZE)
// Views of the memory are taken per call: the memory may grow between calls.

import { AF_INET, AF_INET6, SK } from '../runtime/net_abi.js';
import type { Datapath } from './datapath.js';
import type { RecvDatagram, SockOpt, SocketBackend } from './udp.js';
import { UdpSendError, UdpSender } from './udp_send.js';

interface SockExports {
  sk_create(family: number, protocol: number, flags: number): number;
  sk_bind(id: number, addr: number, port: number, scopeId: number): number;
  sk_connect(id: number, addr: number, port: number): number;
  sk_disconnect(id: number): number;
  sk_close(id: number): number;
  sk_setsockopt(id: number, opt: number, val: number): number;
  sk_getsockopt(id: number, opt: number): number;
  sk_recv_batch(id: number, max: number, buf: number, bufLen: number, meta: number): number;
  sk_ready(out: number, max: number): number;
  sk_err_take(id: number): number;
  sockById(id: number): number;
  arena_alloc(size: number, align: number): number;
}

const IPPROTO_UDP = 17;
const ENOMEM = 12;
/** SK_STATE of a connected socket. */
const TCP_ESTABLISHED = 1;

/** opt = level << 8 | optname, the kernel's numbers (sock.ts SKO_*): per family where they differ. */
const OPTS: Record<SockOpt, [v4: number, v6: number]> = {
  reuseaddr: [0x102, 0x102], // SO_REUSEADDR
  reuseport: [0x10f, 0x10f], // SO_REUSEPORT
  broadcast: [0x106, 0x106], // SO_BROADCAST
  rcvbuf: [0x108, 0x108], // SO_RCVBUF
  sndbuf: [0x107, 0x107], // SO_SNDBUF
  ipv6only: [0x291a, 0x291a], // IPV6_V6ONLY
  ttl: [0x002, 0x2910], // IP_TTL / IPV6_UNICAST_HOPS
  mcttl: [0x021, 0x2912], // IP_MULTICAST_TTL / IPV6_MULTICAST_HOPS
  mcloop: [0x022, 0x2913], // IP_MULTICAST_LOOP / IPV6_MULTICAST_LOOP
};

/** Meta of a received datagram (sock.ts RM_*). */
const RM = { FAMILY: 0, FLAGS: 1, PORT: 2, IFINDEX: 4, LEN: 8, OFF: 12, ADDR: 16, SIZE: 32 } as const;

const READY_MAX = 1024;
const BATCH_MAX = 64;
const BUF_SIZE = 1 << 18;
const META = 64 + READY_MAX * 4;
const BUF = META + BATCH_MAX * RM.SIZE;

class ExportsBackend implements SocketBackend {
  private scratch = 0;
  private readonly sender: UdpSender;
  private readonly v6 = new Set<number>();

  constructor(
    private readonly dp: Datapath,
    private readonly x: SockExports,
  ) {
    this.sender = new UdpSender(dp);
  }

  private area(): number {
    if (this.scratch === 0) {
      const a = this.x.arena_alloc(BUF + BUF_SIZE, 64) >>> 0;
      if (a === 0) throw new Error(`the socket API's scratch area: ENOMEM: ${this.dp.memory.limitReached()}`);
      this.scratch = a;
    }
    return this.scratch;
  }

  private putAddr(addr: Uint8Array): number {
    const a = this.area();
    const b = this.dp.memory.bytes();
    b.fill(0, a, a + 16);
    b.set(addr, a);
    return a;
  }

  private opt(id: number, o: SockOpt): number {
    return OPTS[o][this.v6.has(id) ? 1 : 0];
  }

  create(family: 4 | 6): number {
    this.dp.stack;
    if (this.area() === 0) return -ENOMEM;
    const id = this.x.sk_create(family === 4 ? AF_INET : AF_INET6, IPPROTO_UDP, 0);
    if (id > 0 && family === 6) this.v6.add(id);
    return id;
  }

  setsockopt(id: number, o: SockOpt, value: number): number {
    // An option the table does not keep answers -ENOPROTOOPT, as setsockopt does.
    return this.x.sk_setsockopt(id, this.opt(id, o), value);
  }

  getsockopt(id: number, o: SockOpt): number {
    return this.x.sk_getsockopt(id, this.opt(id, o));
  }

  bind(id: number, addr: Uint8Array, port: number): number {
    return this.x.sk_bind(id, this.putAddr(addr), port, 0);
  }

  connect(id: number, addr: Uint8Array, port: number): number {
    return this.x.sk_connect(id, this.putAddr(addr), port);
  }

  disconnect(id: number): number {
    return this.x.sk_disconnect(id);
  }

  close(id: number): void {
    this.x.sk_close(id);
    this.v6.delete(id);
  }

  private record(id: number): number {
    return this.x.sockById(id) >>> 0;
  }

  private addrAt(rec: number, off: number, v6: boolean): Uint8Array {
    return this.dp.memory.bytes().slice(rec + off, rec + off + (v6 ? 16 : 4));
  }

  local(id: number): { addr: Uint8Array; port: number } {
    const rec = this.record(id);
    const v6 = this.v6.has(id);
    if (rec === 0) return { addr: new Uint8Array(v6 ? 16 : 4), port: 0 };
    // inet_getname: the bound address, else the source a connect chose
    let addr = this.addrAt(rec, SK.RCV_SADDR, v6);
    if (addr.every((b) => b === 0)) addr = this.addrAt(rec, SK.SADDR, v6);
    return { addr, port: this.dp.memory.view().getUint16(rec + SK.NUM, true) };
  }

  peer(id: number): { addr: Uint8Array; port: number } | undefined {
    const rec = this.record(id);
    if (rec === 0) return undefined;
    const v = this.dp.memory.view();
    if (v.getUint8(rec + SK.STATE) !== TCP_ESTABLISHED) return undefined;
    return { addr: this.addrAt(rec, SK.DADDR, this.v6.has(id)), port: v.getUint16(rec + SK.DPORT, true) };
  }

  send(id: number, data: Uint8Array, address: string | undefined, port: number): number {
    try {
      return this.sender.send(id, data, address === undefined ? undefined : { address, port });
    } catch (e) {
      if (e instanceof UdpSendError) return -e.errnoValue;
      throw e;
    }
  }

  recv(id: number, max: number): RecvDatagram[] {
    const a = this.area();
    const out: RecvDatagram[] = [];
    let left = max;
    while (left > 0) {
      const n = this.x.sk_recv_batch(id, Math.min(left, BATCH_MAX), a + BUF, BUF_SIZE, a + META);
      if (n <= 0) break;
      const v = this.dp.memory.view();
      let end = 0;
      for (let i = 0; i < n; i++) {
        const m = a + META + i * RM.SIZE;
        end = Math.max(end, v.getUint32(m + RM.OFF, true) + v.getUint32(m + RM.LEN, true));
      }
      // One copy for the batch; each datagram is a view of it.
      const copy = this.dp.memory.bytes().slice(a + BUF, a + BUF + Math.min(end, BUF_SIZE));
      const bytes = this.dp.memory.bytes();
      for (let i = 0; i < n; i++) {
        const m = a + META + i * RM.SIZE;
        const off = v.getUint32(m + RM.OFF, true);
        const len = Math.min(v.getUint32(m + RM.LEN, true), BUF_SIZE - off);
        const fam = v.getUint8(m + RM.FAMILY);
        out.push({
          data: copy.subarray(off, off + len),
          addr: bytes.slice(m + RM.ADDR, m + RM.ADDR + (fam === AF_INET6 ? 16 : 4)),
          port: v.getUint16(m + RM.PORT, true),
        });
      }
      left -= n;
      if (n < Math.min(left + n, BATCH_MAX)) break;
    }
    return out;
  }

  ready(): number[] {
    const a = this.area();
    const out: number[] = [];
    for (;;) {
      const n = this.x.sk_ready(a + 64, READY_MAX);
      const v = this.dp.memory.view();
      for (let i = 0; i < n; i++) out.push(v.getUint32(a + 64 + i * 4, true));
      if (n < READY_MAX) return out;
    }
  }

  takeError(id: number): number {
    return this.x.sk_err_take(id);
  }
}

/** The socket table of `dp`'s fast path, or undefined when this build has none (no sk_* exports). */
export function socketBackend(dp: Datapath): SocketBackend | undefined {
  const x = dp.fastPath.exports as unknown as Partial<SockExports>;
  if (typeof x.sk_create !== 'function' || typeof x.sk_recv_batch !== 'function' || typeof x.sk_ready !== 'function') return undefined;
  return new ExportsBackend(dp, x as SockExports);
}
