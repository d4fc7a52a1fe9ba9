// Reject: more than 8 nested frames.
// The verifier keeps at most MAX_CALL_FRAMES (8) frames: the entry program calling f1, f1 calling
// f2, ..., f8 is 9 frames.
// Subprograms: libbpf appends f1..f8 after the entry program.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

static __noinline int f8(int x)
{
	asm volatile("" : "+r"(x));
	return x;
}
CALL_LEVEL(f7, f8)
CALL_LEVEL(f6, f7)
CALL_LEVEL(f5, f6)
CALL_LEVEL(f4, f5)
CALL_LEVEL(f3, f4)
CALL_LEVEL(f2, f3)
CALL_LEVEL(f1, f2)

SEC("xdp")
int call_stack_too_deep(struct xdp_md *ctx)
{
	return f1(ctx->rx_queue_index) == 8 ? XDP_DROP : XDP_PASS;
}

LICENSE;
