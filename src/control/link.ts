// Links: a device of the data path backed by an OS UDP socket (node:dgram), so its Ethernet frames reach
// a real Linux interface — a `vxlan` or `geneve` device at the other end — or another wxdp process.
//
//   socket 'message' ─▶ record into the RX buffer (wasm memory) ─▶ poller kick
//   poller stage (after each dp.poll):  link_rx over the staged records (headers checked in the fast path,
//                                       inner frames onto the device's RX ring: the next dp.poll takes them)
//                                       link_tx: the device's TX rings ─▶ encapsulated records ─▶ one copy
//                                       out of wasm memory ─▶ socket.send per record
//
// Per datagram, JavaScript only receives, copies the bytes in (and compares the sender with the remote,
// which GENEVE's lookup and the udp link key on) and sends: the headers are the fast path's
// (assembly/link.ts). Node 20 exposes neither recvmmsg nor sendmmsg on dgram sockets, so the batching is
// the fast path's: one call per burst of datagrams each way, one copy out per TX burst.
//
// The outer UDP source port: Linux picks it per flow (udp_flow_src_port: the inner flow hash scaled into
// the port range) so the underlay can spread flows; a node:dgram socket sends from its bound port only.
// The fast path computes the kernel's port for every datagram (the TX record carries it, Link.sourcePort
// answers it), and the datagram leaves from the link's bound port — receivers (Linux's vxlan_rcv and
// geneve_udp_encap_recv) accept any source port.

import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import { randomInt } from 'node:crypto';
import { WxdpError } from '../errors.js';
import type { Datapath } from './datapath.js';
import type { Device } from './device.js';
import { Poller } from './poller.js';
import { SocketError } from './sockets.js';

export type LinkSpec =
  | { type: 'vxlan'; vni: number; local: string; remote: string; dstport?: number; port?: number }
  | { type: 'geneve'; vni: number; local: string; remote: string; dstport?: number; port?: number }
  | { type: 'udp'; local: string; port: number; remote: string; remotePort: number };

/**
 * IANA's ports (RFC 7348, RFC 8926). GENEVE's is also the kernel's default; a Linux vxlan defaults to 8472
 * (the module's udp_port) unless created with `dstport 4789`.
 */
export const VXLAN_PORT = 4789;
export const GENEVE_PORT = 6081;

/** Why the fast path refused a datagram (assembly/link.ts LSTAT_*; the kernel's names where it has one). */
export const LINK_ERROR_REASONS = [
  'HDR_TRUNC',
  'INVALID_HDR',
  'VNI_NOT_FOUND',
  'FOREIGN_SOURCE',
  'BAD_PROTO',
  'CRITICAL_OPTIONS',
  'LOCAL_MAC',
  'INNER_TRUNC',
] as const;
export type LinkErrorReason = (typeof LINK_ERROR_REASONS)[number];

export interface LinkStats {
  /** Datagrams the fast path looked at (every one, whether it decapsulated or not). */
  rxDatagrams: number;
  /** Inner frames posted on the device's RX ring, and their bytes. */
  rxPackets: number;
  rxBytes: number;
  /** Frames the device transmitted and the link encapsulated, and their (inner) bytes. */
  txPackets: number;
  txBytes: number;
  /** Decapsulated frames the device refused (its own drop counters say why: ring full, too long…). */
  rxDropped: number;
  /** Datagrams dropped because the RX buffer was full and the data path could not make room. */
  rxOverflow: number;
  /** Datagrams the socket failed to send (the last error: lastError). */
  txErrors: number;
  /** Datagrams refused by their header, by reason. */
  errors: Record<LinkErrorReason, number>;
  lastError?: string;
}

/** A LinkSpec that does not parse: `field` names the bad field, `where` the place it came from. */
export class LinkSpecError extends WxdpError {
  constructor(
    readonly where: string,
    readonly field: string,
    /** What is wrong with the field, without where it is. */
    readonly reason: string,
  ) {
    super('USAGE', `${where}: link ${field}: ${reason}`);
  }
}

const KINDS = { vxlan: 1, geneve: 2, udp: 3 } as const;
const FIELDS: Record<LinkSpec['type'], readonly string[]> = {
  vxlan: ['type', 'vni', 'local', 'remote', 'dstport', 'port'],
  geneve: ['type', 'vni', 'local', 'remote', 'dstport', 'port'],
  udp: ['type', 'local', 'port', 'remote', 'remotePort'],
};

/** Check `value` (a config's link entry, JSON) and return it as a LinkSpec. Throws LinkSpecError. */
export function parseLinkSpec(value: unknown, where: string): LinkSpec {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new LinkSpecError(where, 'spec', `must be an object, not ${describe(value)}`);
  const o = value as Record<string, unknown>;
  const type = o['type'];
  if (type !== 'vxlan' && type !== 'geneve' && type !== 'udp') throw new LinkSpecError(where, 'type', `must be 'vxlan', 'geneve' or 'udp', not ${describe(type)}`);
  for (const k of Object.keys(o)) {
    if (!FIELDS[type].includes(k)) throw new LinkSpecError(where, k, `is not a field of a ${type} link (fields: ${FIELDS[type].join(', ')})`);
  }
  const local = address(o, 'local', where);
  const remote = address(o, 'remote', where);
  if (isIP(local) !== isIP(remote)) throw new LinkSpecError(where, 'remote', `${remote} and local ${local} are of different families`);
  if (/^(0\.0\.0\.0|::)$/.test(remote)) throw new LinkSpecError(where, 'remote', `must be an address to send to, not ${remote}`);
  if (type === 'udp') {
    return { type, local, port: port(o, 'port', where, true)!, remote, remotePort: port(o, 'remotePort', where, true)! };
  }
  const vni = o['vni'];
  if (typeof vni !== 'number' || !Number.isInteger(vni) || vni < 0 || vni > 0xffffff) throw new LinkSpecError(where, 'vni', `must be an integer 0..16777215, not ${describe(vni)}`);
  const spec: Extract<LinkSpec, { type: 'vxlan' | 'geneve' }> = { type, vni, local, remote };
  const dstport = port(o, 'dstport', where, false);
  const p = port(o, 'port', where, false);
  if (dstport !== undefined) spec.dstport = dstport;
  if (p !== undefined) spec.port = p;
  return spec;
}

function describe(v: unknown): string {
  if (typeof v === 'string') return `'${v}'`;
  if (v === undefined) return 'missing';
  return JSON.stringify(v) ?? String(v);
}

function address(o: Record<string, unknown>, field: string, where: string): string {
  const v = o[field];
  if (typeof v !== 'string' || isIP(v) === 0) throw new LinkSpecError(where, field, `must be an IPv4 or IPv6 address, not ${describe(v)}`);
  return v.toLowerCase();
}

/** A port 1..65535; the local `port` may also be 0: the OS picks one (Link.address() tells which). */
function port(o: Record<string, unknown>, field: string, where: string, required: boolean): number | undefined {
  const v = o[field];
  if (v === undefined && !required) return undefined;
  const min = field === 'port' ? 0 : 1;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > 65535) throw new LinkSpecError(where, field, `must be a port ${min}..65535, not ${describe(v)}`);
  return v;
}

type I = number;
interface LinkExports {
  arena_alloc(size: I, align: I): I;
  link_init(l: I, kind: I, vni: I, dev: I, portMin: I, portMax: I, seed: I): I;
  link_rx(l: I, buf: I, n: I): I;
  link_tx(l: I, buf: I, cap: I): I;
  link_src_port(l: I, f: I, len: I): I;
  link_port_of_hash(l: I, hash: I): I;
}

/** Bytes of each link's RX and TX buffers: a burst of full-size datagrams each way. */
const RX_BUFFER = 1 << 17;
const TX_BUFFER = 1 << 17;
/** The most a datagram holds (a 64 KiB IPv4 datagram less its headers): larger ones cannot arrive. */
const MAX_DATAGRAM = 65507;
/** The default range of udp_flow_src_port for VXLAN: net.ipv4.ip_local_port_range's default, [min, max). */
const VXLAN_PORT_RANGE: readonly [number, number] = [32768, 60999];
/** GENEVE asks udp_flow_src_port for [1, USHRT_MAX). */
const GENEVE_PORT_RANGE: readonly [number, number] = [1, 65535];

interface Blocks {
  block: number;
  rx: number;
  tx: number;
}
/** Buffers of closed links, reused by the next link of the same Datapath (the arena never frees). */
const FREE_BLOCKS = new WeakMap<Datapath, Blocks[]>();

export class Link {
  private readonly x: LinkExports;
  private readonly sock: Socket;
  private readonly blocks: Blocks;
  private readonly removeStage: () => void;
  private readonly poller: Poller;
  private readonly statBase: number;
  private readonly dstPort: number;
  private readonly remotePort: number | undefined;
  private readonly gone: number;
  /** Staged RX records: [rxRead, rxOff) bytes of the RX buffer, rxN of them. */
  private rxRead = 0;
  private rxOff = 0;
  private rxN = 0;
  private txErrors = 0;
  private rxOverflow = 0;
  private lastError: string | undefined;
  private closed = false;
  private u8: Uint8Array;
  private dv: DataView;

  private constructor(
    private readonly dp: Datapath,
    readonly device: Device,
    readonly spec: LinkSpec,
    sock: Socket,
    blocks: Blocks,
    private readonly onClose: () => void,
  ) {
    this.x = dp.fastPath.exports as unknown as LinkExports;
    this.sock = sock;
    this.blocks = blocks;
    this.statBase = blocks.block + dp.fastPath.global('LINK_STATS');
    this.dstPort = spec.type === 'udp' ? spec.remotePort : (spec.dstport ?? (spec.type === 'vxlan' ? VXLAN_PORT : GENEVE_PORT));
    this.remotePort = spec.type === 'udp' ? spec.remotePort : undefined;
    this.gone = dp.fastPath.global('LINK_GONE') >>> 0;
    this.u8 = dp.memory.bytes();
    this.dv = dp.memory.view();
    this.poller = Poller.of(dp);
    this.removeStage = this.poller.addStage(() => this.pump());
    sock.on('message', (msg, rinfo) => this.receive(msg, rinfo));
    // Send failures (a full socket buffer libuv could not queue, an unreachable underlay) are counted,
    // never thrown: the data path keeps going, as a NIC whose wire is down.
    sock.on('error', (e) => {
      this.txErrors++;
      this.lastError = e.message;
    });
  }

  /** @internal Device.attachLink opens links. */
  static async open(dp: Datapath, device: Device, spec: LinkSpec, onClose: () => void): Promise<Link> {
    spec = parseLinkSpec(spec, `device ${device.name}`);
    const x = dp.fastPath.exports as unknown as LinkExports;
    const pool = FREE_BLOCKS.get(dp) ?? [];
    FREE_BLOCKS.set(dp, pool);
    let blocks = pool.pop();
    if (!blocks) {
      const size = dp.fastPath.global('LINK_BLOCK_SIZE');
      const block = x.arena_alloc(size, 64) >>> 0;
      const rx = block && x.arena_alloc(RX_BUFFER, 64) >>> 0;
      const tx = rx && x.arena_alloc(TX_BUFFER, 64) >>> 0;
      if (!tx) throw new WxdpError('USAGE', `device ${device.name}: no memory for the link's buffers (${dp.memory.limitReached()})`);
      blocks = { block, rx, tx };
    }
    const [min, max] = spec.type === 'geneve' ? GENEVE_PORT_RANGE : VXLAN_PORT_RANGE;
    const vni = spec.type === 'udp' ? 0 : spec.vni;
    if (x.link_init(blocks.block, KINDS[spec.type], vni, device.address, min, max, randomInt(0x100000000) >>> 0) === 0) {
      pool.push(blocks);
      throw new WxdpError('USAGE', `device ${device.name}: the fast path refused the link (vni ${vni})`);
    }
    const localPort = spec.type === 'udp' ? spec.port : (spec.port ?? spec.dstport ?? (spec.type === 'vxlan' ? VXLAN_PORT : GENEVE_PORT));
    const sock = createSocket({ type: isIP(spec.local) === 6 ? 'udp6' : 'udp4', recvBufferSize: 1 << 21, sendBufferSize: 1 << 21 });
    try {
      await new Promise<void>((resolve, reject) => {
        sock.once('error', reject);
        sock.bind({ address: spec.local, port: localPort, exclusive: true }, () => {
          sock.off('error', reject);
          resolve();
        });
      });
    } catch (e) {
      pool.push(blocks);
      sock.close();
      // libuv's codes are the negated errno on Linux: EADDRINUSE, EADDRNOTAVAIL (local is no address of this host)…
      const err = e as NodeJS.ErrnoException;
      throw new SocketError('bind', err.errno ?? -22, `${spec.local}:${localPort} (device ${device.name}, ${spec.type} link)`);
    }
    return new Link(dp, device, spec, sock, blocks, onClose);
  }

  /** The socket's bound address and port. */
  address(): { address: string; port: number } {
    const a = this.sock.address();
    return { address: a.address, port: a.port };
  }

  private refresh(): void {
    const buf = this.dp.memory.memory.buffer;
    if (this.u8.buffer !== buf) {
      this.u8 = new Uint8Array(buf);
      this.dv = new DataView(buf);
    }
  }

  private receive(msg: Buffer, rinfo: RemoteInfo): void {
    if (this.closed) return;
    const len = Math.min(msg.length, MAX_DATAGRAM);
    const rec = (8 + len + 3) & ~3;
    if (this.rxOff + rec > RX_BUFFER) {
      // The buffer is full: let the data path take what waits (the poll empties the RX ring, the stage
      // refills it from the buffer), then move what still waits to the front.
      this.poller.run();
      if (this.closed) return;
      this.compactRx();
      if (this.rxOff + rec > RX_BUFFER) {
        this.rxOverflow++;
        return;
      }
    }
    this.refresh();
    const at = this.blocks.rx + this.rxOff;
    const fromRemote = rinfo.address === this.spec.remote && (this.remotePort === undefined || rinfo.port === this.remotePort);
    this.dv.setUint32(at, len, true);
    this.dv.setUint32(at + 4, fromRemote ? 1 : 0, true);
    this.u8.set(len === msg.length ? msg : msg.subarray(0, len), at + 8);
    this.rxOff += rec;
    if (this.rxN++ === 0) this.poller.kick();
  }

  private compactRx(): void {
    if (this.rxRead === 0) return;
    this.refresh();
    this.u8.copyWithin(this.blocks.rx, this.blocks.rx + this.rxRead, this.blocks.rx + this.rxOff);
    this.rxOff -= this.rxRead;
    this.rxRead = 0;
  }

  /** Staged datagrams through the fast path, as many as the device's RX ring takes; returns how many. */
  private flushRx(): number {
    if (this.rxN === 0) return 0;
    const k = this.x.link_rx(this.blocks.block, this.blocks.rx + this.rxRead, this.rxN) >>> 0;
    if (k === this.gone) {
      this.deviceGone();
      return 0;
    }
    this.rxN -= k;
    if (this.rxN === 0) {
      this.rxRead = 0;
      this.rxOff = 0;
    } else {
      this.refresh();
      for (let i = 0; i < k; i++) this.rxRead += (8 + this.dv.getUint32(this.blocks.rx + this.rxRead, true) + 3) & ~3;
    }
    return k;
  }

  /** The poller's stage: staged datagrams in, transmitted frames out. Returns the work done. */
  private pump(): number {
    if (this.closed) return 0;
    let work = this.flushRx();
    // Bounded: each round drains up to TX_BUFFER bytes; a ring that keeps refilling waits for the next run.
    for (let round = 0; round < 8; round++) {
      const n = this.x.link_tx(this.blocks.block, this.blocks.tx, TX_BUFFER) >>> 0;
      if (n === this.gone) {
        this.deviceGone();
        return work;
      }
      if (n === 0) break;
      work += n;
      this.refresh();
      const off = this.blocks.tx;
      let end = off;
      for (let i = 0; i < n; i++) end += (8 + this.dv.getUint32(end, true) + 3) & ~3;
      // One copy out of wasm memory per burst: a send that libuv must queue keeps its bytes, and the
      // next burst reuses the TX buffer.
      const out = Buffer.from(this.u8.subarray(off, end));
      let at = 0;
      for (let i = 0; i < n; i++) {
        const len = out.readUInt32LE(at);
        this.sock.send(out.subarray(at + 8, at + 8 + len), this.dstPort, this.spec.remote);
        at += (8 + len + 3) & ~3;
      }
    }
    return work;
  }

  /** The device was deleted under the link (ip link del): nothing more moves; the socket is closed. */
  private deviceGone(): void {
    this.rxN = 0;
    this.rxRead = 0;
    this.rxOff = 0;
    void this.close();
  }

  /** The outer UDP source port Linux's udp_flow_src_port gives `frame` on this link (the fast path's computation). */
  sourcePort(frame: Uint8Array): number {
    const n = Math.min(frame.length, TX_BUFFER);
    this.refresh();
    this.u8.set(frame.subarray(0, n), this.blocks.tx);
    return this.x.link_src_port(this.blocks.block, this.blocks.tx, n);
  }

  /** @internal udp_flow_src_port's scaling of a given flow hash (tests compare it with the kernel's formula). */
  portOfHash(hash: number): number {
    return this.x.link_port_of_hash(this.blocks.block, hash >>> 0);
  }

  stats(): LinkStats {
    this.refresh();
    const at = (name: string) => Number(this.dv.getBigUint64(this.statBase + this.dp.fastPath.global(`LSTAT_${name}`) * 8, true));
    const errors = Object.fromEntries(LINK_ERROR_REASONS.map((r) => [r, at(r)])) as Record<LinkErrorReason, number>;
    const s: LinkStats = {
      rxDatagrams: at('RX_DATAGRAMS'),
      rxPackets: at('RX_PACKETS'),
      rxBytes: at('RX_BYTES'),
      txPackets: at('TX_PACKETS'),
      txBytes: at('TX_BYTES'),
      rxDropped: at('RX_DROPPED'),
      rxOverflow: this.rxOverflow,
      txErrors: this.txErrors,
      errors,
    };
    if (this.lastError !== undefined) s.lastError = this.lastError;
    return s;
  }

  /** Stop: the socket closed (the process may exit), the stage removed, the buffers kept for the next link. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.removeStage();
    this.onClose();
    await new Promise<void>((resolve) => this.sock.close(() => resolve()));
    FREE_BLOCKS.get(this.dp)?.push(this.blocks);
  }
}
