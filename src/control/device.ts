// Devices of the data path (assembly/device.ts, napi.ts): what a Node service sees of a NIC. A device
// has queues, each with fill / RX / TX / completion rings in the shared memory; frames are injected
// from JS (the wire's side of RX), the NAPI poll runs the attached XDP program over them, and what it
// transmitted or passed to the host is read back here.
//
//   dp.addDevice({ name, queues, mac, mtu }) ─▶ dev_create (rings, fill rings stocked from the UMEM pool)
//   inject / injectBatch ─▶ dev_rx (fill ring → frame → RX ring; too short, too long: counted drops)
//   poll ─▶ napi_poll: program via the table ─▶ TX ring │ host ring │ other device │ socket │ fill ring
//   readTx / readHost ─▶ copies out, frames back (completion ring → fill ring, host → pool)

import { WxdpError } from '../errors.js';
import { macBytes } from './addresses.js';
import { JitProgram } from '../jit/index.js';
import { EXPORT_BURST } from '../jit/abi.js';
import { rssConfigure, rssRead, toeplitzHash, type RssConfig, type RssOptions } from './rss.js';
import {
  DEV,
  DP_TRACE,
  DROP_REASONS,
  NAPI_BUDGET,
  Q,
  QSTAT,
  QUEUE_SIZE,
  TRACE_EVENT_SIZE,
  TRACE_SLOTS,
  XDP_ACTIONS,
  type DropReason,
  type EngineMemory,
} from '../runtime/memory.js';
import type { FastPath } from '../runtime/fastpath.js';
import { Ring } from './ring.js';
import { Link, type LinkSpec } from './link.js';
import { AttachError } from './sk_programs.js';
import type { Datapath, Program } from './datapath.js';

export interface DeviceOptions {
  name: string;
  /** RX/TX queue pairs (default 1). */
  queues?: number;
  /** "02:00:00:00:00:01" or 6 bytes (default: a locally administered address from the ifindex). */
  mac?: string | Uint8Array;
  /** Default 1500. Frames longer than MTU + 14 are dropped at receive (PKT_TOO_BIG). */
  mtu?: number;
  /** Entries of each fill / RX / TX / completion ring (a power of two, default 256). */
  ringSize?: number;
  /**
   * Entries of the host ring (XDP_PASS on a device the stack does not run), default 256: a quarter of the
   * default UMEM, so a ring nobody reads fills and counts HOST_RING_FULL while the other frames keep
   * moving, instead of holding every frame of the pool (then each injected frame would be NO_BUFFER).
   */
  hostRingSize?: number;
  /** The ifindex (`ip link add ... index N`), 2..MAX_DEVICES-1; default: the next free one. */
  ifindex?: number;
  /**
   * Receive-side scaling (src/control/rss.ts): frames injected without a queue go to the queue the
   * Toeplitz hash picks. Default: on for a device with several queues on a Datapath with workers.
   */
  rss?: boolean | RssOptions;
}

export interface InjectOptions {
  /** The RX queue (default: the one RSS picks when the device has RSS, else 0). */
  queue?: number;
}

export interface PollOptions {
  /** Frames per queue in this poll (default 64, NAPI's). */
  budget?: number;
  /** Only this queue (default: every queue of the device). */
  queue?: number;
}

/** A frame read back from a TX or host ring. */
export interface OutFrame {
  data: Uint8Array;
  /** Metadata in front of the data (bpf_xdp_adjust_meta), if any. */
  meta: Uint8Array;
  queue: number;
}

export type VerdictCounts = Record<(typeof XDP_ACTIONS)[number] | 'XDP_INVALID', number>;

export interface QueueStats {
  rxPackets: number;
  rxBytes: number;
  txPackets: number;
  txBytes: number;
  verdicts: VerdictCounts;
  /** Drops by reason (every reason present, 0 when none). */
  drops: Record<DropReason, number>;
}

export interface DeviceStats extends QueueStats {
  queues: QueueStats[];
}

/** What dp.removeDevice found: the device's last counters, and the frames still on its rings then. */
export interface DeviceRemoval {
  stats: DeviceStats;
  /** Received and not yet polled (RX rings), queued to transmit and not yet sent (TX rings), passed and not yet read (host ring). */
  lost: { rx: number; tx: number; host: number };
}

/** An XDP_ABORTED (or invalid action) event. */
export interface TraceEvent {
  ifindex: number;
  queue: number;
  action: number;
  /** Table slot of the program that returned it. */
  programSlot: number;
}

type I = number;
/** The fast path's data-path exports. */
export interface DataPathExports {
  dp_init(frames: I): I;
  dev_create(ifindex: I, nqueues: I, mtu: I, ringSize: I, hostRingSize: I): I;
  dev_set_peer(dev: I, peer: I): void;
  dev_destroy(dev: I): void;
  dev_unlist(dev: I): void;
  dev_attach(dev: I, slot: I, burst: I): void;
  dev_rx(dev: I, q: I, src: I, len: I): I;
  dev_rx_batch(dev: I, q: I, buf: I, n: I): I;
  dev_rx_rss(dev: I, src: I, len: I): I;
  dev_rx_batch_rss(dev: I, buf: I, n: I): I;
  dev_rx_replay(dev: I, q: I, len: I, n: I): I;
  dev_tx_done(dev: I, q: I, n: I): void;
  dev_host_done(dev: I, n: I): void;
  napi_poll(dev: I, q: I, budget: I): I;
  dp_poll(budget: I): I;
  dp_pool_free(): I;
  xsk_create(id: I, ifindex: I, queue: I, frames: I, ringSize: I): I;
  xsk_close(id: I): void;
  xsk_tx(id: I, budget: I): I;
  xsk_unbind_device(ifindex: I): I;
  cpumap_forget_device(ifindex: I): I;
  arena_alloc(size: I, align: I): I;
}

export function dataPathExports(fp: FastPath): DataPathExports {
  return fp.exports as unknown as DataPathExports;
}

/** MTU bounds of a ring device: ETH_MIN_MTU, and what a 4 KiB frame holds after headroom, shared info and a tagged Ethernet header. */
export const DEVICE_MIN_MTU = 68;
export const DEVICE_MAX_MTU = 4096 - 256 - 320 - 18;

/** Bytes of the buffer frames are staged in on their way to dev_rx / dev_rx_batch. */
export const INJECT_BUFFER_SIZE = 1 << 16;

function parseMac(mac: string | Uint8Array): Uint8Array {
  if (mac instanceof Uint8Array) {
    if (mac.length !== 6) throw new WxdpError('USAGE', `a MAC address has 6 bytes, not ${mac.length}`);
    return mac;
  }
  return macBytes(mac);
}

function zeroStats(): QueueStats {
  return {
    rxPackets: 0,
    rxBytes: 0,
    txPackets: 0,
    txBytes: 0,
    verdicts: { XDP_ABORTED: 0, XDP_DROP: 0, XDP_PASS: 0, XDP_TX: 0, XDP_REDIRECT: 0, XDP_INVALID: 0 },
    drops: Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as Record<DropReason, number>,
  };
}

export class Device {
  private _name: string;
  readonly ifindex: number;
  readonly queues: number;
  /** The device's address in the shared memory. */
  readonly address: number;
  private attached: Program | undefined;
  private _link: Link | undefined;
  private linking = false;
  private removal: DeviceRemoval | undefined;

  /** @internal dp.removeDevice: the device is gone; what it found is kept for stats() and removed. */
  markRemoved(r: DeviceRemoval): void {
    this.removal = r;
    this.attached = undefined;
  }

  /** What removing the device found (dp.removeDevice), undefined while it is present. */
  get removed(): DeviceRemoval | undefined {
    return this.removal;
  }

  private assertPresent(): void {
    if (this.removal) throw new WxdpError('USAGE', `device ${this.name} was removed`);
  }

  /** @internal The frames waiting on the rings now: received and not polled, queued to transmit, passed and not read. */
  waiting(): { rx: number; tx: number; host: number } {
    let rx = 0;
    let tx = 0;
    for (let q = 0; q < this.queues; q++) {
      const r = this.rings(q);
      rx += r.rx.available();
      tx += r.tx.available();
    }
    return { rx, tx, host: this.hostRing().available() };
  }
  private readonly x: DataPathExports;
  private readonly mem: EngineMemory;

  /** @internal Datapath.addDevice creates devices. */
  constructor(
    private readonly dp: Datapath,
    opts: DeviceOptions,
    ifindex: number,
    private readonly injectBuf: number,
  ) {
    this._name = opts.name;
    this.ifindex = ifindex;
    this.queues = opts.queues ?? 1;
    const mtu = opts.mtu ?? 1500;
    const mac = parseMac(opts.mac ?? Uint8Array.of(0x02, 0, 0, 0, (ifindex >> 8) & 0xff, ifindex & 0xff));
    this.x = dataPathExports(dp.fastPath);
    this.mem = dp.memory;
    const ringSize = opts.ringSize ?? 256;
    if (!Number.isInteger(this.queues) || this.queues < 1 || this.queues > 64) throw new WxdpError('USAGE', `device ${this.name}: queues must be 1..64, not ${this.queues}`);
    if (!Number.isInteger(ringSize) || ringSize < 2 || (ringSize & (ringSize - 1)) !== 0) {
      throw new WxdpError('USAGE', `device ${this.name}: ringSize must be a power of two, not ${ringSize}`);
    }
    const r = this.x.dev_create(ifindex, this.queues, mtu, ringSize, opts.hostRingSize ?? 256);
    if (r === -22) throw new WxdpError('USAGE', `device ${this.name}: MTU ${mtu} must be ${DEVICE_MIN_MTU}..${DEVICE_MAX_MTU}`);
    if (r < 0) throw new WxdpError('USAGE', `device ${this.name}: cannot create it (errno ${-r}${r === -12 ? `: ${this.mem.limitReached()}` : ''})`);
    this.address = r >>> 0;
    this.mem.bytes().set(mac, this.address + DEV.MAC);
    const rss = opts.rss ?? (dp.workers !== undefined && this.queues > 1);
    if (rss !== false) this.setRss(rss === true ? {} : rss);
  }

  private rssOn = false;

  /** Turn RSS on (or change its key, indirection table, hashed fields). Returns what is set. */
  setRss(opts: RssOptions = {}): RssConfig {
    const c = rssConfigure(this.dp.fastPath, this.name, this.address, this.queues, opts);
    this.rssOn = true;
    return c;
  }

  /** The device's RSS key, indirection table and fields (undefined: no RSS). */
  get rss(): RssConfig | undefined {
    return rssRead(this.mem, this.address);
  }

  /** The Toeplitz hash of `input` under this device's RSS key (the specification's input: addresses, then ports). */
  rssHash(input: Uint8Array): number {
    const c = this.rss;
    if (!c) throw new WxdpError('USAGE', `device ${this.name} has no RSS`);
    return toeplitzHash(this.dp.fastPath, c.key, input, this.injectBuf);
  }

  /** The device's name (`ip link set NAME name NEW` renames it through dp.links). */
  get name(): string {
    return this._name;
  }

  /** Frames longer than MTU + 14 are dropped at receive (PKT_TOO_BIG). */
  get mtu(): number {
    return this.mem.view().getUint32(this.address + DEV.MTU, true);
  }

  /** The device's MAC address (a copy). */
  get mac(): Uint8Array {
    return this.mem.bytes().slice(this.address + DEV.MAC, this.address + DEV.MAC + 6);
  }

  /** @internal dp.links renames, re-sizes and re-addresses devices (the stack's record changes with them). */
  setName(name: string): void {
    this._name = name;
  }

  /** @internal */
  setMtu(mtu: number): void {
    if (!Number.isInteger(mtu) || mtu < DEVICE_MIN_MTU || mtu > DEVICE_MAX_MTU) throw new WxdpError('USAGE', `device ${this.name}: MTU ${mtu} must be ${DEVICE_MIN_MTU}..${DEVICE_MAX_MTU}`);
    this.mem.view().setUint32(this.address + DEV.MTU, mtu, true);
  }

  /** @internal */
  setMac(mac: Uint8Array): void {
    this.mem.bytes().set(parseMac(mac), this.address + DEV.MAC);
  }

  /** The attached program, if any. */
  get program(): Program | undefined {
    return this.attached;
  }

  /**
   * Attach an XDP program, or replace the attached one. The switch is one store the poll reads once
   * per burst: every frame runs entirely under the old program or entirely under the new one. A program
   * of another Datapath is refused (WxdpError PROG_ATTACH).
   */
  attachXdp(program: Program): void {
    this.assertPresent();
    this.dp.assertOwnProgram(program, `device ${this.name}`);
    if (!(program.engine instanceof JitProgram)) {
      throw new WxdpError('USAGE', `program ${program.name}: only JIT'd programs attach to a device (load it with engine 'jit')`);
    }
    // dev_xdp_attach's checks (6.18.44, bpf_xdp_attach in driver mode on a veth: each EINVAL): a program
    // loaded device-bound for another device, a devmap or cpumap entry program
    if (program.devBound !== undefined && program.devBound !== this.ifindex) {
      throw new AttachError('EINVAL', `device ${this.name}: program ${program.name}: Program bound to different device`);
    }
    const at = program.spec.attachType;
    if (at === 'xdp_devmap' || at === 'xdp_cpumap') {
      throw new AttachError('EINVAL', `device ${this.name}: program ${program.name}: BPF_XDP_${at === 'xdp_devmap' ? 'DEVMAP' : 'CPUMAP'} programs can not be attached to a device`);
    }
    const slot = program.fd;
    const burst = this.dp.dispatch === 'burst' ? program.engine.burstTableIndex : 0;
    if (burst !== 0) this.dp.workers?.install(program, [[EXPORT_BURST, burst]]);
    this.attached = program;
    this.x.dev_attach(this.address, slot, burst);
  }

  /** Detach the program: frames then go to the host, as with no XDP program. */
  detachXdp(): void {
    this.assertPresent();
    this.attached = undefined;
    this.x.dev_attach(this.address, 0, 0);
  }

  /** The link carrying this device's frames to a real network (attachLink), if any. */
  get link(): Link | undefined {
    return this._link;
  }

  /**
   * Back the device with a link (src/control/link.ts): a VXLAN or GENEVE tunnel to a Linux interface, or
   * frames in UDP datagrams to another wxdp process. What arrives on the link's socket is received on
   * the device; what the device transmits leaves by the socket. One link per device.
   */
  async attachLink(spec: LinkSpec): Promise<Link> {
    if (this._link || this.linking) throw new WxdpError('USAGE', `device ${this.name} has a link already (detachLink first)`);
    this.linking = true;
    try {
      // dp.close() closes the link too (its socket would keep the process alive)
      let removeCloser = (): void => {};
      const link = await Link.open(this.dp, this, spec, () => {
        if (this._link === link) this._link = undefined;
        removeCloser();
      });
      removeCloser = this.dp.onClose(() => link.close());
      this._link = link;
      return link;
    } finally {
      this.linking = false;
    }
  }

  /** Close the device's link (its socket released); nothing when it has none. */
  async detachLink(): Promise<void> {
    await this._link?.close();
  }

  private queueIndex(queue: number | undefined): number {
    const q = queue ?? 0;
    if (!Number.isInteger(q) || q < 0 || q >= this.queues) throw new WxdpError('USAGE', `device ${this.name} has no queue ${q}`);
    return q;
  }

  private queueAddr(q: number): number {
    return this.address + DEV.HEADER_SIZE + q * QUEUE_SIZE;
  }

  /** A queue's rings (fill, rx, tx, completion), for inspection and user-space drivers. */
  rings(queue = 0): { fill: Ring; rx: Ring; tx: Ring; completion: Ring } {
    const q = this.queueAddr(this.queueIndex(queue));
    const v = this.mem.view();
    const at = (off: number) => new Ring(this.mem, v.getUint32(q + off, true));
    return { fill: at(Q.FILL), rx: at(Q.RX), tx: at(Q.TX), completion: at(Q.COMP) };
  }

  /** The ring XDP_PASS frames wait on until readHost() takes them. */
  hostRing(): Ring {
    return new Ring(this.mem, this.mem.view().getUint32(this.address + DEV.HOST_RING, true));
  }

  /**
   * A frame arrives on `queue` (default 0): it takes a frame from the fill ring and waits on the RX
   * ring for the next poll. Returns false when it was dropped (stats() says why).
   */
  inject(frame: Uint8Array, opts: InjectOptions = {}): boolean {
    this.assertPresent();
    const rss = opts.queue === undefined && this.rssOn;
    const q = rss ? 0 : this.queueIndex(opts.queue);
    // Past the buffer only the length matters: such a frame is over any MTU and dropped unread.
    this.mem.bytes().set(frame.length <= INJECT_BUFFER_SIZE ? frame : frame.subarray(0, INJECT_BUFFER_SIZE), this.injectBuf);
    if (rss) return this.x.dev_rx_rss(this.address, this.injectBuf, frame.length) === 1;
    return this.x.dev_rx(this.address, q, this.injectBuf, frame.length) === 1;
  }

  /** Several frames on one queue, staged together (one call into the fast path per 64 KiB). Returns how many were queued. */
  injectBatch(frames: readonly Uint8Array[], opts: InjectOptions = {}): number {
    this.assertPresent();
    const rss = opts.queue === undefined && this.rssOn;
    const q = rss ? 0 : this.queueIndex(opts.queue);
    let queued = 0;
    let bytes = this.mem.bytes();
    let view = this.mem.view();
    let off = 0;
    let n = 0;
    const flush = () => {
      if (n > 0) queued += rss ? this.x.dev_rx_batch_rss(this.address, this.injectBuf, n) : this.x.dev_rx_batch(this.address, q, this.injectBuf, n);
      bytes = this.mem.bytes();
      view = this.mem.view();
      off = 0;
      n = 0;
    };
    for (const f of frames) {
      if (f.length > INJECT_BUFFER_SIZE - 4) {
        flush();
        if (this.inject(f, rss ? {} : { queue: q })) queued++;
        continue;
      }
      const rec = (4 + f.length + 3) & ~3;
      if (off + rec > INJECT_BUFFER_SIZE) flush();
      view.setUint32(this.injectBuf + off, f.length, true);
      bytes.set(f, this.injectBuf + off + 4);
      off += rec;
      n++;
    }
    flush();
    return queued;
  }

  /** Run NAPI on this device: every queue (or one) up to `budget` frames. Returns frames processed. */
  poll(opts: PollOptions = {}): number {
    const budget = opts.budget ?? NAPI_BUDGET;
    if (!Number.isInteger(budget) || budget < 1) throw new WxdpError('USAGE', `budget must be a positive integer, not ${budget}`);
    this.dp.bindAttachedRegions();
    if (opts.queue !== undefined) return this.x.napi_poll(this.address, this.queueIndex(opts.queue), budget);
    let n = 0;
    for (let q = 0; q < this.queues; q++) n += this.x.napi_poll(this.address, q, budget);
    return n;
  }

  /**
   * Take what the device transmitted (XDP_TX, redirects to it, socket sends): frames copied out, in
   * order, per queue; their buffers go through the completion ring back to the fill ring.
   */
  readTx(opts: { queue?: number; max?: number } = {}): OutFrame[] {
    const out: OutFrame[] = [];
    const queues = opts.queue === undefined ? [...Array(this.queues).keys()] : [this.queueIndex(opts.queue)];
    for (const q of queues) {
      const tx = this.rings(q).tx;
      const n = tx.peek(opts.max ?? Infinity);
      const c = tx.consumer;
      for (let i = 0; i < n; i++) out.push({ ...this.copyOut(tx.desc(c + i)), queue: q });
      this.x.dev_tx_done(this.address, q, n);
    }
    return out;
  }

  /**
   * Take what the program passed to the host (XDP_PASS on a device the stack does not run), frames copied
   * out, buffers freed; `{ max }` as readTx takes it (a bare number is the same max).
   */
  readHost(opts: { max?: number } | number = {}): OutFrame[] {
    const max = typeof opts === 'number' ? opts : (opts.max ?? Infinity);
    if (max !== Infinity && !(Number.isInteger(max) && max >= 0)) throw new WxdpError('USAGE', `${this.name}: readHost max must be a whole number >= 0, not ${max}`);
    const ring = this.hostRing();
    const n = ring.peek(max);
    const c = ring.consumer;
    const out: OutFrame[] = [];
    for (let i = 0; i < n; i++) out.push({ ...this.copyOut(ring.desc(c + i)), queue: -1 });
    this.x.dev_host_done(this.address, n);
    return out;
  }

  private copyOut(d: { addr: number; len: number; options: number }): { data: Uint8Array; meta: Uint8Array } {
    const bytes = this.mem.bytes();
    const metaLen = d.options & 0xff;
    return { data: bytes.slice(d.addr, d.addr + d.len), meta: bytes.slice(d.addr - metaLen, d.addr) };
  }

  /** Counters of one queue. */
  queueStats(queue: number): QueueStats {
    const base = this.queueAddr(this.queueIndex(queue)) + Q.STATS;
    const v = this.mem.view();
    const at = (i: number) => Number(v.getBigUint64(base + i * 8, true));
    const s = zeroStats();
    s.rxPackets = at(QSTAT.RX_PACKETS);
    s.rxBytes = at(QSTAT.RX_BYTES);
    s.txPackets = at(QSTAT.TX_PACKETS);
    s.txBytes = at(QSTAT.TX_BYTES);
    XDP_ACTIONS.forEach((a, i) => (s.verdicts[a] = at(QSTAT.XDP_ABORTED + i)));
    s.verdicts.XDP_INVALID = at(QSTAT.XDP_INVALID);
    DROP_REASONS.forEach((r, i) => (s.drops[r] = at(QSTAT.DROP_BASE + i)));
    return s;
  }

  /** Counters: the device's totals and each queue's. */
  stats(): DeviceStats {
    if (this.removal) return this.removal.stats;
    const queues = [...Array(this.queues).keys()].map((q) => this.queueStats(q));
    const total = zeroStats();
    for (const s of queues) {
      total.rxPackets += s.rxPackets;
      total.rxBytes += s.rxBytes;
      total.txPackets += s.txPackets;
      total.txBytes += s.txBytes;
      for (const k of Object.keys(s.verdicts) as (keyof VerdictCounts)[]) total.verdicts[k] += s.verdicts[k];
      for (const r of DROP_REASONS) total.drops[r] += s.drops[r];
    }
    return { ...total, queues };
  }
}

/** The last TRACE_SLOTS trace events (XDP_ABORTED and invalid actions), oldest first. */
export function readTraceEvents(mem: EngineMemory): TraceEvent[] {
  const v = mem.view();
  const written = v.getUint32(DP_TRACE, true);
  const out: TraceEvent[] = [];
  for (let w = Math.max(0, written - TRACE_SLOTS); w < written; w++) {
    const e = DP_TRACE + 4 + (w % TRACE_SLOTS) * TRACE_EVENT_SIZE;
    out.push({ ifindex: v.getUint32(e, true), queue: v.getUint32(e + 4, true), action: v.getUint32(e + 8, true), programSlot: v.getUint32(e + 12, true) });
  }
  return out;
}
