// A dynptr used before bpf_dynptr_from_xdp initialised it. The kernel: insn 7,
// "Expected an initialized dynptr as arg #2".
#include "xdp_dynptr.h"

SEC("xdp")
int xdp_dynptr_uninit(struct xdp_md *ctx)
{
	struct bpf_dynptr d;
	__u8 buf[4];

	return bpf_dynptr_read(buf, 4, &d, 0, 0);
}
