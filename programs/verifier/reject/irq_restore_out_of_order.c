// Reject: the outer bpf_local_irq_save restored before the inner one.
// Only the latest saved state may be restored: "cannot restore irq state out of order, expected id=N acquired at insn_idx=M", EACCES.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "kfunc_irq.h"

SEC("xdp")
int irq_restore_out_of_order(struct xdp_md *ctx)
{
	unsigned long a, b;

	bpf_local_irq_save(&a);
	bpf_local_irq_save(&b);
	bpf_local_irq_restore(&a);
	bpf_local_irq_restore(&b);
	return XDP_PASS;
}

LICENSE;
