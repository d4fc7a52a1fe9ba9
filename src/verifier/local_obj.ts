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

import type { Btf } from '../elf/btf.js';
import type { KfuncDef } from '../helpers/kfuncs.js';
import { Reg, RegType } from './reg.js';
import type { VerifierErrno } from '../errors.js';

/** The verifier services a graph kfunc's check needs (verifier.ts binds them to the call). */
export interface GraphHost {
  btf: Btf | undefined;
  reject(reason: string, errno?: VerifierErrno): never;
  /** The argument register, checked as read (check_reg_arg). */
  arg(regno: number): Reg;
  precise(regno: number): void;
  newId(): number;
  acquire(): number;
  hasRef(id: number): boolean;
  /** release_reference: the reference goes, every register and spill holding it becomes a scalar. */
  release(id: number): void;
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

/** A MEM_ALLOC register of local struct `id`. */
export function allocReg(id: number, s: { name: string; size: number }): Reg {
  const r = Reg.pointer(RegType.MEM);
  r.alloc = id;
  r.btf = s.name;
  r.memSize = s.size;
  return r;
}

/** What the walk learned for the loader: each bpf_obj_new call's object size, by instruction. */
export type ObjNewSizes = Map<number, number>;

/**
 * check_kfunc_call for a graph kfunc: its arguments (check_kfunc_args), then what it does to the state.
 * Returns r0 (undefined: void). The caller clobbers r1-r5 after.
 */
export function graphKfuncCall(h: GraphHost, def: KfuncDef, pc: number, sizes: ObjNewSizes): Reg | undefined {
  switch (def.graph) {
    case 'obj_new': {
      // `local_type_id__k`: a scalar, a known constant, made precise
      const r1 = h.arg(1);
      if (!r1.isScalar) h.reject('R1 is not a scalar', 'EINVAL');
      if (!r1.varOff.isConst) h.reject('R1 must be a known constant', 'EINVAL');
      h.precise(1);
      const v = r1.varOff.value;
      if (v > 0xffffffffn) h.reject('local type ID argument must be in range [0, U32_MAX]', 'EINVAL');
      if (!h.btf) h.reject('bpf_obj_new/bpf_percpu_obj_new requires prog BTF', 'EINVAL');
      const s = localStruct(h.btf, Number(v));
      if (!s) h.reject('bpf_obj_new/bpf_percpu_obj_new type ID argument must be of a struct', 'EINVAL');
      sizes.set(pc, s.size);
      // KF_RET_NULL's id first, then acquire_reference's replaces it
      const r0 = allocReg(Number(v), s);
      r0.maybeNull = true;
      h.newId();
      r0.id = r0.refObjId = h.acquire();
      return r0;
    }
    case 'obj_drop': {
      const r1 = h.arg(1);
      // is_kfunc_trusted_args (KF_RELEASE): not NULL; then a trusted (referenced) pointer at its start
      if (r1.maybeNull || (r1.isScalar && r1.varOff.isConst && r1.varOff.value === 0n)) h.reject('Possibly NULL pointer passed to trusted arg0');
      if (!r1.refObjId || !h.hasRef(r1.refObjId)) h.reject('R1 must be referenced or trusted', 'EINVAL');
      if (r1.off !== 0 || !r1.varOff.isConst || r1.varOff.value !== 0n) h.reject('R1 must have zero offset when passed to release func or trusted arg to kfunc', 'EINVAL');
      if (!r1.alloc) h.reject('arg#0 expected for bpf_obj_drop_impl()', 'EINVAL');
      h.release(r1.refObjId);
      return undefined;
    }
    default:
      return h.reject(`kernel function ${def.name} is not supported`, 'EINVAL');
  }
}
