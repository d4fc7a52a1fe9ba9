// Reject: a path that leaves the program inside an RCU read section.
// check_resource_leak at the main program's exit: "BPF_EXIT instruction in main prog cannot be used
// inside bpf_rcu_read_lock-ed region", EINVAL.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "kfunc_section.h"

SEC("xdp")
int rcu_exit_in_section(struct xdp_md *ctx)
{
	bpf_rcu_read_lock();
	if (ctx->rx_queue_index == 1)
		return XDP_DROP;
	bpf_rcu_read_unlock();
	return XDP_PASS;
}

LICENSE;
