// xdp_lpm_firewall: a prefix blocklist with exceptions. Destination, then source, address is looked
// up in an LPM trie (block_v4 for IPv4, block_v6 for IPv6; BPF_MAP_TYPE_LPM_TRIE, BPF_F_NO_PREALLOC);
// the longest matching prefix's rule decides: ACTION_DROP -> XDP_DROP, ACTION_ALLOW -> XDP_PASS (a
// more specific allow carves a hole in a blocked range). No match -> XDP_PASS. Each match counts in
// `rule_hits` (ARRAY indexed by rule id). The recorder installs the entries with `bpftool map update`:
//   203.0.113.0/24 drop (rule 1), 203.0.113.128/25 allow (rule 2), 198.18.0.0/15 drop (rule 3),
//   2001:db8:bad::/48 drop (rule 4), 2001:db8:bad:1::/64 allow (rule 5).
// VLAN-tagged frames are looked through (one 802.1Q/802.1ad tag).
// Helpers: bpf_map_lookup_elem on LPM tries and an ARRAY.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define ACTION_ALLOW 0
#define ACTION_DROP 1
#define MAX_RULES 64

struct lpm_v4_key {
	__u32 prefixlen; /* host byte order, as the LPM trie expects */
	__u8 addr[4];    /* network byte order */
};

struct lpm_v6_key {
	__u32 prefixlen;
	__u8 addr[16];
};

struct rule {
	__u32 action;
	__u32 id;
};

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__type(key, struct lpm_v4_key);
	__type(value, struct rule);
	__uint(max_entries, 256);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} block_v4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__type(key, struct lpm_v6_key);
	__type(value, struct rule);
	__uint(max_entries, 256);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} block_v6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, MAX_RULES);
} rule_hits SEC(".maps");

struct vlan_hdr {
	__be16 tci;
	__be16 encap_proto;
};

/* -1: no match; else the XDP action of the matching rule. */
static __always_inline int apply(struct rule *r)
{
	__u64 *hits;
	__u32 id;

	if (!r)
		return -1;
	id = r->id;
	hits = bpf_map_lookup_elem(&rule_hits, &id);
	if (hits)
		__sync_fetch_and_add(hits, 1);
	return r->action == ACTION_DROP ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int xdp_lpm_firewall(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	void *l3 = eth + 1;
	__be16 proto;
	int verdict;

	if (l3 > data_end)
		return XDP_PASS;
	proto = eth->h_proto;
	if (proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD)) {
		struct vlan_hdr *vh = l3;

		if ((void *)(vh + 1) > data_end)
			return XDP_PASS;
		proto = vh->encap_proto;
		l3 = vh + 1;
	}

	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *iph = l3;
		struct lpm_v4_key key = { .prefixlen = 32 };

		if ((void *)(iph + 1) > data_end)
			return XDP_PASS;
		__builtin_memcpy(key.addr, &iph->daddr, 4);
		verdict = apply(bpf_map_lookup_elem(&block_v4, &key));
		if (verdict >= 0)
			return verdict;
		__builtin_memcpy(key.addr, &iph->saddr, 4);
		verdict = apply(bpf_map_lookup_elem(&block_v4, &key));
		if (verdict >= 0)
			return verdict;
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6h = l3;
		struct lpm_v6_key key = { .prefixlen = 128 };

		if ((void *)(ip6h + 1) > data_end)
			return XDP_PASS;
		__builtin_memcpy(key.addr, &ip6h->daddr, 16);
		verdict = apply(bpf_map_lookup_elem(&block_v6, &key));
		if (verdict >= 0)
			return verdict;
		__builtin_memcpy(key.addr, &ip6h->saddr, 16);
		verdict = apply(bpf_map_lookup_elem(&block_v6, &key));
		if (verdict >= 0)
			return verdict;
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
