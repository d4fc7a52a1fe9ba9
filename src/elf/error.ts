// Errors raised while parsing a BPF ELF object. Every one names where it happened: the object's path
// (when known), the ELF section and the byte offset inside that section (or inside the file for the
// ELF header and section header table), so a message reads like
//
//   prog.o: section '.relxdp' at byte 0x18: relocation #1 refers to symbol 99, but .symtab has 40 symbols

import { WxdpError, type ErrorCode } from '../errors.js';

export type ElfErrorCode = Extract<
  ErrorCode,
  | 'ELF_BAD_HEADER'
  | 'ELF_BAD_SECTION'
  | 'ELF_BAD_SYMBOL'
  | 'ELF_BAD_RELOCATION'
  | 'ELF_BAD_MAP'
  | 'ELF_BAD_PROGRAM'
  | 'ELF_UNSUPPORTED'
  | 'BTF_INVALID'
>;

export interface ElfLocation {
  /** The object's path, when the caller gave one. */
  path?: string | undefined;
  /** The section the problem is in (`'<ELF header>'` and `'<section headers>'` for the file's tables). */
  section?: string | undefined;
  /** Byte offset inside `section` (inside the file for the header tables). */
  offset?: number | undefined;
}

export class ElfError extends WxdpError {
  readonly path: string | undefined;
  readonly section: string | undefined;
  readonly offset: number | undefined;
  /** The message without the location prefix. */
  readonly detail: string;
  constructor(code: ElfErrorCode, detail: string, where: ElfLocation = {}) {
    super(code, formatLocation(where) + detail);
    this.path = where.path;
    this.section = where.section;
    this.offset = where.offset;
    this.detail = detail;
  }
}

function formatLocation({ path, section, offset }: ElfLocation): string {
  const parts: string[] = [];
  if (section !== undefined) parts.push(section.startsWith('<') ? section : `section '${section}'`);
  if (offset !== undefined) parts.push(`at byte 0x${offset.toString(16)} (${offset})`);
  const where = parts.join(' ');
  return `${path !== undefined ? path + ': ' : ''}${where ? where + ': ' : ''}`;
}

/** Hex for messages. */
export const hex = (n: number): string => '0x' + n.toString(16);
