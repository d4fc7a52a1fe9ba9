// Reject: an open-coded iterator destroyed twice.
// bpf_iter_num_destroy leaves the slot invalid (unmark_stack_slots_iter): the second call's argument
// is no initialised iterator, "expected an initialized iter_num as arg #0".
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "iter_num.h"

SEC("xdp")
int iter_num_destroy_twice(struct xdp_md *ctx)
{
	struct bpf_iter_num it;

	bpf_iter_num_new(&it, 0, 4);
	bpf_iter_num_destroy(&it);
	bpf_iter_num_destroy(&it);
	return XDP_PASS;
}

LICENSE;
