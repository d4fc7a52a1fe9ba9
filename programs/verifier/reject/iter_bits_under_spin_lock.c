// Reject: a bit iterator started while a bpf_spin_lock is held.
// kfunc_spin_allowed lets only the bpf_iter_num API (with the bpf_list / bpf_rbtree and bpf_res_spin_lock
// ones) be called under a lock; bpf_iter_bits_new is "function calls are not allowed while holding a lock".
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "iter_bits.h"

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
int iter_bits_under_spin_lock(struct xdp_md *ctx)
{
	struct bpf_iter_bits it;
	__u64 word = 0xf;
	__u32 key = 0, sum = 0;
	struct locked *l;
	int *i;

	l = bpf_map_lookup_elem(&locked_slots, &key);
	if (!l)
		return XDP_ABORTED;
	bpf_spin_lock(&l->lock);
	bpf_iter_bits_new(&it, &word, 1);
	while ((i = bpf_iter_bits_next(&it))) {
		l->slot[*i & 3] += 1;
		sum += l->slot[*i & 3];
	}
	bpf_iter_bits_destroy(&it);
	bpf_spin_unlock(&l->lock);
	return sum & 3;
}

LICENSE;
