// xdp_proto_count: per-protocol packet and byte counters, the classic first XDP program. Each frame
// bumps one L3 slot (IPv4, IPv6, ARP or other) and, for IP, one L4 slot (TCP, UDP, ICMP, ICMPv6, or
// other L4) of `proto_stats`, a BPF_MAP_TYPE_PERCPU_ARRAY of struct datarec (so no atomics are
// needed: each CPU owns its copy). Bytes are data_end - data. Always XDP_PASS.
// Helpers: bpf_map_lookup_elem (per-CPU value pointer).
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

enum slot {
	SLOT_L3_OTHER,
	SLOT_ARP,
	SLOT_IPV4,
	SLOT_IPV6,
	SLOT_TCP,
	SLOT_UDP,
	SLOT_ICMP,
	SLOT_ICMPV6,
	SLOT_L4_OTHER,
	SLOT_MAX,
};

struct datarec {
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct datarec);
	__uint(max_entries, SLOT_MAX);
} proto_stats SEC(".maps");

static __always_inline void count(__u32 slot, __u64 bytes)
{
	struct datarec *rec = bpf_map_lookup_elem(&proto_stats, &slot);

	if (!rec)
		return;
	rec->packets++;
	rec->bytes += bytes;
}

static __always_inline __u32 l4_slot(__u8 proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return SLOT_TCP;
	case IPPROTO_UDP:
		return SLOT_UDP;
	case IPPROTO_ICMP:
		return SLOT_ICMP;
	case IPPROTO_ICMPV6:
		return SLOT_ICMPV6;
	default:
		return SLOT_L4_OTHER;
	}
}

SEC("xdp")
int xdp_proto_count(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u64 bytes = data_end - data;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end) {
		count(SLOT_L3_OTHER, bytes);
		return XDP_PASS;
	}

	switch (eth->h_proto) {
	case bpf_htons(ETH_P_IP): {
		struct iphdr *iph = (void *)(eth + 1);

		count(SLOT_IPV4, bytes);
		if ((void *)(iph + 1) <= data_end)
			count(l4_slot(iph->protocol), bytes);
		break;
	}
	case bpf_htons(ETH_P_IPV6): {
		struct ipv6hdr *ip6h = (void *)(eth + 1);

		count(SLOT_IPV6, bytes);
		if ((void *)(ip6h + 1) <= data_end)
			count(l4_slot(ip6h->nexthdr), bytes);
		break;
	}
	case bpf_htons(ETH_P_ARP):
		count(SLOT_ARP, bytes);
		break;
	default:
		count(SLOT_L3_OTHER, bytes);
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
