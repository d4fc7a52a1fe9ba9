// Reject: a packet pointer passed as bpf_dynptr_from_xdp's ctx.
// A kfunc's argument of the program's ctx type is KF_ARG_PTR_TO_CTX: only the ctx itself, refused in the kfunc's words, not a helper's (EINVAL).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

extern int bpf_dynptr_from_xdp(struct xdp_md *x, __u64 flags, struct bpf_dynptr *ptr__uninit) __ksym;

SEC("xdp")
int kfunc_ctx_arg_pkt(struct xdp_md *ctx)
{
	struct bpf_dynptr d;

	return bpf_dynptr_from_xdp((void *)(long)ctx->data, 0, &d);
}

LICENSE;
