// bpf_rbtree's shape at run time (tests/programs/obj_graph.test.ts, against the kernel's BPF_PROG_TEST_RUN):
// sixteen objects keyed by the frame's first sixteen u16s are added to a map value's rbtree; then, until
// it is empty, the root node (bpf_rbtree_root) is removed — erase's every case, the rebalancing after —
// its key written out with the keys of its children before the removal (bpf_rbtree_left / _right;
// 0xffff: none). Results, u64s from offset 64: seventeen (key, left, right) triples (0xdead: empty).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier/obj_kfuncs.h"

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
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tv);
} trees SEC(".maps");

static _Bool less(struct bpf_rb_node *a, const struct bpf_rb_node *b)
{
	return container_of(a, struct node, rb)->key < container_of(b, struct node, rb)->key;
}

static __u64 key_of(struct bpf_rb_node *n)
{
	return n ? container_of(n, struct node, rb)->key : 0xffff;
}

SEC("xdp")
int xdp_obj_rbtree_walk(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct bpf_rb_node *n, *l, *r;
	__u16 *k16 = data;
	__u64 *f = data;
	struct node *e;
	struct tv *v;
	__u32 k = 0;
	int i;

	if (data + 64 + 17 * 24 > end)
		return XDP_ABORTED;
	v = bpf_map_lookup_elem(&trees, &k);
	if (!v)
		return XDP_ABORTED;
#pragma clang loop unroll(disable)
	for (i = 0; i < 16; i++) {
		e = bpf_obj_new(struct node);
		if (!e)
			return XDP_DROP;
		e->key = k16[i];
		bpf_spin_lock(&v->lock);
		bpf_rbtree_add(&v->root, &e->rb, less);
		bpf_spin_unlock(&v->lock);
	}
#pragma clang loop unroll(disable)
	for (i = 0; i < 17; i++) {
		bpf_spin_lock(&v->lock);
		n = bpf_rbtree_root(&v->root);
		if (!n) {
			bpf_spin_unlock(&v->lock);
			f[8 + 3 * i] = 0xdead;
			continue;
		}
		l = bpf_rbtree_left(&v->root, n);
		r = bpf_rbtree_right(&v->root, n);
		f[9 + 3 * i] = key_of(l);
		f[10 + 3 * i] = key_of(r);
		n = bpf_rbtree_remove(&v->root, n);
		bpf_spin_unlock(&v->lock);
		if (!n) {
			f[8 + 3 * i] = 0xbad;
			continue;
		}
		e = container_of(n, struct node, rb);
		f[8 + 3 * i] = e->key;
		bpf_obj_drop(e);
	}
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
