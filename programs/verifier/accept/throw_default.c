// Accept: bpf_throw and bpf_experimental.h's bpf_assert / bpf_assert_with in the main program, no exception callback.
// The throwing path ends at the call (no return value to check): the program returns the cookie — 7 for a
// first byte of 1, 0 for a failed bpf_assert (2), the low 32 bits of 0x100000005 for bpf_assert_with (3).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "kfunc_throw.h"

SEC("xdp")
int throw_default(struct xdp_md *ctx)
{
	__u8 *p = (void *)(long)ctx->data;

	if ((void *)(p + 1) > (void *)(long)ctx->data_end)
		return XDP_ABORTED;
	if (p[0] == 1)
		bpf_throw(7);
	bpf_assert(p[0] != 2);
	bpf_assert_with(p[0] != 3, 0x100000005ull);
	return XDP_PASS;
}

LICENSE;
