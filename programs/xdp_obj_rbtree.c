// bpf_rbtree at run time (tests/programs/obj_graph.test.ts, against the kernel's BPF_PROG_TEST_RUN):
// eight objects keyed by the frame's first eight u64s (refcounted: struct bpf_refcount) are added to a
// map value's rbtree under its lock, ordered by less() (a key compare the kernel calls from
// bpf_rbtree_add); the second one's owning reference is kept with bpf_refcount_acquire before its add
// and its key read after the unlock (+ 0x100 written through it, seen when it is popped); a third
// reference of it is added again (-EINVAL: it is in the tree; the kfunc drops that reference). Then the
// tree is emptied, bpf_rbtree_first and bpf_rbtree_remove, each key written out in order and its
// object dropped. Results, u64s from offset 64: the kept key, nine pops (0xdead: empty); at 144: the
// failed adds, at 152 the less() calls made.
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
} trees SEC(".maps");

__u64 calls;

static _Bool less(struct bpf_rb_node *a, const struct bpf_rb_node *b)
{
	struct node *x = container_of(a, struct node, rb);
	struct node *y = container_of(b, struct node, rb);

	calls++;
	return x->key < y->key;
}

SEC("xdp")
int xdp_obj_rbtree(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct bpf_rb_node *n;
	__u64 *f = data, failed = 0;
	struct node *e, *kept = NULL;
	struct tv *v;
	__u32 k = 0;
	int i;

	if (data + 160 > end)
		return XDP_ABORTED;
	v = bpf_map_lookup_elem(&trees, &k);
	if (!v)
		return XDP_ABORTED;
	calls = 0;
#pragma clang loop unroll(disable)
	for (i = 0; i < 8; i++) {
		e = bpf_obj_new(struct node);
		if (!e)
			break;
		e->key = f[i];
		if (i == 1 && !kept)
			kept = bpf_refcount_acquire(e);
		bpf_spin_lock(&v->lock);
		failed += bpf_rbtree_add(&v->root, &e->rb, less) != 0;
		bpf_spin_unlock(&v->lock);
	}
	if (kept) {
		/* a node in the tree added again: -EINVAL, that reference dropped by the kfunc */
		e = bpf_refcount_acquire(kept);
		bpf_spin_lock(&v->lock);
		failed += bpf_rbtree_add(&v->root, &e->rb, less) != 0;
		bpf_spin_unlock(&v->lock);
		f[8] = kept->key;
		kept->key += 0x100;
		bpf_obj_drop(kept);
	} else {
		f[8] = 0xffff;
	}
#pragma clang loop unroll(disable)
	for (i = 0; i < 9; i++) {
		bpf_spin_lock(&v->lock);
		n = bpf_rbtree_first(&v->root);
		if (!n) {
			bpf_spin_unlock(&v->lock);
			f[9 + i] = 0xdead;
			continue;
		}
		n = bpf_rbtree_remove(&v->root, n);
		bpf_spin_unlock(&v->lock);
		if (!n) {
			f[9 + i] = 0xbad;
			continue;
		}
		e = container_of(n, struct node, rb);
		f[9 + i] = e->key;
		bpf_obj_drop(e);
	}
	f[18] = failed;
	f[19] = calls;
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
