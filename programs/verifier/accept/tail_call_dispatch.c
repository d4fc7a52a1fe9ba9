// Accept: bpf_tail_call() through a PROG_ARRAY.
// The ctx is passed unchanged, the index is any scalar (an empty slot or an out-of-range index
// just falls through), and the stack is small.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

PROG_ARRAY_MAP(jump_table, 4);

SEC("xdp")
int tail_call_dispatch(struct xdp_md *ctx)
{
	bpf_tail_call(ctx, &jump_table, ctx->rx_queue_index);
	return XDP_PASS;
}

LICENSE;
