// Reject: an add to a bpf_obj_new'd box's bpf_rb_root while holding a map value's bpf_spin_lock.
// Not the box's: check_reg_allocation_locked's held lock names the map, the root the program's BTF.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "obj_kfuncs.h"

struct tnode {
	__u64 key;
	struct bpf_rb_node rb;
};

struct box {
	struct bpf_spin_lock lock;
	struct bpf_rb_root root __contains(tnode, rb);
};

struct lv {
	struct bpf_spin_lock lock;
	__u64 n;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lv);
} locks SEC(".maps");

static _Bool less(struct bpf_rb_node *a, const struct bpf_rb_node *b)
{
	return container_of(a, struct tnode, rb)->key < container_of(b, struct tnode, rb)->key;
}

SEC("xdp")
int obj_rbtree_add_map_lock(struct xdp_md *ctx)
{
	__u32 k = 0;
	struct lv *v = bpf_map_lookup_elem(&locks, &k);
	struct box *b;
	struct tnode *t;

	if (!v) return 0;
	b = bpf_obj_new(struct box);
	if (!b) return 0;
	t = bpf_obj_new(struct tnode);
	if (!t) {
		bpf_obj_drop(b);
		return 0;
	}
	bpf_spin_lock(&v->lock);
	bpf_rbtree_add(&b->root, &t->rb, less);
	bpf_spin_unlock(&v->lock);
	bpf_obj_drop(b);
	return 2;
}

LICENSE;
