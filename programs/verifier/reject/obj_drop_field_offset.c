// Reject: bpf_obj_drop of a pointer to a field inside the object.
// A release function's argument must point at the object's start.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "obj_kfuncs.h"

struct pair { __u64 a; __u32 b; __u32 c; };

SEC("xdp")
int obj_drop_field_offset(struct xdp_md *ctx)
{
	struct pair *p = bpf_obj_new(struct pair);

	if (!p)
		return XDP_ABORTED;
	bpf_obj_drop(&p->b);
	return XDP_PASS;
}
LICENSE;
