// `wxdp bench flows`: netfilter's forwarding costs on one core, 64-byte UDP frames, masquerade on the way out.
//
// Topology. eth0 inside (192.0.2.1/24, the client 192.0.2.2), eth1 outside (203.0.113.1/24, the gateway
// 203.0.113.2, the default route). Flow f is client 192.0.2.2:40000 → server 1.0.0.0+f :53 (flows differ by
// destination so that masquerade keeps the port: every translated tuple is unique as it is), leaving eth1 as
// 203.0.113.1:40000 → server. The wasm packet generator writes the frames into eth0's RX ring (no JavaScript
// per packet); the replies that establish the flows (server → 203.0.113.1:40000) are written into eth1's.
//
// Rows:
//   forward (baseline)   no netfilter at all: the plain forwarding path, the same traffic.
//   flowtable N          N flows (1 / 10k / 1M; --quick 1 / 10k / 100k) established and offloaded (the
//                        flowtable's offload rule), then traffic drawn uniformly over them: every frame a
//                        flowtable hit at ingress (lookup, NAT, TTL, MACs, out) — the issue's ≥ 25 Mpps row.
//   conntrack N          the same flows and traffic without a flowtable: the slow path (PRE_ROUTING conntrack
//                        lookup, FORWARD, POST_ROUTING NAT of an established entry, confirm) for the ratio.
//   new conns            every frame a connection never seen: conntrack NEW, the masquerade binding
//                        (nf_nat_setup_info), confirm at POST_ROUTING. The table is flushed between the
//                        timed windows (untimed), so no window meets a full table.
//   churn                10k offloaded flows take 7 bursts in 8 (hits); the 8th is new connections, which
//                        are never answered and expire (UDP unreplied, 30 s); the stack clock advances a
//                        second every 64 bursts, so conntrack's and the flowtable's collectors run inside
//                        the timed rounds with ~15k short-lived entries coming and going.
//   forward6 (baseline)  the plain IPv6 forwarding path: eth0 2001:db8:1::1/64 (client 2001:db8:1::2), eth1
//                        2001:db8:2::1/64 (gateway 2001:db8:2::2, the default route), flow f to server
//                        2001:db8:100::+f port 53, 64-byte frames (the smallest IPv6 UDP frame is 62 bytes).
//   flowtable6 N         N IPv6 flows established and offloaded (IPv6 masquerade out of eth1), traffic drawn
//                        uniformly over them: every frame an IPv6 flowtable hit (nf_flow_offload_ipv6_hook);
//                        vs forward is to forward6 (baseline), the same run.
//   bidir N / bidir6 N   the flowtable N / flowtable6 N rows' flows, traffic both ways: every other burst the
//                        servers' replies into eth1 (back out of eth0), drawn uniformly over the same flows,
//                        so the hits use both directions' records (the ORIGINAL and the REPLY ones): what a
//                        router sees, and a fairer judge of a table's layout than one direction alone.
// ns/pkt is the whole round (bench/forward.ts's pollRate: generator, the round's JavaScript calls, the data
// path); harness ns is the NIC's work (generator, TX completions) and the calls measured apart in the same rounds; data path ns = ns/pkt −
// harness ns, on which the target is judged. Ratios are to the baseline of the same run.

import { Datapath } from '../src/control/datapath.js';
import { dataPathExports, type Device } from '../src/control/device.js';
import { PacketGenerator } from '../src/control/pktgen.js';
import { pollRate, type WxdpSide } from './forward.js';
import { bestNsPerPacket, memoryPagesMiB, threadCpuNs } from './rate.js';

export type FlowsPath = 'forward' | 'flowtable' | 'conntrack' | 'new conns' | 'churn' | 'bidir' | 'forward6' | 'flowtable6' | 'bidir6';

export interface FlowsRow {
  path: FlowsPath;
  /** Established flows the traffic is drawn over (0: not applicable). */
  flows: number;
  mpps: number | null;
  nsPerPacket: number | null;
  harnessNs: number | null;
  dataPathNs: number | null;
  dataPathMpps: number | null;
  /** Share of the generated frames that came out of eth1. */
  forwarded: number | null;
  /** Share of the frames that were flowtable hits (nf_flowtable:hit ÷ frames received), null without one. */
  hits: number | null;
  /** dataPathNs ÷ the baseline's dataPathNs (same run). */
  vsForward: number | null;
  /** New connections: connections set up per second by the data path (new conns, churn). */
  connsPerSec: number | null;
  /** The issue's target, Mpps of data path (flowtable rows). */
  target: number | null;
  /** The row's wasm memory, MiB resident and of them on 2 MiB pages (AnonHugePages), after its rounds. */
  rssMiB?: number;
  anonHugePagesMiB?: number;
  note?: string;
}

export interface FlowsOptions {
  quick?: boolean;
  log?: (s: string) => void;
  /** Rows whose label contains one of these (comma-separated), with the baseline. */
  only?: string;
  /** Override the flow counts of the flowtable / conntrack rows. */
  flowCounts?: number[];
  /** Seconds per row (default 2, --quick 0.5). */
  seconds?: number;
}

export const TARGET_FLOWTABLE_MPPS = 25;
/** The rows of flowtable hits (the target's). */
const FLOWTABLE_PATHS: readonly FlowsPath[] = ['flowtable', 'bidir', 'flowtable6', 'bidir6'];
/** The IPv6 rows (against forward6's baseline). */
const isV6 = (p: FlowsPath): boolean => p === 'forward6' || p === 'flowtable6' || p === 'bidir6';
const BURST = 64;
const UMEM_FRAMES = 2048;
const MAC = { eth0: '02:00:00:00:0f:00', eth1: '02:00:00:00:0f:01', client: '02:00:00:00:0e:01', gw: '02:00:00:00:0e:02' };
const CLIENT = '192.0.2.2';
const PUBLIC = '203.0.113.1';
const SERVER0 = '1.0.0.0';
const CPORT = 40000;
const SPORT = 53;
const CHURN_FLOWS = 10_000;
/** Flows the new-connection generator counts through (2^24: never repeats within a window), from FRESH0 on: never an established flow's server. */
const FRESH = 1 << 24;
const FRESH0 = '64.0.0.0';

interface Side extends WxdpSide {
  reply: PacketGenerator;
  v6?: boolean;
}

const V6 = { inside: '2001:db8:1::1', client: '2001:db8:1::2', public: '2001:db8:2::1', gw: '2001:db8:2::2', server0: '2001:db8:100::' };

/** The IPv6 router (forward6 / flowtable6 rows): masquerade and a flowtable of `flowtable` flows when not null. */
async function side6(flowtable: number | null): Promise<Side> {
  const dp = await Datapath.create({ umemFrames: UMEM_FRAMES });
  const eth0 = dp.addDevice({ name: 'eth0', mac: MAC.eth0, ringSize: 256 });
  const eth1 = dp.addDevice({ name: 'eth1', mac: MAC.eth1, ringSize: 256 });
  dp.ip('link set dev eth0 up');
  dp.ip('link set dev eth1 up');
  dp.ip(`addr add ${V6.inside}/64 dev eth0 nodad`);
  dp.ip(`addr add ${V6.public}/64 dev eth1 nodad`);
  dp.sysctl('net.ipv6.conf.all.forwarding', 1);
  dp.ip(`neigh add ${V6.client} lladdr ${MAC.client} dev eth0 nud permanent`);
  dp.ip(`neigh add ${V6.gw} lladdr ${MAC.gw} dev eth1 nud permanent`);
  dp.ip(`route add default via ${V6.gw} dev eth1`);
  if (flowtable !== null) {
    const max = Math.max(flowtable + 1024, 4096);
    dp.conntrack.enable({ family: 'ipv6', max, buckets: Math.min(1 << Math.ceil(Math.log2(Math.max(1024, max))), 1 << 20) });
    dp.nat.add({ hook: 'postrouting', family: 'ipv6', oif: 'eth1', type: 'masquerade' });
    dp.flowtable.create({ name: 'ft', devices: ['eth0', 'eth1'], maxFlows: Math.max(flowtable, 1024), family: 'ipv6' });
  }
  return { dp, eth0, eth1, gen: outbound6(dp, 1, 'random'), reply: inbound6(dp, 1), ecmp: 1, rules: 0, prefixes: 0, v6: true };
}

function outbound6(dp: Datapath, flows: number, distribution: 'seq' | 'random', seed = 7): PacketGenerator {
  return new PacketGenerator(dp.fastPath, {
    template: { l3: 'ipv6', l4: 'udp', srcMac: MAC.client, dstMac: MAC.eth0, srcIp: V6.client, dstIp: V6.server0, srcPort: CPORT, dstPort: SPORT },
    size: 64,
    flows,
    distribution,
    vary: ['dstIp'],
    seed,
  });
}

function inbound6(dp: Datapath, flows: number, distribution: 'seq' | 'random' = 'seq', seed = 7): PacketGenerator {
  return new PacketGenerator(dp.fastPath, {
    template: { l3: 'ipv6', l4: 'udp', srcMac: MAC.gw, dstMac: MAC.eth1, srcIp: V6.server0, dstIp: V6.public, srcPort: SPORT, dstPort: CPORT },
    size: 64,
    flows,
    distribution,
    vary: ['srcIp'],
    seed,
  });
}

async function side(nf: { conntrackMax: number; flowtable: number } | null): Promise<Side> {
  const dp = await Datapath.create({ umemFrames: UMEM_FRAMES });
  const eth0 = dp.addDevice({ name: 'eth0', mac: MAC.eth0, ringSize: 256 });
  const eth1 = dp.addDevice({ name: 'eth1', mac: MAC.eth1, ringSize: 256 });
  dp.ip('link set dev eth0 up');
  dp.ip('link set dev eth1 up');
  dp.ip('addr add 192.0.2.1/24 dev eth0');
  dp.ip(`addr add ${PUBLIC}/24 dev eth1`);
  dp.sysctl('net.ipv4.conf.all.forwarding', 1);
  dp.ip(`neigh add ${CLIENT} lladdr ${MAC.client} dev eth0 nud permanent`);
  dp.ip(`neigh add 203.0.113.2 lladdr ${MAC.gw} dev eth1 nud permanent`);
  dp.ip('route add default via 203.0.113.2 dev eth1');
  if (nf) {
    const buckets = 1 << Math.ceil(Math.log2(Math.max(1024, nf.conntrackMax)));
    dp.conntrack.enable({ family: 'ipv4', max: nf.conntrackMax, buckets: Math.min(buckets, 1 << 20) });
    dp.nat.add({ hook: 'postrouting', family: 'ipv4', oif: 'eth1', type: 'masquerade' });
    if (nf.flowtable > 0) dp.flowtable.create({ name: 'ft', devices: ['eth0', 'eth1'], maxFlows: nf.flowtable });
  }
  return { dp, eth0, eth1, gen: outbound(dp, 1, 'random'), reply: inbound(dp, 1), ecmp: 1, rules: 0, prefixes: 0 };
}

/** Client → servers, over `flows` servers. */
function outbound(dp: Datapath, flows: number, distribution: 'seq' | 'random', seed = 7, server0 = SERVER0): PacketGenerator {
  return new PacketGenerator(dp.fastPath, {
    template: { l3: 'ipv4', l4: 'udp', srcMac: MAC.client, dstMac: MAC.eth0, srcIp: CLIENT, dstIp: server0, srcPort: CPORT, dstPort: SPORT },
    size: 64,
    flows,
    distribution,
    vary: ['dstIp'],
    seed,
  });
}

/** The servers' replies to the masqueraded address ('seq': in the same order as outbound's). */
function inbound(dp: Datapath, flows: number, distribution: 'seq' | 'random' = 'seq', seed = 7): PacketGenerator {
  return new PacketGenerator(dp.fastPath, {
    template: { l3: 'ipv4', l4: 'udp', srcMac: MAC.gw, dstMac: MAC.eth1, srcIp: SERVER0, dstIp: PUBLIC, srcPort: SPORT, dstPort: CPORT },
    size: 64,
    flows,
    distribution,
    vary: ['srcIp'],
    seed,
  });
}

/** One burst generated on `from` and polled through; TX completed on both devices. */
function burst(s: WxdpSide, gen: PacketGenerator, from: Device): number {
  const x = dataPathExports(s.dp.fastPath);
  const generate = s.dp.fastPath.exports['dev_rx_generate'] as (dev: number, q: number, g: number, n: number) => number;
  generate(from.address, 0, gen.address, BURST);
  const n = x.napi_poll(from.address, 0, BURST);
  for (const d of [s.eth0, s.eth1]) {
    x.dev_tx_done(d.address, 0, BURST);
    x.napi_poll(d.address, 0, BURST);
    x.dev_host_done(d.address, BURST);
  }
  return n;
}

/** Flows 0..n-1 opened (a frame out) and answered (a reply in), a burst of each at a time: established, and offloaded when there is a flowtable. */
function establish(s: Side, n: number): void {
  const out = s.v6 ? outbound6(s.dp, n, 'seq') : outbound(s.dp, n, 'seq');
  s.reply = s.v6 ? inbound6(s.dp, n) : inbound(s.dp, n);
  for (let done = 0; done < n; done += BURST) {
    burst(s, out, s.eth0);
    burst(s, s.reply, s.eth1);
  }
}

const mib = (s: WxdpSide, name: string): number => s.dp.stack.mib()[name] ?? 0;

export function flowsRowLabel(r: { path: FlowsPath; flows: number }): string {
  if (r.path === 'forward') return 'forward (baseline)';
  if (r.path === 'forward6') return 'forward6 (baseline)';
  if (r.path === 'new conns') return 'new conns';
  if (r.path === 'churn') return `churn ${r.flows}`;
  return `${r.path} ${r.flows}`;
}

export function flowsRowSpecs(counts: readonly number[]): Array<{ path: FlowsPath; flows: number }> {
  const out: Array<{ path: FlowsPath; flows: number }> = [{ path: 'forward', flows: 0 }];
  for (const flows of counts) out.push({ path: 'flowtable', flows }, { path: 'conntrack', flows });
  out.push({ path: 'new conns', flows: 0 }, { path: 'churn', flows: CHURN_FLOWS });
  for (const flows of counts) out.push({ path: 'bidir', flows });
  out.push({ path: 'forward6', flows: 0 });
  for (const flows of counts) out.push({ path: 'flowtable6', flows });
  for (const flows of counts) out.push({ path: 'bidir6', flows });
  return out;
}

/** The rows an --only picks (labels containing one of its comma-separated words) with the baseline; none when it picks no row. */
export function selectFlowsRows(only: string | undefined, counts: readonly number[]): Array<{ path: FlowsPath; flows: number }> {
  const all = flowsRowSpecs(counts);
  const wanted = (only ?? '').split(',').filter((w) => w !== '');
  if (wanted.length === 0) return all;
  const exact = (w: string) => all.some((s) => flowsRowLabel(s) === w);
  const rows = all.filter((s) => wanted.some((w) => (exact(w) ? flowsRowLabel(s) === w : flowsRowLabel(s).includes(w))));
  // each picked row with its family's baseline
  return rows.length === 0 ? [] : all.filter((s) => rows.includes(s) || (s.path === 'forward' && rows.some((r) => !isV6(r.path))) ||
    (s.path === 'forward6' && rows.some((r) => isV6(r.path))));
}

/**
 * ns per new connection: windows of `rounds` bursts of fresh flows, the best of them; the table is flushed
 * (untimed) before each window, so none meets a full one.
 */
function newConnRate(s: Side, seconds: number, rounds: number): { ns: number; forwarded: number } {
  const fresh = outbound(s.dp, FRESH, 'seq', 1, FRESH0);
  let best = Infinity;
  const rx0 = s.eth0.stats().rxPackets;
  const tx0 = s.eth1.stats().txPackets;
  const end = process.hrtime.bigint() + BigInt(Math.round(seconds * 1e9));
  for (let w = 0; w < 3 || process.hrtime.bigint() < end; w++) {
    s.dp.conntrack.flush();
    const c0 = threadCpuNs() ?? Number(process.hrtime.bigint());
    let n = 0;
    for (let i = 0; i < rounds; i++) n += burst(s, fresh, s.eth0);
    const spent = (threadCpuNs() ?? Number(process.hrtime.bigint())) - c0;
    best = Math.min(best, spent / Math.max(1, n));
  }
  return { ns: best, forwarded: (s.eth1.stats().txPackets - tx0) / Math.max(1, s.eth0.stats().rxPackets - rx0) };
}

export async function runFlowsBench(opts: FlowsOptions = {}): Promise<FlowsRow[]> {
  const log = opts.log;
  const counts = opts.flowCounts ?? (opts.quick ? [1, 10_000, 100_000] : [1, 10_000, 1_000_000]);
  const seconds = opts.seconds ?? (opts.quick ? 0.5 : 2);
  const specs = selectFlowsRows(opts.only, counts);
  if (specs.length === 0) return [];
  const rows: FlowsRow[] = [];
  let baseNs: number | null = null;
  let baseNs6: number | null = null;
  for (const spec of specs) {
    log?.(`  ${flowsRowLabel(spec)}…\n`);
    const row: FlowsRow = {
      path: spec.path,
      flows: spec.flows,
      mpps: null,
      nsPerPacket: null,
      harnessNs: null,
      dataPathNs: null,
      dataPathMpps: null,
      forwarded: null,
      hits: null,
      vsForward: null,
      connsPerSec: null,
      target: FLOWTABLE_PATHS.includes(spec.path) ? TARGET_FLOWTABLE_MPPS : null,
    };
    const notes: string[] = [];
    try {
      if (spec.path === 'forward') {
        const s = await side(null);
        s.gen = outbound(s.dp, Math.max(...counts, 1), 'random');
        Object.assign(row, measure(s, seconds));
      } else if (spec.path === 'forward6') {
        const s = await side6(null);
        s.gen = outbound6(s.dp, Math.max(...counts, 1), 'random');
        Object.assign(row, measure(s, seconds));
      } else if (spec.path === 'conntrack' || FLOWTABLE_PATHS.includes(spec.path)) {
        const ft = spec.path !== 'conntrack';
        const s = isV6(spec.path) ? await side6(spec.flows)
          : await side({ conntrackMax: Math.max(spec.flows + 1024, 4096), flowtable: ft ? Math.max(spec.flows, 1024) : 0 });
        const t0 = Date.now();
        establish(s, spec.flows);
        log?.(`    ${spec.flows} flows established in ${((Date.now() - t0) / 1000).toFixed(1)} s (${s.dp.conntrack.count} conntrack entries)\n`);
        if (s.dp.conntrack.count < spec.flows) notes.push(`only ${s.dp.conntrack.count} of ${spec.flows} flows established`);
        s.gen = s.v6 ? outbound6(s.dp, spec.flows, 'random', 11) : outbound(s.dp, spec.flows, 'random', 11);
        // both ways: the replies drawn over the same flows, every other burst (another seed: not in step)
        const back = spec.path === 'bidir' || spec.path === 'bidir6'
          ? (s.v6 ? inbound6(s.dp, spec.flows, 'random', 17) : inbound(s.dp, spec.flows, 'random', 17)) : undefined;
        const h0 = mib(s, 'nf_flowtable:hit');
        const rx = (): number => s.eth0.stats().rxPackets + s.eth1.stats().rxPackets;
        const rx0 = rx();
        Object.assign(row, measure(s, seconds, back));
        if (ft) row.hits = (mib(s, 'nf_flowtable:hit') - h0) / Math.max(1, rx() - rx0);
      } else if (spec.path === 'new conns') {
        const s = await side({ conntrackMax: 1 << 17, flowtable: 0 });
        // the warm-up tiers the code up, as pollRate's does
        const warm = outbound(s.dp, FRESH, 'seq', 3, '128.0.0.0');
        for (let i = 0; i < 1000; i++) burst(s, warm, s.eth0);
        const r = newConnRate(s, seconds, 1000);
        row.nsPerPacket = r.ns;
        row.mpps = 1000 / r.ns;
        row.forwarded = r.forwarded;
        row.connsPerSec = 1e9 / r.ns;
      } else {
        const s = await side({ conntrackMax: 1 << 16, flowtable: CHURN_FLOWS });
        establish(s, CHURN_FLOWS);
        Object.assign(row, churn(s, seconds));
      }
    } catch (e) {
      notes.push((e as Error).message.split('\n')[0]!);
    }
    if (row.nsPerPacket !== null && row.harnessNs !== null) {
      row.dataPathNs = Math.max(row.nsPerPacket - row.harnessNs, 0.1);
      row.dataPathMpps = 1000 / row.dataPathNs;
    }
    const base = isV6(spec.path) ? baseNs6 : baseNs;
    if (spec.path === 'forward') baseNs = row.dataPathNs;
    else if (spec.path === 'forward6') baseNs6 = row.dataPathNs;
    else if (row.dataPathNs !== null && base !== null) row.vsForward = row.dataPathNs / base;
    if (row.forwarded !== null && row.forwarded < 0.99) notes.push(`only ${(row.forwarded * 100).toFixed(1)}% forwarded`);
    if (row.hits !== null && row.hits < 0.99) notes.push(`only ${(row.hits * 100).toFixed(1)}% flowtable hits`);
    if (notes.length) row.note = notes.join('; ');
    rows.push(row);
    log?.(`    ${row.dataPathMpps === null ? 'n/a' : `${row.dataPathMpps.toFixed(2)} Mpps (data path)`}${row.note ? ` (${row.note})` : ''}\n`);
  }
  return rows;
}

function measure(s: WxdpSide, seconds: number, reverse?: PacketGenerator): Partial<FlowsRow> {
  const r = pollRate(s, seconds, reverse);
  return { nsPerPacket: r.ns, mpps: 1000 / r.ns, harnessNs: r.harness, forwarded: r.forwarded, ...memoryPagesMiB(s.dp.memory) };
}

/** Hits on the offloaded flows, every 8th burst new connections, the stack clock a second on every 64 bursts. */
function churn(s: Side, seconds: number): Partial<FlowsRow> {
  const hitsGen = outbound(s.dp, CHURN_FLOWS, 'random', 13);
  const fresh = outbound(s.dp, FRESH, 'seq', 5, FRESH0);
  let k = 0;
  const round = (): number => {
    k++;
    if ((k & 63) === 0) s.dp.stack.advance(1000);
    return burst(s, (k & 7) === 0 ? fresh : hitsGen, s.eth0);
  };
  for (let i = 0; i < 5000; i++) round();
  const rx0 = s.eth0.stats().rxPackets;
  const tx0 = s.eth1.stats().txPackets;
  const ns = bestNsPerPacket(round, seconds);
  const forwarded = (s.eth1.stats().txPackets - tx0) / Math.max(1, s.eth0.stats().rxPackets - rx0);
  return { nsPerPacket: ns, mpps: 1000 / ns, forwarded, connsPerSec: 1e9 / ns / 8 };
}

export function formatFlowsTable(rows: readonly FlowsRow[]): string {
  const f = (v: number | null, d = 1, suffix = '') => (v === null ? 'n/a' : v.toFixed(d) + suffix);
  const head = ['row', 'Mpps', 'ns/pkt', 'harness ns', 'data path ns', 'data path Mpps', 'vs forward', 'forwarded', 'hits', 'conns/s', 'target (data path)', '2 MiB pages', 'note'];
  const body = rows.map((r) => [
    flowsRowLabel(r),
    f(r.mpps, 2),
    f(r.nsPerPacket),
    f(r.harnessNs),
    f(r.dataPathNs),
    f(r.dataPathMpps, 2),
    f(r.vsForward, 2, '×'),
    r.forwarded === null ? 'n/a' : `${(r.forwarded * 100).toFixed(1)}%`,
    r.hits === null ? '-' : `${(r.hits * 100).toFixed(1)}%`,
    r.connsPerSec === null ? '-' : `${(r.connsPerSec / 1e6).toFixed(2)} M`,
    r.target === null ? '' : `≥ ${r.target}: ${r.dataPathMpps === null ? 'n/a' : r.dataPathMpps >= r.target ? 'met' : 'NOT met'}`,
    r.rssMiB === undefined ? '' : `${r.anonHugePagesMiB} of ${r.rssMiB} MiB`,
    r.note ?? '',
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (c: string[]) => c.map((x, i) => (i === 0 || i >= 10 ? x.padEnd(w[i]!) : x.padStart(w[i]!))).join('  ').trimEnd();
  return [line(head), line(w.map((k) => '-'.repeat(k))), ...body.map(line)].join('\n') + '\n';
}

export const FLOWS_LEGEND = `ns/pkt: the whole round per packet (generator, JavaScript calls, data path), best of 5 windows of the
thread's CPU time (bench/rate.ts); harness ns: the NIC's work (generator, TX completions) and the round's calls, measured apart in the
same rounds; data path ns = ns/pkt − harness ns. vs forward: data path ns ÷ the baseline's (same run).
hits: nf_flowtable:hit ÷ frames received. forward6 / flowtable6: the same over IPv6 (vs forward6's baseline). bidir / bidir6:
the flowtable rows' flows with every other burst their replies (into eth1, out of eth0): both directions' records hit. new conns: each frame a new connection (conntrack NEW, masquerade,
confirm), ns/pkt without the harness split; conns/s = 1e9 ÷ ns/pkt. churn: 7 bursts in 8 hit 10k offloaded
flows, the 8th opens new connections that expire unanswered; the clock runs a second per 64 bursts
(conntrack's and the flowtable's collectors run in the timed rounds); conns/s = the new connections' rate.
2 MiB pages: of the row's wasm memory, MiB resident on 2 MiB pages (AnonHugePages) of MiB resident, after its rounds
(the header says whether the native addon advised the memory; WXDP_HUGEPAGES=0 runs without).
`;
