// Reject: a path that leaves the program with preemption disabled.
// check_resource_leak at the main program's exit, after the RCU check: "BPF_EXIT instruction in main
// prog cannot be used inside bpf_preempt_disable-ed region", EINVAL.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "kfunc_section.h"

SEC("xdp")
int preempt_exit_disabled(struct xdp_md *ctx)
{
	bpf_preempt_disable();
	bpf_preempt_disable();
	bpf_preempt_enable();
	if (ctx->rx_queue_index == 1)
		return XDP_DROP;
	bpf_preempt_enable();
	return XDP_PASS;
}

LICENSE;
