// Reject: an object read through its pointer after it was pushed and the lock released.
// After the push the pointer is a non-owning reference, valid only until bpf_spin_unlock, which makes
// it an unknown scalar.
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
int list_node_after_unlock(struct xdp_md *ctx)
{
	struct lv *v = lv(0);
	struct elem *e;
	if (!v) return 0;
	e = bpf_obj_new(struct elem);
	if (!e) return 0;
	bpf_spin_lock(&v->lock);
	bpf_list_push_back(&v->head, &e->node);
	e->val = 5;
	bpf_spin_unlock(&v->lock);
	return e->val;
}

LICENSE;
