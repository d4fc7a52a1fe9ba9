// Reject: a list node pushed through a pointer of variable offset into its object.
// process_kf_arg_ptr_to_list_node wants the node at a known offset (the push links the 24 bytes the
// pointer names): "R2 doesn't have constant offset. bpf_list_node has to be at the constant offset".
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "obj_kfuncs.h"

struct elem {
	__u64 val;
	struct bpf_list_node node;
	__u64 pad[8];
};

struct lv {
	struct bpf_spin_lock lock;
	struct bpf_list_head head __contains(elem, node);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct lv);
} lists SEC(".maps");

static struct lv *lv(__u32 k)
{
	return bpf_map_lookup_elem(&lists, &k);
}

SEC("xdp")
int list_push_var_off(struct xdp_md *ctx)
{
	struct lv *v = lv(0);
	struct elem *o;
	__u64 x = bpf_get_prandom_u32() & 32;

	if (!v)
		return 0;
	o = bpf_obj_new(struct elem);
	if (!o)
		return 0;
	bpf_spin_lock(&v->lock);
	bpf_list_push_back(&v->head, (struct bpf_list_node *)((char *)&o->node + x));
	bpf_spin_unlock(&v->lock);
	return 2;
}

LICENSE;
