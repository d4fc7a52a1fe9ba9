// Reject: the result of bpf_refcount_acquire of a non-owning node used without a NULL check.
// Only an owning reference's acquire is sure to succeed; a non-owning one's may give NULL.
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
int rbtree_acquire_non_owning_unchecked(struct xdp_md *ctx)
{
	struct tv *v = tv(0);
	struct bpf_rb_node *n;
	struct node *m;
	__u64 r;
	BTF_TYPE_ANCHOR(struct node);
	if (!v) return 0;
	bpf_spin_lock(&v->lock);
	n = bpf_rbtree_first(&v->root);
	if (!n) {
		bpf_spin_unlock(&v->lock);
		return 0;
	}
	m = bpf_refcount_acquire(container_of(n, struct node, rb));
	bpf_spin_unlock(&v->lock);
	r = m->key;
	bpf_obj_drop(m);
	return r;
}

LICENSE;
