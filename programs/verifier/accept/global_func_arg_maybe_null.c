// Accept: a map lookup's result, maybe NULL, passed to a global function's untagged pointer argument.
// btf_check_func_arg_match -> check_mem_reg: a maybe-NULL register is checked as if it were not NULL
// (the memory behind it must hold the pointee), since the argument is mem_or_null in the function,
// which tests it before reading.
// Subprograms: the global function is appended after the entry program and verified separately.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

ARRAY_MAP(words, __u32, 1);

__noinline int first_word(__u32 *w)
{
	return w ? *w : 0;
}

SEC("xdp")
int global_func_arg_maybe_null(struct xdp_md *ctx)
{
	__u32 key = ctx->rx_queue_index;

	return first_word(bpf_map_lookup_elem(&words, &key)) ? XDP_PASS : XDP_DROP;
}

LICENSE;
