// Shared set-up for the map tests: a fresh fast path (its own memory, so its own arena), the CPU
// settings percpu maps read, byte helpers, and the program-facing helpers called as a JIT'd program
// would (five u64 arguments, u64 result).

import { existsSync } from 'node:fs';
import { FastPath } from '../../src/runtime/fastpath.js';
import { EngineMemory, RUN, RUN_BASE, STACK_BASE } from '../../src/runtime/memory.js';

export const wasmPath = new URL('../../build/fastpath.wasm', import.meta.url);
export const haveWasm = existsSync(wasmPath);

export async function fresh(opts: { ncpus?: number; cpu?: number } = {}): Promise<FastPath> {
  const mem = new EngineMemory();
  const fp = await FastPath.load(mem);
  setCpus(fp, opts.ncpus ?? 1, opts.cpu ?? 0);
  return fp;
}

/** RUN_NCPUS (read by percpu maps at creation) and RUN_CPU (the running program's CPU). */
export function setCpus(fp: FastPath, ncpus: number, cpu: number): void {
  const dv = fp.memory.view();
  dv.setUint32(RUN_BASE + RUN.NCPUS, ncpus, true);
  dv.setUint32(RUN_BASE + RUN.CPU, cpu, true);
}

export function setCpu(fp: FastPath, cpu: number): void {
  fp.memory.view().setUint32(RUN_BASE + RUN.CPU, cpu, true);
}

export const u32le = (n: number): Uint8Array => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n >>> 0, true);
  return b;
};
export const u64le = (n: number | bigint): Uint8Array => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n), true);
  return b;
};
export const rdU32 = (b: Uint8Array, off = 0): number => new DataView(b.buffer, b.byteOffset).getUint32(off, true);
export const rdU64 = (b: Uint8Array, off = 0): bigint => new DataView(b.buffer, b.byteOffset).getBigUint64(off, true);
export const bytes = (...v: number[]): Uint8Array => Uint8Array.from(v);

/** An LPM key for IPv4: u32 prefixlen then 4 address bytes. */
export function v4(prefix: string): Uint8Array {
  const [addr, len] = prefix.split('/');
  const b = new Uint8Array(8);
  new DataView(b.buffer).setUint32(0, len === undefined ? 32 : Number(len), true);
  b.set(addr!.split('.').map(Number), 4);
  return b;
}
export function v4str(k: Uint8Array): string {
  return `${k[4]}.${k[5]}.${k[6]}.${k[7]}/${rdU32(k)}`;
}

type HelperFn = (r1: bigint, r2: bigint, r3: bigint, r4: bigint, r5: bigint) => bigint;

/**
 * The program side: call a bpf_* export with numbers, placing byte arguments in the eBPF stack area
 * first (the way a program passes pointers to its stack). Returns r0 as a signed number.
 */
export class Prog {
  private next = STACK_BASE;
  constructor(readonly fp: FastPath) {}

  /** Copy bytes into the stack area; returns their address. */
  place(b: Uint8Array): number {
    const at = this.next;
    this.fp.memory.bytes().set(b, at);
    this.next += (b.length + 7) & ~7;
    return at;
  }

  reset(): void {
    this.next = STACK_BASE;
  }

  call(name: string, ...args: (number | bigint)[]): bigint {
    const f = this.fp.fn<HelperFn>(name);
    const a = [0, 1, 2, 3, 4].map((i) => BigInt.asUintN(64, BigInt(args[i] ?? 0)));
    const r = f(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!);
    this.reset();
    return BigInt.asIntN(64, r);
  }

  /** bpf_map_lookup_elem: the value's address (0 for NULL). */
  lookup(map: number, key: Uint8Array): number {
    return Number(this.call('bpf_map_lookup_elem', map, this.place(key)));
  }

  update(map: number, key: Uint8Array, value: Uint8Array, flags = 0): number {
    const k = this.place(key);
    return Number(this.call('bpf_map_update_elem', map, k, this.place(value), flags));
  }

  delete(map: number, key: Uint8Array): number {
    return Number(this.call('bpf_map_delete_elem', map, this.place(key)));
  }

  read(addr: number, len: number): Uint8Array {
    return this.fp.memory.bytes().slice(addr, addr + len);
  }
}
