// Accept: a call chain of exactly 8 frames, the kernel's maximum (MAX_CALL_FRAMES).
// The entry program calls f1, ..., f6 calls f7: 8 frames (compare reject/call_stack_too_deep.c).
// Subprograms: libbpf appends f1..f7 after the entry program.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

static __noinline int f7(int x)
{
	asm volatile("" : "+r"(x));
	return x;
}
CALL_LEVEL(f6, f7)
CALL_LEVEL(f5, f6)
CALL_LEVEL(f4, f5)
CALL_LEVEL(f3, f4)
CALL_LEVEL(f2, f3)
CALL_LEVEL(f1, f2)

SEC("xdp")
int call_chain_eight_frames(struct xdp_md *ctx)
{
	return f1(ctx->rx_queue_index) == 7 ? XDP_DROP : XDP_PASS;
}

LICENSE;
