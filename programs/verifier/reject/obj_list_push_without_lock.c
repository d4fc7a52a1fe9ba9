// Reject: a push onto a bpf_obj_new'd object's bpf_list_head without the object's bpf_spin_lock held.
// (check_reg_allocation_locked on PTR_TO_BTF_ID | MEM_ALLOC: no lock held at all.)
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "obj_kfuncs.h"

struct elem {
	__u64 val;
	struct bpf_list_node node;
};

struct box {
	__u64 tag;
	struct bpf_spin_lock lock;
	struct bpf_list_head head __contains(elem, node);
};

SEC("xdp")
int obj_list_push_without_lock(struct xdp_md *ctx)
{
	struct box *b = bpf_obj_new(struct box);
	struct elem *e;

	if (!b) return 0;
	e = bpf_obj_new(struct elem);
	if (!e) {
		bpf_obj_drop(b);
		return 0;
	}
	bpf_list_push_back(&b->head, &e->node);
	bpf_obj_drop(b);
	return 2;
}

LICENSE;
