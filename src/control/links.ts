// Links: dp.links (ip link): loopback, ring devices, dummy, veth, VLAN sub-devices; up/down, MTU, MAC.
// STUB: filled in by the stage that owns this file. ifindex()/name() are the contract other tables use.

import type { Datapath } from './datapath.js';
import { NetError } from './net_types.js';

export class Links {
  constructor(readonly dp: Datapath) {}

  /** The ifindex of link `name`; NetError ENODEV `Cannot find device "NAME"` when there is none. */
  ifindex(name: string): number {
    throw new NetError('ENODEV', `Cannot find device "${name}"`);
  }

  /** The name of link `ifindex`, undefined when there is none. */
  name(_ifindex: number): string | undefined {
    return undefined;
  }
}
