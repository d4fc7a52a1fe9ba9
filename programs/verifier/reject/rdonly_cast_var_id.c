// Reject: bpf_rdonly_cast with a type id the verifier cannot know (the rx queue index).
// btf_id__k is a constant argument (`__k`): "must be a known constant" (EINVAL).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "kfunc_cast.h"

SEC("xdp")
int rdonly_cast_var_id(struct xdp_md *ctx)
{
	char *p = bpf_rdonly_cast((void *)(long)ctx->data, ctx->rx_queue_index);

	return p[0];
}

LICENSE;
