// Reject: bpf_rbtree_remove of a node pointer kept across the unlock.
// A non-owning reference dies with the lock (invalidate_non_owning_refs): in the next critical section
// it is no node the remove may take.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "obj_kfuncs.h"

struct node {
	__u64 key;
	struct bpf_rb_node rb;
};

struct tv {
	struct bpf_spin_lock lock;
	struct bpf_rb_root root __contains(node, rb);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct tv);
} trees SEC(".maps");

static struct tv *tv(__u32 k)
{
	return bpf_map_lookup_elem(&trees, &k);
}

static _Bool less(struct bpf_rb_node *a, const struct bpf_rb_node *b)
{
	return container_of(a, struct node, rb)->key < container_of(b, struct node, rb)->key;
}

SEC("xdp")
int rbtree_remove_after_unlock(struct xdp_md *ctx)
{
	struct tv *v = tv(0);
	struct bpf_rb_node *n;
	struct node *e;
	if (!v) return 0;
	e = bpf_obj_new(struct node);
	if (!e) return 0;
	bpf_spin_lock(&v->lock);
	bpf_rbtree_add(&v->root, &e->rb, less);
	bpf_spin_unlock(&v->lock);
	bpf_spin_lock(&v->lock);
	n = bpf_rbtree_remove(&v->root, &e->rb);
	bpf_spin_unlock(&v->lock);
	if (n) bpf_obj_drop(container_of(n, struct node, rb));
	return 0;
}

LICENSE;
