// Reject: arg:nonnull on a global function's `struct bpf_dynptr *` argument.
// btf_prepare_func_args: a dynptr argument takes no tag: "arg#0 has invalid combination of tags"
// (EINVAL), at the call: "Caller passes invalid args into func#1".
// Subprograms: the global function is appended after the entry program and verified separately.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

extern int bpf_dynptr_from_xdp(struct xdp_md *x, __u64 flags, struct bpf_dynptr *ptr__uninit) __ksym;
extern __u32 bpf_dynptr_size(const struct bpf_dynptr *p) __ksym;

__noinline int size_of(const struct bpf_dynptr *p __arg_nonnull)
{
	return bpf_dynptr_size(p);
}

SEC("xdp")
int global_func_arg_dynptr_tagged(struct xdp_md *ctx)
{
	struct bpf_dynptr frame;

	if (bpf_dynptr_from_xdp(ctx, 0, &frame))
		return XDP_DROP;
	return size_of(&frame) ? XDP_PASS : XDP_DROP;
}

LICENSE;
