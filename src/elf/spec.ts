// What parseObject() returns: specs, not live objects. A spec says what libbpf would ask the kernel
// for (program type, instructions after linking and relocation, map definitions, initial data); the
// runtime turns specs into programs and maps. Nothing here holds memory addresses or file descriptors.

import type { Insn } from '../isa/insn.js';
import type { Btf } from './btf.js';
import type { ProgramType } from './section_defs.js';

export interface ObjectSpec {
  path?: string;
  /** Contents of the `license` section up to its NUL ('' when absent). */
  license: string;
  /** The u32 in the `version` section, when there is one. */
  kernelVersion?: number;
  /** Entry programs (functions outside `.text`), in section order, then by offset, as libbpf orders them. */
  programs: ProgramSpec[];
  /** Maps in libbpf's order: legacy `maps`, BTF `.maps`, global data (by section), `.kconfig`. */
  maps: MapSpec[];
  btf?: Btf;
}

/** An `ld_imm64` that loads a map (kind 'fd') or the address of a byte of a map's value (kind 'value'). */
export interface MapRef {
  /** Slot of the ld_imm64 in ProgramSpec.insns. */
  index: number;
  /** MapSpec.name of the map. */
  map: string;
  kind: 'fd' | 'value';
  /** For 'value': byte offset into the map value (for 'fd' always 0). */
  offset: number;
}

/** An `ld_imm64` with src = PseudoLd.FUNC: the address of a callback (bpf_loop, timers, for_each_map_elem). */
export interface FuncRef {
  /** Slot of the ld_imm64. */
  index: number;
  /** Slot the callback starts at: index + imm + 1. */
  target: number;
  /** Function symbol of the callback. */
  name: string;
}

/** A call of a kfunc (`extern … __ksym`): src = BPF_PSEUDO_KFUNC_CALL, imm 0 until the loader resolves `name`. */
export interface KfuncCall {
  /** Slot of the call. */
  index: number;
  name: string;
  /** `__weak`: an unresolved one is not an error for libbpf (the call must then be dead code). */
  weak: boolean;
}

/** A function of the linked program: the entry function at 0, then each appended subprogram. */
export interface FunctionSpan {
  name: string;
  /** First slot in ProgramSpec.insns. */
  index: number;
  /** Number of slots. */
  length: number;
  /** ELF section the code came from. */
  section: string;
}

export interface FuncInfo {
  /** Slot in ProgramSpec.insns. */
  index: number;
  /** Name of the BTF FUNC. */
  name: string;
  /** BTF type id of the FUNC. */
  typeId: number;
}

export interface LineInfo {
  /** Slot in ProgramSpec.insns. */
  index: number;
  file: string;
  line: number;
  column: number;
  /** The source line. */
  text: string;
}

export interface ProgramSpec {
  /** The function symbol. */
  name: string;
  /**
   * The section name as libbpf keeps it: 'xdp', 'xdp.frags', 'xdp/devmap', 'tc', 'socket', 'xdp_foo'…
   * — without the leading '?' of SEC("?xdp"), which only says the program does not load by default.
   */
  section: string;
  /**
   * false for SEC("?…") programs: libbpf opens them with autoload off (bpf_object__init_prog), so they
   * load only when asked for by name (LoadOptions.programs, bpf_program__set_autoload(true)).
   */
  autoload?: false;
  /** From SECTION_DEFS; 'unspec' for a section libbpf does not know. */
  type: ProgramType;
  /** libbpf's attach type name ('xdp', 'xdp_devmap', 'xdp_cpumap', …) when the section sets one. */
  attachType?: string;
  /** Set for xdp.frags* sections (BPF_F_XDP_HAS_FRAGS). */
  frags?: boolean;
  /** Set for sleepable sections (fentry.s, lsm.s, syscall…). */
  sleepable?: boolean;
  /**
   * The program, slot-indexed: the entry function, then every subprogram it calls (transitively),
   * appended in libbpf's order, with call offsets fixed up and relocations applied.
   */
  insns: Insn[];
  mapRefs: MapRef[];
  /** Callback addresses (parseObject always sets it; optional for hand-built specs). */
  funcRefs?: FuncRef[];
  /** kfunc calls, for the loader to resolve by name. */
  kfuncCalls?: KfuncCall[];
  /** Where each function of the linked program starts (parseObject always sets it). */
  functions?: FunctionSpan[];
  /** From .BTF.ext, remapped to slots of `insns`; empty without BTF. */
  funcInfo: FuncInfo[];
  lineInfo: LineInfo[];
  license: string;
}

export type MapKind = 'btf' | 'legacy' | 'data' | 'rodata' | 'bss' | 'kconfig';

export interface MapInitSlot {
  /** Index in the outer map (prog_array / array_of_maps / hash_of_maps key). */
  index: number;
  /** For prog_array: the program's name. */
  program?: string;
  /** For map-in-map: the inner map's name. */
  map?: string;
}

/** A `extern … __kconfig` variable: where it lives in the .kconfig map, for the loader to fill in. */
export interface KconfigVar {
  name: string;
  /** Byte offset in the .kconfig map value. */
  offset: number;
  size: number;
  /** libbpf's kcfg type: bool (1 byte), tristate (enum libbpf_tristate), char, int (1/2/4/8 bytes), char array. */
  type: 'bool' | 'tristate' | 'char' | 'int' | 'char_array';
  signed: boolean;
  /** `__weak`: a missing value is 0 rather than an error. */
  weak: boolean;
  /** BTF id of the VAR. */
  typeId: number;
}

export interface MapSpec {
  /** libbpf's map name (the variable name; global data maps: see parseObject's `path` option). */
  name: string;
  /** BPF_MAP_TYPE_* number and its libbpf name ('array', 'hash', 'percpu_array', …). */
  type: number;
  typeName: string;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  pinning: 'none' | 'by_name';
  numaNode?: number;
  mapExtra?: number;
  /** BTF type ids when known (key/value of `__type(...)`; DATASEC for global data). */
  keyTypeId?: number;
  valueTypeId?: number;
  /** For map-in-map: the inner map definition (`__array(values, struct inner)`), named '<outer>.inner'. */
  innerMap?: MapSpec;
  /** `__array(values, …) = { [i] = &x }` initialisers, from .rel.maps. */
  initSlots?: MapInitSlot[];
  /** Initial contents of a global data map (zero for .bss, computed by the loader for .kconfig). */
  data?: Uint8Array;
  kind: MapKind;
  /** .rodata* and .kconfig: BPF_F_RDONLY_PROG, frozen after the initial contents are written. */
  readonly?: boolean;
  /** For kind 'kconfig': the variables to fill in. */
  kconfig?: KconfigVar[];
}
