// Reject: combined stack of a call chain above 512 bytes.
// Each frame alone fits, but the caller's 320 bytes and the callee's 320 bytes are live at the
// same time: check_max_stack_depth sums the frames along every call chain.
// Subprograms: libbpf appends fill() after the entry program.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

static __noinline int fill(int seed)
{
	volatile char buf[320];

	buf[seed & 255] = 1;
	return buf[0];
}

SEC("xdp")
int call_combined_stack_too_large(struct xdp_md *ctx)
{
	volatile char buf[320];

	buf[ctx->rx_queue_index & 255] = 2;
	return fill(buf[1]) ? XDP_DROP : XDP_PASS;
}

LICENSE;
