// xdp_parse: a full L2-L4 parser with a small policy. It walks Ethernet, up to two VLAN tags
// (802.1Q, or QinQ: 802.1ad outer + 802.1Q inner; a third tag is refused), IPv4 (options, fragments)
// and IPv6 (hop-by-hop, routing, fragment and destination-options extension headers, chained, up to
// six), then TCP, UDP, ICMP or ICMPv6. What it found goes into `parsed_tuple` (ARRAY, one struct
// parsed) with bpf_map_update_elem, and the verdict is counted in `verdicts` (ARRAY, per XDP action).
// Policy: truncated or malformed headers -> XDP_DROP; more than two VLAN tags -> XDP_ABORTED;
// TCP to port 23, UDP to port 1900 and IPv6 type-0 routing headers (RFC 5095) -> XDP_DROP;
// everything else (non-IP, later fragments, unknown L4) -> XDP_PASS.
// Helpers: bpf_map_lookup_elem, bpf_map_update_elem. Loops: unrolled VLAN and extension-header walks.
// xdp_parse_percpu.c builds the same parser with PARSE_PERCPU: both maps PERCPU_ARRAY and the verdict
// counted with a plain add (one writer per CPU), as a parser meant for many cores keeps its output.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <linux/tcp.h>
#include <linux/icmp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#ifdef PARSE_PERCPU
#define PARSE_PROG xdp_parse_percpu
#define PARSE_MAP_TYPE BPF_MAP_TYPE_PERCPU_ARRAY
#define COUNT_ONE(c) (*(c) += 1)
#else
#define PARSE_PROG xdp_parse
#define PARSE_MAP_TYPE BPF_MAP_TYPE_ARRAY
#define COUNT_ONE(c) __sync_fetch_and_add((c), 1)
#endif

#define MAX_VLAN 2
#define MAX_EXT_HDRS 6
#define IP_MF 0x2000
#define IP_OFFSET 0x1fff

struct vlan_hdr {
	__be16 tci;
	__be16 encap_proto;
};

/* struct frag_hdr lives in the kernel's net/ipv6.h, not in the uapi headers. */
struct frag6_hdr {
	__u8 nexthdr;
	__u8 reserved;
	__be16 frag_off; /* offset << 3 | M */
	__be32 identification;
};

enum {
	F_VLAN = 1 << 0,
	F_QINQ = 1 << 1,
	F_IPV4_OPTS = 1 << 2,
	F_FRAG = 1 << 3,
	F_FRAG_LATER = 1 << 4, /* not the first fragment: no L4 header to read */
	F_EXT_HOP = 1 << 5,
	F_EXT_ROUTING = 1 << 6,
	F_EXT_FRAG = 1 << 7,
	F_EXT_DEST = 1 << 8,
	F_L4 = 1 << 9,
	F_MALFORMED = 1 << 10,
	F_TRUNCATED = 1 << 11,
	F_TOO_MANY_TAGS = 1 << 12,
};

/* 60 bytes, no holes. Ports in host byte order; for ICMP sport = type, dport = code. */
struct parsed {
	__u8 family;      /* 4, 6, or 0 when not IP */
	__u8 proto;       /* L4 protocol after the extension headers */
	__u8 vlans;
	__u8 ext_hdrs;    /* IPv6 extension headers walked */
	__u16 sport;
	__u16 dport;
	__u16 vlan_ids[2]; /* VIDs, outer first */
	__u16 l3_off;
	__u16 l4_off;
	__u32 flags;
	__u32 verdict;
	__u8 saddr[16];   /* IPv4 in the first 4 bytes */
	__u8 daddr[16];
	__u8 tcp_flags;
	__u8 ttl;         /* or hop limit */
	__u16 eth_proto;  /* innermost ethertype, host order */
};

struct {
	__uint(type, PARSE_MAP_TYPE);
	__type(key, __u32);
	__type(value, struct parsed);
	__uint(max_entries, 1);
} parsed_tuple SEC(".maps");

struct {
	__uint(type, PARSE_MAP_TYPE);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 5); /* XDP_ABORTED .. XDP_REDIRECT */
} verdicts SEC(".maps");

static __always_inline int finish(struct parsed *p, __u32 verdict)
{
	__u32 zero = 0;
	__u64 *count;

	p->verdict = verdict;
	bpf_map_update_elem(&parsed_tuple, &zero, p, BPF_ANY);
	count = bpf_map_lookup_elem(&verdicts, &verdict);
	if (count)
		COUNT_ONE(count);
	return verdict;
}

SEC("xdp")
int PARSE_PROG(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct parsed p;
	__u32 verdict = XDP_PASS;
	struct ethhdr *eth = data;
	void *cur;
	__be16 proto;
	__u8 l4proto;

	__builtin_memset(&p, 0, sizeof(p));

	if ((void *)(eth + 1) > data_end) {
		p.flags |= F_TRUNCATED;
		return finish(&p, XDP_DROP);
	}
	proto = eth->h_proto;
	cur = eth + 1;

#pragma unroll
	for (int i = 0; i <= MAX_VLAN; i++) {
		struct vlan_hdr *vh = cur;

		if (proto != bpf_htons(ETH_P_8021Q) && proto != bpf_htons(ETH_P_8021AD))
			break;
		if (i == MAX_VLAN) {
			p.flags |= F_TOO_MANY_TAGS;
			return finish(&p, XDP_ABORTED);
		}
		if ((void *)(vh + 1) > data_end) {
			p.flags |= F_TRUNCATED;
			return finish(&p, XDP_DROP);
		}
		p.vlan_ids[i] = bpf_ntohs(vh->tci) & 0x0fff;
		p.vlans++;
		p.flags |= i == 0 ? F_VLAN : F_QINQ;
		proto = vh->encap_proto;
		cur = vh + 1;
	}

	p.eth_proto = bpf_ntohs(proto);
	p.l3_off = cur - data;

	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *iph = cur;
		__u32 hlen, tot;
		__u16 frag;

		if ((void *)(iph + 1) > data_end) {
			p.flags |= F_TRUNCATED;
			return finish(&p, XDP_DROP);
		}
		if (iph->version != 4 || iph->ihl < 5) {
			p.flags |= F_MALFORMED;
			return finish(&p, XDP_DROP);
		}
		hlen = iph->ihl * 4;
		if (hlen > sizeof(*iph))
			p.flags |= F_IPV4_OPTS;
		if (cur + hlen > data_end) {
			p.flags |= F_TRUNCATED;
			return finish(&p, XDP_DROP);
		}
		p.family = 4;
		p.ttl = iph->ttl;
		__builtin_memcpy(p.saddr, &iph->saddr, 4);
		__builtin_memcpy(p.daddr, &iph->daddr, 4);
		tot = bpf_ntohs(iph->tot_len);
		if (tot < hlen || cur + tot > data_end) {
			p.flags |= F_MALFORMED;
			return finish(&p, XDP_DROP);
		}
		frag = bpf_ntohs(iph->frag_off);
		if (frag & (IP_MF | IP_OFFSET)) {
			p.flags |= F_FRAG;
			if (frag & IP_OFFSET)
				p.flags |= F_FRAG_LATER;
		}
		l4proto = iph->protocol;
		cur += hlen;
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6h = cur;
		__u8 nexthdr;

		if ((void *)(ip6h + 1) > data_end) {
			p.flags |= F_TRUNCATED;
			return finish(&p, XDP_DROP);
		}
		if (ip6h->version != 6) {
			p.flags |= F_MALFORMED;
			return finish(&p, XDP_DROP);
		}
		p.family = 6;
		p.ttl = ip6h->hop_limit;
		__builtin_memcpy(p.saddr, &ip6h->saddr, 16);
		__builtin_memcpy(p.daddr, &ip6h->daddr, 16);
		if ((void *)(ip6h + 1) + bpf_ntohs(ip6h->payload_len) > data_end) {
			p.flags |= F_MALFORMED;
			return finish(&p, XDP_DROP);
		}
		nexthdr = ip6h->nexthdr;
		cur = ip6h + 1;

#pragma unroll
		for (int i = 0; i < MAX_EXT_HDRS; i++) {
			if (nexthdr == IPPROTO_HOPOPTS || nexthdr == IPPROTO_DSTOPTS || nexthdr == IPPROTO_ROUTING) {
				struct ipv6_opt_hdr *oh = cur;

				if ((void *)(oh + 1) > data_end) {
					p.flags |= F_TRUNCATED;
					return finish(&p, XDP_DROP);
				}
				if (nexthdr == IPPROTO_ROUTING) {
					struct ipv6_rt_hdr *rh = cur;

					if ((void *)(rh + 1) > data_end) {
						p.flags |= F_TRUNCATED;
						return finish(&p, XDP_DROP);
					}
					p.flags |= F_EXT_ROUTING;
					if (rh->type == 0)
						verdict = XDP_DROP;
				} else {
					p.flags |= nexthdr == IPPROTO_HOPOPTS ? F_EXT_HOP : F_EXT_DEST;
				}
				nexthdr = oh->nexthdr;
				cur += (oh->hdrlen + 1) * 8;
				p.ext_hdrs++;
			} else if (nexthdr == IPPROTO_FRAGMENT) {
				struct frag6_hdr *fh = cur;

				if ((void *)(fh + 1) > data_end) {
					p.flags |= F_TRUNCATED;
					return finish(&p, XDP_DROP);
				}
				p.flags |= F_FRAG | F_EXT_FRAG;
				if (bpf_ntohs(fh->frag_off) & 0xfff8)
					p.flags |= F_FRAG_LATER;
				nexthdr = fh->nexthdr;
				cur = fh + 1;
				p.ext_hdrs++;
			} else {
				break;
			}
		}
		l4proto = nexthdr;
	} else {
		return finish(&p, XDP_PASS); /* ARP, LLDP, anything not IP */
	}

	p.proto = l4proto;
	p.l4_off = cur - data;
	if (p.flags & F_FRAG_LATER)
		return finish(&p, verdict);

	if (l4proto == IPPROTO_TCP) {
		struct tcphdr *th = cur;

		if ((void *)(th + 1) > data_end) {
			p.flags |= F_TRUNCATED;
			return finish(&p, XDP_DROP);
		}
		if (th->doff < 5 || cur + th->doff * 4 > data_end) {
			p.flags |= F_MALFORMED;
			return finish(&p, XDP_DROP);
		}
		p.flags |= F_L4;
		p.sport = bpf_ntohs(th->source);
		p.dport = bpf_ntohs(th->dest);
		p.tcp_flags = ((__u8 *)th)[13];
		if (p.dport == 23)
			verdict = XDP_DROP;
	} else if (l4proto == IPPROTO_UDP) {
		struct udphdr *uh = cur;

		if ((void *)(uh + 1) > data_end) {
			p.flags |= F_TRUNCATED;
			return finish(&p, XDP_DROP);
		}
		p.flags |= F_L4;
		p.sport = bpf_ntohs(uh->source);
		p.dport = bpf_ntohs(uh->dest);
		if (p.dport == 1900)
			verdict = XDP_DROP;
	} else if (l4proto == IPPROTO_ICMP || l4proto == IPPROTO_ICMPV6) {
		struct icmphdr *ih = cur; /* type and code are where ICMPv6 has them too */

		if ((void *)ih + 4 > data_end) {
			p.flags |= F_TRUNCATED;
			return finish(&p, XDP_DROP);
		}
		p.flags |= F_L4;
		p.sport = ih->type;
		p.dport = ih->code;
	}
	return finish(&p, verdict);
}

char LICENSE[] SEC("license") = "GPL";
