// bpf_xdp_flow_lookup's result read after its NULL check as a bare u32 at offset 0, not a field: the
// kernel walks struct flow_offload_tuple_rhash's BTF and refuses it (offset 0 is the rhash_head's next
// pointer: "cannot access ptr member next with moff 0 in struct rhash_head with off 0 size 4"); wxdp
// walks its own layout of the struct (no field at offset 0 either) and refuses it too.
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
