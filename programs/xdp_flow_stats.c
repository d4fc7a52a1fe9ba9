// xdp_flow_stats: per-flow accounting keyed by the 5-tuple (IPv4 or IPv6, TCP/UDP ports, other
// protocols with ports 0), in three maps that differ in how they behave when they fill up:
//   flows      BPF_MAP_TYPE_HASH (1024): lookup, then atomic adds, or insert with BPF_NOEXIST;
//              a TCP RST or FIN deletes the flow (bpf_map_delete_elem).
//   lru_flows  BPF_MAP_TYPE_LRU_HASH (8 entries, deliberately small: a long run evicts the least
//              recently used flows): read-modify-write with BPF_ANY.
//   proto_bytes BPF_MAP_TYPE_PERCPU_HASH keyed by the L4 protocol number: bytes per protocol.
// The key is zeroed as a whole first, so padding never leaks into hashing. Untagged frames only;
// non-IP and truncated frames are not counted. Always XDP_PASS.
// Helpers: bpf_map_lookup_elem, bpf_map_update_elem, bpf_map_delete_elem.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <linux/tcp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct flow_key {
	__u32 saddr[4]; /* IPv4: saddr[0], the rest zero */
	__u32 daddr[4];
	__u16 sport;    /* network byte order, as in the packet */
	__u16 dport;
	__u8 proto;
	__u8 family;    /* 4 or 6 */
	__u16 pad;
};

struct flow_stats {
	__u64 packets;
	__u64 bytes;
	__u32 first_len;  /* length of the frame that created the flow */
	__u8 tcp_flags;   /* OR of every TCP flags byte seen */
	__u8 pad[3];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct flow_key);
	__type(value, struct flow_stats);
	__uint(max_entries, 1024);
} flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, struct flow_key);
	__type(value, struct flow_stats);
	__uint(max_entries, 8);
} lru_flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 32);
} proto_bytes SEC(".maps");

SEC("xdp")
int xdp_flow_stats(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 len = data_end - data;
	struct ethhdr *eth = data;
	struct flow_key key;
	struct flow_stats *st, fresh;
	void *l4;
	__u8 tcp_flags = 0;
	int ports = 1;
	__u32 proto;
	__u64 *pb;

	__builtin_memset(&key, 0, sizeof(key));
	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;

	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *iph = (void *)(eth + 1);

		if ((void *)(iph + 1) > data_end || iph->ihl < 5)
			return XDP_PASS;
		key.family = 4;
		key.proto = iph->protocol;
		key.saddr[0] = iph->saddr;
		key.daddr[0] = iph->daddr;
		l4 = (void *)iph + iph->ihl * 4;
		if (iph->frag_off & bpf_htons(0x1fff))
			ports = 0; /* a later fragment: no L4 header */
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6h = (void *)(eth + 1);

		if ((void *)(ip6h + 1) > data_end)
			return XDP_PASS;
		key.family = 6;
		key.proto = ip6h->nexthdr;
		__builtin_memcpy(key.saddr, &ip6h->saddr, 16);
		__builtin_memcpy(key.daddr, &ip6h->daddr, 16);
		l4 = ip6h + 1;
	} else {
		return XDP_PASS;
	}

	if (!ports) {
		/* keep sport = dport = 0 */
	} else if (key.proto == IPPROTO_TCP) {
		struct tcphdr *th = l4;

		if ((void *)(th + 1) <= data_end) {
			key.sport = th->source;
			key.dport = th->dest;
			tcp_flags = ((__u8 *)th)[13];
		}
	} else if (key.proto == IPPROTO_UDP) {
		struct udphdr *uh = l4;

		if ((void *)(uh + 1) <= data_end) {
			key.sport = uh->source;
			key.dport = uh->dest;
		}
	}

	/* HASH: atomic adds on a hit, insert on a miss. */
	st = bpf_map_lookup_elem(&flows, &key);
	if (st) {
		__sync_fetch_and_add(&st->packets, 1);
		__sync_fetch_and_add(&st->bytes, len);
		st->tcp_flags |= tcp_flags;
	} else {
		__builtin_memset(&fresh, 0, sizeof(fresh));
		fresh.packets = 1;
		fresh.bytes = len;
		fresh.first_len = len;
		fresh.tcp_flags = tcp_flags;
		bpf_map_update_elem(&flows, &key, &fresh, BPF_NOEXIST);
	}
	if (tcp_flags & (0x01 | 0x04)) /* FIN or RST: the connection is over */
		bpf_map_delete_elem(&flows, &key);

	/* LRU_HASH: copy, modify, write back. */
	st = bpf_map_lookup_elem(&lru_flows, &key);
	if (st) {
		fresh = *st;
	} else {
		__builtin_memset(&fresh, 0, sizeof(fresh));
		fresh.first_len = len;
	}
	fresh.packets++;
	fresh.bytes += len;
	fresh.tcp_flags |= tcp_flags;
	bpf_map_update_elem(&lru_flows, &key, &fresh, BPF_ANY);

	/* PERCPU_HASH: this CPU's slot. */
	proto = key.proto;
	pb = bpf_map_lookup_elem(&proto_bytes, &proto);
	if (pb) {
		*pb += len;
	} else {
		__u64 init = len;

		bpf_map_update_elem(&proto_bytes, &proto, &init, BPF_NOEXIST);
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
