// Reject: bpf_throw inside a bpf_rcu_read_lock section of the main program.
// check_resource_leak of the exception exit checks the sections in the main frame (EINVAL).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "kfunc_throw.h"
#include "kfunc_section.h"

SEC("xdp")
int throw_rcu_section(struct xdp_md *ctx)
{
	bpf_rcu_read_lock();
	if (ctx->rx_queue_index == 0)
		bpf_throw(1);
	bpf_rcu_read_unlock();
	return XDP_PASS;
}

LICENSE;
