// Sysctls by the kernel's names: dp.sysctl(name, value).
// STUB: filled in by the stage that owns this file.

import type { Datapath } from './datapath.js';

export class Sysctls {
  constructor(readonly dp: Datapath) {}
}
