// Map values holding bpf_list_heads (src/verifier/local_obj.ts mapGraphRoots): what the syscall side
// does to them, as the kernel's copy_map_value and bpf_obj_free_fields do. An update never writes the
// caller's bytes into a head (it is left empty: the old list's objects are freed — bpf_list_head_free
// pops each node and drops its object); BPF_F_LOCK's in-place copy leaves the head and its list as
// they are; a delete frees the element's lists' objects; a lookup reads a head's bytes as zero (the kernel's shows an empty head at the address of its
// copy: next = prev = a kernel address).
//
// Reads: the object's BTF (each map's value type), the heads in the value, the nodes' { next, prev, owner }.
// Sets: BpfMap.graphFields of each map whose value has a bpf_list_head.

import type { Btf } from '../elf/btf.js';
import { listNodeTake, objFree } from '../helpers/obj_kfuncs.js';
import type { BpfMap } from '../maps/index.js';
import type { EngineMemory } from '../runtime/memory.js';
import { mapGraphRoots } from '../verifier/local_obj.js';

interface SavedHead {
  at: number;
  next: bigint;
  prev: bigint;
  nodeOff: number;
}

export function applyGraphFields(btf: Btf | undefined, maps: ReadonlyMap<string, BpfMap>, mem: EngineMemory): void {
  for (const [name, map] of maps) {
    const roots = mapGraphRoots(btf, name).filter((r) => r.type === 'bpf_list_head');
    if (roots.length === 0) continue;
    map.graphFields = {
      spans: roots.map((r) => [r.off, 16] as const),
      save: (v) => roots.map((r): SavedHead => ({ at: v + r.off, next: mem.view().getBigUint64(v + r.off, true), prev: mem.view().getBigUint64(v + r.off + 8, true), nodeOff: r.nodeOff })),
      restore: (_v, saved) => {
        for (const h of saved as SavedHead[]) {
          mem.view().setBigUint64(h.at, h.next, true);
          mem.view().setBigUint64(h.at + 8, h.prev, true);
        }
      },
      clear: (v) => {
        for (const r of roots) {
          mem.view().setBigUint64(v + r.off, 0n, true);
          mem.view().setBigUint64(v + r.off + 8, 0n, true);
        }
      },
      free: (saved) => {
        // the saved head's chain: from its first node round to the head's address (a zero head: empty)
        const ctx = { mem, pc: -1 };
        for (const h of saved as SavedHead[]) {
          let n = Number(BigInt.asUintN(32, h.next));
          for (let guard = 0; n !== 0 && n !== h.at && guard < 1 << 20; guard++) {
            // (only nodes the list kfuncs linked on this head: a head a program's update wrote is no list)
            if (!listNodeTake(mem, n, h.at)) break;
            const next = Number(BigInt.asUintN(32, mem.view().getBigUint64(n, true)));
            objFree(ctx, n - h.nodeOff);
            n = next;
          }
        }
      },
    };
  }
}
