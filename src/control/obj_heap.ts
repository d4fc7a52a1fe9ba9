// The heap bpf_obj_new allocates from (helpers/obj_kfuncs.ts): one per Datapath memory, the storage of
// an internal array map made on the first load of a program that allocates, and the lowering of each
// bpf_obj_new call to the helper of its object's size (the kernel's fixup_kfunc_call puts the size in r1).

import type { HelperTable } from '../helpers/index.js';
import { HEAP_CHUNK, HEAP_CHUNKS, hasObjHeap, OBJ_NEW_SIZED, objNewSized, setObjHeap } from '../helpers/obj_kfuncs.js';
import type { Insn } from '../isa/insn.js';
import { createMap } from '../maps/index.js';
import { MapType } from '../maps/uapi.js';
import type { EngineMemory } from '../runtime/memory.js';
import type { FastPath } from '../runtime/fastpath.js';
import type { ProgramSpec } from '../elf/spec.js';

/** Whether the program calls the allocated-object or graph kfuncs (bpf_obj_*, bpf_list_*, bpf_rbtree_*, bpf_refcount_*). */
export function callsObjKfuncs(spec: ProgramSpec): boolean {
  return (spec.kfuncCalls ?? []).some((c) => /^bpf_(obj|list|rbtree|refcount)_/.test(c.name));
}

/** The heap of `mem`, made once: HEAP_CHUNKS values of HEAP_CHUNK bytes, laid end to end. */
export function ensureObjHeap(fp: FastPath, mem: EngineMemory): void {
  if (hasObjHeap(mem)) return;
  const m = createMap(fp, { name: '.obj_heap', type: MapType.ARRAY, keySize: 4, valueSize: HEAP_CHUNK, maxEntries: HEAP_CHUNKS });
  const base = m.valueAddress(0);
  const contiguous = m.valueAddress(1) - base === HEAP_CHUNK;
  setObjHeap(mem, base, contiguous ? HEAP_CHUNK * HEAP_CHUNKS : HEAP_CHUNK);
}

/** Each bpf_obj_new call of the lowered program calls the helper of its object's size. */
export function lowerObjNew(insns: Insn[], sizes: ReadonlyMap<number, number>, helpers: HelperTable): Insn[] {
  if (sizes.size === 0) return insns;
  return insns.map((ins, pc) => {
    const size = sizes.get(pc);
    if (size === undefined) return ins;
    if (!helpers.has(OBJ_NEW_SIZED + size)) helpers.register(objNewSized(size));
    return { ...ins, imm: OBJ_NEW_SIZED + size };
  });
}
