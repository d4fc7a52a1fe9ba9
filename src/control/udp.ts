// UDP sockets with node:dgram's interface: dp.udp.createSocket(...) returns a socket a program written
// for node:dgram uses unchanged (same methods, events, argument checks and error objects), whose
// datagrams travel through wxdp's stack instead of the kernel's. The layers are node's:
//
//   UdpSocket (lib/dgram.js's Socket: states, argument checks, the send queue while binding, events)
//     └─ UdpHandle (libuv's uv_udp_t on Linux: socket made at the first bind, setsockopt rules, uv errnos)
//          └─ SocketBackend (the socket table: sk_create / sk_bind / udp_sendmsg / receive queues …)
//
// Receiving is driven by the Datapath's poller (poller.ts): after every dp.poll the sockets with news
// (the table's ready list) are visited once — 'message' per datagram for sockets with listeners, a
// wake-up for async iterators, nothing for the rest (their datagrams wait in the queue, within its
// rcvbuf, for receiveBatch). A pending socket error (ICMP port unreachable on a connected socket)
// is emitted as node does: 'error' with syscall 'recvmsg'.

import { Socket as NodeSocket } from 'node:dgram';
import { EventEmitter } from 'node:events';
import { lookup as dnsLookup } from 'node:dns';
import { fstatSync } from 'node:fs';
import { WxdpError } from '../errors.js';
import { ipv4Bytes, ipv6Bytes } from './addresses.js';
import type { Datapath } from './datapath.js';
import {
  BUFFER_TYPES,
  errAlreadyBound,
  errBadBufferSize,
  errBufferOutOfBounds,
  errInvalidFdType,
  errIsConnected,
  errMissingArgs,
  errNotConnected,
  errNotRunning,
  errSocketBadType,
  errSocketBufferSize,
  errnoException,
  exceptionWithHostPort,
  invalidArgType,
  outOfRange,
  validateNumber,
  validatePort,
  validateString,
  validateUint32,
} from './dgram_errors.js';
import { Poller } from './poller.js';
import { MESSAGE_BATCH_MIN_BYTES, socketBackend } from './udp_backend.js';
import { SOCKET_ERRNO } from './sockets.js';

// ---- What the socket table offers (part A's SocketTable; addresses as 16 bytes, abi.ts's way) ----

/** Socket options the handle sets (the backend maps them to the kernel's, per family). */
export type SockOpt = 'reuseaddr' | 'reuseport' | 'ipv6only' | 'broadcast' | 'ttl' | 'mcttl' | 'mcloop' | 'rcvbuf' | 'sndbuf';

/** The socket table as the handle uses it: results are >= 0 or -errno (Linux numbers). */
export interface SocketBackend {
  create(family: 4 | 6): number;
  setsockopt(id: number, opt: SockOpt, value: number): number;
  getsockopt(id: number, opt: SockOpt): number;
  bind(id: number, address: string, port: number): number;
  connect(id: number, address: string, port: number): number;
  disconnect(id: number): number;
  close(id: number): void;
  /** getsockname. */
  local(id: number): AddressInfo;
  /** getpeername: undefined when not connected. */
  peer(id: number): AddressInfo | undefined;
  /** One datagram (`address` undefined: to the connected peer). Bytes sent or -errno. */
  send(id: number, data: Uint8Array, address: string | undefined, port: number): number;
  /**
   * Up to `max` queued datagrams, oldest first, appended to `out` (the sender as the socket sees it: an
   * IPv4 sender of a dual-stack socket as ::ffff:a.b.c.d; `family` the socket's, for rinfo). Returns how many.
   */
  recv(id: number, max: number, family: 'IPv4' | 'IPv6', out: Datagram[]): number;
  /**
   * The same into a MessageBatch, its arrays from index `from` and its data from offset `at` (8-aligned;
   * both 0 for a fresh batch); how many it added.
   */
  recvInto(id: number, max: number, into: MessageBatch, from?: number, at?: number): number;
  /** Sockets with new datagrams or a pending error since the last call. */
  ready(): number[];
  /** The pending error (positive errno) or 0, cleared. */
  takeError(id: number): number;
  /**
   * Join / leave a multicast group (`source`: source-specific); `iface` an IPv4 interface address, or
   * for an IPv6 group an ifindex (0: the route decides). 0 or -errno.
   */
  membership(id: number, join: boolean, group: string, source: string | undefined, iface: string | number | undefined): number;
  /** IP_MULTICAST_IF by an IPv4 address ('0.0.0.0': none) or IPV6_MULTICAST_IF by ifindex. 0 or -errno. */
  multicastInterface(id: number, v4: string | undefined, ifindex: number): number;
  /** The ifindex of a device name, 0 when there is none (if_nametoindex). */
  ifindex(name: string): number;
}

// Errnos: Linux's (libuv reports -errno).
const { EBADF, EINVAL, ENOTCONN, EISCONN, EDESTADDRREQ, EOPNOTSUPP } = SOCKET_ERRNO as Record<string, number>;

// ---- Public types ----

export type SocketType = 'udp4' | 'udp6';

export interface SocketOptions {
  type: SocketType;
  reuseAddr?: boolean;
  /** SO_REUSEPORT (node 22.12+ has it too): sockets of one port form a group the stack spreads flows over. */
  reusePort?: boolean;
  ipv6Only?: boolean;
  recvBufferSize?: number;
  sendBufferSize?: number;
  /**
   * Resolves names for bind, connect and send (default: dns.lookup, as node): called as node calls it,
   * with the socket's family (4 or 6) in the second place. That place is typed `never` so both
   * @types/node's declaration (an options object) and a function taking the number fit.
   */
  lookup?: (hostname: string, family: never, cb: (err: Error | null, address: string, family: number) => void) => void;
  signal?: AbortSignal;
}

export interface AddressInfo {
  address: string;
  family: 'IPv4' | 'IPv6';
  port: number;
}

export interface RemoteInfo extends AddressInfo {
  size: number;
}

/**
 * A received datagram's bytes: a Buffer whose bytes never change once delivered (never a view of the
 * shared memory). Its ArrayBuffer is a block copied out for several datagrams, as Buffer.allocUnsafe's
 * pool serves several Buffers: read the datagram through the Buffer (or its byteOffset and length).
 */
export type MessageBuffer = Buffer<ArrayBuffer>;

export interface Datagram {
  msg: MessageBuffer;
  rinfo: RemoteInfo;
}

/**
 * Datagrams received into memory the caller reuses, as recvmmsg fills the iovecs of the caller's mmsghdr
 * array: `socket.receiveBatch(max, batch)` copies up to `max` datagrams (at most `capacity`) into
 * `data` at once and makes no object per datagram. Datagram i of the last receive is
 * `data[offsets[i], offsets[i] + lengths[i])`, sent from `addresses[i]` port `ports[i]`. The next receive
 * into the batch overwrites all of it: `msg(i)` is a view of `data` (copy it to keep it), `rinfo(i)` a
 * new object as 'message' gives.
 */
export class MessageBatch {
  /** Datagrams the last receive put here. */
  count = 0;
  /** The receiving socket's family (rinfo.family). */
  family: 'IPv4' | 'IPv6' = 'IPv4';
  /** The datagrams' bytes, each starting 8-aligned. */
  readonly data: MessageBuffer;
  readonly offsets: Uint32Array;
  readonly lengths: Uint32Array;
  readonly ports: Uint16Array;
  /** The senders as text (an IPv4 sender of a dual-stack socket as ::ffff:a.b.c.d). */
  readonly addresses: string[];

  /** Room for `capacity` datagrams and `bytes` of them (at least MESSAGE_BATCH_MIN_BYTES). */
  constructor(
    readonly capacity = 64,
    bytes = 1 << 18,
  ) {
    validateUint32(capacity, 'capacity');
    validateUint32(bytes, 'bytes');
    if (capacity === 0) throw outOfRange('capacity', '>= 1 && <= 4294967295', capacity);
    if (bytes < MESSAGE_BATCH_MIN_BYTES) throw outOfRange('bytes', `>= ${MESSAGE_BATCH_MIN_BYTES} && <= 4294967295`, bytes);
    this.data = Buffer.allocUnsafeSlow(bytes);
    this.offsets = new Uint32Array(capacity);
    this.lengths = new Uint32Array(capacity);
    this.ports = new Uint16Array(capacity);
    this.addresses = new Array<string>(capacity).fill('');
  }

  /**
   * @internal Copies held datagrams (taken off the queue earlier, not yet handed out) into the batch
   * from its start, up to `max` and while the next fits whole; removes them from `held`. Returns the
   * free offset after them (8-aligned), where the queue's datagrams go next.
   */
  takeHeld(held: Datagram[], max: number): number {
    let at = 0;
    let k = 0;
    for (; k < held.length && k < max; k++) {
      const { msg, rinfo } = held[k]!;
      if (k > 0 && at + msg.length > this.data.length) break;
      const len = Math.min(msg.length, this.data.length - at);
      this.data.set(len === msg.length ? msg : msg.subarray(0, len), at);
      this.offsets[k] = at;
      this.lengths[k] = len;
      this.ports[k] = rinfo.port;
      this.addresses[k] = rinfo.address;
      at = (at + len + 7) & ~7;
    }
    held.splice(0, k);
    this.count = k;
    return at;
  }

  private index(i: number): number {
    if (!Number.isInteger(i) || i < 0 || i >= this.count) throw outOfRange('i', `>= 0 && < ${this.count}`, i);
    return i;
  }

  /** Datagram i's bytes: a view of `data`, valid until the next receive into this batch. */
  msg(i: number): MessageBuffer {
    const o = this.offsets[this.index(i)]!;
    return this.data.subarray(o, o + this.lengths[i]!);
  }

  /** Datagram i's rinfo, as 'message' gives it. */
  rinfo(i: number): RemoteInfo {
    return { address: this.addresses[this.index(i)]!, family: this.family, port: this.ports[i]!, size: this.lengths[i]! };
  }
}

export interface BindOptions {
  port?: number;
  address?: string;
  exclusive?: boolean;
  fd?: number;
}

type SendCallback = (error: Error | null, bytes: number) => void;
type SendData = string | ArrayBufferView | ReadonlyArray<string | ArrayBufferView>;

// ---- The handle: libuv's uv_udp_t over the socket table ----

const UV_UDP_IPV6ONLY = 1;
const UV_UDP_REUSEADDR = 4;
const UV_UDP_REUSEPORT = 8;

class UdpHandle {
  /** The socket's id in the table; -1 until the first bind makes it (libuv creates the fd there). */
  fd = -1;
  private connected = false;
  private refed = true;
  receiving = false;
  /** The socket this handle serves (events go there). */
  owner: UdpSocket | undefined;
  /**
   * Datagrams taken off the queue but not handed to the application (an iterator ended, or the last
   * 'message' listener went, in the middle of a batch): every reader takes these first, in order.
   */
  held: Datagram[] = [];

  constructor(
    readonly udp: Udp,
    readonly family: 4 | 6,
    /**
     * node's handle.lookup (lookup4 / lookup6 over dns.lookup or the socket's own): bind, connect and
     * send resolve through the handle, so a closed socket's (null handle's) connect fails as node's does.
     */
    readonly lookup: (address: string, cb: (err: Error | null, ip: string) => void) => void,
  ) {}

  private get be(): SocketBackend {
    return this.udp.backend();
  }

  /** uv_ip4_addr / uv_ip6_addr: whether `ip` is an address of the handle's family (an IPv6 one with its zone). */
  private parses(ip: string): boolean {
    try {
      if (this.family === 4) ipv4Bytes(ip);
      else ipv6Bytes(this.scope(ip)[0]);
      return true;
    } catch {
      return false;
    }
  }

  /** The sockaddr uv_ip6_addr makes of `ip`, as the socket table takes it: the zone as its scope id (none for 0). */
  private sockaddr(ip: string): string {
    if (this.family === 4) return ip;
    const [a, sc] = this.scope(ip);
    return sc === 0 ? a : `${a}%${sc}`;
  }

  private ensureSocket(): number {
    if (this.fd >= 0) return 0;
    const id = this.be.create(this.family);
    if (id < 0) return id;
    this.fd = id;
    this.udp.adopt(id, this);
    return 0;
  }

  /** uv_udp_bind: the socket made if needed, its options, then bind. 0 or -errno. */
  bind(ip: string, port: number, flags: number): number {
    if (!this.parses(ip)) return -EINVAL;
    if (flags & UV_UDP_IPV6ONLY && this.family !== 6) return -EINVAL;
    const err = this.ensureSocket();
    if (err) return err;
    const be = this.be;
    if (flags & UV_UDP_REUSEADDR) {
      const r = be.setsockopt(this.fd, 'reuseaddr', 1);
      if (r < 0) return r;
    }
    if (flags & UV_UDP_REUSEPORT) {
      const r = be.setsockopt(this.fd, 'reuseport', 1);
      if (r < 0) return r;
    }
    if (flags & UV_UDP_IPV6ONLY) {
      const r = be.setsockopt(this.fd, 'ipv6only', 1);
      if (r < 0) return r;
    }
    return be.bind(this.fd, this.sockaddr(ip), port & 0xffff);
  }

  /** uv_udp_connect: an unbound socket is bound to the wildcard first (uv__udp_maybe_deferred_bind). */
  connect(ip: string, port: number): number {
    if (!this.parses(ip)) return -EINVAL;
    if (this.fd < 0) {
      const r = this.bind(this.family === 4 ? '0.0.0.0' : '::', 0, 0);
      if (r) return r;
    }
    const r = this.be.connect(this.fd, this.sockaddr(ip), port);
    if (r === 0) this.connected = true;
    return r;
  }

  disconnect(): number {
    if (this.fd < 0) return -EBADF;
    const r = this.be.disconnect(this.fd);
    if (r === 0) this.connected = false;
    return r;
  }

  /** One datagram of the buffers joined; bytes sent or -errno (uv_udp_try_send's checks first). */
  send(list: Buffer[], port: number | undefined, ip: string | undefined): number {
    if (port !== undefined) {
      if (this.connected) return -EISCONN;
      if (!this.parses(ip ?? '')) return -EINVAL;
    } else if (!this.connected) return -EDESTADDRREQ;
    if (this.fd < 0) return -EBADF;
    const data = list.length === 1 ? list[0]! : Buffer.concat(list);
    this.udp.poller.syncClock();
    const r = this.be.send(this.fd, data, port === undefined ? undefined : this.sockaddr(ip!), port ?? 0);
    // Frames wait on a TX ring or a loopback for the poll (a wire, the receive path).
    this.udp.poller.kick();
    return r;
  }

  getsockname(out: Partial<AddressInfo>): number {
    if (this.fd < 0) return -EBADF;
    Object.assign(out, this.be.local(this.fd));
    return 0;
  }

  getpeername(out: Partial<AddressInfo>): number {
    if (this.fd < 0) return -EBADF;
    const p = this.be.peer(this.fd);
    if (!p) return -ENOTCONN;
    Object.assign(out, p);
    return 0;
  }

  private setopt(opt: SockOpt, value: number): number {
    if (this.fd < 0) return -EBADF;
    return this.be.setsockopt(this.fd, opt, value);
  }

  /** uv_udp_set_ttl: 1..255 (the range first, then the socket). */
  setTTL(ttl: number): number {
    const t = ttl | 0;
    if (t < 1 || t > 255) return -EINVAL;
    return this.setopt('ttl', t);
  }

  setBroadcast(on: number): number {
    return this.setopt('broadcast', on ? 1 : 0);
  }

  /** uv_udp_set_multicast_ttl: 0..255. */
  setMulticastTTL(ttl: number): number {
    const t = ttl | 0;
    if (t < 0 || t > 255) return -EINVAL;
    return this.setopt('mcttl', t);
  }

  setMulticastLoopback(on: number): number {
    return this.setopt('mcloop', on ? 1 : 0);
  }

  /**
   * uv_ip6_addr's zone: the text before '%' is the address; after it an interface name (if_nametoindex —
   * libuv reads no numbers on Linux, and an unknown name is scope 0, silently).
   */
  private scope(text: string): [string, number] {
    const pct = text.indexOf('%');
    if (pct < 0) return [text, 0];
    return [text.slice(0, pct), this.be.ifindex(text.slice(pct + 1))];
  }

  private static isV4(text: string): boolean {
    try {
      ipv4Bytes(text);
      return true;
    } catch {
      return false;
    }
  }

  private static isV6(text: string): boolean {
    try {
      ipv6Bytes(text);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * uv_udp_set_membership / uv_udp_set_source_membership: the group's family decides the option; an
   * unbound socket is bound first to the wildcard with SO_REUSEADDR (uv__udp_maybe_deferred_bind).
   */
  membership(join: boolean, group: string, iface: string | undefined, source?: string): number {
    const v4 = UdpHandle.isV4(group);
    const g6 = v4 ? group : this.scope(group)[0];
    if (!v4 && !UdpHandle.isV6(g6)) return -EINVAL;
    if (source !== undefined && !(v4 ? UdpHandle.isV4(source) : UdpHandle.isV6(this.scope(source)[0]))) return -EINVAL;
    if (this.fd < 0) {
      const r = this.bind(this.family === 4 ? '0.0.0.0' : '::', 0, UV_UDP_REUSEADDR);
      if (r) return r;
    }
    let ifc: string | number | undefined;
    if (iface !== undefined) {
      if (v4) {
        if (!UdpHandle.isV4(iface)) return -EINVAL;
        ifc = iface;
      } else {
        const [a, sc] = this.scope(iface);
        if (!UdpHandle.isV6(a)) return -EINVAL;
        ifc = sc;
      }
    }
    return this.be.membership(this.fd, join, v4 ? group : g6, source === undefined ? undefined : v4 ? source : this.scope(source)[0], ifc);
  }

  /** uv_udp_set_multicast_interface: an IPv4 address, else an IPv6 one whose scope names the device. */
  setMulticastInterface(iface: string): number {
    if (UdpHandle.isV4(iface)) return this.fd < 0 ? -EBADF : this.be.multicastInterface(this.fd, iface, 0);
    const [a, sc] = this.scope(iface);
    if (!UdpHandle.isV6(a)) return -EINVAL;
    return this.fd < 0 ? -EBADF : this.be.multicastInterface(this.fd, undefined, sc);
  }

  /**
   * uv_recv_buffer_size / uv_send_buffer_size: 0 reads, anything else sets. The value or -errno. libuv
   * takes the size as an int: node's UDPWrap::BufferSize answers EINVAL for one past INT_MAX before it
   * looks at the socket.
   */
  bufferSize(size: number, recv: boolean): number {
    if (size > 0x7fffffff) return -EINVAL;
    if (this.fd < 0) return -EBADF;
    const opt = recv ? 'rcvbuf' : 'sndbuf';
    if (size === 0) return this.be.getsockopt(this.fd, opt);
    const r = this.be.setsockopt(this.fd, opt, size);
    return r < 0 ? r : size;
  }

  recvStart(): void {
    this.receiving = true;
    this.udp.holdFor(this);
  }

  recvStop(): void {
    this.receiving = false;
    this.udp.holdFor(this);
  }

  ref(): void {
    this.refed = true;
    this.udp.holdFor(this);
  }

  unref(): void {
    this.refed = false;
    this.udp.holdFor(this);
  }

  hasRef(): boolean {
    return this.refed;
  }

  /** uv_udp_get_send_queue_size / _count: sends complete within the call, so nothing ever waits. */
  getSendQueueSize(): number {
    return 0;
  }

  getSendQueueCount(): number {
    return 0;
  }

  /** Whether this handle keeps the process alive (libuv: active and ref'd). */
  get active(): boolean {
    return this.fd >= 0 && this.receiving && this.refed;
  }

  close(): void {
    this.receiving = false;
    if (this.fd >= 0) {
      this.udp.forget(this.fd);
      this.be.close(this.fd);
    }
    this.fd = -1;
    this.held = [];
    this.udp.holdFor(this);
  }
}

// ---- The socket: lib/dgram.js's Socket ----

const BIND_UNBOUND = 0;
const BIND_BINDING = 1;
const BIND_BOUND = 2;
const CONNECT_DISCONNECTED = 0;
const CONNECT_CONNECTING = 1;
const CONNECT_CONNECTED = 2;

interface SocketState {
  handle: UdpHandle | null;
  bindState: number;
  connectState: number;
  queue: Array<() => void> | undefined;
  reuseAddr: boolean;
  reusePort: boolean;
  ipv6Only: boolean;
  recvBufferSize: number | undefined;
  sendBufferSize: number | undefined;
}

function sliceBuffer(buffer: unknown, offset: unknown, length: unknown): Buffer {
  let b: ArrayBufferView;
  if (typeof buffer === 'string') b = Buffer.from(buffer);
  else if (!ArrayBuffer.isView(buffer)) throw invalidArgType('buffer', BUFFER_TYPES, buffer);
  else b = buffer;
  const off = (offset as number) >>> 0;
  const len = (length as number) >>> 0;
  if (off > b.byteLength) throw errBufferOutOfBounds('offset');
  if (off + len > b.byteLength) throw errBufferOutOfBounds('length');
  return Buffer.from(b.buffer, b.byteOffset + off, len);
}

function fixBufferList(list: unknown[]): Buffer[] | null {
  const out: Buffer[] = new Array(list.length);
  for (let i = 0; i < list.length; i++) {
    const buf = list[i];
    if (typeof buf === 'string') out[i] = Buffer.from(buf);
    else if (!ArrayBuffer.isView(buf)) return null;
    else out[i] = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  return out;
}

/** guessHandleType for bind({ fd }): what node would call the descriptor. */
function fdType(fd: number): string {
  try {
    const st = fstatSync(fd);
    if (st.isFile()) return 'FILE';
    if (st.isFIFO()) return 'PIPE';
    if (st.isCharacterDevice()) return 'TTY';
    if (st.isSocket()) return 'UDP';
    return 'UNKNOWN';
  } catch {
    return 'INVALID';
  }
}

export class UdpSocket extends EventEmitter {
  readonly type: SocketType;
  /** @internal */
  readonly state: SocketState;
  private waiters: Array<() => void> = [];

  /** @internal dp.udp.createSocket makes sockets. */
  constructor(udp: Udp, type: SocketType | SocketOptions, listener?: (msg: MessageBuffer, rinfo: RemoteInfo) => void) {
    super();
    let options: SocketOptions | undefined;
    let lookup: SocketOptions['lookup'];
    let recvBufferSize: number | undefined;
    let sendBufferSize: number | undefined;
    let t: unknown = type;
    if (type !== null && typeof type === 'object') {
      options = type;
      t = options.type;
      lookup = options.lookup;
      if (options.recvBufferSize) validateUint32(options.recvBufferSize, 'options.recvBufferSize');
      if (options.sendBufferSize) validateUint32(options.sendBufferSize, 'options.sendBufferSize');
      recvBufferSize = options.recvBufferSize;
      sendBufferSize = options.sendBufferSize;
    }
    if (lookup !== undefined && typeof lookup !== 'function') throw invalidArgType('lookup', 'of type function', lookup);
    if (t !== 'udp4' && t !== 'udp6') throw errSocketBadType();
    // A build without the socket table says so here, not from inside a later bind's callback.
    udp.backend();
    this.type = t;
    const family = t === 'udp4' ? 4 : 6;
    const look = lookup ?? (dnsLookup as unknown as NonNullable<SocketOptions['lookup']>);
    // lookup4 / lookup6: an empty address is the loopback one
    const handle = new UdpHandle(udp, family, (address, cb) => look(address || (family === 4 ? '127.0.0.1' : '::1'), family as never, (err, ip) => cb(err, ip)));
    handle.owner = this;
    if (typeof listener === 'function') this.on('message', listener);
    // Datagrams wait in the queue while nobody reads (node would have dropped them): a new reader gets them.
    this.on('newListener', (event: string | symbol) => {
      if (event === 'message' && this.state.handle) udp.revisit(this.state.handle);
    });
    this.state = {
      handle,
      bindState: BIND_UNBOUND,
      connectState: CONNECT_DISCONNECTED,
      queue: undefined,
      reuseAddr: !!options?.reuseAddr,
      reusePort: !!options?.reusePort,
      ipv6Only: !!options?.ipv6Only,
      recvBufferSize,
      sendBufferSize,
    };
    // node keeps its state under a symbol (kStateSymbol): Object.keys, spreads and JSON of a socket show
    // only EventEmitter's fields and `type`, here as there.
    Object.defineProperties(this, { state: { enumerable: false }, waiters: { enumerable: false } });
    const signal = options?.signal;
    if (signal !== undefined) {
      if (signal === null || typeof signal !== 'object' || !('aborted' in signal)) throw invalidArgType('options.signal', 'an instance of AbortSignal', signal);
      const onAborted = () => {
        if (this.state.handle) this.close();
      };
      if (signal.aborted) onAborted();
      else {
        signal.addEventListener('abort', onAborted, { once: true });
        this.once('close', () => signal.removeEventListener('abort', onAborted));
      }
    }
  }

  private healthCheck(): UdpHandle {
    const h = this.state.handle;
    if (!h) throw errNotRunning();
    return h;
  }

  private startListening(): void {
    const st = this.state;
    st.handle!.recvStart();
    st.bindState = BIND_BOUND;
    if (st.recvBufferSize) this.bufferSize(st.recvBufferSize, true);
    if (st.sendBufferSize) this.bufferSize(st.sendBufferSize, false);
    this.emit('listening');
  }

  private bufferSize(size: number, recv: boolean): number {
    if (size >>> 0 !== size) throw errBadBufferSize();
    const h = this.state.handle;
    // node reads through a closed socket's null handle here too (a TypeError)
    const r = (h as UdpHandle).bufferSize(size, recv);
    if (r < 0) throw errSocketBufferSize(r, recv ? 'uv_recv_buffer_size' : 'uv_send_buffer_size');
    return r;
  }

  bind(port?: number | BindOptions | ((...a: unknown[]) => void), address?: string | (() => void), callback?: () => void): this;
  // two named parameters, so bind.length is 2 as node's (function (port_, address_ /* , callback */))
  bind(_port?: unknown, _address?: unknown): this {
    const args: unknown[] = Array.prototype.slice.call(arguments);
    let port = args[0];
    const address_ = args[1];
    this.healthCheck();
    const st = this.state;
    if (st.bindState !== BIND_UNBOUND) throw errAlreadyBound();
    st.bindState = BIND_BINDING;
    const cb = args.length > 0 ? args[args.length - 1] : undefined;
    if (typeof cb === 'function') {
      const removeListeners = () => {
        this.removeListener('error', removeListeners);
        this.removeListener('listening', onListening);
      };
      const onListening = () => {
        removeListeners();
        (cb as () => void).call(this);
      };
      this.on('error', removeListeners);
      this.on('listening', onListening);
    }
    if (port !== null && typeof port === 'object' && Number.isInteger((port as BindOptions).fd) && (port as BindOptions).fd! > 0 && ((port as BindOptions).fd! | 0) === (port as BindOptions).fd) {
      // An existing descriptor is the kernel's socket: wxdp's stack cannot adopt it.
      const type = fdType((port as BindOptions).fd!);
      if (type !== 'UDP') throw errInvalidFdType(type);
      throw errnoException(-EOPNOTSUPP, 'open');
    }
    let address: unknown;
    if (port !== null && typeof port === 'object') {
      const o = port as BindOptions;
      address = o.address || '';
      port = o.port;
    } else {
      address = typeof address_ === 'function' ? '' : address_;
    }
    if (!address) address = this.type === 'udp4' ? '0.0.0.0' : '::';
    st.handle!.lookup(address as string, (err, ip) => {
      if (!st.handle) return;
      if (err) {
        st.bindState = BIND_UNBOUND;
        this.emit('error', err);
        return;
      }
      let flags = 0;
      if (st.reuseAddr) flags |= UV_UDP_REUSEADDR;
      if (st.reusePort) flags |= UV_UDP_REUSEPORT;
      if (st.ipv6Only) flags |= UV_UDP_IPV6ONLY;
      // The binding reads the port as a uint32 (uv_ip4_addr keeps its low 16 bits).
      const e = st.handle.bind(ip, (Number(port || 0) >>> 0) & 0xffff, flags);
      if (e) {
        st.bindState = BIND_UNBOUND;
        this.emit('error', exceptionWithHostPort(e, 'bind', ip, port as number));
        return;
      }
      this.startListening();
    });
    return this;
  }

  connect(port: number, address?: string | ((err?: Error) => void), callback?: (err?: Error) => void): void {
    const p = validatePort(port, 'Port', false);
    let addr: unknown = address;
    if (typeof address === 'function') {
      callback = address;
      addr = '';
    } else if (address === undefined) addr = '';
    validateString(addr, 'address');
    const st = this.state;
    if (st.connectState !== CONNECT_DISCONNECTED) throw errIsConnected();
    st.connectState = CONNECT_CONNECTING;
    if (st.bindState === BIND_UNBOUND) this.bind({ port: 0, exclusive: true }, undefined as unknown as string);
    if (st.bindState !== BIND_BOUND) {
      this.enqueue(() => this.doConnect(p, addr as string, callback));
      return;
    }
    this.doConnect(p, addr, callback);
  }

  private doConnect(port: number, address: string, callback?: (err?: Error) => void): void {
    const st = this.state;
    if (callback) this.once('connect', callback);
    // node reads the lookup through the handle: a socket closed once bound throws a TypeError here
    (st.handle as UdpHandle).lookup(address, (ex, ip) => {
      if (!st.handle) return;
      let err: Error | null = ex;
      if (!err) {
        const e = st.handle.connect(ip, port);
        if (e) err = exceptionWithHostPort(e, 'connect', address, port);
      }
      if (err) {
        st.connectState = CONNECT_DISCONNECTED;
        const error = err;
        process.nextTick(() => {
          if (callback) {
            this.removeListener('connect', callback);
            callback(error);
          } else this.emit('error', error);
        });
        return;
      }
      st.connectState = CONNECT_CONNECTED;
      process.nextTick(() => this.emit('connect'));
    });
  }

  disconnect(): void {
    const st = this.state;
    if (st.connectState !== CONNECT_CONNECTED) throw errNotConnected();
    const err = st.handle!.disconnect();
    if (err) throw errnoException(err, 'connect');
    st.connectState = CONNECT_DISCONNECTED;
  }

  sendto(buffer: unknown, offset: number, length: number, port: number, address: string, callback?: SendCallback): void {
    validateNumber(offset, 'offset');
    validateNumber(length, 'length');
    validateNumber(port, 'port');
    validateString(address, 'address');
    this.send(buffer as Buffer, offset, length, port, address, callback);
  }

  send(msg: SendData, port?: number | string, address?: string, callback?: SendCallback): void;
  send(msg: SendData, port?: number | string, callback?: SendCallback): void;
  send(msg: SendData, callback?: SendCallback): void;
  send(msg: string | ArrayBufferView, offset: number, length: number, port?: number | string, address?: string, callback?: SendCallback): void;
  send(msg: string | ArrayBufferView, offset: number, length: number, port?: number | string, callback?: SendCallback): void;
  send(msg: string | ArrayBufferView, offset: number, length: number, callback?: SendCallback): void;
  send(buffer: unknown, offset?: unknown, length?: unknown, port?: unknown, address?: unknown, callback?: unknown): void {
    const st = this.state;
    const connected = st.connectState === CONNECT_CONNECTED;
    if (!connected) {
      if (address || (port && typeof port !== 'function')) {
        buffer = sliceBuffer(buffer, offset, length);
      } else {
        callback = port;
        port = offset;
        address = length;
      }
    } else {
      if (typeof length === 'number') {
        buffer = sliceBuffer(buffer, offset, length);
        if (typeof port === 'function') {
          callback = port;
          port = null;
        }
      } else {
        callback = offset;
      }
      if (port || address) throw errIsConnected();
    }
    let list: Buffer[];
    if (!Array.isArray(buffer)) {
      if (typeof buffer === 'string') list = [Buffer.from(buffer)];
      else if (!ArrayBuffer.isView(buffer)) throw invalidArgType('buffer', BUFFER_TYPES, buffer);
      // node's binding sends a view's bytes: a Uint16Array's six bytes, not its three elements
      else list = [buffer instanceof Uint8Array ? (buffer as Buffer) : Buffer.from(buffer.buffer, buffer.byteOffset, buffer.byteLength)];
    } else {
      const l = fixBufferList(buffer);
      if (!l) throw invalidArgType('buffer list arguments', BUFFER_TYPES, buffer);
      list = l;
    }
    if (!connected) port = validatePort(port, 'Port', false);
    if (typeof callback !== 'function') callback = undefined;
    if (typeof address === 'function') {
      callback = address;
      address = undefined;
    } else if (address != null) validateString(address, 'address');
    this.healthCheck();
    if (st.bindState === BIND_UNBOUND) this.bind({ port: 0, exclusive: true }, undefined as unknown as string);
    if (list.length === 0) list.push(Buffer.alloc(0));
    if (st.bindState !== BIND_BOUND) {
      const l = list;
      const p = port;
      const a = address;
      const c = callback;
      this.enqueue(() => (this.send as (...x: unknown[]) => void)(l, p, a, c));
      return;
    }
    const cb = callback as SendCallback | undefined;
    const after = (ex: Error | null, ip: string | null) => this.doSend(ex, ip, list, address as string | undefined, port as number | undefined, cb);
    if (!connected) st.handle!.lookup(address as string, after);
    else after(null, null);
  }

  private doSend(ex: Error | null, ip: string | null, list: Buffer[], address: string | undefined, port: number | undefined, callback?: SendCallback): void {
    const st = this.state;
    if (ex) {
      if (callback) process.nextTick(callback, ex);
      else process.nextTick(() => this.emit('error', ex));
      return;
    }
    if (!st.handle) return;
    const r = port ? st.handle.send(list, port, ip ?? undefined) : st.handle.send(list, undefined, undefined);
    if (r >= 0) {
      if (callback) process.nextTick(callback, null, r);
      return;
    }
    // node reports a send that failed at once to the callback only (dgram_legacy compatibility)
    if (callback) process.nextTick(callback, exceptionWithHostPort(r, 'send', address, port));
  }

  private enqueue(fn: () => void): void {
    const st = this.state;
    if (st.queue === undefined) {
      st.queue = [];
      const onError = () => {
        this.removeListener('listening', onSuccess);
        st.queue = undefined;
      };
      const onSuccess = () => {
        this.removeListener(EventEmitter.errorMonitor, onError);
        const q = st.queue!;
        st.queue = undefined;
        for (const f of q) f();
      };
      this.once(EventEmitter.errorMonitor, onError);
      this.once('listening', onSuccess);
    }
    st.queue.push(fn);
  }

  close(callback?: () => void): this {
    const st = this.state;
    if (typeof callback === 'function') this.on('close', callback);
    if (st.queue !== undefined) {
      st.queue.push(() => this.close());
      return this;
    }
    const h = this.healthCheck();
    if (h.receiving) h.recvStop();
    h.close();
    st.handle = null;
    process.nextTick(() => {
      this.emit('close');
      this.wake();
    });
    return this;
  }

  // node's deprecated accessors (DEP0112), read through the state as node's read its kStateSymbol
  /** @deprecated */
  get _handle(): unknown {
    return deprecatedState('_handle', () => this.state.handle);
  }
  /** @deprecated */
  get _receiving(): boolean {
    return deprecatedState('_receiving', () => !!this.state.handle?.receiving);
  }
  /** @deprecated */
  get _bindState(): number {
    return deprecatedState('_bindState', () => this.state.bindState);
  }
  /** @deprecated */
  get _queue(): unknown {
    return deprecatedState('_queue', () => this.state.queue);
  }
  /** @deprecated */
  get _reuseAddr(): boolean {
    return deprecatedState('_reuseAddr', () => this.state.reuseAddr);
  }
  /** @deprecated */
  _healthCheck(): void {
    deprecatedState('_healthCheck', () => this.healthCheck());
  }
  /** @deprecated */
  _stopReceiving(): void {
    deprecatedState('_stopReceiving', () => {
      const h = this.state.handle;
      if (h?.receiving) h.recvStop();
    });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (!this.state.handle) return;
    await new Promise<void>((resolve) => this.close(() => resolve()));
  }

  address(): AddressInfo {
    const h = this.healthCheck();
    const out: Partial<AddressInfo> = {};
    const err = h.getsockname(out);
    if (err) throw errnoException(err, 'getsockname');
    return out as AddressInfo;
  }

  remoteAddress(): AddressInfo {
    const h = this.healthCheck();
    if (this.state.connectState !== CONNECT_CONNECTED) throw errNotConnected();
    const out: Partial<AddressInfo> = {};
    const err = h.getpeername(out);
    if (err) throw errnoException(err, 'getpeername');
    return out as AddressInfo;
  }

  setBroadcast(flag: boolean): void {
    const err = (this.state.handle as UdpHandle).setBroadcast(flag ? 1 : 0);
    if (err) throw errnoException(err, 'setBroadcast');
  }

  setTTL(ttl: number): number {
    validateNumber(ttl, 'ttl');
    const err = (this.state.handle as UdpHandle).setTTL(ttl);
    if (err) throw errnoException(err, 'setTTL');
    return ttl;
  }

  setMulticastTTL(ttl: number): number {
    validateNumber(ttl, 'ttl');
    const err = (this.state.handle as UdpHandle).setMulticastTTL(ttl);
    if (err) throw errnoException(err, 'setMulticastTTL');
    return ttl;
  }

  setMulticastLoopback(flag: boolean): boolean {
    const err = (this.state.handle as UdpHandle).setMulticastLoopback(flag ? 1 : 0);
    if (err) throw errnoException(err, 'setMulticastLoopback');
    return flag;
  }

  setMulticastInterface(interfaceAddress: string): void {
    const h = this.healthCheck();
    validateString(interfaceAddress, 'interfaceAddress');
    const err = h.setMulticastInterface(interfaceAddress);
    if (err) throw errnoException(err, 'setMulticastInterface');
  }

  addMembership(multicastAddress: string, interfaceAddress?: string): void {
    const h = this.healthCheck();
    if (!multicastAddress) throw errMissingArgs('multicastAddress');
    const err = h.membership(true, multicastAddress, interfaceAddress);
    if (err) throw errnoException(err, 'addMembership');
  }

  dropMembership(multicastAddress: string, interfaceAddress?: string): void {
    const h = this.healthCheck();
    if (!multicastAddress) throw errMissingArgs('multicastAddress');
    const err = h.membership(false, multicastAddress, interfaceAddress);
    if (err) throw errnoException(err, 'dropMembership');
  }

  addSourceSpecificMembership(sourceAddress: string, groupAddress: string, interfaceAddress?: string): void {
    const h = this.healthCheck();
    validateString(sourceAddress, 'sourceAddress');
    validateString(groupAddress, 'groupAddress');
    const err = h.membership(true, groupAddress, interfaceAddress, sourceAddress);
    if (err) throw errnoException(err, 'addSourceSpecificMembership');
  }

  dropSourceSpecificMembership(sourceAddress: string, groupAddress: string, interfaceAddress?: string): void {
    const h = this.healthCheck();
    validateString(sourceAddress, 'sourceAddress');
    validateString(groupAddress, 'groupAddress');
    const err = h.membership(false, groupAddress, interfaceAddress, sourceAddress);
    if (err) throw errnoException(err, 'dropSourceSpecificMembership');
  }

  ref(): this {
    this.state.handle?.ref();
    return this;
  }

  unref(): this {
    this.state.handle?.unref();
    return this;
  }

  setRecvBufferSize(size: number): void {
    this.bufferSize(size, true);
  }

  setSendBufferSize(size: number): void {
    this.bufferSize(size, false);
  }

  getRecvBufferSize(): number {
    return this.bufferSize(0, true);
  }

  getSendBufferSize(): number {
    return this.bufferSize(0, false);
  }

  /** Through the handle, as node's: a closed socket's (null handle's) throws a TypeError. */
  getSendQueueSize(): number {
    return (this.state.handle as UdpHandle).getSendQueueSize();
  }

  getSendQueueCount(): number {
    return (this.state.handle as UdpHandle).getSendQueueCount();
  }

  // ---- Batches: datagrams without one event each ----

  /**
   * Up to `max` datagrams waiting on the socket's receive queue (none: an empty array), taken at once.
   * With `into`: up to `max` (and the batch's capacity) copied into that MessageBatch, which is returned
   * (its count 0 when nothing waits) — no object per datagram.
   */
  receiveBatch(max?: number): Datagram[];
  receiveBatch(max: number, into: MessageBatch): MessageBatch;
  receiveBatch(max = 64, into?: MessageBatch): Datagram[] | MessageBatch {
    const h = this.healthCheck();
    validateUint32(max, 'max');
    if (into !== undefined) {
      if (!(into instanceof MessageBatch)) throw invalidArgType('into', 'an instance of MessageBatch', into);
      into.count = 0;
      into.family = h.family === 6 ? 'IPv6' : 'IPv4';
      const n = Math.min(max, into.capacity);
      if (h.fd < 0 || n === 0) return into;
      const at = h.held.length > 0 ? into.takeHeld(h.held, n) : 0;
      if (into.count < n && h.held.length === 0) into.count += h.udp.backend().recvInto(h.fd, n - into.count, into, into.count, at);
      return into;
    }
    if (h.fd < 0 || max === 0) return [];
    return h.udp.receive(h, max);
  }

  /**
   * Every datagram, as it arrives, until the socket closes (datagrams are fetched in batches of 64).
   * Not an async generator: a generator's `yield*` over a batch costs a suspension and a resumption
   * per datagram; this iterator hands out a fetched batch's datagrams as already-resolved results and
   * only waits when the batch is used up and nothing is queued.
   */
  [Symbol.asyncIterator](): AsyncIterableIterator<Datagram> {
    return new DatagramIterator(this);
  }

  /** Batches of up to `max` datagrams, each as soon as something is queued, until the socket closes. */
  async *batches(max = 64): AsyncGenerator<Datagram[], void, undefined> {
    validateUint32(max, 'max');
    let failure: Error | undefined;
    const onError = (e: Error) => {
      failure = e;
      this.wake();
    };
    this.on(EventEmitter.errorMonitor, onError);
    try {
      for (;;) {
        if (failure) throw failure;
        if (!this.state.handle) return;
        const b = this.state.bindState === BIND_BOUND ? this.receiveBatch(max) : [];
        if (b.length > 0) {
          yield b;
          continue;
        }
        await new Promise<void>((resolve) => this.waiters.push(resolve));
      }
    } finally {
      this.removeListener(EventEmitter.errorMonitor, onError);
    }
  }

  /** @internal Whether an iterator waits for datagrams. */
  get waiting(): boolean {
    return this.waiters.length > 0;
  }

  /** @internal Let waiting iterators look again. */
  wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}

// `socket instanceof dgram.Socket` holds for wxdp's sockets as for node's: node's Socket.prototype sits
// between UdpSocket's and EventEmitter's. UdpSocket has every method and accessor of it as its own, so
// nothing of node's, which reads node's internal state, is ever reached through the chain.
Object.setPrototypeOf(UdpSocket.prototype, NodeSocket.prototype);

let dep0112Warned = false;
/** node's DEP0112 warning (once a process: node's deprecate warns once per code), then the value. */
function deprecatedState<T>(name: string, read: () => T): T {
  if (!dep0112Warned) {
    dep0112Warned = true;
    process.emitWarning(`Socket.prototype.${name} is deprecated`, 'DeprecationWarning', 'DEP0112');
  }
  return read();
}

/**
 * `for await (const d of socket)`: datagrams fetched a batch at a time (receiveBatch), handed out one by
 * one. next() calls made while one waits are served in order (each waits for the one before), as an async
 * generator's are; return() (a loop's `break`) and an error of the socket end it, as `batches()` ends.
 */
class DatagramIterator implements AsyncIterableIterator<Datagram> {
  /** The socket's batches (errors and close end them, as they end `batches()`). */
  private readonly source: AsyncGenerator<Datagram[], void, undefined>;
  private batch: Datagram[] = [];
  private at = 0;
  private ended = false;
  /** The last next() still waiting for datagrams: later calls queue behind it. */
  private tail: Promise<IteratorResult<Datagram, undefined>> | undefined;

  constructor(private readonly socket: UdpSocket) {
    this.source = socket.batches(64);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<Datagram, undefined>> {
    if (this.tail === undefined && this.at < this.batch.length) return Promise.resolve({ value: this.batch[this.at++]!, done: false });
    const t = this.tail === undefined ? this.fetch() : this.tail.then(this.take, this.take);
    const mine = t.finally(() => {
      if (this.tail === mine) this.tail = undefined;
    });
    this.tail = mine;
    return mine;
  }

  /** The next datagram once the calls before have theirs: from the fetched batch, else fetched. */
  private readonly take = (): Promise<IteratorResult<Datagram, undefined>> | IteratorResult<Datagram, undefined> =>
    this.at < this.batch.length ? { value: this.batch[this.at++]!, done: false } : this.fetch();

  return(): Promise<IteratorResult<Datagram, undefined>> {
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  /** The next batch (waiting until one is queued, or the socket closes or fails); its first datagram. */
  private async fetch(): Promise<IteratorResult<Datagram, undefined>> {
    if (this.ended) return { value: undefined, done: true };
    let r: IteratorResult<Datagram[], void>;
    try {
      r = await this.source.next();
    } catch (e) {
      this.end();
      throw e;
    }
    if (r.done) {
      this.end();
      return { value: undefined, done: true };
    }
    this.batch = r.value;
    this.at = 1;
    return { value: r.value[0]!, done: false };
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    const h = this.socket.state.handle;
    if (h && this.at < this.batch.length) h.udp.unread(h, this.batch.slice(this.at));
    this.batch = [];
    this.at = 0;
    void this.source.return();
  }
}

// ---- dp.udp ----

export class Udp {
  private be: SocketBackend | undefined;
  private readonly byId = new Map<number, UdpHandle>();
  /** Sockets left with datagrams at the last visit (delivery is bounded per round): visited again. */
  private readonly pending = new Set<number>();
  private stageRemover: (() => void) | undefined;
  private pollerOf: Poller | undefined;

  constructor(readonly dp: Datapath) {}

  /** The Datapath's poll driver (shared with wires; one for the Datapath's life). */
  get poller(): Poller {
    return (this.pollerOf ??= Poller.of(this.dp));
  }

  /**
   * node:dgram's createSocket. A bound function, so `const { createSocket } = dp.udp` stands in for
   * `import { createSocket } from 'node:dgram'`.
   */
  readonly createSocket = (type: SocketType | SocketOptions, listener?: (msg: MessageBuffer, rinfo: RemoteInfo) => void): UdpSocket =>
    new UdpSocket(this, type, listener);

  /** node:dgram's Socket class (instanceof checks). */
  readonly Socket = UdpSocket;

  /** @internal The socket table (throws when this build has none). */
  backend(): SocketBackend {
    if (this.be) return this.be;
    const be = socketBackend(this.dp);
    if (!be) throw new WxdpError('USAGE', 'UDP sockets need the socket table (assembly/net/sock.ts, src/control/sockets.ts), which this build does not have');
    this.be = be;
    return be;
  }

  /** Close every socket that has one in the table (Datapath.close): each emits 'close' as node's does. */
  closeAll(): void {
    for (const h of [...this.byId.values()]) {
      try {
        if (h.owner) h.owner.close();
        else h.close();
      } catch {
        // closed already (by its owner, in between): nothing left to close
      }
    }
  }

  /** @internal A handle's socket was made: it receives from now on. */
  adopt(id: number, h: UdpHandle): void {
    this.byId.set(id, h);
    this.stageRemover ??= this.poller.addStage(() => this.deliver());
  }

  /** @internal */
  forget(id: number): void {
    this.byId.delete(id);
    this.pending.delete(id);
  }

  /**
   * @internal A socket found a reader after its datagrams were reported (a 'message' listener added
   * later, an iterator started): visit it at the next round even if nothing new arrives.
   */
  revisit(h: UdpHandle): void {
    if (h.fd < 0 || !this.byId.has(h.fd)) return;
    this.pending.add(h.fd);
    this.poller.kick();
  }

  /** @internal Hold the process alive for an active handle (bound, receiving, ref'd), release it otherwise. */
  holdFor(h: UdpHandle): void {
    if (h.active) this.poller.hold(h);
    else this.poller.release(h);
  }

  /** @internal Datagrams of a handle's queue as node gives them: a Buffer each, rinfo {address, family, port, size}. */
  receive(h: UdpHandle, max: number): Datagram[] {
    let out: Datagram[] = [];
    if (h.held.length > 0) {
      out = h.held.splice(0, max);
      if (out.length === max) return out;
      max -= out.length;
    }
    this.backend().recv(h.fd, max, h.family === 6 ? 'IPv6' : 'IPv4', out);
    return out;
  }

  /** @internal Datagrams a reader took but did not hand out: back in front of the handle's queue. */
  unread(h: UdpHandle, rest: Datagram[]): void {
    if (h.fd < 0 || rest.length === 0) return;
    h.held = h.held.length === 0 ? rest : rest.concat(h.held);
    this.revisit(h);
  }

  /** One ready socket: its pending error, then its datagrams to 'message' or a waiting iterator. */
  private visit(id: number, h: UdpHandle, s: UdpSocket): number {
    let work = 0;
    const err = this.backend().takeError(id);
    if (err) {
      work++;
      s.emit('error', errnoException(-err, 'recvmsg'));
      if (!s.state.handle) return work;
    }
    if (s.listenerCount('message') > 0) {
      // Like libuv's read loop: a bounded number per visit, the rest at the next round.
      let i = 0;
      for (; i < 32 && h.fd >= 0 && s.listenerCount('message') > 0; i++) {
        const batch = this.receive(h, 64);
        if (batch.length === 0) break;
        work += batch.length;
        for (let k = 0; k < batch.length; k++) {
          if (h.fd < 0) break; // closed by a listener: nothing more for it
          if (s.listenerCount('message') === 0) {
            this.unread(h, batch.slice(k)); // the last listener went: the rest waits for the next reader
            break;
          }
          const d = batch[k]!;
          s.emit('message', d.msg, d.rinfo);
        }
      }
      if (i === 32 && h.fd >= 0) this.pending.add(id);
    } else if (s.waiting) {
      work++;
      s.wake();
    }
    return work;
  }

  /** The poller's stage: visit the sockets with news. Returns datagrams and errors delivered. */
  private deliver(): number {
    if (this.byId.size === 0) return 0;
    const be = this.backend();
    let work = 0;
    const ids = be.ready();
    if (this.pending.size > 0) {
      for (const id of ids) this.pending.delete(id);
      ids.push(...this.pending);
      this.pending.clear();
    }
    for (const id of ids) {
      const h = this.byId.get(id);
      const s = h?.owner;
      if (!h || !s || !h.receiving) continue;
      try {
        work += this.visit(id, h, s);
      } catch (e) {
        this.pending.add(id);
        // A listener threw: as from node's libuv callback, an uncaught exception — after the other
        // sockets of this round had their turn, so none loses its place on the ready list.
        process.nextTick(() => {
          throw e;
        });
      }
    }
    return work;
  }
}

/**
 * A compile-time proof that node:dgram's types take dp.udp's: the defaults must satisfy the constraints,
 * so `const { createSocket } = dp.udp` stands in for node:dgram's in typed code too.
 */
export type DgramCompatible<
  C extends typeof import('node:dgram').createSocket = Udp['createSocket'],
  S extends import('node:dgram').Socket = UdpSocket,
> = [C, S];
