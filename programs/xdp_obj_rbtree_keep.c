// A map value's rbtree kept between runs, and what an update frees (tests/programs/obj_graph.test.ts,
// against the kernel): the frame's first u64 says what to do — 0: add an object keyed by the second
// u64; 1: remove the first (smallest) one, its key written at offset 16 (0xdead: the tree was empty);
// 2: the program's own bpf_map_update_elem of the value (zeros), its result at offset 16. An update,
// the program's or one from user space, frees the tree's objects (bpf_rb_root_free) and leaves it empty.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier/obj_kfuncs.h"

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
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tv);
} kept SEC(".maps");

static _Bool less(struct bpf_rb_node *a, const struct bpf_rb_node *b)
{
	return container_of(a, struct node, rb)->key < container_of(b, struct node, rb)->key;
}

SEC("xdp")
int xdp_obj_rbtree_keep(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct tv zero = {};
	struct bpf_rb_node *n;
	__u64 *f = data;
	struct node *e;
	struct tv *v;
	__u32 k = 0;

	if (data + 24 > end)
		return XDP_ABORTED;
	v = bpf_map_lookup_elem(&kept, &k);
	if (!v)
		return XDP_ABORTED;
	if (f[0] == 0) {
		e = bpf_obj_new(struct node);
		if (!e)
			return XDP_DROP;
		e->key = f[1];
		bpf_spin_lock(&v->lock);
		bpf_rbtree_add(&v->root, &e->rb, less);
		bpf_spin_unlock(&v->lock);
		return XDP_PASS;
	}
	if (f[0] == 2) {
		f[2] = bpf_map_update_elem(&kept, &k, &zero, 0);
		return XDP_PASS;
	}
	bpf_spin_lock(&v->lock);
	n = bpf_rbtree_first(&v->root);
	if (n)
		n = bpf_rbtree_remove(&v->root, n);
	bpf_spin_unlock(&v->lock);
	if (!n) {
		f[2] = 0xdead;
		return XDP_PASS;
	}
	e = container_of(n, struct node, rb);
	f[2] = e->key;
	bpf_obj_drop(e);
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
