// `wxdp run OBJ.o --in IN.pcap [--out OUT.pcapng] [name PROG] [--devices N] [--mtu N] [--json]`:
// replay a capture through a device with the program attached, as xdp-tools' replay or tcpreplay into
// an XDP interface would, and write what came out — transmitted (XDP_TX), redirected (the target
// device's TX), passed to the host (XDP_PASS) — to a pcapng file, one interface per device and
// direction. Ends with a summary: verdicts, drops by reason, frames out per interface.
// --sysctl NAME=VALUE and --ip-batch FILE (repeatable, applied in the order given, after the devices
// exist) configure the stack behind XDP_PASS before the first frame.

import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Datapath } from '../control/datapath.js';
import type { Device } from '../control/device.js';
import { readPcap, writePcapng } from '../pcap/index.js';
import { usageError, type Io } from './main.js';
import { configureStack, stackLine, type StackStep, type StackSummary } from './stack.js';

const RUN_USAGE = 'usage: wxdp run OBJ.o [name PROG] --in IN.pcap [--out OUT.pcapng] [--devices N] [--mtu N] [--sysctl NAME=VALUE]... [--ip-batch FILE]... [--json]';

interface OutInterface {
  name: string;
  device: Device;
  kind: 'tx' | 'host';
}

export async function runCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals, tokens } = parseArgs({
    args: argv,
    allowPositionals: true,
    tokens: true,
    options: {
      help: { type: 'boolean', default: false },
      sysctl: { type: 'string', multiple: true },
      'ip-batch': { type: 'string', multiple: true },
      in: { type: 'string' },
      out: { type: 'string' },
      devices: { type: 'string', default: '2' },
      mtu: { type: 'string', default: '1500' },
      batch: { type: 'string', default: '64' },
      json: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    io.out(RUN_USAGE + '\n');
    return 0;
  }
  const [objPath, ...rest] = positionals;
  if (!objPath) throw usageError(RUN_USAGE);
  if (!values.in) throw usageError('--in IN.pcap is required');
  let name: string | undefined;
  if (rest[0] === 'name') {
    name = rest[1];
    if (!name) throw usageError("'name' needs a program name");
  } else if (rest.length) throw usageError(`unexpected '${rest[0]}'`);
  const ndev = Number(values.devices);
  const mtu = Number(values.mtu);
  const batch = Number(values.batch);
  if (!Number.isInteger(ndev) || ndev < 1 || ndev > 64) throw usageError('--devices must be 1..64');
  if (!Number.isInteger(mtu) || mtu < 68) throw usageError('--mtu must be an integer ≥ 68');
  if (!Number.isInteger(batch) || batch < 1 || batch > 256) throw usageError('--batch must be 1..256');

  let input: Uint8Array;
  try {
    input = new Uint8Array(readFileSync(values.in));
  } catch (e) {
    throw usageError(`cannot read '${values.in}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const capture = readPcap(input);
  const dp = await Datapath.create();
  const obj = await dp.loadObject(objPath);
  const prog = obj.program(name);
  // eth0 receives the capture and runs the program; the others are redirect targets (ifindex 2, 3, …).
  const devices = Array.from({ length: ndev }, (_, i) => dp.addDevice({ name: `eth${i}`, mtu }));
  devices[0]!.attachXdp(prog);
  // the stack's state (links, addresses, routes, sysctls) as the command line gives it, in its order
  const steps: StackStep[] = tokens.flatMap((t) => (t.kind === 'option' && (t.name === 'sysctl' || t.name === 'ip-batch') && t.value !== undefined ? [{ kind: t.name === 'sysctl' ? ('sysctl' as const) : ('batch' as const), arg: t.value }] : []));
  const stack: StackSummary | undefined = steps.length ? configureStack(dp, steps, io.err) : undefined;
  const outs: OutInterface[] = devices.flatMap((d) => [
    { name: `${d.name} tx`, device: d, kind: 'tx' as const },
    { name: `${d.name} host`, device: d, kind: 'host' as const },
  ]);
  const written: { data: Uint8Array; timestampNs: bigint; interfaceId: number }[] = [];
  const drain = (ts: bigint): void => {
    outs.forEach((o, id) => {
      const frames = o.kind === 'tx' ? o.device.readTx() : o.device.readHost();
      for (const f of frames) written.push({ data: f.data, timestampNs: ts, interfaceId: id });
    });
  };
  const eth0 = devices[0]!;
  const t0 = performance.now();
  for (let i = 0; i < capture.packets.length; i += batch) {
    const chunk = capture.packets.slice(i, i + batch);
    eth0.injectBatch(chunk.map((p) => p.data));
    while (dp.poll() > 0) drain(chunk[chunk.length - 1]!.timestampNs);
    drain(chunk[chunk.length - 1]!.timestampNs);
  }
  const ms = performance.now() - t0;
  if (values.out) {
    writeFileSync(values.out, writePcapng(written, { interfaces: outs.map((o) => ({ name: o.name, linktype: 1 })) }));
  }
  const stats = eth0.stats();
  const perInterface = outs.map((o, id) => ({ interface: o.name, frames: written.filter((w) => w.interfaceId === id).length }));
  const drops = Object.fromEntries(Object.entries(stats.drops).filter(([, n]) => n > 0));
  const summary = {
    program: prog.name,
    input: values.in,
    packets: capture.packets.length,
    verdicts: stats.verdicts,
    drops,
    out: values.out ?? null,
    written: written.length,
    perInterface,
    ms,
    ...(stack ? { stack } : {}),
  };
  if (values.json) {
    io.out(JSON.stringify(summary, null, 2) + '\n');
    return 0;
  }
  if (stack) io.out(stackLine(stack));
  io.out(`${prog.name}: ${capture.packets.length} packets from ${values.in} in ${ms.toFixed(1)} ms\n`);
  io.out(`verdicts: ${Object.entries(stats.verdicts).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}\n`);
  io.out(`drops: ${Object.entries(drops).map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}\n`);
  for (const p of perInterface) if (p.frames) io.out(`${p.interface}: ${p.frames} frames\n`);
  if (values.out) io.out(`wrote ${written.length} frames to ${values.out}\n`);
  return 0;
}

