// Accept: metadata read after data_meta + 4 <= data.
// For data_meta the bound is data (the packet start), not data_end: comparing the two proves the
// metadata area, as data_end does for the packet.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
int pkt_meta_checked(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	__u32 *meta = (void *)(long)ctx->data_meta;

	if ((void *)(meta + 1) > data)
		return XDP_PASS;
	return *meta == 1 ? XDP_DROP : XDP_PASS;
}

LICENSE;
