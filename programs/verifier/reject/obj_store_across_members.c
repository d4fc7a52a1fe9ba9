// Reject: one 8-byte store over two 4-byte members of an allocated object.
// clang merges the stores of b and c into one; btf_struct_walk wants each access within one member:
// "access beyond the end of member b (mend:12) …".
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "obj_kfuncs.h"

struct pair { __u64 a; __u32 b; __u32 c; };

SEC("xdp")
int obj_store_across_members(struct xdp_md *ctx)
{
	struct pair *p = bpf_obj_new(struct pair);

	if (!p)
		return XDP_ABORTED;
	p->a = 1;
	p->b = 0x1234;
	p->c = 0x5678;
	bpf_obj_drop(p);
	return XDP_PASS;
}
LICENSE;
