// Reject: an object of another struct pushed onto a list that holds struct elem.
// The node must be the one the head's contains: tag names, in that struct: "operation on bpf_list_head
// expects arg#1 bpf_list_node at offset=8 in struct elem, but arg is at offset=16 in struct other".
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

struct other {
	__u64 a, b;
	struct bpf_list_node node;
};

static struct lv *lv(__u32 k)
{
	return bpf_map_lookup_elem(&lists, &k);
}

SEC("xdp")
int list_push_wrong_type(struct xdp_md *ctx)
{
	struct lv *v = lv(0);
	struct other *o;

	BTF_TYPE_ANCHOR(struct elem);
	if (!v)
		return 0;
	o = bpf_obj_new(struct other);
	if (!o)
		return 0;
	bpf_spin_lock(&v->lock);
	bpf_list_push_back(&v->head, &o->node);
	bpf_spin_unlock(&v->lock);
	return 2;
}

LICENSE;
