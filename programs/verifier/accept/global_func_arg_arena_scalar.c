// Accept: a number passed to a global function's arg:arena argument.
// btf_check_func_arg_match: an ARG_PTR_TO_ARENA argument takes an arena pointer or a scalar, and
// do_check_common gives the function an unknown scalar (mark_reg_unknown) for it.
// Subprograms: the global function is appended after the entry program and verified separately.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

__noinline int low_bit(void *p __arg_arena)
{
	return (long)p & 1;
}

SEC("xdp")
int global_func_arg_arena_scalar(struct xdp_md *ctx)
{
	return low_bit((void *)(long)ctx->rx_queue_index) ? XDP_PASS : XDP_DROP;
}

LICENSE;
