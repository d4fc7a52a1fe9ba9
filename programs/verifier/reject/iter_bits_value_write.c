// Reject: a store through the index bpf_iter_bits_next returns.
// The index is the iterator's own `bit` field, handed out read-only (PTR_TO_MEM | MEM_RDONLY of 4
// bytes): "R0 cannot write into rdonly_mem".
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "iter_bits.h"

SEC("xdp")
int iter_bits_value_write(struct xdp_md *ctx)
{
	struct bpf_iter_bits it;
	__u64 word = ctx->rx_queue_index;
	int *bit;

	bpf_iter_bits_new(&it, &word, 1);
	bit = bpf_iter_bits_next(&it);
	if (bit)
		*(volatile int *)bit = 63;
	bpf_iter_bits_destroy(&it);
	return XDP_PASS;
}

LICENSE;
