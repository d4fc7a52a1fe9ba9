// Map values holding bpf_list_heads and bpf_rb_roots (src/verifier/local_obj.ts mapGraphRoots): what the syscall side
// does to them, as the kernel's copy_map_value and bpf_obj_free_fields do. An update never writes the
// caller's bytes into a head (it is left empty: the old list's objects are freed — bpf_list_head_free
// pops each node and drops its object); BPF_F_LOCK's in-place copy leaves a hash element's head and its
// list as they are (an array element's is freed after the copy all the same); a delete frees the element's lists' objects; a lookup reads a head's bytes as zero (the kernel's shows an empty head at the address of its
// copy: next = prev = a kernel address).
//
// Reads: the object's BTF (each map's value type), the heads in the value, the nodes' { next, prev, owner }.
// Sets: BpfMap.graphFields of each map whose value has a bpf_list_head.

import type { Btf } from '../elf/btf.js';
import { dropRefcounted, listNodeTake, objFree, rbRootFree } from '../helpers/obj_kfuncs.js';
import type { HelperContext, HelperDef, HelperTable } from '../helpers/index.js';
import type { Insn } from '../isa/insn.js';
import { PseudoCall } from '../isa/opcodes.js';
import type { BpfMap, GraphFields } from '../maps/index.js';
import { MapType } from '../maps/uapi.js';
import { MAP_HDR, RUN, RUN_BASE, type EngineMemory } from '../runtime/memory.js';
import { percpuStride } from '../maps/uapi.js';
import { GRAPH_MAP_DELETE, GRAPH_MAP_UPDATE } from '../runtime/helper_args.js';
import { mapGraphRoots, mapKptrs, refcountOff, valueGraphRoots, valueKptrs, type GraphRoot, type KptrField } from '../verifier/local_obj.js';
import type { ObjectSpec } from '../elf/index.js';
import { mapHasBtf } from './spin_lock_maps.js';

/** The CPU a program runs on now (assembly/maps/percpu.ts currentCpu: RUN_CPU, clamped to the map's CPUs). */
function currentCpu(mem: EngineMemory, ncpus: number): number {
  const cpu = mem.view().getUint32(RUN_BASE + RUN.CPU, true);
  return cpu < ncpus ? cpu : 0;
}

interface SavedHead {
  at: number;
  next: bigint;
  prev: bigint;
  nodeOff: number;
  /** A bpf_rb_root (next: its top node, prev: its leftmost), its type's bpf_refcount offset (-1: none). */
  rb: boolean;
  rc: number;
  /** A kptr field (next: its pointer) of this type, not a head; its index among the value's kptrs. */
  kptr?: KptrField['type'];
  field?: number;
}

/** A map-in-map's inner template's graph roots, by outer map (what a lookup through it finds). */
const innerRoots = new WeakMap<BpfMap, GraphRoot[]>();
/** A map-in-map's inner template's kptr fields, by outer map. */
const innerKptrs = new WeakMap<BpfMap, KptrField[]>();

/** The bpf_list_head / bpf_rb_root fields of `outer`'s inner-map template (none: empty). */
export function innerGraphRoots(outer: BpfMap): readonly GraphRoot[] {
  return innerRoots.get(outer) ?? [];
}

/** The kptr fields of `outer`'s inner-map template (none: empty). */
export function innerMapKptrs(outer: BpfMap): readonly KptrField[] {
  return innerKptrs.get(outer) ?? [];
}

/**
 * A map-in-map's inner template keeps its value's graph roots (bpf_map_meta_alloc copies the btf_record), so a
 * program reaches an inner value's bpf_list_head through the list kfuncs under the value's lock and never by
 * load/store, as an outer map's own value (6.18.44: a push under the inner value's lock taken, 37 processed; a
 * load of the head's bytes 'bpf_list_head cannot be accessed directly by load/store'). Not when the kernel has
 * no BTF for the map (`btf` undefined: the object's BTF refused; a template made again without it).
 * (The runtime frees no inner value's list: graph_maps' lowering covers the object's own maps only.)
 */
export function applyInnerGraphRoots(spec: ObjectSpec, btf: Btf | undefined, maps: ReadonlyMap<string, BpfMap>): void {
  for (const m of spec.maps) {
    const outer = maps.get(m.name);
    if (!m.innerMap || !outer || !btf || !mapHasBtf(outer)) continue;
    // its kptrs likewise (6.18.44: bpf_kptr_xchg and a kptr load through an inner value taken, tests/verifier/mim_kptr)
    const kptrs = m.innerMap.valueTypeId === undefined ? [] : valueKptrs(btf, m.innerMap.valueTypeId);
    if (kptrs.length > 0) innerKptrs.set(outer, kptrs);
    if ((outer.innerFields?.spinLockOff ?? -1) < 0) continue;
    const roots = valueGraphRoots(btf, m.innerMap.valueTypeId);
    if (roots.length > 0) innerRoots.set(outer, roots);
  }
}

export function applyGraphFields(btf: Btf | undefined, maps: ReadonlyMap<string, BpfMap>, mem: EngineMemory): void {
  for (const [name, map] of maps) {
    // a map libbpf made again without BTF (control/spin_lock_maps.ts: an LRU hash's value with its
    // bpf_spin_lock — the lock a list needs — is map_check_btf's EOPNOTSUPP) has no graph fields in the
    // kernel: its heads are plain bytes, its updates plain updates (tests/programs/obj_graph.test.ts,
    // xdp_obj_list_lru against 6.18.44: the program's bytes read back, the LRU left as the kernel's)
    if (!mapHasBtf(map)) continue;
    const roots = mapGraphRoots(btf, name);
    // kptr fields (bpf_kptr_xchg's): saved, restored and cleared as 8 bytes; a referenced kptr's object is
    // dropped when its element is freed (bpf_obj_free_fields: xchg'd out, __bpf_obj_drop_impl — a refcounted
    // object loses one reference), a kptr_untrusted's only cleared
    const kptrs = mapKptrs(btf, name);
    if (roots.length === 0 && kptrs.length === 0) continue;
    const rc = new Map(roots.map((r) => [r, btf ? refcountOff(btf, r.valueId) : -1]));
    const kptrRc = kptrs.map((k) => (btf && k.type === 'kptr' ? refcountOff(btf, k.structId) : -1));
    // a per-CPU map's element is a copy per CPU (CPU c's at CPU 0's + c × the stride): an update from user space
    // writes every copy and a delete frees every one (pcpu_copy_value, check_and_free_fields' for_each_possible_cpu),
    // the program's update only the running CPU's (6.18.44: tests/verifier/kptr57.test.ts)
    const stride = map.isPercpu ? percpuStride(map.valueSize, map.maxEntries) : 0;
    const copies = (v: number, cpus: 'all' | 'running'): number[] => {
      if (!map.isPercpu) return [v];
      if (cpus === 'running') return [v + currentCpu(mem, map.ncpus) * stride];
      return Array.from({ length: map.ncpus }, (_, c) => v + c * stride);
    };
    const saveOne = (v: number): SavedHead[] => [
      ...roots.map((r): SavedHead => ({ at: v + r.off, next: mem.view().getBigUint64(v + r.off, true), prev: mem.view().getBigUint64(v + r.off + 8, true), nodeOff: r.nodeOff, rb: r.type === 'bpf_rb_root', rc: rc.get(r)! })),
      ...kptrs.map((k, i): SavedHead => ({ at: v + k.off, next: mem.view().getBigUint64(v + k.off, true), prev: 0n, nodeOff: -1, rb: false, rc: kptrRc[i]!, kptr: k.type, field: i })),
    ];
    // an LRU map's elements leave the table in the fast path (evicted by an update too): it queues their kptrs'
    // pointers (assembly/maps/lru.ts kptrsTake), drained here after each operation
    const lru = map.type === MapType.LRU_HASH || map.type === MapType.LRU_PERCPU_HASH;
    const record = lru && kptrs.length > 0 ? map.setLruKptrs(kptrs.map((k) => k.off)) : 0;
    const dropKptr = (p: number, i: number): void => {
      const k = kptrs[i];
      // (bpf_obj_free_fields: a kptr_untrusted's pointer is only cleared; a percpu_kptr's object dropped whole)
      if (!k || k.type === 'kptr_untrusted' || p === 0) return;
      const ctx = { mem, pc: -1 };
      if (kptrRc[i]! >= 0) dropRefcounted(ctx, p, kptrRc[i]!);
      else objFree(ctx, p);
    };
    map.graphFields = {
      spans: [...roots.map((r) => [r.off, 16] as const), ...kptrs.map((k) => [k.off, 8] as const)],
      lru,
      percpu: map.isPercpu,
      valueAt: (keyPtr) => map.elemValueAt(keyPtr),
      save: (v, cpus) => copies(v, cpus).flatMap(saveOne),
      drain: () => {
        if (record === 0) return;
        const dv = mem.view();
        const n = dv.getUint32(record, true);
        const len = dv.getUint32(record + 8, true);
        const q = record + 16 + ((n * 4 + 7) & ~7);
        dv.setUint32(record + 8, 0, true);
        for (let j = 0; j < len; j++) dropKptr(mem.view().getUint32(q + 8 * j, true), mem.view().getUint32(q + 8 * j + 4, true));
      },
      restore: (_v, saved) => {
        for (const h of saved as SavedHead[]) {
          mem.view().setBigUint64(h.at, h.next, true);
          if (!h.kptr) mem.view().setBigUint64(h.at + 8, h.prev, true);
        }
      },
      clear: (v0, cpus) => {
        for (const v of copies(v0, cpus)) {
          for (const r of roots) {
            mem.view().setBigUint64(v + r.off, 0n, true);
            mem.view().setBigUint64(v + r.off + 8, 0n, true);
          }
          for (const k of kptrs) mem.view().setBigUint64(v + k.off, 0n, true);
        }
      },
      free: (saved) => {
        // the saved head's chain: from its first node round to the head's address (a zero head: empty)
        const ctx = { mem, pc: -1 };
        for (const h of saved as SavedHead[]) {
          if (h.kptr) {
            dropKptr(Number(BigInt.asUintN(32, h.next)), h.field!);
            continue;
          }
          // bpf_rb_root_free: the tree's nodes in postorder, each object dropped
          if (h.rb) {
            rbRootFree(mem, Number(BigInt.asUintN(32, h.next)), h.at, h.nodeOff, h.rc);
            continue;
          }
          let n = Number(BigInt.asUintN(32, h.next));
          for (let guard = 0; n !== 0 && n !== h.at && guard < 1 << 20; guard++) {
            // (only nodes the list kfuncs linked on this head: a head a program's update wrote is no list)
            if (!listNodeTake(mem, n, h.at)) break;
            const next = Number(BigInt.asUintN(32, mem.view().getBigUint64(n, true)));
            // __bpf_obj_drop_impl: a refcounted object loses one reference (it may live on elsewhere)
            if (h.rc >= 0) dropRefcounted(ctx, n - h.nodeOff, h.rc);
            else objFree(ctx, n - h.nodeOff);
            n = next;
          }
        }
      },
    };
    registerGraphMap(mem, map);
  }
}

// The program's own bpf_map_update_elem / bpf_map_delete_elem of such a value: the kernel's
// array_map_update_elem copies the value but its special fields, then bpf_obj_free_fields the element;
// htab_map_update_elem / htab_map_delete_elem free the replaced or deleted element's fields
// (check_and_free_fields) — the old list's objects are dropped, the value's list is empty after
// (tests/programs/obj_graph.test.ts, xdp_obj_list_recycle against 6.18.44). The fast path's update and
// delete know nothing of graph fields: a program that names a map with list heads has its update and
// delete calls lowered to the helpers below, which wrap the fast path's with graph_maps' save / clear / free.
// (JavaScript helpers: such a program runs on the main thread, workers refuse it as they refuse the
// list kfuncs' programs. Inner maps with list heads are not handled: their values are never freed.)
// The helpers find the element with map_elem_value, which has no side effect (an LRU element is not marked
// referenced). An LRU hash has kptrs at most, never lists (its value cannot hold the lock a list needs: see
// applyGraphFields); its elements' kptrs the fast path queues as they leave the table, evicted too.

/** Helper ids a graph map's update / delete calls are lowered to (checked mode checks them as helpers 2 and 3). */
export { GRAPH_MAP_DELETE, GRAPH_MAP_UPDATE };
const BPF_F_LOCK = 4n;

const graphMaps = new WeakMap<EngineMemory, Map<number, GraphFields>>();

function registerGraphMap(mem: EngineMemory, map: BpfMap): void {
  let m = graphMaps.get(mem);
  if (!m) graphMaps.set(mem, (m = new Map()));
  m.set(map.address, map.graphFields!);
}

function graphMapHelpers(helpers: HelperTable): HelperDef[] {
  const update = helpers.get(2)!.fn;
  const del = helpers.get(3)!.fn;
  const fieldsOf = (ctx: HelperContext, map: bigint): GraphFields | undefined => graphMaps.get(ctx.mem)?.get(Number(BigInt.asUintN(32, map)));
  return [
    {
      id: GRAPH_MAP_UPDATE,
      name: 'map_update_elem',
      fn: (map, key, value, flags, r5, ctx) => {
        const g = fieldsOf(ctx, map);
        if (!g) return update(map, key, value, flags, r5, ctx);
        const keyPtr = Number(BigInt.asUintN(32, key));
        const old = g.valueAt(keyPtr);
        // (an LRU hash's replaced element: the fast path queues its kptrs; a per-CPU one's is copied in place)
        const saved = old && !(g.lru && !g.percpu) ? g.save(old, 'running') : undefined;
        const ret = update(map, key, value, flags, r5, ctx);
        // BPF_F_LOCK on a hash's element: htab_map_update_elem copies into it in place
        // (copy_map_value_locked), its list kept; an array's is freed all the same
        // (array_map_update_elem's bpf_obj_free_fields after either copy) — 6.18.44, programs both
        const inPlace = (flags & BPF_F_LOCK) !== 0n && old !== 0 && ctx.mem.view().getUint32(Number(BigInt.asUintN(32, map)) + MAP_HDR.TYPE, true) !== MapType.ARRAY;
        if (inPlace && BigInt.asIntN(64, ret) >= 0n) {
          g.restore(old, saved);
          return ret;
        }
        if (BigInt.asIntN(64, ret) >= 0n) {
          // the new value's heads and kptrs are not the program's bytes (copy_map_value skips them): empty
          const now = g.valueAt(keyPtr);
          if (now) g.clear(now, 'running');
          // (an LRU element the update's own eviction took: queued by the fast path)
          if (saved !== undefined && !(g.lru && now !== old)) g.free(saved);
        }
        g.drain();
        return ret;
      },
    },
    {
      id: GRAPH_MAP_DELETE,
      name: 'map_delete_elem',
      fn: (map, key, r3, r4, r5, ctx) => {
        const g = fieldsOf(ctx, map);
        if (!g) return del(map, key, r3, r4, r5, ctx);
        const old = g.valueAt(Number(BigInt.asUintN(32, key)));
        const saved = old && !g.lru ? g.save(old, 'all') : undefined;
        const ret = del(map, key, r3, r4, r5, ctx);
        if (BigInt.asIntN(64, ret) >= 0n && saved !== undefined) g.free(saved);
        g.drain();
        return ret;
      },
    },
  ];
}

/**
 * A program naming a map with list heads or kptrs — or an outer map whose inner maps' values have them (the update
 * of a value found through it must not write the program's bytes over a kptr): its bpf_map_update_elem /
 * _delete_elem calls go through graphMapHelpers (which find the fields of each map the call names by its address).
 */
export function lowerGraphMapOps(insns: Insn[], maps: readonly BpfMap[], helpers: HelperTable): Insn[] {
  if (!maps.some((m) => m.graphFields || innerGraphRoots(m).length > 0 || innerMapKptrs(m).length > 0)) return insns;
  if (!insns.some((i) => i.code === 0x85 && i.src === PseudoCall.HELPER && (i.imm === 2 || i.imm === 3))) return insns;
  if (!helpers.has(GRAPH_MAP_UPDATE)) for (const d of graphMapHelpers(helpers)) helpers.register(d);
  return insns.map((i) => (i.code === 0x85 && i.src === PseudoCall.HELPER && (i.imm === 2 || i.imm === 3) ? { ...i, imm: i.imm === 2 ? GRAPH_MAP_UPDATE : GRAPH_MAP_DELETE } : i));
}
