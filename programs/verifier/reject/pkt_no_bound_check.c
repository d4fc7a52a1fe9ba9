// Reject: packet read with no bound check at all.
// ctx->data gives a packet pointer whose proven range is 0 bytes until it is compared with
// ctx->data_end, so the 2-byte load of h_proto is outside the packet (r=0).
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "verifier.h"

SEC("xdp")
int pkt_no_bound_check(struct xdp_md *ctx)
{
	struct ethhdr *eth = (void *)(long)ctx->data;

	return eth->h_proto == bpf_htons(ETH_P_IP) ? XDP_PASS : XDP_DROP;
}

LICENSE;
