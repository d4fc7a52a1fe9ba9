// Reject: a helper writing a map value's bpf_list_head (bpf_xdp_load_bytes into it).
// check_map_access refuses a helper's access to a graph root as it refuses a load or store: the list kfuncs
// would otherwise follow whatever addresses the packet put there.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "obj_kfuncs.h"

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
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct lv);
} lists SEC(".maps");

SEC("xdp")
int list_head_helper_write(struct xdp_md *ctx)
{
	__u32 k = 0;
	struct lv *v = bpf_map_lookup_elem(&lists, &k);

	BTF_TYPE_ANCHOR(struct elem);
	if (!v)
		return 0;
	bpf_xdp_load_bytes(ctx, 0, &v->head, 16);
	return 2;
}

LICENSE;
