// xdp_calls: bpf-to-bpf calls, several levels deep, of both kinds the verifier knows:
//   global function  classify(ctx)       verified once on its own, from its BTF prototype: it may
//                                        take the context but not packet pointers, so it reads the
//                                        packet itself
//   static __noinline parse_l3, l4_ports, flow_hash -> mix -> rol32, checksum16 (folded one's
//                    complement sum over a stack buffer), all verified in the caller's context
// Call depth reaches 4 below the entry (xdp_calls -> classify -> flow_hash -> mix -> rol32), each
// frame with its own stack. The results (class, hash, header checksum, call count) go into
// `call_results` (ARRAY, struct result at index 0). Verdict: an IPv4 header whose checksum is wrong
// (or cannot be read) -> XDP_ABORTED; TCP with an odd hash -> XDP_DROP; anything else -> XDP_PASS.
// Helpers: bpf_map_update_elem, bpf_xdp_load_bytes (the header copy for the checksum).
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <linux/tcp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct result {
	__u32 class;    /* 0 not IP, 1 IPv4 other, 2 IPv6 other, 3 TCP, 4 UDP */
	__u32 hash;
	__u32 hdr_sum;  /* folded one's complement sum of the IPv4 header (0xffff when valid) */
	__u32 calls;    /* subprogram calls made on the way */
	__u16 sport;
	__u16 dport;
	__u32 l4_off;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct result);
	__uint(max_entries, 1);
} call_results SEC(".maps");

static __noinline __u32 rol32(__u32 w, __u32 s)
{
	s &= 31;
	return (w << s) | (w >> ((32 - s) & 31));
}

static __noinline __u32 mix(__u32 a, __u32 b, __u32 c)
{
	a -= c; a ^= rol32(c, 4); c += b;
	b -= a; b ^= rol32(a, 6); a += c;
	c -= b; c ^= rol32(b, 8); b += a;
	a -= c; a ^= rol32(c, 16); c += b;
	b -= a; b ^= rol32(a, 19); a += c;
	c -= b; c ^= rol32(b, 4); b += a;
	return c;
}

static __noinline __u32 flow_hash(__u32 *words, __u32 n)
{
	__u32 h = 0x9e3779b9;

	for (__u32 i = 0; i + 2 < n && i < 12; i += 3)
		h = mix(words[i] + h, words[i + 1], words[i + 2]);
	return h;
}

/* One's complement sum over n 16-bit words of a stack buffer, folded, not inverted. */
static __noinline __u32 checksum16(__u16 *w, __u32 n)
{
	__u32 sum = 0;

	for (__u32 i = 0; i < n && i < 30; i++)
		sum += w[i];
	sum = (sum & 0xffff) + (sum >> 16);
	return (sum & 0xffff) + (sum >> 16);
}

/* Returns the L4 offset, and the L3 protocol in *proto; -1 when not IP or truncated. */
static __noinline int parse_l3(void *data, void *data_end, __u32 *words, __u8 *proto)
{
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return -1;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *iph = (void *)(eth + 1);

		if ((void *)(iph + 1) > data_end || iph->ihl < 5)
			return -1;
		words[0] = iph->saddr;
		words[1] = iph->daddr;
		*proto = iph->protocol;
		return sizeof(*eth) + iph->ihl * 4;
	}
	if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6h = (void *)(eth + 1);

		if ((void *)(ip6h + 1) > data_end)
			return -1;
		__builtin_memcpy(words, &ip6h->saddr, 32);
		*proto = ip6h->nexthdr;
		return sizeof(*eth) + sizeof(*ip6h);
	}
	return -1;
}

static __noinline int l4_ports(void *data, void *data_end, __u32 off, __u32 *ports)
{
	__be16 *p;

	if (off > 128)
		return -1;
	p = data + off;
	if ((void *)(p + 2) > data_end)
		return -1;
	*ports = ((__u32)bpf_ntohs(p[0]) << 16) | bpf_ntohs(p[1]);
	return 0;
}

__noinline int classify(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 words[12] = {};
	__u16 hdr[30] = {};
	struct result r = {};
	__u32 zero = 0;
	__u8 proto = 0;
	int v4 = 0;
	int off;
	__u32 n;

	off = parse_l3(data, data_end, words, &proto);
	r.calls = 1;
	if (off < 0) {
		r.class = 0;
		goto out;
	}
	n = off == sizeof(struct ethhdr) + sizeof(struct ipv6hdr) ? 8 : 2;
	r.class = n == 2 ? 1 : 2;
	r.l4_off = off;
	if (n == 2) {
		v4 = 1;
		/* Copy the IPv4 header to the stack (at most 60 bytes) and sum it there. */
		__u32 ihl;

		if (bpf_xdp_load_bytes(ctx, sizeof(struct ethhdr), hdr, 20))
			goto out;
		ihl = ((__u8 *)hdr)[0] & 0xf;
		if (ihl > 5 && bpf_xdp_load_bytes(ctx, sizeof(struct ethhdr) + 20, &hdr[10], (ihl - 5) * 4))
			goto out;
		r.hdr_sum = checksum16(hdr, ihl * 2);
		r.calls++;
	}
	if (proto == IPPROTO_TCP || proto == IPPROTO_UDP) {
		__u32 ports = 0;

		r.calls++;
		if (l4_ports(data, data_end, off, &ports) == 0) {
			r.class = proto == IPPROTO_TCP ? 3 : 4;
			r.sport = ports >> 16;
			r.dport = ports & 0xffff;
			words[n] = ports;
			words[n + 1] = proto;
			n += 2;
		}
	}
	words[n] = off;
	n = (n + 1 + 2) / 3 * 3; /* whole groups of three; words[] was zeroed */
	r.hash = flow_hash(words, n);
	r.calls++;
out:
	bpf_map_update_elem(&call_results, &zero, &r, BPF_ANY);
	return r.class * 2 + (r.hash & 1) + (v4 && r.hdr_sum != 0xffff ? 100 : 0);
}

SEC("xdp")
int xdp_calls(struct xdp_md *ctx)
{
	int c = classify(ctx);

	if (c >= 100)
		return XDP_ABORTED;
	if (c == 3 * 2 + 1)
		return XDP_DROP;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
