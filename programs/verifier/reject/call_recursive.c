// Reject: recursive bpf-to-bpf call.
// The walk of the program itself succeeds (n & 3 bounds the recursion to 4 levels), but then
// check_max_stack_depth follows the call graph statically to add up the frames: a call cycle never
// ends, and the walk of the graph is cut at 8 frames. The message names no instruction.
// Subprograms: libbpf appends depth() after the entry program.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

static __noinline int depth(int n)
{
	int r;

	if (n <= 0)
		return 0;
	r = depth(n - 1);
	asm volatile("" : "+r"(r));
	return r + 1;
}

SEC("xdp")
int call_recursive(struct xdp_md *ctx)
{
	return depth(ctx->rx_queue_index & 3) ? XDP_DROP : XDP_PASS;
}

LICENSE;
