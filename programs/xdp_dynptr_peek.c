// The program reads a dynptr's bytes itself: only helpers and kfuncs may. Refused by the kernel and
// wxdp alike.
#include "xdp_dynptr.h"

SEC("xdp")
int xdp_dynptr_peek(struct xdp_md *ctx)
{
	struct bpf_dynptr d;

	bpf_dynptr_from_xdp(ctx, 0, &d);
	return *(volatile __u32 *)&d;
}
