// Accept: an object pushed onto a map value's bpf_list under its lock, popped again, dropped.
// The head's contains: tag names the struct and node; push (under the value's bpf_spin_lock) takes the
// object's reference (its pointer becomes non-owning until the unlock), pop gives a new one, at the
// node's offset in the struct.
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
int list_push_pop(struct xdp_md *ctx)
{
	struct lv *v = lv(0);
	struct bpf_list_node *n;
	struct elem *e;
	__u64 r;
	if (!v) return 0;
	e = bpf_obj_new(struct elem);
	if (!e) return 0;
	e->val = ctx->ingress_ifindex;
	bpf_spin_lock(&v->lock);
	bpf_list_push_back(&v->head, &e->node);
	bpf_spin_unlock(&v->lock);
	bpf_spin_lock(&v->lock);
	n = bpf_list_pop_front(&v->head);
	bpf_spin_unlock(&v->lock);
	if (!n) return 1;
	e = container_of(n, struct elem, node);
	r = e->val;
	bpf_obj_drop(e);
	return r;
}

LICENSE;
