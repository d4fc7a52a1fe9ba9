// Reject: global function reading past the memory its argument type describes.
// A global (non-static) function is verified once, on its own, from its BTF prototype: `__u32 *w`
// is 4 bytes of memory (maybe NULL), whatever callers pass. Reading w[1] is outside those 4 bytes.
// Subprograms: the global function is appended after the entry program and verified separately.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

__noinline int second_word(__u32 *w)
{
	if (!w)
		return 0;
	return w[1];
}

SEC("xdp")
int global_func_arg_past_size(struct xdp_md *ctx)
{
	__u32 words[2] = { ctx->rx_queue_index, 2 };

	return second_word(words) ? XDP_PASS : XDP_DROP;
}

LICENSE;
