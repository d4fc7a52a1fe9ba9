// Accept: bpf_map_sum_elem_count of a hash, an LRU hash, a per-CPU hash and an array map, after up to 6 inserts (the frame's first byte) and a delete.
// A map pointer (CONST_PTR_TO_MAP) is a trusted struct bpf_map (reg2btf_ids); hash maps count their elements
// (bpf_map_inc_elem_count), other maps keep no count: 0. Returns the four counts a byte each.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "kfunc_map.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} hash SEC(".maps");
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u64);
} lru SEC(".maps");
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} pcpu SEC(".maps");
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} arr SEC(".maps");

SEC("xdp")
int map_sum_elem_count(struct xdp_md *ctx)
{
	__u8 *p = (__u8 *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u64 v = 7;
	__u32 n, i, k, z = 1;

	if ((void *)(p + 1) > end)
		return XDP_ABORTED;
	n = p[0];
	for (i = 0; i < 6; i++) {
		if (i >= n)
			break;
		k = i;
		bpf_map_update_elem(&hash, &k, &v, BPF_ANY);
		bpf_map_update_elem(&lru, &k, &v, BPF_ANY);
		bpf_map_update_elem(&pcpu, &k, &v, BPF_ANY);
		bpf_map_update_elem(&arr, &k, &v, BPF_ANY);
	}
	bpf_map_delete_elem(&hash, &z);
	bpf_map_delete_elem(&lru, &z);
	return bpf_map_sum_elem_count((struct bpf_map *)&hash) | bpf_map_sum_elem_count((struct bpf_map *)&lru) << 8 |
	       bpf_map_sum_elem_count((struct bpf_map *)&pcpu) << 16 | bpf_map_sum_elem_count((struct bpf_map *)&arr) << 24;
}

LICENSE;
