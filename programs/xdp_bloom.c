// BPF_MAP_TYPE_BLOOM_FILTER from XDP: bpf_map_push_elem and bpf_map_peek_elem on three filters created
// with BPF_F_ZERO_SEED (hash_seed 0), so that every answer, false positives included, is the kernel's
// to reproduce bit for bit. The answers go over the frame's first 32 bytes (data_out carries them),
// the values pushed come from bytes 32..63; XDP_TX when the frame holds 64 bytes, else XDP_PASS.
//   0  peek of v (u32) before any push: -ENOENT       1  push v: 0
//   2  push v with BPF_EXIST: -EINVAL                 3  peek v: 0
//   4  bloom4 (u32 values, 2 hashes, 64 bits: jhash2) after v + i × 0x01010101, i < 16: which of
//      0..31 peek as present (all false positives)
//   5  bloom6 (6-byte values, map_extra 0: 5 hashes, 64 bits: jhash) after bytes 38..43 with the last
//      one + i, i < 14: which of the 32 values {i, 1, 2, 3, 4, 5} peek as present (false positives)
//   6  bloom8 (u64 values, 3 hashes, 512 bits) after 0, 3, 6, …, 297 (100 values): which of 0..31
//      peek as present (the multiples of 3 and false positives)
//   7  bloom8: which of 1000..1031 peek as present (false positives)
// tests/maps/bloom_filter.test.ts holds the kernel's data_out (6.18) and runs both engines.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_BLOOM_FILTER);
	__type(value, __u32);
	__uint(max_entries, 4);
	__uint(map_extra, 2);
	__uint(map_flags, BPF_F_ZERO_SEED);
} bloom4 SEC(".maps");

struct val6 {
	__u8 b[6];
};

struct {
	__uint(type, BPF_MAP_TYPE_BLOOM_FILTER);
	__type(value, struct val6);
	__uint(max_entries, 3);
	__uint(map_flags, BPF_F_ZERO_SEED);
} bloom6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_BLOOM_FILTER);
	__type(value, __u64);
	__uint(max_entries, 100);
	__uint(map_extra, 3);
	__uint(map_flags, BPF_F_ZERO_SEED);
} bloom8 SEC(".maps");

SEC("xdp")
int xdp_bloom(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u32 *out = data;
	__u8 *in = data;
	struct val6 w;
	__u32 v, i, mask;
	__u64 q;

	if (data + 64 > end)
		return XDP_PASS;
	v = *(__u32 *)(in + 32);
	out[0] = (__u32)bpf_map_peek_elem(&bloom4, &v);
	out[1] = (__u32)bpf_map_push_elem(&bloom4, &v, BPF_ANY);
	out[2] = (__u32)bpf_map_push_elem(&bloom4, &v, BPF_EXIST);
	out[3] = (__u32)bpf_map_peek_elem(&bloom4, &v);
	for (i = 1; i < 16; i++) {
		v = *(__u32 *)(in + 32) + i * 0x01010101;
		bpf_map_push_elem(&bloom4, &v, BPF_ANY);
	}
	mask = 0;
	for (i = 0; i < 32; i++) {
		v = i;
		if (bpf_map_peek_elem(&bloom4, &v) == 0)
			mask |= 1u << i;
	}
	out[4] = mask;

	__builtin_memcpy(w.b, in + 38, 6);
	for (i = 0; i < 14; i++) {
		w.b[5] = in[43] + i;
		bpf_map_push_elem(&bloom6, &w, BPF_ANY);
	}
	mask = 0;
	for (i = 0; i < 32; i++) {
		w.b[0] = i;
		w.b[1] = 1;
		w.b[2] = 2;
		w.b[3] = 3;
		w.b[4] = 4;
		w.b[5] = 5;
		if (bpf_map_peek_elem(&bloom6, &w) == 0)
			mask |= 1u << i;
	}
	out[5] = mask;

	for (i = 0; i < 100; i++) {
		q = i * 3;
		bpf_map_push_elem(&bloom8, &q, BPF_ANY);
	}
	mask = 0;
	for (i = 0; i < 32; i++) {
		q = i;
		if (bpf_map_peek_elem(&bloom8, &q) == 0)
			mask |= 1u << i;
	}
	out[6] = mask;
	mask = 0;
	for (i = 0; i < 32; i++) {
		q = 1000 + i;
		if (bpf_map_peek_elem(&bloom8, &q) == 0)
			mask |= 1u << i;
	}
	out[7] = mask;
	return XDP_TX;
}

char _license[] SEC("license") = "GPL";
