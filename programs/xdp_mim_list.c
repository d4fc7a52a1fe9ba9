// Lists in an inner map's values (tests/programs/btf_refusal.test.ts): the inner template keeps its value's
// fields (bpf_map_meta_alloc copies the btf_record), so a value found through the outer map takes a pushed
// object under its own lock (6.18.44: 37 processed) — and, with READ_HEAD set, a load of the head's bytes is
// refused: 'bpf_list_head cannot be accessed directly by load/store' (EACCES).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier/obj_kfuncs.h"

struct elem {
	__u64 val;
	struct bpf_list_node node;
};

struct lv {
	struct bpf_spin_lock lock;
	struct bpf_list_head head __contains(elem, node);
};

struct inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lv);
} inner0 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct inner);
} outer SEC(".maps") = { .values = { &inner0 } };

SEC("xdp")
int xdp_mim_list(struct xdp_md *ctx)
{
	__u32 k = 0;
	struct lv *v;
	struct elem *e;
	void *im = bpf_map_lookup_elem(&outer, &k);

	if (!im)
		return XDP_ABORTED;
	v = bpf_map_lookup_elem(im, &k);
	if (!v)
		return XDP_ABORTED;
	e = bpf_obj_new(struct elem);
	if (!e)
		return XDP_DROP;
	bpf_spin_lock(&v->lock);
	bpf_list_push_front(&v->head, &e->node);
	bpf_spin_unlock(&v->lock);
	return XDP_PASS;
}

SEC("xdp")
int xdp_mim_list_read(struct xdp_md *ctx)
{
	__u32 k = 0;
	struct lv *v;
	void *im = bpf_map_lookup_elem(&outer, &k);

	BTF_TYPE_ANCHOR(struct elem);
	if (!im)
		return XDP_ABORTED;
	v = bpf_map_lookup_elem(im, &k);
	if (!v)
		return XDP_ABORTED;
	return v->head.__opaque[0] ? XDP_DROP : XDP_PASS;
}

char _license[] SEC("license") = "GPL";
