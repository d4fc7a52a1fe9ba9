// Reject: a pointer (the ctx) as bpf_throw's cookie.
// The cookie is a u64 argument: a scalar (EINVAL).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "kfunc_throw.h"

SEC("xdp")
int throw_pointer_cookie(struct xdp_md *ctx)
{
	bpf_throw((long)ctx);
	return XDP_PASS;
}

LICENSE;
