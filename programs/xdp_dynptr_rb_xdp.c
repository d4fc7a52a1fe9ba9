// bpf_ringbuf_submit_dynptr of the frame's XDP dynptr: it holds no reference to release. Refused by
// the kernel and wxdp.
#include "xdp_dynptr.h"

SEC("xdp")
int xdp_dynptr_rb_xdp(struct xdp_md *ctx)
{
	struct bpf_dynptr d;

	bpf_dynptr_from_xdp(ctx, 0, &d);
	bpf_ringbuf_submit_dynptr(&d, 0);
	return XDP_PASS;
}
