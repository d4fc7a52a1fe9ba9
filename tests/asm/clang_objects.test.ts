// Programs compiled here with clang 14 (tests/asm/fixtures/build.sh): the `.text` bytes and the
// `llvm-objdump -d` listing of each object are committed, so this test needs no toolchain.
//
// Both directions are checked against llvm-objdump:
//   - assembling the whole listing, as pasted (headers, symbol lines, addresses, bytes, `<LBB0_3>`
//     annotations), gives exactly the object's bytes;
//   - disassembling the bytes with `addresses` gives the listing's instruction lines character for
//     character, except where objdump's text loses information (a local call prints as `call N`).

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { assemble, disassemble } from '../../src/asm/index.js';
import { decode, encode } from '../../src/isa/insn.js';

const FIXTURES = new URL('./fixtures/', import.meta.url);
const read = (name: string): string => readFileSync(new URL(name, FIXTURES), 'utf8');
const textBytes = (name: string): Uint8Array => Uint8Array.from(read(`${name}.text.hex`).trim().split(/\s+/), (x) => parseInt(x, 16));
const hexLines = (b: Uint8Array): string[] =>
  Array.from({ length: b.length / 8 }, (_, i) => Array.from(b.subarray(i * 8, i * 8 + 8), (x) => x.toString(16).padStart(2, '0')).join(' '));

/** The listing's instruction lines (`   12:\t<bytes>\t<text>`), without objdump's `<LBBx_y>` annotations. */
function objdumpInsnLines(listing: string): string[] {
  return listing
    .split('\n')
    .filter((l) => /^\s*\d+:\t/.test(l))
    .map((l) => l.replace(/ <[^>]+>$/, ''));
}

const OBJECTS = [
  { name: 'alu_jmp', what: 'ALU64/ALU32, JMP/JMP32, loads, stores, 64-bit atomics, ld_imm64, helper call (-mcpu=v3)' },
  { name: 'atomics32', what: '32-bit atomics and a bpf-to-bpf call (-mcpu=v3, listed with --mattr=+alu32)' },
  { name: 'legacy', what: 'socket-filter packet loads, ld_abs/ld_ind (-mcpu=v1)' },
];

describe.each(OBJECTS)('clang object $name: $what', ({ name }) => {
  const bytes = textBytes(name);
  const listing = read(`${name}.objdump.txt`);
  const prog = decode(bytes);

  it('the listing assembles to the object bytes, whole and unedited', () => {
    const asm = assemble(listing, { syntax: 'llvm', source: `${name}.objdump.txt` });
    const got = encode(asm);
    // Local calls are the one thing objdump's text cannot carry: it prints `call N` for src=1 too.
    const localCalls = prog.flatMap((ins, i) => (ins.code === 0x85 && ins.src === 1 ? [i] : []));
    const want = Uint8Array.from(bytes);
    for (const i of localCalls) want[i * 8 + 1] = 0;
    expect(hexLines(got)).toEqual(hexLines(want));
  });

  it("disassemble(…, { addresses }) reproduces the listing's instruction lines", () => {
    const ours = disassemble(prog, { syntax: 'llvm', addresses: true }).split('\n');
    const theirs = objdumpInsnLines(listing);
    expect(ours.length).toBe(theirs.length);
    ours.forEach((line, i) => {
      if (/\t85 10 /.test(line)) {
        // objdump: `call 1` (reads as helper 1); ours: `call pc+1`
        expect(line.replace('call pc+', 'call ')).toBe(theirs[i]);
      } else {
        expect(line).toBe(theirs[i]);
      }
    });
  });

  it('round-trips through both syntaxes, with and without labels', () => {
    for (const syntax of ['ubpf', 'llvm'] as const) {
      for (const labels of [false, true]) {
        expect(assemble(disassemble(prog, { syntax, labels }), { syntax })).toEqual(prog);
        expect(assemble(disassemble(prog, { syntax, labels, addresses: true }), { syntax })).toEqual(prog);
      }
    }
  });
});
