// Reject: bpf_rcu_read_lock inside an RCU read section.
// Sections do not nest (active_rcu_lock is a flag): "nested rcu read lock (kernel function
// bpf_rcu_read_lock)", EINVAL.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "kfunc_section.h"

SEC("xdp")
int rcu_lock_nested(struct xdp_md *ctx)
{
	bpf_rcu_read_lock();
	if (ctx->rx_queue_index == 1)
		bpf_rcu_read_lock();
	bpf_rcu_read_unlock();
	return XDP_PASS;
}

LICENSE;
