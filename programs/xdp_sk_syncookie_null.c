// Refused: bpf_tcp_check_syncookie given a socket before its NULL check (its argument is
// ARG_PTR_TO_BTF_ID_SOCK_COMMON, which a sock_or_null is not; the kernel: "R1 type=sock_or_null
// expected=sock_common, sock, tcp_sock, xdp_sock, ptr_, trusted_ptr_", EACCES).
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_sk_syncookie_null(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct iphdr *ip = data + sizeof(struct ethhdr);
	struct udphdr *uh = (void *)(ip + 1);
	struct bpf_sock_tuple t = {};
	struct bpf_sock *sk;
	long check;

	if (data + 64 > end)
		return XDP_ABORTED;
	t.ipv4.daddr = ip->daddr;
	t.ipv4.dport = uh->dest;
	sk = bpf_sk_lookup_udp(ctx, &t, sizeof(t.ipv4), BPF_F_CURRENT_NETNS, 0);
	check = bpf_tcp_check_syncookie(sk, ip, sizeof(*ip), uh, 20);
	if (sk)
		bpf_sk_release(sk);
	return check ? XDP_DROP : XDP_PASS;
}

char _license[] SEC("license") = "GPL";
