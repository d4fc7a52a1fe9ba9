// src/elf: parse BPF ELF objects (clang -target bpf, libbpf conventions) into specs. Parse only: no
// kernel, no memory, no runtime — like aya-obj or cilium/ebpf's CollectionSpec.
//
//   const spec = parseObject(readFileSync('prog.o'), { path: 'prog.o' });
//   spec.programs[0].insns   // linked, relocated, ready for the verifier / JIT
//   spec.maps                // definitions and initial data for the runtime to create
//   btfCodec(spec.btf!, spec.maps[0].valueTypeId!).decode(bytes)   // typed values

export { parseObject, type ParseOptions } from './object.js';
export type {
  FuncInfo,
  FuncRef,
  FunctionSpan,
  KconfigVar,
  LineInfo,
  MapInitSlot,
  MapKind,
  MapRef,
  MapSpec,
  ObjectSpec,
  ProgramSpec,
} from './spec.js';
export { ElfError, type ElfErrorCode, type ElfLocation } from './error.js';
export { Btf, BtfKind, type BtfType, type BtfMember, type BtfKindName, type BtfLinkage } from './btf.js';
export { parseBtfExt, type BtfExt, type FuncInfoRecord, type LineInfoRecord } from './btf_ext.js';
export { btfCodec, type BtfCodec } from './btf_codec.js';
export { configureObject, type ObjectConfig } from './configure.js';
export { resolveKconfig, kernelVersion, WXDP_KCONFIG, WXDP_KERNEL_VERSION } from './kconfig.js';
export { classicTracepointTarget, findSectionDef, PROGRAM_TYPE_IDS, rawTracepointTarget, SECTION_DEFS, TP_RECORD_SIZES, tpBtfTarget, unsupportedProgram, XDP_TRACEPOINTS, type ProgramType, type SectionDef } from './section_defs.js';
export {
  adjustRingbufSize,
  BPF_F_MMAPABLE,
  BPF_F_RDONLY_PROG,
  internalMapName,
  MAP_TYPE_NAMES,
  mapTypeName,
  MapType,
  objectNameFromPath,
  type MapTypeName,
} from './maps.js';
