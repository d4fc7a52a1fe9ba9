// Addresses: dp.addresses (ip addr), with the routes the kernel adds for them.
// STUB: filled in by the stage that owns this file.

import type { Datapath } from './datapath.js';

export class Addresses {
  constructor(readonly dp: Datapath) {}
}
