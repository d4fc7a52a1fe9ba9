// Accept: an open-coded numeric iterator run while a bpf_spin_lock is held.
// Under a lock no helper but bpf_spin_unlock may be called (EINVAL), and no kfunc but those kfunc_spin_allowed
// lists: the bpf_list / bpf_rbtree API, bpf_res_spin_lock's, and the bpf_iter_num API — so a bounded
// loop over a locked value's slots is allowed inside the section.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "iter_num.h"

struct locked {
	struct bpf_spin_lock lock;
	__u32 slot[4];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct locked);
} locked_slots SEC(".maps");

SEC("xdp")
int iter_num_under_spin_lock(struct xdp_md *ctx)
{
	struct bpf_iter_num it;
	__u32 key = 0, sum = 0;
	struct locked *l;
	int *i;

	l = bpf_map_lookup_elem(&locked_slots, &key);
	if (!l)
		return XDP_ABORTED;
	bpf_spin_lock(&l->lock);
	bpf_iter_num_new(&it, 0, 4);
	while ((i = bpf_iter_num_next(&it))) {
		l->slot[*i & 3] += 1;
		sum += l->slot[*i & 3];
	}
	bpf_iter_num_destroy(&it);
	bpf_spin_unlock(&l->lock);
	return sum & 3;
}

LICENSE;
