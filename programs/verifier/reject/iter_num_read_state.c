// Reject: a program reading its iterator's state directly.
// An iterator's slot is STACK_ITER, not data: "invalid read from stack off -8+0 size 4".
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "iter_num.h"

SEC("xdp")
int iter_num_read_state(struct xdp_md *ctx)
{
	struct bpf_iter_num it;
	int cur;

	bpf_iter_num_new(&it, 0, 4);
	cur = *(volatile int *)&it;
	bpf_iter_num_destroy(&it);
	return cur & 3;
}

LICENSE;
