// Reject: a path that returns holding a bpf_res_spin_lock (EINVAL).
// "BPF_EXIT instruction in main prog cannot be used inside bpf_spin_lock-ed region": bpf_spin_lock's message.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "res_lock.h"

RES_LOCK_MAP(res_a);
RES_LOCK_MAP(res_b);

SEC("xdp")
int res_lock_exit_held(struct xdp_md *ctx)
{
	__u32 key = 0;
	struct res_locked *v;

	v = bpf_map_lookup_elem(&res_a, &key);
	if (!v)
		return XDP_ABORTED;
	if (bpf_res_spin_lock(&v->lock))
		return XDP_DROP;
	if (++v->cnt & 1)
		return XDP_TX;
	bpf_res_spin_unlock(&v->lock);
	return XDP_PASS;
}

LICENSE;
