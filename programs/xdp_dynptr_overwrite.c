// A dynptr's stack slot overwritten, then used: the write destroyed it. The kernel: insn 13,
// "Expected an initialized dynptr as arg #2".
#include "xdp_dynptr.h"

SEC("xdp")
int xdp_dynptr_overwrite(struct xdp_md *ctx)
{
	struct bpf_dynptr d;
	__u8 buf[4];

	bpf_dynptr_from_xdp(ctx, 0, &d);
	*(volatile __u64 *)&d = 0;
	return bpf_dynptr_read(buf, 4, &d, 0, 0);
}
