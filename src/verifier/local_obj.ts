// Allocated objects in the verifier (kernel/bpf/verifier.c check_kfunc_call / check_kfunc_args for the
// special kfuncs, check_ptr_to_btf_access → btf_struct_access for their loads and stores), for the
// kfuncs of helpers/obj_kfuncs.ts.
//
// Reads: the program's BTF (its local types), the call's argument registers, the state's references.
// Sets: r0 (bpf_obj_new: PTR_TO_BTF_ID | MEM_ALLOC of the local struct, or NULL, holding a new
// reference), releases (bpf_obj_drop: the reference and every copy of the pointer become scalars).
//
// A MEM_ALLOC register is RegType.MEM with `alloc` = the local type id, `btf` = the struct's name (as
// the log names it: ptr_<name>) and memSize = its size.

import { isVmlinuxStruct } from '../elf/vmlinux_structs.js';
import type { Btf } from '../elf/btf.js';
import type { KfuncDef } from '../helpers/kfuncs.js';
import { LIST_PUSH, OBJ_DROP_RC, OBJ_MAX_SIZE, OBJ_NEW_RC, PERCPU_NEW, RBTREE_ADD, REFCOUNT_ACQUIRE } from '../helpers/obj_kfuncs.js';
import { Reg, RegType, type MapInfo } from './reg.js';
import type { VerifierErrno } from '../errors.js';
import { LOCAL_LOCK } from './locks.js';

/** The verifier services a graph kfunc's check needs (verifier.ts binds them to the call). */
export interface GraphHost {
  btf: Btf | undefined;
  /** Refuse with `reason`; `detail`: the line the kernel prints after it. */
  reject(reason: string, errno?: VerifierErrno, detail?: string): never;
  /** The argument register, checked as read (check_reg_arg). */
  arg(regno: number): Reg;
  precise(regno: number): void;
  newId(): number;
  acquire(): number;
  hasRef(id: number): boolean;
  /** release_reference: the reference goes, every register and spill holding it becomes a scalar. */
  release(id: number): void;
  /** ref_convert_owning_non_owning then release_reference: the pointers of reference `id` become non-owning. */
  toNonOwning(id: number): void;
  /** The held bpf_spin_lock: the map (its name) and value (the pointer's id) it is in. */
  lock(): { map: string; id: number } | undefined;
  /** bpf_rbtree_add: push_callback_call of less() (subprogram `subprog`), its r1 and r2 made by `node`. */
  pushLess(subprog: number, node: () => Reg): void;
  /** in_rbtree_lock_required_cb: the current frame is bpf_rbtree_add's less(). */
  inRbtreeCb(): boolean;
}

/** A bpf_list_head (or bpf_rb_root) of a map value: where, and what its `contains:` tag says it holds. */
export interface GraphRoot {
  off: number;
  type: 'bpf_list_head' | 'bpf_rb_root';
  /** The contained struct (program BTF id, name) and the offset of its node member. */
  valueId: number;
  valueName: string;
  nodeOff: number;
}

/** The BTF type id of map `mapName`'s value: what the `value` member of its `.maps` definition points to. */
function mapValueTypeId(btf: Btf, mapName: string): number | undefined {
  const maps = btf.types.find((t) => t.kind === 'datasec' && t.name === '.maps');
  const v = maps?.kind === 'datasec' ? maps.vars.map((x) => btf.type(x.type)).find((t) => t.name === mapName) : undefined;
  const def = v?.kind === 'var' ? btf.skipModsAndTypedefs(v.type) : undefined;
  const valueMember = def?.kind === 'struct' ? def.members.find((m) => m.name === 'value') : undefined;
  const ptr = valueMember ? btf.skipModsAndTypedefs(valueMember.type) : undefined;
  return ptr?.kind === 'ptr' ? ptr.type : undefined;
}

const rootsCache = new WeakMap<Btf, Map<string, GraphRoot[]>>();

/**
 * btf_parse_fields for a map's value (the `value` member of its `.maps` definition): each bpf_list_head
 * / bpf_rb_root member and its `contains:NAME:FIELD` decl tag (btf_parse_graph_root).
 */
export function mapGraphRoots(btf: Btf | undefined, mapName: string): GraphRoot[] {
  if (!btf) return [];
  let byMap = rootsCache.get(btf);
  if (!byMap) rootsCache.set(btf, (byMap = new Map()));
  const hit = byMap.get(mapName);
  if (hit) return hit;
  const out = valueGraphRoots(btf, mapValueTypeId(btf, mapName));
  byMap.set(mapName, out);
  return out;
}

/** The graph roots of a map value of BTF type `valueId` (an inner map template's: MapInfo.graphRoots). */
export function valueGraphRoots(btf: Btf | undefined, valueId: number | undefined): GraphRoot[] {
  const out: GraphRoot[] = [];
  if (!btf || valueId === undefined) return out;
  const value = btf.skipModsAndTypedefs(valueId);
  if (value && value.kind === 'struct') {
    value.members.forEach((m, idx) => {
      const mt = btf.skipModsAndTypedefs(m.type);
      if (mt.kind !== 'struct' || (mt.name !== 'bpf_list_head' && mt.name !== 'bpf_rb_root')) return;
      const tag = btf.types.find((t) => t.kind === 'decl_tag' && t.componentIdx === idx && btf.skipModsAndTypedefs(t.type) === value && t.name.startsWith('contains:'));
      const [, cname, field] = tag ? tag.name.split(':') : [];
      const cid = btf.types.findIndex((t) => t.kind === 'struct' && t.name === cname);
      const c = cid > 0 ? btf.type(cid) : undefined;
      const node = c?.kind === 'struct' ? c.members.find((x) => x.name === field) : undefined;
      if (!c || !node) return;
      out.push({ off: Math.floor(m.bitOffset / 8), type: mt.name, valueId: cid, valueName: c.name, nodeOff: Math.floor(node.bitOffset / 8) });
    });
  }
  return out;
}

/**
 * A map's graph roots: an inner map template's come with it (bpf_map_meta_alloc copies the inner map's
 * btf_record; the template has no name), an object's map's from its `.maps` definition.
 */
export function mapRoots(btf: Btf | undefined, map: MapInfo): readonly GraphRoot[] {
  return map.graphRoots ?? mapGraphRoots(btf, map.name);
}

/** check_map_access: a load or store that reaches a map value's bpf_list_head / bpf_rb_root, else null. */
export function graphRootOverlap(btf: Btf | undefined, map: MapInfo, lo: bigint, hi: bigint): string | null {
  for (const r of mapRoots(btf, map)) if (lo < BigInt(r.off + 16) && BigInt(r.off) < hi) return `${r.type} cannot be accessed directly by load/store`;
  return null;
}

/** A struct of the program's BTF, by id (btf_type_by_id and __btf_type_is_struct), or undefined. */
export function localStruct(btf: Btf | undefined, id: number): { name: string; size: number } | undefined {
  if (!btf || id <= 0 || id >= btf.count) return undefined;
  const t = btf.type(id);
  return t.kind === 'struct' ? { name: t.name, size: t.size } : undefined;
}

/** The graph and lock structs btf_parse_fields finds in a local type, and their names in messages (btf_field_type_name). */
const SPECIAL: Readonly<Record<string, string>> = {
  bpf_spin_lock: 'bpf_spin_lock',
  bpf_res_spin_lock: 'bpf_res_spin_lock',
  bpf_timer: 'bpf_timer',
  bpf_wq: 'bpf_wq',
  bpf_list_head: 'bpf_list_head',
  bpf_list_node: 'bpf_list_node',
  bpf_rb_root: 'bpf_rb_root',
  bpf_rb_node: 'bpf_rb_node',
  bpf_refcount: 'bpf_refcount',
};

/** The special fields of local struct `id` (nested structs' included): offset, size, type name. */
export function specialFields(btf: Btf, id: number): { off: number; size: number; type: string }[] {
  const out: { off: number; size: number; type: string }[] = [];
  const walk = (tid: number, base: number, depth: number): void => {
    const t = btf.skipModsAndTypedefs(tid);
    if (t.kind === 'array') {
      const e = btf.skipModsAndTypedefs(t.type);
      if (e.kind === 'struct' && SPECIAL[e.name]) for (let i = 0; i < t.nelems; i++) out.push({ off: base + i * e.size, size: e.size, type: SPECIAL[e.name]! });
      return;
    }
    if (t.kind !== 'struct' && t.kind !== 'union') return;
    if (depth > 0 && t.kind === 'struct' && SPECIAL[t.name]) {
      out.push({ off: base, size: t.size, type: SPECIAL[t.name]! });
      return;
    }
    if (depth > 8) return;
    for (const m of t.members) walk(m.type, base + Math.floor(m.bitOffset / 8), depth + 1);
  };
  walk(id, 0, 0);
  return out;
}

/**
 * btf_struct_access on an allocated object of local struct `id`: null when a `size`-byte access at
 * `off` is allowed (reads and writes alike: a program may write its own objects), else the message.
 * Special fields first ("direct access to bpf_list_head is disallowed"), then btf_struct_walk.
 */
export function localAccess(btf: Btf, id: number, off: number, size: number): string | null {
  for (const f of specialFields(btf, id)) if (off < f.off + f.size && f.off < off + size) return `direct access to ${f.type} is disallowed`;
  let t = btf.skipModsAndTypedefs(id);
  for (let depth = 0; depth < 32; depth++) {
    if (t.kind !== 'struct' && t.kind !== 'union') return null;
    const tname = t.name;
    if (off + size > t.size) return `access beyond struct ${tname} at off ${off} size ${size}`;
    let refusal: string | undefined;
    let next: { t: typeof t; off: number } | undefined;
    for (const m of t.members) {
      const moff = Math.floor(m.bitOffset / 8);
      if (m.bitfieldSize) {
        // a bitfield: the access must cover its bytes
        if (off <= moff && moff + Math.ceil(m.bitfieldSize / 8) <= off + size) return null;
        continue;
      }
      const mt = btf.skipModsAndTypedefs(m.type);
      const msize = btf.resolveSize(m.type);
      if (off < moff || off >= moff + msize) continue;
      let et = mt;
      let esize = msize;
      if (mt.kind === 'array') {
        et = btf.skipModsAndTypedefs(mt.type);
        esize = mt.nelems ? msize / mt.nelems : 0;
      }
      if (et.kind === 'struct' || et.kind === 'union') {
        const inner = esize ? (off - moff) % esize : 0;
        if (inner + size > esize) {
          refusal ??= `access beyond the end of member ${m.name} (mend:${moff + msize}) in struct ${tname} with off ${off} size ${size}`;
          continue;
        }
        next = { t: et, off: inner };
        break;
      }
      if (off + size > moff + msize) {
        refusal ??= `access beyond the end of member ${m.name} (mend:${moff + msize}) in struct ${tname} with off ${off} size ${size}`;
        continue;
      }
      return null;
    }
    if (next) {
      t = next.t;
      off = next.off;
      continue;
    }
    return refusal ?? `struct ${tname} doesn't have field at offset ${off}`;
  }
  return null;
}

/** Whether local struct `id` has a `type` node (bpf_list_node / bpf_rb_node) at `off`. */
function localNodeAt(btf: Btf, id: number, off: number, type: string): boolean {
  return specialFields(btf, id).some((f) => f.off === off && f.type === type);
}

/** btf_record's spin_lock_off (res_spin_lock_off: `res`) of local struct `id`: -EINVAL without one. */
export function localLockOff(btf: Btf, id: number, res: boolean): number {
  return specialFields(btf, id).find((f) => f.type === (res ? 'bpf_res_spin_lock' : 'bpf_spin_lock'))?.off ?? -22;
}

/**
 * KF_ARG_PTR_TO_LIST_HEAD / _RB_ROOT (r1): a map value or an owning reference to an allocated object (its struct's
 * roots: btf_parse_fields of the local type), the root at a constant offset (__process_kf_arg_ptr_to_graph_root),
 * the value's or object's lock held (check_reg_allocation_locked: the lock taken through this very pointer, its id).
 */
function listHeadArg(h: GraphHost, type: 'bpf_list_head' | 'bpf_rb_root'): GraphRoot {
  const r1 = h.arg(1);
  const local = r1.alloc !== 0 && !r1.maybeNull && !r1.nonOwning && !r1.percpu && !r1.rcu;
  if ((r1.type !== RegType.MAP_VALUE || r1.maybeNull) && !local) h.reject('arg#0 expected pointer to map value or allocated object', 'EINVAL');
  if (local && !r1.refObjId) h.reject('allocated object must be referenced', 'EINVAL');
  if (!r1.varOff.isConst) h.reject(`R1 doesn't have constant offset. ${type} has to be at the constant offset`, 'EINVAL');
  const off = r1.off + Number(r1.varOff.value);
  const root = (local ? valueGraphRoots(h.btf, r1.alloc) : mapRoots(h.btf, r1.map!)).find((r) => r.off === off && r.type === type);
  if (!root) h.reject(`${type} not found at offset=${off}`, 'EINVAL');
  // check_reg_allocation_locked: no lock, or another allocation's (then said first)
  const lock = h.lock();
  const lockOff = local ? localLockOff(h.btf!, r1.alloc, false) : (r1.map!.spinLockOff ?? -1);
  const held = `bpf_spin_lock at off=${lockOff} must be held for ${type}`;
  if (!lock) h.reject(held, 'EINVAL');
  if (lock.map !== (local ? LOCAL_LOCK : r1.map!.name) || lock.id !== r1.id) h.reject('held lock and object are not in the same allocation', 'EINVAL', held);
  return root;
}

const isNull = (r: Reg): boolean => r.isScalar && r.varOff.isConst && r.varOff.value === 0n;

/** check_func_arg_reg_off (ARG_DONTCARE) of a MEM_ALLOC pointer: a fixed offset allowed, a variable one never. */
function allocOffCheck(h: GraphHost, r: Reg, regno: number): void {
  if (!r.alloc || r.maybeNull) return;
  if (r.off < 0) h.reject(`negative offset ptr_ ptr R${regno} off=${r.off} disallowed`, 'EACCES');
  if (!r.varOff.isConst || r.varOff.value !== 0n) h.reject(`variable ptr_ access var_off=${r.varOff.toString()} disallowed`, 'EACCES');
}

/** __process_kf_arg_ptr_to_graph_node: the root's contained struct, at its node. */
function graphNodeArg(h: GraphHost, r: Reg, regno: number, root: GraphRoot, type: 'bpf_list_node' | 'bpf_rb_node'): void {
  if (!r.varOff.isConst) h.reject(`R${regno} doesn't have constant offset. ${type} has to be at the constant offset`, 'EINVAL');
  const nodeOff = r.off + Number(r.varOff.value);
  if (!localNodeAt(h.btf!, r.alloc, nodeOff, type)) h.reject(`${type} not found at offset=${nodeOff}`, 'EINVAL');
  if (r.alloc !== root.valueId || nodeOff !== root.nodeOff) {
    h.reject(`operation on ${root.type} expects arg#1 ${type} at offset=${root.nodeOff} in struct ${root.valueName}, but arg is at offset=${nodeOff} in struct ${r.btf}`, 'EINVAL');
  }
}

/** mark_reg_graph_node: the root's contained struct at its node (then, `nonOwning`, ref_set_non_owning). */
function graphNode(h: GraphHost, root: GraphRoot, nonOwning: boolean): Reg {
  const r = allocReg(root.valueId, { name: root.valueName, size: h.btf!.resolveSize(root.valueId) });
  r.off = root.nodeOff;
  r.nonOwning = nonOwning;
  return r;
}

/** The offset of local struct `id`'s bpf_refcount (btf_record's refcount_off), or -1. */
export function refcountOff(btf: Btf, id: number): number {
  return specialFields(btf, id).find((f) => f.type === 'bpf_refcount')?.off ?? -1;
}

/** A MEM_ALLOC register of local struct `id`. */
export function allocReg(id: number, s: { name: string; size: number }): Reg {
  const r = Reg.pointer(RegType.MEM);
  r.alloc = id;
  r.btf = s.name;
  r.memSize = s.size;
  return r;
}

/** BPF_GLOBAL_PERCPU_MA_MAX_SIZE: bpf_percpu_obj_new's largest struct. */
const PERCPU_OBJ_MAX = 512;

/** __btf_type_is_scalar_struct: a struct whose members are integers, enums, structs of those, or arrays of them. */
function scalarStruct(btf: Btf, id: number, depth: number): boolean {
  const t = btf.skipModsAndTypedefs(id);
  if (t.kind !== 'struct') return false;
  for (const m of t.members) {
    let mt = btf.skipModsAndTypedefs(m.type);
    for (let d = 0; mt.kind === 'array' && d < 8; d++) mt = btf.skipModsAndTypedefs(mt.type);
    if (mt.kind === 'struct') {
      if (depth >= 2 || !scalarStruct(btf, m.type, depth + 1)) return false;
      continue;
    }
    if (mt.kind !== 'int' && mt.kind !== 'enum' && mt.kind !== 'enum64') return false;
  }
  return true;
}

/** What the walk learned for the loader: each bpf_obj_new call's object size, by instruction. */
export type ObjNewSizes = Map<number, number>;

/**
 * bpf_obj_new's and bpf_percpu_obj_new's `local_type_id__k` (R1): a scalar, a known constant (made precise), a u32
 * naming a struct of the program's BTF; the id and the struct.
 */
function localTypeArg(h: GraphHost): { v: bigint; s: NonNullable<ReturnType<typeof localStruct>>; btf: Btf } {
  const r1 = h.arg(1);
  if (!r1.isScalar) h.reject('R1 is not a scalar', 'EINVAL');
  if (!r1.varOff.isConst) h.reject('R1 must be a known constant', 'EINVAL');
  h.precise(1);
  const v = r1.varOff.value;
  if (v > 0xffffffffn) h.reject('local type ID argument must be in range [0, U32_MAX]', 'EINVAL');
  if (!h.btf) h.reject('bpf_obj_new/bpf_percpu_obj_new requires prog BTF', 'EINVAL');
  const s = localStruct(h.btf, Number(v));
  if (!s) h.reject('bpf_obj_new/bpf_percpu_obj_new type ID argument must be of a struct', 'EINVAL');
  return { v, s, btf: h.btf };
}

/**
 * check_kfunc_call for a graph kfunc: its arguments (check_kfunc_args), then what it does to the state.
 * Returns r0 (undefined: void). The caller clobbers r1-r5 after.
 */
export function graphKfuncCall(h: GraphHost, def: KfuncDef, pc: number, sizes: ObjNewSizes): Reg | undefined {
  switch (def.graph) {
    case 'obj_new': {
      const { v, s, btf } = localTypeArg(h);
      // bpf_mem_alloc's largest class less its header (6.18.44, measured: 4088 bytes taken, 4089 refused); the
      // lowered helper ids below carry the size in 12 bits too
      if (s.size > OBJ_MAX_SIZE) h.reject(`bpf_obj_new type size (${s.size}) is more than the allocator serves`, 'EINVAL');
      const rcNew = refcountOff(btf, Number(v));
      sizes.set(pc, rcNew < 0 ? s.size : OBJ_NEW_RC + rcNew * 4096 + s.size);
      // KF_RET_NULL's id first, then acquire_reference's replaces it
      const r0 = allocReg(Number(v), s);
      r0.maybeNull = true;
      h.newId();
      r0.id = r0.refObjId = h.acquire();
      return r0;
    }
    case 'percpu_obj_new': {
      // as obj_new's argument, then bpf_percpu_obj_new's own rules: at most 512 bytes, scalars only
      const { v, s, btf } = localTypeArg(h);
      if (s.size > PERCPU_OBJ_MAX) h.reject(`bpf_percpu_obj_new type size (${s.size}) is greater than ${PERCPU_OBJ_MAX}`, 'EINVAL');
      if (!scalarStruct(btf, Number(v), 0)) h.reject('bpf_percpu_obj_new type ID argument must be of a struct of scalars', 'EINVAL');
      if (specialFields(btf, Number(v)).length > 0) h.reject('bpf_percpu_obj_new type ID argument must not contain special fields', 'EINVAL');
      sizes.set(pc, PERCPU_NEW + s.size);
      const r0 = allocReg(Number(v), s);
      r0.percpu = true;
      r0.maybeNull = true;
      h.newId();
      r0.id = r0.refObjId = h.acquire();
      return r0;
    }
    case 'percpu_obj_drop':
    case 'obj_drop': {
      const r1 = h.arg(1);
      // is_kfunc_trusted_args (KF_RELEASE): not NULL; then a trusted (referenced) pointer at its start
      if (r1.maybeNull || (r1.isScalar && r1.varOff.isConst && r1.varOff.value === 0n)) h.reject('Possibly NULL pointer passed to trusted arg0');
      if (!r1.refObjId || !h.hasRef(r1.refObjId)) h.reject('R1 must be referenced or trusted', 'EINVAL');
      // check_func_arg_reg_off (OBJ_RELEASE): the fixed offset first, then __check_ptr_off_reg's variable one
      if (r1.off !== 0) h.reject('R1 must have zero offset when passed to release func or trusted arg to kfunc', 'EINVAL');
      if (!r1.varOff.isConst || r1.varOff.value !== 0n) h.reject(`variable ptr_ access var_off=${r1.varOff.toString()} disallowed`, 'EACCES');
      // KF_ARG_PTR_TO_ALLOC_BTF_ID: each drop its own kind of object
      if (!r1.alloc || r1.rcu) h.reject('arg#0 expected pointer to allocated object', 'EINVAL');
      if (!r1.percpu && def.graph === 'percpu_obj_drop') h.reject('arg#0 expected for bpf_obj_drop_impl()', 'EINVAL');
      if (r1.percpu && def.graph === 'obj_drop') h.reject('arg#0 expected for bpf_percpu_obj_drop_impl()', 'EINVAL');
      if (r1.percpu) {
        h.release(r1.refObjId);
        return undefined;
      }
      // a refcounted object's drop takes one of its references (the count's offset passed, as the
      // kernel's fixup passes the struct's btf_struct_meta)
      const rcDrop = refcountOff(h.btf!, r1.alloc);
      if (rcDrop >= 0) sizes.set(pc, OBJ_DROP_RC + rcDrop);
      h.release(r1.refObjId);
      return undefined;
    }
    case 'list_push': {
      const root = listHeadArg(h, 'bpf_list_head');
      const r2 = h.arg(2);
      // check_func_arg_reg_off (ARG_DONTCARE: the push is no KF_RELEASE kfunc) on PTR_TO_BTF_ID | MEM_ALLOC:
      // __check_ptr_off_reg with a fixed offset allowed, a variable one never (the push links the 24 bytes
      // the pointer names: a variable offset would let it write them anywhere past the object)
      if (r2.alloc && !r2.maybeNull) {
        if (r2.off < 0) h.reject(`negative offset ptr_ ptr R2 off=${r2.off} disallowed`, 'EACCES');
        if (!r2.varOff.isConst || r2.varOff.value !== 0n) h.reject(`variable ptr_ access var_off=${r2.varOff.toString()} disallowed`, 'EACCES');
      }
      // KF_ARG_PTR_TO_LIST_NODE: an owning reference to an allocated object
      if (!r2.alloc || r2.nonOwning || r2.maybeNull) h.reject('arg#1 expected pointer to allocated object', 'EINVAL');
      if (!r2.refObjId) h.reject('allocated object must be referenced', 'EINVAL');
      // process_kf_arg_ptr_to_list_node: the head's contained struct, at its node
      const nodeOff = r2.off + Number(r2.varOff.value);
      if (!localNodeAt(h.btf!, r2.alloc, nodeOff, 'bpf_list_node')) h.reject(`bpf_list_node not found at offset=${nodeOff}`, 'EINVAL');
      if (r2.alloc !== root.valueId || nodeOff !== root.nodeOff) {
        h.reject(`operation on bpf_list_head expects arg#1 bpf_list_node at offset=${root.nodeOff} in struct ${root.valueName}, but arg is at offset=${nodeOff} in struct ${r2.btf}`, 'EINVAL');
      }
      // `off` (a __k scalar the fixup overwrites): a known constant
      const r4 = h.arg(4);
      if (!r4.isScalar) h.reject('R4 is not a scalar', 'EINVAL');
      if (!r4.varOff.isConst) h.reject('R4 must be a known constant', 'EINVAL');
      h.precise(4);
      // lowered with the contained type's offsets: a refcounted node's -EINVAL drops its reference, a head in an
      // allocated object is noted for the object's drop
      const rcPush = refcountOff(h.btf!, r2.alloc);
      sizes.set(pc, LIST_PUSH + (def.name.includes('back') ? 0x1000000 : 0) + (rcPush + 1) * 4096 + nodeOff);
      h.toNonOwning(r2.refObjId);
      return Reg.unknown();
    }
    case 'list_pop':
    case 'list_peek': {
      const root = listHeadArg(h, 'bpf_list_head');
      const r0 = allocReg(root.valueId, { name: root.valueName, size: h.btf!.resolveSize(root.valueId) });
      r0.off = root.nodeOff;
      r0.maybeNull = true;
      r0.id = h.newId();
      if (def.graph === 'list_pop') r0.refObjId = r0.id = h.acquire();
      else r0.nonOwning = true;
      return r0;
    }
    case 'rbtree_add': {
      const root = listHeadArg(h, 'bpf_rb_root');
      const r2 = h.arg(2);
      if (r2.maybeNull || isNull(r2)) h.reject('Possibly NULL pointer passed to trusted arg1', 'EACCES');
      allocOffCheck(h, r2, 2);
      // KF_ARG_PTR_TO_RB_NODE of bpf_rbtree_add_impl: an owning reference to an allocated object
      if (!r2.alloc || r2.nonOwning) h.reject('arg#1 expected pointer to allocated object', 'EINVAL');
      if (!r2.refObjId) h.reject('allocated object must be referenced', 'EINVAL');
      graphNodeArg(h, r2, 2, root, 'bpf_rb_node');
      const r3 = h.arg(3);
      if (r3.maybeNull || isNull(r3)) h.reject('Possibly NULL pointer passed to trusted arg2', 'EACCES');
      if (r3.type !== RegType.FUNC) h.reject('arg2 expected pointer to func', 'EINVAL');
      const r5 = h.arg(5);
      if (!r5.isScalar) h.reject('R5 is not a scalar', 'EINVAL');
      if (!r5.varOff.isConst) h.reject('R5 must be a known constant', 'EINVAL');
      h.precise(5);
      h.pushLess(r3.subprog, () => graphNode(h, root, true));
      const rc = refcountOff(h.btf!, root.valueId);
      sizes.set(pc, RBTREE_ADD + (rc + 1) * 4096 + root.nodeOff);
      h.toNonOwning(r2.refObjId);
      return Reg.unknown();
    }
    case 'rbtree_remove':
    case 'rbtree_child': {
      const root = listHeadArg(h, 'bpf_rb_root');
      const r2 = h.arg(2);
      if (r2.maybeNull || isNull(r2)) h.reject('Possibly NULL pointer passed to trusted arg1', 'EACCES');
      allocOffCheck(h, r2, 2);
      if (!r2.nonOwning && !r2.refObjId) h.reject(`${def.name} can only take non-owning or refcounted bpf_rb_node pointer`, 'EINVAL');
      if (h.inRbtreeCb()) h.reject(`${def.name} not allowed in rbtree cb`, 'EINVAL');
      graphNodeArg(h, r2, 2, root, 'bpf_rb_node');
      const r0 = graphNode(h, root, false);
      r0.maybeNull = true;
      r0.id = h.newId();
      if (def.graph === 'rbtree_remove') r0.refObjId = r0.id = h.acquire();
      else r0.nonOwning = true;
      return r0;
    }
    case 'rbtree_peek': {
      const root = listHeadArg(h, 'bpf_rb_root');
      const r0 = graphNode(h, root, true);
      r0.maybeNull = true;
      r0.id = h.newId();
      return r0;
    }
    case 'refcount_acquire': {
      const r1 = h.arg(1);
      if (r1.maybeNull || isNull(r1)) h.reject('Possibly NULL pointer passed to trusted arg0', 'EACCES');
      allocOffCheck(h, r1, 1);
      // KF_ARG_PTR_TO_REFCOUNTED_KPTR
      if (!r1.alloc) h.reject('arg#0 is neither owning or non-owning ref', 'EINVAL');
      const rc = refcountOff(h.btf!, r1.alloc);
      if (rc < 0) h.reject("arg#0 doesn't point to a type with bpf_refcount field", 'EINVAL');
      sizes.set(pc, REFCOUNT_ACQUIRE + rc);
      // is_kfunc_ret_null: not for an owning reference's; the object at its start (mark_reg_known_zero)
      const r0 = allocReg(r1.alloc, { name: r1.btf!, size: r1.memSize });
      if (r1.nonOwning) {
        r0.maybeNull = true;
        r0.id = h.newId();
      }
      r0.refObjId = h.acquire();
      if (r0.maybeNull) r0.id = r0.refObjId;
      return r0;
    }
    default:
      return h.reject(`kernel function ${def.name} is not supported`, 'EINVAL');
  }
}

/**
 * A kptr field of a map value (btf_find_kptr): a pointer member whose pointee is a `kptr` (BPF_KPTR_REF),
 * `kptr_untrusted` (BPF_KPTR_UNREF) or `percpu_kptr` (BPF_KPTR_PERCPU) type tag on a struct. wxdp's are
 * structs of the program's own BTF only (btf_parse_kptr: a name vmlinux lacks, so a MEM_ALLOC kptr for
 * bpf_obj_new's objects); `structId` is that struct's id (what bpf_obj_new's local type id names).
 */
export interface KptrField {
  off: number;
  type: 'kptr' | 'kptr_untrusted' | 'percpu_kptr';
  structId: number;
  structName: string;
  /**
   * A struct whose name vmlinux has: btf_parse_kptr takes the kernel's type for it (a referenced kptr only with a
   * destructor, else the object's BTF is refused: elf/spin_lock.ts), so no bpf_obj_new object matches it.
   */
  kernel: boolean;
}

const kptrCache = new WeakMap<Btf, Map<string, KptrField[]>>();

/** The kptr fields of map `mapName`'s value (its `.maps` definition's `value` member), by offset. */
export function mapKptrs(btf: Btf | undefined, mapName: string): KptrField[] {
  if (!btf) return [];
  let byMap = kptrCache.get(btf);
  if (!byMap) kptrCache.set(btf, (byMap = new Map()));
  const hit = byMap.get(mapName);
  if (hit) return hit;
  const valueId = mapValueTypeId(btf, mapName);
  const out = valueId !== undefined ? valueKptrs(btf, valueId) : [];
  byMap.set(mapName, out);
  return out;
}

/** btf_find_kptr over the members of struct `valueId` (and of arrays of kptrs, each element one field). */
export function valueKptrs(btf: Btf, valueId: number): KptrField[] {
  const out: KptrField[] = [];
  const value = btf.skipModsAndTypedefs(valueId);
  if (value.kind !== 'struct') return out;
  for (const m of value.members) {
    let tid = m.type;
    let n = 1;
    let t = btf.type(tid);
    if (t.kind === 'array') {
      n = t.nelems;
      tid = t.type;
      t = btf.type(tid);
    }
    // permit modifiers on the pointer itself
    if (t.kind === 'volatile') t = btf.type(t.type);
    if (t.kind !== 'ptr') continue;
    const tag = btf.type(t.type);
    if (tag.kind !== 'type_tag' || (tag.name !== 'kptr' && tag.name !== 'kptr_untrusted' && tag.name !== 'percpu_kptr')) continue;
    // the base type: modifiers and typedefs skipped (btf_type_skip_modifiers' res_id)
    let id = tag.type;
    for (let d = 0; d < 32; d++) {
      const x = btf.type(id);
      if (x.kind !== 'typedef' && x.kind !== 'const' && x.kind !== 'volatile' && x.kind !== 'restrict' && x.kind !== 'type_tag') break;
      id = x.type;
    }
    const s = btf.type(id);
    if (s.kind !== 'struct') continue;
    const kernel = isVmlinuxStruct(s.name);
    for (let i = 0; i < n; i++) out.push({ off: Math.floor(m.bitOffset / 8) + 8 * i, type: tag.name, structId: id, structName: s.name, kernel });
  }
  return out;
}

/**
 * A map value's kptr fields: an inner map template's come with it (bpf_map_meta_alloc copies the inner map's
 * btf_record; the template has no name), an object's map's from its `.maps` definition.
 */
export function mapValueKptrs(btf: Btf | undefined, map: MapInfo): readonly KptrField[] {
  return map.kptrs ?? mapKptrs(btf, map.name);
}

/** The kptr field a `size`-byte map value access at [lo, hi) touches (check_map_access's field loop), if any. */
export function kptrOverlap(btf: Btf | undefined, map: MapInfo, lo: bigint, hi: bigint): KptrField | undefined {
  if (!btf || map.noBtf || map.inner) return undefined;
  return mapValueKptrs(btf, map).find((k) => lo < BigInt(k.off + 8) && BigInt(k.off) < hi);
}

/** btf_field_type_name of a kptr field. */
export const kptrTypeName = (k: KptrField): string => (k.type === 'percpu_kptr' ? 'percpu_kptr' : 'kptr');
