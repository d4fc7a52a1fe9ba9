// Readers for what the reference tools printed about the fixtures (tests/elf/fixtures/build.sh):
// llvm-objdump -dr, llvm-readelf -S -s -r, bpftool btf dump, and the libbpf/kernel log of
// `bpftool -d prog loadall` plus `bpftool prog|map show` and `bpftool -j map dump`.

import { readFileSync } from 'node:fs';
import type { Btf, BtfType } from '../../src/elf/btf.js';

export const FIXTURES = new URL('./fixtures/', import.meta.url);
export const fixturePath = (name: string): string => new URL(name, FIXTURES).pathname;
export const readFixture = (name: string): string => readFileSync(new URL(name, FIXTURES), 'utf8');
export const fixtureBytes = (name: string): Uint8Array => new Uint8Array(readFileSync(new URL(name, FIXTURES)));

// ---- llvm-objdump -dr ----

export interface ObjdumpInsn {
  section: string;
  slot: number;
  bytes: number[];
  text: string;
  /** Relocation printed under the instruction: type and symbol. */
  reloc?: { type: string; symbol: string };
}

export function parseObjdump(text: string): ObjdumpInsn[] {
  const out: ObjdumpInsn[] = [];
  let section = '';
  for (const line of text.split('\n')) {
    const sec = /^Disassembly of section (.+):$/.exec(line);
    if (sec) {
      section = sec[1]!;
      continue;
    }
    const ins = /^\s+(\d+):\t((?:[0-9a-f]{2} ?)+)\t(.*)$/.exec(line);
    if (ins) {
      out.push({ section, slot: Number(ins[1]), bytes: ins[2]!.trim().split(' ').map((b) => parseInt(b, 16)), text: ins[3]!.trim() });
      continue;
    }
    const rel = /^\t\t[0-9a-f]+:\s+(R_BPF_\S+)\t(.+)$/.exec(line);
    if (rel && out.length) out[out.length - 1]!.reloc = { type: rel[1]!, symbol: rel[2]!.trim() };
  }
  return out;
}

// ---- llvm-readelf -S -s -r ----

export interface ReadelfSection {
  index: number;
  name: string;
  type: string;
  offset: number;
  size: number;
  flags: string;
  link: number;
  info: number;
}
export interface ReadelfSymbol {
  index: number;
  value: number;
  size: number;
  type: string;
  bind: string;
  ndx: string;
  name: string;
}

export function parseReadelf(text: string): { sections: ReadelfSection[]; symbols: ReadelfSymbol[]; relocs: Map<string, { offset: number; type: string; symbol: string }[]> } {
  const sections: ReadelfSection[] = [];
  const symbols: ReadelfSymbol[] = [];
  const relocs = new Map<string, { offset: number; type: string; symbol: string }[]>();
  let relSec: string | undefined;
  for (const line of text.split('\n')) {
    const s = /^\s+\[\s*(\d+)\] (\S*)\s+(\S+)\s+[0-9a-f]{16} ([0-9a-f]{6}) ([0-9a-f]{6}) [0-9a-f]{2}\s+(\S*)\s+(\d+)\s+(\d+)\s+\d+$/.exec(line);
    if (s) {
      sections.push({
        index: Number(s[1]),
        name: s[2]!,
        type: s[3]!,
        offset: parseInt(s[4]!, 16),
        size: parseInt(s[5]!, 16),
        flags: s[6]!,
        link: Number(s[7]),
        info: Number(s[8]),
      });
      continue;
    }
    const y = /^\s+(\d+): ([0-9a-f]{16})\s+(\d+) (\S+)\s+(\S+)\s+\S+\s+(\S+) ?(.*)$/.exec(line);
    if (y) {
      symbols.push({ index: Number(y[1]), value: parseInt(y[2]!, 16), size: Number(y[3]), type: y[4]!, bind: y[5]!, ndx: y[6]!, name: y[7]!.trim() });
      continue;
    }
    const r = /^Relocation section '(.+)' at offset/.exec(line);
    if (r) {
      relSec = r[1]!;
      relocs.set(relSec, []);
      continue;
    }
    const e = /^([0-9a-f]{16})\s+[0-9a-f]{16} (R_BPF_\S+)\s+[0-9a-f]{16} (.*)$/.exec(line);
    if (e && relSec) relocs.get(relSec)!.push({ offset: parseInt(e[1]!, 16), type: e[2]!, symbol: e[3]!.trim() });
  }
  return { sections, symbols, relocs };
}

// ---- bpftool btf dump file (raw format) ----

/** Our parsed BTF, printed the way `bpftool btf dump file` prints it (btf_dumper raw mode). */
export function formatBtfLikeBpftool(btf: Btf): string {
  const lines: string[] = [];
  const nm = (s: string) => `'${s || '(anon)'}'`;
  const kindOf = (id: number) => btf.type(id).kind.toUpperCase();
  for (const t of btf.types.slice(1) as BtfType[]) {
    const head = `[${t.id}] ${t.kind.toUpperCase()} ${nm(t.name)}`;
    switch (t.kind) {
      case 'int': {
        const enc = t.signed ? 'SIGNED' : t.char ? 'CHAR' : t.bool ? 'BOOL' : '(none)';
        lines.push(`${head} size=${t.size} bits_offset=${t.bitOffset} nr_bits=${t.bits} encoding=${enc}`);
        break;
      }
      case 'ptr':
      case 'typedef':
      case 'volatile':
      case 'const':
      case 'restrict':
      case 'type_tag':
        lines.push(`${head} type_id=${t.type}`);
        break;
      case 'array':
        lines.push(`${head} type_id=${t.type} index_type_id=${t.indexType} nr_elems=${t.nelems}`);
        break;
      case 'struct':
      case 'union':
        lines.push(`${head} size=${t.size} vlen=${t.members.length}`);
        for (const m of t.members) {
          lines.push(`\t${nm(m.name)} type_id=${m.type} bits_offset=${m.bitOffset}${m.bitfieldSize ? ` bitfield_size=${m.bitfieldSize}` : ''}`);
        }
        break;
      case 'enum':
      case 'enum64':
        lines.push(`${head} encoding=${t.signed ? 'SIGNED' : 'UNSIGNED'} size=${t.size} vlen=${t.values.length}`);
        for (const v of t.values) lines.push(`\t${nm(v.name)} val=${v.value}`);
        break;
      case 'fwd':
        lines.push(`${head} fwd_kind=${t.union ? 'union' : 'struct'}`);
        break;
      case 'func':
        lines.push(`${head} type_id=${t.type} linkage=${t.linkage}`);
        break;
      case 'func_proto':
        lines.push(`${head} ret_type_id=${t.returnType} vlen=${t.params.length}`);
        for (const p of t.params) lines.push(`\t${nm(p.name)} type_id=${p.type}`);
        break;
      case 'var':
        lines.push(`${head} type_id=${t.type}, linkage=${t.linkage}`);
        break;
      case 'datasec':
        lines.push(`${head} size=${t.size} vlen=${t.vars.length}`);
        for (const v of t.vars) lines.push(`\ttype_id=${v.type} offset=${v.offset} size=${v.size} (${kindOf(v.type)} ${nm(btf.type(v.type).name)})`);
        break;
      case 'float':
        lines.push(`${head} size=${t.size}`);
        break;
      case 'decl_tag':
        lines.push(`${head} type_id=${t.type} component_idx=${t.componentIdx}`);
        break;
      default:
        lines.push(head);
    }
  }
  return lines.join('\n') + '\n';
}

// ---- bpftool -d prog loadall + show/dump ----

export interface LiveInsn {
  slot: number;
  code: number;
  text: string;
}

export interface KernelProgram {
  /** The verifier's listing of the submitted instructions ("Live regs before insn"). */
  listing: LiveInsn[];
  /** `func#N @M`: where each function starts. */
  funcStarts: number[];
  /** Line info the verifier printed: the slot it printed it before, the source text, file and line. */
  lines: { slot: number; text: string; file: string; line: number }[];
  /** `bpftool prog show`: kernel type name and (15-character) name. */
  show?: { type: string; name: string; mapIds: number[] };
}

export interface KernelMap {
  id: number;
  type: string;
  name: string;
  flags: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  frozen: boolean;
  /** `bpftool -j map dump`, when recorded; big integers kept as strings. */
  dump?: unknown;
}

export interface LibbpfLog {
  loadFailed: boolean;
  lines: string[];
  programs: Map<string, KernelProgram>;
  maps: KernelMap[];
  /** `bpftool -j map dump flows` after the update in build.sh. */
  flowsDump?: unknown;
}

/** JSON.parse that keeps integers too large for a double as strings. */
export function parseJsonExact(text: string): unknown {
  return JSON.parse(text.replace(/([:[,])(-?\d{16,})(?=[,\]}])/g, '$1"$2"'));
}

export function parseLibbpfLog(text: string): LibbpfLog {
  const log: LibbpfLog = { loadFailed: false, lines: [], programs: new Map(), maps: [] };
  const all = text.split('\n');
  let prog: KernelProgram | undefined;
  let pendingLine: { text: string; file: string; line: number } | undefined;
  for (let i = 0; i < all.length; i++) {
    const line = all[i]!;
    if (line === '# load failed') log.loadFailed = true;
    if (line.startsWith('libbpf: ')) {
      log.lines.push(line.slice(8));
      const begin = /^libbpf: prog '(.+)': -- BEGIN PROG LOAD LOG --$/.exec(line);
      if (begin) {
        prog = { listing: [], funcStarts: [], lines: [] };
        log.programs.set(begin[1]!, prog);
      }
      continue;
    }
    if (line === '-- END PROG LOAD LOG --') {
      prog = undefined;
      continue;
    }
    if (prog) {
      const f = /^func#\d+ @(\d+)$/.exec(line);
      if (f) prog.funcStarts.push(Number(f[1]));
      // compute_live_registers prints an instruction's strongly connected component, when it is in
      // one (a loop, a bpf_loop callback's call), in front of its index: `  1   8: .1234..... (85) call`
      // (6.18.44-fc-v1252; earlier builds printed no SCC column)
      const l = /^\s+(?:\d+\s+)?(\d+): [.0-9]+ \(([0-9a-f]{2})\) (.*)$/.exec(line);
      if (l) prog.listing.push({ slot: Number(l[1]), code: parseInt(l[2]!, 16), text: l[3]! });
      const li = /^; (.*) @ (\S+):(\d+)$/.exec(line);
      if (li) {
        pendingLine = { text: li[1]!, file: li[2]!, line: Number(li[3]) };
        continue;
      }
      const at = /^(\d+): \(/.exec(line);
      if (at && pendingLine) prog.lines.push({ slot: Number(at[1]), ...pendingLine });
      pendingLine = undefined;
      continue;
    }
    const ps = /^## prog (.+)$/.exec(line);
    if (ps) {
      const m = /^\d+: (\S+)\s+name (\S+)/.exec(all[i + 1] ?? '');
      const ids = /map_ids ([\d,]+)/.exec(all[i + 2] ?? '');
      const p = log.programs.get(ps[1]!) ?? { listing: [], funcStarts: [], lines: [] };
      if (m) p.show = { type: m[1]!, name: m[2]!, mapIds: ids ? ids[1]!.split(',').map(Number) : [] };
      log.programs.set(ps[1]!, p);
      continue;
    }
    const ms = /^## map (\d+)$/.exec(line);
    if (ms) {
      const a = /^(\d+): (\S+)\s+name (\S+)\s+flags (0x[0-9a-f]+)/.exec(all[i + 1] ?? '');
      const b = /key (\d+)B\s+value (\d+)B\s+max_entries (\d+)/.exec(all[i + 2] ?? '');
      if (a && b) {
        log.maps.push({
          id: Number(a[1]),
          type: a[2]!,
          name: a[3]!,
          flags: parseInt(a[4]!, 16),
          keySize: Number(b[1]),
          valueSize: Number(b[2]),
          maxEntries: Number(b[3]),
          frozen: /\bfrozen\b/.test(all[i + 3] ?? '') || /\bfrozen\b/.test(all[i + 2] ?? ''),
        });
      }
      continue;
    }
    const md = /^## map dump (\d+)$/.exec(line);
    if (md) {
      const m = log.maps.find((x) => x.id === Number(md[1]));
      if (m) m.dump = parseJsonExact(all[i + 1]!);
      continue;
    }
    if (line === '## map dump flows') log.flowsDump = parseJsonExact(all[i + 1]!);
  }
  return log;
}
