// bpf_obj_new until it fails (tests/programs/obj_graph.test.ts): objects are pushed onto a map value's
// list until bpf_obj_new returns NULL or 20000 are held, then popped and dropped until the list is empty.
// Results, u64s at the frame's start: objects allocated, objects popped. The kernel's allocator
// (6.18.44-fc-v1272) gave all 20000, and wxdp's heap, grown as needed (64 bytes an object: 32 and the
// 8-byte header, bpf_mem_alloc's classes), up to the Datapath's memory limit, after which bpf_obj_new
// returns NULL as bpf_mem_alloc can. Every object dropped, the next run allocates as many again.
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
int xdp_obj_exhaust(struct xdp_md *ctx)
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
