// Accept: bpf_rbtree_remove of an owning reference of a refcounted node (one kept with bpf_refcount_acquire).
// The node argument may be non-owning or referenced ("can only take non-owning or refcounted"): the
// remove gives NULL unless the node is in this tree; both references are dropped.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "obj_kfuncs.h"

struct node {
	__u64 key;
	struct bpf_rb_node rb;
	struct bpf_refcount ref;
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
int rbtree_remove_refcounted_owning(struct xdp_md *ctx)
{
	struct tv *v = tv(0);
	struct bpf_rb_node *n;
	struct node *e, *m;
	if (!v) return 0;
	e = bpf_obj_new(struct node);
	if (!e) return 0;
	m = bpf_refcount_acquire(e);
	bpf_spin_lock(&v->lock);
	bpf_rbtree_add(&v->root, &e->rb, less);
	n = bpf_rbtree_remove(&v->root, &m->rb);
	bpf_spin_unlock(&v->lock);
	bpf_obj_drop(m);
	if (!n) return 1;
	bpf_obj_drop(container_of(n, struct node, rb));
	return 2;
}

LICENSE;
