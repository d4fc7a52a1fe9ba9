// The socket-bound SYN cookie helpers from XDP: for an IPv4 UDP frame, bpf_sk_lookup_udp of its tuple;
// with a socket found, bpf_tcp_check_syncookie and bpf_tcp_gen_syncookie (the UDP header's 20 bytes as
// the TCP header) on it, their answers written over the frame at 42, 46 (32-bit LE each); a socket that
// is no TCP listener is -EINVAL in both. XDP_PASS with answers, XDP_DROP when no socket was found,
// XDP_ABORTED for a short frame. Helpers: bpf_sk_lookup_udp, bpf_tcp_check_syncookie (100),
// bpf_tcp_gen_syncookie (110), bpf_sk_release.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_sk_syncookie(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct iphdr *ip = data + sizeof(struct ethhdr);
	struct udphdr *uh = (void *)(ip + 1);
	struct bpf_sock_tuple t = {};
	struct bpf_sock *sk;
	long check, gen;

	if (data + 64 > end)
		return XDP_ABORTED;
	t.ipv4.saddr = ip->saddr;
	t.ipv4.daddr = ip->daddr;
	t.ipv4.sport = uh->source;
	t.ipv4.dport = uh->dest;
	sk = bpf_sk_lookup_udp(ctx, &t, sizeof(t.ipv4), BPF_F_CURRENT_NETNS, 0);
	if (!sk)
		return XDP_DROP;
	check = bpf_tcp_check_syncookie(sk, ip, sizeof(*ip), uh, 20);
	gen = bpf_tcp_gen_syncookie(sk, ip, sizeof(*ip), uh, 20);
	bpf_sk_release(sk);
	data = (void *)(long)ctx->data;
	if (data + 64 > (void *)(long)ctx->data_end)
		return XDP_ABORTED;
	*(__s32 *)(data + 42) = check;
	*(__s32 *)(data + 46) = gen;
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
