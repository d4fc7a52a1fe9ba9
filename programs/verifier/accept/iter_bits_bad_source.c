// Accept: bpf_iter_bits_new's source is `__ign`: any value passes the verifier, even a number.
// The kfunc reads the words as bpf_probe_read_kernel does: a small number is a user address, which
// fails (one word: -EFAULT; more: copy_from_kernel_nofault's -ERANGE); NULL is -EINVAL, more than 511
// words -E2BIG. Each failed iterator is empty and still destroyed.
// Returns the four errors' low bytes, negated: 14 << 24 | 34 << 16 | 22 << 8 | 7.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "iter_bits.h"

static __always_inline __u32 try_new(const __u64 *src, __u32 words)
{
	struct bpf_iter_bits it;
	int err = bpf_iter_bits_new(&it, src, words);

	while (bpf_iter_bits_next(&it))
		err += 1000;
	bpf_iter_bits_destroy(&it);
	return -err & 0xff;
}

SEC("xdp")
int iter_bits_bad_source(struct xdp_md *ctx)
{
	const __u64 *user = (const __u64 *)(long)(0x40 + (ctx->rx_queue_index & 8));
	__u64 word = 1;

	return try_new(user, 1) << 24 | try_new(user, 2) << 16 | try_new(0, 1) << 8 | try_new(&word, 512);
}

LICENSE;
