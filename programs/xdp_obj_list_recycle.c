// The program's own bpf_map_update_elem / bpf_map_delete_elem of a map value holding a list
// (tests/programs/obj_graph.test.ts, against the kernel): the kernel frees the replaced or deleted
// value's list (array_map_update_elem's bpf_obj_free_fields, htab's check_and_free_fields): its objects
// are dropped, the value's list is empty after. Frame u64s: [0] op, [1] map (0: hash, 1: array), [2] n;
// the result at [3]. Ops — 0: update the value (0xff bytes, flags n), result the helper's return; 1: push n
// objects at the list's back, result how many were pushed; 2: delete the value, result the helper's
// return; 3: pop and drop every object, result how many. BPF_F_LOCK on a hash's existing element copies in
// place and keeps the list (htab_map_update_elem's copy_map_value_locked); an array's is freed all the same.
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
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, struct lv);
} hlists SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lv);
} alists SEC(".maps");

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
int xdp_obj_list_recycle(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct count c = {};
	__u64 *f = data;
	void *map;
	__u32 k = 0;

	if (data + 32 > end)
		return XDP_ABORTED;
	map = f[1] ? (void *)&alists : (void *)&hlists;
	if (f[0] == 0) {
		struct lv nv;

		__builtin_memset(&nv, 0xff, sizeof(nv));
		f[3] = bpf_map_update_elem(map, &k, &nv, f[2]);
		return XDP_PASS;
	}
	if (f[0] == 2) {
		f[3] = bpf_map_delete_elem(map, &k);
		return XDP_PASS;
	}
	c.v = bpf_map_lookup_elem(map, &k);
	if (!c.v) {
		f[3] = 0xdead;
		return XDP_PASS;
	}
	if (f[0] == 1)
		bpf_loop(f[2] & 0xfff, push_one, &c, 0);
	else
		bpf_loop(30000, pop_one, &c, 0);
	f[3] = c.n;
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
