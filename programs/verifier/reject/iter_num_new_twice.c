// Reject: bpf_iter_num_new on an iterator that is already initialised.
// bpf_iter_num_new needs uninitialised stack (is_iter_reg_valid_uninit: no STACK_ITER byte):
// "expected uninitialized iter_num as arg #0".
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "iter_num.h"

SEC("xdp")
int iter_num_new_twice(struct xdp_md *ctx)
{
	struct bpf_iter_num it;

	bpf_iter_num_new(&it, 0, 4);
	bpf_iter_num_new(&it, 0, 8);
	bpf_iter_num_destroy(&it);
	return XDP_PASS;
}

LICENSE;
