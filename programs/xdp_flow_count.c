// xdp_flow_count: a per-flow packet and byte counter, the lean form (what xdp-bench's "per-flow hash
// counter" measures): parse Ethernet, IPv4 or IPv6, TCP or UDP; key the 5-tuple; count in a
// BPF_MAP_TYPE_HASH — an existing flow with atomic adds, a new flow with BPF_NOEXIST (a racing insert
// falls back to the lookup). Non-IP, fragments and other L4 pass uncounted. Always XDP_PASS.
// Helpers: bpf_map_lookup_elem, bpf_map_update_elem.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct flow {
	__u32 saddr[4];
	__u32 daddr[4];
	__u16 sport;
	__u16 dport;
	__u8 proto;
	__u8 pad[3];
};

struct counters {
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct flow);
	__type(value, struct counters);
} flow_counts SEC(".maps");

SEC("xdp")
int xdp_flow_count(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct flow key = {};
	void *l4;

	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *iph = (void *)(eth + 1);

		if ((void *)(iph + 1) > data_end || iph->ihl < 5)
			return XDP_PASS;
		if (iph->frag_off & bpf_htons(0x3fff))
			return XDP_PASS;
		key.saddr[0] = iph->saddr;
		key.daddr[0] = iph->daddr;
		key.proto = iph->protocol;
		l4 = (void *)iph + iph->ihl * 4;
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6h = (void *)(eth + 1);

		if ((void *)(ip6h + 1) > data_end)
			return XDP_PASS;
		__builtin_memcpy(key.saddr, &ip6h->saddr, 16);
		__builtin_memcpy(key.daddr, &ip6h->daddr, 16);
		key.proto = ip6h->nexthdr;
		l4 = ip6h + 1;
	} else {
		return XDP_PASS;
	}
	if (key.proto == IPPROTO_TCP || key.proto == IPPROTO_UDP) {
		struct udphdr *uh = l4; /* ports sit at the same place in TCP and UDP */

		if ((void *)(uh + 1) > data_end)
			return XDP_PASS;
		key.sport = uh->source;
		key.dport = uh->dest;
	} else {
		return XDP_PASS;
	}

	__u64 len = data_end - data;
	struct counters *c = bpf_map_lookup_elem(&flow_counts, &key);

	if (c) {
		__sync_fetch_and_add(&c->packets, 1);
		__sync_fetch_and_add(&c->bytes, len);
		return XDP_PASS;
	}
	struct counters init = { .packets = 1, .bytes = len };

	if (bpf_map_update_elem(&flow_counts, &key, &init, BPF_NOEXIST)) {
		c = bpf_map_lookup_elem(&flow_counts, &key);
		if (c) {
			__sync_fetch_and_add(&c->packets, 1);
			__sync_fetch_and_add(&c->bytes, len);
		}
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
