// Accept: bpf_res_spin_lock_irqsave's result checked, the lock released with bpf_res_spin_unlock_irqrestore.
// The flags slot becomes the lock's irq state (STACK_IRQ_FLAG, kfunc_class IRQ_LOCK_KFUNC) only on the
// success path; the failure path leaves it as it was.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "res_lock.h"
#include "kfunc_irq.h"

RES_LOCK_MAP(res_a);

SEC("xdp")
int res_lock_irqsave(struct xdp_md *ctx)
{
	__u32 key = 0, cnt;
	struct res_locked *v;
	unsigned long flags;

	v = bpf_map_lookup_elem(&res_a, &key);
	if (!v)
		return XDP_ABORTED;
	if (bpf_res_spin_lock_irqsave(&v->lock, &flags))
		return XDP_DROP;
	cnt = ++v->cnt;
	bpf_res_spin_unlock_irqrestore(&v->lock, &flags);
	return cnt & 1 ? XDP_PASS : XDP_TX;
}

LICENSE;
