// Maps: created in the arena, used by programs through the bpf_map_* helper exports and by TypeScript
// through the map_* exports. One file per map family, each drawing its memory layout:
//   arena.ts        the arena, the scratch buffer, the hash seed
//   array.ts        array, percpu_array          hash.ts        hash, percpu_hash, lru_hash, lru_percpu_hash
//   lpm_trie.ts     lpm_trie                     queue_stack.ts queue, stack
//   bloom_filter.ts bloom_filter
//   ringbuf.ts      ringbuf                      fd_array.ts    prog_array, xskmap
//   devmap.ts       devmap, devmap_hash          percpu.ts      what percpu maps share
//   syscall.ts      the control API (map_*)      prog_helpers.ts the program helpers (bpf_*)
//   sockmap.ts      sockmap, sockhash, reuseport_sockarray (sockets by id; programs see bpf_sock views)
//   map_in_map.ts   array_of_maps, hash_of_maps  perf_event.ts  perf_event_array and its rings
//   cpumap.ts       cpumap                       for_each.ts    bpf_for_each_map_elem's walk
//   timer.ts        bpf_timer in map values      map_value.ts   a value's spin lock and timer bytes (copy_map_value)

export {
  arena_alloc, arena_free, arena_free_bytes, arena_top, arena_reset, scratch_base, map_hash_seed, MAPS_ARENA_HEADER, MAPS_SCRATCH_SIZE,
} from './arena';
export { MAPS_PERCPU_NCPUS } from './percpu';
export { MAPS_ARRAY_STRIDE, MAPS_ARRAY_UNIT } from './array';
export { MAPS_HT_MASK, MAPS_HT_SEED, MAPS_HT_KEY_OFF, MAPS_HT_VALUE_OFF } from './hash';
export { MAPS_LRU_KPTRS, MAPS_LRU_REF } from './lru';
export {
  MAPS_LPM_ROOT, MAPS_LPM_DATA_SIZE, MAPS_LPM_VALUE_OFF, MAPS_LPM_NODE_FLAGS, MAPS_LPM_NODE_PREFIXLEN, MAPS_LPM_NODE_DATA,
} from './lpm_trie';
export { MAPS_RB_CONSUMER_POS, MAPS_RB_PRODUCER_POS, MAPS_RB_PENDING_POS, MAPS_RB_MASK, MAPS_RB_DATA_OFFSET } from './ringbuf';
export { prog_array_get } from './fd_array';
export {
  map_create, map_lookup, map_update, map_delete, map_get_next_key, map_push, map_pop, map_peek, map_clear,
  map_lookup_sock, map_elem_value, map_in_map_update, map_free, map_release_uref, map_set_extra,
} from './syscall';
export { map_in_map_create, map_inner_meta, MAPS_MIM_META, MAPS_MIM_META_SPIN_LOCK, MAPS_MIM_META_TIMER } from './map_in_map';
export { perf_ring_create, bpf_perf_event_output, bpf_xdp_output, MAPS_PERF_DATA_HEAD, MAPS_PERF_DATA_TAIL } from './perf_event';
export {
  bpf_map_lookup_elem, bpf_map_update_elem, bpf_map_delete_elem, bpf_map_push_elem, bpf_map_pop_elem,
  bpf_map_peek_elem, bpf_ringbuf_output, bpf_ringbuf_reserve, bpf_ringbuf_submit, bpf_ringbuf_discard,
  bpf_ringbuf_query, bpf_redirect_map, array_lookup_elem, percpu_array_lookup_elem, htab_lookup_elem,
  htab_percpu_lookup_elem, htab_lru_lookup_elem, trie_lookup_elem, bpf_map_lookup_percpu_elem,
} from './prog_helpers';
export { bpf_for_each_map_elem, map_iter_record, map_iter_start, map_iter_next } from './for_each';
export { map_value_copy_locked } from './map_value';
export {
  bpf_timer_init, bpf_timer_set_callback, bpf_timer_start, bpf_timer_cancel, bpf_timer_next_due, bpf_timer_next_expiry,
  bpf_timer_run, bpf_timer_done, bpf_timer_callback, bpf_timer_key, bpf_timer_map, bpf_timer_value,
} from './timer';
