// Accept: bpf_skc_lookup_tcp from XDP, reading the state of the socket found (IPv6 tuple).
// The result is sock_common_or_null with a reference (a request or timewait socket may be found):
// sock_common's fields, state among them, may be read; it is released with bpf_sk_release.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
int xdp_skc_lookup_tcp_state(struct xdp_md *ctx)
{
	struct bpf_sock_tuple t = {};
	struct bpf_sock *sk = bpf_skc_lookup_tcp(ctx, &t, sizeof(t.ipv6), BPF_F_CURRENT_NETNS, 0);
	__u32 state;

	if (!sk)
		return XDP_PASS;
	state = sk->state;
	bpf_sk_release(sk);
	return state == 10 ? XDP_DROP : XDP_PASS;
}

LICENSE;
