// The WebAssembly objects wxdp's public types name, described by their shape. @types/node declares no
// WebAssembly namespace, and not every app compiles with the DOM lib: a user on `lib: ["ES2022"]` with
// `skipLibCheck` off would otherwise fail on wxdp's declarations. The engine's real objects fit these
// shapes (and these fit the DOM lib's, so a value passes either way).

/** A WebAssembly.Memory. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(delta: number): number;
}

/** A WebAssembly.Table. */
export interface WasmTable {
  readonly length: number;
  get(index: number): unknown;
  grow(delta: number, value?: unknown): number;
  set(index: number, value?: unknown): void;
}
