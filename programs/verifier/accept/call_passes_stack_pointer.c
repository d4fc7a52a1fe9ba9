// Accept: a static subprogram writing into its caller's stack.
// A pointer into the caller's frame keeps its frame number, so the callee's stores land in (and
// initialise) the caller's slots, which the caller then reads.
// Subprograms: libbpf appends fill_pair() after the entry program.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

static __noinline void fill_pair(__u32 *out, __u32 a)
{
	out[0] = a;
	out[1] = a * 3;
}

SEC("xdp")
int call_passes_stack_pointer(struct xdp_md *ctx)
{
	__u32 pair[2];

	fill_pair(pair, ctx->rx_queue_index);
	return (pair[0] + pair[1]) & 1 ? XDP_DROP : XDP_PASS;
}

LICENSE;
