// A read past a 4-byte slice. The kernel: insn 12, "invalid access to memory, mem_size=4 off=4 size=1".
#include "xdp_dynptr.h"

SEC("xdp")
int xdp_dynptr_slice_oob(struct xdp_md *ctx)
{
	struct bpf_dynptr d;
	__u8 *s;

	bpf_dynptr_from_xdp(ctx, 0, &d);
	s = bpf_dynptr_slice(&d, 0, 0, 4);
	if (!s)
		return 0;
	return s[4];
}
