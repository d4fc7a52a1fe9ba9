// xdp_dynptr: every dynptr call an XDP program has, on the frame, each answer folded into the return
// value: bpf_dynptr_from_xdp; bpf_dynptr_read of bytes 0..3; bpf_dynptr_write of them (the first
// inverted) at offset 1; bpf_dynptr_data (NULL for an XDP dynptr: the kernel's helper answers 0 for
// skb/xdp dynptrs); bpf_dynptr_slice at 8 (a read-only pointer into the linear frame), 0x42 written
// there by bpf_dynptr_write and read back through the slice; bpf_dynptr_read past the end (offset
// 62 + 4 of a 64-byte frame: -E2BIG). The write at 8 was once made through bpf_dynptr_slice_rdwr, which
// 6.18.44-fc-v1252 refuses in every program (xdp_dynptr_slice_rdwr.c).
// The kernel (6.18, bpftool prog run, frame bytes 0..63): return 607 (600 - -E2BIG), frame out
// 00 ff 01 02 03 05 06 07 42 09 0a … 3f. (tests/programs/dynptr.test.ts).
#include "xdp_dynptr.h"

SEC("xdp")
int xdp_dynptr(struct xdp_md *ctx)
{
	struct bpf_dynptr d;
	__u8 buf[4] = {};
	__u8 *s;
	long r;

	if (bpf_dynptr_from_xdp(ctx, 0, &d))
		return 100;
	r = bpf_dynptr_read(buf, 4, &d, 0, 0);
	if (r)
		return 200 - r;
	buf[0] ^= 0xff;
	r = bpf_dynptr_write(&d, 1, buf, 4, 0);
	if (r)
		return 300 - r;
	if (bpf_dynptr_data(&d, 0, 4))
		return 400;
	s = bpf_dynptr_slice(&d, 8, 0, 4);
	if (!s)
		return 500;
	buf[0] = 0x42;
	r = bpf_dynptr_write(&d, 8, buf, 1, 0);
	if (r)
		return 500 - r;
	if (s[0] != 0x42)
		return 550;
	r = bpf_dynptr_read(buf, 4, &d, 62, 0);
	return 600 - r;
}
