// xdp_mim_bloom: a BPF_MAP_TYPE_BLOOM_FILTER as the inner map of an array_of_maps (bloom_filter_map_ops
// has map_meta_equal = bpf_map_meta_equal, so bpf_map_meta_alloc takes it as a template): a program
// reaches slot 0's filter through the outer map and pushes / peeks the u32 at frame byte 32, with
// BPF_F_ZERO_SEED filters so that the answers are the kernel's bit for bit. The answers go over the
// frame's first 16 bytes: 0 slot 0 filled (1) or empty (0), 1 peek before the push (-ENOENT unless a
// false positive), 2 the push (0), 3 peek after (0). XDP_TX when the frame holds 64 bytes, else XDP_PASS.
// tests/maps/mim_bloom.test.ts compares it with the kernel (6.18).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct inner {
	__uint(type, BPF_MAP_TYPE_BLOOM_FILTER);
	__type(value, __u32);
	__uint(max_entries, 16);
	__uint(map_extra, 3);
	__uint(map_flags, BPF_F_ZERO_SEED);
} filter0 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 2);
	__type(key, __u32);
	__array(values, struct inner);
} filters SEC(".maps") = { .values = { &filter0 } };

SEC("xdp")
int xdp_mim_bloom(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u32 *out = data;
	__u32 slot = 0, v;
	void *f;

	if (data + 64 > end)
		return XDP_PASS;
	v = *(__u32 *)(data + 32);
	f = bpf_map_lookup_elem(&filters, &slot);
	out[0] = f != 0;
	if (!f)
		return XDP_TX;
	out[1] = (__u32)bpf_map_peek_elem(f, &v);
	out[2] = (__u32)bpf_map_push_elem(f, &v, BPF_ANY);
	out[3] = (__u32)bpf_map_peek_elem(f, &v);
	return XDP_TX;
}

char _license[] SEC("license") = "GPL";
