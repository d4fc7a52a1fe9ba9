// Reject: a path that leaves the program with interrupts saved and not restored.
// check_resource_leak after the reference check: "BPF_EXIT instruction in main prog cannot be used inside bpf_local_irq_save-ed region", EINVAL.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "kfunc_irq.h"

SEC("xdp")
int irq_exit_saved(struct xdp_md *ctx)
{
	unsigned long a, b;

	bpf_local_irq_save(&a);
	if (ctx->rx_queue_index == 1)
		return XDP_DROP;
	bpf_local_irq_restore(&a);
	return XDP_PASS;
}

LICENSE;
