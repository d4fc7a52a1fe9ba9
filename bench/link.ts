// `wxdp bench link`: real traffic through VXLAN links, wxdp routing it, beside the Linux kernel routing the
// same traffic between the same namespaces, in the same run.
//
//   namespace S (sender)                                                  namespace R (receiver)
//     vxW 192.0.2.1 ─ vni 42 ─▶ [root: wxdp vx0 192.0.2.2 │ vx1 203.0.113.2] ─ vni 45 ─▶ vxW 203.0.113.1
//     vxL 192.0.2.1 ─ vni 43 ─▶ [namespace L: Linux vxS 192.0.2.2 │ vxR 203.0.113.2] ─ vni 44 ─▶ vxL 203.0.113.1
//   underlays: veths S↔root and R↔root (wxdp's sockets bind the root ends), S↔L and R↔L (Linux's)
//
// A row: one path's devices up (the other's down, so S and R route through it), then a python3 sender
// in S writes UDP datagrams of `size` bytes (the inner IPv4 packet) to 203.0.113.1 for `seconds` as fast
// as its loop goes, and a python3 receiver in R counts what arrives; pps and Mbps are the receiver's
// (inner IPv4 bytes over the time from its first datagram to its last), loss = 1 − received ÷ sent.
// Both paths carry the same datagrams through the same kind of tunnel: two VXLAN hops and a route
// lookup in the middle. wxdp's middle is this process: the datagrams reach it through node:dgram (one
// 'message' per datagram, no recvmmsg in Node), its fast path decapsulates, routes, encapsulates, and
// node:dgram sends. Linux's is the kernel's vxlan and IPv4 forwarding in softirq.
//
// The inner UDP checksum: the sender disables it (SO_NO_CHECK), see LINK_LEGEND.
//
// Addresses: TEST-NET only, inside namespaces this bench creates (wx-links-<pid>-<n>, removed at the end
// and on SIGINT/SIGTERM) and on the root ends of their veths, which go away with them.

import { readFileSync } from 'node:fs';
import type { Datapath } from '../src/control/datapath.js';
import type { Device } from '../src/control/device.js';
import { Namespaces, netnsAvailability, removeStaleNamespaces, type Netns } from '../src/oracle/netns.js';
import { linuxVxlan, rootUnderlay, runIn, runReady, toolMissing, wxdpRouter } from './link_topology.js';

export { rootUnderlay, runIn, type RunResult, type Underlay } from './link_topology.js';

export type LinkPath = 'wxdp' | 'linux';

export interface LinkBenchRow {
  path: LinkPath;
  /** Inner IPv4 packet bytes. */
  size: number;
  sent: number;
  /** What the sender managed: sent ÷ its seconds (when it is close to pps, the sender is the limit). */
  offeredPps: number;
  received: number;
  pps: number | null;
  mbps: number | null;
  loss: number | null;
  /** wxdp's row: what its links counted (decap errors, device refusals). */
  note: string;
}

export interface LinkBenchOptions {
  quick?: boolean;
  seconds?: number;
  sizes?: number[];
  log?: (line: string) => void;
}

// The sender stops at its deadline or its count, whichever first: the loop is bounded either way.
const SENDER = `
import socket, sys, time
size, seconds, limit = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, 11, 1)  # SO_NO_CHECK: see the header
s.bind(('192.0.2.1', 0))
data = bytes(size - 28)
n = 0
end = time.monotonic() + seconds
while n < limit and time.monotonic() < end:
    for _ in range(64):
        try:
            s.sendto(data, ('203.0.113.1', 9000))
            n += 1
        except OSError:
            pass
print(n)
`;
// The receiver counts until `idle` seconds pass without a datagram (after the first) or `cap` seconds in all.
const RECEIVER = `
import socket, sys, time
cap = float(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
s.bind(('203.0.113.1', 9000))
s.settimeout(0.3)
print('ready', flush=True)
n = 0; b = 0; first = last = None
end = time.monotonic() + cap
while time.monotonic() < end:
    try:
        d = s.recv(65536)
    except socket.timeout:
        if first is not None:
            break
        continue
    t = time.monotonic()
    if first is None:
        first = t
    last = t; n += 1; b += len(d) + 28
print(n, b, (last - first) if first is not None else 0)
`;

interface Topology {
  s: Netns;
  r: Netns;
  l: Netns;
  dp: Datapath;
  vx0: Device;
  vx1: Device;
}

async function build(set: Namespaces): Promise<Topology> {
  const s = set.create();
  const r = set.create();
  const l = set.create();
  const us = rootUnderlay(s, 60, 'uw');
  const ur = rootUnderlay(r, 61, 'uw');
  // S↔L and R↔L underlays: 198.51.100.248/30 and .252/30
  set.veth({ ns: s, name: 'ul' }, { ns: l, name: 'us' });
  set.veth({ ns: r, name: 'ul' }, { ns: l, name: 'ur' });
  s.ip('addr', 'add', '198.51.100.250/30', 'dev', 'ul');
  l.ip('addr', 'add', '198.51.100.249/30', 'dev', 'us');
  r.ip('addr', 'add', '198.51.100.254/30', 'dev', 'ul');
  l.ip('addr', 'add', '198.51.100.253/30', 'dev', 'ur');
  const vx = (ns: Netns, name: string, vni: number, local: string, remote: string) => linuxVxlan(ns, name, vni, local, remote);
  vx(s, 'vxW', 42, us.nsAddr, us.hostAddr);
  vx(r, 'vxW', 45, ur.nsAddr, ur.hostAddr);
  vx(s, 'vxL', 43, '198.51.100.250', '198.51.100.249');
  vx(r, 'vxL', 44, '198.51.100.254', '198.51.100.253');
  vx(l, 'vxS', 43, '198.51.100.249', '198.51.100.250');
  vx(l, 'vxR', 44, '198.51.100.253', '198.51.100.254');
  for (const [ns, dev] of [[s, 'vxW'], [s, 'vxL']] as const) ns.ip('addr', 'add', '192.0.2.1/24', 'dev', dev);
  for (const [ns, dev] of [[r, 'vxW'], [r, 'vxL']] as const) ns.ip('addr', 'add', '203.0.113.1/24', 'dev', dev);
  l.ip('addr', 'add', '192.0.2.2/24', 'dev', 'vxS');
  l.ip('addr', 'add', '203.0.113.2/24', 'dev', 'vxR');
  l.sysctl({ 'net.ipv4.ip_forward': 1 });
  for (const d of ['vxS', 'vxR']) l.ip('link', 'set', d, 'up');

  const { dp, vx0, vx1 } = await wxdpRouter(us, ur);
  return { s, r, l, dp, vx0, vx1 };
}

/** Route S and R through `path`: its tunnel devices up, the other's down, the routes to each other's subnet. */
function select(t: Topology, path: LinkPath): void {
  const [on, off] = path === 'wxdp' ? ['vxW', 'vxL'] : ['vxL', 'vxW'];
  for (const ns of [t.s, t.r]) {
    ns.ip('link', 'set', off, 'down');
    ns.ip('link', 'set', on, 'up');
    ns.ip('neigh', 'flush', 'dev', on);
  }
  t.s.ip('route', 'replace', '203.0.113.0/24', 'via', '192.0.2.2', 'dev', on);
  t.r.ip('route', 'replace', '192.0.2.0/24', 'via', '203.0.113.2', 'dev', on);
}

async function measure(t: Topology, path: LinkPath, size: number, seconds: number): Promise<LinkBenchRow> {
  select(t, path);
  // Resolve the neighbours first (one ping each way), so the row measures forwarding, not ARP.
  await runIn(t.s, ['ping', '-c', '1', '-W', '1', '203.0.113.1']);
  const before = path === 'wxdp' ? [t.vx0.link!.stats(), t.vx1.link!.stats()] : undefined;
  const rcvbufBefore = udpRcvbufErrors();
  const receiver = runReady(t.r, ['python3', '-c', RECEIVER, String(seconds + 5)], (seconds + 10) * 1000);
  await receiver.ready;
  const sender = await runIn(t.s, ['python3', '-c', SENDER, String(size), String(seconds), String(50_000_000)], (seconds + 10) * 1000);
  const got = await receiver.done;
  const sent = Number(sender.stdout.trim()) || 0;
  const [n, bytes, span] = got.stdout.replace('ready', '').trim().split(/\s+/).map(Number) as [number, number, number];
  const row: LinkBenchRow = {
    path,
    size,
    sent,
    offeredPps: sent / seconds,
    received: n || 0,
    pps: span > 0 ? n / span : null,
    mbps: span > 0 ? (bytes * 8) / span / 1e6 : null,
    loss: sent > 0 ? 1 - (n || 0) / sent : null,
    note: '',
  };
  if (before) {
    const after = [t.vx0.link!.stats(), t.vx1.link!.stats()];
    const rx = after[0]!.rxDatagrams - before[0]!.rxDatagrams;
    const dropped = after[0]!.rxDropped - before[0]!.rxDropped + after[0]!.rxOverflow - before[0]!.rxOverflow;
    row.note = `vx0 took ${rx} datagrams (${dropped} refused by the device or the buffer), vx1 sent ${after[1]!.txPackets - before[1]!.txPackets}; the OS socket's queue overflowed ${udpRcvbufErrors() - rcvbufBefore} times`;
  }
  return row;
}

/** This namespace's Udp RcvbufErrors (/proc/net/snmp): datagrams the kernel dropped at a full socket queue. */
function udpRcvbufErrors(): number {
  const lines = readFileSync('/proc/net/snmp', 'utf8').split('\n').filter((l) => l.startsWith('Udp:'));
  const names = lines[0]?.split(/\s+/) ?? [];
  const values = lines[1]?.split(/\s+/) ?? [];
  const i = names.indexOf('RcvbufErrors');
  return i > 0 ? Number(values[i]) : 0;
}

/** Why the bench cannot run here ('' when it can): root, namespaces, ping and python3. */
export function linkBenchUnavailable(): string {
  const a = netnsAvailability('links');
  if (!a.ok) return a.reason;
  return toolMissing('ping', 'iputils-ping') || toolMissing('python3', 'python3');
}

export async function runLinkBench(opts: LinkBenchOptions = {}): Promise<LinkBenchRow[]> {
  const why = linkBenchUnavailable();
  if (why) throw new Error(`wxdp bench link: ${why}`);
  const seconds = opts.seconds ?? (opts.quick ? 1 : 3);
  const sizes = opts.sizes ?? (opts.quick ? [64] : [64, 1400]);
  removeStaleNamespaces('links');
  const set = new Namespaces('links');
  const rows: LinkBenchRow[] = [];
  let t: Topology | undefined;
  try {
    t = await build(set);
    for (const size of sizes) {
      for (const path of ['wxdp', 'linux'] as const) {
        opts.log?.(`link bench: ${path}, ${size} B, ${seconds} s\n`);
        rows.push(await measure(t, path, size, seconds));
      }
    }
  } finally {
    await t?.vx0.detachLink();
    await t?.vx1.detachLink();
    set.cleanup();
  }
  return rows;
}

export function formatLinkTable(rows: readonly LinkBenchRow[]): string {
  const f = (v: number | null, d: number) => (v === null ? 'n/a' : v.toFixed(d));
  const linux = (size: number) => rows.find((r) => r.path === 'linux' && r.size === size);
  const head = ['path', 'bytes', 'sent', 'offered kpps', 'received', 'kpps', 'Mbps', 'loss', 'vs linux', 'note'];
  const body = rows.map((r) => {
    const base = linux(r.size);
    const ratio = r.path === 'wxdp' && base?.pps && r.pps ? `${(r.pps / base.pps).toFixed(2)}×` : '-';
    return [r.path, String(r.size), String(r.sent), f(r.offeredPps / 1000, 1), String(r.received), f(r.pps === null ? null : r.pps / 1000, 1), f(r.mbps, 1), r.loss === null ? 'n/a' : `${(r.loss * 100).toFixed(1)}%`, ratio, r.note];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(head), ...body.map(line)].join('\n') + '\n';
}

export const LINK_LEGEND = `S → R through two VXLAN hops and a router: wxdp (this process: node:dgram sockets, the fast path's
decap/route/encap) or the kernel (namespace L: vxlan devices, ip_forward). kpps and Mbps: what R's
receiver got (inner IPv4 bytes) over its first-to-last arrival; loss: 1 − received ÷ sent by S's sender
(python3, as fast as its loop goes: offered kpps; when the kernel's kpps is close to it, the sender is the
limit, not the kernel). vs linux: wxdp's kpps ÷ the kernel's, same size, same run. wxdp's note: what its
links counted and how often its OS socket's queue overflowed (Udp RcvbufErrors here; node:dgram asks
for 2 MiB, which net.core.rmem_max caps).
The sender sets SO_NO_CHECK (UDP checksum 0, valid over IPv4): Linux's vxlan over a veth leaves the inner
UDP checksum CHECKSUM_PARTIAL (the veth offers offload), so the bytes that leave the namespace carry only
the pseudo-header sum — the kernel path finishes it in its own skb, but a receiver of the bytes (wxdp's
socket) gets them unfinished, and R would drop them as bad checksums.
`;
