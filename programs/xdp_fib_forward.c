// xdp_fib_forward: an XDP router on the kernel's FIB (what xdp-tools' xdp_forward does, written
// here from the helper's contract): parse Ethernet (+ one 802.1Q tag is not forwarded: XDP_PASS),
// IPv4 or IPv6; ask bpf_fib_lookup for the next hop with the packet's addresses, ports, tos / flow
// label and ingress device; on SUCCESS decrement the TTL (RFC 1624 incremental checksum update) or
// the hop limit, write the next hop's and the output device's MAC addresses and bpf_redirect to the
// output device. Every other answer (no neighbour yet, fragmentation needed, TTL about to expire,
// not forwarded) goes to the stack (XDP_PASS), which sends the ICMP error or resolves the neighbour;
// blackhole, unreachable and prohibit routes drop (XDP_DROP).
// `fwd_stats` (PERCPU_ARRAY) counts the outcomes by the helper's return code (0..9) and 10: passed
// before the lookup. Helpers: bpf_fib_lookup, bpf_redirect, bpf_map_lookup_elem.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define STAT_EARLY_PASS 10
#define AF_INET 2
#define AF_INET6 10

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 11);
} fwd_stats SEC(".maps");

static __always_inline void count(__u32 i)
{
	__u64 *v = bpf_map_lookup_elem(&fwd_stats, &i);

	if (v)
		*v += 1;
}

/* RFC 1624: HC' = ~(~HC + ~m + m'), the TTL being the high byte of its 16-bit word */
static __always_inline void ttl_dec(struct iphdr *ip)
{
	__u32 sum = (__u16)~bpf_ntohs(ip->check);

	sum += (__u16)~(ip->ttl << 8) + (__u16)((ip->ttl - 1) << 8);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	ip->check = bpf_htons((__u16)~sum);
	ip->ttl--;
}

static __always_inline void ports(void *l4, void *data_end, __u8 proto, struct bpf_fib_lookup *p)
{
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		return;
	if (l4 + 4 > data_end)
		return;
	p->sport = *(__be16 *)l4;
	p->dport = *(__be16 *)(l4 + 2);
}

SEC("xdp")
int xdp_fib_forward(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct bpf_fib_lookup p;
	struct iphdr *ip = 0;
	struct ipv6hdr *ip6 = 0;
	long rc;

	if ((void *)(eth + 1) > data_end)
		goto early;
	__builtin_memset(&p, 0, sizeof(p));
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		ip = (void *)(eth + 1);
		if ((void *)(ip + 1) > data_end || ip->ihl < 5)
			goto early;
		if (ip->ttl <= 1)
			goto early;
		p.family = AF_INET;
		p.tos = ip->tos;
		p.l4_protocol = ip->protocol;
		p.tot_len = bpf_ntohs(ip->tot_len);
		p.ipv4_src = ip->saddr;
		p.ipv4_dst = ip->daddr;
		if (!(ip->frag_off & bpf_htons(0x1fff)))
			ports((void *)ip + ip->ihl * 4, data_end, ip->protocol, &p);
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		ip6 = (void *)(eth + 1);
		if ((void *)(ip6 + 1) > data_end)
			goto early;
		if (ip6->hop_limit <= 1)
			goto early;
		p.family = AF_INET6;
		p.flowinfo = *(__be32 *)ip6 & bpf_htonl(0x0fffffff);
		p.l4_protocol = ip6->nexthdr;
		p.tot_len = bpf_ntohs(ip6->payload_len) + sizeof(*ip6);
		__builtin_memcpy(p.ipv6_src, &ip6->saddr, 16);
		__builtin_memcpy(p.ipv6_dst, &ip6->daddr, 16);
		ports(ip6 + 1, data_end, ip6->nexthdr, &p);
	} else {
		goto early;
	}
	p.ifindex = ctx->ingress_ifindex;

	rc = bpf_fib_lookup(ctx, &p, sizeof(p), 0);
	if (rc < 0 || rc > 9)
		return XDP_ABORTED;
	count(rc);
	switch (rc) {
	case BPF_FIB_LKUP_RET_SUCCESS:
		/* re-derive the header: a packet pointer compared with NULL is not pruned by the kernel's
		 * verifier (reg_not_null), so "if (ip)" would leave a NULL ip6 path it rejects */
		if (p.family == AF_INET) {
			ip = (void *)(eth + 1);
			if ((void *)(ip + 1) > data_end)
				return XDP_DROP;
			ttl_dec(ip);
		} else {
			ip6 = (void *)(eth + 1);
			if ((void *)(ip6 + 1) > data_end)
				return XDP_DROP;
			ip6->hop_limit--;
		}
		__builtin_memcpy(eth->h_dest, p.dmac, ETH_ALEN);
		__builtin_memcpy(eth->h_source, p.smac, ETH_ALEN);
		return bpf_redirect(p.ifindex, 0);
	case BPF_FIB_LKUP_RET_BLACKHOLE:
	case BPF_FIB_LKUP_RET_UNREACHABLE:
	case BPF_FIB_LKUP_RET_PROHIBIT:
		return XDP_DROP;
	default:
		return XDP_PASS;
	}
early:
	count(STAT_EARLY_PASS);
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
