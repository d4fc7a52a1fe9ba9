// Accept: the gpl_only helpers bpf_trace_printk and bpf_fib_lookup under "Dual MIT/GPL", one of the six
// licenses the kernel counts as GPL-compatible (license_is_gpl_compatible).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
int license_dual_gpl(struct xdp_md *ctx)
{
	struct bpf_fib_lookup p = {};

	p.family = 2;
	p.ifindex = ctx->ingress_ifindex;
	bpf_printk("ifindex %u", p.ifindex);
	return bpf_fib_lookup(ctx, &p, sizeof(p), 0) == BPF_FIB_LKUP_RET_SUCCESS ? XDP_PASS : XDP_DROP;
}

char _license[] SEC("license") = "Dual MIT/GPL";
