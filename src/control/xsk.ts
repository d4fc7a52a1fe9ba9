// XskSocket: an AF_XDP-style socket (assembly/xsk.ts, copy mode) for user-space consumers. It is
// bound to one device queue, owns a UMEM of 4 KiB chunks and four rings whose addresses are UMEM
// offsets, and its id goes into an xskmap so a program can bpf_redirect_map() frames to it:
//
//   fill ──(chunks you lend)──▶ fast path copies redirected frames in ──▶ rx ──▶ receive()
//   send() ──▶ tx ──▶ fast path copies them into device frames (TX ring) ──▶ completion ──▶ chunks back
//
// The rings are public (Ring: reserve/submit, peek/release) for code that drives them as libxdp does;
// fillAll / receive / send / complete do the usual dance with a free-chunk list.

import { WxdpError } from '../errors.js';
import { MAX_XSKS, XSK, XSK_FRAME_SIZE, type EngineMemory } from '../runtime/memory.js';
import type { Device } from './device.js';
import { dataPathExports, type DataPathExports } from './device.js';
import { Ring } from './ring.js';
import { SocketError, SOCKET_ERRNO } from './sockets.js';
import type { FastPath } from '../runtime/fastpath.js';

export interface XskSocketOptions {
  device: Device;
  /** The device queue to bind to (default 0). */
  queue?: number;
  /** UMEM chunks (default 256). */
  frames?: number;
  /** Entries per ring (a power of two, default 256). */
  ringSize?: number;
}

export interface XskFrame {
  /** UMEM offset of the chunk. */
  addr: number;
  data: Uint8Array;
}

export class XskSocket {
  /** What an xskmap slot holds for this socket. */
  readonly id: number;
  readonly device: Device;
  readonly queue: number;
  readonly frames: number;
  readonly fill: Ring;
  readonly rx: Ring;
  readonly tx: Ring;
  readonly completion: Ring;
  /** The UMEM's address in the shared memory. */
  readonly umemAddress: number;
  private readonly freeChunks: number[] = [];
  private readonly x: DataPathExports;
  private readonly header: number;
  private closed = false;

  /** @internal Datapath.createXskSocket makes sockets. */
  constructor(
    private readonly mem: EngineMemory,
    fp: FastPath,
    id: number,
    opts: XskSocketOptions,
  ) {
    this.x = dataPathExports(fp);
    this.id = id;
    this.device = opts.device;
    this.queue = opts.queue ?? 0;
    this.frames = opts.frames ?? 256;
    const ringSize = opts.ringSize ?? 256;
    if (id >= MAX_XSKS) throw new WxdpError('USAGE', `at most ${MAX_XSKS} sockets`);
    const s = this.x.xsk_create(id, this.device.ifindex, this.queue, this.frames, ringSize);
    if (s === -16) throw new WxdpError('USAGE', `${this.device.name} queue ${this.queue} has a socket bound already`);
    if (s < 0) throw new WxdpError('USAGE', `cannot create a socket on ${this.device.name} queue ${this.queue} (errno ${-s})`);
    this.header = s >>> 0;
    const v = mem.view();
    const at = (off: number) => v.getUint32(s + off, true);
    this.umemAddress = at(XSK.UMEM);
    this.fill = new Ring(mem, at(XSK.FILL));
    this.rx = new Ring(mem, at(XSK.RX));
    this.tx = new Ring(mem, at(XSK.TX));
    this.completion = new Ring(mem, at(XSK.COMP));
    for (let i = this.frames - 1; i >= 0; i--) this.freeChunks.push(i * XSK_FRAME_SIZE);
  }

  /**
   * Bound to its device queue: false once closed, or once its device was removed (the kernel's
   * NETDEV_UNREGISTER: the socket stays unbound, whatever device comes later under that ifindex).
   */
  get bound(): boolean {
    return !this.closed && this.mem.view().getUint32(this.header + XSK.IFINDEX, true) !== 0;
  }

  /** Frames the socket could not take (fill ring empty, RX ring full). */
  get rxDropped(): number {
    return Number(this.mem.view().getBigUint64(this.header + XSK.RX_DROPPED, true));
  }

  /** Chunks not lent to the fast path nor holding a frame. */
  get freeCount(): number {
    return this.freeChunks.length;
  }

  /** Lend up to `n` free chunks (default: all) on the fill ring. Returns how many. */
  fillAll(n = Infinity): number {
    const k = Math.min(n, this.freeChunks.length, this.fill.free());
    if (k <= 0) return 0;
    const idx = this.fill.reserve(k);
    for (let i = 0; i < k; i++) this.fill.setAddr(idx + i, this.freeChunks.pop()!);
    this.fill.submit(k);
    return k;
  }

  /** Take up to `max` received frames (copied out); their chunks become free again. */
  receive(max = Infinity): XskFrame[] {
    const n = this.rx.peek(max);
    const c = this.rx.consumer;
    const bytes = this.mem.bytes();
    const out: XskFrame[] = [];
    for (let i = 0; i < n; i++) {
      const d = this.rx.desc(c + i);
      const at = this.umemAddress + d.addr;
      out.push({ addr: d.addr, data: bytes.slice(at, at + d.len) });
      this.freeChunks.push(d.addr - (d.addr % XSK_FRAME_SIZE));
    }
    this.rx.release(n);
    return out;
  }

  /**
   * Send frames out of the bound device queue: each is written to a free chunk and posted on the TX
   * ring, then the fast path is kicked (sendto). Returns how many were sent. A socket whose device was
 * removed throws SocketError ENXIO, as xsk_sendmsg answers.
   */
  send(frames: readonly Uint8Array[]): number {
    // xsk_sendmsg on a socket its device's removal unbound: -ENXIO
    if (!this.closed && !this.bound) throw new SocketError('sendto', SOCKET_ERRNO.ENXIO!, `on AF_XDP socket ${this.id} (${this.device.name} queue ${this.queue}: its device was removed)`);
    this.complete();
    const n = Math.min(frames.length, this.freeChunks.length);
    const idx = this.tx.reserve(n);
    if (n === 0 || idx < 0) return 0;
    const bytes = this.mem.bytes();
    for (let i = 0; i < n; i++) {
      const f = frames[i]!;
      if (f.length > XSK_FRAME_SIZE) throw new WxdpError('USAGE', `a ${f.length}-byte frame does not fit a ${XSK_FRAME_SIZE}-byte chunk`);
      const addr = this.freeChunks.pop()!;
      bytes.set(f, this.umemAddress + addr);
      this.tx.setDesc(idx + i, { addr, len: f.length, options: 0 });
    }
    this.tx.submit(n);
    const sent = this.x.xsk_tx(this.id, n);
    this.complete();
    return sent;
  }

  /** Take sent chunks back from the completion ring. Returns how many. */
  complete(): number {
    const n = this.completion.peek(Infinity);
    const c = this.completion.consumer;
    for (let i = 0; i < n; i++) this.freeChunks.push(this.completion.addr(c + i));
    this.completion.release(n);
    return n;
  }

  /** Unbind: the queue takes no more frames for this socket (an xskmap slot naming it drops them). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.x.xsk_close(this.id);
  }
}
