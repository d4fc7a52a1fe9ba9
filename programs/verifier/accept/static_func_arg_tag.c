// Accept: a static function with an arg:nonnull tag.
// btf_prepare_func_args refuses arg: tags on static functions ("arg#0 type tag is not supported in
// static functions", EOPNOTSUPP), but for a static callee check_func_call only marks its BTF
// unreliable and walks into it with the caller's registers: the tag is ignored.
// Subprograms: the static function is appended after the entry program and walked at each call.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

static __noinline int first_word(__u32 *w __arg_nonnull)
{
	return *w;
}

SEC("xdp")
int static_func_arg_tag(struct xdp_md *ctx)
{
	__u32 word = ctx->rx_queue_index;

	return first_word(&word) ? XDP_PASS : XDP_DROP;
}

LICENSE;
