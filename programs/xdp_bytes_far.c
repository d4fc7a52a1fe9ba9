// bpf_xdp_load_bytes / bpf_xdp_store_bytes past 0xffff: bpf_xdp_pointer refuses an offset or a length
// over 0xffff with -EFAULT before it compares the span with the frame (-EINVAL), also on a frame whose
// fragments reach past 64 KiB. The six answers go over the frame's first 48 bytes (s64 each):
//   0 load at 0x10000, 1 byte     1 store at 0x10000, 1 byte     2 load at 0xffff, 1 byte
//   3 load 0x10001 bytes at 0     4 store 0x10001 bytes at 0     5 load 8 bytes at 0x10000 - 8
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define BIG 0x10001

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__uint(value_size, BIG);
} big SEC(".maps");

SEC("xdp.frags")
int xdp_bytes_far(struct xdp_md *ctx)
{
	__u32 zero = 0;
	__u8 *buf = bpf_map_lookup_elem(&big, &zero);
	__s64 r[6];
	void *data, *end;

	if (!buf)
		return XDP_ABORTED;
	r[0] = bpf_xdp_load_bytes(ctx, 0x10000, buf, 1);
	r[1] = bpf_xdp_store_bytes(ctx, 0x10000, buf, 1);
	r[2] = bpf_xdp_load_bytes(ctx, 0xffff, buf, 1);
	r[3] = bpf_xdp_load_bytes(ctx, 0, buf, BIG);
	r[4] = bpf_xdp_store_bytes(ctx, 0, buf, BIG);
	r[5] = bpf_xdp_load_bytes(ctx, 0x10000 - 8, buf, 8);
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	if (data + sizeof(r) > end)
		return XDP_DROP;
	__builtin_memcpy(data, r, sizeof(r));
	return XDP_TX;
}

char _license[] SEC("license") = "GPL";
