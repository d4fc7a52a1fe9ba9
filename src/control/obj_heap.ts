// The heap bpf_obj_new allocates from (helpers/obj_kfuncs.ts): one per Datapath memory, the storage of
// an internal array map made on the first load of a program that allocates, and the lowering of each
// bpf_obj_new call to the helper of its object's size (the kernel's fixup_kfunc_call puts the size in r1).

import type { HelperTable } from '../helpers/index.js';
import { HEAP_CHUNK, hasObjHeap, OBJ_LOWERED_MIN, OBJ_NEW_SIZED, objLoweredHelper, objNewSized, setObjHeap } from '../helpers/obj_kfuncs.js';
import type { Insn } from '../isa/insn.js';
import { createMap, Errno, MapError } from '../maps/index.js';
import { MapType } from '../maps/uapi.js';
import type { EngineMemory } from '../runtime/memory.js';
import type { FastPath } from '../runtime/fastpath.js';
import type { ProgramSpec } from '../elf/spec.js';

/** Helpers that reach allocated objects: bpf_per_cpu_ptr, bpf_this_cpu_ptr, bpf_kptr_xchg. */
const OBJ_HELPERS = new Set([153, 154, 194]);

/**
 * Whether the program calls the allocated-object or graph kfuncs (bpf_obj_*, bpf_percpu_obj_*, bpf_list_*,
 * bpf_rbtree_*, bpf_refcount_*) or the helpers that reach those objects (a kptr's bpf_kptr_xchg, a per-CPU
 * object's bpf_this_cpu_ptr / bpf_per_cpu_ptr): its checked engines' regions hold the heap, its verdict
 * depends on its BTF's structs.
 */
export function callsObjKfuncs(spec: ProgramSpec): boolean {
  if ((spec.kfuncCalls ?? []).some((c) => /^bpf_(obj|percpu_obj|list|rbtree|refcount)_/.test(c.name))) return true;
  return spec.insns.some((i) => i.code === 0x85 && i.src === 0 && OBJ_HELPERS.has(i.imm));
}

/**
 * The heap of `mem`, made once: its storage internal array maps of HEAP_CHUNK-byte values laid end to
 * end, made as allocations need them — memory grows as tables do, up to the Datapath's memoryLimit
 * (past it bpf_obj_new returns NULL, as the kernel's bpf_mem_alloc does when memory runs out: 6.18.44
 * allocated 4,000,000 objects of 32 bytes in one run here, all it was asked for). `grew` runs after
 * each growth.
 */
export function ensureObjHeap(fp: FastPath, mem: EngineMemory, grew: () => void, mayOpen?: () => boolean): void {
  if (hasObjHeap(mem)) return;
  const more = (want: number, least: number): { start: number; end: number } | undefined => {
    for (let bytes = want; bytes >= least; bytes = bytes > least ? Math.max(least, bytes >>> 1) : 0) {
      let m;
      const chunks = Math.ceil(bytes / HEAP_CHUNK);
      try {
        m = createMap(fp, { name: '.obj_heap', type: MapType.ARRAY, keySize: 4, valueSize: HEAP_CHUNK, maxEntries: chunks });
      } catch (e) {
        if (e instanceof MapError && e.errno === Errno.ENOMEM) continue;
        throw e;
      }
      const start = m.valueAddress(0);
      const contiguous = chunks === 1 || m.valueAddress(1) - start === HEAP_CHUNK;
      return { start, end: start + (contiguous ? chunks : 1) * HEAP_CHUNK };
    }
    return undefined;
  };
  setObjHeap(mem, more, grew, mayOpen);
}

/**
 * Each bpf_obj_new call of the lowered program calls the helper of its object's size; the calls that
 * need a type's offsets (a refcounted type's new, drop and bpf_refcount_acquire, bpf_rbtree_add) the
 * helper id the verifier recorded (a value of OBJ_LOWERED_MIN or more: helpers/obj_kfuncs.ts).
 */
export function lowerObjNew(insns: Insn[], sizes: ReadonlyMap<number, number>, helpers: HelperTable): Insn[] {
  if (sizes.size === 0) return insns;
  return insns.map((ins, pc) => {
    const size = sizes.get(pc);
    if (size === undefined) return ins;
    const id = size < OBJ_LOWERED_MIN ? OBJ_NEW_SIZED + size : size;
    if (!helpers.has(id)) helpers.register(id === OBJ_NEW_SIZED + size ? objNewSized(size) : objLoweredHelper(id));
    return { ...ins, imm: id };
  });
}
