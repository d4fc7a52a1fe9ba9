// Accept: global function whose `void *` argument is tagged arg:ctx.
// btf_prepare_func_args: the decl_tag "arg:ctx" (libbpf's __arg_ctx) makes the argument
// ARG_PTR_TO_CTX whatever its C type (`void *` is always valid), so the function is verified with
// R1 = ctx and may read xdp_md fields; the caller must pass the context itself.
// Subprograms: the global function is appended after the entry program and verified separately.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

__noinline int queue_of(void *ctx __arg_ctx)
{
	return ((struct xdp_md *)ctx)->rx_queue_index;
}

SEC("xdp")
int global_func_arg_ctx_tag(struct xdp_md *ctx)
{
	return queue_of(ctx) ? XDP_PASS : XDP_DROP;
}

LICENSE;
