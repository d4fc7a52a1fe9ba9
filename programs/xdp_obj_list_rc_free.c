// A refcounted object on a map value's list and, through a second reference, in another map's kptr
// (tests/programs/obj_graph.test.ts, against the kernel): an update of the list's element frees the list —
// bpf_list_head_free drops each node's object with __bpf_obj_drop_impl, which for a refcounted type takes one
// reference (refcount_dec_and_test) — so the object lives on in the stash until that reference goes too.
// The frame's u64s: [0] the operation, [1] a value; result at [3].
//   0  a new object of val, pushed on lists[0]'s list and its second reference stashed in stash[0]: [3] 0
//   1  the stashed reference taken out: [3] its object's val (0xdead: none), dropped
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier/obj_kfuncs.h"
#include "verifier/kptr.h"

struct rcnode {
	__u64 val;
	struct bpf_list_node ln;
	struct bpf_refcount rc;
};

KPTR_TYPE(rcnode);

struct lv {
	struct bpf_spin_lock lock;
	struct bpf_list_head head __contains(rcnode, ln);
};

struct slot {
	rcnode_t __kptr *n;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lv);
} lists SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct slot);
} stash SEC(".maps");

SEC("xdp")
int xdp_obj_list_rc_free(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u64 *f = data;
	struct rcnode *n, *m, *old;
	struct slot *s;
	struct lv *v;
	__u32 k = 0;

	if ((void *)(f + 4) > data_end)
		return XDP_ABORTED;
	v = bpf_map_lookup_elem(&lists, &k);
	s = bpf_map_lookup_elem(&stash, &k);
	if (!v || !s)
		return XDP_ABORTED;
	f[3] = 0xdead;
	if (f[0] == 0) {
		n = bpf_obj_new(struct rcnode);
		if (!n)
			return XDP_DROP;
		n->val = f[1];
		m = bpf_refcount_acquire(n);
		bpf_spin_lock(&v->lock);
		bpf_list_push_back(&v->head, &n->ln);
		bpf_spin_unlock(&v->lock);
		old = bpf_kptr_xchg(&s->n, m);
		if (old)
			bpf_obj_drop(old);
		f[3] = 0;
		return XDP_PASS;
	}
	old = bpf_kptr_xchg(&s->n, NULL);
	if (old) {
		f[3] = old->val;
		bpf_obj_drop(old);
	}
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
