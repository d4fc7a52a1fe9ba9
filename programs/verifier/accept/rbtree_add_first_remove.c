// Accept: an object added to a map value's bpf_rbtree under its lock, the first node removed, dropped.
// bpf_rbtree_add takes the object's reference (its pointer non-owning until the unlock) and verifies
// less() as a callback of the call (R1, R2 non-owning nodes, returning 0 or 1); bpf_rbtree_first gives a
// non-owning pointer, bpf_rbtree_remove of it an owning one (or NULL) to drop.
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
int rbtree_add_first_remove(struct xdp_md *ctx)
{
	struct tv *v = tv(0);
	struct bpf_rb_node *n;
	struct node *e;
	__u64 r;
	if (!v) return 0;
	e = bpf_obj_new(struct node);
	if (!e) return 0;
	e->key = ctx->ingress_ifindex;
	bpf_spin_lock(&v->lock);
	bpf_rbtree_add(&v->root, &e->rb, less);
	n = bpf_rbtree_first(&v->root);
	if (!n) {
		bpf_spin_unlock(&v->lock);
		return 1;
	}
	n = bpf_rbtree_remove(&v->root, n);
	bpf_spin_unlock(&v->lock);
	if (!n) return 2;
	e = container_of(n, struct node, rb);
	r = e->key;
	bpf_obj_drop(e);
	return r;
}

LICENSE;
