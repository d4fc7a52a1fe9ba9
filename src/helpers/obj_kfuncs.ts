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
// The list kfuncs are callable under the bpf_spin_lock that guards the head (and only so: the verifier).
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

// Not yet (each refused as a kfunc wxdp lacks, or, for a head in an allocated object, by the verifier
// naming wxdp): bpf_percpu_obj_new / _drop; a bpf_list_head inside an allocated object (and so
// bpf_obj_drop freeing an object's lists); list heads in global data (`.bss.A` sections: this machine's
// libbpf 1.1 cannot load those, so nothing to compare with); the map side's freeing when the map itself
// is freed (user-space updates and deletes, and the program's own, do it: control/graph_maps.ts); map types the kernel refuses a
// graph field in (map_check_btf's EOPNOTSUPP, then libbpf's retry without BTF). bpf_rbtree_add_impl,
// _first, _remove and bpf_refcount_acquire_impl: what 6.18.44 showed for a program adding a refcounted
// node (`struct node { u64 key; struct bpf_rb_node rb; struct bpf_refcount ref; }`, the less() callback a
// static function passed as `(void *)less`): accepted, 71 insns processed; bpf_refcount_acquire_impl of
// an owning reference gives `ptr_node(ref_obj_id=N)` (not NULL-able there); after bpf_rbtree_add the
// node's pointer is `rcu_ptr_node(non_own_ref,off=8)` (MEM_RCU for a refcounted type); the runtime needs
// the less() callback called from the kfunc in both engines (as bpf_loop's callbacks are), and drop to
// read the object's bpf_refcount (the lowering would then pass the refcount's offset, as it passes the size).

import { RuntimeFault } from '../errors.js';
import type { EngineMemory } from '../runtime/memory.js';
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
   * The nodes on some list (their addresses): a head's bytes a program's own bpf_map_update_elem wrote
   * (the fast path's copy does not skip list heads yet, where the kernel's copy_map_value does) must
   * never lead the list kfuncs to memory that is no linked node — a head naming any other address is
   * taken as empty.
   */
  linked: Set<number>;
}

const heaps = new WeakMap<EngineMemory, ObjHeap>();

/**
 * The heap of `mem`: made once per memory by the Datapath, empty; `more` hands it storage as
 * allocations need it (the first HEAP_FIRST bytes, then three times what the heap has each time).
 */
export function setObjHeap(mem: EngineMemory, more: ObjHeap['more'], grew: ObjHeap['grew']): void {
  if (heaps.has(mem)) return;
  const spans = Array.from({ length: HEAP_SPANS }, (): HeapSpan => ({ name: 'obj heap', start: 0, end: 0, writable: true }));
  heaps.set(mem, { spans, used: 0, live: 0, pages: [], page: new Map(), partial: new Map(), carve: new Map(), full: false, bump: 0, end: 0, more, grew, linked: new Set() });
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
    if (h.used === HEAP_SPANS) {
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

/** __bpf_list_add: link `node` after the head (front) or before it (back). */
function listAdd(ctx: HelperContext, head: number, node: number, tail: boolean): bigint {
  const v = soundHead(ctx, head);
  if (u64At(v, head) === 0) {
    setU64(v, head, head);
    setU64(v, head + 8, head);
  }
  // a node on a list already (only reachable through bpf_refcount_acquire): -EINVAL
  if (u64At(v, node) !== 0 && u64At(v, node) !== node) return BigInt.asUintN(64, -22n);
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
