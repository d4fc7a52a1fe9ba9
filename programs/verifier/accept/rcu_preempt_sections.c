// Accept: an RCU read section and nested preemption-disabled regions, each closed on every path.
// bpf_rcu_read_lock / _unlock and bpf_preempt_disable / _enable are kfuncs any program type may call;
// the verifier tracks the section (active_rcu_lock) and the count (active_preempt_locks), which states
// must share to be pruned against each other. Helpers that do not sleep are allowed inside.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "kfunc_section.h"

ARRAY_MAP(counters, __u64, 4);

SEC("xdp")
int rcu_preempt_sections(struct xdp_md *ctx)
{
	__u32 key = ctx->rx_queue_index & 3;
	__u64 *v, n = 0;

	bpf_rcu_read_lock();
	v = bpf_map_lookup_elem(&counters, &key);
	if (v)
		n = __sync_fetch_and_add(v, 1);
	bpf_rcu_read_unlock();
	bpf_preempt_disable();
	if (key == 1) {
		bpf_preempt_disable();
		n += 10;
		bpf_preempt_enable();
	}
	bpf_preempt_enable();
	return n & 3;
}

LICENSE;
