// Accept: bpf_list_front / bpf_list_back read and write the nodes they return under the lock.
// They return non-owning references (no reference to release), valid until bpf_spin_unlock.
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
int list_front_back_non_owning(struct xdp_md *ctx)
{
	struct lv *v = lv(0);
	struct bpf_list_node *n;
	struct elem *e;
	__u64 r = 0;
	BTF_TYPE_ANCHOR(struct elem);
	if (!v) return 0;
	bpf_spin_lock(&v->lock);
	n = bpf_list_front(&v->head);
	if (n) { e = container_of(n, struct elem, node); r = e->val; }
	n = bpf_list_back(&v->head);
	if (n) { e = container_of(n, struct elem, node); e->val = 9; }
	bpf_spin_unlock(&v->lock);
	return r;
}

LICENSE;
