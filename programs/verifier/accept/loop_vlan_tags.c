// Accept: parsing up to two stacked VLAN tags in a loop.
// Each iteration moves the header pointer by a constant 4 and rechecks it against data_end; the
// loop ends on a non-VLAN ethertype or after two tags, so the verifier walks at most two iterations.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "verifier.h"

struct vlan_hdr {
	__be16 tci;
	__be16 proto;
};

SEC("xdp")
int loop_vlan_tags(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	void *cursor = eth + 1;
	__be16 proto;

	if (cursor > data_end)
		return XDP_PASS;
	proto = eth->h_proto;
#pragma clang loop unroll(disable)
	for (int i = 0; i < 2; i++) {
		struct vlan_hdr *vh = cursor;

		if (proto != bpf_htons(ETH_P_8021Q) && proto != bpf_htons(ETH_P_8021AD))
			break;
		if ((void *)(vh + 1) > data_end)
			return XDP_DROP;
		proto = vh->proto;
		cursor = vh + 1;
	}
	return proto == bpf_htons(ETH_P_IP) ? XDP_PASS : XDP_DROP;
}

LICENSE;
