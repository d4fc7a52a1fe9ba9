// Accept: an open-coded bit iterator (bpf_iter_bits_new / _next / _destroy) over a word of the frame.
// The iterator takes two stack slots (struct bpf_iter_bits, 16 bytes); one word is copied into the
// iterator itself (bits_copy). _next is a forced checkpoint as bpf_iter_num_next is: the loop is
// verified in a few iterations. The index *bit has no range: it is masked before use.
// Returns the sum of the set bits' indices times 256 plus their count (the frame's first 8 bytes, little-endian).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "iter_bits.h"

SEC("xdp")
int iter_bits_packet_word(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	struct bpf_iter_bits it;
	__u64 word;
	__u32 sum = 0, n = 0;
	int *bit;

	if (data + 8 > data_end)
		return XDP_ABORTED;
	__builtin_memcpy(&word, data, 8);
	bpf_iter_bits_new(&it, &word, 1);
	while ((bit = bpf_iter_bits_next(&it))) {
		sum += *bit & 63;
		n++;
	}
	bpf_iter_bits_destroy(&it);
	return (sum << 8) | (n & 0xff);
}

LICENSE;
