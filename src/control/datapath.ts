// The control plane's root: one Datapath owns the shared memory, the fast path module, the helper
// table and everything loaded into them. `loadObject` turns a parsed ELF (ObjectSpec, from src/elf)
// into live maps and runnable programs, as libbpf's bpf_object__load does for the kernel:
//
//   ObjectSpec ─▶ create maps in the arena (global data initialised) ─▶ patch ld_imm64 map references
//              ─▶ load-time check ─▶ JIT (or interpreter) ─▶ fill prog_arrays from __array(values)
//
// Program.testRun mirrors BPF_PROG_TEST_RUN for XDP: the frame is laid out as the kernel does
// (256 bytes of headroom, tailroom up to a 4 KiB frame minus skb_shared_info), the program runs
// `repeat` times over the same buffer, and data_out is [data_meta, data_end).

import { availableParallelism } from 'node:os';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { btfCodec, configureObject, parseObject, resolveKconfig, tpBtfTarget, type MapSpec, type ObjectSpec, type ProgramSpec } from '../elf/index.js';
import { VerifierError, WxdpError } from '../errors.js';
import { baseHelpers, type HelperTable } from '../helpers/index.js';
import { xdpHelpers } from '../helpers/fastpath.js';
import { Interpreter } from '../interp/index.js';
import type { Insn } from '../isa/insn.js';
import { OP_LDDW, PseudoCall, PseudoLd } from '../isa/opcodes.js';
import { cachedVerdict, storeVerdict } from '../cache/verdicts.js';
import { callsObjKfuncs, ensureObjHeap, lowerObjNew } from './obj_heap.js';
import { objHeapSpans } from '../helpers/obj_kfuncs.js';
import { applyGraphFields, applyInnerGraphRoots, innerGraphRoots, innerMapKptrs, lowerGraphMapOps } from './graph_maps.js';
import { compile, JitProgram, type OptimizeMode } from '../jit/index.js';
import { timeRepeat, type WarmUp } from '../jit/timing.js';
import { codec, Errno, isMapInMapType, MapError, mapAddresses, mapStorage, MAPS_LAYOUT, MapType, RingBufReader, BpfMap, type RingBufReaderOptions, type TypedMap } from '../maps/index.js';
// internal (stripped from the published types, so not re-exported by maps/index)
import { handleUrefs, onLastHandleUref } from '../maps/map.js';
import { FastPath } from '../runtime/fastpath.js';
import {
  CTX,
  CTX_BASE,
  MAP_HDR,
  DEV,
  EngineMemory,
  FRAG_SIZE,
  FRAGS_BASE,
  FRAME_BASE,
  FRAME_SIZE,
  MAX_FRAGS,
  FRAME_TAILROOM_RESERVED,
  MAX_DEVICES,
  NAPI_BUDGET,
  RUN,
  RUN_BASE,
  XDP_FRAME_STRUCT,
  XDP_PACKET_HEADROOM,
  type Region,
} from '../runtime/memory.js';
import type { Engine, EngineName, RunRequest } from '../runtime/types.js';
import { checkProgram, sanitizeDeadCode } from '../verifier/check.js';
import { kfuncCallRefusal, verify, type GlobalFunc, type VerifiedProgram, type VerifierMap, type VerifierStats } from '../verifier/verifier.js';
import { licenseIsGplCompatible, type VerifierProgType } from '../verifier/protos.js';
import type { Btf } from '../elf/btf.js';
import { createHash } from 'node:crypto';
import { dataPathExports, Device, INJECT_BUFFER_SIZE, readTraceEvents, type DeviceOptions, type DeviceRemoval, type TraceEvent } from './device.js';
import { XskSocket, type XskSocketOptions } from './xsk.js';
import { isUnsupported, planPrograms, type SkippedProgram } from './object_programs.js';
import { applySpinLocks, innerHasResLock, mapHasBtf, mapHasResLock } from './spin_lock_maps.js';
import { kernelBtfRefusal, type BtfLoadRefusal } from '../elf/spin_lock.js';
import { lowerKfuncs, resolveKfuncs } from './kfunc_calls.js';
import { globalFuncs } from './func_args.js';
import { encode } from '../isa/insn.js';
import { Links } from './links.js';
import { LOOPBACK_IFINDEX } from '../runtime/net_abi.js';
import { Addresses } from './ifaddr.js';
import { Routes } from './routes.js';
import { Rules } from './rules.js';
import { Nft } from './nft.js';
import { Neighbours } from './neigh.js';
import { Sysctls, type SysctlValue } from './sysctl.js';
import { Conntrack } from './conntrack.js';
import { setSyncookieSecret } from './syncookies.js';
import { Nat } from './nat.js';
import { Flowtables } from './flowtable.js';
import { SocketTable } from './sockets.js';
import { Stack } from './stack.js';
import { ipCommand, type IpResult } from './ip/index.js';
import { Wire, type WireOptions } from './wire.js';
import { Udp } from './udp.js';
import { attachTracepoint, tracepointsOf, type TracepointLink } from './tracepoints.js';
import { attachReuseport, attachSkLookup, detachReuseport, skLookupAttached, socketViewsForAll, type SkLookupLink } from './sk_programs.js';
import { ipv4Bytes, ipv6Bytes } from './addresses.js';
import { Poller } from './poller.js';
import { Workers } from './workers.js';
import { EXPORT_RUN, EXPORT_RUN_GUARDED, EXPORT_TAIL_ENTRY, REGION_SLOTS } from '../jit/abi.js';
import type { ControlServer, ControlServerOptions } from './control_socket.js';

const ETH_HLEN = 14;
/** The linear part of an XDP test run's frame (PAGE_SIZE - headroom - shinfo); the rest goes to fragments. */
export const XDP_MAX_DATA = FRAME_SIZE - XDP_PACKET_HEADROOM - FRAME_TAILROOM_RESERVED;

/** DatapathOptions.dispatch when none is given. */
export const DEFAULT_DISPATCH: 'burst' | 'table' = 'burst';

export interface DatapathOptions {
  memory?: EngineMemory;
  /**
   * When no `memory` is given: the most the Datapath's memory may grow to, in bytes (default and at
   * most 4 GiB, wasm32's limit). Tables, maps and rings past it fail with ENOMEM naming the limit.
   */
  memoryLimit?: number;
  /** The same ceiling as `memoryLimit` (the CLI's --max-memory); `memoryLimit` wins when both are given. */
  maxMemory?: number;
  /**
   * When no `memory` is given: ask for 2 MiB pages for the memory (as a DPDK host's hugepages: fewer TLB
   * misses in big tables; the native addon's madvise). Default true unless WXDP_HUGEPAGES=0;
   * `dp.memory.hugePages` says what it did.
   */
  hugePages?: boolean;
  /** CPUs percpu maps hold a value for (default: this machine's, as the kernel's possible CPUs). */
  ncpus?: number;
  /** The CPU programs run on (percpu maps, bpf_get_smp_processor_id). Default 0. */
  cpu?: number;
  /** Where bpf_trace_printk lines go (default: kept for `traceLines()`, the last TRACE_LINES_KEPT). */
  trace?: (line: string) => void;
  /** UMEM frames (4 KiB each) devices receive into, allocated with the first device (default 1024). */
  umemFrames?: number;
  /**
   * How a device's poll reaches its program: 'burst' (default) calls the program's own loop once per
   * burst (the JIT emits `xdp_burst`, the program inlined, beside `run`, for programs loaded on this
   * Datapath); 'table' calls `run` through the shared table once per frame and compiles one copy of each
   * program, not two. Measured 12-06 (bench forward --quick's pollRate, 8 interleaved rounds in each
   * order, load 15-17): 'burst' is faster by 2.2 ns a frame on the XDP router over 10k prefixes (51.4 ->
   * 49.2 ns of data path) and by 2.4 on XDP_DROP (12.3 -> 9.8); the second copy costs 5-30 % more
   * compile time on an uncached load. (Earlier, bench/datapath_poll.ts had measured the two equal.)
   */
  dispatch?: 'burst' | 'table';
  /**
   * Worker threads that poll the devices' queues (queue k: worker k mod N) over one shared memory, each
   * with its own copy of the fast path and of every program (src/control/workers.ts). 0 (default): the
   * main thread polls (dp.poll). With workers the memory is shared, percpu maps hold one value per worker
   * and bpf_get_smp_processor_id is the worker's index; dp.poll() wakes them instead of polling.
   */
  workers?: number;
}

export interface LoadOptions {
  /** 'jit' (default) or the reference interpreter. */
  engine?: EngineName;
  /**
   * Verify the program statically before it runs (default true), as the kernel does at BPF_PROG_LOAD:
   * a program the verifier cannot prove safe is refused with a VerifierError. Verified programs run
   * without run-time bounds checks. `false` loads without verifying (the program then runs checked).
   */
  verify?: boolean;
  /** The verifier log level: 0 (default) keeps errors only, 1 every instruction, 2 every state. */
  logLevel?: 0 | 1 | 2;
  /**
   * Run-time bounds checks. Default: off for verified programs, on for unverified ones. loadObject
   * refuses `false` with `verify: false` (only what the verifier proved runs without checks);
   * loadInsns allows it, for ISA experiments on raw instructions, as uBPF runs them.
   */
  checked?: boolean;
  /** Object path, for messages and global data map names. */
  path?: string;
  /**
   * The JIT's binaryen pipeline (default 'light'). 'O3' speeds up call-heavy programs (programs/xdp_calls
   * 65 → 52 ns/run) for ~5× the compile time, and slows others a little; measure before choosing it.
   */
  optimize?: OptimizeMode;
  /** Also compile the burst entry devices call (default: when the Datapath's dispatch is 'burst'). */
  burst?: boolean;
  /**
   * loadObject: load only these programs (and those the object's prog_array initialisers name), as
   * libbpf's bpf_program__set_autoload(false) leaves the others out. Default: every program wxdp can run.
   */
  programs?: readonly string[];
  /**
   * Load the programs for this device (ifindex), as libbpf's bpf_program__set_ifindex with
   * BPF_F_XDP_DEV_BOUND_ONLY: what the XDP RX-metadata kfuncs need. Such a program has no test run.
   */
  devBound?: number;
  /**
   * loadObject: map name → max_entries, set before the maps are created, as libbpf's
   * bpf_map__set_max_entries between open and load ('outer.inner' for a map-in-map's inner template).
   */
  maxEntries?: Readonly<Record<string, number>>;
  /**
   * loadObject: global variables (.rodata, .data, .bss; 'SECTION.name' when two sections have the
   * name) → values, written before the maps are created, as a libbpf skeleton sets skel->rodata->x
   * before load: .rodata is frozen with them and the verifier sees them as constants. A value is what
   * btfCodec encodes for the variable's type, or a Uint8Array of its size (src/elf/configure.ts).
   */
  globals?: Readonly<Record<string, unknown>>;
  /**
   * loadObject: the values of `extern … __kconfig` CONFIG_* variables, as the lines of a kernel .config
   * (`CONFIG_HZ=250`, `CONFIG_X=y`), libbpf's bpf_object_open_opts.kconfig. LINUX_KERNEL_VERSION and
   * the other LINUX_* virtual externs are wxdp's own, and what this leaves unset comes from wxdp's own
   * config (WXDP_KCONFIG, src/elf/kconfig.ts); a strong CONFIG_* extern neither sets fails the load
   * (ESRCH), a __weak one is 0.
   */
  kconfig?: string;
  /**
   * loadObject: every program's type as a section name gives it ('xdp', 'xdp.frags', 'xdp/devmap'…),
   * libbpf's bpf_program__set_type (`bpftool prog load … type xdp`): for objects whose sections name no
   * type, such as xdp-tutorial's SEC("xdp_vlan01"), which libxdp's loader loads as XDP.
   */
  programType?: string;
  /**
   * loadObject: the directory the maps declared `__uint(pinning, LIBBPF_PIN_BY_NAME)` are pinned in,
   * libbpf's bpf_object_open_opts.pin_root_path (default /sys/fs/bpf). Pins are this Datapath's (wxdp
   * has no bpffs): a second object with such a map of the same name and root reuses the pinned map
   * (bpf_object__reuse_map) when map_is_reuse_compat agrees — type, key and value size, max_entries,
   * map_flags (a devmap's with BPF_F_RDONLY_PROG), map_extra — and fails the load with MapError EINVAL
   * ("couldn't reuse pinned map at …: parameter mismatch") when not. A map created and pinned
   * stays pinned after its object is unloaded, until Datapath.unpin().
   */
  pinRoot?: string;
}

/**
 * ctx_in, the fields of struct xdp_md, with the kernel's rules: `data` is the length of metadata at the
 * front of data_in, `dataEnd` must equal data_in's length, `dataMeta` and `egressIfindex` must be 0,
 * rx_queue_index needs an ingress device. Without ctx the run is on loopback (ifindex 1), queue 0.
 */
export interface XdpContext {
  data?: number;
  dataEnd?: number;
  dataMeta?: number;
  ingressIfindex?: number;
  rxQueueIndex?: number;
  egressIfindex?: number;
}

export interface TestRunOptions {
  data: Uint8Array;
  ctx?: XdpContext;
  repeat?: number;
  /** Like data_size_out: at most this many bytes of data_out (the rest is cut, `truncated` set). */
  dataOutSize?: number;
}

export interface TestRunResult {
  /** r0 as the kernel reports it (u32). */
  retval: number;
  /** [data_meta, data_end) after the last run. */
  data: Uint8Array;
  /** Average ns per run over the measured runs of `repeat` (steady state: see warmUp). */
  duration: number;
  /** How the repeat was split and warmed up before the runs `duration` averages (src/jit/timing.ts). */
  warmUp: WarmUp;
  /** true when dataOutSize cut data_out (the kernel returns ENOSPC then). */
  truncated: boolean;
  /** ctx_out: xdp_md after the run, data/data_end as offsets from data_meta (as the kernel reports). */
  ctx: Required<XdpContext>;
}

/** ctx_in of an sk_lookup test run (struct bpf_sk_lookup): addresses as text, ports host order. */
export interface SkLookupContext {
  family: number;
  protocol?: number;
  remoteIp4?: string;
  remoteIp6?: string;
  remotePort?: number;
  localIp4?: string;
  localIp6?: string;
  localPort?: number;
  ingressIfindex?: number;
  /** Must be 0 (the kernel refuses a preset socket). */
  sk?: number | bigint;
}

export interface SkLookupTestRunResult {
  retval: number;
  /** The chosen socket's cookie, 0n when none was chosen. */
  cookie: bigint;
  /** Average ns per run over `repeat`. */
  duration: number;
}

/** sizeof(struct bpf_sk_lookup). */
const SK_LOOKUP_CTX_SIZE = 72;

export class TestRunError extends WxdpError {
  readonly errno: string;
  constructor(errno: string, message: string) {
    super('USAGE', `test run: ${message} (${errno})`);
    this.errno = errno;
  }
}

/** bpf_trace_printk lines a Datapath keeps for traceLines() (older ones are overwritten, as in the kernel's buffer). */
export const TRACE_LINES_KEPT = 4096;

export class Datapath {
  readonly memory: EngineMemory;
  readonly fastPath: FastPath;
  readonly helpers: HelperTable;
  private readonly traceKept: string[] = [];
  readonly ncpus: number;
  private readonly umemFrames: number;
  /** How devices call their programs (DatapathOptions.dispatch). */
  readonly dispatch: 'burst' | 'table';
  private readonly devices = new Map<string, Device>();
  private readonly sockets: XskSocket[] = [];
  private injectBuf = 0;

  private constructor(memory: EngineMemory, fastPath: FastPath, opts: DatapathOptions) {
    // (a JavaScript caller can reach the constructor TypeScript hides: a TypeError about `umemFrames` named nothing)
    if (!(memory instanceof EngineMemory) || !(fastPath instanceof FastPath)) {
      throw new WxdpError('USAGE', 'new Datapath(): make one with `await Datapath.create(options)` (the constructor is internal)');
    }
    this.memory = memory;
    this.fastPath = fastPath;
    this.umemFrames = opts.umemFrames ?? 1024;
    this.dispatch = opts.dispatch ?? DEFAULT_DISPATCH;
    this.ncpus = opts.ncpus ?? availableParallelism();
    const view = memory.view();
    view.setUint32(RUN_BASE + RUN.NCPUS, this.ncpus, true);
    view.setUint32(RUN_BASE + RUN.CPU, opts.cpu ?? 0, true);
    // a fresh SYN cookie secret, as the kernel draws one per boot
    setSyncookieSecret(fastPath, memory);
    // the last open handle of a map (a pin, an innerMap() handle) closing: free it or drop its uref
    onLastHandleUref(fastPath, (address) => this.settle(address));
    const trace =
      opts.trace ??
      ((line: string) => {
        // a ring, as the kernel's trace buffer: the oldest lines go first
        if (this.traceKept.length >= TRACE_LINES_KEPT) this.traceKept.shift();
        this.traceKept.push(line);
      });
    this.helpers = xdpHelpers(fastPath, baseHelpers({ trace, cpu: opts.cpu ?? 0 }));
  }

  private _stack?: Stack;
  private _links?: Links;
  private _addresses?: Addresses;
  private _routes?: Routes;
  private _rules?: Rules;
  private _neigh?: Neighbours;
  private _sysctl?: Sysctls;
  private _udp?: Udp;
  private _sockets?: SocketTable;
  private _conntrack?: Conntrack;
  private _nat?: Nat;
  private _flowtable?: Flowtables;
  private _nft?: Nft;

  /** The stack behind XDP_PASS: its clock and counters (set up on first use). */
  get stack(): Stack {
    return (this._stack ??= new Stack(this));
  }
  /** Network devices of the stack (ip link). */
  get links(): Links {
    this.stack;
    return (this._links ??= new Links(this));
  }
  /** Interface addresses (ip addr). */
  get addresses(): Addresses {
    this.stack;
    return (this._addresses ??= new Addresses(this));
  }
  /** The FIB's routes (ip route). */
  get routes(): Routes {
    this.stack;
    return (this._routes ??= new Routes(this));
  }
  /** Policy routing rules (ip rule). */
  get rules(): Rules {
    this.stack;
    return (this._rules ??= new Rules(this));
  }
  /** The neighbour tables (ip neigh). */
  get neigh(): Neighbours {
    this.stack;
    return (this._neigh ??= new Neighbours(this));
  }
  /** The stack's sysctls, by the kernel's names. */
  get sysctls(): Sysctls {
    this.stack;
    return (this._sysctl ??= new Sysctls(this));
  }
  /** UDP sockets with node:dgram's interface (`dp.udp.createSocket('udp4')`), delivered by the poller. */
  get udp(): Udp {
    return (this._udp ??= new Udp(this));
  }
  /** The socket table (UDP / UDP-Lite sockets and raw protocol handlers, by id). */
  get socketTable(): SocketTable {
    this.stack;
    return (this._sockets ??= new SocketTable(this));
  }
  /**
   * Set the secret of the SYN cookie helpers (bpf_tcp_raw_gen/check_syncookie_*): 64 bytes, the IPv4 siphash
   * keys 0 and 1 then the IPv6 ones (src/control/syncookies.ts); random until set, as the kernel's per boot.
   */
  setSyncookieSecret(secret: Uint8Array): void {
    setSyncookieSecret(this.fastPath, this.memory, secret);
  }
  /** The connection tracking table (nf_conntrack): enable, list as `conntrack -L`, events. */
  get conntrack(): Conntrack {
    this.stack;
    return (this._conntrack ??= new Conntrack(this));
  }
  /** NAT rules as objects (the builtin NAT chain, after nftables' NAT chains). */
  get nat(): Nat {
    this.stack;
    return (this._nat ??= new Nat(this));
  }
  /** Flowtables (nf_flow_table): offloaded connections forwarded before the stack. */
  get flowtable(): Flowtables {
    this.stack;
    return (this._flowtable ??= new Flowtables(this));
  }
  /** The nf_tables ruleset (nft): tables, chains, sets, rules, published to the netfilter hooks. */
  get nftables(): Nft {
    this.stack;
    return (this._nft ??= new Nft(this));
  }
  /** nft input as a command line or a file's text (`add rule inet filter forward ct state established accept`): the output of its list commands. */
  nft(text: string): string {
    return this.nftables.run(text);
  }
  /** `nft -f FILE`: the whole file is one transaction (nothing of it is applied when a line fails). */
  nftFile(path: string): string {
    return this.nftables.runFile(path);
  }
  /** One iproute2 command line (without the leading `ip`), e.g. `route add 198.51.100.0/24 via 192.0.2.1`. */
  ip(line: string): IpResult {
    return ipCommand(this, line);
  }
  /** @internal The Stack if one was made (readers that must not make one: the control socket's stats). */
  get stackIfCreated(): Stack | undefined {
    return this._stack;
  }
  /** @internal The Sysctls if one was made (links tell it about new links: Sysctls.linkAdded). */
  get sysctlsIfCreated(): Sysctls | undefined {
    return this._sysctl;
  }
  /** @internal dp.nftables if it was made (dp.links tells it of devices that come, go or are renamed). */
  get nftIfCreated(): Nft | undefined {
    return this._nft;
  }
  /**
   * Attach an sk_lookup program to this Datapath's socket lookup, after those attached already (libbpf's
   * bpf_program__attach_netns). Every program runs for each UDP datagram to a local address before the
   * socket tables; the link's detach() takes it out. Throws AttachError (PROG_ATTACH).
   */
  attachSkLookup(program: Program): SkLookupLink {
    this.assertOwnProgram(program, 'sk_lookup');
    return attachSkLookup(this, program);
  }
  /**
   * SO_ATTACH_REUSEPORT_EBPF: an sk_reuseport program chooses within the reuseport group of socket
   * `socketId` (bound with SO_REUSEPORT), replacing the group's earlier program.
   */
  attachReuseport(socketId: number, program: Program): void {
    this.assertOwnProgram(program, `socket ${socketId}`);
    attachReuseport(this, socketId, program);
  }
  /** SO_DETACH_REUSEPORT_BPF on socket `socketId`. */
  detachReuseport(socketId: number): void {
    detachReuseport(this, socketId);
  }
  /** Sysctl `name` by the kernel's name: its value, after setting it to `value` when one is given. */
  sysctl(name: string, value?: SysctlValue): SysctlValue {
    if (value !== undefined) this.sysctls.set(name, value);
    return this.sysctls.get(name);
  }

  static async create(opts: DatapathOptions = {}): Promise<Datapath> {
    const workers = opts.workers ?? 0;
    if (workers === 0) {
      const memory = opts.memory ?? new EngineMemory({ memoryLimit: opts.memoryLimit ?? opts.maxMemory, hugePages: opts.hugePages });
      return new Datapath(memory, await FastPath.load(memory), opts);
    }
    const memory = opts.memory ?? new EngineMemory({ memoryLimit: opts.memoryLimit ?? opts.maxMemory, shared: true, hugePages: opts.hugePages });
    const dp = new Datapath(memory, await FastPath.load(memory), { ...opts, ncpus: opts.ncpus ?? workers });
    dp._workers = await Workers.start(dp.fastPath, dp.helpers, workers);
    return dp;
  }

  private _workers: Workers | undefined;

  /** The worker threads polling this Datapath's queues (DatapathOptions.workers), if any. */
  get workers(): Workers | undefined {
    return this._workers;
  }

  /**
   * Parse (when given bytes, a path or a file URL) and load an object: its maps, then its programs. A
   * `file:` URL, as a URL or as the string `import.meta.resolve('wxdp/programs/x.o')` returns, is read
   * from where it points.
   */
  async loadObject(src: Uint8Array | string | URL | ObjectSpec, opts: LoadOptions = {}): Promise<BpfObject> {
    let spec: ObjectSpec;
    if (typeof src === 'string' && src.startsWith('file:')) src = new URL(src);
    if (src instanceof URL) {
      if (src.protocol !== 'file:') throw new WxdpError('USAGE', `loadObject: ${src.href} is not a file: URL`);
      src = fileURLToPath(src);
    }
    if (typeof src === 'string') spec = parseObject(readObjectFile(src), { path: src });
    else if (src instanceof Uint8Array) spec = parseObject(src, { path: opts.path });
    else spec = src;
    spec = configureObject(spec, opts);
    spec = resolveKconfig(spec, opts.kconfig);

    if (opts.verify === false && opts.checked === false) {
      throw new WxdpError('USAGE', 'unchecked mode is only for verified programs (an object loaded with verify: false runs checked)');
    }
    // BPF_BTF_LOAD refuses some BTF whole (btf_parse_struct_metas: a list head without its lock…); libbpf then
    // loads the object without it ("BTF is optional, ignoring"): no map, no program has BTF in the kernel
    const btfRefusal = kernelBtfRefusal(spec.btf);
    const kernelBtf = btfRefusal ? undefined : spec.btf;
    const maps = new Map<string, BpfMap>();
    // libbpf's bpf_object__create_maps: a LIBBPF_PIN_BY_NAME map is first looked for at its pin path
    // (bpf_object__reuse_map) and created and pinned only when nothing is pinned there
    const pinRoot = (opts.pinRoot ?? '/sys/fs/bpf').replace(/\/+$/, '');
    const reused = new Set<string>();
    const pinnedHere: string[] = [];
    const programs = new Map<string, Program>();
    try {
      for (const m of spec.maps) {
        const path = m.pinning === 'by_name' ? `${pinRoot}/${m.name}` : undefined;
        const pin = path === undefined ? undefined : this.pins.get(path);
        if (pin && !pin.map.isFreed) {
          if (!this.reuseCompatible(m, pin)) {
            throw new MapError('MAP_CREATE', m.name, 'reuse', Errno.EINVAL, `couldn't reuse pinned map at '${path}': parameter mismatch`);
          }
          maps.set(m.name, pin.map.reopen(m.name, false));
          reused.add(m.name);
          continue;
        }
        const map = this.createMap(m);
        maps.set(m.name, map);
        if (path !== undefined) {
          this.pins.set(path, { map: map.reopen(m.name), extra: BigInt(m.mapExtra ?? 0) });
          pinnedHere.push(path);
        }
      }
      // the BTF fields first: an inner map stored in a slot must match its template's (btf_record_equal)
      applySpinLocks(spec, maps, btfRefusal !== undefined);
      applyGraphFields(kernelBtf, maps, this.memory);
      applyInnerGraphRoots(spec, kernelBtf, maps);
      // a reused map keeps what it holds (libbpf fills the slots of the maps it creates only)
      fillMapInMapSlots(spec.maps.filter((m) => !reused.has(m.name)), maps);

      const { load, skipped } = planPrograms(spec, opts.programs);
      for (const p of load) {
        try {
          programs.set(p.name, await Program.load(this, btfRefusal ? { ...p, funcInfo: [], lineInfo: [] } : p, maps, opts, kernelBtf));
        } catch (e) {
          if (!isUnsupported(e)) throw e;
          skipped.set(p.name, { why: 'unsupported', reason: `program ${p.name}: ${e.message}` });
        }
      }
      return this.finishLoad(spec, maps, programs, skipped, btfRefusal);
    } catch (e) {
      // bpf_object_load's error path (bpf_object_unload, then bpf_map__unpin of the maps it pinned): the
      // programs loaded before the failure go, so nothing names this load's maps; the maps it created
      // (and their inner-map templates) are freed, the pinned ones when their pin goes (settle)
      for (const p of programs.values()) this.forgetProgram(p);
      const pinnedMaps = new Set(pinnedHere.map((path) => this.pins.get(path)?.map.rawAddress));
      for (const [name, m] of maps) {
        if (reused.has(name)) continue;
        const inner = this.innerTemplates.get(m);
        for (const x of inner ? [m, inner] : [m]) {
          if (!x.isFreed && !pinnedMaps.has(x.rawAddress) && handleUrefs(this.fastPath, x.rawAddress) === 0) x.release();
        }
      }
      for (const path of pinnedHere) this.pins.get(path)?.map.close();
      for (const path of pinnedHere) this.pins.delete(path);
      throw e;
    }
  }

  private finishLoad(spec: ObjectSpec, maps: Map<string, BpfMap>, programs: Map<string, Program>, skipped: Map<string, SkippedProgram>, btfRefusal?: BtfLoadRefusal): BpfObject {
    // prog_array initialisers (`__array(values, ...)` with `.values = { [i] = &prog }`), as libbpf.
    for (const m of spec.maps) {
      for (const slot of m.initSlots ?? []) {
        if (slot.program === undefined) continue;
        const target = programs.get(slot.program);
        if (!target && skipped.has(slot.program)) continue;
        if (!target) throw new WxdpError('ELF_BAD_MAP', `map ${m.name}: slot ${slot.index} names unknown program ${slot.program}`);
        maps.get(m.name)!.update(codec.u32.encode(slot.index), codec.u32.encode(target.tableIndex));
      }
    }
    const obj = new BpfObject(spec, maps, programs, skipped, btfRefusal);
    this.objects.push(obj);
    return obj;
  }

  private readonly objects: BpfObject[] = [];

  /** LIBBPF_PIN_BY_NAME pins: path → a handle holding the map's user reference, and the map_extra it was created with. */
  private readonly pins = new Map<string, { map: BpfMap; extra: bigint }>();

  /**
   * libbpf's map_is_reuse_compat: the pinned map's bpf_map_info against the object's definition. (libbpf
   * compares no inner map: a reused map-in-map keeps its own template, which the verifier then checks the
   * object's programs against, as the kernel does.)
   */
  private reuseCompatible(m: MapSpec, pin: { map: BpfMap; extra: bigint }): boolean {
    const p = pin.map;
    const maxEntries = m.type === MapType.PERF_EVENT_ARRAY && m.maxEntries === 0 ? this.ncpus : m.maxEntries;
    // get_map_info shows a devmap's flags with BPF_F_RDONLY_PROG, which the definition never has
    const flags = (m.flags ?? 0) | (m.type === MapType.DEVMAP || m.type === MapType.DEVMAP_HASH ? BPF_F_RDONLY_PROG : 0);
    return p.type === m.type && p.keySize === m.keySize && p.valueSize === m.valueSize && p.maxEntries === maxEntries &&
      p.flags === flags && pin.extra === BigInt(m.mapExtra ?? 0);
  }

  /** The map pinned at `path` (LoadOptions.pinRoot + '/' + name): a handle of its own (bpf_obj_get), to close() when done. */
  pinned(path: string): BpfMap | undefined {
    const pin = this.pins.get(path);
    return pin && !pin.map.isFreed ? pin.map.reopen() : undefined;
  }

  /** Paths of the maps pinned on this Datapath, sorted. */
  pinPaths(): string[] {
    return [...this.pins.keys()].filter((p) => !this.pins.get(p)!.map.isFreed).sort();
  }

  /**
   * Remove the pin at `path` (`rm` of the bpffs file, bpf_map__unpin): the map goes when nothing else
   * holds it, or loses its last user reference while programs still do. false when nothing is pinned there.
   */
  unpin(path: string): boolean {
    const pin = this.pins.get(path);
    if (!pin) return false;
    this.pins.delete(path);
    const live = !pin.map.isFreed;
    pin.map.close();
    return live;
  }

  /**
   * A user reference on the map at `address` went (a pin removed, an innerMap() handle closed): with none
   * left — no loaded object has it, no open handle — bpf_map_put_uref's map_release_uref when programs or
   * map-in-maps still hold it, else the map is freed, and the inner maps it held are looked at again.
   */
  private settle(address: number): void {
    if (this.objects.some((o) => [...o.maps.values()].some((m) => !m.isFreed && m.rawAddress === address))) return;
    if (handleUrefs(this.fastPath, address) > 0) return;
    const map = BpfMap.attach(this.fastPath, address);
    if (map.isFreed || mapStorage(this.fastPath, address)?.map !== address) return;
    const held = this.refHolders();
    if (held.has(address)) {
      map.releaseUref();
      return;
    }
    const inner = isMapInMapType(map.type) ? innerMapAddresses(map) : [];
    map.release();
    for (const a of inner) this.settle(a);
  }

  /** The maps something holds a reference on (refcnt): programs' ld_imm64, the loaded objects' map-in-maps. */
  private refHolders(): Set<number> {
    const held = new Set<number>();
    for (const p of this.allPrograms) for (const a of programMapAddresses(this.fastPath, p.insns)) held.add(a);
    for (const o of this.objects) for (const m of o.maps.values()) if (!m.isFreed && isMapInMapType(m.type)) for (const a of innerMapAddresses(m)) held.add(a);
    return held;
  }

  /** Objects loaded on this Datapath and not unloaded, oldest first: what the control socket's prog and map commands see. */
  loadedObjects(): readonly BpfObject[] {
    return this.objects;
  }

  /**
   * Unload an object, as closing its last fds does in the kernel: its maps and programs leave
   * loadedObjects(), and each map nothing else holds gives its memory back to the arena (the next maps
   * reuse the memory). A map still used elsewhere stays, as the kernel's reference count keeps it:
   * named by a program of another object or by a program loaded alone (loadInsns), or held as an
   * inner map by a map-in-map of another object. Either way the object's BpfMap handles were its fds
   * (libbpf's bpf_map__fd): they answer MapError EBADF naming the map from now on.
   * Refused with WxdpError BUSY (EBUSY), nothing changed, while one of its programs can still run:
   * attached to a device, a tracepoint or the socket lookup, or held by a prog_array, devmap or
   * cpumap of another object. A map kept loses its user reference (bpf_map_put_uref →
   * map_release_uref): a prog_array is emptied (tail calls through it fall through), timers in a
   * hash, LRU hash or array map are cancelled and freed, and bpf_timer_init on it answers -EPERM.
   * Unloading an object twice does nothing. Returns the maps freed and kept.
   */
  unloadObject(obj: BpfObject): { freed: string[]; kept: string[] } {
    const i = this.objects.indexOf(obj);
    if (i < 0) return { freed: [], kept: [] };
    const where = obj.spec.path ?? '(bytes)';
    const own = new Set(obj.programs.values());
    const busy = (p: Program, why: string) => new WxdpError('BUSY', `object ${where}: program ${p.name} is ${why} (EBUSY)`);
    const dev = this.listDevices().find((d) => d.program !== undefined && own.has(d.program));
    if (dev) throw busy(dev.program!, `attached to ${dev.name}`);
    const others = this.objects.filter((o) => o !== obj);
    for (const p of own) {
      const tps = tracepointsOf(this, p);
      if (tps.length) throw busy(p, `attached to tracepoint ${tps[0]}`);
      if (skLookupAttached(this, p)) throw busy(p, 'attached to the socket lookup');
      const slots = new Set([p.slotIfGiven, ...(p.engine instanceof JitProgram ? p.engine.slotsGiven : [])].filter((s) => s >= 0));
      if (slots.size === 0) continue;
      for (const o of others) {
        for (const m of o.maps.values()) {
          const at = m.isFreed ? undefined : programSlotHolder(this.fastPath, m, slots);
          if (at !== undefined) throw busy(p, `in ${m.typeName} ${m.name} of ${o.spec.path ?? '(bytes)'} (key ${at})`);
        }
      }
    }
    this.objects.splice(i, 1);
    for (const p of own) this.forgetProgram(p);
    // What still holds a map of this object: programs outside it (their ld_imm64), other objects' map-in-maps.
    const held = this.refHolders();
    // ... and user references: another object that reused it (LIBBPF_PIN_BY_NAME), its pin, an open innerMap() handle
    const urefHeld = new Set<number>();
    for (const o of others) for (const m of o.maps.values()) if (!m.isFreed) urefHeld.add(m.rawAddress);
    for (const m of obj.maps.values()) if (!m.isFreed && handleUrefs(this.fastPath, m.address) > 0) urefHeld.add(m.address);
    // An outer map of this object that stays keeps its inner maps (one level: inner maps hold no maps).
    for (const m of obj.maps.values()) {
      if (!m.isFreed && isMapInMapType(m.type) && (held.has(m.address) || urefHeld.has(m.address))) for (const a of innerMapAddresses(m)) held.add(a);
    }
    const freed: string[] = [];
    const kept: string[] = [];
    for (const m of obj.maps.values()) {
      if (m.isFreed) continue;
      if (urefHeld.has(m.address)) {
        // the map keeps a user reference elsewhere: this handle (the object's fd) only closes
        kept.push(m.name);
        m.closeHandle();
      } else if (held.has(m.address)) {
        // the object held the map's only user reference (wxdp has no pins; loadInsns and map-in-maps
        // hold refcnt only): bpf_map_put_uref's map_release_uref while programs still reach it
        m.releaseUref();
        kept.push(m.name);
        // the handle was the object's fd: closed with it (the programs' references keep the map)
        m.closeHandle();
      } else {
        m.release();
        freed.push(m.name);
      }
    }
    // the maps' inner-map templates (libbpf creates them, nothing else names them)
    for (const m of obj.maps.values()) {
      const inner = this.innerTemplates.get(m);
      if (inner && !inner.isFreed && !held.has(inner.address) && handleUrefs(this.fastPath, inner.address) === 0) inner.release();
    }
    this.regionsOf = new WeakMap();
    return { freed, kept };
  }

  /** @internal `p` is unloaded (its object's unload, a failed load): it names no map and is in no table lookup from now on. */
  forgetProgram(p: Program): void {
    this.allPrograms.delete(p);
    this.checkedEntries.delete(p);
    for (const [slot, q] of this.bySlot) if (q === p) this.bySlot.delete(slot);
    for (const [slot, q] of this.byEntrySlot) {
      if (q !== p) continue;
      this.byEntrySlot.delete(slot);
      this.fastPath.xdpEntries.delete(slot);
    }
  }

  private readonly closers: Array<() => void | Promise<void>> = [];
  private _closed = false;

  /** Whether close() was called. */
  get closed(): boolean {
    return this._closed;
  }

  /** @internal `fn` runs at close(), the last registered first (control sockets, device links). Returns a remover. */
  onClose(fn: () => void | Promise<void>): () => void {
    this.closers.push(fn);
    return () => {
      const i = this.closers.indexOf(fn);
      if (i >= 0) this.closers.splice(i, 1);
    };
  }

  /**
   * Stop everything that keeps the process alive: control sockets and device links (what registered
   * with onClose, newest first), then the UDP sockets (each emits 'close'), then the poller (no more
   * runs, timers or keep-alive). Frames still on the rings stay there; drain first (poll until it
   * returns 0) to process them. Idempotent.
   */
  async close(): Promise<void> {
    if (this._closed) return;
    this._closed = true;
    const errors: unknown[] = [];
    for (const fn of this.closers.splice(0).reverse()) {
      try {
        await fn();
      } catch (e) {
        errors.push(e);
      }
    }
    this._udp?.closeAll();
    Poller.stop(this);
    await this._workers?.close();
    if (errors.length) throw errors[0];
  }

  /**
   * Serve the control socket at `path` (a Unix socket, JSON lines; see control_socket.ts): `wxdp ip`,
   * `prog`, `map`, `link show -s` and `stats` with `--socket PATH` talk to it. A socket file another
   * process serves is refused (ControlError EADDRINUSE); a stale one is replaced. close() closes it.
   */
  async listen(path: string, opts: ControlServerOptions = {}): Promise<ControlServer> {
    if (this._closed) throw new WxdpError('USAGE', 'the Datapath is closed');
    const { ControlServer } = await import('./control_socket.js');
    return ControlServer.listen(this, path, opts);
  }

  /**
   * Load a program given as instructions (from the assembler or the builder DSL) as an XDP program
   * (or `opts.type`: an sk_lookup or sk_reuseport program).
   * Map references must already hold map addresses (`map.address` in an ld_imm64).
   */
  async loadInsns(insns: readonly Insn[], opts: LoadOptions & { name?: string; type?: 'xdp' | 'sk_lookup' | 'sk_reuseport'; attachType?: 'xdp_devmap' | 'xdp_cpumap' } = {}): Promise<Program> {
    const objectOnly = (['maxEntries', 'globals', 'kconfig', 'programs', 'programType'] as const).filter((k) => opts[k] !== undefined);
    if (objectOnly.length) throw new WxdpError('USAGE', `loadInsns: ${objectOnly.join(', ')} ${objectOnly.length === 1 ? 'is an option' : 'are options'} of loadObject (raw instructions have no maps, globals or externs)`);
    // attachType: bpf_prog_load_opts.expected_attach_type, what a devmap's / cpumap's program needs (as SEC("xdp/devmap") / SEC("xdp/cpumap") give it)
    if (opts.attachType !== undefined && (opts.type ?? 'xdp') !== 'xdp') throw new WxdpError('USAGE', `loadInsns: attachType ${opts.attachType} is for XDP programs`);
    const spec: ProgramSpec = {
      name: opts.name ?? 'prog',
      section: opts.attachType !== undefined ? `xdp/${opts.attachType.slice(4)}` : opts.type ?? 'xdp',
      type: opts.type ?? 'xdp',
      ...(opts.attachType !== undefined ? { attachType: opts.attachType } : {}),
      insns: [...insns],
      mapRefs: [],
      funcInfo: [],
      lineInfo: [],
      license: 'GPL',
    } as ProgramSpec;
    return Program.load(this, spec, new Map(), opts);
  }

  private readonly bySlot = new Map<number, Program>();

  /** @internal Program.tableIndex records which program owns a table slot (interpreter tail calls). */
  registerSlot(slot: number, p: Program): void {
    this.bySlot.set(slot, p);
    this.bindRegions(p);
  }

  /** tailTarget's prog_array_get (the fast path's export), looked up once. */
  private progArrayGet: ((m: number, i: number) => number) | undefined;

  /** @internal Programs placed in the table (tail-call targets). */
  tailTargets(): IterableIterator<Program> {
    return this.bySlot.values();
  }

  /** @internal The interpreter's bpf_tail_call: the program a prog_array slot holds, if an interpreter. */
  tailTarget(map: bigint, index: bigint): Interpreter | undefined {
    const get = (this.progArrayGet ??= this.fastPath.fn<(m: number, i: number) => number>('prog_array_get'));
    const slot = get(low32(map), low32(index));
    const p = slot >= 0 ? this.bySlot.get(slot) : undefined;
    return p?.engine instanceof Interpreter ? p.engine : undefined;
  }

  private createMap(spec: MapSpec): BpfMap {
    // libbpf: a map-in-map's `__array(values, …)` template is created first and passed as inner_map_fd;
    // a perf_event_array without max_entries gets one entry per possible CPU.
    const inner = spec.innerMap ? this.createMap(spec.innerMap) : undefined;
    // an object's map: the Datapath counts the object, not the handle (BpfMap.create takes no uref)
    const map: BpfMap = BpfMap.create(this.fastPath, {
      name: spec.name,
      type: spec.type,
      keySize: spec.keySize,
      valueSize: spec.valueSize,
      maxEntries: spec.type === MapType.PERF_EVENT_ARRAY && spec.maxEntries === 0 ? this.ncpus : spec.maxEntries,
      flags: spec.flags,
      inner,
      ...(spec.mapExtra !== undefined ? { mapExtra: spec.mapExtra } : {}),
    });
    // prog_array values are programs of this Datapath (their tableIndex): anything else would send a
    // tail call to an empty slot or to another program's entry (the kernel: EBADF for an fd that is no program)
    // (Program.fd, as libbpf's bpf_program__fd, names a program here; its tableIndex is accepted too.)
    // A device-bound program is no prog_array value (bpf_prog_map_compatible: EINVAL; 6.18.44, the kernel
    // selftests' xdp_metadata.c bound to a veth into its own prog_arr: -EINVAL, wxdp took it).
    if (spec.type === MapType.PROG_ARRAY) {
      map.handleMap = (h) => {
        const slot = this.bySlot.has(h) ? h : (this.byEntrySlot.get(h)?.tableIndex ?? -9); /* EBADF */
        const p = slot >= 0 ? this.bySlot.get(slot) : undefined;
        if (p?.devBound !== undefined) return -22; /* EINVAL */
        return p && !this.progArrayCompatible(map, p.spec) ? -22 : slot;
      };
    }
    if (spec.data) map.update(codec.u32.encode(0), spec.data);
    if (spec.readonly) map.freeze();
    if (inner) this.innerTemplates.set(map, inner);
    return map;
  }

  /** The inner-map template libbpf made for a map-in-map (freed with it). */
  private readonly innerTemplates = new WeakMap<BpfMap, BpfMap>();

  /** A prog_array's owner (the kernel's map->owner): the program kind the first program to use it had. */
  private readonly progArrayOwners = new WeakMap<BpfMap, string>();

  /**
   * @internal __bpf_prog_map_compatible for a prog_array: the first program that names the map (at its load,
   * bpf_check_tail_call) or is put in it makes the owner — its type, expected_attach_type and xdp_has_frags —, and
   * every later one must match (6.18.44, libbpf: a SEC("xdp") program's prog_array refuses an xdp/devmap or
   * xdp/cpumap program with EINVAL, and each of those the others; rv55 — wxdp took any program).
   */
  progArrayCompatible(map: BpfMap, spec: ProgramSpec): boolean {
    const kind = `${spec.type}/${spec.attachType ?? (spec.type === 'xdp' ? 'xdp' : '')}/${spec.frags ? 'frags' : ''}`;
    const owner = this.progArrayOwners.get(map);
    if (owner === undefined) this.progArrayOwners.set(map, kind);
    return owner === undefined || owner === kind;
  }
  /** @internal Every program loaded here and not unloaded (what may still name a map). */
  readonly allPrograms = new Set<Program>();

  /**
   * @internal Set up the data path once: the UMEM pool of `umemFrames` frames and the inject buffer. The
   * first device does; so does the first UDP socket (dp.udp), whose datagrams over loopback alone need
   * frames too.
   */
  ensurePool(): void {
    if (this.injectBuf !== 0) return;
    const x = dataPathExports(this.fastPath);
    const r = x.dp_init(this.umemFrames);
    if (r !== 0 && r !== -17) throw new WxdpError('USAGE', `cannot set up ${this.umemFrames} UMEM frames (errno ${-r}${r === -12 ? `: ${this.memory.limitReached()}` : ''})`);
    this.injectBuf = x.arena_alloc(INJECT_BUFFER_SIZE, 8) >>> 0;
    if (this.injectBuf === 0) throw new WxdpError('USAGE', `the inject buffer: ENOMEM: ${this.memory.limitReached()}`);
  }

  /**
   * Add a device (ifindex = the next free one, from 2: 1 is loopback, as in the kernel). The first
   * device sets up the data path: the UMEM pool of `umemFrames` frames.
   */
  addDevice(opts: DeviceOptions): Device {
    if (this.devices.has(opts.name)) throw new WxdpError('USAGE', `a device named ${opts.name} exists already`);
    this.ensurePool();
    const used = new Set([...this.devices.values()].map((d) => d.ifindex));
    let ifindex: number;
    if (opts.ifindex !== undefined) {
      ifindex = opts.ifindex;
      if (!Number.isInteger(ifindex) || ifindex < 2 || ifindex >= MAX_DEVICES) throw new WxdpError('USAGE', `device ${opts.name}: ifindex must be 2..${MAX_DEVICES - 1} (1 is loopback), not ${ifindex}`);
      if (used.has(ifindex) || this._links?.name(ifindex) !== undefined) throw new WxdpError('USAGE', `device ${opts.name}: ifindex ${ifindex} is taken`);
    } else if (this._links) {
      // The stack's links share the ifindex space: they hand out the next one, as the kernel does.
      ifindex = this._links.allocIfindex(true);
    } else {
      ifindex = 2;
      while (used.has(ifindex)) ifindex++;
      if (ifindex >= MAX_DEVICES) throw new WxdpError('USAGE', `at most ${MAX_DEVICES - 2} devices`);
    }
    if (this._links?.has(opts.name)) throw new WxdpError('USAGE', `a link named ${opts.name} exists already`);
    const dev = new Device(this, opts, ifindex, this.injectBuf);
    this.devices.set(opts.name, dev);
    this._links?.adopt(dev);
    return dev;
  }

  /**
   * Take a device away (dp.links deletes links this way): its peer unpaired, out of the device table,
   * then — once every worker has finished the round it was in (none polls it or transmits to it any
   * more) — its counters read a last time and the frames its rings still hold back to the pool. Returns
   * those counters and how many frames were still waiting: received and not yet polled (its RX rings),
   * queued to transmit and not yet sent (TX), passed and not yet read (the host ring). Frames the kernel
   * would free with the device's queues; counted here so that every frame ends somewhere counted. The
   * Device object answers stats() with the last counters after this, and refuses new frames and programs.
   * AF_XDP sockets bound to it are unbound (XskSocket.bound false; send() throws ENXIO).
   */
  removeDevice(dev: Device): DeviceRemoval {
    if (this.devices.get(dev.name) !== dev) throw new WxdpError('NOT_FOUND', `device ${dev.name} is not this Datapath's (removed already?)`);
    const x = dataPathExports(this.fastPath);
    for (const other of this.devices.values()) {
      if (other !== dev && this.memory.view().getUint32(other.address + DEV.PEER, true) === dev.ifindex) x.dev_set_peer(other.address, 0);
    }
    x.dev_unlist(dev.address);
    // a worker's round that began before the unlisting may still poll the device or transmit to it
    this._workers?.sync();
    // AF_XDP sockets bound to it are unbound for good (xsk_notifier): a later device may take its ifindex
    x.xsk_unbind_device(dev.ifindex);
    // and frames of it still queued on cpumap entries are dropped when drained, not run as a later device's
    x.cpumap_forget_device(dev.ifindex);
    const removal: DeviceRemoval = { stats: dev.stats(), lost: dev.waiting() };
    x.dev_destroy(dev.address);
    this.devices.delete(dev.name);
    dev.markRemoved(removal);
    return removal;
  }

  /** @internal dp.links renames a device. */
  renameDevice(dev: Device, name: string): void {
    this.devices.delete(dev.name);
    dev.setName(name);
    this.devices.set(name, dev);
  }

  /** A device by name or ifindex. */
  device(nameOrIfindex: string | number): Device {
    const d =
      typeof nameOrIfindex === 'string' ? this.devices.get(nameOrIfindex) : [...this.devices.values()].find((x) => x.ifindex === nameOrIfindex);
    if (!d) throw new WxdpError('NOT_FOUND', `no device ${nameOrIfindex} (have: ${[...this.devices.keys()].join(', ')})`);
    return d;
  }

  /** @internal Whether a link of the stack (loopback, dummy, vlan, vxlan, a ring device) has this ifindex; made no Links. */
  hasLink(ifindex: number): boolean {
    return this._links?.name(ifindex) !== undefined;
  }

  /** Every device, in creation order. */
  listDevices(): Device[] {
    return [...this.devices.values()];
  }

  /** Make two devices a veth-like pair: what one transmits, the other receives (its RX ring). */
  linkPeers(a: Device, b: Device): void {
    const x = dataPathExports(this.fastPath);
    x.dev_set_peer(a.address, b.ifindex);
    x.dev_set_peer(b.address, a.ifindex);
  }

  /**
   * Join `devA` of Datapath `a` and `devB` of Datapath `b` with a wire (a veth-like pair across two
   * memories): what one transmits arrives at the other's RX, carried by their pollers.
   */
  static wire(a: Datapath, devA: Device, b: Datapath, devB: Device, opts?: WireOptions): Wire {
    return Wire.join(a, devA, b, devB, opts);
  }

  /** One NAPI round: every queue of every device, up to `budget` frames each. Returns frames processed. */
  poll(opts: { budget?: number } = {}): number {
    const budget = opts.budget ?? NAPI_BUDGET;
    if (!Number.isInteger(budget) || budget < 1) throw new WxdpError('USAGE', `budget must be a positive integer, not ${budget}`);
    if (this._workers) {
      // the queues are the workers': one consumer per RX ring
      this._workers.wake();
      return 0;
    }
    this.bindAttachedRegions();
    return dataPathExports(this.fastPath).dp_poll(budget);
  }

  /** An AF_XDP-style socket bound to a device queue (its `id` goes into an xskmap). */
  createXskSocket(opts: XskSocketOptions): XskSocket {
    const s = new XskSocket(this.memory, this.fastPath, this.sockets.length, opts);
    this.sockets.push(s);
    return s;
  }

  /**
   * bpf_trace_printk lines (as trace_pipe shows them, each with its newline), oldest first: the last
   * TRACE_LINES_KEPT, unless DatapathOptions.trace sends them elsewhere. `clear` empties the buffer.
   */
  traceLines(opts: { clear?: boolean } = {}): string[] {
    const out = this.traceKept.slice();
    if (opts.clear) this.traceKept.length = 0;
    return out;
  }

  /** XDP_ABORTED (and invalid action) trace events, oldest first (the last 32). */
  traceEvents(): TraceEvent[] {
    return readTraceEvents(this.memory);
  }

  /** UMEM frames on the pool (neither on a ring nor holding a frame). */
  freeFrames(): number {
    return dataPathExports(this.fastPath).dp_pool_free() >>> 0;
  }

  /**
   * @internal A program lives in its Datapath's memory and table: attached to another Datapath, its slot
   * would index that one's table (a trap in the poll, or someone else's program). PROG_ATTACH.
   */
  assertOwnProgram(p: Program, where: string): void {
    if (!p.belongsTo(this)) throw new WxdpError('PROG_ATTACH', `${where}: program ${p.name} was loaded into another Datapath (load it into this one)`);
  }

  private regionsOf = new WeakMap<Program, Region[]>();

  /**
   * @internal The object heap grew (helpers/obj_kfuncs.ts), maybe in a run: its spans are region objects
   * the checked programs' lists hold, which the interpreter reads at each access; the JIT's copies in its
   * slots are set again.
   */
  heapGrew(): void {
    for (const p of this.allPrograms) {
      if (p.checked && p.engine instanceof JitProgram && reachesObjHeap(p)) p.engine.setRegions(this.programRegions(p));
    }
  }

  /**
   * @internal Whether the object heap may open one more span: every checked JIT'd program calling the object kfuncs
   * has a region slot left for it (their checks cover REGION_SLOTS regions; a growth past that during a run threw).
   */
  heapMayOpen(): boolean {
    for (const p of this.allPrograms) {
      if (!(p.checked && p.engine instanceof JitProgram && reachesObjHeap(p))) continue;
      if (this.programRegions(p).filter((g) => !g.packet && g.end > g.start).length + 1 > REGION_SLOTS) return false;
    }
    return true;
  }

  /** @internal A checked program in the table (a device's, a devmap entry's, a tail-call target) gets its regions. */
  bindRegions(p: Program): void {
    if (p.checked && (p.engine instanceof JitProgram || p.engine instanceof Interpreter)) p.engine.setRegions(this.programRegions(p));
  }

  /**
   * @internal What a checked XDP program may touch besides its stack: the xdp_md (read-only, as the
   * kernel's xdp_is_valid_access allows no writes), the packet [data_meta, data_end) as it is at each
   * access, and the storage of the maps it names (ld_imm64 of a map's address or of a value in it; the
   * only maps it may pass to helpers, src/runtime/helper_args.ts):
   * devmaps read-only (BPF_F_RDONLY_PROG), maps whose values are never pointers to it (prog_array,
   * xskmap, sockmaps, queue/stack) not at all. Nothing else: not the frame around the packet, not
   * other frames, rings, other maps or the stack's tables.
   */
  programRegions(p: Program): Region[] {
    // Maps never move once created: a program's list is built once.
    const known = this.regionsOf.get(p);
    if (known) return known;
    const out: Region[] = [
      { name: 'ctx', start: CTX_BASE, end: CTX_BASE + CTX.USER_SIZE, writable: false },
      { name: 'packet', start: 0, end: 0, writable: true, packet: true },
    ];
    const kfuncs = p.spec.kfuncCalls ?? [];
    // bpf_cast_to_kern_ctx's struct xdp_buff (read-only, as the kernel's trusted ctx): the words behind
    // the xdp_md and the rxq / net_device records the cast fills in (helpers/cast_kfuncs.ts)
    if (kfuncs.some((c) => c.name === 'bpf_cast_to_kern_ctx' || c.name === 'bpf_rdonly_cast')) {
      out.push({ name: 'kern ctx', start: CTX_BASE, end: CTX_BASE + CTX.KERN_DEV + 8, writable: false });
    }
    // bpf_obj_new's objects (helpers/obj_kfuncs.ts): the verifier proves each access within one
    // (its spans, the empty ones too: the heap grows them in place during a run, heapGrew rebinds);
    // a program that only loads a map value's kptr reaches them too
    if (reachesObjHeap(p)) out.push(...(objHeapSpans(this.memory) ?? []));
    const seen = new Set<number>();
    const view = this.memory.view();
    const add = (s: { map: number; start: number; end: number }, name: string): void => {
      seen.add(s.map);
      const type = view.getUint32(s.map + MAP_HDR.TYPE, true);
      // (a map of those still goes to helpers: an empty region names it)
      if (NO_VALUE_POINTERS.has(type)) out.push({ name, start: s.start, end: s.start, writable: false, map: s.map });
      else out.push({ name, start: s.start, end: s.end, writable: type !== MapType.DEVMAP && type !== MapType.DEVMAP_HASH, map: s.map });
    };
    for (const ins of p.insns) {
      if (ins.code !== OP_LDDW || ins.imm64 === undefined) continue;
      const s = mapStorage(this.fastPath, Number(BigInt.asUintN(32, ins.imm64)));
      if (s && !seen.has(s.map)) add(s, `map@0x${s.map.toString(16)}`);
    }
    // A map-in-map's lookups give inner maps: every map of this fast path that fits its inner template
    // (type, key_size, value_size, as bpf_map_meta_equal) may be one of them, now or after an update.
    const fits = (a: number, meta: number): boolean =>
      [MAP_HDR.TYPE, MAP_HDR.KEY_SIZE, MAP_HDR.VALUE_SIZE].every((o) => view.getUint32(a + o, true) === view.getUint32(meta + o, true));
    for (const outer of [...out]) {
      if (outer.map === undefined) continue;
      const t = view.getUint32(outer.map + MAP_HDR.TYPE, true);
      const meta = t === MapType.ARRAY_OF_MAPS || t === MapType.HASH_OF_MAPS ? view.getUint32(outer.map + MAPS_LAYOUT.MIM_META, true) : 0;
      if (meta === 0) continue;
      for (const a of mapAddresses(this.fastPath)) {
        const s = seen.has(a) || !fits(a, meta) ? undefined : mapStorage(this.fastPath, a);
        if (s) add(s, `inner map@0x${a.toString(16)}`);
      }
    }
    this.regionsOf.set(p, out);
    return out;
  }

  private readonly checkedEntries = new Set<Program>();
  /** Programs by the slot of their run entry (Program.fd). */
  private readonly byEntrySlot = new Map<number, Program>();

  /** @internal A program whose XDP entry is in the table (attached, or in a devmap): checked ones get regions per poll. */
  registerEntry(p: Program, slot: number): void {
    this.byEntrySlot.set(slot, p);
    this.fastPath.xdpEntries.set(slot, {
      type: p.spec.type, frags: p.spec.frags === true, devBound: p.devBound !== undefined,
      ...(p.spec.attachType !== undefined ? { attachType: p.spec.attachType } : {}),
    });
    if (p.checked) {
      this.checkedEntries.add(p);
      this.bindRegions(p);
    }
  }

  /** @internal Before a poll: the arena may have grown since a checked program was put in the table. */
  bindAttachedRegions(): void {
    for (const p of this.checkedEntries) this.bindRegions(p);
  }
}

/** Map types a program never gets a pointer into (their helpers take keys and return codes). */
const NO_VALUE_POINTERS = new Set<number>([
  MapType.PROG_ARRAY, MapType.XSKMAP, MapType.SOCKMAP, MapType.SOCKHASH, MapType.REUSEPORT_SOCKARRAY, MapType.QUEUE, MapType.STACK,
  MapType.BLOOM_FILTER,
]);

export class BpfObject {
  constructor(
    readonly spec: ObjectSpec,
    readonly maps: ReadonlyMap<string, BpfMap>,
    readonly programs: ReadonlyMap<string, Program>,
    /** Programs left out, by name: a type or helper wxdp lacks, or not asked for (LoadOptions.programs). */
    readonly skipped: ReadonlyMap<string, SkippedProgram> = new Map(),
    /**
     * Set when the kernel would refuse the object's BTF (BPF_BTF_LOAD; libbpf: "Error loading .BTF into kernel:
     * -22. BTF is optional, ignoring."): the object is loaded without it, as libbpf loads it (elf/spin_lock.ts).
     */
    readonly btfRefusal?: BtfLoadRefusal,
  ) {}

  /** A program by name (or the only/first one); a skipped one raises why (PROG_UNSUPPORTED / NOT_FOUND). */
  program(name?: string): Program {
    const skip = name === undefined ? undefined : this.skipped.get(name);
    if (skip) throw new WxdpError(skip.why === 'unsupported' ? 'PROG_UNSUPPORTED' : 'NOT_FOUND', skip.reason);
    if (name === undefined) {
      const first = this.programs.values().next().value;
      const skip = this.skipped.values().next().value;
      if (!first && skip) throw new WxdpError(skip.why === 'unsupported' ? 'PROG_UNSUPPORTED' : 'NOT_FOUND', skip.reason);
      if (!first) throw new WxdpError('USAGE', 'the object has no programs');
      return first;
    }
    const p = this.programs.get(name);
    if (!p) throw new WxdpError('NOT_FOUND', `no program '${name}' (have: ${[...this.programs.keys()].join(', ')})`);
    return p;
  }

  /**
   * A map with keys and values as typed objects, decoded and encoded through the object's BTF
   * (`__type(key, struct flow_key)` → `{ saddr: 3221225985, ... }`). Throws when the map has no BTF types.
   */
  typedMap<K = unknown, V = unknown>(name: string): TypedMap<K, V> {
    const map = this.map(name);
    const spec = this.spec.maps.find((m) => m.name === map.name);
    const btf = this.spec.btf;
    if (!btf || spec?.keyTypeId === undefined || spec.valueTypeId === undefined) {
      throw new WxdpError('USAGE', `map ${map.name} has no BTF key/value types (compile with -g and declare __type(key, ...), __type(value, ...))`);
    }
    return map.typed(btfCodec<K>(btf, spec.keyTypeId), btfCodec<V>(btf, spec.valueTypeId)) as TypedMap<K, V>;
  }

  /** A consumer for a BPF_MAP_TYPE_RINGBUF map of this object (libbpf's ring_buffer__new). */
  ringbuf(name: string, opts?: RingBufReaderOptions): RingBufReader {
    return new RingBufReader(this.map(name), opts);
  }

  /** A map by name: libbpf's (`obj.bss`) or, for global data, the ELF section's (`.bss`). */
  map(name: string): BpfMap {
    const m =
      this.maps.get(name) ??
      (name.startsWith('.') ? [...this.maps.values()].find((x) => x.name.endsWith(name) && x.name.indexOf('.') === x.name.length - name.length) : undefined);
    if (!m) throw new WxdpError('NOT_FOUND', `no map '${name}' (have: ${[...this.maps.keys()].join(', ')})`);
    return m;
  }
}

/**
 * Tracepoint programs run on events (attachTracepoint), not on frames; the kernel's answers to a test
 * run with data_in: tracepoint ENOTSUPP (no test_run), raw_tp EINVAL (it takes ctx_in only), tp_btf
 * EFAULT (bpf_prog_test_run_tracing runs fentry/fexit/fmod_ret programs only).
 */
const TRACING_TEST_RUN = {
  tracepoint: ['ENOTSUPP', 'the kernel has no test run for tracepoint programs'],
  raw_tracepoint: ['EINVAL', 'a raw tracepoint program takes no data_in'],
  tracing: ['EFAULT', 'the kernel test-runs fentry, fexit and fmod_ret tracing programs only'],
} as const;

/** bpf_sk_lookup_tcp, bpf_sk_lookup_udp, bpf_skc_lookup_tcp: they may hand a program any socket. */
const SOCKET_LOOKUP_HELPERS = new Set([84, 85, 99]);
/** bpf_fib_lookup (69) and bpf_check_mtu (163): they find a device by ifindex, loopback's included. */
const DEVICE_HELPERS = new Set([69, 163]);

/**
 * bpf_prog_load's bpf_prog_dev_bound_init, before the verifier runs (no log): prog_ifindex must name a
 * device (dev_get_by_index, else EINVAL) whose driver has ndo_bpf (bpf_dev_offload_check, else
 * EOPNOTSUPP). wxdp's ring devices (kind ether or veth) are such drivers; loopback and the stack's other
 * links (dummy, vlan, vxlan) are not. 6.18.44, libbpf bpf_program__set_ifindex + BPF_F_XDP_DEV_BOUND_ONLY
 * with the kernel selftests' xdp_metadata.c: on a veth it loads (38 insns processed), on lo and on a
 * vxlan link the load answers -EOPNOTSUPP (the dummy and 8021q drivers have no ndo_bpf either), on an
 * ifindex no device has -EINVAL; wxdp loaded it on any ifindex before.
 */
/**
 * xdp_convert_md_to_buff's checks of ctx_in.ingress_ifindex / rx_queue_index: the device must exist
 * (dev_get_by_index, else ENODEV) and the queue be one of its RX queues (real_num_rx_queues, else
 * EINVAL). A ring device has its queues; loopback and the stack's other links (dummy, vlan, vxlan) one.
 * 6.18.44, bpftool prog run … ctx_in with xdp-tools' xdpdump: ifindex 1 queue 0 runs, queue 1 -EINVAL,
 * ifindex 99 -ENODEV; wxdp ran all three before.
 */
function checkIngressQueue(dp: Datapath, ifindex: number, rxq: number): void {
  const dev = dp.listDevices().find((d) => d.ifindex === ifindex);
  const queues = dev ? dev.queues : ifindex === LOOPBACK_IFINDEX || dp.hasLink(ifindex) ? 1 : 0;
  if (queues === 0) throw new TestRunError('ENODEV', `ctx_in.ingress_ifindex ${ifindex}: no such device`);
  if (rxq >= queues) throw new TestRunError('EINVAL', `ctx_in.rx_queue_index ${rxq}: device ${ifindex} has ${queues} RX queue${queues === 1 ? '' : 's'}`);
}

function checkDevBound(dp: Datapath, name: string, ifindex: number): void {
  if (dp.listDevices().some((d) => d.ifindex === ifindex)) return;
  if (ifindex === LOOPBACK_IFINDEX || dp.hasLink(ifindex)) {
    throw new VerifierError(`prog_ifindex ${ifindex}: the device's driver has no ndo_bpf, so no device-bound program (EOPNOTSUPP)`, -1, '', name, 'EOPNOTSUPP');
  }
  throw new VerifierError(`prog_ifindex ${ifindex}: no such device (EINVAL)`, -1, '', name, 'EINVAL');
}

export class Program {
  readonly name: string;
  readonly section: string;
  readonly spec: ProgramSpec;
  /** The instructions as loaded: map references patched to addresses. */
  readonly insns: readonly Insn[];
  readonly engine: Engine;
  private readonly dp: Datapath;

  private constructor(dp: Datapath, spec: ProgramSpec, insns: Insn[], engine: Engine) {
    dp.allPrograms.add(this);
    this.dp = dp;
    this.spec = spec;
    this.name = spec.name;
    this.section = spec.section;
    this.insns = insns;
    this.engine = engine;
  }

  static async load(dp: Datapath, spec: ProgramSpec, maps: ReadonlyMap<string, BpfMap>, opts: LoadOptions, btf?: Btf): Promise<Program> {
    if (opts.devBound !== undefined) checkDevBound(dp, spec.name, opts.devBound);
    const insns = spec.insns.map((i) => ({ ...i }));
    for (const ref of spec.mapRefs) {
      const map = maps.get(ref.map);
      const ins = insns[ref.index];
      if (!map || !ins) throw new WxdpError('ELF_BAD_RELOCATION', `program ${spec.name}: insn ${ref.index} refers to unknown map ${ref.map}`);
      if (ref.kind === 'fd') {
        ins.src = PseudoLd.MAP_FD;
        ins.imm64 = BigInt(map.address);
      } else {
        ins.src = PseudoLd.MAP_VALUE;
        ins.imm64 = BigInt(map.valueAddress(0) + ref.offset);
      }
    }
    resolveKfuncs(spec, insns);
    const doVerify = opts.verify ?? true;
    const gplCompatible = licenseIsGplCompatible(spec.license);
    // bpf_check's add_subprog_and_kfunc refuses a kfunc call (an unbound metadata kfunc, a non-GPL
    // license) before any instruction is checked: that refusal, not a helper wxdp lacks, is the verdict.
    const kfuncOpts = { gplCompatible, ...(opts.devBound !== undefined ? { devBound: true } : {}) };
    if (doVerify && kfuncCallRefusal(insns, kfuncOpts)) {
      verify(insns, { ...kfuncOpts, helpers: dp.helpers, logLevel: opts.logLevel ?? 0, lineInfo: spec.lineInfo, name: spec.name, ...(btf ? { progBtf: btf } : {}) }); // throws that refusal
    }
    checkProgram(insns, { helpers: dp.helpers, progType: verifierProgType(spec), allowPseudoLdImm64: true, walk: doVerify });
    if (insns.some((i) => i.code === 0x85 && i.src === PseudoCall.HELPER && SOCKET_LOOKUP_HELPERS.has(i.imm))) socketViewsForAll(dp, spec.name);
    // bpf_fib_lookup and bpf_check_mtu read the device records of the stack's links (the kernel always has
    // loopback, the device a test run arrives on): made with the links, on first use. Without them a fresh
    // stack's fib lookup on ifindex 1 answered -ENODEV where Linux's loopback answers FWD_DISABLED
    // (tests/net/fib_ifindex_kernel)
    if (insns.some((i) => i.code === 0x85 && i.src === PseudoCall.HELPER && DEVICE_HELPERS.has(i.imm))) void dp.links;
    let verified: VerifiedProgram | undefined;
    if (doVerify) {
      const vmaps = [...new Set(maps.values())].map(verifierMap);
      // The verdict depends only on the code, the maps' shapes and frozen contents, the helpers and the
      // log level: a program loaded again (tests, benchmarks, each `prog run`) is not verified again.
      const globals = btf ? globalFuncs(spec, btf, verifierProgType(spec)) : [];
      const key = verifyCacheKey(spec, vmaps, maps, opts.logLevel ?? 0, dp.helpers, globals, `${verifierProgType(spec)}/${spec.attachType ?? ''}/${opts.devBound ?? ''}/${tpBtfTarget(spec.section) ?? ''}/${gplCompatible ? 'gpl' : 'nongpl'}/cpus=${dp.ncpus}${localTypesKey(spec, btf)}`);
      const cached = VERIFY_CACHE.get(key) ?? cachedVerdict(key, insns);
      if (cached) VERIFY_CACHE.set(key, cached);
      if (cached instanceof Error) throw cached;
      if (cached) verified = cached;
      else {
        try {
          verified = verify(insns, {
            maps: vmaps,
            helpers: dp.helpers,
            logLevel: opts.logLevel ?? 0,
            lineInfo: spec.lineInfo,
            name: spec.name,
            globalFuncs: globals,
            progType: verifierProgType(spec),
            ...(spec.attachType !== undefined ? { attachType: spec.attachType } : {}),
            ...kfuncOpts,
            ...(spec.type === 'tracing' ? { tracepoint: tpBtfTarget(spec.section) ?? '' } : {}),
            nrCpuIds: dp.ncpus,
            ...(btf ? { progBtf: btf } : {}),
          });
        } catch (e) {
          if (e instanceof VerifierError) {
            VERIFY_CACHE.set(key, e);
            storeVerdict(key, e, spec.name);
          }
          throw e;
        }
        VERIFY_CACHE.set(key, verified);
        storeVerdict(key, verified);
      }
    }
    // bpf_prog_select_runtime's bpf_check_tail_call: the prog_arrays the program names take it as their owner or
    // must match it (no log: EINVAL after the verifier ran)
    for (const ref of spec.mapRefs) {
      const m = maps.get(ref.map);
      if (m?.type === MapType.PROG_ARRAY && !dp.progArrayCompatible(m, spec)) {
        throw new VerifierError(`prog_array ${m.name} holds programs of another kind than ${spec.name} (type, attach type, frags): EINVAL`, -1, '', spec.name, 'EINVAL');
      }
    }
    const base = { memory: dp.memory, helpers: dp.helpers, checked: opts.checked ?? !verified, fastPath: dp.fastPath, ...(verified ? { facts: verified.facts } : {}) };
    let runInsns = lowerKfuncs(verified ? sanitizeDeadCode(insns, { helpers: dp.helpers, allowPseudoLdImm64: true }) : insns);
    // (the heap for a program that only takes nodes out of a collection, too: bpf_rbtree_remove)
    // (and for a program naming a map whose values hold kptrs or lists: it may load an object's pointer)
    const heapMaps = spec.mapRefs.some((r) => maps.get(r.map)?.graphFields);
    if (verified && (verified.facts.objNewSizes || callsObjKfuncs(spec) || heapMaps)) ensureObjHeap(dp.fastPath, dp.memory, () => dp.heapGrew(), () => dp.heapMayOpen());
    if (verified?.facts.objNewSizes) runInsns = lowerObjNew(runInsns, verified.facts.objNewSizes, dp.helpers);
    // a map value's lists freed by the program's own update / delete (control/graph_maps.ts)
    runInsns = lowerGraphMapOps(runInsns, spec.mapRefs.flatMap((r) => maps.get(r.map) ?? []), dp.helpers);
    const engine =
      (opts.engine ?? 'jit') === 'jit'
        ? await compile(runInsns, { ...base, optimize: opts.optimize ?? 'light', burst: opts.burst ?? dp.dispatch === 'burst' })
        : new Interpreter(runInsns, { ...base, tailCall: (map, index) => dp.tailTarget(map, index) });
    const p = new Program(dp, spec, insns, engine);
    if (heapMaps) heapReaders.add(p);
    if (opts.devBound !== undefined) p.devBound = opts.devBound;
    if (dp.workers && engine instanceof JitProgram) {
      try {
        await dp.workers.compile(p, { ...base, optimize: opts.optimize ?? 'light', burst: opts.burst ?? dp.dispatch === 'burst' }, runInsns);
      } catch (e) {
        dp.forgetProgram(p); // not loaded: it names no map
        throw e;
      }
    }
    p.verifierLog = verified?.log ?? '';
    p.verifierStats = verified?.stats;
    p.checked = base.checked;
    return p;
  }

  /** The ifindex a device-bound program was loaded for (LoadOptions.devBound), else undefined. */
  devBound: number | undefined;
  /** The verifier's log (at the load's logLevel); empty when loaded unverified. */
  verifierLog = '';
  /** What verification cost (instructions processed, states, time); undefined when not verified. */
  verifierStats: VerifierStats | undefined;
  /** Whether the program runs with run-time bounds checks. */
  checked = true;

  /** @internal Whether the program was loaded into `dp` (its memory, its table). */
  belongsTo(dp: Datapath): boolean {
    return this.dp === dp;
  }

  private slot = -1;

  /** @internal The slot tableIndex gave out, or -1 (an interpreter's reserved slot). */
  get slotIfGiven(): number {
    return this.slot;
  }

  /** The index a prog_array holds to tail-call this program (its slot in the fast path's table). */
  get tableIndex(): number {
    if (this.slot < 0) {
      // The interpreter has no wasm entry: it reserves an empty slot that only interpreters follow.
      this.slot = this.engine instanceof JitProgram ? this.engine.tableIndex : this.dp.fastPath.addToTable(null);
      if (this.engine instanceof JitProgram) this.dp.workers?.install(this, [[EXPORT_TAIL_ENTRY, this.slot]]);
      this.dp.registerSlot(this.slot, this);
    }
    return this.slot;
  }

  /**
   * libbpf's bpf_program__attach for a SEC("tp_btf/NAME") program: it runs on each NAME event wxdp's data
   * path raises (src/control/tracepoints.ts). Loading attaches nothing, as bpf_object__load does not.
   */
  attachTracepoint(): TracepointLink {
    return attachTracepoint(this.dp, this);
  }

  /**
   * What a devmap value's bpf_prog.fd takes to run this program on redirected frames (and what a device
   * calls): the slot of its XDP entry in the fast path's table. JIT'd programs only.
   */
  get fd(): number {
    if (!(this.engine instanceof JitProgram)) throw new WxdpError('USAGE', `program ${this.name}: only JIT'd programs run on a device`);
    if (this.spec.type === 'sk_lookup' || this.spec.type === 'sk_reuseport') {
      throw new WxdpError('USAGE', `program ${this.name} is a ${this.spec.type} program, not XDP: attach it with attachSkLookup / attachReuseport`);
    }
    this.dp.registerEntry(this, this.engine.runTableIndex);
    this.dp.workers?.install(this, [[this.engine.checked ? EXPORT_RUN_GUARDED : EXPORT_RUN, this.engine.runTableIndex]]);
    return this.engine.runTableIndex;
  }

  /**
   * BPF_PROG_TEST_RUN for an sk_lookup program (bpf_prog_test_run_sk_lookup): `ctx` is struct
   * bpf_sk_lookup's input; the program runs alone, `repeat` times. Returns the retval (SK_PASS 1 when
   * it passed or chose a socket, else SK_DROP 0) and the chosen socket's cookie (0n: none). Throws
   * TestRunError with the kernel's errno: EINVAL (not an sk_lookup program, ctx.sk or ingressIfindex
   * set), ERANGE (localPort past 65535), EAFNOSUPPORT (family), EOPNOTSUPP (the chosen socket is in a
   * reuseport group and BPF_SK_LOOKUP_F_NO_REUSEPORT was not given).
   */
  testRunSkLookup(ctx: SkLookupContext, opts: { repeat?: number } = {}): SkLookupTestRunResult {
    if (this.spec.type !== 'sk_lookup') throw new TestRunError('EINVAL', `program ${this.name} is ${this.spec.type}, not sk_lookup`);
    if (!(this.engine instanceof JitProgram)) throw new TestRunError('EINVAL', `program ${this.name}: only JIT'd programs run through the fast path's table`);
    const repeat = opts.repeat ?? 1;
    if (!Number.isInteger(repeat) || repeat < 1) throw new TestRunError('EINVAL', `repeat must be a positive integer, not ${repeat}`);
    const x = this.dp.fastPath.exports as unknown as { sk_lookup_test_run(slot: number, user: number): number; scratch_base(): number };
    this.dp.stack;
    const user = x.scratch_base() >>> 0;
    const v = this.dp.memory.view();
    const bytes = this.dp.memory.bytes();
    const ip = (a: string | undefined, at: number, v6: boolean): void => {
      if (a === undefined) return;
      const b = v6 ? ipv6Bytes(a) : ipv4Bytes(a);
      bytes.set(b, at);
    };
    const slot = this.engine.runTableIndex;
    let ret = 0;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < repeat; i++) {
      bytes.fill(0, user, user + SK_LOOKUP_CTX_SIZE);
      v.setBigUint64(user, BigInt(ctx.sk ?? 0), true);
      v.setUint32(user + 8, ctx.family, true);
      v.setUint32(user + 12, ctx.protocol ?? 17, true);
      ip(ctx.remoteIp4, user + 16, false);
      ip(ctx.remoteIp6, user + 20, true);
      v.setUint16(user + 36, ctx.remotePort ?? 0, false);
      ip(ctx.localIp4, user + 40, false);
      ip(ctx.localIp6, user + 44, true);
      v.setUint32(user + 60, ctx.localPort ?? 0, true);
      v.setUint32(user + 64, ctx.ingressIfindex ?? 0, true);
      this.engine.takeFault();
      ret = x.sk_lookup_test_run(slot, user);
      // a checked program's fault ended its run through the table (run_guarded): the test run reports it
      const fault = this.engine.takeFault();
      if (fault) throw fault;
      if (ret < 0) break;
    }
    const duration = Number(process.hrtime.bigint() - t0) / repeat;
    if (ret < 0) {
      const name = ({ 22: 'EINVAL', 34: 'ERANGE', 97: 'EAFNOSUPPORT', 95: 'EOPNOTSUPP', 12: 'ENOMEM' } as Record<number, string>)[-ret] ?? `errno ${-ret}`;
      throw new TestRunError(name, `sk_lookup program ${this.name}`);
    }
    return { retval: ret, cookie: v.getBigUint64(user, true), duration };
  }

  /** BPF_PROG_TEST_RUN for XDP. */
  testRun(opts: TestRunOptions): TestRunResult {
    // A device-bound program (BPF_F_XDP_DEV_BOUND_ONLY) runs only on its device: the kernel's EINVAL.
    if (this.devBound !== undefined) throw new TestRunError('EINVAL', `program ${this.name} is bound to device ${this.devBound}; the kernel has no test run for it`);
    // bpf_prog_test_run_xdp: a devmap or cpumap program runs only on frames a map hands it.
    if (this.spec.attachType === 'xdp_devmap' || this.spec.attachType === 'xdp_cpumap') {
      throw new TestRunError('EINVAL', `program ${this.name} (section ${this.section}) runs from a ${this.spec.attachType === 'xdp_devmap' ? 'devmap' : 'cpumap'} entry; the kernel has no test run for it`);
    }
    if (this.spec.type === 'sk_lookup' || this.spec.type === 'sk_reuseport') {
      const lookup = this.spec.type === 'sk_lookup';
      throw new TestRunError(lookup ? 'EINVAL' : 'ENOTSUPP', `program ${this.name} is ${this.spec.type}: ${lookup ? 'its context is not a frame (use testRunSkLookup)' : 'the kernel has no test run for sk_reuseport'}`);
    }
    const refusal = TRACING_TEST_RUN[this.spec.type as keyof typeof TRACING_TEST_RUN];
    if (refusal) throw new TestRunError(refusal[0], `program ${this.name} (section ${this.section}): ${refusal[1]}`);
    const { data } = opts;
    const repeat = opts.repeat ?? 1;
    if (data.length < ETH_HLEN) throw new TestRunError('EINVAL', `data_in is ${data.length} bytes; XDP needs at least ${ETH_HLEN}`);
    if (!Number.isInteger(repeat) || repeat < 1) throw new TestRunError('EINVAL', `repeat must be a positive integer, not ${repeat}`);
    const mem = this.dp.memory;
    const c = opts.ctx;
    let metaLen = 0;
    // ctx_in.data_end: where the linear part ends, metadata included (Linux 6.18: the rest of data_in
    // goes to fragments; 0 leaves no packet byte in the linear part)
    let linearEnd = data.length;
    if (c) {
      // bpf_prog_test_run_xdp's checks on ctx_in
      if ((c.dataMeta ?? 0) !== 0) throw new TestRunError('EINVAL', 'ctx_in.data_meta must be 0');
      linearEnd = c.dataEnd ?? data.length;
      if (linearEnd > data.length) throw new TestRunError('EINVAL', `ctx_in.data_end (${linearEnd}) is past the data_in size (${data.length})`);
      metaLen = c.data ?? 0;
      // the metadata comes out of the headroom, which must keep room for the xdp_frame
      if (metaLen > linearEnd || metaLen % 4 !== 0 || metaLen > XDP_PACKET_HEADROOM - XDP_FRAME_STRUCT) {
        throw new TestRunError('EINVAL', `ctx_in.data (metadata length ${metaLen}) is invalid`);
      }
      if ((c.egressIfindex ?? 0) !== 0) throw new TestRunError('EINVAL', 'ctx_in.egress_ifindex must be 0');
      if ((c.rxQueueIndex ?? 0) !== 0 && !c.ingressIfindex) throw new TestRunError('EINVAL', 'ctx_in.rx_queue_index needs ingress_ifindex');
      if (c.ingressIfindex) checkIngressQueue(this.dp, c.ingressIfindex, c.rxQueueIndex ?? 0);
      if (data.length - metaLen < ETH_HLEN) throw new TestRunError('EINVAL', `data_in has ${data.length - metaLen} bytes after the metadata; XDP needs at least ${ETH_HLEN}`);
    }
    const ifindex = c?.ingressIfindex || 1;
    const rxq = c?.rxQueueIndex ?? 0;
    // The kernel takes metadata out of the headroom (headroom -= ctx->data): data stays at hard_start +
    // 256 and the frame is a page (frag_size = PAGE_SIZE), so metadata lengthens the linear part's room.
    // Past it (or past ctx_in.data_end), data goes to fragments, one page each, MAX_SKB_FRAGS of them.
    const linear = Math.min(linearEnd, XDP_MAX_DATA + metaLen);
    if (data.length - linear > MAX_FRAGS * FRAG_SIZE) {
      throw new TestRunError('ENOMEM', `data_in is ${data.length} bytes; a frame holds ${linear} linear + ${MAX_FRAGS} fragments of ${FRAG_SIZE}`);
    }
    const bytes = mem.bytes();
    // bpf_test_init kzallocs the buffer: the headroom a program grows into with bpf_xdp_adjust_head /
    // _adjust_meta and does not write reads as zeros, not as what an earlier run left there (the tailroom
    // needs nothing: growing the tail zero-fills)
    bytes.fill(0, FRAME_BASE, FRAME_BASE + XDP_PACKET_HEADROOM - metaLen);
    bytes.set(data.subarray(0, linear), FRAME_BASE + XDP_PACKET_HEADROOM - metaLen);
    bytes.set(data.subarray(linear), FRAGS_BASE);
    this.dp.fastPath.fn<(...a: number[]) => void>('xdp_setup')(FRAME_BASE, FRAME_SIZE, XDP_PACKET_HEADROOM, linear - metaLen, metaLen, ifindex, rxq, data.length - linear);
    const req: RunRequest = {
      args: [BigInt(CTX_BASE)],
      // Checked: the packet, this program's maps, the ctx (as on a device).
      regions: this.checked ? this.dp.programRegions(this) : [],
    };
    // Programs this run may tail-call into check against their own regions.
    for (const p of this.dp.tailTargets()) if (p !== this) this.dp.bindRegions(p);
    // Steady-state timing (src/jit/timing.ts): the repeat split into short calls, the warm-up not timed.
    const engine = this.engine;
    const runs = engine instanceof JitProgram
      ? (n: number): bigint => engine.runRepeated(req, n).r0
      : engine instanceof Interpreter
        ? (n: number): bigint => engine.runRepeated(req, n).r0
        : (n: number): bigint => {
            let r = 0n;
            for (let i = 0; i < n; i++) r = engine.run(req).r0;
            return r;
          };
    const { r0, nsPerRun: duration, warmUp } = timeRepeat(runs, repeat);
    const view = mem.view();
    const meta = view.getUint32(CTX_BASE + CTX.DATA_META, true);
    const dataStart = view.getUint32(CTX_BASE + CTX.DATA, true);
    const end = view.getUint32(CTX_BASE + CTX.DATA_END, true);
    const frags = view.getUint32(CTX_BASE + CTX.FRAGS_LEN, true);
    let out = mem.bytes().slice(meta, end);
    if (frags > 0) {
      const all = new Uint8Array(out.length + frags);
      all.set(out);
      all.set(mem.bytes().subarray(FRAGS_BASE, FRAGS_BASE + frags), out.length);
      out = all;
    }
    let truncated = false;
    if (opts.dataOutSize !== undefined && out.length > opts.dataOutSize) {
      out = out.slice(0, opts.dataOutSize);
      truncated = true;
    }
    const ctxOut = { data: dataStart - meta, dataEnd: end - meta, dataMeta: 0, ingressIfindex: ifindex, rxQueueIndex: rxq, egressIfindex: 0 };
    return { retval: Number(r0 & 0xffffffffn), data: out, duration, truncated, ctx: ctxOut, warmUp };
  }
}

/** What the verifier needs to know of a map: its shape, and for frozen read-only data its contents. */
export function verifierMap(m: BpfMap): VerifierMap {
  let valueAddress = -1;
  try {
    valueAddress = m.valueAddress(0);
  } catch {
    // Maps without direct value access (hash, ringbuf, …) are never the target of a map-value ld_imm64.
  }
  const readonly = (m.flags & BPF_F_RDONLY_PROG) !== 0;
  const writeonly = mapWriteOnly(m.flags);
  const info: VerifierMap = {
    name: m.name,
    type: m.type,
    keySize: m.keySize,
    valueSize: m.valueSize,
    maxEntries: m.maxEntries,
    address: m.address,
    valueAddress,
    readonly,
    ...(writeonly ? { writeonly } : {}),
    frozen: m.frozen,
    spinLockOff: m.spinLockOff,
    ...(mapHasResLock(m) ? { resLock: true } : {}),
    timerOff: m.timerOff,
    ...(mapHasBtf(m) ? {} : { noBtf: true }),
  };
  const inner = m.innerMeta;
  // bpf_map_meta_alloc copies no name into the inner_map_meta: the kernel's log prints the inner map a
  // lookup finds as map_ptr(ks=..,vs=..), without map=
  const roots = innerGraphRoots(m);
  const kptrs = innerMapKptrs(m);
  if (inner) info.inner = { name: '', ...inner, readonly: (inner.flags & BPF_F_RDONLY_PROG) !== 0, ...(mapWriteOnly(inner.flags) ? { writeonly: true } : {}), ...m.innerFields!, ...(innerHasResLock(m) ? { resLock: true } : {}), ...(roots.length ? { graphRoots: roots } : {}), kptrs };
  if (readonly && m.frozen && m.maxEntries === 1 && valueAddress >= 0) {
    info.frozenValue = m.lookup(new Uint8Array(m.keySize)) ?? undefined;
  }
  return info;
}

const BPF_F_RDONLY_PROG = 1 << 7;
const BPF_F_WRONLY_PROG = 1 << 8;

/** bpf_map_flags_to_cap: BPF_F_WRONLY_PROG leaves a program BPF_MAP_CAN_WRITE only (RDONLY_PROG wins when both are set). */
function mapWriteOnly(flags: number): boolean {
  return (flags & (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG)) === BPF_F_WRONLY_PROG;
}

/**
 * libbpf's init_map_in_map_slots: `.values = { [i] = &inner }` of array_of_maps / hash_of_maps, set
 * once every map of the object exists.
 */
function fillMapInMapSlots(specs: readonly MapSpec[], maps: ReadonlyMap<string, BpfMap>): void {
  for (const m of specs) {
    for (const slot of m.initSlots ?? []) {
      if (slot.map === undefined) continue;
      const inner = maps.get(slot.map);
      if (!inner) throw new WxdpError('ELF_BAD_MAP', `map ${m.name}: slot ${slot.index} names unknown map ${slot.map}`);
      maps.get(m.name)!.setInner(codec.u32.encode(slot.index), inner);
    }
  }
}

/**
 * The type the verifier checks a program as: its section's sk_lookup / sk_reuseport, else XDP (the
 * type every other section loads as in wxdp).
 */
export function verifierProgType(spec: ProgramSpec): VerifierProgType {
  const t = spec.type;
  return t === 'sk_lookup' || t === 'sk_reuseport' || t === 'tracing' || t === 'tracepoint' || t === 'raw_tracepoint' ? t : 'xdp';
}

const VERIFY_CACHE = new Map<string, VerifiedProgram | VerifierError>();

function verifyCacheKey(
  spec: ProgramSpec,
  vmaps: VerifierMap[],
  maps: ReadonlyMap<string, BpfMap>,
  logLevel: number,
  helpers: HelperTable,
  globals: GlobalFunc[],
  progType: string,
): string {
  const h = createHash('sha256');
  h.update(progType);
  h.update(encode(spec.insns));
  h.update(JSON.stringify(spec.mapRefs.map((r) => [r.index, r.kind, r.kind === 'fd' ? 0 : r.offset, [...maps.keys()].indexOf(r.map)])));
  for (const m of vmaps) {
    const i = m.inner;
    h.update(JSON.stringify([m.name, m.type, m.keySize, m.valueSize, m.maxEntries, m.readonly, m.writeonly ?? false, m.frozen, m.spinLockOff, m.resLock ?? false, m.timerOff ?? -1, m.noBtf ?? false, i ? [i.type, i.keySize, i.valueSize, i.maxEntries, i.readonly, i.writeonly ?? false, i.spinLockOff, i.resLock ?? false, i.timerOff ?? -1, i.graphRoots ?? 0, i.kptrs ?? 0] : 0]));
    if (m.frozenValue) h.update(m.frozenValue);
  }
  h.update(JSON.stringify([logLevel, globals, spec.lineInfo.map((l) => [l.index, l.line, l.text]), helpers.ids()]));
  return h.digest('hex');
}

/** Programs naming a map whose values hold kptrs or lists (control/graph_maps.ts): they may load an object's pointer. */
const heapReaders = new WeakSet<Program>();

/**
 * Whether a program reaches the object heap (its checked engines' regions hold the heap's spans): it calls the
 * object kfuncs or helpers (obj_heap.ts callsObjKfuncs), or names a map whose values hold kptrs — a program
 * that only loads a kptr and reads the object (a direct load: MEM_RCU) was refused the heap in checked mode.
 */
function reachesObjHeap(p: Program): boolean {
  return callsObjKfuncs(p.spec) || heapReaders.has(p);
}

/**
 * The verdict of a program calling bpf_obj_new depends on its BTF's structs (the local types it
 * allocates, their fields): their layout joins the cache key.
 */
function localTypesKey(spec: ProgramSpec, btf: Btf | undefined): string {
  if (!btf || !callsObjKfuncs(spec)) return '';
  const h = createHash('sha256');
  h.update(JSON.stringify(btf.types, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
  return `/btf=${h.digest('hex')}`;
}

/** An object file's bytes; a file that cannot be read is a typed error naming it and the errno. */
function readObjectFile(path: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    const errno = (e as NodeJS.ErrnoException).code ?? 'EIO';
    const why = errno === 'ENOENT' ? 'no such file' : errno === 'EACCES' ? 'permission denied' : errno === 'EISDIR' ? 'is a directory' : (e as Error).message;
    throw new WxdpError(errno === 'ENOENT' ? 'NOT_FOUND' : 'USAGE', `loadObject: ${path}: ${why} (${errno})`);
  }
}

/** The maps (header addresses) a program's ld_imm64 instructions name: the map, or a value in it. */
function programMapAddresses(fp: FastPath, insns: readonly Insn[]): Set<number> {
  const out = new Set<number>();
  for (const ins of insns) {
    if (ins.code !== OP_LDDW || ins.imm64 === undefined) continue;
    const s = mapStorage(fp, Number(BigInt.asUintN(32, ins.imm64)));
    if (s) out.add(s.map);
  }
  return out;
}

/** The inner maps an array_of_maps / hash_of_maps holds now (their header addresses). */
function innerMapAddresses(m: BpfMap): number[] {
  const out: number[] = [];
  for (let k = m.nextKey(null); k; k = m.nextKey(k)) {
    const inner = m.innerAddress(k);
    if (inner !== undefined) out.push(inner);
  }
  return out;
}


/**
 * Where map `m` holds one of a program's table slots (a prog_array element, or a devmap / cpumap
 * value's bpf_prog.fd): the key as text, or undefined.
 */
function programSlotHolder(fp: FastPath, m: BpfMap, slots: ReadonlySet<number>): string | undefined {
  if (m.type === MapType.PROG_ARRAY) {
    const get = fp.fn<(map: number, i: number) => number>('prog_array_get');
    for (let i = 0; i < m.maxEntries; i++) if (slots.has(get(m.address, i))) return String(i);
    return undefined;
  }
  if ((m.type !== MapType.DEVMAP && m.type !== MapType.DEVMAP_HASH && m.type !== MapType.CPUMAP) || m.valueSize < 8) return undefined;
  for (let k = m.nextKey(null); k; k = m.nextKey(k)) {
    const v = m.lookup(k);
    if (v && slots.has(new DataView(v.buffer, v.byteOffset, v.byteLength).getUint32(4, true))) return String(new DataView(k.buffer, k.byteOffset).getUint32(0, true));
  }
  return undefined;
}

/** The low 32 bits of a u64 (bpf_tail_call's u32 index, a map's address): through a double when exact. */
function low32(v: bigint): number {
  const x = Number(v);
  return Number.isSafeInteger(x) ? x >>> 0 : Number(v & 0xffffffffn);
}
