// Reject: bpf_refcount_acquire of an object whose type has no bpf_refcount.
// Only a refcounted type's object may have a second owning reference.
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
int refcount_acquire_not_refcounted(struct xdp_md *ctx)
{
	struct node *e, *m;
	e = bpf_obj_new(struct node);
	if (!e) return 0;
	m = bpf_refcount_acquire(e);
	bpf_obj_drop(e);
	if (m) bpf_obj_drop(m);
	return 0;
}

LICENSE;
