// Where a map value's `struct bpf_spin_lock` (and `struct bpf_timer`) is, from its BTF, as the kernel's btf_parse_fields finds
// it for map_check_btf: a member of the value struct (or of a struct nested in it) whose type is the
// struct named bpf_spin_lock. No value type, or none: -1. Two in one struct: 'many'; in two nested structs: the last (btfFieldOffset). The kernel allows it in hash and array maps only (others: EOPNOTSUPP, after which
// libbpf creates the map again without BTF, so the lock is just 4 bytes).

import type { Btf } from './btf.js';
import { isVmlinuxStruct, VMLINUX_KPTR_DTOR_STRUCTS } from './vmlinux_structs.js';

export const SPIN_LOCK_TYPES: readonly number[] = [1 /* hash */, 2 /* array */];

export function spinLockOffset(btf: Btf | undefined, valueTypeId: number | undefined): number | 'many' {
  return btfFieldOffset(btf, valueTypeId, 'bpf_spin_lock');
}

/** Where a map value's `struct bpf_res_spin_lock` is (the kernel's BPF_RES_SPIN_LOCK field), found likewise. */
export function resSpinLockOffset(btf: Btf | undefined, valueTypeId: number | undefined): number | 'many' {
  return btfFieldOffset(btf, valueTypeId, 'bpf_res_spin_lock');
}

/** The kernel allows a `struct bpf_timer` in hash, array and lru_hash maps (map_check_btf). */
export const TIMER_TYPES: readonly number[] = [1 /* hash */, 2 /* array */, 9 /* lru_hash */];

/** Where a map value's `struct bpf_timer` is, found as its `struct bpf_spin_lock` is. */
export function timerOffset(btf: Btf | undefined, valueTypeId: number | undefined): number | 'many' {
  return btfFieldOffset(btf, valueTypeId, 'bpf_timer');
}

/** btf_parse_fields for one special struct `name`: its offset in the value, -1 without one, 'many'. */
function btfFieldOffset(btf: Btf | undefined, valueTypeId: number | undefined, name: string): number | 'many' {
  if (!btf || valueTypeId === undefined) return -1;
  const found: number[] = [];
  let twoInOne = false;
  const walk = (id: number, base: number, depth: number): void => {
    const t = btf.skipModsAndTypedefs(id);
    if (t.kind !== 'struct' && t.kind !== 'union') return;
    if (depth > 8) return;
    let here = 0;
    for (const m of t.members) {
      const mt = btf.skipModsAndTypedefs(m.type);
      if (mt.kind === 'struct' && mt.name === name) {
        found.push(base + m.bitOffset / 8);
        here++;
      } else {
        walk(m.type, base + m.bitOffset / 8, depth + 1);
      }
    }
    if (here > 1) twoInOne = true;
  };
  const top = btf.skipModsAndTypedefs(valueTypeId);
  // a global data section's map (`.data.A`, `.bss`): btf_find_datasec_var, each variable a field at its offset
  // (6.18.44: `struct bpf_spin_lock lk SEC(".data.A")` taken by bpf_spin_lock, 14 insns processed)
  if (top.kind === 'datasec') {
    for (const v of top.vars) {
      const vt = btf.type(v.type);
      if (vt.kind !== 'var') continue;
      const t = btf.skipModsAndTypedefs(vt.type);
      if (t.kind === 'struct' && t.name === name) found.push(v.offset);
      else walk(vt.type, v.offset, 1);
    }
    return found.length > 1 ? 'many' : (found[0] ?? -1);
  }
  // the value itself being the struct does not count: it must be a field of a struct
  if (top.kind !== 'struct' && top.kind !== 'union') return -1;
  if (top.name === name) return -1;
  walk(valueTypeId, 0, 0);
  // two in one struct: btf_find_struct_field's seen_mask, E2BIG (for locks the object's BTF fails first:
  // kernelBtfRefusal); two in nested structs are each their struct's only one, and btf_parse_fields keeps the
  // last (6.18.44: locks at 0 and 8 in two member structs, the map made with BTF, bpf_spin_lock at 0 'off 0
  // doesn't point to 'struct bpf_spin_lock' that is at 8')
  if (twoInOne) return 'many';
  return found[found.length - 1] ?? -1;
}

/** The special structs btf_parse_struct_metas looks for among a struct's members (its `aof` set). */
const STRUCT_META_NAMES = ['bpf_spin_lock', 'bpf_res_spin_lock', 'bpf_list_head', 'bpf_list_node', 'bpf_rb_root', 'bpf_rb_node', 'bpf_refcount'];

/** Why the kernel refuses an object's whole BTF (BPF_BTF_LOAD), as libbpf reports it: errno and where. */
export interface BtfLoadRefusal { errno: 'EINVAL' | 'E2BIG' | 'ENOENT'; typeId: number; why: string }

/**
 * BPF_BTF_LOAD's btf_parse_struct_metas: every struct of the object's BTF with a member whose type is one of
 * the special structs above (the member's own type id: no typedef) has its fields parsed as a map value's
 * would be, and one that fails fails the whole BTF — libbpf then says "Error loading .BTF into kernel: -22.
 * BTF is optional, ignoring." and loads the object without it: no map has BTF (locks, timers, lists are
 * plain bytes; the helpers and kfuncs on them are refused), no program has BTF (no func/line info, global
 * functions checked as static ones, bpf_obj_new "requires prog BTF"). 6.18.44, through bpftool prog load
 * (libbpf 1.1): two bpf_spin_locks (or two bpf_res_spin_locks) in a struct -E2BIG; both kinds -EINVAL; a
 * bpf_list_head without a `contains:` tag -EINVAL, naming a struct the BTF lacks -ENOENT, in a struct
 * without a lock (a bpf_res_spin_lock will do) -EINVAL — nested in a map value's member struct or in a
 * struct no map uses just as well; two bpf_list_nodes, a node beside a head and its lock, two heads: taken.
 */
export function kernelBtfRefusal(btf: Btf | undefined): BtfLoadRefusal | undefined {
  if (!btf) return undefined;
  const special = new Set<number>();
  btf.types.forEach((t, id) => {
    if (t.kind === 'struct' && STRUCT_META_NAMES.includes(t.name)) special.add(id);
  });
  // btf_find_kptr's pointers (a member's own type: PTR -> TYPE_TAG kptr / kptr_untrusted / percpu_kptr): a struct
  // holding one has its fields parsed too, and btf_parse_kptr takes a referenced kptr to a struct whose name
  // vmlinux has for the kernel's type, which must have a destructor (btf_find_dtor_kfunc: -ENOENT) — 6.18.44:
  // `in_device_t __kptr *p` (a program's struct in_device) "BTF loading error: -2", the map made without BTF
  const kptrTarget = new Map<number, { tag: string; name: string }>();
  btf.types.forEach((t, id) => {
    if (t.kind !== 'ptr') return;
    const tag = btf.types[t.type];
    if (tag?.kind !== 'type_tag' || !['kptr', 'kptr_untrusted', 'percpu_kptr'].includes(tag.name)) return;
    const target = btf.skipModsAndTypedefs(tag.type);
    special.add(id);
    kptrTarget.set(id, { tag: tag.name, name: target.kind === 'struct' ? target.name : '' });
  });
  if (special.size === 0) return undefined;
  for (let id = 1; id < btf.types.length; id++) {
    const t = btf.types[id]!;
    if (t.kind !== 'struct' || !t.members.some((m) => special.has(m.type))) continue;
    const seen = new Map<string, number>();
    const roots: { idx: number; name: string }[] = [];
    for (const [idx, m] of t.members.entries()) {
      const mt = btf.skipModsAndTypedefs(m.type);
      if (mt.kind !== 'struct' || !STRUCT_META_NAMES.includes(mt.name)) continue;
      const n = (seen.get(mt.name) ?? 0) + 1;
      seen.set(mt.name, n);
      if (n > 1 && (mt.name === 'bpf_spin_lock' || mt.name === 'bpf_res_spin_lock' || mt.name === 'bpf_refcount')) {
        return { errno: 'E2BIG', typeId: id, why: `struct ${t.name || '(anon)'} holds more than one struct ${mt.name}` };
      }
      if (mt.name === 'bpf_list_head' || mt.name === 'bpf_rb_root') roots.push({ idx, name: m.name });
    }
    for (const m of t.members) {
      const k = kptrTarget.get(m.type);
      if (k?.tag === 'kptr' && isVmlinuxStruct(k.name) && !VMLINUX_KPTR_DTOR_STRUCTS.has(k.name)) {
        return { errno: 'ENOENT', typeId: id, why: `struct ${t.name || '(anon)'}'s kptr ${m.name} is to struct ${k.name}, a vmlinux struct without a destructor kfunc` };
      }
    }
    for (const r of roots) {
      const tag = btf.types.find((x) => x.kind === 'decl_tag' && x.componentIdx === r.idx && x.type === id && x.name.startsWith('contains:'));
      if (!tag) return { errno: 'EINVAL', typeId: id, why: `struct ${t.name || '(anon)'}'s ${r.name} has no contains: tag` };
      const [, cname, field] = tag.name.split(':');
      const c = btf.types.find((x) => x.kind === 'struct' && x.name === cname);
      if (!c || c.kind !== 'struct') return { errno: 'ENOENT', typeId: id, why: `struct ${t.name || '(anon)'}'s ${r.name} contains struct ${cname}, which the BTF lacks` };
      if (!c.members.some((x) => x.name === field)) return { errno: 'EINVAL', typeId: id, why: `struct ${cname} has no member ${field} for ${t.name || '(anon)'}'s ${r.name}` };
    }
    if (seen.has('bpf_spin_lock') && seen.has('bpf_res_spin_lock')) {
      return { errno: 'EINVAL', typeId: id, why: `struct ${t.name || '(anon)'} holds a struct bpf_spin_lock and a struct bpf_res_spin_lock` };
    }
    if (roots.length > 0 && !seen.has('bpf_spin_lock') && !seen.has('bpf_res_spin_lock')) {
      return { errno: 'EINVAL', typeId: id, why: `struct ${t.name || '(anon)'} holds ${roots.map((r) => r.name).join(', ')} (a bpf_list_head / bpf_rb_root) without a bpf_spin_lock` };
    }
  }
  return undefined;
}
