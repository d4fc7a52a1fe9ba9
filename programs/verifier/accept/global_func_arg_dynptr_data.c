// Accept: a weak global function reading its dynptr argument through bpf_dynptr_data and bpf_dynptr_slice.
// The kernel selftests' arg_tag_dynptr (verifier_global_subprogs.c): the argument is
// CONST_PTR_TO_DYNPTR, a LOCAL dynptr as far as the function knows (do_check_common), so
// bpf_dynptr_data gives mem_or_null of the asked size, tied to the dynptr, and bpf_dynptr_slice
// mem_or_null of the buffer's size; the caller passes an XDP dynptr on its stack.
// Subprograms: the global function is appended after the entry program and verified separately.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

extern int bpf_dynptr_from_xdp(struct xdp_md *x, __u64 flags, struct bpf_dynptr *ptr__uninit) __ksym;
extern void *bpf_dynptr_slice(const struct bpf_dynptr *p, __u32 offset, void *buffer__opt, __u32 buffer__szk) __ksym;

__weak int subprog_dynptr(struct bpf_dynptr *dptr)
{
	long *d, t, buf[1] = {};

	d = bpf_dynptr_data(dptr, 0, sizeof(long));
	if (!d)
		return 0;

	t = *d + 1;

	d = bpf_dynptr_slice(dptr, 0, &buf, sizeof(long));
	if (!d)
		return t;

	t = *d + 2;

	return t;
}

SEC("xdp")
int global_func_arg_dynptr_data(struct xdp_md *ctx)
{
	struct bpf_dynptr dptr;

	bpf_dynptr_from_xdp(ctx, 0, &dptr);

	return subprog_dynptr(&dptr);
}

LICENSE;
