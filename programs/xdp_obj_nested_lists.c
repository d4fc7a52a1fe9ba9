// Lists of objects that hold lists (tests/programs/obj_box.test.ts): a box's list of `mid`s, each a node and a
// root holding `leaf`s, each itself a node and a root (of `tip`s). btf_check_and_fixup_fields' ownership rule
// (a type both node and root may not hold a root type: -ELOOP) would refuse this BTF, but 6.18.44-fc takes it
// (BPF_BTF_LOAD succeeds, 55 insns processed). The run pushes a leaf onto a mid, the mid onto the box and
// drops the box: bpf_obj_free_fields frees the mid with it, and the mid's list its leaf (three objects).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier/obj_kfuncs.h"

struct tip {
	__u64 v;
	struct bpf_list_node n;
};

struct leaf {
	__u64 v;
	struct bpf_list_node n;
	struct bpf_spin_lock lock;
	struct bpf_list_head tips __contains(tip, n);
};

struct mid {
	struct bpf_list_node n;
	struct bpf_spin_lock lock;
	struct bpf_list_head leaves __contains(leaf, n);
};

struct box {
	struct bpf_spin_lock lock;
	struct bpf_list_head mids __contains(mid, n);
};

SEC("xdp")
int xdp_obj_nested_lists(struct xdp_md *ctx)
{
	struct box *b = bpf_obj_new(struct box);
	struct mid *m;
	struct leaf *l;

	BTF_TYPE_ANCHOR(struct tip);
	if (!b)
		return XDP_ABORTED;
	m = bpf_obj_new(struct mid);
	if (!m) {
		bpf_obj_drop(b);
		return XDP_ABORTED;
	}
	l = bpf_obj_new(struct leaf);
	if (l) {
		bpf_spin_lock(&m->lock);
		bpf_list_push_back(&m->leaves, &l->n);
		bpf_spin_unlock(&m->lock);
	}
	bpf_spin_lock(&b->lock);
	bpf_list_push_back(&b->mids, &m->n);
	bpf_spin_unlock(&b->lock);
	bpf_obj_drop(b);
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
