// Accept: packet pointers reloaded and rechecked after bpf_xdp_adjust_head().
// The helper invalidates every packet pointer (reject/pkt_stale_after_adjust_head.c); fresh ones
// from ctx, checked again, are fine.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
int pkt_recheck_after_adjust_head(struct xdp_md *ctx)
{
	void *data, *data_end;
	struct ethhdr *eth;

	if (bpf_xdp_adjust_head(ctx, 4))
		return XDP_DROP;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	eth = data;
	if (data + sizeof(*eth) > data_end)
		return XDP_DROP;
	return eth->h_source[0] & 1 ? XDP_DROP : XDP_PASS;
}

LICENSE;
