// Reject: an object from bpf_obj_new never dropped: the reference leaks at exit.
// bpf_obj_new is KF_ACQUIRE: its object is the program's to drop (or to hand over to a collection)
// before it exits: "Unreleased reference id=2 alloc_insn=5".
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "obj_kfuncs.h"

struct pair { __u64 a; __u32 b; __u32 c; };

SEC("xdp")
int obj_new_leak(struct xdp_md *ctx)
{
	struct pair *p = bpf_obj_new(struct pair);

	if (!p)
		return XDP_ABORTED;
	p->a = ctx->ingress_ifindex;
	return p->a ? XDP_PASS : XDP_DROP;
}
LICENSE;
