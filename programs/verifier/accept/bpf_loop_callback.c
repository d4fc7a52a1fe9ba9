// Accept: bpf_loop() with a callback that updates the caller's stack.
// The callback is verified as a separate frame with r2 pointing at the caller's `struct acc`;
// its return value is 0 or 1 (continue / stop). The loop count needs no bound: the helper runs it.
// Subprograms: libbpf appends add_index() after the entry program.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

struct acc {
	__u64 sum;
	__u32 limit;
};

static int add_index(__u32 index, void *data)
{
	struct acc *a = data;

	a->sum += index;
	return a->sum > a->limit;
}

SEC("xdp")
int bpf_loop_callback(struct xdp_md *ctx)
{
	struct acc a = { .sum = 0, .limit = ctx->rx_queue_index + 100 };

	bpf_loop(ctx->ingress_ifindex, add_index, &a, 0);
	return a.sum & 1 ? XDP_DROP : XDP_PASS;
}

LICENSE;
