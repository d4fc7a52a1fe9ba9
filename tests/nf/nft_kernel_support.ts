// One rule file and one run of frames through the kernel and through wxdp, for the nft tests that compare the whole
// stack: the kernel side (a Linux router in namespaces, KernelRouter, with the file loaded by `nft -f`) runs before
// the describe's tests and is removed after them; the wxdp side is a Fixture with the same links, routes and
// neighbours (ct_support.ts). Each side's answer is what it sent out of eth1 (or `on`), in hex, per frame sent on eth0.

import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, expect } from 'vitest';
import { Fixture, hex, type LinkCfg, type NeighCfg, type RouteCfg } from '../net/support.js';
import { KernelRouter } from '../net/kernel.js';
import { completePartial } from '../support/checksum_partial.js';
import { LINKS, NEIGH, ROUTES } from './ct_support.js';
import { passedPerRun } from './nft_support.js';

/** The kernel's side, filled in beforeAll: what it forwarded, and nft's output for each of the `after` commands. */
export interface KernelNftRun {
  out: string[][];
  lists: Record<string, string>;
}

/** The router's links, routes and neighbours (ct_support.ts's IPv4 router unless said). */
export interface NftTopo {
  links: LinkCfg[];
  routes: RouteCfg[];
  neigh: NeighCfg[];
  /** the kernel router's sysctls (IPv6 forwarding is net.ipv6.conf.all.forwarding there) */
  sysctls?: Record<string, number>;
  /** `ip` lines run after the rest (`ip -n ROUTER LINE` in the kernel's, dp.ip in wxdp's): rules, tables */
  ip?: string[];
}
const TOPO4: NftTopo = { links: LINKS, routes: ROUTES, neigh: NEIGH };

/**
 * What one frame made leave `on`: one device's frames in hex, or for several each as `DEV HEX`, in their order. The
 * kernel's have a checksum it left to the device (a reset it made: CHECKSUM_PARTIAL) completed as the device would.
 */
export function sentOn(tx: Map<string, Uint8Array[]>, on: string | readonly string[], kernel = false): string[] {
  const h = (f: Uint8Array): string => hex(kernel ? completePartial(f) : f);
  if (typeof on === 'string') return (tx.get(on) ?? []).map(h);
  return on.flatMap((d) => (tx.get(d) ?? []).map((f) => `${d} ${h(f)}`));
}

/** Register the kernel's run of `frames` under `ruleset` (namespaces named with `prefix`), then `after` listed in order. */
export function kernelNftRun(ruleset: string, frames: Uint8Array[], prefix: string, after: readonly string[] = ['list ruleset'], on: string | readonly string[] = 'eth1', topo: NftTopo = TOPO4): KernelNftRun {
  const run: KernelNftRun = { out: [], lists: {} };
  let k: KernelRouter | undefined;
  beforeAll(() => {
    k = KernelRouter.create(topo.links, topo.routes, topo.neigh, topo.sysctls ?? {}, prefix);
    // The kernel's neighbour timers run on the wall clock, wxdp's on the stack clock these runs never
    // advance: a loaded machine (a run over a second) must not let the kernel retransmit an ARP request or
    // neighbour solicitation mid-run (seen at load 20: one more request than wxdp's in nft_dup_kernel)
    for (const l of topo.links) {
      for (const f of ['ipv4', 'ipv6']) {
        spawnSync('ip', ['netns', 'exec', k.router, 'sysctl', '-qw', `net/${f}/neigh/${l.name}/retrans_time_ms=60000`], { encoding: 'utf8' });
      }
    }
    for (const line of topo.ip ?? []) {
      const r = spawnSync('ip', ['-n', k.router, ...line.split(' ')], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`ip ${line}: ${r.stderr}`);
    }
    const nft = (args: string[], input?: string): ReturnType<typeof spawnSync> =>
      spawnSync('ip', ['netns', 'exec', k!.router, 'nft', ...args], { input, encoding: 'utf8' });
    const r = nft(['-f', '-'], ruleset);
    if (r.status !== 0) throw new Error(`nft -f: ${String(r.stderr)}`);
    run.out = k.send(frames.map((f) => ['eth0', f]), 0.05).map((x) => sentOn(x.tx, on, true));
    after.forEach((cmd, i) => (run.lists[`${i} ${cmd}`] = String(nft(cmd.split(' ')).stdout)));
  }, 60_000);
  afterAll(() => k?.close());
  return run;
}

/** wxdp's side: a Fixture with `ruleset` loaded, the frames sent through it, what it sent out of `on`. */
export async function oursNftRun(ruleset: string, frames: Uint8Array[], on: string | readonly string[] = 'eth1', topo: NftTopo = TOPO4): Promise<{ fx: Fixture; out: string[][] }> {
  const fx = await Fixture.create(topo.links, topo.routes, topo.neigh, { sysctls: topo.sysctls });
  for (const line of topo.ip ?? []) fx.dp.ip(line);
  fx.dp.nft(ruleset);
  return { fx, out: frames.map((f) => sentOn(fx.rx('eth0', f), on)) };
}

/**
 * wxdp's side compared with the kernel's: the same frames forwarded, how many of each run went through as `runs`
 * derives them ([dport, frames, through, host]: the comparison is not of silences), the `after` listings alike.
 * Returns the Fixture for what a test checks next.
 */
export async function expectOursAsKernel(kern: KernelNftRun, ruleset: string, frames: Uint8Array[], runs: ReadonlyArray<readonly [number, number, number, number]>, topo: NftTopo = TOPO4): Promise<Fixture> {
  const { fx, out: ours } = await oursNftRun(ruleset, frames, 'eth1', topo);
  expect(ours).toEqual(kern.out);
  expect(passedPerRun(kern.out, runs.map(([a, b, c]) => [a, 0, b, c] as const))).toEqual(runs.map((r) => r[2]));
  for (const [key, out] of Object.entries(kern.lists)) expect(fx.dp.nft(key.slice(key.indexOf(' ') + 1)), key).toBe(out);
  return fx;
}
