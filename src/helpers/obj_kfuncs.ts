// BPF's allocated objects and the graph collections built of them (kernel/bpf/helpers.c), as an XDP
// program calls them on Linux 6.18:
//
//  [100] bpf_obj_new_impl(u64 local_type_id__k, void *meta__ign) → void *   KF_ACQUIRE | KF_RET_NULL
//  [101] bpf_obj_drop_impl(void *p__alloc, void *meta__ign)                  KF_RELEASE
//  [104] bpf_list_push_front_impl(struct bpf_list_head *head, struct bpf_list_node *node,
//            void *meta__ign, u64 off)  → int                              KF_RELEASE (the node's reference)
//  [105] bpf_list_push_back_impl(same) → int
//  [106] bpf_list_pop_front(struct bpf_list_head *head) → struct bpf_list_node *   KF_ACQUIRE | KF_RET_NULL
//  [107] bpf_list_pop_back(same)
//  [108] bpf_list_front(struct bpf_list_head *head) → struct bpf_list_node *       KF_RET_NULL (non-owning)
//  [109] bpf_list_back(same)
//  [102] bpf_refcount_acquire_impl(void *p__refcounted_kptr, void *meta__ign) → void *   KF_ACQUIRE | KF_RET_NULL | KF_RCU
//  [110] bpf_rbtree_add_impl(struct bpf_rb_root *root, struct bpf_rb_node *node,
//            bool (less)(struct bpf_rb_node *a, const struct bpf_rb_node *b), void *meta__ign, u64 off) → int
//  [111] bpf_rbtree_remove(root, node) → struct bpf_rb_node *                      KF_ACQUIRE | KF_RET_NULL
//  [112] bpf_rbtree_first(root), [113] bpf_rbtree_root(root) → struct bpf_rb_node *  KF_RET_NULL (non-owning)
//  [114] bpf_rbtree_left(root, node), [115] bpf_rbtree_right(root, node)           KF_RET_NULL (non-owning)
// The list and rbtree kfuncs are callable under the bpf_spin_lock that guards the head (and only so: the verifier).
//
// A list is the kernel's: a circular doubly linked list_head in the head's 16 bytes (all zero: not
// yet initialised, empty), each node's 24 bytes { next, prev, owner } (owner: the head it is on),
// addresses as u64. push links the node in (-EINVAL for a node already on a list: the kernel drops it),
// pop unlinks the first or last and hands it back, front / back peek.
//
//   head: [ next | prev ]      node: [ next | prev | owner ]
//
// bpf_obj_new's argument is a type id of the program's own BTF (a struct; CO-RE TYPE_ID_LOCAL): the
// verifier types r0 as that struct (src/verifier/local_obj.ts) and, as the kernel's fixup_kfunc_call
// puts the struct's size in r1, the loader lowers each call to the helper of that size
// (OBJ_NEW_SIZED + size, registered on first use): the engines allocate `size` zeroed bytes.
//
// The heap: one per engine memory, spans of internal array maps' storage (the Datapath makes the heap on
// the first load of a program that allocates, its storage as allocations need it: HEAP_FIRST, then three
// times what it holds each time, up to the memory limit), carved as bpf_mem_alloc carves
// its caches: an 8-byte header (the size class: the kernel's llist_node) before each object, the
// classes of bpf_mem_alloc's sizes[] (16 … 4096 bytes, header included), each class's objects in pages
// of HEAP_CHUNK bytes (a slab), freed objects kept on their page and handed out again (a page with a free
// one first); a page whose objects are all free goes back to the heap for any class, as the kernel's
// freed objects go back to the slab. When the memory limit leaves no room an allocation fails: NULL, as
// bpf_mem_alloc's can.
//
//   heap: [ page: cls 32 | hdr obj | hdr obj … ][ page: cls 128 | … ][ free page ] … bump →   (page table, free lists: JS)

// kptrs (a map value's `__kptr` / `__kptr_untrusted` / `__percpu_kptr` field of a local struct): bpf_kptr_xchg
// is helpers/index.ts's exchange, the verifier's rules are src/verifier/verifier.ts's (mapKptrAccess,
// KPTR_XCHG_DEST), an element's objects are dropped when it is updated or deleted (control/graph_maps.ts).
// A per-CPU object (bpf_percpu_obj_new) is one copy of its struct per Datapath CPU, laid end to end;
// bpf_this_cpu_ptr (CPU 0: these programs run on the main thread) and bpf_per_cpu_ptr are lowered to helpers of
// the struct's size (PERCPU_PTR). Its copies share one heap object: more than 4088 bytes in all (512 × 8 CPUs)
// is NULL in wxdp, where the kernel's per-CPU allocator gives it.
// An allocated object's own __kptr (bpf_kptr_xchg into it: the call lowered to KPTR_XCHG_OBJ, which records the
// field in ObjHeap.nested) is dropped with the object (objFree: bpf_obj_free_fields). A kptr to a struct whose
// name vmlinux has is the kernel's type (elf/vmlinux_structs.ts: its BTF refused without a destructor kfunc).
// A bpf_list_head / bpf_rb_root inside an allocated object (under the object's own bpf_spin_lock) is noted by the
// push or add that reaches it (ObjHeap.roots), and dropping the object drops what it holds (objFree:
// bpf_obj_free_fields' bpf_list_head_free / bpf_rb_root_free; tests/programs/obj_box.test.ts).
// Not yet (each refused as a kfunc wxdp lacks): heads and roots in global data (`.bss.A` sections: this machine's libbpf 1.1 cannot load those, so nothing to compare
// with); map types the kernel refuses a graph field in (map_check_btf's EOPNOTSUPP, then libbpf's retry
// without BTF); a direct load of an allocated object's kptr.
// The verifier does not carry MEM_RCU on a refcounted type's non-owning pointers (the kernel's log shows
// `rcu_ptr_node(non_own_ref,off=8)`): it changes what bpf_rcu_read_unlock does to them, no verdict of
// the corpus. The rbtree's run time (less() called from bpf_rbtree_add in both engines, lib/rbtree.c's
// shapes) is checked against 6.18.44 by tests/programs/obj_graph.test.ts (xdp_obj_rbtree*).

import { RuntimeFault } from '../errors.js';
import { RUN, RUN_BASE, type EngineMemory } from '../runtime/memory.js';
import type { HelperContext, HelperDef } from './index.js';
import type { KfuncDef } from './kfuncs.js';

/** bpf_mem_alloc's unit sizes (kernel/bpf/memalloc.c sizes[]); an object's class fits size + the 8-byte header. */
const SIZE_CLASSES = [16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096] as const;
const HDR = 8;
export const HEAP_CHUNK = 4096;
/** The heap's first storage; each time it is spent, three times what it holds (memory as tables grow). */
export const HEAP_FIRST = 64 * 1024;
/**
 * Separate spans at most (storage that lies right after the last span extends it instead; each span is
 * a map's storage, its header before it, so rarely): 64 KiB × 4^7 = 1 GiB in 8. Each is a region of a
 * checked program (the JIT's 16 slots).
 */
export const HEAP_SPANS = 8;

/** Helper ids bpf_obj_new_impl calls are lowered to: OBJ_NEW_SIZED + the object's size. */
export const OBJ_NEW_SIZED = 0x180000;
/** The largest object bpf_obj_new allocates (a class of 4096 bytes, header included). */
export const OBJ_MAX_SIZE = 4096 - HDR;

/** One span of the heap: the storage of one internal array map (a checked program's region, mutated in place as it grows). */
export interface HeapSpan {
  name: string;
  start: number;
  end: number;
  writable: true;
}

export interface ObjHeap {
  /**
   * HEAP_SPANS regions, made once (a checked program's region list holds these objects, and its checks
   * read them at each access: a span grown during a run is seen at once); those past `used` are empty.
   */
  spans: HeapSpan[];
  used: number;
  /** Objects allocated and not freed. */
  live: number;
  /**
   * The storage is handed to the size classes a HEAP_CHUNK page at a time (a slab: each page one class's objects);
   * a page whose objects are all free again goes back to `pages`, for any class (rv55: free objects stayed their
   * class's, so at the memory limit a 128-byte bpf_obj_new was NULL with megabytes of freed 32-byte ones — 0
   * objects where a fresh heap gave 6080).
   */
  pages: number[];
  /** Per page in use: its class, its objects live, its free objects (last freed last). */
  page: Map<number, { cls: number; live: number; free: number[] }>;
  /** Per class: the pages with a free object, and the page it carves next (its next object's address, its end). */
  partial: Map<number, Set<number>>;
  carve: Map<number, { page: number; at: number }>;
  /** Every span in use and the storage `more` gave not after the last: no more growing. */
  full: boolean;
  bump: number;
  end: number;
  /** More storage, contiguous: `want` bytes, or as much as the memory limit leaves down to `least`; undefined below that. */
  more: (want: number, least: number) => { start: number; end: number } | undefined;
  /** Called after the heap grew (the Datapath rebinds its checked programs' JIT region slots). */
  grew: () => void;
  /**
   * Whether a span more may open: each span in use is a region slot of every checked JIT'd program calling the
   * object kfuncs (REGION_SLOTS of them), and a growth during a run must not leave one with more than it checks —
   * where none is left the allocation fails (NULL), as at the memory limit, instead of a throw out of the run.
   */
  mayOpen: () => boolean;
  /**
   * The nodes on some list (their addresses): a head's bytes a program's own bpf_map_update_elem wrote
   * (the fast path's copy does not skip list heads yet, where the kernel's copy_map_value does) must
   * never lead the list kfuncs to memory that is no linked node — a head naming any other address is
   * taken as empty.
   */
  linked: Set<number>;
  /** The kptr fields of allocated objects that hold an object (bpf_kptr_xchg into one): field address → the pointee's refcount offset (-1: none). */
  nested: Map<number, number>;
  /**
   * The bpf_list_heads and bpf_rb_roots of allocated objects that a push or add reached: root address → what it
   * holds (its node's offset, the contained type's refcount offset, -1: none), so that dropping the object drops
   * what is on them (bpf_obj_free_fields: bpf_list_head_free, bpf_rb_root_free).
   */
  roots: Map<number, { rb: boolean; nodeOff: number; rc: number }>;
}

const heaps = new WeakMap<EngineMemory, ObjHeap>();

/**
 * The heap of `mem`: made once per memory by the Datapath, empty; `more` hands it storage as
 * allocations need it (the first HEAP_FIRST bytes, then three times what the heap has each time).
 */
export function setObjHeap(mem: EngineMemory, more: ObjHeap['more'], grew: ObjHeap['grew'], mayOpen: ObjHeap['mayOpen'] = () => true): void {
  if (heaps.has(mem)) return;
  const spans = Array.from({ length: HEAP_SPANS }, (): HeapSpan => ({ name: 'obj heap', start: 0, end: 0, writable: true }));
  heaps.set(mem, { spans, used: 0, live: 0, pages: [], page: new Map(), partial: new Map(), carve: new Map(), full: false, bump: 0, end: 0, more, grew, mayOpen, linked: new Set(), nested: new Map(), roots: new Map() });
}
export const hasObjHeap = (mem: EngineMemory): boolean => heaps.has(mem);
/** The spans of `mem`'s heap, once made: what a checked program's objects live in (the same objects each time). */
export function objHeapSpans(mem: EngineMemory): readonly HeapSpan[] | undefined {
  return heaps.get(mem)?.spans;
}
/** Objects allocated and not freed (a test's view of the heap). */
export function objHeapLive(mem: EngineMemory): number {
  return heaps.get(mem)?.live ?? 0;
}

function heapOf(ctx: HelperContext): ObjHeap {
  const h = heaps.get(ctx.mem);
  if (!h) throw new RuntimeFault('RUN_HELPER', 'bpf_obj_new needs the heap of a Datapath (load the program into one)', ctx.pc);
  return h;
}

/**
 * The heap's storage grown by at least `cls` bytes: the storage after the last span extends it when
 * it lies right behind it, else it opens the next span (none left, or the memory limit reached: false).
 * The tail of the old span left behind is unused (at most one object's class).
 */
function grow(h: ObjHeap, cls: number): boolean {
  if (h.full) return false;
  const have = h.spans.slice(0, h.used).reduce((n, sp) => n + sp.end - sp.start, 0);
  const got = h.more(Math.max(HEAP_FIRST, 3 * have, cls), Math.max(HEAP_FIRST, cls));
  if (!got) return false;
  const last = h.spans[h.used - 1];
  if (last && got.start === last.end) last.end = got.end;
  else {
    if (h.used === HEAP_SPANS || !h.mayOpen()) {
      // (that storage stays the heap's, unused: asking again at every failing allocation would take more)
      h.full = true;
      return false;
    }
    const sp = h.spans[h.used++]!;
    sp.start = got.start;
    sp.end = got.end;
    h.bump = got.start;
  }
  h.end = got.end;
  h.grew();
  return true;
}

/** A page (HEAP_CHUNK bytes) for class `cls`: one all of whose objects were freed, else the next of the storage. */
function pageFor(h: ObjHeap, cls: number): number | undefined {
  let page = h.pages.pop();
  if (page === undefined) {
    if (h.bump + HEAP_CHUNK > h.end && !grow(h, HEAP_CHUNK)) return undefined;
    page = h.bump;
    h.bump += HEAP_CHUNK;
  }
  h.page.set(page, { cls, live: 0, free: [] });
  h.carve.set(cls, { page, at: page });
  return page;
}

/** An object of class `cls`: a free one of a page of the class, else carved from the class's page (a new one when spent). */
function slabAlloc(h: ObjHeap, cls: number): number | undefined {
  const partial = h.partial.get(cls);
  if (partial && partial.size > 0) {
    const page = partial.values().next().value as number;
    const pg = h.page.get(page)!;
    const at = pg.free.pop()!;
    if (pg.free.length === 0) partial.delete(page);
    pg.live++;
    return at;
  }
  let c = h.carve.get(cls);
  if (!c || c.at + cls > c.page + HEAP_CHUNK) {
    if (pageFor(h, cls) === undefined) return undefined;
    c = h.carve.get(cls)!;
  }
  const at = c.at;
  c.at += cls;
  h.page.get(c.page)!.live++;
  return at;
}

/** The page of heap address `at` (pages are HEAP_CHUNK-aligned from their span's start), or undefined outside the spans. */
function pageOf(h: ObjHeap, at: number): number | undefined {
  for (let i = 0; i < h.used; i++) {
    const sp = h.spans[i]!;
    if (at >= sp.start && at < sp.end) return sp.start + Math.floor((at - sp.start) / HEAP_CHUNK) * HEAP_CHUNK;
  }
  return undefined;
}

/** bpf_mem_alloc + the zeroing bpf_obj_new's objects get: the object's address, or 0. */
export function objAlloc(ctx: HelperContext, size: number): number {
  const h = heapOf(ctx);
  const cls = SIZE_CLASSES.find((c) => c >= size + HDR);
  if (cls === undefined) return 0;
  const at = slabAlloc(h, cls);
  if (at === undefined) return 0;
  h.live++;
  const v = ctx.mem.view();
  v.setUint32(at, cls, true);
  v.setUint32(at + 4, 0, true);
  new Uint8Array(v.buffer, v.byteOffset + at + HDR, cls - HDR).fill(0);
  return at + HDR;
}

/** bpf_mem_free of an object objAlloc returned: back on its class's free list. */
export function objFree(ctx: HelperContext, p: number): void {
  const h = heapOf(ctx);
  const at = p - HDR;
  const v = ctx.mem.view();
  const page = pageOf(h, at);
  const pg = page === undefined ? undefined : h.page.get(page);
  const cls = pg ? v.getUint32(at, true) : 0;
  if (!pg || cls !== pg.cls || (at - page!) % cls !== 0) throw new RuntimeFault('RUN_HELPER', `bpf_obj_drop: 0x${p.toString(16)} is no allocated object`, ctx.pc, BigInt(p));
  // the object's own kptrs (bpf_kptr_xchg into an allocated object), lists and trees: __bpf_obj_drop_impl's
  // bpf_obj_free_fields, field by field in offset order (what they hold dropped, and what that holds)
  if (h.nested.size > 0 || h.roots.size > 0) {
    for (let f = p; f + 8 <= at + cls; f += 8) {
      const root = h.roots.get(f);
      if (root) {
        h.roots.delete(f);
        if (root.rb) {
          const top = u64At(ctx.mem.view(), f);
          setU64(ctx.mem.view(), f, 0);
          setU64(ctx.mem.view(), f + 8, 0);
          rbRootFree(ctx.mem, top, f, root.nodeOff, root.rc);
        } else listHeadFree(ctx.mem, f, root.nodeOff, root.rc);
        continue;
      }
      const rc = h.nested.get(f);
      if (rc === undefined) continue;
      h.nested.delete(f);
      const q = Number(BigInt.asUintN(32, ctx.mem.view().getBigUint64(f, true)));
      if (q === 0) continue;
      if (rc >= 0) dropRefcounted(ctx, q, rc);
      else objFree(ctx, q);
    }
  }
  h.live--;
  pg.live--;
  if (pg.live > 0) {
    pg.free.push(at);
    let partial = h.partial.get(cls);
    if (!partial) h.partial.set(cls, (partial = new Set()));
    partial.add(page!);
    return;
  }
  // the page's last object: the page is free for any class again
  h.partial.get(cls)?.delete(page!);
  h.page.delete(page!);
  if (h.carve.get(cls)?.page === page) h.carve.delete(cls);
  h.pages.push(page!);
}

/** The helper an obj_new call of a `size`-byte struct is lowered to. */
export function objNewSized(size: number): HelperDef {
  return { id: OBJ_NEW_SIZED + size, name: `bpf_obj_new_impl(${size})`, fn: (_r1, _r2, _r3, _r4, _r5, ctx) => BigInt(objAlloc(ctx, size)) };
}

const u64At = (v: DataView, at: number): number => Number(BigInt.asUintN(32, v.getBigUint64(at, true)));
const setU64 = (v: DataView, at: number, x: number): void => v.setBigUint64(at, BigInt(x), true);
const addr = (x: bigint): number => Number(BigInt.asUintN(32, x));

/**
 * Whether the head at `head` is one the list kfuncs made: empty (zero, or pointing at itself both ways)
 * or with its first and last nodes linked nodes that name it as their owner.
 */
function headSound(h: ObjHeap | undefined, v: DataView, head: number): boolean {
  const first = u64At(v, head);
  const last = u64At(v, head + 8);
  if (first === 0 && last === 0) return true;
  if (first === head && last === head) return true;
  const on = (n: number): boolean => h !== undefined && h.linked.has(n) && u64At(v, n + 16) === head;
  return on(first) && on(last);
}

/** The head at `head` as the list kfuncs may follow it: one not headSound is emptied first. */
function soundHead(ctx: HelperContext, head: number): DataView {
  const v = ctx.mem.view();
  if (!headSound(heaps.get(ctx.mem), v, head)) {
    setU64(v, head, 0);
    setU64(v, head + 8, 0);
  }
  return v;
}

/**
 * bpf_list_head_free's walk (control/graph_maps.ts): whether `n` is a linked node of the head at `head`
 * (one the list kfuncs linked there); it is unlinked from wxdp's set, its object is the caller's to free.
 */
export function listNodeTake(mem: EngineMemory, n: number, head: number): boolean {
  const h = heaps.get(mem);
  if (!h || !h.linked.has(n) || u64At(mem.view(), n + 16) !== head) return false;
  h.linked.delete(n);
  return true;
}

/**
 * bpf_list_head_free: the list on the head at `head` (a head the list kfuncs keep: headSound), its nodes from the
 * first, each node's object dropped (a refcounted one loses a reference: `rc` its count's offset, -1 none) after
 * the next node is read; the head left empty. Only nodes the list kfuncs linked on this head are followed.
 */
export function listHeadFree(mem: EngineMemory, head: number, nodeOff: number, rc: number): void {
  const ctx = { mem, pc: -1 };
  let n = u64At(mem.view(), head);
  setU64(mem.view(), head, 0);
  setU64(mem.view(), head + 8, 0);
  for (let guard = 0; n !== 0 && n !== head && guard < 1 << 20; guard++) {
    if (!listNodeTake(mem, n, head)) break;
    const next = u64At(mem.view(), n);
    if (rc >= 0) dropRefcounted(ctx, n - nodeOff, rc);
    else objFree(ctx, n - nodeOff);
    n = next;
  }
}

/** A root at `root` inside an allocated object (a heap page's): recorded for its object's drop (ObjHeap.roots). */
function noteRoot(h: ObjHeap, root: number, rb: boolean, nodeOff: number, rc: number): void {
  if (pageOf(h, root) !== undefined) h.roots.set(root, { rb, nodeOff, rc });
}

/** __bpf_list_add: link `node` after the head (front) or before it (back). */
function listAdd(ctx: HelperContext, head: number, node: number, tail: boolean, drop?: { nodeOff: number; rc: number }): bigint {
  const v = soundHead(ctx, head);
  if (drop) noteRoot(heapOf(ctx), head, false, drop.nodeOff, drop.rc);
  if (u64At(v, head) === 0) {
    setU64(v, head, head);
    setU64(v, head + 8, head);
  }
  // a node on a list already (only reachable through bpf_refcount_acquire: the push of a refcounted
  // type is lowered with its offsets, `drop`): -EINVAL, that reference dropped (__bpf_list_add)
  if (u64At(v, node + 16) !== 0 || (u64At(v, node) !== 0 && u64At(v, node) !== node)) {
    if (drop && drop.rc >= 0) dropRefcounted(ctx, node - drop.nodeOff, drop.rc);
    return BigInt.asUintN(64, -22n);
  }
  const prev = tail ? u64At(v, head + 8) : head;
  const next = tail ? head : u64At(v, head);
  setU64(v, node, next);
  setU64(v, node + 8, prev);
  setU64(v, prev, node);
  setU64(v, next + 8, node);
  setU64(v, node + 16, head);
  heapOf(ctx).linked.add(node);
  return 0n;
}

/** __bpf_list_del: unlink the first (or last) node and return it, NULL when empty. */
function listDel(ctx: HelperContext, head: number, tail: boolean): bigint {
  const v = soundHead(ctx, head);
  const first = u64At(v, head);
  if (first === 0 || first === head) return 0n;
  const n = tail ? u64At(v, head + 8) : first;
  if (u64At(v, n + 16) !== head) return 0n;
  const next = u64At(v, n);
  const prev = u64At(v, n + 8);
  setU64(v, prev, next);
  setU64(v, next + 8, prev);
  // list_del_init: the node points at itself; no owner
  setU64(v, n, n);
  setU64(v, n + 8, n);
  setU64(v, n + 16, 0);
  heapOf(ctx).linked.delete(n);
  return BigInt(n);
}

/** bpf_list_front / _back: the first (last) node, NULL when empty. */
function listPeek(ctx: HelperContext, head: number, tail: boolean): bigint {
  const v = soundHead(ctx, head);
  const first = u64At(v, head);
  if (first === 0 || first === head) return 0n;
  return BigInt(tail ? u64At(v, head + 8) : first);
}

const S = { kind: 'scalar' } as const;
const IGN = { kind: 'ign' } as const;

export const OBJ_KFUNCS: KfuncDef[] = [
  {
    name: 'bpf_obj_new_impl',
    btfId: 100,
    args: [S, IGN],
    devBound: false,
    graph: 'obj_new',
    // the lowered call is OBJ_NEW_SIZED + size's (objNewSized); this one is never called
    fn: (_r1, _r2, _r3, _r4, _r5, ctx) => {
      throw new RuntimeFault('RUN_HELPER', 'bpf_obj_new_impl: the call was not lowered to its size', ctx.pc);
    },
  },
  {
    name: 'bpf_obj_drop_impl',
    btfId: 101,
    args: [{ kind: 'ign' }, IGN],
    devBound: false,
    graph: 'obj_drop',
    ret: 'void',
    fn: (p, _r2, _r3, _r4, _r5, ctx) => {
      objFree(ctx, Number(BigInt.asUintN(32, p)));
      return 0n;
    },
  },
  {
    name: 'bpf_percpu_obj_new_impl',
    btfId: 116,
    args: [S, IGN],
    devBound: false,
    graph: 'percpu_obj_new',
    // lowered to PERCPU_NEW + size (objLoweredHelper)
    fn: (_r1, _r2, _r3, _r4, _r5, ctx) => {
      throw new RuntimeFault('RUN_HELPER', 'bpf_percpu_obj_new_impl: the call was not lowered to its size', ctx.pc);
    },
  },
  {
    name: 'bpf_percpu_obj_drop_impl',
    btfId: 117,
    args: [{ kind: 'ign' }, IGN],
    devBound: false,
    graph: 'percpu_obj_drop',
    ret: 'void',
    fn: (p, _r2, _r3, _r4, _r5, ctx) => {
      objFree(ctx, Number(BigInt.asUintN(32, p)));
      return 0n;
    },
  },
  ...(['front', 'back'] as const).flatMap((end, i): KfuncDef[] => [
    {
      name: `bpf_list_push_${end}_impl`,
      btfId: 104 + i,
      args: [IGN, IGN, IGN, IGN],
      devBound: false,
      graph: 'list_push',
      spinAllowed: true,
      fn: (h, n, _r3, _r4, _r5, ctx) => listAdd(ctx, addr(h), addr(n), end === 'back'),
    },
    { name: `bpf_list_pop_${end}`, btfId: 106 + i, args: [IGN], devBound: false, graph: 'list_pop', spinAllowed: true, fn: (h, _r2, _r3, _r4, _r5, ctx) => listDel(ctx, addr(h), end === 'back') },
    { name: `bpf_list_${end}`, btfId: 108 + i, args: [IGN], devBound: false, graph: 'list_peek', spinAllowed: true, fn: (h, _r2, _r3, _r4, _r5, ctx) => listPeek(ctx, addr(h), end === 'back') },
  ]),
];

const OBJ_DROP_RC_BASE = 0x1a0000;

/** The CPUs a per-CPU object has a copy for: the Datapath's (what its percpu maps hold values for). */
function percpuCount(ctx: HelperContext): number {
  return Math.max(1, ctx.mem.view().getUint32(RUN_BASE + RUN.NCPUS, true));
}

// ---- bpf_rbtree and bpf_refcount (kernel/bpf/helpers.c, lib/rbtree.c) ----
//
// A tree is the kernel's rb_root_cached in the root's 16 bytes { rb_node, rb_leftmost } (zero: empty),
// each node's 32 bytes bpf_rb_node_kern { __rb_parent_color, rb_right, rb_left, owner } (owner: the root
// it is in), addresses as u64; lib/rbtree.c's insert and erase, step for step, so the tree's shape —
// what the less() calls see, what bpf_rbtree_root / _left / _right show — is the kernel's.
// bpf_rbtree_add walks down calling the program's less(node, parent) (ctx.callback: the engine runs the
// callback in a frame below the caller's, as bpf_loop's), links the node and rebalances.
// A refcounted object (a struct bpf_refcount in its type) holds its count (refcount_t) there:
// bpf_obj_new sets 1, bpf_refcount_acquire adds one (NULL when it was 0), bpf_obj_drop takes one and
// frees at 0. The calls that need the type's offsets are lowered to helpers of those offsets, as
// bpf_obj_new to its size (the kernel's fixup_kfunc_call passes the struct's btf_struct_meta).

/** The verifier's record of a call (VerifierFacts.objNewSizes): below this an object size, else the helper id. */
export const OBJ_LOWERED_MIN = OBJ_DROP_RC_BASE;
/** bpf_obj_new of a refcounted type: OBJ_NEW_RC + refcount offset × 4096 + size. */
export const OBJ_NEW_RC = 0x1000000;
/** bpf_obj_drop of a refcounted type: OBJ_DROP_RC + refcount offset. */
export const OBJ_DROP_RC = OBJ_DROP_RC_BASE;
/** bpf_refcount_acquire: REFCOUNT_ACQUIRE + refcount offset. */
export const REFCOUNT_ACQUIRE = 0x1b0000;
/** bpf_rbtree_add: RBTREE_ADD + (refcount offset + 1, 0 for none) × 4096 + the node's offset in its struct. */
export const RBTREE_ADD = 0x2000000;
export const isRbtreeAdd = (id: number): boolean => id >= RBTREE_ADD && id < RBTREE_ADD * 2;
/** bpf_percpu_obj_new: PERCPU_NEW + the struct's size (a copy per CPU, laid end to end). */
export const PERCPU_NEW = 0x1c0000;
/** bpf_per_cpu_ptr / bpf_this_cpu_ptr of a per-CPU object: PERCPU_PTR + helper id × 4096 + the struct's size. */
export const PERCPU_PTR = 0x1d0000;
/**
 * bpf_list_push_front (back: + 0x1000000): LIST_PUSH + (the contained type's refcount offset + 1, 0 for none) × 4096 +
 * the node's offset — a refcounted node's -EINVAL drops its reference, a head inside an allocated object is noted for
 * the object's drop.
 */
export const LIST_PUSH = 0x4000000;

const RB_BLACK = 1;
// node fields
const PC = 0, RIGHT = 8, LEFT = 16, OWNER = 24;

class Rb {
  constructor(readonly v: DataView, readonly root: number) {}
  g(n: number, f: number): number { return u64At(this.v, n + f); }
  s(n: number, f: number, x: number): void { setU64(this.v, n + f, x); }
  parent(n: number): number { return this.g(n, PC) & ~3; }
  isBlack(n: number): boolean { return (this.g(n, PC) & 1) === RB_BLACK; }
  isRed(n: number): boolean { return (this.g(n, PC) & 1) === 0; }
  setParentColor(n: number, p: number, color: number): void { this.s(n, PC, p | color); }
  setParent(n: number, p: number): void { this.s(n, PC, (this.g(n, PC) & 3) | p); }
  setBlack(n: number): void { this.s(n, PC, this.g(n, PC) | RB_BLACK); }
  changeChild(old: number, nw: number, parent: number): void {
    if (parent) {
      if (this.g(parent, LEFT) === old) this.s(parent, LEFT, nw);
      else this.s(parent, RIGHT, nw);
    } else setU64(this.v, this.root, nw);
  }
  rotateSetParents(old: number, nw: number, color: number): void {
    const parent = this.parent(old);
    this.s(nw, PC, this.g(old, PC));
    this.setParentColor(old, nw, color);
    this.changeChild(old, nw, parent);
  }
  /** __rb_insert */
  insert(node: number): void {
    let parent = this.g(node, PC) & ~3; // rb_red_parent
    let gparent: number, tmp: number;
    for (;;) {
      if (!parent) {
        this.setParentColor(node, 0, RB_BLACK);
        break;
      }
      if (this.isBlack(parent)) break;
      gparent = this.g(parent, PC) & ~3;
      // lib/rbtree.c's two mirrored cases: parent its grandparent's left child (the uncle at RIGHT) or its right
      const [A, B] = parent !== this.g(gparent, RIGHT) ? [RIGHT, LEFT] : [LEFT, RIGHT];
      tmp = this.g(gparent, A);
      if (tmp && this.isRed(tmp)) {
        this.setParentColor(tmp, gparent, RB_BLACK);
        this.setParentColor(parent, gparent, RB_BLACK);
        node = gparent;
        parent = this.parent(node);
        this.setParentColor(node, parent, 0);
        continue;
      }
      tmp = this.g(parent, A);
      if (node === tmp) {
        tmp = this.g(node, B);
        this.s(parent, A, tmp);
        this.s(node, B, parent);
        if (tmp) this.setParentColor(tmp, parent, RB_BLACK);
        this.setParentColor(parent, node, 0);
        parent = node;
        tmp = this.g(node, A);
      }
      this.s(gparent, B, tmp);
      this.s(parent, A, gparent);
      if (tmp) this.setParentColor(tmp, gparent, RB_BLACK);
      this.rotateSetParents(gparent, parent, 0);
      break;
    }
  }
  /** rb_next */
  next(node: number): number {
    if (this.g(node, PC) === node) return 0;
    let n = this.g(node, RIGHT);
    if (n) {
      while (this.g(n, LEFT)) n = this.g(n, LEFT);
      return n;
    }
    let parent: number;
    while ((parent = this.parent(node)) && node === this.g(parent, RIGHT)) node = parent;
    return parent;
  }
  /** rb_erase: __rb_erase_augmented then ____rb_erase_color */
  erase(node: number): void {
    const child = this.g(node, RIGHT);
    let tmp = this.g(node, LEFT);
    let parent: number, rebalance: number, pc: number;
    if (!tmp) {
      pc = this.g(node, PC);
      parent = pc & ~3;
      this.changeChild(node, child, parent);
      if (child) {
        this.s(child, PC, pc);
        rebalance = 0;
      } else rebalance = (pc & 1) === RB_BLACK ? parent : 0;
    } else if (!child) {
      pc = this.g(node, PC);
      this.s(tmp, PC, pc);
      parent = pc & ~3;
      this.changeChild(node, tmp, parent);
      rebalance = 0;
    } else {
      let successor = child;
      let child2: number;
      tmp = this.g(child, LEFT);
      if (!tmp) {
        parent = successor;
        child2 = this.g(successor, RIGHT);
      } else {
        do {
          parent = successor;
          successor = tmp;
          tmp = this.g(tmp, LEFT);
        } while (tmp);
        child2 = this.g(successor, RIGHT);
        this.s(parent, LEFT, child2);
        this.s(successor, RIGHT, child);
        this.setParent(child, successor);
      }
      tmp = this.g(node, LEFT);
      this.s(successor, LEFT, tmp);
      this.setParent(tmp, successor);
      pc = this.g(node, PC);
      tmp = pc & ~3;
      this.changeChild(node, successor, tmp);
      if (child2) {
        this.setParentColor(child2, parent, RB_BLACK);
        rebalance = 0;
      } else rebalance = this.isBlack(successor) ? parent : 0;
      this.s(successor, PC, pc);
    }
    if (rebalance) this.eraseColor(rebalance);
  }
  private eraseColor(parent: number): void {
    let node = 0, sibling: number, tmp1: number, tmp2: number;
    for (;;) {
      // lib/rbtree.c's two mirrored cases: node its parent's left child (the sibling at RIGHT) or its right
      sibling = this.g(parent, RIGHT);
      const [A, B] = node !== sibling ? [RIGHT, LEFT] : [LEFT, RIGHT];
      if (A === LEFT) sibling = this.g(parent, LEFT);
      if (this.isRed(sibling)) {
        tmp1 = this.g(sibling, B);
        this.s(parent, A, tmp1);
        this.s(sibling, B, parent);
        this.setParentColor(tmp1, parent, RB_BLACK);
        this.rotateSetParents(parent, sibling, 0);
        sibling = tmp1;
      }
      tmp1 = this.g(sibling, A);
      if (!tmp1 || this.isBlack(tmp1)) {
        tmp2 = this.g(sibling, B);
        if (!tmp2 || this.isBlack(tmp2)) {
          this.setParentColor(sibling, parent, 0);
          if (this.isRed(parent)) this.setBlack(parent);
          else {
            node = parent;
            parent = this.parent(node);
            if (parent) continue;
          }
          break;
        }
        tmp1 = this.g(tmp2, A);
        this.s(sibling, B, tmp1);
        this.s(tmp2, A, sibling);
        this.s(parent, A, tmp2);
        if (tmp1) this.setParentColor(tmp1, sibling, RB_BLACK);
        tmp1 = sibling;
        sibling = tmp2;
      }
      tmp2 = this.g(sibling, B);
      this.s(parent, A, tmp2);
      this.s(sibling, B, parent);
      this.setParentColor(tmp1, sibling, RB_BLACK);
      if (tmp2) this.setParent(tmp2, parent);
      this.rotateSetParents(parent, sibling, RB_BLACK);
      break;
    }
  }
}

/**
 * The root at `root` as the rbtree kfuncs may follow it: its top and leftmost nodes zero or linked nodes
 * of this root (a root whose bytes something else wrote — a user-space update — is taken as empty).
 */
function soundRoot(ctx: HelperContext, root: number): DataView {
  const v = ctx.mem.view();
  const h = heaps.get(ctx.mem);
  const on = (n: number): boolean => n === 0 || (h !== undefined && h.linked.has(n) && u64At(v, n + OWNER) === root);
  const top = u64At(v, root);
  const left = u64At(v, root + 8);
  if ((top === 0) !== (left === 0) || !on(top) || !on(left)) {
    setU64(v, root, 0);
    setU64(v, root + 8, 0);
  }
  return v;
}

/** refcount_dec_and_test at `p + rcOff` (saturated counts stay), then the object freed at zero. */
export function dropRefcounted(ctx: HelperContext, p: number, rcOff: number): void {
  const v = ctx.mem.view();
  const c = v.getUint32(p + rcOff, true);
  if (c > 1) {
    v.setUint32(p + rcOff, c - 1, true);
    return;
  }
  v.setUint32(p + rcOff, 0, true);
  objFree(ctx, p);
}

/**
 * bpf_rb_root_free's walk (control/graph_maps.ts): the tree whose top node is `top` (a root's saved
 * bytes, the root at `root` already emptied), its nodes in postorder (rb_first_postorder /
 * rb_next_postorder, the next one found before a node's object goes), each object dropped — a
 * refcounted one loses a reference. Only nodes the rbtree kfuncs linked into this root are followed.
 */
export function rbRootFree(mem: EngineMemory, top: number, root: number, nodeOff: number, rc: number): void {
  const h = heaps.get(mem);
  if (!h || top === 0) return;
  const v = mem.view();
  const mine = (n: number): boolean => n !== 0 && h.linked.has(n) && u64At(v, n + OWNER) === root;
  if (!mine(top)) return;
  const t = new Rb(v, root);
  const deepest = (n: number): number => {
    for (;;) {
      const l = t.g(n, LEFT);
      const r = t.g(n, RIGHT);
      if (mine(l)) n = l;
      else if (mine(r)) n = r;
      else return n;
    }
  };
  const ctx = { mem, pc: -1 };
  let n = deepest(top);
  while (n !== 0) {
    const parent = n === top ? 0 : t.parent(n);
    const next = parent && n === t.g(parent, LEFT) && mine(t.g(parent, RIGHT)) ? deepest(t.g(parent, RIGHT)) : parent;
    h.linked.delete(n);
    if (rc >= 0) dropRefcounted(ctx, n - nodeOff, rc);
    else objFree(ctx, n - nodeOff);
    n = next;
  }
}

/** The helper a lowered call id stands for (objNewSized, the refcounted types' helpers, bpf_rbtree_add). */
/**
 * bpf_kptr_xchg whose destination may be an allocated object's kptr (the verifier lowers those calls):
 * KPTR_XCHG_OBJ + the pointee type's refcount offset + 1 (0: none). A kptr in a heap object is recorded
 * (ObjHeap.nested), so that dropping the object drops what its kptrs hold.
 */
export const KPTR_XCHG_OBJ = 0x300000;
export function objLoweredHelper(id: number): HelperDef {
  if (id >= KPTR_XCHG_OBJ && id < KPTR_XCHG_OBJ + 0x2000) {
    const rc = id - KPTR_XCHG_OBJ - 1;
    return {
      id,
      name: 'kptr_xchg',
      fn: (dst, p, _a3, _a4, _a5, ctx) => {
        const at = Number(BigInt.asUintN(32, dst));
        const v = ctx.mem.view();
        const old = v.getBigUint64(at, true);
        v.setBigUint64(at, p, true);
        const h = heapOf(ctx);
        if (pageOf(h, at) !== undefined) {
          if (p !== 0n) h.nested.set(at, rc);
          else h.nested.delete(at);
        }
        return old;
      },
    };
  }
  if (id >= LIST_PUSH) {
    const back = id >= LIST_PUSH + 0x1000000;
    const x = (id - LIST_PUSH) & 0xffffff;
    const drop = { rc: (x >>> 12) - 1, nodeOff: x & 0xfff };
    return { id, name: `bpf_list_push_${back ? 'back' : 'front'}_impl`, fn: (hd, n, _r3, _r4, _r5, ctx) => listAdd(ctx, addr(hd), addr(n), back, drop) };
  }
  if (id >= RBTREE_ADD) {
    const rc = ((id - RBTREE_ADD) >>> 12) - 1;
    const nodeOff = (id - RBTREE_ADD) & 0xfff;
    return { id, name: 'bpf_rbtree_add_impl', fn: (r, n, less, _r4, _r5, ctx) => rbtreeAdd(ctx, addr(r), addr(n), less, nodeOff, rc) };
  }
  if (id >= OBJ_NEW_RC) {
    const size = (id - OBJ_NEW_RC) & 0xfff;
    const rc = (id - OBJ_NEW_RC) >>> 12;
    return {
      id,
      name: `bpf_obj_new_impl(${size})`,
      fn: (_r1, _r2, _r3, _r4, _r5, ctx) => {
        const p = objAlloc(ctx, size);
        if (p) ctx.mem.view().setUint32(p + rc, 1, true);
        return BigInt(p);
      },
    };
  }
  if (id >= PERCPU_PTR && id < OBJ_NEW_RC) {
    // one CPU's copy: `size` bytes per CPU after the object's start; wxdp runs these programs on one
    // thread, CPU 0 (bpf_get_smp_processor_id's answer there); a CPU past the Datapath's count is NULL
    const helper = (id - PERCPU_PTR) >>> 12;
    const size = (id - PERCPU_PTR) & 0xfff;
    return {
      id,
      name: helper === 153 ? 'per_cpu_ptr' : 'this_cpu_ptr',
      fn: (p, cpu, _r3, _r4, _r5, ctx) => {
        const c = helper === 153 ? BigInt.asUintN(32, cpu) : 0n;
        if (c >= BigInt(percpuCount(ctx))) return 0n;
        return p + c * BigInt(size);
      },
    };
  }
  if (id >= PERCPU_NEW && id < PERCPU_PTR) {
    const size = id - PERCPU_NEW;
    return { id, name: `bpf_percpu_obj_new_impl(${size})`, fn: (_r1, _r2, _r3, _r4, _r5, ctx) => BigInt(objAlloc(ctx, size * percpuCount(ctx))) };
  }
  if (id >= REFCOUNT_ACQUIRE) {
    const rc = id - REFCOUNT_ACQUIRE;
    return {
      id,
      name: 'bpf_refcount_acquire_impl',
      fn: (p, _r2, _r3, _r4, _r5, ctx) => {
        const at = addr(p) + rc;
        const v = ctx.mem.view();
        const c = v.getUint32(at, true);
        // refcount_inc_not_zero (a saturated count stays)
        if (c === 0) return 0n;
        if (c < 0xc0000000) v.setUint32(at, c + 1, true);
        return p;
      },
    };
  }
  if (id >= OBJ_DROP_RC) {
    const rc = id - OBJ_DROP_RC;
    return {
      id,
      name: 'bpf_obj_drop_impl',
      fn: (p, _r2, _r3, _r4, _r5, ctx) => {
        dropRefcounted(ctx, addr(p), rc);
        return 0n;
      },
    };
  }
  if (id >= OBJ_NEW_SIZED) return objNewSized(id - OBJ_NEW_SIZED);
  throw new RuntimeFault('RUN_HELPER', `no lowered object helper ${id}`, -1);
}

/** __bpf_rbtree_add: the node linked where less() puts it (-EINVAL, the object dropped, for a node in a tree). */
function rbtreeAdd(ctx: HelperContext, root: number, n: number, less: bigint, nodeOff: number, rc: number): bigint {
  const v = soundRoot(ctx, root);
  const h = heapOf(ctx);
  if (u64At(v, n + OWNER) !== 0) {
    const p = n - nodeOff;
    if (rc >= 0) dropRefcounted(ctx, p, rc);
    else objFree(ctx, p);
    return BigInt.asUintN(64, -22n);
  }
  noteRoot(h, root, true, nodeOff, rc);
  // (owner = BPF_PTR_POISON while the callbacks run: a second add of it from less() fails)
  setU64(v, n + OWNER, 0xeb9f);
  const call = ctx.callback;
  if (!call) throw new RuntimeFault('RUN_HELPER', 'bpf_rbtree_add: this engine cannot call less()', ctx.pc);
  let parent = 0;
  let link = root; // the address of the link: root->rb_node, or a parent's rb_left / rb_right
  let leftmost = true;
  for (let at = u64At(v, link); at !== 0; at = u64At(ctx.mem.view(), link)) {
    parent = at;
    if (call(less, BigInt(n), BigInt(parent)) !== 0n) link = parent + LEFT;
    else {
      link = parent + RIGHT;
      leftmost = false;
    }
  }
  const w = ctx.mem.view();
  // rb_link_node, rb_insert_color_cached
  setU64(w, n + PC, parent);
  setU64(w, n + LEFT, 0);
  setU64(w, n + RIGHT, 0);
  setU64(w, link, n);
  if (leftmost) setU64(w, root + 8, n);
  new Rb(w, root).insert(n);
  setU64(w, n + OWNER, root);
  h.linked.add(n);
  return 0n;
}

/** bpf_rbtree_remove: the node unlinked (its owner must be this root, else NULL). */
function rbtreeRemove(ctx: HelperContext, root: number, n: number): bigint {
  const v = soundRoot(ctx, root);
  if (u64At(v, n + OWNER) !== root) return 0n;
  const t = new Rb(v, root);
  if (u64At(v, root + 8) === n) setU64(v, root + 8, t.next(n));
  t.erase(n);
  setU64(v, n + PC, n); // RB_CLEAR_NODE
  setU64(v, n + OWNER, 0);
  heapOf(ctx).linked.delete(n);
  return BigInt(n);
}

/** bpf_rbtree_first / _root, and _left / _right of a node of this root (else NULL). */
function rbtreePeek(ctx: HelperContext, root: number, n: number, which: 'first' | 'root' | 'left' | 'right'): bigint {
  const v = soundRoot(ctx, root);
  if (which === 'first') return BigInt(u64At(v, root + 8));
  if (which === 'root') return BigInt(u64At(v, root));
  if (u64At(v, n + OWNER) !== root) return 0n;
  return BigInt(u64At(v, n + (which === 'left' ? LEFT : RIGHT)));
}

OBJ_KFUNCS.push(
  {
    name: 'bpf_refcount_acquire_impl',
    btfId: 102,
    args: [IGN, IGN],
    devBound: false,
    graph: 'refcount_acquire',
    // is_bpf_graph_api_kfunc: callable under the lock (a non-owning node's object, there)
    spinAllowed: true,
    fn: (_p, _r2, _r3, _r4, _r5, ctx) => {
      throw new RuntimeFault('RUN_HELPER', 'bpf_refcount_acquire_impl: the call was not lowered to its type', ctx.pc);
    },
  },
  {
    name: 'bpf_rbtree_add_impl',
    btfId: 110,
    args: [IGN, IGN, IGN, IGN, IGN],
    devBound: false,
    graph: 'rbtree_add',
    spinAllowed: true,
    fn: (_r1, _r2, _r3, _r4, _r5, ctx) => {
      throw new RuntimeFault('RUN_HELPER', 'bpf_rbtree_add_impl: the call was not lowered to its type', ctx.pc);
    },
  },
  { name: 'bpf_rbtree_remove', btfId: 111, args: [IGN, IGN], devBound: false, graph: 'rbtree_remove', spinAllowed: true, fn: (r, n, _r3, _r4, _r5, ctx) => rbtreeRemove(ctx, addr(r), addr(n)) },
  { name: 'bpf_rbtree_first', btfId: 112, args: [IGN], devBound: false, graph: 'rbtree_peek', spinAllowed: true, fn: (r, _r2, _r3, _r4, _r5, ctx) => rbtreePeek(ctx, addr(r), 0, 'first') },
  { name: 'bpf_rbtree_root', btfId: 113, args: [IGN], devBound: false, graph: 'rbtree_peek', spinAllowed: true, fn: (r, _r2, _r3, _r4, _r5, ctx) => rbtreePeek(ctx, addr(r), 0, 'root') },
  { name: 'bpf_rbtree_left', btfId: 114, args: [IGN, IGN], devBound: false, graph: 'rbtree_child', spinAllowed: true, fn: (r, n, _r3, _r4, _r5, ctx) => rbtreePeek(ctx, addr(r), addr(n), 'left') },
  { name: 'bpf_rbtree_right', btfId: 115, args: [IGN, IGN], devBound: false, graph: 'rbtree_child', spinAllowed: true, fn: (r, n, _r3, _r4, _r5, ctx) => rbtreePeek(ctx, addr(r), addr(n), 'right') },
);
