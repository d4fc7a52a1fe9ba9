// xdp_sk_lookup: find the local UDP socket a datagram is for from XDP, as a filter that drops
// datagrams no socket would take (or, with a config flag, those one would): parse Ethernet, IPv4 or
// IPv6, UDP; build the struct bpf_sock_tuple from the packet (remote = source, local = destination);
// bpf_sk_lookup_udp with the netns id and flags of `config` (BPF_F_CURRENT_NETNS, 0 by default); record
// what the program sees of the socket found (struct bpf_sock's fields) in `found`; bpf_sk_release it.
// XDP_DROP when a socket was found, else XDP_PASS; non-UDP passes unrecorded.
// Helpers: bpf_sk_lookup_udp, bpf_sk_release, bpf_map_lookup_elem.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct config {
	__u64 netns_id;
	__u64 flags;
};

struct seen {
	__u32 lookups;
	__u32 hits;
	__u32 family;
	__u32 type;
	__u32 protocol;
	__u32 bound_dev_if;
	__u32 src_ip4;
	__u32 src_port;
	__u32 dst_port;
	__u32 dst_ip4;
	__u32 src_ip6[4];
	__u32 state;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct config);
	__uint(max_entries, 1);
} config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct seen);
	__uint(max_entries, 1);
} found SEC(".maps");

SEC("xdp")
int xdp_sk_lookup(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct bpf_sock_tuple t = {};
	struct bpf_sock *sk;
	struct config *cfg;
	struct seen *s;
	struct udphdr *uh;
	__u32 k = 0, len;

	if ((void *)(eth + 1) > end)
		return XDP_PASS;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);

		if ((void *)(ip + 1) > end || ip->ihl != 5 || ip->protocol != IPPROTO_UDP)
			return XDP_PASS;
		uh = (void *)(ip + 1);
		if ((void *)(uh + 1) > end)
			return XDP_PASS;
		t.ipv4.saddr = ip->saddr;
		t.ipv4.daddr = ip->daddr;
		t.ipv4.sport = uh->source;
		t.ipv4.dport = uh->dest;
		len = sizeof(t.ipv4);
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) > end || ip6->nexthdr != IPPROTO_UDP)
			return XDP_PASS;
		uh = (void *)(ip6 + 1);
		if ((void *)(uh + 1) > end)
			return XDP_PASS;
		__builtin_memcpy(t.ipv6.saddr, &ip6->saddr, 16);
		__builtin_memcpy(t.ipv6.daddr, &ip6->daddr, 16);
		t.ipv6.sport = uh->source;
		t.ipv6.dport = uh->dest;
		len = sizeof(t.ipv6);
	} else {
		return XDP_PASS;
	}
	cfg = bpf_map_lookup_elem(&config, &k);
	s = bpf_map_lookup_elem(&found, &k);
	if (!cfg || !s)
		return XDP_ABORTED;
	s->lookups++;
	sk = bpf_sk_lookup_udp(ctx, &t, len, cfg->netns_id, cfg->flags);
	if (!sk)
		return XDP_PASS;
	s->hits++;
	s->family = sk->family;
	s->type = sk->type;
	s->protocol = sk->protocol;
	s->bound_dev_if = sk->bound_dev_if;
	s->src_ip4 = sk->src_ip4;
	s->src_port = sk->src_port;
	s->dst_port = sk->dst_port;
	s->dst_ip4 = sk->dst_ip4;
	s->src_ip6[0] = sk->src_ip6[0];
	s->src_ip6[1] = sk->src_ip6[1];
	s->src_ip6[2] = sk->src_ip6[2];
	s->src_ip6[3] = sk->src_ip6[3];
	s->state = sk->state;
	bpf_sk_release(sk);
	return XDP_DROP;
}

char _license[] SEC("license") = "GPL";
