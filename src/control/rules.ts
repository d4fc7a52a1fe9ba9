// Policy rules: dp.rules (ip rule), with the kernel's default rules.
// STUB: filled in by the stage that owns this file.

import type { Datapath } from './datapath.js';

export class Rules {
  constructor(readonly dp: Datapath) {}
}
