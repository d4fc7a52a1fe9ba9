// Reject: bpf_rdonly_cast to a type id no type has.
// The id is looked up in the kfunc's BTF (the kernel's; wxdp's own for wxdp): unknown, EINVAL.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "kfunc_cast.h"

SEC("xdp")
int rdonly_cast_bad_id(struct xdp_md *ctx)
{
	char *p = bpf_rdonly_cast((void *)(long)ctx->data, 0x7fffffff);

	return p[0];
}

LICENSE;
