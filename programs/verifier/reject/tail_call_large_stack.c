// Reject: tail call from a subprogram while the frames above it use more than 256 bytes.
// Mixing tail calls with bpf-to-bpf calls is allowed (x86 JIT), but a tail call replaces only the
// current frame: the callers' stacks stay, so the kernel caps them at 256 bytes.
// Subprograms: libbpf appends dispatch() after the entry program.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

PROG_ARRAY_MAP(jump_table, 4);

static __noinline int dispatch(struct xdp_md *ctx)
{
	bpf_tail_call(ctx, &jump_table, 0);
	return XDP_PASS;
}

SEC("xdp")
int tail_call_large_stack(struct xdp_md *ctx)
{
	volatile char buf[320];

	buf[ctx->rx_queue_index & 255] = 1;
	return dispatch(ctx) + buf[0];
}

LICENSE;
