// Reject: a lock taken with bpf_res_spin_lock_irqsave released with bpf_res_spin_unlock (EINVAL).
// The held lock is REF_TYPE_RES_LOCK_IRQ, which the plain unlock does not find: "bpf_res_spin_unlock of different lock".
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "res_lock.h"
#include "kfunc_irq.h"

RES_LOCK_MAP(res_a);

SEC("xdp")
int res_lock_irqsave_plain_unlock(struct xdp_md *ctx)
{
	__u32 key = 0;
	struct res_locked *v;
	unsigned long flags;

	v = bpf_map_lookup_elem(&res_a, &key);
	if (!v)
		return XDP_ABORTED;
	if (bpf_res_spin_lock_irqsave(&v->lock, &flags))
		return XDP_DROP;
	bpf_res_spin_unlock(&v->lock);
	return XDP_PASS;
}

LICENSE;
