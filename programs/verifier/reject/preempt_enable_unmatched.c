// Reject: one bpf_preempt_enable too many.
// active_preempt_locks counts the disables (they nest); an enable at 0 is "unmatched attempt to enable
// preemption (kernel function bpf_preempt_enable)", EINVAL.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "kfunc_section.h"

SEC("xdp")
int preempt_enable_unmatched(struct xdp_md *ctx)
{
	bpf_preempt_disable();
	bpf_preempt_disable();
	bpf_preempt_enable();
	bpf_preempt_enable();
	if (ctx->rx_queue_index == 1)
		bpf_preempt_enable();
	return XDP_PASS;
}

LICENSE;
