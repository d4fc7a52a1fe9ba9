// Accept: bpf_ringbuf_output() of a stack buffer.
// Unlike reserve/submit there is no reference to release: the helper copies `size` bytes from
// initialised stack memory.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

RINGBUF_MAP(events);

SEC("xdp")
int ringbuf_output_stack(struct xdp_md *ctx)
{
	__u32 rec[2] = { ctx->ingress_ifindex, ctx->rx_queue_index };

	bpf_ringbuf_output(&events, rec, sizeof(rec), 0);
	return XDP_PASS;
}

LICENSE;
