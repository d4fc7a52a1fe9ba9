// Reject: a field of a looked-up socket read before the NULL check.
// bpf_sk_lookup_udp returns sock_or_null: nothing may be read through it until a comparison with 0
// proves it a socket.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
int xdp_sk_lookup_no_null_check(struct xdp_md *ctx)
{
	struct bpf_sock_tuple t = {};
	struct bpf_sock *sk = bpf_sk_lookup_udp(ctx, &t, sizeof(t.ipv4), BPF_F_CURRENT_NETNS, 0);
	__u32 family = sk->family;

	if (sk)
		bpf_sk_release(sk);
	return family;
}

LICENSE;
