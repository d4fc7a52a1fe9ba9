// Reject: packet pointer used after bpf_xdp_adjust_head().
// Helpers that can move the packet (adjust_head/tail/meta, store_bytes…) invalidate every packet
// pointer, even one checked before the call; the old pointer is now an unknown scalar.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
int pkt_stale_after_adjust_head(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if (data + sizeof(*eth) > data_end)
		return XDP_PASS;
	if (bpf_xdp_adjust_head(ctx, 4))
		return XDP_DROP;
	return eth->h_source[0];
}

LICENSE;
