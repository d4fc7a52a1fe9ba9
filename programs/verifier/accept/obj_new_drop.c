// Accept: an object of the program's own struct allocated with bpf_obj_new, written, read, dropped.
// bpf_obj_new returns PTR_TO_BTF_ID | MEM_ALLOC of the local type (or NULL) holding a reference: after the
// NULL check its scalar fields may be read and written (btf_struct_access on program BTF), and
// bpf_obj_drop releases it.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "obj_kfuncs.h"

struct pair { __u64 a; __u32 b; __u32 c; };

SEC("xdp")
int obj_new_drop(struct xdp_md *ctx)
{
	struct pair *p = bpf_obj_new(struct pair);
	int r;

	if (!p)
		return XDP_ABORTED;
	p->a = ctx->ingress_ifindex;
	p->b = 7;
	r = p->a + p->b + p->c;
	bpf_obj_drop(p);
	return r;
}
LICENSE;
