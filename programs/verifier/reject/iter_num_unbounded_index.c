// Reject: an iterator's value used as an array index unchecked.
// The verifier knows nothing of *v's range (not [start, end)): a[*v] is stack memory at an offset with
// no bounds, "math between fp pointer and register with unbounded min value is not allowed".
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "iter_num.h"

SEC("xdp")
int iter_num_unbounded_index(struct xdp_md *ctx)
{
	__u32 a[16] = {};
	struct bpf_iter_num it;
	__u32 sum = 0;
	int *v;

	bpf_iter_num_new(&it, 0, 16);
	while ((v = bpf_iter_num_next(&it)))
		sum += a[*v];
	bpf_iter_num_destroy(&it);
	return sum & 3;
}

LICENSE;
