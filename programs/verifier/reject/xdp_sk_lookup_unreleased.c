// Reject: a socket found by an XDP lookup and never released.
// The reference bpf_sk_lookup_udp acquires must be dropped on every path to exit; here the path where
// a socket was found leaves with it ("Unreleased reference").
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
int xdp_sk_lookup_unreleased(struct xdp_md *ctx)
{
	struct bpf_sock_tuple t = {};
	struct bpf_sock *sk = bpf_sk_lookup_udp(ctx, &t, sizeof(t.ipv4), BPF_F_CURRENT_NETNS, 0);

	return sk ? XDP_DROP : XDP_PASS;
}

LICENSE;
