// xdp_dns_filter: the XDP filter in front of a DNS server (the README's UDP service example). It lets
// through what the server's host needs and only the DNS it should answer:
//   UDP (IPv4, IPv6) to port 53        XDP_PASS, unless the IPv4 source is in `blocked` (XDP_DROP)
//   other UDP, and all TCP             XDP_DROP (the service should not see them; nor should the stack
//                                      answer them with port unreachables or resets)
//   everything else                    XDP_PASS: ARP, ICMP, ICMPv6 (neighbour discovery), fragments
//                                      (a fragment's UDP header may not be in it; reassembly is the
//                                      stack's), IPv6 with extension headers before the transport
// `blocked` (HASH): an IPv4 source address as on the wire → 1. `verdicts` (ARRAY of u64): [0] DNS
// passed, [1] DNS from a blocked source, [2] UDP/TCP not to port 53 — counted with atomic adds, as
// several queues may run the program at once. One 802.1Q/802.1ad tag is looked through.
// Helpers: bpf_map_lookup_elem on a HASH and an ARRAY.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define DNS_PORT 53
#define V_DNS 0
#define V_BLOCKED 1
#define V_NOT_DNS 2

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);  /* IPv4 source, network byte order */
	__type(value, __u8);
	__uint(max_entries, 1024);
} blocked SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 3);
} verdicts SEC(".maps");

struct vlan_hdr {
	__be16 tci;
	__be16 encap_proto;
};

static __always_inline int count(__u32 which, int action)
{
	__u64 *n = bpf_map_lookup_elem(&verdicts, &which);

	if (n)
		__sync_fetch_and_add(n, 1);
	return action;
}

/* The verdict for a transport header at `l4` of protocol `proto`; `saddr` the IPv4 source or 0. */
static __always_inline int transport(void *l4, void *end, __u8 proto, __u32 saddr)
{
	struct udphdr *uh = l4;

	if (proto == IPPROTO_TCP)
		return count(V_NOT_DNS, XDP_DROP);
	if (proto != IPPROTO_UDP)
		return XDP_PASS;
	if ((void *)(uh + 1) > end)
		return XDP_DROP; /* a UDP datagram too short for its header: nothing for a server */
	if (uh->dest != bpf_htons(DNS_PORT))
		return count(V_NOT_DNS, XDP_DROP);
	if (saddr && bpf_map_lookup_elem(&blocked, &saddr))
		return count(V_BLOCKED, XDP_DROP);
	return count(V_DNS, XDP_PASS);
}

SEC("xdp")
int xdp_dns_filter(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	void *l3;
	__be16 proto;

	if ((void *)(eth + 1) > end)
		return XDP_PASS; /* the stack counts runts */
	proto = eth->h_proto;
	l3 = eth + 1;
	if (proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD)) {
		struct vlan_hdr *vh = l3;

		if ((void *)(vh + 1) > end)
			return XDP_PASS;
		proto = vh->encap_proto;
		l3 = vh + 1;
	}
	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *iph = l3;

		if ((void *)(iph + 1) > end || iph->ihl < 5)
			return XDP_PASS;
		if (iph->frag_off & bpf_htons(0x3fff)) /* MF or an offset: a fragment */
			return XDP_PASS;
		return transport((void *)iph + iph->ihl * 4, end, iph->protocol, iph->saddr);
	}
	if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = l3;

		if ((void *)(ip6 + 1) > end)
			return XDP_PASS;
		return transport(ip6 + 1, end, ip6->nexthdr, 0);
	}
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
