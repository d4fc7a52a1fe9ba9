// Accept: bpf_xdp_load_bytes() with a masked, nonzero length.
// (x & 15) + 1 is 1..16: never zero (ARG_CONST_SIZE) and never more than the 16-byte buffer.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
int xdp_load_bytes_masked_len(struct xdp_md *ctx)
{
	__u8 buf[16];
	__u32 len = (bpf_get_prandom_u32() & 15) + 1;

	if (bpf_xdp_load_bytes(ctx, 0, buf, len))
		return XDP_PASS;
	return buf[0] & 1 ? XDP_DROP : XDP_PASS;
}

LICENSE;
