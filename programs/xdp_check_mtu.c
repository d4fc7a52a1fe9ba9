// bpf_check_mtu's answers in XDP, written over the frame's first 80 bytes (10 cases × {s32 return,
// u32 mtu_len after}) so that data_out carries them; XDP_TX when the frame holds 80 bytes, else
// XDP_PASS untouched. A test run arrives on loopback (MTU 65536, hard_header_len 14): the device
// takes mtu + 14 bytes of frame, or *mtu_len + 14 when mtu_len is given, and len_diff is added first.
//   0  ifindex 0 (the ingress device), nothing given          1  len_diff so the frame is 65550 bytes
//   2  one byte more (FRAG_NEEDED)                              3  mtu_len 1500 given
//   4  mtu_len 65537 given (FRAG_NEEDED, 1)                     5  mtu_len 0xffffffff (+ 14 wraps to 13)
//   6  len_diff -100000                                        7  flags 1 (-EINVAL, mtu_len untouched)
//   8  ifindex 12345 (-ENODEV, mtu_len untouched)               9  ifindex 1 named
// tests/programs/check_mtu.test.ts holds the kernel's data_out (6.18) and runs both engines.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

static __always_inline void check(struct xdp_md *ctx, __u32 *out, __u32 ifindex, __u32 mtu_len, __s32 diff, __u64 flags)
{
	__u32 m = mtu_len;
	long r = bpf_check_mtu(ctx, ifindex, &m, diff, flags);

	out[0] = (__u32)r;
	out[1] = m;
}

SEC("xdp")
int xdp_mtu_answers(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u32 *out = data;
	__s32 len = (__s32)(end - data);

	if (data + 80 > end)
		return XDP_PASS;
	check(ctx, out + 0, 0, 0, 0, 0);
	check(ctx, out + 2, 0, 0, 65550 - len, 0);
	check(ctx, out + 4, 0, 0, 65551 - len, 0);
	check(ctx, out + 6, 0, 1500, 0, 0);
	check(ctx, out + 8, 0, 65537, 0, 0);
	check(ctx, out + 10, 0, 0xffffffff, 0, 0);
	check(ctx, out + 12, 0, 0, -100000, 0);
	check(ctx, out + 14, 0, 7, 0, 1);
	check(ctx, out + 16, 12345, 7, 0, 0);
	check(ctx, out + 18, 1, 0, 0, 0);
	return XDP_TX;
}

char _license[] SEC("license") = "GPL";
