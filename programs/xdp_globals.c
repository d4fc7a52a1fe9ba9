// xdp_globals: configuration and state in global variables instead of declared maps, the way libbpf
// skeletons expose them. libbpf turns each section into an ARRAY map with one element:
//   .rodata    `const volatile` settings (blocked_port, drop_ttl_below, mode), frozen after load, so
//              the kernel's verifier knows their values and prunes the branches they disable
//   .data      initialised, writable: min_len (frames shorter than this are dropped), and a counter
//              that starts at 1000
//   .bss       zero-initialised counters, updated with atomic adds
//   .data.cfg  a custom data section (libbpf >= 0.6 makes one map per `.data.*` section)
// Logic: count every frame and its bytes; drop frames shorter than min_len; for IPv4/IPv6 drop TTL /
// hop limit below drop_ttl_below and TCP/UDP to blocked_port; in mode 1 also count per ethertype class.
// Helpers: none (global data is accessed through direct map value pointers, BPF_PSEUDO_MAP_VALUE).
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <linux/tcp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* .rodata */
const volatile __u16 blocked_port = 23;
const volatile __u8 drop_ttl_below = 2;
const volatile __u8 mode = 1;

/* .data */
__u32 min_len = 20;
__u64 since_boot = 1000;

/* .bss */
__u64 frames_seen;
__u64 bytes_seen;
__u64 frames_dropped;
__u64 per_class[4]; /* IPv4, IPv6, ARP, other */

/* .data.cfg */
__u32 cfg_generation SEC(".data.cfg") = 7;
__u32 cfg_last_verdict SEC(".data.cfg") = 0xffffffff;

static __always_inline int verdict(int v)
{
	cfg_last_verdict = v;
	if (v == XDP_DROP)
		__sync_fetch_and_add(&frames_dropped, 1);
	return v;
}

static __always_inline int port_blocked(void *l4, void *data_end, __u8 proto)
{
	if (proto == IPPROTO_TCP) {
		struct tcphdr *th = l4;

		if ((void *)(th + 1) <= data_end && th->dest == bpf_htons(blocked_port))
			return 1;
	} else if (proto == IPPROTO_UDP) {
		struct udphdr *uh = l4;

		if ((void *)(uh + 1) <= data_end && uh->dest == bpf_htons(blocked_port))
			return 1;
	}
	return 0;
}

SEC("xdp")
int xdp_globals(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u32 len = data_end - data;

	__sync_fetch_and_add(&frames_seen, 1);
	__sync_fetch_and_add(&bytes_seen, len);
	since_boot++;

	if (len < min_len || (void *)(eth + 1) > data_end)
		return verdict(XDP_DROP);

	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *iph = (void *)(eth + 1);

		if (mode == 1)
			__sync_fetch_and_add(&per_class[0], 1);
		if ((void *)(iph + 1) > data_end || iph->ihl < 5)
			return verdict(XDP_PASS);
		if (iph->ttl < drop_ttl_below)
			return verdict(XDP_DROP);
		if (port_blocked((void *)iph + iph->ihl * 4, data_end, iph->protocol))
			return verdict(XDP_DROP);
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6h = (void *)(eth + 1);

		if (mode == 1)
			__sync_fetch_and_add(&per_class[1], 1);
		if ((void *)(ip6h + 1) > data_end)
			return verdict(XDP_PASS);
		if (ip6h->hop_limit < drop_ttl_below)
			return verdict(XDP_DROP);
		if (port_blocked(ip6h + 1, data_end, ip6h->nexthdr))
			return verdict(XDP_DROP);
	} else if (mode == 1) {
		__sync_fetch_and_add(&per_class[eth->h_proto == bpf_htons(ETH_P_ARP) ? 2 : 3], 1);
	}
	return verdict(XDP_PASS);
}

char LICENSE[] SEC("license") = "GPL";
