// Reject: bpf_refcount_acquire of a bpf_obj_new result not checked for NULL.
// Its argument is a trusted pointer: possibly NULL is refused.
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
int refcount_acquire_maybe_null(struct xdp_md *ctx)
{
	struct node *e, *m;
	e = bpf_obj_new(struct node);
	m = bpf_refcount_acquire(e);
	if (e) bpf_obj_drop(e);
	bpf_obj_drop(m);
	return 0;
}

LICENSE;
