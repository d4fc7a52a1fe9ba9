// Reject: bpf_obj_drop of what bpf_obj_new returned, not checked against NULL.
// bpf_obj_drop is KF_RELEASE, so its argument is trusted: a pointer that may be NULL is refused
// (EACCES) before anything else is checked.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "obj_kfuncs.h"

struct pair { __u64 a; __u32 b; __u32 c; };

SEC("xdp")
int obj_drop_maybe_null(struct xdp_md *ctx)
{
	struct pair *p = bpf_obj_new(struct pair);

	bpf_obj_drop(p);
	return XDP_PASS;
}
LICENSE;
