// Accept: a ringbuf reservation submitted on one path and discarded on the other.
// Every path from the reservation to exit releases the reference exactly once.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

RINGBUF_MAP(events);

struct event {
	__u32 len;
	__u32 queue;
};

SEC("xdp")
int ringbuf_all_paths(struct xdp_md *ctx)
{
	struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	__u32 len = ctx->data_end - ctx->data;

	if (!e)
		return XDP_PASS;
	e->len = len;
	e->queue = ctx->rx_queue_index;
	if (len < ETH_ZLEN)
		bpf_ringbuf_discard(e, 0);
	else
		bpf_ringbuf_submit(e, 0);
	return XDP_PASS;
}

LICENSE;
