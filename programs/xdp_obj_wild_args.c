// Refused by the kernel (a scalar where a pointer must be); for checked mode (tests/sandbox/helper_args.test.ts):
// a program naming a map whose value holds a bpf_list_head, whose update / delete calls the loader lowers to
// graph_maps.ts' helpers, passes them a pointer no region covers (0x10000, the fast path's memory). The frame's
// first byte picks the call — 0: bpf_map_update_elem(&plain, &k, 0x10000) (would copy those 32 bytes into
// `plain`); 1: bpf_map_delete_elem(&listed, 0x10000) (would read the key there). The checked engines must fault
// at the call, as for any helper.
// Maps: `listed` (ARRAY of a value with a bpf_list_head), `plain` (ARRAY of 32 bytes); `keep_elem_type` keeps
// struct elem in the BTF (the `contains:` tag names it).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier/obj_kfuncs.h"

struct elem {
	__u64 val;
	struct bpf_list_node node;
};

struct lv {
	struct bpf_spin_lock lock;
	struct bpf_list_head head __contains(elem, node);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lv);
} listed SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64[4]);
} plain SEC(".maps");

struct elem *keep_elem_type;

SEC("xdp")
int xdp_obj_wild_args(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u8 *op = data;
	__u32 k = 0;

	if (data + 1 > end)
		return XDP_ABORTED;
	if (!bpf_map_lookup_elem(&listed, &k))
		return XDP_DROP;
	if (*op == 0)
		bpf_map_update_elem(&plain, &k, (void *)(long)0x10000, 0);
	else
		bpf_map_delete_elem(&listed, (void *)(long)0x10000);
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
