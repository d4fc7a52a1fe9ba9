// `wxdp prog load|show|dump|run` and `wxdp map dump|lookup|update`, in bpftool's shape:
//
//   wxdp prog run OBJ.o [name NAME] data_in FILE [data_out FILE] [ctx_in FILE] [repeat N] [--json]
//                 [--devices N] [--sysctl NAME=VALUE]... [--ip-batch FILE]... [--nft FILE]...   (the stack behind the program)
//
// wxdp keeps no state between commands (there is no kernel holding the maps), so each command loads
// the object afresh: `map` commands see the maps as loading leaves them (global data initialised,
// prog_arrays filled), and `prog run --map-update MAP KEY VALUE` sets entries before the run.
// Keys and values are read as bpftool reads them (parseBytes). Everything the command line names (the
// program, the maps, the files, the byte counts) is checked against the parsed object before it is
// loaded, so a typo costs no verification or compile.

import { formatInsn } from '../asm/index.js';
import { describeWarmUp } from '../jit/timing.js';
import { Datapath, type BpfObject, type LoadOptions, type TestRunResult, type XdpContext } from '../control/datapath.js';
import { parseObject, type ObjectSpec } from '../elf/index.js';
import { VerifierError, WxdpError } from '../errors.js';
import { MapError, mapTypeName, strerror, type BpfMap } from '../maps/index.js';
import type { EngineName } from '../runtime/types.js';
import { usageError, type Io } from './io.js';
import { cliMaxMemory, cliObjectConfig, refuseObjectOptions } from './object_options.js';
import { openOutput, readInput } from './files.js';
import { checkStackFiles, configureStack, stackLine, stackSteps, type StackStep, type StackSummary } from './stack.js';
import { checkKeyless, dumpJson, entryJson, isKeyless, KEYLESS_VERBS, keylessDumpError, keylessLookup, keylessOp, type KeylessVerb } from '../control/map_json.js';
import { entryLine, keylessLine } from './live.js';
import { parseBytes } from './byte_words.js';

/** bpftool-style words: `name X data_in F` plus --flags. */
interface Words {
  positional: string[];
  kv: Map<string, string>;
  flags: Set<string>;
  multi: Array<[string, string[]]>;
}

/** What one subcommand accepts: its keywords (`name X`), its --flags, its --options with arity, how many positionals. */
interface Grammar {
  keywords?: readonly string[];
  flags?: readonly string[];
  multi?: Record<string, number>;
  positionals?: number;
}

/** The words of a subcommand; an unknown --flag, a stray word or a repeated keyword is a usage error. */
export function words(argv: readonly string[], g: Grammar): Words {
  const w: Words = { positional: [], kv: new Map(), flags: new Set(), multi: [] };
  const keywords = new Set(g.keywords ?? []);
  const flags = new Set(g.flags ?? []);
  const multi = g.multi ?? {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const bare = a.replace(/^--/, '');
    if (a.startsWith('--') && multi[bare] !== undefined) {
      const n = multi[bare]!;
      const args = argv.slice(i + 1, i + 1 + n);
      if (args.length !== n) throw usageError(`${a} needs ${n} argument${n > 1 ? 's' : ''}`);
      w.multi.push([bare, args]);
      i += n;
    } else if (a.startsWith('-') && a.length > 1) {
      if (!a.startsWith('--') || !flags.has(bare)) throw usageError(`unknown option '${a}'`);
      w.flags.add(bare);
    } else if (keywords.has(a)) {
      if (i + 1 >= argv.length) throw usageError(`'${a}' needs a value`);
      if (w.kv.has(a)) throw usageError(`'${a}' given twice`);
      w.kv.set(a, argv[++i]!);
    } else if (w.positional.length < (g.positionals ?? 1)) {
      w.positional.push(a);
    } else {
      throw usageError(`unexpected argument '${a}'`);
    }
  }
  return w;
}

function readObject(path: string | undefined): { path: string; bytes: Uint8Array } {
  if (!path) throw usageError('missing OBJ.o');
  return { path, bytes: readInput(path) };
}

/** `type TYPE`: every program of the object takes that type (bpftool prog load … type TYPE). */
function typeOption(w: Words): { programType?: string } {
  const t = w.kv.get('type');
  return t === undefined ? {} : { programType: t };
}

function engineOf(w: Words): EngineName {
  const e = w.kv.get('engine') ?? 'jit';
  if (e !== 'jit' && e !== 'interp') throw usageError(`engine must be jit or interp, not '${e}'`);
  return e;
}

/**
 * A long load says what it is doing on stderr (verifying, then compiling, every program of the
 * object), so a minute's silence on a large object is not mistaken for a hang: when stderr is a
 * terminal, or the object holds at least LONG_LOAD_INSNS instructions.
 */
export const LONG_LOAD_INSNS = 4096;

export function loadingLine(path: string, spec: ObjectSpec, opts: { verify: boolean; engine: EngineName }, longInsns = LONG_LOAD_INSNS): string | undefined {
  const insns = spec.programs.reduce((n, p) => n + p.insns.filter((i) => !i.isLdImm64Tail).length, 0);
  if (!process.stderr.isTTY && insns < longInsns) return undefined;
  const steps = [opts.verify ? 'verifying' : undefined, opts.engine === 'jit' ? 'compiling' : undefined].filter(Boolean).join(' and ') || 'loading';
  return `wxdp: ${path}: ${steps} ${spec.programs.length} program${spec.programs.length === 1 ? '' : 's'} (${insns} instructions)…\n`;
}

async function load(
  file: string | undefined,
  engine: EngineName = 'jit',
  extra: LoadOptions = {},
  say?: (s: string) => void,
  parsed?: { path: string; bytes: Uint8Array; spec: ObjectSpec },
): Promise<{ dp: Datapath; obj: BpfObject }> {
  const { path, bytes } = parsed ?? readObject(file);
  if (say) {
    const line = loadingLine(path, parsed?.spec ?? parseObject(bytes, { path }), { verify: extra.verify !== false, engine });
    if (line) say(line);
  }
  const dp = await Datapath.create({ maxMemory: cliMaxMemory() });
  const obj = await dp.loadObject(bytes, { ...cliObjectConfig(), path, engine, ...extra });
  return { dp, obj };
}

/** The object parsed (not loaded), so names and sizes can be checked before the long part. */
function parseOnly(file: string | undefined): { path: string; bytes: Uint8Array; spec: ObjectSpec } {
  const { path, bytes } = readObject(file);
  return { path, bytes, spec: parseObject(bytes, { path }) };
}

/** `name NAME` against the object's programs, before loading: the valid names in the message. */
export function checkProgramName(spec: ObjectSpec, path: string, name: string | undefined): void {
  if (name === undefined) {
    if (spec.programs.length === 0) throw usageError(`${path} has no programs`);
    return;
  }
  if (!spec.programs.some((p) => p.name === name)) throw new WxdpError('NOT_FOUND', `no program '${name}' in ${path} (programs: ${spec.programs.map((p) => p.name).join(', ') || 'none'})`);
}

/** A map of the object by name; ".rodata" also finds "prog.rodata", as BpfObject.map does. */
function specMap(spec: ObjectSpec, name: string): ObjectSpec['maps'][number] | undefined {
  return spec.maps.find((m) => m.name === name) ?? (name.startsWith('.') ? spec.maps.find((m) => m.name.endsWith(name) && m.name.indexOf('.') === m.name.length - name.length) : undefined);
}

function noMap(spec: ObjectSpec, path: string, name: string, what = ''): WxdpError {
  return new WxdpError('NOT_FOUND', `${what}no map '${name}' in ${path} (maps: ${spec.maps.map((x) => x.name).join(', ') || 'none'})`);
}

/** --map-update MAP KEY VALUE against the object's maps, before loading: names and byte counts. */
export function mapUpdates(spec: ObjectSpec, path: string, multi: Words['multi']): Array<{ map: string; key: Uint8Array; value: Uint8Array }> {
  return multi.flatMap(([flag, [map, key, value]]) => {
    if (flag !== 'map-update') return [];
    const m = specMap(spec, map!);
    if (!m) throw noMap(spec, path, map!, '--map-update: ');
    const k = parseBytes(key!.split(/\s+/).filter(Boolean), 'key');
    const v = parseBytes(value!.split(/\s+/).filter(Boolean), 'value');
    if (k.length !== m.keySize) throw usageError(`--map-update ${map}: key is ${k.length} bytes, the map's are ${m.keySize}`);
    if (v.length !== m.valueSize) throw usageError(`--map-update ${map}: value is ${v.length} bytes, the map's are ${m.valueSize}`);
    return [{ map: map!, key: k, value: v }];
  });
}

/**
 * Key and value bytes as bpftool's parse_bytes reads them: one byte a word, strtoul with base 0
 * (decimal, 0x hex, leading-0 octal), or base 16 for every word after a leading `hex`. bpftool keeps
 * the low byte of a word over 255; here that is an error. One extension: a single word of four or more
 * hex digits (which bpftool refuses) is hex bytes, as the live map commands and older wxdp took them.
 */
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
      refuseObjectOptions('wxdp prog show');
      const w = words(rest, { flags: ['json'] });
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
        const level = args[at + 1];
        if (level !== undefined && /^[0-9]+$/.test(level)) {
          if (level !== '1' && level !== '2') throw usageError(`--log takes 1 or 2, not '${level}'`);
          args.splice(at + 1, 1);
        }
        logLevel = level === '2' ? 2 : 1;
        args.splice(at, 1);
      }
      const w = words(args, { keywords: ['engine', 'type'], flags: ['no-verify', 'json'] });
      const json = w.flags.has('json');
      const engine = engineOf(w);
      const t0 = performance.now();
      let obj: BpfObject;
      try {
        ({ obj } = await load(w.positional[0], engine, { logLevel, verify: !w.flags.has('no-verify'), ...typeOption(w) }, json ? undefined : io.err));
      } catch (e) {
        if (e instanceof VerifierError && logLevel && !json) io.out(e.log);
        throw e;
      }
      const ms = performance.now() - t0;
      // An object none of whose programs loaded did nothing useful (libbpf fails such an object whole)
      if (obj.programs.size === 0 && obj.spec.programs.length > 0) {
        if (!json) for (const s of obj.skipped.values()) io.err(`wxdp: note: ${s.reason}; skipped\n`);
        const unspec = obj.spec.programs.some((p) => p.type === 'unspec');
        throw new WxdpError('PROG_UNSUPPORTED', `${w.positional[0]}: no program loaded${unspec ? ' (a section that names no type needs `type TYPE`, as bpftool prog load … type xdp)' : ''}`);
      }
      if (json) {
        const programs = [...obj.programs.values()].map((p) => ({ name: p.name, checked: p.checked, verifier: p.verifierStats ? { ...p.verifierStats, stackDepth: Object.fromEntries(p.verifierStats.stackDepth) } : null, ...(logLevel ? { log: p.verifierLog } : {}) }));
        const skipped = [...obj.skipped].map(([name, s]) => ({ name, reason: s.reason }));
        io.out(JSON.stringify({ loaded: true, ms, ...describeSpec(obj.spec), verified: programs, ...(skipped.length ? { skipped } : {}) }, null, 2) + '\n');
        return 0;
      }
      for (const s of obj.skipped.values()) io.err(`wxdp: note: ${s.reason}; skipped\n`);
      // libbpf's "Error loading .BTF into kernel: -22. BTF is optional, ignoring."
      if (obj.btfRefusal) io.err(`wxdp: note: the kernel refuses this object's BTF (${obj.btfRefusal.errno}: ${obj.btfRefusal.why}); loaded without it, as libbpf does\n`);
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
      refuseObjectOptions('wxdp prog dump');
      const w = words(rest, { keywords: ['name', 'syntax'], flags: ['json'] });
      const { path, bytes } = readObject(w.positional[0]);
      const syntax = w.kv.get('syntax') ?? 'llvm';
      if (syntax !== 'llvm' && syntax !== 'ubpf') throw usageError(`syntax must be llvm or ubpf, not '${syntax}'`);
      const spec = parseObject(bytes, { path });
      if (w.kv.has('name')) checkProgramName(spec, path, w.kv.get('name'));
      const progs = w.kv.has('name') ? spec.programs.filter((p) => p.name === w.kv.get('name')) : spec.programs;
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
    case 'run':
      return progRun(rest, io);
    default:
      throw usageError(`usage: wxdp prog load|show|dump|run OBJ.o ...${sub ? ` (not '${sub}')` : ''}`);
  }
}

/** BPF_PROG_TEST_RUN's repeat is a __u32; 0 means 1, as the kernel takes it, but here a count must be given as ≥ 1. */
const MAX_REPEAT = 0xffffffff;

async function progRun(rest: string[], io: Io): Promise<number> {
  const w = words(rest, {
    keywords: ['name', 'data_in', 'data_out', 'ctx_in', 'repeat', 'engine', 'type'],
    flags: ['dump-maps', 'json'],
    multi: { 'map-update': 3, sysctl: 1, 'ip-batch': 1, nft: 1, devices: 1 },
  });
  const json = w.flags.has('json');
  // everything the command line can get wrong, before the object is loaded
  const dataIn = w.kv.get('data_in');
  if (!dataIn) throw usageError('data_in FILE is required');
  const repeatText = w.kv.get('repeat') ?? '1';
  const repeat = /^[0-9]+$/.test(repeatText) ? Number(repeatText) : NaN;
  if (!Number.isInteger(repeat) || repeat < 1 || repeat > MAX_REPEAT) throw usageError(`repeat must be 1..${MAX_REPEAT}, not '${repeatText}'`);
  const engine = engineOf(w);
  const devText = w.multi.filter(([f]) => f === 'devices').pop()?.[1][0] ?? '0';
  const ndev = /^[0-9]+$/.test(devText) ? Number(devText) : NaN;
  if (!(ndev >= 0 && ndev <= 64)) throw usageError(`--devices must be 0..64, not '${devText}'`);
  const parsed = parseOnly(w.positional[0]);
  checkProgramName(parsed.spec, parsed.path, w.kv.get('name'));
  const updates = mapUpdates(parsed.spec, parsed.path, w.multi);
  const data = readInput(dataIn, 'data_in');
  const ctxIn = w.kv.has('ctx_in') ? parseCtx(readInput(w.kv.get('ctx_in')!, 'ctx_in')) : undefined;
  const steps: StackStep[] = stackSteps(w.multi.map(([f, [arg]]) => [f, arg] as const));
  checkStackFiles(steps);
  const dataOut = w.kv.has('data_out') ? openOutput(w.kv.get('data_out')!, 'data_out', json ? undefined : (b) => io.out(hexPrint(b))) : undefined;

  // Only the program asked for (libbpf's autoload): another program's helper wxdp lacks costs nothing.
  const name = w.kv.get('name');
  const { dp, obj } = await load(undefined, engine, { ...(name === undefined ? {} : { programs: [name] }), ...typeOption(w) }, json ? undefined : io.err, parsed);
  for (const u of updates) obj.map(u.map).update(u.key, u.value);
  // ring devices eth0.. (ifindex 2, 3, … as `wxdp run` numbers them), then the stack in the order given
  for (let d = 0; d < ndev; d++) dp.addDevice({ name: `eth${d}` });
  const stack: StackSummary | undefined = steps.length ? configureStack(dp, steps, io.err) : undefined;
  const prog = obj.program(w.kv.get('name'));
  const res: TestRunResult = prog.testRun({ data, repeat, ...(ctxIn ? { ctx: ctxIn } : {}) });
  const duration = Math.round(res.duration);
  const maps = w.flags.has('dump-maps') ? Object.fromEntries([...obj.maps.values()].map((m) => [m.name, dumpMap(m)])) : undefined;
  if (json) {
    dataOut?.write(res.data);
    io.out(JSON.stringify({ program: prog.name, retval: res.retval, duration, repeat, warmUp: res.warmUp, dataOut: Buffer.from(res.data).toString('hex'), trace: dp.traceLines(), ...(maps ? { maps } : {}), ...(stack ? { stack } : {}) }, null, 2) + '\n');
    return 0;
  }
  if (stack) io.out(stackLine(stack));
  for (const line of dp.traceLines()) io.out(`trace: ${line.replace(/\n$/, '')}\n`);
  // bpftool prog.c do_run: data_out first (hex_print on stdout for "-"; nothing without data_out),
  // then "Return value: %u, duration%s: %uns\n", " (average)" when repeat > 1
  dataOut?.write(res.data);
  io.out(`Return value: ${res.retval >>> 0}, duration${repeat > 1 ? ' (average)' : ''}: ${duration}ns\n`);
  // bpftool's line stays as it is; how the average was taken goes to stderr (src/jit/timing.ts)
  if (repeat > 1) io.err(`${describeWarmUp(res.warmUp)}\n`);
  if (maps) for (const [name, entries] of Object.entries(maps)) io.out(`map ${name}:\n${entries.map((e) => `  ${JSON.stringify(e)}`).join('\n')}\n`);
  return 0;
}

export async function mapCommand(argv: string[], io: Io): Promise<number> {
  const [sub, ...args] = argv;
  if (![...['dump', 'lookup', 'update'], ...KEYLESS_VERBS].includes(sub ?? '')) {
    throw usageError(`usage: wxdp map dump|lookup|update|push|enqueue|pop|dequeue|peek OBJ.o name MAP ...${sub ? ` (not '${sub}')` : ''}`);
  }
  if ((KEYLESS_VERBS as readonly string[]).includes(sub!)) return keylessCommand(sub as KeylessVerb, args, io);
  // OBJ.o name MAP [key BYTES...] [value BYTES...] [flags any|noexist|exist] [--json]
  let path: string | undefined;
  let name: string | undefined;
  let flagsWord: string | undefined;
  let json = false;
  const bytes: Record<'key' | 'value', string[] | undefined> = { key: undefined, value: undefined };
  const allowed = sub === 'dump' ? [] : sub === 'lookup' ? ['key'] : ['key', 'value', 'flags'];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--json') json = true;
    else if (a.startsWith('-') && a.length > 1 && !/^-[0-9]/.test(a)) throw usageError(`unknown option '${a}'`);
    else if (a === 'name') {
      if (name !== undefined) throw usageError("'name' given twice");
      name = args[++i];
      if (name === undefined) throw usageError("'name' needs a map name");
    } else if ((a === 'key' || a === 'value') && allowed.includes(a)) {
      if (bytes[a]) throw usageError(`'${a}' given twice`);
      const ws: string[] = [];
      while (i + 1 < args.length && !['name', 'key', 'value', 'flags'].includes(args[i + 1]!) && !args[i + 1]!.startsWith('--')) ws.push(args[++i]!);
      if (ws.length === 0 || (ws.length === 1 && ws[0] === 'hex')) throw usageError(`'${a}' needs BYTES`);
      bytes[a] = ws;
    } else if (a === 'flags' && allowed.includes(a)) {
      flagsWord = args[++i];
    } else if (path === undefined) path = a;
    else throw usageError(`unexpected argument '${a}'`);
  }
  if (!name) throw usageError(`usage: wxdp map ${sub} OBJ.o name MAP${sub === 'dump' ? '' : ' key BYTES'}${sub === 'update' ? ' value BYTES [flags any|noexist|exist]' : ''}`);
  // a lookup without a key is bpftool's peek on a queue or a stack (keylessLookup)
  const keylessLookupOk = sub === 'lookup' && !bytes.key;
  if (sub !== 'dump' && !bytes.key && !keylessLookupOk) throw usageError(`wxdp map ${sub}: missing key`);
  if (sub === 'update' && !bytes.value) throw usageError('wxdp map update: missing value');
  const key = bytes.key ? parseBytes(bytes.key, 'key') : undefined;
  const value = bytes.value ? parseBytes(bytes.value, 'value') : undefined;
  const flags = ({ any: 0, noexist: 1, exist: 2 } as Record<string, number>)[flagsWord ?? 'any'];
  if (flags === undefined) throw usageError(`flags must be any, noexist or exist, not '${flagsWord}'`);
  const parsed = parseOnly(path);
  const spec = specMap(parsed.spec, name);
  if (!spec) throw noMap(parsed.spec, parsed.path, name);
  if (keylessLookupOk && !isKeyless(spec)) throw usageError(`wxdp map ${sub}: missing key`);
  if (key && spec.keySize === 0 && isKeyless(spec)) throw usageError(`map '${name}': unnecessary key (a ${mapTypeName(spec.type)} has none: bpftool's lookup without one peeks)`);
  if (key && key.length !== spec.keySize) throw usageError(`key is ${key.length} bytes, map ${name}'s are ${spec.keySize}`);
  if (value && value.length !== spec.valueSize) throw usageError(`value is ${value.length} bytes, map ${name}'s are ${spec.valueSize}`);
  const { obj } = await load(undefined, 'jit', {}, json ? undefined : io.err, parsed);
  const map = obj.map(name);
  if (sub === 'dump') {
    // a map without keys: bpftool's "Found 0 elements" and the walk's errno
    const kd = keylessDumpError(map);
    if (kd) {
      if (!json) io.out(foundLine(0));
      throw kd;
    }
    // as the live `map dump` prints them: hex, and the BTF-decoded key and value when the object has them
    const entries = dumpJson(obj, map);
    io.out(json ? JSON.stringify(entries, null, 2) + '\n' : entries.map((e) => JSON.stringify(e)).join('\n') + (entries.length ? '\n' : '') + foundLine(entries.filter((e) => e.error === undefined).length));
    return 0;
  }
  if (!key) {
    const k = keylessLookup(obj, map);
    io.out(json ? JSON.stringify(k, null, 2) + '\n' : keylessLine(k, false));
    return 0;
  }
  if (sub === 'update') map.update(key!, value!, flags);
  const e = entryJson(obj, map, key!);
  if (e === undefined) throw new WxdpError('MAP_NOT_FOUND', `map ${map.name}: key ${spaced(key!)}: not found`);
  io.out(json ? JSON.stringify(e, null, 2) + '\n' : entryLine(e));
  return 0;
}

/**
 * `wxdp map push|enqueue|pop|dequeue|peek OBJ.o name MAP [value BYTES] [flags any|noexist|exist]`: bpftool's
 * verbs for the maps without keys, on the maps as loading the object leaves them (empty: a pop answers
 * "empty map", ENOENT, unless the command pushed first — it cannot: one verb per command).
 */
async function keylessCommand(verb: KeylessVerb, args: string[], io: Io): Promise<number> {
  let path: string | undefined;
  let name: string | undefined;
  let flagsWord: string | undefined;
  let json = false;
  let words: string[] | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--json') json = true;
    else if (a.startsWith('-') && a.length > 1 && !/^-[0-9]/.test(a)) throw usageError(`unknown option '${a}'`);
    else if (a === 'name') {
      if (name !== undefined) throw usageError("'name' given twice");
      name = args[++i];
      if (name === undefined) throw usageError("'name' needs a map name");
    } else if (a === 'key') throw usageError(`wxdp map ${verb}: a ${verb} takes no key (queue, stack and bloom_filter maps have none)`);
    else if (a === 'value') {
      if (words) throw usageError("'value' given twice");
      words = [];
      while (i + 1 < args.length && !['name', 'key', 'value', 'flags'].includes(args[i + 1]!) && !args[i + 1]!.startsWith('--')) words.push(args[++i]!);
      if (words.length === 0 || (words.length === 1 && words[0] === 'hex')) throw usageError("'value' needs BYTES");
    } else if (a === 'flags' && (verb === 'push' || verb === 'enqueue')) flagsWord = args[++i];
    else if (path === undefined) path = a;
    else throw usageError(`unexpected argument '${a}'`);
  }
  if (!name) throw usageError(`usage: wxdp map ${verb} OBJ.o name MAP${verb === 'push' || verb === 'enqueue' ? ' value BYTES [flags any|noexist|exist]' : verb === 'peek' ? ' [value BYTES]' : ''}`);
  const value = words ? parseBytes(words, 'value') : undefined;
  const flags = ({ any: 0, noexist: 1, exist: 2 } as Record<string, number>)[flagsWord ?? 'any'];
  if (flags === undefined) throw usageError(`flags must be any, noexist or exist, not '${flagsWord}'`);
  const parsed = parseOnly(path);
  const spec = specMap(parsed.spec, name);
  if (!spec) throw noMap(parsed.spec, parsed.path, name);
  checkKeyless(spec, verb, value);
  const { obj } = await load(undefined, 'jit', {}, json ? undefined : io.err, parsed);
  const e = keylessOp(obj, obj.map(name), verb, value, flags);
  io.out(json ? JSON.stringify(e, null, 2) + '\n' : keylessLine(e, verb === 'push' || verb === 'enqueue'));
  return 0;
}

/**
 * Every entry of a map, as bpftool's dump: a key whose lookup fails (an xskmap's, a perf_event_array's)
 * is listed with the error's strerror() text and the dump goes on (print_entry_error); missing entries
 * of map-in-maps and prog arrays are left out.
 */
/** bpftool's closing line: the elements read (keys whose lookup failed are not counted). */
function foundLine(n: number): string {
  return `Found ${n} element${n === 1 ? '' : 's'}\n`;
}

export function dumpMap(m: BpfMap): Array<{ key: string; value?: string; values?: string[]; error?: string }> {
  const out: Array<{ key: string; value?: string; values?: string[]; error?: string }> = [];
  for (const k of m.keys()) {
    const key = Buffer.from(k).toString('hex');
    let v: Uint8Array | undefined;
    try {
      v = m.lookup(k);
    } catch (e) {
      if (!(e instanceof MapError)) throw e;
      out.push({ key, error: strerror(e.errno) });
      continue;
    }
    if (v === undefined) continue;
    if (m.isPercpu) out.push({ key, values: m.lookupPerCpu(k)!.map((x) => Buffer.from(x).toString('hex')) });
    else out.push({ key, value: Buffer.from(v).toString('hex') });
  }
  return out;
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

/**
 * bpftool's hex_print (prog.c) for `data_out -`: per 16 bytes the offset (%07zx, a tab), the bytes in
 * pairs ("%02x" with a space after each odd one, blanks for a short last row), "| ", then the bytes
 * as ASCII ('.' outside ' '..'~') with a space after the eighth.
 */
export function hexPrint(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 16) {
    s += i.toString(16).padStart(7, '0') + '\t';
    for (let j = i; j < i + 16; j++) s += (j < b.length ? b[j]!.toString(16).padStart(2, '0') : '  ') + (j % 2 ? ' ' : '');
    s += '| ';
    for (let j = i; j < i + 16 && j < b.length; j++) s += (b[j]! < 0x20 || b[j]! > 0x7e ? '.' : String.fromCharCode(b[j]!)) + (j === i + 7 ? ' ' : '');
    s += '\n';
  }
  return s;
}
