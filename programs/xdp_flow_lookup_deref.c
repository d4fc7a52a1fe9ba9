// bpf_xdp_flow_lookup's result read after its NULL check: the kernel reads the first word of struct
// flow_offload_tuple_rhash through its BTF; wxdp has no BTF for it and refuses the load.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "xdp_flow_lookup.h"


SEC("xdp")
int flow_lookup_deref(struct xdp_md *ctx)
{
	struct bpf_flowtable_opts opts = {};
	struct bpf_fib_lookup t = {};
	__u32 *p;

	t.family = 2;
	p = (__u32 *)bpf_xdp_flow_lookup(ctx, &t, &opts, sizeof(opts));
#ifndef NULLDEREF
	if (!p)
		return XDP_PASS;
#endif
	return *p == 7 ? XDP_DROP : XDP_PASS;
}

char _license[] SEC("license") = "GPL";
