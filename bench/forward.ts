// `wxdp bench forward`: IPv4 forwarding on one core, 64-byte frames, with a full table.
//
// Workload. A table of N prefixes (1M; --quick: 10k) drawn like a BGP table's length mix (mostly /24,
// then /22-/23, /16-/21, a few /8-/15) over 1.0.0.0-126.255.255.255, every one via a gateway on eth1,
// plus a default route. The packet generator in wasm (dev_rx_generate) writes each frame into eth0's
// RX ring as it is received — UDP from 198.51.100.2 to a destination drawn uniformly over the same
// range — so no JavaScript runs per packet and every frame is fresh (a forwarded frame has new MACs
// and TTL, so replaying it would not be forwarding). Each round: 64 frames generated on eth0, eth0
// polled, eth1's TX ring completed (the NIC sent them). Frames that came out of eth1 count as forwarded.
//
// Rows (each with 0/1/10/100 policy rules and with 2- and 16-way ECMP):
//   stack           no XDP program: RX ring → the stack (receive, FIB, neighbour, forward) → TX ring.
//   stack+pass      the same behind an XDP program that returns XDP_PASS.
//   xdp router      programs/xdp_fib_forward.o: bpf_fib_lookup on the same FIB, MACs rewritten,
//                   XDP_REDIRECT to eth1 — the stack's tables, XDP's path.
//   stack ipv6      IPv6 through the stack (no XDP program): eth0 2001:db8:1::1/64 (the sender
//                   2001:db8:1::2), eth1 2001:db8:2::1/64, bench fib's IPv6 table (200k prefixes,
//                   --quick 10k: /32-/48 heavy under the RIRs' blocks) via 2001:db8:2::2 and a default
//                   route; 64-byte UDP frames to a /48 of the table, the generator varying the last 32
//                   bits of the destination (all it varies), drawn uniformly over 2^32 − 1. No kernel figure
//                   (the kernel's is of the IPv4 XDP router); the baseline is XDP_DROP's, as for the rest.
// Rules are `from 192.0.2.K/32 lookup 1000+K` ahead of main: no packet matches, every one walks them
// all. ECMP makes every route (default included) a k-way multipath route over gateways on eth1.
// Programs are reached as the Datapath does by default (dispatch 'burst': each program's own loop, a
// call per burst); ForwardOptions.dispatch 'table' makes a call per frame through the shared table instead.
//
// The harness's share. Each row's ns/pkt is the whole round; the NIC's part of it (the generator writing
// each frame into the RX ring, a NIC's DMA here, and eth1's sent frames put on its completion ring,
// dev_tx_done: a NIC writes its TX completions, the driver only reads them) and the round's JavaScript
// calls are timed apart in the same rounds (harness ns), and the data path's own figure (data path ns,
// data path Mpps) is what is left — the figure the targets are judged on.
//
// Baselines, measured in the same run, and what each ratio compares:
//   of XDP-only  = row Mpps ÷ wxdp's XDP_DROP Mpps through the same generator, RX ring and poll: the
//                  share of the bare XDP rate the row keeps (1.0 = forwarding costs nothing more).
//   vs kernel    = row ns/pkt ÷ the kernel's ns/run of the same XDP router (BPF_PROG_TEST_RUN via
//                  bpftool) on the same table, rules and ECMP, loaded with ip -batch into a network
//                  namespace the bench creates (bpf_fib_lookup then answers from that namespace's FIB).
//                  The kernel's forwarding proper cannot be driven at line rate here (no NIC, no pktgen
//                  module), so its XDP router under test_run stands in: no driver, no ring, one frame
//                  repeated per call (warm caches; the mean over 8 destinations), a floor for the
//                  kernel's per-packet cost. test_run repeats over the same buffer without restoring
//                  it, so the router's TTL decrement accumulates: frames go in with TTL 255 and each
//                  call repeats 250 times (20 calls per frame; --quick 3), every run a full lookup.
//                  The kernel's ECMP uses a nexthop group (`nexthop replace id 100 group 1/2/…`) so a
//                  row changes the group, not 1M routes; wxdp's routes carry their next hops inline.
// Targets (issue 10): stack ≥ 15 Mpps, xdp router ≥ 25 Mpps, on the full table.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Datapath, DEFAULT_DISPATCH } from '../src/control/datapath.js';
import { dataPathExports, type Device } from '../src/control/device.js';
import { PacketGenerator } from '../src/control/pktgen.js';
import { kernelAvailability, loadKernelObject, xdpContext, type KernelObject } from '../src/oracle/kernel.js';
import { Namespaces, netnsAvailability, removeStaleNamespaces, testRunInNamespace, type Netns } from '../src/oracle/netns.js';
import { projectRoot } from './project_root.js';
import { bestNsPerPacket, memoryPagesMiB } from './rate.js';
import { v6Routes } from './fib.js';
import { formatIpv6 } from '../src/control/lpm.js';

export type ForwardPath = 'stack' | 'stack+pass' | 'xdp router' | 'xdp drop' | 'stack ipv6';

export interface ForwardRow {
  path: ForwardPath;
  prefixes: number;
  rules: number;
  /** Next hops per route (1: no ECMP). */
  ecmp: number;
  mpps: number | null;
  nsPerPacket: number | null;
  /** Share of the generated frames that came out of eth1. */
  forwarded: number | null;
  /** The kernel's test_run ns/run of the XDP router on the same table, rules and ECMP. */
  kernelNsPerRun: number | null;
  /** nsPerPacket ÷ kernelNsPerRun. */
  vsKernel: number | null;
  /**
   * What the bench's own loop costs per packet inside nsPerPacket: the NIC's work — the packet generator
   * writing each frame into the RX ring (a NIC's DMA) and the TX completions written onto eth1's
   * completion ring (dev_tx_done), not the data path's — and the JavaScript round's five calls into wasm
   * per burst of 64. Measured in the same rounds (see harnessNs).
   */
  harnessNs: number | null;
  /** nsPerPacket − harnessNs: the data path's own time per packet. */
  dataPathNs: number | null;
  /** 1000 ÷ dataPathNs: the rate the data path alone sustains on one core; the target is judged on it. */
  dataPathMpps: number | null;
  /** mpps ÷ wxdp's XDP_DROP Mpps (same run). */
  ofXdpOnly: number | null;
  /** The issue's target for the row, Mpps (full table only). */
  target: number | null;
  /** The row's wasm memory, MiB resident and of them on 2 MiB pages (AnonHugePages), after its rounds. */
  rssMiB?: number;
  anonHugePagesMiB?: number;
  /** Why a figure is missing. */
  note?: string;
}

export interface ForwardOptions {
  quick?: boolean;
  log?: (s: string) => void;
  /** Only rows whose label (`stack rules 10`, `xdp router ecmp 16`…) contains this. */
  only?: string;
  /** Override the table size. */
  prefixes?: number;
  /** false: no kernel rows (no namespace, no 1M-route ip -batch): wxdp's rows and their baseline only. */
  kernel?: boolean;
  /** Seconds per row (default 2, --quick 0.5). */
  seconds?: number;
  /**
   * How eth0's poll reaches the XDP programs (DatapathOptions.dispatch) in every wxdp row, the XDP-only
   * baseline's included. Default: the Datapath's (DEFAULT_DISPATCH). 'burst': the program's own loop,
   * one call per burst; 'table': a call per frame (the XDP router reads its FIB answers inline either way).
   */
  dispatch?: 'burst' | 'table';
}

const OWNER = 'router';
const ROUTER_OBJECT = 'programs/xdp_fib_forward.o';
const DROP_OBJECT = 'programs/xdp_pass_drop.o';
const BURST = 64;
const UMEM_FRAMES = 2048;
const SEED = 0x5eed;
const HASH_SEED = 1234567;
const MAC = { eth0: '02:00:00:00:0a:00', eth1: '02:00:00:00:0a:01', h1: '02:00:00:00:0b:01' };
/** Gateways on eth1: 203.0.113.2 .. .17 (ECMP up to 16). */
const gateway = (i: number) => `203.0.113.${2 + i}`;
const gatewayMac = (i: number) => `02:00:00:00:0b:${(0x20 + i).toString(16)}`;
/** Destinations: 1.0.0.0 + [0, DST_SPAN). */
const DST_BASE = 0x01000000;
const DST_SPAN = 126 * 0x01000000;
const RULE_COUNTS = [0, 1, 10, 100];
const ECMP_WAYS = [2, 16];
export const TARGET_MPPS = { stack: 15, router: 25 } as const;
/** The rows' dispatch unless ForwardOptions.dispatch says otherwise: the Datapath's default. */
const DISPATCH: 'burst' | 'table' = DEFAULT_DISPATCH;

// ---- The table ----

/** A prefix: address (host order) and length. */
export interface Prefix {
  addr: number;
  len: number;
}

// Prefix lengths in a BGP table (share per mille, rounded from the public table's usual mix): most are
// /24, then /22 and /23, /16-/21, a few shorter.
const LENGTH_MIX: ReadonlyArray<readonly [number, number]> = [
  [24, 600], [23, 100], [22, 120], [21, 50], [20, 45], [19, 30], [18, 15], [17, 10], [16, 20], [15, 3], [14, 3], [13, 2], [12, 1], [8, 1],
];

/** `n` distinct prefixes inside the destination range, deterministic for a seed (xorshift32). */
export function forwardPrefixes(n: number, seed = SEED): Prefix[] {
  let s = seed >>> 0 || 1;
  const rnd = () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>>= 0);
  };
  const total = LENGTH_MIX.reduce((t, [, w]) => t + w, 0);
  const seen = new Set<number>();
  const out: Prefix[] = [];
  while (out.length < n) {
    let r = rnd() % total;
    let len = 24;
    for (const [l, w] of LENGTH_MIX) {
      if (r < w) {
        len = l;
        break;
      }
      r -= w;
    }
    const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
    const addr = ((DST_BASE + (rnd() % DST_SPAN)) & mask) >>> 0;
    // A key per (addr, len): the length in the low bits a /len address never uses … except /32, absent here.
    const key = addr * 64 + len;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ addr, len });
  }
  return out;
}

const dotted = (a: number) => `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
const prefixText = (p: Prefix) => `${dotted(p.addr)}/${p.len}`;

/** The traffic: 64-byte UDP frames from h1 to eth0's MAC, destinations uniform over the table's range. */
function traffic(dp: Datapath): PacketGenerator {
  return new PacketGenerator(dp.fastPath, {
    template: { l3: 'ipv4', l4: 'udp', srcMac: MAC.h1, dstMac: MAC.eth0, srcIp: '198.51.100.2', dstIp: dotted(DST_BASE) },
    size: 64,
    flows: DST_SPAN,
    distribution: 'random',
    vary: ['dstIp'],
    seed: SEED,
  });
}

// ---- The kernel: the XDP router under BPF_PROG_TEST_RUN in a namespace with the same table ----

interface KernelSide {
  set: Namespaces;
  ns: Netns;
  obj: KernelObject;
  pinPath: string;
  ingressIfindex: number;
}

function kernelSide(prefixes: readonly Prefix[], log?: (s: string) => void): KernelSide | string {
  const na = netnsAvailability(OWNER);
  if (!na.ok) return na.reason;
  const ka = kernelAvailability();
  if (!ka.ok) return ka.reason;
  const objPath = join(projectRoot(), ROUTER_OBJECT);
  if (!existsSync(objPath)) return `${ROUTER_OBJECT} is not built`;
  // The object first: a program the kernel refuses should not cost a 1M-route table load.
  let obj: KernelObject;
  try {
    obj = loadKernelObject(objPath);
  } catch (e) {
    return (e as Error).message.split('\n')[0]!;
  }
  removeStaleNamespaces(OWNER);
  const set = new Namespaces(OWNER);
  try {
    const ns = set.create();
    set.veth({ ns, name: 'eth0', mac: MAC.eth0 }, { ns, name: 'p0' });
    set.veth({ ns, name: 'eth1', mac: MAC.eth1 }, { ns, name: 'p1' });
    ns.sysctl({ 'net.ipv4.conf.all.forwarding': 1, 'net.ipv4.fib_multipath_hash_seed': HASH_SEED });
    const lines = ['addr add 198.51.100.1/24 dev eth0', 'addr add 203.0.113.1/24 dev eth1', `neigh add 198.51.100.2 lladdr ${MAC.h1} dev eth0 nud permanent`];
    for (let i = 0; i < 16; i++) {
      lines.push(`neigh add ${gateway(i)} lladdr ${gatewayMac(i)} dev eth1 nud permanent`);
      lines.push(`nexthop add id ${i + 1} via ${gateway(i)} dev eth1`);
    }
    lines.push('nexthop add id 100 group 1', 'route add default nhid 100');
    for (const p of prefixes) lines.push(`route add ${prefixText(p)} nhid 100`);
    log?.(`  kernel: ${prefixes.length} routes into namespace ${ns.name} (ip -batch)…\n`);
    const t0 = Date.now();
    ns.batch(lines.join('\n') + '\n', { timeoutMs: 600_000 });
    log?.(`  kernel: table loaded in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    const name = obj.programNames.includes('xdp_fib_forward') ? 'xdp_fib_forward' : obj.programNames[0]!;
    const ingressIfindex = ns.ipJson<Array<{ ifindex: number }>>('link', 'show', 'eth0')[0]!.ifindex;
    return { set, ns, obj, pinPath: obj.program(name).pinPath, ingressIfindex };
  } catch (e) {
    obj.close();
    set.cleanup();
    return (e as Error).message.split('\n')[0]!;
  }
}

function kernelConfigure(k: KernelSide, rules: number, ecmp: number): void {
  const lines: string[] = [];
  const have = k.ns.ipJson<Array<{ priority: number }>>('rule', 'show').filter((r) => r.priority >= 100 && r.priority < 1000);
  for (const r of have) lines.push(`rule del pref ${r.priority}`);
  for (let i = 0; i < rules; i++) lines.push(`rule add from 192.0.2.${i + 1}/32 lookup ${1000 + i} pref ${100 + i}`);
  lines.push(`nexthop replace id 100 group ${Array.from({ length: ecmp }, (_, i) => i + 1).join('/')}`);
  k.ns.batch(lines.join('\n') + '\n');
}

/**
 * BPF_PROG_TEST_RUN repeats a program over the same buffer without restoring it (only live-frame mode
 * does), so a router's TTL decrement accumulates: from TTL 64 the 64th run already takes the "TTL
 * expires" exit and the rest measure that. The frames go in with TTL 255 and each call repeats 250
 * times, every run a full lookup and rewrite; `calls` calls per frame are averaged instead.
 */
const KERNEL_REPEAT = 250;

/** A copy of an IPv4 frame with TTL 255 and its header checksum redone. */
function ttl255(frame: Uint8Array): Uint8Array {
  const f = frame.slice();
  f[22] = 255;
  f[24] = f[25] = 0;
  let sum = 0;
  for (let i = 14; i < 34; i += 2) sum += (f[i]! << 8) | f[i + 1]!;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  f[24] = (~sum >>> 8) & 0xff;
  f[25] = ~sum & 0xff;
  return f;
}

/** Mean ns/run over the sample frames (`calls` test runs of KERNEL_REPEAT each), and the verdicts of every call. */
function kernelMeasure(k: KernelSide, frames: readonly Uint8Array[], calls: number): { ns: number; verdicts: Set<number> } {
  let sum = 0;
  let n = 0;
  const verdicts = new Set<number>();
  for (const frame of frames) {
    const data = ttl255(frame);
    const ctx = xdpContext({ dataLength: data.length, ingressIfindex: k.ingressIfindex });
    testRunInNamespace(k.ns, k.pinPath, { data, ctx, repeat: KERNEL_REPEAT }); // warm
    for (let c = 0; c < calls; c++) {
      const r = testRunInNamespace(k.ns, k.pinPath, { data, ctx, repeat: KERNEL_REPEAT });
      verdicts.add(r.retval);
      sum += r.durationNs;
      n++;
    }
  }
  return { ns: sum / n, verdicts };
}

// ---- wxdp ----

export interface WxdpSide {
  dp: Datapath;
  eth0: Device;
  eth1: Device;
  gen: PacketGenerator;
  ecmp: number;
  rules: number;
  /** Prefixes in the table (fewer than asked when the JS heap could not hold them all). */
  prefixes: number;
  cut?: string;
}

const BUILD_CHUNK = 20_000;

/** A full garbage collection now (V8's gc, reached without --expose-gc on the command line). */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

/** A Datapath with eth0 and eth1 up (rings of 256): each router side's start. */
async function twoLinks(dispatch?: 'burst' | 'table') {
  const dp = await Datapath.create({ umemFrames: UMEM_FRAMES, ...(dispatch ? { dispatch } : {}) });
  const eth0 = dp.addDevice({ name: 'eth0', mac: MAC.eth0, ringSize: 256 });
  const eth1 = dp.addDevice({ name: 'eth1', mac: MAC.eth1, ringSize: 256 });
  dp.ip('link set dev eth0 up');
  dp.ip('link set dev eth1 up');
  return { dp, eth0, eth1 };
}

/** A Datapath forwarding between eth0 and eth1 with the table, `rules` rules and `ecmp`-way routes. */
export async function wxdpSide(prefixes: readonly Prefix[], ecmp: number, log?: (s: string) => void, dispatch: 'burst' | 'table' = DISPATCH): Promise<WxdpSide> {
  const { dp, eth0, eth1 } = await twoLinks(dispatch);
  dp.ip('addr add 198.51.100.1/24 dev eth0');
  dp.ip('addr add 203.0.113.1/24 dev eth1');
  dp.sysctl('net.ipv4.conf.all.forwarding', 1);
  dp.sysctl('net.ipv4.fib_multipath_hash_seed', HASH_SEED);
  dp.ip(`neigh add 198.51.100.2 lladdr ${MAC.h1} dev eth0 nud permanent`);
  for (let i = 0; i < 16; i++) dp.ip(`neigh add ${gateway(i)} lladdr ${gatewayMac(i)} dev eth1 nud permanent`);
  const via = ecmp === 1 ? { via: gateway(0), dev: 'eth1' } : { nexthops: Array.from({ length: ecmp }, (_, i) => ({ via: gateway(i), dev: 'eth1' })) };
  const t0 = Date.now();
  dp.routes.add({ dst: 'default', ...via });
  // Routes keeps a JS object per route (about 1 KiB, 5 KiB with 16 next hops, measured): in chunks,
  // stopping before the JS heap is full — a fatal out-of-memory would lose every row.
  const limit = getHeapStatistics().heap_size_limit;
  collectGarbage(); // the previous table's objects, so the projection below counts only live ones
  let added = 0;
  let cut: string | undefined;
  // Bulk mode (routes.bulk, as ip -batch runs): gateway checks remembered, the LPM rebuilt once at the end.
  dp.routes.bulk(() => {
    while (added < prefixes.length) {
      const before = process.memoryUsage().heapUsed;
      const end = Math.min(prefixes.length, added + BUILD_CHUNK);
      for (let i = added; i < end; i++) dp.routes.add({ dst: prefixText(prefixes[i]!), ...via });
      const perRoute = Math.max(0, process.memoryUsage().heapUsed - before) / (end - added);
      added = end;
      // the next chunk must fit under 80% of the heap: the table then is the largest that does
      const fits = () => process.memoryUsage().heapUsed + perRoute * Math.min(BUILD_CHUNK, prefixes.length - added) <= limit * 0.8;
      if (added < prefixes.length && !fits() && (collectGarbage(), !fits())) {
        cut = `table cut to ${added} prefixes: the JS heap (${Math.round(limit / 2 ** 20)} MiB) holds no more at ~${Math.round(perRoute)} B/route`;
        break;
      }
    }
  }, prefixes.length);
  log?.(`  wxdp: ${added} routes (ECMP ${ecmp}) in ${((Date.now() - t0) / 1000).toFixed(1)} s${cut ? ` — ${cut}` : ''}\n`);
  const gen = traffic(dp);
  return { dp, eth0, eth1, gen, ecmp, rules: 0, prefixes: added, ...(cut ? { cut } : {}) };
}

/**
 * The IPv6 router of the `stack ipv6` row: bench fib's IPv6 table of `n` prefixes and a default route,
 * all via 2001:db8:2::2 on eth1; traffic to a /48 of the table (the last 32 bits varied).
 */
export async function wxdpSide6(n: number, log?: (s: string) => void): Promise<WxdpSide> {
  const { dp, eth0, eth1 } = await twoLinks();
  dp.ip('addr add 2001:db8:1::1/64 dev eth0 nodad');
  dp.ip('addr add 2001:db8:2::1/64 dev eth1 nodad');
  dp.sysctl('net.ipv6.conf.all.forwarding', 1);
  dp.ip(`neigh add 2001:db8:1::2 lladdr ${MAC.h1} dev eth0 nud permanent`);
  dp.ip(`neigh add 2001:db8:2::2 lladdr ${gatewayMac(0)} dev eth1 nud permanent`);
  dp.ip('route add default via 2001:db8:2::2 dev eth1');
  const t0 = Date.now();
  const routes = v6Routes(n);
  dp.routes.bulk(() => {
    for (const [a, len] of routes) dp.routes.add({ dst: `${formatIpv6(a)}/${len}`, via: '2001:db8:2::2', dev: 'eth1' });
  }, routes.length);
  log?.(`  wxdp: ${routes.length} IPv6 routes in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  // the middle /48 of the table (shortest first: a /48 is past the /32s)
  const r48 = routes.filter(([, len]) => len === 48);
  const dst = formatIpv6(r48[r48.length >> 1]![0]);
  const gen = new PacketGenerator(dp.fastPath, {
    template: { l3: 'ipv6', l4: 'udp', srcMac: MAC.h1, dstMac: MAC.eth0, srcIp: '2001:db8:1::2', dstIp: dst },
    size: 64,
    flows: 0xffffffff,
    distribution: 'random',
    vary: ['dstIp'],
    seed: SEED,
  });
  return { dp, eth0, eth1, gen, ecmp: 1, rules: 0, prefixes: routes.length };
}

export function wxdpRules(w: WxdpSide, rules: number): void {
  for (let i = w.rules; i > rules; i--) w.dp.ip(`rule del pref ${100 + i - 1}`);
  for (let i = w.rules; i < rules; i++) w.dp.ip(`rule add from 192.0.2.${i + 1}/32 lookup ${1000 + i} pref ${100 + i}`);
  w.rules = rules;
}

/**
 * Mpps through generate → poll eth0 → eth1 TX done, best of 5 windows after a warm-up; the share
 * forwarded; and the harness's part of each packet's time (harnessNs). With `reverse`, every other round
 * comes the other way instead (its frames generated into eth1's RX ring, out of eth0), as a router's two
 * ports receive alike; forwarded is then of both devices' frames.
 */
export function pollRate(w: WxdpSide, seconds: number, reverse?: PacketGenerator): { ns: number; forwarded: number; harness: number } {
  // the exports the round calls, read once: the exports object holds every export of the module (a
  // dictionary to V8), so each `x.name` in the round was a generic property lookup (LoadIC) per call
  const x = dataPathExports(w.dp.fastPath);
  const generate = w.dp.fastPath.exports['dev_rx_generate'] as (dev: number, q: number, g: number, n: number) => number;
  const napiPoll = x.napi_poll;
  const txDone = x.dev_tx_done;
  const hostDone = x.dev_host_done;
  const g = w.gen.address;
  const d0 = w.eth0.address;
  const d1 = w.eth1.address;
  // the NIC's side of a round: the frames received into eth0's RX ring, and eth1's sent frames onto
  // its completion ring (dev_tx_done: a NIC writes its TX completions, the driver reads them)
  let gen = (): void => void generate(d0, 0, g, BURST);
  let sent = (): void => txDone(d1, 0, BURST);
  // the data path's: eth0 polled; eth1's completions back to the pool (its poll), the host ring's frames
  let poll = (): number => napiPoll(d0, 0, BURST);
  let clean = (): void => {
    napiPoll(d1, 0, BURST);
    hostDone(d0, BURST);
  };
  if (reverse) {
    // the same with the devices swapped every other round (clean turns them)
    const g1 = reverse.address;
    let back = false;
    gen = (): void => void generate(back ? d1 : d0, 0, back ? g1 : g, BURST);
    sent = (): void => txDone(back ? d0 : d1, 0, BURST);
    poll = (): number => napiPoll(back ? d1 : d0, 0, BURST);
    clean = (): void => {
      napiPoll(back ? d0 : d1, 0, BURST);
      hostDone(back ? d1 : d0, BURST);
      back = !back;
    };
  }
  const round = (): number => {
    gen();
    const n = poll();
    sent();
    clean();
    return n;
  };
  // the same calls with nothing to do (no frames, budget 0): what the JavaScript round itself costs
  const empty = (): number => {
    generate(d0, 0, g, 0);
    napiPoll(d0, 0, 0);
    txDone(d1, 0, 0);
    napiPoll(d1, 0, 0);
    hostDone(d0, 0);
    return BURST; // per packet of a real round
  };
  w.dp.bindAttachedRegions();
  for (let i = 0; i < 20000; i++) round(); // V8 tiers the wasm up while it runs in short calls
  const tx = (): number => w.eth1.stats().txPackets + (reverse ? w.eth0.stats().txPackets : 0);
  const rx = (): number => w.eth0.stats().rxPackets + (reverse ? w.eth1.stats().rxPackets : 0);
  const tx0 = tx();
  const rx0 = rx();
  const best = bestNsPerPacket(round, seconds);
  const forwarded = (tx() - tx0) / Math.max(1, rx() - rx0);
  return { ns: best, forwarded, harness: nicNs(gen, poll, sent, clean, seconds / 2) + bestNsPerPacket(empty, seconds / 2) };
}

/**
 * The NIC's ns per packet inside full rounds (so the frames and descriptors it writes are as cold as the
 * path leaves them): the generator's call and the TX completion's, the clock read around each (its own
 * cost, timed alone, taken off). The median call of those made in `seconds`: a call the scheduler
 * preempted (its wall time counts the other process) is an outlier the median ignores, where a sum would not.
 */
function nicNs(gen: () => void, poll: () => number, sent: () => void, clean: () => void, seconds: number): number {
  const median = (a: Float64Array) => a.sort()[a.length >> 1]!;
  const clock = new Float64Array(20001);
  for (let i = 0; i < clock.length; i++) {
    const a = process.hrtime.bigint();
    clock[i] = Number(process.hrtime.bigint() - a);
  }
  const genT: number[] = [];
  const sentT: number[] = [];
  const end = process.hrtime.bigint() + BigInt(Math.round(seconds * 1e9));
  while (process.hrtime.bigint() < end) {
    for (let i = 0; i < 100; i++) {
      const a = process.hrtime.bigint();
      gen();
      const g = Number(process.hrtime.bigint() - a);
      const full = poll() === BURST; // a full burst: the per-packet figure is t / BURST
      const b = process.hrtime.bigint();
      sent();
      const t = Number(process.hrtime.bigint() - b);
      clean();
      if (full) {
        genT.push(g);
        sentT.push(t);
      }
    }
  }
  if (genT.length === 0) return 0;
  const c = median(clock);
  return (Math.max(0, median(Float64Array.from(genT)) - c) + Math.max(0, median(Float64Array.from(sentT)) - c)) / BURST;
}

// ---- Rows ----

export interface RowSpec {
  path: ForwardPath;
  rules: number;
  ecmp: number;
}

export function rowLabel(r: { path: ForwardPath; rules: number; ecmp: number }): string {
  if (r.path === 'xdp drop') return 'xdp drop (baseline)';
  if (r.path === 'stack ipv6') return 'stack ipv6';
  return `${r.path}${r.rules ? ` rules ${r.rules}` : ''}${r.ecmp > 1 ? ` ecmp ${r.ecmp}` : ''}`;
}

/** The baseline, then per table configuration (rules, ECMP) the three paths, so one table serves three rows. */
function rowSpecs(): RowSpec[] {
  const out: RowSpec[] = [{ path: 'xdp drop', rules: 0, ecmp: 1 }];
  const configs = [...RULE_COUNTS.map((rules) => ({ rules, ecmp: 1 })), ...ECMP_WAYS.map((ecmp) => ({ rules: 0, ecmp }))];
  for (const c of configs) for (const path of ['stack', 'stack+pass', 'xdp router'] as const) out.push({ path, ...c });
  out.push({ path: 'stack ipv6', rules: 0, ecmp: 1 });
  return out;
}

/**
 * The rows an --only picks: the row of that label, else every row whose label contains it (several:
 * comma-separated), with the baseline; none at all (not even the baseline) when it picks no row.
 */
export function selectRows(only: string | undefined): RowSpec[] {
  const all = rowSpecs();
  const wanted = (only ?? '').split(',').filter((w) => w !== '');
  if (wanted.length === 0) return all;
  const picks = (label: string, w: string) => (all.some((s) => rowLabel(s) === w) ? label === w : label.includes(w));
  const rows = all.filter((s) => wanted.some((w) => picks(rowLabel(s), w)));
  return rows.length === 0 ? [] : all.filter((s) => s.path === 'xdp drop' || rows.includes(s));
}

export async function runForwardBench(opts: ForwardOptions = {}): Promise<ForwardRow[]> {
  const log = opts.log;
  const n = opts.prefixes ?? (opts.quick ? 10_000 : 1_000_000);
  const n6 = opts.quick ? 10_000 : 200_000;
  const seconds = opts.seconds ?? (opts.quick ? 0.5 : 2);
  const calls = opts.quick ? 3 : 20;
  const dispatch = opts.dispatch ?? DISPATCH;
  const specs = selectRows(opts.only);
  if (specs.length === 0) return []; // an --only that names no row runs nothing, not even the baseline
  const prefixes = forwardPrefixes(n);
  const root = projectRoot();

  // Sample frames for the kernel: the generator's first 8.
  const sampleDp = await Datapath.create();
  const sampleGen = traffic(sampleDp);
  const samples = Array.from({ length: 8 }, () => sampleGen.next());

  const kernel = opts.kernel === false ? 'not measured (kernel: false)' : specs.some((s) => s.path !== 'xdp drop' && s.path !== 'stack ipv6') ? kernelSide(prefixes, log) : 'not needed';
  const rows: ForwardRow[] = [];
  let dropMpps: number | null = null;
  const sides = new Map<number, WxdpSide | string>();
  const kernelRuns = new Map<string, { ns: number; verdicts: Set<number> } | string>();
  try {
    for (const s of specs) {
      log?.(`  ${rowLabel(s)}…\n`);
      const row: ForwardRow = {
        path: s.path,
        prefixes: s.path === 'xdp drop' ? 0 : n,
        rules: s.rules,
        ecmp: s.ecmp,
        mpps: null,
        nsPerPacket: null,
        forwarded: null,
        kernelNsPerRun: null,
        vsKernel: null,
        harnessNs: null,
        dataPathNs: null,
        dataPathMpps: null,
        ofXdpOnly: null,
        // the issue's targets are IPv4's (none stated for IPv6)
        target: n >= 1_000_000 && s.rules === 0 && s.ecmp === 1 ? (s.path === 'xdp router' ? TARGET_MPPS.router : s.path === 'xdp drop' || s.path === 'stack ipv6' ? null : TARGET_MPPS.stack) : null,
      };
      const notes: string[] = [];
      try {
        if (s.path === 'stack ipv6') {
          sides.clear(); // the IPv4 table's memory goes first
          const side6 = await wxdpSide6(n6, log);
          row.prefixes = side6.prefixes;
          const r = pollRate(side6, seconds);
          row.nsPerPacket = r.ns;
          row.mpps = 1000 / r.ns;
          row.harnessNs = r.harness;
          row.forwarded = r.forwarded;
          if (r.forwarded < 0.99) notes.push(`only ${(r.forwarded * 100).toFixed(1)}% forwarded`);
          notes.push('kernel: none for IPv6 (its figure is the IPv4 XDP router\'s)');
        } else if (s.path === 'xdp drop') {
          const d = await dropRate(root, seconds, dispatch);
          const r = d.ns;
          row.mpps = 1000 / r;
          row.nsPerPacket = r;
          row.harnessNs = d.harness;
          row.forwarded = 0;
          dropMpps = row.mpps;
        } else {
          let side = sides.get(s.ecmp);
          if (side === undefined) {
            sides.clear(); // one table at a time: the previous one's memory goes
            try {
              side = await wxdpSide(prefixes, s.ecmp, log, dispatch);
            } catch (e) {
              side = `wxdp cannot forward yet: ${(e as Error).message.split('\n')[0]}`;
            }
            sides.set(s.ecmp, side);
          }
          if (typeof side === 'string') throw new Error(side);
          wxdpRules(side, s.rules);
          if (s.path === 'stack') side.eth0.detachXdp();
          else {
            const router = join(root, ROUTER_OBJECT);
            if (s.path === 'xdp router' && !existsSync(router)) throw new Error(`${ROUTER_OBJECT} is not built`);
            const obj = await side.dp.loadObject(s.path === 'stack+pass' ? join(root, DROP_OBJECT) : router);
            // The router object's entry is xdp_fib_forward (or its only program).
            side.eth0.attachXdp(s.path === 'stack+pass' ? obj.program('xdp_pass') : obj.program());
          }
          row.prefixes = side.prefixes;
          if (side.cut) notes.push(side.cut);
          const r = pollRate(side, seconds);
          Object.assign(row, memoryPagesMiB(side.dp.memory));
          row.nsPerPacket = r.ns;
          row.mpps = 1000 / r.ns;
          row.harnessNs = r.harness;
          row.forwarded = r.forwarded;
          if (r.forwarded < 0.99) notes.push(`only ${(r.forwarded * 100).toFixed(1)}% forwarded`);
        }
      } catch (e) {
        notes.push((e as Error).message.split('\n')[0]!);
      }
      if (s.path !== 'xdp drop' && s.path !== 'stack ipv6') {
        if (typeof kernel === 'string') notes.push(`kernel: ${kernel}`);
        else {
          // One kernel figure per (rules, ECMP): the stack rows share the XDP router's.
          const key = `${s.rules}/${s.ecmp}`;
          let k = kernelRuns.get(key);
          if (k === undefined) {
            try {
              kernelConfigure(kernel, s.rules, s.ecmp);
              k = kernelMeasure(kernel, samples, calls);
            } catch (e) {
              k = `kernel: ${(e as Error).message.split('\n')[0]}`;
            }
            kernelRuns.set(key, k);
          }
          if (typeof k === 'string') notes.push(k);
          else {
            row.kernelNsPerRun = k.ns;
            if (!k.verdicts.has(4) || k.verdicts.size > 1) notes.push(`kernel verdicts ${[...k.verdicts].join(',')} (4 = XDP_REDIRECT)`);
          }
        }
      }
      if (row.nsPerPacket !== null && row.harnessNs !== null) {
        row.dataPathNs = Math.max(row.nsPerPacket - row.harnessNs, 0.1);
        row.dataPathMpps = 1000 / row.dataPathNs;
      }
      if (row.nsPerPacket !== null && row.kernelNsPerRun !== null) row.vsKernel = row.nsPerPacket / row.kernelNsPerRun;
      if (row.mpps !== null && dropMpps !== null && s.path !== 'xdp drop') row.ofXdpOnly = row.mpps / dropMpps;
      if (notes.length) row.note = notes.join('; ');
      rows.push(row);
      log?.(`    ${row.mpps === null ? 'n/a' : `${row.mpps.toFixed(2)} Mpps`}${row.kernelNsPerRun === null ? '' : `, kernel ${row.kernelNsPerRun.toFixed(1)} ns/run`}${row.note ? ` (${row.note})` : ''}\n`);
    }
  } finally {
    if (typeof kernel !== 'string') {
      kernel.obj.close();
      kernel.set.cleanup();
    }
  }
  return rows;
}

/** wxdp's XDP-only rate: the same generator, RX ring and poll, programs/xdp_pass_drop.o's xdp_drop. ns/pkt, and the harness's part. */
export async function dropRate(root: string, seconds: number, dispatch: 'burst' | 'table' = DISPATCH): Promise<{ ns: number; harness: number }> {
  const dp = await Datapath.create({ umemFrames: UMEM_FRAMES, dispatch });
  const eth0 = dp.addDevice({ name: 'eth0', mac: MAC.eth0, ringSize: 256 });
  const eth1 = dp.addDevice({ name: 'eth1', mac: MAC.eth1, ringSize: 256 });
  const obj = await dp.loadObject(join(root, DROP_OBJECT));
  eth0.attachXdp(obj.program('xdp_drop'));
  const gen = traffic(dp);
  return pollRate({ dp, eth0, eth1, gen, ecmp: 1, rules: 0, prefixes: 0 }, seconds);
}

export function formatForwardTable(rows: readonly ForwardRow[]): string {
  const f = (v: number | null, d = 1, suffix = '') => (v === null ? 'n/a' : v.toFixed(d) + suffix);
  const head = ['row', 'prefixes', 'Mpps', 'ns/pkt', 'harness ns', 'data path ns', 'data path Mpps', 'forwarded', 'kernel ns/run', 'vs kernel', 'of XDP-only', 'target (data path)', '2 MiB pages', 'note'];
  const body = rows.map((r) => [
    rowLabel(r),
    r.prefixes ? String(r.prefixes) : '-',
    f(r.mpps, 2),
    f(r.nsPerPacket),
    f(r.harnessNs),
    f(r.dataPathNs),
    f(r.dataPathMpps, 2),
    r.forwarded === null ? 'n/a' : `${(r.forwarded * 100).toFixed(1)}%`,
    f(r.kernelNsPerRun),
    f(r.vsKernel, 2, '×'),
    f(r.ofXdpOnly, 2),
    r.target === null ? '' : `≥ ${r.target}: ${r.dataPathMpps === null ? 'n/a' : r.dataPathMpps >= r.target ? 'met' : 'NOT met'}`,
    r.rssMiB === undefined ? '' : `${r.anonHugePagesMiB} of ${r.rssMiB} MiB`,
    r.note ?? '',
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (c: string[]) => c.map((x, i) => (i === 0 || i >= 11 ? x.padEnd(w[i]!) : x.padStart(w[i]!))).join('  ').trimEnd();
  return [line(head), line(w.map((k) => '-'.repeat(k))), ...body.map(line)].join('\n') + '\n';
}

export const FORWARD_LEGEND = `ns/pkt: the whole round per packet (generator, JavaScript calls, data path), the best of 5 windows of
the main thread's CPU time where Linux tells it (bench/rate.ts), else of the wall clock.
harness ns: the NIC's work — the generator writing each frame into the RX ring, the sent frames put on
the completion ring — and the round's JavaScript calls per packet of a burst, measured in the same
rounds; data path ns = ns/pkt − harness ns, and the targets are judged on data path Mpps.
of XDP-only: Mpps ÷ wxdp's XDP_DROP Mpps through the same generator, ring and poll (same run).
vs kernel: ns/pkt ÷ the kernel's BPF_PROG_TEST_RUN ns/run of the XDP router (programs/xdp_fib_forward.o)
on the same table, rules and ECMP in a network namespace (mean of 8 destinations at TTL 255, 250 runs per
call, as test_run does not restore the frame between runs: no driver, no ring, warm caches — a floor
for the kernel's per-packet cost).
2 MiB pages: of the row's wasm memory, MiB resident on 2 MiB pages (AnonHugePages) of MiB resident, after its rounds
(the header says whether the native addon advised the memory; WXDP_HUGEPAGES=0 runs without).
`;
