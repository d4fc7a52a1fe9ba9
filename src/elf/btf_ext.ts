// .BTF.ext: per-section func_info, line_info and CO-RE relocations.
//
//   header:   magic u16 = 0xeb9f · version u8 = 1 · flags u8 · hdr_len u32 ·
//             func_info_off u32 · func_info_len u32 · line_info_off u32 · line_info_len u32 ·
//             [core_relo_off u32 · core_relo_len u32]          (offsets count from the end of the header)
//   each info block:  rec_size u32, then per ELF section:
//             { sec_name_off u32 (into .BTF strings) · num_info u32 · num_info × rec_size bytes }
//   func_info record: insn_off u32 · type_id u32                          (8 bytes or more)
//   line_info record: insn_off u32 · file_name_off u32 · line_off u32 · line_col u32 (16 or more)
//                     line = line_col >> 10, column = line_col & 0x3ff
//
// insn_off is a byte offset inside the named ELF section (libbpf divides it by 8).

import type { Btf } from './btf.js';
import { ElfError } from './error.js';
import { ByteReader } from './reader.js';

export interface FuncInfoRecord {
  /** Instruction slot inside the ELF section. */
  insn: number;
  typeId: number;
}

export interface LineInfoRecord {
  insn: number;
  file: string;
  text: string;
  line: number;
  column: number;
}

export interface BtfExt {
  /** Records by ELF section name, sorted by instruction as in the file. */
  funcInfo: Map<string, FuncInfoRecord[]>;
  lineInfo: Map<string, LineInfoRecord[]>;
  /** Number of CO-RE relocation records per section. */
  coreRelos: Map<string, number>;
  /** The CO-RE relocation records by section (bpf_core_relo; src/elf/core.ts applies those on wxdp's own types). */
  coreRecords: Map<string, CoreRelo[]>;
}

/** struct bpf_core_relo: insn_off u32 · type_id u32 · access_str_off u32 · kind u32. */
export interface CoreRelo {
  insn: number;
  typeId: number;
  /** "0:1:…": the first index steps over the root pointer, the rest are member indices. */
  access: string;
  kind: number;
}

export function parseBtfExt(data: Uint8Array, btf: Btf, opts: { path?: string | undefined; section?: string } = {}): BtfExt {
  const section = opts.section ?? '.BTF.ext';
  const fail = (offset: number, detail: string) => new ElfError('BTF_INVALID', detail, { path: opts.path, section, offset });
  const r = new ByteReader(data, (o, d) => fail(o, d));
  if (data.length < 24) throw fail(0, `${data.length} bytes is shorter than the 24-byte .BTF.ext header`);
  const magic = r.u16(0);
  if (magic !== 0xeb9f) throw fail(0, `bad magic 0x${magic.toString(16)} (expected 0xeb9f)`);
  if (r.u8(2) !== 1) throw fail(2, `unsupported .BTF.ext version ${r.u8(2)}`);
  if (r.u8(3) !== 0) throw fail(3, `unsupported .BTF.ext flags 0x${r.u8(3).toString(16)}`);
  const hdrLen = r.u32(4);
  if (hdrLen < 24 || hdrLen > data.length) throw fail(4, `header length ${hdrLen} is out of range`);

  const blocks = (headerAt: number, minRec: number, what: string, each: (sec: string, at: number, rec: ByteReader) => void): void => {
    if (headerAt + 8 > hdrLen) return; // an older, shorter header without this block
    const off = r.u32(headerAt);
    const len = r.u32(headerAt + 4);
    if (len === 0) return;
    const start = hdrLen + off;
    const end = start + len;
    if (off % 4 !== 0) throw fail(headerAt, `${what} offset ${off} is not 4-byte aligned`);
    if (end > data.length) throw fail(headerAt, `${what} (${len} bytes at ${off}) runs past the end (${data.length - hdrLen} bytes after the header)`);
    if (len < 4) throw fail(start, `${what} is too short for its record size`);
    const recSize = r.u32(start);
    if (recSize < minRec || recSize % 4 !== 0) throw fail(start, `${what} record size ${recSize} is invalid (at least ${minRec}, multiple of 4)`);
    let p = start + 4;
    while (p < end) {
      if (p + 8 > end) throw fail(p, `${what}: truncated section header`);
      const nameOff = r.u32(p);
      const num = r.u32(p + 4);
      const sec = btf.string(nameOff);
      if (sec === undefined || sec === '') throw fail(p, `${what}: section name offset ${nameOff} is not a string of .BTF`);
      if (num === 0) throw fail(p + 4, `${what} for section '${sec}' has no records`);
      p += 8;
      if (num > Math.floor((end - p) / recSize)) throw fail(p, `${what} for section '${sec}': ${num} records of ${recSize} bytes run past the end`);
      for (let i = 0; i < num; i++, p += recSize) each(sec, p, r);
    }
  };

  const funcInfo = new Map<string, FuncInfoRecord[]>();
  const lineInfo = new Map<string, LineInfoRecord[]>();
  const coreRelos = new Map<string, number>();
  const coreRecords = new Map<string, CoreRelo[]>();
  const push = <T>(m: Map<string, T[]>, k: string, v: T) => {
    const list = m.get(k);
    if (list) list.push(v);
    else m.set(k, [v]);
  };
  const insnOf = (at: number, sec: string): number => {
    const o = r.u32(at);
    if (o % 8 !== 0) throw fail(at, `record for section '${sec}' has insn_off ${o}, not a multiple of 8`);
    return o / 8;
  };

  blocks(8, 8, 'func_info', (sec, at) => {
    const typeId = r.u32(at + 4);
    const t = typeId < btf.count ? btf.type(typeId) : undefined;
    if (!t || t.kind !== 'func') throw fail(at + 4, `func_info for section '${sec}' refers to type ${typeId}, which is not a FUNC`);
    push(funcInfo, sec, { insn: insnOf(at, sec), typeId });
  });
  blocks(16, 16, 'line_info', (sec, at) => {
    const fileOff = r.u32(at + 4);
    const lineOff = r.u32(at + 8);
    const lineCol = r.u32(at + 12);
    const file = btf.string(fileOff);
    const text = btf.string(lineOff);
    if (file === undefined) throw fail(at + 4, `line_info file name offset ${fileOff} is not a string of .BTF`);
    if (text === undefined) throw fail(at + 8, `line_info line offset ${lineOff} is not a string of .BTF`);
    push(lineInfo, sec, { insn: insnOf(at, sec), file, text, line: lineCol >>> 10, column: lineCol & 0x3ff });
  });
  blocks(24, 16, 'core_relo', (sec, at) => {
    coreRelos.set(sec, (coreRelos.get(sec) ?? 0) + 1);
    push(coreRecords, sec, { insn: insnOf(at, sec), typeId: r.u32(at + 4), access: btf.string(r.u32(at + 8)) ?? '', kind: r.u32(at + 12) });
  });
  return { funcInfo, lineInfo, coreRelos, coreRecords };
}
