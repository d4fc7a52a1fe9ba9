// What percpu maps share: how many CPUs a map holds values for (RUN_NCPUS when it was created, 0 read
// as 1) and which CPU's value a program sees (RUN_CPU now). Every percpu map stores its CPU count at
// the same header offset, so TypeScript reads it without knowing the family.

import { MAP_MAX_ENTRIES, MAP_VALUE_SIZE, RUN_BASE, RUN_CPU, RUN_NCPUS } from '../abi';

/** Header offset of the u32 CPU count of percpu maps (array and hash families alike). */
export const MAPS_PERCPU_NCPUS: u32 = 52;

/**
 * Each CPU's values of a percpu map are a region of their own (as the kernel's per-CPU allocator gives
 * each CPU its unit): CPU c's value of an element at CPU 0's + c × the CPU stride, the regions
 * PCPU_REGION_ALIGN-aligned (a cache line and the pair the L2 prefetches with it), so that workers
 * writing their own values never write a line another worker writes. The stride follows from the
 * header (percpuStride; src/maps/uapi.ts percpuStride computes the same for the JIT).
 */
export const PCPU_REGION_ALIGN: u64 = 128;

/** Bytes from one CPU's region to the next for `n` values of `unit` bytes each. */
@inline export function percpuRegionSize(unit: u32, n: u32): u64 {
  return (<u64>unit * n + PCPU_REGION_ALIGN - 1) & ~(PCPU_REGION_ALIGN - 1);
}

/** A percpu map's CPU stride: a region of max_entries values of round_up(value_size, 8) bytes. */
@inline export function percpuStride(m: u32): u32 {
  return <u32>percpuRegionSize((load<u32>(m, MAP_VALUE_SIZE) + 7) & ~7, load<u32>(m, MAP_MAX_ENTRIES));
}

/** CPUs a percpu map created now holds values for. */
export function ncpusForCreate(): u32 {
  const n = load<u32>(RUN_BASE + RUN_NCPUS);
  return n == 0 ? 1 : n;
}

/** The running program's CPU, clamped to the map's CPUs so a bad RUN_CPU cannot reach another map. */
@inline export function currentCpu(m: u32): u32 {
  const cpu = load<u32>(RUN_BASE + RUN_CPU);
  return cpu < load<u32>(m, MAPS_PERCPU_NCPUS) ? cpu : 0;
}
