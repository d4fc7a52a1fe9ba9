// Accept: bpf_res_spin_lock's result checked, the value updated under the lock, the lock released.
// The verifier walks the failure path (r0 in [-4095, -1], no lock held) and the success path (r0 = 0,
// the lock held): the branch on r0 is decided on each, so only the success path reaches the unlock.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "res_lock.h"

RES_LOCK_MAP(res_a);
RES_LOCK_MAP(res_b);

SEC("xdp")
int res_lock_checked(struct xdp_md *ctx)
{
	__u32 key = 0, cnt;
	struct res_locked *v;

	v = bpf_map_lookup_elem(&res_a, &key);
	if (!v)
		return XDP_ABORTED;
	if (bpf_res_spin_lock(&v->lock))
		return XDP_DROP;
	cnt = ++v->cnt;
	bpf_res_spin_unlock(&v->lock);
	return cnt & 1 ? XDP_PASS : XDP_TX;
}

LICENSE;
