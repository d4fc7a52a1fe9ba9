// Reject: an object of another struct added to a tree that holds struct node.
// The root's contains: tag names the struct and its node: the argument must be that node.
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

struct other {
	__u64 a, b;
	struct bpf_rb_node rb;
};

SEC("xdp")
int rbtree_add_wrong_type(struct xdp_md *ctx)
{
	struct tv *v = tv(0);
	struct other *e;
	BTF_TYPE_ANCHOR(struct node);
	if (!v) return 0;
	e = bpf_obj_new(struct other);
	if (!e) return 0;
	bpf_spin_lock(&v->lock);
	bpf_rbtree_add(&v->root, &e->rb, less);
	bpf_spin_unlock(&v->lock);
	return 0;
}

LICENSE;
