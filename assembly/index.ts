// The fast path's wasm module: the shared ABI, the map arena and maps, and the XDP helpers the JIT'd
// programs import (wasm to wasm, no JS in between).

export * from './abi';
export * from './checksum';
export * from './maps/index';
export * from './xdp';
export * from './loop';
export * from './spin_lock';
export * from './ring';
export * from './umem';
export * from './device';
export * from './xsk';
export * from './napi';
export * from './pktgen';
export * from './net/index';
export * from './link';
export * from './worker';
export * from './rss';
export * from './tracepoints';
export * from './dynptr';
