// Reject: the list of one map value pushed onto while holding the lock of another value of the map.
// The lock held must be the head's own (the same map value: the pointer's id).
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
int list_push_other_value_lock(struct xdp_md *ctx)
{
	struct lv *v = lv(0), *u = lv(1);
	struct elem *e;
	if (!v || !u) return 0;
	e = bpf_obj_new(struct elem);
	if (!e) return 0;
	bpf_spin_lock(&u->lock);
	bpf_list_push_back(&v->head, &e->node);
	bpf_spin_unlock(&u->lock);
	return 2;
}

LICENSE;
