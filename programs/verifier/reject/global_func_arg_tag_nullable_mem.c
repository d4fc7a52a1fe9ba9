// Reject: arg:nullable on a plain memory argument of a global function.
// btf_prepare_func_args: a user-memory pointer is nullable already; "arg:nullable" is only for
// arg:trusted pointers, so here it is "arg#0 has invalid combination of tags" (EINVAL), found when
// the call is checked: "Caller passes invalid args into func#1".
// Subprograms: the global function is appended after the entry program and verified separately.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

__noinline int first_word(__u32 *w __arg_nullable)
{
	return w ? *w : 0;
}

SEC("xdp")
int global_func_arg_tag_nullable_mem(struct xdp_md *ctx)
{
	__u32 word = ctx->rx_queue_index;

	return first_word(&word) ? XDP_PASS : XDP_DROP;
}

LICENSE;
