// The array maps a program names, as the JIT inlines their lookups and the interpreter's compiled tier
// reads them (src/interp/index.ts arrayLookup): each map's geometry, read once from its header in
// memory (fixed from the map's creation). Kept apart from the JIT's emitter so the interpreter loads
// nothing of it.

import type { Insn } from '../isa/insn.js';
import { OP_LDDW, PseudoLd } from '../isa/opcodes.js';
import type { FastPath } from '../runtime/fastpath.js';
import { ARENA_BASE, MAP_HDR, type EngineMemory } from '../runtime/memory.js';
import { percpuStride } from '../maps/uapi.js';
import type { InlineArray } from './emit.js';

const BPF_MAP_TYPE_ARRAY = 2;
const BPF_MAP_TYPE_PROG_ARRAY = 3;
const BPF_MAP_TYPE_PERCPU_ARRAY = 6;
const BPF_MAP_TYPE_ARRAY_OF_MAPS = 12;

/** The maps a program refers to (ld_imm64 BPF_PSEUDO_MAP_FD), each once: header address and map type. */
export function mapRefs(prog: readonly Insn[], view: DataView): Map<number, number> {
  const out = new Map<number, number>();
  for (const ins of prog) {
    if (ins.code !== OP_LDDW || ins.src !== PseudoLd.MAP_FD || ins.imm64 === undefined) continue;
    const addr = Number(BigInt.asUintN(32, ins.imm64));
    if (addr < ARENA_BASE || addr + MAP_HDR.SIZE > view.byteLength || out.has(addr)) continue;
    out.set(addr, view.getUint32(addr + MAP_HDR.TYPE, true));
  }
  return out;
}

/**
 * The array maps a program refers to (ld_imm64 BPF_PSEUDO_MAP_FD), read from their headers in memory:
 * their lookups and updates are inlined, and so are a prog_array's slot reads for tail calls. The
 * layouts are the fast path's (assembly/maps/array.ts, fd_array.ts: u32 slots, 0xffffffff empty).
 */
export function arrayMapsOf(prog: readonly Insn[], mem: EngineMemory, fp: FastPath): Map<number, InlineArray> {
  const out = new Map<number, InlineArray>();
  const view = mem.view();
  // Header fields of the fast path's array maps (assembly/maps/array.ts, percpu.ts).
  const ARRAY_STRIDE = fp.global('MAPS_ARRAY_STRIDE');
  const PERCPU_NCPUS = fp.global('MAPS_PERCPU_NCPUS');
  for (const [addr, type] of mapRefs(prog, view)) {
    const maxEntries = view.getUint32(addr + MAP_HDR.MAX_ENTRIES, true);
    const valueSize = view.getUint32(addr + MAP_HDR.VALUE_SIZE, true);
    const data = view.getUint32(addr + MAP_HDR.DATA, true);
    if (type === BPF_MAP_TYPE_PROG_ARRAY) out.set(addr, { maxEntries, valueSize, data, stride: 4, progArray: true });
    // array_of_maps (assembly/maps/map_in_map.ts): u32 inner map addresses, 0 in an empty slot
    if (type === BPF_MAP_TYPE_ARRAY_OF_MAPS) out.set(addr, { maxEntries, valueSize: 4, data, stride: 4, ofMaps: true });
    if (type !== BPF_MAP_TYPE_ARRAY && type !== BPF_MAP_TYPE_PERCPU_ARRAY) continue;
    const stride = view.getUint32(addr + ARRAY_STRIDE, true);
    const cpuStride = percpuStride(valueSize, maxEntries);
    const ncpus = view.getUint32(addr + PERCPU_NCPUS, true);
    const specialFields = view.getUint32(addr + MAP_HDR.SPIN_LOCK, true) !== 0 || view.getUint32(addr + MAP_HDR.TIMER, true) !== 0;
    out.set(addr, { maxEntries, valueSize, data, stride, ...(type === BPF_MAP_TYPE_PERCPU_ARRAY ? { percpu: { cpuStride, ncpus } } : {}), ...(specialFields ? { specialFields } : {}) });
  }
  return out;
}
