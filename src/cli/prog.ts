// `wxdp prog load|show|dump|run` and `wxdp map dump|lookup|update`, in bpftool's shape:
//
//   wxdp prog run OBJ.o [name NAME] data_in FILE [data_out FILE] [ctx_in FILE] [repeat N] [--json]
//                 [--devices N] [--sysctl NAME=VALUE]... [--ip-batch FILE]...   (the stack behind the program)
//
// wxdp keeps no state between commands (there is no kernel holding the maps), so each command loads
// the object afresh: `map` commands see the maps as loading leaves them (global data initialised,
// prog_arrays filled), and `prog run --map-update MAP KEY VALUE` sets entries before the run.

import { readFileSync, writeFileSync } from 'node:fs';
import { formatInsn } from '../asm/index.js';
import { Datapath, type BpfObject, type LoadOptions, type TestRunResult, type XdpContext } from '../control/datapath.js';
import { parseObject, type ObjectSpec } from '../elf/index.js';
import { VerifierError, WxdpError } from '../errors.js';
import { mapTypeName, type BpfMap } from '../maps/index.js';
import type { EngineName } from '../runtime/types.js';
import { usageError, type Io } from './main.js';
import { parseHexBytes } from './program.js';
import { configureStack, stackLine, type StackStep, type StackSummary } from './stack.js';
import { dumpJson, entryJson } from '../control/map_json.js';
import { entryLine } from './live.js';

/** bpftool-style words: `name X data_in F` plus --flags. */
interface Words {
  positional: string[];
  kv: Map<string, string>;
  flags: Set<string>;
  multi: Array<[string, string[]]>;
}

const KEYWORDS = new Set(['name', 'data_in', 'data_out', 'ctx_in', 'ctx_out', 'repeat', 'engine', 'syntax']);

function words(argv: readonly string[], multiArity: Record<string, number> = {}): Words {
  const w: Words = { positional: [], kv: new Map(), flags: new Set(), multi: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const bare = a.replace(/^--/, '');
    if (a.startsWith('--') && multiArity[bare] !== undefined) {
      const n = multiArity[bare]!;
      const args = argv.slice(i + 1, i + 1 + n);
      if (args.length !== n) throw usageError(`${a} needs ${n} arguments`);
      w.multi.push([bare, args]);
      i += n;
    } else if (a.startsWith('--') && KEYWORDS.has(bare)) {
      if (i + 1 >= argv.length) throw usageError(`${a} needs a value`);
      w.kv.set(bare, argv[++i]!);
    } else if (a.startsWith('--')) {
      w.flags.add(bare);
    } else if (KEYWORDS.has(a)) {
      if (i + 1 >= argv.length) throw usageError(`'${a}' needs a value`);
      w.kv.set(a, argv[++i]!);
    } else {
      w.positional.push(a);
    }
  }
  return w;
}

function readObject(path: string | undefined): { path: string; bytes: Uint8Array } {
  if (!path) throw usageError('missing OBJ.o');
  try {
    return { path, bytes: new Uint8Array(readFileSync(path)) };
  } catch (e) {
    throw usageError(`cannot read '${path}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

function engineOf(w: Words): EngineName {
  const e = w.kv.get('engine') ?? 'jit';
  if (e !== 'jit' && e !== 'interp') throw usageError(`engine must be jit or interp, not '${e}'`);
  return e;
}

async function load(file: string | undefined, engine: EngineName = 'jit', extra: LoadOptions = {}): Promise<{ dp: Datapath; obj: BpfObject }> {
  const { path, bytes } = readObject(file);
  const dp = await Datapath.create();
  const obj = await dp.loadObject(bytes, { path, engine, ...extra });
  return { dp, obj };
}

function mapLine(m: BpfMap): string {
  return `${m.name}: ${mapTypeName(m.type)}  key ${m.keySize}B  value ${m.valueSize}B  max_entries ${m.maxEntries}  flags 0x${m.flags.toString(16)}`;
}

function describeSpec(spec: ObjectSpec): object {
  return {
    license: spec.license,
    programs: spec.programs.map((p) => ({ name: p.name, section: p.section, type: p.type, insns: p.insns.filter((i) => !i.isLdImm64Tail).length, maps: [...new Set(p.mapRefs.map((r) => r.map))] })),
    maps: spec.maps.map((m) => ({ name: m.name, type: m.typeName, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: m.flags })),
    btf: spec.btf !== undefined,
  };
}

export async function progCommand(argv: string[], io: Io): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case 'show': {
      const w = words(rest);
      const { path, bytes } = readObject(w.positional[0]);
      const spec = parseObject(bytes, { path });
      const d = describeSpec(spec) as ReturnType<typeof describeSpec> & { programs: Array<{ name: string; section: string; type: string; insns: number; maps: string[] }> };
      if (w.flags.has('json')) {
        io.out(JSON.stringify(d, null, 2) + '\n');
        return 0;
      }
      for (const p of d.programs) io.out(`${p.name}: ${p.type}  section ${p.section}  ${p.insns} insns${p.maps.length ? `  maps ${p.maps.join(',')}` : ''}\n`);
      for (const m of spec.maps) io.out(`map ${m.name}: ${m.typeName}  key ${m.keySize}B  value ${m.valueSize}B  max_entries ${m.maxEntries}\n`);
      io.out(`license ${JSON.stringify(spec.license)}${spec.btf ? ', BTF' : ''}\n`);
      return 0;
    }
    case 'load': {
      // --log [1|2]: the verifier's log, as `bpftool -d prog load` shows the kernel's.
      const args = [...rest];
      const at = args.indexOf('--log');
      let logLevel: 0 | 1 | 2 = 0;
      if (at >= 0) {
        logLevel = args[at + 1] === '2' ? 2 : 1;
        if (/^[12]$/.test(args[at + 1] ?? '')) args.splice(at + 1, 1);
      }
      const w = words(args);
      const t0 = performance.now();
      let obj: BpfObject;
      try {
        ({ obj } = await load(w.positional[0], engineOf(w), { logLevel, verify: !w.flags.has('no-verify') }));
      } catch (e) {
        if (e instanceof VerifierError && logLevel) io.out(e.log);
        throw e;
      }
      const ms = performance.now() - t0;
      if (w.flags.has('json')) {
        const programs = [...obj.programs.values()].map((p) => ({ name: p.name, checked: p.checked, verifier: p.verifierStats ? { ...p.verifierStats, stackDepth: Object.fromEntries(p.verifierStats.stackDepth) } : null, ...(logLevel ? { log: p.verifierLog } : {}) }));
        io.out(JSON.stringify({ loaded: true, ms, ...describeSpec(obj.spec), verified: programs }, null, 2) + '\n');
        return 0;
      }
      for (const p of obj.programs.values()) {
        if (logLevel) io.out(`--- verifier log: ${p.name} ---\n${p.verifierLog}`);
        const v = p.verifierStats;
        const how = v ? `verified (${v.insnsProcessed} insns processed, ${v.timeMs.toFixed(1)} ms), runs unchecked` : 'not verified, runs checked';
        io.out(`${p.name}: ${p.spec.type}  section ${p.section}  ${p.insns.filter((i) => !i.isLdImm64Tail).length} insns  loaded (${p.engine.name})  ${how}\n`);
      }
      for (const m of obj.maps.values()) io.out(`map ${mapLine(m)}\n`);
      io.out(`loaded in ${ms.toFixed(1)} ms\n`);
      return 0;
    }
    case 'dump': {
      const w = words(rest);
      const { path, bytes } = readObject(w.positional[0]);
      const spec = parseObject(bytes, { path });
      const syntax = w.kv.get('syntax') ?? 'llvm';
      if (syntax !== 'llvm' && syntax !== 'ubpf') throw usageError(`syntax must be llvm or ubpf, not '${syntax}'`);
      const progs = w.kv.has('name') ? spec.programs.filter((p) => p.name === w.kv.get('name')) : spec.programs;
      if (progs.length === 0) throw usageError(`no program '${w.kv.get('name')}' in ${path}`);
      if (w.flags.has('json')) {
        io.out(JSON.stringify(progs.map((p) => ({ name: p.name, section: p.section, insns: p.insns.map((ins, i) => (ins.isLdImm64Tail ? null : { index: i, text: formatInsn(ins, syntax, i) })).filter(Boolean), lineInfo: p.lineInfo })), null, 2) + '\n');
        return 0;
      }
      for (const p of progs) {
        io.out(`${p.name}:  section ${p.section}\n`);
        const lines = new Map(p.lineInfo.map((l) => [l.index, l]));
        const maps = new Map(p.mapRefs.map((r) => [r.index, r]));
        p.insns.forEach((ins, i) => {
          if (ins.isLdImm64Tail) return;
          const li = lines.get(i);
          if (li && li.text) io.out(`; ${li.text.trim()} @ ${li.file.split('/').pop()}:${li.line}\n`);
          const ref = maps.get(i);
          const note = ref ? `  ; map ${ref.map}${ref.kind === 'value' ? ` value+${ref.offset}` : ''}` : '';
          io.out(`${String(i).padStart(5)}: ${formatInsn(ins, syntax, i)}${note}\n`);
        });
      }
      return 0;
    }
    case 'run': {
      const w = words(rest, { 'map-update': 3, sysctl: 1, 'ip-batch': 1, devices: 1 });
      const runUsage = 'usage: wxdp prog run OBJ.o [name NAME] data_in FILE [data_out FILE] [ctx_in FILE] [repeat N] [engine jit|interp] [--map-update MAP KEY VALUE]... [--devices N] [--sysctl NAME=VALUE]... [--ip-batch FILE]... [--dump-maps] [--json]';
      if (w.flags.has('help')) {
        io.out(runUsage + '\n');
        return 0;
      }
      const dataIn = w.kv.get('data_in');
      if (!dataIn) throw usageError(runUsage);
      const repeat = Number(w.kv.get('repeat') ?? '1');
      if (!Number.isInteger(repeat) || repeat < 1) throw usageError(`repeat must be a positive integer, not '${w.kv.get('repeat')}'`);
      const { dp, obj } = await load(w.positional[0], engineOf(w));
      for (const [flag, [map, key, value]] of w.multi) if (flag === 'map-update') obj.map(map!).update(parseHexBytes(key!, 'key'), parseHexBytes(value!, 'value'));
      // ring devices eth0.. (ifindex 2, 3, … as `wxdp run` numbers them), then the stack in the order given
      const ndev = Number(w.multi.filter(([f]) => f === 'devices').pop()?.[1][0] ?? '0');
      if (!Number.isInteger(ndev) || ndev < 0 || ndev > 64) throw usageError('--devices must be 0..64');
      for (let d = 0; d < ndev; d++) dp.addDevice({ name: `eth${d}` });
      const steps: StackStep[] = w.multi.flatMap(([f, [arg]]): StackStep[] => (f === 'sysctl' ? [{ kind: 'sysctl' as const, arg: arg! }] : f === 'ip-batch' ? [{ kind: 'batch' as const, arg: arg! }] : []));
      const stack: StackSummary | undefined = steps.length ? configureStack(dp, steps, io.err) : undefined;
      const data = readData(dataIn, 'data_in');
      const ctxIn = w.kv.has('ctx_in') ? parseCtx(readData(w.kv.get('ctx_in')!, 'ctx_in')) : undefined;
      const prog = obj.program(w.kv.get('name'));
      const res: TestRunResult = prog.testRun({ data, repeat, ...(ctxIn ? { ctx: ctxIn } : {}) });
      if (w.kv.has('data_out')) writeFileSync(w.kv.get('data_out')!, res.data);
      const maps = w.flags.has('dump-maps') ? Object.fromEntries([...obj.maps.values()].map((m) => [m.name, dumpMap(m)])) : undefined;
      if (w.flags.has('json')) {
        io.out(JSON.stringify({ program: prog.name, retval: res.retval, duration: Math.round(res.duration), dataOut: Buffer.from(res.data).toString('hex'), trace: dp.traceLog, ...(maps ? { maps } : {}), ...(stack ? { stack } : {}) }, null, 2) + '\n');
      } else {
        if (stack) io.out(stackLine(stack));
        for (const line of dp.traceLog) io.out(`trace: ${line.replace(/\n$/, '')}\n`);
        io.out(`Return value: ${res.retval}, duration${repeat > 1 ? ' (average)' : ''}: ${Math.round(res.duration)}ns\n`);
        if (!w.kv.has('data_out')) io.out(hexdump(res.data));
        if (maps) for (const [name, entries] of Object.entries(maps)) io.out(`map ${name}:\n${entries.map((e) => `  ${JSON.stringify(e)}`).join('\n')}\n`);
      }
      return 0;
    }
    default:
      throw usageError(`usage: wxdp prog load|show|dump|run OBJ.o ...${sub ? ` (not '${sub}')` : ''}`);
  }
}

export async function mapCommand(argv: string[], io: Io): Promise<number> {
  const [sub, path, ...rest] = argv;
  if (!['dump', 'lookup', 'update'].includes(sub ?? '')) throw usageError(`usage: wxdp map dump|lookup|update OBJ.o name MAP ...${sub ? ` (not '${sub}')` : ''}`);
  // Words: name MAP [key BYTES...] [value BYTES...] [flags any|noexist|exist] [--json]; bytes are hex, `hex` is optional.
  const at = (w: string) => rest.indexOf(w);
  const until = (start: number) => {
    const out: string[] = [];
    for (let j = start; j < rest.length && !['name', 'key', 'value', 'flags'].includes(rest[j]!) && !rest[j]!.startsWith('--'); j++) {
      if (rest[j] !== 'hex') out.push(rest[j]!);
    }
    return out.join(' ');
  };
  const name = at('name') >= 0 ? rest[at('name') + 1] : undefined;
  if (!name) throw usageError(`usage: wxdp map ${sub} OBJ.o name MAP${sub === 'dump' ? '' : ' key BYTES'}${sub === 'update' ? ' value BYTES [flags any|noexist|exist]' : ''}`);
  const { obj } = await load(path);
  const map = obj.map(name);
  const json = rest.includes('--json');
  if (sub === 'dump') {
    // as the live `map dump` prints them: hex, and the BTF-decoded key and value when the object has them
    const entries = dumpJson(obj, map);
    io.out(json ? JSON.stringify(entries, null, 2) + '\n' : entries.map((e) => JSON.stringify(e)).join('\n') + (entries.length ? '\n' : '') + `Found ${entries.length} element${entries.length === 1 ? '' : 's'}\n`);
    return 0;
  }
  if (at('key') < 0) throw usageError(`wxdp map ${sub}: missing key`);
  const key = parseHexBytes(until(at('key') + 1), 'key');
  if (sub === 'update') {
    if (at('value') < 0) throw usageError('wxdp map update: missing value');
    const value = parseHexBytes(until(at('value') + 1), 'value');
    const f = at('flags') >= 0 ? rest[at('flags') + 1] : 'any';
    const flags = ({ any: 0, noexist: 1, exist: 2 } as Record<string, number>)[f ?? ''];
    if (flags === undefined) throw usageError(`flags must be any, noexist or exist, not '${f}'`);
    map.update(key, value, flags);
  }
  const e = entryJson(obj, map, key);
  if (e === undefined) throw new WxdpError('MAP_NOT_FOUND', `map ${map.name}: key ${spaced(key)}: not found`);
  io.out(json ? JSON.stringify(e, null, 2) + '\n' : entryLine(e));
  return 0;
}

function dumpMap(m: BpfMap): Array<{ key: string; value?: string; values?: string[] }> {
  const out: Array<{ key: string; value?: string; values?: string[] }> = [];
  for (const [k, v] of m.entries()) {
    if (m.isPercpu) out.push({ key: Buffer.from(k).toString('hex'), values: m.lookupPerCpu(k)!.map((x) => Buffer.from(x).toString('hex')) });
    else out.push({ key: Buffer.from(k).toString('hex'), value: Buffer.from(v).toString('hex') });
  }
  return out;
}

function readData(path: string, what: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    throw usageError(`${what}: cannot read '${path}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** ctx_in as struct xdp_md (24 bytes; a shorter file is zero-padded). testRun checks it as the kernel does. */
function parseCtx(b: Uint8Array): XdpContext {
  if (b.length > 24) throw usageError(`ctx_in: ${b.length} bytes; struct xdp_md is 24 (EINVAL)`);
  const c = new Uint8Array(24);
  c.set(b);
  const v = new DataView(c.buffer);
  const f = (o: number) => v.getUint32(o, true);
  return { data: f(0), dataEnd: f(4), dataMeta: f(8), ingressIfindex: f(12), rxQueueIndex: f(16), egressIfindex: f(20) };
}

function spaced(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
}

function hexdump(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 16) s += `${i.toString(16).padStart(4, '0')}: ${spaced(b.subarray(i, i + 16))}\n`;
  return s;
}
