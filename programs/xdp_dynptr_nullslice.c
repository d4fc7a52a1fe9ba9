// A slice read without its NULL check. The kernel: insn 10, "R0 invalid mem access 'rdonly_mem_or_null'".
#include "xdp_dynptr.h"

SEC("xdp")
int xdp_dynptr_nullslice(struct xdp_md *ctx)
{
	struct bpf_dynptr d;
	__u8 *s;

	bpf_dynptr_from_xdp(ctx, 0, &d);
	s = bpf_dynptr_slice(&d, 0, 0, 4);
	return s[0];
}
