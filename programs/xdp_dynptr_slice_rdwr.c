// xdp_dynptr_slice_rdwr: refused by 6.18.44-fc-v1252 (and wxdp) at its one bpf_dynptr_slice_rdwr
// call: "bpf_dynptr_slice_rdwr() is not allowed" (EPERM), once the call's arguments are checked. That
// build refuses the kfunc in every program type and for every dynptr kind; earlier 6.18 builds accepted
// this program, and xdp_dynptr.c wrote through such a slice before it moved to bpf_dynptr_write.
#include "xdp_dynptr.h"

SEC("xdp")
int xdp_dynptr_slice_rdwr(struct xdp_md *ctx)
{
	struct bpf_dynptr d;
	__u8 *s;

	if (bpf_dynptr_from_xdp(ctx, 0, &d))
		return XDP_ABORTED;
	s = bpf_dynptr_slice_rdwr(&d, 8, 0, 4);
	if (!s)
		return XDP_DROP;
	s[0] = 0x42;
	return XDP_PASS;
}
