// Reject: two bpf_res_spin_locks released first-taken first: "bpf_res_spin_unlock cannot be out of order".
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "res_lock.h"

RES_LOCK_MAP(res_a);
RES_LOCK_MAP(res_b);

SEC("xdp")
int res_lock_out_of_order(struct xdp_md *ctx)
{
	__u32 key = 0;
	struct res_locked *a, *b;

	a = bpf_map_lookup_elem(&res_a, &key);
	b = bpf_map_lookup_elem(&res_b, &key);
	if (!a || !b)
		return XDP_ABORTED;
	if (bpf_res_spin_lock(&a->lock))
		return XDP_DROP;
	if (bpf_res_spin_lock(&b->lock)) {
		bpf_res_spin_unlock(&a->lock);
		return XDP_DROP;
	}
	bpf_res_spin_unlock(&a->lock);
	bpf_res_spin_unlock(&b->lock);
	return XDP_PASS;
}

LICENSE;
