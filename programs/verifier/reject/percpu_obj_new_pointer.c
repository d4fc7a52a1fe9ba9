// Reject: bpf_percpu_obj_new of a struct holding a pointer.
// A per-CPU object is a struct of scalars only (__btf_type_is_scalar_struct).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "obj_kfuncs.h"
#include "kptr.h"

struct pcp { __u64 a; void *q; };
SEC("xdp")
int percpu_obj_new_pointer(struct xdp_md *ctx)
{
	struct pcp *o = bpf_percpu_obj_new(struct pcp);

	if (!o)
		return 0;
	bpf_percpu_obj_drop(o);
	return 1;
}

LICENSE;
