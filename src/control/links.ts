// Links: dp.links (ip link): loopback, ring devices, dummy, veth, VLAN sub-devices; up/down, MTU, MAC.
// STUB: filled in by the stage that owns this file.

import type { Datapath } from './datapath.js';

export class Links {
  constructor(readonly dp: Datapath) {}
}
