// Reject: a load of the flags bpf_local_irq_save stored.
// The slot is STACK_IRQ_FLAG, no data: "invalid read from stack off -8+0 size 8".
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "kfunc_irq.h"

SEC("xdp")
int irq_flag_read(struct xdp_md *ctx)
{
	unsigned long a, b;

	bpf_local_irq_save(&a);
	if (*(volatile unsigned long *)&a == 5)
		return XDP_DROP;
	bpf_local_irq_restore(&a);
	return XDP_PASS;
}

LICENSE;
