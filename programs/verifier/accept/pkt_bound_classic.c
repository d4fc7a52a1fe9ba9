// Accept: the classic packet bound, data + sizeof(struct ethhdr) > data_end.
// The fall-through of `pkt > pkt_end` proves 14 bytes from data: every Ethernet field is readable.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "verifier.h"

SEC("xdp")
int pkt_bound_classic(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if (data + sizeof(*eth) > data_end)
		return XDP_DROP;
	return eth->h_proto == bpf_htons(ETH_P_ARP) ? XDP_DROP : XDP_PASS;
}

LICENSE;
