// Reject: an arg: decl_tag the kernel does not know on a global function's argument.
// btf_prepare_func_args: only ctx, trusted, untrusted, nonnull, nullable and arena follow "arg:";
// any other is "arg#0 has unsupported set of tags" (EOPNOTSUPP), at the call:
// "Caller passes invalid args into func#1".
// Subprograms: the global function is appended after the entry program and verified separately.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

__noinline int first_word(__u32 *w __attribute__((btf_decl_tag("arg:nonzero"))))
{
	return w ? *w : 0;
}

SEC("xdp")
int global_func_arg_tag_unknown(struct xdp_md *ctx)
{
	__u32 word = ctx->rx_queue_index;

	return first_word(&word) ? XDP_PASS : XDP_DROP;
}

LICENSE;
