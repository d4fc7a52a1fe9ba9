// BPF_MAP_TYPE_ARRAY_OF_MAPS and BPF_MAP_TYPE_HASH_OF_MAPS (kernel/bpf/arraymap.c, hashtab.c,
// map_in_map.c): maps whose values are other maps. Where the kernel stores a struct bpf_map pointer,
// wxdp stores the inner map's address (its header, what an ld_imm64 of that map resolves to), so a
// program's lookup returns exactly the pointer it then passes to bpf_map_lookup_elem. User space speaks
// map ids (TypeScript turns an id into an address before map_update and an address into an id after a
// lookup, as map_fd_sys_lookup_elem answers the inner map's id).
//
// Each outer map keeps the inner map template it was created with (bpf_map_meta_alloc), in a block of
// its own, whose address is in the header at MIM_META (+64, after the generic words):
//
//   meta  +0 u32 type | +4 u32 key_size | +8 u32 value_size | +12 u32 max_entries | +16 u32 map_flags
//         +20 u32 MAP_SPIN_LOCK | +24 u32 MAP_TIMER   (the template's btf_record: its special fields'
//         words, copied at create; the loader sets them from BTF, which it reads after creating maps)
//
//   array_of_maps  MAP_DATA  max_entries × u32 inner map address (0 = empty)
//   hash_of_maps   a hash map (hash.ts) with value_size 4 holding the inner map address; its header type
//                  is HASH_OF_MAPS, which hash.ts treats as a plain hash.
//
// An inner map must match the template (bpf_map_meta_equal: type, key_size, value_size, map_flags, the
// btf_record — here where the spin lock and timer are; array_map_meta_equal also max_entries unless the
// template has BPF_F_INNER_MAP), else -EINVAL.

import { MAP_DATA, MAP_FLAGS, MAP_KEY_SIZE, MAP_MAX_ENTRIES, MAP_SPIN_LOCK, MAP_TIMER, MAP_TYPE, MAP_VALUE_SIZE } from '../abi';
import { allocMap, arena_alloc, arena_free } from './arena';
import { arrayAllocCheck } from './array';
import { htabCreate, htabDelete, htabLookup, htabUpdate } from './hash';
import {
  BPF_ANY, BPF_F_INNER_MAP, BPF_F_RDONLY_PROG, BPF_F_WRONLY_PROG, BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_ARRAY_OF_MAPS,
  BPF_MAP_TYPE_HASH, BPF_MAP_TYPE_HASH_OF_MAPS, BPF_MAP_TYPE_PROG_ARRAY, E2BIG, EINVAL, ENOENT, ENOMEM, ENOTSUPP,
} from './uapi';

/** Header offset of the inner map template's address. */
export const MAPS_MIM_META: u32 = 64;
/** Template block offsets of the inner value's spin lock and timer words (MAP_SPIN_LOCK's and MAP_TIMER's encoding). */
export const MAPS_MIM_META_SPIN_LOCK: u32 = 20;
export const MAPS_MIM_META_TIMER: u32 = 24;
const META_SIZE: u32 = 28;

@inline export function isMapInMap(type: u32): bool {
  return type == BPF_MAP_TYPE_ARRAY_OF_MAPS || type == BPF_MAP_TYPE_HASH_OF_MAPS;
}

/**
 * BPF_MAP_CREATE of an array_of_maps or hash_of_maps with `inner` (the address of a map standing for
 * inner_map_fd): the outer map's address or a negative errno. The alloc checks come first, as
 * map_create calls map_alloc_check before map_alloc takes the template.
 */
export function map_in_map_create(type: u32, keySize: u32, valueSize: u32, maxEntries: u32, flags: u32, id: u32, inner: u32): i64 {
  // fd_array_map_alloc_check() / fd_htab_map_alloc_check()
  if (valueSize != 4) return -EINVAL;
  if (type == BPF_MAP_TYPE_ARRAY_OF_MAPS) {
    if ((flags & (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG)) != 0) return -EINVAL;
    const err = arrayAllocCheck(BPF_MAP_TYPE_PROG_ARRAY, keySize, valueSize, maxEntries, flags);
    if (err != 0) return err;
  } else if (type != BPF_MAP_TYPE_HASH_OF_MAPS) {
    return -EINVAL;
  }
  // bpf_map_meta_alloc(): one level only; prog arrays bind owners at run time and are refused.
  if (inner == 0) return -EINVAL;
  const it = load<u32>(inner, MAP_TYPE);
  if (isMapInMap(it)) return -EINVAL;
  if (it == BPF_MAP_TYPE_PROG_ARRAY) return -ENOTSUPP;
  const meta = arena_alloc(META_SIZE, 8);
  if (meta == 0) return -ENOMEM;
  store<u32>(meta, it);
  store<u32>(meta, load<u32>(inner, MAP_KEY_SIZE), 4);
  store<u32>(meta, load<u32>(inner, MAP_VALUE_SIZE), 8);
  store<u32>(meta, load<u32>(inner, MAP_MAX_ENTRIES), 12);
  store<u32>(meta, load<u32>(inner, MAP_FLAGS), 16);
  store<u32>(meta, load<u32>(inner, MAP_SPIN_LOCK), MAPS_MIM_META_SPIN_LOCK);
  store<u32>(meta, load<u32>(inner, MAP_TIMER), MAPS_MIM_META_TIMER);
  let m: u32 = 0;
  if (type == BPF_MAP_TYPE_ARRAY_OF_MAPS) {
    m = allocMap(type, keySize, valueSize, maxEntries, flags, id, <u64>maxEntries * 4, 8);
    if (m == 0) return -ENOMEM;
  } else {
    const r = htabCreate(BPF_MAP_TYPE_HASH, keySize, valueSize, maxEntries, flags, id);
    if (r < 0) return r;
    m = <u32>r;
    store<u32>(m, BPF_MAP_TYPE_HASH_OF_MAPS, MAP_TYPE);
  }
  store<u32>(m, meta, MAPS_MIM_META);
  return m;
}

/** The map is being freed: its inner-map template goes with it. */
export function mapInMapFreeMeta(m: u32): void {
  const meta = load<u32>(m, MAPS_MIM_META);
  if (meta != 0) arena_free(meta, META_SIZE);
  store<u32>(m, 0, MAPS_MIM_META);
}

/** The map's map_meta_equal() against the outer map's template. */
function metaEqual(m: u32, inner: u32): bool {
  const meta = load<u32>(m, MAPS_MIM_META);
  const t = load<u32>(meta);
  if (t != load<u32>(inner, MAP_TYPE) || load<u32>(meta, 4) != load<u32>(inner, MAP_KEY_SIZE) ||
      load<u32>(meta, 8) != load<u32>(inner, MAP_VALUE_SIZE) || load<u32>(meta, 16) != load<u32>(inner, MAP_FLAGS) ||
      load<u32>(meta, MAPS_MIM_META_SPIN_LOCK) != load<u32>(inner, MAP_SPIN_LOCK) || load<u32>(meta, MAPS_MIM_META_TIMER) != load<u32>(inner, MAP_TIMER)) {
    return false;
  }
  if (t != BPF_MAP_TYPE_ARRAY || (load<u32>(meta, 16) & BPF_F_INNER_MAP) != 0) return true;
  return load<u32>(meta, 12) == load<u32>(inner, MAP_MAX_ENTRIES);
}

@inline function slot(m: u32, idx: u32): u32 {
  return load<u32>(m, MAP_DATA) + (idx << 2);
}

/**
 * A program's bpf_map_lookup_elem: the inner map's address or 0 (array_of_map_lookup_elem,
 * htab_of_map_lookup_elem return the map pointer itself, not the slot).
 */
export function mapInMapLookup(m: u32, key: u32): u32 {
  if (load<u32>(m, MAP_TYPE) == BPF_MAP_TYPE_ARRAY_OF_MAPS) {
    const idx = load<u32>(key);
    return idx < load<u32>(m, MAP_MAX_ENTRIES) ? load<u32>(slot(m, idx)) : 0;
  }
  const v = htabLookup(m, key);
  return v == 0 ? 0 : load<u32>(v);
}

/**
 * BPF_MAP_UPDATE_ELEM from user space with `inner` the address of the map the id named (0: no such
 * map, -EBADF as for a bad fd). array: bpf_fd_array_map_update_elem (BPF_ANY only, -E2BIG past the
 * end); hash: bpf_fd_htab_map_update_elem (the inner map is resolved first, then htab's flag rules).
 */
export function mapInMapUpdate(m: u32, key: u32, inner: u32, flags: u64, valueBuf: u32): i32 {
  const array = load<u32>(m, MAP_TYPE) == BPF_MAP_TYPE_ARRAY_OF_MAPS;
  if (array) {
    if (flags != BPF_ANY) return -EINVAL;
    if (load<u32>(key) >= load<u32>(m, MAP_MAX_ENTRIES)) return -E2BIG;
  }
  if (!metaEqual(m, inner)) return -EINVAL;
  if (array) {
    store<u32>(slot(m, load<u32>(key)), inner);
    return 0;
  }
  store<u32>(valueBuf, inner);
  return htabUpdate(m, key, valueBuf, flags, false);
}

/** BPF_MAP_DELETE_ELEM: fd_array_map_delete_elem (-E2BIG, -ENOENT for an empty slot) or htab's. */
export function mapInMapDelete(m: u32, key: u32): i32 {
  if (load<u32>(m, MAP_TYPE) != BPF_MAP_TYPE_ARRAY_OF_MAPS) return htabDelete(m, key);
  const idx = load<u32>(key);
  if (idx >= load<u32>(m, MAP_MAX_ENTRIES)) return -E2BIG;
  const s = slot(m, idx);
  const old = load<u32>(s);
  store<u32>(s, 0);
  return old == 0 ? -ENOENT : 0;
}

/** Empty an array_of_maps (TypeScript's clear(); hash_of_maps clears as a hash). */
export function mapInMapArrayClear(m: u32): void {
  memory.fill(load<u32>(m, MAP_DATA), 0, <usize>load<u32>(m, MAP_MAX_ENTRIES) * 4);
}

/** The template's address (for TypeScript and the verifier's view of inner maps), 0 for other maps. */
export function map_inner_meta(m: u32): u32 {
  return isMapInMap(load<u32>(m, MAP_TYPE)) ? load<u32>(m, MAPS_MIM_META) : 0;
}
