// `wxdp run OBJ.o --in IN.pcap [--out OUT.pcapng] [name PROG] [--devices N] [--mtu N] [--json] …` (help.ts):
// replay a capture through a device with the program attached, as xdp-tools' replay or tcpreplay into
// an XDP interface would, and write what came out — transmitted (XDP_TX), redirected (the target
// device's TX), passed to the host (XDP_PASS) — to a pcapng file, one interface per device and
// direction. Ends with a summary: verdicts, drops by reason, frames out per interface.
// --sysctl NAME=VALUE, --ip-batch FILE and --nft FILE (repeatable, applied in the order given, after the
// devices exist) configure the stack behind XDP_PASS and its netfilter rules before the first frame; --map-update MAP KEY VALUE sets
// map entries before it and --dump-maps prints every map after the replay (a filter's counters).
// Every frame written out carries the timestamp of the captured packet that produced it. Captures of
// Linux cooked capture v1/v2 and raw IP become Ethernet frames (pcap/linktype.ts); a capture cut short
// is replayed up to its last complete packet, with a warning, as tshark reads it.

import { parseArgs } from 'node:util';
import { Datapath, type Program } from '../control/datapath.js';
import { isTracepointProgram } from '../control/tracepoints.js';
import { WxdpError } from '../errors.js';
import { DEVICE_MAX_MTU, DEVICE_MIN_MTU, type Device } from '../control/device.js';
import { parseObject } from '../elf/index.js';
import { convertible, LINKTYPE_ETHERNET, linktypeName, readPcap, toEthernet, writePcapng, type Capture, type CapturedPacket } from '../pcap/index.js';
import { openOutput, readInput } from './files.js';
import { usageError, type Io } from './io.js';
import { cliMaxMemory, cliObjectConfig } from './object_options.js';
import { checkProgramName, dumpMap as dumpMapEntries, loadingLine, mapUpdates, words } from './prog.js';
import { checkStackFiles, configureStack, stackLine, stackSteps, type StackStep, type StackSummary } from './stack.js';

interface OutInterface {
  name: string;
  device: Device;
  kind: 'tx' | 'host';
}

/** A replay with at least this many packets shows its progress (on a terminal, or with --progress). */
const PROGRESS_MIN_PACKETS = 10_000;

/** An integer option in its range, or a usage error that states the range. */
function intOption(name: string, text: string, min: number, max: number): number {
  const v = /^[0-9]+$/.test(text) ? Number(text) : NaN;
  if (!(v >= min && v <= max)) throw usageError(`--${name} must be ${min}..${max}, not '${text}'`);
  return v;
}

export async function runCommand(argv: string[], io: Io): Promise<number> {
  // --map-update takes three words, which parseArgs cannot: they are taken out first
  const mapArgs: string[] = [];
  const rest0: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--map-update') {
      mapArgs.push(...argv.slice(i, i + 4));
      i += 3;
    } else rest0.push(argv[i]!);
  }
  const { multi } = words(mapArgs, { multi: { 'map-update': 3 }, positionals: 0 });
  const { values, positionals, tokens } = parseArgs({
    args: rest0,
    allowPositionals: true,
    tokens: true,
    options: {
      sysctl: { type: 'string', multiple: true },
      'ip-batch': { type: 'string', multiple: true },
      nft: { type: 'string', multiple: true },
      in: { type: 'string' },
      out: { type: 'string' },
      devices: { type: 'string', default: '2' },
      mtu: { type: 'string', default: '1500' },
      batch: { type: 'string', default: '64' },
      'dump-maps': { type: 'boolean', default: false },
      progress: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
  });
  const [objPath, ...rest] = positionals;
  if (!objPath) throw usageError('missing OBJ.o');
  if (!values.in) throw usageError('--in IN.pcap is required');
  let name: string | undefined;
  if (rest[0] === 'name') {
    name = rest[1];
    if (!name) throw usageError("'name' needs a program name");
    if (rest.length > 2) throw usageError(`unexpected argument '${rest[2]}'`);
  } else if (rest.length) throw usageError(`unexpected argument '${rest[0]}'`);
  const ndev = intOption('devices', values.devices!, 1, 64);
  const mtu = intOption('mtu', values.mtu!, DEVICE_MIN_MTU, DEVICE_MAX_MTU);
  const batch = intOption('batch', values.batch!, 1, 256);
  const json = values.json!;
  const say = json ? undefined : io.err;

  // the object's names, the capture and the output file, before anything is loaded or replayed
  const objBytes = readInput(objPath);
  const spec = parseObject(objBytes, { path: objPath });
  checkProgramName(spec, objPath, name);
  const updates = mapUpdates(spec, objPath, multi);
  const capture = readPcap(readInput(values.in, '--in'), { keepTruncated: true });
  // tshark: "The file … appears to have been cut short in the middle of a packet."
  if (capture.truncated) io.err(`wxdp run: warning: ${values.in} appears to have been cut short in the middle of a packet (${capture.truncated.message}); replaying the ${capture.packets.length} complete packets\n`);
  const linktypes = new Set(capture.packets.map(linktypeOf(capture)));
  for (const t of linktypes) if (!convertible(t)) throw usageError(`${linktypeName(t)} cannot be replayed: wxdp converts Ethernet, Linux cooked capture v1/v2 and raw IP`);
  // the stack's state (links, addresses, routes, sysctls) as the command line gives it, in its order
  const steps: StackStep[] = stackSteps(tokens.flatMap((t) => (t.kind === 'option' ? [[t.name, t.value] as const] : [])));
  checkStackFiles(steps);
  const out = values.out !== undefined ? openOutput(values.out, '--out') : undefined;

  const line = say && loadingLine(objPath, spec, { verify: true, engine: 'jit' });
  if (line) say(line);
  const dp = await Datapath.create({ maxMemory: cliMaxMemory() });
  const obj = await dp.loadObject(objBytes, { ...cliObjectConfig(), path: objPath });
  for (const u of updates) obj.map(u.map).update(u.key, u.value);
  // the program asked for, else the object's first plain XDP program (xdp-bench / xdp-monitor objects
  // begin with their tracepoint programs)
  const isXdp = (p: Program) => p.spec.type === 'xdp' && p.spec.attachType !== 'xdp_devmap' && p.spec.attachType !== 'xdp_cpumap';
  const prog = name === undefined ? ([...obj.programs.values()].find(isXdp) ?? obj.program()) : obj.program(name);
  // Its tracepoint programs are attached for the replay, as a skeleton's __attach attaches them (their
  // counts show in --dump-maps); one the kernel would refuse is left out with the reason.
  const tracepoints = { attached: [] as string[], refused: {} as Record<string, string> };
  for (const p of obj.programs.values()) {
    if (!isTracepointProgram(p)) continue;
    try {
      p.attachTracepoint();
      tracepoints.attached.push(p.name);
    } catch (e) {
      if (!(e instanceof WxdpError)) throw e;
      tracepoints.refused[p.name] = e.message;
      if (!json) io.err(`wxdp run: note: program ${p.name} (section ${p.section}) not attached: ${e.message}\n`);
    }
  }
  // eth0 receives the capture and runs the program; the others are redirect targets (ifindex 2, 3, …).
  const devices = Array.from({ length: ndev }, (_, i) => dp.addDevice({ name: `eth${i}`, mtu }));
  const eth0 = devices[0]!;
  eth0.attachXdp(prog);
  const { packets, skipped } = toEthernet(capture.packets, linktypeOf(capture), eth0.mac);
  if (skipped) io.err(`wxdp run: warning: ${skipped} packet${skipped === 1 ? '' : 's'} of ${linktypeName(capture.linktype)} that cannot be Ethernet II frames (no EtherType, or too short) skipped\n`);
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
  const progress = progressLine(values.in, packets.length, values.progress!, say);
  const t0 = performance.now();
  // a burst holds packets of one timestamp only, so every frame out carries the time of the packet that made it
  for (let i = 0; i < packets.length; ) {
    const ts = packets[i]!.timestampNs;
    let j = i + 1;
    while (j < packets.length && j - i < batch && packets[j]!.timestampNs === ts) j++;
    eth0.injectBatch(packets.slice(i, j).map((p) => p.data));
    while (dp.poll() > 0) drain(ts);
    drain(ts);
    i = j;
    progress?.(i);
  }
  const ms = performance.now() - t0;
  out?.write(writePcapng(written, { interfaces: outs.map((o) => ({ name: o.name, linktype: LINKTYPE_ETHERNET })) }));
  const stats = eth0.stats();
  const perInterface = outs.map((o, id) => ({ interface: o.name, frames: written.filter((w) => w.interfaceId === id).length }));
  const drops = Object.fromEntries(Object.entries(stats.drops).filter(([, n]) => n > 0));
  const maps = values['dump-maps'] ? Object.fromEntries([...obj.maps.values()].map((m) => [m.name, dumpMapEntries(m)])) : undefined;
  const summary = {
    program: prog.name,
    input: values.in,
    packets: packets.length,
    ...(capture.truncated ? { truncated: capture.truncated } : {}),
    ...(skipped ? { skipped } : {}),
    verdicts: stats.verdicts,
    drops,
    out: out?.path ?? null,
    written: written.length,
    perInterface,
    ms,
    ...(maps ? { maps } : {}),
    ...(stack ? { stack } : {}),
    ...(tracepoints.attached.length || Object.keys(tracepoints.refused).length ? { tracepoints } : {}),
  };
  if (json) {
    io.out(JSON.stringify(summary, null, 2) + '\n');
    return 0;
  }
  if (stack) io.out(stackLine(stack));
  io.out(`${prog.name}: ${packets.length} packets from ${values.in} in ${ms.toFixed(1)} ms\n`);
  if (tracepoints.attached.length) io.out(`tracepoint programs: ${tracepoints.attached.join(', ')}\n`);
  io.out(`verdicts: ${Object.entries(stats.verdicts).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}\n`);
  io.out(`drops: ${Object.entries(drops).map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}\n`);
  for (const p of perInterface) if (p.frames) io.out(`${p.interface}: ${p.frames} frames\n`);
  if (out) io.out(`wrote ${written.length} frames to ${out.path}\n`);
  if (maps) for (const [n, entries] of Object.entries(maps)) io.out(`map ${n}:\n${entries.map((e) => `  ${JSON.stringify(e)}\n`).join('')}`);
  return 0;
}

/** Each packet's link type: pcapng's per interface, classic pcap's from the file header. */
function linktypeOf(c: Capture): (p: CapturedPacket) => number {
  return (p) => (c.format === 'pcapng' ? (c.interfaces[p.interfaceId ?? 0]?.linktype ?? LINKTYPE_ETHERNET) : c.linktype);
}

/**
 * Progress of a long replay on stderr, redrawn in place about once a second: on a terminal, or when
 * --progress asks (never with --json).
 */
function progressLine(file: string, total: number, asked: boolean, say: ((s: string) => void) | undefined): ((done: number) => void) | undefined {
  if (!say || !(asked || (process.stderr.isTTY && total >= PROGRESS_MIN_PACKETS))) return undefined;
  const t0 = performance.now();
  let last = -Infinity;
  return (done) => {
    const now = performance.now();
    if (done < total && now - last < 1000) return;
    last = now;
    const pct = total ? Math.floor((done / total) * 100) : 100;
    say(`\r${file}: ${done}/${total} packets ${pct}% ${((now - t0) / 1000).toFixed(1)}s${done === total ? '\n' : ''}`);
  };
}
