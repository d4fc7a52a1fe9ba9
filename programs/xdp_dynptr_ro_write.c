// A write through a read-only slice (bpf_dynptr_slice, not _rdwr). The kernel: insn 12,
// "R0 cannot write into rdonly_mem".
#include "xdp_dynptr.h"

SEC("xdp")
int xdp_dynptr_ro_write(struct xdp_md *ctx)
{
	struct bpf_dynptr d;
	__u8 *s;

	bpf_dynptr_from_xdp(ctx, 0, &d);
	s = bpf_dynptr_slice(&d, 0, 0, 4);
	if (!s)
		return 0;
	s[0] = 1;
	return 0;
}
