// xdp_lb: an L4 load balancer that encapsulates (the Katran / Cilium "DSR via tunnel" shape). An IPv4
// TCP or UDP packet whose (daddr, dport, proto) is a virtual service in `vips` (HASH) goes to one of
// the service's backends: jhash of the 5-tuple modulo backend_count, offset by backend_base, indexes
// `backends` (ARRAY), so one flow always lands on the same backend. The packet is then wrapped by
// bpf_xdp_adjust_head in an outer IPv4 header, either
//   IPIP   [eth][outer IPv4, proto 4][inner IPv4 ...]                              (VIP_F_GUE clear)
//   GUE    [eth][outer IPv4, proto 17][UDP -> gue_port][GUE v0, proto 4][inner IPv4 ...]  (VIP_F_GUE)
// with the outer IPv4 checksum computed over the new header, the source port of GUE taken from the
// hash (entropy for ECMP), MACs rewritten (destination: the backend's, source: the MAC the packet was
// sent to) and XDP_TX. Per-backend packets/bytes go to `lb_stats` (ARRAY, atomic adds). Not a
// service, not IPv4, or a later fragment -> XDP_PASS; a bad service entry -> XDP_ABORTED.
// The LB's own address and the GUE port are `const volatile` in .rodata (what a loader would patch).
// Helpers: bpf_map_lookup_elem (HASH, ARRAY), bpf_xdp_adjust_head.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <linux/tcp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define MAX_BACKENDS 16
#define VIP_F_GUE 1

const volatile __be32 lb_self_addr = bpf_htonl(0xc6336401); /* 198.51.100.1 */
const volatile __u16 gue_port = 6080;

struct vip_key {
	__be32 addr;
	__be16 port;
	__u8 proto;
	__u8 pad;
};

struct vip_meta {
	__u32 flags;
	__u32 backend_base;
	__u32 backend_count;
};

struct backend {
	__be32 addr;
	__u8 mac[ETH_ALEN];
	__u16 pad;
};

struct lb_stat {
	__u64 packets;
	__u64 bytes;
};

struct guehdr {
	__u8 hlen_c_ver;  /* version 0, C 0, hlen 0 (no extension fields) */
	__u8 proto_ctype; /* IPPROTO_IPIP */
	__be16 flags;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct vip_key);
	__type(value, struct vip_meta);
	__uint(max_entries, 64);
} vips SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct backend);
	__uint(max_entries, MAX_BACKENDS);
} backends SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct lb_stat);
	__uint(max_entries, MAX_BACKENDS);
} lb_stats SEC(".maps");

/* The kernel's jhash_3words (include/linux/jhash.h, Bob Jenkins' lookup3 final mix). */
static __always_inline __u32 rol32(__u32 word, unsigned int shift)
{
	return (word << shift) | (word >> ((-shift) & 31));
}

#define JHASH_INITVAL 0xdeadbeef
static __always_inline __u32 jhash_3words(__u32 a, __u32 b, __u32 c, __u32 initval)
{
	a += JHASH_INITVAL + initval + (3 << 2);
	b += JHASH_INITVAL + initval + (3 << 2);
	c += JHASH_INITVAL + initval + (3 << 2);
	c ^= b; c -= rol32(b, 14);
	a ^= c; a -= rol32(c, 11);
	b ^= a; b -= rol32(a, 25);
	c ^= b; c -= rol32(b, 16);
	a ^= c; a -= rol32(c, 4);
	b ^= a; b -= rol32(a, 14);
	c ^= b; c -= rol32(b, 24);
	return c;
}

static __always_inline __u16 ip_checksum(struct iphdr *iph)
{
	__u16 *w = (__u16 *)iph;
	__u32 sum = 0;

#pragma unroll
	for (int i = 0; i < sizeof(*iph) / 2; i++)
		sum += w[i];
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

SEC("xdp")
int xdp_lb(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *iph, *outer;
	struct vip_key vk;
	struct vip_meta *vip;
	struct backend *be;
	struct lb_stat *st;
	__u8 lb_mac[ETH_ALEN];
	__u32 ports, hash, idx;
	__u16 inner_len;
	__u8 tos;
	int encap;

	if ((void *)(eth + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	iph = (void *)(eth + 1);
	if ((void *)(iph + 1) > data_end || iph->ihl < 5)
		return XDP_PASS;
	if (iph->frag_off & bpf_htons(0x1fff))
		return XDP_PASS;
	if (iph->protocol != IPPROTO_TCP && iph->protocol != IPPROTO_UDP)
		return XDP_PASS;
	{
		/* Source and destination ports are the first 4 bytes of TCP and UDP alike. */
		__be16 *l4 = (void *)iph + iph->ihl * 4;

		if ((void *)(l4 + 2) > data_end)
			return XDP_PASS;
		ports = ((__u32)l4[0] << 16) | l4[1];
		vk.port = l4[1];
	}
	vk.addr = iph->daddr;
	vk.proto = iph->protocol;
	vk.pad = 0;
	vip = bpf_map_lookup_elem(&vips, &vk);
	if (!vip)
		return XDP_PASS;
	if (vip->backend_count == 0 || vip->backend_count > MAX_BACKENDS)
		return XDP_ABORTED;

	hash = jhash_3words(iph->saddr, iph->daddr, ports, iph->protocol);
	idx = vip->backend_base + hash % vip->backend_count;
	be = bpf_map_lookup_elem(&backends, &idx);
	if (!be)
		return XDP_ABORTED;

	__builtin_memcpy(lb_mac, eth->h_dest, ETH_ALEN);
	inner_len = bpf_ntohs(iph->tot_len);
	tos = iph->tos;
	encap = vip->flags & VIP_F_GUE ? sizeof(struct iphdr) + sizeof(struct udphdr) + sizeof(struct guehdr)
				       : sizeof(struct iphdr);

	st = bpf_map_lookup_elem(&lb_stats, &idx);
	if (st) {
		__sync_fetch_and_add(&st->packets, 1);
		__sync_fetch_and_add(&st->bytes, data_end - data);
	}

	/* [eth][inner] -> [new eth][outer ip](udp, gue)[inner]: grow the head, then write the new headers
	 * over the old Ethernet header and the new room. Every packet pointer is stale after this. */
	if (bpf_xdp_adjust_head(ctx, -encap))
		return XDP_ABORTED;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	eth = data;
	outer = (void *)(eth + 1);
	if ((void *)(outer + 1) > data_end)
		return XDP_ABORTED;

	__builtin_memcpy(eth->h_dest, be->mac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, lb_mac, ETH_ALEN);
	eth->h_proto = bpf_htons(ETH_P_IP);

	outer->version = 4;
	outer->ihl = 5;
	outer->tos = tos;
	outer->tot_len = bpf_htons(inner_len + encap);
	outer->id = 0;
	outer->frag_off = bpf_htons(0x4000); /* DF */
	outer->ttl = 64;
	outer->protocol = encap == sizeof(struct iphdr) ? IPPROTO_IPIP : IPPROTO_UDP;
	outer->saddr = lb_self_addr;
	outer->daddr = be->addr;
	outer->check = 0;
	outer->check = ip_checksum(outer);

	if (encap != sizeof(struct iphdr)) {
		struct udphdr *uh = (void *)(outer + 1);
		struct guehdr *gh = (void *)(uh + 1);

		if ((void *)(gh + 1) > data_end)
			return XDP_ABORTED;
		uh->source = bpf_htons(0xc000 | (hash & 0x3fff));
		uh->dest = bpf_htons(gue_port);
		uh->len = bpf_htons(inner_len + sizeof(*uh) + sizeof(*gh));
		uh->check = 0; /* allowed over IPv4 */
		gh->hlen_c_ver = 0;
		gh->proto_ctype = IPPROTO_IPIP;
		gh->flags = 0;
	}
	return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
