// bpf_csum_diff's three shapes over spans of a frame copied into a map value: both spans, `from` alone
// (the seed complemented in and the sum complemented out), `to` alone, at sizes 0..511 and offsets
// 0..63 the frame's first bytes choose (byte 6 zeroes a size or sets the seed to 0 or all ones). The
// kernel's ones' complement sums have two zeros and which one comes out is part of the answer: spans
// of zeros or of 0xff bytes show it. Then four calls with constant sizes (which wxdp's JIT sums inline):
// `from` alone 4 bytes, `to` alone 8, both 20, neither. The seven answers (s64) go over the frame's
// first 56 bytes.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u8[1024]);
} scratch SEC(".maps");

SEC("xdp")
int xdp_csum_sums(struct xdp_md *ctx)
{
	__u32 zero = 0;
	__u8 *b = bpf_map_lookup_elem(&scratch, &zero);
	__u32 fs, ts, fo, to, seed;
	__s64 r[7];
	void *data, *end;

	if (!b)
		return XDP_ABORTED;
	if (bpf_xdp_load_bytes(ctx, 0, b, 400))
		return XDP_DROP;
	fs = b[0] | (b[1] & 1) << 8;
	ts = b[2] | (b[3] & 1) << 8;
	fo = b[4] & 63;
	to = b[5] & 63;
	seed = *(__u32 *)(b + 8);
	if (b[6] & 1)
		fs = 0;
	if (b[6] & 2)
		ts = 0;
	if (b[6] & 4)
		seed = 0;
	if (b[6] & 8)
		seed = 0xffffffff;
	r[0] = bpf_csum_diff((void *)(b + 16 + fo), fs, (void *)(b + 16 + to), ts, seed);
	r[1] = bpf_csum_diff((void *)(b + 16 + fo), fs, 0, 0, seed);
	r[2] = bpf_csum_diff(0, 0, (void *)(b + 16 + to), ts, seed);
	r[3] = bpf_csum_diff((void *)(b + 16), 4, 0, 0, seed);
	r[4] = bpf_csum_diff(0, 0, (void *)(b + 16), 8, seed);
	r[5] = bpf_csum_diff((void *)(b + 16), 20, (void *)(b + 40), 20, seed);
	r[6] = bpf_csum_diff(0, 0, 0, 0, seed);
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	if (data + sizeof(r) > end)
		return XDP_ABORTED;
	__builtin_memcpy(data, r, sizeof(r));
	return XDP_TX;
}

char _license[] SEC("license") = "GPL";
