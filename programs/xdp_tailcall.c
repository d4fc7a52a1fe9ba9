// xdp_tailcall: a dispatcher that hands each frame down a chain of programs with bpf_tail_call through
// `jmp_table`, a BPF_MAP_TYPE_PROG_ARRAY that libbpf fills at load time from the `.values`
// initialiser below (no user space code needed):
//   xdp_dispatch --IPv4--> xdp_ipv4 --TCP--> xdp_tcp      (TCP to port 23 -> XDP_DROP, else PASS)
//                                   --UDP--> xdp_udp      (UDP to port 53 -> XDP_TX after swapping
//                                                          MACs, else PASS)
//                                   --ICMP-> slot 4 is deliberately empty: the tail call fails and
//                                            xdp_ipv4 falls through to its own XDP_PASS
//               --IPv6--> xdp_ipv6 --TCP/UDP--> xdp_tcp / xdp_udp
//               --other-> XDP_PASS without a tail call
// The stages pass the L4 offset to each other in `scratch` (PERCPU_ARRAY), as chained programs must:
// a tail call keeps the context but not the stack. Every stage that runs bumps its slot in `hops`
// (ARRAY), so the recorded map shows which programs ran. Any stage can also be run on its own.
// Helpers: bpf_tail_call, bpf_map_lookup_elem (ARRAY, PERCPU_ARRAY).
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <linux/tcp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

enum stage { ST_DISPATCH, ST_IPV4, ST_IPV6, ST_TCP, ST_UDP, ST_ICMP, ST_MAX = 8 };

struct scratch {
	__u32 l4_off;
	__u32 l3_proto;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct scratch);
	__uint(max_entries, 1);
} scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, ST_MAX);
} hops SEC(".maps");

int xdp_ipv4(struct xdp_md *ctx);
int xdp_ipv6(struct xdp_md *ctx);
int xdp_tcp(struct xdp_md *ctx);
int xdp_udp(struct xdp_md *ctx);

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, ST_MAX);
	__uint(key_size, sizeof(__u32)); /* no BTF key type: the kernel refuses BTF on prog arrays */
	__array(values, int(struct xdp_md *));
} jmp_table SEC(".maps") = {
	.values = {
		[ST_IPV4] = (void *)&xdp_ipv4,
		[ST_IPV6] = (void *)&xdp_ipv6,
		[ST_TCP] = (void *)&xdp_tcp,
		[ST_UDP] = (void *)&xdp_udp,
		/* [ST_ICMP] stays empty */
	},
};

static __always_inline void hop(__u32 stage)
{
	__u64 *n = bpf_map_lookup_elem(&hops, &stage);

	if (n)
		__sync_fetch_and_add(n, 1);
}

static __always_inline struct scratch *get_scratch(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&scratch, &zero);
}

static __always_inline void next_l4(struct xdp_md *ctx, __u8 proto)
{
	if (proto == IPPROTO_TCP)
		bpf_tail_call(ctx, &jmp_table, ST_TCP);
	else if (proto == IPPROTO_UDP)
		bpf_tail_call(ctx, &jmp_table, ST_UDP);
	else if (proto == IPPROTO_ICMP)
		bpf_tail_call(ctx, &jmp_table, ST_ICMP);
}

SEC("xdp")
int xdp_dispatch(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	hop(ST_DISPATCH);
	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;
	if (eth->h_proto == bpf_htons(ETH_P_IP))
		bpf_tail_call(ctx, &jmp_table, ST_IPV4);
	else if (eth->h_proto == bpf_htons(ETH_P_IPV6))
		bpf_tail_call(ctx, &jmp_table, ST_IPV6);
	return XDP_PASS;
}

SEC("xdp")
int xdp_ipv4(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct iphdr *iph = data + sizeof(struct ethhdr);
	struct scratch *s = get_scratch();

	hop(ST_IPV4);
	if (!s || (void *)(iph + 1) > data_end || iph->ihl < 5)
		return XDP_PASS;
	if (iph->frag_off & bpf_htons(0x1fff))
		return XDP_PASS;
	s->l3_proto = ETH_P_IP;
	s->l4_off = sizeof(struct ethhdr) + iph->ihl * 4;
	next_l4(ctx, iph->protocol);
	return XDP_PASS;
}

SEC("xdp")
int xdp_ipv6(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ipv6hdr *ip6h = data + sizeof(struct ethhdr);
	struct scratch *s = get_scratch();

	hop(ST_IPV6);
	if (!s || (void *)(ip6h + 1) > data_end)
		return XDP_PASS;
	s->l3_proto = ETH_P_IPV6;
	s->l4_off = sizeof(struct ethhdr) + sizeof(*ip6h);
	next_l4(ctx, ip6h->nexthdr);
	return XDP_PASS;
}

SEC("xdp")
int xdp_tcp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct scratch *s = get_scratch();
	struct tcphdr *th;
	__u32 off;

	hop(ST_TCP);
	if (!s)
		return XDP_PASS;
	off = s->l4_off;
	if (off > 128) /* run on its own, scratch is zero: off 0 reads the Ethernet header */
		return XDP_PASS;
	th = data + off;
	if ((void *)(th + 1) > data_end)
		return XDP_PASS;
	return th->dest == bpf_htons(23) ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int xdp_udp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct scratch *s = get_scratch();
	struct ethhdr *eth = data;
	struct udphdr *uh;
	__u8 tmp[ETH_ALEN];
	__u32 off;

	hop(ST_UDP);
	if (!s)
		return XDP_PASS;
	off = s->l4_off;
	if (off > 128)
		return XDP_PASS;
	uh = data + off;
	if ((void *)(eth + 1) > data_end || (void *)(uh + 1) > data_end)
		return XDP_PASS;
	if (uh->dest != bpf_htons(53))
		return XDP_PASS;
	__builtin_memcpy(tmp, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, tmp, ETH_ALEN);
	return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
