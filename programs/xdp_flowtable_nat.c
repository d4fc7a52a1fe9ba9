// xdp_flowtable_nat: forwards from XDP, with their NAT, the connections netfilter's flowtable holds —
// what xdp-tools' xdp_flowtable does, written here from the kernel's structs: bpf_xdp_flow_lookup
// answers with the direction's struct flow_offload_tuple_rhash; the program reads it (and the flow it
// is part of) through bpf_core_read, so CO-RE relocations decide where each field is (the kernel's
// vmlinux BTF there, wxdp's description of its records here: src/elf/core.ts).
//
// Per frame: Ethernet + IPv4 (no options, not a fragment, TTL above 1) + TCP or UDP ports; a TCP FIN
// or RST goes to the stack (which tears the flow down). A hit: the direction (tuple.dir), the flow
// (container_of the tuplehash[dir]), its NF_FLOW_SNAT / NF_FLOW_DNAT flags, the xmit type (NEIGH only);
// the route to the translated destination from bpf_fib_lookup (with the translated source); then, as
// nf_flow_offload_ip_hook does, the ports and addresses rewritten with incremental checksum updates
// (a UDP checksum of 0 stays 0; one that becomes 0 is sent as 0xffff), the TTL decremented, the
// next hop's MACs, and bpf_redirect to the route's device. Anything else: XDP_PASS.
// `ft_stats` (ARRAY) counts: 0 forwarded, 1 lookup miss, 2 FIB not SUCCESS, 3 TCP FIN/RST,
// 4 passed before the lookup, 5 an entry the program cannot use (bad dir, xmit type, unreadable).
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_core_read.h>

#define AF_INET 2

// The kernel's structs (include/net/netfilter/nf_flow_table.h), as vmlinux.h declares them: with
// preserve_access_index every access below is relocated against the running data path's BTF.
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

/* RFC 1624 eqn. 3 on a 16-bit checksum (network order) for a 32-bit field changing from `from` to `to` */
static __always_inline __u16 csum_replace4(__u16 check, __be32 from, __be32 to)
{
	__u32 s = (__u16)~check;

	s += (__u16)~from + (__u16)~(from >> 16) + (__u16)to + (__u16)(to >> 16);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (__u16)~s;
}

/* the L4 checksum at `check` for a field change; UDP: 0 is no checksum and stays; a result of 0 is 0xffff */
static __always_inline void l4_replace(__u16 *check, int udp, __be32 from, __be32 to)
{
	if (udp && !*check)
		return;
	*check = csum_replace4(*check, from, to);
	if (udp && !*check)
		*check = 0xffff;
}

/* one tuple's source or destination address and port (constant indices: CO-RE relocates
 * tuplehash[0] and tuplehash[1] each, never a computed index) */
#define TUPLE_READ(flow, i, which, addr, port)                                                       \
	(bpf_core_read(addr, sizeof(*(addr)), &(flow)->tuplehash[i].tuple.which##_v4.s_addr) ||         \
	 bpf_core_read(port, sizeof(*(port)), &(flow)->tuplehash[i].tuple.which##_port))

/* the translated address and port of this direction: SNAT rewrites the source leaving ORIGINAL (and
 * the destination leaving REPLY), DNAT the other way round; the new values are the other tuple's:
 * SNAT: ORIGINAL takes the reply's destination, REPLY the original's source; DNAT: ORIGINAL the
 * reply's source, REPLY the original's destination */
static __always_inline int nat_values(struct flow_offload *flow, int dir, int snat, __be32 *addr, __be16 *port)
{
	if (dir == FLOW_OFFLOAD_DIR_ORIGINAL)
		return snat ? TUPLE_READ(flow, FLOW_OFFLOAD_DIR_REPLY, dst, addr, port)
			    : TUPLE_READ(flow, FLOW_OFFLOAD_DIR_REPLY, src, addr, port);
	return snat ? TUPLE_READ(flow, FLOW_OFFLOAD_DIR_ORIGINAL, src, addr, port)
		    : TUPLE_READ(flow, FLOW_OFFLOAD_DIR_ORIGINAL, dst, addr, port);
}

SEC("xdp")
int xdp_flowtable_nat(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct bpf_flowtable_opts opts = {};
	struct flow_offload_tuple_rhash *th;
	struct flow_offload *flow;
	struct bpf_fib_lookup t;
	__be32 snat_a = 0, dnat_a = 0;
	__be16 snat_p = 0, dnat_p = 0;
	unsigned long flags = 0;
	struct iphdr *ip;
	__u16 *check;
	__be16 *l4;
	int dir, udp;
	__u8 xmit;

	ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return count(4, XDP_PASS);
	if (ip->ihl != 5 || (ip->frag_off & bpf_htons(0x3fff)) || ip->ttl <= 1)
		return count(4, XDP_PASS);
	if (ip->protocol != IPPROTO_TCP && ip->protocol != IPPROTO_UDP)
		return count(4, XDP_PASS);
	udp = ip->protocol == IPPROTO_UDP;
	l4 = (void *)(ip + 1);
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
	t.family = AF_INET;
	t.l4_protocol = ip->protocol;
	t.sport = l4[0];
	t.dport = l4[1];
	t.ipv4_src = ip->saddr;
	t.ipv4_dst = ip->daddr;
	t.tot_len = bpf_ntohs(ip->tot_len);
	t.ifindex = ctx->ingress_ifindex;

	th = bpf_xdp_flow_lookup(ctx, &t, &opts, sizeof(opts));
	if (!th)
		return count(1, XDP_PASS);
	dir = BPF_CORE_READ_BITFIELD_PROBED(th, tuple.dir);
	xmit = BPF_CORE_READ_BITFIELD_PROBED(th, tuple.xmit_type);
	if (dir > FLOW_OFFLOAD_DIR_REPLY || xmit != FLOW_OFFLOAD_XMIT_NEIGH)
		return count(5, XDP_PASS);
	/* container_of(th, struct flow_offload, tuplehash[dir]) */
	flow = (void *)th - dir * bpf_core_type_size(struct flow_offload_tuple_rhash) -
	       __builtin_offsetof(struct flow_offload, tuplehash);
	if (bpf_core_read(&flags, sizeof(flags), &flow->flags))
		return count(5, XDP_PASS);
	if ((flags & (1UL << NF_FLOW_SNAT)) && nat_values(flow, dir, 1, &snat_a, &snat_p))
		return count(5, XDP_PASS);
	if ((flags & (1UL << NF_FLOW_DNAT)) && nat_values(flow, dir, 0, &dnat_a, &dnat_p))
		return count(5, XDP_PASS);

	/* the route of the translated packet */
	if (flags & (1UL << NF_FLOW_SNAT)) {
		if (dir == FLOW_OFFLOAD_DIR_ORIGINAL)
			t.ipv4_src = snat_a;
		else
			t.ipv4_dst = snat_a;
	}
	if (flags & (1UL << NF_FLOW_DNAT)) {
		if (dir == FLOW_OFFLOAD_DIR_ORIGINAL)
			t.ipv4_dst = dnat_a;
		else
			t.ipv4_src = dnat_a;
	}
	if (bpf_fib_lookup(ctx, &t, sizeof(t), 0) != BPF_FIB_LKUP_RET_SUCCESS)
		return count(2, XDP_PASS);

	/* nf_flow_nat_ip: SNAT then DNAT, each the port, then the address in both checksums */
	if (flags & (1UL << NF_FLOW_SNAT)) {
		__be16 *p = dir == FLOW_OFFLOAD_DIR_ORIGINAL ? &l4[0] : &l4[1];
		__be32 *a = dir == FLOW_OFFLOAD_DIR_ORIGINAL ? &ip->saddr : &ip->daddr;

		l4_replace(check, udp, *p, snat_p);
		*p = snat_p;
		ip->check = csum_replace4(ip->check, *a, snat_a);
		l4_replace(check, udp, *a, snat_a);
		*a = snat_a;
	}
	if (flags & (1UL << NF_FLOW_DNAT)) {
		__be16 *p = dir == FLOW_OFFLOAD_DIR_ORIGINAL ? &l4[1] : &l4[0];
		__be32 *a = dir == FLOW_OFFLOAD_DIR_ORIGINAL ? &ip->daddr : &ip->saddr;

		l4_replace(check, udp, *p, dnat_p);
		*p = dnat_p;
		ip->check = csum_replace4(ip->check, *a, dnat_a);
		l4_replace(check, udp, *a, dnat_a);
		*a = dnat_a;
	}
	/* ip_decrease_ttl */
	{
		__u32 c = ip->check;

		c += bpf_htons(0x0100);
		ip->check = (__u16)(c + (c >= 0xffff));
		ip->ttl--;
	}
	__builtin_memcpy(eth->h_dest, t.dmac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, t.smac, ETH_ALEN);
	count(0, 0);
	return bpf_redirect(t.ifindex, 0);
}

char _license[] SEC("license") = "GPL";
