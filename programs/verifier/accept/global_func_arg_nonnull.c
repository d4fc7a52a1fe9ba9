// Accept: global function dereferencing a pointer argument tagged arg:nonnull without a null check.
// btf_prepare_func_args: "arg:nonnull" (__arg_nonnull) drops PTR_MAYBE_NULL from the argument, so
// the function sees mem (not mem_or_null) of the pointee's size; the caller's check is the
// memory's (check_mem_reg). Compare reject/global_func_arg_no_null_check.c, the same without the tag.
// Subprograms: the global function is appended after the entry program and verified separately.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

__noinline int first_word(__u32 *w __arg_nonnull)
{
	return *w;
}

SEC("xdp")
int global_func_arg_nonnull(struct xdp_md *ctx)
{
	__u32 word = ctx->rx_queue_index;

	return first_word(&word) ? XDP_PASS : XDP_DROP;
}

LICENSE;
