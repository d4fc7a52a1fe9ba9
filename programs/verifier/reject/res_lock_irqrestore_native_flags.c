// Reject: bpf_res_spin_unlock_irqrestore given bpf_local_irq_save's flags (EINVAL).
// "irq flag acquired by native kfuncs cannot be restored with lock kfuncs": each kind restores only its own.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "res_lock.h"
#include "kfunc_irq.h"

RES_LOCK_MAP(res_a);

SEC("xdp")
int res_lock_irqrestore_native_flags(struct xdp_md *ctx)
{
	__u32 key = 0;
	struct res_locked *v;
	unsigned long native, flags;

	v = bpf_map_lookup_elem(&res_a, &key);
	if (!v)
		return XDP_ABORTED;
	bpf_local_irq_save(&native);
	if (bpf_res_spin_lock_irqsave(&v->lock, &flags)) {
		bpf_local_irq_restore(&native);
		return XDP_DROP;
	}
	bpf_res_spin_unlock_irqrestore(&v->lock, &native);
	bpf_local_irq_restore(&flags);
	return XDP_PASS;
}

LICENSE;
