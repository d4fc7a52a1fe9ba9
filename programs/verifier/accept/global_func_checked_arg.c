// Accept: a global function verified on its own.
// The kernel verifies a global (non-static) function once, from its BTF prototype: `ctx` is the
// context, `w` is 4 bytes of memory or NULL. It checks w and reads within 4 bytes, so it is safe
// for any caller; the caller is then checked against the prototype only.
// Subprograms: the global function is appended after the entry program and verified separately.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

__noinline int scaled_queue(struct xdp_md *ctx, __u32 *w)
{
	if (!w)
		return 0;
	return ctx->rx_queue_index * *w;
}

SEC("xdp")
int global_func_checked_arg(struct xdp_md *ctx)
{
	__u32 scale = 3;

	return scaled_queue(ctx, &scale) & 1 ? XDP_DROP : XDP_PASS;
}

LICENSE;
