// xdp_obj_exhaust.c with 112-byte objects (a 128-byte class, header included): tests/programs/obj_graph.test.ts runs it
// at the memory limit after xdp_obj_exhaust's 32-byte objects were all dropped — the kernel's freed objects go back to
// the slab, and wxdp's freed pages back to the heap for any class (rv55: none were, and every bpf_obj_new was NULL).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier/obj_kfuncs.h"

struct elem {
	__u64 val;
	__u64 pad[10];
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

struct count {
	struct lv *v;
	__u64 n;
};

static int push_one(__u32 i, struct count *c)
{
	struct elem *e = bpf_obj_new(struct elem);
	struct lv *v = c->v;

	if (!e)
		return 1;
	e->val = i;
	bpf_spin_lock(&v->lock);
	bpf_list_push_back(&v->head, &e->node);
	bpf_spin_unlock(&v->lock);
	c->n++;
	return 0;
}

static int pop_one(__u32 i, struct count *c)
{
	struct bpf_list_node *n;
	struct lv *v = c->v;

	bpf_spin_lock(&v->lock);
	n = bpf_list_pop_front(&v->head);
	bpf_spin_unlock(&v->lock);
	if (!n)
		return 1;
	bpf_obj_drop(container_of(n, struct elem, node));
	c->n++;
	return 0;
}

SEC("xdp")
int xdp_obj_exhaust_big(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct count pushed = {}, popped = {};
	__u64 *f = data;
	__u32 k = 0;

	if (data + 16 > end)
		return XDP_ABORTED;
	pushed.v = bpf_map_lookup_elem(&lists, &k);
	if (!pushed.v)
		return XDP_ABORTED;
	popped.v = pushed.v;
	bpf_loop(20000, push_one, &pushed, 0);
	bpf_loop(30000, pop_one, &popped, 0);
	f[0] = pushed.n;
	f[1] = popped.n;
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
