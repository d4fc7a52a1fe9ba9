// The Linux kernel as an oracle: ELF objects libbpf accepts, load + BPF_PROG_TEST_RUN through bpftool,
// and the wrappers that run conformance-style programs (r1 = memory, r2 = length, 64-bit r0) as XDP.

export { writeBpfObject, type BpfObjectProgram } from './bpf_object.js';
export {
  kernelAvailability,
  loadKernelObject,
  loadKernelProgram,
  loadKernelInsns,
  runConformanceInKernel,
  xdpContext,
  KernelMap,
  KernelObject,
  KernelProgram,
  KernelRejected,
  type KernelMapEntry,
  type KernelMapInfo,
  type KernelMapUpdateFlag,
  type KernelAvailability,
  type KernelConformanceResult,
  type KernelLoadOptions,
  type KernelRunOptions,
  type KernelRunResult,
} from './kernel.js';
export { wrapForXdp, returnHigh32, entryFunctionEnd, XDP_WRAP_SHORT_PACKET, XDP_MIN_DATA } from './xdp_wrapper.js';
