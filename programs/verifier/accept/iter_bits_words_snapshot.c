// Accept: a bit iterator over four words on the stack, cleared while the loop runs.
// More than one word: the kernel copies them into memory it allocates, freed by bpf_iter_bits_destroy.
// The copy is a snapshot: clearing the words after bpf_iter_bits_new changes nothing the loop sees.
// A NULL source or 0 words is -EINVAL, more than 511 words -E2BIG, and such an iterator is empty.
// Returns (new's error for 0 words) & 0xff << 24 | the bits seen << 16 | the last index seen.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "iter_bits.h"

SEC("xdp")
int iter_bits_words_snapshot(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	struct bpf_iter_bits it, empty;
	__u64 words[4];
	__u32 n = 0, last = 0;
	int *bit, err;

	if (data + 32 > data_end)
		return XDP_ABORTED;
	__builtin_memcpy(words, data, 32);
	bpf_iter_bits_new(&it, words, 4);
	while ((bit = bpf_iter_bits_next(&it))) {
		words[0] = 0;
		words[3] = 0;
		last = *bit & 255;
		n++;
	}
	bpf_iter_bits_destroy(&it);
	err = bpf_iter_bits_new(&empty, words, 0);
	while ((bit = bpf_iter_bits_next(&empty)))
		n += 100;
	bpf_iter_bits_destroy(&empty);
	return ((err & 0xff) << 24) | ((n & 0xff) << 16) | (words[3] & 1) << 15 | last;
}

LICENSE;
