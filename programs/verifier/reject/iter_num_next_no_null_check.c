// Reject: bpf_iter_num_next's result read without its NULL check.
// process_iter_next_call walks the drained iterator first, where r0 is the constant 0 (a scalar), so
// the read through it is refused there: "R0 invalid mem access 'scalar'".
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "iter_num.h"

SEC("xdp")
int iter_num_next_no_null_check(struct xdp_md *ctx)
{
	struct bpf_iter_num it;
	int first;

	bpf_iter_num_new(&it, 0, 4);
	first = *bpf_iter_num_next(&it);
	bpf_iter_num_destroy(&it);
	return first & 3;
}

LICENSE;
