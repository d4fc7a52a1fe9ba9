// Accept: the tree walked from bpf_rbtree_root with bpf_rbtree_left / _right under the lock.
// Each gives a non-owning node pointer or NULL (KF_RET_NULL), readable until the unlock; _left and
// _right take a non-owning node of the same root.
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
int rbtree_root_left_right(struct xdp_md *ctx)
{
	struct tv *v = tv(0);
	struct bpf_rb_node *n, *l;
	__u64 r = 0;
	BTF_TYPE_ANCHOR(struct node);
	if (!v) return 0;
	bpf_spin_lock(&v->lock);
	n = bpf_rbtree_root(&v->root);
	if (n) {
		r = container_of(n, struct node, rb)->key;
		l = bpf_rbtree_left(&v->root, n);
		if (l) r += container_of(l, struct node, rb)->key;
		l = bpf_rbtree_right(&v->root, n);
		if (l) r += container_of(l, struct node, rb)->key;
	}
	bpf_spin_unlock(&v->lock);
	return r;
}

LICENSE;
