// A map value's list kept between runs, and what the program's own bpf_map_update_elem of the value
// does to it (tests/programs/obj_graph.test.ts, against the kernel): the frame's first u64 says what to
// do — 0: push an object holding the second u64 at the list's back; 1: pop the front one, its value
// written at offset 16 (0xdead: the list was empty); 2: update the value from the stack with the second
// u64 in both words of the head. The kernel's copy skips the head (copy_map_value) and frees the old
// list (bpf_obj_free_fields): the list is empty after, whatever address the bytes named.
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
} forged SEC(".maps");

SEC("xdp")
int xdp_obj_list_forge(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct bpf_list_node *n;
	__u64 *f = data;
	struct elem *e;
	struct lv *v;
	__u32 k = 0;

	if (data + 24 > end)
		return XDP_ABORTED;
	v = bpf_map_lookup_elem(&forged, &k);
	if (!v)
		return XDP_ABORTED;
	if (f[0] == 2) {
		struct lv nv;

		__builtin_memset(&nv, 0, sizeof(nv));
		((__u64 *)&nv.head)[0] = f[1];
		((__u64 *)&nv.head)[1] = f[1];
		bpf_map_update_elem(&forged, &k, &nv, 0);
		return XDP_PASS;
	}
	if (f[0] == 0) {
		e = bpf_obj_new(struct elem);
		if (!e)
			return XDP_DROP;
		e->val = f[1];
		bpf_spin_lock(&v->lock);
		bpf_list_push_back(&v->head, &e->node);
		bpf_spin_unlock(&v->lock);
		return XDP_PASS;
	}
	bpf_spin_lock(&v->lock);
	n = bpf_list_pop_front(&v->head);
	bpf_spin_unlock(&v->lock);
	if (!n) {
		f[2] = 0xdead;
		return XDP_PASS;
	}
	e = container_of(n, struct elem, node);
	f[2] = e->val;
	bpf_obj_drop(e);
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
