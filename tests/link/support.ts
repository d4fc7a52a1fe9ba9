// What the link tests share: an underlay between this process (the root namespace, where wxdp's socket
// lives) and a namespace holding the Linux end of a tunnel, and running programs there without blocking
// the event loop (wxdp answers from this process while `ping` waits) — bench/link.ts's, which builds the
// same topology.
//
//   this process (root netns)                         namespace wx-links-<pid>-<n>
//   wxdp socket ── HOST (198.51.100.<4k+1>/30) ══ veth ══ c0 (198.51.100.<4k+2>/30) ── vxlan/geneve dev
//
// HOST is created here with its peer moved into the namespace, so deleting the namespace (afterAll, or
// the next run's stale sweep when this one was killed) removes both ends.

import { spawnSync } from 'node:child_process';
import { rootUnderlay, type Underlay } from '../../bench/link.js';
import type { Namespaces } from '../support/netns.js';

export { runIn, type RunResult, type Underlay } from '../../bench/link.js';
export { toolMissing } from '../../bench/link_topology.js';

/** A namespace with a veth underlay to this one; `slot` (0..63) picks the /30 so files running at once differ. */
export function underlay(set: Namespaces, slot: number): Underlay {
  return rootUnderlay(set.create(), slot);
}

/** '' when this kernel makes a `kind` device (vxlan, geneve), else why not: tried in a namespace of `set`. */
export function tunnelMissing(set: Namespaces, kind: 'vxlan' | 'geneve'): string {
  const ns = set.create();
  const r = spawnSync('ip', ['-n', ns.name, 'link', 'add', 'probe0', 'type', kind, 'id', '1', 'remote', '192.0.2.9', ...(kind === 'vxlan' ? ['dstport', '4789'] : [])], { encoding: 'utf8' });
  return r.status === 0 ? '' : `this kernel makes no ${kind} device (ip link add … type ${kind}: ${r.stderr.trim()})`;
}
