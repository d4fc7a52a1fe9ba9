// Accept: an open-coded iterator (bpf_iter_num_new / _next / _destroy) over the frame's first 16 bytes.
// bpf_iter_num_next is a forced checkpoint: the verifier walks the loop's exit first (the iterator
// DRAINED, r0 = NULL), then one iteration at a time (ACTIVE, one depth deeper), until an iteration's
// state is within the ranges of the previous one's (RANGE_WITHIN): the loop is verified without
// unrolling 16 times. The index *v has no range (the verifier does not know [start, end)): it is masked.
// Kernel 6.18.44: 110 instructions processed (tests/verifier/walk_kernel.test.ts).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "iter_num.h"

SEC("xdp")
int iter_num_packet_sum(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	struct bpf_iter_num it;
	__u32 sum = 0;
	int *v;

	bpf_iter_num_new(&it, 0, 16);
	while ((v = bpf_iter_num_next(&it))) {
		__u8 *p = data + (*v & 15);

		if ((void *)(p + 1) > data_end)
			break;
		sum += *p;
	}
	bpf_iter_num_destroy(&it);
	return sum & 3;
}

LICENSE;
