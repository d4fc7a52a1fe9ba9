// Reject: global function dereferencing its pointer argument without a null check.
// For a global function the verifier cannot see the callers, so a pointer argument is
// mem_or_null: the function must check it before reading.
// Subprograms: the global function is appended after the entry program and verified separately.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

__noinline int first_word(__u32 *w)
{
	return *w;
}

SEC("xdp")
int global_func_arg_no_null_check(struct xdp_md *ctx)
{
	__u32 word = ctx->rx_queue_index;

	return first_word(&word) ? XDP_PASS : XDP_DROP;
}

LICENSE;
