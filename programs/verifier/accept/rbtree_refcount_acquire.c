// Accept: a refcounted object's second owning reference (bpf_refcount_acquire) outlives the add and the unlock.
// The acquire of an owning reference is not NULL-able (is_kfunc_ret_null); after the add only the
// acquired reference owns the object for the program: read after the unlock, written, dropped.
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
int rbtree_refcount_acquire(struct xdp_md *ctx)
{
	struct tv *v = tv(0);
	struct node *e, *m;
	__u64 r;
	if (!v) return 0;
	e = bpf_obj_new(struct node);
	if (!e) return 0;
	e->key = ctx->ingress_ifindex;
	m = bpf_refcount_acquire(e);
	bpf_spin_lock(&v->lock);
	bpf_rbtree_add(&v->root, &e->rb, less);
	bpf_spin_unlock(&v->lock);
	r = m->key;
	m->key = r + 1;
	bpf_obj_drop(m);
	return r;
}

LICENSE;
