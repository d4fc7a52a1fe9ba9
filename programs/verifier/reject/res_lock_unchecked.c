// Reject: bpf_res_spin_lock's result ignored, then the lock released (EINVAL).
// The lock may fail (-EDEADLK, -ETIMEDOUT); on that path the unlock is "bpf_res_spin_unlock without taking a lock".
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "res_lock.h"

RES_LOCK_MAP(res_a);
RES_LOCK_MAP(res_b);

SEC("xdp")
int res_lock_unchecked(struct xdp_md *ctx)
{
	__u32 key = 0;
	struct res_locked *v;

	v = bpf_map_lookup_elem(&res_a, &key);
	if (!v)
		return XDP_ABORTED;
	bpf_res_spin_lock(&v->lock);
	v->cnt++;
	bpf_res_spin_unlock(&v->lock);
	return XDP_PASS;
}

LICENSE;
