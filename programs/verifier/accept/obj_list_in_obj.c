// Accept: a bpf_obj_new'd box's own list and rbtree used under the box's own bpf_spin_lock, then dropped.
// btf_parse_fields of the local type finds the bpf_list_head and bpf_rb_root; check_reg_allocation_locked:
// the lock taken through the same pointer, whose id outlives its NULL check. The box is dropped with a node
// still on its list and one in its tree (bpf_obj_drop frees them: bpf_obj_free_fields).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "obj_kfuncs.h"

struct elem {
	__u64 val;
	struct bpf_list_node node;
};

struct tnode {
	__u64 key;
	struct bpf_rb_node rb;
};

struct box {
	struct bpf_spin_lock lock;
	struct bpf_list_head head __contains(elem, node);
	struct bpf_rb_root root __contains(tnode, rb);
};

static _Bool less(struct bpf_rb_node *a, const struct bpf_rb_node *b)
{
	return container_of(a, struct tnode, rb)->key < container_of(b, struct tnode, rb)->key;
}

SEC("xdp")
int obj_list_in_obj(struct xdp_md *ctx)
{
	struct box *b = bpf_obj_new(struct box);
	struct bpf_list_node *n;
	struct elem *e;
	struct tnode *t;
	int ret = 1;

	if (!b) return 0;
	e = bpf_obj_new(struct elem);
	if (e) {
		e->val = 1;
		bpf_spin_lock(&b->lock);
		bpf_list_push_back(&b->head, &e->node);
		bpf_spin_unlock(&b->lock);
	}
	e = bpf_obj_new(struct elem);
	if (e) {
		e->val = 2;
		bpf_spin_lock(&b->lock);
		bpf_list_push_back(&b->head, &e->node);
		bpf_spin_unlock(&b->lock);
	}
	t = bpf_obj_new(struct tnode);
	if (t) {
		bpf_spin_lock(&b->lock);
		bpf_rbtree_add(&b->root, &t->rb, less);
		bpf_spin_unlock(&b->lock);
	}
	bpf_spin_lock(&b->lock);
	n = bpf_list_pop_front(&b->head);
	bpf_spin_unlock(&b->lock);
	if (n) {
		ret = container_of(n, struct elem, node)->val + 1;
		bpf_obj_drop(container_of(n, struct elem, node));
	}
	bpf_obj_drop(b);
	return ret;
}

LICENSE;
