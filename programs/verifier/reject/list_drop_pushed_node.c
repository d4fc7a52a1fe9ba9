// Reject: bpf_obj_drop of an object that was pushed onto a list.
// Its pointer lost the reference to the list: a non-owning reference is no argument for a release kfunc.
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
int list_drop_pushed_node(struct xdp_md *ctx)
{
	struct lv *v = lv(0);
	struct elem *e;
	if (!v) return 0;
	e = bpf_obj_new(struct elem);
	if (!e) return 0;
	bpf_spin_lock(&v->lock);
	bpf_list_push_back(&v->head, &e->node);
	bpf_spin_unlock(&v->lock);
	bpf_obj_drop(e);
	return 2;
}

LICENSE;
