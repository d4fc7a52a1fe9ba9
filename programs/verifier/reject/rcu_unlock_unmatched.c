// Reject: bpf_rcu_read_unlock with no RCU read section open.
// check_kfunc_call: "unmatched rcu read unlock (kernel function bpf_rcu_read_unlock)", EINVAL.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "kfunc_section.h"

SEC("xdp")
int rcu_unlock_unmatched(struct xdp_md *ctx)
{
	if (ctx->rx_queue_index == 1)
		bpf_rcu_read_lock();
	bpf_rcu_read_unlock();
	return XDP_PASS;
}

LICENSE;
