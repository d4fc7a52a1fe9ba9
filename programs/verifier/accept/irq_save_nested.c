// Accept: two bpf_local_irq_save regions, one inside the other, restored in reverse order.
// Each save holds a REF_TYPE_IRQ reference (not a leak at exit once restored); helpers that do not sleep are allowed inside.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "kfunc_irq.h"

SEC("xdp")
int irq_save_nested(struct xdp_md *ctx)
{
	unsigned long a, b;

	bpf_local_irq_save(&a);
	bpf_get_prandom_u32();
	bpf_local_irq_save(&b);
	bpf_local_irq_restore(&b);
	bpf_local_irq_restore(&a);
	return XDP_PASS;
}

LICENSE;
