// Reject: a push onto one bpf_obj_new'd box's bpf_list_head while holding another box's bpf_spin_lock
// (the lock state names the program's BTF and the object's id: the two boxes' ids differ).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "obj_kfuncs.h"

struct elem {
	__u64 val;
	struct bpf_list_node node;
};

struct box {
	struct bpf_spin_lock lock;
	struct bpf_list_head head __contains(elem, node);
};

SEC("xdp")
int obj_list_push_other_box_lock(struct xdp_md *ctx)
{
	struct box *a = bpf_obj_new(struct box), *b;
	struct elem *e;

	if (!a) return 0;
	b = bpf_obj_new(struct box);
	if (!b) {
		bpf_obj_drop(a);
		return 0;
	}
	e = bpf_obj_new(struct elem);
	if (!e) {
		bpf_obj_drop(a);
		bpf_obj_drop(b);
		return 0;
	}
	bpf_spin_lock(&a->lock);
	bpf_list_push_back(&b->head, &e->node);
	bpf_spin_unlock(&a->lock);
	bpf_obj_drop(a);
	bpf_obj_drop(b);
	return 2;
}

LICENSE;
