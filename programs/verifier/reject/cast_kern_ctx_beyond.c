// Reject: a load past the end of the struct xdp_buff bpf_cast_to_kern_ctx returns.
// btf_struct_walk refuses an access beyond the struct (EACCES).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "kfunc_cast.h"

SEC("xdp")
int cast_kern_ctx_beyond(struct xdp_md *ctx)
{
	struct xdp_buff *x = bpf_cast_to_kern_ctx(ctx);

	return *(volatile __u32 *)((char *)x + 200);
}

LICENSE;
