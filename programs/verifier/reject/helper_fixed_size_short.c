// Reject: a fixed-size memory argument (ARG_PTR_TO_FIXED_SIZE_MEM) shorter than the helper reads.
// bpf_tcp_raw_gen_syncookie_ipv4 reads sizeof(struct iphdr) = 20 bytes of its first argument; the
// program proved only 10 bytes of packet past the Ethernet header.
#include <linux/bpf.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
int helper_fixed_size_short(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct tcphdr th = { .doff = 5, .syn = 1 };

	if (data + 14 + 10 > data_end)
		return XDP_PASS;
	return bpf_tcp_raw_gen_syncookie_ipv4(data + 14, &th, sizeof(th)) < 0 ? XDP_DROP : XDP_TX;
}

LICENSE;
