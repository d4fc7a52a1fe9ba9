// Accept: an open-coded iterator in a static function called twice, with a variable and a constant end.
// Each call's loop converges on its own (checkpoints of the same callsite only: find_prev_entry).
// Kernel 6.18.44: 147 instructions processed (tests/verifier/walk_kernel.test.ts).
// Subprograms: libbpf appends sum_to() after the entry program.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "iter_num.h"

static __noinline int sum_to(int n)
{
	struct bpf_iter_num it;
	int sum = 0;
	int *v;

	bpf_iter_num_new(&it, 0, n);
	while ((v = bpf_iter_num_next(&it)))
		sum += *v;
	bpf_iter_num_destroy(&it);
	return sum;
}

SEC("xdp")
int iter_num_in_subprog(struct xdp_md *ctx)
{
	return (sum_to(ctx->rx_queue_index & 7) + sum_to(5)) & 3;
}

LICENSE;
