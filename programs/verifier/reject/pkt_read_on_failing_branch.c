// Reject: inverted bound check: the header is read on the branch where the packet is too short.
// After `data + 14 <= data_end` the range is known only on the taken branch; the fall-through
// (data + 14 > data_end) keeps r=0, and that is where this program reads.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
int pkt_read_on_failing_branch(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if (data + sizeof(*eth) <= data_end)
		return XDP_PASS;
	return eth->h_dest[0];
}

LICENSE;
