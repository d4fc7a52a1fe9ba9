// Reject: bpf_obj_new of a type that is no struct (a __u64).
// The local type id must name a struct of the program's BTF.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "obj_kfuncs.h"

SEC("xdp")
int obj_new_not_struct(struct xdp_md *ctx)
{
	__u64 *p = bpf_obj_new(__u64);

	if (!p)
		return XDP_ABORTED;
	bpf_obj_drop(p);
	return XDP_PASS;
}
LICENSE;
