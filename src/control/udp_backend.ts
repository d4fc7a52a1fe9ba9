// The socket table as dp.udp's handles use it (udp.ts's SocketBackend): part A's SocketTable
// (sockets.ts, over sock.ts's exports) and part B's UdpSender (udp_send.ts, over udp_sendmsg), with
// their typed errors turned back into the -errno results a libuv handle works with.

import type { Datapath } from './datapath.js';
import { SOCKET_ERRNO, SocketError, type SocketOption, type SocketTable } from './sockets.js';
import type { AddressInfo, RecvDatagram, SockOpt, SocketBackend } from './udp.js';
import { UdpSendError, UdpSender } from './udp_send.js';

const ENOPROTOOPT = 92;

/** The option by the kernel's name, per family where they differ; undefined: the table does not keep it. */
const OPTS: Record<SockOpt, [v4: SocketOption | undefined, v6: SocketOption | undefined]> = {
  reuseaddr: ['SO_REUSEADDR', 'SO_REUSEADDR'],
  reuseport: ['SO_REUSEPORT', 'SO_REUSEPORT'],
  broadcast: ['SO_BROADCAST', 'SO_BROADCAST'],
  rcvbuf: ['SO_RCVBUF', 'SO_RCVBUF'],
  sndbuf: ['SO_SNDBUF', 'SO_SNDBUF'],
  ipv6only: ['IPV6_V6ONLY', 'IPV6_V6ONLY'],
  ttl: ['IP_TTL', 'IPV6_UNICAST_HOPS'],
  // IPV6_MULTICAST_HOPS, IP(V6)_MULTICAST_LOOP: the stack does no multicast and keeps no such option
  mcttl: ['IP_MULTICAST_TTL', undefined],
  mcloop: [undefined, undefined],
};

/** A SocketError / UdpSendError as -errno; anything else is a bug and goes on. */
function errno(e: unknown): number {
  if (e instanceof SocketError || e instanceof UdpSendError) return -e.errnoValue;
  throw e;
}

class TableBackend implements SocketBackend {
  private readonly sender: UdpSender;
  private readonly v6 = new Set<number>();

  constructor(
    private readonly table: SocketTable,
    dp: Datapath,
  ) {
    this.sender = new UdpSender(dp);
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
    return this.call(() => this.sender.send(id, data, address === undefined ? undefined : { address, port }));
  }

  recv(id: number, max: number): RecvDatagram[] {
    const out: RecvDatagram[] = [];
    while (out.length < max) {
      const batch = this.table.recvBatch(id, max - out.length);
      if (batch.length === 0) break;
      for (const d of batch) out.push({ data: d.data, address: d.address, port: d.port });
    }
    return out;
  }

  ready(): number[] {
    const out: number[] = [];
    for (;;) {
      const ids = this.table.ready();
      out.push(...ids);
      if (ids.length < 1024) return out;
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
