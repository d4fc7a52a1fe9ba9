// xdp_map_in_map: a load balancer's state kept in maps of maps, in the shape katran uses them. The
// per-CPU connection table is an ARRAY_OF_MAPS indexed by bpf_get_smp_processor_id() whose slot holds
// an LRU_HASH (slot 0 filled by libbpf from `.values`; slot 1 left empty, so a CPU without a table
// falls back to a shared one, as katran's fallback cache). Backends live in a HASH_OF_MAPS keyed by IP
// protocol (6 → tcp_backends, 17 → udp_backends, both ARRAYs of the same template); other protocols
// find no inner map and pass. For an IPv4 TCP/UDP frame: the flow (addresses, ports) is looked up in
// the CPU's LRU; a new flow gets backend jhash-free (saddr ^ ports) % 4 and is inserted with
// BPF_NOEXIST; the backend's packet counter (an inner array value) is bumped; `mim_stats` counts
// frames, new flows, hits, missing tables and non-L4 frames. Every frame is passed unchanged.
// Maps: ARRAY_OF_MAPS (inner LRU_HASH), HASH_OF_MAPS (inner ARRAY), LRU_HASH, ARRAY ×3.
// Helpers: bpf_map_lookup_elem (outer and inner), bpf_map_update_elem (inner), bpf_get_smp_processor_id.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define NBACKENDS 4

enum { ST_FRAMES, ST_NEW, ST_HIT, ST_NO_TABLE, ST_OTHER, ST_MAX };

struct flow {
	__u32 saddr;
	__u32 daddr;
	__u16 sport;
	__u16 dport;
	__u8 proto;
	__u8 pad[3];
};

struct conn {
	__u32 backend;
	__u32 packets;
};

struct backend {
	__u64 packets;
	__u64 bytes;
};

struct conn_table {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, struct flow);
	__type(value, struct conn);
	__uint(max_entries, 64);
};

struct conn_table lru_cpu0 SEC(".maps");
struct conn_table fallback_lru SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__type(key, __u32);
	__uint(max_entries, 2);
	__array(values, struct conn_table);
} lru_mapping SEC(".maps") = {
	.values = { [0] = &lru_cpu0 },
};

struct backend_table {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct backend);
	__uint(max_entries, NBACKENDS);
};

struct backend_table tcp_backends SEC(".maps");
struct backend_table udp_backends SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__type(key, __u32);
	__uint(max_entries, 32);
	__array(values, struct backend_table);
} backends_by_proto SEC(".maps") = {
	.values = { [IPPROTO_TCP] = &tcp_backends, [IPPROTO_UDP] = &udp_backends },
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, ST_MAX);
} mim_stats SEC(".maps");

static __always_inline void count(__u32 what)
{
	__u64 *v = bpf_map_lookup_elem(&mim_stats, &what);

	if (v)
		__sync_fetch_and_add(v, 1);
}

SEC("xdp")
int xdp_map_in_map(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip;
	struct flow f = {};
	__u16 *ports;
	__u32 cpu, proto, idx;
	void *table, *backends;
	struct conn *c;
	struct backend *b;

	count(ST_FRAMES);
	if ((void *)(eth + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		goto other;
	ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end || ip->ihl != 5 || (ip->frag_off & bpf_htons(0x3fff)))
		goto other;
	ports = (void *)(ip + 1);
	if ((void *)(ports + 2) > data_end)
		goto other;
	proto = ip->protocol;
	backends = bpf_map_lookup_elem(&backends_by_proto, &proto);
	if (!backends)
		goto other;

	f.saddr = ip->saddr;
	f.daddr = ip->daddr;
	f.sport = ports[0];
	f.dport = ports[1];
	f.proto = ip->protocol;

	cpu = bpf_get_smp_processor_id();
	table = bpf_map_lookup_elem(&lru_mapping, &cpu);
	if (!table) {
		count(ST_NO_TABLE);
		table = &fallback_lru;
	}
	c = bpf_map_lookup_elem(table, &f);
	if (c) {
		count(ST_HIT);
		c->packets++;
		idx = c->backend;
	} else {
		struct conn n = {};

		n.backend = (bpf_ntohl(f.saddr) ^ f.sport ^ f.dport) % NBACKENDS;
		n.packets = 1;
		bpf_map_update_elem(table, &f, &n, BPF_NOEXIST);
		count(ST_NEW);
		idx = n.backend;
	}
	b = bpf_map_lookup_elem(backends, &idx);
	if (b) {
		b->packets++;
		b->bytes += data_end - data;
	}
	return XDP_PASS;
other:
	count(ST_OTHER);
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
