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

// xdp_md as programs see it (all u32), then the xdp_buff fields only helpers touch.
export const CTX_BASE: u32 = 0x2000;
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
export const CTX_SIZE: u32 = 64;

// Per-run state.
export const RUN_BASE: u32 = 0x2100;
export const RUN_TAIL_CALLS: u32 = 0; //   u32 tail calls taken in this run (limit MAX_TAIL_CALL_CNT)
export const RUN_CPU: u32 = 4; //          u32 current CPU (percpu maps, get_smp_processor_id)
export const RUN_NCPUS: u32 = 8; //        u32 CPUs percpu maps hold values for
export const RUN_FRAME_PTR: u32 = 12; //   u32 r10 of the frame calling a callback helper (bpf_loop)
export const RUN_FRAME_DEPTH: u32 = 16; // u32 call depth of that frame
export const RUN_PRANDOM: u32 = 24; //     u64 prandom state
export const RUN_SIZE: u32 = 64;
export const MAX_TAIL_CALL_CNT: u32 = 33;

export const AS_DATA_BASE: u32 = 0x3000;

export const INPUT_BASE: u32 = 0x10000;
export const INPUT_MAX: u32 = 0x20000;
export const FRAME_BASE: u32 = INPUT_BASE;
export const FRAME_SIZE: u32 = 4096;
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
export const MAP_HEADER_SIZE: u32 = 64; //  bytes 32..63 are the type's own
