// A wire between two Datapaths: a veth-like pair made of a ring device of each. What one end
// transmits (its TX ring: stack output, XDP_TX, redirects) arrives on the other end's RX ring, in
// order, as the frame left; the receiving Datapath's poller is kicked to take it in.
//
//   dpA ──devA.TX──▶ copy ──▶ devB.RX──▶ dpB        (each Datapath's poller runs the carry of its own
//   dpA ◀──devA.RX◀── copy ◀──devB.TX── dpB         side after every dp.poll, then kicks the other's)
//
// Like veth, there is no flow control: a frame the other end has no room for (empty fill ring, longer
// than its MTU) is dropped there and counted by its device (dev_rx's drop reasons). Within one
// Datapath, dp.linkPeers pairs two devices without a copy; a wire is for two memories.

import { WxdpError } from '../errors.js';
import type { Datapath } from './datapath.js';
import type { Device } from './device.js';
import { Poller } from './poller.js';

export interface WireOptions {
  /** Sees every frame the wire carries (a copy), with the end it left from: a capture point. */
  tap?: (frame: Uint8Array, from: 'a' | 'b') => void;
}

export interface WireStats {
  /** Frames carried from a to b, and how many b's device refused (ring full, too long). */
  aToB: number;
  aToBDropped: number;
  bToA: number;
  bToADropped: number;
}

interface End {
  dp: Datapath;
  dev: Device;
}

/** Devices on a wire (a device has at most one). */
const WIRED = new WeakSet<Device>();

export class Wire {
  readonly stats: WireStats = { aToB: 0, aToBDropped: 0, bToA: 0, bToADropped: 0 };
  private readonly removers: Array<() => void> = [];
  private closed = false;

  private constructor(
    readonly a: End,
    readonly b: End,
    private readonly opts: WireOptions,
  ) {
    const pa = Poller.of(a.dp);
    const pb = Poller.of(b.dp);
    this.removers.push(pa.addStage(() => this.carry('a')));
    if (pb !== pa) this.removers.push(pb.addStage(() => this.carry('b')));
    else this.removers.push(pa.addStage(() => this.carry('b')));
  }

  /**
   * Join `devA` of `a` and `devB` of `b`. Each device must belong to its Datapath and be on no other
   * wire; the two must differ.
   */
  static join(a: Datapath, devA: Device, b: Datapath, devB: Device, opts: WireOptions = {}): Wire {
    for (const [dp, dev, side] of [[a, devA, 'a'], [b, devB, 'b']] as const) {
      let owned: Device | undefined;
      try {
        owned = dp.device(dev.ifindex);
      } catch {
        owned = undefined;
      }
      if (owned !== dev) throw new WxdpError('USAGE', `wire: device ${dev.name} (end ${side}) is not a device of that Datapath`);
      if (WIRED.has(dev)) throw new WxdpError('USAGE', `wire: device ${dev.name} (end ${side}) is on a wire already`);
    }
    if (devA === devB) throw new WxdpError('USAGE', `wire: both ends are device ${devA.name}`);
    WIRED.add(devA);
    WIRED.add(devB);
    return new Wire({ dp: a, dev: devA }, { dp: b, dev: devB }, opts);
  }

  /**
   * Move what end `from` transmitted to the other end's RX ring; kicks the other end's poller when
   * something crossed. Returns frames taken off `from`'s TX ring. The pollers call this themselves.
   */
  carry(from: 'a' | 'b'): number {
    if (this.closed) return 0;
    const src = from === 'a' ? this.a : this.b;
    const dst = from === 'a' ? this.b : this.a;
    const frames = src.dev.readTx().map((f) => f.data);
    if (frames.length === 0) return 0;
    if (this.opts.tap) for (const f of frames) this.opts.tap(f, from);
    const queued = dst.dev.injectBatch(frames);
    if (from === 'a') {
      this.stats.aToB += queued;
      this.stats.aToBDropped += frames.length - queued;
    } else {
      this.stats.bToA += queued;
      this.stats.bToADropped += frames.length - queued;
    }
    if (queued > 0) Poller.of(dst.dp).kick();
    return frames.length;
  }

  /** Unplug: frames no longer cross (what waits on a TX ring stays there). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const r of this.removers) r();
    WIRED.delete(this.a.dev);
    WIRED.delete(this.b.dev);
  }
}
