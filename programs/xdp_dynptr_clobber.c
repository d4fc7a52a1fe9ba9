// A helper asked to write over a dynptr (bpf_xdp_load_bytes into its stack slots). Refused by the
// kernel and wxdp alike.
#include "xdp_dynptr.h"

SEC("xdp")
int xdp_dynptr_clobber(struct xdp_md *ctx)
{
	struct bpf_dynptr d;

	bpf_dynptr_from_xdp(ctx, 0, &d);
	bpf_xdp_load_bytes(ctx, 0, &d, 8);
	return bpf_dynptr_read(&d, 0, &d, 0, 0);
}
