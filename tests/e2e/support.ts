// What the end-to-end tests share: namespaces of owner `e2e` (wx-e2e-<pid>-<n>, removed in afterAll
// whatever happened, and at the next run when a killed one left them), the Linux clients each file
// needs, and the topology pieces of bench/link_topology.ts (the bench and tests/link build the same).
// A file whose needs are not met registers one visibly skipped test saying why.
//
// Underlay slots (bench/link_topology.ts: the /30 in 198.51.100.0/24) by file, so files run at once:
//   ping 20, router 21-22, udp_service 23-24, up 25-26.

import { it } from 'vitest';
import type { Netns } from '../support/netns.js';
import { toolMissing } from '../../bench/link_topology.js';
import { useNamespaces, type NamespaceFixture } from '../support/netns.js';

export { rootUnderlay, runIn, runReady, vxlanClient, vxlanSpec, wxdpRouter, type RunResult, type Underlay } from '../../bench/link_topology.js';

/** Debian packages of the clients the tests run (.ci/run installs them). */
const PACKAGES: Record<string, string> = {
  ping: 'iputils-ping',
  tracepath: 'iputils-tracepath',
  traceroute: 'traceroute',
  iperf3: 'iperf3',
  socat: 'socat',
  dig: 'bind9-dnsutils',
  python3: 'python3',
};

export interface E2e extends NamespaceFixture {
  /** Why this file's tests are skipped ('' when they run). */
  why: string;
}

/** Namespaces for this file and the clients it runs; `why` is '' when all are here. */
export function useE2e(tools: readonly (keyof typeof PACKAGES)[]): E2e {
  const nsf = useNamespaces('e2e');
  let why = nsf.skipReason;
  if (!why) {
    // python3 turns off checksum offload in the namespaces (bench/link_topology.ts softwareChecksums)
    for (const t of ['python3', ...tools]) why ||= toolMissing(t, PACKAGES[t] ?? t);
    if (why) it.skip(`end-to-end tests skipped: ${why}`, () => {});
  }
  return { ...nsf, why };
}

/** Waits for `cond` up to `ms`, polling every 10 ms (the event loop keeps running wxdp's poller). */
export async function until(cond: () => boolean, ms = 3000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!cond() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  return cond();
}

/** A group of `ns`'s kernel SNMP counters ("Ip", "Icmp", …: /proc/net/snmp read inside the namespace). */
export function kernelSnmp(ns: Netns, group: string): Record<string, number> {
  const [names, values] = ns.exec(['cat', '/proc/net/snmp']).split('\n').filter((l) => l.startsWith(`${group}:`)).map((l) => l.split(/\s+/).slice(1));
  return Object.fromEntries((names ?? []).map((n, i) => [n, Number(values?.[i])]));
}
