/* bpf_map_sum_elem_count (kernel/bpf/map_iter.c, KF_TRUSTED_ARGS, every program type): the sum of a map's
 * per-CPU element counters (hash maps keep them; other maps have none: 0).
 */
/* a struct, not a forward declaration: libbpf 1.1 finds a FWD incompatible with the kernel's STRUCT */
struct bpf_map { __u32 id; } __attribute__((preserve_access_index));
extern __s64 bpf_map_sum_elem_count(const struct bpf_map *map) __ksym;
