// Reject: a field of an object read after bpf_obj_drop freed it.
// Releasing the reference turns every register that held the pointer into an unknown scalar.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "obj_kfuncs.h"

struct pair { __u64 a; __u32 b; __u32 c; };

SEC("xdp")
int obj_use_after_drop(struct xdp_md *ctx)
{
	struct pair *p = bpf_obj_new(struct pair);

	if (!p)
		return XDP_ABORTED;
	bpf_obj_drop(p);
	return p->b;
}
LICENSE;
