// Accept: bpf_throw from a static and from a global subprogram: the throw unwinds every frame.
// The walk of the throwing path ends in the subprogram (its caller is not returned to). The program returns
// 9 (the static function throws for queue 0), else 11 (the global one throws for a nonzero ifindex), else 100 + 1.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "kfunc_throw.h"

static __noinline int sub(struct xdp_md *ctx)
{
	if (ctx->rx_queue_index == 0)
		bpf_throw(9);
	return ctx->ingress_ifindex;
}

__noinline int gsub(struct xdp_md *ctx)
{
	if (ctx && ctx->ingress_ifindex)
		bpf_throw(11);
	return 1;
}

SEC("xdp")
int throw_subprog(struct xdp_md *ctx)
{
	return sub(ctx) + gsub(ctx) + 100;
}

LICENSE;
