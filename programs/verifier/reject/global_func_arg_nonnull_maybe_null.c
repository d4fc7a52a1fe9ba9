// Reject: a map lookup's result, maybe NULL, passed to a global function's arg:nonnull argument.
// btf_check_func_arg_match: for a mem argument without PTR_MAYBE_NULL the caller's register must not
// be maybe-NULL ("arg#0 is expected to be non-NULL"), and the call fails: "Caller passes invalid
// args into func#1". (Without the tag the same call is accepted: check_mem_reg checks the memory as
// if the lookup had succeeded, and the function must test for NULL itself.)
// Subprograms: the global function is appended after the entry program and verified separately.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

ARRAY_MAP(words, __u32, 1);

__noinline int first_word(__u32 *w __arg_nonnull)
{
	return *w;
}

SEC("xdp")
int global_func_arg_nonnull_maybe_null(struct xdp_md *ctx)
{
	__u32 key = ctx->rx_queue_index;

	return first_word(bpf_map_lookup_elem(&words, &key)) ? XDP_PASS : XDP_DROP;
}

LICENSE;
