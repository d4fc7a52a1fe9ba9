// Reject: a node popped from a list and never dropped.
// bpf_list_pop_front / _back are KF_ACQUIRE: the popped object is the program's reference to release.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "obj_kfuncs.h"

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
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct lv);
} lists SEC(".maps");

static struct lv *lv(__u32 k)
{
	return bpf_map_lookup_elem(&lists, &k);
}

SEC("xdp")
int list_pop_leak(struct xdp_md *ctx)
{
	struct lv *v = lv(0);
	struct bpf_list_node *n;
	struct elem *e;
	BTF_TYPE_ANCHOR(struct elem);
	if (!v) return 0;
	bpf_spin_lock(&v->lock);
	n = bpf_list_pop_back(&v->head);
	bpf_spin_unlock(&v->lock);
	if (!n) return 1;
	e = container_of(n, struct elem, node);
	return e->val;
}

LICENSE;
