// Reject: a helper called while a bpf_res_spin_lock is held (EINVAL).
// "function calls are not allowed while holding a lock", as under a bpf_spin_lock.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "res_lock.h"

RES_LOCK_MAP(res_a);
RES_LOCK_MAP(res_b);

SEC("xdp")
int res_lock_helper_under_lock(struct xdp_md *ctx)
{
	__u32 key = 0;
	struct res_locked *v;

	v = bpf_map_lookup_elem(&res_a, &key);
	if (!v)
		return XDP_ABORTED;
	if (bpf_res_spin_lock(&v->lock))
		return XDP_DROP;
	v->cnt = bpf_ktime_get_ns();
	bpf_res_spin_unlock(&v->lock);
	return XDP_PASS;
}

LICENSE;
