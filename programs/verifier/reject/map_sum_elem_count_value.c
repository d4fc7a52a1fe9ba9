// Reject: a map value, not the map, passed to bpf_map_sum_elem_count.
// Only registers of a BTF type (PTR_TO_BTF_ID, or reg2btf_ids: the map pointer, sockets) are struct pointers
// to a kfunc; any other pointer is memory, which `struct bpf_map *` (no scalars) cannot be (EINVAL).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "kfunc_map.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} hash SEC(".maps");

SEC("xdp")
int map_sum_elem_count_value(struct xdp_md *ctx)
{
	__u32 k = 0;
	void *v = bpf_map_lookup_elem(&hash, &k);

	if (!v)
		return XDP_PASS;
	return bpf_map_sum_elem_count(v);
}

LICENSE;
