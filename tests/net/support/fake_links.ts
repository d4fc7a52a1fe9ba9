// Network devices for FIB tests while dp.links has no way to create them yet (the links stage lands in
// parallel): a netdev record per device written as assembly/net/abi.ts lays it out (ND_*), published
// with netdevPublish, and dp.links.ifindex()/name() answered from the same list. Once dp.links can
// create devices, tests should use it instead.

import type { Datapath } from '../../../src/control/datapath.js';
import { NetError } from '../../../src/control/net_types.js';
import { CONF4, CONF6, IFF, ND, NETDEV_SIZE } from '../../../src/runtime/net_abi.js';

export interface FakeDev {
  name: string;
  ifindex: number;
  mac?: Uint8Array;
  mtu?: number;
  up?: boolean;
  forwarding4?: boolean;
  forwarding6?: boolean;
}

interface Exports {
  fib_alloc(size: number): number;
  netdevPublish(ifindex: number, rec: number): void;
  netdev_get(ifindex: number): number;
}

export class FakeLinks {
  private readonly byName = new Map<string, number>();
  private readonly byIndex = new Map<number, string>();

  constructor(readonly dp: Datapath) {
    const links = dp.links as unknown as { ifindex(n: string): number; name(i: number): string | undefined };
    links.ifindex = (n: string): number => {
      const i = this.byName.get(n);
      if (i === undefined) throw new NetError('ENODEV', `Cannot find device "${n}"`);
      return i;
    };
    links.name = (i: number): string | undefined => this.byIndex.get(i);
  }

  private get x(): Exports {
    return this.dp.stack.exports<Exports>();
  }

  add(d: FakeDev): void {
    const rec = this.x.fib_alloc(NETDEV_SIZE) >>> 0;
    this.byName.set(d.name, d.ifindex);
    this.byIndex.set(d.ifindex, d.name);
    this.x.netdevPublish(d.ifindex, rec);
    this.write(rec, d);
  }

  set(name: string, change: Partial<FakeDev>): void {
    const i = this.byName.get(name)!;
    const rec = this.x.netdev_get(i) >>> 0;
    const v = this.dp.memory.view();
    if (change.up !== undefined) v.setUint32(rec + ND.FLAGS, change.up ? IFF.UP | IFF.BROADCAST | IFF.MULTICAST | IFF.RUNNING | IFF.LOWER_UP : IFF.BROADCAST | IFF.MULTICAST, true);
    if (change.forwarding4 !== undefined) v.setUint32(rec + ND.CONF4 + CONF4.FORWARDING * 4, change.forwarding4 ? 1 : 0, true);
    if (change.forwarding6 !== undefined) v.setUint32(rec + ND.CONF6 + CONF6.FORWARDING * 4, change.forwarding6 ? 1 : 0, true);
    if (change.mtu !== undefined) {
      v.setUint32(rec + ND.MTU, change.mtu, true);
      v.setUint32(rec + ND.CONF6 + CONF6.MTU * 4, change.mtu, true);
    }
  }

  private write(rec: number, d: FakeDev): void {
    const v = this.dp.memory.view();
    v.setUint32(rec + ND.IFINDEX, d.ifindex, true);
    const mtu = d.mtu ?? 1500;
    v.setUint32(rec + ND.MTU, mtu, true);
    new Uint8Array(v.buffer, v.byteOffset + rec + ND.MAC, 6).set(d.mac ?? new Uint8Array(6));
    v.setUint32(rec + ND.CONF6 + CONF6.MTU * 4, mtu, true);
    this.set(d.name, { up: d.up ?? true, forwarding4: d.forwarding4 ?? false, forwarding6: d.forwarding6 ?? false });
  }
}
