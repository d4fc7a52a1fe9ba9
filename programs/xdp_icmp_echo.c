// xdp_icmp_echo: answers pings in the driver. An IPv4 ICMP echo request (type 8) or an ICMPv6 echo
// request (type 128) addressed to anyone becomes the reply in place: Ethernet and IP addresses
// swapped, TTL / hop limit set to 64, type 8 -> 0 / 128 -> 129, and the checksums fixed by the
// incremental update of RFC 1624 (HC' = ~(~HC + ~m + m')): the ICMP checksum for the type word, the
// IPv4 header checksum for the TTL word (swapping the two addresses leaves both sums unchanged, and
// ICMPv6's pseudo-header sum too). Then XDP_TX. Replies are counted per family in `echo_stats`
// (ARRAY). Anything else -> XDP_PASS. Untagged frames; IPv4 options are skipped over.
// Helpers: bpf_map_lookup_elem. No checksum helper: the arithmetic is done in the program.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

enum { STAT_V4, STAT_V6, STAT_MAX };

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, STAT_MAX);
} echo_stats SEC(".maps");

/* RFC 1624 eqn. 3, all values in network byte order. */
static __always_inline __u16 csum_replace2(__u16 check, __u16 old, __u16 new)
{
	__u32 sum = (__u16)~check + (__u16)~old + (__u32)new;

	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

static __always_inline void swap_macs(struct ethhdr *eth)
{
	__u8 tmp[ETH_ALEN];

	__builtin_memcpy(tmp, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, tmp, ETH_ALEN);
}

static __always_inline void count(__u32 slot)
{
	__u64 *n = bpf_map_lookup_elem(&echo_stats, &slot);

	if (n)
		__sync_fetch_and_add(n, 1);
}

SEC("xdp")
int xdp_icmp_echo(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;

	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *iph = (void *)(eth + 1);
		struct icmphdr *icmph;
		__u16 old, new;
		__be32 addr;

		if ((void *)(iph + 1) > data_end || iph->ihl < 5 || iph->protocol != IPPROTO_ICMP)
			return XDP_PASS;
		if (iph->frag_off & bpf_htons(0x1fff))
			return XDP_PASS;
		icmph = (void *)iph + iph->ihl * 4;
		if ((void *)(icmph + 1) > data_end)
			return XDP_PASS;
		if (icmph->type != ICMP_ECHO || icmph->code != 0)
			return XDP_PASS;

		old = *(__u16 *)icmph; /* type, code */
		icmph->type = ICMP_ECHOREPLY;
		new = *(__u16 *)icmph;
		icmph->checksum = csum_replace2(icmph->checksum, old, new);

		old = *(__u16 *)&iph->ttl; /* ttl, protocol */
		iph->ttl = 64;
		new = *(__u16 *)&iph->ttl;
		iph->check = csum_replace2(iph->check, old, new);

		addr = iph->saddr;
		iph->saddr = iph->daddr;
		iph->daddr = addr;
		swap_macs(eth);
		count(STAT_V4);
		return XDP_TX;
	}

	if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6h = (void *)(eth + 1);
		struct icmp6hdr *icmp6h = (void *)(ip6h + 1);
		struct in6_addr addr;
		__u16 old, new;

		if ((void *)(icmp6h + 1) > data_end || ip6h->nexthdr != IPPROTO_ICMPV6)
			return XDP_PASS;
		if (icmp6h->icmp6_type != ICMPV6_ECHO_REQUEST || icmp6h->icmp6_code != 0)
			return XDP_PASS;

		old = *(__u16 *)icmp6h;
		icmp6h->icmp6_type = ICMPV6_ECHO_REPLY;
		new = *(__u16 *)icmp6h;
		icmp6h->icmp6_cksum = csum_replace2(icmp6h->icmp6_cksum, old, new);

		ip6h->hop_limit = 64; /* not covered by any checksum */
		addr = ip6h->saddr;
		ip6h->saddr = ip6h->daddr;
		ip6h->daddr = addr;
		swap_macs(eth);
		count(STAT_V6);
		return XDP_TX;
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
