// Reject: bpf_local_irq_restore of flags no bpf_local_irq_save filled.
// process_irq_flag: "expected an initialized irq flag as arg#0", EINVAL.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "kfunc_irq.h"

SEC("xdp")
int irq_restore_unsaved(struct xdp_md *ctx)
{
	unsigned long a, b;

	if (ctx->rx_queue_index == 1)
		bpf_local_irq_restore(&a);
	return XDP_PASS;
}

LICENSE;
