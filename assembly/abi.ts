// The memory layout every module shares. src/runtime/memory.ts holds the same facts for TypeScript;
// tests/fastpath/abi.test.ts proves the two agree.
//
//   0x000000 +-----------------------------+
//            | null guard                  |  never inside a region: address 0 always faults
//   0x001000 +-----------------------------+ STACK_BASE
//            | eBPF stacks, 8 × 512 B      |  frame 0's r10 = STACK_TOP; each call moves r10 down 512
//   0x002000 +-----------------------------+ CTX_BASE
//            | xdp_md (24 B) + xdp_buff    |  see CTX_* below
//   0x002100 +-----------------------------+ RUN_BASE
//            | run state (tail calls, ...) |
//   0x003000 +-----------------------------+ AS_DATA_BASE (asconfig memoryBase)
//            | AssemblyScript statics      |
//   0x010000 +-----------------------------+ INPUT_BASE = FRAME_BASE
//            | input memory / XDP frame:   |  FRAME_SIZE 4096: 256 B headroom, data, tailroom,
//            |  hard_start|head|data..|tail|  320 B reserved at the end (skb_shared_info)
//   0x011000 +-----------------------------+ FRAGS_BASE
//            | XDP fragments (multi-buffer)|  the bytes past the linear part, 4 KiB pages, contiguous
//   0x030000 +-----------------------------+ ARENA_BASE
//            | maps (bump-allocated, grows)|
//            +-----------------------------+

export const ABI_VERSION: u32 = 2;
export const STACK_SIZE: u32 = 512;
export const MAX_FRAMES: u32 = 8;
export const STACK_BASE: u32 = 0x1000;
export const STACK_TOP: u32 = STACK_BASE + MAX_FRAMES * STACK_SIZE;

// xdp_md as programs see it (all u32), then the xdp_buff fields only helpers touch. CTX_BASE, RUN_BASE
// and DP_BURST are this instance's: the main thread's are the fixed addresses drawn above; a worker's
// are in its own area (assembly/worker.ts, set once by worker_init), so workers never share them.
export let CTX_BASE: u32 = 0x2000;
export const CTX_DATA: u32 = 0; //            xdp_md.data
export const CTX_DATA_END: u32 = 4; //        xdp_md.data_end
export const CTX_DATA_META: u32 = 8; //       xdp_md.data_meta
export const CTX_INGRESS_IFINDEX: u32 = 12; // xdp_md.ingress_ifindex
export const CTX_RX_QUEUE_INDEX: u32 = 16; // xdp_md.rx_queue_index
export const CTX_EGRESS_IFINDEX: u32 = 20; // xdp_md.egress_ifindex
export const CTX_USER_SIZE: u32 = 24; //      sizeof(struct xdp_md)
export const CTX_HARD_START: u32 = 32; //     first byte of the frame (headroom starts here)
export const CTX_FRAME_END: u32 = 36; //      hard_start + frame size
export const CTX_REDIRECT_IFINDEX: u32 = 40; // bpf_redirect / redirect_map target (ifindex or map key)
export const CTX_REDIRECT_MAP: u32 = 44; //   map address for redirect_map, 0 for bpf_redirect
export const CTX_REDIRECT_FLAGS: u32 = 48; // u64 flags of the redirect
export const CTX_FRAGS_LEN: u32 = 56; //     bytes in fragments (0: a linear buffer)
export const CTX_FRAGS_HEAD: u32 = 60; //    where the first fragment's bytes start in its page (bpf_xdp_pull_data)
export const CTX_SIZE: u32 = 64;
// The kernel's view of the ctx (bpf_cast_to_kern_ctx, bpf_rdonly_cast to struct xdp_buff): the fields of
// struct xdp_buff wxdp's ctx has no word for, filled by those kfuncs when called (src/helpers/cast_kfuncs.ts),
// past CTX_SIZE in the ctx's 256 bytes. The struct itself is the ctx (src/elf/core.ts WXDP_BTF.xdp_buff).
export const CTX_KERN_FRAME_SZ: u32 = 64; //  u32 xdp_buff.frame_sz
export const CTX_KERN_FLAGS: u32 = 68; //     u32 xdp_buff.flags (XDP_FLAGS_HAS_FRAGS)
export const CTX_KERN_RXQ: u32 = 72; //       u64 xdp_buff.rxq: the address of the record at CTX_KERN_RXQ_REC
export const CTX_KERN_RXQ_REC: u32 = 80; //   struct xdp_rxq_info (32 B): u64 dev (CTX_KERN_DEV's address), u32 queue_index, …
export const CTX_KERN_DEV: u32 = 112; //      struct net_device (8 B): u32 ifindex, u32 mtu

// Per-run state.
export let RUN_BASE: u32 = 0x2100;
export const RUN_TAIL_CALLS: u32 = 0; //   u32 tail calls taken in this run (limit MAX_TAIL_CALL_CNT)
export const RUN_CPU: u32 = 4; //          u32 current CPU (percpu maps, get_smp_processor_id)
export const RUN_NCPUS: u32 = 8; //        u32 CPUs percpu maps hold values for
export const RUN_FRAME_PTR: u32 = 12; //   u32 r10 of the frame calling a callback helper (bpf_loop)
export const RUN_FRAME_DEPTH: u32 = 16; // u32 call depth of that frame
export const RUN_THROWN: u32 = 20; //      u32 1 while a JIT'd program's bpf_throw unwinds its frames (src/jit/emit.ts)
export const RUN_PRANDOM: u32 = 24; //     u64 prandom state
export const RUN_THROW_COOKIE: u32 = 32; // u64 that bpf_throw's cookie, each unwound frame's return value
export const RUN_ITERS: u32 = 64; //       MAX_FRAMES × MAP_ITER_SIZE: bpf_for_each_map_elem's walks, by caller depth (maps/for_each.ts)
export const MAP_ITER_SIZE: u32 = 16;
export const MAP_ITER_KEY: u32 = 8; //    a walk record's key word (array: the index the callback's key points at)
export const MAP_ITER_VALUE: u32 = 12; // its visited element's value address
export const RUN_SIZE: u32 = 192;
export const MAX_TAIL_CALL_CNT: u32 = 33;

export const AS_DATA_BASE: u32 = 0x3000;

export const INPUT_BASE: u32 = 0x10000;
export const INPUT_MAX: u32 = 0x20000;
export const FRAME_BASE: u32 = INPUT_BASE;
export const FRAME_SIZE: u32 = 4096;
// Every UMEM frame FRAME_SIZE-aligned puts the header line of every frame of a burst in one L1 set (48 KiB
// 12-way here: 64 sets of 64 B, 4096 B apart), so at most 12 of a 64-frame burst's header lines stay in L1
// between the passes over the burst (see napi.ts warmRing). Measured 12-07 (fs53, prototype commit 7b3bfa12,
// reverted; paired rounds in one process, load 15-23; data-path ns a frame, generator and reader apart):
//   headers spread over 16 sets (rxPost: data ((frame >> 12) & 15) * 64 B further — observable, a hack):
//     udp demux 10k 56.3 → 53.3, 57.2 → 53.9, 56.5 → 52.5 (19, 20, 20 rounds of 20); udp 100k 113-124 both
//     (bimodal 70/120 from outside contention, 12-13/20); xdp router 1M 50.1 → 49.8 (16/20); flowtable 1M
//     63.6 → 63.2 (19/20); the udp reader + generator 124 → 101 ns a frame.
//   frames 4160 B apart (hard_start no longer aligned: frameHead() = umem + (a - umem) / 4160 * 4160
//     for a UMEM address, the mask for FRAME_BASE and big frames, at every `& ~(FRAME_SIZE - 1)`), two
//     Datapaths alternated: udp demux 10 sockets 35.0 → 30.4 (19/20), 10k 58.0 → 55.3 (17/20) and
//     58.2 → 54.8 (17/20) (A/A control of the same driver: 1.005x and 0.984x), 100k 114.8 → 112.3
//     (16/20, bimodal), flowtable 1M 64.9 → 66.0 (slower in 17/20: frameHead's division on its recycle
//     and free loops costs more than the spread saves there).
// Not landed: a real change keeps frame_sz, data - hard_start and the adjust_head/_tail limits as they
// are (the stride does), but needs frameHead in the JIT's burst loop too (src/jit/emit.ts HARD), the
// frame count kept (frames × 4160 B of UMEM) and the kernel-comparison suites; and the flowtable row
// must not lose — e.g. carry each frame's start in the RX descriptor's high bits instead of dividing.
// Built and measured 12-07 (sp54u), not landed: frames coloured — hard_start itself moved with the data
// by FRAME_COLOUR & (slot address >> 6) (0/64/128/192 B: bits 12-13), so headroom, frame_sz and the
// adjust limits stay the kernel's, slots stay 4096-aligned (hard_start = slot + colour at every
// `& ~(FRAME_SIZE - 1)` site: rxPost, dev_rx, the stack's frames, clones, xsk TX, xdp_setup's three
// sites, the JIT's burst loop (two more instructions a frame), rss hash words, VLAN headroom, ctRecord's
// fit test — 26 files), no division; at most 304 B so data_end's limit stays below the conntrack
// record. One process, the mask switched per round, data path ns, load 12-16: udp demux 10 sockets
// 33.8 → 30.6 (10/10), 10k 55.3 → 54.1 (8/10) and 55.5 → 54.2 (10/10), 100k 67.4 → 66.2 (9/10);
// xdp drop even; the stack without L4 27.5 → 28.2 (0/10: 16 headers a set still exceed 12 ways, and
// four sets' other lines are evicted now, not one's); xdp router 1M within noise. 2 % on the 10k/100k
// rows against 3 % on the stack's: not worth the 26 files. Six colours (0-320 B, the record moved below
// hard_start) would fit 64 lines in 12 ways each: not tried.
export const XDP_PACKET_HEADROOM: u32 = 256;
export const FRAME_TAILROOM_RESERVED: u32 = 320; // SKB_DATA_ALIGN(sizeof(struct skb_shared_info))
export const XDP_FRAME_STRUCT: u32 = 40; //          sizeof(struct xdp_frame): kept free at the head

export const FRAGS_BASE: u32 = FRAME_BASE + FRAME_SIZE;
export const FRAG_SIZE: u32 = 4096; //   each fragment is one page
export const MAX_FRAGS: u32 = 17; //      MAX_SKB_FRAGS

export const ARENA_BASE: u32 = 0x30000;

// Map header, at every map's address (what ld_imm64 BPF_PSEUDO_MAP_FD resolves to).
export const MAP_TYPE: u32 = 0; //        u32 BPF_MAP_TYPE_*
export const MAP_KEY_SIZE: u32 = 4; //    u32
export const MAP_VALUE_SIZE: u32 = 8; //  u32
export const MAP_MAX_ENTRIES: u32 = 12; // u32
export const MAP_FLAGS: u32 = 16; //      u32 map_flags
export const MAP_ID: u32 = 20; //         u32
export const MAP_COUNT: u32 = 24; //      u32 live elements (hash types)
export const MAP_DATA: u32 = 28; //       u32 address of the type's storage
export const MAP_SPIN_LOCK: u32 = 60; //  u32 1 + offset of the value's bpf_spin_lock (BTF), 0: none (hash, array)
export const MAP_TIMER: u32 = 80; //      u32 1 + offset of the value's struct bpf_timer (BTF), 0: none (hash, lru_hash, array)
export const MAP_NO_UREF: u32 = 84; //   u32 1 once user space's references are gone (bpf_map_put_uref: usercnt 0; maps/syscall.ts map_release_uref)
export const MAP_ALLOC_SIZE: u32 = 72; // u32 bytes of the map's arena allocation (header and storage): what map_free gives back
export const MAP_HEADER_SIZE: u32 = 88; //  bytes 32..59 are the type's own; 60 MAP_SPIN_LOCK, 64 map-in-map (MAPS_MIM_META), 68 the writer lock of the shared build (maps/map_lock.ts), 72 MAP_ALLOC_SIZE, 76 lru.ts's memo (MAPS_LRU_LAST), 80 MAP_TIMER, 84 MAP_NO_UREF

// ---- The data path (assembly/device.ts, ring.ts, umem.ts, napi.ts, xsk.ts) ----
//
// Its root sits in the free space after the run state; devices, rings, UMEM and sockets are allocated
// from the map arena when they are created (never per packet).
//
//   DP_BASE   +0  u32 magic 'WXDP' (absent: not initialised)     +4  u32 UMEM pool: free stack address
//             +8  u32 free frames in the pool                    +12 u32 pool capacity (frames)
//             +16 u32 UMEM base (FRAME_SIZE-aligned)             +20 u32 UMEM frames
//             +24 u32 big frames region (umem.ts; 0 until first used)  +28 u32 pool lock (shared build)
//             +32 the stack's root (net/abi.ts)
//   DP_DEVS   MAX_DEVICES × u32 device address, by ifindex (0 = none; ifindex 0 is never a device)
//   DP_XSKS   MAX_XSKS × u32 socket address, by socket id (what an xskmap slot holds)
//   DP_BURST  burst results (below)
//   DP_TRACE  trace events (XDP_ABORTED, invalid actions): u32 written (free-running), then
//             TRACE_SLOTS × TRACE_EVENT_SIZE: u32 ifindex | u32 queue | u32 action | u32 program slot
export const DP_BASE: u32 = 0x2200;
export const DP_MAGIC: u32 = 0;
export const DP_POOL: u32 = 4;
export const DP_POOL_FREE: u32 = 8;
export const DP_POOL_CAP: u32 = 12;
export const DP_UMEM_BASE: u32 = 16;
export const DP_UMEM_FRAMES: u32 = 20;
export const DP_BIG: u32 = 24;
export const DP_POOL_LOCK: u32 = 28; // u32 the pool's spin lock (the shared build: workers pop and push it)
// DP_BASE + 32 net/abi.ts NET_ROOT_PTR, + 36 NF_GATE_PTR, + 40 maps/cpumap.ts CPUMAP_QUEUES
export const DP_FC_COUNTS: u32 = 44; // u32 address of the workers' frame-cache counts (umem.ts; u32 × FC_SLOTS)
export const DP_DEVS: u32 = 0x2300;
export const MAX_DEVICES: u32 = 64;
export const DP_XSKS: u32 = 0x2400;
export const MAX_XSKS: u32 = 64;
export const DP_TRACE: u32 = 0x2500;
export const TRACE_SLOTS: u32 = 32;
export const TRACE_EVENT_SIZE: u32 = 16;
// DP_BURST  what a program's xdp_burst (src/jit/abi.ts EXPORT_BURST) leaves per frame: BURST_MAX records
//           of u32 r0 | u32 data | u32 data_end | u32 data_meta | u32 redirect ifindex | u32 redirect map
//           | u64 redirect flags
export let DP_BURST: u32 = 0x2800;
export const BURST_MAX: u32 = 64;
export const BURST_RECORD_SIZE: u32 = 32;

// A ring (single producer, single consumer; size a power of two; free-running u32 indices):
//   +0 u32 producer | +4 u32 consumer | +8 u32 mask (size - 1) | +12 u32 entry size | +16 u32 entries
// Fill and completion rings hold u64 addresses; RX, TX and host rings hold descriptors.
export const RING_PRODUCER: u32 = 0;
export const RING_CONSUMER: u32 = 4;
export const RING_MASK: u32 = 8;
export const RING_ENTRY_SIZE: u32 = 12;
export const RING_ENTRIES: u32 = 16;
export const RING_HEADER_SIZE: u32 = 64;
// struct xdp_desc: u64 addr (of the first data byte) | u32 len | u32 options (metadata length)
export const DESC_ADDR: u32 = 0;
export const DESC_LEN: u32 = 8;
export const DESC_OPTIONS: u32 = 12;
export const DESC_SIZE: u32 = 16;

// A device: its header, then n queues of QUEUE_SIZE bytes each.
export const DEV_IFINDEX: u32 = 0;
export const DEV_MTU: u32 = 4;
export const DEV_NQUEUES: u32 = 8;
export const DEV_PROG: u32 = 12; //     u32 table slot of the attached program's `run` (0: none → XDP_PASS)
export const DEV_MAC: u32 = 16; //      6 bytes
export const DEV_HOST_RING: u32 = 24; // u32 ring address: frames the program passed to the host
export const DEV_PEER: u32 = 28; //     u32 ifindex of a veth-like peer (0: none): what it transmits, the peer receives
export const DEV_BURST: u32 = 32; //    u32 table slot of the program's xdp_burst (0: call DEV_PROG per frame)
export const DEV_BLOCK: u32 = 36; //    u32 bytes of the device's block in reclaim.ts (0: from the arena, never reused)
export const DEV_HEADER_SIZE: u32 = 64;
// A queue: its rings, the socket bound to it, then QSTAT_COUNT u64 counters.
export const Q_FILL: u32 = 0;
export const Q_RX: u32 = 4;
export const Q_TX: u32 = 8;
export const Q_COMP: u32 = 12;
export const Q_XSK: u32 = 16; //   u32 socket id + 1 bound to this queue (0: none)
export const Q_OWNER: u32 = 20; // u32 the shared build: lock id (net/lock.ts) of the thread that polls it, the only one that recycles onto its fill ring
export const Q_STATS: u32 = 64;
// Counters (u64, index × 8 from Q_STATS).
export const QSTAT_RX_PACKETS: u32 = 0;
export const QSTAT_RX_BYTES: u32 = 1;
export const QSTAT_TX_PACKETS: u32 = 2;
export const QSTAT_TX_BYTES: u32 = 3;
export const QSTAT_XDP_ABORTED: u32 = 4; // verdicts, in XDP action order
export const QSTAT_XDP_DROP: u32 = 5;
export const QSTAT_XDP_PASS: u32 = 6;
export const QSTAT_XDP_TX: u32 = 7;
export const QSTAT_XDP_REDIRECT: u32 = 8;
export const QSTAT_XDP_INVALID: u32 = 9; //  a return value that is no XDP action
export const QSTAT_DROP_BASE: u32 = 10; //   then one counter per drop reason
// Drop reasons (kernel SKB_DROP_REASON_* / xdp tracepoint names where they fit).
export const DROP_PKT_TOO_SMALL: u32 = 0; //   shorter than an Ethernet header
export const DROP_PKT_TOO_BIG: u32 = 1; //     longer than MTU + Ethernet header (at RX or at the redirect target)
export const DROP_NO_BUFFER: u32 = 2; //       no UMEM frame on the fill ring (rx_missed)
export const DROP_RX_RING_FULL: u32 = 3;
export const DROP_XDP_DROP: u32 = 4; //        the program said XDP_DROP
export const DROP_XDP_ABORTED: u32 = 5; //     XDP_ABORTED or an invalid action
export const DROP_TX_RING_FULL: u32 = 6; //    the TX ring (own or the redirect target's) had no room
export const DROP_HOST_RING_FULL: u32 = 7;
export const DROP_REDIRECT_NO_DEVICE: u32 = 8; // bpf_redirect / devmap to an ifindex that is no device
export const DROP_REDIRECT_LOOP: u32 = 9; //   a frame crossed more than MAX_REDIRECT_HOPS veth pairs
export const DROP_REDIRECT_UNSUPPORTED: u32 = 10; // cpumap and other map types: no target in this data path
export const DROP_DEVMAP_PROG: u32 = 11; //    the devmap entry's program did not return XDP_PASS
export const DROP_XSK_INVALID: u32 = 12; //    xskmap slot without a socket bound to this device and queue
export const DROP_XSK_NO_BUFFER: u32 = 13; //  the socket's fill ring was empty
export const DROP_XSK_RX_FULL: u32 = 14; //    the socket's RX ring had no room
export const DROP_REASONS: u32 = 15;
export const QSTAT_COUNT: u32 = QSTAT_DROP_BASE + DROP_REASONS;
export const QUEUE_SIZE: u32 = Q_STATS + QSTAT_COUNT * 8;
export const MAX_REDIRECT_HOPS: u32 = 8;
export const NAPI_BUDGET: u32 = 64;

// An AF_XDP-style socket: its own UMEM (XSK_FRAME_SIZE chunks) and four rings, bound to a device queue.
//   addresses on its rings are offsets into its UMEM, as in AF_XDP
export const XSK_IFINDEX: u32 = 0;
export const XSK_QUEUE: u32 = 4;
export const XSK_UMEM: u32 = 8; //      u32 UMEM address
export const XSK_UMEM_SIZE: u32 = 12; // bytes
export const XSK_FILL: u32 = 16;
export const XSK_RX: u32 = 20;
export const XSK_TX: u32 = 24;
export const XSK_COMP: u32 = 28;
export const XSK_RX_DROPPED: u32 = 32; // u64: frames the socket could not take (no fill, RX full)
export const XSK_HEADER_SIZE: u32 = 64;
export const XSK_FRAME_SIZE: u32 = 4096;

// XDP actions.
export const XDP_ABORTED: u32 = 0;
export const XDP_DROP: u32 = 1;
export const XDP_PASS: u32 = 2;
export const XDP_TX: u32 = 3;
export const XDP_REDIRECT: u32 = 4;

/** worker_init (assembly/worker.ts): this instance's per-run areas move to a worker's own. */
export function abiWorkerAreas(ctx: u32, run: u32, burst: u32): void {
  CTX_BASE = ctx;
  RUN_BASE = run;
  DP_BURST = burst;
}
