// xdp_rx_hash: what bpf_xdp_metadata_rx_hash answers for each frame, and on which CPU the frame ran. A
// frame is IPv4 or IPv6 (untagged) followed by TCP or UDP; the byte at offset 4 of its L4 header (the
// TCP sequence number's first byte) numbers it (0..15), and `seen[n]` gets the kfunc's return, the hash,
// the RSS type and bpf_get_smp_processor_id(). Every frame is dropped; others pass.
//   kfuncs: bpf_xdp_metadata_rx_hash (__ksym; the program must be loaded device-bound)
//   maps: seen (ARRAY, 16 × struct seen)
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

enum xdp_rss_hash_type { XDP_RSS_TYPE_NONE = 0 };

extern int bpf_xdp_metadata_rx_hash(const struct xdp_md *ctx, __u32 *hash, enum xdp_rss_hash_type *rss_type) __ksym;

struct seen {
	__s32 ret;
	__u32 hash;
	__u32 rss_type;
	__u32 cpu;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, struct seen);
} seen SEC(".maps");

SEC("xdp")
int xdp_rx_hash(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u8 *l4;
	__u32 n;
	struct seen *s;
	__u32 hash = 0;
	enum xdp_rss_hash_type type = 0;

	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;
	if (eth->h_proto == bpf_htons(ETH_P_IP))
		l4 = (__u8 *)(eth + 1) + 20;
	else if (eth->h_proto == bpf_htons(ETH_P_IPV6))
		l4 = (__u8 *)(eth + 1) + 40;
	else
		return XDP_PASS;
	if ((void *)(l4 + 5) > data_end)
		return XDP_PASS;
	n = l4[4];
	s = bpf_map_lookup_elem(&seen, &n);
	if (!s)
		return XDP_PASS;
	s->ret = bpf_xdp_metadata_rx_hash(ctx, &hash, &type);
	s->hash = hash;
	s->rss_type = type;
	s->cpu = bpf_get_smp_processor_id();
	return XDP_DROP;
}

char _license[] SEC("license") = "GPL";
