// Reject: a store into the struct xdp_buff bpf_cast_to_kern_ctx returns.
// XDP's btf_struct_access lets a program store only into nf_conn's mark: any other PTR_TO_BTF_ID is read only (EACCES).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "kfunc_cast.h"

SEC("xdp")
int cast_kern_ctx_write(struct xdp_md *ctx)
{
	struct xdp_buff *x = bpf_cast_to_kern_ctx(ctx);

	x->frame_sz = 5;
	return XDP_PASS;
}

LICENSE;
