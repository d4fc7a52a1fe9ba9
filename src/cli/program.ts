// `wxdp asm | disasm | exec`: programs as files.
//
// A program file is one of: raw instruction bytes; hex text (bytes separated by whitespace, as the
// conformance plugin protocol and `wxdp asm` print them); assembler text (uBPF or llvm syntax); or a
// bpf_conformance `.data` vector (program plus input memory).

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { assemble, disassemble, formatInsn } from '../asm/index.js';
import { parseConformance } from '../conformance/data.js';
import { vectorProgram } from '../conformance/runner.js';
import { createEngine } from '../control/engine.js';
import { baseHelpers } from '../helpers/index.js';
import { decode, encode, type Insn } from '../isa/insn.js';
import { EngineMemory, INPUT_BASE } from '../runtime/memory.js';
import type { TraceEvent } from '../interp/index.js';
import { openOutput, readInput } from './files.js';
import { usageError, type Io } from './io.js';

type Syntax = 'ubpf' | 'llvm';

export interface ProgramFile {
  prog: Insn[];
  /** Input memory carried by a `.data` vector. */
  mem?: Uint8Array;
  kind: 'raw' | 'hex' | 'asm' | 'data';
}

/** Hex text: pairs of hex digits separated by whitespace (optionally 0x-prefixed 64-bit words). */
export function parseHexBytes(text: string, what: string): Uint8Array {
  const t = text.trim();
  if (t === '') return new Uint8Array(0);
  const compact = t.replace(/\s+/g, '');
  if (!/^([0-9a-fA-F]{2})*$/.test(compact)) {
    const bad = /[^0-9a-fA-F\s]/.exec(t);
    throw usageError(`${what}: not hex bytes${bad ? ` (bad character '${bad[0]}' at offset ${bad.index})` : ' (odd number of digits)'}`);
  }
  return Uint8Array.from(compact.match(/../g) ?? [], (b) => parseInt(b, 16));
}

export function readProgramFile(path: string, syntax: Syntax | 'auto' = 'auto'): ProgramFile {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    throw usageError(`cannot read '${path}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (path.endsWith('.data')) {
    const vec = parseConformance(buf.toString('utf8'), path);
    return { prog: vectorProgram(vec), mem: vec.mem, kind: 'data' };
  }
  const isText = buf.every((b) => b === 9 || b === 10 || b === 13 || (b >= 32 && b < 127));
  if (!isText || buf.length === 0) return { prog: decode(new Uint8Array(buf)), kind: 'raw' };
  const text = buf.toString('utf8');
  if (/^[\s0-9a-fA-F]+$/.test(text) && /^\s*[0-9a-fA-F]{2}(\s+[0-9a-fA-F]{2})*\s*$/.test(text)) {
    return { prog: decode(parseHexBytes(text, path)), kind: 'hex' };
  }
  return { prog: assemble(text, { syntax, source: path }), kind: 'asm' };
}

function syntaxOf(v: string | undefined, allowAuto: boolean): Syntax | 'auto' {
  if (v === 'ubpf' || v === 'llvm' || (allowAuto && v === 'auto')) return v;
  throw usageError(`--syntax must be ${allowAuto ? 'auto, ' : ''}ubpf or llvm, not '${v}'`);
}

/** The one FILE of asm, disasm and exec. */
function onePositional(p: readonly string[]): void {
  if (p.length === 0) throw usageError('missing FILE');
  if (p.length > 1) throw usageError(`unexpected argument '${p[1]}'`);
}

export function asmCommand(argv: string[], io: Io): number {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { output: { type: 'string', short: 'o' }, syntax: { type: 'string', default: 'auto' }, json: { type: 'boolean', default: false } },
  });
  onePositional(positionals);
  const path = positionals[0]!;
  const syntax = syntaxOf(values.syntax, true);
  const text = Buffer.from(readInput(path)).toString('utf8');
  const out = values.output !== undefined ? openOutput(values.output, '-o') : undefined;
  const bytes = encode(assemble(text, { syntax, source: path }));
  if (out) out.write(bytes);
  if (values.json) {
    io.out(JSON.stringify({ insns: bytes.length / 8, bytes: Buffer.from(bytes).toString('hex'), out: out?.path ?? null }, null, 2) + '\n');
  } else if (!out) {
    for (let i = 0; i < bytes.length; i += 8) {
      io.out(Array.from(bytes.subarray(i, i + 8), (b) => b.toString(16).padStart(2, '0')).join(' ') + '\n');
    }
  }
  return 0;
}

export function disasmCommand(argv: string[], io: Io): number {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { syntax: { type: 'string', default: 'llvm' }, addresses: { type: 'boolean', default: false }, json: { type: 'boolean', default: false } },
  });
  onePositional(positionals);
  const syntax = syntaxOf(values.syntax, false) as Syntax;
  const { prog } = readProgramFile(positionals[0]!);
  if (values.json) {
    const insns = prog.flatMap((ins, i) => (ins.isLdImm64Tail ? [] : [{ index: i, text: formatInsn(ins, syntax, i) }]));
    io.out(JSON.stringify({ insns }, null, 2) + '\n');
    return 0;
  }
  io.out(disassemble(prog, { syntax, addresses: values.addresses }) + '\n');
  return 0;
}

const hex64 = (v: bigint): string => '0x' + BigInt.asUintN(64, v).toString(16);

export async function execCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      mem: { type: 'string' },
      'mem-file': { type: 'string' },
      engine: { type: 'string', default: 'interp' },
      trace: { type: 'boolean', default: false },
      relaxed: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      syntax: { type: 'string', default: 'llvm' },
    },
  });
  onePositional(positionals);
  const engineName = values.engine;
  if (engineName !== 'interp' && engineName !== 'jit') throw usageError(`--engine must be interp or jit, not '${engineName}'`);
  if (values.trace && engineName !== 'interp') throw usageError('--trace needs --engine interp');
  if (values.mem !== undefined && values['mem-file'] !== undefined) throw usageError('give --mem or --mem-file, not both');
  const syntax = syntaxOf(values.syntax, false) as Syntax;

  const file = readProgramFile(positionals[0]!);
  let mem = file.mem ?? new Uint8Array(0);
  if (values.mem !== undefined) mem = parseHexBytes(values.mem, '--mem');
  if (values['mem-file'] !== undefined) mem = readInput(values['mem-file'], '--mem-file');

  const trace: TraceEvent[] = [];
  const memory = new EngineMemory();
  const { engine } = await createEngine(file.prog, {
    engine: engineName,
    memory,
    helpers: baseHelpers({ trace: (line) => io.err(line) }),
    check: { relaxed: values.relaxed },
    ...(values.trace ? { trace: (ev: TraceEvent) => trace.push(ev) } : {}),
  });
  const region = memory.placeInput(mem);
  let r0: bigint | undefined;
  let error: Error | undefined;
  try {
    r0 = engine.run({ args: [BigInt(INPUT_BASE), BigInt(mem.length)], regions: [region] }).r0;
  } catch (e) {
    error = e as Error;
  }
  const memOut = memory.readInput(mem.length);

  if (values.json) {
    io.out(
      JSON.stringify(
        {
          engine: engineName,
          ...(r0 !== undefined ? { r0: hex64(r0) } : {}),
          ...(error ? { error: { code: (error as { code?: string }).code, message: error.message } } : {}),
          mem: Buffer.from(memOut).toString('hex'),
          ...(values.trace
            ? { trace: trace.map((t) => ({ pc: t.pc, insn: formatInsn(t.insn, syntax, t.pc), frame: t.frame, changed: t.changed.map(([r, a, b]) => ({ reg: `r${r}`, from: hex64(a), to: hex64(b) })) })) }
            : {}),
        },
        null,
        2,
      ) + '\n',
    );
  } else {
    for (const t of trace) {
      const changes = t.changed.map(([r, a, b]) => `r${r} ${hex64(a)} -> ${hex64(b)}`).join(', ');
      io.out(`${`${String(t.pc).padStart(5)}: ${'  '.repeat(t.frame)}${formatInsn(t.insn, syntax, t.pc).padEnd(36)}${changes ? ' ; ' + changes : ''}`.trimEnd()}\n`);
    }
    if (r0 !== undefined) io.out(`r0 = ${hex64(r0)} (${BigInt.asIntN(64, r0)})\n`);
  }
  if (error) {
    if (!values.json) io.err(`wxdp exec: ${error.message}\n`);
    return 1;
  }
  return 0;
}
