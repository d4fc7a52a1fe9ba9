// A refcounted object pushed onto a list twice (tests/programs/obj_graph.test.ts, against the kernel):
// the second owning reference (bpf_refcount_acquire) of a node already on the list is refused by the
// push (-EINVAL) and dropped by it; the list holds the node once. Results, u64s from offset 16: the two
// pushes' results, the popped value (+ 1 written through the second reference before the push), a
// second pop (0xdead: empty).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier/obj_kfuncs.h"

struct elem {
	__u64 val;
	struct bpf_list_node node;
	struct bpf_refcount ref;
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
int xdp_obj_list_refcount(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct bpf_list_node *n;
	__u64 *f = data;
	struct elem *e, *m;
	struct lv *v;
	__u32 k = 0;
	int i;

	if (data + 64 > end)
		return XDP_ABORTED;
	v = bpf_map_lookup_elem(&lists, &k);
	if (!v)
		return XDP_ABORTED;
	e = bpf_obj_new(struct elem);
	if (!e)
		return XDP_DROP;
	e->val = f[0];
	m = bpf_refcount_acquire(e);
	m->val += 1;
	bpf_spin_lock(&v->lock);
	f[2] = bpf_list_push_back(&v->head, &e->node);
	f[3] = bpf_list_push_front(&v->head, &m->node);
	bpf_spin_unlock(&v->lock);
#pragma clang loop unroll(disable)
	for (i = 0; i < 2; i++) {
		bpf_spin_lock(&v->lock);
		n = bpf_list_pop_front(&v->head);
		bpf_spin_unlock(&v->lock);
		if (!n) {
			f[4 + i] = 0xdead;
			continue;
		}
		e = container_of(n, struct elem, node);
		f[4 + i] = e->val;
		bpf_obj_drop(e);
	}
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
