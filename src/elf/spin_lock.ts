// Where a map value's `struct bpf_spin_lock` (and `struct bpf_timer`) is, from its BTF, as the kernel's btf_parse_fields finds
// it for map_check_btf: a member of the value struct (or of a struct nested in it) whose type is the
// struct named bpf_spin_lock. No value type, or none: -1. Two: an error (the kernel's EINVAL at
// map creation). The kernel allows it in hash and array maps only (others: EOPNOTSUPP, after which
// libbpf creates the map again without BTF, so the lock is just 4 bytes).

import type { Btf } from './btf.js';

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
  const walk = (id: number, base: number, depth: number): void => {
    const t = btf.skipModsAndTypedefs(id);
    if (t.kind !== 'struct' && t.kind !== 'union') return;
    if (t.name === name && t.kind === 'struct') {
      found.push(base);
      return;
    }
    if (depth > 8) return;
    for (const m of t.members) walk(m.type, base + m.bitOffset / 8, depth + 1);
  };
  const top = btf.skipModsAndTypedefs(valueTypeId);
  // the value itself being the struct does not count: it must be a field of a struct
  if (top.kind !== 'struct' && top.kind !== 'union') return -1;
  if (top.name === name) return -1;
  walk(valueTypeId, 0, 0);
  if (found.length > 1) return 'many';
  return found[0] ?? -1;
}
