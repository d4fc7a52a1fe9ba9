// Reject: a bit iterator passed to bpf_iter_num_next.
// An iterator's slots remember its type (iter.btf_id): is_iter_reg_valid_init refuses an iter_bits
// where an iter_num is expected, "expected an initialized iter_num as arg #0".
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "iter_num.h"
#include "iter_bits.h"

SEC("xdp")
int iter_bits_as_num(struct xdp_md *ctx)
{
	struct bpf_iter_bits it;
	__u64 word = ctx->rx_queue_index;
	int *v, n = 0;

	bpf_iter_bits_new(&it, &word, 1);
	v = bpf_iter_num_next((struct bpf_iter_num *)&it);
	if (v)
		n = *v;
	bpf_iter_bits_destroy(&it);
	return n;
}

LICENSE;
