// Accept: the tuple of an XDP socket lookup taken straight from the packet.
// bpf_xdp_sk_lookup_udp_proto has pkt_access: its read-only tuple argument may point into the packet
// (the IPv4 header's addresses and the UDP ports lie together, 12 bytes from offset 26).
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
int xdp_sk_lookup_packet_tuple(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct bpf_sock *sk;

	if (data + 38 > end)
		return XDP_PASS;
	sk = bpf_sk_lookup_udp(ctx, data + 26, 12, BPF_F_CURRENT_NETNS, 0);
	if (!sk)
		return XDP_PASS;
	bpf_sk_release(sk);
	return XDP_DROP;
}

LICENSE;
