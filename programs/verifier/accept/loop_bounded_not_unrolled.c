// Accept: a bounded loop kept as a loop (not unrolled).
// The counter is compared with a constant, so the verifier walks the 16 iterations one by one
// (root has had bounded loops since 5.3); each iteration checks its own packet byte.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
int loop_bounded_not_unrolled(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 sum = 0;

#pragma clang loop unroll(disable)
	for (int i = 0; i < 16; i++) {
		__u8 *b = data + i;

		if ((void *)(b + 1) > data_end)
			break;
		sum += *b;
	}
	return sum & 1 ? XDP_DROP : XDP_PASS;
}

LICENSE;
