// The memory layout every module shares (see src/runtime/memory.ts, which must agree: a test checks).
//
//   0x00000  null guard; AssemblyScript statics live at memoryBase 0x800 inside it
//   0x01000  STACK_BASE: eBPF stacks, MAX_FRAMES × 512 B, frame 0's r10 = STACK_TOP
//   0x02000  STACK_TOP
//   0x10000  INPUT_BASE: packet / input memory

export const ABI_VERSION: u32 = 1;
export const STACK_SIZE: u32 = 512;
export const MAX_FRAMES: u32 = 8;
export const STACK_BASE: u32 = 0x1000;
export const STACK_TOP: u32 = STACK_BASE + MAX_FRAMES * STACK_SIZE;
export const INPUT_BASE: u32 = 0x10000;
