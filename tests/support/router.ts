// A router under test, two ways, configured from the same text (tests/net/fixtures/router.batch):
//
//   the kernel:  namespace R (the router: ports eth0..ethN)        namespace W (the wire: w0..wN)
//                  eth0 ───────────── veth ───────────────────────── w0   ◀── AF_PACKET sends here
//                  eth1 ───────────── veth ───────────────────────── w1   ──▶ and captures every port
//                  …                                                       (tests/support/afpacket.py)
//   wxdp:        a Datapath with ring devices eth0..ethN: a frame is injected on the device of the port
//                it would arrive on, the device is polled, and every device's TX ring is read back.
//
// The config is `ip -batch` text plus `sysctl NAME=VALUE` lines: the sysctls are applied first (on
// the kernel with sysctl(8) in R, on wxdp with dp.sysctls), then the rest goes verbatim to
// `ip -n R -batch` and to wxdp's batch front end, with the sysctl lines blanked so line numbers agree.
//
// What only the kernel needs (so it is here, not in the config): W has IPv6 disabled (it must not
// speak), R skips DAD and router solicitations, and after the config the wire is read until it has
// been quiet for a while — the kernel announces its multicast groups (MLD) when a port comes up.

import { readFileSync } from 'node:fs';
import { Datapath } from '../../src/control/datapath.js';
import type { Device } from '../../src/control/device.js';
import { ipBatch } from '../../src/control/ip/index.js';
import type { Namespaces, Netns } from '../../src/oracle/netns.js';
import { afpacket } from './afpacket.js';
import { completePartial } from './checksum_partial.js';

export interface RouterPort {
  /** The router's device name (in R, and in wxdp). */
  name: string;
  /** Its peer in the wire namespace. */
  wire: string;
}

export interface RouterConfig {
  /** `sysctl` lines, in order. */
  sysctls: Array<[string, string]>;
  /** The rest, for `ip -batch` (sysctl lines blanked). */
  batch: string;
}

/** Split router config text into its sysctls and its ip batch (line numbers of the batch kept). */
export function parseRouterConfig(text: string): RouterConfig {
  const sysctls: Array<[string, string]> = [];
  const lines = text.split('\n').map((line, i) => {
    const m = /^\s*sysctl\s+(\S+?)\s*=\s*(\S+)\s*$/.exec(line);
    if (!m) {
      if (/^\s*sysctl\b/.test(line)) throw new Error(`router config line ${i + 1}: expected 'sysctl NAME=VALUE', got '${line}'`);
      return line;
    }
    sysctls.push([m[1]!, m[2]!]);
    return '';
  });
  return { sysctls, batch: lines.join('\n') };
}

export function readRouterConfig(path: URL | string): RouterConfig {
  return parseRouterConfig(readFileSync(path, 'utf8'));
}

/** What came out of each port for one case: port name → frames in order. */
export type PortOutput = Record<string, Uint8Array[]>;

export interface SendCase {
  /** The port the frames arrive on. */
  ingress: string;
  frames: Uint8Array[];
}

/** Sysctls of R that only keep the kernel quiet on the wire (set before the ports exist). */
const KERNEL_QUIET: Array<[string, string]> = [
  ['net.ipv6.conf.default.accept_dad', '0'],
  ['net.ipv6.conf.all.accept_dad', '0'],
  ['net.ipv6.conf.default.router_solicitations', '0'],
  ['net.ipv6.conf.all.router_solicitations', '0'],
];

function toPorts(ports: readonly RouterPort[], byWire: Record<string, Uint8Array[]>): PortOutput {
  return Object.fromEntries(ports.map((p) => [p.name, byWire[p.wire] ?? []]));
}

export class KernelRouter {
  private constructor(
    readonly router: Netns,
    readonly wire: Netns,
    readonly ports: readonly RouterPort[],
    /** What the wire carried while the router settled (MLD reports and the like), per port. */
    readonly settleNoise: PortOutput,
  ) {}

  /** Build R and W, the veths, apply the config; wait until the wire is quiet (at most `settleMaxMs`). */
  static build(set: Namespaces, ports: readonly RouterPort[], config: RouterConfig, opts: { settleMaxMs?: number } = {}): KernelRouter {
    const router = set.create();
    const wire = set.create();
    wire.sysctl([
      ['net.ipv6.conf.all.disable_ipv6', '1'],
      ['net.ipv6.conf.default.disable_ipv6', '1'],
    ]);
    router.sysctl(KERNEL_QUIET);
    for (const p of ports) set.veth({ ns: router, name: p.name, up: false }, { ns: wire, name: p.wire });
    router.sysctl(config.sysctls);
    router.batch(config.batch);
    const r = afpacket(wire, [], { settle: { quietMs: 1200, maxMs: opts.settleMaxMs ?? 10_000 } });
    if (r.settle && !r.settle.quiet) throw new Error(`the kernel router did not go quiet within ${opts.settleMaxMs ?? 10_000} ms`);
    return new KernelRouter(router, wire, ports, toPorts(ports, r.settle?.frames ?? {}));
  }

  /**
   * Send each case's frames on the wire peer of its ingress port and capture every port for
   * `windowMs`; returns what came out of each port, per case. Throws when the wire carried anything
   * between cases (a late frame would otherwise be blamed on the wrong case).
   */
  run(cases: readonly SendCase[], opts: { windowMs?: number } = {}): PortOutput[] {
    const wireOf = (name: string) => {
      const p = this.ports.find((x) => x.name === name);
      if (!p) throw new Error(`no port ${name}`);
      return p.wire;
    };
    const capture = this.ports.map((p) => p.wire);
    const res = afpacket(
      this.wire,
      cases.map((c) => ({
        send: c.frames.map((frame) => ({ ifname: wireOf(c.ingress), frame })),
        capture,
        windowMs: opts.windowMs ?? 120,
        maxFrames: 256,
      })),
    );
    return res.rounds.map((r, i) => {
      const stray = Object.values(r.stray).flat();
      if (stray.length > 0) throw new Error(`case ${i}: ${stray.length} frame(s) arrived between cases (${Object.keys(r.stray).join(', ')})`);
      if (r.full) throw new Error(`case ${i}: more than 256 frames came out`);
      // what the router made itself (an IPv6 reset: tcp_v6_send_response) leaves with a partial checksum
      return toPorts(this.ports, Object.fromEntries(Object.entries(r.frames).map(([w, fs]) => [w, fs.map(completePartial)])));
    });
  }
}

/**
 * wxdp configured as the router: a Datapath with a ring device per port, the config's sysctls through
 * dp.sysctls and its batch through dp.ip's batch front end (src/control/ip). A case's frames are
 * injected on the ingress device, every device is polled until nothing moves, and each TX ring is read.
 */
export class WxdpRouter {
  private constructor(
    readonly dp: Datapath,
    private readonly devices: ReadonlyMap<string, Device>,
  ) {}

  static async create(ports: readonly RouterPort[], config: RouterConfig): Promise<WxdpRouter> {
    const dp = await Datapath.create();
    const devices = new Map<string, Device>();
    for (const p of ports) devices.set(p.name, dp.addDevice({ name: p.name }));
    for (const [k, v] of config.sysctls) dp.sysctl(k, v);
    ipBatch(dp, config.batch, { name: 'router.batch' });
    return new WxdpRouter(dp, devices);
  }

  /** What came out of each port for each case (cases run one after the other on the same state). */
  run(cases: readonly SendCase[]): PortOutput[] {
    return cases.map((c) => {
      const dev = this.devices.get(c.ingress);
      if (!dev) throw new Error(`no port ${c.ingress}`);
      const out: PortOutput = Object.fromEntries([...this.devices.keys()].map((n) => [n, [] as Uint8Array[]]));
      for (const f of c.frames) {
        if (!dev.inject(f)) throw new Error(`${c.ingress}: the RX ring refused a frame`);
        this.pollInto(out);
      }
      return out;
    });
  }

  /** What the stack sent by itself (a socket's datagram, say): every port polled until nothing moves. */
  drain(): PortOutput {
    const out: PortOutput = Object.fromEntries([...this.devices.keys()].map((n) => [n, [] as Uint8Array[]]));
    this.pollInto(out);
    return out;
  }

  /** Poll every device until nothing moves (a frame may be passed from one device to another), TX into `out`. */
  private pollInto(out: PortOutput): void {
    for (let round = 0; round < 16; round++) {
      let moved = 0;
      for (const d of this.devices.values()) moved += d.poll();
      for (const [n, d] of this.devices) for (const t of d.readTx()) (moved++, out[n]!.push(t.data));
      if (moved === 0) break;
    }
  }
}

/**
 * Can wxdp be configured as the router yet? The stack is built by several parts in parallel; until
 * sysctls, the links, and the ip batch front end are all in, the comparison is pending (not faked).
 */
export async function wxdpRouterReadiness(ports: readonly RouterPort[], config: RouterConfig): Promise<{ ok: true } | { ok: false; reason: string }> {
  try {
    await WxdpRouter.create(ports, config);
    return { ok: true };
  } catch (e) {
    return { ok: false, reason: `wxdp cannot be configured as the router yet: ${(e as Error).message.split('\n')[0]}` };
  }
}
