// Routes: dp.routes (ip route): tables, route types, next hops, ECMP; get (ip route get).
// STUB: filled in by the stage that owns this file.

import type { Datapath } from './datapath.js';

export class Routes {
  constructor(readonly dp: Datapath) {}
}
