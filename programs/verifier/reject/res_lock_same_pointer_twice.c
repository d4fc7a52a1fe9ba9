// Reject: the same bpf_res_spin_lock taken twice through the same pointer (EINVAL).
// "Acquiring the same lock again, AA deadlock detected".
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "res_lock.h"

RES_LOCK_MAP(res_a);
RES_LOCK_MAP(res_b);

SEC("xdp")
int res_lock_same_pointer_twice(struct xdp_md *ctx)
{
	__u32 key = 0;
	struct res_locked *v;

	v = bpf_map_lookup_elem(&res_a, &key);
	if (!v)
		return XDP_ABORTED;
	if (bpf_res_spin_lock(&v->lock))
		return XDP_DROP;
	if (!bpf_res_spin_lock(&v->lock))
		bpf_res_spin_unlock(&v->lock);
	bpf_res_spin_unlock(&v->lock);
	return XDP_PASS;
}

LICENSE;
