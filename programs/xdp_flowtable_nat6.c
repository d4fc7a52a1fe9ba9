// xdp_flowtable_nat6: xdp_flowtable_nat for IPv6 — what xdp-tools' xdp_flowtable does for an IPv6
// flow, written from nf_flow_table_ip.c's nf_flow_offload_ipv6_hook: bpf_xdp_flow_lookup with a
// struct bpf_fib_lookup of family AF_INET6; the entry read through bpf_core_read as the kernel's structs
// (tuple.dir, tuple.xmit_type, container_of to struct flow_offload: flags; the other direction's
// tuple.src_v6 / dst_v6 and ports for the translation), so CO-RE places every field.
//
// Per frame: Ethernet + IPv6 whose next header is TCP or UDP (no extension headers), hop limit above 1;
// a TCP FIN or RST goes to the stack. A hit: the route of the translated packet from bpf_fib_lookup,
// then nf_flow_nat_ipv6 (SNAT then DNAT: the port, then the address; the TCP / UDP checksum over the
// pseudo-header, RFC 1624 per 16-bit word; a UDP checksum of 0 stays 0, one that becomes 0 is 0xffff),
// the hop limit decremented (no header checksum in IPv6), the next hop's MACs, bpf_redirect.
// `ft_stats` (ARRAY) counts: 0 forwarded, 1 lookup miss, 2 FIB not SUCCESS, 3 TCP FIN/RST, 4 passed
// before the lookup, 5 an entry the program cannot use (bad dir, xmit type, unreadable).
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ipv6.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_core_read.h>

#define AF_INET6 10

// The kernel's structs (include/net/netfilter/nf_flow_table.h), as vmlinux.h declares them.
struct rhash_head {
	struct rhash_head *next;
} __attribute__((preserve_access_index));

struct flow_offload_tuple {
	union {
		struct in_addr src_v4;
		struct in6_addr src_v6;
	};
	union {
		struct in_addr dst_v4;
		struct in6_addr dst_v6;
	};
	struct {
		__be16 src_port;
		__be16 dst_port;
	};
	int iifidx;
	__u8 l3proto;
	__u8 l4proto;
	struct {
		__u16 id;
		__be16 proto;
	} encap[2];
	__u8 dir:2, xmit_type:3, encap_num:2, in_vlan_ingress:2;
	__u16 mtu;
} __attribute__((preserve_access_index));

struct flow_offload_tuple_rhash {
	struct rhash_head node;
	struct flow_offload_tuple tuple;
} __attribute__((preserve_access_index));

struct flow_offload {
	struct flow_offload_tuple_rhash tuplehash[2];
	void *ct;
	unsigned long flags;
} __attribute__((preserve_access_index));

enum { NF_FLOW_SNAT, NF_FLOW_DNAT };
enum { FLOW_OFFLOAD_DIR_ORIGINAL, FLOW_OFFLOAD_DIR_REPLY };
#define FLOW_OFFLOAD_XMIT_NEIGH 1

struct bpf_flowtable_opts {
	__s32 error;
};

extern struct flow_offload_tuple_rhash *
bpf_xdp_flow_lookup(struct xdp_md *ctx, struct bpf_fib_lookup *fib_tuple,
		    struct bpf_flowtable_opts *opts, __u32 opts_len) __ksym;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 6);
} ft_stats SEC(".maps");

static __always_inline int count(__u32 i, int verdict)
{
	__u64 *v = bpf_map_lookup_elem(&ft_stats, &i);

	if (v)
		__sync_fetch_and_add(v, 1);
	return verdict;
}

/* RFC 1624 eqn. 3: the checksum (network order) after a 16-bit word changes from `from` to `to` */
static __always_inline __u16 csum_replace2(__u16 check, __u16 from, __u16 to)
{
	__u32 s = (__u16)~check;

	s += (__u16)~from + to;
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (__u16)~s;
}

/* the L4 checksum after a port change; UDP: 0 is no checksum and stays; a result of 0 is 0xffff */
static __always_inline void l4_port(__u16 *check, int udp, __be16 from, __be16 to)
{
	if (udp && !*check)
		return;
	*check = csum_replace2(*check, from, to);
	if (udp && !*check)
		*check = 0xffff;
}

/* the same for an address change (inet_proto_csum_replace16): eight words */
static __always_inline void l4_addr(__u16 *check, int udp, const struct in6_addr *from, const struct in6_addr *to)
{
	__u16 c;
	int i;

	if (udp && !*check)
		return;
	c = *check;
#pragma unroll
	for (i = 0; i < 8; i++)
		c = csum_replace2(c, from->in6_u.u6_addr16[i], to->in6_u.u6_addr16[i]);
	*check = c;
	if (udp && !*check)
		*check = 0xffff;
}

/* one tuple's source or destination address and port (constant indices: CO-RE relocates each) */
#define TUPLE_READ(flow, i, which, addr, port)                                                   \
	(bpf_core_read(addr, sizeof(*(addr)), &(flow)->tuplehash[i].tuple.which##_v6) ||            \
	 bpf_core_read(port, sizeof(*(port)), &(flow)->tuplehash[i].tuple.which##_port))

/* the translated address and port of this direction, as xdp_flowtable_nat.c (the other tuple's) */
static __always_inline int nat_values(struct flow_offload *flow, int dir, int snat, struct in6_addr *addr, __be16 *port)
{
	if (dir == FLOW_OFFLOAD_DIR_ORIGINAL)
		return snat ? TUPLE_READ(flow, FLOW_OFFLOAD_DIR_REPLY, dst, addr, port)
			    : TUPLE_READ(flow, FLOW_OFFLOAD_DIR_REPLY, src, addr, port);
	return snat ? TUPLE_READ(flow, FLOW_OFFLOAD_DIR_ORIGINAL, src, addr, port)
		    : TUPLE_READ(flow, FLOW_OFFLOAD_DIR_ORIGINAL, dst, addr, port);
}

SEC("xdp")
int xdp_flowtable_nat6(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct bpf_flowtable_opts opts = {};
	struct flow_offload_tuple_rhash *th;
	struct in6_addr snat_a = {}, dnat_a = {};
	struct flow_offload *flow;
	struct bpf_fib_lookup t;
	__be16 snat_p = 0, dnat_p = 0;
	unsigned long flags = 0;
	struct ipv6hdr *ip6;
	__u16 *check;
	__be16 *l4;
	int dir, udp;
	__u8 xmit;

	ip6 = (void *)(eth + 1);
	if ((void *)(ip6 + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IPV6))
		return count(4, XDP_PASS);
	if (ip6->hop_limit <= 1 || (ip6->nexthdr != IPPROTO_TCP && ip6->nexthdr != IPPROTO_UDP))
		return count(4, XDP_PASS);
	udp = ip6->nexthdr == IPPROTO_UDP;
	l4 = (void *)(ip6 + 1);
	if (udp) {
		struct udphdr *uh = (void *)l4;

		if ((void *)(uh + 1) > data_end)
			return count(4, XDP_PASS);
		check = &uh->check;
	} else {
		struct tcphdr *tcp = (void *)l4;

		if ((void *)(tcp + 1) > data_end)
			return count(4, XDP_PASS);
		if (tcp->fin || tcp->rst)
			return count(3, XDP_PASS);
		check = &tcp->check;
	}

	__builtin_memset(&t, 0, sizeof(t));
	t.family = AF_INET6;
	t.l4_protocol = ip6->nexthdr;
	t.sport = l4[0];
	t.dport = l4[1];
	__builtin_memcpy(t.ipv6_src, &ip6->saddr, 16);
	__builtin_memcpy(t.ipv6_dst, &ip6->daddr, 16);
	t.tot_len = bpf_ntohs(ip6->payload_len) + sizeof(*ip6);
	t.ifindex = ctx->ingress_ifindex;

	th = bpf_xdp_flow_lookup(ctx, &t, &opts, sizeof(opts));
	if (!th)
		return count(1, XDP_PASS);
	dir = BPF_CORE_READ_BITFIELD_PROBED(th, tuple.dir);
	xmit = BPF_CORE_READ_BITFIELD_PROBED(th, tuple.xmit_type);
	if (dir > FLOW_OFFLOAD_DIR_REPLY || xmit != FLOW_OFFLOAD_XMIT_NEIGH)
		return count(5, XDP_PASS);
	flow = (void *)th - dir * bpf_core_type_size(struct flow_offload_tuple_rhash) -
	       __builtin_offsetof(struct flow_offload, tuplehash);
	if (bpf_core_read(&flags, sizeof(flags), &flow->flags))
		return count(5, XDP_PASS);
	if ((flags & (1UL << NF_FLOW_SNAT)) && nat_values(flow, dir, 1, &snat_a, &snat_p))
		return count(5, XDP_PASS);
	if ((flags & (1UL << NF_FLOW_DNAT)) && nat_values(flow, dir, 0, &dnat_a, &dnat_p))
		return count(5, XDP_PASS);

	/* the route of the translated packet */
	if (flags & (1UL << NF_FLOW_SNAT))
		__builtin_memcpy(dir == FLOW_OFFLOAD_DIR_ORIGINAL ? t.ipv6_src : t.ipv6_dst, &snat_a, 16);
	if (flags & (1UL << NF_FLOW_DNAT))
		__builtin_memcpy(dir == FLOW_OFFLOAD_DIR_ORIGINAL ? t.ipv6_dst : t.ipv6_src, &dnat_a, 16);
	if (bpf_fib_lookup(ctx, &t, sizeof(t), 0) != BPF_FIB_LKUP_RET_SUCCESS)
		return count(2, XDP_PASS);

	/* nf_flow_nat_ipv6: SNAT then DNAT, each the port, then the address (the L4 checksum only) */
	if (flags & (1UL << NF_FLOW_SNAT)) {
		__be16 *p = dir == FLOW_OFFLOAD_DIR_ORIGINAL ? &l4[0] : &l4[1];
		struct in6_addr *a = dir == FLOW_OFFLOAD_DIR_ORIGINAL ? &ip6->saddr : &ip6->daddr;

		l4_port(check, udp, *p, snat_p);
		*p = snat_p;
		l4_addr(check, udp, a, &snat_a);
		*a = snat_a;
	}
	if (flags & (1UL << NF_FLOW_DNAT)) {
		__be16 *p = dir == FLOW_OFFLOAD_DIR_ORIGINAL ? &l4[1] : &l4[0];
		struct in6_addr *a = dir == FLOW_OFFLOAD_DIR_ORIGINAL ? &ip6->daddr : &ip6->saddr;

		l4_port(check, udp, *p, dnat_p);
		*p = dnat_p;
		l4_addr(check, udp, a, &dnat_a);
		*a = dnat_a;
	}
	ip6->hop_limit--;
	__builtin_memcpy(eth->h_dest, t.dmac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, t.smac, ETH_ALEN);
	count(0, 0);
	return bpf_redirect(t.ifindex, 0);
}

char _license[] SEC("license") = "GPL";
