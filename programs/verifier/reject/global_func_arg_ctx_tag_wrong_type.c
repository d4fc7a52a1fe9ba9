// Reject: arg:ctx on a global function's argument that points to a struct other than xdp_md.
// btf_validate_prog_ctx_type: a tagged ctx argument is `void *` or the program type's context
// struct: "arg#0 should be `struct xdp_md *`" (EINVAL), at the call:
// "Caller passes invalid args into func#1".
// Subprograms: the global function is appended after the entry program and verified separately.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

struct queue_view {
	__u32 pad[4];
	__u32 rx_queue_index;
};

__noinline int queue_of(struct queue_view *ctx __arg_ctx)
{
	return ctx->rx_queue_index;
}

SEC("xdp")
int global_func_arg_ctx_tag_wrong_type(struct xdp_md *ctx)
{
	return queue_of((struct queue_view *)ctx) ? XDP_PASS : XDP_DROP;
}

LICENSE;
