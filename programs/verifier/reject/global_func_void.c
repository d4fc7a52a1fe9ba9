// Reject: a call to a global function that returns void.
// btf_prepare_func_args: a global function must return an int or an enum, "Global function
// bump() doesn't return scalar. Only those are supported." (EINVAL), at the call:
// "Caller passes invalid args into func#1".
// Subprograms: the global function is appended after the entry program and verified separately.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

__noinline void bump(__u32 *w)
{
	if (w)
		*w += 1;
}

SEC("xdp")
int global_func_void(struct xdp_md *ctx)
{
	__u32 word = ctx->rx_queue_index;

	bump(&word);
	return word ? XDP_PASS : XDP_DROP;
}

LICENSE;
