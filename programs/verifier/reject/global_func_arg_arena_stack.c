// Reject: a stack pointer passed to a global function's arg:arena argument.
// btf_check_func_arg_match: an ARG_PTR_TO_ARENA argument takes an arena pointer or a scalar (the
// function sees an unknown scalar either way); anything else is "a bug in the bpf program":
// "R1 is not a pointer to arena or scalar." (EINVAL), then "Caller passes invalid args into func#1".
// Subprograms: the global function is appended after the entry program and verified separately.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

__noinline int low_bit(void *p __arg_arena)
{
	return (long)p & 1;
}

SEC("xdp")
int global_func_arg_arena_stack(struct xdp_md *ctx)
{
	__u32 word = ctx->rx_queue_index;

	return low_bit(&word) ? XDP_PASS : XDP_DROP;
}

LICENSE;
