// Reject: arg:untrusted combined with arg:nonnull on a global function's argument.
// btf_prepare_func_args: "arg#0 untrusted cannot be combined with any other tags" (-EINVAL), reported
// at the call: "Caller passes invalid args into func#1".
// Subprograms: the global function is appended after the entry program and verified separately.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

__noinline int first_word(__u32 *w __arg_untrusted __arg_nonnull)
{
	return *w;
}

SEC("xdp")
int global_func_arg_untrusted_nonnull(struct xdp_md *ctx)
{
	__u32 word = 0;

	return first_word(&word) ? XDP_PASS : XDP_DROP;
}

LICENSE;
