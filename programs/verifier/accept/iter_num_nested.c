// Accept: two open-coded iterators, one inside the other.
// Each bpf_iter_num_next converges on its own: the inner loop's states at its next call are compared
// with the inner iterator's earlier visits (its own stack slot, its own reference), the outer's with
// the outer's. Kernel 6.18.44: 161 instructions processed (tests/verifier/walk_kernel.test.ts).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "iter_num.h"

SEC("xdp")
int iter_num_nested(struct xdp_md *ctx)
{
	struct bpf_iter_num a, b;
	__u32 sum = 0;
	int *i, *j;

	bpf_iter_num_new(&a, 0, ctx->rx_queue_index & 7);
	while ((i = bpf_iter_num_next(&a))) {
		bpf_iter_num_new(&b, 0, 3);
		while ((j = bpf_iter_num_next(&b)))
			sum += *i * *j;
		bpf_iter_num_destroy(&b);
	}
	bpf_iter_num_destroy(&a);
	return sum & 3;
}

LICENSE;
