// bpf_dynptr_slice with a size the verifier does not know (buffer__szk must be a constant). Refused
// by the kernel and wxdp alike.
#include "xdp_dynptr.h"

SEC("xdp")
int xdp_dynptr_varsize(struct xdp_md *ctx)
{
	struct bpf_dynptr d;
	__u8 buf[16];
	__u8 *s;
	__u32 n = ctx->rx_queue_index & 15;

	bpf_dynptr_from_xdp(ctx, 0, &d);
	s = bpf_dynptr_slice(&d, 0, buf, n);
	return s ? s[0] : 0;
}
