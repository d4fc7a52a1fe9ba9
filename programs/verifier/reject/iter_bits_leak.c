// Reject: a bit iterator never destroyed.
// bpf_iter_bits_new acquires a reference (mark_stack_slots_iter, on the first of its two slots); only
// bpf_iter_bits_destroy releases it: "Unreleased reference id=N alloc_insn=M", naming the new call.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "iter_bits.h"

SEC("xdp")
int iter_bits_leak(struct xdp_md *ctx)
{
	struct bpf_iter_bits it;
	__u64 word = ctx->rx_queue_index;
	__u32 n = 0;

	bpf_iter_bits_new(&it, &word, 1);
	while (bpf_iter_bits_next(&it))
		n++;
	return n;
}

LICENSE;
