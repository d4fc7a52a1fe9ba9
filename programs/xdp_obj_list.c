// bpf_list at run time (tests/programs/obj_list.test.ts, against the kernel's BPF_PROG_TEST_RUN): six
// objects made from the frame's first six u64s are pushed onto a map value's list, at the front when
// the value is odd, else at the back; bpf_list_front / _back are read (and the back one rewritten
// through its non-owning reference: +1000); then the list is emptied, pop_front and pop_back
// alternating, each value written out and its object dropped. The list is empty again after each run.
// Results, u64s from offset 64 of the frame: front, back (+1000), seven pops (0xdead: NULL); at offset 56: the pushes that failed.
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

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lv);
} lists SEC(".maps");

SEC("xdp")
int xdp_obj_list(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct bpf_list_node *n;
	__u64 *f = data, failed = 0;
	struct elem *e;
	struct lv *v;
	__u32 k = 0;
	int i;

	if (data + 136 > end)
		return XDP_ABORTED;
	v = bpf_map_lookup_elem(&lists, &k);
	if (!v)
		return XDP_ABORTED;
#pragma clang loop unroll(disable)
	for (i = 0; i < 6; i++) {
		e = bpf_obj_new(struct elem);
		if (!e)
			return XDP_DROP;
		e->val = f[i];
		bpf_spin_lock(&v->lock);
		if (f[i] & 1)
			failed += bpf_list_push_front(&v->head, &e->node) != 0;
		else
			failed += bpf_list_push_back(&v->head, &e->node) != 0;
		bpf_spin_unlock(&v->lock);
	}
	bpf_spin_lock(&v->lock);
	n = bpf_list_front(&v->head);
	f[8] = n ? container_of(n, struct elem, node)->val : 0xffff;
	n = bpf_list_back(&v->head);
	if (n) {
		e = container_of(n, struct elem, node);
		e->val += 1000;
		f[9] = e->val;
	}
	bpf_spin_unlock(&v->lock);
#pragma clang loop unroll(disable)
	for (i = 0; i < 7; i++) {
		bpf_spin_lock(&v->lock);
		n = i & 1 ? bpf_list_pop_back(&v->head) : bpf_list_pop_front(&v->head);
		bpf_spin_unlock(&v->lock);
		if (!n) {
			f[10 + i] = 0xdead;
			continue;
		}
		e = container_of(n, struct elem, node);
		f[10 + i] = e->val;
		bpf_obj_drop(e);
	}
	f[7] = failed;
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
