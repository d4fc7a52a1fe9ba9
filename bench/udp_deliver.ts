// Delivery to JavaScript (`wxdp bench udp`, after the demux rows): 64 B IPv4 UDP datagrams to one bound
// socket, counted when a JS handler holds them. Rows:
//   'message'      dp.udp socket with a listener: generate a burst → poller.run() (dp.poll, the ready
//                  list, one 'message' each)
//   receiveBatch   the same socket without a listener: generate → dp.poll → receiveBatch(256) until empty
//   node:dgram     baseline, same run: a node:dgram socket on 127.0.0.1 receiving from a child process
//                  that sends the same datagrams (the receiver's CPU only: the sender is another process)
// Figures: CPU time of this process per datagram delivered (the wxdp rows include generating the frames
// and the whole stack), best of 5 windows. Target (issue 11): the batch interface ≥ 10× node:dgram.

import { spawn } from 'node:child_process';
import * as dgram from 'node:dgram';
import { once } from 'node:events';
import { Datapath } from '../src/control/datapath.js';
import { PacketGenerator } from '../src/control/pktgen.js';
import { Poller } from '../src/control/poller.js';

export interface UdpDeliverRow {
  row: string;
  /** Million datagrams per second of CPU (1000 / ns). */
  mpps: number | null;
  nsPerDatagram: number | null;
  /** Over node:dgram's row. */
  ratio: number | null;
  note?: string;
}

export const DELIVER_TARGET_RATIO = 10;
const BURST = 64;

async function wxdpRow(mode: 'message' | 'batch', windowRounds: number): Promise<number> {
  const dp = await Datapath.create({ umemFrames: 4096 });
  const eth0 = dp.addDevice({ name: 'eth0', mac: '02:00:00:00:00:01' });
  dp.ip('link set eth0 up');
  dp.ip('addr add 192.0.2.1/24 dev eth0');
  const poller = Poller.of(dp, { clock: 'manual' });
  const s = dp.udp.createSocket('udp4');
  s.bind(5353, '192.0.2.1');
  await once(s, 'listening');
  s.setRecvBufferSize(1 << 22);
  let got = 0;
  if (mode === 'message') s.on('message', () => got++);
  const gen = new PacketGenerator(dp.fastPath, {
    template: { l3: 'ipv4', l4: 'udp', srcMac: '02:00:00:00:00:02', dstMac: '02:00:00:00:00:01', srcIp: '192.0.2.2', dstIp: '192.0.2.1', srcPort: 40000, dstPort: 5353 },
    size: 64,
    flows: 1,
    seed: 1,
  });
  const generate = dp.fastPath.exports['dev_rx_generate'] as (dev: number, q: number, g: number, n: number) => number;
  const round = (): void => {
    generate(eth0.address, 0, gen.address, BURST);
    if (mode === 'message') poller.run();
    else {
      dp.poll();
      for (;;) {
        const b = s.receiveBatch(256);
        got += b.length;
        if (b.length === 0) break;
      }
    }
  };
  for (let i = 0; i < 3000; i++) round();
  let best = Infinity;
  for (let w = 0; w < 5; w++) {
    const g0 = got;
    const c0 = process.cpuUsage();
    for (let i = 0; i < windowRounds; i++) round();
    const c = process.cpuUsage(c0);
    best = Math.min(best, ((c.user + c.system) * 1000) / Math.max(1, got - g0));
  }
  s.close();
  return best;
}

/** node:dgram's receiver, fed by a child process; ns of this process's CPU per datagram received. */
async function nodeRow(windowDatagrams: number): Promise<number> {
  const r = dgram.createSocket('udp4');
  r.bind(0, '127.0.0.1');
  await once(r, 'listening');
  r.setRecvBufferSize(1 << 22);
  const total = windowDatagrams * 6;
  // the sender paces itself by bursts so the receiver's queue is rarely the limit
  const script = `const s = require('node:dgram').createSocket('udp4'); const b = Buffer.alloc(22); let n = 0;
    const tick = () => { for (let i = 0; i < ${BURST} && n < ${total}; i++, n++) s.send(b, ${r.address().port}, '127.0.0.1');
      if (n < ${total}) setImmediate(tick); else setTimeout(() => s.close(), 200); }; tick();`;
  const child = spawn(process.execPath, ['-e', script], { stdio: 'ignore' });
  let got = 0;
  const marks: Array<[number, NodeJS.CpuUsage]> = [];
  r.on('message', () => {
    got++;
    if (got % windowDatagrams === 0) marks.push([got, process.cpuUsage()]);
  });
  await once(child, 'exit');
  await new Promise((resolve) => setTimeout(resolve, 100));
  r.close();
  let best = Infinity;
  // the first window warms up
  for (let i = 2; i < marks.length; i++) {
    const [n1, c1] = marks[i - 1]!;
    const [n2, c2] = marks[i]!;
    best = Math.min(best, ((c2.user - c1.user + c2.system - c1.system) * 1000) / (n2 - n1));
  }
  if (!Number.isFinite(best)) throw new Error(`node:dgram received ${got} of ${total} datagrams: too few for a window`);
  return best;
}

export async function runUdpDeliverBench(opts: { quick?: boolean; log?: (s: string) => void } = {}): Promise<UdpDeliverRow[]> {
  const rounds = opts.quick ? 200 : 1000;
  const rows: UdpDeliverRow[] = [];
  let base: number | null = null;
  const specs: Array<[string, () => Promise<number>]> = [
    ['node:dgram on loopback (baseline)', () => nodeRow(rounds * 10)],
    ["dp.udp 'message'", () => wxdpRow('message', rounds)],
    ['dp.udp receiveBatch', () => wxdpRow('batch', rounds)],
  ];
  for (const [name, run] of specs) {
    opts.log?.(`  ${name}…\n`);
    const row: UdpDeliverRow = { row: name, mpps: null, nsPerDatagram: null, ratio: null };
    try {
      const ns = await run();
      row.nsPerDatagram = ns;
      row.mpps = 1000 / ns;
      if (base === null) base = ns;
      else row.ratio = base / ns;
    } catch (e) {
      row.note = (e as Error).message.split('\n')[0];
    }
    rows.push(row);
  }
  return rows;
}

export function formatUdpDeliverTable(rows: readonly UdpDeliverRow[]): string {
  const f = (v: number | null, d = 1) => (v === null ? 'n/a' : v.toFixed(d));
  const head = ['row', 'M/s', 'ns/dgram', '× node', 'target', 'note'];
  const body = rows.map((r) => [
    r.row,
    f(r.mpps, 2),
    f(r.nsPerDatagram),
    f(r.ratio, 1),
    r.row.includes('receiveBatch') ? `≥ ${DELIVER_TARGET_RATIO}×: ${r.ratio !== null && r.ratio >= DELIVER_TARGET_RATIO ? 'met' : 'NOT met'}` : '-',
    r.note ?? '',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 || i === cells.length - 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n') + '\n';
}

export const UDP_DELIVER_LEGEND = `ns/dgram: CPU time of this process per datagram a JS handler got (wxdp: frame generation, the stack and the
delivery; node:dgram: the receiving side only, a child process sends). Best of 5 windows.
`;
