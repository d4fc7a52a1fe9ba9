// Reject: a gpl_only helper (bpf_fib_lookup) called by a program whose license is not GPL-compatible.
// The kernel compares the license section with six strings exactly (license_is_gpl_compatible):
// "Proprietary" is none of them, and the call is refused where it is made.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
int license_gpl_only_helper(struct xdp_md *ctx)
{
	struct bpf_fib_lookup p = {};

	p.family = 2;
	p.ifindex = ctx->ingress_ifindex;
	return bpf_fib_lookup(ctx, &p, sizeof(p), 0) == BPF_FIB_LKUP_RET_SUCCESS ? XDP_PASS : XDP_DROP;
}

char _license[] SEC("license") = "Proprietary";
