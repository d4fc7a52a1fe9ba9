// Neighbours: dp.neigh (ip neigh).
// STUB: filled in by the stage that owns this file.

import type { Datapath } from './datapath.js';

export class Neighbours {
  constructor(readonly dp: Datapath) {}
}
