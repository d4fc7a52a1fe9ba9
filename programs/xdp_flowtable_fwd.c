// xdp_flowtable_fwd: forwards from XDP the connections netfilter's flowtable holds (what xdp-tools'
// xdp_flowtable does, written here from the kfunc's contract in net/netfilter/nf_flow_table_bpf.c):
// parse Ethernet + IPv4 (no options, not a fragment, TTL above 1) + TCP or UDP ports; ask
// bpf_xdp_flow_lookup whether the 5-tuple arriving on this device is an offloaded flow; on a hit
// (and not a TCP FIN or RST, which the stack must see to tear the flow down) ask bpf_fib_lookup for
// the next hop, decrement the TTL (RFC 1624), write the MACs and bpf_redirect to the output device.
// A miss, or any FIB answer but SUCCESS, goes to the stack (XDP_PASS).
// The flow's tuple (its NAT addresses and ports, its cached output device) is not read: this program
// forwards flows without NAT only, and checks the offload only to let the flowtable's state decide.
// `ft_stats` (ARRAY) counts: 0 forwarded, 1 lookup miss (-opts.error == ENOENT), 2 other lookup error,
// 3 FIB not SUCCESS, 4 TCP FIN/RST, 5 passed before the lookup; `ft_err` (ARRAY, 1) the last opts.error.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <linux/tcp.h>
#include <bpf/bpf_helpers.h>
#include "xdp_flow_lookup.h"
#include <bpf/bpf_endian.h>

#define AF_INET 2
#define ENOENT 2


struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 6);
} ft_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __s32);
	__uint(max_entries, 1);
} ft_err SEC(".maps");

static __always_inline int count(__u32 i, int verdict)
{
	__u64 *v = bpf_map_lookup_elem(&ft_stats, &i);

	if (v)
		__sync_fetch_and_add(v, 1);
	return verdict;
}

static __always_inline void ttl_dec(struct iphdr *ip)
{
	__u32 sum = (__u16)~bpf_ntohs(ip->check);

	sum += (__u16)~(ip->ttl << 8) + (__u16)((ip->ttl - 1) << 8);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	ip->check = bpf_htons((__u16)~sum);
	ip->ttl--;
}

SEC("xdp")
int xdp_flowtable_fwd(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct bpf_flowtable_opts opts = {};
	struct bpf_fib_lookup t;
	struct iphdr *ip;
	__be16 *l4;
	__u32 zero = 0;
	__s32 *e;
	long rc;

	ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return count(5, XDP_PASS);
	if (ip->ihl != 5 || (ip->frag_off & bpf_htons(0x3fff)) || ip->ttl <= 1)
		return count(5, XDP_PASS);
	if (ip->protocol != IPPROTO_TCP && ip->protocol != IPPROTO_UDP)
		return count(5, XDP_PASS);
	l4 = (void *)(ip + 1);
	if ((void *)(l4 + 2) > data_end)
		return count(5, XDP_PASS);

	__builtin_memset(&t, 0, sizeof(t));
	t.family = AF_INET;
	t.l4_protocol = ip->protocol;
	t.sport = l4[0];
	t.dport = l4[1];
	t.ipv4_src = ip->saddr;
	t.ipv4_dst = ip->daddr;
	t.tot_len = bpf_ntohs(ip->tot_len);
	t.ifindex = ctx->ingress_ifindex;

	if (!bpf_xdp_flow_lookup(ctx, &t, &opts, sizeof(opts))) {
		e = bpf_map_lookup_elem(&ft_err, &zero);
		if (e)
			*e = opts.error;
		return count(opts.error == -ENOENT ? 1 : 2, XDP_PASS);
	}
	if (ip->protocol == IPPROTO_TCP) {
		struct tcphdr *th = (void *)l4;

		if ((void *)(th + 1) > data_end)
			return count(5, XDP_PASS);
		if (th->fin || th->rst)
			return count(4, XDP_PASS);
	}

	rc = bpf_fib_lookup(ctx, &t, sizeof(t), 0);
	if (rc != BPF_FIB_LKUP_RET_SUCCESS)
		return count(3, XDP_PASS);
	ttl_dec(ip);
	__builtin_memcpy(eth->h_dest, t.dmac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, t.smac, ETH_ALEN);
	count(0, 0);
	return bpf_redirect(t.ifindex, 0);
}

char _license[] SEC("license") = "GPL";
