// Accept: a static subprogram given packet pointers.
// Static functions are verified in the caller's context, so the callee sees the caller's packet
// pointers with their range and data_end, and can check further itself.
// Subprograms: libbpf appends ip_proto() after the entry program.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "verifier.h"

static __noinline int ip_proto(struct ethhdr *eth, void *data_end)
{
	struct iphdr *ip = (void *)(eth + 1);

	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return -1;
	if ((void *)(ip + 1) > data_end)
		return -1;
	return ip->protocol;
}

SEC("xdp")
int call_passes_packet_pointer(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;

	if (data + sizeof(struct ethhdr) > data_end)
		return XDP_PASS;
	return ip_proto(data, data_end) == 17 ? XDP_DROP : XDP_PASS;
}

LICENSE;
