// BPF maps: the public surface. Maps live in the fast path's arena (assembly/maps); programs use them
// through the bpf_map_* helper exports, TypeScript through BpfMap.

export { BpfMap, createMap, mapAddresses, mapAddressById, mapStorage, MapSet, TypedMap } from './map.js';
export type { BatchResult, GraphFields, InnerMapMeta, LookupBatchResult, MapSpec, MapValue } from './map.js';
export { PerfBuffer } from './perf_buffer.js';
export type { PerfBufferOptions } from './perf_buffer.js';
export { MapError, mapErrorCode, strerror } from './errors.js';
export type { MapErrorCode } from './errors.js';
export { RingBufReader } from './ringbuf.js';
export type { RingBufReaderOptions } from './ringbuf.js';
export * as codec from './codec.js';
export type { Codec, LpmKey } from './codec.js';
export {
  BPF_ANY, BPF_EXIST, BPF_F_BROADCAST, BPF_F_EXCLUDE_INGRESS, BPF_F_LOCK, BPF_NOEXIST, BPF_RB_AVAIL_DATA,
  BPF_RB_CONS_POS, BPF_RB_FORCE_WAKEUP, BPF_RB_NO_WAKEUP, BPF_RB_PROD_POS, BPF_RB_RING_SIZE, BPF_RINGBUF_BUSY_BIT,
  BPF_RINGBUF_DISCARD_BIT, BPF_RINGBUF_HDR_SZ, Errno, errnoName, isMapInMapType, isPercpuType, MAPS_LAYOUT, MapFlag,
  MapType, mapTypeFromName, mapTypeName, SUPPORTED_MAP_TYPES,
} from './uapi.js';
export type { MapTypeId } from './uapi.js';
