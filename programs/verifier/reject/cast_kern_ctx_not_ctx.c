// Reject: bpf_cast_to_kern_ctx of a stack pointer.
// Its argument is KF_ARG_PTR_TO_CTX: only the ctx itself (EINVAL).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "kfunc_cast.h"

SEC("xdp")
int cast_kern_ctx_not_ctx(struct xdp_md *ctx)
{
	__u64 a = 0;
	struct xdp_buff *x = bpf_cast_to_kern_ctx(&a);

	return x->frame_sz;
}

LICENSE;
