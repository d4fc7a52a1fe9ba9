// Accept: an XDP program looks up the UDP socket a datagram is for, reads it, and releases it.
// bpf_sk_lookup_udp is an acquire function: its result is sock_or_null holding a reference; after the
// NULL check the struct bpf_sock fields may be read, and bpf_sk_release drops the reference before exit.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

ARRAY_MAP(seen, __u64, 1);

SEC("xdp")
int xdp_sk_lookup_udp_release(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct udphdr *uh = (void *)(ip + 1);
	struct bpf_sock_tuple t = {};
	struct bpf_sock *sk;
	__u32 k = 0;
	__u64 v = 0;

	if ((void *)(uh + 1) > end)
		return XDP_PASS;
	t.ipv4.saddr = ip->saddr;
	t.ipv4.daddr = ip->daddr;
	t.ipv4.sport = uh->source;
	t.ipv4.dport = uh->dest;
	sk = bpf_sk_lookup_udp(ctx, &t, sizeof(t.ipv4), BPF_F_CURRENT_NETNS, 0);
	if (sk) {
		v = ((__u64)sk->src_port << 32) | sk->family << 16 | sk->protocol;
		bpf_sk_release(sk);
	}
	bpf_map_update_elem(&seen, &k, &v, 0);
	return sk ? XDP_DROP : XDP_PASS;
}

LICENSE;
