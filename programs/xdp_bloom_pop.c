// Refused as the kernel refuses it: bpf_map_pop_elem on a bloom filter (the helper takes bloom filters, the map side refuses pop) (tests/maps/bloom_filter.test.ts).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_BLOOM_FILTER);
	__type(value, __u32);
	__uint(max_entries, 16);
} bloom SEC(".maps");

SEC("xdp")
int xdp_bloom_pop(struct xdp_md *ctx)
{
	__u32 v = ctx->rx_queue_index;

	return bpf_map_pop_elem(&bloom, &v) ? XDP_DROP : XDP_PASS;
}

char _license[] SEC("license") = "GPL";
