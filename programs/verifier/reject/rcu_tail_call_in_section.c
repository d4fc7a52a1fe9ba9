// Reject: bpf_tail_call inside an RCU read section.
// A tail call leaves the program as an exit does: check_resource_leak(…, "tail_call"), "tail_call
// cannot be used inside bpf_rcu_read_lock-ed region", EINVAL.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "kfunc_section.h"

PROG_ARRAY_MAP(jump_table, 4);

SEC("xdp")
int rcu_tail_call_in_section(struct xdp_md *ctx)
{
	bpf_rcu_read_lock();
	bpf_tail_call(ctx, &jump_table, 0);
	bpf_rcu_read_unlock();
	return XDP_PASS;
}

LICENSE;
