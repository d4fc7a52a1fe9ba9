// Reject: bpf_list_push_back without holding the bpf_spin_lock of the head's map value.
// Every bpf_list kfunc wants the lock in the same allocation as the head held (check_reg_allocation_locked).
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

static struct lv *lv(__u32 k)
{
	return bpf_map_lookup_elem(&lists, &k);
}

SEC("xdp")
int list_push_without_lock(struct xdp_md *ctx)
{
	struct lv *v = lv(0);
	struct elem *e;
	if (!v) return 0;
	e = bpf_obj_new(struct elem);
	if (!e) return 0;
	bpf_list_push_back(&v->head, &e->node);
	return 2;
}

LICENSE;
