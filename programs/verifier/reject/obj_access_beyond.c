// Reject: a load past the end of an allocated object.
// btf_struct_access walks the local struct: 4 bytes at offset 16 of a 16-byte struct is past it.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "obj_kfuncs.h"

struct pair { __u64 a; __u32 b; __u32 c; };

SEC("xdp")
int obj_access_beyond(struct xdp_md *ctx)
{
	struct pair *p = bpf_obj_new(struct pair);
	int r;

	if (!p)
		return XDP_ABORTED;
	r = ((__u32 *)p)[4];
	bpf_obj_drop(p);
	return r;
}
LICENSE;
