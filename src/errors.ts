// Every error wxdp raises is a WxdpError with a stable `code` and a message that names the place:
// file, line and column for assembler text; instruction index and byte offset for programs; instruction
// index and address for run-time faults. Callers switch on `code`, people read `message`.

export type ErrorCode =
  | 'ASM_SYNTAX' // assembler text that does not parse
  | 'ISA_DECODE' // bytes that are not a whole instruction stream
  | 'ISA_ENCODE' // an instruction whose fields do not fit the wire format
  | 'PROG_INVALID' // a program the load-time check rejects
  | 'PROG_UNSUPPORTED' // a program type, helper or kfunc the kernel has and wxdp does not provide ("… is not supported by wxdp")
  | 'VERIFIER_REJECTED' // the static verifier could not prove the program safe
  | 'PROG_ATTACH' // an attach the kernel would refuse (wrong program type, no reuseport group, too many)
  | 'RUN_MEM_FAULT' // a load or store outside the regions the program may touch
  | 'RUN_CALL_DEPTH' // more than MAX_FRAMES nested bpf-to-bpf calls
  | 'RUN_HELPER' // a helper that is unknown or failed at run time
  | 'RUN_INSN_LIMIT' // the interpreter's instruction budget ran out
  | 'CONFORMANCE_FORMAT' // a bpf_conformance .data file that does not parse
  | 'JIT_COMPILE' // the WebAssembly backend could not build a module
  | 'KERNEL_UNAVAILABLE' // the Linux kernel oracle cannot be used here (not root, no bpftool, no bpffs)
  | 'KERNEL_REJECTED' // the Linux kernel (libbpf or its verifier) refused to load a program
  | 'KERNEL_RUN' // BPF_PROG_TEST_RUN through bpftool failed
  | 'MAP_CREATE' // the map's attributes are refused (the kernel's map_alloc_check) or do not fit in memory
  | 'MAP_FULL' // E2BIG / ENOSPC: no room for another element, or an index past max_entries
  | 'MAP_NOT_FOUND' // ENOENT: no such key
  | 'MAP_EXISTS' // EEXIST: BPF_NOEXIST on a key that exists
  | 'MAP_INVALID' // EINVAL (or EBADF): bad flags, key, value or operation for the map type
  | 'MAP_UNSUPPORTED' // ENOTSUPP / EOPNOTSUPP: the map type has no such operation
  | 'MAP_NO_MEMORY' // ENOMEM: the memory cannot grow (or a pool ran out)
  | 'ELF_BAD_HEADER' // not an ELF64 little-endian EM_BPF relocatable object
  | 'ELF_BAD_SECTION' // a section header, section contents or string table that is out of bounds or malformed
  | 'ELF_BAD_SYMBOL' // a symbol table entry that is malformed or points outside its section
  | 'ELF_BAD_RELOCATION' // a relocation that cannot be applied (missing symbol, bad offset, wrong instruction)
  | 'ELF_BAD_MAP' // a map definition that is missing fields, inconsistent or of an unknown type
  | 'ELF_BAD_PROGRAM' // a program or subprogram whose code is malformed (bad bounds, split ld_imm64)
  | 'ELF_UNSUPPORTED' // valid for libbpf but needs the running kernel (ksym externs, kfunc calls)
  | 'BTF_INVALID' // .BTF / .BTF.ext that is truncated or inconsistent (type id out of range, bad kind)
  | 'PCAP_INVALID' // a pcap or pcapng capture that is truncated or malformed (the message names the byte offset)
  | 'SOCKET_SEND' // a datagram the UDP send path refused (the kernel's errno in `errno`)
  | 'SOCKET' // a socket call refused: `errno` names the kernel's (EADDRINUSE, EADDRNOTAVAIL, ENETUNREACH…)
  | 'CONFIG' // a `wxdp up` config file that does not parse or validate (the message names the file and key path)
  | 'CONTROL' // the control socket: a request it cannot serve, a socket another process serves, a lost connection
  | 'BUSY' // EBUSY: still in use (an object whose program is attached or held elsewhere)
  | 'NOT_FOUND' // ENOENT: no program, map or device of that name (the message lists those there are)
  | 'NFT_SYNTAX' // nft input that does not parse or has a value of the wrong kind (nft's message, line and column)
  | 'NFT_REJECTED' // nft input that parses but the ruleset refuses (no such table, chain or set; a loop; a busy chain)
  | 'USAGE'; // bad CLI or API arguments

export class WxdpError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** Assembler text error: `file:line:column: message`. Line and column are 1-based. */
export class AsmError extends WxdpError {
  readonly line: number;
  readonly column: number;
  readonly source: string | undefined;
  constructor(message: string, line: number, column: number, source?: string) {
    super('ASM_SYNTAX', `${source ? source + ':' : ''}${line}:${column}: ${message}`);
    this.line = line;
    this.column = column;
    this.source = source;
  }
}

/** Instruction stream error, naming the instruction index and byte offset. */
export class DecodeError extends WxdpError {
  readonly index: number;
  readonly byteOffset: number;
  constructor(message: string, index: number, code: 'ISA_DECODE' | 'ISA_ENCODE' = 'ISA_DECODE') {
    super(code, `insn ${index} (byte offset ${index * 8}): ${message}`);
    this.index = index;
    this.byteOffset = index * 8;
  }
}

/** A program the load-time check rejects. */
export class ProgramError extends WxdpError {
  readonly index: number;
  /** The message without the instruction prefix (the kernel's wording). */
  readonly reason: string;
  /** What the kernel's bpf(BPF_PROG_LOAD) returns for it: EINVAL for a malformed program, E2BIG for its size, EACCES for a write to r10. */
  readonly errno: 'EINVAL' | 'E2BIG' | 'EACCES';
  constructor(message: string, index: number, code: 'PROG_INVALID' | 'PROG_UNSUPPORTED' = 'PROG_INVALID', errno: 'EINVAL' | 'E2BIG' | 'EACCES' = 'EINVAL') {
    super(code, index >= 0 ? `insn ${index}: ${message}` : message);
    this.index = index;
    this.reason = message;
    this.errno = errno;
  }
}

export type RuntimeErrorCode = 'RUN_MEM_FAULT' | 'RUN_CALL_DEPTH' | 'RUN_HELPER' | 'RUN_INSN_LIMIT';

/** A run that ended early. `index` is the instruction that faulted. */
/**
 * bpf_throw's unwinding (BPF exceptions) in the interpreter: thrown by the kfunc, through every eBPF frame,
 * to its run, which makes `cookie` the program's return value (the default exception callback's answer).
 * Not an error: a program ends this way on purpose. (The JIT unwinds its wasm frames itself: jit/emit.ts.)
 */
export class BpfThrow {
  constructor(readonly cookie: bigint) {}
}

export class RuntimeFault extends WxdpError {
  readonly index: number;
  readonly address: bigint | undefined;
  readonly size: number | undefined;
  constructor(code: RuntimeErrorCode, message: string, index: number, address?: bigint, size?: number) {
    super(code, `insn ${index}: ${message}`);
    this.index = index;
    this.address = address;
    this.size = size;
  }
}

/** The message for an access outside every allowed region; interpreter and JIT share it. */
export function memFault(index: number, address: bigint, size: number, write: boolean): RuntimeFault {
  const a = BigInt.asUintN(64, address);
  return new RuntimeFault(
    'RUN_MEM_FAULT',
    `${write ? 'write' : 'read'} of ${size} byte${size === 1 ? '' : 's'} at 0x${a.toString(16)} is outside the program's memory`,
    index,
    a,
    size,
  );
}

/** A checked run passed bpf_loop a callback that is none of its program's (BPF_PSEUDO_FUNC values). */
export function callbackFault(index: number, value: bigint): RuntimeFault {
  const v = BigInt.asUintN(64, value);
  return new RuntimeFault('RUN_HELPER', `helper bpf_loop#181 argument 2 (0x${v.toString(16)}) is not a callback of this program`, index, v);
}

export function callDepthFault(index: number, maxFrames: number): RuntimeFault {
  return new RuntimeFault('RUN_CALL_DEPTH', `call depth exceeds ${maxFrames} frames`, index);
}

/** The errno bpf(BPF_PROG_LOAD) fails with when the verifier refuses: EACCES for most refusals, EINVAL for a malformed program or call, E2BIG past its limits, EPERM for what this kernel forbids outright, EOPNOTSUPP / ENOENT for a global function's prototype it cannot use (btf_prepare_func_args), EFAULT for what it calls a verifier bug (jit_subprogs finding a callback reference whose subprogram went as dead code). */
export type VerifierErrno = 'EACCES' | 'EINVAL' | 'E2BIG' | 'EPERM' | 'EOPNOTSUPP' | 'ENOTSUPP' | 'ENOENT' | 'EFAULT';

/**
 * The verifier rejected a program. `index` is the instruction it stopped at (-1 when the reason is not
 * one instruction), `reason` the kernel-worded error line, `log` the verifier log up to the error,
 * `errno` what the kernel's bpf(BPF_PROG_LOAD) returns for it.
 */
export class VerifierError extends WxdpError {
  readonly index: number;
  readonly reason: string;
  readonly log: string;
  readonly errno: VerifierErrno;
  constructor(reason: string, index: number, log: string, where?: string, errno: VerifierErrno = 'EACCES') {
    super('VERIFIER_REJECTED', `${where ? `${where}: ` : ''}${index >= 0 ? `insn ${index}: ` : ''}${reason}`);
    this.index = index;
    this.reason = reason;
    this.log = log;
    this.errno = errno;
  }
}
