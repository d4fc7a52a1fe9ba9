// The assembler and disassembler: uBPF syntax (bpf_conformance `.data` files) and llvm-objdump/bpftool
// syntax, both for the whole ISA of RFC 9669. `assemble(disassemble(p))` gives back `p` field for field.

export { assemble, type AssembleOptions, type Syntax } from './assemble.js';
export { disassemble, formatInsn, type DisassembleOptions } from './disassemble.js';
