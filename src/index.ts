// wxdp's public API. Everything a user imports comes from here; other paths are internal.
//
//   import { assemble, createEngine, EngineMemory, baseHelpers } from 'wxdp';
//   const prog = assemble('r0 = *(u8 *)(r1 + 0)\nexit');
//   const memory = new EngineMemory();
//   const { engine } = await createEngine(prog, { engine: 'jit', memory, helpers: baseHelpers() });
//   const input = memory.placeInput(Uint8Array.of(42));
//   engine.run({ args: [BigInt(input.start), 1n], regions: [input] }).r0; // 42n

export * from './errors.js';
export * from './isa/index.js';
export { assemble, disassemble, formatInsn, type AssembleOptions, type DisassembleOptions, type Syntax } from './asm/index.js';
export { checkProgram, MAX_INSNS, type CheckOptions, type ProgramShape } from './verifier/check.js';
export { Interpreter, type InterpreterOptions, type TraceEvent } from './interp/index.js';
export { compile, clearJitCache, JitProgram, REGION_SLOTS, type JitOptions, type JitProgramInfo, type OptimizeMode } from './jit/index.js';
export { createEngine, type CreateEngineOptions, type LoadedEngine } from './control/engine.js';
export {
  baseHelpers,
  formatPrintk,
  helperName,
  HelperTable,
  KERNEL_HELPER_NAMES,
  type HelperContext,
  type HelperDef,
  type HelperFn,
} from './helpers/index.js';
export { EngineMemory, INPUT_BASE, STACK_BASE, STACK_REGION, STACK_TOP, WASM_PAGE, type EngineMemoryOptions, type Region } from './runtime/memory.js';
export type { HugePageAdvice, HugePageReport } from './runtime/hugepages.js';
export type { Engine, EngineName, EngineOptions, RunRequest, RunResult } from './runtime/types.js';
export { parseConformance, rawToBytes, ConformanceFormatError, type ConformanceVector } from './conformance/data.js';
export { loadVectors, runVector, summarize, vectorProgram, type Outcome, type RunVectorOptions, type Summary } from './conformance/runner.js';
export {
  parseObject,
  btfCodec,
  configureObject,
  resolveKconfig,
  WXDP_KERNEL_VERSION,
  Btf,
  ElfError,
  type BtfCodec,
  type ObjectConfig,
  type MapSpec,
  type ObjectSpec,
  type ProgramSpec,
  type ParseOptions,
} from './elf/index.js';
export {
  createMap,
  BpfMap,
  MapSet,
  TypedMap,
  RingBufReader,
  type RingBufReaderOptions,
  PerfBuffer,
  type PerfBufferOptions,
  type InnerMapMeta,
} from './maps/index.js';
export {
  Datapath,
  BpfObject,
  Program,
  TestRunError,
  XDP_MAX_DATA,
  TRACE_LINES_KEPT,
  type DatapathOptions,
  type LoadOptions,
  type TestRunOptions,
  type TestRunResult,
  type XdpContext,
} from './control/datapath.js';
export { FastPath } from './runtime/fastpath.js';
export {
  Device,
  type DeviceOptions,
  type DeviceRemoval,
  type DeviceStats,
  type InjectOptions,
  type OutFrame,
  type PollOptions,
  type QueueStats,
  type TraceEvent as XdpTraceEvent,
  type VerdictCounts,
} from './control/device.js';
export { XskSocket, type XskFrame, type XskSocketOptions } from './control/xsk.js';
export { Ring, type XdpDesc } from './control/ring.js';
export { DROP_REASONS, XDP_ACTIONS, type DropReason } from './runtime/memory.js';
export {
  CaptureWriter,
  LINKTYPE_ETHERNET,
  PcapError,
  readPcap,
  writePcap,
  writePcapng,
  type Capture,
  type CapturedPacket,
  type CaptureInterface,
  type CaptureWriterOptions,
  type PacketToWrite,
  type PcapWriteOptions,
  type PcapngInterfaceOptions,
  type PcapngWriteOptions,
} from './pcap/index.js';
export { IMIX_SIZES, PacketGenerator, type FlowDistribution, type PacketGeneratorOptions, type PacketTemplate, type VariedField } from './control/pktgen.js';
export { MAX_WORKERS, Workers, type WorkerStats } from './control/workers.js';
export { RSS_DEFAULT_ENTRIES, RSS_DEFAULT_KEY, type RssConfig, type RssOptions } from './control/rss.js';
// The stack behind XDP_PASS: its tables (dp.links, dp.addresses, dp.routes, dp.rules, dp.neigh,
// dp.sysctls), its clock and counters (dp.stack), and the iproute2 front end (dp.ip, ipBatch).
export * from './control/net_types.js';
export { Stack } from './control/stack.js';
export { Links } from './control/links.js';
export { Addresses } from './control/ifaddr.js';
export { Routes } from './control/routes.js';
export { Rules } from './control/rules.js';
export { Neighbours, NEIGH_PARAMS, type NeighFilter, type NeighQueue, type NeighTableStats, type NeighParam } from './control/neigh.js';
export { Sysctls } from './control/sysctl.js';
export { AttachError, SkLookupLink } from './control/sk_programs.js';
export { TracepointLink } from './control/tracepoints.js';
export { ipCommand, ipBatch, IpError, type IpResult, type IpOptions, type IpBatchOptions, type IpBatchResult } from './control/ip/index.js';
export { MIB_NAMES, NET_DROP_REASONS } from './runtime/net_abi.js';
export { Lpm4Table, Lpm6Table } from './control/lpm.js';
// UDP sockets with node:dgram's interface (dp.udp.createSocket), the poll driver that delivers to them,
// and the wire that joins two Datapaths.
export { MessageBatch, Udp, UdpSocket, type AddressInfo, type BindOptions, type Datagram, type RemoteInfo, type SocketOptions, type SocketType } from './control/udp.js';
export { Poller, type PollerOptions, type PollStage } from './control/poller.js';
export { Wire, type WireOptions, type WireStats } from './control/wire.js';
// A long-running data path: the control socket (dp.listen, its client), the `wxdp up` daemon and its
// config file.
export { ControlServer, ControlError, MAX_LINE, type Answer, type ControlServerOptions, type ErrorJson } from './control/control_socket.js';
export { ControlClient, RemoteError, defaultSocketPath } from './control/control_client.js';
export { Daemon, type DaemonOptions, type FinalCounters, type ReloadReport, type ServiceContext } from './control/daemon.js';
export { ConfigError, parseDaemonConfig, readDaemonConfig, type DaemonConfig } from './control/daemon_config.js';
export { Link, LinkSpecError, parseLinkSpec, LINK_ERROR_REASONS, type LinkSpec, type LinkStats, type LinkErrorReason } from './control/link.js';
