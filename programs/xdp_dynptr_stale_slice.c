// A packet slice used after bpf_xdp_adjust_head moved the packet: the call made the slice a plain
// number (clear_all_pkt_pointers). Refused by the kernel and wxdp alike (tests/programs/dynptr.test.ts).
#include "xdp_dynptr.h"

SEC("xdp")
int xdp_dynptr_stale_slice(struct xdp_md *ctx)
{
	struct bpf_dynptr d;
	__u8 *s;

	bpf_dynptr_from_xdp(ctx, 0, &d);
	s = bpf_dynptr_slice(&d, 0, 0, 4);
	if (!s)
		return 0;
	bpf_xdp_adjust_head(ctx, 0);
	return s[0];
}
