// The iproute2-syntax front end: `ip` command lines and `ip -batch` text parsed into the specs of
// net_types.ts and applied through dp.links / dp.addresses / dp.routes / dp.rules / dp.neigh.
// STUB: filled in by the stage that owns this folder.

import type { Datapath } from '../datapath.js';

export interface IpResult {
  /** What `ip` prints on stdout (text, or JSON with -j). */
  stdout: string;
}

export function ipCommand(_dp: Datapath, _line: string): IpResult {
  throw new Error('ip front end not built yet');
}
