// Reject: a global function making a new dynptr in the dynptr its caller passed.
// do_check_common: a `struct bpf_dynptr *` argument is CONST_PTR_TO_DYNPTR, an initialised dynptr the
// function may only read; bpf_dynptr_from_mem's MEM_UNINIT argument needs stack slots without a
// dynptr (is_dynptr_reg_valid_uninit is false for it): "Dynptr has to be an uninitialized dynptr".
// Subprograms: the global function is appended after the entry program and verified separately.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

extern int bpf_dynptr_from_xdp(struct xdp_md *x, __u64 flags, struct bpf_dynptr *ptr__uninit) __ksym;

ARRAY_MAP(words, __u32, 1);

__noinline int reinit(struct bpf_dynptr *p)
{
	__u32 key = 0;
	__u32 *w = bpf_map_lookup_elem(&words, &key);

	if (!w)
		return 0;
	return bpf_dynptr_from_mem(w, sizeof(*w), 0, p);
}

SEC("xdp")
int global_func_arg_dynptr_reinit(struct xdp_md *ctx)
{
	struct bpf_dynptr frame;

	if (bpf_dynptr_from_xdp(ctx, 0, &frame))
		return XDP_DROP;
	return reinit(&frame) ? XDP_PASS : XDP_DROP;
}

LICENSE;
